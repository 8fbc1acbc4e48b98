"""Results (clinical_results / resultsSection): three records checked by hand, field by field, and every
record with results in the corpus counted independently of the readers.

The counts are computed here from the XML with the standard library, by the rules the legacy form
states: one row per <group> of a results table, per <participants> of a period, per <measurement> of a
measure (older records' first measure "Number of Participants" is the numbers analyzed, not a
measure), per <analysis>, per <counts> of an event (the "Total" category holds each group's totals, not
an event), per <reference>/<results_reference> and per <overall_official>.
"""
from __future__ import annotations

import re
import tarfile
from collections import Counter
import xml.etree.ElementTree as ET
from datetime import date

import pandera.errors
import polars as pl
import pytest

from pipeline.parsing import RECORD_TABLES, RESULTS_TABLES, explode
from pipeline.record import Analysis, FlowCount, Measurement, Official
from pipeline.sources import ctgov_api_v2_json, ctgov_xml
from schemas import columns, schema
from tests.conftest import CORPUS

XML_DIR = CORPUS / "ctgov_xml"


def _record(name: str):
    [record] = ctgov_xml.parse((XML_DIR / name).read_text(encoding="utf-8"))
    return record


def test_a_record_with_analyses_field_by_field():
    """NCT00739752: six framing arms; the primary outcome's mean doses and three Poisson risk ratios."""
    r = _record("NCT00739752.xml")
    assert (r.has_results, r.results_first_submitted_date, r.results_first_posted_date) == (
        True, date(2017, 4, 6), date(2017, 10, 16))
    assert (r.start_date, r.start_date_type, r.primary_completion_date, r.primary_completion_date_type) == (
        date(2003, 6, 1), None, date(2007, 6, 1), "ACTUAL")
    assert (r.first_submitted_date, r.has_dmc, r.number_of_arms) == (date(2008, 8, 20), True, 6)
    assert (r.responsible_party_type, r.responsible_party_name, r.responsible_party_affiliation) == (
        "PRINCIPAL_INVESTIGATOR", "Gregory Zimet", "Indiana University")
    assert r.overall_officials == [Official("Gregory D Zimet, PhD", "PRINCIPAL_INVESTIGATOR", "Indiana University")]
    [trials_row] = explode(r)["trials"]
    row = dict(zip(columns("trials"), trials_row))
    # June 2007 (the 1st) → October 16, 2017: 3,790 days; June 2003 → June 2007: 1,461 days (days / 30.44)
    assert (row["months_to_report_results"], row["actual_duration_months"]) == (124.5, 48.0)

    outcome_groups = [(g.group_code, g.title) for g in r.result_groups if g.result_type == "OUTCOME" and g.outcome_ordinal == 1]
    assert outcome_groups == [("OG000", "Non-Framed-Offered"), ("OG001", "Non-Framed-Recommended"),
                              ("OG002", "Gain-Framed-Offered"), ("OG003", "Gain-Framed-Recommended"),
                              ("OG004", "Loss-Framed-Offered"), ("OG005", "Loss-Framed-Recommended")]
    primary = [m for m in r.outcome_measurements if m.outcome_ordinal == 1]
    assert primary[0] == Measurement(
        title="Mean Number of Doses of HBV Vaccine Received", group_code="OG000", units="Doses of HBV Vaccine",
        param_type="MEAN", dispersion_type="STANDARD_DEVIATION", value=0.78, value_raw=".78", dispersion_value=1.0,
        dispersion_value_raw="1.00", analyzed=299, analyzed_units="Participants", outcome_ordinal=1,
        outcome_type="PRIMARY", post_hoc=False, time_frame="Day of research visit with 8 month follow-up")
    assert [(m.group_code, m.value, m.dispersion_value, m.analyzed) for m in primary[1:]] == [
        ("OG001", 0.85, 1.02, 284), ("OG002", 0.94, 1.11, 292), ("OG003", 0.98, 1.06, 288),
        ("OG004", 0.81, 1.04, 291), ("OG005", 1.10, 1.14, 293)]
    first, second, third = [a for a in r.outcome_analyses if a.outcome_ordinal == 1]
    assert first == Analysis(
        outcome_ordinal=1, outcome_type="PRIMARY", title="Mean Number of Doses of HBV Vaccine Received",
        analysis_ordinal=1, group_codes=["OG002", "OG003", "OG004", "OG005"],
        groups_description="The two gain-framed groups were compared to the two loss-framed groups using poisson "
                           "regression.",
        non_inferiority_type="SUPERIORITY", method="Regression, Poisson", p_value=0.885, p_value_raw="=.885",
        p_value_modifier="=", param_type="Risk Ratio (RR)", param_value=0.99, param_value_raw="0.99", ci_percent=95.0,
        ci_n_sides="TWO_SIDED", ci_lower=0.88, ci_lower_raw=".88", ci_upper=1.12, ci_upper_raw="1.12", post_hoc=False)
    assert [(a.p_value, a.p_value_raw, a.p_value_modifier, a.param_value, a.ci_lower, a.ci_upper, len(a.group_codes))
            for a in (second, third)] == [
        (0.01, "<.01", "<", 1.17, 1.06, 1.31, 6), (0.01, "<.01", "<", 1.16, 1.05, 1.28, 6)]


def test_a_post_hoc_outcome_is_told_from_a_pre_specified_one():
    """NCT01029262 types its third outcome "Post-Hoc": OTHER, as the contract has no word for it, and post_hoc; its
    primary and secondary outcomes are not post-hoc."""
    r = _record("NCT01029262.xml")
    typed = {(m.outcome_ordinal, m.outcome_type, m.post_hoc) for m in r.outcome_measurements}
    typed |= {(a.outcome_ordinal, a.outcome_type, a.post_hoc) for a in r.outcome_analyses}
    assert {t for t in typed if t[2] is not False} == {(3, "OTHER", True)}
    assert {t[1] for t in typed} == {"PRIMARY", "SECONDARY", "OTHER"}
    from pipeline.vocabulary import post_hoc
    assert [post_hoc(t) for t in ("Post-Hoc", "POST_HOC", "Other Pre-specified", "OTHER_PRE_SPECIFIED", "", None)] == [
        True, True, False, False, None, None]


def test_a_record_with_classes_and_categories_field_by_field():
    """NCT02708238 (infantile colic, three arms and a total): age in classes, age as a median with its full
    range, sex as classes; the numbers analyzed are the baseline's overall counts."""
    r = _record("NCT02708238.xml")
    assert [(g.group_code, g.title) for g in r.result_groups if g.result_type == "BASELINE"] == [
        ("BG000", "Group A"), ("BG001", "Group B"), ("BG002", "Group C"), ("BG003", "Total")]
    by_measure = {}
    for m in r.baseline_measurements:
        by_measure.setdefault(m.measure_ordinal, []).append(m)
    age_classes = by_measure[1]
    assert [(m.class_title, m.category, m.group_code, m.value) for m in age_classes[:5]] == [
        ("<=18 years", None, "BG000", 60.0), ("<=18 years", None, "BG001", 59.0), ("<=18 years", None, "BG002", 57.0),
        ("<=18 years", None, "BG003", 176.0), ("Between 18 and 65 years", None, "BG000", 0.0)]
    assert {(m.title, m.units, m.param_type, m.analyzed_units) for m in age_classes} == {
        ("Age", "participants", "NUMBER", "Participants")}
    assert [m.analyzed for m in age_classes[:4]] == [60, 59, 57, 176]
    median = by_measure[2][0]
    assert (median.title, median.units, median.param_type, median.dispersion_type, median.value, median.lower_limit,
            median.upper_limit, median.class_title) == ("Age", "Days", "MEDIAN", "FULL_RANGE", 38.0, 14.0, 86.0, None)
    assert [(m.class_title, m.group_code, m.value) for m in by_measure[3]] == [
        ("Female", "BG000", 31.0), ("Female", "BG001", 21.0), ("Female", "BG002", 39.0), ("Female", "BG003", 91.0),
        ("Male", "BG000", 29.0), ("Male", "BG001", 38.0), ("Male", "BG002", 18.0), ("Male", "BG003", 85.0)]


def test_a_record_with_a_withdrawal_reasons_table_field_by_field():
    """NCT01065844 (nelfinavir, one arm): 15 started, 10 completed, 5 left for adverse events; no serious
    adverse event, 5 of 15 with other adverse events (the "Total" rows become the group's totals)."""
    r = _record("NCT01065844.xml")
    assert r.participant_flow == [
        FlowCount("Overall Study", "MILESTONE", "STARTED", "FG000", 15, "15"),
        FlowCount("Overall Study", "MILESTONE", "COMPLETED", "FG000", 10, "10"),
        FlowCount("Overall Study", "MILESTONE", "NOT COMPLETED", "FG000", 5, "5"),
        FlowCount("Overall Study", "DROP_WITHDRAWAL", "Adverse Event", "FG000", 5, "5"),
    ]
    [events_group] = [g for g in r.result_groups if g.result_type == "ADVERSE_EVENT"]
    assert (events_group.group_code, events_group.title, events_group.serious_affected, events_group.serious_at_risk,
            events_group.other_affected, events_group.other_at_risk, events_group.deaths_affected) == (
        "EG000", "Nelfinavir", 0, 15, 5, 15, None)
    assert all(e.organ_system != "Total" for e in r.adverse_events)
    assert (r.results_first_posted_date, r.primary_completion_date) == (date(2016, 12, 19), date(2015, 5, 1))


def test_api_v2_results_and_new_fields():
    """NCT02210780 (dupilumab and vaccine responses): an analysis as the JSON writes it; NCT00973089 why it
    stopped."""
    [r] = ctgov_api_v2_json.parse((CORPUS / "ctgov_api_v2_json" / "NCT02210780.json").read_text(encoding="utf-8"))
    assert (r.has_results, r.results_first_posted_date, r.start_date_type) == (True, date(2020, 5, 7), "ACTUAL")
    analysis = r.outcome_analyses[0]
    assert (analysis.outcome_ordinal, analysis.group_codes, analysis.p_value, analysis.p_value_raw,
            analysis.p_value_modifier, analysis.param_type, analysis.param_value, analysis.ci_percent,
            analysis.ci_lower, analysis.ci_upper) == (
        4, ["OG000", "OG001"], 0.0001, "<0.0001", "<", "Percentage Difference", 34.0, 90.0, 24.29, 43.75)
    [stopped] = ctgov_api_v2_json.parse((CORPUS / "ctgov_api_v2_json" / "NCT00973089.json").read_text(encoding="utf-8"))
    assert (stopped.why_stopped, stopped.has_results) == (
        "recruiting or enrolling participants has halted prematurely and will not resume", False)


# --- every record with results in the corpus, counted without the readers -------------------------------------

def _results_documents():
    """(name, text) of every legacy record with <clinical_results>: the folder and both archives."""
    for path in sorted(XML_DIR.glob("*.xml")):
        text = path.read_text(encoding="utf-8")
        if "<clinical_results>" in text:
            yield path.name, text
    for archive in ("ctgov_legacy_xml_2014.tar.xz", "ctgov_legacy_xml_2023.tar.xz"):
        with tarfile.open(CORPUS / archive, "r|xz") as tf:
            for member in tf:
                if member.isfile() and member.name.endswith(".xml"):
                    text = tf.extractfile(member).read().decode("utf-8")
                    if "<clinical_results>" in text:
                        yield f"{archive}!{member.name}", text


def _measure_cells(measures: list) -> int:
    if measures and measures[0].findtext("title") == "Number of Participants":
        measures = measures[1:]
    return sum(len(m.findall(".//measurement")) for m in measures)


def expected_counts(root: ET.Element) -> dict[str, int]:
    results = root.find("clinical_results")
    baseline = results.find("baseline")
    baseline_measures = baseline.findall("measure_list/measure") if baseline is not None else []
    if baseline is not None and baseline.find("analyzed_list") is not None:
        baseline_cells = sum(len(m.findall(".//measurement")) for m in baseline_measures)
    else:
        baseline_cells = _measure_cells(baseline_measures)
    outcomes = results.findall("outcome_list/outcome")
    events = [(category.findtext("title"), event) for category in results.findall("reported_events/*/category_list/category")
              for event in category.findall("event_list/event")]
    return {
        "result_groups": sum(len(s.findall("group_list/group")) for s in
                             [*results.findall("participant_flow"), *results.findall("baseline"), *outcomes,
                              *results.findall("reported_events")]),
        "participant_flow": len(results.findall("participant_flow/period_list/period/*/*/participants_list/participants")),
        "baseline_measurements": baseline_cells,
        "outcome_measurements": sum(len(o.findall("measure//measurement")) + _measure_cells(o.findall("measure_list/measure"))
                                    for o in outcomes),
        "outcome_analyses": len(results.findall("outcome_list/outcome/analysis_list/analysis")),
        "adverse_events": sum(len(event.findall("counts")) for title, event in events
                              if not (title == "Total" and (event.findtext("sub_title") or "").startswith("Total, "))),
        "study_references": len(root.findall("reference")) + len(root.findall("results_reference")),
        "overall_officials": len(root.findall("overall_official")),
    }


def test_every_record_with_results_gives_the_rows_its_xml_holds_and_passes_the_schemas():
    """Row counts per results table as the XML holds them, every table filled, and no record quarantined: all
    its rows (of every table, as the parse step validates them) pass the schemas."""
    seen, mismatches = 0, []
    rows_by_table: dict[str, list[tuple]] = {table: [] for table in RECORD_TABLES}
    tests_said: Counter = Counter()  # (what an analysis's XML says of its test, non_inferiority_type)
    dispersions: set = set()
    modifiers: Counter = Counter()  # the p-values' comparators as read, and as the XML writes them (re, not the reader)
    written: Counter = Counter()
    for name, text in _results_documents():
        seen += 1
        [record] = ctgov_xml.parse(text)
        rows = explode(record)
        counted = {table: len(rows[table]) for table in RESULTS_TABLES}
        root = ET.fromstring(text)
        expected = expected_counts(root)
        dispersions.update(a.dispersion_type for a in record.outcome_analyses)
        modifiers.update(a.p_value_modifier for a in record.outcome_analyses if a.p_value is not None)
        p_values = (a.findtext("p_value") or "" for a in root.iter("analysis"))
        written.update(re.match(r"\s*([<>]=?|=)?", p)[1] for p in p_values
                       if re.fullmatch(r"\s*(?:[<>]=?|=)?\s*(?:\d*\.?\d+(?:[eE]-?\d+)?|0,\d+)\s*", p))
        said = (a.findtext("non_inferiority_type") or a.findtext("non_inferiority") for a in root.iter("analysis"))
        tests_said.update(zip(said, (a.non_inferiority_type for a in record.outcome_analyses)))
        if counted != expected:
            mismatches.append((name, {t: (expected[t], counted[t]) for t in counted if counted[t] != expected[t]}))
        for table in RECORD_TABLES:
            rows_by_table[table] += [(*row, name) for row in rows[table]]
    assert seen == 30 + 125 + 360
    assert mismatches == []
    # the older records' yes/no <non_inferiority> is API v2's legacy value (it was null: 510 analyses of the corpus)
    assert {said: kind for said, kind in tests_said if said in ("Yes", "No")} == {
        "Yes": "NON_INFERIORITY_OR_EQUIVALENCE_LEGACY", "No": "SUPERIORITY_OR_OTHER_LEGACY"}
    assert sum(n for (said, kind), n in tests_said.items() if said and kind is None) == 0
    # an analysis's dispersion in API v2's words (AnalysisDispersionType), "Standard Error of the mean" included
    assert dispersions == {None, "STANDARD_DEVIATION", "STANDARD_ERROR_OF_MEAN"}
    # a p-value written "> 0.05" is p_value 0.05 with its comparator, told apart from "< 0.05"
    assert modifiers == written and modifiers[">"] > 0 and modifiers["<"] > 0
    quarantined = set()
    for table, rows in rows_by_table.items():
        frame = pl.DataFrame(rows, schema={**columns(table), "doc_id": pl.String}, orient="row")
        try:
            schema(table, per_document=True).validate(frame, lazy=True)
        except pandera.errors.SchemaErrors as exc:
            quarantined |= {(frame["doc_id"][i], table) for i in exc.failure_cases["index"]}
    assert quarantined == set()
    assert [table for table in RESULTS_TABLES if not rows_by_table[table]] == []  # every results table filled


@pytest.mark.parametrize("text, expected", [
    ("12.5", 12.5), (".78", 0.78), ("<0.001", 0.001), ("< .05", 0.05), ("≤ 0.05", 0.05), (">=0.99", 0.99),
    ("25,754", 25754.0), ("-1.2E-3", -0.0012), ("NA", None), ("10.", 10.0),
    ("p<0.05 (two-sided)", None), ("", None),
    ("0,001", 0.001), ("-0,5", -0.5), ("1,5", None),  # a comma after a lone 0 is a decimal comma; "1,5" says not which
    ("3.59,", 3.59), ("25,", 25.0), ("0,", 0.0), (",", None), ("1,,", None),  # a comma left on at the end is none
    ("1e999", None), ("9" * 400, None),  # past a float's range: infinity is no value (the raw words are kept)
])
def test_numbers_as_written(text, expected):
    from pipeline.vocabulary import number
    assert number(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("<0.001", "<"), ("≤ .05", "<="), (">=0.99", ">="), ("≥1", ">="), ("= 0.2", "="), ("0.03", None), ("NA", None),
    ("≤=0.05", None), ("p<0.05 (two-sided)", None),  # no number as written: no comparator either
])
def test_comparators_as_written(text, expected):
    from pipeline.vocabulary import comparator
    assert comparator(text) == expected
