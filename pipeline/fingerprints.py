"""Content fingerprints of the raw folder, cheap enough to take on every sensor tick.

A file's sha256 is cached by (size, mtime) so an unchanged corpus is only stat-ed, not re-read. The folder's
fingerprint hashes the (path, sha256) pairs of its files: any file added, changed or deleted changes it.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import orjson

from pipeline.staging import raw_files, sha256_file
from pipeline.storage import atomic_path


def file_hashes(raw_dir: Path, cache_path: Path) -> dict[str, str]:
    """sha256 of every raw file, re-hashing only files whose size or mtime changed since the cache."""
    cache = orjson.loads(cache_path.read_bytes()) if cache_path.exists() else {}
    fresh: dict[str, list] = {}
    for rel in raw_files(raw_dir):
        stat = (raw_dir / rel).stat()
        hit = cache.get(rel)
        if hit and hit[0] == stat.st_size and hit[1] == stat.st_mtime_ns:
            fresh[rel] = hit
        else:
            fresh[rel] = [stat.st_size, stat.st_mtime_ns, sha256_file(raw_dir / rel)]
    if fresh != cache:
        with atomic_path(cache_path) as tmp:
            tmp.write_bytes(orjson.dumps(fresh))
    return {rel: entry[2] for rel, entry in fresh.items()}


def folder_fingerprint(raw_dir: Path, cache_path: Path) -> str:
    """One hex digest over every (path, sha256) of the raw folder."""
    digest = hashlib.sha256()
    for rel, sha in sorted(file_hashes(raw_dir, cache_path).items()):
        digest.update(f"{rel}\0{sha}\n".encode())
    return digest.hexdigest()
