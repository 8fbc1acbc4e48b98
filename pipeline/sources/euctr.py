"""What the EU Clinical Trials Register's text download and its protocol pages share: the field codes.

Both forms write one member-state record as fields under the register's codes ("A.3 Full title of the
trial", "E.7.2 Therapeutic exploratory (Phase II)", "F.4.2.2 In the whole clinical trial"); the text as
`code label: value` lines, the page as three-cell table rows. Each reader turns its form into `Field`s
and `record` reads them, so a code means the same in both. The codes are the register's data dictionary;
the words the fields hold ("Ongoing", "Commercial") are in pipeline.vocabulary.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from pipeline import vocabulary as v
from pipeline.criteria import split_criteria
from pipeline.record import Identifier, Intervention, Location, Outcome, ParseError, TrialRecord


@dataclass(frozen=True, slots=True)
class Field:
    code: str  # "E.3", "D.IMP", "N."; "" in the Summary block and for headings without a code
    label: str
    value: str | None  # lines kept; None where the record states nothing


EUDRACT_NUMBER = re.compile(r"\d{4}-\d{6}-\d{2}")
# values that state nothing: the register's own "not present", a sponsor's "NA", and the placeholder the corpus
# file was saved with (two values of euctr_text/ read JSON_ERROR_HERE)
NOT_STATED = frozenset(("", "information not present in eudract", "na", "n/a", "json_error_here"))
SECTIONS = frozenset(s.lower() for s in (
    "A. Protocol Information", "B. Sponsor Information", "C. Applicant Identification", "D. IMP Identification",
    "E. General Information on the Trial", "F. Population of Trial Subjects",
    "G. Investigator Networks to be involved in the Trial",
    "N. Review by the Competent Authority or Ethics Committee in the country concerned", "P. End of Trial",
    "Summary", "MedDRA Classification"))
_LINE = re.compile(
    r"^(?P<code>[A-Z]\.(?:[A-Z][A-Za-z]*|\d+(?:\.\d+)*)?(?:\s+(?:and|to)\s+[A-Z]\.\d+(?:\.\d+)*)?)"
    r"(?:[ \t]+|(?=:))(?P<label>[^:?]*?)(?:\s*\((?P<lang>[a-z]{2})\))?\s*(?:(?P<sep>[:?])[ \t]*(?P<value>.*))?$")
_LETTER_ONLY = re.compile(r"^[A-Z]\.$")
_SPONSOR = re.compile(r"^Sponsor (\d+)$")  # the text form of the page's "B.Sponsor: 1"

SUMMARY_NUMBER, SUMMARY_STATUS = "EudraCT Number", "Trial Status"
SUMMARY_ENTERED = "Date on which this record was first entered in the EudraCT database"
SUMMARY_RESULTS = "Trial results"
END_OF_TRIAL_STATUS, GLOBAL_END = ("P.", "End of Trial Status"), ("P.", "Date of the global end of the trial")
# Codes read into the record (the register's data dictionary)
ID_TYPES = {"A.2": "EUDRACT_NUMBER", "A.4.1": "ORG_STUDY_ID", "A.5.1": "REGISTRY", "A.5.2": "REGISTRY",
            "A.5.3": "OTHER", "A.5.4": "OTHER"}  # A.5.1 ISRCTN, A.5.2 US NCT number, A.5.3 WHO UTN, A.5.4 others
PHASES = {"E.7.1": "PHASE1", "E.7.2": "PHASE2", "E.7.3": "PHASE3", "E.7.4": "PHASE4"}
CONTROLLED, RANDOMISED = "E.8.1", "E.8.1.1"
THERAPEUTIC_AREA, MEDDRA_TERM = "E.1.1.2", ("E.1.2", "Term")
MASKING = {"E.8.1.2": "NONE", "E.8.1.3": "SINGLE", "E.8.1.4": "DOUBLE"}
MODEL = {"E.8.1.5": "PARALLEL", "E.8.1.6": "CROSSOVER"}
PURPOSE = {"E.6.1": "DIAGNOSTIC", "E.6.2": "PREVENTION", "E.6.3": "TREATMENT"}
# F.1 age bands, youngest first: (code, lowest age, highest age); in utero has no age, the elderly no upper bound
AGE_BANDS = (("F.1.1.1", None, None), ("F.1.1.2", "0 Days", "27 Days"), ("F.1.1.3", "0 Days", "27 Days"),
             ("F.1.1.4", "28 Days", "23 Months"), ("F.1.1.5", "2 Years", "11 Years"),
             ("F.1.1.6", "12 Years", "17 Years"), ("F.1.2", "18 Years", "64 Years"), ("F.1.3", "65 Years", None))
UNDER_18 = "F.1.1"
FIRST_THIRD_COUNTRY, OUTSIDE_EEA = "H.4.1", "E.8.6.3"  # a third-country record's country; sites outside the EEA
# an IMP's names by code, the first stated being its name, with the label an ICTRP export gives each (who_dataset)
IMP_NAMES = {"D.3.1": "Product Name", "D.2.1.1.1": "Trade Name", "D.3.2": "Product Code",
             "D.3.8": "INN or Proposed INN", "D.3.9.3": "Other descriptive name"}


def stated(text: str | None) -> str | None:
    """The value's lines, trimmed, or None when it states nothing."""
    if text is None:
        return None
    lines = [" ".join(line.split()) for line in text.splitlines()]
    value = "\n".join(line for line in lines if line)
    return None if value.lower() in NOT_STATED else value


def parse_line(line: str) -> tuple[Field, str | None] | None:
    """A coded line → (field, its language when a translation like "(es)"), or None when the line is not one.

    A letter-only code ("N.", "P.") is taken only with a colon, or as a known section heading, so a criterion
    line that opens with "B. " stays part of the text it continues. Its white space is folded first, as values are
    (stated): _LINE's lazy label tried before each space of a long run took time growing with the run's square."""
    line = " ".join(line.split())
    sponsor = _SPONSOR.match(line)
    if sponsor:
        return Field("B.Sponsor", "", sponsor[1]), None
    if line.lower() in SECTIONS:
        return Field("", line, None), None
    m = _LINE.match(line)
    if not m or (_LETTER_ONLY.match(m["code"]) and (m["sep"] is None or m["code"] not in ("N.", "P."))):
        return None
    value = m["value"] if m["sep"] else None
    return Field(m["code"], " ".join(m["label"].split()), value), m["lang"]


class _Fields:
    """A record's fields by code (and by label in the Summary block)."""

    def __init__(self, fields: list[Field]) -> None:
        self.fields = fields
        self.by_code: dict[str, str | None] = {}
        for f in fields:
            key = f.code or f.label
            if self.by_code.get(key) is None:
                self.by_code[key] = stated(f.value)

    def get(self, key: str) -> str | None:
        return self.by_code.get(key)

    def all(self, code: str) -> list[str]:
        return [value for f in self.fields if f.code == code and (value := stated(f.value))]

    def labelled(self, code: str, label: str) -> str | None:
        """The value of a code the register gives several fields ("N.", "P."), picked by its label."""
        return next(iter(self.all_labelled(code, label)), None)

    def all_labelled(self, code: str, label: str) -> list[str]:
        return [value for f in self.fields if f.code == code and f.label == label and (value := stated(f.value))]

    def yes(self, code: str) -> bool | None:
        return v.yes_no(self.get(code))

    def the_one_yes(self, codes: dict[str, str]) -> str | None:
        """The word of the one code answered Yes; None when none or several are."""
        chosen = [word for code, word in codes.items() if self.yes(code)]
        return chosen[0] if len(chosen) == 1 else None


def allocation(randomised: bool | None, controlled: bool | None) -> str | None:
    """Randomised → RANDOMIZED; not randomised but controlled (against a comparator: two groups or more) →
    NON_RANDOMIZED; else null: "Randomised: No" alone does not tell a non-randomised comparison from one arm (NA)."""
    if randomised:
        return "RANDOMIZED"
    return "NON_RANDOMIZED" if randomised is False and controlled else None


def record(fields: list[Field], source_format: str) -> TrialRecord:
    """One member-state record's fields → its TrialRecord (trial id `EUCTR` + EudraCT number)."""
    f = _Fields(fields)
    number = f.get("A.2") or f.get(SUMMARY_NUMBER)
    if not number or not EUDRACT_NUMBER.fullmatch(number):
        raise ParseError(f"{source_format}: no EudraCT number (A.2) in the record")
    r = TrialRecord(f"EUCTR{number}", registry="EUCTR")
    r.official_title, r.brief_title, r.acronym = (v.clean(f.get(code)) for code in ("A.3", "A.3.1", "A.3.2"))
    sponsors = [v.clean(name) for name in f.all("B.1.1")]
    r.lead_sponsor, r.collaborators = (sponsors[0], sponsors[1:]) if sponsors else (None, [])
    r.sponsor_class = v.registry_word(v.EUCTR_SPONSOR_CLASS, f.get("B.3.1 and B.3.2"))[0]
    status = f.labelled(*END_OF_TRIAL_STATUS) or f.get(SUMMARY_STATUS)
    r.overall_status, r.overall_status_raw = v.registry_word(v.EUCTR_STATUS, status)
    # the register holds interventional trials of medicinal products only (Directive 2001/20/EC)
    r.study_type = "INTERVENTIONAL"
    r.phases = [phase for code, phase in PHASES.items() if f.yes(code)]
    r.allocation, r.masking = allocation(f.yes(RANDOMISED), f.yes(CONTROLLED)), f.the_one_yes(MASKING)
    r.intervention_model, r.primary_purpose = f.the_one_yes(MODEL), f.the_one_yes(PURPOSE)
    r.enrollment = _enrollment(f)
    r.enrollment_type = "ESTIMATED" if r.enrollment is not None else None  # F.4 is the planned number
    r.minimum_age, r.maximum_age = ages(f.yes)
    female, male = f.yes("F.2.1"), f.yes("F.2.2")
    r.sex = {(True, True): "ALL", (True, False): "FEMALE", (False, True): "MALE"}.get((female, male))
    r.healthy_volunteers = f.yes("F.3.1")
    r.registration_date = v.parse_date(f.get(SUMMARY_ENTERED))
    r.completion_date = v.parse_date(f.labelled(*GLOBAL_END))
    if any(fd.label == SUMMARY_RESULTS for fd in fields):
        results = f.get(SUMMARY_RESULTS)
        r.has_results = True if results == "View results" else False if results is None else None
    r.conditions = [v.clean(condition) for condition in f.all("E.1.1")]
    # the register's classifications of the condition: its MeSH therapeutic area (E.1.1.2) and MedDRA terms (E.1.2)
    r.keywords = list(dict.fromkeys(v.clean(term) for term in f.all(THERAPEUTIC_AREA) + f.all_labelled(*MEDDRA_TERM)))
    r.interventions = _interventions(fields)
    for kind, code in (("Inclusion", "E.3"), ("Exclusion", "E.4")):
        r.eligibility_criteria += split_criteria(f"{kind} Criteria:\n{f.get(code)}") if f.get(code) else []
    r.outcomes = [Outcome(kind, v.clean(measure), v.clean(f.get(f"{code}.1")))
                  for kind, code in (("PRIMARY", "E.5.1"), ("SECONDARY", "E.5.2")) for measure in f.all(code)]
    r.identifiers = [Identifier(kind, v.clean(value)) for code, kind in ID_TYPES.items() for value in f.all(code)]
    member_state = f.get("A.1") or f.get("National Competent Authority")
    countries = [member_state.split(" - ")[0]] if member_state else []
    countries += [v.clean(c) for value in f.all(FIRST_THIRD_COUNTRY) + f.all(OUTSIDE_EEA) for c in value.splitlines()]
    r.locations = [Location(country=c) for c in dict.fromkeys(countries)]
    return r


def _enrollment(f: _Fields) -> int | None:
    """The whole trial's planned number (F.4.2.2); a member state's own (F.4.1) only for a one-state trial."""
    whole = f.get("F.4.2.2")
    one_state = f.yes("E.8.5") is False and not f.yes("E.8.6.1") and not f.yes("E.8.6.2")
    number = whole if whole is not None else f.get("F.4.1") if one_state else None
    return v.stated_count(number)


def ages(yes: Callable[[str], bool | None]) -> tuple[str | None, str | None]:
    """The F.1 bands answered Yes (`yes`: a band's code → its answer) bound the ages, each bound only when every band
    beyond it is answered No."""
    under_18 = yes(UNDER_18)

    def answer(code: str) -> bool | None:  # "subjects under 18: No" answers the bands under 18
        stated_ = yes(code)
        return False if stated_ is None and under_18 is False and code.startswith(f"{UNDER_18}.") else stated_

    answers = [answer(code) for code, _, _ in AGE_BANDS]
    chosen = [i for i, answer in enumerate(answers) if answer]
    if not chosen:
        return None, None
    low, high = chosen[0], chosen[-1]
    minimum = AGE_BANDS[low][1] if all(a is False for a in answers[:low]) else None
    maximum = AGE_BANDS[high][2] if all(a is False for a in answers[high + 1:]) else None
    return minimum, maximum


def _interventions(fields: list[Field]) -> list[Intervention]:
    """One intervention per IMP (section D, each opened by "D.IMP: n"), and the placebo when D.8.1 says one is used."""
    imps: list[dict[str, list[str]]] = []
    placebo = False
    for fd in fields:
        value = stated(fd.value)
        if fd.code == "D.IMP":
            imps.append({})
        elif fd.code in IMP_NAMES and value and imps:
            imps[-1].setdefault(fd.code, []).append(v.clean(value))
        elif fd.code == "D.8.1" and v.yes_no(value):
            placebo = True
    interventions = []
    for imp in imps:
        names = list(dict.fromkeys(n for code in IMP_NAMES for n in imp.get(code, [])))
        if names:
            interventions.append(Intervention(None, names[0], other_names=names[1:]))
    return interventions + ([Intervention(None, "Placebo")] if placebo else [])
