"""ClinicalTrials.gov Archive history view ("View of NCT… on 2013_06_04", saved as HTML) → TrialRecord.

The page is one two-column table: a <th> label and its <td> value, long texts in the next row.
Labels map to handlers through one table. The snapshot's date ("View of NCT… on 2013_06_04") is the
version's date (version_date); its "Updated:" date, the same day, is taken as last_update_posted_date; "Last follow-up date" is the completion date. The
"Study design" rows are bare values (Treatment, Randomized, …), each placed by the vocabulary it
belongs to.
"""
from __future__ import annotations

import re

from pipeline import vocabulary as v
from pipeline.criteria import split_criteria
from pipeline.record import ArmGroup, Identifier, Intervention, Outcome, ParseError, TrialRecord
from pipeline.sources.html import parsed

FORMAT = "ctgov_archive"
_NCT = re.compile(r"(NCT\d{8})")
_DATE_KIND = re.compile(r"\((\w+)\)")
_VIEW = re.compile(r"View of (NCT\d{8}) on\s+(\d{4}_\d{2}_\d{2})")
_INTERVENTION = re.compile(r"^(?P<type>[A-Za-z /]+?):\s*(?P<name>.+?)(?:\s{2,}|$)(?P<rest>.*)$", re.S)
_DESIGN_TABLES = (("allocation", v.ALLOCATION), ("intervention_model", v.INTERVENTION_MODEL),
                  ("primary_purpose", v.PRIMARY_PURPOSE), ("observational_model", v.OBSERVATIONAL_MODEL),
                  ("time_perspective", v.TIME_PERSPECTIVE))


def recognises(text: str) -> bool:
    """The Archive's heading or its "View of NCT… on …" line in the first 5,000 characters (looked for as words
    first: one regex of both took 18 µs of every page's detection, against 2)."""
    head = text[:5000]
    return "ClinicalTrials.gov Archive" in head or "View of NCT" in head and _VIEW.search(head) is not None


def _set(field: str, table: dict[str, str] | None = None, convert=None):
    def handle(record: TrialRecord, value: str) -> None:
        text = v.clean(value)
        if convert is not None:
            text = convert(text)
        elif table is not None:
            text = v.lookup(table, text)
        setattr(record, field, text)
    return handle


def place_design(record: TrialRecord, value: str) -> None:
    """One bare "Study design" value (Treatment, Randomized, Double Blind (…), …) into the field whose vocabulary has it."""
    text = v.clean(value)
    if not text:
        return
    if "blind" in text.lower() or "open label" in text.lower() or text.lower().startswith("none"):
        record.masking, record.who_masked = v.masking(text)
        return
    key = (v.lookup({}, text) or "").lower()  # None for punctuation alone
    if key in ("", "other"):  # names a value of several vocabularies (purpose, model, perspective): ambiguous
        return
    for field, table in _DESIGN_TABLES:
        if key in table and getattr(record, field) is None:
            setattr(record, field, table[key])
            return


def _dated(field: str):
    """A date and the type the page states after it: "2010-10 (Actual)", "(Anticipated)"."""
    def handle(record: TrialRecord, value: str) -> None:
        text = v.clean(value) or ""
        setattr(record, field, v.parse_date(text))
        setattr(record, f"{field}_type", v.lookup(v.DATE_TYPE, kind[1]) if (kind := _DATE_KIND.search(text)) else None)
    return handle


def _phases(record: TrialRecord, value: str) -> None:
    """A page lists "Phase 1" and "Phase 2" in separate rows."""
    found = set(record.phases) | set(v.phases(value))
    record.phases = [p for p in v.PHASE_ORDER if p in found]


def _outcome(kind: str):
    def handle(record: TrialRecord, value: str) -> None:
        if (measure := _measure(value)) and v.clean(measure[0]):
            record.outcomes.append(Outcome(kind, v.clean(measure[0]), v.clean(measure[1])))
    return handle


def _measure(value: str) -> tuple[str, str | None] | None:
    """(measure, time frame) of "Measure: … Time Frame: … Safety Issue? …", by partition: a lazy pattern's runs
    before optional white space took time growing with the cube of a run of spaces in the measure."""
    _, found, text = value.partition("Measure:")
    if not found:
        return None
    measure, found, time = text.partition("Safety Issue?")[0].partition("Time Frame:")
    return measure, time if found else None


def _arm(record: TrialRecord, value: str) -> None:
    """The label's block ("Arm Label: <label>", then the arm type) and, after a blank line, the description.
    Observational groups leave the type line empty, so the block alone says where the type is."""
    block, _, description = value.replace("\xa0", " ").strip().partition("\n\n")
    lines = [line for line in (v.clean(x) for x in block.split("\n")) if line]
    if lines and lines[0].startswith("Arm Label:"):
        record.arm_groups.append(ArmGroup(v.clean(lines[0][len("Arm Label:"):]),
                                          v.lookup(v.ARM_TYPE, " ".join(lines[1:])), v.clean(description)))


def _intervention(record: TrialRecord, value: str) -> None:
    m = _INTERVENTION.match(value.replace("\xa0", " ").strip())
    if not m:
        return
    labels = re.findall(r"Arm Label:\s*([^\n]+)", m["rest"])
    description = v.clean(re.sub(r"Arm Label:\s*[^\n]+", "", m["rest"]))
    item = Intervention(v.lookup(v.INTERVENTION_TYPE, m["type"]), v.clean(m["name"]), description,
                        [v.clean(label) for label in labels])
    record.interventions.append(item)
    for arm in record.arm_groups:
        if arm.label in item.arm_group_labels:
            arm.intervention_names.append(item.name)


def _append(field: str):
    def handle(record: TrialRecord, value: str) -> None:
        text = v.clean(value)
        if text:
            getattr(record, field).append(text)
    return handle


def _unqualified(value: str) -> str:
    """An identifier without the parenthesis that closes its last line ("2004-P-001727 (Partners)"), cut at that line's
    first "(" (a pattern trying each "(" in turn took time growing with the square of a run of them)."""
    value = value.rstrip()
    start = value.find("(", value.rfind("\n") + 1)
    return value[:start] if value.endswith(")") and start >= 0 else value


def _identifier(id_type: str):
    def handle(record: TrialRecord, value: str) -> None:
        text = v.clean(_unqualified(value))
        if text:
            record.identifiers.append(Identifier(id_type, text))
    return handle


def _expected_enrollment(record: TrialRecord, value: str) -> None:
    count = v.stated_count(v.clean(value))
    if count is not None:
        record.enrollment, record.enrollment_type = count, v.lookup(v.ENROLLMENT_TYPE, "Expected")


def _criteria(record: TrialRecord, value: str) -> None:
    record.eligibility_criteria = split_criteria(value)


LABELS = {
    "Brief title": _set("brief_title"),
    "Official title": _set("official_title"),
    "Acronym": _set("acronym"),
    "Brief summary": _set("brief_summary"),
    "Detailed description": _set("detailed_description"),
    "Phase": _phases,
    "Study type": _set("study_type", v.STUDY_TYPE),
    "Study design": place_design,
    "Primary outcome": _outcome("PRIMARY"),
    "Secondary outcome": _outcome("SECONDARY"),
    "Other outcome": _outcome("OTHER"),
    "Condition": _append("conditions"),
    "Keyword": _append("keywords"),
    "Arm/Group": _arm,
    "Intervention": _intervention,
    "Status": _set("overall_status", v.STATUS),
    "Start date": _dated("start_date"),
    "Primary completion date": _dated("primary_completion_date"),
    "Last follow-up date": _dated("completion_date"),
    "Criteria": _criteria,
    "Gender": _set("sex", v.SEX),
    "Minimum age": _set("minimum_age", convert=v.age_text),
    "Maximum age": _set("maximum_age", convert=v.age_text),
    "Healthy volunteers": _set("healthy_volunteers", convert=v.yes_no),
    "Expected enrollment": _expected_enrollment,
    "Organization study ID": _identifier("ORG_STUDY_ID"),
    "Secondary ID": _identifier("SECONDARY_ID"),
    "Sponsor": _set("lead_sponsor"),
    "Collaborator": _append("collaborators"),
    "Updated:": _set("last_update_posted_date", convert=v.parse_date),
}


def _rows(html: str):
    """(label, value text) for each labelled row; a value in the following unlabelled row is joined to it."""
    rows = parsed(html).css("table.info tr")
    pending = None
    for tr in rows:
        th, td = tr.css_first("th"), tr.css_first("td")
        label = th.text(strip=True) if th else None
        if label and td is not None:
            yield label, td.text(separator="\n")
            pending = None
        elif label:
            pending = label
        elif td is not None and pending:
            yield pending, td.text(separator="\n")
            pending = None


def parse(text: str) -> list[TrialRecord]:
    view = _VIEW.search(text)
    m = view or re.search(r"View of (NCT\d{8})", text) or _NCT.search(text)
    if not m:
        raise ParseError("ctgov_archive: no NCT id")
    record = TrialRecord(m[1], version_date=v.parse_date(view[2]) if view else None)
    for label, value in _rows(text):
        handler = LABELS.get(label)
        if handler is not None:
            handler(record, value)
    return [record]
