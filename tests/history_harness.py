"""The publisher's side of pipeline.history, for tests: real files parsed by the readers, `explode()`d, and
registered in an in-memory DuckDB as the views history.py reads (doc_trials, dated as the publisher dates it, and
doc_<table>)."""
from __future__ import annotations

import tarfile
from collections.abc import Iterable
from pathlib import Path

import duckdb
import pandera.errors
import polars as pl

from pipeline import history, sources
from pipeline.parsing import explode
from pipeline.record import ParseError
from schemas import columns, schema


def documents_of(folder: Path) -> Iterable[tuple[str, str, str]]:
    """(doc_id, name, text) of every file under a folder (doc_id relative to its parent)."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        yield str(path.relative_to(folder.parent)), path.name, path.read_text(encoding="utf-8")


def members_of(archive: Path) -> Iterable[tuple[str, str, str]]:
    """(doc_id, name, text) of every file in a tar archive, streamed."""
    with tarfile.open(archive, "r|*") as tar:
        for member in tar:
            if member.isfile():
                with tar.extractfile(member) as fh:
                    yield f"{archive.name}!{member.name}", member.name, fh.read().decode("utf-8")


def connect(documents: Iterable[tuple[str, str, str]]) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB holding doc_trials and doc_<table> for the documents (each parsed by its reader), and
    `rejected`: the documents the pipeline would quarantine (a parse error, rows failing the schemas)."""
    tables = ("trials", *history.ITEM_TABLES)
    rows: dict[str, list[tuple]] = {t: [] for t in tables}
    rejected: set[str] = set()
    for doc_id, name, text in documents:
        reader = sources.detect(text)
        try:
            (record,) = sources.parse(reader, text, name)
        except ParseError:
            rejected.add(doc_id)
            continue
        exploded = explode(record)
        rows["trials"].extend((*row, doc_id, reader.FORMAT) for row in exploded["trials"])
        for table in history.ITEM_TABLES:
            rows[table].extend((*row, doc_id) for row in exploded[table])
    frames = {}
    for table, table_rows in rows.items():
        extra = {"doc_id": pl.String, "source_format": pl.String} if table == "trials" else {"doc_id": pl.String}
        frames[table] = pl.DataFrame(table_rows, schema={**columns(table), **extra}, orient="row")
    rejected |= set().union(*(_failing_documents(table, frame) for table, frame in frames.items()))
    con = duckdb.connect()
    for table, frame in frames.items():
        name = "doc_trials_as_parsed" if table == "trials" else f"doc_{table}"
        con.register(name, frame.filter(~pl.col("doc_id").is_in(list(rejected))))
    history.date_documents(con)
    con.register("rejected", pl.DataFrame({"doc_id": sorted(rejected)}, schema={"doc_id": pl.String}))
    return con


def _failing_documents(table: str, frame: pl.DataFrame) -> set[str]:
    """The documents whose rows fail the table's schema: the pipeline quarantines them, so they are no version."""
    try:
        schema(table, per_document=True).validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        return set(frame["doc_id"].gather(exc.failure_cases["index"].cast(pl.UInt32)))
    return set()


def frame(con: duckdb.DuckDBPyConnection, sql: str) -> pl.DataFrame:
    return con.sql(sql).pl()
