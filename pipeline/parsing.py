"""Parse: staged documents → TrialRecords → validated rows of every table, one shard at a time.

A shard is read in batches of staged rows and written as one Parquet file per table, so memory is
bounded by the batch, not the corpus. Each batch is checked with the pandera schemas before it is
written: a document whose rows fail is quarantined with the failures listed and its rows are dropped
from every table, while the other documents of the batch land.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandera.errors
import polars as pl
import pyarrow.parquet as pq

from pipeline import sources, thresholds, vocabulary
from pipeline.record import ParseError, TrialRecord
from pipeline.storage import PARQUET_OPTIONS, Layout
from schemas import columns, schema

RECORD_TABLES = ("trials", "conditions", "keywords", "interventions", "arm_groups", "eligibility_criteria",
                 "eligibility_thresholds", "outcomes", "identifiers", "locations", "collaborators", "mesh_terms")
SHARD_TABLES = ("documents", *RECORD_TABLES)
BATCH_SIZE = 5000
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
# trials columns computed from the record rather than read from a field of the same name
_DERIVED = {
    "minimum_age_years": lambda r: vocabulary.age_in_years(r.minimum_age),
    "maximum_age_years": lambda r: vocabulary.age_in_years(r.maximum_age),
    "phases": lambda r: _none_if_empty(r.phases),
    "who_masked": lambda r: _none_if_empty(r.who_masked),
    "version_date": lambda r: r.version_date or r.last_update_posted_date,  # see pipeline.history
}


def trial_row(record: TrialRecord) -> tuple:
    """The record's `trials` row in the schema's column order: a new column is a record field plus a schema entry."""
    return tuple(_DERIVED[c](record) if c in _DERIVED else getattr(record, c) for c in _TRIAL_COLUMNS)


def explode(record: TrialRecord) -> dict[str, list[tuple]]:
    """One record → its rows per table, in each table's column order (without doc_id)."""
    r = record
    tid = r.trial_id
    return {
        "trials": [trial_row(r)],
        "conditions": _unique((tid, c) for c in r.conditions),
        "keywords": _unique((tid, k) for k in r.keywords),
        "interventions": _unique((tid, i.intervention_type, i.name, i.description, tuple(i.other_names) or None)
                                 for i in r.interventions),
        "arm_groups": _unique((tid, a.label, a.arm_type, a.description, tuple(a.intervention_names) or None)
                              for a in r.arm_groups),
        "eligibility_criteria": _unique((tid, c.criterion_type, c.ordinal, c.text) for c in r.eligibility_criteria),
        "eligibility_thresholds": _unique(row for c in r.eligibility_criteria
                                          for row in thresholds.rows(tid, c.criterion_type, c.ordinal, c.text)),
        "outcomes": _unique((tid, o.outcome_type, o.measure, o.time_frame, o.description) for o in r.outcomes),
        "identifiers": _unique((tid, i.id_type, i.id_value) for i in r.identifiers),
        "locations": _unique((tid, x.facility, x.city, x.state, x.zip, x.country) for x in r.locations),
        "collaborators": _unique((tid, c) for c in r.collaborators),
        "mesh_terms": _unique((tid, m.term, m.kind) for m in r.mesh_terms),
    }


@dataclass
class ShardSummary:
    shard: str
    documents: int = 0
    parsed: int = 0
    quarantined: int = 0
    rows: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)  # quarantine reason (first clause) → count


class _Batch:
    """Rows of one batch of documents, per table, plus the documents' own rows."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple]] = {t: [] for t in SHARD_TABLES}

    def add_document(self, staged: dict, doc_id: str, trial_id: str | None, error: str | None) -> None:
        self.rows["documents"].append((
            doc_id, staged["source_path"], staged["member"], staged["sha256"], staged["n_bytes"],
            staged["source_format"], staged["encoding"], trial_id,
            "quarantined" if error else "parsed", error[:MAX_REASON_CHARS] if error else None,
        ))

    def add_record(self, doc_id: str, record: TrialRecord) -> None:
        for table, rows in explode(record).items():
            self.rows[table].extend((*row, doc_id) for row in rows)

    def frames(self) -> dict[str, pl.DataFrame]:
        return {t: pl.DataFrame(rows, schema=_dtypes(t), orient="row") for t, rows in self.rows.items()}


def parse_document(staged: dict, batch: _Batch) -> None:
    """Parse one staged document into the batch; any failure becomes its quarantine reason."""
    if staged["error"]:
        batch.add_document(staged, staged["doc_id"], None, staged["error"])
        return
    reader = sources.reader_for(staged["source_format"])
    try:
        records = sources.parse(reader, staged["text"], staged["member"] or staged["source_path"])
        if not records:
            raise ParseError(f"{reader.FORMAT}: no study in the document")
    except ParseError as exc:
        batch.add_document(staged, staged["doc_id"], None, str(exc))
        return
    except Exception as exc:  # a reader bug must not take the run down: quarantine and say so
        batch.add_document(staged, staged["doc_id"], None, f"{reader.FORMAT}: reader failed: {type(exc).__name__}: {exc}")
        return
    for record in records:
        doc_id = staged["doc_id"] if len(records) == 1 else f"{staged['doc_id']}#{record.trial_id}"
        batch.add_document(staged, doc_id, record.trial_id, None)
        batch.add_record(doc_id, record)


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


def parse_shard(out_dir: str, shard: str) -> ShardSummary:
    """Parse, validate and write one shard; safe to run in a worker process."""
    layout = Layout(Path(out_dir))
    summary = ShardSummary(shard)
    with _ShardWriters(layout, shard) as writers:
        staged_file = layout.staged(shard)
        batches = pq.ParquetFile(staged_file).iter_batches(BATCH_SIZE) if staged_file.exists() else ()
        for record_batch in batches:
            batch = _Batch()
            for staged in record_batch.to_pylist():
                parse_document(staged, batch)
            frames = validate(batch.frames())
            for table, frame in frames.items():
                writers.write(table, frame)
                summary.rows[table] += frame.height
            docs = frames["documents"]
            summary.documents += docs.height
            quarantined = docs.filter(pl.col("status") == "quarantined")
            summary.quarantined += quarantined.height
            summary.reasons.update(e.split(":", 1)[0] for e in quarantined["error"])
    summary.parsed = summary.documents - summary.quarantined
    return summary


class _ShardWriters:
    """One Parquet writer per table of a shard, each file renamed into place only when all are done."""

    def __init__(self, layout: Layout, shard: str) -> None:
        self.layout, self.shard = layout, shard
        self.writers: dict[str, pq.ParquetWriter] = {}
        self.paths: dict[str, Path] = {}

    def __enter__(self) -> _ShardWriters:
        return self

    def write(self, table: str, frame: pl.DataFrame) -> None:
        if frame.height:
            self._writer(table).write_table(frame.to_arrow())

    def _writer(self, table: str) -> pq.ParquetWriter:
        if table not in self.writers:
            target = self.layout.parsed(self.shard, table)
            target.parent.mkdir(parents=True, exist_ok=True)
            self.paths[table] = target.with_name(f".{target.name}.tmp")
            arrow_schema = pl.DataFrame(schema=_dtypes(table)).to_arrow().schema
            self.writers[table] = pq.ParquetWriter(self.paths[table], arrow_schema, **PARQUET_OPTIONS)
        return self.writers[table]

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            for table in SHARD_TABLES:  # every table gets a file, empty or not, so readers need no special case
                self._writer(table)
        for writer in self.writers.values():
            writer.close()
        for table, tmp in self.paths.items():
            if exc_type is None:
                tmp.replace(self.layout.parsed(self.shard, table))
            else:
                tmp.unlink(missing_ok=True)
