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
from pipeline.record import (
    ArmGroup, Identifier, Intervention, Location, MeshTerm, Outcome, ParseError, TrialRecord,
)
from pipeline.vocabulary import (
    ALLOCATION, ARM_TYPE, ENROLLMENT_TYPE, INTERVENTION_MODEL, INTERVENTION_TYPE, OBSERVATIONAL_MODEL,
    PRIMARY_PURPOSE, SEX, SPONSOR_CLASS, STATUS, STUDY_TYPE, TIME_PERSPECTIVE, age_text, clean, lookup,
    masking, parse_date, phases, yes_no,
)

FORMAT = "ctgov_xml"

_PARSER = etree.XMLParser(encoding="utf-8", resolve_entities=False, no_network=True, huge_tree=False)
_ROOT = re.compile(
    r"\A\ufeff?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*|<!DOCTYPE[^>\[]*>\s*)*"
    r"(?:<clinical_study[\s/>]|<!DOCTYPE\s+clinical_study\s*(?P<dtd>\[))", re.DOTALL
)
_NCT_ID = re.compile(r"NCT\d{8}")
_NOT_STATED = "N/A"
_LOCATION_FIELDS = ("name", "city", "state", "zip", "country")
_STUDY_TAGS = (
    "id_info", "brief_title", "official_title", "acronym", "sponsors", "overall_status", "last_known_status",
    "phase", "study_type", "enrollment", "brief_summary", "detailed_description", "start_date",
    "primary_completion_date", "completion_date", "study_first_posted", "firstreceived_date", "last_update_posted",
    "lastchanged_date", "condition", "keyword", "intervention", "arm_group", "primary_outcome", "secondary_outcome",
    "other_outcome", "location", "condition_browse", "intervention_browse", "eligibility", "study_design_info",
    "study_design",
)

_OUTCOME_TYPES = {"primary_outcome": "PRIMARY", "secondary_outcome": "SECONDARY", "other_outcome": "OTHER"}
_MESH_KINDS = {"condition_browse": "CONDITION", "intervention_browse": "INTERVENTION"}
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

    ids = _texts_by_tag(study["id_info"][0]) if "id_info" in study else {}
    nct_id = _first_text(ids, "nct_id")
    if not nct_id:
        raise ParseError(f"{FORMAT}: no <nct_id>")
    if not _NCT_ID.fullmatch(nct_id):
        raise ParseError(f"{FORMAT}: <nct_id> {nct_id[:40]!r} is not an NCT number")

    sponsors = _grouped(study["sponsors"][0]) if "sponsors" in study else {}
    lead_sponsor = _texts_by_tag(sponsors["lead_sponsor"][0]) if "lead_sponsor" in sponsors else {}
    enrollment, enrollment_type = _enrollment(study["enrollment"][0]) if "enrollment" in study else (None, None)
    interventions = [i for el in study.get("intervention", ()) if (i := _intervention(el))]
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
        first_posted_date=date_of("study_first_posted", "firstreceived_date"),
        last_update_posted_date=date_of("last_update_posted", "lastchanged_date"),
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


def _intervention(element: etree._Element) -> Intervention | None:
    """An intervention; None when it has no name."""
    texts = _texts_by_tag(element)
    name = _first_text(texts, "intervention_name")
    if not name:
        return None
    return Intervention(
        intervention_type=lookup(INTERVENTION_TYPE, _first_text(texts, "intervention_type")),
        name=name,
        description=_first_text(texts, "description"),
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
