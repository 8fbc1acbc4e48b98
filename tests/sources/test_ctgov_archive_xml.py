"""The ClinicalTrials.gov Archive's own XML of each version, by hand and against the Archive page of the same version."""
import re
from datetime import date

import pytest

from pipeline import sources
from pipeline.record import ParseError
from pipeline.sources import ctgov_archive, ctgov_archive_xml
from tests.conftest import CORPUS

HISTORY = CORPUS / "ctgov_archive_history"
XMLS = sorted(HISTORY.glob("*/*.xml"))


def _parse(path):
    (record,) = ctgov_archive_xml.parse(path.read_text(encoding="utf-8"), name=path.name)
    return record


def test_first_version_by_hand():
    """NCT00181896's first version: an empty <nct_id>, outcomes as bare text, enrollment 'expected'."""
    path = HISTORY / "NCT00181896" / "NCT00181896_20050915.xml"
    assert re.search(r"<nct_id>\s*</nct_id>", path.read_text(encoding="utf-8"))
    r = _parse(path)
    assert (r.trial_id, r.version_date) == ("NCT00181896", date(2005, 9, 15))
    # initial_release_date is the date submitted (the trial's XML says firstreceived_date September 13, 2005), and so
    # is last_release_date: the Archive states no posting date
    assert (r.first_submitted_date, r.first_posted_date, r.last_update_submitted_date, r.last_update_posted_date) == (
        date(2005, 9, 13), None, date(2005, 9, 13), None)
    assert r.brief_title == ("Bupropion SR for Major Depression and Depression NOS in Children and Adolescents "
                             "with Bipolar Disorder")
    assert (r.overall_status, r.phases, r.study_type, r.start_date) == (
        "RECRUITING", ["PHASE4"], "INTERVENTIONAL", date(2005, 1, 1))
    assert (r.primary_purpose, r.allocation, r.intervention_model, r.masking) == (
        "TREATMENT", "NON_RANDOMIZED", "SINGLE_GROUP", "NONE")
    assert (r.enrollment, r.enrollment_type) == (20, "ESTIMATED")
    assert [(o.outcome_type, o.measure, o.time_frame) for o in r.outcomes] == [
        ("PRIMARY", "reduction in depression symptoms assessed by", None),
        ("PRIMARY", "Children\u2019s Depression Rating Scale", None),
        ("PRIMARY", "Hamilton Depression Rating scale (HAM-D)", None)]
    assert [(i.intervention_type, i.name) for i in r.interventions] == [("DRUG", "bupropion SR")]
    # the site, not the contacts under <location> (whose names are <name> too)
    assert [(x.facility, x.city, x.state, x.zip, x.country) for x in r.locations] == [
        ("Massachusetts General Hospital", "Cambridge", "Massachusetts", "02138", "United States")]
    assert (r.sex, r.minimum_age, r.maximum_age, r.healthy_volunteers) == ("ALL", "6 Years", "17 Years", False)
    assert [(c.criterion_type, c.ordinal) for c in r.eligibility_criteria][-1] == ("EXCLUSION", 16)
    assert [(i.id_type, i.id_value) for i in r.identifiers] == [("ORG_STUDY_ID", "2004-P-001727")]
    assert r.lead_sponsor == "Massachusetts General Hospital"


def test_later_version_by_hand():
    """NCT02075515 on 2014-03-07: structured outcomes, arms, a vaccine, a EudraCT secondary id, an anticipated enrollment."""
    r = _parse(HISTORY / "NCT02075515" / "NCT02075515_20140307.xml")
    assert (r.trial_id, r.version_date, r.last_update_submitted_date) == ("NCT02075515", date(2014, 3, 7), date(2014, 3, 6))
    assert (r.overall_status, r.enrollment, r.enrollment_type) == ("NOT_YET_RECRUITING", 450, "ESTIMATED")
    assert (r.masking, r.who_masked) == ("DOUBLE", ["PARTICIPANT", "CARE_PROVIDER", "INVESTIGATOR"])
    assert (r.primary_completion_date, r.completion_date) == (date(2015, 3, 1), date(2016, 2, 1))
    (primary,) = [o for o in r.outcomes if o.outcome_type == "PRIMARY"]
    assert (primary.measure, primary.time_frame) == ("Anti-gE humoral immunogenicity", "At Month 3")
    assert primary.description.startswith("Anti-gE antibody concentrations, as determined by enzyme-linked")
    assert sum(o.outcome_type == "SECONDARY" for o in r.outcomes) == 8
    assert [(i.intervention_type, i.name, i.other_names) for i in r.interventions] == [
        ("BIOLOGICAL", "Herpes Zoster vaccine (GSK 1437173A)", ["HZ/su vaccine"])]
    assert [(a.label, a.arm_type, a.intervention_names) for a in r.arm_groups] == [
        (f"HZ/su Lot {lot}", "EXPERIMENTAL", ["Herpes Zoster vaccine (GSK 1437173A)"]) for lot in "ABC"]
    assert [(i.id_type, i.id_value) for i in r.identifiers] == [
        ("ORG_STUDY_ID", "117177"), ("SECONDARY_ID", "2013-000373-76")]


def test_collaborator_and_old_status_word():
    """NCT00077454 in Feb 2006: NCI as the second <sponsor>, and 'No longer recruiting' (today's ACTIVE_NOT_RECRUITING)."""
    r = _parse(HISTORY / "NCT00077454" / "NCT00077454_20060216.xml")
    assert (r.lead_sponsor, r.collaborators) == ("Children's Oncology Group", ["National Cancer Institute (NCI)"])
    assert r.overall_status == "ACTIVE_NOT_RECRUITING"


def test_why_stopped_with_the_status():
    """NCT00181896 turned Terminated in its version of 2007-04-23 with <why_stopped> in its <status_block> (read off
    the files by hand); the version before has neither. The reader did not read it, so the history had no change for
    it (a read-only audit found it missing)."""
    before, after = (_parse(HISTORY / "NCT00181896" / f"NCT00181896_{stamp}.xml") for stamp in ("20061002", "20070423"))
    assert (before.overall_status, before.why_stopped) == ("RECRUITING", None)
    assert (after.overall_status, after.why_stopped) == (
        "TERMINATED", "Study was terminated due to lack of recruitment")


def test_oversight_arms_and_responsible_party_in_both_shapes():
    """Values read off the files by hand: NCT00504075's DMC and arms from its first version, its responsible party
    first as the older name_title/organization (2008-02-25), then as a type alone (2011-09-06); NCT01597011's newer
    investigator fields (the title changed between its two versions); NCT00181896 states a DMC from 2007-04-23 only.
    The reader did not read them, so these changes had no history (a read-only audit found it)."""
    def fields(trial, stamp):
        r = _parse(HISTORY / trial / f"{trial}_{stamp}.xml")
        return (r.has_dmc, r.number_of_arms, r.responsible_party_type, r.responsible_party_name,
                r.responsible_party_title, r.responsible_party_affiliation)
    assert fields("NCT00504075", "20070718") == (False, 1, None, None, None, None)
    assert fields("NCT00504075", "20080225") == (
        False, 1, None, "Melvin Berger, MD, Principal Investigator", None,
        "Rainbow Babies & Children's Hospital, Cleveland, Ohio")
    assert fields("NCT00504075", "20110906") == (False, 1, "SPONSOR", None, None, None)
    assert fields("NCT01597011", "20120510") == (
        False, None, "PRINCIPAL_INVESTIGATOR", "Neel Maria Helvind", "Research fellow", "Herlev Hospital")
    assert fields("NCT01597011", "20120515")[4] == "Principal Investigator"
    assert [fields("NCT00181896", stamp)[0] for stamp in ("20061002", "20070423")] == [None, True]


@pytest.mark.parametrize("path", XMLS, ids=lambda p: p.stem)
def test_xml_agrees_with_the_archive_page_of_the_same_version(path):
    page = path.with_suffix(".html")
    (p,) = ctgov_archive.parse(page.read_text(encoding="utf-8"))
    x = _parse(path)
    assert (x.trial_id, x.version_date) == (p.trial_id, p.version_date)
    assert (x.overall_status, x.study_type, x.start_date, x.sex) == (p.overall_status, p.study_type, p.start_date, p.sex)
    assert x.conditions == p.conditions
    assert [o.measure for o in x.outcomes if o.outcome_type == "PRIMARY"] == [
        o.measure for o in p.outcomes if o.outcome_type == "PRIMARY"]
    assert [i.name for i in x.interventions] == [i.name for i in p.interventions]
    dates = ("start_date", "primary_completion_date", "completion_date")
    assert [(getattr(x, d), getattr(x, f"{d}_type")) for d in dates] == [
        (getattr(p, d), getattr(p, f"{d}_type")) for d in dates]
    assert x.has_results == ("The Current Version of this study includes results." in page.read_text(encoding="utf-8"))


def test_a_version_with_results_says_so_and_when_they_were_first_released():
    """A version's XML holds its results (<clinical_result>, in a schema of the Archive's own, whose tables are not
    read) and the day they were first released, which the legacy XML calls firstreceived_results_date (NCT00503399:
    2011-10-04 in both). Neither was read: the Archive-only NCT00504075 had no results date and has_results null."""
    for trial, stamp, expected in (("NCT00504075", "20111222", (False, None)),
                                   ("NCT00504075", "20130228", (True, date(2012, 5, 4))),
                                   ("NCT00503399", "20111107", (True, date(2011, 10, 4)))):
        x = _parse(HISTORY / trial / f"{trial}_{stamp}.xml")
        assert (x.has_results, x.results_first_submitted_date) == expected


def test_each_date_has_the_type_the_version_states():
    """NCT00503399: the version of 2010-01-08 expects its primary completion in October 2010 ("Anticipated"), that of
    2010-11-02 states it happened ("Actual", "2010-10 (Actual)" on its page). Neither reader read the type: the
    trials' date types were null and the history had no change for it."""
    for stamp, kind in (("20100108", "ESTIMATED"), ("20101102", "ACTUAL")):
        x = _parse(HISTORY / "NCT00503399" / f"NCT00503399_{stamp}.xml")
        assert (x.primary_completion_date, x.primary_completion_date_type) == (date(2010, 10, 1), kind)
        assert (x.completion_date, x.completion_date_type, x.start_date_type) == (date(2010, 10, 1), kind, None)


def test_every_archive_document_is_recognised_and_dated():
    """The XML goes to this reader (not ctgov_xml), the page to ctgov_archive; both give the name's date."""
    for path in sorted(HISTORY.glob("*/*")):
        text = path.read_text(encoding="utf-8")
        reader = sources.detect(text)
        assert reader.FORMAT == {".xml": "ctgov_archive_xml", ".html": "ctgov_archive"}[path.suffix]
        (record,) = sources.parse(reader, text, path.name)
        trial_id, day = path.stem.split("_")
        assert (record.trial_id, record.version_date.strftime("%Y%m%d")) == (trial_id, day)
    assert not any(ctgov_archive_xml.recognises(p.read_text(encoding="utf-8")) for p in (CORPUS / "ctgov_xml").glob("*.xml"))


def test_without_a_name():
    """A version whose <nct_id> is stated parses without its name (no version date); the first version cannot."""
    later = (HISTORY / "NCT00181896" / "NCT00181896_20051208.xml").read_text(encoding="utf-8")
    (r,) = ctgov_archive_xml.parse(later)
    assert (r.trial_id, r.version_date) == ("NCT00181896", None)
    first = (HISTORY / "NCT00181896" / "NCT00181896_20050915.xml").read_text(encoding="utf-8")
    with pytest.raises(ParseError, match="empty <nct_id> and no NCT…_YYYYMMDD name"):
        ctgov_archive_xml.parse(first, name="download.xml")
    with pytest.raises(ParseError, match="<nct_id> NCT00181896 differs from the name's NCT00000001"):
        ctgov_archive_xml.parse(later, name="NCT00000001_20051208.xml")


def test_damaged_documents():
    text = (HISTORY / "NCT00181896" / "NCT00181896_20051208.xml").read_text(encoding="utf-8")
    with pytest.raises(ParseError, match="ctgov_xml: malformed XML"):
        ctgov_archive_xml.parse(text[: len(text) // 2])
    bad_count = re.sub(r"<expected_enrollment>\s*20", "<expected_enrollment>twenty", text)
    with pytest.raises(ParseError, match="enrollment 'twenty' is not a whole number"):
        ctgov_archive_xml.parse(bad_count)
