"""ClinicalTrials.gov API v2 JSON → TrialRecord: one study (`{"protocolSection": …}`) or a search page.

The registry's current data model; its enums (RANDOMIZED, QUADRUPLE, EARLY_PHASE1, …) are already the
contract's vocabulary, so values pass through the shared vocabulary tables unchanged. A search-response
page (`{"studies": [...]}`) yields one record per study. JSON from outside is checked for shape as it
is read: a value of the wrong JSON type is a ParseError naming the field, never a TypeError.
"""
from __future__ import annotations

import re
from datetime import date
from functools import partial
from typing import Any

import orjson

from pipeline.criteria import split_criteria
from pipeline.record import (
    AdverseEvent, Analysis, ArmGroup, FlowCount, Identifier, Intervention, Location, Measurement, MeshTerm, Official,
    Outcome, ParseError, Reference, ResultGroup, TrialRecord,
)
from pipeline.vocabulary import (
    ALLOCATION, ARM_TYPE, CI_SIDES, DATE_TYPE, DISPERSION_TYPE, ENROLLMENT_TYPE, ENUM, ID_TYPE, INTERVENTION_MODEL,
    INTERVENTION_TYPE, MASKING, OBSERVATIONAL_MODEL, OFFICIAL_ROLE, PHASE_ORDER, PRIMARY_PURPOSE,
    RESPONSIBLE_PARTY_TYPE, RESULT_OUTCOME_TYPE, SEX, SPONSOR_CLASS, STATUS, STUDY_TYPE, TIME_PERSPECTIVE, age_text,
    clean, comparator, lookup, number, numbers_as_written, parse_date, post_hoc, who_masked, whole_number,
)

FORMAT = "ctgov_api_v2_json"

_NEAR_START = 2048
_NCT_ID = re.compile(r"NCT\d{8}")
_MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")  # "\[QOL\]", "\>1 month": the registry's markdown escapes
_MARKDOWN_BULLET = re.compile(r"^([ \t]*)[*+](?=[ \t])", re.MULTILINE)  # "* item": a list item, "-" in the legacy text
_OUTCOME_TYPES = {"primaryOutcomes": "PRIMARY", "secondaryOutcomes": "SECONDARY", "otherOutcomes": "OTHER"}
_MESH_KINDS = {"conditionBrowseModule": "CONDITION", "interventionBrowseModule": "INTERVENTION"}
_PHASE_RANK = {phase: rank for rank, phase in enumerate(PHASE_ORDER)}
_INTERVENTION_TYPES = frozenset(INTERVENTION_TYPE.values())
_JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}


def recognises(text: str) -> bool:
    """A JSON object with "protocolSection" or "studies" near its start."""
    head = text[:_NEAR_START]
    return head.lstrip("\ufeff \t\r\n").startswith("{") and ('"protocolSection"' in head or '"studies"' in head)


def parse(text: str) -> list[TrialRecord]:
    """One study, or every study of a search-response page, as TrialRecords."""
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise ParseError(f"{FORMAT}: malformed JSON: {exc}") from None
    if not isinstance(document, dict):
        raise ParseError(f"{FORMAT}: not a study: the document is a JSON {_json_type(document)}")
    if "protocolSection" in document:
        return [_record(document)]
    if "studies" in document:
        studies = _list(document, "studies")
        if not studies:
            raise ParseError(f"{FORMAT}: search page holds no studies")
        return [_record(_as_object(study, "studies[]")) for study in studies]
    raise ParseError(f"{FORMAT}: not a study: no protocolSection or studies")


def _record(study: dict) -> TrialRecord:
    protocol = _object(study, "protocolSection")
    identification = _object(protocol, "identificationModule")
    nct_id = clean(_str(identification, "nctId"))
    if not nct_id:
        raise ParseError(f"{FORMAT}: no protocolSection.identificationModule.nctId")
    if not _NCT_ID.fullmatch(nct_id):
        raise ParseError(f"{FORMAT}: nctId {nct_id[:40]!r} is not an NCT number")

    status = _object(protocol, "statusModule")
    sponsors = _object(protocol, "sponsorCollaboratorsModule")
    lead_sponsor = _object(sponsors, "leadSponsor")
    description = _object(protocol, "descriptionModule")
    conditions = _object(protocol, "conditionsModule")
    design = _object(protocol, "designModule")
    design_info = _object(design, "designInfo")
    masking_info = _object(design_info, "maskingInfo")
    enrollment = _object(design, "enrollmentInfo")
    arms = _object(protocol, "armsInterventionsModule")
    eligibility = _object(protocol, "eligibilityModule")
    derived = _object(study, "derivedSection")
    responsible = _object(sponsors, "responsibleParty")
    record = TrialRecord(
        trial_id=nct_id,
        brief_title=clean(_str(identification, "briefTitle")),
        official_title=clean(_str(identification, "officialTitle")),
        acronym=clean(_str(identification, "acronym")),
        lead_sponsor=clean(_str(lead_sponsor, "name")),
        sponsor_class=lookup(SPONSOR_CLASS, _str(lead_sponsor, "class")),
        collaborators=[
            name for c in _objects(sponsors, "collaborators") if (name := clean(_str(c, "name")))
        ],
        overall_status=lookup(STATUS, _str(status, "overallStatus")),
        last_known_status=lookup(STATUS, _str(status, "lastKnownStatus")),
        phases=_phases(_strings(design, "phases")),
        study_type=lookup(STUDY_TYPE, _str(design, "studyType")),
        enrollment=_int(enrollment, "count"),
        enrollment_type=lookup(ENROLLMENT_TYPE, _str(enrollment, "type")),
        sex=lookup(SEX, _str(eligibility, "sex")),
        minimum_age=age_text(_str(eligibility, "minimumAge")),
        maximum_age=age_text(_str(eligibility, "maximumAge")),
        healthy_volunteers=_bool(eligibility, "healthyVolunteers"),
        allocation=lookup(ALLOCATION, _str(design_info, "allocation")),
        intervention_model=lookup(INTERVENTION_MODEL, _str(design_info, "interventionModel")),
        observational_model=lookup(OBSERVATIONAL_MODEL, _str(design_info, "observationalModel")),
        time_perspective=lookup(TIME_PERSPECTIVE, _str(design_info, "timePerspective")),
        masking=lookup(MASKING, _str(masking_info, "masking")),
        who_masked=who_masked(_strings(masking_info, "whoMasked")),
        primary_purpose=lookup(PRIMARY_PURPOSE, _str(design_info, "primaryPurpose")),
        brief_summary=_markup(description, "briefSummary"),
        detailed_description=_markup(description, "detailedDescription"),
        start_date=_date(status, "startDateStruct"),
        primary_completion_date=_date(status, "primaryCompletionDateStruct"),
        completion_date=_date(status, "completionDateStruct"),
        first_posted_date=_date(status, "studyFirstPostDateStruct"),
        last_update_posted_date=_date(status, "lastUpdatePostDateStruct"),
        start_date_type=_date_type(status, "startDateStruct"),
        primary_completion_date_type=_date_type(status, "primaryCompletionDateStruct"),
        completion_date_type=_date_type(status, "completionDateStruct"),
        first_submitted_date=parse_date(_str(status, "studyFirstSubmitDate")),
        last_update_submitted_date=parse_date(_str(status, "lastUpdateSubmitDate")),
        why_stopped=clean(_str(status, "whyStopped")),
        has_dmc=_bool(_object(protocol, "oversightModule"), "oversightHasDmc"),
        responsible_party_type=lookup(RESPONSIBLE_PARTY_TYPE, _str(responsible, "type")),
        responsible_party_name=clean(_str(responsible, "investigatorFullName") or _str(responsible, "oldNameTitle")),
        responsible_party_title=clean(_str(responsible, "investigatorTitle")),
        responsible_party_affiliation=clean(_str(responsible, "investigatorAffiliation")
                                            or _str(responsible, "oldOrganization")),
        has_results=_bool(study, "hasResults"),
        results_first_submitted_date=parse_date(_str(status, "resultsFirstSubmitDate")),
        results_first_posted_date=_date(status, "resultsFirstPostDateStruct"),
        overall_officials=[
            Official(name, lookup(OFFICIAL_ROLE, _str(item, "role")), clean(_str(item, "affiliation")))
            for item in _objects(_object(protocol, "contactsLocationsModule"), "overallOfficials")
            if (name := clean(_str(item, "name")))
        ],
        study_references=[
            Reference(lookup(ENUM, _str(item, "type")), clean(_str(item, "pmid")), clean(_str(item, "citation")))
            for item in _objects(_object(protocol, "referencesModule"), "references")
        ],
        conditions=_cleaned(_strings(conditions, "conditions")),
        keywords=_cleaned(_strings(conditions, "keywords")),
        interventions=[i for item in _objects(arms, "interventions") if (i := _intervention(item))],
        arm_groups=[arm for item in _objects(arms, "armGroups") if (arm := _arm_group(item))],
        eligibility_criteria=split_criteria(_unescaped(_str(eligibility, "eligibilityCriteria"))),
        outcomes=[
            Outcome(kind, measure, clean(_str(item, "timeFrame")), _markup(item, "description"))
            for key, kind in _OUTCOME_TYPES.items() for item in _objects(_object(protocol, "outcomesModule"), key)
            if (measure := clean(_str(item, "measure")))
        ],
        identifiers=_identifiers(identification),
        locations=[
            location for item in _objects(_object(protocol, "contactsLocationsModule"), "locations")
            if (location := _location(item))
        ],
        mesh_terms=[
            MeshTerm(term, kind)
            for key, kind in _MESH_KINDS.items() for mesh in _objects(_object(derived, key), "meshes")
            if (term := clean(_str(mesh, "term")))
        ],
    )
    _results(record, _object(study, "resultsSection"))
    return record


def _phases(values: list[str]) -> list[str]:
    """API phases are already contract values: keep them (unknown ones too, for the schema to name), ordered."""
    return sorted(set(values), key=lambda phase: (_PHASE_RANK.get(phase, len(_PHASE_RANK)), phase))


def _intervention(item: dict) -> Intervention | None:
    name = clean(_str(item, "name"))
    if not name:
        return None
    return Intervention(
        intervention_type=lookup(INTERVENTION_TYPE, _str(item, "type")),
        name=name,
        description=_markup(item, "description"),
        arm_group_labels=_cleaned(_strings(item, "armGroupLabels")),
        other_names=_cleaned(_strings(item, "otherNames")),
    )


def _arm_group(item: dict) -> ArmGroup | None:
    label = clean(_str(item, "label"))
    if not label:
        return None
    return ArmGroup(
        label=label,
        arm_type=lookup(ARM_TYPE, _str(item, "type")),
        description=_markup(item, "description"),
        intervention_names=[_intervention_name(name) for name in _cleaned(_strings(item, "interventionNames"))],
    )


def _intervention_name(text: str) -> str:
    """"Drug: Aspirin" → "Aspirin", so arm groups name interventions as the interventions list does."""
    prefix, colon, name = text.partition(": ")
    return name if colon and name and lookup(INTERVENTION_TYPE, prefix) in _INTERVENTION_TYPES else text


def _identifiers(identification: dict) -> list[Identifier]:
    identifiers = []
    if org_study_id := clean(_str(_object(identification, "orgStudyIdInfo"), "id")):
        identifiers.append(Identifier("ORG_STUDY_ID", org_study_id))
    for item in _objects(identification, "secondaryIdInfos"):
        if value := clean(_str(item, "id")):
            identifiers.append(Identifier(lookup(ID_TYPE, _str(item, "type")) or "SECONDARY_ID", value))
    identifiers.extend(Identifier("NCT_ALIAS", alias) for alias in _cleaned(_strings(identification, "nctIdAliases")))
    return identifiers


def _location(item: dict) -> Location | None:
    location = Location(
        facility=clean(_str(item, "facility")), city=clean(_str(item, "city")), state=clean(_str(item, "state")),
        zip=clean(_str(item, "zip")), country=clean(_str(item, "country")),
    )
    return location if any((location.facility, location.city, location.state, location.zip, location.country)) else None


def _date(status: dict, key: str) -> date | None:
    return parse_date(_str(_object(status, key), "date"))


def _date_type(status: dict, key: str) -> str | None:
    return lookup(DATE_TYPE, _str(_object(status, key), "type"))


def _markup(node: dict, key: str) -> str | None:
    """A free-text (markdown) field as plain text: escapes removed, list items bulleted "-" as the legacy
    XML and the registry's pages write them, white space folded."""
    text = _str(node, key)
    return clean(_unescaped(_MARKDOWN_BULLET.sub(r"\1-", text))) if text else None


def _unescaped(text: str | None) -> str | None:
    return _MARKDOWN_ESCAPE.sub(r"\1", text) if text else text


def _cleaned(values: list[str]) -> list[str]:
    return [value for text in values if (value := clean(text))]


# Results: the same rows as the legacy reader gives for the same trial (see ctgov_xml's results part).
_FLOW_ROWS = {"MILESTONE": ("milestones", "achievements"), "DROP_WITHDRAWAL": ("dropWithdraws", "reasons")}
_EVENT_LISTS = {"SERIOUS": "seriousEvents", "OTHER": "otherEvents"}
_EVENT_TOTALS = ("serious", "other", "deaths")


def _results(record: TrialRecord, results: dict) -> None:
    flow = _object(results, "participantFlowModule")
    record.result_groups += _groups(flow, "groups", "PARTICIPANT_FLOW")
    record.participant_flow = [
        FlowCount(period_title, kind, clean(_str(row, "type")), _code(count), whole_number(raw), clean(raw))
        for period in _objects(flow, "periods") for period_title in [clean(_str(period, "title"))]
        for kind, (rows, counts) in _FLOW_ROWS.items() for row in _objects(period, rows)
        for count in _objects(row, counts) for raw in [_str(count, "numSubjects")]
    ]
    baseline = _object(results, "baselineCharacteristicsModule")
    record.result_groups += _groups(baseline, "groups", "BASELINE")
    analyzed = _analyzed(baseline)
    record.baseline_measurements = [
        cell for ordinal, measure in enumerate(_objects(baseline, "measures"), 1)
        for cell in _measurements(measure, analyzed, measure_ordinal=ordinal, title=clean(_str(measure, "title")))
    ]
    for ordinal, outcome in enumerate(_objects(_object(results, "outcomeMeasuresModule"), "outcomeMeasures"), 1):
        _outcome_results(record, outcome, ordinal)
    events = _object(results, "adverseEventsModule")
    groups = _groups(events, "eventGroups", "ADVERSE_EVENT")
    for group, item in zip(groups, _objects(events, "eventGroups")):
        for total in _EVENT_TOTALS:
            setattr(group, f"{total}_affected", _int(item, f"{total}NumAffected"))
            setattr(group, f"{total}_at_risk", _int(item, f"{total}NumAtRisk"))
    record.result_groups += groups
    record.adverse_events = [
        AdverseEvent(event_type, ordinal, clean(_str(event, "organSystem")), clean(_str(event, "term")), _code(stat),
                     _int(stat, "numAffected"), _int(stat, "numAtRisk"), _int(stat, "numEvents"))
        for event_type, key in _EVENT_LISTS.items() for ordinal, event in enumerate(_objects(events, key), 1)
        for stat in _objects(event, "stats")
    ]


def _code(item: dict, key: str = "groupId") -> str:
    if not (code := clean(_str(item, key))):
        raise ParseError(f"{FORMAT}: a results group or value has no {key}")
    return code


def _groups(module: dict, key: str, result_type: str, outcome_ordinal: int | None = None) -> list[ResultGroup]:
    return [ResultGroup(result_type, _code(g, "id"), clean(_str(g, "title")), _markup(g, "description"), outcome_ordinal)
            for g in _objects(module, key)]


def _analyzed(node: dict, analyzed: dict | None = None) -> dict[str, tuple[int | None, str | None]]:
    """Group code → (number analyzed, its units) from a node's first denominator; else `analyzed`."""
    denoms = _objects(node, "denoms")
    if not denoms:
        return analyzed or {}
    units = clean(_str(denoms[0], "units"))
    return {_code(c): (whole_number(_str(c, "value")), units) for c in _objects(denoms[0], "counts")}


def _measurements(measure: dict, analyzed: dict, **context) -> list[Measurement]:
    """Every cell of one measure; the numbers analyzed are the class's, else the measure's, else `analyzed`."""
    header = dict(units=clean(_str(measure, "unitOfMeasure")), param_type=lookup(ENUM, _str(measure, "paramType")),
                  dispersion_type=lookup(DISPERSION_TYPE, _str(measure, "dispersionType")))
    cells, analyzed = [], _analyzed(measure, analyzed)
    for cls in _objects(measure, "classes"):
        class_title, counts = clean(_str(cls, "title")), _analyzed(cls, analyzed)
        for category in _objects(cls, "categories"):
            category_title = clean(_str(category, "title"))
            for m in _objects(category, "measurements"):
                code = _code(m)
                n, units = counts.get(code, (None, None))
                cells.append(Measurement(
                    group_code=code, class_title=class_title, category=category_title, **header, **context,
                    **numbers_as_written(partial(_str, m), value="value", dispersion_value="spread",
                                         lower_limit="lowerLimit", upper_limit="upperLimit"),
                    comment=clean(_str(m, "comment")), analyzed=n, analyzed_units=units))
    return cells


def _outcome_results(record: TrialRecord, outcome: dict, ordinal: int) -> None:
    context = dict(outcome_ordinal=ordinal, outcome_type=lookup(RESULT_OUTCOME_TYPE, _str(outcome, "type")),
                   post_hoc=post_hoc(_str(outcome, "type")), title=clean(_str(outcome, "title")))
    record.result_groups += _groups(outcome, "groups", "OUTCOME", ordinal)
    record.outcome_measurements += _measurements(outcome, {}, time_frame=clean(_str(outcome, "timeFrame")), **context)
    record.outcome_analyses += [
        Analysis(**context, analysis_ordinal=n, group_codes=_cleaned(_strings(a, "groupIds")),
                 groups_description=_markup(a, "groupDescription"),
                 non_inferiority_type=lookup(ENUM, _str(a, "nonInferiorityType")),
                 method=clean(_str(a, "statisticalMethod")), param_type=clean(_str(a, "paramType")),
                 dispersion_type=lookup(DISPERSION_TYPE, _str(a, "dispersionType")),
                 dispersion_value=number(_str(a, "dispersionValue")), ci_percent=number(_str(a, "ciPctValue")),
                 ci_n_sides=lookup(CI_SIDES, _str(a, "ciNumSides")), estimate_description=_markup(a, "estimateComment"),
                 p_value_modifier=comparator(clean(_str(a, "pValue"))),
                 **numbers_as_written(partial(_str, a), p_value="pValue", param_value="paramValue",
                                      ci_lower="ciLowerLimit", ci_upper="ciUpperLimit"))
        for n, a in enumerate(_objects(outcome, "analyses"), 1)
    ]


# Typed access to JSON from outside: absent or null → empty; present with the wrong type → ParseError.


def _typed(node: dict, key: str, kind: type, expected: str) -> Any:
    value = node.get(key)
    if value is None or type(value) is kind:  # exact: orjson gives plain types, and True is no whole number
        return value
    raise ParseError(f"{FORMAT}: {key} is a JSON {_json_type(value)}, expected {expected}")


def _object(node: dict, key: str) -> dict:
    return _typed(node, key, dict, "an object") or {}


def _list(node: dict, key: str) -> list:
    return _typed(node, key, list, "an array") or []


def _str(node: dict, key: str) -> str | None:
    return _typed(node, key, str, "a string")


def _int(node: dict, key: str) -> int | None:
    return _typed(node, key, int, "a whole number")


def _bool(node: dict, key: str) -> bool | None:
    return _typed(node, key, bool, "true or false")


def _as_object(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise ParseError(f"{FORMAT}: {where} is a JSON {_json_type(value)}, expected an object")
    return value


def _objects(node: dict, key: str) -> list[dict]:
    return [_as_object(item, f"{key}[]") for item in _list(node, key)]


def _strings(node: dict, key: str) -> list[str]:
    values = _list(node, key)
    for value in values:
        if not isinstance(value, str):
            raise ParseError(f"{FORMAT}: {key}[] holds a JSON {_json_type(value)}, expected strings")
    return values


def _json_type(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)
