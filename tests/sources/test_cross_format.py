"""One trial, two registry forms: the API v2 JSON reader and the legacy XML reader must give the same record.

No trial of the JSON corpus is also in the legacy XML corpus (the folder or the 2014 archive; checked below,
so an overlap is noticed and gets a direct comparison). So each JSON record is converted here into the
legacy XML the registry published until 2023: its element names, its display words ("Active, not
recruiting", "Parallel Assignment", "Double (Participant, Investigator)", "Anticipated"), its dates
("March 5, 2015"), and its text blocks (hard-wrapped and indented, criteria bulleted "-  " instead of the
markdown "* "). Both readers must then agree on every field, except where legacy XML cannot say what the
JSON says (a secondary id's type, a sponsor class other than NIH / U.S. Fed / Industry / Other): there the
expected value is the JSON value coarsened the way the legacy form coarsens it, spelled out in `_legacy_view`.
"""
from __future__ import annotations

import dataclasses
import json
import re
import tarfile
import textwrap
import xml.etree.ElementTree as ET
from datetime import date

import pytest

from pipeline.record import Identifier, TrialRecord
from pipeline.sources import ctgov_api_v2_json, ctgov_xml
from tests.conftest import CORPUS

JSON_DIR = CORPUS / "ctgov_api_v2_json"
JSON_PATHS = sorted(JSON_DIR.glob("*.json"))

# API v2 enum → the legacy XML's display word (only what the legacy schema has; anything else is a KeyError).
STATUS = {"ACTIVE_NOT_RECRUITING": "Active, not recruiting", "COMPLETED": "Completed",
          "ENROLLING_BY_INVITATION": "Enrolling by invitation", "NOT_YET_RECRUITING": "Not yet recruiting",
          "RECRUITING": "Recruiting", "SUSPENDED": "Suspended", "TERMINATED": "Terminated", "WITHDRAWN": "Withdrawn",
          "UNKNOWN": "Unknown status", "AVAILABLE": "Available", "NO_LONGER_AVAILABLE": "No longer available",
          "TEMPORARILY_NOT_AVAILABLE": "Temporarily not available", "APPROVED_FOR_MARKETING": "Approved for marketing",
          "WITHHELD": "Withheld"}
STUDY_TYPE = {"INTERVENTIONAL": "Interventional", "OBSERVATIONAL": "Observational", "EXPANDED_ACCESS": "Expanded Access"}
PHASE = {"NA": "N/A", "EARLY_PHASE1": "Early Phase 1", "PHASE1": "Phase 1", "PHASE2": "Phase 2", "PHASE3": "Phase 3",
         "PHASE4": "Phase 4"}
ENROLLMENT_TYPE = {"ACTUAL": "Actual", "ESTIMATED": "Anticipated"}
ALLOCATION = {"RANDOMIZED": "Randomized", "NON_RANDOMIZED": "Non-Randomized", "NA": "N/A"}
INTERVENTION_MODEL = {"SINGLE_GROUP": "Single Group Assignment", "PARALLEL": "Parallel Assignment",
                      "CROSSOVER": "Crossover Assignment", "FACTORIAL": "Factorial Assignment",
                      "SEQUENTIAL": "Sequential Assignment"}
PRIMARY_PURPOSE = {"TREATMENT": "Treatment", "PREVENTION": "Prevention", "DIAGNOSTIC": "Diagnostic",
                   "SUPPORTIVE_CARE": "Supportive Care", "SCREENING": "Screening",
                   "HEALTH_SERVICES_RESEARCH": "Health Services Research", "BASIC_SCIENCE": "Basic Science",
                   "DEVICE_FEASIBILITY": "Device Feasibility", "ECT": "Educational/Counseling/Training",
                   "OTHER": "Other"}
MASKING = {"NONE": "None (Open Label)", "SINGLE": "Single", "DOUBLE": "Double", "TRIPLE": "Triple",
           "QUADRUPLE": "Quadruple"}
WHO_MASKED = {"PARTICIPANT": "Participant", "CARE_PROVIDER": "Care Provider", "INVESTIGATOR": "Investigator",
              "OUTCOMES_ASSESSOR": "Outcomes Assessor"}
OBSERVATIONAL_MODEL = {"COHORT": "Cohort", "CASE_CONTROL": "Case-Control", "CASE_ONLY": "Case-Only",
                       "CASE_CROSSOVER": "Case-Crossover", "ECOLOGIC_OR_COMMUNITY": "Ecologic or Community",
                       "FAMILY_BASED": "Family-Based", "OTHER": "Other"}
TIME_PERSPECTIVE = {"PROSPECTIVE": "Prospective", "RETROSPECTIVE": "Retrospective",
                    "CROSS_SECTIONAL": "Cross-Sectional", "OTHER": "Other"}
ARM_TYPE = {"EXPERIMENTAL": "Experimental", "ACTIVE_COMPARATOR": "Active Comparator",
            "PLACEBO_COMPARATOR": "Placebo Comparator", "SHAM_COMPARATOR": "Sham Comparator",
            "NO_INTERVENTION": "No Intervention", "OTHER": "Other"}
INTERVENTION_TYPE = {"BEHAVIORAL": "Behavioral", "BIOLOGICAL": "Biological", "COMBINATION_PRODUCT": "Combination Product",
                     "DEVICE": "Device", "DIAGNOSTIC_TEST": "Diagnostic Test", "DIETARY_SUPPLEMENT": "Dietary Supplement",
                     "DRUG": "Drug", "GENETIC": "Genetic", "PROCEDURE": "Procedure", "RADIATION": "Radiation",
                     "OTHER": "Other"}
SEX = {"ALL": "All", "FEMALE": "Female", "MALE": "Male"}
# The legacy agency_class has four values; the API's finer classes were all "Other" there.
AGENCY_CLASS = {"NIH": "NIH", "FED": "U.S. Fed", "INDUSTRY": "Industry", "OTHER": "Other", "INDIV": "Other",
                "OTHER_GOV": "Other", "NETWORK": "Other", "AMBIG": "Other", "UNKNOWN": "Other"}
RESPONSIBLE_PARTY = {"SPONSOR": "Sponsor", "PRINCIPAL_INVESTIGATOR": "Principal Investigator",
                     "SPONSOR_INVESTIGATOR": "Sponsor-Investigator"}
OFFICIAL_ROLE = {"PRINCIPAL_INVESTIGATOR": "Principal Investigator", "STUDY_DIRECTOR": "Study Director",
                 "STUDY_CHAIR": "Study Chair"}
# results: the legacy display words of the API's enums (the analyses' param types are free text in both forms)
OUTCOME_TYPE = {"PRIMARY": "Primary", "SECONDARY": "Secondary", "OTHER_PRE_SPECIFIED": "Other Pre-specified",
                "POST_HOC": "Post-Hoc"}
PARAM = {"MEAN": "Mean", "MEDIAN": "Median", "NUMBER": "Number", "COUNT_OF_PARTICIPANTS": "Count of Participants",
         "LEAST_SQUARES_MEAN": "Least Squares Mean", "GEOMETRIC_MEAN": "Geometric Mean"}
DISPERSION = {"STANDARD_DEVIATION": "Standard Deviation", "STANDARD_ERROR": "Standard Error",
              "FULL_RANGE": "Full Range", "CONFIDENCE_95": "95% Confidence Interval",
              "INTER_QUARTILE_RANGE": "Inter-Quartile Range"}
NON_INFERIORITY = {"SUPERIORITY": "Superiority", "OTHER": "Other", "NON_INFERIORITY": "Non-Inferiority",
                   "EQUIVALENCE": "Equivalence"}
CI_SIDES = {"ONE_SIDED": "1-Sided", "TWO_SIDED": "2-Sided"}
LEGACY_GROUP = {"FG": "P", "BG": "B", "OG": "O", "EG": "E"}
MONTHS = "January February March April May June July August September October November December".split()

_MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_MARKDOWN_ITEM = re.compile(r"^([ \t]*)[*+](?=[ \t])", re.MULTILINE)
_BULLET = re.compile(r"^(?P<indent> *)(?:(?P<star>[*+-])|(?P<number>\d+\.)) +(?P<text>.*)$")


def _plain(text: str) -> str:
    """Markdown escapes (\\>, \\[) as the legacy text wrote them: bare; list items bulleted "-"."""
    return _MARKDOWN_ITEM.sub(r"\1-", _MARKDOWN_ESCAPE.sub(r"\1", text))


DOWNLOADED = date(2023, 3, 1)  # the converted records' <download_date>


def _legacy_date(iso: str) -> str:
    parts = [int(p) for p in iso.split("-")]
    return f"{MONTHS[parts[1] - 1]} {parts[2]}, {parts[0]}" if len(parts) == 3 else f"{MONTHS[parts[1] - 1]} {parts[0]}"


def _wrap(text: str, indent: int, hanging: int = 0) -> str:
    return textwrap.fill(text, width=99, initial_indent=" " * indent, subsequent_indent=" " * (indent + hanging),
                         break_long_words=False, break_on_hyphens=False)


def _textblock(markdown: str) -> str:
    """A markdown field as a legacy text block: paragraphs wrapped at 8 spaces, list items as "-  item"
    (or "1. item") at 10 spaces plus 5 per nesting level, continuation lines under the item's text, and a
    blank line between blocks."""
    blocks = []
    for line in _plain(markdown).split("\n"):
        if not line.strip():
            continue
        m = _BULLET.match(line)
        if m:
            indent = 10 + 5 * (len(m["indent"]) // 2)
            marker = "-  " if m["star"] else f"{m['number']} "
            blocks.append(_wrap(marker + m["text"], indent, len(marker)))
        else:
            blocks.append(_wrap(line.strip(), 8))
    return "\n" + "\n\n".join(blocks) + "\n      "


def to_legacy_xml(study: dict) -> str:
    """One API v2 study as a legacy `<clinical_study>` document."""
    p = study["protocolSection"]
    ident, status = p["identificationModule"], p.get("statusModule", {})
    sponsors, design = p.get("sponsorCollaboratorsModule", {}), p.get("designModule", {})
    info, arms = design.get("designInfo", {}), p.get("armsInterventionsModule", {})
    elig, outcomes = p.get("eligibilityModule", {}), p.get("outcomesModule", {})
    root = ET.Element("clinical_study", rank="1")

    def add(parent, tag, text=None, **attrs):
        el = ET.SubElement(parent, tag, **attrs)
        if text is not None:
            el.text = text
        return el

    def add_if(parent, tag, value, convert=lambda x: x):
        if value is not None:
            add(parent, tag, convert(value))

    def add_block(parent, tag, markdown):
        if markdown:
            add(add(parent, tag), "textblock", _textblock(markdown))

    def add_date(tag, key):
        struct = status.get(key)
        if struct:
            attrs = {"type": ENROLLMENT_TYPE[struct["type"]]} if "type" in struct else {}
            add(root, tag, _legacy_date(struct["date"]), **attrs)

    required = add(root, "required_header")
    add(required, "download_date", f"ClinicalTrials.gov processed this data on {_legacy_date(DOWNLOADED.isoformat())}")
    id_info = add(root, "id_info")
    add_if(id_info, "org_study_id", ident.get("orgStudyIdInfo", {}).get("id"))
    for secondary in ident.get("secondaryIdInfos", []):
        add(id_info, "secondary_id", secondary["id"])
    add(id_info, "nct_id", ident["nctId"])
    for alias in ident.get("nctIdAliases", []):
        add(id_info, "nct_alias", alias)
    add_if(root, "brief_title", ident.get("briefTitle"))
    add_if(root, "acronym", ident.get("acronym"))
    add_if(root, "official_title", ident.get("officialTitle"))
    sponsors_el = add(root, "sponsors")
    lead = add(sponsors_el, "lead_sponsor")
    add(lead, "agency", sponsors["leadSponsor"]["name"])
    add(lead, "agency_class", AGENCY_CLASS[sponsors["leadSponsor"]["class"]])
    for collaborator in sponsors.get("collaborators", []):
        el = add(sponsors_el, "collaborator")
        add(el, "agency", collaborator["name"])
        add(el, "agency_class", AGENCY_CLASS[collaborator["class"]])
    add_block(root, "brief_summary", p.get("descriptionModule", {}).get("briefSummary"))
    add_block(root, "detailed_description", p.get("descriptionModule", {}).get("detailedDescription"))
    add_if(root, "overall_status", status.get("overallStatus"), STATUS.__getitem__)
    add_if(root, "last_known_status", status.get("lastKnownStatus"), STATUS.__getitem__)
    add_date("start_date", "startDateStruct")
    add_date("completion_date", "completionDateStruct")
    add_date("primary_completion_date", "primaryCompletionDateStruct")
    if design.get("phases"):
        add(root, "phase", "/".join(PHASE[phase] for phase in design["phases"]))
    add(root, "study_type", STUDY_TYPE[design["studyType"]])
    if info:
        design_el = add(root, "study_design_info")
        add_if(design_el, "allocation", info.get("allocation"), ALLOCATION.__getitem__)
        add_if(design_el, "intervention_model", info.get("interventionModel"), INTERVENTION_MODEL.__getitem__)
        add_if(design_el, "primary_purpose", info.get("primaryPurpose"), PRIMARY_PURPOSE.__getitem__)
        add_if(design_el, "observational_model", info.get("observationalModel"), OBSERVATIONAL_MODEL.__getitem__)
        add_if(design_el, "time_perspective", info.get("timePerspective"), TIME_PERSPECTIVE.__getitem__)
        masking = info.get("maskingInfo", {})
        if "masking" in masking:
            who = ", ".join(WHO_MASKED[role] for role in masking.get("whoMasked", []))
            add(design_el, "masking", MASKING[masking["masking"]] + (f" ({who})" if who else ""))
    for key, tag in (("primaryOutcomes", "primary_outcome"), ("secondaryOutcomes", "secondary_outcome"),
                     ("otherOutcomes", "other_outcome")):
        for outcome in outcomes.get(key, []):
            el = add(root, tag)
            add(el, "measure", _plain(outcome["measure"]))
            add_if(el, "time_frame", outcome.get("timeFrame"))
            add_if(el, "description", outcome.get("description"), _plain)
    enrollment = design.get("enrollmentInfo", {})
    if "count" in enrollment:
        attrs = {"type": ENROLLMENT_TYPE[enrollment["type"]]} if "type" in enrollment else {}
        add(root, "enrollment", str(enrollment["count"]), **attrs)
    for condition in p.get("conditionsModule", {}).get("conditions", []):
        add(root, "condition", condition)
    for arm in arms.get("armGroups", []):  # legacy arms name no interventions; interventions name their arms
        el = add(root, "arm_group")
        add(el, "arm_group_label", arm["label"])
        add_if(el, "arm_group_type", arm.get("type"), ARM_TYPE.__getitem__)
        add_if(el, "description", arm.get("description"), _plain)
    for item in arms.get("interventions", []):
        el = add(root, "intervention")
        add(el, "intervention_type", INTERVENTION_TYPE[item["type"]])
        add(el, "intervention_name", item["name"])
        add_if(el, "description", item.get("description"), _plain)
        for label in item.get("armGroupLabels", []):
            add(el, "arm_group_label", label)
        for name in item.get("otherNames", []):
            add(el, "other_name", name)
    eligibility = add(root, "eligibility")
    add_block(eligibility, "criteria", elig.get("eligibilityCriteria"))
    add_if(eligibility, "gender", elig.get("sex"), SEX.__getitem__)
    add(eligibility, "minimum_age", elig.get("minimumAge", "N/A"))
    add(eligibility, "maximum_age", elig.get("maximumAge", "N/A"))
    add_if(eligibility, "healthy_volunteers", elig.get("healthyVolunteers"),
           lambda yes: "Accepts Healthy Volunteers" if yes else "No")
    for site in p.get("contactsLocationsModule", {}).get("locations", []):
        facility = add(add(root, "location"), "facility")
        add_if(facility, "name", site.get("facility"))
        address = add(facility, "address")
        for key in ("city", "state", "zip", "country"):
            add_if(address, key, site.get(key))
    add_date("study_first_posted", "studyFirstPostDateStruct")
    add_date("last_update_posted", "lastUpdatePostDateStruct")
    for keyword in p.get("conditionsModule", {}).get("keywords", []):
        add(root, "keyword", keyword)
    for module, tag in (("conditionBrowseModule", "condition_browse"), ("interventionBrowseModule", "intervention_browse")):
        meshes = study.get("derivedSection", {}).get(module, {}).get("meshes", [])
        if meshes:
            browse = add(root, tag)
            for mesh in meshes:
                add(browse, "mesh_term", mesh["term"])
    _legacy_protocol_extras(root, study, add, add_if)
    if "resultsSection" in study:
        _legacy_results(add(root, "clinical_results"), study["resultsSection"], add, add_if)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def _legacy_protocol_extras(root, study, add, add_if) -> None:
    """Dates first submitted and results posted, why stopped, DMC, responsible party, officials, references."""
    p = study["protocolSection"]
    status = p.get("statusModule", {})
    if "studyFirstSubmitDate" in status:
        add(root, "study_first_submitted", _legacy_date(status["studyFirstSubmitDate"]))
    if "lastUpdateSubmitDate" in status:
        add(root, "last_update_submitted", _legacy_date(status["lastUpdateSubmitDate"]))
    if "resultsFirstSubmitDate" in status:
        add(root, "results_first_submitted", _legacy_date(status["resultsFirstSubmitDate"]))
    if "resultsFirstPostDateStruct" in status:
        struct = status["resultsFirstPostDateStruct"]
        add(root, "results_first_posted", _legacy_date(struct["date"]), type=ENROLLMENT_TYPE[struct["type"]])
    add_if(root, "why_stopped", status.get("whyStopped"))
    oversight = p.get("oversightModule", {})
    if "oversightHasDmc" in oversight:
        add(add(root, "oversight_info"), "has_dmc", "Yes" if oversight["oversightHasDmc"] else "No")
    party = p.get("sponsorCollaboratorsModule", {}).get("responsibleParty")
    if party:
        el = add(root, "responsible_party")
        add_if(el, "responsible_party_type", party.get("type"), RESPONSIBLE_PARTY.__getitem__)
        for key, tag in (("investigatorFullName", "investigator_full_name"), ("investigatorTitle", "investigator_title"),
                         ("investigatorAffiliation", "investigator_affiliation"), ("oldNameTitle", "name_title"),
                         ("oldOrganization", "organization")):
            add_if(el, tag, party.get(key))
    for official in p.get("contactsLocationsModule", {}).get("overallOfficials", []):
        el = add(root, "overall_official")
        add(el, "last_name", official["name"])
        add_if(el, "role", official.get("role"), OFFICIAL_ROLE.__getitem__)
        add_if(el, "affiliation", official.get("affiliation"))
    for reference in p.get("referencesModule", {}).get("references", []):
        el = add(root, "results_reference" if reference["type"] == "RESULT" else "reference")
        add_if(el, "citation", reference.get("citation"))
        add_if(el, "PMID", reference.get("pmid"))


def _legacy_group_id(code: str) -> str:
    """FG000 → P1, OG002 → O3: the legacy form numbers groups from 1 within each table."""
    return f"{LEGACY_GROUP[code[:2]]}{int(code[2:]) + 1}"


def _legacy_results(results, section: dict, add, add_if) -> None:
    """An API v2 resultsSection as the legacy `<clinical_results>` of 2017–2023 records."""

    def groups(parent, items):
        group_list = add(parent, "group_list")
        for g in items:
            el = add(group_list, "group", group_id=_legacy_group_id(g["id"]))
            add(el, "title", g["title"])
            add_if(el, "description", g.get("description"), _plain)

    def analyzed(parent, denoms):
        for denom in denoms[:1]:
            el = add(add(parent, "analyzed_list"), "analyzed")
            add(el, "units", denom["units"])
            add(el, "scope", "Measure")
            counts = add(el, "count_list")
            for c in denom["counts"]:
                add(counts, "count", group_id=_legacy_group_id(c["groupId"]), value=c["value"])

    def measure(parent, item):
        el = add(parent, "measure")
        add(el, "title", item["title"])
        add_if(el, "units", item.get("unitOfMeasure"))
        add_if(el, "param", item.get("paramType"), PARAM.__getitem__)
        # some API records already hold the display word ("Full Range"): kept as it is
        add_if(el, "dispersion", item.get("dispersionType"), lambda word: DISPERSION.get(word, word))
        analyzed(el, item.get("denoms", []))
        class_list = add(el, "class_list")
        for cls in item.get("classes", []):
            class_el = add(class_list, "class")
            add_if(class_el, "title", cls.get("title"))
            analyzed(class_el, cls.get("denoms", []))
            category_list = add(class_el, "category_list")
            for category in cls.get("categories", []):
                category_el = add(category_list, "category")
                add_if(category_el, "title", category.get("title"))
                measurements = add(category_el, "measurement_list")
                for m in category["measurements"]:
                    attrs = {tag: m[key] for key, tag in (("value", "value"), ("spread", "spread"),
                                                          ("lowerLimit", "lower_limit"), ("upperLimit", "upper_limit"))
                             if key in m}
                    add(measurements, "measurement", m.get("comment"), group_id=_legacy_group_id(m["groupId"]), **attrs)

    flow = section.get("participantFlowModule")
    if flow:
        el = add(results, "participant_flow")
        groups(el, flow["groups"])
        periods = add(el, "period_list")
        for period in flow["periods"]:
            period_el = add(periods, "period")
            add(period_el, "title", period["title"])
            for key, list_tag, tag, counts_key in (("milestones", "milestone_list", "milestone", "achievements"),
                                                   ("dropWithdraws", "drop_withdraw_reason_list", "drop_withdraw_reason",
                                                    "reasons")):
                if key not in period:
                    continue
                rows = add(period_el, list_tag)
                for row in period[key]:
                    row_el = add(rows, tag)
                    add(row_el, "title", row["type"])
                    participants = add(row_el, "participants_list")
                    for c in row[counts_key]:
                        add(participants, "participants", c.get("comment"), group_id=_legacy_group_id(c["groupId"]),
                            count=c["numSubjects"])
    baseline = section.get("baselineCharacteristicsModule")
    if baseline:
        el = add(results, "baseline")
        groups(el, baseline["groups"])
        analyzed(el, baseline.get("denoms", []))
        measures = add(el, "measure_list")
        for item in baseline.get("measures", []):
            measure(measures, item)
    outcomes = section.get("outcomeMeasuresModule", {}).get("outcomeMeasures", [])
    if outcomes:
        outcome_list = add(results, "outcome_list")
        for item in outcomes:
            el = add(outcome_list, "outcome")
            add(el, "type", OUTCOME_TYPE[item["type"]])
            add(el, "title", item["title"])
            add_if(el, "time_frame", item.get("timeFrame"))
            if "groups" in item:
                groups(el, item["groups"])
            if "classes" in item:
                measure(el, item)
            analyses = add(el, "analysis_list") if "analyses" in item else None
            for a in item.get("analyses", []):
                a_el = add(analyses, "analysis")
                ids = add(a_el, "group_id_list")
                for code in a.get("groupIds", []):
                    add(ids, "group_id", _legacy_group_id(code))
                add_if(a_el, "groups_desc", a.get("groupDescription"), _plain)
                add_if(a_el, "non_inferiority_type", a.get("nonInferiorityType"), NON_INFERIORITY.__getitem__)
                for key, tag in (("pValue", "p_value"), ("statisticalMethod", "method"), ("paramType", "param_type"),
                                 ("paramValue", "param_value"), ("dispersionType", "dispersion_type"),
                                 ("dispersionValue", "dispersion_value"), ("ciPctValue", "ci_percent"),
                                 ("ciLowerLimit", "ci_lower_limit"), ("ciUpperLimit", "ci_upper_limit")):
                    add_if(a_el, tag, a.get(key))
                add_if(a_el, "ci_n_sides", a.get("ciNumSides"), CI_SIDES.__getitem__)
                add_if(a_el, "estimate_desc", a.get("estimateComment"), _plain)
    events = section.get("adverseEventsModule")
    if events:
        el = add(results, "reported_events")
        groups(el, events["eventGroups"])
        for kind, key, totals in (("serious_events", "seriousEvents", (("deaths", "Total, all-cause mortality"),
                                                                        ("serious", "Total, serious adverse events"))),
                                  ("other_events", "otherEvents", (("other", "Total, other adverse events"),))):
            categories = add(add(el, kind), "category_list")
            total = add(categories, "category")
            add(total, "title", "Total")
            total_events = add(total, "event_list")
            for prefix, term in totals:
                event = add(total_events, "event")
                add(event, "sub_title", term)
                for g in events["eventGroups"]:
                    add(event, "counts", group_id=_legacy_group_id(g["id"]),
                        subjects_affected=str(g[f"{prefix}NumAffected"]), subjects_at_risk=str(g[f"{prefix}NumAtRisk"]))
            by_system: dict[str, list] = {}
            for event in events.get(key, []):
                by_system.setdefault(event["organSystem"], []).append(event)
            for system, items in by_system.items():
                category = add(categories, "category")
                add(category, "title", system)
                event_list = add(category, "event_list")
                for item in items:
                    event = add(event_list, "event")
                    add(event, "sub_title", item["term"])
                    for stat in item["stats"]:
                        counts = {"subjects_affected": str(stat["numAffected"]), "subjects_at_risk": str(stat["numAtRisk"])}
                        if "numEvents" in stat:
                            counts["events"] = str(stat["numEvents"])
                        add(event, "counts", group_id=_legacy_group_id(stat["groupId"]), **counts)


def _studies(path) -> list[dict]:
    document = json.loads(path.read_text(encoding="utf-8"))
    return document["studies"] if "studies" in document else [document]


def _legacy_view(record: TrialRecord) -> TrialRecord:
    """What the legacy form of this record can say: a secondary id without its type, a sponsor class
    among NIH, FED, INDUSTRY and OTHER, a reference as background or result (the legacy form has no derived
    references: they were plain references) listed before the results references, adverse events grouped by
    organ system (and numbered in that order); and the day the registry produced the copy, which the JSON does not
    state."""
    coarse_class = {"NIH": "NIH", "FED": "FED", "INDUSTRY": "INDUSTRY"}
    systems = list(dict.fromkeys((e.event_type, e.organ_system) for e in record.adverse_events))
    events = sorted(record.adverse_events, key=lambda e: systems.index((e.event_type, e.organ_system)))
    order = {kind: list(dict.fromkeys(e.event_ordinal for e in events if e.event_type == kind)) for kind in ("SERIOUS", "OTHER")}
    return dataclasses.replace(
        record,
        study_references=sorted((dataclasses.replace(r, reference_type="BACKGROUND") if r.reference_type == "DERIVED"
                                 else r for r in record.study_references), key=lambda r: r.reference_type != "BACKGROUND"),
        adverse_events=[dataclasses.replace(e, event_ordinal=order[e.event_type].index(e.event_ordinal) + 1) for e in events],
        identifiers=[i if i.id_type in ("ORG_STUDY_ID", "NCT_ALIAS") else Identifier("SECONDARY_ID", i.id_value)
                     for i in record.identifiers],
        sponsor_class=coarse_class.get(record.sponsor_class, "OTHER") if record.sponsor_class else None,
        download_date=DOWNLOADED,
    )


def test_no_json_trial_is_also_in_the_legacy_xml_corpus():
    """The direct comparison needs a trial in both forms; neither the XML folder nor the 2014 archive has
    one of the JSON trials (read with the standard library, not the readers)."""
    json_ids = {study["protocolSection"]["identificationModule"]["nctId"] for p in JSON_PATHS for study in _studies(p)}
    xml_ids = {ET.parse(p).getroot().findtext("id_info/nct_id") for p in (CORPUS / "ctgov_xml").glob("*.xml")}
    with tarfile.open(CORPUS / "ctgov_legacy_xml_2014.tar.xz", "r|xz") as tf:
        xml_ids |= {ET.fromstring(tf.extractfile(m).read()).findtext("id_info/nct_id") for m in tf if m.isfile()}
    assert (len(json_ids), len(xml_ids)) == (12, 8125 + 165 - 6)  # 6 trials are in both the folder and the archive
    assert json_ids & xml_ids == set()


@pytest.mark.parametrize("path", JSON_PATHS, ids=[p.stem for p in JSON_PATHS])
def test_json_record_and_its_legacy_xml_form_give_the_same_record(path):
    studies = _studies(path)
    from_json = ctgov_api_v2_json.parse(path.read_text(encoding="utf-8"))
    assert len(from_json) == len(studies)
    for study, json_record in zip(studies, from_json):
        legacy = to_legacy_xml(study)
        assert ctgov_xml.recognises(legacy)
        [xml_record] = ctgov_xml.parse(legacy)
        expected = _legacy_view(json_record)
        differing = [f.name for f in dataclasses.fields(TrialRecord)
                     if getattr(xml_record, f.name) != getattr(expected, f.name)]
        assert differing == [], {f: (getattr(expected, f), getattr(xml_record, f)) for f in differing}


def test_converter_writes_the_legacy_vocabulary():
    """The converted form is legacy XML as the registry wrote it, not API enums in XML clothing."""
    [study] = _studies(JSON_DIR / "NCT00973089.json")
    root = ET.fromstring(to_legacy_xml(study))
    assert root.findtext("overall_status") == "Withdrawn"
    assert (root.findtext("phase"), root.findtext("study_type")) == ("N/A", "Interventional")
    assert root.find("enrollment").attrib == {"type": "Actual"} and root.findtext("enrollment") == "0"
    assert [root.findtext(f"study_design_info/{tag}") for tag in ("allocation", "intervention_model", "masking")] == [
        "Randomized", "Parallel Assignment", "Single (Investigator)"]
    assert (root.findtext("start_date"), root.findtext("study_first_posted")) == ("May 2010", "September 9, 2009")
    assert [a.findtext("arm_group_type") for a in root.findall("arm_group")] == ["No Intervention", "Other"]
    assert root.findtext("eligibility/healthy_volunteers") == "Accepts Healthy Volunteers"
    criteria = root.findtext("eligibility/criteria/textblock")
    assert "\n          -  Healthy children\n" in criteria and "* " not in criteria
    [record] = ctgov_xml.parse(to_legacy_xml(study))
    assert (record.start_date, record.enrollment_type) == (date(2010, 5, 1), "ACTUAL")
