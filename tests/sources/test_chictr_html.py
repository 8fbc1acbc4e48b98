"""A saved ChiCTR study page (bilingual labels): field by field against values read by hand in the page."""
import re
from collections import Counter
from datetime import date

import pytest

from pipeline.parsing import explode
from pipeline.record import Location, ParseError
from pipeline.sources import chictr_html, detect
from tests.conftest import CORPUS

PAGE = (CORPUS / "chictr_html" / "ChiCTR2400084905.html").read_text(encoding="utf-8")
(RECORD,) = chictr_html.parse(PAGE)


def test_page_field_by_field():
    r = RECORD
    assert (r.trial_id, r.registry) == ("ChiCTR2400084905", "CHICTR")
    assert r.brief_title.startswith("SUNRAY-01, A Global Pivotal Study in Participants with KRAS G12C-Mutant")
    assert r.brief_title.endswith("Pemetrexed, Platinum regardless of PD-L1 Expression")
    assert r.official_title == r.brief_title  # the page gives the same English text for both
    assert r.acronym.startswith("LY3537982 in Combination with Pembrolizumab and LY3537982")
    assert (r.registration_date, r.last_update_posted_date) == (date(2024, 5, 28), date(2024, 5, 28))
    assert (r.lead_sponsor, r.collaborators) == ("Jilin Cancer Hospital", ["Eli Lilly and Company"])
    assert r.conditions == ["KRAS G12C-Mutant, Locally Advanced or Metastatic Non-Small Cell Lung Cancer"]
    assert (r.study_type, r.study_type_raw, r.phases, r.phases_raw) == ("INTERVENTIONAL", None, ["PHASE3"], None)
    # 研究设计 随机平行对照 (randomised parallel controlled), Study design: Parallel; Blinding: Double blinded
    assert (r.allocation, r.intervention_model, r.masking) == ("RANDOMIZED", "PARALLEL", "DOUBLE")
    assert (r.overall_status, r.overall_status_raw) == ("NOT_YET_RECRUITING", None)
    assert (r.sex, r.minimum_age, r.maximum_age) == ("ALL", "18 Years", None)  # Gender: Both; max age empty
    # recruiting from 2024-06-01 (first enrolment); the study executes until 2029-10-01
    assert (r.start_date, r.completion_date, r.primary_completion_date) == (date(2024, 6, 1), date(2029, 10, 1), None)
    assert r.identifiers == []  # Study subject ID and the partner registry's number are empty
    assert r.has_results is None


def test_groups_are_arms_with_their_intervention_and_their_sizes_add_up():
    r = RECORD
    assert [(a.label, a.intervention_names) for a in r.arm_groups] == [
        ("experimental group（Part A）", ["LY3537982 in combination with pembrolizumab"]),
        ("control group（Part A）", ["placebo with pembrolizumab"]),
        ("experimental group（Part B）", ["LY3537982 in combination with pembrolizumab, pemetrexed and platinum"]),
        ("control group（Part B）", ["placebo with pembrolizumab, pemetrexed and platinum"]),
    ]
    assert {a.arm_type for a in r.arm_groups} == {None}  # the page names no arm type
    assert len(r.arm_groups) == PAGE.count('class="en">Group：')
    assert (r.enrollment, r.enrollment_type) == (192 + 192 + 276 + 276, "ESTIMATED")


def test_sites_and_outcomes():
    r = RECORD
    assert len(r.locations) == PAGE.count("Level of the institution") == 43  # one block per site
    assert len(explode(r)["locations"]) == 32  # the page lists eleven sites twice
    assert r.locations[0] == Location(facility="Jilin Cancer Hospital", state="Jilin", country="China")
    assert [(o.outcome_type, o.measure) for o in r.outcomes] == [
        ("PRIMARY", "progression-free survival"), ("SECONDARY", "Overall survival"),
        ("SECONDARY", "overall response rate")]
    assert r.outcomes[0].description == "Imaging assessment (Response Evaluation Criteria in Solid Tumors version 1.1)"
    assert r.outcomes[0].time_frame.startswith("Perform assessment every 6 weeks (±7 days)")


def test_criteria_split_as_for_clinicaltrials_gov_with_their_thresholds():
    criteria = RECORD.eligibility_criteria
    # inclusion 1-12; exclusion 13-33, but the English page writes "… are eligible. 25. Have had …" on one line
    assert PAGE.count("are eligible. 25. Have had") == 1
    assert Counter(c.criterion_type for c in criteria) == {"INCLUSION": 12, "EXCLUSION": 20}
    assert (criteria[5].criterion_type, criteria[5].ordinal, criteria[5].text) == (
        "INCLUSION", 6, "Estimated life expectancy ≥12 weeks.")
    assert criteria[12].text.startswith("Have a documented additional validated targetable oncogenic driver mutation")
    assert not any(re.search(r"[\u4e00-\u9fff]", c.text) for c in criteria)  # the English text, not the Chinese
    thresholds = explode(RECORD)["eligibility_thresholds"]
    assert any(row[3] == "ecog" and row[1:3] == ("INCLUSION", 5) for row in thresholds)


def test_recognition_and_errors():
    assert detect(PAGE) is chictr_html
    assert not chictr_html.recognises((CORPUS / "euctr_html" / "2009-016529-32_EE.html").read_text(encoding="utf-8"))
    with pytest.raises(ParseError, match="chictr_html: no registration number"):
        chictr_html.parse(PAGE.replace("ChiCTR2400084905", "—"))


# --- never raise: arbitrary text and the mutilated page give records or ParseError ---------------------

from hypothesis import strategies as st  # noqa: E402

from tests.sources.mutations import never_raise_tests  # noqa: E402

_LABELS = ["Registration number：", "Study phase：", "Group：", "样本量：", "Intervention：", "Country：", "Outcome：",
           "Type：", "Min age", "Inclusion criteria", "Study execute time：", "Recruiting status：", "研究设计："]
_ROWS = st.lists(st.tuples(st.sampled_from(_LABELS), st.sampled_from(["ChiCTR2400084905", "3", "12", "From 2024-06-01 To",
                                                                       "随机平行对照", ""]) | st.text(max_size=20)),
                 max_size=30)
_PAGE = _ROWS.map(lambda rows: "<html><body>注册号 ChiCTR Registration number<table>" + "".join(
    f'<tr><td class="left_title"><p class="en">{label}</p></td><td>{value}</td></tr>' for label, value in rows)
    + "</table></body></html>")
test_arbitrary_text_parses_or_raises_parse_error, test_mutilated_pages_parse_or_raise_parse_error = \
    never_raise_tests(chictr_html, st.text() | _PAGE, {"ChiCTR2400084905": PAGE}, examples=100,
                      trial_id=re.compile(r"ChiCTR[-A-Za-z0-9]*\d"))
