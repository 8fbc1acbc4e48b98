"""The event log a new DAGSTER_HOME gets (pipeline.defs.event_log): Dagster's SQLite databases, written through kept
engines, read back by a later instance and by Dagster's own stock storage, with a bounded number of open files."""
import os
from pathlib import Path

import dagster as dg
from dagster._core.storage.event_log import SqliteEventLogStorage

from pipeline.cli import dagster_home
from pipeline.defs.event_log import KEPT_ENGINES, PooledSqliteEventLogStorage

TABLES = [f"table_{i}" for i in range(12)]
RUNS = KEPT_ENGINES + 3


@dg.multi_asset(specs=[dg.AssetSpec(t) for t in TABLES],
                check_specs=[dg.AssetCheckSpec("rows", asset=t) for t in TABLES])
def tables():
    for i, table in enumerate(TABLES):
        yield dg.MaterializeResult(asset_key=table, metadata={"rows": i})
        yield dg.AssetCheckResult(asset_key=table, check_name="rows", passed=i % 2 == 0)


JOB = dg.Definitions(assets=[tables], jobs=[dg.define_asset_job("all", selection=dg.AssetSelection.all())]
                     ).resolve_job_def("all")


def _open_databases(folder: Path) -> int:
    """The SQLite databases in `folder` this process has open."""
    open_files = set()
    for fd in list(Path("/proc/self/fd").iterdir()):
        try:
            open_files.add(os.readlink(fd))
        except OSError:  # closed since it was listed (the listing's own)
            continue
    return sum(1 for f in open_files if f.startswith(str(folder)) and f.endswith(".db"))


def test_runs_stored_through_kept_engines_read_back_whole_by_a_new_instance_and_by_dagsters_own_storage(
        tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    home = dagster_home()
    folder = home / "history" / "runs"
    instance = dg.DagsterInstance.get()
    assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)

    run_ids, logged = [], {}
    for _ in range(RUNS):
        result = JOB.execute_in_process(instance=instance)
        assert result.success
        run_ids.append(result.run_id)
        logged[result.run_id] = [e.dagster_event_type for e in instance.all_logs(result.run_id)]
    # the index and the last runs' databases stay open, not one per run ever stored
    assert 1 <= _open_databases(folder) <= KEPT_ENGINES
    instance.dispose()
    assert _open_databases(folder) == 0

    later = dg.DagsterInstance.get()
    stock = SqliteEventLogStorage(str(folder))
    for run_id in run_ids:
        assert [e.dagster_event_type for e in later.all_logs(run_id)] == logged[run_id]
        assert [e.dagster_event_type for e in stock.get_logs_for_run(run_id)] == logged[run_id]
    materializations = [t for t in logged[run_ids[0]] if t == dg.DagsterEventType.ASSET_MATERIALIZATION]
    assert len(materializations) == len(TABLES)
    latest = later.get_latest_materialization_event(dg.AssetKey("table_5"))
    assert latest.run_id == run_ids[-1]
    assert latest.asset_materialization.metadata["rows"].value == 5
    check = later.event_log_storage.get_latest_asset_check_execution_by_key(
        [dg.AssetCheckKey(dg.AssetKey("table_3"), "rows")])[dg.AssetCheckKey(dg.AssetKey("table_3"), "rows")]
    assert check.run_id == run_ids[-1] and check.evaluation.passed is False
    later.dispose()
