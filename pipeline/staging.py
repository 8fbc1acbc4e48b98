"""Stage: raw files (and archive members) → decoded documents with hash, size, encoding and layout.

Everything that can be wrong with bytes is decided here, once, with a specific reason: empty,
binary, undecodable, too large, a truncated archive, a layout no reader recognises. Archives
(ZIP, tar, tar.gz/.xz/.bz2) are read as a stream, member by member, never unpacked to disk; each
member is its own document, `<archive path>!<member name>`.
"""
from __future__ import annotations

import codecs
import hashlib
import os
import re
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from charset_normalizer import from_bytes

from pipeline import sources

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
                     "ClinicalTrials.gov Archive page, legacy XML record or API v2 JSON")
    else:
        doc.source_format = reader.FORMAT
    return doc


def sha256_file(path: Path) -> str:
    with path.open("rb") as fh:
        return sha256_stream(fh)


def sha256_stream(fh: BinaryIO) -> str:
    """sha256 of a stream read in 1 MiB chunks: a document over the size limit is hashed, never held whole."""
    digest = hashlib.sha256()
    while chunk := fh.read(1 << 20):
        digest.update(chunk)
    return digest.hexdigest()


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
