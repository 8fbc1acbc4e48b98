"""The three readers of the WHO registration data set (ICTRP export XML and CSV, the registries' data set XML),
checked field by field against values read by hand from the real files in ../shared/corpus, against each other
where both ICTRP exports hold a trial, and on mutilated copies of the real files."""
from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline import vocabulary as v
from pipeline.parsing import explode
from pipeline.record import ArmGroup, Criterion, Identifier, Intervention, Location, Outcome, ParseError, TrialRecord
from pipeline.sources import detect, ictrp_csv, ictrp_xml, who_dataset, who_xml
from tests.conftest import CORPUS
from tests.sources.mutations import mutilated

ICTRP_XML = CORPUS / "ictrp" / "ICTRP-Results_18Mar2020.xml"
ICTRP_CSV = CORPUS / "ictrp" / "COVID19-927-trials_7Apr2020.csv"
WHO_XML = CORPUS / "who_xml" / "ChiCTR2000034346.xml"


def _text(path) -> str:
    return path.read_text(encoding="utf-8-sig")


@pytest.fixture(scope="module")
def xml_records() -> dict[str, TrialRecord]:
    return {r.trial_id: r for r in ictrp_xml.parse(_text(ICTRP_XML))}


@pytest.fixture(scope="module")
def csv_records() -> dict[str, TrialRecord]:
    return {r.trial_id: r for r in ictrp_csv.parse(_text(ICTRP_CSV))}


def test_each_form_is_recognised_by_its_reader_alone():
    for path, reader in ((ICTRP_XML, ictrp_xml), (ICTRP_CSV, ictrp_csv), (WHO_XML, who_xml)):
        assert detect(_text(path)) is reader


def test_ictrp_xml_chictr_record_field_by_field(xml_records):
    r = xml_records["ChiCTR2000029953"]
    assert (r.registry, r.acronym) == ("CHICTR", None)
    title = "Construction and Analysis of Prognostic Predictive Model of Novel Coronavirus Pneumonia (COVID-19)"
    assert (r.brief_title, r.official_title) == (title, title)  # the scientific title is padded with 1,000 spaces
    assert r.lead_sponsor == "Zhongnan Hospital of Wuhan University"
    assert (r.overall_status, r.overall_status_raw) == (None, "Not Recruiting")
    assert (r.study_type, r.study_type_raw) == ("OBSERVATIONAL", None)
    assert (r.phases, r.phases_raw) == (["NA"], None)
    assert r.intervention_model is None  # "Factorial" of an observational study is no intervention model
    assert (r.enrollment, r.enrollment_type) == (400, "ESTIMATED")  # "survival group:200;died:200;"
    assert (r.sex, r.minimum_age, r.maximum_age) == ("ALL", None, None)
    assert (r.registration_date, r.start_date) == (date(2020, 2, 17), date(2020, 2, 1))
    assert r.conditions == ["2019-nCoV Pneumonia"]
    assert r.interventions == []  # "survival group:none;died:none;"
    assert r.arm_groups == [ArmGroup("survival group"), ArmGroup("died")]
    assert r.outcomes == [Outcome("PRIMARY", m) for m in (
        "duration of in hospital", "in hospital mortality", "the 28s day' mortality after admission",
        "duration of ICU stay")]
    assert r.locations == [Location(country="China")]
    assert [(c.criterion_type, c.ordinal) for c in r.eligibility_criteria] == [("INCLUSION", 1), ("EXCLUSION", 1)]
    assert r.eligibility_criteria[1].text.startswith("Patients diagnosed with pneumonia of age <15 years")  # &lt;
    assert r.identifiers == []


def test_chictr_blank_ages_and_an_observational_studys_phase_0_are_none_stated(xml_records, csv_records):
    """ChiCTR's form holds "0" where an answer is blank or none applies, and ICTRP exports it: ChiCTR2000030386's ages
    "0" to "0" (its criteria: "Aged 18 to 75 years old") are none stated, not "up to 0 years"; ChiCTR2000029579, an
    observational study, has phase "0" and so none (the "0" kept as written), where an interventional study's "0"
    is Phase 0 (EARLY_PHASE1)."""
    for records in (xml_records, csv_records):
        r = records["ChiCTR2000030386"]
        assert (r.study_type, r.phases) == ("INTERVENTIONAL", ["EARLY_PHASE1"])
        assert (r.minimum_age, r.maximum_age) == (None, None)
        r = records["ChiCTR2000029579"]
        assert (r.study_type, r.phases, r.phases_raw) == ("OBSERVATIONAL", [], "0")
        assert (r.minimum_age, r.maximum_age) == ("18 Years", "75 Years")


def test_ictrp_xml_clinicaltrials_gov_record_field_by_field(xml_records):
    r = xml_records["NCT04292327"]
    assert (r.registry, r.acronym, r.lead_sponsor) == ("CTGOV", "2019-nCoV", "Fujian Provincial Hospital")
    assert r.official_title == ("Clinical Progressive Characteristics and Treatment Effects of 2019-novel "
                                "Coronavirus(2019-nCoV)")
    assert (r.overall_status, r.overall_status_raw) == (None, "Not recruiting")
    assert (r.study_type, r.phases, r.enrollment) == ("OBSERVATIONAL", ["PHASE2", "PHASE3"], 400)
    assert (r.sex, r.minimum_age, r.maximum_age) == ("ALL", "18 Years", "75 Years")
    assert (r.registration_date, r.start_date) == (date(2020, 2, 23), date(2020, 1, 1))  # 23/02/2020, January 1, 2020
    assert r.conditions == ["Pneumonia Caused by Human Coronavirus"]
    assert r.outcomes == [Outcome("PRIMARY", "Mortality"),
                          Outcome("PRIMARY", "The time interval of Nucleic acid detection become negative")]
    # one text block with both headings ("Inclusion criteria." with a period), lines ending "\n<br>"
    assert r.eligibility_criteria == [
        Criterion("INCLUSION", 1, "2019-nCov (SARA-Cov-2) nucleic acid positive detected by PCR."),
        Criterion("INCLUSION", 2, "Older than 18 years old and younger than 75 years old."),
        Criterion("INCLUSION", 3, "Meet the diagnostic criteria of COVID-19 for different types (including ordinary "
                                  "type, heavy type and critical type)"),
        Criterion("EXCLUSION", 1, "the age is less than 18 years old;"),
        Criterion("EXCLUSION", 2, "pregnant or lactating women;"),
        Criterion("EXCLUSION", 3, "severe underlying diseases, such as advanced malignant tumor, end-stage lung "
                                  "disease, etc."),
    ]
    # criteria go through the same threshold rules as ClinicalTrials.gov's
    ages = [row for row in explode(r)["eligibility_thresholds"] if row[3] == "age"]
    assert {(row[1], row[4], row[6]) for row in ages} >= {("INCLUSION", 18.0, 75.0)}


def test_ictrp_csv_eu_ctr_record_field_by_field(csv_records):
    r = csv_records["EUCTR2015-002340-14"]  # the member-state record EUCTR2015-002340-14-NL
    assert r.registry == "EUCTR"
    assert r.identifiers == [Identifier("EUCTR_MEMBER_STATE_RECORD", "EUCTR2015-002340-14-NL"),
                             Identifier("EUDRACT_NUMBER", "2015-002340-14")]
    assert r.brief_title == "Adaptive trial in severe pneumonia (REMAP-CAP)"
    assert (r.overall_status, r.overall_status_raw) == (None, "Authorised")
    assert (r.study_type, r.study_type_raw) == ("INTERVENTIONAL", None)  # "Interventional clinical trial of medicinal product"
    assert r.phases == ["PHASE4"]  # "Therapeutic use (Phase IV): yes", the other three "no"
    assert (r.allocation, r.masking, r.intervention_model) == ("RANDOMIZED", "NONE", None)  # Randomised: yes, Open: yes
    assert r.sex == "ALL"  # "<br> Female: yes<br> Male: yes<br>"
    assert (r.enrollment, r.enrollment_type) == (4000, "ESTIMATED")
    assert (r.registration_date, r.start_date) == (date(2015, 7, 13), date(2015, 9, 16))
    assert [x.country for x in r.locations] == [
        "New Zealand", "Germany", "Netherlands", "Denmark", "Australia", "Croatia", "Romania", "Belgium", "Hungary",
        "Czech Republic", "United Kingdom", "Ireland", "Spain", "Greece", "Portugal"]
    # its sections as the EU CTR writes them, read as its own pages are: the condition's free text, not each line of
    # its MedDRA classification; one intervention per product, not per line; the end point with its time point
    assert r.conditions == ["Severe Community Acquired Pneumonia"]
    assert [(i.name, i.other_names) for i in r.interventions][4:8] == [
        ("CLARITHROMYCIN", ["CLARITHROMYCIN LACTOBIONATE"]), ("ERYTHROMYCIN", []),
        ("AMOXICILLINE-CLAVULANTE", ["AMOXICILLIN", "POTASSIUM CLAVULANATE"]),
        ("AZITHROMYCIN", ["AZITHROMYCIN MONOHYDRATE"])]
    assert [(o.outcome_type, o.measure, o.time_frame) for o in r.outcomes] == [
        ("PRIMARY", "The primary objective of this REMAP is, for adult patients with severe CAP who are admitted to "
                    "an ICU, to identify the effect of a range of interventions to improve outcome as defined by "
                    "all-cause mortality at 90 days.", "90 Days from the date of enrolment.")]


def test_ictrp_csv_eu_ctr_sections_are_not_conditions_interventions_or_outcomes(csv_records):
    """Of the export's 21 EU CTR records, none has a condition, intervention or outcome that is an EU CTR label's
    line ("Level: LLT", "CAS Number: 747-36-4", "Main Objective: …"): in the warehouse of the whole corpus, 96
    conditions, 99 interventions and 62 outcomes were such lines before. EUCTR2020-001162-12: a trade name, its INN,
    and the placebo its D.8 lines describe; its time point comes first in the field. EUCTR2020-001386-37 states its
    labels and nothing after them."""
    records = [r for r in csv_records.values() if r.registry == "EUCTR"]
    assert len(records) == 21
    lines = re.compile(r"(MedDRA version|Level|Classification code|Term|System Organ Class|Therapeutic area|"
                       r"Pharmaceutical Form|CAS Number|Concentration \w+|Main Objective|Secondary Objective|"
                       r"Timepoint\(s\) of evaluation of this end point)\s*:?", re.IGNORECASE)
    assert not [text for r in records for text in [*r.conditions, *(i.name for i in r.interventions),
                                                    *(o.measure for o in r.outcomes)] if lines.match(text)]
    assert [len(r.conditions) for r in records] == [1] * 21
    r = csv_records["EUCTR2020-001162-12"]
    assert [(i.name, i.other_names) for i in r.interventions] == [("Kevzara®", ["SARILUMAB"]), ("Placebo", [])]
    assert [(o.outcome_type, o.measure[:31], o.time_frame) for o in r.outcomes] == [
        ("PRIMARY", "Phase 2: time to resolution of ", "Baseline to Day 29")]
    assert csv_records["EUCTR2020-001386-37"].outcomes == []


def test_ictrp_csv_eu_ctr_age_bands_give_the_ages_and_are_no_criteria(csv_records):
    """An EU CTR record's inclusion criteria in the export end with its F.1 form ("Are the trial subjects under 18? no",
    "F.1.2 Adults (18-64 years) yes", "F.1.3 Elderly (>=65 years) yes"): that was a criterion of 15 trials, and the 21
    EU CTR trials had no minimum age. Read as the EU CTR's own pages are: adults and elderly, 18 Years and no maximum
    (EUCTR2020-001271-33); elderly only, 65 Years (EUCTR2020-001224-33); under-18s too without their bands, none
    (EUCTR2020-000890-25)."""
    records = [r for r in csv_records.values() if r.registry == "EUCTR"]
    assert not [c.text for r in records for c in r.eligibility_criteria if "under 18?" in c.text or "F.1." in c.text]
    assert [(csv_records[t].minimum_age, csv_records[t].maximum_age) for t in (
        "EUCTR2020-001271-33", "EUCTR2020-001224-33", "EUCTR2020-000890-25")] == [
        ("18 Years", None), ("65 Years", None), (None, None)]
    inclusion = [c.text for c in csv_records["EUCTR2020-001271-33"].eligibility_criteria
                 if c.criterion_type == "INCLUSION"]
    assert inclusion[-1].startswith("Consentement écrit signé du patient")


def test_a_group_size_past_any_count_costs_its_trial_the_size_not_the_export_its_trials(csv_records):
    """ChiCTR2000029573's sizes per group with one of 5,000 digits: int() refused it (ValueError), and the reader
    failed on the whole export of 927 trials. Now that trial has no enrollment and the others read as before."""
    text = _text(ICTRP_CSV)
    hostile = text.replace("Common and Heavy Type Group C:160;", "Common and Heavy Type Group C:" + "9" * 5000 + ";", 1)
    assert hostile != text
    records = {r.trial_id: r for r in ictrp_csv.parse(hostile)}
    assert len(records) == len(csv_records) == 927
    assert (records["ChiCTR2000029573"].enrollment, csv_records["ChiCTR2000029573"].enrollment) == (None, 320)
    assert records["ChiCTR2000029495"].enrollment == csv_records["ChiCTR2000029495"].enrollment == 60


def test_a_target_size_that_states_no_one_count_is_kept_as_written(xml_records, csv_records):
    """ChiCTR2000030541 gives one size to two groups ("Medical students group; Non-medical students group:1300;"),
    and both exports cut ChiCTR2000029435's eight groups short ("…;Hospital su"): no enrollment, nor its type, and
    the registry's words in enrollment_raw (before, nothing of them was kept). A size that adds up has none."""
    for records in (xml_records, csv_records):
        assert [(r.enrollment, r.enrollment_type, r.enrollment_raw) for r in (
            records["ChiCTR2000030541"], records["ChiCTR2000030254"])] == [
            (None, None, "Medical students group; Non-medical students group:1300;"), (240, "ESTIMATED", None)]
        assert (records["ChiCTR2000029435"].enrollment, records["ChiCTR2000029435"].enrollment_raw[-18:]) == (
            None, "control group:20;Hospital su"[-18:])
    # a type stated beside a size that counts no one is no enrollment's type either (the WHO data set's own XML)
    text = (CORPUS / "who_xml" / "ChiCTR2000034346.xml").read_text(encoding="utf-8")
    assert "<type_enrolment/>" in text and "<target_size>" in text
    text = re.sub(r"<target_size>[^<]*</target_size>", "<target_size>Group A; Group B:30;</target_size>",
                  text.replace("<type_enrolment/>", "<type_enrolment>Actual</type_enrolment>"))
    (record,) = who_xml.parse(text)
    assert (record.enrollment, record.enrollment_type, record.enrollment_raw) == (None, None, "Group A; Group B:30;")


def test_ictrp_csv_irct_and_jprn_records_field_by_field(csv_records):
    r = csv_records["IRCT20100228003449N28"]
    assert (r.registry, r.study_type, r.phases) == ("IRCT", "INTERVENTIONAL", ["PHASE2", "PHASE3"])  # "2-3"
    # "Randomization: Randomized, Blinding: Not blinded, Placebo: Not used, Assignment: Parallel, Purpose: Treatment, …"
    assert (r.allocation, r.masking, r.intervention_model, r.primary_purpose) == (
        "RANDOMIZED", "NONE", "PARALLEL", "TREATMENT")
    assert (r.sex, r.minimum_age, r.maximum_age) == ("ALL", "18 Years", "75 Years")  # "18 years", "75 years"
    assert (r.registration_date, r.start_date, r.enrollment) == (date(2020, 3, 19), date(2020, 3, 15), 30)
    assert [c.text for c in r.eligibility_criteria if c.criterion_type == "EXCLUSION"] == [
        "History of drug allergy",
        "Uncontrolled baseline diseases including neuropsychiatric disorders, diabetes, thyroid disorders, heart disease",
        "Pregnancy and lactation", "Baseline liver failure"]
    assert r.locations == [Location(country="Iran (Islamic Republic of)")]
    # "Response to the treatment. Timepoint: Daily. Method of measurement: According the clinical, …;Complications …"
    assert [(o.measure, o.time_frame, o.description[:38]) for o in r.outcomes] == [
        ("Response to the treatment", "Daily", "Method of measurement: According the c"),
        ("Complications of the treatment", "Daily", "Method of measurement: Interview and p")]

    r = csv_records["jRCTs031190226"]
    assert (r.registry, r.phases, r.study_type) == ("JPRN", ["PHASE2"], "INTERVENTIONAL")  # "2"
    assert (r.minimum_age, r.maximum_age) == ("20 Years", None)  # ">= 20age old", "Not applicable"
    assert (r.registration_date, r.start_date) == (date(2020, 2, 27), date(2020, 2, 27))  # 27/02/2020
    assert r.conditions == ["patients infected with COVID-19", "Coronavirus"]  # "… <br>Coronavirus"
    assert r.interventions == [Intervention(None, "oral administration of favipiravir")]
    # "single arm study, open(masking not used), uncontrolled control, single assignment, treatment purpose"
    assert (r.allocation, r.masking, r.intervention_model, r.primary_purpose) == (
        None, "NONE", "SINGLE_GROUP", "TREATMENT")
    r = csv_records["jRCTs041190120"]  # "randomized controlled trial, …, parallel assignment, treatment purpose"
    assert (r.allocation, r.intervention_model) == ("RANDOMIZED", "PARALLEL")
    # "1.<tab>Date of ECMO discontinuation<br>2.<tab>Date of invasive mechanical ventilation discontinuation<br>…"
    assert [o.measure for o in csv_records["UMIN000039686"].outcomes][:2] == [
        "Date of ECMO discontinuation", "Date of invasive mechanical ventilation discontinuation"]
    # the trial id as its registry writes it (UMIN-CTR's), ICTRP's "JPRN-" form kept as an identifier
    assert csv_records["UMIN000039686"].identifiers == [Identifier("ICTRP_ID", "JPRN-UMIN000039686")]


def test_ictrp_csv_anzctr_tctr_and_isrctn_records_field_by_field(csv_records):
    r = csv_records["ACTRN12620000421932"]  # "Mortality<br>[At hospital discharge or 28 days post …, whichever comes later. ]"
    assert [(o.measure, o.time_frame) for o in r.outcomes] == [
        ("Mortality", "At hospital discharge or 28 days post intensive care unit admission, whichever comes later.")]
    r = csv_records["ACTRN12620000438954"]  # "Mortality[During …];Mortality[28 day post discharge from ICU];…"
    assert [(o.measure[:9], o.time_frame) for o in r.outcomes] == [
        ("Mortality", "During Intensive care unit stay < 14 days"), ("Mortality", "28 day post discharge from ICU"),
        ("Length of", "Discharge from intensive care")]
    # "Purpose: Treatment; Allocation: Non-randomised trial; Masking: Open (masking not used);Assignment: Single group"
    r = csv_records["ACTRN12620000447954"]
    assert (r.allocation, r.masking, r.intervention_model, r.primary_purpose) == (
        "NON_RANDOMIZED", "NONE", "SINGLE_GROUP", "TREATMENT")
    assert csv_records["ACTRN12620000448943"].allocation == "RANDOMIZED"  # "Randomised controlled trial"
    r = csv_records["TCTR20200321001"]  # "ED time interval [Timeframe hospital exit Time between ED arrival and …]"
    assert [(o.measure, o.time_frame) for o in r.outcomes] == [
        ("ED time interval", "hospital exit Time between ED arrival and hospital admission")]
    # ISRCTN's trial type: "Prospective interventional non-randomised pre and post implementation study (Diagnostic)"
    assert csv_records["ISRCTN14966673"].primary_purpose == "DIAGNOSTIC"
    assert csv_records["ISRCTN50189673"].primary_purpose == "TREATMENT"  # "Randomised adaptive trial (Treatment)"
    # ISRCTN's, ANZCTR's and NTR's intervention field is one description: its paragraphs and headings ("Data
    # Collection", "Intervention Type: Drug") are no interventions of their own; "None" and "Not applicable" none
    assert [i.name[:46] for i in csv_records["ISRCTN51287266"].interventions] == [
        "After consent and enrolment patients in the in"]
    assert [i.name[:60] for i in csv_records["ACTRN12620000445976"].interventions] == [
        "Intervention 1 Intervention Type: Drug Intervention Administ"]
    assert csv_records["NL8485"].interventions == csv_records["NL8473"].interventions == []
    # every ANZCTR and TCTR outcome of the file has its time point: one per "]" that closes an entry
    rows = list(csv.DictReader(io.StringIO(_text(ICTRP_CSV))))
    expected = {row["TrialID"]: len(re.findall(r"\](?:\s*;|\s*$)", row["Primary outcome"])) for row in rows
                if row["TrialID"].startswith(("ACTRN", "TCTR"))}
    assert {t: len(csv_records[t].outcomes) for t in expected} == expected
    assert all(o.time_frame and "[" not in o.measure for t in expected for o in csv_records[t].outcomes)


@pytest.mark.parametrize("written, registry, expected", [
    ("A [t1];B [t2];", "ANZCTR", [("A", "t1", None), ("B", "t2", None)]),  # a closing ";"
    ("A [t1]\nB [t2]", "TCTR", [("A", "t1", None), ("B", "t2", None)]),  # entries a line each
    ("A [t1];B", "ANZCTR", [("A [t1]", None, None), ("B", None, None)]),  # one without: read as any registry's
    ("Cough. Timepoint: Daily.;. Timepoint: weekly", "IRCT", [("Cough. Timepoint: Daily.", None, None),
                                                               (". Timepoint: weekly", None, None)]),  # no measure
    ("E. coli bacteraemia;2. Death", "JPRN", [("E. coli bacteraemia", None, None), ("Death", None, None)]),
    ("1.1. Diagnostic classification\n1.5 mg dose", "ISRCTN", [("Diagnostic classification", None, None),
                                                             ("1.5 mg dose", None, None)]),
])
def test_outcomes_with_their_time_points_only_where_every_one_has_one(written, registry, expected):
    outcomes = who_dataset._outcomes(written, "PRIMARY", registry)
    assert [(o.measure, o.time_frame, o.description) for o in outcomes] == expected


def test_criteria_an_isrctn_record_superseded_are_not_the_trials(csv_records):
    """ISRCTN51287266 lists "Current inclusion criteria as of 26/03/2020:" (four, now naming SARS-CoV-2) and then its
    "Previous inclusion criteria:" (four, influenza only): only the current ones are the trial's, the heading none."""
    criteria = csv_records["ISRCTN51287266"].eligibility_criteria
    assert [(c.criterion_type, c.ordinal, c.text[:40]) for c in criteria] == [
        ("INCLUSION", 1, "Adults > 18 years"), ("INCLUSION", 2, "Admitted to ICU for respiratory support "),
        ("INCLUSION", 3, "Positive influenza or SARS-CoV-2 PCR fro"),
        ("INCLUSION", 4, "Influenza or SARS-CoV-2 suspected but PC"),
        ("EXCLUSION", 1, "Respiratory failure not the primary reas"),
        ("EXCLUSION", 2, "History of proven/ probable invasive pul")]


def test_a_registrys_classification_of_a_condition_is_a_keyword_not_a_condition(csv_records):
    """ICTRP's condition field carries ISRCTN's condition category (its second line), ANZCTR's "category - code" and
    ICD-10 codes beside the conditions."""
    r = csv_records["ISRCTN51287266"]  # "Aspergillosis <br>Infections and Infestations <br>Aspergillosis"
    assert (r.conditions, r.keywords) == (["Aspergillosis"], ["Infections and Infestations"])
    r = csv_records["ACTRN12620000445976"]  # "COVID-19 (SARS-CoV-2); <br>COVID-19 (SARS-CoV-2);Infection - Other …"
    assert (r.conditions, r.keywords) == (["COVID-19 (SARS-CoV-2)"], [
        "Infection - Other infectious diseases", "Respiratory - Other respiratory disorders / diseases"])
    r = csv_records["IRCT20200316046792N1"]  # "COVID-19. <br>COVID-19;U07.1"
    assert (r.conditions, r.keywords) == (["COVID-19.", "COVID-19"], ["U07.1"])
    assert csv_records["DRKS00021134"].conditions == ["J12.8 - Other viral pneumonia"]  # a code with its name stays
    # the EU CTR's "MedDRA version: 20.1 … Term: Community acquired pneumonia …;Therapeutic area: Diseases [C] - …"
    r = csv_records["EUCTR2015-002340-14"]
    assert (r.conditions, r.keywords) == (["Severe Community Acquired Pneumonia"], [
        "Diseases [C] - Respiratory Tract Diseases [C08]", "Community acquired pneumonia"])
    # every ISRCTN record's category (the field's second line) is a keyword, none a condition
    rows = list(csv.DictReader(io.StringIO(_text(ICTRP_CSV))))
    categories = {row["TrialID"]: re.split(r"\s*<br>\s*", row["Condition"])[1].strip() for row in rows
                  if row["TrialID"].startswith("ISRCTN")}
    assert {t: (c in csv_records[t].keywords, c in csv_records[t].conditions) for t, c in categories.items()
            if c != "Not Applicable"} == {t: (True, False) for t, c in categories.items() if c != "Not Applicable"}


def test_not_randomised_is_non_randomized_only_in_a_controlled_trial(csv_records):
    """"Randomised: no" alone does not tell a non-randomised comparison from one arm (NA), as the EU CTR's own pages
    are read (euctr.allocation): NON_RANDOMIZED needs a control group."""
    trials = ("NL8483", "NL8491", "NL8485", "NL8460", "EUCTR2020-001345-38")
    assert {t: csv_records[t].allocation for t in trials} == {
        "NL8483": "NON_RANDOMIZED",  # "Randomized: No, …, Control: Active, …, Type: 2 or more arms, non-randomized"
        "NL8491": None,  # "Randomized: No, …, Control: Placebo, …, Type: 2 or more arms, randomized": which?
        "NL8485": None, "NL8460": None,  # "Control: Not applicable, Group: undefined, Type: Single arm"
        "EUCTR2020-001345-38": None,  # "Controlled: no Randomised: no … one arm-non randomized"
    }
    assert csv_records["EUCTR2020-001162-12"].allocation == "RANDOMIZED"  # "Controlled: yes Randomised: yes"


def test_a_sponsor_of_none_is_none_stated(csv_records):
    assert (csv_records["NL8460"].lead_sponsor, csv_records["ChiCTR2000030223"].lead_sponsor) == (None, None)  # none, NA


def test_a_cancelled_chictr_registration_says_so_in_its_status_not_its_title(xml_records, csv_records):
    """ChiCTR opens a cancelled registration's titles with why, spaces before the title, and may write "Cancelled"
    for its other fields: ChiCTR2000030162 in the CSV (its status column says "Not Recruiting")."""
    r = csv_records["ChiCTR2000030162"]
    assert (r.overall_status, r.overall_status_raw) == (None, "Cancelled by the investigator")
    assert r.brief_title == r.official_title == ("Study for the water extract of soybean in the treatment of patients "
                                                 "with novel coronavirus pneumonia (COVID-19)")
    assert (r.lead_sponsor, r.conditions, r.eligibility_criteria, r.outcomes) == (None, [], [], [])
    r = xml_records["ChiCTR2000030312"]
    assert (r.overall_status_raw, r.brief_title[:40]) == ("Cancelled, due to modify the protocol",
                                                          "A single-center, open-label and single a")
    # counted in the files themselves: every ChiCTR row whose public title opens with "Cancel", and only those
    for records, path in ((csv_records, ICTRP_CSV), (xml_records, ICTRP_XML)):
        rows = (csv.DictReader(io.StringIO(_text(path))) if path == ICTRP_CSV else
                ({"TrialID": t.findtext("TrialID"), "Public title": t.findtext("Public_title")}
                 for t in ET.fromstring(_text(path).encode()).iter("Trial")))
        marked = {row["TrialID"] for row in rows
                  if row["TrialID"].startswith("ChiCTR") and (row["Public title"] or "").startswith("Cancel")}
        assert {t for t, r in records.items() if (r.overall_status_raw or "").startswith("Cancel")} == marked
        assert len(marked) == (41 if path == ICTRP_CSV else 37)


def test_who_data_set_xml_field_by_field():
    [r] = who_xml.parse(_text(WHO_XML))
    assert (r.trial_id, r.registry) == ("ChiCTR2000034346", "CHICTR")
    title = "Survey for Surgery status of a designated Hospital for COVID-19 management in Guangzhou"
    assert (r.brief_title, r.official_title, r.acronym, r.lead_sponsor) == (title, title, None, "Jianxing He")
    assert (r.registration_date, r.start_date) == (date(2020, 7, 2), date(2020, 4, 10))
    assert (r.overall_status, r.overall_status_raw) == ("COMPLETED", None)
    assert (r.study_type, r.study_type_raw) == (None, "Health services reaserch")  # no contract word: kept as written
    assert (r.phases, r.phases_raw) == ([], "Retrospective study")
    assert r.intervention_model is None  # "Sequential" of a survey
    assert (r.enrollment, r.enrollment_type) == (2418 + 821, "ESTIMATED")  # "2019 Y:2418;2020 Y:821;"
    assert (r.sex, r.minimum_age, r.maximum_age) == ("ALL", None, None)
    assert r.conditions == ["Novel Coronavirus Pneumonia (COVID-19)"]
    assert r.interventions == []  # "2019 Y:N/A;2020 Y:N/A;"
    assert r.outcomes == [Outcome("PRIMARY", "decrease")]
    assert r.locations == [Location(country="China")]
    assert r.eligibility_criteria == [
        Criterion("INCLUSION", 1, "The patients Underwent surgery during the pandemic in our hospital and the same "
                                  "time in 2019 were inclusion."),
        Criterion("EXCLUSION", 1, "missing detailed information"),
        Criterion("EXCLUSION", 2, "Types of surgery not available previously in our hospital"),
    ]
    assert (r.identifiers, r.collaborators) == ([], [])  # <sec_id/> and <sponsor_name/> are empty


def test_who_data_set_xml_reads_secondary_ids_and_sponsors():
    text = _text(WHO_XML).replace("<sec_id/>", "<sec_id>NCT04123456</sec_id>").replace(
        "<sponsor_name/>", "<sponsor_name>Guangzhou Medical University</sponsor_name>")
    [r] = who_xml.parse(text)
    assert r.identifiers == [Identifier("SECONDARY_ID", "NCT04123456")]
    assert r.collaborators == ["Guangzhou Medical University"]


def _independent_registries(rows: list[tuple[str, str]]) -> dict[str, int]:
    """Trials per registry code from ICTRP's own "Source Register" names (read by hand off the files)."""
    codes = {"ChiCTR": "CHICTR", "ClinicalTrials.gov": "CTGOV", "EU Clinical Trials Register": "EUCTR",
             "ANZCTR": "ANZCTR", "IRCT": "IRCT", "ISRCTN": "ISRCTN", "Netherlands Trial Register": "NTR",
             "JPRN": "JPRN", "TCTR": "TCTR", "German Clinical Trials Register": "DRKS"}
    counts: dict[str, int] = {}
    for _, register in rows:
        counts[codes[register]] = counts.get(codes[register], 0) + 1
    return counts


def test_trials_per_registry_match_the_files_counted_independently(xml_records, csv_records):
    xml_rows = [(t.findtext("TrialID"), t.findtext("Source_Register")) for t in ET.parse(ICTRP_XML).getroot()]
    with ICTRP_CSV.open(encoding="utf-8-sig", newline="") as f:
        csv_rows = [(row["TrialID"], row["Source Register"]) for row in csv.DictReader(f)]
    assert (len(xml_rows), len(csv_rows)) == (578, 927)
    for rows, records in ((xml_rows, xml_records), (csv_rows, csv_records)):
        assert len(records) == len(rows)
        found: dict[str, int] = {}
        for r in records.values():
            found[r.registry] = found.get(r.registry, 0) + 1
        assert found == _independent_registries(rows)


# trials field → the fields of the export it comes from (XML element; the CSV header is the same with spaces); a
# status from the title's opening words too (a cancelled ChiCTR registration)
_RAW_FIELDS = {
    "brief_title": ("Public_title",), "official_title": ("Scientific_title",), "acronym": ("Acronym",),
    "lead_sponsor": ("Primary_sponsor",), "overall_status": ("Recruitment_Status", "Public_title"),
    "overall_status_raw": ("Recruitment_Status", "Public_title"), "phases": ("Phase",), "study_type": ("Study_type",),
    "enrollment": ("Target_size",), "sex": ("Inclusion_gender",), "minimum_age": ("Inclusion_agemin",),
    "maximum_age": ("Inclusion_agemax",), "allocation": ("Study_design",), "intervention_model": ("Study_design",),
    "masking": ("Study_design",), "primary_purpose": ("Study_design",), "start_date": ("Date_enrollement",),
    "registration_date": ("Date_registration",), "conditions": ("Condition",), "outcomes": ("Primary_outcome",),
    "locations": ("Countries",), "eligibility_criteria": ("Inclusion_Criteria", "Exclusion_Criteria"),
    "interventions": ("Intervention",),
}


def _folded(value: str | None) -> str:
    """White space runs as one space, `<br>` and its neighbouring line breaks as one line break."""
    return " ".join(re.sub(r"\s*<br\s*/?>\s*", "<br>", (value or "").strip()).split())


def test_a_trial_in_both_ictrp_exports_differs_only_where_the_exports_differ(xml_records, csv_records):
    """567 trials are in both exports (March and April 2020). Every field on which their two records differ is
    one whose raw values differ beyond the amount of white space: a change the registry made between the exports."""
    common = sorted(set(xml_records) & set(csv_records))
    assert len(common) == 567
    xml_raw = {t.findtext("TrialID"): t for t in ET.parse(ICTRP_XML).getroot()}
    with ICTRP_CSV.open(encoding="utf-8-sig", newline="") as f:
        csv_raw = {row["TrialID"]: row for row in csv.DictReader(f)}
    differing: dict[str, int] = {}
    for trial_id in common:
        for name, raw_fields in _RAW_FIELDS.items():
            if getattr(xml_records[trial_id], name) == getattr(csv_records[trial_id], name):
                continue
            differing[name] = differing.get(name, 0) + 1
            assert [_folded(xml_raw[trial_id].findtext(f)) for f in raw_fields] != [
                _folded(csv_raw[trial_id].get(f.replace("_", " "))) for f in raw_fields], (trial_id, name)
    # raw values read by hand, one per kind of change: ChiCTR2000029868 Date_enrollement 2020-02-10 (March) and
    # 2020-02-11 (April); ChiCTR2000029573 Target_size "Group A:100;…;Group F:100;" (600) and "Mild Type Group A:80;
    # Mild Type Group B:80;Common and Heavy Type Group C:160;" with its last group written twice (320);
    # ChiCTR2000030254 Inclusion_agemax 75 and 100
    assert (xml_records["ChiCTR2000029868"].start_date, csv_records["ChiCTR2000029868"].start_date) == (
        date(2020, 2, 10), date(2020, 2, 11))
    assert (xml_records["ChiCTR2000029573"].enrollment, csv_records["ChiCTR2000029573"].enrollment) == (600, 320)
    assert (xml_records["ChiCTR2000030254"].maximum_age, csv_records["ChiCTR2000030254"].maximum_age) == (
        "75 Years", "100 Years")
    print("fields differing between the ICTRP exports (trials):", differing)


def test_no_ictrp_trial_is_in_the_clinicaltrials_gov_corpus(xml_records, csv_records):
    """Cross-source agreement with ClinicalTrials.gov's own forms needs a trial in both; the corpus has none
    (checked here, so an overlap added later is noticed and gets a direct comparison)."""
    local = set()
    for folder in ("ctgov_xml", "ctgov_api_v2_json", "ctgov_archive_html"):
        for path in (CORPUS / folder).iterdir():
            local |= set(re.findall(r"NCT\d{8}", path.read_text(encoding="utf-8", errors="replace")))
    assert local & (set(xml_records) | set(csv_records)) == set()


def test_a_trial_without_an_id_is_a_parse_error_naming_the_form():
    with pytest.raises(ParseError, match=r"^ictrp_csv: a trial without TrialID"):
        ictrp_csv.parse('TrialID,Public title\n"","A title"\n')
    with pytest.raises(ParseError, match=r"^ictrp_xml: malformed XML"):
        ictrp_xml.parse("<Trials_downloaded_from_ICTRP><Trial><TrialID>NCT0")


def _small_pages() -> dict[str, str]:
    """A few real trials of each form, cut whole from the files (mutating 3 MB per example would be slow)."""
    trials = re.findall(r"<Trial>.*?</Trial>", _text(ICTRP_XML), re.DOTALL)
    with ICTRP_CSV.open(encoding="utf-8-sig", newline="") as f:
        header, *rows = list(csv.reader(f))
    picked = [row for row in rows if row[0] in ("EUCTR2015-002340-14-NL", "NCT04246242", "IRCT20100228003449N28",
                                                  "ChiCTR2000029949", "ACTRN12620000421932", "NL8483")]
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *picked])
    return {"ictrp_xml": "<?xml version='1.0' encoding='UTF-8' ?><Trials_downloaded_from_ICTRP>"
                         + "".join(trials[:2] + trials[-2:]) + "</Trials_downloaded_from_ICTRP>",
            "ictrp_csv": buffer.getvalue(), "who_xml": _text(WHO_XML)}


_READERS = {"ictrp_xml": ictrp_xml, "ictrp_csv": ictrp_csv, "who_xml": who_xml}
_PAGES = _small_pages()


def _parses_or_raises_parse_error(reader, text: str) -> None:
    assert reader.recognises(text) in (True, False)
    try:
        records = reader.parse(text)
    except ParseError as exc:
        assert str(exc).startswith(f"{reader.FORMAT}: "), str(exc)
        return
    for record in records:
        assert isinstance(record, TrialRecord) and record.trial_id
        explode(record)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutilated(_PAGES))
def test_mutilated_files_parse_or_raise_parse_error(page):
    name, text = page
    _parses_or_raises_parse_error(_READERS[name], text)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(_READERS)), st.text())
def test_arbitrary_text_parses_or_raises_parse_error(name, text):
    _parses_or_raises_parse_error(_READERS[name], text)


def test_registered_before_start_agrees_with_ictrp_own_flag_except_for_clinicaltrials_gov(csv_records):
    """ICTRP's "Retrospective flag" is "Yes" where the registration date is on or before the date of first
    enrolment (the inverse of its name) for all 641 trials of the other registries. For 91 of 286
    ClinicalTrials.gov trials ICTRP says "Yes" although its own dates put registration 1 to 77 days after
    the start: a rule of ICTRP's this comparison does not reproduce; our column keeps to the dates."""
    with ICTRP_CSV.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    disagreeing: dict[str, int] = {}
    for row in rows:
        r = csv_records[v.registered_id(re.sub(r"^(EUCTR\d{4}-\d{6}-\d{2})-[A-Z]+$", r"\1", row["TrialID"]))]
        if (r.registration_date <= r.start_date) != (row["Retrospective flag"] == "Yes"):
            disagreeing[r.registry] = disagreeing.get(r.registry, 0) + 1
    assert disagreeing == {"CTGOV": 91}
