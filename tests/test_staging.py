"""Stage: decoding, bad bytes, archives streamed member by member, layout recognition."""
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections import Counter
from pathlib import Path

import duckdb
import polars as pl
import pyarrow.parquet as pq
import pytest

from pipeline import scheduling, workers
from pipeline.listing import raw_files
from pipeline.parsing import WORKER_DIED
from pipeline.record import ParseError
from pipeline.sources.html import html_to_text
from pipeline.staging import RawFile, StagingError, StagingLimits, archive_members, decode, read_file
from pipeline.storage import bucket_of, buckets_of
from tests.conftest import REPO, SHARED, run_job
from tests.hostile import deep_html, special_entries, undecodable_name, unsafe_tar, unsafe_zip

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
    assert raw_files(tmp_path).files["rel"].to_list() == ["a/c.txt", "b.txt"]


def test_a_column_of_paths_is_bucketed_as_each_path_is():
    """The manifest buckets its paths as a column; a document must land in the bucket its trial's rows use."""
    keys = ["NCT00000102.xml", "d0001/NCT90000001.xml", "registre/étude ü.txt", "中文/ChiCTR2000029001.html", ""]
    assert buckets_of(pl.Series(keys)).to_list() == [bucket_of(k) for k in keys]
    assert buckets_of(pl.Series(keys)).to_list() == [124, 108, 4, 49, 0]  # zlib.crc32(utf-8) % 128: stored outputs rely on it


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


@pytest.mark.parametrize("start", ["forkserver", "spawn"])
def test_parsing_in_two_processes_gives_the_same_tables_as_one(tmp_path, monkeypatch, start):
    """A large amount of new content is parsed by a pool of processes, forked from a fork server or spawned
    (TRIALS_WORKER_START); the published tables are the same."""
    monkeypatch.setenv(workers.START_VARIABLE, start)
    assert workers._context().get_start_method() == start
    raw = tmp_path / "raw"
    shutil.copytree(SHARED / "corpus" / "ctgov_xml", raw / "xml")
    with tarfile.open(raw / "pages.tar.gz", "w:gz") as tf:
        tf.add(SHARED / "seeds", arcname="seeds")
    (raw / "empty.txt").write_bytes(b"")
    monkeypatch.setattr(scheduling, "PARALLEL_MIN_BYTES", 0)  # the folder is small; parse it in parallel anyway
    monkeypatch.setattr(scheduling, "FILES_PER_TASK", 40)
    one = _documents(raw, tmp_path / "one", workers=1)
    two = _documents(raw, tmp_path / "two", workers=2)
    assert len(one) == 165 + 3 + 1 and sum(d["status"] == "quarantined" for d in one.values()) == 1
    assert two == one
    for table in ("trials", "eligibility_criteria", "locations"):
        assert pq.read_table(tmp_path / "two" / table).equals(pq.read_table(tmp_path / "one" / table)), table
    # a fork server (pipeline.workers) is stopped with its workers: its memory is publishing's again
    assert not [pid for pid in _children(os.getpid()) if b"multiprocessing.forkserver" in _cmdline(pid)]


def _children(pid: int) -> list[int]:
    return [int(child) for task in os.listdir(f"/proc/{pid}/task")
            for child in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:  # gone since it was listed
        return b""


def test_an_archive_member_over_the_limit_is_quarantined_with_its_real_hash(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    big = b"x" * (len(XML_219) + 1)
    _tar(raw / "records.tar.gz", {"big.xml": big, "NCT01219465.xml": XML_219}, mode="w:gz")
    with zipfile.ZipFile(raw / "more.zip", "w") as zf:
        zf.writestr("big.xml", big)
    # (the member compresses 200-fold: the ratio cap is raised, this test is about the document limit)
    docs = _documents(raw, tmp_path / "out", max_document_bytes=len(XML_219), max_compression_ratio=10_000)
    for doc_id in ("records.tar.gz!big.xml", "more.zip!big.xml"):
        assert docs[doc_id]["error"] == f"archive member too large: {len(big)} bytes (limit {len(XML_219)})"
        assert docs[doc_id]["sha256"] == hashlib.sha256(big).hexdigest()
    assert docs["records.tar.gz!NCT01219465.xml"]["error"] is None


# --- issue 13: the primitives against hostile inputs (tests/hostile generates them) ---

SEEDS = sorted((SHARED / "seeds").glob("*.txt"))
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be",
             "gb18030", "gbk", "big5", "shift_jis", "euc_jp", "euc_kr", "cp1252", "latin-1")
LINE_ENDS = {"LF": "\n", "CRLF": "\r\n", "CR": "\r"}


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name[:3])
@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("line_end", LINE_ENDS)
def test_each_seed_in_each_encoding_and_line_end_decodes_to_the_utf8_text(seed, encoding, line_end):
    """The seed as the encoding can hold it (a character it lacks, such as '≤' in Big5, saved as '?', which
    is what a user's editor does) must decode to exactly that text with "\\n" line ends; identical text
    gives identical rows."""
    text = seed.read_text(encoding="utf-8").encode(encoding, "replace").decode(encoding).lstrip("\ufeff")
    decoded, _ = decode(text.replace("\n", LINE_ENDS[line_end]).encode(encoding))
    assert decoded == text


def test_a_gb18030_seed_is_not_read_as_hp_roman8():
    """The issue's case: '175μmol/L' became '175Îämol/L' and the Veeva seed lost its thresholds."""
    seed = SEEDS[0].read_text(encoding="utf-8")
    text, encoding = decode(seed.encode("gb18030"))
    assert "175μmol/L" in text and encoding == "gb18030"


def test_bytes_with_two_equally_plausible_readings_are_undecodable():
    """A Chinese page saved as Shift-JIS also reads as plausible GB18030 hanzi: refused, never guessed."""
    page = (SHARED / "corpus" / "chictr_html" / "ChiCTR2400084905.html").read_text(encoding="utf-8")
    with pytest.raises(StagingError, match=r"^undecodable: the bytes read as plausible text in 2 encodings "
                                           r"\(gb18030 reads .*; shift_jis reads '中国"):
        decode(page.encode("shift_jis", "replace"))


def test_bytes_no_encoding_reads_plausibly_are_undecodable():
    with pytest.raises(StagingError, match=r"^undecodable: no encoding gives plausible text"):
        decode(b"Eligibility: HbA1c \x81\x8d\x8f\x90 and \xa1\xfe\xa1 x\xff\xfe")


def test_raw_files_lists_every_special_entry_with_its_reason(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    expected = special_entries(raw)
    name = undecodable_name(raw)
    listed = {f.rel: f for f in raw_files(raw).entries()}
    assert {rel: f.error for rel, f in listed.items()} == {**expected, name: None}
    assert read_file(listed[name], 1 << 20) == XML_219


def test_read_file_never_blocks_on_a_fifo_swapped_in_after_listing(tmp_path):
    (tmp_path / "record.xml").write_bytes(XML_219)
    listed, = raw_files(tmp_path).entries()
    (tmp_path / "record.xml").unlink()
    os.mkfifo(tmp_path / "record.xml")
    with pytest.raises(StagingError, match=r"^FIFO \(named pipe\): not read$"):
        read_file(listed, 1 << 20)


def test_read_file_stops_at_its_limit(tmp_path):
    (tmp_path / "grows.xml").write_bytes(XML_219)
    listed = RawFile("grows.xml", tmp_path / "grows.xml", 10, 0)  # listed smaller than it now is
    with pytest.raises(StagingError, match="^file too large: more than 100 bytes"):
        read_file(listed, 100)


def test_archive_members_yields_every_member_with_its_reason(tmp_path):
    """Members stream: a member is read while the iteration stands on it."""
    for name, make in (("a.tar", unsafe_tar), ("a.zip", unsafe_zip)):
        expected = make(tmp_path / name)
        errors, contents = {}, {}
        for member in archive_members(tmp_path / name):
            errors[member.name] = member.error
            if member.error is None:
                with member.open() as fh:
                    contents[member.name] = b"".join(iter(fh.read, b""))
        assert errors == expected
        assert contents == {n: XML_219 for n, reason in expected.items() if reason is None}


def test_a_member_stream_raises_past_the_archive_cap_and_the_archive_stops(tmp_path):
    """A zip's members are counted as they stream; a tar's stream position (headers and padding included) too."""
    with zipfile.ZipFile(tmp_path / "many.zip", "w") as zf:
        for i in range(5):
            zf.writestr(f"m{i}.xml", XML_219)
    _tar(tmp_path / "many.tar", {f"m{i}.xml": XML_219 for i in range(5)}, mode="w")
    limits = StagingLimits(max_archive_bytes=2 * len(XML_219) + 10)
    cap = f"archive decompresses past its cap: more than {2 * len(XML_219) + 10} bytes (max_archive_bytes)"
    read = []
    with pytest.raises(StagingError) as raised:
        for member in archive_members(tmp_path / "many.zip", limits):
            with member.open() as fh:
                read.append(len(b"".join(iter(fh.read, b""))))
    assert (str(raised.value), read) == (cap, [len(XML_219)] * 2)
    with pytest.raises(StagingError, match=re.escape(cap + ": stopped after 1 members")):
        list(archive_members(tmp_path / "many.tar", limits))


def test_html_nested_deep_renders_and_too_deep_is_refused():
    """1,000 levels took the run down with RecursionError; 100,000 would keep the HTML parser busy for hours."""
    assert html_to_text(deep_html(1000)) == "ClinicalTrials.Veeva NCT02302599"
    with pytest.raises(ParseError, match="^HTML nested more than 2000 elements deep: not parsed$"):
        html_to_text(deep_html(100_000))


def test_an_unknown_worker_start_method_is_refused_by_name(monkeypatch):
    monkeypatch.setenv(workers.START_VARIABLE, "fork")
    with pytest.raises(ValueError, match=r"^TRIALS_WORKER_START='fork': one of forkserver, spawn$"):
        workers.start()


@pytest.fixture
def faulty_workers(monkeypatch):
    """Parse workers forked from a server that loaded tests/faulty_reader.py: a worker that reads NCT01219465 dies,
    one that reads NCT01374854 hangs."""
    workers.stop()  # a server already running would not load it
    monkeypatch.setattr(workers, "PRELOAD", (*workers.PRELOAD, "tests.faulty_reader"))
    monkeypatch.setenv(workers.START_VARIABLE, "forkserver")
    yield
    workers.stop()


def test_records_their_workers_die_or_hang_on_are_quarantined_and_the_others_land(tmp_path, monkeypatch,
                                                                                 faulty_workers):
    """A worker killed mid-run (here by SIGKILL, as the out-of-memory killer does; a crash in native code alike) stops
    the whole pool; the tasks it had not started run on a new pool, the started ones again alone, and the document the
    worker died on is quarantined unread, saying so. A worker that hangs where no alarm reaches (here asleep: no CPU
    time passes) is stopped after twice max_parse_seconds on one document, and its document goes the same way. The run
    finishes with every other record, and leaves no reading file."""
    raw = tmp_path / "raw"
    shutil.copytree(SHARED / "corpus" / "ctgov_xml", raw)
    monkeypatch.setattr(scheduling, "FILES_PER_TASK", 20)  # 9 tasks on 2 workers
    docs = _documents(raw, tmp_path / "out", workers=2, max_parse_seconds=1)
    quarantined = {d["doc_id"]: d["error"] for d in docs.values() if d["status"] == "quarantined"}
    assert quarantined == {"NCT01219465.xml": f"ctgov_xml: {WORKER_DIED}", "NCT01374854.xml": f"ctgov_xml: {WORKER_DIED}"}
    trials = pq.read_table(tmp_path / "out" / "trials", columns=["trial_id"])["trial_id"].to_pylist()
    assert len(docs) == 165 and sorted(trials) == sorted(p.stem for p in raw.iterdir()
                                                         if p.stem not in ("NCT01219465", "NCT01374854"))
    assert not list((tmp_path / "out" / ".state").glob("listings/.reading-*"))


def test_a_run_after_one_that_died_reading_a_record_parses_in_workers(tmp_path, faulty_workers):
    """A run whose own process died reading a document (a small change parses in the job's process) leaves the
    document's hash in its reading file; the next run parses in worker processes, where the record that killed it is
    quarantined. Here the run that died is the file it would leave."""
    raw = tmp_path / "raw"
    raw.mkdir()
    for trial_id in ("NCT01219465", "NCT00001177"):
        shutil.copy(SHARED / "corpus" / "ctgov_xml" / f"{trial_id}.xml", raw)
    listings = tmp_path / "out" / ".state" / "listings"
    listings.mkdir(parents=True)
    sha = hashlib.sha256((raw / "NCT01219465.xml").read_bytes()).hexdigest()
    (listings / f"{scheduling.READING}0").write_text(f"{sha} 1")
    docs = _documents(raw, tmp_path / "out", workers=1)
    assert [(d["doc_id"], d["status"], d["error"]) for d in sorted(docs.values(), key=lambda d: d["doc_id"])] == [
        ("NCT00001177.xml", "parsed", None), ("NCT01219465.xml", "quarantined", f"ctgov_xml: {WORKER_DIED}")]
    assert not list(listings.glob(".reading-*"))
    # and with nothing left behind, a small change parses in the job's own process, as before
    (raw / "NCT01219465.xml").write_bytes((raw / "NCT01219465.xml").read_bytes() + b"\n")
    docs = _documents(raw, tmp_path / "out", workers=1)
    assert docs["NCT01219465.xml"]["status"] == "parsed"


def test_a_task_run_again_after_its_worker_died_does_not_parse_again_what_it_wrote(tmp_path, monkeypatch,
                                                                                   faulty_workers):
    """A task whose worker died runs again alone, taking the segments its attempts before wrote as parsed (a death
    late in an archive's share of 25,000 records parsed them all again) and counting them. Here a task's worker dies
    on its 56th record, five read since its fifth segment: alone, the task reads those five and the record
    again (in a pool the record a worker died on is not known: another worker may have been reading when the pool
    stopped), dies on it, then reads the five once more and quarantines it unread. Every other record is read once,
    and the parse step counts every document once."""
    attempts = tmp_path / "attempts"
    monkeypatch.setenv("FAULTY_READER_ATTEMPTS", str(attempts))  # (tests/faulty_reader.py: not imported here)
    monkeypatch.setenv("FAULTY_READER_BATCH", "10")
    raw, out = tmp_path / "raw", tmp_path / "out"
    shutil.copytree(SHARED / "corpus" / "ctgov_xml", raw, ignore=shutil.ignore_patterns("NCT01374854.xml"))
    listings = out / ".state" / "listings"
    listings.mkdir(parents=True)
    (listings / f"{scheduling.READING}0").write_text(f"{'0' * 64} 1")  # a run before died: this one uses a pool
    monkeypatch.setattr(scheduling, "TASK_BYTES", (1 << 30, 1 << 30))  # one task: every file, in order
    result = run_job(raw, out, workers=1)
    assert result.success
    read = attempts.read_text().splitlines()
    killed = read.index("NCT01219465")
    assert read[:killed + 1] == sorted(p.stem for p in raw.iterdir())[:killed + 1]  # the task reads them in order
    unwritten = read[killed // 10 * 10:killed]
    assert len(unwritten) == 5
    assert Counter(read) == Counter([*(p.stem for p in raw.iterdir()), *unwritten, *unwritten, "NCT01219465"])
    assert result.asset_materializations_for_node("parsed_records")[0].metadata["documents_parsed"].value == 164
    docs = pq.read_table(out / "documents", columns=["doc_id", "status", "error"]).to_pylist()
    assert len(docs) == 164 and [d for d in docs if d["status"] != "parsed"] == [
        {"doc_id": "NCT01219465.xml", "status": "quarantined", "error": f"ctgov_xml: {WORKER_DIED}"}]


def test_a_run_hung_in_its_own_process_ends_and_the_next_quarantines_the_record(tmp_path, monkeypatch,
                                                                              faulty_workers):
    """A small change parses in the job's own process, where no watch outside stops a hang in native code (here
    asleep: no alarm reaches it): a document held for twice max_parse_seconds ends the process (exit status 1, every
    thread's stack on stderr) rather than hanging the run for ever, and leaves its reading file; the next run parses
    in workers, where the record is quarantined and the other lands. There the watch that stopped it names it, so
    it is not read again when its task runs alone: two attempts in all, one per run."""
    attempts = tmp_path / "attempts"
    monkeypatch.setenv("FAULTY_READER_ATTEMPTS", str(attempts))  # (tests/faulty_reader.py: not imported here)
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    for trial_id in ("NCT01374854", "NCT00001177"):
        shutil.copy(SHARED / "corpus" / "ctgov_xml" / f"{trial_id}.xml", raw)
    job = ("import tests.faulty_reader\nfrom tests.conftest import run_job\n"
           f"run_job({str(raw)!r}, {str(out)!r}, max_parse_seconds=0.5)")
    ended = subprocess.run([sys.executable, "-c", job], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert ended.returncode == 1 and "Timeout (0:00:01.5" in ended.stderr and "in parse_document" in ended.stderr
    left = list((out / ".state" / "listings").glob(f"{scheduling.READING}*"))
    hung = hashlib.sha256((raw / "NCT01374854.xml").read_bytes()).hexdigest()
    assert [scheduling._reading(path)[0] for path in left] == [hung]
    docs = _documents(raw, out, workers=1, max_parse_seconds=0.5)
    assert [(d["doc_id"], d["status"], d["error"]) for d in sorted(docs.values(), key=lambda d: d["doc_id"])] == [
        ("NCT00001177.xml", "parsed", None), ("NCT01374854.xml", "quarantined", f"ctgov_xml: {WORKER_DIED}")]
    assert not list(out.glob(f".state/listings/{scheduling.READING}*"))
    assert attempts.read_text().splitlines().count("NCT01374854") == 2
