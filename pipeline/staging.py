"""Stage: raw files (and archive members) → decoded documents with hash, size, encoding and layout.

Everything that can be wrong with bytes is decided here, once, with a specific reason: empty,
binary, undecodable, too large, a truncated archive, a layout no reader recognises. Archives
(ZIP, tar, tar.gz/.xz/.bz2) are read as a stream, member by member, never unpacked to disk; each
member is its own document, `<archive path>!<member name>`.
"""
from __future__ import annotations

import codecs
import hashlib
import lzma
import multiprocessing
import os
import re
import tarfile
import zipfile
import zlib
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq
from charset_normalizer import from_bytes

from pipeline import sources
from pipeline.storage import N_SHARDS, PARQUET_OPTIONS, Layout, atomic_path

MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_DECLARED = re.compile(rb"""(?:encoding|charset)\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_ARCHIVE_SUFFIXES = (".zip", ".tar", ".tgz", ".tar.gz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2")


@dataclass(slots=True)
class StagedDocument:
    doc_id: str
    source_path: str  # relative to the raw folder
    member: str | None  # archive member name, None for a plain file
    sha256: str
    n_bytes: int
    encoding: str | None = None
    source_format: str | None = None
    error: str | None = None  # the quarantine reason, when staging already knows the document is bad
    text: str | None = None


class StagingError(ValueError):
    """Bytes that are not a readable document; the message is the quarantine reason."""


def shard_of(key: str) -> str:
    """The stable shard of a document key (a path, or `archive!member`)."""
    return f"{zlib.crc32(key.encode()) % N_SHARDS:02d}"


def is_archive(path: str) -> bool:
    return path.lower().endswith(_ARCHIVE_SUFFIXES)


def raw_files(raw_dir: Path) -> list[str]:
    """Every file under raw_dir, as sorted POSIX paths relative to it (hidden files and folders skipped)."""
    found = []
    for root, dirs, files in os.walk(raw_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        rel_root = Path(root).relative_to(raw_dir)
        found.extend((rel_root / f).as_posix() for f in files if not f.startswith("."))
    return sorted(found)


def decode(raw: bytes) -> tuple[str, str]:
    """Bytes → (text, encoding): BOM first, then UTF-8, then a declared charset, then detection."""
    if not raw:
        raise StagingError("empty file (0 bytes)")
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                return _text_or_binary(raw[len(bom):].decode(encoding)), encoding
            except UnicodeDecodeError as exc:
                raise StagingError(f"not valid {encoding} despite its byte-order mark: {exc.reason} at byte {exc.start}")
    try:
        return _text_or_binary(raw.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    declared = _DECLARED.search(raw[:2048])
    if declared:
        try:
            return _text_or_binary(raw.decode(declared[1].decode("ascii"))), codecs.lookup(declared[1].decode()).name
        except (LookupError, UnicodeDecodeError):
            pass
    if b"\x00" in raw[:8192] and raw[:8192].count(b"\x00") * 4 < len(raw[:8192]):
        raise StagingError("binary content, not text (NUL bytes)")
    best = _detect(raw[:1_000_000])
    if best is None:
        raise StagingError("binary or undecodable content: no text encoding fits")
    try:
        return _text_or_binary(raw.decode(best.encoding)), best.encoding
    except UnicodeDecodeError as exc:
        raise StagingError(f"undecodable content: detected {best.encoding} but {exc.reason} at byte {exc.start}")


def _detect(raw: bytes):
    """charset_normalizer's best guess; where Western and Central European code pages tie (short
    texts with few accents), the Western one, as registry pages are overwhelmingly in Western scripts."""
    matches = from_bytes(raw)
    best = matches.best()
    if best is None:
        return None
    tied = [m for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)]
    return next((m for m in tied if m.encoding == "cp1252"), best)


def _text_or_binary(text: str) -> str:
    sample = text[:8192]
    if sample and len(_CONTROL.findall(sample)) > max(8, len(sample) // 100):
        raise StagingError("binary content, not text (control characters)")
    return text


def stage_bytes(doc: StagedDocument, raw: bytes) -> StagedDocument:
    """Fill encoding, text and source_format of a document from its bytes, or its error."""
    try:
        doc.text, doc.encoding = decode(raw)
    except StagingError as exc:
        doc.error = str(exc)
        return doc
    reader = sources.detect(doc.text)
    if reader is None:
        doc.error = ("unrecognised layout: not a ClinicalTrials.Veeva page, classic ClinicalTrials.gov page, "
                     "ClinicalTrials.gov Archive page, legacy XML record, API v2 JSON, WHO ICTRP export "
                     "(XML or CSV) or WHO registration data set XML")
    else:
        doc.source_format = reader.FORMAT
    return doc


def stage(raw_dir: Path, shards: Iterable[str], max_bytes: int = MAX_DOCUMENT_BYTES) -> Iterator[tuple[str, StagedDocument]]:
    """Yield (shard, document) for every document of raw_dir that falls in one of `shards`."""
    wanted = set(shards)
    for rel in raw_files(raw_dir):
        path = raw_dir / rel
        if is_archive(rel):
            yield from ((shard_of(d.doc_id), d) for d in _archive_documents(path, rel, wanted, max_bytes))
        elif shard_of(rel) in wanted:
            yield shard_of(rel), _file_document(path, rel, max_bytes)


def _file_document(path: Path, rel: str, max_bytes: int) -> StagedDocument:
    size = path.stat().st_size
    if size > max_bytes:
        return StagedDocument(rel, rel, None, sha256_file(path), size,
                              error=f"file too large: {size} bytes (limit {max_bytes})")
    raw = path.read_bytes()
    return stage_bytes(StagedDocument(rel, rel, None, hashlib.sha256(raw).hexdigest(), len(raw)), raw)


def sha256_file(path: Path) -> str:
    with path.open("rb") as fh:
        return sha256_stream(fh)


def sha256_stream(fh: BinaryIO) -> str:
    """sha256 of a stream read in 1 MiB chunks: a document over the size limit is hashed, never held whole."""
    digest = hashlib.sha256()
    while chunk := fh.read(1 << 20):
        digest.update(chunk)
    return digest.hexdigest()


def _archive_documents(path: Path, rel: str, wanted: set[str], max_bytes: int) -> Iterator[StagedDocument]:
    """Stream an archive's members; a damaged archive yields one document for the archive naming the damage."""
    count = 0
    try:
        for member, size, open_member in archive_members(path):
            doc_id = f"{rel}!{member}"
            count += 1
            if shard_of(doc_id) not in wanted:
                continue
            with open_member() as fh:
                if size > max_bytes:
                    yield StagedDocument(doc_id, rel, member, sha256_stream(fh), size,
                                         error=f"archive member too large: {size} bytes (limit {max_bytes})")
                    continue
                raw = fh.read()
            yield stage_bytes(StagedDocument(doc_id, rel, member, hashlib.sha256(raw).hexdigest(), len(raw)), raw)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError, lzma.LZMAError, zlib.error) as exc:
        if shard_of(rel) in wanted:
            yield StagedDocument(rel, rel, None, sha256_file(path), path.stat().st_size,
                                 error=f"damaged archive after {count} members: {type(exc).__name__}: {exc}")


def archive_members(path: Path):
    """(name, size, open) for each regular member, in archive order, streaming; open() gives the member's bytes
    as a stream (staging and `status` read archives the same way)."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if not info.is_dir() and not _hidden(info.filename):
                    yield info.filename, info.file_size, lambda info=info: zf.open(info)
        return
    with tarfile.open(path, mode="r|*") as tf:
        for info in tf:
            if info.isfile() and not _hidden(info.name):
                yield info.name, info.size, lambda info=info: tf.extractfile(info)


def _hidden(name: str) -> bool:
    return any(part.startswith(".") for part in name.split("/"))


STAGED_SCHEMA = pa.schema([
    ("doc_id", pa.string()), ("source_path", pa.string()), ("member", pa.string()), ("sha256", pa.string()),
    ("n_bytes", pa.int64()), ("encoding", pa.string()), ("source_format", pa.string()), ("error", pa.string()),
    ("text", pa.large_string()),
])
_FLUSH_ROWS = 500
# Staging a large raw folder runs in one process per core, each over its own subset of the shards;
# below this many bytes of raw files, starting the processes costs more than it saves.
PARALLEL_MIN_BYTES = 64 * 1024 * 1024


def write_staged(raw_dir: Path, layout: Layout, shards: Iterable[str], max_bytes: int = MAX_DOCUMENT_BYTES,
                 workers: int = 1) -> Counter:
    """Stage every document of `shards` into `_shards/<shard>/staged.parquet`; returns counts by outcome.

    Each shard's file is rewritten whole (so a deleted raw file simply disappears from it), through
    a temporary name, with rows buffered a few hundred at a time so memory stays bounded. A raw folder
    of PARALLEL_MIN_BYTES or more is staged by `workers` processes, each writing its own shards: every
    process lists the folder and the archives' members, and reads only its own.
    """
    shards = list(shards)
    workers = min(workers, len(shards))
    if workers <= 1 or not _at_least(raw_dir, PARALLEL_MIN_BYTES):
        return _write_staged(raw_dir, layout, shards, max_bytes)
    groups = [shards[i::workers] for i in range(workers)]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return sum(pool.map(_write_staged, [raw_dir] * workers, [layout] * workers, groups, [max_bytes] * workers),
                   Counter())


def _at_least(raw_dir: Path, n_bytes: int) -> bool:
    """Whether the raw folder holds at least n_bytes (stops counting once it does)."""
    total = 0
    for rel in raw_files(raw_dir):
        total += (raw_dir / rel).stat().st_size
        if total >= n_bytes:
            return True
    return False


def _table(docs: list[StagedDocument]) -> pa.Table:
    return pa.Table.from_arrays([pa.array([getattr(d, f.name) for d in docs], f.type) for f in STAGED_SCHEMA],
                                schema=STAGED_SCHEMA)


def _write_staged(raw_dir: Path, layout: Layout, shards: list[str], max_bytes: int) -> Counter:
    counts: Counter = Counter()
    buffers: dict[str, list[StagedDocument]] = {s: [] for s in shards}
    with ExitStack() as stack:
        writers = {}
        for shard in shards:
            tmp = stack.enter_context(atomic_path(layout.staged(shard)))
            writers[shard] = stack.enter_context(pq.ParquetWriter(tmp, STAGED_SCHEMA, **PARQUET_OPTIONS))
        for shard, doc in stage(raw_dir, shards, max_bytes):
            counts["quarantined" if doc.error else "staged"] += 1
            buffers[shard].append(doc)
            if len(buffers[shard]) >= _FLUSH_ROWS:
                writers[shard].write_table(_table(buffers[shard]))
                buffers[shard].clear()
        for shard, docs in buffers.items():
            writers[shard].write_table(_table(docs))
    return counts
