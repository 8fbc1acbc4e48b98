"""Hostile inputs for staging, generated at test time (nothing large is committed): special files and
links in the raw folder, unsafe and non-regular archive members, decompression bombs, deep nesting,
the seeds saved in every encoding and line end."""
from __future__ import annotations

import io
import os
import socket
import struct
import tarfile
import zipfile
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
XML_219 = (SHARED / "corpus" / "ctgov_xml" / "NCT01219465.xml").read_bytes()


def special_entries(raw: Path) -> dict[str, str]:
    """Entries of a raw folder that cannot be read as files, each with the reason staging must give."""
    os.mkfifo(raw / "pipe.xml")
    here = os.getcwd()
    os.chdir(raw)  # a socket's path is limited to about 100 bytes: bind it by its relative name
    try:
        sock = socket.socket(socket.AF_UNIX)
        sock.bind("listener.sock")
        sock.close()
    finally:
        os.chdir(here)
    (raw / "gone.xml").symlink_to(raw / "deleted.xml")
    (raw / "passwd.txt").symlink_to("/etc/passwd")
    (raw / "zero.xml").symlink_to("/dev/zero")
    (raw / "loop.xml").symlink_to(raw / "loop.xml")
    (raw / "up").symlink_to(raw.parent)
    return {
        "pipe.xml": "FIFO (named pipe): not read",
        "listener.sock": "socket: not read",
        "gone.xml": "dangling symlink: its target does not exist",
        "passwd.txt": "symlink outside the raw folder: not followed",
        "zero.xml": "symlink outside the raw folder: not followed",
        "loop.xml": "not readable: Too many levels of symbolic links",
        "up": "symlink outside the raw folder: not followed",
    }


def undecodable_name(raw: Path) -> str:
    """A file whose name is not valid UTF-8 (bytes b'record-\\xff.xml'), holding a good record; its printable rel."""
    with open(os.path.join(os.fsencode(raw), b"record-\xff.xml"), "wb") as fh:
        fh.write(XML_219)
    return "record-\\xff.xml"


def deep_html(depth: int) -> str:
    """A page saved as HTML with `depth` nested elements around a ClinicalTrials.Veeva banner."""
    return ("<!DOCTYPE html><html><body>" + "<div>" * depth + "ClinicalTrials.Veeva NCT02302599"
            + "</div>" * depth + "</body></html>")


def unsafe_tar(path: Path) -> dict[str, str]:
    """A tar of one good record and every member kind that is not a document; the rows staging must give."""
    def add(tf, name, kind=tarfile.REGTYPE, data=b"", linkname=""):
        info = tarfile.TarInfo(name)
        info.type, info.size, info.linkname = kind, len(data), linkname
        tf.addfile(info, io.BytesIO(data) if data else None)

    with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as tf:
        add(tf, "good/NCT01219465.xml", data=XML_219)
        add(tf, "../escape.xml", data=XML_219)
        add(tf, "/etc/absolute.xml", data=XML_219)
        add(tf, "hard.xml", tarfile.LNKTYPE, linkname="good/NCT01219465.xml")
        add(tf, "soft.xml", tarfile.SYMTYPE, linkname="/etc/passwd")
        add(tf, "tty", tarfile.CHRTYPE)
        add(tf, "disk", tarfile.BLKTYPE)
        add(tf, "pipe", tarfile.FIFOTYPE)
    return {
        "good/NCT01219465.xml": None,
        "../escape.xml": "unsafe member name: '..' leads out of the archive",
        "/etc/absolute.xml": "unsafe member name: an absolute path",
        "hard.xml": "hard link member: not followed",
        "soft.xml": "symlink member: not followed",
        "tty": "character device member: not read",
        "disk": "block device member: not read",
        "pipe": "FIFO (named pipe) member: not read",
    }


def unsafe_zip(path: Path) -> dict[str, str]:
    """A zip of one good record, '..' and absolute names, and a symlink member (Unix mode in external_attr)."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("NCT01219465.xml", XML_219)
        zf.writestr("../../escape.xml", XML_219)
        zf.writestr("/abs.xml", XML_219)
        link = zipfile.ZipInfo("link.xml")
        link.external_attr = (0o120777 << 16)
        zf.writestr(link, "/etc/passwd")
    return {
        "NCT01219465.xml": None,
        "../../escape.xml": "unsafe member name: '..' leads out of the archive",
        "/abs.xml": "unsafe member name: an absolute path",
        "link.xml": "symlink member: not followed",
    }


def zip_bomb(path: Path, members: int, member_bytes: int, fill: bytes = b"\0") -> None:
    """A zip of `members` members of `member_bytes` bytes of `fill` each (deflate: about 1000 to 1)."""
    zeros = fill * (1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(members):
            with zf.open(f"zeros{i:02d}.xml", "w") as fh:
                for _ in range(member_bytes >> 20):
                    fh.write(zeros)


def understated_zip(path: Path, real_bytes: int, stated_bytes: int) -> None:
    """A zip of one member of `real_bytes` zeros whose headers say it holds `stated_bytes`."""
    zip_bomb(path, 1, real_bytes)
    data = bytearray(path.read_bytes())
    local = data.index(b"PK\x03\x04")
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, local + 22, stated_bytes)
    struct.pack_into("<I", data, central + 24, stated_bytes)
    path.write_bytes(bytes(data))
