"""Content fingerprints of the raw folder, cheap enough to take on every sensor tick and every run.

A file's sha256 is cached by (path, size, mtime) so an unchanged corpus is only stat-ed, not re-read (an entry
that cannot be read is hashed by its reason, so a change of reason counts as a change). The cache is a Parquet
table joined with the listing as columns: a registry of 600,000 files costs its stat calls, not a Python loop
over a dictionary. The folder's fingerprint hashes the (path, sha256) pairs of its entries: any file added,
changed or deleted changes it.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl

from pipeline.staging import RawFile, content_sha256, raw_files
from pipeline.storage import write_parquet

_KEY = {"rel": pl.String, "size": pl.Int64, "mtime_ns": pl.Int64}
CACHE_SCHEMA = {**_KEY, "sha256": pl.String}


def file_hashes(files: list[RawFile], cache_path: Path) -> list[str]:
    """sha256 of every listed raw file, in the listing's order, re-hashing only files whose size or mtime
    changed since the cache (and every entry that cannot be read: its reason is hashed, which costs nothing)."""
    listed = pl.DataFrame({"rel": [f.rel for f in files], "size": [f.size for f in files],
                           "mtime_ns": [f.mtime_ns for f in files]}, schema=_KEY)
    cached = pl.read_parquet(cache_path) if cache_path.exists() else pl.DataFrame(schema=CACHE_SCHEMA)
    hashes = listed.join(cached, on=list(_KEY), how="left", maintain_order="left")["sha256"].to_list()
    missed = 0
    for i, file in enumerate(files):
        if hashes[i] is None or file.error:
            hashes[i] = content_sha256(file)
            missed += file.error is None
    readable = [f.error is None for f in files]
    if missed or cached.height != sum(readable):
        fresh = listed.with_columns(sha256=pl.Series(hashes, dtype=pl.String)).filter(pl.Series(readable))
        write_parquet(fresh.to_arrow(), cache_path)
    return hashes


def folder_fingerprint(raw_dir: Path, cache_path: Path) -> str:
    """One hex digest over every (path, sha256) of the raw folder (listed in path order)."""
    files = raw_files(raw_dir)
    pairs = zip((f.rel for f in files), file_hashes(files, cache_path))
    return hashlib.sha256("".join(f"{rel}\0{sha}\n" for rel, sha in pairs).encode()).hexdigest()
