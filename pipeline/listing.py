"""The stage step: the raw folder listed, its files hashed, and the result written as the staged manifest.

It runs on every run and every sensor tick over the whole folder (a registry is hundreds of thousands of files), so
it works in columns, not objects per file. Building the manifest is cheap on an unchanged corpus: file hashes are
cached by (path, size, mtime), so an unchanged corpus is only stat-ed, not re-read (an entry that cannot be read is
hashed by its reason, so a change of reason counts as a change), and an archive whose own sha256 is unchanged is not
opened at all (its members' rows are taken from the live generation). Only archives that are new or changed are
read, by the parse step, which reads their members anyway. The folder's fingerprint hashes the (path, sha256) pairs
of its entries: any file added, changed or deleted changes it.

Merging code, not parser code (generations.BUILD_MODULES): what it decides about a file (its path, sha256, why it
cannot be read) is in the manifest's rows, which the parse step diffs, so an edit here parses again only the
documents whose rows it changes.
"""
from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import orjson
import polars as pl

from pipeline import manifest
from pipeline.generations import Layout
from pipeline.staging import ARCHIVE_SUFFIX, RawFile, content_sha256, not_a_file, printable
from pipeline.storage import atomic_path, write_parquet

# The manifest in row groups of this many rows, not one: DuckDB reads a file's row groups side by side and skips those
# whose doc_keys a lookup cannot match (600,000 rows: the parse step's diff 0.074 → 0.047 s, a doc_key found in 0.029
# → 0.007 s)
MANIFEST_ROW_GROUP_ROWS = 100_000
LISTING_SCHEMA = {"rel": pl.String, "size": pl.Int64, "mtime_ns": pl.Int64, "path": pl.Binary, "error": pl.String}


@dataclass(frozen=True)
class Listing:
    """The raw folder's entries as columns (LISTING_SCHEMA), sorted by rel: a whole registry is hundreds of
    thousands of files, listed on every run and sensor tick, so no object per file.

    `path` is what to open, as the file system's bytes (a name need not be valid UTF-8); null for the common case,
    a regular file opened by its own name under `root`. `error` is why an entry cannot be read as a file."""

    root: str  # the raw folder, resolved
    files: pl.DataFrame

    def __len__(self) -> int:
        return self.files.height

    def entries(self, rows: pl.DataFrame | None = None) -> Iterator[RawFile]:
        """A RawFile per row (of `rows`, a slice of `files`): for the few entries that are opened."""
        for rel, size, mtime_ns, path, error in (self.files if rows is None else rows).select(*LISTING_SCHEMA).iter_rows():
            yield RawFile(rel, os.fsdecode(path) if path is not None else os.path.join(self.root, rel), size, mtime_ns,
                          error)


def raw_files(raw_dir: Path) -> Listing:
    """Every entry under raw_dir, hidden files and folders skipped; nothing outside raw_dir is followed. An entry
    that cannot be read as a file is listed with its reason, so it gets its own row.

    One scandir per folder and one lstat per entry, with as little Python per entry as can be: a regular file with a
    plain name, the common case, is three appends to column lists."""
    root = os.path.realpath(raw_dir)
    rels, sizes, mtimes = [], [], []
    others: list[RawFile] = []
    is_regular = stat.S_ISREG
    stack = [(root, "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            with os.scandir(folder) as entries:
                listed = [e for e in entries if e.name[0] != "."]
        except OSError as exc:
            others.append(RawFile(printable(prefix.rstrip("/") or "."), folder, 0, 0,
                                  f"folder not readable: {exc.strerror}"))
            continue
        for entry in listed:
            rel = prefix + entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append((entry.path, rel + "/"))
                    continue
                info = entry.stat(follow_symlinks=False)
            except OSError:
                others.append(_raw_file(Path(root), entry, printable(rel)))
                continue
            if is_regular(info.st_mode) and rel.isascii() and rel.isprintable():
                rels.append(rel)
                sizes.append(info.st_size)
                mtimes.append(info.st_mtime_ns)
            else:
                others.append(_raw_file(Path(root), entry, printable(rel)))
    regular = pl.DataFrame({"rel": rels, "size": sizes, "mtime_ns": mtimes, "path": None, "error": None},
                           schema=LISTING_SCHEMA)
    irregular = pl.DataFrame([(f.rel, f.size, f.mtime_ns, os.fsencode(f.path), f.error) for f in others],
                             schema=LISTING_SCHEMA, orient="row")
    return Listing(root, pl.concat([regular, irregular]).sort("rel"))


def _raw_file(root: Path, entry: os.DirEntry, rel: str) -> RawFile:
    path = entry.path
    try:
        link = entry.stat(follow_symlinks=False)
        if not stat.S_ISLNK(link.st_mode):
            return RawFile(rel, path, link.st_size, link.st_mtime_ns, not_a_file(link.st_mode))
        target = Path(os.path.realpath(path))
        if not target.is_relative_to(root):
            return RawFile(rel, path, 0, link.st_mtime_ns, "symlink outside the raw folder: not followed")
        if not os.path.lexists(target):
            return RawFile(rel, path, 0, link.st_mtime_ns, "dangling symlink: its target does not exist")
        info = target.stat()
        reason = not_a_file(info.st_mode)
        return RawFile(rel, str(target), info.st_size, info.st_mtime_ns, reason and f"symlink to {reason}")
    except OSError as exc:  # a symlink loop, a name too long, permissions …
        return RawFile(rel, path, 0, 0, f"not readable: {exc.strerror or exc}")


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
    write_parquet(manifest.hashed(staged), target, row_group_size=MANIFEST_ROW_GROUP_ROWS)
    n_archives = int(archive.sum())
    return {"files": len(files) - n_archives, "archives": n_archives,
            "unreadable": int(staged["error"].is_not_null().sum())}
