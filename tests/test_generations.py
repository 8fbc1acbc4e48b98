"""Publishing is whole or not at all, one writer at a time, and costs what changed (issue 13 items 6–7, issue 17).

A run killed anywhere in publishing leaves the previous output readable and consistent across tables, and
`status` still reports the change; readers see the whole old output or the whole new one; a second writer is
refused with the holder named, and the lock of a killed writer is taken over; one changed file rewrites the file
holding its trial's bucket, and a corpus writes as many files per table as its size calls for.
"""
from __future__ import annotations

import csv
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
import zipfile
from pathlib import Path

import duckdb
import orjson
import polars as pl
import pyarrow.parquet as pq
import pytest

from pipeline.cli import main
from pipeline import generations, parsing, publishing, scheduling
from pipeline.generations import Generation
from pipeline.storage import bucket_of
from tests.conftest import CORPUS, REPO, SEEDS, amend_title, query, run_job

XML = sorted((CORPUS / "ctgov_xml").glob("*.xml"))[:12]


@pytest.fixture
def many_files(monkeypatch):
    """A file per document or so (12 documents: 16 files per table), so that files can be told apart."""
    monkeypatch.setattr(generations, "DOCUMENTS_PER_FILE", 1)


def _file_of(generation: Path, trial_id: str) -> str:
    """The name of the file holding a trial's rows in a generation."""
    return f"b{bucket_of(trial_id) % Generation(generation).files:03d}.parquet"


def _same_as_a_fresh_build(raw: Path, out: Path, fresh: Path) -> None:
    assert run_job(raw, fresh).success
    for table in publishing.PUBLISHED_TABLES:
        sql = f"select * from {table} order by all"
        assert query(out, sql) == query(fresh, sql), table


def _consistent(out: Path) -> tuple[int, int]:
    """(trials, parsed documents) after checking that every table of the warehouse is of one generation."""
    trials, parsed, orphans, unlisted = query(out, """
        select (select count(*) from trials),
               (select count(*) from documents where status = 'parsed'),
               (select count(*) from conditions where trial_id not in (select trial_id from trials))
               + (select count(*) from eligibility_criteria where trial_id not in (select trial_id from trials)),
               (select count(*) from trials t where not exists
                  (select 1 from documents d where d.trial_id = t.trial_id and d.status = 'parsed'))""")[0]
    assert orphans == 0 and unlisted == 0
    return trials, parsed


def _killed_run(raw: Path, out: Path, function: str, after: int) -> int:
    """Run the job in a child process that kills itself (SIGKILL) on the `after`-th call of `function`."""
    module, name = function.rsplit(".", 1)
    script = textwrap.dedent(f"""
        import os, signal, sys
        import {module} as target
        from pipeline.cli import main
        original, calls = target.{name}, [0]
        def dying(*args, **kwargs):
            calls[0] += 1
            if calls[0] >= {after}:
                os.kill(os.getpid(), signal.SIGKILL)
            return original(*args, **kwargs)
        target.{name} = dying
        sys.exit(main(["run", "--raw-dir", {str(raw)!r}, "--out-dir", {str(out)!r}, "--workers", "1"]))
    """)
    return subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                          env={**os.environ}).returncode


@pytest.fixture(autouse=True)
def dagster_home(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))


@pytest.mark.parametrize("function, after, switched", [
    ("pipeline.publishing._copy_by_bucket", 1, False),  # writing the first rows of the new generation
    ("pipeline.publishing._copy_by_bucket", 20, False),  # half-way through the tables
    ("pipeline.publishing.build_warehouse", 1, False),  # every table written, the warehouse not yet
    ("pipeline.generations._replace_symlink", 1, False),  # about to switch the pointer
    ("pipeline.publishing.remove_old_generations", 1, True),  # just after the switch, before cleaning up
])
def test_a_run_killed_while_publishing_leaves_one_whole_output(tmp_path, function, after, switched):
    raw, out = tmp_path / "raw", tmp_path / "out"
    shutil.copytree(SEEDS, raw)
    assert main(["run", "--raw-dir", str(raw), "--out-dir", str(out), "--workers", "1"]) == 0
    before = _consistent(out)
    for path in XML:
        shutil.copy(path, raw / path.name)
    assert _killed_run(raw, out, function, after) == -signal.SIGKILL
    state = _consistent(out)
    assert state == ((before[0] + len(XML), before[1] + len(XML)) if switched else before)
    assert main(["status", "--raw-dir", str(raw), "--out-dir", str(out)]) == 0
    assert main(["run", "--raw-dir", str(raw), "--out-dir", str(out), "--workers", "1"]) == 0
    assert _consistent(out) == (before[0] + len(XML), before[1] + len(XML))


def test_the_generation_live_before_a_run_is_kept_for_its_readers_and_a_killed_runs_unfinished_one_removed(tmp_path):
    """A run killed before its switch leaves an unfinished generation numbered after the live one; the next run keeps
    the generation that was live until it switched (a reader may still be on it) and removes the unfinished one."""
    raw, out = tmp_path / "raw", tmp_path / "out"
    shutil.copytree(SEEDS, raw)
    assert main(["run", "--raw-dir", str(raw), "--out-dir", str(out), "--workers", "1"]) == 0
    first = (out / ".current").resolve()
    shutil.copy(XML[0], raw / XML[0].name)
    assert _killed_run(raw, out, "pipeline.publishing.build_warehouse", 1) == -signal.SIGKILL
    (unfinished,) = [p for p in (out / ".generations").iterdir() if p.name.isdigit() and p.resolve() != first]
    shutil.copy(XML[1], raw / XML[1].name)
    assert main(["run", "--raw-dir", str(raw), "--out-dir", str(out), "--workers", "1"]) == 0
    live = (out / ".current").resolve()
    kept = sorted(p.name for p in (out / ".generations").iterdir() if p.name.isdigit())
    assert kept == sorted([first.name, live.name])
    assert int(live.name) > int(unfinished.name) > int(first.name)
    assert not unfinished.exists()


def test_status_after_a_killed_run_still_lists_the_change(tmp_path, capsys):
    raw, out = tmp_path / "raw", tmp_path / "out"
    shutil.copytree(SEEDS, raw)
    assert main(["run", "--raw-dir", str(raw), "--out-dir", str(out), "--workers", "1"]) == 0
    shutil.copy(XML[0], raw / XML[0].name)
    assert _killed_run(raw, out, "pipeline.publishing.build_warehouse", 1) == -signal.SIGKILL
    capsys.readouterr()
    assert main(["status", "--raw-dir", str(raw), "--out-dir", str(out)]) == 0
    assert f"new      {XML[0].name}" in capsys.readouterr().out


def test_readers_see_the_old_or_the_new_output_never_a_mix(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    shutil.copytree(SEEDS, raw)
    assert run_job(raw, out).success
    small = _consistent(out)
    for path in XML:
        shutil.copy(path, raw / path.name)
    assert run_job(raw, out).success
    large = _consistent(out)
    seen, stop, errors = [], threading.Event(), []

    def read():
        while not stop.is_set():
            try:
                seen.append(_consistent(out))
            except AssertionError as exc:
                errors.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for i in range(4):  # the corpus shrinks and grows again: each run publishes a new generation
            for path in XML:
                (raw / path.name).unlink() if i % 2 == 0 else shutil.copy(path, raw / path.name)
            assert run_job(raw, out).success
    finally:
        stop.set()
        reader.join()
    assert not errors
    assert seen and set(seen) <= {small, large}


def test_a_second_writer_is_refused_with_the_holder_named_and_a_dead_holders_lock_is_taken_over(tmp_path, capsys):
    raw, out = tmp_path / "raw", tmp_path / "out"
    shutil.copytree(SEEDS, raw)
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import time
            from pipeline.lock import writer_lock
            with writer_lock(__import__("pathlib").Path({str(out / '.state' / 'writer.lock')!r})):
                print("held", flush=True)
                time.sleep(120)""")], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        capsys.readouterr()
        assert main(["run", "--raw-dir", str(raw), "--out-dir", str(out), "--workers", "1"]) == 3
        message = capsys.readouterr().err
        assert f"another run is writing to {out}" in message and f"pid {holder.pid}" in message
        started = time.monotonic()
        assert main(["run", "--raw-dir", str(raw), "--out-dir", str(out), "--workers", "1", "--wait", "1"]) == 3
        assert time.monotonic() - started >= 1
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert main(["run", "--raw-dir", str(raw), "--out-dir", str(out), "--workers", "1"]) == 0
    assert _consistent(out) == (3, 3)


def test_one_changed_file_rewrites_only_its_trials_file_and_nothing_changed_publishes_nothing(tmp_path, many_files):
    raw, out = tmp_path / "raw", tmp_path / "out"
    for path in XML:
        shutil.copy(path, raw.mkdir(exist_ok=True) or raw / path.name)
    assert run_job(raw, out).success
    first = (out / ".current").resolve()
    assert run_job(raw, out).success
    assert (out / ".current").resolve() == first  # nothing changed: no new generation at all

    amend_title(raw / XML[0].name)
    assert run_job(raw, out).success
    second = (out / ".current").resolve()
    assert second != first
    assert query(out, f"select brief_title like 'AMENDED %' from trials where trial_id = '{XML[0].stem}'") == [(True,)]
    changed = _file_of(second, XML[0].stem)
    for table in ("trials", "conditions", "documents"):
        files = sorted((second / table).glob("b*.parquet"))
        assert len(files) > 1 and changed in {f.name for f in files}
        for path in files:
            same_inode = path.stat().st_ino == (first / table / path.name).stat().st_ino
            assert same_inode == (path.name != changed), (table, path.name)


def test_one_changed_file_keeps_the_files_of_every_table_where_its_trial_has_no_row(tmp_path):
    """In the rewritten file (one per table here, shared by 12 trials), a table where the changed trial has no row,
    before or after, keeps the previous generation's file (a hard link); the per-document rows behind the tables keep
    theirs and take the changed document's rows as a file of their own; every table reads as a fresh build's."""
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    for path in XML:
        shutil.copy(path, raw / path.name)
    assert run_job(raw, out).success
    first = (out / ".current").resolve()
    amend_title(raw / XML[0].name)
    assert run_job(raw, out).success
    second = (out / ".current").resolve()
    kept, rewritten = set(), set()
    for folder in [*second.iterdir(), second / "_rows" / parsing.CONTENTS_BY_DOCUMENT]:
        before, after = first / folder.relative_to(second) / "b000.parquet", folder / "b000.parquet"
        if not after.exists() or "trial_id" not in pq.read_schema(after).names:
            continue
        (rows,) = duckdb.execute(f"select count(*) from read_parquet(['{before}', '{after}']) "
                                 f"where trial_id = '{XML[0].stem}'").fetchone()
        (rewritten if rows else kept).add(str(folder.relative_to(second)))
        assert (after.stat().st_ino == before.stat().st_ino) == (rows == 0), folder.name
    assert {"trials", "eligibility_criteria", "_rows/_documents"} <= rewritten
    assert "outcome_measurements" in kept
    for table in ("trials", "eligibility_criteria", "outcome_measurements"):
        folder = second / "_rows" / table
        assert (folder / "b000.parquet").stat().st_ino == (first / "_rows" / table / "b000.parquet").stat().st_ino
        appended = duckdb.execute(f"select distinct trial_id from read_parquet('{folder}/b000.*.parquet')").fetchall() \
            if (folder / "b000.1.parquet").exists() else []
        assert appended == ([] if table == "outcome_measurements" else [(XML[0].stem,)]), table
    _same_as_a_fresh_build(raw, out, tmp_path / "fresh")


def test_per_document_rows_appended_by_changes_are_merged_again_at_their_limit_and_read_as_a_fresh_build(
        tmp_path, monkeypatch):
    """A document changed (its new rows appended in a file of their own), changed back (its first rows are still in
    the file: nothing is added), changed again (appended), and back again: its number holds 3 files, the limit, so its
    rows are merged into one file, without those no live document has. Each time, the tables read as a fresh build's."""
    monkeypatch.setattr(publishing, "MAX_ROW_FILES", 3)
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    for path in XML:
        shutil.copy(path, raw / path.name)
    assert run_job(raw, out).success
    target = raw / XML[0].name
    original = target.read_bytes()
    expected = [["b000.1.parquet", "b000.parquet"]] * 2 + [["b000.1.parquet", "b000.2.parquet", "b000.parquet"],
                                                          ["b000.parquet"]]
    changes = [lambda: amend_title(target), lambda: target.write_bytes(original), lambda: amend_title(target, "AGAIN "),
               lambda: target.write_bytes(original)]
    for i, change in enumerate(changes):
        change()
        assert run_job(raw, out).success
        rows = (out / ".current").resolve() / "_rows" / "trials"
        assert sorted(p.name for p in rows.glob("*.parquet")) == expected[i]
        _same_as_a_fresh_build(raw, out, tmp_path / f"fresh{i}")
    (trials,) = duckdb.execute(f"select count(*) from read_parquet('{rows}/*.parquet')").fetchone()
    assert trials == len(XML)  # the amended contents' rows are gone


def test_the_warehouse_is_readable_through_the_contracts_paths(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    shutil.copytree(SEEDS, raw)
    assert run_job(raw, out).success
    con = duckdb.connect()
    try:
        assert con.execute(f"select count(*) from read_parquet('{out}/trials/**/*.parquet')").fetchone() == (3,)
    finally:
        con.close()


def test_an_exported_warehouse_is_one_file_that_works_anywhere(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    shutil.copytree(SEEDS, raw)
    assert run_job(raw, out).success
    expected = query(out, "select trial_id, enrollment from trials order by 1")
    assert main(["export", "--out-dir", str(out), str(tmp_path / "shared.duckdb")]) == 0
    elsewhere = tmp_path / "co-author"
    elsewhere.mkdir()
    shutil.move(tmp_path / "shared.duckdb", elsewhere / "trials.duckdb")
    shutil.rmtree(out)
    con = duckdb.connect(str(elsewhere / "trials.duckdb"), read_only=True)
    try:
        assert con.execute("select trial_id, enrollment from trials order by 1").fetchall() == expected
        assert con.execute("select count(*) from quarantine").fetchone() == (0,)
    finally:
        con.close()


def test_a_link_made_or_undone_by_one_file_moves_both_trials_clusters_as_a_full_rebuild_would(tmp_path, many_files):
    """Links cross buckets: the trial named by a changed file changes cluster too, though its own file did not."""
    raw, out = tmp_path / "raw", tmp_path / "out"
    a, b = next((x, y) for x in XML for y in XML if bucket_of(x.stem) % 16 != bucket_of(y.stem) % 16)
    for path in XML:
        shutil.copy(path, raw.mkdir(exist_ok=True) or raw / path.name)
    tables = "select * from trial_clusters order by all", "select * from trial_links order by all"

    def rebuilt() -> list[list[tuple]]:
        fresh = tmp_path / f"fresh{len(list(tmp_path.iterdir()))}"
        assert run_job(raw, fresh).success
        return [query(fresh, sql) for sql in tables]

    assert run_job(raw, out).success
    alone = [query(out, sql) for sql in tables]
    assert all(cluster == trial for trial, cluster, _ in alone[0])
    original = (raw / a.name).read_text(encoding="utf-8")
    (raw / a.name).write_text(original.replace("<nct_id>", f"<secondary_id>{b.stem}</secondary_id><nct_id>", 1),
                              encoding="utf-8")
    before = (out / ".current").resolve()
    assert run_job(raw, out).success
    linked = [query(out, sql) for sql in tables]
    assert linked == rebuilt()
    clusters = {trial: cluster for trial, cluster, _ in linked[0]}
    assert clusters[a.stem] == clusters[b.stem] == min(a.stem, b.stem)  # both CT.gov: the lower id stands for it
    assert {(x, y, evidence) for x, y, evidence, _ in linked[1]} == {(a.stem, b.stem, "SECONDARY_ID"),
                                                                     (b.stem, a.stem, "SECONDARY_ID")}
    after = (out / ".current").resolve()
    b_file = _file_of(after, b.stem)
    assert Generation(after).files == 16 and b_file != _file_of(after, a.stem)
    assert (after / "trial_clusters" / b_file).stat().st_ino != (before / "trial_clusters" / b_file).stat().st_ino

    (raw / a.name).write_text(original, encoding="utf-8")
    assert run_job(raw, out).success
    assert [query(out, sql) for sql in tables] == alone == rebuilt()


def _links_published(raw: Path, out: Path, tmp_path: Path) -> list[list[tuple]]:
    """trial_clusters and trial_links after a run on `raw` into `out`, checked against a fresh build's."""
    tables = "select * from trial_clusters order by all", "select * from trial_links order by all"
    assert run_job(raw, out).success
    fresh = tmp_path / f"fresh{len(list(tmp_path.iterdir()))}"
    assert run_job(raw, fresh).success
    found = [query(out, sql) for sql in tables]
    assert found == [query(fresh, sql) for sql in tables]
    return found


def test_links_follow_a_named_trial_that_comes_goes_or_is_redated_and_stay_as_they_were_otherwise(tmp_path, many_files):
    """A named registration arriving or leaving, or a linked one's registration date changing (the earliest
    registered stands for a cluster) change links and clusters, though no identifier changed; a change to an unlinked
    trial keeps the links file of the previous generation. After each run the tables are a full rebuild's."""
    raw, out = tmp_path / "raw", tmp_path / "out"
    a, b = XML[0], XML[4]  # NCT00001177 (registered 1999) names NCT00023673 (2001)
    other = XML[7]
    raw.mkdir()
    for path in XML:
        if path != b:
            shutil.copy(path, raw / path.name)
    (raw / a.name).write_text(a.read_text(encoding="utf-8").replace(
        "<nct_id>", f"<secondary_id>{b.stem}</secondary_id><nct_id>", 1), encoding="utf-8")

    def published() -> list[list[tuple]]:
        return _links_published(raw, out, tmp_path)

    def cluster(found, trial: str) -> str:
        return next(c for t, c, _ in found[0] if t == trial)

    assert published()[1] == []  # a names b, which the inputs do not hold yet
    shutil.copy(b, raw / b.name)
    found = published()
    assert {(x, y) for x, y, _, _ in found[1]} == {(a.stem, b.stem), (b.stem, a.stem)}
    assert cluster(found, b.stem) == a.stem  # registered first

    named = (raw / a.name).read_text(encoding="utf-8")  # a names b; no identifier names a
    (raw / a.name).write_text(named.replace("November 3, 1999", "January 5, 2005").replace(  # submitted and posted
        "November 4, 1999", "January 6, 2005"), encoding="utf-8")
    found = published()
    assert cluster(found, a.stem) == cluster(found, b.stem) == b.stem  # now b was registered first

    def clusters_file() -> Path:
        return out / ".current" / "_rows" / publishing.LINKED_CLUSTERS / "data.parquet"

    inode = clusters_file().stat().st_ino
    amend_title(raw / other.name)
    assert published() == found
    assert clusters_file().stat().st_ino == inode  # the previous generation's, linked: links were not computed
    assert query(out, f"select brief_title like 'AMENDED %' from trials where trial_id = '{other.stem}'") == [(True,)]

    (raw / b.name).unlink()
    found = published()
    assert found[1] == [] and cluster(found, a.stem) == a.stem


def test_a_title_two_registries_share_links_and_unlinks_as_a_full_rebuild_would(tmp_path, many_files):
    """SAME_TITLE links follow a registration that comes, is retitled or goes (ICTRP's rows of NCT04326920 and of
    EUCTR2020-001254-22, SARPAC, one file each, beside 12 XML records); retitling a trial no other goes by keeps the
    previous generation's links."""
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    for path in XML:
        shutil.copy(path, raw / path.name)
    with (CORPUS / "ictrp" / "COVID19-927-trials_7Apr2020.csv").open(encoding="utf-8-sig", newline="") as f:
        header, *rows = list(csv.reader(f))

    def write(name: str, trial_id: str, title: str | None = None) -> None:
        row = next(r for r in rows if r[0].startswith(trial_id))
        if title:
            row = [row[0], title, title, *row[3:]]
        with (raw / name).open("w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows([header, row])


    def published() -> list[list[tuple]]:
        return _links_published(raw, out, tmp_path)

    write("nct.csv", "NCT04326920")
    assert published()[1] == []
    write("eu.csv", "EUCTR2020-001254-22")
    found = published()
    assert {(a, b, evidence) for a, b, evidence, _ in found[1]} == {
        ("NCT04326920", "EUCTR2020-001254-22", "SAME_TITLE"), ("EUCTR2020-001254-22", "NCT04326920", "SAME_TITLE")}
    assert {t: c for t, c, _ in found[0]}["EUCTR2020-001254-22"] == "NCT04326920"

    linked = out / ".current" / "_rows" / publishing.LINKED_CLUSTERS / "data.parquet"
    inode = linked.stat().st_ino
    amend_title(raw / XML[3].name)
    assert published() == found
    assert linked.stat().st_ino == inode  # the previous generation's: links were not computed

    write("eu.csv", "EUCTR2020-001254-22", "Granulocyte-macrophage colony-stimulating factor for hypoxic COVID-19")
    assert published()[1] == []
    write("eu.csv", "EUCTR2020-001254-22")
    assert published() == found
    # both retitled in one change: no trial goes by the title any more
    write("eu.csv", "EUCTR2020-001254-22", "Granulocyte-macrophage colony-stimulating factor for hypoxic COVID-19")
    write("nct.csv", "NCT04326920", "Inhaled sargramostim for acute hypoxic respiratory failure in COVID-19")
    assert published()[1] == []
    write("eu.csv", "EUCTR2020-001254-22")
    write("nct.csv", "NCT04326920")
    assert published() == found
    # a second ClinicalTrials.gov trial going by the title: it tells neither apart
    same = raw / XML[0].name
    title = "<brief_title>Sargramostim in Patients With Acute Hypoxic Respiratory Failure Due to COVID-19</brief_title>"
    same.write_text(re.sub(r"<brief_title>.*?</brief_title>", title, same.read_text(encoding="utf-8"), count=1,
                           flags=re.S), encoding="utf-8")
    assert published()[1] == []
    shutil.copy(XML[0], same)
    assert published() == found
    (raw / "nct.csv").unlink()
    assert published()[1] == []


def test_a_version_of_a_many_version_trial_added_changed_or_removed_publishes_every_table_as_a_fresh_build(tmp_path):
    """A change merges the trials it touched, each with all its documents, and keeps the rows of every other trial
    of the rewritten files as they were (one file per table here: every trial shares the dirty file). Whichever
    version of a trial with many is removed, edited or added back, every table is a fresh build's, the history
    tables and the trials' history columns included, and each trial's rows are in a fresh build's order."""
    raw, out = tmp_path / "raw", tmp_path / "out"
    shutil.copytree(CORPUS / "ctgov_archive_history", raw)
    for path in XML[:4]:
        shutil.copy(path, raw / path.name)

    def by_trial(root: Path, table: str) -> dict[str, list[dict]]:
        """Each trial's rows in the order its table's files hold them (a criterion list reads in order)."""
        rows: dict[str, list[dict]] = {}
        for row in pl.read_parquet(sorted((root / table).glob("*.parquet"))).iter_rows(named=True):
            rows.setdefault(row["trial_id"], []).append(row)
        return rows

    def as_fresh() -> None:
        assert run_job(raw, out).success
        fresh = tmp_path / f"fresh{len(list(tmp_path.iterdir()))}"
        assert run_job(raw, fresh).success
        for table in publishing.PUBLISHED_TABLES:
            sql = f"select * from {table} order by all"
            assert query(out, sql) == query(fresh, sql), table
            if table not in publishing.GLOBAL_TABLES:
                assert by_trial(out, table) == by_trial(fresh, table), table

    as_fresh()
    before = query(out, "select versions from trials where trial_id = 'NCT00077454'")
    latest = sorted((raw / "NCT00077454").glob("*.xml"))[-1]
    kept = latest.read_bytes()
    latest.unlink()
    as_fresh()
    assert query(out, "select count(*) from trial_sources where trial_id = 'NCT00077454'")[0][0] > 1

    middle = sorted((raw / "NCT00504075").glob("*.xml"))[10]
    text = middle.read_text(encoding="utf-8")
    edited = re.sub(r"(<enrollment[^>]*>\s*)(\d+)", lambda m: m.group(1) + str(int(m.group(2)) + 7), text, count=1)
    assert edited != text
    middle.write_text(edited, encoding="utf-8")
    as_fresh()

    latest.write_bytes(kept)
    as_fresh()
    assert query(out, "select versions from trials where trial_id = 'NCT00077454'") == before


def test_a_trial_left_with_one_version_loses_its_changes_and_gets_them_back_as_a_fresh_build(tmp_path):
    """trial_changes' query runs on a change only when a touched trial has two versions or more
    (publishing.ROWS_ONLY_OF); a trial whose second version is removed still loses its rows there, and regains them
    when the version comes back, as a fresh build has them, the other trial's changes in the same file kept."""
    raw, out = tmp_path / "raw", tmp_path / "out"
    for trial in ("NCT01365832", "NCT01597011"):
        shutil.copytree(CORPUS / "ctgov_archive_history" / trial, raw / trial)
    for path in XML[:3]:
        shutil.copy(path, raw / path.name)
    changes = "select count(*) from trial_changes where trial_id = 'NCT01365832'"
    other = "select * from trial_changes where trial_id = 'NCT01597011' order by all"
    assert run_job(raw, out).success
    (before,), others = query(out, changes), query(out, other)
    assert before[0] > 0 and others
    later = {path: path.read_bytes() for path in (raw / "NCT01365832").glob("*_20110603.*")}
    for path in later:
        path.unlink()
    assert run_job(raw, out).success
    assert query(out, changes) == [(0,)] and query(out, other) == others
    _same_as_a_fresh_build(raw, out, tmp_path / "fresh1")
    for path, data in later.items():
        path.write_bytes(data)
    assert run_job(raw, out).success
    assert query(out, changes) == [before]
    _same_as_a_fresh_build(raw, out, tmp_path / "fresh2")


def test_a_change_of_one_version_trials_never_runs_trial_changes_query(tmp_path, monkeypatch):
    """The shortcut itself: with trial_changes' query made to fail, a change touching only a trial of one version
    still publishes (the query is not run, the versioned trial's changes are kept), and one touching the versioned
    trial fails."""
    raw, out = tmp_path / "raw", tmp_path / "out"
    shutil.copytree(CORPUS / "ctgov_archive_history" / "NCT01365832", raw / "NCT01365832")
    for path in XML[:3]:
        shutil.copy(path, raw / path.name)
    assert run_job(raw, out).success
    changes = query(out, "select * from trial_changes order by all")
    assert changes
    queries = publishing.table_queries()
    monkeypatch.setattr(publishing, "table_queries",
                        lambda: queries | {"trial_changes": "select error('trial_changes query ran')"})
    amend_title(raw / XML[0].name)
    assert run_job(raw, out).success
    assert query(out, "select * from trial_changes order by all") == changes
    amend_title(next((raw / "NCT01365832").glob("*_20110603.xml")))
    with pytest.raises(Exception, match="trial_changes query ran"):
        run_job(raw, out)


def test_an_archive_parsed_by_a_run_killed_while_publishing_is_not_parsed_again(tmp_path):
    """The killed run's parsed rows wait as segments; the next run lists the archive's members again but parses none
    of them, and publishes what a fresh run does."""
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    with zipfile.ZipFile(raw / "records.zip", "w") as archive:
        for path in XML:
            archive.write(path, path.name)
    assert _killed_run(raw, out, "pipeline.publishing.build_warehouse", 1) == -signal.SIGKILL
    result = run_job(raw, out)
    assert result.asset_materializations_for_node("parsed_records")[0].metadata["documents_parsed"].value == 0
    assert run_job(raw, tmp_path / "fresh").success
    assert query(out, "select count(*) from trials") == [(len(XML),)]
    for table in ("trials", "documents", "eligibility_criteria"):
        sql = f"select * from {table} order by all"
        assert query(out, sql) == query(tmp_path / "fresh", sql), table


def test_documents_published_before_their_parse_are_taken_in_by_the_next_run(tmp_path):
    """A run diffs only changed documents against the live output; one that published documents it had not parsed
    (their segments gone) must still have them parsed and published next time, as a fresh run would."""
    from pipeline import listing
    from pipeline.generations import Layout, code_versions
    from pipeline.staging import MAX_DOCUMENT_BYTES, StagingLimits

    raw, out = tmp_path / "raw", tmp_path / "out"
    for path in XML:
        shutil.copy(path, raw.mkdir(exist_ok=True) or raw / path.name)
    layout, versions = Layout(out), code_versions()
    listing.stage(raw, layout, MAX_DOCUMENT_BYTES)
    scheduling.parse_pending(raw, layout, None, versions.parser, 1, StagingLimits())
    shutil.rmtree(layout.incoming_dir)  # the parsed rows lost before publishing
    publishing.publish(layout, versions)
    assert query(out, "select count(*), min(error) from documents") == [(len(XML), "not parsed: run the parse step first")]
    assert query(out, "select count(*) from trials") == [(0,)]

    assert run_job(raw, out).success
    assert query(out, "select count(*) from trials") == [(len(XML),)]
    _same_as_a_fresh_build(raw, out, tmp_path / "fresh")



def test_files_changed_or_removed_after_staging_are_published_as_the_parse_step_read_them(tmp_path):
    """Staging lists the folder, the parse step reads it later: a file edited in between is parsed as it then reads
    (its new hash in the manifest, its trial never out of the tables), one removed in between is quarantined as
    unreadable, and the tables are what a run that staged after the edits publishes for the edited files."""
    from pipeline import listing
    from pipeline.generations import Layout, code_versions
    from pipeline.staging import MAX_DOCUMENT_BYTES, StagingLimits

    raw, out = tmp_path / "raw", tmp_path / "out"
    for path in XML[:3]:
        shutil.copy(path, raw.mkdir(exist_ok=True) or raw / path.name)
    edited, removed = raw / XML[0].name, raw / XML[1].name
    layout, versions = Layout(out), code_versions()
    listing.stage(raw, layout, MAX_DOCUMENT_BYTES)
    amend_title(edited, "EDITED ")
    removed.unlink()
    summary = scheduling.parse_pending(raw, layout, None, versions.parser, 1, StagingLimits())
    assert (summary.documents, summary.parsed, summary.quarantined) == (3, 2, 1)
    publishing.publish(layout, versions)

    sha256 = hashlib.sha256(edited.read_bytes()).hexdigest()
    assert query(out, f"select status, sha256 from documents where doc_id = '{edited.name}'") == [("parsed", sha256)]
    assert query(out, f"select status, error from documents where doc_id = '{removed.name}'") == [
        ("quarantined", "not readable: No such file or directory")]
    assert query(out, "select count(*) from trials where brief_title like 'EDITED %'") == [(1,)]
    assert run_job(raw, tmp_path / "fresh").success  # the folder as it now is: the edited file and the third
    sql = "select * from trials order by all"
    assert query(out, sql) == query(tmp_path / "fresh", sql)

def test_a_rebuild_merged_in_parts_publishes_what_one_merge_does(tmp_path, monkeypatch):
    """A large rebuild merges its buckets a part at a time to stay within memory; the parts share nothing, so the
    tables are the same as one merge's (here 12 documents in parts of 3)."""
    from pipeline import publishing

    raw = tmp_path / "raw"
    for path in XML:
        shutil.copy(path, raw.mkdir(exist_ok=True) or raw / path.name)
    assert run_job(raw, tmp_path / "whole").success
    monkeypatch.setattr(publishing, "DOCUMENTS_PER_PART", 3)
    assert run_job(raw, tmp_path / "parts").success
    assert query(tmp_path / "parts", "select count(*) from trials") == [(len(XML),)]
    for table in publishing.PUBLISHED_TABLES:
        sql = f"select * from {table} order by all"
        assert query(tmp_path / "parts", sql) == query(tmp_path / "whole", sql), table


def test_a_small_corpus_writes_one_file_per_table(tmp_path):
    assert run_job(SEEDS, tmp_path / "out").success
    live = (tmp_path / "out" / ".current").resolve()
    assert Generation(live).files == 1
    for table in ("trials", "eligibility_criteria", "documents", "trial_clusters"):
        assert [p.name for p in (live / table).glob("*.parquet")] == ["b000.parquet"], table


def test_a_corpus_growing_past_its_files_is_rewritten_whole_as_a_fresh_build(tmp_path, monkeypatch):
    """4 documents to a file: 4 documents take one file per table, 8 take two, and the run that grows the corpus
    rewrites every file (the buckets are regrouped), though the documents added all fall in one of them, from rows
    parsed before, publishing what a fresh run does; a change after it rewrites one file of the two."""
    monkeypatch.setattr(generations, "DOCUMENTS_PER_FILE", 4)
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    for path in XML[:4]:
        shutil.copy(path, raw / path.name)
    assert run_job(raw, out).success
    assert Generation((out / ".current").resolve()).files == 1
    for path in [x for x in XML[4:] if bucket_of(x.stem) % 2 == 0][:4]:
        shutil.copy(path, raw / path.name)
    result = run_job(raw, out)
    assert result.success
    parsed = result.asset_materializations_for_node("parsed_records")[0].metadata["documents_parsed"].value
    assert parsed == 4  # the first four are not parsed again
    grown = (out / ".current").resolve()
    assert Generation(grown).files == 2
    _same_as_a_fresh_build(raw, out, tmp_path / "fresh")

    amend_title(raw / XML[0].name)
    assert run_job(raw, out).success
    changed = (out / ".current").resolve()
    relinked = {p.name for p in (changed / "trials").glob("b*.parquet")
                if p.stat().st_ino == (grown / "trials" / p.name).stat().st_ino}
    assert relinked == {"b000.parquet", "b001.parquet"} - {_file_of(changed, XML[0].stem)}


def test_the_coverage_check_after_one_changed_file_reads_that_file_and_reports_what_a_fresh_build_does(
        tmp_path, many_files):
    raw, out = tmp_path / "raw", tmp_path / "out"
    for path in XML:
        shutil.copy(path, raw.mkdir(exist_ok=True) or raw / path.name)

    def coverage(result) -> dict:
        (check,) = [e for e in result.get_asset_check_evaluations() if e.check_name == "coverage"]
        return {k: check.metadata[k].value for k in ("criteria", "criteria_with_threshold", "rows_per_variable",
                                                     "implausible_rows")}

    before = coverage(run_job(raw, out))
    changed = next(path for path in XML if "Inclusion Criteria:" in path.read_text(encoding="utf-8"))
    # a file whose trials the change does not touch: its figures are taken from the live generation's record
    kept = next(f"{bucket_of(path.stem) % 16}" for path in XML if bucket_of(path.stem) % 16 != bucket_of(changed.stem) % 16)
    live = (out / ".current").resolve()
    record = orjson.loads((live / publishing.COVERAGE_FILE).read_bytes())
    record[kept]["criteria"] += 1000
    (live / publishing.COVERAGE_FILE).write_bytes(orjson.dumps(record))

    target = raw / changed.name
    target.write_text(target.read_text(encoding="utf-8").replace(
        "Inclusion Criteria:", "Inclusion Criteria:\n\n  -  HbA1c between 7% and 12%\n\n  -  Platelets &lt; 100,000/L\n", 1),
        encoding="utf-8")
    after = coverage(run_job(raw, out))
    fresh = coverage(run_job(raw, tmp_path / "fresh"))
    assert after["criteria"] == fresh["criteria"] + 1000 and fresh["criteria"] == before["criteria"] + 2
    assert {**after, "criteria": 0} == {**fresh, "criteria": 0}
    assert fresh["criteria_with_threshold"] == before["criteria_with_threshold"] + 2
    assert fresh["rows_per_variable"]["hba1c"] == before["rows_per_variable"].get("hba1c", 0) + 1
    assert fresh["implausible_rows"] == before["implausible_rows"] + 1
    assert query(tmp_path / "fresh", "select count(*) from eligibility_criteria") == [(fresh["criteria"],)]


def test_publishing_takes_the_parse_steps_diff_of_its_manifest_and_diffs_anew_when_the_live_one_was_rerecorded(
        tmp_path, monkeypatch):
    """The parse step diffs the staged manifest with the live generation's once (the edited and the deleted file);
    publishing takes that diff rather than making it again and publishes what a fresh build does. A diff is named
    for the generation and the manifest it was made against, and the code that made it: once that generation
    records another manifest, or under other code, it is not found, and publishing diffs for itself."""
    from pipeline import listing
    from pipeline.generations import Layout, Versions, code_versions
    from pipeline.staging import MAX_DOCUMENT_BYTES, StagingLimits

    raw, out = tmp_path / "raw", tmp_path / "out"
    for path in XML[:4]:
        shutil.copy(path, raw.mkdir(exist_ok=True) or raw / path.name)
    assert run_job(raw, out).success
    layout, versions = Layout(out), code_versions()
    live = publishing.live_generation(layout)
    amend_title(raw / XML[0].name)
    (raw / XML[1].name).unlink()
    listing.stage(raw, layout, MAX_DOCUMENT_BYTES)
    scheduling.parse_pending(raw, layout, live, versions.parser, 1, StagingLimits())
    diff = layout.manifest_changes(live)
    assert sorted(pl.read_parquet(diff)["doc_key"]) == sorted([XML[0].name, XML[1].name])

    def diffing_again(*args):
        raise AssertionError("publishing diffed the manifest again")
    with monkeypatch.context() as patched:
        patched.setattr(publishing, "manifest_diff", diffing_again)
        publishing.publish(layout, versions)
    _same_as_a_fresh_build(raw, out, tmp_path / "fresh")

    live = publishing.live_generation(layout)
    amend_title(raw / XML[2].name)
    listing.stage(raw, layout, MAX_DOCUMENT_BYTES)
    scheduling.parse_pending(raw, layout, live, versions.parser, 1, StagingLimits())
    assert layout.manifest_changes(live).exists()
    with monkeypatch.context() as patched:
        patched.setattr(generations, "code_versions", lambda: Versions(versions.parser, "other"))
        assert not layout.manifest_changes(live).exists()
    shutil.copy(live.manifest, tmp_path / "recorded.parquet")
    live.keep_manifest(tmp_path / "recorded.parquet")  # recorded anew, as a publish that finds nothing to merge does
    assert not layout.manifest_changes(live).exists()
    publishing.publish(layout, versions)  # diffs for itself: the edit is published nonetheless
    assert query(out, f"select brief_title like 'AMENDED %' from trials where trial_id = '{XML[2].stem}'") == [(True,)]
