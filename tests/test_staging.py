"""Stage: decoding, bad bytes, archives streamed member by member, layout recognition."""
import hashlib
import io
import shutil
import tarfile
import zipfile
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from pipeline import parsing
from pipeline.staging import StagingError, decode, raw_files
from tests.conftest import SHARED, run_job

SEED_002 = (SHARED / "seeds" / "002_d4776af7e2f4cbf7.txt").read_text(encoding="utf-8")
XML_219 = (SHARED / "corpus" / "ctgov_xml" / "NCT01219465.xml").read_bytes()


def test_empty_file_is_refused_with_its_reason():
    with pytest.raises(StagingError, match=r"empty file \(0 bytes\)"):
        decode(b"")


def test_binary_file_is_refused():
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20
    with pytest.raises(StagingError, match="binary"):
        decode(png)


@pytest.mark.parametrize("encoding, expected_name", [("utf-16", "utf-16-le"), ("utf-8-sig", "utf-8")])
def test_byte_order_mark_decides_the_encoding(encoding, expected_name):
    text, name = decode(SEED_002.encode(encoding))
    assert text == SEED_002
    assert name == expected_name


def test_gb18030_page_is_detected():
    page = "研究标题：脐带间充质干细胞治疗1型糖尿病\n" + SEED_002
    text, name = decode(page.encode("gb18030"))
    assert text == page
    assert name == "gb18030"


def test_latin1_record_without_declaration_is_detected():
    """A real record with accented names (NCT05481749), saved as Latin-1 with no charset declared."""
    record = (SHARED / "corpus" / "ctgov_xml" / "NCT05481749.xml").read_text(encoding="utf-8")
    record = record.split("?>", 1)[1] if record.startswith("<?xml") else record
    text, name = decode(record.encode("latin-1"))
    assert text == record
    assert name == "cp1252"


def test_declared_charset_is_used_when_not_utf8():
    xml = XML_219.decode("utf-8").replace("<clinical_study>", "<clinical_study><!-- Zürich -->", 1)
    raw = b'<?xml version="1.0" encoding="ISO-8859-1"?>\n' + xml.encode("latin-1", errors="replace")
    text, name = decode(raw)
    assert "Zürich" in text
    assert name == "iso8859-1"


def test_raw_files_skips_hidden_and_sorts(tmp_path):
    for rel in ["b.txt", "a/c.txt", ".hidden", ".git/x", "a/.DS_Store"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    assert raw_files(tmp_path) == ["a/c.txt", "b.txt"]


def _documents(raw_dir, out_dir, **settings) -> dict[str, dict]:
    """Run the whole job and read back its documents table, by doc_id."""
    assert run_job(raw_dir, out_dir, **settings).success
    con = duckdb.connect()
    try:
        rows = con.sql(f"select * from read_parquet('{out_dir}/documents/*.parquet')").pl().to_dicts()
    finally:
        con.close()
    return {row["doc_id"]: row for row in rows}


def test_each_bad_file_gets_a_specific_reason(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "empty.txt").write_bytes(b"")
    (raw / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (raw / "notes.txt").write_text("Shopping list: milk, eggs, bread.\n")
    limit = len(XML_219) + 100
    (raw / "big.txt").write_bytes(b"x" * (limit + 1))
    (raw / "good.xml").write_bytes(XML_219)
    docs = _documents(raw, tmp_path / "out", max_document_bytes=limit)
    assert docs["empty.txt"]["error"] == "empty file (0 bytes)"
    assert docs["image.txt"]["error"].startswith("binary content")
    assert docs["notes.txt"]["error"].startswith("unrecognised layout")
    assert docs["big.txt"]["error"] == f"file too large: {limit + 1} bytes (limit {limit})"
    assert docs["good.xml"]["error"] is None and docs["good.xml"]["source_format"] == "ctgov_xml"
    assert docs["good.xml"]["n_bytes"] == len(XML_219)


def _tar(path: Path, members: dict[str, bytes], mode="w:xz"):
    with tarfile.open(path, mode) as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))


def test_archive_members_are_documents(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    _tar(raw / "records.tar.xz", {"x/NCT01219465.xml": XML_219, "x/empty.xml": b""})
    with zipfile.ZipFile(raw / "more.zip", "w") as zf:
        zf.writestr("NCT01219465.xml", XML_219.replace(b"<brief_title>", b"<brief_title>Z "))
    docs = _documents(raw, tmp_path / "out")
    assert set(docs) == {"records.tar.xz!x/NCT01219465.xml", "records.tar.xz!x/empty.xml", "more.zip!NCT01219465.xml"}
    member = docs["records.tar.xz!x/NCT01219465.xml"]
    assert (member["source_path"], member["member"], member["source_format"]) == ("records.tar.xz", "x/NCT01219465.xml", "ctgov_xml")
    assert docs["records.tar.xz!x/empty.xml"]["error"] == "empty file (0 bytes)"


def test_truncated_archive_keeps_members_read_before_the_damage(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    records = {f"m{i}.xml": XML_219.replace(b"NCT01219465", f"NCT0121946{i}".encode()) for i in range(5)}
    _tar(raw / "full.tar", records, mode="w")
    data = (raw / "full.tar").read_bytes()
    (raw / "full.tar").unlink()
    (raw / "cut.tar").write_bytes(data[: len(data) // 2])
    docs = _documents(raw, tmp_path / "out")
    good = [d for d in docs.values() if d["member"] and d["error"] is None]
    assert len(good) >= 1
    assert docs["cut.tar"]["error"].startswith("damaged archive after")


def test_parsing_in_two_processes_gives_the_same_tables_as_one(tmp_path, monkeypatch):
    """A large amount of new content is parsed by a pool of processes; the published tables are the same."""
    raw = tmp_path / "raw"
    shutil.copytree(SHARED / "corpus" / "ctgov_xml", raw / "xml")
    with tarfile.open(raw / "pages.tar.gz", "w:gz") as tf:
        tf.add(SHARED / "seeds", arcname="seeds")
    (raw / "empty.txt").write_bytes(b"")
    monkeypatch.setattr(parsing, "PARALLEL_MIN_DOCUMENTS", 0)  # the folder is small; parse it in parallel anyway
    monkeypatch.setattr(parsing, "FILES_PER_TASK", 40)
    one = _documents(raw, tmp_path / "one", workers=1)
    two = _documents(raw, tmp_path / "two", workers=2)
    assert len(one) == 165 + 3 + 1 and sum(d["status"] == "quarantined" for d in one.values()) == 1
    assert two == one
    for table in ("trials", "eligibility_criteria", "locations"):
        assert pq.read_table(tmp_path / "two" / table).equals(pq.read_table(tmp_path / "one" / table)), table


def test_an_archive_member_over_the_limit_is_quarantined_with_its_real_hash(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    big = b"x" * (len(XML_219) + 1)
    _tar(raw / "records.tar.gz", {"big.xml": big, "NCT01219465.xml": XML_219}, mode="w:gz")
    with zipfile.ZipFile(raw / "more.zip", "w") as zf:
        zf.writestr("big.xml", big)
    docs = _documents(raw, tmp_path / "out", max_document_bytes=len(XML_219))
    for doc_id in ("records.tar.gz!big.xml", "more.zip!big.xml"):
        assert docs[doc_id]["error"] == f"archive member too large: {len(big)} bytes (limit {len(XML_219)})"
        assert docs[doc_id]["sha256"] == hashlib.sha256(big).hexdigest()
    assert docs["records.tar.gz!NCT01219465.xml"]["error"] is None
