"""What the raw folder holds now: one row per document (a file, or an archive member) with its sha256.

Building it is cheap on an unchanged corpus: file hashes are cached by size and mtime, and an archive whose
own sha256 is unchanged is not opened at all (its members' rows are taken from the live generation). Only
archives that are new or changed are read, by the parse step, which reads their members anyway.

Rows: doc_key (the document's id: its path, or `archive!member`), source_path, member, sha256, n_bytes,
error (why the document cannot be read, decided from its path or size: the content is never looked at here),
container_sha256 (an archive member's archive), is_archive (a row standing for a whole archive still to be
read), path (what to open, when not the file's own name in the raw folder), and row_hash (a 64-bit hash of the
columns that say what the document is, DIFF_KEYS: the next run finds the documents added, changed or removed by the
rows whose hash the other manifest lacks, comparing 8 bytes a row rather than the strings). A document's bucket is
not here: publishing works it out for the few documents it looks at (a run lists 600,000 files, changes a handful).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import orjson
import polars as pl
import pyarrow as pa

from pipeline.fingerprints import file_hashes
from pipeline.staging import ARCHIVE_SUFFIX, Listing, raw_files
from pipeline.storage import Layout, atomic_path, write_parquet

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
    # (staging.Listing): a symlink inside the raw folder resolved, a name that is not valid UTF-8


def table(entries: list[Entry]) -> pa.Table:
    columns = dict(zip(Entry._fields, map(list, zip(*entries)))) if entries else {f: [] for f in Entry._fields}
    return _hashed(pl.from_arrow(pa.table({f.name: pa.array(columns[f.name], f.type)
                                           for f in SCHEMA if f.name in columns})))


def _hashed(rows: pl.DataFrame) -> pa.Table:
    """Manifest rows with their row_hash (polars' row hash, stable within its pinned version: an upgrade makes every
    row look changed once, and publishing merges every bucket again, parsing nothing)."""
    return rows.with_columns(row_hash=rows.select(DIFF_KEYS).hash_rows()).to_arrow().cast(SCHEMA)


def stage(raw_dir: Path, layout: Layout, max_bytes: int, fingerprint: str | None = None) -> dict[str, int | str]:
    """Write the raw folder's files (and its archives, as one row each) to the state folder; returns counts.

    A run a sensor tick requested (`fingerprint`: the tick's, from the run's tag) takes the manifest the tick staged
    (stage_sensed), once: listing and hashing 600,000 files again, and writing their rows, took 3 to 6 s and then
    0.6 s of the time from the run's start to the switched warehouse. Any other run lists the folder itself."""
    if fingerprint is not None and (counts := _take_sensed(raw_dir, layout, fingerprint)) is not None:
        return {**counts, "listed_by": "sensor tick"}
    listing = raw_files(raw_dir)
    counts = _write(listing, file_hashes(listing, layout.hash_cache), max_bytes, layout.staged_manifest)
    return {**counts, "listed_by": "this run"}


def stage_sensed(listing: Listing, hashes: pl.Series, max_bytes: int, layout: Layout, fingerprint: str) -> None:
    """Stage a sensor tick's listing for the run it requests: the manifest that run's stage step takes, and beside
    it the raw folder it lists and its counts. Earlier ticks' are removed (a run not started yet lists the folder
    itself). A change made after the tick is not in it: the parse step parses such a file as it then reads and
    lists its new hash in the manifest (parsing.run_task)."""
    target = layout.sensed_manifest(fingerprint)
    target.parent.mkdir(parents=True, exist_ok=True)
    for earlier in target.parent.iterdir():
        earlier.unlink(missing_ok=True)
    counts = _write(listing, hashes, max_bytes, target)
    with atomic_path(target.with_suffix(".json")) as tmp:  # written last: the manifest is whole when it exists
        tmp.write_bytes(orjson.dumps({"root": listing.root, **counts}))


def _take_sensed(raw_dir: Path, layout: Layout, fingerprint: str) -> dict[str, int] | None:
    """Move the manifest a tick staged into place and return its counts; None when there is none (taken already:
    a re-executed run lists the folder itself) or it lists another raw folder."""
    target = layout.sensed_manifest(fingerprint)
    about = target.with_suffix(".json")
    try:
        counts = orjson.loads(about.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    finally:
        about.unlink(missing_ok=True)
    if counts.pop("root") != os.path.realpath(raw_dir):
        target.unlink(missing_ok=True)
        return None
    try:
        os.replace(target, layout.staged_manifest)
    except FileNotFoundError:
        return None
    return counts


def _write(listing: Listing, hashes: pl.Series, max_bytes: int, target: Path) -> dict[str, int]:
    """The manifest rows of a listing with its hashes, written to `target`. Built column by column: a run lists the
    whole folder, so no row objects and no Python per file."""
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
    write_parquet(_hashed(staged), target)
    n_archives = int(archive.sum())
    return {"files": len(files) - n_archives, "archives": n_archives,
            "unreadable": int(staged["error"].is_not_null().sum())}
