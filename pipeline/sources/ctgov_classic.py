"""Classic ClinicalTrials.gov study pages (ct2/show, saved as text or HTML) → TrialRecord.

The 2017–2023 layout writes labelled fields as table cells ("Study Type : | Interventional |"),
a condition/intervention/phase table, an arm table, the outcome list and the eligibility block.
Labels map to fields through one table (LABELS). The older "Full Text View"/"Tabular View"
labels ("First Received:", "Last Updated:", "Estimated Enrollment:", "Genders Eligible for
Study:") are in the same table; no real page of those layouts was at hand to test them.
The saved page does not say which outcomes are primary, so outcome_type stays None.
"""
from __future__ import annotations

import re

from pipeline import vocabulary as v
from pipeline.criteria import split_criteria
from pipeline.record import ArmGroup, Identifier, Intervention, Location, Outcome, ParseError, TrialRecord
from pipeline.sources.html import html_to_text, looks_like_html

FORMAT = "ctgov_classic"
_NCT = re.compile(r"ClinicalTrials\.gov Identifier:?\s*\|?\s*(NCT\d{8})")
_LABELLED = re.compile(r"^(?P<label>[A-Z][A-Za-z /()\-']+?)\s*:\s*\|?\s*(?P<value>.*?)\s*\|?\s*$")
_TYPED = re.compile(r"(Behavioral|Biological|Combination Product|Device|Diagnostic Test|Dietary Supplement|Drug|"
                    r"Genetic|Procedure|Radiation|Other):\s*")
_ARM = re.compile(r"^(Experimental|Active Comparator|Placebo Comparator|Sham Comparator|No Intervention|Other):\s*"
                  r"(?P<label>.+?)\s*\|?$")
_OUTCOME = re.compile(r"^-\s*(?P<measure>.+?)\s*\[\s*Time Frame:\s*(?P<time>.+?)\s*\]\s*$")
_ENROLLMENT = re.compile(r"(?P<type>Actual|Estimated|Anticipated)?\s*Enrollment\s*:?\s*\|?\s*(?P<n>\d[\d,]*)", re.I)
_DATE_KIND = re.compile(r"^(?:(Actual|Estimated|Anticipated)\s+)?(Study Start|Primary Completion|Study Completion)\s+Date$")


def _date(record: TrialRecord, field: str, value: str) -> None:
    setattr(record, field, v.parse_date(value))


def _set(field: str, table: dict[str, str] | None = None):
    def handle(record: TrialRecord, value: str) -> None:
        text = v.clean(value)
        setattr(record, field, v.lookup(table, text) if table is not None else text)
    return handle


def _ages(record: TrialRecord, value: str) -> None:
    bounds = re.sub(r"\(.*?\)", "", value)
    lo, _, hi = bounds.partition(" to ")
    if "and older" in bounds:
        lo, hi = bounds.replace("and older", ""), ""
    elif "and younger" in bounds or "up to" in bounds.lower():
        lo, hi = "", re.sub(r"(?i)and younger|up to", "", bounds)
    record.minimum_age, record.maximum_age = v.age_text(lo.strip()), v.age_text(hi.strip())


def _study_type(record: TrialRecord, value: str) -> None:
    record.study_type = v.lookup(v.STUDY_TYPE, value.split("(")[0])


def _masking(record: TrialRecord, value: str) -> None:
    record.masking, record.who_masked = v.masking(value)


LABELS = {
    "Study Type": _study_type,
    "Allocation": _set("allocation", v.ALLOCATION),
    "Intervention Model": _set("intervention_model", v.INTERVENTION_MODEL),
    "Observational Model": _set("observational_model", v.OBSERVATIONAL_MODEL),
    "Time Perspective": _set("time_perspective", v.TIME_PERSPECTIVE),
    "Masking": _masking,
    "Primary Purpose": _set("primary_purpose", v.PRIMARY_PURPOSE),
    "Official Title": _set("official_title"),
    "Acronym": _set("acronym"),
    "Ages Eligible for Study": _ages,
    "Sexes Eligible for Study": _set("sex", v.SEX),
    "Genders Eligible for Study": _set("sex", v.SEX),
    "Accepts Healthy Volunteers": lambda r, value: setattr(r, "healthy_volunteers", v.yes_no(value)),
    "First Posted": lambda r, value: _date(r, "first_posted_date", value),
    "First Received": lambda r, value: _date(r, "first_posted_date", value),
    "Last Update Posted": lambda r, value: _date(r, "last_update_posted_date", value),
    "Last Updated": lambda r, value: _date(r, "last_update_posted_date", value),
    "Sponsor": _set("lead_sponsor"),
    "Collaborators": lambda r, value: r.collaborators.extend(filter(None, [v.clean(value)])),
}
_DATES = {"Study Start": "start_date", "Primary Completion": "primary_completion_date",
          "Study Completion": "completion_date"}


def recognises(text: str) -> bool:
    head = html_to_text(text[:200_000]) if looks_like_html(text) else text[:200_000]
    return ("ClinicalTrials.gov Identifier" in head and "ClinicalTrials.gov Archive" not in head
            and any(marker in head for marker in ("Recruitment Status", "Study Type", "Tabular View", "Full Text View")))


def parse(text: str) -> list[TrialRecord]:
    if looks_like_html(text):
        text = html_to_text(text)
    m = _NCT.search(text)
    if not m:
        raise ParseError("ctgov_classic: no NCT id")
    lines = [line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    record = TrialRecord(m[1], brief_title=v.clean(next((line for line in lines if line), "")))
    _status(record, text)
    _labelled(record, lines)
    _design_table(record, lines)
    _arms(record, lines)
    record.outcomes = [Outcome(None, v.clean(o["measure"]), v.clean(o["time"]))
                       for o in map(_OUTCOME.match, lines) if o]
    _eligibility(record, text)
    _location(record, lines)
    _other_ids(record, lines)
    return [record]


def _status(record: TrialRecord, text: str) -> None:
    m = re.search(r"Recruitment Status\s*:\s*\|?\s*([^\n|]+)", text)
    if m:
        record.overall_status = v.lookup(v.STATUS, m[1])
    m = re.search(r"Recruitment status was:\s*([^\n|]+)", text)
    if m:
        record.last_known_status = v.lookup(v.STATUS, m[1])


def _labelled(record: TrialRecord, lines: list[str]) -> None:
    for line in lines:
        enrollment = _ENROLLMENT.match(line)
        if enrollment:
            record.enrollment = int(enrollment["n"].replace(",", ""))
            record.enrollment_type = v.lookup(v.ENROLLMENT_TYPE, enrollment["type"]) if enrollment["type"] else None
            continue
        m = _LABELLED.match(line)
        if not m or not m["value"]:
            continue
        label = m["label"].strip()
        date_kind = _DATE_KIND.match(label)
        if date_kind:
            _date(record, _DATES[date_kind[2]], m["value"])
        elif label in LABELS:
            LABELS[label](record, m["value"].replace("Key Record Dates", ""))


def _design_table(record: TrialRecord, lines: list[str]) -> None:
    """The "Condition or disease | Intervention/treatment | Phase |" table (one row after its rule)."""
    for i, line in enumerate(lines):
        if line.startswith("Condition or disease") and i + 2 < len(lines):
            cells = [c.strip() for c in lines[i + 2].split("|")]
            if len(cells) >= 3:
                record.conditions = [c for c in [v.clean(cells[0])] if c]
                parts = _TYPED.split(cells[1])
                for kind, name in zip(parts[1::2], parts[2::2]):
                    record.interventions.append(Intervention(v.lookup(v.INTERVENTION_TYPE, kind), v.clean(name)))
                record.phases = v.phases(cells[2])
            return


def _arms(record: TrialRecord, lines: list[str]) -> None:
    """The "Arm | Intervention/treatment |" table: arm lines, each followed by its typed interventions."""
    try:
        start = lines.index("Arm | Intervention/treatment |")
    except ValueError:
        return
    descriptions = {}
    arm = None
    intervention = None
    for line in lines[start + 2:]:
        if not line or line.startswith("- ") or line.startswith("Outcome"):
            break
        m = _ARM.match(line)
        if m:
            arm = ArmGroup(v.clean(m["label"]), v.lookup(v.ARM_TYPE, m[1]))
            record.arm_groups.append(arm)
            intervention = None
            continue
        typed = _TYPED.match(line)
        if typed and arm is not None:
            intervention = v.clean(line[typed.end():].rstrip("|"))
            arm.intervention_names.append(intervention)
        elif intervention is not None:
            descriptions[intervention] = v.clean(line.rstrip("|"))
    for item in record.interventions:
        item.description = descriptions.get(item.name, item.description)


def _eligibility(record: TrialRecord, text: str) -> None:
    start = text.find("Inclusion Criteria")
    if start < 0:
        return
    end = min((i for i in (text.find("To learn more about this study", start),
                           text.find("Contacts and Locations", start)) if i >= 0), default=len(text))
    record.eligibility_criteria = split_criteria(text[start:end])


def _location(record: TrialRecord, lines: list[str]) -> None:
    """Facility lines under the locations section: "Facility | |" then "City, State, Country, Zip |"."""
    try:
        start = next(i for i, line in enumerate(lines) if line.startswith("Please refer to this study by its"))
    except StopIteration:
        return
    cells = [line.rstrip("| ").strip() for line in lines[start + 1:] if line.rstrip("| ").strip()]
    for i in range(1, len(cells) - 1):
        parts = [p.strip() for p in cells[i + 1].split(",")]
        if len(parts) >= 3 and "|" not in cells[i] and ":" not in cells[i] and ":" not in cells[i + 1]:
            zip_code = parts[-1] if any(ch.isdigit() for ch in parts[-1]) else None
            country = parts[-2] if zip_code else parts[-1]
            state = parts[1] if len(parts) - (1 if zip_code else 0) >= 3 else None
            record.locations.append(Location(v.clean(cells[i]), parts[0], state, zip_code, country))
        if cells[i].startswith(("Principal Investigator", "Sponsors and Collaborators", "Responsible Party")):
            break


def _other_ids(record: TrialRecord, lines: list[str]) -> None:
    for i, line in enumerate(lines):
        if line.startswith("Other Study ID Numbers") and i + 1 < len(lines):
            for value in filter(None, (v.clean(x) for x in lines[i + 1].split("|"))):
                record.identifiers.append(Identifier(None, value))
            return
