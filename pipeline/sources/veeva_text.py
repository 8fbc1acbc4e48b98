"""ClinicalTrials.Veeva study pages (saved as text or HTML) → TrialRecord.

The page is a run of headed sections ("Status and phase", "Conditions", "Enrollment", …); the
reader cuts the text at the headings it knows and hands each section to its handler (a table,
not a chain of ifs). Veeva mirrors ClinicalTrials.gov, so ids are NCT ids. What the page leaves
unsaid stays None.
"""
from __future__ import annotations

import re

from pipeline import vocabulary as v
from pipeline.criteria import split_criteria
from pipeline.record import ArmGroup, Identifier, Intervention, ParseError, TrialRecord
from pipeline.sources.html import html_to_text, looks_like_html

FORMAT = "veeva_text"
_NCT = re.compile(r"\bNCT\d{8}\b")
_TYPED = re.compile(r"^([A-Za-z /]+):\s*(.+)$")
_AGES = re.compile(
    r"^(?:up to\s+|under\s+)?(?:(?P<lo>\d+(?:\.\d+)?)\s*(?P<lo_unit>[a-z]+)?\s*(?:to|-|–)\s*)?(?P<hi>\d+(?:\.\d+)?)\+?\s*(?P<unit>[a-z]+)"
    r"(?:\s+old)?$", re.IGNORECASE)
_GROUPS = re.compile(r"^\d+ participants in \d+ patient groups?", re.IGNORECASE)
HEADINGS = (
    "Status and phase", "Conditions", "Treatments", "Study type", "Funder types", "Identifiers",
    "Details and patient eligibility", "About", "Full description", "Enrollment", "Sex", "Ages", "Volunteers",
    "Inclusion criteria", "Exclusion criteria", "Trial design", "Primary purpose", "Allocation",
    "Interventional model", "Masking", "Observational model", "Time perspective", "Trial contacts and locations",
    "Sponsor", "Collaborators", "Data sourced from clinicaltrials.gov",
)


def recognises(text: str) -> bool:
    head = text[:4000]
    if looks_like_html(head):
        head = html_to_text(text)[:4000]
    return "ClinicalTrials.Veeva" in head and ("Status and phase" in head or "Details and patient eligibility" in head)


def _lines(block: list[str]) -> list[str]:
    return [line.strip() for line in block if line.strip()]


def _sections(lines: list[str]) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {"_top": []}
    current = "_top"
    for line in lines:
        if line.strip() in HEADINGS and line.strip() not in sections:
            current = line.strip()
            sections[current] = []
        else:
            sections[current].append(line)
    return sections


def _status_and_phase(record: TrialRecord, lines: list[str]) -> None:
    for line in _lines(lines):
        found = v.phases(line)
        if found:
            record.phases = sorted(set(record.phases) | set(found), key=v.PHASE_ORDER.index)
        elif record.overall_status is None:
            record.overall_status = v.lookup(v.STATUS, line)


def _treatments(record: TrialRecord, lines: list[str]) -> None:
    for line in _lines(lines):
        m = _TYPED.match(line)
        kind, name = (m[1], m[2]) if m else (None, line)
        record.interventions.append(Intervention(v.lookup(v.INTERVENTION_TYPE, kind), v.clean(name)))


def _identifiers(record: TrialRecord, lines: list[str]) -> None:
    for line in _lines(lines):
        if not _NCT.fullmatch(line):
            record.identifiers.append(Identifier(None, line))


def _enrollment(record: TrialRecord, lines: list[str]) -> None:
    text = " ".join(_lines(lines))
    m = re.search(r"(\d[\d,]*)\s*(estimated|actual)?", text, re.IGNORECASE)
    if m and (count := v.written_count(m[1])) is not None:  # (not 25 digits: no count)
        record.enrollment = count
        # Veeva writes "50 estimated patients" for an estimate and a bare "103 patients" for an actual count.
        record.enrollment_type = v.lookup(v.ENROLLMENT_TYPE, m[2] or "Actual")


def _ages(record: TrialRecord, lines: list[str]) -> None:
    text = " ".join(_lines(lines))
    m = _AGES.match(text)
    if not m:
        return
    unit = m["unit"]
    if m["lo"] is not None:
        record.minimum_age = v.age_text(f"{m['lo']} {m['lo_unit'] or unit}")
        record.maximum_age = v.age_text(f"{m['hi']} {unit}")
    elif "+" in text:
        record.minimum_age = v.age_text(f"{m['hi']} {unit}")
    elif re.match(r"(up to|under)", text, re.IGNORECASE):
        record.maximum_age = v.age_text(f"{m['hi']} {unit}")


def _masking(record: TrialRecord, lines: list[str]) -> None:
    record.masking, record.who_masked = v.masking(" ".join(_lines(lines)))


def _arms(record: TrialRecord, lines: list[str]) -> None:
    """Arm blocks after "N participants in K patient groups": label, "<type> group", Description:, Treatment:."""
    lines = _lines(lines)
    start = next((i for i, line in enumerate(lines) if _GROUPS.match(line)), None)
    if start is None:
        return
    lines = lines[start + 1:]
    i = 0
    while i + 1 < len(lines):
        if not lines[i + 1].lower().endswith(" group"):
            i += 1
            continue
        arm = ArmGroup(v.clean(lines[i]), v.lookup(v.ARM_TYPE, lines[i + 1][: -len(" group")]))
        i += 2
        mode = None
        while i < len(lines) and not (i + 1 < len(lines) and lines[i + 1].lower().endswith(" group")):
            line = lines[i]
            if line in ("Description:", "Treatment:", "Treatments:"):
                mode = line
            elif mode == "Description:":
                arm.description = v.clean(f"{arm.description or ''} {line}")
            elif mode in ("Treatment:", "Treatments:"):
                m = _TYPED.match(line)
                arm.intervention_names.append(v.clean(m[2] if m else line))
            i += 1
        record.arm_groups.append(arm)


def _scalar(field: str, table: dict[str, str] | None = None):
    def handle(record: TrialRecord, lines: list[str]) -> None:
        text = v.clean(" ".join(_lines(lines)))
        setattr(record, field, v.lookup(table, text) if table is not None else text)
    return handle


def _list(field: str):
    def handle(record: TrialRecord, lines: list[str]) -> None:
        getattr(record, field).extend(v.clean(line) for line in _lines(lines))
    return handle


def _volunteers(record: TrialRecord, lines: list[str]) -> None:
    record.healthy_volunteers = v.yes_no(" ".join(_lines(lines)))


def _paragraphs(field: str):
    def handle(record: TrialRecord, lines: list[str]) -> None:
        setattr(record, field, v.clean(" ".join(lines)))
    return handle


def _criteria(heading: str):
    def handle(record: TrialRecord, lines: list[str]) -> None:
        record.eligibility_criteria.extend(split_criteria(f"{heading}:\n" + "\n".join(lines)))
    return handle


def _sponsor_class(record: TrialRecord, lines: list[str]) -> None:
    first = next(iter(_lines(lines)), None)
    record.sponsor_class = v.lookup(v.SPONSOR_CLASS, first)


HANDLERS = {
    "Status and phase": _status_and_phase,
    "Conditions": _list("conditions"),
    "Treatments": _treatments,
    "Study type": _scalar("study_type", v.STUDY_TYPE),
    "Funder types": _sponsor_class,
    "Identifiers": _identifiers,
    "About": _paragraphs("brief_summary"),
    "Full description": _paragraphs("detailed_description"),
    "Enrollment": _enrollment,
    "Sex": _scalar("sex", v.SEX),
    "Ages": _ages,
    "Volunteers": _volunteers,
    "Inclusion criteria": _criteria("Inclusion Criteria"),
    "Exclusion criteria": _criteria("Exclusion Criteria"),
    "Primary purpose": _scalar("primary_purpose", v.PRIMARY_PURPOSE),
    "Allocation": _scalar("allocation", v.ALLOCATION),
    "Interventional model": _scalar("intervention_model", v.INTERVENTION_MODEL),
    "Observational model": _scalar("observational_model", v.OBSERVATIONAL_MODEL),
    "Time perspective": _scalar("time_perspective", v.TIME_PERSPECTIVE),
    "Masking": _masking,
    "Collaborators": _list("collaborators"),
}


def parse(text: str) -> list[TrialRecord]:
    if looks_like_html(text):
        text = html_to_text(text)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    sections = _sections(lines)
    ids = _NCT.findall("\n".join(sections.get("Identifiers", []))) or _NCT.findall(text)
    if not ids:
        raise ParseError("veeva_text: no trial id")
    record = TrialRecord(ids[0])
    top = _lines(sections["_top"])
    if "Menu" in top:
        after = top[top.index("Menu") + 1:]
        record.brief_title = v.clean(after[0]) if after else None
        # the sponsor follows a one-letter avatar line under the title
        if len(after) >= 3 and len(after[1]) == 1:
            record.lead_sponsor = v.clean(after[2])
    if "Trial design" in sections:  # the design sub-headings are their own sections; the arms trail "Masking"
        _arms(record, sections.get("Masking", []) + sections.get("Time perspective", []))
        sections["Masking"] = [line for line in sections.get("Masking", [])[:3] if line.strip()][:1]
    for heading, handler in HANDLERS.items():
        if heading in sections:
            handler(record, sections[heading])
    return [record]
