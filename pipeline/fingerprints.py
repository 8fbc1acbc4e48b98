"""Content fingerprints of the raw folder, cheap enough to take on every sensor tick and every run.

A file's sha256 is cached by (path, size, mtime) so an unchanged corpus is only stat-ed, not re-read (an entry
that cannot be read is hashed by its reason, so a change of reason counts as a change). The cache is a Parquet
table joined with the listing as columns: a registry of 600,000 files costs its stat calls, not a Python loop
over a dictionary. The folder's fingerprint hashes the (path, sha256) pairs of its entries: any file added,
changed or deleted changes it.

A sensor tick that sees a change stages its listing for the run it requests (manifest.stage_sensed).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl

from pipeline.staging import Listing, content_sha256
from pipeline.storage import write_parquet

_KEY = {"rel": pl.String, "size": pl.Int64, "mtime_ns": pl.Int64}
CACHE_SCHEMA = {**_KEY, "sha256": pl.String}


def file_hashes(listing: Listing, cache_path: Path) -> pl.Series:
    """sha256 of every listed raw file, in the listing's order, re-hashing only files whose size or mtime
    changed since the cache (and every entry that cannot be read: its reason is hashed, which costs nothing)."""
    files = listing.files
    cached = pl.read_parquet(cache_path) if cache_path.exists() else pl.DataFrame(schema=CACHE_SCHEMA)
    hashes = files.select(*_KEY).join(cached, on=list(_KEY), how="left", maintain_order="left")["sha256"]
    readable = files["error"].is_null()
    missed = (hashes.is_null() & readable).sum()
    todo = (hashes.is_null() | ~readable).arg_true()
    if len(todo):
        hashes = hashes.scatter(todo, [content_sha256(f) for f in listing.entries(files[todo])])
    if missed or cached.height != readable.sum():
        fresh = files.select(*_KEY).with_columns(sha256=hashes).filter(readable)
        write_parquet(fresh.to_arrow(), cache_path)
    return hashes


def folder_fingerprint(listing: Listing, hashes: pl.Series) -> str:
    """One hex digest over every (path, sha256) of a listing of the raw folder (in path order)."""
    pairs = listing.files.select("rel", sha256=hashes)
    text = pairs.select(pl.concat_str("rel", pl.lit("\0"), "sha256", pl.lit("\n")).str.join("")).item()
    return hashlib.sha256(text.encode()).hexdigest()
