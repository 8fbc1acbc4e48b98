"""EU Clinical Trials Register protocol pages (2016): the three real pages field by field, against values read
by hand in the pages, and the text download's reader agreeing with the page's on the same fields."""
import re
from datetime import date

import pytest
from selectolax.lexbor import LexborHTMLParser

from pipeline.record import Location, ParseError
from pipeline.sources import chictr_html, detect, euctr_html, euctr_text
from tests.conftest import CORPUS, SEEDS

PAGES = {p.name: p.read_text(encoding="utf-8") for p in sorted((CORPUS / "euctr_html").glob("*.html"))}
PT, EE, THIRD = "2005-002909-23_PT.html", "2009-016529-32_EE.html", "2011-005852-33_3rd.html"


def _record(name):
    (record,) = euctr_html.parse(PAGES[name])
    return record


def test_every_page_is_recognised_as_its_eudract_number():
    for name, page in PAGES.items():
        assert detect(page) is euctr_html
        assert _record(name).trial_id == "EUCTR" + name[:14]


def test_no_registry_reader_takes_a_clinicaltrials_gov_document():
    """The registries' readers come last in detection; none of them claims any ClinicalTrials.gov document either."""
    folders = ("ctgov_xml", "ctgov_api_v2_json", "ctgov_classic_html", "ctgov_archive_html")
    paths = [p for folder in folders for p in (CORPUS / folder).iterdir()] + list(SEEDS.iterdir())
    assert len(paths) > 190
    for path in paths:
        text = path.read_text(encoding="utf-8")
        assert not any(reader.recognises(text) for reader in (euctr_text, euctr_html, chictr_html)), path


def test_portuguese_page_field_by_field():
    r = _record(PT)
    assert r.official_title == ("Long-term extension study of safety during treatment with tocilizumab (MRA) in "
                                "patients completing treatment in MRA core studies.")
    assert (r.brief_title, r.acronym) == (None, None)  # no A.3.1 in this 2007 record; A.3.2 is empty
    assert (r.lead_sponsor, r.sponsor_class) == ("F Hoffmann La-Roche AG", "INDUSTRY")
    assert (r.overall_status, r.overall_status_raw, r.phases) == ("COMPLETED", None, ["PHASE3"])
    # E.8.1.x all "Information not present in EudraCT": no design
    assert (r.allocation, r.masking, r.intervention_model, r.primary_purpose) == (None, None, None, "TREATMENT")
    assert (r.enrollment, r.enrollment_type) == (2420, "ESTIMATED")
    # under 18: No (its bands "not present"), adults and elderly Yes
    assert (r.minimum_age, r.maximum_age, r.sex, r.healthy_volunteers) == ("18 Years", None, "ALL", False)
    assert (r.registration_date, r.has_results) == (date(2007, 1, 3), None)  # results "Removed from public view"
    assert r.completion_date == date(2013, 4, 24)  # P. Date of the global end of the trial
    assert r.conditions == ["Rheumatoid arthritis"]
    assert [(i.name, i.other_names) for i in r.interventions] == [("MRA", ["RO4877533", "tocilizumab"])]
    # the ISRCTN field reads "NA": not an identifier
    assert [(i.id_type, i.id_value) for i in r.identifiers] == [
        ("EUDRACT_NUMBER", "2005-002909-23"), ("ORG_STUDY_ID", "WA18696")]
    assert r.locations == [Location(country="Portugal")]


def test_estonian_page_field_by_field():
    r = _record(EE)
    assert (r.lead_sponsor, r.overall_status, r.overall_status_raw) == ("GW Pharma Ltd", "TERMINATED", None)
    assert (r.phases, r.enrollment, r.registration_date, r.has_results) == (["PHASE3"], 800, date(2010, 7, 21), False)
    # Open, Single blind, Double blind all No: the masking is not stated
    assert (r.masking, r.allocation) == (None, None)
    assert [(i.name, i.other_names) for i in r.interventions] == [
        ("Sativex", ["Sativex Oromucosal Spray", "GW-1000-02", "delta-9-tetrahydrocannabinol", "cannabidiol"])]
    criteria = r.eligibility_criteria
    assert (len([c for c in criteria if c.criterion_type == "INCLUSION"]),
            len([c for c in criteria if c.criterion_type == "EXCLUSION"])) == (4, 10)
    assert criteria[1].text == "Patient has completed the parent study within the last seven days."
    assert [(o.outcome_type, o.measure) for o in r.outcomes] == [
        ("PRIMARY", "The primary endpoint is the incidence of adverse events (AEs).")]
    assert r.locations == [Location(country="Estonia")]


def test_third_country_page_field_by_field():
    r = _record(THIRD)
    assert r.brief_title == ("Efficacy, safety and pharmacokinetics of artemether-lumefantrine dispersible tablet in "
                             "the treatment of malaria in infants < 5 kg")
    assert (r.lead_sponsor, r.phases, r.masking, r.overall_status, r.has_results) == (
        "Novartis Pharma AG", ["PHASE2"], "NONE", None, True)
    # newborns and infants and toddlers Yes, every other band No
    assert (r.minimum_age, r.maximum_age, r.enrollment) == ("0 Days", "23 Months", 30)
    # H.4.1 the third country first authorising it, then E.8.6.3 the countries outside the EEA
    assert [x.country for x in r.locations] == ["Burkina Faso", "Benin", "Congo", "Nigeria", "Togo"]
    assert r.outcomes[0].time_frame == "28 days"
    assert r.outcomes[1].time_frame == "1, 2, 3, 7, 14, 28 and 42 days"


def _as_text_download(page: str) -> str:
    """The page's rows written the way the text download writes them (`code label: value`)."""
    tree = LexborHTMLParser(re.sub(r"<br\s*/?>", "\n", page))
    lines = ["Summary"]
    for row in tree.css("tr"):
        cells = [c for c in row.iter() if c.tag == "td"]
        classes = [c.attributes.get("class") for c in cells]
        if classes[:2] == ["cellGrey", "cellLighterGrey"]:
            lines.append(f"{cells[0].text().strip().rstrip(':')}: {cells[1].text().strip()}")
        elif classes[:3] == ["first", "second", "third"]:
            label = " ".join(cells[1].text().split()).rstrip(":")
            lines.append(f"{cells[0].text().strip()} {label}: {cells[2].text().strip()}")
        elif classes[:1] == ["cellBlue"]:  # a heading: "D.IMP: 1", "B.Sponsor: 1"
            lines.append(" ".join(cells[0].text().split()))
    return "\n".join(lines)


@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_text_download_reader_reads_the_same_fields_the_same_way(name):
    """One code table serves both forms: the page, rewritten as the text download, gives the same record."""
    (from_text,) = euctr_text.parse(_as_text_download(PAGES[name]))
    from_text.document_part = None
    assert from_text == _record(name)


def test_a_page_without_a_eudract_number_raises():
    with pytest.raises(ParseError, match="euctr_html: no EudraCT number"):
        euctr_html.parse(PAGES[EE].replace("2009-016529-32", "2009-16529-32"))
    with pytest.raises(ParseError, match="euctr_html: not an HTML page"):
        euctr_html.parse("A.2 EudraCT number: 2009-016529-32")


# --- never raise: arbitrary text and mutilated real pages give records or ParseError -------------------

from hypothesis import strategies as st  # noqa: E402

from tests.sources.mutations import never_raise_tests  # noqa: E402

_ROWS = st.lists(st.tuples(st.sampled_from(["A.2", "E.3", "E.7.2", "F.1.2", "F.4.2.2", "D.3.1", "P.", "x"]),
                           st.text(max_size=15), st.sampled_from(["Yes", "No", "2009-016529-32", "12", ""])
                           | st.text(max_size=20)), max_size=30)
_PAGE = _ROWS.map(lambda rows: "<html><body>EU Clinical Trials Register<table>" + "".join(
    f'<tr><td class="first">{c}</td><td class="second">{label}</td><td class="third">{value}</td></tr>'
    for c, label, value in rows) + "</table></body></html>")
test_arbitrary_text_parses_or_raises_parse_error, test_mutilated_pages_parse_or_raise_parse_error = \
    never_raise_tests(euctr_html, st.text() | _PAGE, PAGES, examples=100,
                      trial_id=re.compile(r"EUCTR\d{4}-\d{6}-\d{2}"))
