"""Where every file of a run lives, and the one way files are written: whole or not at all.

Every write goes to a hidden temporary name in the target folder and is renamed over the target
(rename is atomic on one file system), so a reader never sees half a file and an interrupted run
leaves the last good output in place. Temporary names do not end in .parquet, so the
`<table>/**/*.parquet` globs of the contract never pick them up.
"""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

N_SHARDS = 32
SHARDS = tuple(f"{i:02d}" for i in range(N_SHARDS))
PARQUET_OPTIONS = {"compression": "zstd", "compression_level": 3}


@dataclass(frozen=True)
class Layout:
    """The output folder: published tables at the top, per-shard work under _shards/."""

    out_dir: Path

    @property
    def shards_dir(self) -> Path:
        return self.out_dir / "_shards"

    def staged(self, shard: str) -> Path:
        return self.shards_dir / shard / "staged.parquet"

    def parsed(self, shard: str, table: str) -> Path:
        return self.shards_dir / shard / "parsed" / f"{table}.parquet"

    def parsed_glob(self, table: str) -> str:
        return str(self.shards_dir / "*" / "parsed" / f"{table}.parquet")

    def table_dir(self, table: str) -> Path:
        return self.out_dir / table

    def table_file(self, table: str) -> Path:
        return self.table_dir(table) / "data.parquet"

    @property
    def hash_cache(self) -> Path:
        """sha256 of raw files by size and mtime, so sensor ticks need not re-read an unchanged corpus."""
        return self.shards_dir / "raw_hashes.json"

    @property
    def warehouse(self) -> Path:
        return self.out_dir / "warehouse.duckdb"


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside target; on success rename it over target, on failure remove it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def write_parquet(table: pa.Table, target: Path) -> None:
    with atomic_path(target) as tmp:
        pq.write_table(table, tmp, **PARQUET_OPTIONS)
