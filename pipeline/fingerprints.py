"""Content fingerprints of the raw folder, cheap enough to take on every sensor tick.

A file's sha256 is cached by (size, mtime) so an unchanged corpus is only stat-ed, not re-read (an entry
that cannot be read is hashed by its reason, so a change of reason counts as a change). The folder's
fingerprint hashes the (path, sha256) pairs of its entries: any file added, changed or deleted changes it.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import orjson

from pipeline.staging import RawFile, content_sha256, raw_files
from pipeline.storage import atomic_path


def file_hashes(files: list[RawFile], cache_path: Path) -> dict[str, str]:
    """sha256 of every listed raw file, re-hashing only files whose size or mtime changed since the cache."""
    cache = orjson.loads(cache_path.read_bytes()) if cache_path.exists() else {}
    fresh: dict[str, list] = {}
    for file in files:
        hit = cache.get(file.rel)
        if hit and hit[0] == file.size and hit[1] == file.mtime_ns and not file.error:
            fresh[file.rel] = hit
        else:
            fresh[file.rel] = [file.size, file.mtime_ns, content_sha256(file)]
    if fresh != cache:
        with atomic_path(cache_path) as tmp:
            tmp.write_bytes(orjson.dumps(fresh))
    return {rel: entry[2] for rel, entry in fresh.items()}


def folder_fingerprint(raw_dir: Path, cache_path: Path) -> str:
    """One hex digest over every (path, sha256) of the raw folder."""
    digest = hashlib.sha256()
    for rel, sha in sorted(file_hashes(raw_files(raw_dir), cache_path).items()):
        digest.update(f"{rel}\0{sha}\n".encode())
    return digest.hexdigest()
