"""The WHO trial registration data set → TrialRecord, shared by the three forms that carry it.

ICTRP's export XML (`<Public_title>`), its CSV (`Public title`) and the data set XML primary registries
send to ICTRP (`<public_title>`, criteria and outcomes nested) name the same WHO fields, so each reader
only gathers a document's values per field (`fields`) and this module maps them once. Registries fill
the fields in their own ways (ChiCTR's "group:size;" target sizes, EU CTR's "Randomised: yes" flags,
dates as 2020-02-17, 17/02/2020, 20200217 or 17 February 2020, ages as 18, 18Y or 18 Years); what a
field does not state, or states in words with no contract equivalent, stays null, the registry's own
words kept in the `*_raw` fields.
"""
from __future__ import annotations

import html
import re
from datetime import date

from lxml import etree

from pipeline import vocabulary as v
from pipeline.criteria import LIST_MARKER, split_criteria
from pipeline.record import ArmGroup, Identifier, Intervention, Location, Outcome, ParseError, TrialRecord
from pipeline.sources.euctr import IMP_NAMES, UNDER_18, ages, allocation

# Other forms' field names → the ICTRP export's (the key of `fields`), after vocabulary._key.
ALIASES = {
    "trial_id": "trialid", "reg_name": "source_register", "date_enrolment": "date_enrollement",
    "agemin": "inclusion_agemin", "agemax": "inclusion_agemax", "gender": "inclusion_gender",
    "hc_freetext": "condition", "i_freetext": "intervention", "prim_outcome": "primary_outcome",
    "sec_outcome": "secondary_outcome", "country2": "countries", "sec_id": "secondary_ids", "secondary_id": "secondary_ids",
    "sponsor_name": "secondary_sponsor", "hc_keyword": "keywords", "scientific_acronym": "acronym",
}
Fields = dict[str, list[str]]
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)

# ICTRP writes a line break as "<br>", often beside the original one ("\n<br>"): together they are one
_BR = re.compile(r"\r?\n?<br\s*/?>(?:\r?\n)?", re.IGNORECASE)
_MEMBER_STATE_RECORD = re.compile(r"(EUCTR\d{4}-\d{6}-\d{2})-[A-Z]{2,3}")
_DATE_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_DATE_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_DATE_DAY_MONTH = re.compile(r"(\d{1,2})\s+([A-Za-z]+)\.?,?\s+(\d{4})")
# (from a run of digits' first only: tried from each digit of "1111…x" it took time growing with the run's square)
_AGE = re.compile(r"(?<!\d)(\d+(?:\.\d+)?)\s*(y|years?|age|m|months?|w|weeks?|d|days?|h|hours?)?\b", re.IGNORECASE)
_AGE_UNITS = {"y": "Years", "age": "Years", "m": "Months", "w": "Weeks", "d": "Days", "h": "Hours"}
_GROUP_SIZE = re.compile(r"(?:^|;)[^:;]*:\s*(\d+)\s*(?=;|$)")
_FLAG_ANSWER = re.compile(r":\s*(yes|no)\b", re.IGNORECASE)
_FLAG_LABEL = re.compile(r"[A-Za-z ()-]*")  # matched on the text before a colon, reversed
_BARE_PHASES = re.compile(r"([0-4])(?:\s*[-/]\s*([0-4]))?")
_CRITERIA_HEADING = re.compile(r"\A\s*(inclusion|exclusion)\s+criteria\s*:\s*", re.IGNORECASE)
_DESIGN_PART = re.compile(r"[.;,]\s*(?=[A-Z][A-Za-z ]*:)|<br>|\n")
_TYPED_INTERVENTION = re.compile(r"([^:]+):\s*(.+)", re.DOTALL)  # (its type or arm is stripped where read)
_NO_NAME = v.NOTHING - {"no"}  # (an acronym may be "NO")
# An EU CTR record runs its sections together in a field, each opened by its EU CTR label: "Main Objective: …;
# Primary end point(s): …;Timepoint(s) of evaluation of this end point: …", a condition's free text before its
# "MedDRA version: …" classification and ";Therapeutic area: …", a product's "Trade Name: …", "INN or Proposed INN: …"
# lines (products apart by an empty line). Read as the EU CTR's own pages are (euctr): the condition's free text
# (E.1.1), each end point with its time point (E.5), one intervention per product, named as D.3.1, D.2.1.1.1, D.3.2,
# D.3.8, D.3.9.3 rank.
_EUCTR_LABEL = re.compile(r"(?:^|;|\n)\s*(Main Objective|Secondary Objective|Primary end point\(s\)"
                          r"|Secondary end point\(s\)|Timepoint\(s\) of evaluation of this end point|Therapeutic area"
                          r"|MedDRA version)\s*:", re.IGNORECASE)
_EUCTR_END_POINTS = {"primary_outcome": ("PRIMARY", "primary end point(s)"),
                     "secondary_outcome": ("SECONDARY", "secondary end point(s)")}
_EUCTR_TIME_POINT = "timepoint(s) of evaluation of this end point"
_EUCTR_PRODUCT_NAMES = tuple(label.lower() for label in IMP_NAMES.values())
# (within one line: a leading \s* ran on over every line after, each line's start trying it again)
_EUCTR_PLACEBO = re.compile(r"^[^:\n]*\bof the placebo\s*:", re.IGNORECASE | re.MULTILINE)
_EMPTY_LINE = re.compile(r"\n\s*\n")
# the EU CTR's F.1 age bands an export appends to the inclusion criteria: "Are the trial subjects under 18? no",
# "F.1.2 Adults (18-64 years) yes"
_EUCTR_AGE_BAND = re.compile(r"^[ \t]*+(?:Are the trial subjects under 18\?|(?P<code>F\.1(?:\.\d+)*)\s[^\n]*)"
                             r"\s(?P<answer>yes|no)[ \t]*$", re.IGNORECASE | re.MULTILINE)
_EUCTR_MEDDRA_TERM = re.compile(r"^[ \t]*+Term:[ \t]*+(\S[^\n]*)", re.MULTILINE)
_NEW_LINES = re.compile(r"\n\s*")  # one "\n" for a run: _EUCTR_LABEL tried from each "\n" of a run took its square
# ChiCTR marks a registration its investigator cancelled by opening its titles with why, spaces or a line break
# before the title ("Cancelled by the investigator      A randomized …", "Cancelled due to lack of patient",
# "Cancelled, due to modify the protocol"), and may write "Cancelled" for its sponsor, conditions, criteria and
# outcomes: the words are its status (no contract word), the placeholders state nothing.
_CANCELLED = re.compile(r"(cancell?ed(?:,? (?:by|due)\b[^\n]{0,80}?)?)(?: {2,}|[ \t]*\n|\Z)\s*", re.IGNORECASE)

# Registries whose intervention field is one description in prose, its paragraphs and headings apart by line breaks
# (ISRCTN51287266's "Data Collection", "Data Analysis"; ANZCTR's "Intervention Type: Drug" lines): one intervention
_INTERVENTIONS_IN_PROSE = ("ISRCTN", "ANZCTR", "NTR")
# Registries that write each outcome's time point into the outcome field, after its measure: ANZCTR and TCTR in
# brackets ("Mortality<br>[28 days post ICU admission];…", "ED time interval [Timeframe hospital exit …]"), IRCT as
# "Cough. Timepoint: Daily. Method of measurement: Clinical finding.;…"
_BRACKETED_TIME_POINTS = ("ANZCTR", "TCTR")
_LABELLED_TIME_POINTS = ("IRCT",)
_TIME_FRAME_LABEL = re.compile(r"\A\s*time\s*frame:?", re.IGNORECASE)
# a list's marker before an outcome ("1.<tab>Date of ECMO discontinuation", "1.1. Diagnostic …", "-<tab>Composite"),
# not a letter's, which may open a measure ("E. coli bacteraemia")
_OUTCOME_MARKER = re.compile(r"\A\s*+(?:[-*•·▪◦●○–—]|\(?\d{1,3}(?:\.\d{1,3})*[.)](?!\d)|\(\d{1,3}\))\s*")

# "Randomised: yes" and kin (EU CTR, NTR): the flag → (field, value when yes, value when no). Not randomised is
# NON_RANDOMIZED only in a controlled trial (euctr.allocation): EU CTR's "Controlled: yes", NTR's "Control: Placebo".
_RANDOMISED = frozenset(("randomised", "randomized"))
_UNCONTROLLED = v.NOTHING | {"uncontrolled"}
# NTR's "Type: Single arm" / "Type: 2 or more arms, randomized" / "…, non-randomized": its allocation too
_NTR_TYPE = re.compile(r"Type:\s*2 or more arms,\s*(?P<non>non-)?randomi[sz]ed", re.IGNORECASE)
_DESIGN_FLAGS = v._synonyms({
    "Open": ("masking", "NONE", None), "Single blind": ("masking", "SINGLE", None), "Double blind": ("masking", "DOUBLE", None),
    "Parallel group": ("intervention_model", "PARALLEL", None), "Cross over": ("intervention_model", "CROSSOVER", None),
})
# ISRCTN ends its design with its trial type in brackets: "Randomised adaptive trial (Treatment)"
_ISRCTN_TRIAL_TYPE = re.compile(r"\(([A-Za-z ]+)\)\s*\Z")
# "Key: value" parts (ClinicalTrials.gov, IRCT, DRKS via ICTRP) → the record's design field.
_DESIGN_KEYS = v._synonyms({
    "Allocation": "allocation", "Randomization": "allocation", "Intervention model": "intervention_model",
    "Assignment": "intervention_model", "Primary purpose": "primary_purpose", "Purpose": "primary_purpose",
    "Study design purpose": "primary_purpose", "Masking": "masking", "Blinding": "masking",
    "Observational model": "observational_model", "Time perspective": "time_perspective",
})
_DESIGN_VOCABULARY = {"allocation": v.ALLOCATION, "intervention_model": v.INTERVENTION_MODEL,
                      "primary_purpose": v.PRIMARY_PURPOSE, "masking": v.MASKING,
                      "observational_model": v.OBSERVATIONAL_MODEL, "time_perspective": v.TIME_PERSPECTIVE}
# ChiCTR writes its design as one word or phrase, jRCT (JPRN) as phrases apart by commas ("randomized controlled trial,
# open(masking not used), no treatment control, parallel assignment, treatment purpose").
_DESIGN_WORDS = v._synonyms({
    "randomized controlled trial": {"allocation": "RANDOMIZED"},
    "non-randomized controlled trial": {"allocation": "NON_RANDOMIZED"},
    "open(masking not used)": {"masking": "NONE"}, "single arm study": {"intervention_model": "SINGLE_GROUP"},
    "single assignment": {"intervention_model": "SINGLE_GROUP"}, "parallel assignment": {"intervention_model": "PARALLEL"},
    "crossover assignment": {"intervention_model": "CROSSOVER"}, "treatment purpose": {"primary_purpose": "TREATMENT"},
    "prevention purpose": {"primary_purpose": "PREVENTION"}, "diagnostic purpose": {"primary_purpose": "DIAGNOSTIC"},
    "Parallel": {"intervention_model": "PARALLEL"}, "Single arm": {"intervention_model": "SINGLE_GROUP"},
    "Factorial": {"intervention_model": "FACTORIAL"}, "Sequential": {"intervention_model": "SEQUENTIAL"},
    "Cross-over": {"intervention_model": "CROSSOVER"}, "Non randomized control": {"allocation": "NON_RANDOMIZED"},
    "Randomized parallel controlled trial": {"allocation": "RANDOMIZED", "intervention_model": "PARALLEL"},
})


def xml_root(text: str, source: str) -> etree._Element:
    """The root element of an XML form of the data set; malformed XML is the document's ParseError."""
    try:
        return etree.fromstring(text.encode("utf-8", errors="replace"), _XML_PARSER)
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"{source}: malformed XML: {exc}") from None


def fields(pairs) -> Fields:
    """(field name, value) pairs in document order → values per field, names as the ICTRP export's."""
    gathered: Fields = {}
    for name, value in pairs:
        key = v._key(name)
        gathered.setdefault(ALIASES.get(key, key), []).append(value or "")
    return gathered


def text(value: str | None) -> str | None:
    """A field's value as plain text: `<br>` → line break, entities decoded (the CSV keeps them), ends trimmed."""
    if value is None:
        return None
    return html.unescape(_BR.sub("\n", value)).replace("\r", "").strip() or None


def record(found: Fields, source: str) -> TrialRecord:
    """One trial's fields → its record; `source` (the reader's FORMAT) names the form in errors."""
    def one(name: str) -> str | None:
        return next((t for value in found.get(name, ()) if (t := text(value))), None)

    def line(name: str) -> str | None:
        return v.clean(one(name))

    def named(name: str) -> str | None:  # a name, not "none" or "NA" (NL8460's sponsor, ChiCTR2000030223's)
        return v.stated(one(name), _NO_NAME)

    def items(name: str) -> list[str]:
        return _items(text(value) or "" for value in found.get(name, ()))

    def whole(name: str) -> str:
        return "\n".join(t for value in found.get(name, ()) if (t := text(value)))

    written_id = line("trialid")
    if not written_id:
        raise ParseError(f"{source}: a trial without TrialID")
    member_state = _MEMBER_STATE_RECORD.fullmatch(written_id)
    trial_id = member_state[1] if member_state else v.registered_id(written_id)
    registry = v.registry_of(trial_id, line("source_register"))
    cancelled = _CANCELLED.match(one("public_title") or "") if registry == "CHICTR" else None
    if cancelled:
        found = _without_placeholders(found)
    study_type_words = line("study_type")
    study_type = v.STUDY_TYPE.get(_study_type_key(study_type_words))
    status_words = v.clean(cancelled[1]) if cancelled else line("recruitment_status")
    status = v.STATUS.get(v._key(status_words or ""))
    phase_words = one("phase")
    phase_list, phases_raw = v.study_phases(study_type, _phases(phase_words), phase_words)
    minimum_age, maximum_age = v.stated_ages(_age(line("inclusion_agemin")), _age(line("inclusion_agemax")))
    size = _target_size(one("target_size"))
    enrollment_type = None if size is None else v.ENROLLMENT_TYPE.get(v._key(line("type_enrolment") or ""), "ESTIMATED")
    euctr = {name: _euctr_sections(whole(name)) for name in ("condition", *_EUCTR_END_POINTS)} \
        if registry == "EUCTR" else {}
    labelled = {name: sections for name, (_, sections) in euctr.items()}
    inclusion = one("inclusion_criteria")
    if euctr and inclusion and (bands := list(_EUCTR_AGE_BAND.finditer(inclusion))):  # form lines: the ages
        answers = {m["code"] or UNDER_18: v.yes_no(m["answer"]) for m in bands}
        inclusion = inclusion[:bands[0].start()]
        if minimum_age is None and maximum_age is None:
            minimum_age, maximum_age = ages(answers.get)
    outcomes = [outcome for name, kind in (("primary_outcome", "PRIMARY"), ("secondary_outcome", "SECONDARY"))
                if not labelled.get(name) for value in found.get(name, ()) for outcome in _outcomes(value, kind, registry)]
    outcomes += [Outcome(kind, sections[label], sections.get(_EUCTR_TIME_POINT))
                 for name, (kind, label) in _EUCTR_END_POINTS.items()
                 if (sections := labelled.get(name, {})).get(label)]
    listed = [] if euctr else items("condition")  # conditions, and the registry's classifications of them
    classifications = [c for c in listed if v.condition_classification(registry, c)]
    if euctr:  # (the EU CTR's MeSH therapeutic area and MedDRA terms, as euctr reads its own pages)
        area = euctr["condition"][1].get("therapeutic area")
        classifications = [*([area] if area else []), *(v.clean(m[1]) for m in _EUCTR_MEDDRA_TERM.finditer(
            _NEW_LINES.sub("\n", whole("condition"))))]
    record = TrialRecord(
        trial_id=trial_id,
        registry=registry,
        brief_title=line("public_title"),
        official_title=line("scientific_title"),
        acronym=named("acronym"),
        lead_sponsor=named("primary_sponsor"),
        collaborators=items("secondary_sponsor"),
        overall_status=status,
        overall_status_raw=None if status else status_words,
        phases=phase_list,
        phases_raw=phases_raw,
        study_type=study_type,
        study_type_raw=None if study_type else study_type_words,
        enrollment=size,
        # a target size that states no one count, as written ("Medical students group; Non-medical students
        # group:1300;", ChiCTR2000030541; a cell the export cut short)
        enrollment_raw=None if size is not None else v.stated(one("target_size")),
        enrollment_type=enrollment_type,
        sex=_sex(one("inclusion_gender")),
        minimum_age=minimum_age,
        maximum_age=maximum_age,
        start_date=_date(one("date_enrollement")),
        completion_date=_date(one("results_date_completed")),
        registration_date=_date(one("date_registration")) or _date(one("date_registration3")),
        download_date=_date(one("last_refreshed_on")),  # the day ICTRP last copied the registry's record
        conditions=([lead] if (lead := euctr["condition"][0]) else []) if euctr else [
            c for c in listed if c not in classifications],
        keywords=list(dict.fromkeys([*items("keywords"), *classifications])),
        outcomes=outcomes,
        identifiers=_identifiers(written_id, trial_id, items("secondary_ids"), member_state is not None),
        locations=[Location(country=c) for c in items("countries")],
        eligibility_criteria=split_criteria(_criteria(inclusion, one("exclusion_criteria"))),
    )
    record.interventions = _euctr_products(whole("intervention")) if euctr else []
    if not record.interventions:
        entries = [v.stated(whole("intervention"))] if registry in _INTERVENTIONS_IN_PROSE else items("intervention")
        _interventions(record, [entry for entry in entries if entry])
    _design(record, one("study_design"))
    return record


def _outcomes(value: str, kind: str, registry: str) -> list[Outcome]:
    """The outcomes of one value of an outcome field: each with its time point where the registry writes it in and
    every outcome of the value has one (its measure's line breaks read as spaces), else one per line or ";", a
    list's "1." or "-" left out."""
    written = text(value) or ""
    if timed := _timed(written, registry):
        return [Outcome(kind, v.clean(measure), v.clean(time_point), v.clean(method)) for measure, time_point, method
                in timed]
    return [Outcome(kind, part) for part in _items([written], _OUTCOME_MARKER)]


def _items(texts, marker: re.Pattern | None = None) -> list[str]:
    """A field's items: one per line or ";", cleaned (a list's marker left out where one is given), each once, none
    that only says there is nothing."""
    return list(dict.fromkeys(
        item for written in texts for part in re.split(r";|\n", written)
        if (item := v.clean(marker.sub("", part, count=1) if marker else part)) and v._key(item) not in v.NOTHING))


def _timed(written: str, registry: str) -> list[tuple[str, str, str | None]] | None:
    """(measure, time point, method of measurement) of each outcome of a registry that writes them so, or None."""
    found = []
    if registry in _BRACKETED_TIME_POINTS:
        for entry in filter(str.strip, re.split(r"(?<=\])[ \t]*[;\n]", written)):
            measure, bracket, time_point = entry.strip().rpartition("[")
            if not (bracket and time_point.endswith("]") and measure.strip()):
                return None
            found.append((measure, _TIME_FRAME_LABEL.sub("", time_point[:-1]), None))
    elif registry in _LABELLED_TIME_POINTS:
        for entry in filter(str.strip, written.split(";")):
            measure, label, rest = entry.partition("Timepoint:")
            if not (label and measure.strip(" .")):
                return None
            time_point, _, method = rest.partition("Method of measurement:")
            found.append((measure.strip(" ."), time_point.strip(" ."),
                          f"Method of measurement: {method.strip()}" if method.strip() else None))
    return found or None


def _without_placeholders(found: Fields) -> Fields:
    """A cancelled ChiCTR registration's fields: its titles without the words saying so, no "Cancelled" value."""
    kept: Fields = {}
    for name, values in found.items():
        if name in ("public_title", "scientific_title"):
            values = [t[m.end():] if (m := _CANCELLED.match(t := text(value) or "")) else value for value in values]
        kept[name] = [value for value in values
                      if v._key(_CRITERIA_HEADING.sub("", text(value) or "", count=1)) != "cancelled"]
    return kept


def _euctr_sections(value: str) -> tuple[str | None, dict[str, str]]:
    """An EU CTR field's free text before its first label, and each labelled section (label in lower case: its
    first occurrence), as clean text ("" where the label stands alone)."""
    value = _NEW_LINES.sub("\n", value)
    marks = list(_EUCTR_LABEL.finditer(value))
    sections: dict[str, str] = {}
    for mark, after in zip(marks, [*marks[1:], None]):
        sections.setdefault(mark[1].lower(), v.clean(value[mark.end():after.start() if after else None]) or "")
    return v.clean(value[:marks[0].start()] if marks else value), sections


def _euctr_products(value: str) -> list[Intervention]:
    """One intervention per EU CTR product (its lines "Label: value", products apart by an empty line), named by the
    first of _EUCTR_PRODUCT_NAMES it states, its other names after; a placebo's lines add the placebo, as the EU
    CTR's own D.8 does. None when no product names itself."""
    products = []
    for block in _EMPTY_LINE.split(value):
        named: dict[str, list[str]] = {}
        for label, sep, stated in (row.partition(":") for row in block.splitlines()):
            if sep and (name := v.clean(stated)):
                named.setdefault(label.strip().lower(), []).append(name)
        names = list(dict.fromkeys(n for label in _EUCTR_PRODUCT_NAMES for n in named.get(label, [])))
        if names:
            products.append(Intervention(None, names[0], other_names=names[1:]))
    return products + [Intervention(None, "Placebo")] if products and _EUCTR_PLACEBO.search(value) else products


def _study_type_key(words: str | None) -> str:
    """"Interventional study", "Interventional clinical trial of medicinal product" → interventional."""
    key = v._key(words or "")
    return next((kind for kind in ("interventional", "observational") if key.startswith(kind)), key)


def _date(value: str | None) -> date | None:
    """2020-02-17, 17/02/2020 (day first, as ICTRP writes it), 20200217, 17 February 2020, January 25, 2020."""
    if not value:
        return None
    value = value.strip()
    for pattern, order in ((_DATE_DMY, (3, 2, 1)), (_DATE_COMPACT, (1, 2, 3))):
        m = pattern.fullmatch(value)
        if m:
            try:
                return date(*(int(m[i]) for i in order))
            except ValueError:
                return None
    m = _DATE_DAY_MONTH.fullmatch(value)
    if m and m[2].lower() in v._MONTHS:
        try:
            return date(int(m[3]), v._MONTHS[m[2].lower()], int(m[1]))
        except ValueError:
            return None
    return v.parse_date(value)


def _age(value: str | None) -> str | None:
    """"18", "18Y", "18 years", ">= 20age old" → "18 Years"; "N/A", "No limit", "-" → None. A bare number is
    years: ChiCTR, whose records ICTRP exports so, asks for ages in years."""
    m = _AGE.search(value or "")
    if not m:
        return None
    unit = (m[2] or "y").lower()
    unit = _AGE_UNITS.get(unit[0] if unit != "age" else unit, "Years")
    return v.age_text(f"{m[1]} {unit}")


def _flags(words: str) -> list[tuple[str, str]]:
    """(label, "yes" | "no") of each "Label: yes" ("Female: yes<br>Male: no", "Randomised: yes"): the letters, spaces,
    brackets and hyphens before the colon, from the first letter. Read back from each answer's colon: a lazy label
    tried from every letter of a long run took time growing with its square."""
    found, end, colon = [], 0, 0  # the last flag's end; after the last answer's colon (a label holds none)
    for answer in _FLAG_ANSWER.finditer(words):
        run = _FLAG_LABEL.match(words[max(end, colon):answer.start()][::-1])[0][::-1]
        if label := run.lstrip(" ()-"):
            found.append((label, answer[1]))
            end = answer.end()
        colon = answer.start() + 1
    return found


def _sex(value: str | None) -> str | None:
    """"Both", "All", "Male and Female", "<br>Female: yes<br>Male: yes<br>" → ALL; "Females" → FEMALE."""
    words = text(value)
    if not words:
        return None
    flags = {k.strip().lower(): yes.lower() == "yes" for k, yes in _flags(words)}
    if flags:
        sexes = [s for s in ("female", "male") if flags.get(s)]
        return "ALL" if len(sexes) == 2 else sexes[0].upper() if sexes else None
    key = v._key(words)
    if key.startswith("both") or ("female" in key and "male" in key.replace("female", "")):
        return "ALL"
    return v.SEX.get(key.rstrip("s"))


def _target_size(value: str | None) -> int | None:
    """"500" → 500; ChiCTR's sizes per group "Experimental group:30;Control group:30;" → their sum, 60. A group
    written twice alike ("…;Group C:160;Group C:160;", as ICTRP repeats values) counts once."""
    value = (value or "").strip()
    if (count := v.stated_count(value)) is not None:
        return count
    if _GROUP_SIZE.findall(value) and _GROUP_SIZE.sub("", value).strip(" ;") == "":
        groups = dict.fromkeys(" ".join(group.split()) for group in value.split(";") if group.strip())
        sizes = [v.stated_count(group.rsplit(":", 1)[1].strip()) for group in groups]
        return None if None in sizes else sum(sizes)  # (a size of 25 digits is none: one export row cost the export)
    return None


def _phases(value: str | None) -> list[str]:
    """"Phase 2/Phase 3", "2-3", "0" (ChiCTR's Phase 0 = Early Phase 1), "Not Applicable", or EU CTR's flags
    ("Therapeutic exploratory (Phase II): yes") → contract phases; "Retrospective study" → []."""
    words = text(value)
    if not words:
        return []
    flags = _flags(words)
    if flags:
        return v.phases(" ".join(name for name, yes in flags if yes.lower() == "yes"))
    m = _BARE_PHASES.fullmatch(words)
    if m:
        return v.phases(" ".join(f"phase {n}" for n in m.groups() if n))
    return v.phases(words)


def _criteria(inclusion: str | None, exclusion: str | None) -> str:
    """Both fields as one text under their headings (ICTRP often puts a ClinicalTrials.gov record's whole
    eligibility text, both headings included, in Inclusion_Criteria). Where no line carries a list marker,
    each line is one criterion (IRCT, JPRN: "History of drug allergy<br>Pregnancy and lactation")."""
    parts = []
    for heading, value in (("Inclusion Criteria:", inclusion), ("Exclusion Criteria:", exclusion)):
        body = _CRITERIA_HEADING.sub("", value or "", count=1)
        if v._key(body) in ("", *v.NOTHING):  # "Exclusion criteria: No" states that there are none
            continue
        lines = [line for line in body.splitlines() if line.strip()]
        if not any(LIST_MARKER.match(line) for line in lines):  # registries that write one criterion a line, unmarked
            body = "\n".join(f"- {line}" for line in lines)
        parts.append(f"{heading}\n{body}")
    return "\n".join(parts)


def _identifiers(written_id: str, trial_id: str, secondary: list[str], member_state: bool) -> list[Identifier]:
    """Secondary ids; an EU CTR member-state record also keeps its own id and its EudraCT number, and a trial ICTRP
    writes otherwise than its registry the id as ICTRP writes it ("JPRN-UMIN000039686")."""
    ids = [Identifier("SECONDARY_ID", value) for value in secondary]
    if member_state:
        ids += [Identifier("EUCTR_MEMBER_STATE_RECORD", written_id), Identifier("EUDRACT_NUMBER", trial_id[len("EUCTR"):])]
    elif written_id != trial_id:
        ids.append(Identifier("ICTRP_ID", written_id))
    return ids


def _interventions(record: TrialRecord, entries: list[str]) -> None:
    """"Drug: arbidol" (typed, as ClinicalTrials.gov writes them) or ChiCTR's "Experimental group:Chloroquine"
    (an arm and what it receives); anything else is the intervention's name as written."""
    for entry in entries:
        m = _TYPED_INTERVENTION.fullmatch(entry)
        kind = v.INTERVENTION_TYPE.get(v._key(m[1])) if m else None
        if kind:
            record.interventions.append(Intervention(kind, m[2].strip()))
        elif m and record.registry == "CHICTR":
            label, name = m[1].strip(), m[2].strip()
            if v._key(name) not in v.NOTHING:
                record.interventions.append(Intervention(None, name, arm_group_labels=[label]))
            if label not in (a.label for a in record.arm_groups):
                record.arm_groups.append(ArmGroup(label))
            arm = next(a for a in record.arm_groups if a.label == label)
            arm.intervention_names += [name] if v._key(name) not in v.NOTHING else []
        else:
            record.interventions.append(Intervention(None, entry))


def _design(record: TrialRecord, value: str | None) -> None:
    """The design fields a Study_design value states: one ChiCTR word, "Key: value" parts, or yes/no flags."""
    words = text(value)
    if not words:
        return
    # ChiCTR's one word is an intervention's design: its observational studies and surveys say "Sequential" too
    interventional = record.study_type == "INTERVENTIONAL"
    found: dict[str, str | None] = {}
    for part in words.split(",") if interventional else ():
        found.update(_DESIGN_WORDS.get(v._key(part), {}))
    trial_type = _ISRCTN_TRIAL_TYPE.search(words) if interventional and record.registry == "ISRCTN" else None
    if trial_type and (purpose := v.PRIMARY_PURPOSE.get(v._key(trial_type[1]))):
        found["primary_purpose"] = purpose
    randomised: set[bool] = set()  # what the flags (and NTR's type) say of randomisation: both is unknown
    if ntr_type := _NTR_TYPE.search(words):
        randomised.add(not ntr_type["non"])
    controlled = None  # EU CTR's "Controlled: yes", NTR's "Control: Placebo"
    for name, yes in _flags(words):
        key, said = v._key(name), yes.lower() == "yes"
        if key in _RANDOMISED:
            randomised.add(said)
        elif key == "controlled":
            controlled = said
        field, if_yes, if_no = _DESIGN_FLAGS.get(key, (None, None, None))
        value_ = if_yes if said else if_no
        if field and value_:
            found[field] = value_ if found.get(field, value_) == value_ else None  # contradicting flags: unknown
    for part in _DESIGN_PART.split(words):
        key, sep, val = part.partition(":")
        if sep and v._key(key) == "control":
            controlled = v._key(val.strip(" .;,")) not in _UNCONTROLLED
        field = _DESIGN_KEYS.get(v._key(key)) if sep else None
        if field and field not in found:
            level, _, roles = val.strip(" .;,").partition("(")
            found[field] = _DESIGN_VOCABULARY[field].get(v._key(level))
            if field == "masking" and found[field]:
                record.who_masked = [v.WHO_MASKED[k] for role in roles.rstrip(")").split(",")
                                     if (k := v._key(role)) in v.WHO_MASKED]
    if randomised and "allocation" not in found:  # (NTR's "2 or more arms" are groups to allocate to, as a control)
        said = randomised.pop() if len(randomised) == 1 else None
        found["allocation"] = allocation(said, controlled or bool(ntr_type))
    for field, value_ in found.items():
        setattr(record, field, value_)
