"""The ClinicalTrials.gov API v2 JSON reader, checked by hand against real records in ../shared/corpus."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.record import ArmGroup, Criterion, Identifier, Intervention, Location, MeshTerm, Outcome, ParseError
from pipeline.sources import ctgov_api_v2_json, ctgov_xml

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
JSON_DIR = CORPUS / "ctgov_api_v2_json"


def read(nct_id: str) -> str:
    return (JSON_DIR / f"{nct_id}.json").read_text(encoding="utf-8")


def test_nct00973089_field_by_field():
    [r] = ctgov_api_v2_json.parse(read("NCT00973089"))
    assert r.trial_id == "NCT00973089"
    assert r.brief_title == r.official_title == "Alternative Treatment of Deep Carious Lesions Based on Biological Evidences"
    assert r.acronym is None
    assert (r.lead_sponsor, r.sponsor_class, r.collaborators) == ("Hadassah Medical Organization", "OTHER", [])
    assert (r.overall_status, r.last_known_status) == ("WITHDRAWN", None)
    assert (r.phases, r.study_type) == (["NA"], "INTERVENTIONAL")
    assert (r.enrollment, r.enrollment_type) == (0, "ACTUAL")
    assert (r.sex, r.minimum_age, r.maximum_age, r.healthy_volunteers) == ("ALL", "5 Years", "8 Years", True)
    assert (r.allocation, r.intervention_model, r.primary_purpose) == ("RANDOMIZED", "PARALLEL", "TREATMENT")
    assert (r.masking, r.who_masked) == ("SINGLE", ["INVESTIGATOR"])
    assert (r.observational_model, r.time_perspective) == (None, None)
    assert r.brief_summary.startswith("The purpose of this study is to evaluate the success rate of alternative")
    assert r.detailed_description.endswith("cost-effectiveness of both methods of treatment of deep carious lesions.")
    assert r.start_date == date(2010, 5, 1)  # "2010-05"
    assert (r.primary_completion_date, r.completion_date) == (date(2015, 3, 1), date(2015, 3, 1))
    assert (r.first_posted_date, r.last_update_posted_date) == (date(2009, 9, 9), date(2015, 8, 19))
    assert r.conditions == ["Caries, Dental"]
    assert r.keywords == ["Primary tooth", "Caries, Dental", "Alternative treatment"]
    assert r.mesh_terms == [MeshTerm("Dental Caries", "CONDITION")]
    assert r.arm_groups == [
        ArmGroup("Complete caries removal", "NO_INTERVENTION", "Control group", []),
        ArmGroup("Incomplete caries removal", "OTHER", "Test group", ["Incomplete caries removal in primary teeth"]),
    ]
    assert r.interventions == [Intervention(
        "OTHER", "Incomplete caries removal in primary teeth",
        "Comparison between the success rate and cost-effectiveness of complete caries removal in treatment of deep "
        "carious lesions that might include wide preparations and involve pulpotomy versus incomplete removal of "
        "caries and avoiding pulp treatment.",
        ["Incomplete caries removal"], ["Indirect pulp capping"],
    )]
    assert r.outcomes == [Outcome(
        "PRIMARY", "The success of the alternative treatment of the deep carious lesion.",
        "Half annually for three years",
    )]
    assert r.identifiers == [Identifier("ORG_STUDY_ID", "LSA001-HMO-CTIL")]
    assert r.locations == [Location("Hadassah Medical Organization", "Jerusalem", None, None, "Israel")]
    assert r.eligibility_criteria == [
        Criterion("INCLUSION", 1, "Healthy children"),
        Criterion("INCLUSION", 2, "Patient's age is 5-8 years old at the time of the treatment"),
        Criterion("INCLUSION", 3, "Primary molars presenting with deep carious lesions"),
        Criterion("INCLUSION", 4, "Carious lesion reaching the inner half of the dentin,with absence of periapical or "
                                  "interradicular alterations as detected by radiographic examination."),
        Criterion("INCLUSION", 5, "Absence of spontaneous pain"),
        Criterion("EXCLUSION", 1, "Subjects that are not ASA I"),
        Criterion("EXCLUSION", 2, "Lack of cooperation"),
        Criterion("EXCLUSION", 3, "Clinical or radiographic signs of pathology"),
    ]


def test_observational_record():
    [r] = ctgov_api_v2_json.parse(read("NCT03475563"))
    assert (r.study_type, r.overall_status, r.phases) == ("OBSERVATIONAL", "UNKNOWN", [])
    assert (r.observational_model, r.time_perspective) == ("CASE_ONLY", "PROSPECTIVE")
    assert (r.minimum_age, r.maximum_age) == ("18 Years", None)
    assert r.mesh_terms == [MeshTerm("Coronary Artery Disease", "CONDITION")]


def test_search_page_gives_one_record_per_study():
    records = ctgov_api_v2_json.parse(read("NCT06388018"))
    assert len(records) == 1
    [r] = records
    assert r.trial_id == "NCT06388018"
    assert r.brief_title == "Tailoring Therapy in Post-surgical Patients With Low-risk Endometrial Cancer"
    assert (r.overall_status, r.phases, r.enrollment, r.enrollment_type) == ("RECRUITING", ["PHASE2"], 325, "ESTIMATED")
    assert (r.lead_sponsor, r.sponsor_class) == ("NRG Oncology", "OTHER")
    assert r.collaborators == ["National Cancer Institute (NCI)", "Canadian Cancer Trials Group (CCTG)"]
    assert r.identifiers == [  # secondaryIdInfos[].type, listed as the registry lists them (NRG-GY032 twice)
        Identifier("ORG_STUDY_ID", "NRG-GY032"), Identifier("REGISTRY", "NCI-2023-09355"),
        Identifier("OTHER", "NRG-GY032"), Identifier("OTHER", "NRG-GY032"), Identifier("NIH", "U10CA180868"),
    ]
    # "Radiation: External Beam Radiation Therapy" → the intervention's own name
    assert r.arm_groups[1].intervention_names[2] == "External Beam Radiation Therapy"
    assert [c.criterion_type for c in r.eligibility_criteria].count("INCLUSION") == 34
    assert [c.criterion_type for c in r.eligibility_criteria].count("EXCLUSION") == 10


def test_arm_intervention_names_match_the_interventions_table():
    for path in sorted(JSON_DIR.glob("*.json")):
        for r in ctgov_api_v2_json.parse(path.read_text(encoding="utf-8")):
            for arm in r.arm_groups:
                linked = [i.name for i in r.interventions if arm.label in i.arm_group_labels]
                assert sorted(arm.intervention_names) == sorted(linked), (r.trial_id, arm.label)


def test_markdown_escapes_are_removed_from_text():
    [r] = ctgov_api_v2_json.parse(read("NCT03630471"))  # "Experiencing difficulties for \>1 month"
    texts = [c.text for c in r.eligibility_criteria]
    assert "Experiencing difficulties for >1 month, based on response to the self-reported Chronicity item from " \
           "the SDQ Impact Supplement" in texts


def test_every_corpus_json_file_parses_to_its_own_trial():
    paths = sorted(JSON_DIR.glob("*.json"))
    records = {path.stem: ctgov_api_v2_json.parse(path.read_text(encoding="utf-8")) for path in paths}
    assert len(records) == 12
    assert sum(len(found) for found in records.values()) == 12
    assert [stem for stem, found in records.items() if [r.trial_id for r in found] != [stem]] == []
    assert all(ctgov_api_v2_json.recognises(path.read_text(encoding="utf-8")) for path in paths)


def test_no_trial_is_in_both_the_xml_and_the_json_corpus():
    """A cross-form agreement test needs a trial in both forms; the corpus has none (checked here, so a
    future overlap is noticed and gets its agreement test)."""
    xml_ids = {path.stem for path in (CORPUS / "ctgov_xml").glob("*.xml")}
    assert xml_ids & {path.stem for path in JSON_DIR.glob("*.json")} == set()


def test_same_trial_as_xml_and_json_agrees_on_shared_fields():
    """With no trial in both corpora, NCT01219465's XML record hand-transcribed into API v2 form (its field
    names, enums, ISO dates and markdown "* " bullets) must give the same record as the XML itself."""
    [xml] = ctgov_xml.parse((CORPUS / "ctgov_xml" / "NCT01219465.xml").read_text(encoding="utf-8"))
    study = {"protocolSection": {
        "identificationModule": {"nctId": "NCT01219465", "orgStudyIdInfo": {"id": "MSCT1DM003"},
                                 "briefTitle": "Umbilical Cord Mesenchymal Stem Cells Infusion for Initial Type 1 "
                                               "Diabetes Mellitus",
                                 "officialTitle": "Safety and Efficacy of Umbilical Cord Mesenchymal Stem Cells "
                                                  "Infusion for Initial Type 1 Diabetes"},
        "statusModule": {"overallStatus": "UNKNOWN", "lastKnownStatus": "ACTIVE_NOT_RECRUITING",
                         "startDateStruct": {"date": "2010-09"},
                         "primaryCompletionDateStruct": {"date": "2012-09", "type": "ESTIMATED"},
                         "completionDateStruct": {"date": "2012-12", "type": "ESTIMATED"},
                         "studyFirstPostDateStruct": {"date": "2010-10-13", "type": "ESTIMATED"},
                         "lastUpdatePostDateStruct": {"date": "2010-10-13", "type": "ESTIMATED"}},
        "sponsorCollaboratorsModule": {"leadSponsor": {"name": "Qingdao University", "class": "OTHER"}},
        "designModule": {"studyType": "INTERVENTIONAL", "phases": ["PHASE2", "PHASE1"],
                         "designInfo": {"allocation": "NON_RANDOMIZED", "interventionModel": "SINGLE_GROUP",
                                        "primaryPurpose": "TREATMENT", "maskingInfo": {"masking": "NONE"}},
                         "enrollmentInfo": {"count": 50, "type": "ESTIMATED"}},
        "eligibilityModule": {
            "eligibilityCriteria": "Inclusion Criteria:\n\n* Confirmed diagnosis of type 1 diabetes by ADA criteria "
            "less than 9 weeks.\n* Ability to provide written informed consent from patients or Child guardian.\n\n"
            "Exclusion Criteria:\n\n* diabetic ketoacidosis.\n* evidence of retinopathy at baseline.\n* Body Mass "
            "Index \\>30.\n* Severe or acute organ damage.\n* Infectious diseases, e.g. HIV infection, or hepatitis B "
            "or C infection.\n* Severe psychiatric disorder.\n* Presence of malignancy.",
            "healthyVolunteers": False, "sex": "ALL", "minimumAge": "3 Years", "maximumAge": "35 Years"},
        "armsInterventionsModule": {
            "armGroups": [{"label": "umbilical cord mesenchymal stem cells", "type": "EXPERIMENTAL",
                           "description": "Intravenous infusion of ex vivo cultured umbilical cord mesenchymal "
                                          "stem cells",
                           "interventionNames": ["Biological: umbilical cord mesenchymal stem cells"]}],
            "interventions": [{"type": "BIOLOGICAL", "name": "umbilical cord mesenchymal stem cells",
                               "description": "Transfusion of the umbilical cord mesenchymal stem cells (2 x 107 "
                                              "cells) intravenously.",
                               "armGroupLabels": ["umbilical cord mesenchymal stem cells"],
                               "otherNames": ["mesenchymal stem cells"]}]},
    }}
    [from_json] = ctgov_api_v2_json.parse(orjson.dumps(study).decode())
    shared = (
        "trial_id brief_title official_title lead_sponsor sponsor_class overall_status last_known_status phases "
        "study_type enrollment enrollment_type sex minimum_age maximum_age healthy_volunteers allocation "
        "intervention_model masking who_masked primary_purpose start_date primary_completion_date completion_date "
        "first_posted_date last_update_posted_date arm_groups interventions eligibility_criteria"
    ).split()
    assert {f: getattr(from_json, f) for f in shared} == {f: getattr(xml, f) for f in shared}
    assert from_json.identifiers == xml.identifiers


@pytest.mark.parametrize(("text", "reason"), [
    ('{"protocolSection": {', "ctgov_api_v2_json: malformed JSON: "),
    ("[1, 2]", "ctgov_api_v2_json: not a study: the document is a JSON array"),
    ('{"hello": 1}', "ctgov_api_v2_json: not a study: no protocolSection or studies"),
    ('{"studies": []}', "ctgov_api_v2_json: search page holds no studies"),
    ('{"protocolSection": {"identificationModule": {}}}', "ctgov_api_v2_json: no protocolSection.identificationModule.nctId"),
    ('{"protocolSection": {"identificationModule": {"nctId": "NCT1"}}}', "ctgov_api_v2_json: nctId 'NCT1' is not an NCT"),
    ('{"protocolSection": []}', "ctgov_api_v2_json: protocolSection is a JSON array, expected an object"),
    ('{"protocolSection": {"identificationModule": {"nctId": "NCT00973089"}, '
     '"designModule": {"enrollmentInfo": {"count": "12"}}}}',
     "ctgov_api_v2_json: count is a JSON string, expected a whole number"),
    ('{"studies": [1]}', r"ctgov_api_v2_json: studies\[\] is a JSON number, expected an object"),
])
def test_bad_documents_raise_parse_error_with_reason(text, reason):
    with pytest.raises(ParseError, match="^" + reason):
        ctgov_api_v2_json.parse(text)


def test_recognises_study_and_search_page_only():
    assert ctgov_api_v2_json.recognises(read("NCT00973089"))
    assert ctgov_api_v2_json.recognises(read("NCT06388018"))
    assert not ctgov_api_v2_json.recognises('{"name": "something else"}')
    assert not ctgov_api_v2_json.recognises("<clinical_study><protocolSection/></clinical_study>")


def _parses_or_raises_parse_error(text: str) -> None:
    try:
        records = ctgov_api_v2_json.parse(text)
    except ParseError:
        return
    assert all(r.trial_id.startswith("NCT") for r in records)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
    | st.just("NCT00973089"),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["protocolSection", "identificationModule", "nctId", "studies", "designModule",
                         "enrollmentInfo", "count", "phases", "armsInterventionsModule", "armGroups", "interventionNames",
                         "statusModule", "startDateStruct", "date", "x"]),
        children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.text() | json_values.map(json.dumps))
def test_arbitrary_text_and_json_parse_or_raise_parse_error(text):
    _parses_or_raises_parse_error(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["NCT00973089", "NCT03418623", "NCT06388018", "NCT05594173"]),
    st.integers(min_value=0, max_value=40000),
    st.lists(st.integers(min_value=0, max_value=40000), max_size=8),
)
def test_mutilated_records_parse_or_raise_parse_error(nct_id, cut, deletions):
    data = bytearray(read(nct_id).encode("utf-8")[:cut] if cut else read(nct_id).encode("utf-8"))
    for position in deletions:
        if data:
            del data[position % len(data)]
    _parses_or_raises_parse_error(data.decode("utf-8", errors="replace"))
