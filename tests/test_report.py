"""The landscape report over a small real warehouse: four corpus XML records run through the job.

By hand from the XML: NCT00739934 ages 2–11 years, NCT01339988 up to 21 (no minimum), NCT02465060
from 18 (no maximum), NCT00001289 no age limit (N/A both); enrollments 40, 10, 6452, 70.
"""
import base64
import re
import shutil

import dagster as dg
import duckdb
import pytest

from pipeline.defs.reports import landscape_report
from pipeline.defs.resources import PipelineSettings
from pipeline.report import CHARTS, build_report, eligibility_window_chart, window_rows
from tests.conftest import run_corpus_xml

TRIALS = ("NCT00001289", "NCT00739934", "NCT01339988", "NCT02465060")
WITH_AGE_WINDOW = ("NCT00739934", "NCT01339988", "NCT02465060")
TITLES = ("Trials by status and phase", "Enrollment distribution", "Trial starts and completions by year",
          "Eligibility windows: age, BMI, HbA1c and C-peptide")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    return run_corpus_xml(tmp_path_factory.mktemp("report"), TRIALS)


@pytest.fixture(scope="module")
def page(warehouse):
    path = build_report(warehouse)
    return path, path.read_text(encoding="utf-8")


def test_report_is_one_self_contained_page(warehouse, page):
    path, text = page
    assert path == warehouse / "report" / "landscape.html"
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", text, re.IGNORECASE)
    assert "<script" not in text and "<link" not in text
    sources = re.findall(r'<img [^>]*src="([^"]+)"', text)
    assert len(sources) == len(CHARTS) and all(s.startswith("data:image/png;base64,") for s in sources)
    for title in TITLES:
        assert f"<h2>{title}</h2>" in text


def test_pngs_are_written_and_are_the_ones_embedded(warehouse, page):
    _, text = page
    for name in CHARTS:
        png = (warehouse / "report" / f"{name}.png").read_bytes()
        assert png.startswith(PNG_SIGNATURE)
        assert f"data:image/png;base64,{base64.b64encode(png).decode()}" in text
    assert not list((warehouse / "report").glob(".*tmp"))


def test_captions_state_the_counts(page):
    _, text = page
    assert "<th>trials</th><td>4</td>" in text
    assert "4 trials state an enrollment (median 55 participants)" in text
    assert "start_date (4 trials state one) and of completion_date (3)" in text


def test_eligibility_chart_names_its_trials(page):
    _, text = page
    assert "3 of 3 trials with a stated window" in text
    assert "Trials shown: NCT00739934, NCT01339988, NCT02465060." in text
    assert "NCT00001289" not in text  # no age limit stated: nothing to draw


def test_eligibility_pick_is_limited_and_stable(warehouse):
    import hashlib

    con = duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True)
    try:
        caption = eligibility_window_chart(con, limit=2).caption
    finally:
        con.close()
    # Same number of variables each (age only), so the md5 of the trial id decides.
    picked = sorted(sorted(WITH_AGE_WINDOW, key=lambda t: hashlib.md5(t.encode()).hexdigest())[:2])
    assert caption.startswith("2 of 3 trials")
    assert caption.endswith(f"Trials shown: {', '.join(picked)}.")


def test_windows_from_eligibility_thresholds(warehouse, tmp_path):
    """Criteria of one trial are intersected; sex-specific windows are joined; age falls back to the registry."""
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(warehouse / "warehouse.duckdb", db)
    con = duckdb.connect(str(db))
    con.execute("""create or replace view eligibility_thresholds as select * from (values
        ('NCT00739934', 'INCLUSION', 3, 'hba1c', 7.0, 10.5, '%', 7.0, 10.5, null),
        ('NCT00739934', 'EXCLUSION', 2, 'hba1c', null, 10.0, '%', null, 10.0, null),
        ('NCT00739934', 'INCLUSION', 4, 'age', 3, 10, 'years', 3.0, 10.0, null),
        ('NCT01339988', 'INCLUSION', 1, 'bmi', null, 40.0, 'kg/m2', null, 40.0, 'male'),
        ('NCT01339988', 'INCLUSION', 2, 'bmi', 18.5, 38.0, 'kg/m2', 18.5, 38.0, 'female'))
        t(trial_id, criterion_type, criterion_ordinal, variable, eligible_lower, eligible_upper, canonical_unit,
          eligible_lower_canonical, eligible_upper_canonical, sex)""")
    try:
        sql, origin = window_rows(con)
        rows = con.execute(f"select trial_id, variable, lo::double, hi::double, unit from ({sql}) order by 1, 2").fetchall()
    finally:
        con.close()
    assert origin.startswith("eligibility_thresholds")
    assert rows == [
        ("NCT00739934", "age", 3.0, 10.0, "years"),  # the criterion, not the registry's 2–11
        ("NCT00739934", "hba1c", 7.0, 10.0, "%"),
        ("NCT01339988", "age", None, 21.0, "years"),
        ("NCT01339988", "bmi", None, 40.0, "kg/m2"),  # men: no lower bound, up to 40; women 18.5–38
        ("NCT02465060", "age", 18.0, None, "years"),
    ]


def test_asset_shows_the_charts_in_its_metadata(warehouse):
    result = dg.materialize([landscape_report], resources={
        "settings": PipelineSettings(raw_dir=str(warehouse.parent / "raw"), out_dir=str(warehouse))})
    assert result.success
    metadata = result.asset_materializations_for_node("landscape_report")[0].metadata
    assert metadata["path"].value == str(warehouse / "report" / "landscape.html")
    for name in CHARTS:
        markdown = re.fullmatch(rf"!\[{name}\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", metadata[name].value)
        assert base64.b64decode(markdown[1]) == (warehouse / "report" / f"{name}.png").read_bytes()


def test_flow_of_registry_records_counts_records_registrations_and_studies(page):
    """Four ClinicalTrials.gov records of four studies that name none of one another."""
    _, text = page
    section = re.search(r'<section id="registry_flow">.*?</section>', text, re.DOTALL)[0]
    rows = [re.findall(r"<td>([^<]*)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", section)]
    assert [r for r in rows if r] == [["CTGOV", "4", "4", "4"], ["total", "4", "4", "4"]]


def test_changes_section_is_drawn_from_the_history_tables(page):
    """The warehouse has the version history: the section draws from it (tests/test_history.py checks its figures)."""
    _, text = page
    assert '<section id="changes"><h2>How registrations changed</h2>' in text
    assert "No version history in this warehouse" not in text
