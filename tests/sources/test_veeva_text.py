"""ClinicalTrials.Veeva pages: the two seeds field by field, and against the registry's own XML."""
import xml.etree.ElementTree as ET
from collections import Counter

import pytest

from pipeline.record import ParseError
from pipeline.sources import veeva_text
from tests.conftest import CORPUS, SEEDS

PAGE_000 = (SEEDS / "000_a62e3166a47b076d.txt").read_text(encoding="utf-8")
PAGE_003 = (SEEDS / "003_e4d3ef1e73982f60.txt").read_text(encoding="utf-8")


def test_seed_000_field_by_field():
    (r,) = veeva_text.parse(PAGE_000)
    assert r.trial_id == "NCT02302599"
    assert r.brief_title == "Mesenchymal Stem Cells to Treat Type 2 Diabetes (UC-MSCs)"
    assert r.lead_sponsor == "Chinese PLA General Hospital (301 Hospital)"
    assert (r.overall_status, r.last_known_status, r.phases) == ("COMPLETED", None, ["PHASE2"])
    assert r.conditions == ["Mesenchymal Stem Cells", "Type 2 Diabetes"]
    assert [(i.intervention_type, i.name) for i in r.interventions] == [
        ("BIOLOGICAL", "Umbilical cord mesenchymal stem cells"), ("BIOLOGICAL", "Controlled suspension liquid")]
    assert (r.study_type, r.sponsor_class) == ("INTERVENTIONAL", "OTHER")
    assert [(i.id_type, i.id_value) for i in r.identifiers] == [(None, "CHIN-PLAGH-ST-003")]
    assert r.brief_summary.startswith("Umbilical cord mesenchymal stem cells indicate the therapeutic effects")
    assert r.detailed_description.endswith("inhibition of T cell mediated immune response to beta cells.")
    assert (r.enrollment, r.enrollment_type) == (103, "ACTUAL")
    assert (r.sex, r.minimum_age, r.maximum_age, r.healthy_volunteers) == ("ALL", "20 Years", "65 Years", False)
    assert (r.primary_purpose, r.allocation, r.intervention_model) == ("TREATMENT", "RANDOMIZED", "PARALLEL")
    assert (r.masking, r.who_masked) == ("QUADRUPLE", [])
    assert [(a.label, a.arm_type, a.intervention_names) for a in r.arm_groups] == [
        ("Umbilical cord mesenchymal stem cells", "EXPERIMENTAL", ["Umbilical cord mesenchymal stem cells"]),
        ("Controlled suspension liquid", "EXPERIMENTAL", ["Controlled suspension liquid"]),
    ]
    assert r.arm_groups[1].description == "Patients receive Controlled suspension liquid"
    criteria = [(c.criterion_type, c.ordinal, c.text) for c in r.eligibility_criteria]
    assert Counter(c[0] for c in criteria) == {"INCLUSION": 7, "EXCLUSION": 2}
    assert criteria[0] == ("INCLUSION", 1, "20 ≤ age ≤ 65 years;")
    assert criteria[4] == ("INCLUSION", 5, "7.0% ≤ HbA1c ≤ 12.0%;")
    assert criteria[8][:2] == ("EXCLUSION", 2)
    assert (r.start_date, r.outcomes, r.locations, r.official_title) == (None, [], [], None)


def test_seed_003_field_by_field():
    (r,) = veeva_text.parse(PAGE_003)
    assert r.trial_id == "NCT01219465"
    assert r.lead_sponsor == "Qingdao University"
    assert (r.overall_status, r.phases) == ("UNKNOWN", ["PHASE1", "PHASE2"])
    assert r.conditions == ["Diabetes Mellitus, Type 1", "Diabetes Mellitus", "Mesenchymal Stem Cells", "Umbilical Cord"]
    assert (r.enrollment, r.enrollment_type) == (50, "ESTIMATED")
    assert (r.minimum_age, r.maximum_age) == ("3 Years", "35 Years")
    assert (r.allocation, r.intervention_model, r.masking) == ("NON_RANDOMIZED", "SINGLE_GROUP", "NONE")
    assert [(a.label, a.arm_type, a.intervention_names) for a in r.arm_groups] == [
        ("umbilical cord mesenchymal stem cells", "EXPERIMENTAL", ["umbilical cord mesenchymal stem cells"])]
    assert Counter(c.criterion_type for c in r.eligibility_criteria) == {"INCLUSION": 2, "EXCLUSION": 7}


def test_seed_003_agrees_with_the_registry_xml():
    (r,) = veeva_text.parse(PAGE_003)
    xml = ET.parse(CORPUS / "ctgov_xml" / "NCT01219465.xml").getroot()
    assert r.brief_title == xml.findtext("brief_title")
    assert r.enrollment == int(xml.findtext("enrollment"))
    assert r.minimum_age == xml.findtext("eligibility/minimum_age")
    assert r.maximum_age == xml.findtext("eligibility/maximum_age")
    assert set(r.conditions) == {c.text for c in xml.findall("condition")}  # the page reorders them
    text = xml.findtext("eligibility/criteria/textblock")
    for criterion in r.eligibility_criteria:
        assert " ".join(criterion.text.split()) in " ".join(text.split())


def test_crlf_and_html_forms_give_the_same_record():
    (plain,) = veeva_text.parse(PAGE_000)
    assert veeva_text.parse(PAGE_000.replace("\n", "\r\n")) == [plain]
    # synthetic wrapping: each line of the real page in its own <p>
    html = "<html><body>" + "".join(f"<p>{line}</p>" for line in PAGE_000.splitlines()) + "</body></html>"
    assert veeva_text.recognises(html)
    assert veeva_text.parse(html) == [plain]


@pytest.mark.parametrize("ages, expected", [
    ("20 to 65 years old", ("20 Years", "65 Years")), ("18+ years old", ("18 Years", None)),
    ("up to 21 years old", (None, "21 Years")), ("6 months to 17 years old", ("6 Months", "17 Years"))])
def test_age_ranges_as_veeva_writes_them(ages, expected):
    (r,) = veeva_text.parse(PAGE_000.replace("20 to 65 years old", ages))
    assert (r.minimum_age, r.maximum_age) == expected


def test_truncated_page_keeps_what_it_has():
    cut = PAGE_000[: PAGE_000.index("Sex\n")]
    (r,) = veeva_text.parse(cut)
    assert (r.trial_id, r.enrollment, r.eligibility_criteria, r.sex) == ("NCT02302599", 103, [], None)


def test_recognition_and_missing_id():
    assert not veeva_text.recognises((SEEDS / "002_d4776af7e2f4cbf7.txt").read_text(encoding="utf-8"))
    assert not veeva_text.recognises((CORPUS / "ctgov_archive_html" / "NCT00645515.html").read_text())
    with pytest.raises(ParseError, match="veeva_text: no trial id"):
        veeva_text.parse(PAGE_000.replace("NCT02302599", "(id removed)"))


# --- never raise: arbitrary text and mutilated real pages give records or ParseError -------------------

from hypothesis import strategies as st  # noqa: E402

from tests.sources.mutations import never_raise_tests  # noqa: E402


def _as_html(page: str) -> str:
    return "<html><body>" + "".join(f"<p>{line}</p>" for line in page.splitlines()) + "</body></html>"


PAGES = {"000": PAGE_000, "003": PAGE_003, "000.html": _as_html(PAGE_000), "003.html": _as_html(PAGE_003)}
# Lines the reader acts on, so generated pages reach its section handlers rather than stopping at the id.
_LINES = st.sampled_from(list(veeva_text.HEADINGS) + [
    "ClinicalTrials.Veeva", "Menu", "T", "NCT02302599", "Phase 2", "Completed", "Drug: aspirin", "103 patients",
    "50 estimated patients", "20 to 65 years old", "18+ years", "Up to 3 months", "Quadruple Blind",
    "2 participants in 2 patient groups", "Experimental group", "Placebo Comparator group", "Description:",
    "Treatment:", "Treatments:", "Biological: cells", "Inclusion Criteria:", "- one", "Yes", "All", "Other", "",
]) | st.text(max_size=30)


test_arbitrary_text_parses_or_raises_parse_error, test_mutilated_pages_parse_or_raise_parse_error = \
    never_raise_tests(veeva_text, st.text() | st.lists(_LINES, max_size=60).map("\n".join), PAGES)
