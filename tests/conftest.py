"""Shared test fixtures: the real seeds and corpus from ../shared, and a run of the real Dagster job."""
from __future__ import annotations

import shutil
import signal
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEEDS = SHARED / "seeds"
CORPUS = SHARED / "corpus"
# s, i, k, I and K as letters re's IGNORECASE takes for them: ſ, ı, the Kelvin sign, İ
SPELT_AS_RE_FOLDS = str.maketrans({"s": "ſ", "i": "ı", "k": "\u212a", "I": "\u0130", "K": "\u212a"})


@contextmanager
def finishes_within(seconds: int):
    """Fail, rather than hang, when the block runs past `seconds`: a guard for inputs that once held a reader for
    hours (re's matching checks for signals), not a speed target (those are the benchmark's)."""
    def stop(signum, frame):
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run_job(raw_dir: Path, out_dir: Path, instance: dg.DagsterInstance | None = None, tags: dict | None = None,
            **settings) -> dg.ExecuteInProcessResult:
    """Materialize every asset through the project's own `refresh` job, as the CLI and sensor do (`tags`: a run
    request's, as the daemon launches it)."""
    from pipeline.definitions import defs

    return defs.resolve_job_def("refresh").execute_in_process(
        run_config={"resources": {"settings": {"config": {"raw_dir": str(raw_dir), "out_dir": str(out_dir),
                                                          "workers": 1, **settings}}}},
        instance=instance or dg.DagsterInstance.ephemeral(), tags=tags,
    )


def run_corpus_xml(base: Path, trial_ids) -> Path:
    """The legacy XML records of these trials (../shared/corpus/ctgov_xml) run through the job; the output folder."""
    (base / "raw").mkdir()
    for trial_id in trial_ids:
        shutil.copy(CORPUS / "ctgov_xml" / f"{trial_id}.xml", base / "raw")
    assert run_job(base / "raw", base / "out").success
    return base / "out"


def amend_title(path: Path, prefix: str = "AMENDED ") -> None:
    """Edit a legacy XML record in place: its brief title gets `prefix`."""
    path.write_text(path.read_text(encoding="utf-8").replace("<brief_title>", f"<brief_title>{prefix}", 1),
                    encoding="utf-8")


def query(out_dir: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(out_dir / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture
def raw_seeds(tmp_path) -> Path:
    raw = tmp_path / "raw"
    shutil.copytree(SEEDS, raw)
    return raw


@pytest.fixture(scope="module")
def seeds_warehouse(tmp_path_factory) -> Path:
    """The seeds run once through the whole job; tests query the result."""
    base = tmp_path_factory.mktemp("seeds")
    shutil.copytree(SEEDS, base / "raw")
    result = run_job(base / "raw", base / "out")
    assert result.success
    return base / "out"
