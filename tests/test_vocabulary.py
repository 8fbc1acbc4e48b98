"""The shared mapping of display words to the contract vocabulary."""
import re
from datetime import date

import pytest

from pipeline import vocabulary as v
from schemas.tables import TRIAL_ID


@pytest.mark.parametrize("text, expected", [
    ("Phase 2 Phase 1", ["PHASE1", "PHASE2"]),
    ("Phase 1/Phase 2", ["PHASE1", "PHASE2"]),
    ("Phase 2/3", ["PHASE2", "PHASE3"]),
    ("PHASE1", ["PHASE1"]),
    ("Early Phase 1", ["EARLY_PHASE1"]),
    ("Phase 0", ["EARLY_PHASE1"]),
    ("N/A", ["NA"]),
    ("Phase II", ["PHASE2"]),
    ("", []),
])
def test_phases(text, expected):
    assert v.phases(text) == expected


@pytest.mark.parametrize("table, text, expected", [
    (v.STATUS, "Unknown status", "UNKNOWN"),
    (v.STATUS, "Active, not recruiting", "ACTIVE_NOT_RECRUITING"),
    (v.STATUS, "ACTIVE_NOT_RECRUITING", "ACTIVE_NOT_RECRUITING"),
    (v.ENROLLMENT_TYPE, "Anticipated", "ESTIMATED"),
    (v.INTERVENTION_TYPE, "Procedure/Surgery", "PROCEDURE"),
    (v.INTERVENTION_MODEL, "Parallel Assignment", "PARALLEL"),
    (v.SPONSOR_CLASS, "U.S. Fed", "FED"),
    (v.SEX, "Both", "ALL"),
    (v.ALLOCATION, "N/A", "NA"),
    (v.PRIMARY_PURPOSE, "Educational/Counseling/Training", "ECT"),
    (v.STUDY_TYPE, "Interventional (Clinical Trial)", "INTERVENTIONAL"),
])
def test_lookup_maps_display_words(table, text, expected):
    assert v.lookup(table, text) == expected


def test_unknown_word_passes_through_for_the_schema_to_reject():
    assert v.lookup(v.STATUS, "Sort of recruiting") == "SORT_OF_RECRUITING"
    assert v.lookup(v.STATUS, None) is None
    assert v.lookup(v.STATUS, "  ") is None


@pytest.mark.parametrize("text, expected", [
    ("Quadruple Blind", ("QUADRUPLE", [])),
    ("None (Open Label)", ("NONE", [])),
    ("Double Blind (Subject, Caregiver, Investigator, Outcomes Assessor)",
     ("DOUBLE", ["PARTICIPANT", "CARE_PROVIDER", "INVESTIGATOR", "OUTCOMES_ASSESSOR"])),
    ("Single (Outcomes Assessor)", ("SINGLE", ["OUTCOMES_ASSESSOR"])),
])
def test_masking(text, expected):
    assert v.masking(text) == expected


@pytest.mark.parametrize("text, years", [
    ("20 Years", 20.0), ("6 Months", 0.5), ("2 Weeks", 14 / 365.25), ("30 Days", 30 / 365.25),
    ("1 Year", 1.0), ("N/A", None), (None, None),
])
def test_age_in_years(text, years):
    assert v.age_in_years(text) == (pytest.approx(years) if years is not None else None)


def test_age_text_uses_the_registry_form():
    assert v.age_text("3 years") == "3 Years"
    assert v.age_text("1 month") == "1 Month"
    assert v.age_text("N/A") is None


@pytest.mark.parametrize("text, expected", [
    ("June 16, 2011", date(2011, 6, 16)), ("January 2009", date(2009, 1, 1)), ("2011-06", date(2011, 6, 1)),
    ("2011-06-16", date(2011, 6, 16)), ("2013_06_04", date(2013, 6, 4)), ("Sept 2010", date(2010, 9, 1)), ("soon", None),
    ("16June 2011", date(2011, 6, 1)), ("processed this data on June 04, 2014", date(2014, 6, 4)),
])
def test_parse_date(text, expected):
    assert v.parse_date(text) == expected


def test_clean_folds_white_space():
    assert v.clean("  a\n\t b  ") == "a b"
    assert v.clean(" \n ") is None


@pytest.mark.parametrize("table, text, expected", [
    (v.EUCTR_STATUS, "Ongoing", (None, "Ongoing")), (v.EUCTR_STATUS, "Prematurely Ended", ("TERMINATED", None)),
    (v.EUCTR_STATUS, "Not Authorised", (None, "Not Authorised")), (v.STATUS, "Not yet  recruiting", ("NOT_YET_RECRUITING", None)),
    (v.CHICTR_PHASE, "3", ("PHASE3", None)), (v.CHICTR_PHASE, "Retrospective study", (None, "Retrospective study")),
    (v.CHICTR_STUDY_TYPE, "Diagnostic test", (None, "Diagnostic test")), (v.EUCTR_STATUS, " ", (None, None)),
])
def test_a_registry_word_without_a_contract_word_is_kept_beside_a_null(table, text, expected):
    assert v.registry_word(table, text) == expected


@pytest.mark.parametrize("trial_id, registry", [
    # the contract's examples, and ids as the ICTRP CSV writes them
    ("NCT02302599", "CTGOV"), ("ChiCTR2000029953", "CHICTR"), ("ChiCTR-IOR-17012345", "CHICTR"),
    ("ISRCTN12345678", "ISRCTN"), ("ACTRN12620000445976", "ANZCTR"), ("CTRI/2020/04/024775", "CTRI"),
    ("EUCTR2021-000037-14", "EUCTR"), ("2023-503456-12-00", "CTIS"), ("DRKS00021134", "DRKS"),
    ("JPRN-jRCTs031190226", "JPRN"), ("JPRN-UMIN000012345", "JPRN"), ("jRCTs031190226", "JPRN"),
    ("jRCT2031190264", "JPRN"), ("UMIN000012345", "JPRN"), ("JapicCTI-205238", "JPRN"), ("JPRN-C000000079", "JPRN"),
    ("IRCT20100228003449N28", "IRCT"),
    ("NL8483", "NTR"), ("NTR1234", "NTR"), ("TCTR20200321001", "TCTR"), ("PACTR202003812345678", "PACTR"),
    ("RBR-2q3w4b", "REBEC"), ("RPCEC00000300", "RPCEC"), ("SLCTR/2020/010", "SLCTR"), ("LBCTR2020033467", "LBCTR"),
    ("KCT0005000", "CRIS"), ("ITMCTR2100001234", "ITMCTR"), ("XYZ-123", "OTHER"),
])
def test_registry_of_a_trial_id_by_its_prefix(trial_id, registry):
    assert v.registry_of(trial_id) == registry
    assert re.fullmatch(TRIAL_ID, trial_id)  # the trials schema accepts every registry's id as written


@pytest.mark.parametrize("written, registered", [
    # ICTRP writes the ids of Japan's registries after "JPRN-"; the registries write them bare
    ("JPRN-UMIN000039686", "UMIN000039686"), ("JPRN-jRCTs031190226", "jRCTs031190226"),
    ("JPRN-JapicCTI-205238", "JapicCTI-205238"), ("JPRN-JapicCTI-R123456", "JapicCTI-R123456"),
    ("UMIN000039686", "UMIN000039686"), ("JPRN-C000000079", "JPRN-C000000079"),  # (UMIN's older ids need the prefix)
    ("NCT 01234567", "NCT01234567"), ("CTRI/2020/04/024775", "CTRI/2020/04/024775"),
    ("EUCTR2020-001254-22", "EUCTR2020-001254-22"), ("XYZ-123", "XYZ-123"),
])
def test_a_registration_id_as_its_registry_writes_it(written, registered):
    assert v.registered_id(written) == registered


def test_registry_of_an_unknown_id_falls_back_to_the_register_named():
    assert v.registry_of("U1111-1234-5678", "Netherlands Trial Register") == "NTR"
    assert v.registry_of("U1111-1234-5678", "Some Register") == "OTHER"


@pytest.mark.parametrize("text, count", [("120", 120), ("0", 0), ("¹", None), ("1²", None), ("٣", None), ("12.0", None),
                                         (" 12", None), ("", None), (None, None)])
def test_stated_count_takes_plain_digits_only(text, count):
    """`str.isdigit` is true of "¹", which `int` refuses: hypothesis found a reader raising ValueError on it."""
    assert v.stated_count(text) == count
