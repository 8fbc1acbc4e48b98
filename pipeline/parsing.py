"""Parse: the content the live output has not seen → TrialRecords → validated rows of every table.

Parsed rows are keyed by content, not by path: `content_id` is the document's sha256 (with `#<trial id>` for
each record of a document holding several), so a document is parsed once whatever its name and however often
the rest of the corpus changes; rows also carry the parser version that made them (see generations.code_versions).
A task (a share of the new files or of one archive's members, cut by scheduling.py) runs here, in a worker
process, and writes its rows in batches, as *segments* under `.state/incoming/`, so memory is bounded by the
batch. Each batch is checked with the pandera schemas before it is written: a document
whose rows fail is quarantined with the failures listed and its rows are dropped from every table, while the
other documents of the batch land.
"""
from __future__ import annotations

import faulthandler
import glob
import os
import shutil
import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandera.errors
import polars as pl
import pyarrow.parquet as pq

from pipeline import manifest, sources, thresholds, vocabulary
from pipeline.record import ParseError, TrialRecord
from pipeline.staging import (RawFile, StagedDocument, StagingError, StagingLimits, archive_members, file_document,
                              member_document)
from pipeline.storage import PARQUET_OPTIONS, buckets_of, write_parquet
from schemas import columns, schema

# tables whose rows are the record's list of the same name, one item per row, read by column name
RESULTS_TABLES = ("overall_officials", "study_references", "result_groups", "participant_flow",
                  "baseline_measurements", "outcome_measurements", "outcome_analyses", "adverse_events")
RECORD_TABLES = ("trials", "conditions", "keywords", "interventions", "arm_groups", "eligibility_criteria",
                 "eligibility_thresholds", "outcomes", "identifiers", "locations", "collaborators", "mesh_terms",
                 *RESULTS_TABLES)
BATCH_TABLES = ("documents", *RECORD_TABLES)
CONTENTS = "_contents"  # a segment's per-content facts: trial, format, encoding, quarantine reason
CONTENTS_BY_DOCUMENT = "_documents"  # a generation's per-document rows: the manifest joined to those facts
BATCH_SIZE = 4000  # records a segment's batch holds before it is written (an export's document may hold hundreds)
MAX_REASON_CHARS = 2000


def _dtypes(table: str) -> dict[str, pl.DataType]:
    dtypes = columns(table)
    return dtypes if table == "documents" else {**dtypes, "doc_id": pl.String}


def _none_if_empty(values: list) -> list | None:
    return values or None


def _unique(rows):
    """Drop exact repeats within one document (a source listing a condition twice), keeping order."""
    return list(dict.fromkeys(rows))


_TRIAL_COLUMNS = tuple(columns("trials"))
_DAYS_PER_MONTH = 365.25 / 12


def months_between(start, end) -> float | None:
    """Months from one date to another (days / 30.44, one decimal); None unless both are stated."""
    return round((end - start).days / _DAYS_PER_MONTH, 1) if start and end else None


def _no_count(record: TrialRecord) -> bool:
    return vocabulary.placeholder_enrollment(record.enrollment, record.enrollment_type)


# trials columns computed from the record rather than read from a field of the same name
_DERIVED = {
    "enrollment": lambda r: None if _no_count(r) else r.enrollment,
    "enrollment_type": lambda r: None if _no_count(r) else r.enrollment_type,
    "enrollment_raw": lambda r: str(r.enrollment) if _no_count(r) else r.enrollment_raw,
    "minimum_age_years": lambda r: vocabulary.age_in_years(r.minimum_age),
    "maximum_age_years": lambda r: vocabulary.age_in_years(r.maximum_age),
    # an observational study has no phase: the 2014 records' "N/A" is what the later ones and the API leave out (and
    # the Archive's own pages show none), so a trial's versions do not differ by it
    "phases": lambda r: None if r.study_type == "OBSERVATIONAL" and r.phases == ["NA"] else _none_if_empty(r.phases),
    "who_masked": lambda r: _none_if_empty(r.who_masked),
    # primary completion → results first posted: how long the trial took to report
    "months_to_report_results": lambda r: months_between(r.primary_completion_date, r.results_first_posted_date),
    # start → primary completion, once that completion is actual (AACT's actual_duration)
    "actual_duration_months": lambda r: months_between(r.start_date, r.primary_completion_date)
    if r.primary_completion_date_type == "ACTUAL" else None,
    # ClinicalTrials.gov: the date it first received the record (study_first_submitted, the older schema's
    # firstreceived_date), as ICTRP's Date_registration gives it, or the day it first posted it where that is earlier
    # (NIH records posted 1999-11-04 whose first submission the registry dates 2006-07-07 or 2007-07-31)
    "registration_date": lambda r: r.registration_date or (min(filter(None, (
        r.first_submitted_date, r.first_posted_date)), default=None) if r.registry == "CTGOV" else None),
}
_ITEM_COLUMNS = {table: tuple(columns(table))[1:] for table in RESULTS_TABLES}  # after trial_id


def _item_row(trial_id: str, item, names: tuple[str, ...]) -> tuple:
    return (trial_id, *((tuple(x) or None) if isinstance(x := getattr(item, name), list) else x for name in names))


def trial_row(record: TrialRecord) -> tuple:
    """The record's `trials` row in the schema's column order: a new column is a record field plus a schema entry."""
    return tuple(_DERIVED[c](record) if c in _DERIVED else getattr(record, c) for c in _TRIAL_COLUMNS)


def _interventions(trial_id: str, interventions) -> list[tuple]:
    """One row per intervention: a record may repeat one per arm, each with that arm's other names
    (NCT00490152), so repeats of (type, name, description) are one row with their other names joined."""
    merged: dict[tuple, list[str]] = {}
    for i in interventions:
        merged.setdefault((trial_id, i.intervention_type, i.name, i.description), []).extend(i.other_names)
    return [(*key, tuple(dict.fromkeys(names)) or None) for key, names in merged.items()]


def explode(record: TrialRecord) -> dict[str, list[tuple]]:
    """One record → its rows per table, in each table's column order (without doc_id)."""
    r = record
    tid = r.trial_id
    return {
        "trials": [trial_row(r)],
        "conditions": _unique((tid, c) for c in r.conditions),
        "keywords": _unique((tid, k) for k in r.keywords),
        "interventions": _interventions(tid, r.interventions),
        "arm_groups": _unique((tid, a.label, a.arm_type, a.description, tuple(a.intervention_names) or None)
                              for a in r.arm_groups),
        "eligibility_criteria": _unique((tid, c.criterion_type, c.ordinal, c.text, c.section) for c in r.eligibility_criteria),
        "eligibility_thresholds": _unique(row for c in r.eligibility_criteria for row in thresholds.rows(
            tid, c.criterion_type, c.ordinal, c.text, c.headings, c.section)),
        "outcomes": _unique((tid, o.outcome_type, o.measure, o.time_frame, o.description) for o in r.outcomes),
        "identifiers": _unique((tid, i.id_type, i.id_value) for i in r.identifiers),
        "locations": _unique((tid, x.facility, x.city, x.state, x.zip, x.country) for x in r.locations),
        "collaborators": _unique((tid, c) for c in r.collaborators),
        "mesh_terms": _unique((tid, m.term, m.kind) for m in r.mesh_terms),
    } | {table: _unique(_item_row(tid, item, names) for item in getattr(r, table))
         for table, names in _ITEM_COLUMNS.items()}


# what polars raises for a value its column cannot hold
_UNTYPED = (pl.exceptions.PolarsError, TypeError, ValueError, OverflowError)


def _frame(table: str, rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=_dtypes(table), orient="row")


class _Batch:
    """Rows of one batch of documents, per table, plus the documents' own rows."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple]] = {t: [] for t in BATCH_TABLES}

    def add_document(self, staged: dict, doc_id: str, trial_id: str | None, error: str | None) -> None:
        self.rows["documents"].append((
            doc_id, staged["source_path"], staged["member"], staged["sha256"], staged["n_bytes"],
            staged["source_format"], staged["encoding"], trial_id,
            "quarantined" if error else "parsed", error[:MAX_REASON_CHARS] if error else None,
        ))

    def add_rows(self, doc_id: str, exploded: dict[str, list[tuple]]) -> None:
        """A record's rows (explode), under its document."""
        for table, rows in exploded.items():
            self.rows[table].extend((*row, doc_id) for row in rows)

    def frames(self) -> dict[str, pl.DataFrame]:
        """The batch's tables. A document with a value its table's column cannot hold (a whole number past 64 bits,
        "1030000000000000000000000 patients", failed the batch and so the run) is quarantined, the others kept."""
        frames, failed = {}, {}
        for table, rows in self.rows.items():
            try:
                frames[table] = _frame(table, rows)
            except _UNTYPED:
                if table == "documents":
                    raise  # rows of the pipeline's own making: a bug, not bad input
                failed |= self._untyped(table)
        if failed:
            self.rows["documents"] = [(*d[:7], None, "quarantined", f"{d[5]}: rows failed: {failed[d[0]]}")
                                      if d[0] in failed else d for d in self.rows["documents"]]
            for table in RECORD_TABLES:
                self.rows[table] = [row for row in self.rows[table] if row[-1] not in failed]
            frames = {t: _frame(t, rows) for t, rows in self.rows.items()}
        return frames

    def _untyped(self, table: str) -> dict[str, str]:
        """The documents whose rows of this table polars cannot type, with the reason (one frame per document)."""
        by_document: dict[str, list[tuple]] = {}
        for row in self.rows[table]:
            by_document.setdefault(row[-1], []).append(row)
        failed = {}
        for doc_id, rows in by_document.items():
            try:
                _frame(table, rows)
            except _UNTYPED as exc:
                failed[doc_id] = f"{table}: a value its columns cannot hold: {str(exc).split(';')[0][:300]}"
        return failed


class Overtime(BaseException):
    """A document's parse ran past its time limit. Not an Exception: no reader's `except Exception` may take it."""


class _Alarm:
    """The CPU-time alarm of a document's parse. Its handler is installed once in a process and raises only while a
    parse is armed: an alarm falling due as the parse ends does nothing, and no other handler is swapped in and out."""

    armed = False

    @staticmethod  # (one function object, so that the handler installed can be recognised)
    def ring(signum, frame) -> None:
        if _Alarm.armed:
            _Alarm.armed = False
            raise Overtime


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise Overtime in the block once the process has spent `seconds` of user CPU time in it (not wall time: a
    suspended machine stops no document): the last guard against a hang in Python code or `re`, which take the
    signal between steps; none has been found (the readers and the extractor are linear, benchmarks/growth.py). A
    hang inside a native parser (lxml, selectolax) is not interrupted here; in a parse worker, scheduling._wait stops
    it. Where no such alarm can be set (Windows; a thread other than the main one, as when an executor runs tasks in
    threads) the block runs without a limit."""
    if not seconds or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return
    if signal.getsignal(signal.SIGVTALRM) is not _Alarm.ring:
        signal.signal(signal.SIGVTALRM, _Alarm.ring)
    _Alarm.armed = True
    try:
        signal.setitimer(signal.ITIMER_VIRTUAL, seconds)
        yield
    finally:
        _Alarm.armed = False
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)


class _HangExit:
    """The job's own process ended by faulthandler's timer when one document holds it too long.

    That process parses a small change (and everything when there is one worker or one task), and no watch looks at
    it from outside (scheduling._wait watches pool workers): a hang in native code, which no CPU-time alarm
    interrupts, would hold the run, and every run after it, for ever. faulthandler's timer is a thread that needs no
    GIL, so it fires whatever the hung code holds: it writes every thread's stack to file descriptor 2 and ends the
    process with exit status 1, its task's reading file naming the document, so that the next run parses in workers
    and quarantines it. Arming the timer starts a thread (some 40 µs, 3 % of a legacy XML record), so it is armed for
    1.5 times the limit, again only once less than the limit remains: a document is ended between once and 1.5 times
    `seconds` (of the monotonic clock) after it began, and the timer is armed once every half `seconds`."""

    deadline = 0.0  # when the armed timer fires (monotonic); 0: none armed

    @staticmethod
    def before_document(seconds: float) -> None:
        now = time.monotonic()
        if _HangExit.deadline - now < seconds:
            faulthandler.dump_traceback_later(1.5 * seconds, exit=True, file=2)  # (sys.stderr may be no file)
            _HangExit.deadline = now + 1.5 * seconds

    @staticmethod
    def cancel() -> None:
        if _HangExit.deadline:
            faulthandler.cancel_dump_traceback_later()
            _HangExit.deadline = 0.0


def _exploded(record: TrialRecord) -> dict[str, list[tuple]] | Exception:
    """The record's rows, or what failed in making them (a bug in the criteria or thresholds code)."""
    try:
        return explode(record)
    except Exception as exc:
        return exc


def parse_document(staged: dict, batch: _Batch, max_seconds: float | None = None) -> None:
    """Parse one staged document into the batch; any failure, or a parse past max_seconds, becomes its quarantine
    reason."""
    if staged["error"]:
        batch.add_document(staged, staged["doc_id"], None, staged["error"])
        return
    reader = sources.reader_for(staged["source_format"])
    try:
        with time_limit(max_seconds):
            records = sources.parse(reader, staged["text"], staged["member"] or staged["source_path"])
            if not records:
                raise ParseError(f"{reader.FORMAT}: no study in the document")
            rows = [_exploded(record) for record in records]
    except Overtime:
        batch.add_document(staged, staged["doc_id"], None, f"{reader.FORMAT}: parsing took more than {max_seconds:g} s "
                                                            f"of CPU time: stopped (max_parse_seconds)")
        return
    except ParseError as exc:
        batch.add_document(staged, staged["doc_id"], None, str(exc))
        return
    except Exception as exc:  # a reader bug must not take the run down: quarantine and say so
        batch.add_document(staged, staged["doc_id"], None, f"{reader.FORMAT}: reader failed: {type(exc).__name__}: {exc}")
        return
    seen: Counter = Counter()  # an export may hold several records of one trial (EU CTR member states)
    for record, exploded in zip(records, rows):
        seen[record.trial_id] += 1
        doc_id = staged["doc_id"] if len(records) == 1 else f"{staged['doc_id']}#{record.document_part or record.trial_id}"
        doc_id += f"#{seen[record.trial_id]}" if seen[record.trial_id] > 1 and not record.document_part else ""
        if isinstance(exploded, Exception):  # nor may a bug in making its rows: quarantine and say so
            error = f"{reader.FORMAT}: rows failed: {type(exploded).__name__}: {exploded}"
            batch.add_document(staged, doc_id, None, error)
            continue
        batch.add_document(staged, doc_id, record.trial_id, None)
        batch.add_rows(doc_id, exploded)


def validate(frames: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Check every table of a batch; quarantine the documents whose rows fail, with the failures listed."""
    failures: dict[str, list[str]] = {}
    for table in RECORD_TABLES:
        frame = frames[table]
        if frame.is_empty():
            continue
        try:
            schema(table, per_document=True).validate(frame, lazy=True)
        except pandera.errors.SchemaErrors as exc:
            cases = exc.failure_cases
            if cases["index"].null_count():
                raise  # a failure not tied to a row is a pipeline bug, not bad input
            doc_ids = frame["doc_id"].gather(cases["index"].cast(pl.UInt32))
            for doc_id, column, check, value in zip(doc_ids, cases["column"], cases["check"], cases["failure_case"]):
                failures.setdefault(doc_id, []).append(f"{table}.{column} {check}: {value!r}")
    if not failures:
        return frames
    bad = pl.Series(list(failures), dtype=pl.String)
    reasons = pl.DataFrame({"doc_id": bad, "reason": ["schema: " + "; ".join(dict.fromkeys(f)) for f in failures.values()]})
    documents = (frames["documents"].join(reasons, on="doc_id", how="left")
                 .with_columns(status=pl.when(pl.col("reason").is_null()).then(pl.col("status")).otherwise(pl.lit("quarantined")),
                               error=pl.coalesce("error", pl.col("reason").str.slice(0, MAX_REASON_CHARS)))
                 .drop("reason"))
    kept = {t: f.filter(~pl.col("doc_id").is_in(bad.implode())) for t, f in frames.items() if t != "documents"}
    return {"documents": documents, **kept}


@dataclass
class ParseSummary:
    documents: int = 0
    parsed: int = 0
    quarantined: int = 0
    rows: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)  # quarantine reason (first clause) → count

    def add(self, other: ParseSummary) -> None:
        self.documents += other.documents
        self.parsed += other.parsed
        self.quarantined += other.quarantined
        self.rows.update(other.rows)
        self.reasons.update(other.reasons)

    @classmethod
    def of(cls, documents: int, errors: list[str], rows: Counter) -> ParseSummary:
        """A batch's summary from its number of documents, the errors of those quarantined and its rows per table."""
        return cls(documents, documents - len(errors), len(errors), rows, Counter(e.split(":", 1)[0] for e in errors))


def _written(segment: Path) -> tuple[list[str], ParseSummary]:
    """A segment written before: its contents' hashes, and its summary as the task that wrote it counted it."""
    contents = pq.read_table(segment / f"{CONTENTS}.parquet", columns=["sha256", "status", "error"]).to_pydict()
    errors = [e for status, e in zip(contents["status"], contents["error"]) if status == "quarantined"]
    rows = Counter({t: pq.read_metadata(segment / f"{t}.parquet").num_rows for t in RECORD_TABLES})
    return contents["sha256"], ParseSummary.of(len(contents["sha256"]), errors, rows)


class _Segments:
    """Documents parsed by one task, written a batch at a time as segment folders under `.state/incoming/`.

    A segment is written to a hidden folder and renamed into place whole, so a killed run leaves no half segment;
    its name starts with the parser version, so rows of other parser code are never taken in.
    """

    def __init__(self, task: Task, reading: int | None = None) -> None:
        self.incoming, self.parser, self.task = Path(task.incoming), task.parser, task.name
        self.max_seconds, self.crashed, self.reading = task.limits.max_parse_seconds, task.crashed, reading
        self.hang_seconds = task.limits.hang_seconds if task.exit_on_hang else None
        self.pid = f" {os.getpid()}".encode()  # after the hash: the process to stop should it hang (scheduling._wait)
        self.not_reading = b" " * (64 + len(self.pid))
        self.batch = _Batch()
        self.summary = ParseSummary()

    def add(self, staged: dict) -> None:
        if staged["sha256"] in self.crashed:
            staged = {**staged, "error": f"{staged['source_format']}: {WORKER_DIED}"}
        reading = self.reading is not None and staged["error"] is None
        if reading:  # what this process is reading, should it die (Task.reading)
            os.pwrite(self.reading, staged["sha256"].encode() + self.pid, 0)
        if reading and self.hang_seconds:
            _HangExit.before_document(self.hang_seconds)
        parse_document(staged, self.batch, self.max_seconds)
        if reading:  # and no longer: a death in writing a batch is no document's doing
            os.pwrite(self.reading, self.not_reading, 0)
        if len(self.batch.rows["documents"]) >= BATCH_SIZE:  # a row per record (per document that failed)
            self.flush()

    def flush(self) -> None:
        if not self.batch.rows["documents"]:
            return
        frames = validate(self.batch.frames())
        self.batch = _Batch()
        docs = frames.pop("documents")
        quarantined = docs.filter(pl.col("status") == "quarantined")
        self.summary.add(ParseSummary.of(docs.height, quarantined["error"].to_list(),
                                         Counter({t: f.height for t, f in frames.items()})))
        # every row is filed in its trial's bucket: one crc32 per trial of the batch, not per row of every table
        trials = docs["trial_id"].drop_nulls().unique()
        bucket = pl.col("trial_id").replace_strict(trials, buckets_of(trials), default=None, return_dtype=pl.Int32)
        tables = {CONTENTS: docs.select(pl.col("doc_id").alias("content_id"), "sha256", "trial_id",
                                        bucket.alias("bucket"), "source_format", "encoding", "status", "error")}
        for table, frame in frames.items():
            tables[table] = frame.select(pl.col("doc_id").alias("content_id"), bucket.alias("bucket"),
                                         pl.int_range(pl.len(), dtype=pl.Int64).alias("seq"), pl.exclude("doc_id"))
        name = f"{self.parser}-{self.task}-{uuid.uuid4().hex}"
        tmp = self.incoming / f".{name}.tmp"
        tmp.mkdir(parents=True)
        try:
            for table, frame in tables.items():
                pq.write_table(frame.to_arrow(), tmp / f"{table}.parquet", **PARQUET_OPTIONS)
            os.replace(tmp, self.incoming / name)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


@dataclass(frozen=True)
class Task:
    """One process's share of the parse work: new files by path, or (a share of) one archive's members."""

    raw_dir: str
    incoming: str
    listings: str  # where a task writes the manifest rows it found (archive members, files changed since staging)
    parser: str  # the parser version its segments are named by
    limits: StagingLimits
    files: tuple[tuple[str, bytes | None, str, int], ...] = ()  # (rel, path to open, sha256, n_bytes) of new
    # content; path None: the file's own name in the raw folder (listing.Listing)
    archive: str | None = None  # path of an archive to read
    container: str | None = None  # its sha256, as staged
    part: int = 0  # this task takes the archive's members i with i % parts == part
    parts: int = 1
    known: frozenset[str] = frozenset()  # contents already parsed (an archive's previous listing, waiting segments,
    # what its attempts before wrote): listed, not parsed again
    name: str = "task"  # its segments' names start with the parser version and this: unique to the task in its run
    # (scheduling: the run, a number), so that an attempt again takes what one before wrote
    # a file holding the sha256 of the document the task is reading (and the pid reading it), removed when the task
    # ends: left behind, it names the document its process died on (a crash in native code, the out-of-memory killer,
    # a hang stopped), see scheduling.py
    reading: str | None = None
    crashed: frozenset[str] = frozenset()  # contents a worker died on: quarantined unread (WORKER_DIED)
    exit_on_hang: bool = False  # in the job's own process: a document held too long ends the process (_HangExit)


WORKER_DIED = ("the parse worker died reading it (a crash, the system's out-of-memory killer, or a hang the parse "
               "step stopped): not read again")


def run_task(task: Task) -> tuple[ParseSummary, Path | None]:
    """Parse a task's documents into segments; returns its summary and the file of the manifest rows it found: an
    archive's members, or the files whose content changed since staging (written here: a whole registry's listing
    need not pass through the coordinating process)."""
    if task.reading is None:
        return _run_task(task, None)
    reading = os.open(task.reading, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)  # (a run before's, else)
    try:
        return _run_task(task, reading)
    finally:  # only a process that dies leaves it (or one the next run took for dead: it removed the folder)
        _HangExit.cancel()
        os.close(reading)
        Path(task.reading).unlink(missing_ok=True)


def _run_task(task: Task, reading: int | None) -> tuple[ParseSummary, Path | None]:
    # what attempts of this task before wrote (a worker that died, an executor's retry): parsed, and counted, once
    earlier = [_written(segment) for segment in
               sorted(Path(task.incoming).glob(f"{glob.escape(task.parser)}-{glob.escape(task.name)}-*"))]
    task = replace(task, known=task.known.union(*(hashes for hashes, _ in earlier)))
    segments = _Segments(task, reading)
    for _, summary in earlier:
        segments.summary.add(summary)
    raw_dir = Path(task.raw_dir)
    entries = []
    for rel, path, sha, size in task.files:
        opened = os.path.join(raw_dir, rel) if path is None else os.fsdecode(path)
        doc = file_document(RawFile(rel, opened, size, 0), task.limits.max_document_bytes)
        if doc.sha256 != sha:  # changed since staging (or became unreadable): listed and parsed as it reads now
            entries.append(manifest.Entry(rel, rel, None, doc.sha256, doc.n_bytes, path=path))
        if doc.sha256 not in task.known:
            doc.doc_id = doc.sha256  # rows are keyed by content, not by path
            segments.add(_staged(doc))
    if task.archive is not None:
        entries += _read_archive(raw_dir, task, segments)
    listing = None
    if entries or task.archive is not None:
        listing = Path(task.listings) / f"{uuid.uuid4().hex}.parquet"
        listing.parent.mkdir(parents=True, exist_ok=True)
        write_parquet(manifest.table(entries), listing)
    segments.flush()
    return segments.summary, listing


def _staged(doc: StagedDocument) -> dict:
    return {f: getattr(doc, f) for f in doc.__slots__}


def _read_archive(raw_dir: Path, task: Task, segments: _Segments) -> list[manifest.Entry]:
    """Stream an archive: every member of this task's share hashed and listed, new content parsed.

    A member that cannot be a document (an unsafe name, a link, too large …) is listed with its reason. A
    damaged archive, or one past its caps, keeps the members read before and gets a row of its own saying why.
    """
    rel, path, container = task.archive, raw_dir / task.archive, task.container
    entries, seen, index = [], set(task.known), -1
    try:
        for index, member in enumerate(archive_members(path, task.limits)):
            if index % task.parts != task.part:
                continue
            doc = member_document(StagedDocument("", rel, member.name, "", 0), member,
                                   task.limits.max_document_bytes)
            doc_key = f"{rel}!{member.name}"
            if doc.error:  # not a readable document: its reason stands in the manifest
                entries.append(manifest.Entry(doc_key, rel, member.name, doc.sha256, doc.n_bytes, doc.error, container))
                continue
            entries.append(manifest.Entry(doc_key, rel, member.name, doc.sha256, doc.n_bytes, None, container))
            if doc.sha256 not in seen:
                seen.add(doc.sha256)
                doc.doc_id = doc.sha256
                segments.add(_staged(doc))
    except StagingError as exc:  # damage or caps: the archive's reason, the members before it kept
        if task.part == 0:
            entries.append(manifest.Entry(rel, rel, None, container, path.stat().st_size, str(exc), container))
    return entries
