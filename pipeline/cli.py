"""`python -m pipeline` (or `trials`): the Dagster job in-process, and what an analyst asks of its output.

The job is the same one the UI and the sensor run.

  run     stage → parse → validate → publish → warehouse over a raw folder, then print a summary
  status  the raw folder against the last run (new, changed, deleted files) and the quarantined documents
  query   one SELECT over the warehouse, in a DuckDB session that reads the output folder and nothing else:
          a table, or all rows as csv, json or parquet
  report  build report/landscape.html from the warehouse and print its path
  export  write every table into one self-contained DuckDB file (to share: it holds rows, not file paths)
  ui      `dagster dev` with DAGSTER_HOME in the project (.dagster/) and telemetry off; Ctrl-C stops all of it
Exit codes: 0 success (quarantined files are reported, not failures; a check's warning is printed), 1 the run failed
or published a table that fails its schema check (named), 2 bad usage
(a missing raw folder, no warehouse yet, bad SQL, a query that would do more than read the warehouse),
3 another run is writing to the output folder.
"""
from __future__ import annotations

import argparse
import csv
import logging
import os
import shutil
import sys
import threading
import time
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Iterator

# a new DAGSTER_HOME's settings: telemetry off, and Dagster's SQLite event log with its engines kept (each event
# otherwise builds one: pipeline.defs.event_log)
DAGSTER_YAML = """telemetry:
  enabled: false
event_log_storage:
  module: pipeline.defs.event_log
  class: PooledSqliteEventLogStorage
  config:
    dagster_home:
      env: DAGSTER_HOME
"""
EARLIER_DAGSTER_YAML = "telemetry:\n  enabled: false\n"  # what older releases wrote: brought up to date
FIRST_RUN = "run `python -m pipeline run` first"
MAX_TABLE_ROWS = 100
MAX_LISTED = 50
FETCH_ROWS = 10_000
PROGRESS_SECONDS = 5.0
SHUTDOWN_SECONDS = 30.0  # what `ui` gives dagster dev to stop its services before killing what is left
POLL_SECONDS = 0.5


class CliError(Exception):
    """A failure the user can act on: the message is printed as is and the process exits with `code`."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def dagster_home() -> Path:
    """DAGSTER_HOME if set, else .dagster/ in the working directory, with DAGSTER_YAML when new (a dagster.yaml of
    the user's own is left as it is)."""
    home = Path(os.environ.get("DAGSTER_HOME") or Path.cwd() / ".dagster").resolve()
    home.mkdir(parents=True, exist_ok=True)
    settings = home / "dagster.yaml"
    if not settings.exists() or settings.read_text() == EARLIER_DAGSTER_YAML:
        settings.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def connect(out_dir: Path):
    """The output folder's tables in a session that can read OUT and nothing else (pipeline.warehouse),
    or a CliError saying why there are none."""
    from pipeline.warehouse import open_read_only

    try:
        return open_read_only(out_dir)
    except FileNotFoundError:
        raise CliError(2, f"no warehouse at {out_dir / 'warehouse.duckdb'}: {FIRST_RUN}") from None


def _raw_folder(raw_dir: Path) -> None:
    if not raw_dir.is_dir():
        raise CliError(2, f"raw folder {raw_dir} does not exist")


class Progress(threading.Thread):
    """Every few seconds, one line on stderr saying where the run is, read from the files it writes.

    Parsing writes its rows in segments of a few thousand documents each, giving documents per second;
    publishing follows once a new generation folder appears.
    """

    def __init__(self, out_dir: Path, stream: IO[str], interval: float = PROGRESS_SECONDS) -> None:
        super().__init__(daemon=True)
        from pipeline.generations import Layout

        self.layout, self.stream, self.interval = Layout(out_dir), stream, interval
        self.started_wall, self.started = time.time(), time.monotonic()
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.interval):
            self._say(self.line())

    def stop(self, documents: int | None) -> None:
        """The closing line: the documents the run's parse step parsed (None: it did not finish), not those in the
        segments, which publishing has taken in and removed by then."""
        self.done.set()
        self.join()
        elapsed = time.monotonic() - self.started
        self._say("job over: the parse step did not finish" if documents is None else
                  f"job over: {documents:,} documents parsed ({documents / elapsed:,.0f} documents/s overall)")

    def _say(self, line: str) -> None:
        print(f"[{time.monotonic() - self.started:6.0f} s] {line}", file=self.stream, flush=True)

    def _parsed(self) -> int:
        """Documents in the segments written by this run so far."""
        import pyarrow.parquet as pq

        from pipeline.parsing import CONTENTS

        folder = self.layout.incoming_dir
        segments = [p / f"{CONTENTS}.parquet" for p in folder.iterdir()] if folder.is_dir() else []
        return sum(pq.read_metadata(p).num_rows for p in segments
                   if p.exists() and p.stat().st_mtime >= self.started_wall)

    def line(self) -> str:
        folder = self.layout.generations_dir
        if folder.is_dir() and any(p.stat().st_mtime >= self.started_wall for p in folder.iterdir()):
            return "publishing: merging the changed trials into a new generation"
        documents = self._parsed()
        if not documents:
            return "staging the raw folder"
        return f"parsing: {documents:,} documents ({documents / (time.monotonic() - self.started):,.0f} documents/s)"


def run(raw_dir: Path, out_dir: Path, workers: int, progress: bool = False, wait: float = 0.0) -> int:
    """The whole job in-process, holding the output folder's writer lock from start to summary."""
    from pipeline.lock import LockedError, writer_lock
    from pipeline.generations import Layout

    _raw_folder(raw_dir)
    try:
        with writer_lock(Layout(out_dir).lock_file, wait=wait):
            return _run(raw_dir, out_dir, workers, progress)
    except LockedError as exc:
        raise CliError(3, f"{exc}. Wait for it (or pass --wait SECONDS) and try again.") from exc


def _run(raw_dir: Path, out_dir: Path, workers: int, progress: bool) -> int:
    from pipeline import workers as worker_processes

    if workers > 1:
        try:
            worker_processes.start()  # its loading overlaps Dagster's
        except ValueError as exc:  # TRIALS_WORKER_START names no start method
            raise CliError(2, str(exc)) from exc
    import dagster as dg

    from pipeline.definitions import defs
    from pipeline.defs.assets import PARSED
    from pipeline.listing import raw_files

    dagster_home()
    settings = {"raw_dir": str(raw_dir), "out_dir": str(out_dir), "workers": workers}
    reporter = Progress(out_dir, sys.stderr) if progress else None
    if reporter:
        reporter.start()
    result = None
    try:
        result = defs.resolve_job_def("refresh").execute_in_process(
            run_config={"resources": {"settings": {"config": settings}},
                        "loggers": {"console": {"config": {"log_level": "WARNING"}}}},
            instance=dg.DagsterInstance.get(),
            raise_on_error=False,
        )
    finally:
        if reporter:
            parsed = result and result.asset_materializations_for_node("parsed_records")
            reporter.stop(parsed[0].metadata[PARSED].value if parsed else None)
    if not result.success:
        print("run failed; see the errors above", file=sys.stderr)
        return 1
    unpassed = sorted((e.severity == dg.AssetCheckSeverity.ERROR, e.asset_key.to_user_string(), e.check_name,
                       {k: v.value for k, v in e.metadata.items() if k in ("failures", "implausible_rows")})
                      for e in result.get_asset_check_evaluations() if not e.passed)
    con = connect(out_dir)
    try:
        status = dict(con.execute("select status, count(*) from documents group by all").fetchall())
        print(f"documents: {status.get('parsed', 0)} parsed, {status.get('quarantined', 0)} quarantined")
        if not status and not raw_files(raw_dir):
            print(f"the raw folder {raw_dir} has no files: the tables are empty")
        for doc_id, error in con.execute("select doc_id, error from quarantine order by doc_id limit 20").fetchall():
            print(f"  quarantined {doc_id}: {error[:160]}")
        tables = [r[0] for r in con.execute("select table_name from information_schema.tables order by 1").fetchall()]
        for table in tables:
            print(f"{table:>24}: {con.execute(f'select count(*) from {table}').fetchone()[0]} rows")
    finally:
        con.close()
    print(f"warehouse: {out_dir / 'warehouse.duckdb'}")
    for error, table, check, counts in unpassed:  # published, but not as its checks require (or, a warning, expect)
        print(f"check {'failed' if error else 'warning'}: {table} {check}"
              + "".join(f", {n} {name.replace('_', ' ')}" for name, n in counts.items()), file=sys.stderr)
    return 1 if any(error for error, *_ in unpassed) else 0


def _published_documents(out_dir: Path) -> tuple[dict[str, str], dict[str, str]]:
    """The live output's documents: {doc_key: sha256} and {archive path: the archive's sha256}."""
    import duckdb

    from pipeline.publishing import live_generation
    from pipeline.scheduling import documents_rows
    from pipeline.generations import Layout

    generation = live_generation(Layout(out_dir))
    if generation is None:
        raise CliError(2, f"no output in {out_dir}: {FIRST_RUN}")
    con = duckdb.connect()
    try:
        rows = con.execute(f"select distinct doc_key, sha256, source_path, container_sha256 "
                           f"from {documents_rows(generation)}").fetchall()
    finally:
        con.close()
    return ({key: sha for key, sha, _, _ in rows}, {path: container for _, _, path, container in rows if container})


def _current_documents(raw_dir: Path, out_dir: Path, archives: dict[str, str], known: dict[str, str]) -> dict[str, str]:
    """sha256 of every document the raw folder holds now: a file by its path, an archive member as `archive!member`.

    Plain files are hashed through the sensor's cache (only files whose size or mtime changed are read); an
    archive whose own sha256 is the one published keeps its published members, others are read member by member
    as the parse step reads them, or stand as one document when damaged.
    """
    from pipeline.listing import file_hashes, raw_files
    from pipeline.staging import StagingError, archive_members, is_archive, reason_sha256, sha256_stream
    from pipeline.generations import Layout

    current = {}
    listing = raw_files(raw_dir)
    for file, sha in zip(listing.entries(), file_hashes(listing, Layout(out_dir).hash_cache)):
        rel = file.rel
        if not is_archive(rel) or file.error:
            current[rel] = sha
        elif archives.get(rel) == sha:
            current |= {key: value for key, value in known.items() if key == rel or key.startswith(f"{rel}!")}
        else:
            try:
                for member in archive_members(file.path):
                    if member.error:
                        current[f"{rel}!{member.name}"] = reason_sha256(member.error)
                        continue
                    with member.open() as fh:
                        current[f"{rel}!{member.name}"] = sha256_stream(fh)
            except StagingError:  # a damaged archive stands as one document too, as the parse step records it
                current[rel] = sha
    return current


def _listed(items: list[str], indent: str = "  ") -> Iterator[str]:
    yield from (indent + item for item in items[:MAX_LISTED])
    if len(items) > MAX_LISTED:
        yield f"{indent}… and {len(items) - MAX_LISTED:,} more"


def status(raw_dir: Path, out_dir: Path) -> int:
    """Print what changed in the raw folder since the last run, and the quarantined documents with their reasons."""
    _raw_folder(raw_dir)
    con = connect(out_dir)
    try:
        counts = dict(con.execute("select status, count(*) from documents group by all").fetchall())
        quarantined = con.execute("select doc_id, error from quarantine order by doc_id").fetchall()
    finally:
        con.close()
    known, archives = _published_documents(out_dir)
    current = _current_documents(raw_dir, out_dir, archives, known)
    changes = {
        "new": sorted(set(current) - set(known)),
        "changed": sorted(k for k in set(current) & set(known) if current[k] != known[k]),
        "deleted": sorted(set(known) - set(current)),
    }
    print(f"raw folder {raw_dir}: {len(current):,} documents")
    print(f"warehouse {out_dir / 'warehouse.duckdb'}: {sum(counts.values()):,} documents "
          f"({counts.get('parsed', 0):,} parsed, {counts.get('quarantined', 0):,} quarantined)")
    if any(changes.values()):
        print("since the last run: " + ", ".join(f"{len(v):,} {k}" for k, v in changes.items())
              + " (`python -m pipeline run` takes them in)")
        for kind, keys in changes.items():
            for line in _listed([f"{kind:<8} {key}" for key in keys]):
                print(line)
    else:
        print("since the last run: no file added, changed or deleted")
    print(f"quarantined documents: {len(quarantined):,}")
    for line in _listed([f"{doc_id}: {error}" for doc_id, error in quarantined]):
        print(line)
    return 0


@contextmanager
def _output(path: Path | None, binary: bool = False) -> Iterator:
    """Where query results go: stdout, or a file written whole (temporary name, then rename)."""
    from pipeline.storage import atomic_path

    if path is None:
        yield sys.stdout
        return
    with atomic_path(path) as tmp:
        if binary:
            yield tmp
        else:
            with tmp.open("w", encoding="utf-8", newline="") as out:
                yield out


def _cell(value):
    """A CSV cell: lists and structs as JSON, the rest as their text."""
    import orjson

    if isinstance(value, (list, dict)):
        return orjson.dumps(value, default=str).decode()
    return value


def _batches(cursor) -> Iterator[list[tuple]]:
    while rows := cursor.fetchmany(FETCH_ROWS):
        yield rows


def query(sql: str, out_dir: Path, fmt: str, output: Path | None) -> int:
    """Run one SQL statement read-only over the warehouse and print (or write) its result.

    The session reads the output folder and nothing else (pipeline.warehouse); --output is written
    here, by Python, so it may go anywhere the user asks.
    """
    import duckdb
    import orjson

    from pipeline.warehouse import WHAT_A_QUERY_MAY_DO, Refused, reads_only

    if fmt == "parquet" and output is None:
        raise CliError(2, "--format parquet needs --output FILE")
    con = connect(out_dir)
    try:
        reads_only(con, sql)
        if fmt == "table":
            width = shutil.get_terminal_size().columns if sys.stdout.isatty() else 10_000
            con.sql(sql).show(max_rows=MAX_TABLE_ROWS, max_width=width)
        elif fmt == "parquet":
            _write_parquet(con.sql(sql).to_arrow_reader(FETCH_ROWS), output)
        else:
            cursor = con.execute(sql)
            names = [d[0] for d in cursor.description or ()]
            with _output(output) as out:
                if fmt == "csv":
                    writer = csv.writer(out, lineterminator="\n")
                    writer.writerow(names)
                    for rows in _batches(cursor):
                        writer.writerows([_cell(v) for v in row] for row in rows)
                else:
                    out.write("[")
                    separator = "\n"
                    for rows in _batches(cursor):
                        for row in rows:
                            out.write(separator + orjson.dumps(dict(zip(names, row)), default=str).decode())
                            separator = ",\n"
                    out.write("\n]\n")
    except Refused as exc:
        raise CliError(2, str(exc)) from exc
    except duckdb.PermissionException as exc:
        raise CliError(2, f"refused: {WHAT_A_QUERY_MAY_DO}, and files under {out_dir}.\nDuckDB said: {exc}") from exc
    except duckdb.Error as exc:
        raise CliError(2, f"the query failed: {exc}") from exc
    finally:
        con.close()
    if output is not None:
        print(f"wrote {output}", file=sys.stderr)
    return 0


def _write_parquet(batches, output: Path) -> None:
    """The result as one Parquet file, written batch by batch by pyarrow (the session itself may not write)."""
    import pyarrow.parquet as pq

    from pipeline.storage import PARQUET_OPTIONS

    with _output(output, binary=True) as tmp, pq.ParquetWriter(tmp, batches.schema, **PARQUET_OPTIONS) as writer:
        for batch in batches:
            writer.write_batch(batch)


def _statement(sql: str | None, file: Path | None) -> str:
    """The SQL to run: the argument, standard input when the argument is `-`, or the file of --file."""
    if (sql is None) == (file is None):
        raise CliError(2, 'give the SQL as an argument ("-" reads it from standard input) or with --file FILE')
    if file is not None:
        try:
            return file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CliError(2, f"cannot read the SQL file {file}: {exc}") from exc
    return sys.stdin.read() if sql == "-" else sql


def export(out_dir: Path, target: Path) -> int:
    """Write the live output as one self-contained DuckDB file (tables, not views over this machine's files)."""
    from pipeline.publishing import export_warehouse, live_generation
    from pipeline.generations import Layout

    generation = live_generation(Layout(out_dir))
    if generation is None:
        raise CliError(2, f"no output in {out_dir}: {FIRST_RUN}")
    print(export_warehouse(generation, target))
    return 0


def report(out_dir: Path) -> int:
    from pipeline.report import build_report

    connect(out_dir).close()  # the same message as query when there is no output yet
    print(build_report(out_dir))
    return 0


def ui() -> int:
    """`dagster dev` from this Python environment, in a process group of its own that goes with it.

    dagster dev starts the webserver, the daemon, code servers and runs as its children, all in its
    group. Ctrl-C or SIGTERM here interrupts dagster dev (SIGINT, on which it shuts its services down
    in order); once it has exited, or after SHUTDOWN_SECONDS, whatever is left of the group is killed,
    so no process outlives the command.
    """
    import signal
    import subprocess

    home = dagster_home()
    print(f"DAGSTER_HOME={home}", flush=True)
    dev = subprocess.Popen([sys.executable, "-m", "dagster", "dev", "-m", "pipeline.definitions"],
                           start_new_session=True)
    deadline: list[float] = []

    def signal_group(sig: int) -> None:
        with suppress(ProcessLookupError):  # the group is already empty
            os.killpg(dev.pid, sig)

    def interrupt(signum, frame) -> None:
        deadline.append(time.monotonic() + SHUTDOWN_SECONDS)
        dev.send_signal(signal.SIGINT)

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while dev.poll() is None and not (deadline and time.monotonic() > deadline[0]):
            time.sleep(POLL_SECONDS)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        signal_group(signal.SIGKILL)
        dev.wait()
    return 0 if deadline else dev.returncode


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n", 4)[4])
    sub = parser.add_subparsers(dest="command", required=True)
    raw = argparse.ArgumentParser(add_help=False)
    raw.add_argument("--raw-dir", type=Path, default=Path("data/raw"), help="the raw folder (default data/raw)")
    out = argparse.ArgumentParser(add_help=False)
    out.add_argument("--out-dir", type=Path, default=Path("data/processed"),
                     help="where the tables and warehouse.duckdb are (default data/processed)")
    run_parser = sub.add_parser("run", parents=[raw, out], help="run the whole job in-process and print a summary")
    run_parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    run_parser.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                            help="when another run is writing to the output folder, wait this long for it "
                                 "(default: exit 3 at once)")
    run_parser.add_argument("--progress", action="store_true",
                            help="print progress every few seconds (on by default when stderr is a terminal)")
    sub.add_parser("status", parents=[raw, out], help="new, changed and deleted raw files since the last run; "
                                                      "quarantined documents")
    query_parser = sub.add_parser("query", parents=[out], help="read-only SQL over the warehouse")
    query_parser.add_argument("sql", nargs="?",
                              help='one statement, e.g. "select count(*) from trials"; - reads it from stdin')
    query_parser.add_argument("--file", type=Path, help="read the statement from this file")
    query_parser.add_argument("--format", choices=("table", "csv", "json", "parquet"), default="table",
                              help=f"table (first {MAX_TABLE_ROWS} rows) or every row as csv, json or parquet")
    query_parser.add_argument("--output", type=Path, help="write to this file instead of stdout (needed for parquet)")
    sub.add_parser("report", parents=[out], help="build report/landscape.html from the warehouse")
    export_parser = sub.add_parser("export", parents=[out], help="write the tables into one self-contained "
                                                                 "DuckDB file, to copy anywhere")
    export_parser.add_argument("file", type=Path, help="the DuckDB file to write, e.g. trials.duckdb")
    sub.add_parser("ui", help="open the Dagster UI (dagster dev) on this project")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    commands = {
        "run": lambda: run(args.raw_dir, args.out_dir, args.workers, args.progress or sys.stderr.isatty(), args.wait),
        "status": lambda: status(args.raw_dir, args.out_dir),
        "query": lambda: query(_statement(args.sql, args.file), args.out_dir, args.format, args.output),
        "report": lambda: report(args.out_dir),
        "export": lambda: export(args.out_dir, args.file),
        "ui": ui,
    }
    try:
        return commands[args.command]()
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code
    except BrokenPipeError:  # `… | head` stopped reading: the work is done, the rest of the output unwanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit flush cannot fail again
        return 0


def entry() -> None:
    """`python -m pipeline` and `trials`: main(), then leave without tearing the interpreter down. By then every file
    is written and closed, every connection closed and the writer lock released; finalizing what a run imported
    (Dagster, DuckDB, polars, pyarrow, pandera) took 0.8 s of every run. An exception still unwinds as usual."""
    code = main()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with suppress(BrokenPipeError):  # a reader gone before the last of the output: as in main, no error
            stream.flush()
    os._exit(code)
