"""Classic ClinicalTrials.gov page (seed 002, NCT01374854): field by field, and against the registry's XML."""
import xml.etree.ElementTree as ET
from collections import Counter

import pytest

from pipeline.record import Location, ParseError
from pipeline.sources import ctgov_classic
from pipeline.vocabulary import parse_date
from tests.conftest import CORPUS, SEEDS

PAGE = (SEEDS / "002_d4776af7e2f4cbf7.txt").read_text(encoding="utf-8")
XML = ET.parse(CORPUS / "ctgov_xml" / "NCT01374854.xml").getroot()


def _fold(text):
    return " ".join(text.split())


def test_seed_002_field_by_field():
    (r,) = ctgov_classic.parse(PAGE)
    assert r.trial_id == "NCT01374854"
    assert r.brief_title == "Umbilical Mesenchymal Stem Cells and Mononuclear Cells Infusion in Type 1 Diabetes Mellitus"
    assert r.official_title.endswith(": A Randomized Controlled Open-label Study")
    assert (r.overall_status, r.last_known_status) == ("UNKNOWN", "ACTIVE_NOT_RECRUITING")
    assert (r.first_posted_date.isoformat(), r.last_update_posted_date.isoformat()) == ("2011-06-16", "2012-11-20")
    assert r.conditions == ["Type 1 Diabetes Mellitus"]
    assert [(i.intervention_type, i.name, i.description) for i in r.interventions] == [
        ("BIOLOGICAL", "Umbilical mesenchymal stem cell (UC-MSCs) infusion",
         "1×10^6/kg UC-MSCs is infused through pancreatic artery along with mononuclear cells by interventional "
         "therapy and another same dose of UC-MSCs is administered one week post-intervention."),
        ("DRUG", "traditional therapy", "exogenous insulin injection daily"),
    ]
    assert (r.phases, r.study_type, r.enrollment, r.enrollment_type) == (["PHASE1", "PHASE2"], "INTERVENTIONAL", 44, "ACTUAL")
    assert (r.allocation, r.intervention_model, r.masking, r.who_masked, r.primary_purpose) == (
        "RANDOMIZED", "PARALLEL", "NONE", [], "TREATMENT")
    assert [d.isoformat() for d in (r.start_date, r.primary_completion_date, r.completion_date)] == [
        "2009-01-01", "2010-12-01", "2014-12-01"]
    assert [(a.label, a.arm_type, a.intervention_names) for a in r.arm_groups] == [
        ("Stem Cell Infusion", "EXPERIMENTAL", ["Umbilical mesenchymal stem cell (UC-MSCs) infusion"]),
        ("traditional therapy control", "ACTIVE_COMPARATOR", ["traditional therapy"]),
    ]
    assert len(r.outcomes) == 7
    assert {o.outcome_type for o in r.outcomes} == {None}  # the page does not say which are primary
    assert {o.time_frame for o in r.outcomes} == {"1 year"}
    assert (r.minimum_age, r.maximum_age, r.sex, r.healthy_volunteers) == ("18 Years", "40 Years", "ALL", False)
    assert Counter(c.criterion_type for c in r.eligibility_criteria) == {"INCLUSION": 8, "EXCLUSION": 31}
    assert r.eligibility_criteria[0].text == "Male and female patients age 18 to 65 years of age."
    assert r.locations == [Location("Fuzhou General Hospital", "Fuzhou", "Fujian", "350025", "China")]
    assert [(i.id_type, i.id_value) for i in r.identifiers] == [(None, "UCMSC-T1DM")]
    assert (r.brief_summary, r.keywords, r.lead_sponsor) == (None, [], None)


def test_seed_002_agrees_with_the_registry_xml():
    (r,) = ctgov_classic.parse(PAGE)
    assert r.brief_title == XML.findtext("brief_title")
    assert r.official_title == XML.findtext("official_title")
    assert r.enrollment == int(XML.findtext("enrollment"))
    assert r.start_date == parse_date(XML.findtext("start_date"))
    assert r.completion_date == parse_date(XML.findtext("completion_date"))
    assert r.primary_completion_date == parse_date(XML.findtext("primary_completion_date"))
    assert r.minimum_age == XML.findtext("eligibility/minimum_age")
    assert r.maximum_age == XML.findtext("eligibility/maximum_age")
    assert r.conditions == [c.text for c in XML.findall("condition")]
    assert [i.name for i in r.interventions] == [i.findtext("intervention_name") for i in XML.findall("intervention")]
    assert [i.description for i in r.interventions] == [i.findtext("description") for i in XML.findall("intervention")]
    assert [a.label for a in r.arm_groups] == [a.findtext("arm_group_label") for a in XML.findall("arm_group")]
    measures = {(o.findtext("measure"), o.findtext("time_frame"))
                for tag in ("primary_outcome", "secondary_outcome") for o in XML.findall(tag)}
    assert {(o.measure, o.time_frame) for o in r.outcomes} == measures
    text = _fold(XML.findtext("eligibility/criteria/textblock"))
    assert all(c.text in text for c in r.eligibility_criteria)
    facility = XML.find("location/facility")
    assert r.locations[0].zip == facility.findtext("address/zip")
    assert r.locations[0].facility == facility.findtext("name")


def test_crlf_copy_and_truncated_copy():
    (plain,) = ctgov_classic.parse(PAGE)
    assert ctgov_classic.parse(PAGE.replace("\n", "\r\n")) == [plain]
    cut = PAGE[: PAGE.index("- Evidence of renal dysfunction")]
    (r,) = ctgov_classic.parse(cut)
    assert (r.trial_id, r.enrollment, r.masking) == ("NCT01374854", 44, "NONE")
    assert Counter(c.criterion_type for c in r.eligibility_criteria) == {"INCLUSION": 8, "EXCLUSION": 4}


def test_recognition_and_missing_id():
    assert ctgov_classic.recognises(PAGE)
    assert not ctgov_classic.recognises((SEEDS / "000_a62e3166a47b076d.txt").read_text(encoding="utf-8"))
    assert not ctgov_classic.recognises((CORPUS / "ctgov_archive_html" / "NCT00645515.html").read_text())
    with pytest.raises(ParseError, match="ctgov_classic: no NCT id"):
        ctgov_classic.parse(PAGE.replace("NCT01374854", "NCT-REMOVED"))


# --- never raise: arbitrary text and mutilated real pages give records or ParseError -------------------

from hypothesis import strategies as st  # noqa: E402

from tests.sources.mutations import never_raise_tests  # noqa: E402

PAGES = {"002": PAGE, "002.html": "<html><body>" + "".join(f"<p>{line}</p>" for line in PAGE.splitlines())
         + "</body></html>"}
_VALUES = st.sampled_from(["Interventional (Clinical Trial)", "18 Years to 40 Years (Adult)", "65 Years and older",
                           "up to 3 Months", "June 16, 2011", "2011-06", "Randomized", "None (Open Label)", "Yes",
                           "Key Record Dates", "", "|"]) | st.text(max_size=20)
_LINES = st.one_of(
    st.sampled_from(["ClinicalTrials.gov Identifier: | NCT01374854 |", "Recruitment Status : | Completed",
                     "Recruitment status was: Recruiting", "Condition or disease | Intervention/treatment | Phase |",
                     "Arm | Intervention/treatment |", "Experimental: arm one |", "Drug: aspirin", "- x [Time Frame: 1 year]",
                     "Inclusion Criteria:", "Exclusion Criteria:", "Contacts and Locations",
                     "Please refer to this study by its ClinicalTrials.gov identifier (NCT number): NCT01374854",
                     "Fuzhou, Fujian, China, 350025", "Other Study ID Numbers:", "Actual Enrollment : | 44",
                     "Actual Study Start Date : | January 2009", "Type 1 Diabetes | Drug: insulin | Phase 1 Phase 2 |",
                     ""]),
    st.builds(lambda label, value: f"{label} : | {value} |",
              st.sampled_from(sorted(ctgov_classic.LABELS) + ["Estimated Primary Completion Date", "Study Start Date"]),
              _VALUES),
    st.text(max_size=30),
)


test_arbitrary_text_parses_or_raises_parse_error, test_mutilated_pages_parse_or_raise_parse_error = \
    never_raise_tests(ctgov_classic, st.text() | st.lists(_LINES, max_size=60).map("\n".join), PAGES)
