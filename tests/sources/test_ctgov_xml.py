"""The legacy ClinicalTrials.gov XML reader, checked by hand against real records in ../shared/corpus."""
from __future__ import annotations

import socket
import tarfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.record import ArmGroup, Criterion, Identifier, Intervention, Location, MeshTerm, Outcome, ParseError
from pipeline.sources import ctgov_xml, detect

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
XML_DIR = CORPUS / "ctgov_xml"
ARCHIVE = CORPUS / "ctgov_legacy_xml_2014.tar.xz"


def read(nct_id: str) -> str:
    return (XML_DIR / f"{nct_id}.xml").read_text(encoding="utf-8")


def parse_one(nct_id: str):
    [record] = ctgov_xml.parse(read(nct_id))
    return record


def test_comments_before_the_root_are_read_one_by_one():
    """A record with comments between its declaration and its root is recognised; comments that lead to no root are
    not a record. (Each comment ends at its own "-->": `<!--.*?-->` ran on into the next one, and 22 empty comments
    before a foreign root took 1.9 s to turn down, doubling with each one more.)"""
    text = (CORPUS / "ctgov_xml" / "NCT00001177.xml").read_text(encoding="utf-8")
    declaration, rest = text.split("?>", 1)
    assert detect(declaration + "?>" + "<!-- a - b -->\n<!---->" * 30 + rest) is ctgov_xml
    assert detect("<!---->" * 40 + "<x/>") is None


def test_nct01374854_field_by_field():
    r = parse_one("NCT01374854")
    assert r.trial_id == "NCT01374854"
    assert r.registry == "CTGOV"
    assert r.brief_title == "Umbilical Mesenchymal Stem Cells and Mononuclear Cells Infusion in Type 1 Diabetes Mellitus"
    assert r.official_title == (
        "Umbilical Mesenchymal Stem Cells and Mononuclear Cells Infusion in Type 1 Diabetes Mellitus: "
        "A Randomized Controlled Open-label Study"
    )
    assert r.acronym is None
    assert (r.lead_sponsor, r.sponsor_class, r.collaborators) == ("Fuzhou General Hospital", "OTHER", [])
    assert (r.overall_status, r.last_known_status) == ("UNKNOWN", "ACTIVE_NOT_RECRUITING")
    assert r.phases == ["PHASE1", "PHASE2"]
    assert r.study_type == "INTERVENTIONAL"
    assert (r.enrollment, r.enrollment_type) == (44, "ACTUAL")
    assert (r.sex, r.minimum_age, r.maximum_age, r.healthy_volunteers) == ("ALL", "18 Years", "40 Years", False)
    assert (r.allocation, r.intervention_model, r.primary_purpose) == ("RANDOMIZED", "PARALLEL", "TREATMENT")
    assert (r.masking, r.who_masked) == ("NONE", [])
    assert (r.observational_model, r.time_perspective) == (None, None)
    assert r.brief_summary.startswith("Umbilical mesenchymal stem cells (UC-MSCs) infusion is supposed be a promising")
    assert r.brief_summary.endswith("maximized by intra-arterial pancreatic infusion through angiography.")
    assert "\n" not in r.brief_summary and "  " not in r.brief_summary
    assert r.detailed_description is None
    assert r.start_date == date(2009, 1, 1)
    assert r.primary_completion_date == date(2010, 12, 1)
    assert r.completion_date == date(2014, 12, 1)
    assert r.first_posted_date == date(2011, 6, 16)
    assert r.last_update_posted_date == date(2012, 11, 20)
    assert r.conditions == ["Type 1 Diabetes Mellitus"]
    assert r.keywords == ["type 1 diabetes mellitus", "umbilical mesenchymal stem cell", "mononuclear cell"]
    assert r.mesh_terms == [
        MeshTerm("Diabetes Mellitus", "CONDITION"), MeshTerm("Diabetes Mellitus, Type 1", "CONDITION"),
    ]
    assert r.arm_groups == [
        ArmGroup("Stem Cell Infusion", "EXPERIMENTAL", None, ["Umbilical mesenchymal stem cell (UC-MSCs) infusion"]),
        ArmGroup("traditional therapy control", "ACTIVE_COMPARATOR", None, ["traditional therapy"]),
    ]
    assert r.interventions == [
        Intervention(
            "BIOLOGICAL", "Umbilical mesenchymal stem cell (UC-MSCs) infusion",
            "1×10^6/kg UC-MSCs is infused through pancreatic artery along with mononuclear cells by interventional "
            "therapy and another same dose of UC-MSCs is administered one week post-intervention.",
            ["Stem Cell Infusion"], [],
        ),
        Intervention("DRUG", "traditional therapy", "exogenous insulin injection daily", ["traditional therapy control"]),
    ]
    assert r.outcomes[0] == Outcome("PRIMARY", "c-peptide area under the curve during OGTT", "1 year", None)
    assert [o.outcome_type for o in r.outcomes] == ["PRIMARY"] + ["SECONDARY"] * 6
    assert r.outcomes[-1] == Outcome("SECONDARY", "insulin area under the curve during OGTT", "1 year", None)
    assert r.identifiers == [Identifier("ORG_STUDY_ID", "UCMSC-T1DM")]
    assert r.locations == [Location("Fuzhou General Hospital", "Fuzhou", "Fujian", "350025", "China")]
    inclusion = [c for c in r.eligibility_criteria if c.criterion_type == "INCLUSION"]
    exclusion = [c for c in r.eligibility_criteria if c.criterion_type == "EXCLUSION"]
    assert (len(inclusion), len(exclusion)) == (8, 31)
    assert inclusion[0] == Criterion("INCLUSION", 1, "Male and female patients age 18 to 65 years of age.")
    assert exclusion[0] == Criterion("EXCLUSION", 1, "BMI >35 kg/m^2.")  # &gt; decoded
    assert exclusion[-1] == Criterion(
        "EXCLUSION", 31,
        "Any medical condition that, in the opinion of the investigator, will interfere with the safe completion "
        "of the trial.",
    )


def test_nct01219465_field_by_field():
    r = parse_one("NCT01219465")
    assert r.trial_id == "NCT01219465"
    assert r.brief_title == "Umbilical Cord Mesenchymal Stem Cells Infusion for Initial Type 1 Diabetes Mellitus"
    assert r.official_title == (
        "Safety and Efficacy of Umbilical Cord Mesenchymal Stem Cells Infusion for Initial Type 1 Diabetes"
    )
    assert (r.lead_sponsor, r.sponsor_class) == ("Qingdao University", "OTHER")
    assert (r.overall_status, r.last_known_status) == ("UNKNOWN", "ACTIVE_NOT_RECRUITING")
    assert r.phases == ["PHASE1", "PHASE2"]
    assert r.study_type == "INTERVENTIONAL"
    assert (r.enrollment, r.enrollment_type) == (50, "ESTIMATED")  # type="Anticipated"
    assert (r.sex, r.minimum_age, r.maximum_age, r.healthy_volunteers) == ("ALL", "3 Years", "35 Years", False)
    assert (r.allocation, r.intervention_model, r.primary_purpose) == ("NON_RANDOMIZED", "SINGLE_GROUP", "TREATMENT")
    assert (r.masking, r.who_masked) == ("NONE", [])
    assert r.brief_summary == (
        "The purpose of this study is to determine whether umbilical cord Mesenchymal Stem Cells of treatment for "
        "initial type 1 diabetes is safe and effective."
    )
    assert r.detailed_description.startswith("Type 1 diabetes mellitus (T1DM)is characterized by the autoimmune")
    assert (r.start_date, r.primary_completion_date, r.completion_date) == (
        date(2010, 9, 1), date(2012, 9, 1), date(2012, 12, 1),
    )
    assert (r.first_posted_date, r.last_update_posted_date) == (date(2010, 10, 13), date(2010, 10, 13))
    assert r.conditions == ["Diabetes Mellitus", "Diabetes Mellitus, Type 1", "Mesenchymal Stem Cells", "Umbilical Cord"]
    assert r.keywords == ["Diabetes Mellitus", "Diabetes Mellitus, Type 1", "mesenchymal stem cells", "Umbilical cord"]
    assert r.arm_groups == [ArmGroup(
        "umbilical cord mesenchymal stem cells", "EXPERIMENTAL",
        "Intravenous infusion of ex vivo cultured umbilical cord mesenchymal stem cells",
        ["umbilical cord mesenchymal stem cells"],
    )]
    assert r.interventions == [Intervention(
        "BIOLOGICAL", "umbilical cord mesenchymal stem cells",
        "Transfusion of the umbilical cord mesenchymal stem cells (2 x 107 cells) intravenously.",
        ["umbilical cord mesenchymal stem cells"], ["mesenchymal stem cells"],
    )]
    assert r.outcomes == [
        Outcome("PRIMARY", "C peptide release test", "3 months"),
        Outcome("SECONDARY", "Exogenous insulin dose", "3 months"),
        Outcome("SECONDARY", "blood glucose", "3 months"),
        Outcome("SECONDARY", "glycosylated Hemoglobin A1c", "3 months"),
        Outcome("SECONDARY", "Number of severe and documented hypoglycemic events", "3 months"),
        Outcome("SECONDARY", "Immunologic reconstitution parameters", "3 months"),
    ]
    assert r.identifiers == [Identifier("ORG_STUDY_ID", "MSCT1DM003")]
    assert r.locations == [Location(
        "Stem Cell Research Center of Medical School Hospital of Qingdao University", "Qingdao", "Shandong", "266003",
        "China",
    )]
    assert r.eligibility_criteria == [
        Criterion("INCLUSION", 1, "Confirmed diagnosis of type 1 diabetes by ADA criteria less than 9 weeks."),
        Criterion("INCLUSION", 2, "Ability to provide written informed consent from patients or Child guardian."),
        Criterion("EXCLUSION", 1, "diabetic ketoacidosis."),
        Criterion("EXCLUSION", 2, "evidence of retinopathy at baseline."),
        Criterion("EXCLUSION", 3, "Body Mass Index >30."),
        Criterion("EXCLUSION", 4, "Severe or acute organ damage."),
        Criterion("EXCLUSION", 5, "Infectious diseases, e.g. HIV infection, or hepatitis B or C infection."),
        Criterion("EXCLUSION", 6, "Severe psychiatric disorder."),
        Criterion("EXCLUSION", 7, "Presence of malignancy."),
    ]


@pytest.mark.parametrize(("nct_id", "minimum_age", "maximum_age"), [
    ("NCT02028676", "3 Months", "17 Years"),
    ("NCT05381285", "0 Weeks", "16 Weeks"),
    ("NCT00734539", None, "5 Days"),  # minimum "N/A"
])
def test_ages_in_months_weeks_days_keep_the_registry_form(nct_id, minimum_age, maximum_age):
    r = parse_one(nct_id)
    assert (r.minimum_age, r.maximum_age) == (minimum_age, maximum_age)


def test_observational_record_has_its_model_and_time_perspective():
    r = parse_one("NCT05381285")
    assert r.study_type == "OBSERVATIONAL"
    assert (r.observational_model, r.time_perspective) == ("COHORT", "RETROSPECTIVE")
    assert (r.allocation, r.intervention_model, r.masking, r.primary_purpose, r.phases) == (None, None, None, None, [])
    assert (r.enrollment, r.enrollment_type) == (5000, "ESTIMATED")
    assert r.collaborators == ["Cardiff University", "Swansea Bay University Health Board"]
    assert r.identifiers == [
        Identifier("ORG_STUDY_ID", "20/AUG/7966"), Identifier("SECONDARY_ID", "287049"),
        Identifier("SECONDARY_ID", "22/PR/0147"),
    ]
    assert r.conditions == ["Mortality", "Morbidity;Newborn"]
    assert r.locations == [Location("University Hospital of Wales", "Cardiff", None, "CF14 4XW", "United Kingdom")]
    assert r.start_date == date(2022, 6, 1)


def test_expanded_access_record():
    r = parse_one("NCT03147742")
    assert (r.study_type, r.overall_status) == ("EXPANDED_ACCESS", "AVAILABLE")
    assert (r.lead_sponsor, r.sponsor_class) == ("Incyte Corporation", "INDUSTRY")
    assert (r.enrollment, r.enrollment_type, r.phases) == (None, None, [])
    assert (r.minimum_age, r.maximum_age, r.healthy_volunteers) == ("12 Years", None, None)
    assert r.interventions == [Intervention(
        "DRUG", "Ruxolitinib",
        "Ruxolitinib starting dose level 5 mg orally, twice daily (BID). For patients with acute GVHD, the dose may "
        "be escalated to 10 mg BID.",
        [], ["INCB018424"],
    )]
    assert r.arm_groups == []
    # "Key Inclusion Criteria:"; the three nested "-" items under the contraception bullet count as criteria
    assert [c.criterion_type for c in r.eligibility_criteria].count("INCLUSION") == 11
    assert [c.criterion_type for c in r.eligibility_criteria].count("EXCLUSION") == 14


def test_older_record_reads_the_one_line_study_design_and_old_date_names():
    r = parse_one("NCT00645515")  # "Allocation: Randomized, Endpoint Classification: …, Masking: Double Blind (Subject,
    #                               Investigator), Primary Purpose: Treatment"; firstreceived_date / lastchanged_date
    assert (r.allocation, r.intervention_model, r.primary_purpose) == ("RANDOMIZED", "PARALLEL", "TREATMENT")
    assert (r.masking, r.who_masked) == ("DOUBLE", ["PARTICIPANT", "INVESTIGATOR"])
    # firstreceived_date and lastchanged_date are dates submitted (the registry's notice in its records:
    # "firstreceived_date becomes study_first_submitted", "lastchanged_date becomes last_update_submitted"): no posting
    assert (r.first_submitted_date, r.first_posted_date, r.last_update_submitted_date, r.last_update_posted_date) == (
        date(2008, 3, 20), None, date(2008, 4, 25), None)
    assert r.download_date == date(2014, 6, 19)  # "ClinicalTrials.gov processed this data on June 19, 2014"
    assert (r.overall_status, r.phases, r.sex) == ("TERMINATED", ["PHASE3"], "ALL")  # gender "Both"
    assert (r.enrollment, r.enrollment_type) == (240, "ESTIMATED")


def test_legacy_design_line_for_observational_study():
    r = parse_one("NCT01073436")  # "Observational Model: Case-Only, Time Perspective: Prospective"
    assert (r.observational_model, r.time_perspective, r.allocation) == ("CASE_ONLY", "PROSPECTIVE", None)


def test_every_corpus_xml_file_parses_to_its_own_trial():
    paths = sorted(XML_DIR.glob("*.xml"))
    records = {path.stem: ctgov_xml.parse(path.read_text(encoding="utf-8")) for path in paths}
    assert len(records) == 165
    assert sum(len(found) for found in records.values()) == 165
    assert [stem for stem, found in records.items() if [r.trial_id for r in found] != [stem]] == []
    assert all(ctgov_xml.recognises(path.read_text(encoding="utf-8")) for path in paths)


def test_whole_2014_archive_parses():
    """Every record, and no intervention described "N/A" (the 2014 export's filler where the 2023 records leave the
    description out: read as one, it made 61 interventions of the corpus "CHANGED" between the two)."""
    parsed, errors, filler = 0, [], 0
    with tarfile.open(ARCHIVE, "r|xz") as archive:
        for member in archive:
            if not member.isfile():
                continue
            text = archive.extractfile(member).read().decode("utf-8")
            try:
                [record] = ctgov_xml.parse(text)
            except ParseError as exc:
                errors.append(f"{member.name}: {exc}")
                continue
            assert record.trial_id == Path(member.name).stem
            parsed += 1
            filler += "<description>N/A</description>" in text
            assert "N/A" not in (i.description for i in record.interventions), member.name
    assert (parsed, len(errors)) == (8125, 0), "\n".join(errors)
    assert filler > 0


@pytest.mark.parametrize(("text", "reason"), [
    ("<clinical_study><id_info><nct_id>NCT0137", "ctgov_xml: malformed XML: "),
    ("<clinical_study><brief_title>x</brief_title></clinical_study>", "ctgov_xml: no <nct_id>"),
    ("<clinical_study><id_info><nct_id>12345</nct_id></id_info></clinical_study>", "ctgov_xml: <nct_id> '12345'"),
    ("<study><id_info><nct_id>NCT01374854</nct_id></id_info></study>", "ctgov_xml: root element is <study>"),
    ("<clinical_study><id_info><nct_id>NCT01374854</nct_id></id_info><enrollment>many</enrollment></clinical_study>",
     "ctgov_xml: <enrollment> 'many' is not a whole number"),
])
def test_bad_documents_raise_parse_error_with_reason(text, reason):
    with pytest.raises(ParseError, match="^" + reason.replace("(", r"\(").replace("[", r"\[")):
        ctgov_xml.parse(text)


def test_encoding_declaration_and_bom_are_accepted():
    text = '\ufeff<?xml version="1.0" encoding="ISO-8859-1"?>\n<!-- c -->' + read("NCT01219465")
    assert ctgov_xml.recognises(text)
    assert ctgov_xml.parse(text)[0].trial_id == "NCT01219465"


def test_recognises_only_clinical_study_roots():
    assert not ctgov_xml.recognises('{"protocolSection": {}}')
    assert not ctgov_xml.recognises("<html><body>clinical_study</body></html>")
    assert not ctgov_xml.recognises("<?xml version='1.0'?><clinical_studies/>")


def with_declarations(record: str, declarations: str, reference: str) -> str:
    """A real record given a DTD of its own (declarations) whose entity `reference` replaces its brief title."""
    head, title, tail = record.partition("<brief_title>")
    return (f"<!DOCTYPE clinical_study [{declarations}]>\n" + head + title
            + reference + tail[tail.index("</brief_title>"):])


def test_records_declaring_entities_are_recognised_and_refused(tmp_path):
    (tmp_path / "secret.txt").write_text("the secret line")
    laughs = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" if i > 1 else "&lol;" * 10}">' for i in range(1, 10))
    with socket.socket() as listener:  # where an external DTD would be fetched from
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.5)
        hostile = {
            "a local file": with_declarations(read("NCT01219465"), f'<!ENTITY xxe SYSTEM "{tmp_path}/secret.txt">',
                                              "&xxe;"),
            "a billion laughs": with_declarations(read("NCT01219465"), laughs, "&lol9;"),
            "an external DTD": with_declarations(
                read("NCT01219465"), f'<!ENTITY % remote SYSTEM "http://127.0.0.1:{listener.getsockname()[1]}/x.dtd">'
                                     f"%remote;", "Title"),
        }
        for name, text in hostile.items():
            assert detect(text) is ctgov_xml, name
            with pytest.raises(ParseError, match=r"^ctgov_xml: XML with entity declarations: refused"):
                ctgov_xml.parse(text)
        with pytest.raises(TimeoutError):
            listener.accept()


def test_a_record_with_a_dtd_of_its_own_is_refused_and_an_external_one_ignored():
    record = read("NCT01219465")
    with pytest.raises(ParseError, match=r"^ctgov_xml: XML with a DTD: refused"):
        ctgov_xml.parse(with_declarations(record, "<!ELEMENT clinical_study ANY>", "Title"))
    external = '<!DOCTYPE clinical_study SYSTEM "http://127.0.0.1:9/clinical_study.dtd">\n' + record
    assert ctgov_xml.parse(external)[0].trial_id == "NCT01219465"


def _parses_or_raises_parse_error(text: str) -> None:
    try:
        records = ctgov_xml.parse(text)
    except ParseError:
        return
    assert all(r.trial_id.startswith("NCT") for r in records)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_arbitrary_text_parses_or_raises_parse_error(text):
    _parses_or_raises_parse_error(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["NCT01374854", "NCT01219465", "NCT05381285", "NCT00645515", "NCT03147742"]),
    st.integers(min_value=0, max_value=30000),
    st.lists(st.integers(min_value=0, max_value=30000), max_size=8),
)
def test_mutilated_records_parse_or_raise_parse_error(nct_id, cut, deletions):
    data = bytearray(read(nct_id).encode("utf-8")[:cut] if cut else read(nct_id).encode("utf-8"))
    for position in deletions:
        if data:
            del data[position % len(data)]
    _parses_or_raises_parse_error(data.decode("utf-8", errors="replace"))
