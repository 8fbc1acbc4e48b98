"""Stage: raw files (and archive members) → decoded documents with hash, size, encoding and layout.

Everything that can be wrong with what a user drops into the raw folder is decided here, once, with
a specific reason, and never stops the run: an entry that is not a regular file (FIFO, socket,
device, dangling symlink, a symlink leading out of the raw folder: the listing, listing.py, applies
not_a_file), a file too large, empty, binary or undecodable bytes, an archive member that is unsafe
or not a regular file, an archive that decompresses past its caps, a layout no reader recognises.
Nothing outside the raw folder is read. Archives (ZIP, tar, tar.gz/.xz/.bz2) are read as a stream,
member by member, in bounded chunks, never unpacked to disk; each member is its own document,
`<archive path>!<member name>`.

The primitives (read_file, archive_members, decode, stage_bytes) never raise for one
bad entry beyond StagingError, whose message is the quarantine reason.
"""
from __future__ import annotations

import codecs
import hashlib
import math
import os
import re
import stat
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Iterator, NamedTuple

from pipeline import sources
from pipeline.record import ParseError

MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
CHUNK_BYTES = 1 << 20  # every read, of a file or an archive member, is at most this much at a time
HANG_FACTOR = 2  # a document held this many times max_parse_seconds (of the monotonic clock) is a hang


@dataclass(frozen=True)
class StagingLimits:
    """What one document or archive may cost; past a limit the document is quarantined, never read further.

    Peak memory of reading a document is about twice max_document_bytes (its bytes and its decoded text),
    whatever the inputs hold.
    An archive's decompressed bytes are counted as they stream, against the smaller of
    max_archive_bytes and max_compression_ratio × the archive's size on disk.
    A document whose parse (its reader and its rows) runs past max_parse_seconds is stopped (parsing.time_limit); one
    held for hang_seconds of the monotonic clock, in native code no alarm reaches, ends the process parsing it.
    """

    max_document_bytes: int = MAX_DOCUMENT_BYTES
    max_archive_bytes: int = 16 * 1024 ** 3
    max_compression_ratio: int = 100
    # of CPU time; the slowest real document, a 2.9 MB ICTRP export of 578 trials, parses in 0.8 s: 64 MiB, 18 s
    max_parse_seconds: float = 120.0

    def __post_init__(self) -> None:
        for name in ("max_document_bytes", "max_archive_bytes", "max_compression_ratio"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name}: {value!r} is not a positive whole number")
        seconds = self.max_parse_seconds
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 < seconds < math.inf:
            raise ValueError(f"max_parse_seconds: {seconds!r} is not a positive number of seconds")

    @property
    def hang_seconds(self) -> float:
        """How long one document may hold its process by the monotonic clock (which a suspended machine stops): past
        it, a parse no CPU-time alarm stopped is hung in native code (or asleep), and its process is ended."""
        return HANG_FACTOR * self.max_parse_seconds

    def archive_budget(self, compressed_bytes: int) -> int:
        return min(self.max_archive_bytes, self.max_compression_ratio * max(compressed_bytes, 1))


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
    """Bytes or an entry that is not a readable document; the message is the quarantine reason."""


class RawFile(NamedTuple):
    """One entry of the raw folder: a file to read, or the reason it cannot be read (a tuple: a listing holds
    one per file, and a whole registry is hundreds of thousands)."""

    rel: str  # POSIX path relative to the raw folder, printable (undecodable name bytes escaped)
    path: str  # what to open (a symlink inside the raw folder is resolved to its target)
    size: int
    mtime_ns: int
    error: str | None = None


@dataclass(frozen=True)
class Member:
    """One entry of an archive: a document to read, or the reason it is not one (unsafe name, link, device …)."""

    name: str  # printable
    size: int  # as the archive's header states it (a header can lie: reads are counted, not trusted to it)
    error: str | None
    open: Callable[[], BinaryIO] | None  # the member's bytes, counted against the archive's caps


# control characters (not tab, line ends or form feed): as UTF-8 bytes, one byte each, and as a pattern
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0b, *range(0x0e, 0x20), 0x7f])
_CONTROL = re.compile(f"[{re.escape(_CONTROL_BYTES.decode('ascii'))}]")
_ARCHIVE_SUFFIXES = (".zip", ".tar", ".tgz", ".tar.gz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2")
ARCHIVE_SUFFIX = "(" + "|".join(map(re.escape, _ARCHIVE_SUFFIXES)) + ")$"  # as a regular expression, for columns


def is_archive(path: str) -> bool:
    return path[-8:].lower().endswith(_ARCHIVE_SUFFIXES)  # the longest suffix is 8 characters


def printable(name: str) -> str:
    """A file or member name as text that can be stored and printed: undecodable bytes (which Python
    keeps as surrogates) and control characters become backslash escapes."""
    if name.isascii() and name.isprintable():
        return name
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return _CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", text).replace("\n", "\\n").replace("\r", "\\r")


# --- raw files ---------------------------------------------------------------------------------------

_KINDS = ((stat.S_ISFIFO, "FIFO (named pipe)"), (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "character device"),
          (stat.S_ISBLK, "block device"), (stat.S_ISDIR, "folder"))


def not_a_file(mode: int) -> str | None:
    """Why an entry of this mode is not read as a file, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in _KINDS if test(mode)), f"not a regular file (mode {mode:o})")
    return f"{kind}: not read"


def open_file(file: RawFile) -> BinaryIO:
    """The file opened for reading: never blocks (a FIFO swapped in after listing), never follows a link
    out of the raw folder, never opens anything but a regular file."""
    if file.error:
        raise StagingError(file.error)
    try:
        fd = os.open(file.path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise StagingError(f"not readable: {exc.strerror or exc}") from None
    reason = not_a_file(os.fstat(fd).st_mode)
    if reason:
        os.close(fd)
        raise StagingError(reason)
    return os.fdopen(fd, "rb")


def read_file(file: RawFile, max_bytes: int) -> bytes:
    """The file's bytes; StagingError when it cannot be read or holds more than max_bytes (the read stops there)."""
    with open_file(file) as fh:
        return read_at_most(fh, max_bytes, "file")


def read_at_most(fh: BinaryIO, max_bytes: int, what: str) -> bytes:
    """A stream's bytes read in bounded chunks; StagingError once it passes max_bytes, without reading on."""
    chunks, total = [], 0
    while chunk := fh.read(min(CHUNK_BYTES, max_bytes + 1 - total)):
        chunks.append(chunk)
        total += len(chunk)
        if total > max_bytes:
            raise StagingError(f"{what} too large: more than {max_bytes} bytes (limit {max_bytes})")
    return b"".join(chunks)


def content_sha256(file: RawFile) -> str:
    """sha256 of a raw file's bytes, streamed; for an entry that cannot be read, of its reason
    (so a folder's fingerprint, and `documents.sha256`, change when the reason does)."""
    try:
        with open_file(file) as fh:
            return sha256_stream(fh)
    except StagingError as exc:
        return reason_sha256(str(exc))


def reason_sha256(reason: str) -> str:
    return hashlib.sha256(reason.encode()).hexdigest()


def sha256_stream(fh: BinaryIO) -> str:
    """sha256 of a stream read in 1 MiB chunks: a document over the size limit is hashed, never held whole."""
    digest = hashlib.sha256()
    while chunk := fh.read(CHUNK_BYTES):
        digest.update(chunk)
    return digest.hexdigest()


# --- archives ------------------------------------------------------------------------------------

class _Budget:
    """The decompressed bytes an archive may still give; shared by all of its members' streams."""

    def __init__(self, path: Path, limits: StagingLimits) -> None:
        self.compressed = path.stat().st_size
        self.limit = limits.archive_budget(self.compressed)
        self.used = 0
        self.limits = limits

    def spend(self, n: int) -> None:
        self.used += n
        if self.used > self.limit:
            raise StagingError(self.reason())

    def reason(self) -> str:
        cap = ("max_archive_bytes" if self.limit == self.limits.max_archive_bytes else
               f"max_compression_ratio {self.limits.max_compression_ratio} × {self.compressed} bytes on disk")
        return f"archive decompresses past its cap: more than {self.limit} bytes ({cap})"


class _CountedStream:
    """A member's stream read in bounded chunks, each counted against the archive's budget."""

    def __init__(self, raw: BinaryIO, budget: _Budget) -> None:
        self.raw, self.budget, self.count = raw, budget, 0

    def read(self, n: int = -1) -> bytes:
        n = CHUNK_BYTES if n is None or n < 0 else min(n, CHUNK_BYTES)
        try:
            chunk = self.raw.read(n)
        except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, zlib.error, ValueError) as exc:
            raise StagingError(f"damaged archive member: {type(exc).__name__}: {exc}") from None
        self.count += len(chunk)
        self.budget.spend(len(chunk))
        return chunk

    def __enter__(self) -> _CountedStream:
        return self

    def __exit__(self, *exc) -> None:
        self.raw.close()


def _unsafe_name(name: str) -> str | None:
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "unsafe member name: an absolute path"
    if ".." in parts:
        return "unsafe member name: '..' leads out of the archive"
    return None


def _hidden(name: str) -> bool:
    return any(part.startswith(".") and part not in (".", "..") for part in name.split("/"))


def archive_members(path: Path, limits: StagingLimits = StagingLimits()) -> Iterator[Member]:
    """Every member of an archive in archive order, streaming: a document with its stream, or the reason it is
    not one. Folders and hidden members are skipped, as in the raw folder. The archive's damage, or its
    decompressed bytes passing the caps (counted as members stream, and for tar also as they are skipped),
    raise StagingError from the iteration; the members before it have been yielded."""
    budget, count = _Budget(path, limits), 0
    try:
        for member in (_zip_members if zipfile.is_zipfile(path) else _tar_members)(path, budget):
            count += 1
            yield member
    except StagingError as exc:
        raise StagingError(f"{exc}: stopped after {count} members") from None
    except Exception as exc:  # any failure of the archive's own structure is damage to it
        raise StagingError(f"damaged archive after {count} members: {type(exc).__name__}: {exc}") from None


def _zip_members(path: Path, budget: _Budget) -> Iterator[Member]:
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            mode = info.external_attr >> 16  # Unix mode, when the archiver recorded one
            if info.is_dir() or stat.S_ISDIR(mode) or _hidden(info.filename):
                continue
            if budget.used > budget.limit:
                raise StagingError(budget.reason())
            error = _unsafe_name(info.filename) or (_member_kind(mode) if stat.S_IFMT(mode) else None)
            yield Member(printable(info.filename), info.file_size, error,
                         None if error else lambda info=info: _CountedStream(zf.open(info), budget))


def _member_kind(mode: int) -> str | None:
    if stat.S_ISLNK(mode):
        return "symlink member: not followed"
    reason = not_a_file(mode)
    return reason and reason.replace(":", " member:", 1)


def _tar_members(path: Path, budget: _Budget) -> Iterator[Member]:
    with tarfile.open(path, mode="r|*") as tf:
        for info in tf:
            if info.isdir() or _hidden(info.name):
                continue
            # the tar stream is decompressed up to the end of this member whether it is read or skipped
            if info.offset_data + info.size > budget.limit:
                raise StagingError(budget.reason())
            error = _unsafe_name(info.name) or _tar_kind(info)
            yield Member(printable(info.name), info.size, error,
                         None if error else lambda info=info: _CountedStream(tf.extractfile(info), budget))


_TAR_MODES = {tarfile.SYMTYPE: stat.S_IFLNK, tarfile.CHRTYPE: stat.S_IFCHR, tarfile.BLKTYPE: stat.S_IFBLK,
              tarfile.FIFOTYPE: stat.S_IFIFO}


def _tar_kind(info: tarfile.TarInfo) -> str | None:
    if info.islnk():
        return "hard link member: not followed"
    if info.issparse():
        return "sparse member: not read"
    if info.isreg():
        return None
    return _member_kind(_TAR_MODES[info.type]) if info.type in _TAR_MODES else f"member of tar type {info.type!r}: not read"


# --- decoding ------------------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_DECLARED = re.compile(rb"""(?:encoding|charset)\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
# The legacy encodings tried when the bytes are not UTF-8 and declare nothing that fits: the multi-byte ones
# first (strict multi-byte decoding is evidence; a single-byte code page accepts any bytes), Chinese first.
MULTI_BYTE_ENCODINGS = ("gb18030", "big5", "shift_jis", "euc_jp", "euc_kr")
SINGLE_BYTE_ENCODINGS = ("cp1252", "latin-1")
# What registry text commonly holds beyond ASCII (Latin letters, Greek, punctuation, ≤ ≥ ≈ ≠ − ™ €, East
# Asian scripts); between two plausible readings, the one with fewer characters outside these is chosen.
_COMMON = ((0x00A0, 0x024F), (0x0370, 0x03FF), (0x2010, 0x205E), (0x2070, 0x209F), (0x20AC, 0x20AC),
           (0x2122, 0x2122), (0x2212, 0x2212), (0x2248, 0x2248), (0x2260, 0x2260), (0x2264, 0x2265),
           (0x3000, 0x303F), (0x3040, 0x30FF), (0x4E00, 0x9FFF), (0xAC00, 0xD7AF), (0xFF01, 0xFF60))
# Scripts whose characters come in runs (words); one alone amid Latin text is a misdecoded symbol.
_EAST_ASIAN = ((0x1100, 0x11FF), (0x2E80, 0x2FDF), (0x3000, 0x4DBF), (0x4E00, 0x9FFF), (0xA960, 0xA97F),
               (0xAC00, 0xD7FF), (0xF900, 0xFAFF), (0xFE30, 0xFE4F), (0xFF00, 0xFF60), (0xFFE0, 0xFFEF))
# Characters a misread legacy encoding gives and a registry page does not hold: C1 controls, box drawing and
# block elements, half-width katakana, private use (but U+F0xx, the Symbol font's bullets in pages exported
# from Word), the replacement character.
_IMPLAUSIBLE = re.compile("[\u0080-\u009f\u2500-\u259f\uff61-\uff9f\ue000-\uefff\uf100-\uf8ff\ufffd]")
# UTF-8 read as cp1252 or Latin-1 ("Ã©", "â€™"): a lead byte's letter, then continuation bytes' symbols.
_CONTINUATION = "".join(dict.fromkeys(bytes(range(0x80, 0xC0)).decode("cp1252", "ignore") + bytes(range(0x80, 0xC0)).decode("latin-1")))
_MOJIBAKE = re.compile(f"[\u00c2-\u00df][{_CONTINUATION}]|[\u00e0-\u00ef][{_CONTINUATION}]{{2}}")
# A multi-byte encoding read as a Western code page: a Latin-1 symbol glued to an accented letter ("¡Ü", "¦Ì", "ƒÊ").
_GLUED = re.compile("[\u00a1-\u00bf\u0192\u02c6\u2020\u2021\u2030\u02dc][\u00c0-\u00ff]|[\u00c0-\u00ff][\u00a1-\u00bf]")
_NON_ASCII = re.compile("[^\x00-\x7f]+")
_NON_ASCII_CHARS = re.compile("[^\x00-\x7f]")


def decode(raw: bytes) -> tuple[str, str]:
    """Bytes → (text, encoding), line ends made "\\n": a byte-order mark; UTF-16/32 by their NUL bytes; UTF-8;
    a declared charset; else the one legacy encoding giving plausible text. StagingError("undecodable: …")
    when no reading is plausible or two equally plausible readings differ: never a silent guess."""
    if not raw:
        raise StagingError("empty file (0 bytes)")
    text, encoding = _decode(raw)
    text = _text_or_binary(text)
    return (text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text), encoding


def _decode(raw: bytes) -> tuple[str, str]:
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                return raw[len(bom):].decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise StagingError(f"undecodable: not valid {encoding} despite its byte-order mark: "
                                   f"{exc.reason} at byte {exc.start}") from None
    wide = _wide_unicode(raw[:4096])
    if wide:
        try:
            return raw.decode(wide), wide
        except UnicodeDecodeError as exc:
            raise StagingError(f"undecodable: looks like {wide} but {exc.reason} at byte {exc.start}") from None
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if b"\x00" in raw[:8192]:
        raise StagingError("binary content, not text (NUL bytes)")
    declared = _DECLARED.search(raw[:2048])
    if declared:
        try:
            encoding = codecs.lookup(declared[1].decode("ascii")).name
            text = raw.decode(encoding)
            if not _implausible(text):
                return text, encoding
        except (LookupError, UnicodeDecodeError):
            pass
    return _best_legacy(raw)


def _wide_unicode(head: bytes) -> str | None:
    """UTF-32 or UTF-16 without a byte-order mark, told by where the NUL bytes of ASCII characters fall."""
    if 0 not in head:  # (most documents: no NUL byte, no wide encoding)
        return None

    def zeros(offset: int, step: int) -> float:
        part = head[offset::step]
        return part.count(0) / max(len(part), 1)

    if len(head) >= 8 and len(head) % 4 == 0:
        if zeros(1, 4) > 0.9 and zeros(2, 4) > 0.9 and zeros(3, 4) > 0.9:
            return "utf-32-le"
        if zeros(0, 4) > 0.9 and zeros(1, 4) > 0.9 and zeros(2, 4) > 0.9:
            return "utf-32-be"
    if len(head) >= 4 and len(head) % 2 == 0:
        if zeros(1, 2) > 0.3 and zeros(0, 2) < 0.05:
            return "utf-16-le"
        if zeros(0, 2) > 0.3 and zeros(1, 2) < 0.05:
            return "utf-16-be"
    return None


def _best_legacy(raw: bytes) -> tuple[str, str]:
    """The legacy encoding whose reading of the bytes is plausible, multi-byte encodings before single-byte
    ones; between plausible readings that differ, the one with the fewest uncommon characters. Refused when
    no reading is plausible, or when two differing readings are equally common (the bytes alone cannot say
    which the writer meant)."""
    rejected: list[str] = []
    for group in (MULTI_BYTE_ENCODINGS, SINGLE_BYTE_ENCODINGS):
        readings: dict[str, tuple[int, str]] = {}
        for encoding in group:
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError:
                continue
            bad = _implausible(text)
            if bad:
                rejected.append(f"{encoding} gives {_shown(bad)}")
            elif text not in (t for _, t in readings.values()):
                readings[encoding] = (sum(not _in(ord(ch), _COMMON) for ch in _NON_ASCII_CHARS.findall(text)), text)
        if readings:
            fewest = min(rare for rare, _ in readings.values())
            best = {enc: text for enc, (rare, text) in readings.items() if rare == fewest}
            if len(best) > 1:
                shown = "; ".join(f"{enc} reads {_shown(_NON_ASCII.findall(text))}" for enc, text in best.items())
                raise StagingError(f"undecodable: the bytes read as plausible text in {len(best)} encodings ({shown})")
            (encoding, text), = best.items()
            return text, encoding
    raise StagingError("undecodable: no encoding gives plausible text (" + "; ".join(rejected) + ")")


def _implausible(text: str) -> list[str]:
    """Characters that say a guessed encoding misread the bytes: replacement characters, private-use code
    points, C1 controls, box drawing, half-width katakana, UTF-8 mojibake ("Ã©"), a Latin-1 symbol glued to
    an accented letter ("¡Ü"), East Asian characters standing mostly alone amid Latin text (those scripts
    come in words; one alone is a misread symbol such as "≤" or "μ"). Not asked of UTF-8 or a byte-order
    mark: what such text holds is the source's own (registry records do hold U+FFFD and mojibake)."""
    if text.isascii():
        return []
    bad, alone, east_asian = [], [], 0
    for run in _NON_ASCII.findall(text):
        bad += _IMPLAUSIBLE.findall(run) + _MOJIBAKE.findall(run) + _GLUED.findall(run)
        n = sum(_in(ord(ch), _EAST_ASIAN) for ch in run)
        east_asian += n
        if n == len(run) == 1:
            alone.append(run)
    return bad + alone if len(alone) * 2 > east_asian else bad


def _in(code: int, ranges) -> bool:
    return any(lo <= code <= hi for lo, hi in ranges)


def _shown(chars: list[str]) -> str:
    return repr("".join(dict.fromkeys(chars))[:12])


def _text_or_binary(text: str) -> str:
    """The text, unless more than 1 % of its first 8,192 characters (and more than 8) are control characters. They
    are counted as bytes of its UTF-8 form, where each is one byte no other character's bytes hold (bytes.translate
    in C: 7 µs a legacy XML record, where a regex's findall took 25)."""
    sample = text[:8192]
    as_bytes = sample.encode("utf-8", "surrogatepass")
    if sample and len(as_bytes) - len(as_bytes.translate(None, _CONTROL_BYTES)) > max(8, len(sample) // 100):
        raise StagingError("binary content, not text (control characters)")
    return text


# --- documents -----------------------------------------------------------------------------------

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


def file_document(file: RawFile, max_bytes: int) -> StagedDocument:
    doc = StagedDocument(file.rel, file.rel, None, "", 0)
    try:
        if file.size > max_bytes:
            doc.sha256, doc.n_bytes = content_sha256(file), file.size
            raise StagingError(f"file too large: {file.size} bytes (limit {max_bytes})")
        raw = read_file(file, max_bytes)
    except StagingError as exc:
        return _refused(doc, str(exc))
    doc.sha256, doc.n_bytes = hashlib.sha256(raw).hexdigest(), len(raw)
    return _guarded(stage_bytes, doc, raw)


def _refused(doc: StagedDocument, reason: str) -> StagedDocument:
    """A document that could not be read (whole): its reason, and the reason's hash where no content hash is known."""
    doc.error, doc.sha256 = reason, doc.sha256 or reason_sha256(reason)
    return doc


def _guarded(step, doc: StagedDocument, *args) -> StagedDocument:
    """One document's step; a failure nobody foresaw quarantines that document, naming the failure."""
    try:
        return step(doc, *args)
    except ParseError as exc:  # a reader refusing the document while recognising its layout
        doc.error = str(exc)
    except RecursionError:
        doc.error = "nested too deeply to read (RecursionError)"
    except Exception as exc:
        doc.error = f"staging failed: {type(exc).__name__}: {exc}"
    doc.text = doc.source_format = None
    return doc


def member_document(doc: StagedDocument, member: Member, max_bytes: int) -> StagedDocument:
    if member.error:
        return _refused(doc, member.error)
    try:
        with member.open() as fh:
            if member.size > max_bytes:
                doc.sha256, doc.n_bytes = sha256_stream(fh), fh.count
                raise StagingError(f"archive member too large: {fh.count} bytes (limit {max_bytes})")
            raw = read_at_most(fh, max_bytes, "archive member")
    except StagingError as exc:
        return _refused(doc, str(exc))
    doc.sha256, doc.n_bytes = hashlib.sha256(raw).hexdigest(), len(raw)
    return _guarded(stage_bytes, doc, raw)
