"""Legacy ClinicalTrials.gov XML (`<clinical_study>`, one study per document) → TrialRecord.

The registry published every study in this form from 2008 until 2023 (and bulk archives still hold
hundreds of thousands of them), so this reader is on the hot path: it makes one pass over the root's
children, grouped by tag, and reads nested values with `findtext` on plain child names. It reads
both generations of the schema: newer records (study_first_posted, study_design_info, gender "All")
and older ones (firstreceived_date, one free-text `study_design` line, gender "Both"), and does not
depend on the order of child elements (the 2014 archive stores them alphabetically).
"""
from __future__ import annotations

import re
from collections import defaultdict

from lxml import etree

from pipeline.criteria import split_criteria
from pipeline.sources import XML_PROLOG
from pipeline.record import (
    AdverseEvent, Analysis, ArmGroup, FlowCount, Identifier, Intervention, Location, Measurement, MeshTerm, Official,
    Outcome, ParseError, Reference, ResultGroup, TrialRecord,
)
from pipeline.vocabulary import (
    ALLOCATION, ARM_TYPE, CI_SIDES, DATE_TYPE, DISPERSION_TYPE, ENROLLMENT_TYPE, ENUM, INTERVENTION_MODEL,
    INTERVENTION_TYPE, LEGACY_NON_INFERIORITY, MAX_COUNT_DIGITS, OBSERVATIONAL_MODEL, OFFICIAL_ROLE,
    PARTICIPANTS_MEASURE, PRIMARY_PURPOSE, RESPONSIBLE_PARTY_TYPE, RESULT_OUTCOME_TYPE, SEX, SPONSOR_CLASS, STATUS,
    STUDY_TYPE, TIME_PERSPECTIVE, age_text, clean, comparator, lookup, masking, number, numbers_as_written,
    parse_date, phases, post_hoc, stated, whole_number, yes_no,
)

FORMAT = "ctgov_xml"

_PARSER = etree.XMLParser(encoding="utf-8", resolve_entities=False, no_network=True, huge_tree=False)
_ROOT = re.compile(
    XML_PROLOG + r"|<!DOCTYPE[^>\[]*>\s*)*"
    r"(?:<clinical_study[\s/>]|<!DOCTYPE\s+clinical_study\s*(?P<dtd>\[))", re.DOTALL
)
_NCT_ID = re.compile(r"NCT\d{8}")
_NOT_STATED = "N/A"
_LOCATION_FIELDS = ("name", "city", "state", "zip", "country")
_STUDY_TAGS = (
    "required_header", "id_info", "brief_title", "official_title", "acronym", "sponsors", "overall_status",
    "last_known_status", "phase", "study_type", "enrollment", "brief_summary", "detailed_description", "start_date",
    "primary_completion_date", "completion_date", "study_first_posted", "firstreceived_date", "last_update_posted",
    "lastchanged_date", "last_update_submitted", "condition", "keyword", "intervention", "arm_group",
    "primary_outcome", "secondary_outcome", "other_outcome", "location", "condition_browse", "intervention_browse",
    "eligibility", "study_design_info",
    "study_design", "why_stopped", "study_first_submitted", "number_of_arms", "oversight_info", "responsible_party",
    "overall_official", "reference", "results_reference", "results_first_submitted", "firstreceived_results_date",
    "results_first_posted", "clinical_results",
)

_OUTCOME_TYPES = {"primary_outcome": "PRIMARY", "secondary_outcome": "SECONDARY", "other_outcome": "OTHER"}
_MESH_KINDS = {"condition_browse": "CONDITION", "intervention_browse": "INTERVENTION"}
_REFERENCE_TYPES = {"reference": "BACKGROUND", "results_reference": "RESULT"}
_ID_TYPES = {"org_study_id": "ORG_STUDY_ID", "secondary_id": "SECONDARY_ID", "nct_alias": "NCT_ALIAS"}
_DESIGN_FIELDS = (
    "allocation", "intervention_model", "masking", "primary_purpose", "observational_model", "time_perspective",
)
# The free-text `study_design` line of older records: "Allocation: Randomized, Masking: Double Blind
# (Subject, Investigator), ..." — split before each "Key:", never inside a parenthesis list.
_LEGACY_DESIGN_PART = re.compile(r",\s*(?=[A-Z][A-Za-z ]*:)")
_LEGACY_DESIGN_KEYS = {
    "Allocation": "allocation", "Intervention Model": "intervention_model", "Masking": "masking",
    "Primary Purpose": "primary_purpose", "Observational Model": "observational_model",
    "Time Perspective": "time_perspective",
}  # "Endpoint Classification" has no place in the record
# Older observational records write their sampling as "Allocation: Random Sample"; it is not an
# allocation (the registry later moved it to sampling_method), and the record has no field for it.
_LEGACY_SAMPLING = "Random Sample"


def recognises(text: str) -> bool:
    """A `<clinical_study` root after an optional BOM, XML declaration, comments or DOCTYPE, or a DOCTYPE of
    clinical_study with declarations of its own (which `parse` refuses, saying so)."""
    return bool(_ROOT.match(text[:8192]))


def parse(text: str) -> list[TrialRecord]:
    """One legacy XML document → its one TrialRecord."""
    _refuse_declarations(text)
    return [_record(_root(text))]


def _refuse_declarations(text: str) -> None:
    """No registry record declares a DTD of its own; one that does is refused, as its entities would put in the
    record text that is not the record's (a local file's content, a billion-fold expansion)."""
    match = _ROOT.match(text[:8192])
    if match and match["dtd"]:
        what = "entity declarations" if "<!ENTITY" in text[match.end():text.find("<clinical_study")] else "a DTD"
        raise ParseError(f"{FORMAT}: XML with {what}: refused (registry records declare none)")


def _root(text: str) -> etree._Element:
    try:
        root = etree.fromstring(text.encode("utf-8"), _PARSER)
    except UnicodeEncodeError as exc:
        raise ParseError(f"{FORMAT}: text is not valid Unicode: {exc.reason}") from None
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"{FORMAT}: malformed XML: {exc}") from None
    if root.tag != "clinical_study":
        raise ParseError(f"{FORMAT}: root element is <{root.tag}>, not <clinical_study>")
    return root


def _record(root: etree._Element) -> TrialRecord:
    study: dict[str, list[etree._Element]] = defaultdict(list)
    for child in root.iterchildren(_STUDY_TAGS):  # filtered in C: results, references etc. never reach Python
        study[child.tag].append(child)

    def text(tag: str) -> str | None:
        return clean(study[tag][0].text) if tag in study else None

    def date_of(*tags: str):
        return next((parse_date(text(tag)) for tag in tags if tag in study), None)

    def date_type(tag: str) -> str | None:
        return lookup(DATE_TYPE, study[tag][0].get("type")) if tag in study else None

    ids = _texts_by_tag(study["id_info"][0]) if "id_info" in study else {}
    nct_id = _first_text(ids, "nct_id")
    if not nct_id:
        raise ParseError(f"{FORMAT}: no <nct_id>")
    if not _NCT_ID.fullmatch(nct_id):
        raise ParseError(f"{FORMAT}: <nct_id> {nct_id[:40]!r} is not an NCT number")

    sponsors = _grouped(study["sponsors"][0]) if "sponsors" in study else {}
    lead_sponsor = _texts_by_tag(sponsors["lead_sponsor"][0]) if "lead_sponsor" in sponsors else {}
    enrollment, enrollment_type = _enrollment(study["enrollment"][0]) if "enrollment" in study else (None, None)
    interventions = [i for el in study.get("intervention", ()) if (i := intervention(el))]
    study_type = text("study_type")
    record = TrialRecord(
        trial_id=nct_id,
        brief_title=text("brief_title"),
        official_title=text("official_title"),
        acronym=text("acronym"),
        lead_sponsor=_first_text(lead_sponsor, "agency"),
        sponsor_class=lookup(SPONSOR_CLASS, _first_text(lead_sponsor, "agency_class")),
        collaborators=[
            name for el in sponsors.get("collaborator", ()) if (name := _first_text(_texts_by_tag(el), "agency"))
        ],
        overall_status=lookup(STATUS, text("overall_status")),
        last_known_status=lookup(STATUS, text("last_known_status")),
        phases=phases(text("phase")),
        study_type=None if study_type == _NOT_STATED else lookup(STUDY_TYPE, study_type),
        enrollment=enrollment,
        enrollment_type=enrollment_type,
        brief_summary=_textblock(study.get("brief_summary")),
        detailed_description=_textblock(study.get("detailed_description")),
        start_date=date_of("start_date"),
        primary_completion_date=date_of("primary_completion_date"),
        completion_date=date_of("completion_date"),
        first_posted_date=date_of("study_first_posted"),
        last_update_posted_date=date_of("last_update_posted"),
        # the older schema's lastchanged_date is the date the last update was submitted (the registry's notice:
        # "lastchanged_date becomes last_update_submitted"; the Archive dates its versions by it)
        last_update_submitted_date=date_of("last_update_submitted", "lastchanged_date"),
        download_date=parse_date(study["required_header"][0].findtext("download_date"))
        if "required_header" in study else None,
        start_date_type=date_type("start_date"),
        primary_completion_date_type=date_type("primary_completion_date"),
        completion_date_type=date_type("completion_date"),
        # the older schema's firstreceived_date is the date submitted ("firstreceived_date becomes
        # study_first_submitted", as the registry's own notice in its records says); it states no posting date
        first_submitted_date=date_of("study_first_submitted", "firstreceived_date"),
        why_stopped=text("why_stopped"),
        has_dmc=yes_no(study["oversight_info"][0].findtext("has_dmc")) if "oversight_info" in study else None,
        number_of_arms=_whole(text("number_of_arms"), "number_of_arms"),
        has_results="clinical_results" in study,
        results_first_submitted_date=date_of("results_first_submitted", "firstreceived_results_date"),
        results_first_posted_date=date_of("results_first_posted"),
        overall_officials=[official for el in study.get("overall_official", ()) if (official := _official(el))],
        study_references=[
            Reference(kind, clean(el.findtext("PMID")), clean(el.findtext("citation")))
            for tag, kind in _REFERENCE_TYPES.items() for el in study.get(tag, ())
        ],
        conditions=_cleaned(el.text for el in study.get("condition", ())),
        keywords=_cleaned(el.text for el in study.get("keyword", ())),
        interventions=interventions,
        arm_groups=[arm for el in study.get("arm_group", ()) if (arm := _arm_group(el, interventions))],
        outcomes=[
            outcome for tag, kind in _OUTCOME_TYPES.items() for el in study.get(tag, ())
            if (outcome := _outcome(el, kind))
        ],
        identifiers=[
            Identifier(id_type, value)
            for tag, id_type in _ID_TYPES.items() for value in _cleaned(ids.get(tag, ()))
        ],
        locations=[location for el in study.get("location", ()) if (location := _location(el))],
        mesh_terms=[
            MeshTerm(term, kind)
            for tag, kind in _MESH_KINDS.items() for browse in study.get(tag, ())
            for term in _cleaned(_texts_by_tag(browse).get("mesh_term", ()))
        ],
    )
    if "eligibility" in study:
        _eligibility(record, study["eligibility"][0])
    design_info = _texts_by_tag(study["study_design_info"][0]) if "study_design_info" in study else {}
    _design(record, _design_fields(design_info, text("study_design")))
    if "responsible_party" in study:
        _responsible_party(record, _texts_by_tag(study["responsible_party"][0]))
    if "clinical_results" in study:
        _results(record, study["clinical_results"][0])
    return record


def _grouped(element: etree._Element) -> dict[str, list[etree._Element]]:
    """Child elements grouped by tag, in document order: one pass, no path lookups."""
    grouped: dict[str, list[etree._Element]] = defaultdict(list)
    for child in element:
        grouped[child.tag].append(child)
    return grouped


def _texts_by_tag(element: etree._Element) -> dict[str, list[str | None]]:
    """The texts of an element's children grouped by tag (for elements whose children are leaves)."""
    texts: dict[str, list[str | None]] = defaultdict(list)
    for child in element:
        texts[child.tag].append(child.text)
    return texts


def _first_text(texts: dict[str, list[str | None]], tag: str) -> str | None:
    values = texts.get(tag)
    return clean(values[0]) if values else None


def _cleaned(texts) -> list[str]:
    return [value for text in texts if (value := clean(text))]


def _textblock(elements: list[etree._Element] | None) -> str | None:
    return clean(elements[0].findtext("textblock")) if elements else None


def _enrollment(element: etree._Element) -> tuple[int | None, str | None]:
    """`<enrollment type="Anticipated">50</enrollment>` → (50, "ESTIMATED"); no type → None."""
    count = clean(element.text)
    if count and count.isascii() and count.isdigit() and len(count) > MAX_COUNT_DIGITS:
        raise ParseError(f"{FORMAT}: <enrollment> of {len(count):,} digits ({count[:20]}…): no count a registry holds")
    try:
        enrollment = int(count) if count else None
    except ValueError:
        raise ParseError(f"{FORMAT}: <enrollment> {count[:40]!r} is not a whole number") from None
    return enrollment, lookup(ENROLLMENT_TYPE, element.get("type"))


def _eligibility(record: TrialRecord, eligibility: etree._Element) -> None:
    fields = _grouped(eligibility)
    criteria = fields.get("criteria")
    record.eligibility_criteria = split_criteria(criteria[0].findtext("textblock") if criteria else None)
    texts = {tag: elements[0].text for tag, elements in fields.items()}
    record.sex = lookup(SEX, clean(texts.get("gender", texts.get("sex"))))
    record.minimum_age = age_text(clean(texts.get("minimum_age")))
    record.maximum_age = age_text(clean(texts.get("maximum_age")))
    record.healthy_volunteers = yes_no(clean(texts.get("healthy_volunteers")))


def _design_fields(design_info: dict[str, list[str | None]], legacy_design: str | None) -> dict[str, str]:
    """Design values by record field, from `study_design_info` or the older one-line `study_design`."""
    fields: dict[str, str] = {}
    for part in _LEGACY_DESIGN_PART.split(legacy_design or ""):
        key, _, value = part.partition(":")
        field = _LEGACY_DESIGN_KEYS.get(key.strip())
        if field and (value := value.strip()) and value != _LEGACY_SAMPLING:
            fields[field] = value
    for field in _DESIGN_FIELDS:
        if value := _first_text(design_info, field):
            fields[field] = value
    return fields


def _design(record: TrialRecord, fields: dict[str, str]) -> None:
    record.allocation = lookup(ALLOCATION, fields.get("allocation"))
    record.intervention_model = lookup(INTERVENTION_MODEL, fields.get("intervention_model"))
    record.masking, record.who_masked = masking(fields.get("masking"))
    record.primary_purpose = lookup(PRIMARY_PURPOSE, fields.get("primary_purpose"))
    record.observational_model = lookup(OBSERVATIONAL_MODEL, fields.get("observational_model"))
    record.time_perspective = lookup(TIME_PERSPECTIVE, fields.get("time_perspective"))


def intervention(element: etree._Element, tags=("intervention_name", "intervention_type", "description")
                 ) -> Intervention | None:
    """An intervention; None when it has no name. `tags` name its name, type and description elements (the
    Archive's older schema has others)."""
    name_tag, type_tag, description_path = tags
    texts = _texts_by_tag(element)
    name = _first_text(texts, name_tag)
    if not name:
        return None
    return Intervention(
        intervention_type=lookup(INTERVENTION_TYPE, _first_text(texts, type_tag)),
        name=name,
        description=stated(element.findtext(description_path)),
        arm_group_labels=_cleaned(texts.get("arm_group_label", ())),
        other_names=_cleaned(texts.get("other_name", ())),
    )


def _arm_group(element: etree._Element, interventions: list[Intervention]) -> ArmGroup | None:
    """An arm; its intervention names are those of the interventions that list its label."""
    texts = _texts_by_tag(element)
    label = _first_text(texts, "arm_group_label")
    if not label:
        return None
    return ArmGroup(
        label=label,
        arm_type=lookup(ARM_TYPE, _first_text(texts, "arm_group_type")),
        description=_first_text(texts, "description"),
        intervention_names=[i.name for i in interventions if label in i.arm_group_labels],
    )


def _outcome(element: etree._Element, outcome_type: str) -> Outcome | None:
    """An outcome measure; None when it has no measure."""
    texts = _texts_by_tag(element)
    measure = _first_text(texts, "measure")
    if not measure:
        return None
    return Outcome(outcome_type, measure, _first_text(texts, "time_frame"), _first_text(texts, "description"))


def _location(element: etree._Element) -> Location | None:
    """A site's facility name and address; None when the location states neither.

    The only elements of these names under <location> are facility/name and facility/address/*
    (contacts and investigators use last_name), so one filtered walk finds them all.
    """
    fields = {node.tag: node.text for node in element.iter(_LOCATION_FIELDS)}
    if not fields:
        return None
    return Location(
        facility=clean(fields.get("name")), city=clean(fields.get("city")), state=clean(fields.get("state")),
        zip=clean(fields.get("zip")), country=clean(fields.get("country")),
    )


def _whole(text: str | None, tag: str, source: str = FORMAT) -> int | None:
    if text is None:
        return None
    if (value := whole_number(text)) is None:
        raise ParseError(f"{source}: <{tag}> {text[:40]!r} is not a whole number")
    return value


def _official(element: etree._Element) -> Official | None:
    """An overall official; the name's parts joined as written (newer records put it all in last_name)."""
    texts = _texts_by_tag(element)
    name = clean(" ".join(filter(None, (_first_text(texts, tag) for tag in ("first_name", "middle_name", "last_name")))))
    if degrees := _first_text(texts, "degrees"):
        name = f"{name}, {degrees}" if name else None
    if not name:
        return None
    return Official(name, lookup(OFFICIAL_ROLE, _first_text(texts, "role")), _first_text(texts, "affiliation"))


def _responsible_party(record: TrialRecord, texts: dict[str, list[str | None]]) -> None:
    """Newer records name a type and an investigator; older ones only a name_title and organization."""
    record.responsible_party_type = lookup(RESPONSIBLE_PARTY_TYPE, _first_text(texts, "responsible_party_type"))
    record.responsible_party_name = _first_text(texts, "investigator_full_name") or _first_text(texts, "name_title")
    record.responsible_party_title = _first_text(texts, "investigator_title")
    record.responsible_party_affiliation = (_first_text(texts, "investigator_affiliation")
                                            or _first_text(texts, "organization"))


# Results. The legacy form numbers groups per table (P1, B1, O1, E1); API v2 codes them FG000, BG000,
# OG000, EG000 in the same order, and the contract uses the API's codes, so both forms give the same rows.
_GROUP_ID = re.compile(r"([PBOE])([1-9]\d{0,8})")  # (an id of thousands of digits is kept as written)
_GROUP_PREFIX = {"P": "FG", "B": "BG", "O": "OG", "E": "EG"}
_FLOW_ROWS = {"MILESTONE": "milestone_list/milestone", "DROP_WITHDRAWAL": "drop_withdraw_reason_list/drop_withdraw_reason"}
_EVENT_LISTS = {"SERIOUS": "serious_events", "OTHER": "other_events"}
_EVENT_TOTALS = {"Total, serious adverse events": "serious", "Total, other adverse events": "other",
                 "Total, all-cause mortality": "deaths"}  # the "Total" category: per group, not an event


def _group_code(legacy_id: str | None) -> str:
    """P1 → FG000, B2 → BG001, O1 → OG000, E3 → EG002; an id of another shape is kept as written."""
    if not (legacy_id := clean(legacy_id)):
        raise ParseError(f"{FORMAT}: a results group or value has no group_id")
    m = _GROUP_ID.fullmatch(legacy_id)
    return f"{_GROUP_PREFIX[m[1]]}{int(m[2]) - 1:03d}" if m else legacy_id


def _results(record: TrialRecord, results: etree._Element) -> None:
    flow = results.find("participant_flow")
    if flow is not None:
        record.result_groups += _groups(flow, "PARTICIPANT_FLOW")
        record.participant_flow = [
            FlowCount(period_title, kind, clean(row.findtext("title")), _group_code(p.get("group_id")),
                      whole_number(p.get("count")), clean(p.get("count")))
            for period in flow.iterfind("period_list/period") for period_title in [clean(period.findtext("title"))]
            for kind, path in _FLOW_ROWS.items() for row in period.iterfind(path)
            for p in row.iterfind("participants_list/participants")
        ]
    baseline = results.find("baseline")
    if baseline is not None:
        record.result_groups += _groups(baseline, "BASELINE")
        measures, analyzed = _measures_and_counts(baseline.findall("measure_list/measure"), _analyzed(baseline))
        record.baseline_measurements = [
            cell for ordinal, measure in enumerate(measures, 1)
            for cell in _measurements(measure, analyzed, measure_ordinal=ordinal)
        ]
    for ordinal, outcome in enumerate(results.iterfind("outcome_list/outcome"), 1):
        _outcome_results(record, outcome, ordinal)
    events = results.find("reported_events")
    if events is not None:
        groups = _groups(events, "ADVERSE_EVENT")
        record.result_groups += groups
        _events(record, events, {g.group_code: g for g in groups})


def _groups(section: etree._Element, result_type: str, outcome_ordinal: int | None = None) -> list[ResultGroup]:
    return [
        ResultGroup(result_type, _group_code(g.get("group_id")), clean(g.findtext("title")),
                    clean(g.findtext("description")), outcome_ordinal)
        for g in section.iterfind("group_list/group")
    ]


def _analyzed(element: etree._Element, analyzed: dict | None = None) -> dict[str, tuple[int | None, str | None]]:
    """Group code → (number analyzed, its units) from an element's first analyzed list; else `analyzed`."""
    first = element.find("analyzed_list/analyzed")
    if first is None:
        return analyzed or {}
    units = clean(first.findtext("units"))
    return {_group_code(c.get("group_id")): (whole_number(c.get("value")), units)
            for c in first.iterfind("count_list/count")}


def _measures_and_counts(measures: list[etree._Element], analyzed: dict) -> tuple[list[etree._Element], dict]:
    """Older records write the numbers analyzed as a first measure "Number of Participants": take it as the
    counts of the measures after it, as newer records' analyzed list is."""
    if measures and not analyzed and measures[0].findtext("title") == PARTICIPANTS_MEASURE:
        units = clean(measures[0].findtext("units"))
        counts = {_group_code(m.get("group_id")): (whole_number(m.get("value")), units)
                  for m in measures[0].iterfind("category_list/category/measurement_list/measurement")}
        return measures[1:], counts
    return measures, analyzed


def _measurements(measure: etree._Element, analyzed: dict, **context) -> list[Measurement]:
    """Every cell of one measure: classes (newer records) or categories directly under it (older ones); the
    numbers analyzed are the class's, else the measure's, else `analyzed` (the table's)."""
    texts = _texts_by_tag(measure)
    header = dict(units=_first_text(texts, "units"), param_type=lookup(ENUM, _first_text(texts, "param")),
                  dispersion_type=lookup(DISPERSION_TYPE, _first_text(texts, "dispersion")))
    context.setdefault("title", _first_text(texts, "title"))
    cells, analyzed = [], _analyzed(measure, analyzed)
    for cls in measure.findall("class_list/class") or [measure]:
        class_title = None if cls is measure else clean(cls.findtext("title"))
        counts = _analyzed(cls, analyzed)
        for category in cls.iterfind("category_list/category"):
            category_title = clean(category.findtext("title") or category.findtext("sub_title"))
            for m in category.iterfind("measurement_list/measurement"):
                code = _group_code(m.get("group_id"))
                n, units = counts.get(code, (None, None))
                cells.append(Measurement(
                    group_code=code, class_title=class_title, category=category_title, **header, **context,
                    **numbers_as_written(m.get, value="value", dispersion_value="spread", lower_limit="lower_limit",
                                         upper_limit="upper_limit"),
                    comment=clean(m.text), analyzed=n, analyzed_units=units))
    return cells



def _outcome_results(record: TrialRecord, outcome: etree._Element, ordinal: int) -> None:
    texts = _texts_by_tag(outcome)
    written = _first_text(texts, "type")
    context = dict(outcome_ordinal=ordinal, outcome_type=lookup(RESULT_OUTCOME_TYPE, written),
                   post_hoc=post_hoc(written), title=_first_text(texts, "title"))
    record.result_groups += _groups(outcome, "OUTCOME", ordinal)
    measures, analyzed = (_measures_and_counts(outcome.findall("measure_list/measure"), {})
                          if outcome.find("measure_list") is not None else (outcome.findall("measure"), {}))
    for measure in measures:
        record.outcome_measurements += _measurements(measure, analyzed, time_frame=_first_text(texts, "time_frame"),
                                                     **context)
    record.outcome_analyses += [
        Analysis(**context, analysis_ordinal=n, group_codes=[_group_code(g.text) for g in a.iterfind("group_id_list/group_id")],
                 groups_description=clean(a.findtext("groups_desc")),
                 non_inferiority_type=lookup(ENUM, a.findtext("non_inferiority_type"))
                 or lookup(LEGACY_NON_INFERIORITY, a.findtext("non_inferiority")), method=clean(a.findtext("method")),
                 param_type=clean(a.findtext("param_type")),
                 dispersion_type=lookup(DISPERSION_TYPE, a.findtext("dispersion_type")),
                 dispersion_value=number(clean(a.findtext("dispersion_value"))),
                 ci_percent=number(clean(a.findtext("ci_percent"))), ci_n_sides=lookup(CI_SIDES, a.findtext("ci_n_sides")),
                 estimate_description=clean(a.findtext("estimate_desc")),
                 p_value_modifier=comparator(clean(a.findtext("p_value"))),
                 **numbers_as_written(a.findtext, p_value="p_value", param_value="param_value",
                                      ci_lower="ci_lower_limit", ci_upper="ci_upper_limit"))
        for n, a in enumerate(outcome.iterfind("analysis_list/analysis"), 1)
    ]


def _events(record: TrialRecord, events: etree._Element, groups: dict[str, ResultGroup]) -> None:
    for event_type, tag in _EVENT_LISTS.items():
        ordinal = 0
        for category in events.iterfind(f"{tag}/category_list/category"):
            organ_system = clean(category.findtext("title"))
            for event in category.iterfind("event_list/event"):
                term = clean(event.findtext("sub_title"))
                total = _EVENT_TOTALS.get(term) if organ_system == "Total" else None
                ordinal += not total
                for c in event.iterfind("counts"):
                    code = _group_code(c.get("group_id"))
                    affected, at_risk = whole_number(c.get("subjects_affected")), whole_number(c.get("subjects_at_risk"))
                    if total and code in groups:
                        setattr(groups[code], f"{total}_affected", affected)
                        setattr(groups[code], f"{total}_at_risk", at_risk)
                    elif not total:
                        record.adverse_events.append(AdverseEvent(event_type, ordinal, organ_system, term, code, affected,
                                                                  at_risk, whole_number(c.get("events"))))
