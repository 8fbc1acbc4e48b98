"""What the raw folder holds now: one row per document (a file, or an archive member) with its sha256.

The stage step (listing.py) writes the raw folder's files as these rows, and a parse task the members of the
archives it reads, so the rows' form is parser code.

Rows: doc_key (the document's id: its path, or `archive!member`), source_path, member, sha256, n_bytes,
error (why the document cannot be read, decided from its path or size: the content is never looked at here),
container_sha256 (an archive member's archive), is_archive (a row standing for a whole archive still to be
read), path (what to open, when not the file's own name in the raw folder), and row_hash (a 64-bit hash of the
columns that say what the document is, DIFF_KEYS: the next run finds the documents added, changed or removed by the
rows whose hash the other manifest lacks, comparing 8 bytes a row rather than the strings). A document's bucket is
not here: publishing works it out for the few documents it looks at (a run lists 600,000 files, changes a handful).
"""
from __future__ import annotations

from typing import NamedTuple

import polars as pl
import pyarrow as pa


SCHEMA = pa.schema([
    ("doc_key", pa.string()), ("source_path", pa.string()), ("member", pa.string()), ("sha256", pa.string()),
    ("n_bytes", pa.int64()), ("error", pa.string()), ("container_sha256", pa.string()),
    ("is_archive", pa.bool_()), ("path", pa.binary()), ("row_hash", pa.uint64()),
])
DIFF_KEYS = ("doc_key", "sha256", "n_bytes", "error", "container_sha256")


class Entry(NamedTuple):
    doc_key: str
    source_path: str
    member: str | None
    sha256: str
    n_bytes: int
    error: str | None = None
    container_sha256: str | None = None
    is_archive: bool = False
    path: bytes | None = None  # what to open, for plain files not opened by their own name in the raw folder
    # (listing.Listing): a symlink inside the raw folder resolved, a name that is not valid UTF-8


def table(entries: list[Entry]) -> pa.Table:
    columns = dict(zip(Entry._fields, map(list, zip(*entries)))) if entries else {f: [] for f in Entry._fields}
    return hashed(pl.from_arrow(pa.table({f.name: pa.array(columns[f.name], f.type)
                                          for f in SCHEMA if f.name in columns})))


def hashed(rows: pl.DataFrame) -> pa.Table:
    """Manifest rows with their row_hash (polars' row hash, stable within its pinned version: an upgrade makes every
    row look changed once, and publishing merges every bucket again, parsing nothing)."""
    return rows.with_columns(row_hash=rows.select(DIFF_KEYS).hash_rows()).to_arrow().cast(SCHEMA)
