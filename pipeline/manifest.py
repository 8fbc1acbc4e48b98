"""What the raw folder holds now: one row per document (a file, or an archive member) with its sha256.

Building it is cheap on an unchanged corpus: file hashes are cached by size and mtime, and an archive whose
own sha256 is unchanged is not opened at all (its members' rows are taken from the live generation). Only
archives that are new or changed are read, by the parse step, which reads their members anyway.

Rows: doc_key (the document's id: its path, or `archive!member`), source_path, member, sha256, n_bytes,
error (why the document cannot be read, decided from its path or size: the content is never looked at here),
container_sha256 (an archive member's archive), doc_bucket, and is_archive (a row standing for a whole archive
still to be read).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import pyarrow as pa

from pipeline.fingerprints import file_hashes
from pipeline.staging import is_archive, raw_files
from pipeline.storage import Layout, bucket_of, write_parquet

SCHEMA = pa.schema([
    ("doc_key", pa.string()), ("source_path", pa.string()), ("member", pa.string()), ("sha256", pa.string()),
    ("n_bytes", pa.int64()), ("error", pa.string()), ("container_sha256", pa.string()), ("doc_bucket", pa.int32()),
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
    path: bytes | None = None  # what to open (a symlink inside the raw folder resolved), for plain files; as the
    # file system's bytes, since a file's name need not be valid UTF-8


def table(entries: list[Entry]) -> pa.Table:
    columns = dict(zip(Entry._fields, map(list, zip(*entries)))) if entries else {f: [] for f in Entry._fields}
    columns["doc_bucket"] = [bucket_of(key) for key in columns["doc_key"]]
    return pa.table({f.name: pa.array(columns[f.name], f.type) for f in SCHEMA}, schema=SCHEMA)


def stage(raw_dir: Path, layout: Layout, max_bytes: int) -> dict[str, int]:
    """Write the raw folder's files (and its archives, as one row each) to the state folder; returns counts.

    Built column by column: a run lists the whole folder, so this is a few list passes per file, no row objects."""
    files = raw_files(raw_dir)
    rels = [f.rel for f in files]
    archive = [is_archive(f.rel) and not f.error for f in files]  # an archive's members are held to the limit, not it
    errors = [f.error or (f"file too large: {f.size} bytes (limit {max_bytes})" if f.size > max_bytes and not a
                          else None) for f, a in zip(files, archive)]
    columns = {"doc_key": rels, "source_path": rels, "member": None, "sha256": file_hashes(files, layout.hash_cache),
               "n_bytes": [f.size for f in files], "error": errors, "container_sha256": None,
               "doc_bucket": [bucket_of(rel) for rel in rels], "is_archive": archive,
               "path": [os.fsencode(f.path) for f in files]}
    write_parquet(pa.table({f.name: pa.array(columns[f.name] or [None] * len(files), f.type) for f in SCHEMA},
                           schema=SCHEMA), layout.staged_manifest)
    return {"files": len(files) - sum(archive), "archives": sum(archive),
            "unreadable": sum(e is not None for e in errors)}
