"""Display words of every source → the contract vocabulary, ages → years, dates → DATE.

One module that every reader shares, so "Quadruple Blind" on a Veeva page, "Quadruple" in legacy XML
and QUADRUPLE in API v2 JSON all land on the same value. Vocabularies are data (synonym tables), not
chains of `if`. A word no table knows is passed through in the contract's shape (upper snake case),
so the pandera schema rejects it and the document is quarantined with the word named: nothing is
silently dropped or guessed.
"""
from __future__ import annotations

import math
import re
from datetime import date

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def _key(text: str) -> str:
    return _NON_ALNUM.sub("_", text.lower()).strip("_")


def clean(text: str | None) -> str | None:
    """Fold runs of white space to one space and trim; empty → None (the contract's text rule)."""
    if text is None:
        return None
    folded = " ".join(text.split())
    return folded or None


def stated(text: str | None, nothing: frozenset[str] | None = None) -> str | None:
    """clean(text), or None where the whole text says there is nothing (`nothing`, by default NOTHING: the 2014
    legacy XML's intervention description "N/A", which the 2023 records leave out)."""
    value = clean(text)
    return None if value is None or _key(value) in (NOTHING if nothing is None else nothing) else value


def _vocabulary(values: str) -> dict[str, str]:
    """A lookup from normalized display word to contract value: each value names itself."""
    return {_key(v): v for v in values.split()}


def _synonyms(pairs: dict[str, str]) -> dict[str, str]:
    return {_key(k): v for k, v in pairs.items()}


STATUS = _vocabulary(
    "ACTIVE_NOT_RECRUITING COMPLETED ENROLLING_BY_INVITATION NOT_YET_RECRUITING RECRUITING SUSPENDED "
    "TERMINATED WITHDRAWN AVAILABLE NO_LONGER_AVAILABLE TEMPORARILY_NOT_AVAILABLE APPROVED_FOR_MARKETING "
    "WITHHELD UNKNOWN"
) | _synonyms({"Unknown status": "UNKNOWN", "Active, not recruiting": "ACTIVE_NOT_RECRUITING",
               "Enrolling by invitation": "ENROLLING_BY_INVITATION", "Not yet recruiting": "NOT_YET_RECRUITING",
               "Temporarily not available": "TEMPORARILY_NOT_AVAILABLE", "No longer available": "NO_LONGER_AVAILABLE",
               "Approved for marketing": "APPROVED_FOR_MARKETING", "Available for expanded access": "AVAILABLE",
               "No longer recruiting": "ACTIVE_NOT_RECRUITING"})  # the registry's name for it until about 2007
STUDY_TYPE = _vocabulary("INTERVENTIONAL OBSERVATIONAL EXPANDED_ACCESS") | _synonyms({
    "Interventional (Clinical Trial)": "INTERVENTIONAL", "Observational [Patient Registry]": "OBSERVATIONAL",
    "Observational (Patient Registry)": "OBSERVATIONAL", "Patient Registry": "OBSERVATIONAL"})
ENROLLMENT_TYPE = _vocabulary("ACTUAL ESTIMATED") | _synonyms({"Anticipated": "ESTIMATED", "Estimate": "ESTIMATED",
                                                                   "Expected": "ESTIMATED"})
# Enrollments that count no one: NIH institutes' protocols without a set number wrote all nines, 999 to 99999999
# (48 records of the 2014 archive: 40 × 99999999, 2 × 9999999, 99999, 9999, 4 × 999; of the 2023 archive, most of
# them state counts such as 2500, 8 all nines again; ICTRP's copy of UMIN000039873, a COVID-19 registry, 9999; none
# typed Actual): no count, so `trials.enrollment` is null and `enrollment_raw` keeps the figure. A count of people
# enrolled (ACTUAL) is taken as stated, 999 or not.
ENROLLMENT_PLACEHOLDER = re.compile(r"9{3,}")
SEX = _vocabulary("ALL FEMALE MALE") | _synonyms({"Both": "ALL", "Female only": "FEMALE", "Male only": "MALE"})
ALLOCATION = _vocabulary("RANDOMIZED NON_RANDOMIZED NA") | _synonyms({
    "Non-Randomized": "NON_RANDOMIZED", "Nonrandomized": "NON_RANDOMIZED", "N/A": "NA", "Not Applicable": "NA",
    "Randomised": "RANDOMIZED", "Non-Randomised": "NON_RANDOMIZED",
    # ANZCTR's and DRKS's allocations, as ICTRP carries them
    "Randomised controlled trial": "RANDOMIZED", "Randomized controlled trial": "RANDOMIZED",
    "Non-randomised trial": "NON_RANDOMIZED", "Non-randomized controlled trial": "NON_RANDOMIZED"})
INTERVENTION_MODEL = _vocabulary("SINGLE_GROUP PARALLEL CROSSOVER FACTORIAL SEQUENTIAL") | _synonyms({
    "Single Group Assignment": "SINGLE_GROUP", "Single Group": "SINGLE_GROUP", "Parallel Assignment": "PARALLEL",
    "Crossover Assignment": "CROSSOVER", "Cross-over": "CROSSOVER", "Factorial Assignment": "FACTORIAL",
    "Sequential Assignment": "SEQUENTIAL"})
MASKING = _vocabulary("NONE SINGLE DOUBLE TRIPLE QUADRUPLE") | _synonyms({
    "None (Open Label)": "NONE", "Open Label": "NONE", "Open": "NONE", "No masking": "NONE",
    "Single Blind": "SINGLE", "Single-Blind": "SINGLE", "Double Blind": "DOUBLE", "Double-Blind": "DOUBLE",
    "Triple Blind": "TRIPLE", "Quadruple Blind": "QUADRUPLE", "Not blinded": "NONE", "Single blinded": "SINGLE",
    "Double blinded": "DOUBLE", "Triple blinded": "TRIPLE"})
WHO_MASKED = _vocabulary("PARTICIPANT CARE_PROVIDER INVESTIGATOR OUTCOMES_ASSESSOR") | _synonyms({
    "Subject": "PARTICIPANT", "Participants": "PARTICIPANT", "Caregiver": "CARE_PROVIDER",
    "Care Provider": "CARE_PROVIDER", "Outcomes Assessor": "OUTCOMES_ASSESSOR", "Outcome Assessor": "OUTCOMES_ASSESSOR"})
PRIMARY_PURPOSE = _vocabulary(
    "TREATMENT PREVENTION DIAGNOSTIC ECT SUPPORTIVE_CARE SCREENING HEALTH_SERVICES_RESEARCH BASIC_SCIENCE "
    "DEVICE_FEASIBILITY OTHER"
) | _synonyms({"Educational/Counseling/Training": "ECT", "Educational / Counseling / Training": "ECT"})
INTERVENTION_TYPE = _vocabulary(
    "BEHAVIORAL BIOLOGICAL COMBINATION_PRODUCT DEVICE DIAGNOSTIC_TEST DIETARY_SUPPLEMENT DRUG GENETIC PROCEDURE "
    "RADIATION OTHER"
) | _synonyms({"Procedure/Surgery": "PROCEDURE", "Biologic": "BIOLOGICAL", "Behavioural": "BEHAVIORAL",
               "Gene Transfer": "GENETIC", "Vaccine": "BIOLOGICAL",
               "Biological/Vaccine": "BIOLOGICAL"})
ARM_TYPE = _vocabulary(
    "EXPERIMENTAL ACTIVE_COMPARATOR PLACEBO_COMPARATOR SHAM_COMPARATOR NO_INTERVENTION OTHER"
) | _synonyms({"Sham Comparator": "SHAM_COMPARATOR", "No Intervention": "NO_INTERVENTION",
               "Placebo": "PLACEBO_COMPARATOR", "Active Control": "ACTIVE_COMPARATOR"})
SPONSOR_CLASS = _vocabulary("NIH FED OTHER_GOV INDIV INDUSTRY NETWORK AMBIG OTHER UNKNOWN") | _synonyms({
    "U.S. Fed": "FED", "US Fed": "FED", "Other U.S. Federal agency": "FED", "U.S. Federal agency": "FED",
    "Individual": "INDIV", "Ambiguous": "AMBIG", "Other Government": "OTHER_GOV"})
OBSERVATIONAL_MODEL = _synonyms({
    "Cohort": "COHORT", "Case-Control": "CASE_CONTROL", "Case-Only": "CASE_ONLY", "Case-Crossover": "CASE_CROSSOVER",
    "Ecologic or Community": "ECOLOGIC_OR_COMMUNITY", "Ecologic or Community Studies": "ECOLOGIC_OR_COMMUNITY",
    "Family-Based": "FAMILY_BASED", "Defined Population": "DEFINED_POPULATION",
    "Natural History": "NATURAL_HISTORY", "Case Control": "CASE_CONTROL", "Other": "OTHER"})
TIME_PERSPECTIVE = _synonyms({
    "Prospective": "PROSPECTIVE", "Retrospective": "RETROSPECTIVE", "Cross-Sectional": "CROSS_SECTIONAL",
    "Retrospective/Prospective": "OTHER", "Longitudinal": "OTHER", "Other": "OTHER"})
ID_TYPE = _synonyms({
    "Org Study ID": "ORG_STUDY_ID", "Secondary ID": "SECONDARY_ID", "NIH": "NIH", "FDA": "FDA", "VA": "VA",
    "CDC": "CDC", "AHRQ": "AHRQ", "SAMHSA": "SAMHSA", "Other Grant": "OTHER_GRANT", "EudraCT Number": "EUDRACT_NUMBER",
    "CTIS": "CTIS", "Registry": "REGISTRY", "Other": "OTHER"})

# Registries beyond ClinicalTrials.gov (read with registry_word: a word not listed has no contract word of its meaning)
EUCTR_STATUS = _synonyms({"Completed": "COMPLETED", "Prematurely Ended": "TERMINATED",
                          "Temporarily Halted": "SUSPENDED", "Suspended by CA": "SUSPENDED"})
EUCTR_SPONSOR_CLASS = _synonyms({"Commercial": "INDUSTRY"})
CHICTR_STUDY_TYPE = _synonyms({"Interventional study": "INTERVENTIONAL", "Observational study": "OBSERVATIONAL"})
CHICTR_PHASE = _synonyms({"0": "EARLY_PHASE1", "1": "PHASE1", "2": "PHASE2", "3": "PHASE3", "4": "PHASE4", "N/A": "NA"})
CHICTR_OUTCOME_TYPE = _synonyms({"Primary indicator": "PRIMARY", "Secondary indicator": "SECONDARY",
                                 "Additional indicator": "OTHER"})
# ChiCTR's design word (its Chinese form, the one that names the allocation) → (allocation, intervention_model)
CHICTR_DESIGN = {"随机平行对照": ("RANDOMIZED", "PARALLEL"), "非随机对照": ("NON_RANDOMIZED", None),
                 "单臂": ("NA", "SINGLE_GROUP")}


def lookup(table: dict[str, str], text: str | None) -> str | None:
    """Map one display word or API enum to the contract value (unknown words pass through, see above)."""
    if text is None:
        return None
    key = _key(text)
    if not key:
        return None
    return table.get(key, key.upper())


def registry_word(table: dict[str, str], text: str | None) -> tuple[str | None, str | None]:
    """(contract value, None) for a word the table lists, else (None, the word as written): a registry's own word
    ("Ongoing", "Authorised") with no contract word of the same meaning is kept beside a null, never guessed."""
    word = clean(text)
    if word is None:
        return None, None
    value = table.get(_key(word))
    return (value, None) if value else (None, word)


_PHASE = re.compile(
    r"\b(?P<early>early[\s_]*)?phase[\s_]*(?P<num>[0-4]|iv|i{1,3})(?:\s*/\s*(?:phase\s*)?(?P<num2>[0-4]|iv|i{1,3}))?\b"
    r"|\b(?P<na>n/a|na|not\s+applicable)\b",
    re.IGNORECASE,
)
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4"}
PHASE_ORDER = ("NA", "EARLY_PHASE1", "PHASE1", "PHASE2", "PHASE3", "PHASE4")


def phases(text: str | None) -> list[str]:
    """"Phase 2 Phase 1", "Phase 1/Phase 2", "Phase 1/2", "PHASE1" → ["PHASE1", "PHASE2"]; "Phase 0" → EARLY_PHASE1."""
    if not text:
        return []
    found: set[str] = set()
    for m in _PHASE.finditer(text):
        if m["na"]:
            found.add("NA")
            continue
        for num in (m["num"], m["num2"]):
            if num is None:
                continue
            digit = _ROMAN.get(num.lower(), num)
            found.add("EARLY_PHASE1" if m["early"] or digit == "0" else f"PHASE{digit}")
    return [p for p in PHASE_ORDER if p in found]


def study_phases(study_type: str | None, found: list[str], words: str | None) -> tuple[list[str], str | None]:
    """(phases, phases_raw) once the study type is known. ChiCTR asks a phase of every study: its "0" is Phase 0
    (EARLY_PHASE1) for an interventional study, and for an observational one, which has no phase 0, what its form
    holds where none applies (70 ChiCTR records of the corpus's ICTRP exports): none, the "0" kept as written."""
    if study_type == "OBSERVATIONAL" and (word := clean(words)) == "0":
        return [], word
    return found, None if found else clean(words)


def stated_ages(minimum: str | None, maximum: str | None) -> tuple[str | None, str | None]:
    """(minimum, maximum) age, a maximum of zero none stated, and a minimum of zero beside it: ChiCTR's form, which
    ICTRP exports, holds "0" for an age left blank (ChiCTR2000030386: "0" to "0", its criteria "Aged 18 to 75 years
    old"); no trial enrols up to age 0."""
    if not _zero(maximum):
        return minimum, maximum
    return None if _zero(minimum) else minimum, None


def _zero(age: str | None) -> bool:
    return bool((m := _AGE.match(age or "")) and float(m[1]) == 0)


def masking(text: str | None) -> tuple[str | None, list[str]]:
    """"Double Blind (Subject, Investigator)" → ("DOUBLE", ["PARTICIPANT", "INVESTIGATOR"])."""
    if not text:
        return None, []
    head, _, roles = text.partition("(")
    level = lookup(MASKING, head) if head.strip() else None
    if roles and _key(roles) in ("open_label",):  # "None (Open Label)"
        return lookup(MASKING, text), []
    who = who_masked(roles.rstrip(") ").split(",")) if roles else []
    return level, who


def who_masked(words) -> list[str]:
    order = ("PARTICIPANT", "CARE_PROVIDER", "INVESTIGATOR", "OUTCOMES_ASSESSOR")
    found = {lookup(WHO_MASKED, w) for w in words if w and w.strip()}
    return [w for w in order if w in found] + sorted(w for w in found if w not in order)


_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]+)", re.IGNORECASE)
_DAYS_PER_YEAR = 365.25
_YEARS_PER_UNIT = {
    "year": 1.0, "month": 1 / 12, "week": 7 / _DAYS_PER_YEAR, "day": 1 / _DAYS_PER_YEAR,
    "hour": 1 / (24 * _DAYS_PER_YEAR), "minute": 1 / (24 * 60 * _DAYS_PER_YEAR),
}


def age_in_years(text: str | None) -> float | None:
    """"20 Years" → 20.0, "6 Months" → 0.5, "N/A" or "" → None (months/12, weeks*7/365.25, days/365.25)."""
    if not text:
        return None
    m = _AGE.match(text)
    if not m:
        return None
    unit = m[2].lower().rstrip("s")
    factor = _YEARS_PER_UNIT.get(unit)
    return None if factor is None else float(m[1]) * factor


def age_text(text: str | None) -> str | None:
    """The registry-form spelling of an age: "18 years" → "18 Years", "N/A" → None."""
    m = _AGE.match(text or "")
    if not m or m[2].lower().rstrip("s") not in _YEARS_PER_UNIT:
        return None
    unit = m[2].lower().rstrip("s").capitalize()
    number = m[1]
    return f"{number} {unit}" + ("" if number == "1" else "s")


_MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), 1)}
_MONTHS.update({name[:3]: i for name, i in list(_MONTHS.items())} | {"sept": 9})
# (a month's letters start where letters do: tried inside a long word too, the search took time growing with its
# square: a 64,000-letter start date took 45 s to read)
_DATE_WORDS = re.compile(r"(?<![A-Za-z])([A-Za-z]+)\.?\s+(?:(\d{1,2}),?\s+)?(\d{4})")
_DATE_ISO = re.compile(r"(\d{4})[-_/](\d{1,2})(?:[-_/](\d{1,2}))?")


def parse_date(text: str | None) -> date | None:
    """"June 16, 2011", "January 2009", "2011-06-16", "2011-06", "2013_06_04" → DATE (month-only → the 1st)."""
    if not text:
        return None
    m = _DATE_ISO.search(text)
    if m:
        year, month, day = int(m[1]), int(m[2]), int(m[3] or 1)
    else:
        m = _DATE_WORDS.search(text)
        if not m or m[1].lower() not in _MONTHS:
            return None
        year, month, day = int(m[3]), _MONTHS[m[1].lower()], int(m[2] or 1)
    try:
        return date(year, month, day)
    except ValueError:
        return None


def yes_no(text: str | None) -> bool | None:
    """"Yes"/"Accepts Healthy Volunteers" → True, "No"/"No Healthy Volunteers" → False."""
    if text is None:
        return None
    key = _key(text)
    if key in ("yes", "true", "accepts_healthy_volunteers", "y"):
        return True
    if key in ("no", "false", "no_healthy_volunteers", "n"):
        return False
    return None


# Results: the legacy XML writes display words where API v2 writes enums. Words these tables do not
# know pass through upper-snake-cased ("Least Squares Mean" → LEAST_SQUARES_MEAN, as the API spells it).
DATE_TYPE = ENROLLMENT_TYPE  # start/completion dates are "Actual" or "Anticipated"/ESTIMATED, as enrollment is
# older results tables (legacy XML, the classic results view) write the numbers analyzed as a first measure so titled
PARTICIPANTS_MEASURE = "Number of Participants"
DISPERSION_TYPE = _synonyms({
    "95% Confidence Interval": "CONFIDENCE_95", "90% Confidence Interval": "CONFIDENCE_90",
    "80% Confidence Interval": "CONFIDENCE_80", "97.5% Confidence Interval": "CONFIDENCE_975",
    "99% Confidence Interval": "CONFIDENCE_99", "Other Confidence Interval": "CONFIDENCE_OTHER",
    "Geometric Coefficient of Variation": "GEOMETRIC_COEFFICIENT",
    "Standard Error of the Mean": "STANDARD_ERROR_OF_MEAN"})  # (an analysis's: API v2's AnalysisDispersionType)
# The older legacy XML's yes/no <non_inferiority> → API v2's legacy values of nonInferiorityType
LEGACY_NON_INFERIORITY = _synonyms({"Yes": "NON_INFERIORITY_OR_EQUIVALENCE_LEGACY",
                                    "No": "SUPERIORITY_OR_OTHER_LEGACY"})
CI_SIDES = _synonyms({"1-Sided": "ONE_SIDED", "2-Sided": "TWO_SIDED"})
OFFICIAL_ROLE = _synonyms({"Principal Investigator": "PRINCIPAL_INVESTIGATOR", "Study Director": "STUDY_DIRECTOR",
                           "Study Chair": "STUDY_CHAIR"})
RESPONSIBLE_PARTY_TYPE = _synonyms({"Sponsor": "SPONSOR", "Principal Investigator": "PRINCIPAL_INVESTIGATOR",
                                    "Sponsor-Investigator": "SPONSOR_INVESTIGATOR"})

# "12.5", "<0.001", "> .05", "≤ 0.05", "25,754", "1.2E-5", "10.", "3.59," (a list's comma left on: NCT00036569's
# limits); a comma after a lone 0 is a decimal comma ("0,001": no group of thousands follows a 0). (No two parts can
# take the same characters: a run of 5,000 digits or spaces before a letter is given up in one pass, not tried again
# from each.)
_NUMBER = re.compile(r"\s*+(?P<comparator>[<>]=?|[≤≥=])?\s*+"
                     r"(?:(?P<number>[-+]?(?:[1-9]\d{0,2}(?:,\d{3})+|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?))"
                     r"|(?P<zero>[-+]?0),(?P<decimals>\d+))\s*+,?\s*")
_COMPARATORS = {"≤": "<=", "≥": ">="}


def _read_number(text: str | None) -> tuple[float | None, str | None]:
    """(the number, the comparator it is written with) of a value as a results table writes it."""
    if not text or not (m := _NUMBER.fullmatch(text)):
        return None, None
    value = float(m["number"].replace(",", "") if m["number"] else f"{m['zero']}.{m['decimals']}")
    return (value, _COMPARATORS.get(m["comparator"], m["comparator"])) if math.isfinite(value) else (None, None)


def number(text: str | None) -> float | None:
    """A value as a results table writes it → its number; "NA", "1,5" (which comma?), prose, or past a float's
    range ("1e999", 400 digits: infinity) → None."""
    return _read_number(text)[0]


def comparator(text: str | None) -> str | None:
    """The comparator a number is written with ("< 0.001" → "<", "≥0.99" → ">="; a bare number → None), as AACT's
    p_value_modifier: "> 0.05" is `p_value` 0.05 too, and only this tells it from "< 0.05"."""
    return _read_number(text)[1]


def numbers_as_written(get, **names: str) -> dict:
    """Each result value `name` read by `get(key)`: as a number (`name`) and as written (`name_raw`)."""
    values = {}
    for name, key in names.items():
        raw = clean(get(key))
        values[name], values[f"{name}_raw"] = number(raw), raw
    return values


MAX_COUNT_DIGITS = 18  # no count a registry holds has more (and past 4,300 digits `int` refuses them)


def stated_count(text: str | None) -> int | None:
    """A count written in plain digits ("120") → 120; anything else, or more than MAX_COUNT_DIGITS digits, → None.
    (`str.isdigit` alone also takes "¹" and "²", which `int` refuses.)"""
    return int(text) if text and text.isascii() and text.isdigit() and len(text) <= MAX_COUNT_DIGITS else None


def written_count(text: str) -> int | None:
    """A count as a page writes it, thousands apart by commas ("1,600" → 1600), else as stated_count reads it."""
    return stated_count(text.replace(",", ""))


def placeholder_enrollment(count: int | None, enrollment_type: str | None) -> bool:
    """An enrollment that is a placeholder, not a count (ENROLLMENT_PLACEHOLDER), unless it is one of people enrolled."""
    return count is not None and enrollment_type != "ACTUAL" and bool(ENROLLMENT_PLACEHOLDER.fullmatch(str(count)))


def whole_number(text: str | int | None) -> int | None:
    """A count: 36, "36" or "36.0" → 36; anything else → None."""
    if text is None or isinstance(text, int):
        return text
    value = number(text)
    return int(value) if value is not None and value.is_integer() else None
ENUM: dict[str, str] = {}  # no synonyms: a legacy word upper-snake-cased is the API's enum ("Mean" → MEAN)
# results' outcome types: the contract's three; pre-specified and post-hoc outcomes are both OTHER (post_hoc tells them
# apart)
RESULT_OUTCOME_TYPE = _vocabulary("PRIMARY SECONDARY OTHER") | _synonyms({
    "Other Pre-specified": "OTHER", "OTHER_PRE_SPECIFIED": "OTHER", "Post-Hoc": "OTHER", "POST_HOC": "OTHER"})


def post_hoc(outcome_type: str | None) -> bool | None:
    """Whether the registry types a reported outcome post-hoc ("Post-Hoc", API v2's POST_HOC), which the contract's
    OTHER does not tell from a pre-specified one; None where it gives no type."""
    return None if not outcome_type or not outcome_type.strip() else _key(outcome_type) == "post_hoc"


# What links two registrations of one study in trial_links (pipeline.linking makes all but ICTRP_BRIDGE, which the
# contract names: an ICTRP export's bridge flag says a record is bridged, not to which)
LINK_EVIDENCE = ("SECONDARY_ID", "SAME_EUDRACT_NUMBER", "SAME_TITLE", "ICTRP_BRIDGE")

# Registrations: each registry's code (the contract's) and its trial-id pattern, in RE2 syntax so the
# same patterns serve Python (`registry_of`) and DuckDB (pipeline.linking finds ids inside free text).
# Group 1 is the id's body; the canonical id is the prefix + group 1 with its white space removed, so
# "NCT 01234567" → NCT01234567 and a bare EudraCT number "2013-000373-76" → EUCTR2013-000373-76.
# EudraCT numbers have a middle part below 500000, CTIS numbers (EU CT, 2023-) one from 500000 up.
REGISTRATIONS: tuple[tuple[str, str, str], ...] = (
    ("CTGOV", r"NCT\s?(\d{8})", "NCT"),
    ("CTIS", r"(\d{4}-5\d{5}-\d{2}-\d{2})", ""),
    ("EUCTR", r"(?:EUCTR)?(\d{4}-[0-4]\d{5}-\d{2})", "EUCTR"),
    ("CHICTR", r"(ChiCTR[-A-Za-z]*\d{6,})", ""),
    ("ISRCTN", r"ISRCTN\s?(\d{8})", "ISRCTN"),
    ("ANZCTR", r"(ACTRN\d{14})", ""),
    ("CTRI", r"(CTRI/\d{4}/\d{2,3}/\d{6})", ""),
    ("DRKS", r"(DRKS\d{8})", ""),
    # (Japan's registries, UMIN-CTR, JapicCTI, JMACCT and jRCT, write their own ids; ICTRP prefixes them "JPRN-". An
    # id of theirs no pattern here knows, UMIN's older "C000000079", keeps ICTRP's prefix: alone it names nothing)
    ("JPRN", r"(?:JPRN-)?(UMIN\d{9}|JapicCTI-R?\d{6}|JMA-IIA\d{5}|jRCT(?:[a-z]\d{9}|\d{10})|JPRN-[A-Za-z]+-?\d+)", ""),
    ("IRCT", r"(IRCT\d+N\d+)", ""),
    ("NTR", r"(NTR\d{3,}|NL\d{3,})", ""),
    ("TCTR", r"(TCTR\d{11})", ""),
    ("PACTR", r"(PACTR\d{15})", ""),
    ("REBEC", r"(RBR-[0-9a-z]{6,8})", ""),
    ("RPCEC", r"(RPCEC\d{8})", ""),
    ("SLCTR", r"(SLCTR/\d{4}/\d{3})", ""),
    ("LBCTR", r"(LBCTR\d{10})", ""),
    ("CRIS", r"(KCT\d{7})", ""),
    ("ITMCTR", r"(ITMCTR\d+)", ""),
)
_REGISTRATION_IDS = tuple((code, re.compile(pattern), prefix) for code, pattern, prefix in REGISTRATIONS)
# A field's whole value that says there is nothing to state (as _key reads it): ICTRP's "NA", a sponsor "none", an
# exclusion list "None." or "No"
NOTHING = frozenset(("nil", "na", "n_a", "none", "no", "null", "not_applicable"))
# Registries' own classifications of a condition, which the WHO data set's condition field carries beside the
# conditions: ISRCTN's condition category ("Infections and Infestations"), ANZCTR's "category - code" ("Infection -
# Other infectious diseases"), a bare ICD-10 code ("U07.1", ChiCTR's "U07.100x001"). They are keywords, not conditions.
ISRCTN_CONDITION_CATEGORIES = frozenset(_key(c) for c in (
    "Cancer", "Circulatory System", "Congenital Disorders", "Digestive System", "Ear, Nose and Throat", "Eye Diseases",
    "Genetic Diseases", "Haematological Disorders", "Infections and Infestations",
    "Injury, Occupational Diseases, Poisoning", "Mental and Behavioural Disorders", "Musculoskeletal Diseases",
    "Neonatal Diseases", "Nervous System Diseases", "Nutritional, Metabolic, Endocrine", "Oral Health",
    "Pregnancy and Childbirth", "Respiratory", "Signs and Symptoms", "Skin and Connective Tissue Diseases", "Surgery",
    "Urological and Genital Diseases", "Other"))
ANZCTR_CONDITION_CATEGORIES = frozenset(_key(c) for c in (
    "Alternative and Complementary Medicine", "Anaesthesiology", "Blood", "Cancer", "Cardiovascular",
    "Diet and Nutrition", "Ear", "Emergency medicine", "Eye", "Human Genetics and Inherited Disorders", "Infection",
    "Inflammatory and Immune System", "Injuries and Accidents", "Kidney", "Mental Health", "Metabolic and Endocrine",
    "Musculoskeletal", "Neurological", "Oral and Gastrointestinal", "Other", "Physical Medicine / Rehabilitation",
    "Public Health", "Renal and Urogenital", "Reproductive Health and Childbirth", "Respiratory", "Skin", "Stroke",
    "Surgery"))
ICD10_CODE = re.compile(r"[A-Z]\d{2}\.[0-9A-Za-z]{1,8}")  # (with its decimals: "N95" may be a respirator)


def condition_classification(registry: str, item: str) -> bool:
    """Whether an item of a WHO data set condition field is the registry's classification, not a condition."""
    if ICD10_CODE.fullmatch(item):
        return True
    if registry == "ISRCTN":
        return _key(item) in ISRCTN_CONDITION_CATEGORIES
    category, dash, _ = item.partition(" - ")
    return registry == "ANZCTR" and bool(dash) and _key(category) in ANZCTR_CONDITION_CATEGORIES

# ICTRP's "Source Register" names (and the WHO data set's reg_name) → code, where the trial id says nothing.
REGISTRY = _synonyms({
    "ClinicalTrials.gov": "CTGOV", "ChiCTR": "CHICTR", "EU Clinical Trials Register": "EUCTR", "EUCTR": "EUCTR",
    "CTIS": "CTIS", "ISRCTN": "ISRCTN", "ANZCTR": "ANZCTR", "CTRI": "CTRI", "German Clinical Trials Register": "DRKS",
    "DRKS": "DRKS", "JPRN": "JPRN", "IRCT": "IRCT", "Netherlands Trial Register": "NTR", "NTR": "NTR",
    "TCTR": "TCTR", "PACTR": "PACTR", "REBEC": "REBEC", "Brazilian Clinical Trials Registry": "REBEC",
    "RPCEC": "RPCEC", "SLCTR": "SLCTR", "LBCTR": "LBCTR", "CRIS": "CRIS", "ITMCTR": "ITMCTR"})


def _registration(written: str) -> tuple[str, str] | None:
    """(registry code, the id as the registry writes it) of a whole value that is a registration's id, else None."""
    for code, pattern, prefix in _REGISTRATION_IDS:
        if m := pattern.fullmatch(written):
            return code, prefix + "".join(m[1].split())
    return None


def registry_of(trial_id: str, register: str | None = None) -> str:
    """The registry code of a trial id by its prefix ("ACTRN12620000421932" → ANZCTR), else by the
    register's name, else OTHER."""
    found = _registration(trial_id)
    return found[0] if found else REGISTRY.get(_key(register or ""), "OTHER")


def registered_id(written: str) -> str:
    """A registration's id as its registry writes it, where another writes it otherwise ("JPRN-UMIN000039686", as
    ICTRP writes it → UMIN000039686; "NCT 01234567" → NCT01234567); an id of no known registry as written."""
    found = _registration(written)
    return found[1] if found else written
