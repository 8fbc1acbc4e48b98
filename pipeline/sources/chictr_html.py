"""A ChiCTR study page (saved HTML, bilingual) → TrialRecord.

Every field is a label cell followed by its value cell; labels come in Chinese (`class="cn"`) and English
(`class="en"`), sometimes in one cell, sometimes in rows of their own. The reader lists (section, label,
value) in page order, the English label and value where the page has them, the Chinese otherwise (the
group sample size has only a Chinese label). Repeated blocks (groups, sites, outcomes) are cut where a
label comes round again. What the page leaves empty stays None.
"""
from __future__ import annotations

import re
import string
from dataclasses import dataclass

from pipeline import vocabulary as v
from pipeline.criteria import split_criteria
from pipeline.record import ArmGroup, Identifier, Intervention, Location, Outcome, ParseError, TrialRecord
from pipeline.sources.html import looks_like_html, parsed

FORMAT = "chictr_html"
_TRIAL_ID = re.compile(r"ChiCTR([-A-Za-z0-9]*)")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_COLONS = "：:"
_LABELS_WITHOUT_COLON = frozenset(("Inclusion criteria", "Min age", "Max age"))
_ID_LABELS = {"ORG_STUDY_ID": "Study subject ID",
              "REGISTRY": "The registration number of the Partner Registry or other register"}
_FROM_TO = re.compile(r"From\s+(?P<start>\S+)(?:\s+\S+)?\s+To\s+(?P<end>\S+)")


@dataclass(frozen=True, slots=True)
class _Pair:
    section: str  # the label of the page's left-hand cell above it ("Interventions"), or its own
    label: str
    value: str | None


def recognises(text: str) -> bool:
    head = text[:200000]
    return looks_like_html(head) and "Registration number" in head and "注册号" in head and "ChiCTR" in head


def _text(node, skip_chinese: bool) -> str:
    """The node's text, lines kept, leaving out `class="cn"` elements when asked."""
    parts: list[str] = []
    stack = list(node.iter(include_text=True))[::-1]  # (a stack: a cell 1,000 elements deep ran out of recursion)
    while stack:
        child = stack.pop()
        if child.tag == "-text":
            parts.append(child.text_content or "")
        elif not (skip_chinese and "cn" in (child.attributes.get("class") or "").split()):
            stack += list(child.iter(include_text=True))[::-1]
    lines = (" ".join(line.split()) for line in "".join(parts).splitlines())
    return "\n".join(line for line in lines if line)


def _label(cell) -> str | None:
    english = " ".join(_text(cell, skip_chinese=True).split())
    label = english or " ".join(_text(cell, skip_chinese=False).split())
    if label in _LABELS_WITHOUT_COLON:
        return label
    return (label.rstrip(_COLONS).strip() or None) if label[-1:] in _COLONS else None


def _value(cell) -> str | None:
    return _text(cell, skip_chinese=True) or _text(cell, skip_chinese=False) or None


def _pairs(html: str) -> list[_Pair]:
    tree = parsed(_BREAK.sub("\n", html))
    pairs: list[_Pair] = []
    section = ""
    for cell in tree.css("td"):
        if cell.css_first("table") is not None:
            continue  # a cell holding a table: its own cells are the fields
        label = _label(cell)
        if label is None:
            continue
        if "left_title" in (cell.attributes.get("class") or "").split():
            section = label
        value_cell = cell.next
        while value_cell is not None and value_cell.tag != "td":
            value_cell = value_cell.next
        pairs.append(_Pair(section, label, _value(value_cell) if value_cell is not None else None))
    return pairs


def _blocks(pairs: list[_Pair], section: str) -> list[dict[str, str | None]]:
    """A section's repeated blocks: a label seen again in the open block opens the next."""
    blocks: list[dict[str, str | None]] = []
    for pair in pairs:
        if pair.section != section or pair.label == section:
            continue
        if not blocks or pair.label in blocks[-1]:
            blocks.append({})
        blocks[-1][pair.label] = pair.value
    return blocks


def _first(pairs: list[_Pair], label: str) -> str | None:
    return next((p.value for p in pairs if p.label == label and p.value), None)


def _trial_id(value: str) -> str | None:
    """The first "ChiCTR…" with a digit in the letters, digits and hyphens after it, up to its last digit (a pattern
    backtracking to that digit, tried from each "ChiCTR" of a run, took time growing with the run's square)."""
    for m in _TRIAL_ID.finditer(value):
        if number := m[1].rstrip(string.ascii_letters + "-"):
            return "ChiCTR" + number
    return None


def parse(text: str) -> list[TrialRecord]:
    if not looks_like_html(text):
        raise ParseError(f"{FORMAT}: not an HTML page")
    pairs = _pairs(text)
    trial_id = _trial_id(_first(pairs, "Registration number") or "")
    if not trial_id:
        raise ParseError(f"{FORMAT}: no registration number (ChiCTR…)")
    r = TrialRecord(trial_id, registry="CHICTR")

    def one(label: str) -> str | None:
        return v.clean(_first(pairs, label))

    r.brief_title, r.official_title, r.acronym = one("Public title"), one("Scientific title"), one("English Acronym")
    r.last_update_posted_date = v.parse_date(one("Date of Last Refreshed on"))
    r.registration_date = v.parse_date(one("Date of Registration"))
    r.lead_sponsor = one("Primary sponsor")
    sponsors = [v.clean(b.get("Institution hospital")) for b in _blocks(pairs, "Secondary sponsor")]
    r.collaborators = [c for c in dict.fromkeys([*sponsors, one("Source(s) of funding")]) if c and c != r.lead_sponsor]
    r.identifiers = [Identifier(kind, value) for kind, label in _ID_LABELS.items() if (value := one(label))]
    r.conditions = [c for c in [one("Target disease")] if c]
    r.study_type, r.study_type_raw = v.registry_word(v.CHICTR_STUDY_TYPE, one("Study type"))
    phase = v.registry_word(v.CHICTR_PHASE, one("Study phase"))[0]
    r.phases, r.phases_raw = v.study_phases(r.study_type, [phase] if phase else [], one("Study phase"))
    r.allocation, r.intervention_model = v.CHICTR_DESIGN.get(one("研究设计") or "", (None, None))
    r.intervention_model = r.intervention_model or v.registry_word(v.INTERVENTION_MODEL, one("Study design"))[0]
    r.masking = v.registry_word(v.MASKING, one("Blinding"))[0]
    r.overall_status, r.overall_status_raw = v.registry_word(v.STATUS, one("Recruiting status"))
    r.sex = v.registry_word(v.SEX, one("Gender"))[0]
    r.minimum_age, r.maximum_age = v.stated_ages(*(v.age_text(f"{age} years") if (age := one(label)) else None
                                                   for label in ("Min age", "Max age")))
    for label, attribute in (("Recruiting time", "start_date"), ("Study execute time", "completion_date")):
        span = _FROM_TO.search(one(label) or "")
        if span:  # recruiting opens on the first enrolment; the study's execution ends at its completion
            setattr(r, attribute, v.parse_date(span["start"] if attribute == "start_date" else span["end"]))
    for kind, label in (("Inclusion", "Inclusion criteria"), ("Exclusion", "Exclusion criteria")):
        if (criteria := _first(pairs, label)):
            r.eligibility_criteria += split_criteria(f"{kind} Criteria:\n{criteria}")
    _groups(r, _blocks(pairs, "Interventions"))
    r.locations = [Location(facility=v.clean(b.get("Institution hospital")), city=v.clean(b.get("City")),
                            state=v.clean(b.get("Province")), country=v.clean(b.get("Country")))
                   for b in _blocks(pairs, "Countries of recruitment and research settings")]
    r.outcomes = [Outcome(v.registry_word(v.CHICTR_OUTCOME_TYPE, b.get("Type"))[0], measure,
                          v.clean(b.get("Measure time point of outcome")), v.clean(b.get("Measure method")))
                  for b in _blocks(pairs, "Outcomes") if (measure := v.clean(b.get("Outcome")))]
    return [r]


def _groups(r: TrialRecord, blocks: list[dict[str, str | None]]) -> None:
    """Each group is an arm with its intervention; the groups' sample sizes add up to the target size."""
    sizes = []
    for block in blocks:
        label, name = v.clean(block.get("Group")), v.clean(block.get("Intervention"))
        if name:
            r.interventions.append(Intervention(None, name))
        if label:
            r.arm_groups.append(ArmGroup(label, intervention_names=[name] if name else []))
        sizes.append(v.clean(block.get("样本量") or block.get("Sample size")))
    counts = [v.stated_count(s) for s in sizes]
    if counts and None not in counts:
        r.enrollment, r.enrollment_type = sum(counts), "ESTIMATED"  # ChiCTR states target sizes
