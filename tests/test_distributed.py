"""The parse on a dask.distributed cluster (issue 17): a local cluster of two worker processes runs the parse
tasks, and every published table is the same, row for row, as when the whole job runs in one process."""
from __future__ import annotations

import io
import os
import tarfile
from concurrent.futures import Executor
from itertools import islice
from pathlib import Path

import duckdb
from distributed import Client, LocalCluster

from pipeline import listing, parsing, scheduling
from pipeline.generations import Layout, code_versions
from pipeline.publishing import PUBLISHED_TABLES, publish
from pipeline.staging import StagingLimits
from tests.conftest import CORPUS

ARCHIVE = CORPUS / "ctgov_legacy_xml_2023.tar.xz"
WORKERS = 2
STRIDE, FILES, MEMBERS = 20, 150, 150  # real records: a task of files, and an archive cut into one share per worker
N_TASKS = 1 + WORKERS


def _sample(raw: Path) -> None:
    """Every STRIDE-th record of the 2023 archive (2023 versions of trials registered from the 1990s to 2007,
    some with results): the first FILES as files, the next MEMBERS in an archive of their own."""
    raw.mkdir()
    with tarfile.open(ARCHIVE, "r|xz") as source, tarfile.open(raw / "sample.tar.gz", "w:gz") as packed:
        records = (member for member in source if member.isfile())
        for n, member in enumerate(islice(records, 0, STRIDE * (FILES + MEMBERS), STRIDE)):
            data = source.extractfile(member).read()
            if n < FILES:
                (raw / Path(member.name).name).write_bytes(data)
            else:
                packed.addfile(member, io.BytesIO(data))


def _publish(raw: Path, out: Path, workers: int, executor: Executor | None = None) -> parsing.ParseSummary:
    """Stage, parse (on `executor` when given) and publish, as the job's assets do."""
    layout, versions, limits = Layout(out), code_versions(), StagingLimits()
    listing.stage(raw, layout, limits.max_document_bytes)
    summary = scheduling.parse_pending(raw, layout, None, versions.parser, workers, limits, executor)
    publish(layout, versions)
    return summary


def test_the_parse_on_a_local_dask_cluster_publishes_the_same_tables(tmp_path, monkeypatch):
    raw, cluster_out, local_out = tmp_path / "raw", tmp_path / "cluster", tmp_path / "local"
    _sample(raw)
    monkeypatch.setattr(scheduling, "PARALLEL_MIN_ARCHIVE_BYTES", 0)  # share the sample archive (far below 2 MiB) too
    with LocalCluster(n_workers=WORKERS, processes=True, threads_per_worker=1, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        client.wait_for_workers(WORKERS)
        on_cluster = _publish(raw, cluster_out, WORKERS, client.get_executor())
        ran = client.run(lambda dask_worker: (os.getpid(), dask_worker.state.executed_count))
    in_process = _publish(raw, local_out, 1)

    pids, executed = zip(*ran.values())
    assert os.getpid() not in pids  # the tasks ran in the workers' own processes,
    assert sum(executed) == N_TASKS and min(executed) >= 1  # every one of them, and on both workers
    assert on_cluster == in_process and on_cluster.documents == FILES + MEMBERS

    con, rows = duckdb.connect(), {}
    for table in PUBLISHED_TABLES:
        cluster_rows, local_rows = (f"read_parquet('{out / table}/**/*.parquet')" for out in (cluster_out, local_out))
        (rows[table],), (n_local,), (differing,) = (con.execute(sql).fetchone() for sql in (
            f"select count(*) from {cluster_rows}", f"select count(*) from {local_rows}",
            f"select count(*) from ((from {cluster_rows} except all from {local_rows}) union all "
            f"(from {local_rows} except all from {cluster_rows}))"))
        assert (rows[table], differing) == (n_local, 0), table
    assert rows["trials"] == FILES + MEMBERS
    # one version of each trial, each from one record: no changes between versions, no conflicting sources, and
    # no trial of the sample names another
    assert {table for table, n in rows.items() if not n} == {"trial_changes", "trial_field_conflicts", "trial_links"}
