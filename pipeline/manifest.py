"""What the raw folder holds now: one row per document (a file, or an archive member) with its sha256.

Building it is cheap on an unchanged corpus: file hashes are cached by size and mtime, and an archive whose
own sha256 is unchanged is not opened at all (its members' rows are taken from the live generation). Only
archives that are new or changed are read, by the parse step, which reads their members anyway.

Rows: doc_key (the document's id: its path, or `archive!member`), source_path, member, sha256, n_bytes,
error (why the document cannot be read, decided from its path or size: the content is never looked at here),
container_sha256 (an archive member's archive), is_archive (a row standing for a whole archive still to be
read), and path (what to open, when not the file's own name in the raw folder). A document's bucket is not here:
publishing works it out for the few documents it looks at (a run lists 600,000 files, and changes a handful).
"""
from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import polars as pl
import pyarrow as pa

from pipeline.fingerprints import file_hashes
from pipeline.staging import ARCHIVE_SUFFIX, Listing, raw_files
from pipeline.storage import Layout, write_parquet

SCHEMA = pa.schema([
    ("doc_key", pa.string()), ("source_path", pa.string()), ("member", pa.string()), ("sha256", pa.string()),
    ("n_bytes", pa.int64()), ("error", pa.string()), ("container_sha256", pa.string()),
    ("is_archive", pa.bool_()), ("path", pa.binary()),
])


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
    # (staging.Listing): a symlink inside the raw folder resolved, a name that is not valid UTF-8


def table(entries: list[Entry]) -> pa.Table:
    columns = dict(zip(Entry._fields, map(list, zip(*entries)))) if entries else {f: [] for f in Entry._fields}
    return pa.table({f.name: pa.array(columns[f.name], f.type) for f in SCHEMA}, schema=SCHEMA)


def stage(raw_dir: Path, layout: Layout, max_bytes: int, sensed: tuple[Listing, pl.Series] | None = None
          ) -> dict[str, int]:
    """Write the raw folder's files (and its archives, as one row each) to the state folder; returns counts.

    `sensed`: the folder's listing and hashes as a sensor tick found them (fingerprints.load_sensed), else it is
    listed here. Built column by column: a run lists the whole folder, so no row objects and no Python per file."""
    listing, hashes = sensed or (None, None)
    if listing is None:
        listing = raw_files(raw_dir)
        hashes = file_hashes(listing, layout.hash_cache)
    files = listing.files
    archive = files["rel"].str.to_lowercase().str.contains(ARCHIVE_SUFFIX) & files["error"].is_null()
    staged = files.select(
        doc_key="rel", source_path="rel", member=pl.lit(None, pl.String),
        sha256=hashes, n_bytes="size",
        # an archive's members are held to the limit, not the archive
        error=pl.when(pl.col("error").is_null() & ~archive & (pl.col("size") > max_bytes))
              .then(pl.format("file too large: {} bytes (limit {})", "size", pl.lit(max_bytes)))
              .otherwise("error"),
        container_sha256=pl.lit(None, pl.String),
        is_archive=archive, path="path")
    write_parquet(staged.to_arrow().cast(SCHEMA), layout.staged_manifest)
    n_archives = archive.sum()
    return {"files": len(files) - n_archives, "archives": n_archives,
            "unreadable": staged["error"].is_not_null().sum()}
