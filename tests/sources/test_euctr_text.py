"""The EU Clinical Trials Register's text download: its ten member-state records of two trials, field by field
against values read by hand in the file, the counts, and the merged trials in the warehouse."""
import re
import shutil
from collections import Counter
from dataclasses import asdict
from datetime import date

import pytest

from pipeline.parsing import explode
from pipeline.record import Location, ParseError
from pipeline.sources import detect, euctr, euctr_text
from tests.conftest import CORPUS, query, run_job

FILE = CORPUS / "euctr_text" / "euctr_2022-002568-62_2021-002179-21.txt"
TEXT = FILE.read_text(encoding="utf-8")
RECORDS = euctr_text.parse(TEXT)
AVB, MASITINIB = "EUCTR2022-002568-62", "EUCTR2021-002179-21"


def _part(part: str):
    return next(r for r in RECORDS if r.document_part == part)


def test_one_record_per_summary_and_one_trial_per_eudract_number():
    summaries = re.findall(r"^Summary$", TEXT, re.MULTILINE)
    numbers = re.findall(r"^EudraCT Number: (\S+)$", TEXT, re.MULTILINE)
    links = re.findall(r"^Link: \S+/trial/(\S+)/(\w+)/$", TEXT, re.MULTILINE)
    assert len(RECORDS) == len(summaries) == len(numbers) == 10
    assert Counter(r.trial_id for r in RECORDS) == Counter(f"EUCTR{n}" for n in numbers) == {AVB: 3, MASITINIB: 7}
    # parts name the member state of each record's link; a member state given twice (SE, PL) is numbered
    assert [f"EUCTR{number}-{state}" for number, state in links] == [r.document_part.removesuffix("-2") for r in RECORDS]
    assert [r.document_part for r in RECORDS if r.document_part.endswith("-2")] == [f"{AVB}-SE-2", f"{MASITINIB}-PL-2"]
    assert {r.registry for r in RECORDS} == {"EUCTR"}


def test_spanish_record_of_avb_101_field_by_field():
    r = _part(f"{AVB}-ES")
    assert r.official_title.startswith("A Phase 1/2 Open-Label, Ascending Dose, Multicenter Study to Evaluate the Safety")
    assert r.brief_title == ("A study to test whether AVB-101 is both safe and efficacious in a sub-population of "
                             "genetically defined FTD patients that currently have no other treatment options")
    assert r.acronym == ("Ph1/2 study of AVB-101 in Subjects with Frontotemporal Dementia with Progranulin Mutations "
                         "(FTD-GRN)")
    assert (r.lead_sponsor, r.sponsor_class, r.collaborators) == ("AviadoBio Ltd", "INDUSTRY", [])
    assert (r.overall_status, r.overall_status_raw) == (None, "Ongoing")  # no contract word means "Ongoing"
    assert (r.study_type, r.phases) == ("INTERVENTIONAL", ["PHASE1", "PHASE2"])
    # Open: Yes; Randomised: No (no allocation said); Parallel and Cross over: No; Diagnosis and Therapy both Yes
    assert (r.masking, r.allocation, r.intervention_model, r.primary_purpose) == ("NONE", None, None, None)
    assert (r.enrollment, r.enrollment_type) == (15, "ESTIMATED")  # F.4.2.2 In the whole clinical trial: 15
    # under 18: No; adults (18-64) and elderly (>=65): Yes
    assert (r.minimum_age, r.maximum_age, r.sex, r.healthy_volunteers) == ("18 Years", None, "ALL", False)
    assert (r.registration_date, r.start_date, r.has_results) == (date(2023, 1, 16), None, None)
    assert r.conditions == ["Frontotemporal Dementia With Progranulin Mutations (FTD-GRN)"]
    assert r.keywords == ["Diseases [C] - Nervous System Diseases [C10]"]  # E.1.1.2 Therapeutic area (no E.1.2 here)
    assert [(i.intervention_type, i.name, i.other_names) for i in r.interventions] == [
        (None, "Recombinant AAV-9 vector expressing the human progranulin protein", ["AVB-101"])]
    assert [(i.id_type, i.id_value) for i in r.identifiers] == [
        ("EUDRACT_NUMBER", "2022-002568-62"), ("ORG_STUDY_ID", "AVB-PGRN-001")]
    # the member state, then the regions outside the EEA (E.8.6.3)
    assert [x.country for x in r.locations] == ["Spain", "United States", "United Kingdom"]
    criteria = [(c.criterion_type, c.ordinal, c.text) for c in r.eligibility_criteria]
    assert Counter(c[0] for c in criteria) == {"INCLUSION": 6, "EXCLUSION": 12}
    assert criteria[0] == ("INCLUSION", 1, "Male or female, 30 to 75 years of age, inclusive, at Screening;")
    assert criteria[-1] == ("EXCLUSION", 12, "Contraindications to lumbar puncture as per local guidelines;")
    # a criterion wrapped over two lines is one criterion
    assert criteria[8][2].endswith("neurosyphilis, hydrocephalus, stroke, small vessel ischemic disease, uncontrolled "
                                   "hypothyroidism, or vitamin B12 deficiency;")
    assert [(o.outcome_type, o.time_frame) for o in r.outcomes] == [
        ("PRIMARY", "26 weeks and 5 years"), ("SECONDARY", "26 weeks and 5 years")]
    assert r.outcomes[0].measure.startswith("Over a 26-week initial and 5year total follow up period: • Number and")


def test_not_randomised_is_non_randomized_only_against_a_comparator():
    """E.8.1.1 Randomised and E.8.1 Controlled as euctr.allocation reads them (no corpus record is controlled and not
    randomised: the rule is the one the WHO data set's EU CTR and NTR records are read by, tested there on records)."""
    from pipeline.sources.euctr import allocation
    assert [allocation(True, None), allocation(False, True), allocation(False, False), allocation(False, None),
            allocation(None, True)] == ["RANDOMIZED", "NON_RANDOMIZED", None, None, None]


def test_translated_lines_are_left_out():
    r = _part(f"{AVB}-ES")
    text = str(asdict(r))
    for spanish in ("Estudio de fase 1/2", "Demencia", "Ser varón", "Durante un período", "26 semanas"):
        assert spanish not in text


def test_json_error_here_is_not_stated():
    """Two values of the file read JSON_ERROR_HERE (ES record A.7, FR record A.8): read as not stated."""
    assert TEXT.count("JSON_ERROR_HERE") == 2
    assert euctr.stated("JSON_ERROR_HERE") is None
    assert all("JSON_ERROR_HERE" not in str(asdict(r)) for r in RECORDS)


def test_french_record_of_masitinib_field_by_field():
    r = _part(f"{MASITINIB}-FR")
    assert r.official_title.endswith("treated with standard of care : cholinesterase inhibitors, memantine")
    assert (r.lead_sponsor, r.phases, r.overall_status_raw) == ("AB Science", ["PHASE3"], "Ongoing")
    assert (r.allocation, r.masking, r.intervention_model, r.primary_purpose) == (
        "RANDOMIZED", "DOUBLE", "PARALLEL", "TREATMENT")
    assert (r.enrollment, r.minimum_age, r.maximum_age, r.registration_date) == (600, "18 Years", None, date(2022, 3, 10))
    assert r.conditions == []  # E.1.1 is empty in this record (the Spanish one states "Alzheimer's disease")
    # E.1.1.2 and the three E.1.2 MedDRA terms ("Level: HLT", "LLT", "LLT")
    assert r.keywords == ["Diseases [C] - Nervous System Diseases [C10]", "Alzheimer's disease (incl subtypes)",
                          "Alzheimer's disease", "Early onset Alzheimer's disease"]
    # two IMPs of one product (100 and 200 mg) and the placebo of D.8
    assert [(i.name, i.other_names) for i in r.interventions] == [
        ("Masitinib", ["AB1010", "Masitinib mesilate"]), ("Masitinib", ["AB1010", "Masitinib mesilate"]), ("Placebo", [])]
    assert len(explode(r)["interventions"]) == 2  # the repeated IMP is one row
    assert [(o.outcome_type, o.time_frame) for o in r.outcomes] == [("PRIMARY", "week 24"), ("SECONDARY", "week 24, week 48")]
    assert r.locations[:3] == [Location(country=c) for c in ("France", "Argentina", "Canada")]
    # Greece's record has no F.4.2.2 and the trial is multinational: its size is not stated
    assert _part(f"{MASITINIB}-GR").enrollment is None


def test_criteria_give_thresholds_as_for_clinicaltrials_gov():
    rows = explode(_part(f"{AVB}-ES"))["eligibility_thresholds"]
    age = [row for row in rows if row[1:4] == ("INCLUSION", 1, "age")]
    assert [(row[4], row[6]) for row in age] == [(30.0, 75.0)]


def test_recognition_and_errors():
    assert detect(TEXT) is euctr_text
    for path in (CORPUS / "ctgov_xml" / "NCT01219465.xml", CORPUS / "euctr_html" / "2009-016529-32_EE.html"):
        assert not euctr_text.recognises(path.read_text(encoding="utf-8"))
    with pytest.raises(ParseError, match="euctr_text: no record"):
        euctr_text.parse("EudraCT Number: 2022-002568-62\n")
    with pytest.raises(ParseError, match="euctr_text: no EudraCT number"):
        euctr_text.parse(TEXT.replace("2022-002568-62", "2022-2568-62"))


def test_member_states_merge_into_one_trial_per_eudract_number(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(FILE, raw)
    assert run_job(raw, tmp_path / "out").success
    out = tmp_path / "out"
    per_number = Counter(f"EUCTR{n}" for n in re.findall(r"^EudraCT Number: (\S+)$", TEXT, re.MULTILINE))
    assert query(out, "select status, count(*) from documents group by 1") == [
        ("parsed", len(re.findall(r"^Summary$", TEXT, re.MULTILINE)))]
    assert query(out, "select trial_id, count(*) from trial_sources group by 1 order by 1") == sorted(per_number.items())
    assert query(out, "select count(*) from trials") == [(len(per_number),)]
    assert query(out, "select trial_id, registry, overall_status, overall_status_raw, phases, enrollment "
                      "from trials order by 1") == [
        (MASITINIB, "EUCTR", None, "Ongoing", ["PHASE3"], 600), (AVB, "EUCTR", None, "Ongoing", ["PHASE1", "PHASE2"], 15)]
    # the merge takes each field from the first member state by doc_id; the states disagree on these fields
    assert query(out, "select trial_id, field from trial_field_conflicts order by 1, 2") == [
        (MASITINIB, "acronym"), (MASITINIB, "brief_title"), (MASITINIB, "lead_sponsor"), (MASITINIB, "official_title"),
        (MASITINIB, "registration_date"), (AVB, "enrollment"), (AVB, "registration_date")]
    # each value with the member states that state it
    (values,) = query(out, f"select \"values\" from trial_field_conflicts where trial_id = '{MASITINIB}' "
                           "and field = 'lead_sponsor'")[0]
    states = {v["value"]: [d.rsplit("#", 1)[1].removeprefix(f"{MASITINIB}-") for d in v["doc_ids"]] for v in values}
    assert states == {"AB Science": ["FR", "GR", "HU", "PL", "PL-2"], "ABScience": ["ES", "PT"]}
    # the registration date is the earliest a member state's record states
    assert query(out, f"select registration_date from trials where trial_id = '{MASITINIB}'") == [
        (min(_part(f"{MASITINIB}-{state}").registration_date for state in ("ES", "FR", "GR", "HU", "PL", "PT")),)]
    # locations are the union of the member states' countries (each record lists its own)
    countries = {row[0] for row in query(out, f"select country from locations where trial_id = '{AVB}'")}
    expected = set().union(*({x.country for x in r.locations} for r in RECORDS if r.trial_id == AVB))
    assert countries == expected and {"Spain", "Sweden", "United States"} <= countries


# --- never raise: arbitrary text and the mutilated file give records or ParseError ---------------------

from hypothesis import strategies as st  # noqa: E402

from tests.sources.mutations import never_raise_tests  # noqa: E402

_CODES = sorted({*euctr.ID_TYPES, *euctr.PHASES, *euctr.MASKING, *euctr.MODEL, *euctr.PURPOSE,
                 *(code for code, _, _ in euctr.AGE_BANDS), "A.3", "B.1.1", "D.IMP", "D.3.1", "D.8.1", "E.1.1", "E.3",
                 "E.4", "E.5.1", "E.5.1.1", "E.8.5", "E.8.6.3", "F.2.1", "F.4.1", "F.4.2.2", "P."})
_VALUES = st.sampled_from(["Yes", "No", "2022-002568-62", "600", "JSON_ERROR_HERE", "Ongoing", "1. a\n2. b", ""]) \
    | st.text(max_size=20)
_LINES = st.one_of(
    st.sampled_from(["Summary", "EudraCT Number: 2022-002568-62", "Sponsor 1", "MedDRA Classification",
                     "Link: https://www.clinicaltrialsregister.eu/ctr-search/trial/2022-002568-62/ES/", ""]),
    st.builds(lambda code, lang, value: f"{code} label{lang}: {value}", st.sampled_from(_CODES),
              st.sampled_from(["", " (es)"]), _VALUES),
    st.text(max_size=30),
)
test_arbitrary_text_parses_or_raises_parse_error, test_mutilated_pages_parse_or_raise_parse_error = \
    never_raise_tests(euctr_text, st.text() | st.lists(_LINES, max_size=80).map("\n".join), {"euctr": TEXT},
                      examples=50, trial_id=re.compile(r"EUCTR\d{4}-\d{6}-\d{2}"))
