"""Classic ClinicalTrials.gov pages: seed 002 (NCT01374854, the 2017 layout) field by field and against the registry's
XML; the older Full Text, Tabular and results views of NCT00936455 field by field and against each other."""
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import date
from dataclasses import asdict

import pytest

from pipeline.record import Identifier, Location, ParseError
from pipeline.sources import ctgov_classic, detect
from pipeline.vocabulary import DATE_TYPE, lookup, parse_date
from tests.conftest import CORPUS, SEEDS, finishes_within

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
    # as the labels say: "Study Start Date", "Actual Primary Completion Date", "Estimated Study Completion Date"
    assert (r.start_date_type, r.primary_completion_date_type, r.completion_date_type) == (None, "ACTUAL", "ESTIMATED")
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
    for field in ("start_date", "primary_completion_date", "completion_date"):  # "Anticipated" is ESTIMATED
        assert getattr(r, f"{field}_type") == lookup(DATE_TYPE, XML.find(field).get("type"))
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
         + "</body></html>",
         "NCT00936455_results.html": (CORPUS / "ctgov_classic_html" / "NCT00936455_results.html").read_text("utf-8")}
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


# --- the older views (about 2012) of one observational trial: Full Text, Tabular and results --------------

OLDER_VIEWS = {view: (CORPUS / "ctgov_classic_html" / f"NCT00936455_{view}.html").read_text(encoding="utf-8")
               for view in ("full", "tab", "results")}
TITLE = "Stroke Team Remote Evaluation Using a Digital Observation Camera- Long Term Outcomes(STRokE DOC-LTO)"


@pytest.mark.parametrize("view", OLDER_VIEWS)
def test_older_views_are_recognised_and_read_the_fields_every_view_states(view):
    """Read off the pages by hand: each view's header, its "Study Type" and its "Study Design" cell (the results view
    writes the design as one line, "Observational Model: Cohort; Time Perspective: Retrospective")."""
    page = OLDER_VIEWS[view]
    assert ctgov_classic.recognises(page)
    assert detect(page) is ctgov_classic
    (r,) = ctgov_classic.parse(page)
    assert (r.trial_id, r.brief_title, r.overall_status, r.lead_sponsor) == (
        "NCT00936455", TITLE, "COMPLETED", "University of California, San Diego")
    # "First received: July 9, 2009" and "Last updated: April 24, 2012" are dates submitted (the registry's later
    # names for them); no posting date
    assert (r.first_submitted_date.isoformat(), r.first_posted_date, r.last_update_submitted_date.isoformat(),
            r.last_update_posted_date) == ("2009-07-09", None, "2012-04-24", None)
    # only the full view ends "ClinicalTrials.gov processed this record on June 01, 2014"
    assert r.download_date == (date(2014, 6, 1) if view == "full" else None)
    # the full and results views state "Results First Received: August 29, 2011" (the blind audit found has_results
    # null for a trial known from these pages only); the results view's tables: test_results_view_tables_…
    assert (r.results_first_submitted_date, r.has_results) == (
        (None, None) if view == "tab" else (date(2011, 8, 29), True))
    assert (r.study_type, r.observational_model, r.time_perspective) == ("OBSERVATIONAL", "COHORT", "RETROSPECTIVE")
    assert r.conditions == ["Telemedicine Evaluation vs Telephone Evaluation"]
    assert r.identifiers == [Identifier(None, "STRokE DOC-LTO")]
    assert [(o.outcome_type, o.measure.split(" [")[0][:28], o.time_frame.split("relative to the study ")[1])
            for o in r.outcomes] == [
        ("PRIMARY", "Functional Outcome (mRS(0-1)", "entry time in concrete units is 6 months"),
        ("SECONDARY", "Recurrent Stroke", "entry time in concrete units is 6 months"),
        ("SECONDARY", "Recurrent Stroke", "entry time in units is 12 months"),
        ("SECONDARY", "Functional Outcome (mRS(0-1)", "entry time in units is 12 months")]


@pytest.mark.parametrize("view", ["full", "tab"])
def test_full_text_and_tabular_views_field_by_field(view):
    (r,) = ctgov_classic.parse(OLDER_VIEWS[view])
    assert r.official_title == ("An Observational Study to Evaluate the Long Term Outcomes of Patients Previously Enrolled "
                                'in the STRokE DOC ("STRokE DOC Trial (NCT00283868)") Telemedicine Clinical Trial.')
    assert (r.enrollment, r.enrollment_type, r.sex, r.minimum_age, r.maximum_age, r.healthy_volunteers) == (
        75, None, "ALL", "18 Years", "90 Years", False)
    assert [d.isoformat() for d in (r.start_date, r.primary_completion_date, r.completion_date)] == [
        "2009-06-01", "2010-06-01", "2010-08-01"]
    assert [(a.label, a.arm_type, a.description) for a in r.arm_groups] == [
        ("Telemedicine", None, "Telemedicine evaluated patients"), ("Telephone", None, "Telephone evaluated patients")]
    # the criteria block, not the study population above it that repeats the inclusion criteria
    assert [(c.criterion_type, c.ordinal, c.text) for c in r.eligibility_criteria] == [
        ("INCLUSION", 1, "Male or female subjects, age > 18 years."),
        ("INCLUSION", 2, 'Prior enrollment into the STRokE DOC ("STRokE DOC Trial (NCT00283868)") clinical research trial.'),
        ("EXCLUSION", 1, "Male or female subjects, age < 18 years."),
        ("EXCLUSION", 2, 'Patients not previously enrolled into the STRokE DOC ("STRokE DOC Trial (NCT00283868)") '
                         "clinical research trial.")]
    assert r.brief_summary.startswith("SPECIFIC AIM: The specific aims") and r.brief_summary.endswith(
        "comparing telemedicine versus telephone-only consultations.")
    assert r.detailed_description.endswith('and "current" time of contact.')
    assert r.outcomes[1].description == ("Assessing amount of patients that had recurrent stroke by 6 months (patients "
                                         "that retrospectively reporting having had a stroke from 0-6 months after "
                                         "their index event)")


def test_older_views_agree_wherever_two_state_a_field():
    """Field by field, every value two views both state is the same (the results view gives no outcome descriptions,
    the Tabular View no publication's type); only the Full Text View lists the location."""
    records = {view: asdict(ctgov_classic.parse(page)[0]) for view, page in OLDER_VIEWS.items()}
    for record in records.values():
        record["study_references"] = [r["citation"] for r in record["study_references"]]
    records["results"]["outcomes"] = [o | {"description": None} for o in records["results"]["outcomes"]]
    records["full"]["outcomes"] = [o | {"description": None} for o in records["full"]["outcomes"]]
    records["tab"]["outcomes"] = [o | {"description": None} for o in records["tab"]["outcomes"]]
    for field_name in records["full"]:
        stated = [r[field_name] for r in records.values() if r[field_name] not in (None, [])]
        assert all(value == stated[0] for value in stated), field_name
    assert records["full"]["locations"] == [asdict(Location("UCSD", "San Diego", "California", "92103", "United States"))]
    assert records["tab"]["locations"] == records["results"]["locations"] == []


def test_a_design_line_of_several_values_is_split_and_a_tabular_page_linking_the_archive_is_no_archive_page():
    page = ("ClinicalTrials.gov Identifier: NCT00936455\nStudy Type: | Observational |\n"
            "Observational Model: Cohort; Time Perspective: Retrospective |\n"
            "Complete list of historical versions of study NCT00936455 on ClinicalTrials.gov Archive Site |\n")
    assert ctgov_classic.recognises(page)
    (r,) = ctgov_classic.parse(page)
    assert (r.observational_model, r.time_perspective) == ("COHORT", "RETROSPECTIVE")


def test_results_view_tables_field_by_field():
    """Read off the saved results view by hand: two reporting groups; "Participant Flow: Overall Study" STARTED
    37 / 38, COMPLETED 37 / 38, NOT COMPLETED 0 / 0; the baseline's groups and Total, "Number of Participants
    [units: participants]" 37 / 38 / 75 (the numbers analyzed), Age "[units: years] Mean ± Standard Deviation"
    68 ± 13, 67 ± 13, 67 ± 13, Gender Female 18 / 16 / 34 and Male 19 / 22 / 41, Region of Enrollment United
    States 37 / 38 / 75. Its outcome measures and adverse events are collapsed in the saved page: no values. The
    other two views have none."""
    (r,) = ctgov_classic.parse(OLDER_VIEWS["results"])
    assert [(g.result_type, g.group_code, g.title, g.description[:30]) for g in r.result_groups] == [
        ("PARTICIPANT_FLOW", "FG000", "Telemedicine", "Telemedicine evaluated patient"),
        ("PARTICIPANT_FLOW", "FG001", "Telephone", "Telephone evaluated patients"),
        ("BASELINE", "BG000", "Telemedicine", "Telemedicine evaluated patient"),
        ("BASELINE", "BG001", "Telephone", "Telephone evaluated patients"),
        ("BASELINE", "BG002", "Total", "Total of all reporting groups")]
    assert [(f.period, f.kind, f.label, f.group_code, f.count, f.count_raw) for f in r.participant_flow] == [
        ("Overall Study", "MILESTONE", label, code, count, str(count))
        for label, counts in (("STARTED", (37, 38)), ("COMPLETED", (37, 38)), ("NOT COMPLETED", (0, 0)))
        for code, count in zip(("FG000", "FG001"), counts)]
    rows = [(m.measure_ordinal, m.title, m.units, m.param_type, m.dispersion_type, m.category, m.group_code, m.value,
             m.value_raw, m.dispersion_value, m.analyzed, m.analyzed_units) for m in r.baseline_measurements]
    groups, analyzed = ("BG000", "BG001", "BG002"), (37, 38, 75)
    assert rows == [
        *[(1, "Age", "years", "MEAN", "STANDARD_DEVIATION", None, code, value, str(int(value)), 13.0, n, "participants")
          for code, value, n in zip(groups, (68.0, 67.0, 67.0), analyzed)],
        *[(2, "Gender", "participants", None, None, sex, code, value, str(int(value)), None, n, "participants")
          for sex, values in (("Female", (18.0, 16.0, 34.0)), ("Male", (19.0, 22.0, 41.0)))
          for code, value, n in zip(groups, values, analyzed)],
        *[(3, "Region of Enrollment", "participants", None, None, "United States", code, value, str(int(value)), None,
           n, "participants") for code, value, n in zip(groups, (37.0, 38.0, 75.0), analyzed)]]
    for view in ("full", "tab"):
        (other,) = ctgov_classic.parse(OLDER_VIEWS[view])
        assert (other.result_groups, other.participant_flow, other.baseline_measurements) == ([], [], [])


def test_a_results_table_whose_columns_are_not_its_reporting_groups_is_refused():
    """A column the reporting groups do not list would have no group code: the page is refused, no row guessed."""
    page = OLDER_VIEWS["results"].replace("Telephone\n           &nbsp;", "Telephones\n           &nbsp;", 1)
    assert page != OLDER_VIEWS["results"]
    with pytest.raises(ParseError, match="are not its reporting groups"):
        ctgov_classic.parse(page)


def test_older_views_publications_by_their_headings():
    """The Full Text View's "Publications:" and "Additional publications automatically indexed to this study by
    ClinicalTrials.gov Identifier (NCT Number):", the results view's "Publications:" and "Publications automatically
    indexed to this study:", one citation each (read off the pages by hand); the Tabular View lists both under
    "Publications *", "* Includes publications given by the data provider as well as publications identified by
    ClinicalTrials.gov Identifier (NCT Number) in Medline": no type. Their links go through a redirect that hides the
    PMID."""
    lancet = ("Meyer BC, Raman R, Hemmen T, Obler R, Zivin JA, Rao R, Thomas RG, Lyden PD. Efficacy of "
              "site-independent telemedicine in the STRokE DOC trial: a randomised, blinded, prospective study. Lancet "
              "Neurol. 2008 Sep;7(9):787-95.")
    indexed = ("Meyer BC, Raman R, Ernstrom K, Tafreshi GM, Huisa B, Stemer AB, Hemmen TM. Assessment of long-term "
               "outcomes for the STRokE DOC telemedicine trial. J Stroke Cerebrovasc Dis. 2012 May;21(4):259-64. doi: "
               "10.1016/j.jstrokecerebrovasdis.2010.08.004. Epub 2010 Sep 19.")
    for view in ("full", "results"):
        (r,) = ctgov_classic.parse(OLDER_VIEWS[view])
        assert [(x.reference_type, x.pmid, x.citation) for x in r.study_references] == [
            ("BACKGROUND", None, lancet), ("DERIVED", None, indexed)]
    assert [(x.reference_type, x.pmid, x.citation) for x in ctgov_classic.parse(OLDER_VIEWS["tab"])[0].study_references
            ] == [(None, None, lancet), (None, None, indexed)]


def test_a_publication_list_ends_at_the_next_label_and_is_read_only_under_more_information():
    """The 2017 layout writes a label and its value on one line ("Responsible Party: | Fuzhou General Hospital |"):
    no citation; a "Publications:" line before "More Information" is no list (seed 002 with lines put in, as a
    reviewer did)."""
    page = PAGE.replace("Responsible Party: |", "More Information\nPublications automatically indexed to this study by "
                        "ClinicalTrials.gov Identifier (NCT Number):\nSmith J. A trial. Lancet. 2010;1:1-2.\n"
                        "Responsible Party: |", 1)
    assert page != PAGE
    assert [(x.reference_type, x.citation) for x in ctgov_classic.parse(page)[0].study_references] == [
        ("DERIVED", "Smith J. A trial. Lancet. 2010;1:1-2.")]
    described = PAGE.replace("- How to Read a Study Record\n",
                             "- How to Read a Study Record\nPublications:\nNone yet\n", 1)
    assert described != PAGE and ctgov_classic.parse(described)[0].study_references == []


RESULTS = OLDER_VIEWS["results"]
HEAD = "<html><body><p>ClinicalTrials.gov Identifier: NCT00936455</p><p>Study Type: Observational</p>"


def test_results_view_variants_read_as_written_or_refused():
    """The one real results page changed where a reviewer found the reader guessing: a "Median (Full Range)" parameter
    is MEDIAN and FULL_RANGE, its cell "68 (40 to 90)" kept as written (no shape of it seen, so not split); two groups
    of one title are coded by position; a flow row labelled in a plain cell without the categories' indentation, or a
    column the reporting groups do not list, refuses the page (ParseError) rather than guess."""
    median = RESULTS.replace("Mean &#177;&nbsp;Standard Deviation", "Median (Full Range)").replace(
        "&nbsp;&#177;&nbsp;13", " (40 to 90)", 1)
    (r,) = ctgov_classic.parse(median)
    age = r.baseline_measurements[0]
    assert (age.param_type, age.dispersion_type, age.value, age.value_raw, age.dispersion_value) == (
        "MEDIAN", "FULL_RANGE", None, "68 (40 to 90)", None)
    same = RESULTS.replace("nowrap>Telephone</th>", "nowrap>Telemedicine</th>").replace(
        "Telephone\n           &nbsp;", "Telemedicine\n           &nbsp;")
    assert {(f.label, f.group_code, f.count) for f in ctgov_classic.parse(same)[0].participant_flow} >= {
        ("STARTED", "FG000", 37), ("STARTED", "FG001", 38)}
    plain = RESULTS.replace('<th align="left" class="header3 brt bold_participant_color" style="max-width:50%">\n'
                            "            COMPLETED", '<td class="header3">\n            COMPLETED', 1)
    assert plain != RESULTS
    with pytest.raises(ParseError, match="participant flow row of a shape"):
        ctgov_classic.parse(plain)
    with pytest.raises(ParseError, match="are not its reporting groups"):
        ctgov_classic.parse(RESULTS.replace("Telephone\n           &nbsp;", "Telephones\n           &nbsp;", 1))


def test_results_tables_that_hold_tables_or_have_no_title_are_not_read():
    """An untitled heading over a coloured table is no results table (it raised AttributeError); a table holding a
    table is not read, so no row is read twice: a reviewer's 891 KB page of 1,000 nested titled tables took 16 s."""
    untitled = HEAD + '<span class="header3"> </span><table><tr><th class="bold_baseline_color">x</th></tr></table>'
    assert ctgov_classic.parse(untitled + "</body></html>")[0].baseline_measurements == []
    unit = ('<span class="header3">Reporting Groups</span><table><tr><th class="bold_participant_color">x</th></tr>'
            + "<tr><th>Arm</th><td>1</td></tr>" * 40 + "<tr><td>")
    nested = HEAD + unit * 1000 + "y" + "</td></tr></table>" * 1000 + "</body></html>"
    with finishes_within(10):
        (r,) = ctgov_classic.parse(nested)
    assert [g.title for g in r.result_groups] == ["Arm"] * 40 + ["y"]  # the innermost table's own rows only
