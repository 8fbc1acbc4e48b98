"""The whole job through Dagster's API into a temporary folder, read back with DuckDB like a user would."""
import shutil

import dagster as dg
import pyarrow.parquet as pq

from pipeline.defs.assets import VALIDATED_TABLES
from pipeline.publishing import PUBLISHED_TABLES
from tests.conftest import CORPUS, SEEDS, query, run_job


def test_definitions_load():
    from pipeline.definitions import defs

    job = defs.resolve_job_def("refresh")
    assert {k.to_user_string() for k in job.asset_layer.executable_asset_keys} >= {
        "staged_documents", "parsed_records", "trials", "eligibility_criteria", "documents", "warehouse"}


def test_seeds_give_the_done_when_rows(seeds_warehouse):
    rows = query(seeds_warehouse, "select trial_id, overall_status, phases, enrollment, enrollment_type, "
                                  "minimum_age_years, maximum_age_years from trials order by 1")
    assert rows == [
        ("NCT01219465", "UNKNOWN", ["PHASE1", "PHASE2"], 50, "ESTIMATED", 3.0, 35.0),
        ("NCT01374854", "UNKNOWN", ["PHASE1", "PHASE2"], 44, "ACTUAL", 18.0, 40.0),
        ("NCT02302599", "COMPLETED", ["PHASE2"], 103, "ACTUAL", 20.0, 65.0),
    ]


def test_seeds_criteria_counts(seeds_warehouse):
    rows = query(seeds_warehouse, "select trial_id, criterion_type, count(*) from eligibility_criteria "
                                  "group by all order by 1, 2")
    assert rows == [
        ("NCT01219465", "EXCLUSION", 7), ("NCT01219465", "INCLUSION", 2),
        ("NCT01374854", "EXCLUSION", 31), ("NCT01374854", "INCLUSION", 8),
        ("NCT02302599", "EXCLUSION", 2), ("NCT02302599", "INCLUSION", 7),
    ]


def test_every_seed_document_is_parsed(seeds_warehouse):
    rows = query(seeds_warehouse, "select source_path, source_format, trial_id, status from documents order by 1")
    assert rows == [
        ("000_a62e3166a47b076d.txt", "veeva_text", "NCT02302599", "parsed"),
        ("002_d4776af7e2f4cbf7.txt", "ctgov_classic", "NCT01374854", "parsed"),
        ("003_e4d3ef1e73982f60.txt", "veeva_text", "NCT01219465", "parsed"),
    ]


def _reported(result: dg.ExecuteInProcessResult) -> tuple[set[str], int]:
    """The assets a run materialized and the number of check results it gave."""
    return ({e.asset_key.to_user_string() for e in result.get_asset_materialization_events()},
            len(result.get_asset_check_evaluations()))


def test_rerun_on_unchanged_input_gives_identical_tables(tmp_path):
    shutil.copytree(SEEDS, tmp_path / "raw")
    first_run = run_job(tmp_path / "raw", tmp_path / "out")
    assert first_run.success
    tables = ("trials", "eligibility_criteria", "documents")
    first = {t: pq.read_table(tmp_path / "out" / t) for t in tables}
    rerun = run_job(tmp_path / "raw", tmp_path / "out")
    assert rerun.success
    for table, before in first.items():
        assert pq.read_table(tmp_path / "out" / table).equals(before), table
    # the first run materializes every table; the rerun wrote nothing new: no table, and its checks pass unchanged
    checks = len(VALIDATED_TABLES) + 1
    assert _reported(first_run) == ({*PUBLISHED_TABLES, "warehouse", "staged_documents", "parsed_records",
                                      "landscape_report"}, checks)
    assert _reported(rerun) == ({"warehouse", "staged_documents", "parsed_records", "landscape_report"}, checks)
    assert all(e.passed for e in rerun.get_asset_check_evaluations())
    assert {e.metadata["rows_checked_now"].value for e in rerun.get_asset_check_evaluations()
            if e.check_name == "schema"} == {0}
    (warehouse,) = [e for e in rerun.get_asset_materialization_events() if e.asset_key.to_user_string() == "warehouse"]
    assert warehouse.materialization.metadata["unchanged"].value is True


def test_materializing_one_table_publishes_every_table_and_reports_the_one(tmp_path):
    """Publishing is one switch of all tables: a run of staging, parsing and `trials` alone (as selected in the
    UI) takes a new file into every table, and reports `trials` and its schema check, no other table."""
    from pipeline.definitions import defs

    raw = tmp_path / "raw"
    shutil.copytree(SEEDS, raw)
    assert run_job(raw, tmp_path / "out").success
    shutil.copy(CORPUS / "ctgov_xml" / "NCT00001177.xml", raw)
    result = defs.resolve_job_def("refresh").execute_in_process(
        run_config={"resources": {"settings": {"config": {"raw_dir": str(raw), "out_dir": str(tmp_path / "out"),
                                                          "workers": 1}}}},
        instance=dg.DagsterInstance.ephemeral(),
        asset_selection=[dg.AssetKey(k) for k in ("staged_documents", "parsed_records", "trials")])
    assert result.success
    assert _reported(result) == ({"staged_documents", "parsed_records", "trials"}, 1)
    assert query(tmp_path / "out", "select count(*) from trials where trial_id = 'NCT00001177'") == [(1,)]
    assert query(tmp_path / "out", "select count(*) > 0 from eligibility_criteria where trial_id = 'NCT00001177'") \
        == [(True,)]


def test_bad_files_are_quarantined_and_good_ones_still_land(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(SEEDS, raw)
    (raw / "empty.txt").write_bytes(b"")
    (raw / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40)
    (raw / "minutes.txt").write_text("Minutes of the steering committee, 3 March.\nNothing to report.\n")
    seed = (SEEDS / "000_a62e3166a47b076d.txt").read_text(encoding="utf-8")
    (raw / "copy_of_000.txt").write_text(seed, encoding="utf-8")  # byte-identical duplicate
    (raw / "truncated.xml").write_bytes((CORPUS / "ctgov_xml" / "NCT00001177.xml").read_bytes()[:700])
    (raw / "utf16_002.txt").write_bytes((SEEDS / "002_d4776af7e2f4cbf7.txt").read_text(encoding="utf-8").encode("utf-16"))
    assert run_job(raw, tmp_path / "out").success
    docs = dict(query(tmp_path / "out", "select doc_id, coalesce(error, status) from documents"))
    assert docs["empty.txt"] == "empty file (0 bytes)"
    assert docs["photo.jpg"].startswith("binary content")
    assert docs["minutes.txt"].startswith("unrecognised layout")
    assert docs["copy_of_000.txt"] == "duplicate: same content as 000_a62e3166a47b076d.txt"
    assert docs["truncated.xml"].startswith("ctgov_xml: malformed XML")
    assert docs["utf16_002.txt"] == "parsed"
    assert docs["000_a62e3166a47b076d.txt"] == "parsed"
    assert query(tmp_path / "out", "select count(*) from trials") == [(3,)]
    sources = query(tmp_path / "out", "select source_doc_ids from trials where trial_id = 'NCT01374854'")
    assert sources == [(["002_d4776af7e2f4cbf7.txt", "utf16_002.txt"],)]
    assert query(tmp_path / "out", "select count(*) from eligibility_criteria where trial_id = 'NCT01374854'") == [(39,)]


def test_page_and_xml_of_one_trial_merge_into_one_row(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(SEEDS, raw)
    shutil.copy(CORPUS / "ctgov_xml" / "NCT01374854.xml", raw)
    assert run_job(raw, tmp_path / "out").success
    out = tmp_path / "out"
    assert query(out, "select count(*) from trials") == [(3,)]
    # equal update dates (2012-11-20): the structured record comes first
    assert query(out, "select doc_id, source_format, chosen from trial_sources where trial_id = 'NCT01374854' "
                      "order by precedence") == [
        ("NCT01374854.xml", "ctgov_xml", True), ("002_d4776af7e2f4cbf7.txt", "ctgov_classic", False)]
    assert query(out, "select source_doc_ids, lead_sponsor, enrollment from trials where trial_id = 'NCT01374854'") == [
        (["NCT01374854.xml", "002_d4776af7e2f4cbf7.txt"], "Fuzhou General Hospital", 44)]
    # the page does not type its outcomes; the XML does, and the XML's rows are the ones kept
    assert query(out, "select outcome_type, count(*) from outcomes where trial_id = 'NCT01374854' group by all "
                      "order by 1") == [("PRIMARY", 1), ("SECONDARY", 6)]
    assert query(out, "select count(*) from eligibility_criteria where trial_id = 'NCT01374854'") == [(39,)]
