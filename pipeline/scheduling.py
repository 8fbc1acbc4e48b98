"""The parse step's plan: which documents need parsing, in which tasks, on which workers, and the manifest it
leaves for publishing.

A document is parsed when the live generation's manifest lacks its row (by row_hash) and nobody parsed its content,
or when the live generation could not parse it yet; that diff is kept for publishing (Layout.manifest_changes).
New files are cut into tasks of up to a batch and a share of the bytes, a large archive into a share per worker,
and run on a process pool (or any Executor: docs/scaling.md). How the work is cut changes no row, so this is
merging code, not parser code (generations.BUILD_MODULES): tuning it parses nothing again. One choice made here does
reach rows: of several files with the same content, the first by doc_key is parsed, and a reader of names
(ctgov_archive_xml, sources.READS_NAME) reads that name; changing that choice must change a parser module too.
"""
from __future__ import annotations

import os
import shutil
import signal
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import suppress
from concurrent.futures import Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from pathlib import Path

import duckdb

from pipeline import manifest, workers as worker_processes
from pipeline.generations import Generation, Layout, quoted
from pipeline.parsing import BATCH_SIZE, CONTENTS, CONTENTS_BY_DOCUMENT, ParseSummary, Task, run_task
from pipeline.staging import StagingLimits
from pipeline.storage import atomic_path

# A task's share of new files: at most FILES_PER_TASK files and, past its first file, about 1/TASKS_PER_WORKER of a
# worker's bytes, within TASK_BYTES, so that the workers finish together. Each batch's pandera checks cost about 0.15 s
# whatever its size (a collect per check and column): at 500 files a task they took a fifth of parsing legacy XML
# files, hence tasks of up to a batch. By count alone, an export of 500 trials a file made 200 files one task of
# 100,000 records, parsed by one process holding them all, hence the bytes; at 32 MB (10,000 ICTRP records) the last
# task ran alone for seconds, at 16 MB (1,150 legacy XML records, 5,000 ICTRP ones) neither form loses.
FILES_PER_TASK = BATCH_SIZE
TASK_BYTES = (4 * 1024 * 1024, 16 * 1024 * 1024)
TASKS_PER_WORKER = 4
# Below this much new content a run parses in its own process: starting workers (spawn, imports) costs more than it
# saves (some 300 legacy XML records, 700 records as page text)
PARALLEL_MIN_BYTES = 4 * 1024 * 1024
PARALLEL_MIN_ARCHIVE_BYTES = 2 * 1024 * 1024  # compressed: some 2,000 registry records


def incoming_segments(layout: Layout, parser: str) -> list[Path]:
    """Segments of this parser version waiting to be taken in (others' rows are deleted: they will never be)."""
    if not layout.incoming_dir.is_dir():
        return []
    segments = []
    for path in sorted(layout.incoming_dir.iterdir()):
        if path.name.startswith(f"{parser}-"):
            segments.append(path)
        else:
            shutil.rmtree(path, ignore_errors=True)
    return segments


def parse_pending(raw_dir: Path, layout: Layout, previous: Generation | None, parser: str, workers: int,
                  limits: StagingLimits, executor: Executor | None = None) -> ParseSummary:
    """Parse every document of the staged manifest whose content neither the live generation nor a waiting
    segment holds, read the new and changed archives, and write the complete manifest for publishing.

    `executor` runs the tasks in place of this machine's process pool: any concurrent.futures Executor whose
    workers see the raw and output folders (a dask.distributed `client.get_executor()`, see docs/scaling.md);
    `workers` still says into how many shares a large archive is cut."""
    suspects = _left_reading(layout)
    shutil.rmtree(layout.listings_dir, ignore_errors=True)  # a killed run's: its archives are read again
    shutil.rmtree(layout.changes_dir, ignore_errors=True)  # another manifest's
    if _built_from_staged(layout, previous, parser):
        _manifest_as_staged(layout)
        return ParseSummary()
    con = duckdb.connect()
    try:
        # views, read by need: a run with no archive reads two columns of the known contents, not all of them
        con.execute(f"create view staged as select * from read_parquet({quoted(layout.staged_manifest)})")
        # contents already parsed (`parsed`), and where the live generation found each archive's members
        known_sources = ["select null::varchar as sha256, null::varchar as source_path, "
                         "null::varchar as container_sha256, false as parsed where false"]
        if previous is not None:
            known_sources.append(f"select sha256, source_path, container_sha256, content_id is not null "
                                 f"from {documents_rows(previous)}")
        segments = incoming_segments(layout, parser)
        if segments:
            files = ", ".join(quoted(s / f"{CONTENTS}.parquet") for s in segments)
            known_sources.append(f"select sha256, null, null, true from read_parquet([{files}])")
        con.execute(f"create view known as {' union all '.join(known_sources)}")
        # what may need parsing: the rows the live generation's manifest lacks (by their row_hash, not a join of
        # 600,000 paths and hashes) and its documents it could not parse yet; of those, content no one parsed
        candidates = "staged"
        diffed = previous is not None and previous.manifest.exists()
        if diffed:  # kept for publishing (below): the same diff, made once
            manifest_diff(con, "staged", previous)
            candidates = "added"
        con.execute(f"create table candidates as select * from {candidates} where not is_archive and error is null")
        new_files = con.execute("""
            select first(doc_key order by doc_key), first(path order by doc_key), sha256, any_value(n_bytes)
            from candidates
            where sha256 not in (select sha256 from known where parsed and sha256 in (select sha256 from candidates))
            group by sha256 order by 1""").fetchall()
        # an archive is unchanged when the live generation listed its members under the same path and sha256
        archives = con.execute("select source_path, sha256 from staged where is_archive order by 1").fetchall()
        kept = [path for (path,) in con.execute("""
            select s.source_path from staged s where s.is_archive
              and exists (select 1 from known k where k.source_path = s.source_path and k.container_sha256 = s.sha256)
            order by 1""").fetchall()] if archives else []
        changed_archives = [(p, sha) for p, sha in archives if p not in set(kept)]
        # what a changed archive's task need not parse again: the members the live generation listed for it, and
        # the contents of waiting segments (parsed by a run whose publishing failed; their source_path is null)
        previous_listing = {}
        for path, _ in changed_archives:
            previous_listing[path] = frozenset(sha for (sha,) in con.execute(
                "select sha256 from known where parsed and (source_path = ? and container_sha256 is not null "
                "or source_path is null)", [path]).fetchall())
        tasks = _tasks(raw_dir, layout, parser, limits, workers, new_files, changed_archives, previous_listing)
        summary, listings = _run(tasks, workers, executor, isolated=bool(suspects))
        con.register("no_members", manifest.table([]))
        kept_rows = ("select doc_key, source_path, member, sha256, n_bytes, path_error as error, container_sha256, "
                     "false as is_archive, null::blob as path, row_hash "
                     f"from {documents_rows(previous)} where container_sha256 is not null"
                     if previous is not None and kept else None)
        parts = ["select * from staged where not is_archive", "select * from no_members"]
        if listings:  # members of archives read, and files that changed since staging (their rows replace staged)
            con.execute(f"create view listed as select * from read_parquet([{', '.join(map(quoted, listings))}])")
            parts = [parts[0] + " and doc_key not in (select doc_key from listed)", parts[1], "select * from listed"]
        if kept_rows:
            parts.append(f"select distinct on (doc_key) * from ({kept_rows}) where source_path in "
                         f"({', '.join(map(quoted, kept))})")
        if kept or listings:
            with atomic_path(layout.manifest) as tmp:
                con.execute(f"copy ({' union all by name '.join(parts)} order by doc_key) to {quoted(tmp)} "
                            "(format parquet)")
        else:  # no archive, no member rows: the manifest is the staged listing as it is (sorted by doc_key)
            _manifest_as_staged(layout)
        if diffed and not (kept or listings):  # the diff is this manifest's: publishing need not make it again
            with atomic_path(layout.manifest_changes(previous)) as tmp:
                con.execute(f"copy changed to {quoted(tmp)} (format parquet)")
    finally:
        con.close()
    shutil.rmtree(layout.listings_dir, ignore_errors=True)
    return summary


def _manifest_as_staged(layout: Layout) -> None:
    """The staged listing as the manifest: a hard link (every writer of either replaces the file, never writes into
    it), not a copy of 50 MB at 600,000 files."""
    with atomic_path(layout.manifest) as tmp:
        os.link(layout.staged_manifest, tmp)


def _built_from_staged(layout: Layout, previous: Generation | None, parser: str) -> bool:
    """Whether the live generation was built from a manifest identical to the staged listing and parsed all of it,
    with no segment waiting: then there is nothing to parse, and no need to join the listing with its documents
    (a second at 600,000 files). Only a folder without archives qualifies: an archive's manifest lists its members."""
    if previous is None or incoming_segments(layout, parser) or not previous.built_from(layout.staged_manifest):
        return False
    with duckdb.connect() as con:
        (unparsed,) = con.execute(f"select count(*) from ({unparsed_documents(previous)})").fetchone()
    return unparsed == 0


def documents_rows(generation: Generation) -> str:
    """The per-document rows of a generation (its manifest joined to what each content parsed into)."""
    return f"read_parquet({quoted(generation.rows_dir(CONTENTS_BY_DOCUMENT) / '*.parquet')})"


def unparsed_documents(generation: Generation) -> str:
    """The doc_keys of a generation's readable documents it holds no parsed content for (published before their
    parse step ran): the next run parses them whatever else changed."""
    return f"select doc_key from {documents_rows(generation)} where path_error is null and content_id is null"


def manifest_diff(con: duckdb.DuckDBPyConnection, manifest: str, generation: Generation,
                  was: str | None = None) -> None:
    """The diff of `manifest` (a relation) with `was` (by default the manifest the generation was built from), as
    tables: `added`, the manifest's rows added or changed since and those of the generation's documents it holds no
    parsed content for; `changed`, their doc_keys and those removed or changed. A row is changed unless the other
    side has its row_hash (manifest.DIFF_KEYS): the same diff as EXCEPT on those columns but for a 64-bit hash
    collision, in half the time of hashing them here (600,000 rows: 0.20 → 0.10 s). The hashes on one side only are
    found first, in one join, and the rows by them: a condition `row_hash not in (…) or …` made DuckDB read every
    column of every row (the parse step's diff of 600,000 rows, one file added: 0.27 → 0.14 s)."""
    was = was or f"read_parquet({quoted(generation.manifest)})"
    con.execute(f"""
        create table one_side as select m.row_hash as added, w.row_hash as removed
        from (select row_hash from {manifest}) m full join (select row_hash from {was}) w on m.row_hash = w.row_hash
        where m.row_hash is null or w.row_hash is null""")
    con.execute(f"""
        create table added as select * from {manifest} semi join (
          select added as row_hash from one_side where added is not null
          union all select row_hash from {manifest} where doc_key in ({unparsed_documents(generation)}))
        using (row_hash)""")
    con.execute(f"""
        create table changed as select doc_key from added union
        select doc_key from {was} semi join (select removed as row_hash from one_side where removed is not null)
          using (row_hash)""")


def _tasks(raw_dir, layout, parser, limits, workers, new_files, archives, previous_listing) -> list[Task]:
    # the raw folder resolved, as the stage step listed it: a worker elsewhere opens the files by it (listing.Listing)
    base = dict(raw_dir=os.path.realpath(raw_dir), incoming=str(layout.incoming_dir), listings=str(layout.listings_dir),
                parser=parser, limits=limits)
    tasks = [Task(**base, files=share) for share in _shares(new_files, workers)]
    for path, sha in archives:
        # a large archive is shared between the workers, each reading it and parsing its own members
        parts = workers if (raw_dir / path).stat().st_size >= PARALLEL_MIN_ARCHIVE_BYTES else 1
        tasks += [Task(**base, archive=path, container=sha, part=i, parts=parts, known=previous_listing[path])
                  for i in range(parts)]
    layout.listings_dir.mkdir(parents=True, exist_ok=True)
    run = uuid.uuid4().hex[:12]  # a worker of a run killed before may still be finishing its task
    names = [f"{run}-{i}" for i in range(len(tasks))]
    return [replace(task, name=name, reading=str(layout.listings_dir / f"{READING}{name}"))
            for name, task in zip(names, tasks)]


READING = ".reading-"  # Task.reading's files, in the listings folder
WATCH_SECONDS = 1.0  # how often the parse step looks at its workers' reading files
MAX_DEATHS_ALONE = 3  # documents a task's lone worker may die on before the machine, not the input, is blamed


def _left_reading(layout: Layout) -> set[str]:
    """The documents a run's process died reading (a task's `reading` file left behind): the next run parses in
    worker processes, where a document a worker dies on again is quarantined (_alone). A run killed by hand leaves
    one too; its document then parses as any other."""
    if not layout.listings_dir.is_dir():
        return set()
    return {sha for path in layout.listings_dir.glob(f"{READING}*") if (sha := _reading(path)[0])}


def _reading(path: Path) -> tuple[str, int]:
    """The sha256 and the pid a task's reading file holds (("", 0) when it holds none, or is gone)."""
    try:
        sha, _, pid = path.read_text(errors="replace").strip().partition(" ")
    except FileNotFoundError:
        return "", 0
    return sha, int(pid) if pid.isdigit() else 0


def _shares(new_files: list[tuple], workers: int) -> Iterator[tuple[tuple, ...]]:
    """New files (rel, path, sha256, n_bytes) in order, cut at FILES_PER_TASK files or at a share of the bytes."""
    low, high = TASK_BYTES
    limit = min(high, max(low, sum(file[3] for file in new_files) // (workers * TASKS_PER_WORKER)))
    share, n_bytes = [], 0
    for file in new_files:
        if share and (len(share) == FILES_PER_TASK or n_bytes + file[3] > limit):
            yield tuple(share)
            share, n_bytes = [], 0
        share.append(file)
        n_bytes += file[3]
    if share:
        yield tuple(share)


def _run(tasks: list[Task], workers: int, executor: Executor | None = None,
         isolated: bool = False) -> tuple[ParseSummary, list[Path]]:
    """Run the tasks on `executor`; without one, on a process pool when there is enough work (or when the run must
    be `isolated`: a run before died reading a document), else here, where a hang ends the process
    (parsing._HangExit) and so makes the next run isolated."""
    if executor is not None:
        return _summed(executor.map(run_task, tasks))
    n_bytes = sum(size for t in tasks for *_, size in t.files)
    parallel = workers > 1 and len(tasks) > 1 and (n_bytes >= PARALLEL_MIN_BYTES or any(t.parts > 1 for t in tasks))
    if parallel or isolated and tasks:
        return _summed(_pooled(tasks, workers))
    return _summed(run_task(replace(task, exit_on_hang=True)) for task in tasks)


def _pooled(tasks: list[Task], workers: int) -> list[tuple[ParseSummary, Path | None]]:
    """The tasks' results from a pool of workers. When a worker dies the pool stops them all: the tasks no worker
    started run again on a new pool, and those started (one of them on the document that killed its worker) each
    alone, a document the watch stopped for hanging quarantined unread at once (read again, it would hang again)."""
    done, died = [], []
    with worker_processes.pool(workers) as pool:
        futures = []
        for task in tasks:
            try:
                futures.append(pool.submit(run_task, task))
            except BrokenProcessPool:  # a worker died already: this task and the rest were never sent
                break
        hung = _wait(futures, tasks, pool)
        for task, future in zip(tasks, futures):
            try:
                done.append(future.result())
            except BrokenProcessPool:
                died.append(task)
    died += tasks[len(futures):]
    started = [replace(task, crashed=task.crashed | {hung[task.reading]}) if task.reading in hung else task
               for task in died if os.path.exists(task.reading)]
    unstarted = [task for task in died if not os.path.exists(task.reading)]
    if died and not started:
        raise RuntimeError("the parse workers died before reading any document")
    return [*done, *(_pooled(unstarted, workers) if unstarted else []), *map(_alone, started)]


def _alone(task: Task) -> tuple[ParseSummary, Path | None]:
    """Run a task in a worker of its own until it finishes: each document its worker dies on (named by the task's
    `reading` file) is quarantined unread, and the task run again (parsing only what its attempts before did not
    write: run_task)."""
    while True:
        Path(task.reading).unlink(missing_ok=True)  # the attempt before's: a death before the next reads nothing
        with worker_processes.pool(1) as pool:
            future = pool.submit(run_task, task)
            _wait([future], [task], pool)
            try:
                return future.result()
            except BrokenProcessPool:
                culprit, _ = _reading(Path(task.reading))
        what = task.archive or "new files"
        if not culprit or culprit in task.crashed:  # it died outside any document: not the input's doing
            raise RuntimeError(f"a parse worker died outside any document ({what})")
        if len(task.crashed) == MAX_DEATHS_ALONE:
            raise RuntimeError(f"a parse worker died on {MAX_DEATHS_ALONE + 1} documents in turn ({what}): more likely "
                               "the machine (its memory) than the documents, so the run stops")
        task = replace(task, crashed=task.crashed | {culprit})


def _wait(futures: list[Future], tasks: list[Task], pool: ProcessPoolExecutor) -> dict[str, str]:
    """Wait for the futures (those of the tasks, in order), and stop (SIGKILL) a worker of the pool whose reading file
    has named one document for the limits' hang_seconds: a hang the alarm cannot stop (in native code) then ends as a
    death does, and the document is quarantined. Returns the documents so stopped (reading file → sha256)."""
    held: dict[str, tuple[tuple[str, int], float]] = {}  # reading file → (what it holds, since when)
    killed: set[int] = set()
    stopped: dict[str, str] = {}
    pending = set(futures)
    while pending:
        _, pending = wait(pending, timeout=WATCH_SECONDS)
        live = set(getattr(pool, "_processes", None) or ())  # (the pool's own record of its workers' pids)
        now = time.monotonic()
        for task in (task for task, future in zip(tasks, futures) if future in pending):
            content = _reading(Path(task.reading))
            if content != held.get(task.reading, (None, 0.0))[0]:
                held[task.reading] = (content, now)
                continue
            hung = now - held[task.reading][1] > task.limits.hang_seconds
            if hung and content[1] in live - killed:
                killed.add(content[1])
                stopped[task.reading] = content[0]
                with suppress(ProcessLookupError):
                    os.kill(content[1], signal.SIGKILL)
    return stopped


def _summed(results: Iterable[tuple[ParseSummary, Path | None]]) -> tuple[ParseSummary, list[Path]]:
    summary, listings = ParseSummary(), []
    for task_summary, listing in results:
        summary.add(task_summary)
        listings += [listing] if listing else []
    return summary, listings
