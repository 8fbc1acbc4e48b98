"""The benchmark times the change computation by running the publisher's history queries again after a run. Its
figures mean something only if those queries see what the publisher saw: the tables they write must be the ones
the run published."""
from __future__ import annotations

import shutil

import duckdb

from benchmarks import run
from tests.conftest import CORPUS, run_job

TRIALS = ("NCT00181896", "NCT00645515")  # the Archive's versions of two trials, XML and page of each version


def test_the_timed_history_queries_write_the_published_tables(tmp_path):
    for trial in TRIALS:
        shutil.copytree(CORPUS / "ctgov_archive_history" / trial, tmp_path / "raw" / trial)
    assert run_job(tmp_path / "raw", tmp_path / "out").success
    seconds = run.history_cost(tmp_path / "out", tmp_path / "timed")
    assert set(seconds) == {"version dates", *run.HISTORY_TABLES, "trials: history columns"}
    con = duckdb.connect()
    for table in run.HISTORY_TABLES:
        published, timed = (con.execute(f"select * from read_parquet('{folder / table}/*.parquet') order by all").fetchall()
                            for folder in (tmp_path / "out", tmp_path / "timed"))
        assert timed == published, table
    assert con.execute(f"select count(*) from read_parquet('{tmp_path / 'out'}/trial_changes/*.parquet')").fetchone()[0] > 0
