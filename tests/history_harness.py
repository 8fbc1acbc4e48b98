"""The publisher's side of pipeline.history, for tests: real files parsed by the readers, `explode()`d, and
registered in an in-memory DuckDB as the views history.py reads (doc_trials, doc_<table>)."""
from __future__ import annotations

import tarfile
from collections.abc import Iterable
from pathlib import Path

import duckdb
import polars as pl

from pipeline import history, sources
from pipeline.parsing import explode
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
    """An in-memory DuckDB holding doc_trials and doc_<table> for the documents (each parsed by its reader)."""
    tables = ("trials", *history.ITEM_TABLES)
    rows: dict[str, list[tuple]] = {t: [] for t in tables}
    for doc_id, name, text in documents:
        reader = sources.detect(text)
        (record,) = sources.parse(reader, text, name)
        exploded = explode(record)
        rows["trials"].extend((*row, doc_id, reader.FORMAT) for row in exploded["trials"])
        for table in history.ITEM_TABLES:
            rows[table].extend((*row, doc_id) for row in exploded[table])
    con = duckdb.connect()
    for table, table_rows in rows.items():
        extra = {"doc_id": pl.String, "source_format": pl.String} if table == "trials" else {"doc_id": pl.String}
        frame = pl.DataFrame(table_rows, schema={**columns(table), **extra}, orient="row")
        schema(table, per_document=True).validate(frame)  # rows the pipeline would have kept
        con.register(f"doc_{table}", frame)
    return con


def frame(con: duckdb.DuckDBPyConnection, sql: str) -> pl.DataFrame:
    return con.sql(sql).pl()
