"""Where every file of a run lives, and how published output changes: a whole generation at a time.

A published output is a *generation*: a folder `.generations/<n>/` holding every table (as numbered Parquet files,
each holding some of the trial buckets), the per-document rows it was merged from, and its `warehouse.duckdb`. The one pointer
`.current` (a relative symlink) names the live generation, and `OUT/<table>` and `OUT/warehouse.duckdb` are
symlinks through it, so switching the pointer (an atomic rename) switches every table and the warehouse at once:
a reader sees the whole old output or the whole new one, and a run killed before the switch leaves the old one
live. Generations are immutable; a new one hard-links the files whose buckets did not change from the previous
one, so publishing costs what changed, not the corpus. The previous generation is kept for readers still on it.

Publishing, the stage step and the parse step's plan use it; a parse task never does (tests/test_versions.py), so
an edit here merges again but parses nothing again.
"""
from __future__ import annotations

import filecmp
import hashlib
import json
import os
import shutil
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Iterator

from pipeline.storage import N_BUCKETS, atomic_path

# A generation writes each table as `files` files, a power of two ≤ N_BUCKETS: file number n holds the buckets b with
# b % files == n. About this many documents to a file: a small corpus writes a few files per table, not 128 nearly
# empty ones (each costs DuckDB and the readers milliseconds), and a large one a file per bucket.
DOCUMENTS_PER_FILE = 1024
FILES_FILE = "_files"  # in a generation: its number of files per table (absent: N_BUCKETS, as before it was kept)
MANIFEST_FILE = "_manifest.parquet"  # in a generation: the manifest it was built from (a hard link)


def quoted(text: Path | str) -> str:
    """A path (or any text) as a SQL string literal, for the DuckDB statements that name files or comment views."""
    return "'" + str(text).replace("'", "''") + "'"


def files_for(n_documents: int) -> int:
    """Files per table for a corpus of n documents: the least power of two giving ≤ DOCUMENTS_PER_FILE to a file."""
    files = 1
    while files < N_BUCKETS and files * DOCUMENTS_PER_FILE < n_documents:
        files *= 2
    return files


@dataclass(frozen=True)
class Layout:
    """The output folder: the published tables at the top (symlinks into the live generation), work below."""

    out_dir: Path

    @property
    def state_dir(self) -> Path:
        """Work kept between runs: parsed rows not yet published, caches, the writer lock."""
        return self.out_dir / ".state"

    @property
    def incoming_dir(self) -> Path:
        """Parsed rows of new content, one folder per parse batch, until a generation takes them in."""
        return self.state_dir / "incoming"

    @property
    def staged_manifest(self) -> Path:
        """The raw folder as the staging step found it (archives still to be read stand as one row)."""
        return self.state_dir / "staged.parquet"

    @property
    def manifest(self) -> Path:
        """Every document of the raw folder (archive members included), as the parse step leaves it for publishing."""
        return self.state_dir / "manifest.parquet"

    def manifest_changes(self, generation: Generation) -> Path:
        """The doc_keys of the manifest added, changed or removed since `generation`'s, or not parsed there, as the
        parse step found them: publishing takes them rather than diffing 600,000 rows again. The name holds the
        generation, the identity of the manifest it was built from (replaced when a publish re-records it) and the
        code version (a diff made by other code is not taken), and the parse step removes every such file before it
        writes a manifest, so a file found is this manifest's."""
        stat = generation.manifest.stat()
        name = f"{generation.path.name}-{stat.st_ino}-{stat.st_mtime_ns}-{code_versions().code}.parquet"
        return self.changes_dir / name

    @property
    def changes_dir(self) -> Path:
        return self.state_dir / "changes"

    def sensed_manifest(self, fingerprint: str) -> Path:
        """The manifest a sensor tick staged for the run it requested (listing.stage_sensed)."""
        return self.state_dir / "sensed" / f"{fingerprint}.parquet"

    @property
    def hash_cache(self) -> Path:
        """sha256 of raw files by size and mtime, so sensor ticks need not re-read an unchanged corpus."""
        return self.state_dir / "raw_hashes.parquet"

    @property
    def lock_file(self) -> Path:
        return self.state_dir / "writer.lock"

    @property
    def listings_dir(self) -> Path:
        """Archive members as the parse's workers listed them (manifest rows), until the manifest takes them in."""
        return self.state_dir / "listings"

    @property
    def spill_dir(self) -> Path:
        return self.state_dir / "duckdb_spill"

    @property
    def generations_dir(self) -> Path:
        return self.out_dir / ".generations"

    @property
    def pointer(self) -> Path:
        return self.out_dir / ".current"

    def current(self) -> Path | None:
        """The live generation's folder, or None before the first publish."""
        return self.pointer.resolve() if self.pointer.is_symlink() else None

    def table_dir(self, table: str) -> Path:
        return self.out_dir / table

    @property
    def warehouse(self) -> Path:
        return self.out_dir / "warehouse.duckdb"


@dataclass(frozen=True)
class Generation:
    """One generation's folder: published tables, the per-document rows behind them, and its warehouse."""

    path: Path

    def table_dir(self, table: str) -> Path:
        return self.path / table

    def rows_dir(self, table: str) -> Path:
        """Every live document's rows of one table, by bucket (the merge's input, kept for the next run)."""
        return self.path / "_rows" / table

    @property
    def warehouse(self) -> Path:
        return self.path / "warehouse.duckdb"

    @property
    def manifest(self) -> Path:
        """The manifest this generation was built from (MANIFEST_FILE), which the next run compares and diffs with."""
        return self.path / MANIFEST_FILE

    def built_from(self, manifest: Path) -> bool:
        """Whether `manifest` holds byte for byte the manifest this generation was built from (read whole: 30 MB at
        600,000 documents in 0.013 s, half the time of hashing one of them)."""
        if not (self.manifest.exists() and manifest.exists()):
            return False
        filecmp.clear_cache()  # it caches results by size and mtime: a file replaced within a tick must not match
        return filecmp.cmp(self.manifest, manifest, shallow=False)

    def keep_manifest(self, manifest: Path) -> None:
        """Record `manifest` as the one this generation was built from (a hard link, replacing any before)."""
        with atomic_path(self.manifest) as tmp:
            os.link(manifest, tmp)

    @cached_property
    def versions(self) -> Versions | None:
        """The code that made this generation (None: one written before they were kept)."""
        kept = self.path / VERSIONS_FILE
        return Versions(**json.loads(kept.read_text())) if kept.exists() else None

    def keep_versions(self, versions: Versions) -> None:
        with atomic_path(self.path / VERSIONS_FILE) as tmp:
            tmp.write_text(json.dumps(asdict(versions)))

    @cached_property
    def files(self) -> int:
        """Files per table (see DOCUMENTS_PER_FILE)."""
        kept = self.path / FILES_FILE
        return int(kept.read_text()) if kept.exists() else N_BUCKETS

    def numbered_files(self, folder: Path, buckets: set[int] | None = None) -> dict[int, list[Path]]:
        """A folder's files by number (`b017.parquet`, and `b017.1.parquet`… when one took several); with
        `buckets`, only the files holding any of them."""
        if not folder.is_dir():
            return {}
        wanted = None if buckets is None else {b % self.files for b in buckets}
        files: dict[int, list[Path]] = {}
        for name in sorted(os.listdir(folder)):
            number = file_number(name)
            if number is not None and (wanted is None or number in wanted):
                files.setdefault(number, []).append(folder / name)
        return files


def file_number(name: str) -> int | None:
    """The number of a table's file (`b017.parquet`, `b017.1.parquet` → 17); None for any other name."""
    return int(name[1:4]) if name.startswith("b") and name[1:4].isdigit() and name.endswith(".parquet") else None


def new_generation(layout: Layout, files: int) -> Generation:
    """An empty folder for the next generation (numbered after every existing one), of `files` files per table."""
    layout.generations_dir.mkdir(parents=True, exist_ok=True)
    numbers = [int(p.name) for p in layout.generations_dir.iterdir() if p.name.isdigit()]
    path = layout.generations_dir / f"{max(numbers, default=0) + 1:06d}"
    path.mkdir()
    (path / FILES_FILE).write_text(str(files))
    return Generation(path)


def link_unchanged(previous: Generation | None, folder_of, new: Generation, dirty: set[int] | None) -> None:
    """Hard-link into the new generation the previous one's files that hold no dirty bucket.

    `folder_of(generation)` names the folder (a table's, or its rows'); dirty=None means every bucket is dirty.
    The two generations have as many files per table (publishing makes every bucket dirty when they would not).
    """
    if previous is None or dirty is None or not folder_of(previous).is_dir():
        return
    stale = {b % previous.files for b in dirty}
    target = folder_of(new)
    target.mkdir(parents=True, exist_ok=True)
    # names relative to open folders: thousands of links a change, without resolving two paths for each
    with _opened(folder_of(previous)) as source, _opened(target) as into:
        for name in os.listdir(source):
            number = file_number(name)
            if number is not None and number not in stale:
                os.link(name, name, src_dir_fd=source, dst_dir_fd=into)


@contextmanager
def _opened(folder: Path) -> Iterator[int]:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield fd
    finally:
        os.close(fd)


def switch(layout: Layout, generation: Generation, tables) -> None:
    """Make `generation` the live one: one atomic rename of the pointer, then the links that name it."""
    _replace_symlink(layout.pointer, Path(".generations") / generation.path.name)
    for name in (*tables, "warehouse.duckdb"):
        link = layout.out_dir / name
        if link.is_symlink():
            continue
        if link.is_dir():  # the output of an older release: a real folder per table
            shutil.rmtree(link)
        elif link.exists():
            link.unlink()
        _replace_symlink(link, Path(".current") / name)


def _replace_symlink(link: Path, target: Path) -> None:
    tmp = link.with_name(f".{link.name}.{uuid.uuid4().hex}.tmp")
    os.symlink(target, tmp)
    os.replace(tmp, link)


def remove_old_generations(layout: Layout, before: Path | None) -> None:
    """Delete every generation but the live one and `before`, the one live until it (a reader may still be on it):
    older ones, and unfinished ones of killed runs, which by number may sit between the two."""
    keep = {layout.current(), before}  # both resolved (Layout.current)
    for path in layout.generations_dir.iterdir():
        if path.name.isdigit() and path.resolve() not in keep:
            shutil.rmtree(path, ignore_errors=True)


# The modules that list the raw folder, plan the parse's work, merge, publish, report or run, which a parse task
# never imports (tests/test_versions.py checks): a change in them rebuilds the tables from the kept per-document
# rows; a change anywhere else in pipeline/ or schemas/ (a reader, the thresholds, a schema, or a module added later)
# parses every document again.
BUILD_MODULES = ("pipeline/__main__.py", "pipeline/cli.py", "pipeline/definitions.py", "pipeline/defs/",
                 "pipeline/generations.py", "pipeline/history.py", "pipeline/linking.py", "pipeline/listing.py",
                 "pipeline/lock.py", "pipeline/publishing.py", "pipeline/report.py", "pipeline/scheduling.py",
                 "pipeline/warehouse.py", "pipeline/workers.py", "schemas/dictionary.py")
VERSIONS_FILE = "_versions.json"  # in a generation: the Versions that made it


@dataclass(frozen=True)
class Versions:
    """Digests of the code that made a generation: `parser` of the code that turns documents into rows (rows of
    other parser code are parsed again), `code` of all of pipeline/ and schemas/ (tables of other code are merged
    again from the rows). Nobody has to remember to bump them, and no stale row or table survives a change."""

    parser: str
    code: str


@cache
def code_versions() -> Versions:
    root = Path(__file__).resolve().parents[1]
    modules = sorted(path.relative_to(root).as_posix()
                     for path in [*(root / "pipeline").rglob("*.py"), *(root / "schemas").rglob("*.py")])
    parser, code = hashlib.sha256(), hashlib.sha256()
    for module in modules:
        text = module.encode() + b"\0" + (root / module).read_bytes()
        code.update(text)
        if not module.startswith(BUILD_MODULES):
            parser.update(text)
    return Versions(parser.hexdigest()[:16], code.hexdigest()[:16])
