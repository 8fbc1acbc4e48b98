"""ClinicalTrials.gov Archive pages against the legacy XML of the same trial, and one page by hand."""
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import date

import pytest

from pipeline.record import ParseError
from pipeline.sources import ctgov_archive
from pipeline.vocabulary import parse_date, phases
from tests.conftest import CORPUS, SEEDS

ARCHIVE = CORPUS / "ctgov_archive_html"
WITH_XML = sorted(p.stem for p in ARCHIVE.glob("*.html") if (CORPUS / "ctgov_xml" / f"{p.stem}.xml").exists())
# Read both sources: NCT01597011's page states no phase where its XML says N/A.
NO_PHASE_ON_PAGE = {"NCT01597011"}


def _fold(text):
    return " ".join((text or "").split()) or None


@pytest.mark.parametrize("nct", WITH_XML)
def test_page_agrees_with_the_xml_of_the_same_trial(nct):
    (r,) = ctgov_archive.parse((ARCHIVE / f"{nct}.html").read_text(encoding="utf-8"))
    xml = ET.parse(CORPUS / "ctgov_xml" / f"{nct}.xml").getroot()
    assert r.trial_id == nct
    assert r.brief_title == _fold(xml.findtext("brief_title"))
    assert r.official_title == _fold(xml.findtext("official_title"))
    assert r.study_type == xml.findtext("study_type").upper()
    assert r.start_date == parse_date(xml.findtext("start_date"))
    assert r.minimum_age == (xml.findtext("eligibility/minimum_age") if xml.findtext("eligibility/minimum_age") != "N/A" else None)
    assert r.conditions == [_fold(c.text) for c in xml.findall("condition")]
    assert [i.name for i in r.interventions] == [_fold(i.findtext("intervention_name")) for i in xml.findall("intervention")]
    text = " ".join(xml.findtext("eligibility/criteria/textblock").split())
    assert all(c.text in text for c in r.eligibility_criteria)
    if nct not in NO_PHASE_ON_PAGE:
        assert r.phases == phases(xml.findtext("phase"))


def test_one_page_by_hand():
    (r,) = ctgov_archive.parse((ARCHIVE / "NCT00645515.html").read_text(encoding="utf-8"))
    assert r.brief_title == ("A Study Comparing the Safety and Efficacy of Ziprasidone and Risperidone for the "
                             "Treatment of Chronic Schizophrenia")
    assert (r.overall_status, r.phases, r.study_type) == ("TERMINATED", ["PHASE3"], "INTERVENTIONAL")
    assert (r.primary_purpose, r.allocation, r.intervention_model) == ("TREATMENT", "RANDOMIZED", "PARALLEL")
    assert (r.masking, r.who_masked) == ("DOUBLE", ["PARTICIPANT", "INVESTIGATOR"])
    assert (r.start_date, r.completion_date, r.last_update_posted_date) == (
        date(2003, 6, 1), date(2003, 12, 1), date(2008, 5, 4))
    assert Counter(o.outcome_type for o in r.outcomes) == {"PRIMARY": 1, "SECONDARY": 11}
    assert r.outcomes[0].time_frame == "Day 1 and Weeks 1, 2, 3, 4, 6, 10, 12, 16, and 24"
    assert [(a.label, a.arm_type, a.intervention_names) for a in r.arm_groups] == [
        ("Arm A", "EXPERIMENTAL", ["Ziprasidone"]), ("Arm B", "ACTIVE_COMPARATOR", ["Risperidone"])]
    assert [(i.intervention_type, i.name) for i in r.interventions] == [("DRUG", "Ziprasidone"), ("DRUG", "Risperidone")]
    assert (r.sex, r.minimum_age, r.maximum_age, r.healthy_volunteers) == ("ALL", "18 Years", "70 Years", False)
    assert [(i.id_type, i.id_value) for i in r.identifiers] == [("ORG_STUDY_ID", "A1281065")]
    assert r.lead_sponsor == "Pfizer"
    assert Counter(c.criterion_type for c in r.eligibility_criteria) == {"INCLUSION": 2, "EXCLUSION": 3}


def test_two_phase_rows_give_both_phases():
    (r,) = ctgov_archive.parse((ARCHIVE / "NCT00826579.html").read_text(encoding="utf-8"))
    assert r.phases == ["PHASE1", "PHASE2"]


def test_truncated_page_and_recognition():
    page = (ARCHIVE / "NCT00645515.html").read_text(encoding="utf-8")
    (r,) = ctgov_archive.parse(page[: len(page) // 2])
    assert r.trial_id == "NCT00645515" and r.brief_title.startswith("A Study Comparing")
    assert not any(ctgov_archive.recognises(p.read_text(encoding="utf-8")) for p in SEEDS.iterdir())
    with pytest.raises(ParseError, match="ctgov_archive: no NCT id"):
        ctgov_archive.parse("<html><title>ClinicalTrials.gov Archive</title><body></body></html>")


def _arm_groups(xml):
    return [(_fold(g.findtext("arm_group_label")), _fold(g.findtext("arm_group_type")), _fold(g.findtext("description")))
            for g in xml.findall("arm_group")]


@pytest.mark.parametrize("nct", WITH_XML)
def test_arm_groups_agree_with_the_xml(nct):
    """Regression: an observational group has no type line on the page (NCT01597011), and its description
    used to be read as the arm type, which the schema rejected and so quarantined the whole page."""
    (r,) = ctgov_archive.parse((ARCHIVE / f"{nct}.html").read_text(encoding="utf-8"))
    xml = ET.parse(CORPUS / "ctgov_xml" / f"{nct}.xml").getroot()
    expected = [(label, arm_type and arm_type.upper().replace(" ", "_"), description)
                for label, arm_type, description in _arm_groups(xml)]
    assert [(a.label, a.arm_type, a.description) for a in r.arm_groups] == expected


def test_observational_groups_have_no_arm_type():
    (r,) = ctgov_archive.parse((ARCHIVE / "NCT01597011.html").read_text(encoding="utf-8"))
    assert [(a.label, a.arm_type, a.description, a.intervention_names) for a in r.arm_groups] == [
        ("Tisseel group", None, "Patients who have undergone inguinal hernia repair with fibrin sealant/fibrin "
                                "glue/Tisseel for mesh fixation", ["Tisseel"]),
        ("Tissue-penetrating fixation group", None, "Patients who have undergone inguinal hernia repair with the use "
                                                    "of tacks, staples or sutures for mesh fixation",
         ["Tissue-penetrating mesh-fixation"]),
    ]


def test_archive_banner_without_the_view_line_takes_the_first_nct_id():
    """Regression (found by hypothesis): the fallback id pattern had no group, so m[1] raised IndexError."""
    (r,) = ctgov_archive.parse("<html><title>ClinicalTrials.gov Archive</title><body>NCT00645515</body></html>")
    assert r.trial_id == "NCT00645515"


def test_study_design_row_of_punctuation_is_ignored():
    """Regression (found by hypothesis): a design value with no letters or digits made lookup return None,
    and .lower() on it raised AttributeError."""
    page = ("<html><body>View of NCT00645515 on 2008_05_04<table class=info>"
            "<tr><th>Study design</th><td>{</td></tr><tr><th>Study design</th><td>Randomized</td></tr>"
            "</table></body></html>")
    (r,) = ctgov_archive.parse(page)
    assert (r.allocation, r.primary_purpose, r.masking) == ("RANDOMIZED", None, None)


# --- never raise: arbitrary text and mutilated real pages give records or ParseError -------------------

from hypothesis import strategies as st  # noqa: E402

from tests.sources.mutations import never_raise_tests  # noqa: E402

PAGES = {p.stem: p.read_text(encoding="utf-8") for p in sorted(ARCHIVE.glob("*.html"))}
_VALUES = st.sampled_from([
    "Phase 1", "Interventional", "Randomized", "Double Blind (Subject, Investigator)", "Other", "Case-Control",
    "Measure: x Time Frame: 1 year Safety Issue? No", "Measure:", "\n\nArm Label: A \n \xa0\n Experimental\n\n\nd",
    "\n\nArm Label: A\n", "Arm Label:", "Drug: aspirin \xa0 Arm Label: A\n\n\nd", "Procedure/Surgery: x", "June 2003",
    "18 Years", "N/A", "Yes", "Inclusion Criteria:\n- a\nExclusion Criteria:\n- b", "A1281065 (other)", "",
]) | st.text(max_size=30)
_ROWS = st.lists(st.tuples(st.sampled_from(sorted(ctgov_archive.LABELS) + ["", "Unknown"]), _VALUES), max_size=40)


def _page(rows) -> str:
    cells = "".join(f"<tr><th>{label}</th><td>{value}</td></tr>" if label else f"<tr><td>{value}</td></tr>"
                    for label, value in rows)
    return f"<html><body><h1>View of NCT00645515 on 2008_05_04</h1><table class=info>{cells}</table></body></html>"


test_arbitrary_text_parses_or_raises_parse_error, test_mutilated_pages_parse_or_raise_parse_error = \
    never_raise_tests(ctgov_archive, st.text() | _ROWS.map(_page), PAGES)


def test_an_expected_enrollment_in_superscript_digits_is_not_a_count():
    """Found by the test above: "¹" passes `str.isdigit`, and `int` raised ValueError on it."""
    (record,) = ctgov_archive.parse(_page([("Expected enrollment", "¹"), ("Study type", "Interventional")]))
    assert (record.trial_id, record.enrollment, record.enrollment_type) == ("NCT00645515", None, None)
    (record,) = ctgov_archive.parse(_page([("Expected enrollment", "120")]))
    assert (record.enrollment, record.enrollment_type) == (120, "ESTIMATED")
