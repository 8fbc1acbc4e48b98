"""Content fingerprints of the raw folder, per shard, cheap enough to take on every sensor tick.

A file's sha256 is cached by (size, mtime) so an unchanged corpus is only stat-ed, not re-read.
A shard's fingerprint hashes the (path, sha256) pairs of its files; archives spread their members
over every shard, so an archive's hash enters every shard's fingerprint.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import orjson

from pipeline.staging import content_sha256, is_archive, raw_files, shard_of
from pipeline.storage import SHARDS, atomic_path


def file_hashes(raw_dir: Path, cache_path: Path) -> dict[str, str]:
    """sha256 of every raw file, re-hashing only files whose size or mtime changed since the cache."""
    cache = orjson.loads(cache_path.read_bytes()) if cache_path.exists() else {}
    fresh: dict[str, list] = {}
    for file in raw_files(raw_dir):
        hit = cache.get(file.rel)
        if hit and hit[0] == file.size and hit[1] == file.mtime_ns:
            fresh[file.rel] = hit
        else:
            fresh[file.rel] = [file.size, file.mtime_ns, content_sha256(file)]
    if fresh != cache:
        with atomic_path(cache_path) as tmp:
            tmp.write_bytes(orjson.dumps(fresh))
    return {rel: entry[2] for rel, entry in fresh.items()}


def shard_fingerprints(raw_dir: Path, cache_path: Path) -> dict[str, str]:
    """{shard: hex digest} over the files (and archives) that feed each shard."""
    digests = {shard: hashlib.sha256() for shard in SHARDS}
    for rel, sha in sorted(file_hashes(raw_dir, cache_path).items()):
        entry = f"{rel}\0{sha}\n".encode()
        for shard in (SHARDS if is_archive(rel) else (shard_of(rel),)):
            digests[shard].update(entry)
    return {shard: digest.hexdigest() for shard, digest in digests.items()}
