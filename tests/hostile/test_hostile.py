"""What a user drops into the raw folder cannot stop, hang, exhaust or silently corrupt a run (issue 13, items 2-5).

End to end through `python -m pipeline run` (a child process with a time limit, since a FIFO used to hang the
run), then the `documents` table read with DuckDB: every hostile entry is a row with its specific reason,
the good files land, nothing outside the raw folder is stored.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.staging import StagingLimits
from tests.conftest import REPO, SEEDS
from tests.hostile import (XML_219, deep_html, special_entries, understated_zip, undecodable_name, unsafe_tar,
                           unsafe_zip, zip_bomb)


def _run(raw: Path, out: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DAGSTER_HOME": str(out.parent / "dagster_home")}
    return subprocess.run([sys.executable, "-m", "pipeline", "run", "--raw-dir", str(raw), "--out-dir", str(out),
                           "--workers", "1"], cwd=REPO, env=env, capture_output=True, text=True, timeout=900)


def _documents(out: Path) -> dict[str, tuple]:
    con = duckdb.connect(str(out / "warehouse.duckdb"), read_only=True)
    try:
        return {r[0]: r[1:] for r in con.execute("select doc_id, status, error, trial_id from documents").fetchall()}
    finally:
        con.close()


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    raw = base / "raw"
    shutil.copytree(SEEDS, raw)
    expected = special_entries(raw)
    name = undecodable_name(raw)
    (raw / "deep1000.html").write_text(deep_html(1000))
    (raw / "deep100000.html").write_text(deep_html(100_000))
    tar_expected = unsafe_tar(raw / "members.tar")
    zip_expected = unsafe_zip(raw / "members.zip")
    result = _run(raw, base / "out")
    return result, base / "out", expected, name, tar_expected, zip_expected


def test_special_entries_are_rows_with_their_reason_and_the_run_finishes(hostile_run):
    result, out, expected, name, _, _ = hostile_run
    assert result.returncode == 0, result.stderr[-3000:]
    docs = _documents(out)
    for rel, reason in expected.items():
        assert docs[rel][:2] == ("quarantined", reason), rel
    seeds = sorted((d, docs[d][0], docs[d][2]) for d in docs if d.startswith("00"))
    assert [s[1:] for s in seeds] == [("parsed", "NCT02302599"), ("parsed", "NCT01374854"), ("parsed", "NCT01219465")]
    assert docs[name][0] == "quarantined" and docs[name][1].startswith("duplicate: same content as")  # of the XML in the archives


def test_nothing_outside_the_raw_folder_is_stored(hostile_run):
    _, out, _, _, _, _ = hostile_run
    passwd = Path("/etc/passwd").read_text()
    first_line = passwd.splitlines()[0]
    for path in (out / ".generations").rglob("*.parquet"):  # every row the output holds, per document or merged
        table = pq.read_table(path)
        for column in table.column_names:
            if table.schema.field(column).type in (pa.string(), pa.large_string()):
                assert not any(v and first_line in v for v in table.column(column).to_pylist()), (path, column)


def test_deeply_nested_html_is_staged_like_any_page(hostile_run):
    result, out, _, _, _, _ = hostile_run
    docs = _documents(out)
    status, error, _ = docs["deep1000.html"]  # rendered (RecursionError took the run down before): a banner alone
    assert status == "quarantined" and error.startswith("unrecognised layout:"), error  # is not a study page
    assert docs["deep100000.html"][:2] == ("quarantined", "HTML nested more than 2000 elements deep: not parsed")


def test_every_archive_member_is_a_row_with_its_reason(hostile_run):
    _, out, _, _, tar_expected, zip_expected = hostile_run
    docs = _documents(out)
    for archive, expected in (("members.tar", tar_expected), ("members.zip", zip_expected)):
        for member, reason in expected.items():
            status, error, trial_id = docs[f"{archive}!{member}"]
            if reason is None:
                assert trial_id == "NCT01219465" and (status == "parsed" or error.startswith("duplicate")), member
            else:
                assert (status, error) == ("quarantined", reason), member


_PROBE = textwrap.dedent("""
    import json, sys
    import duckdb
    from pipeline import listing, scheduling
    from pipeline.generations import Layout, code_versions
    from pipeline.staging import StagingLimits
    raw, out, limits = Path(sys.argv[1]), Layout(Path(sys.argv[2])), StagingLimits(**json.loads(sys.argv[3]))
    def status(field):
        return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith(field))
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")  # resets the peak (VmHWM) to the current RSS: importing pyarrow peaks higher than it stays
    listing.stage(raw, out, limits.max_document_bytes)
    before = status("VmRSS:")
    scheduling.parse_pending(raw, out, None, code_versions().parser, 1, limits)
    after = status("VmHWM:")
    errors = dict(duckdb.sql(f"select doc_key, error from read_parquet('{out.manifest}')").fetchall())
    print(json.dumps({"errors": errors, "before_kib": before, "peak_kib": after}))
""").replace("import json,", "from pathlib import Path\nimport json,")
# Caps set small so the probe is quick; staging's memory must stay within a few times them whatever the archive holds.
LIMITS = {"max_document_bytes": 4 << 20, "max_archive_bytes": 48 << 20, "max_compression_ratio": 100}


def _probe(raw: Path, out: Path) -> dict:
    child = subprocess.run([sys.executable, "-c", _PROBE, str(raw), str(out), json.dumps(LIMITS)],
                           cwd=REPO, capture_output=True, text=True, timeout=900)
    assert child.returncode == 0, child.stderr[-3000:]
    return json.loads(child.stdout.strip().splitlines()[-1])


def test_archive_bombs_are_refused_with_staging_memory_bounded_by_the_limits(tmp_path):
    """Staging and parsing alone, in a child process: 40 members of 3 MiB of text (each under the document limit,
    so read and decoded) from a ~0.1 MiB zip, 20 members of 16 MiB zeros, and a member whose headers say 1,000
    bytes but which inflates to 64 MiB. What the archives add to the step's peak RSS, over the same step on the
    one record alone (DuckDB, pandera and the readers cost the same either way), is less than
    8 × (max_document_bytes + 8 MiB): the bytes and text of one document and their copies. The peak is the
    kernel's high-water mark of the child's RSS, reset just before the step."""
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "NCT01219465.xml").write_bytes(XML_219)
    raw = tmp_path / "raw"
    shutil.copytree(alone, raw)
    zip_bomb(raw / "text.zip", 40, 3 << 20, fill=b"x")
    zip_bomb(raw / "zeros.zip", 20, 16 << 20)
    understated_zip(raw / "liar.zip", 64 << 20, 1000)
    baseline, probe = _probe(alone, tmp_path / "out_alone"), _probe(raw, tmp_path / "out")
    grown_mib = ((probe["peak_kib"] - probe["before_kib"]) - (baseline["peak_kib"] - baseline["before_kib"])) / 1024
    print(f"parse step RSS growth: {(baseline['peak_kib'] - baseline['before_kib']) / 1024:.0f} MiB for the record, "
          f"{(probe['peak_kib'] - probe['before_kib']) / 1024:.0f} MiB with the archives")
    assert grown_mib < 8 * (4 + 8), grown_mib
    docs = probe["errors"]
    assert docs["NCT01219465.xml"] is None
    assert docs["zeros.zip!zeros00.xml"] == f"archive member too large: {16 << 20} bytes (limit {4 << 20})"
    for archive in ("text.zip", "zeros.zip"):
        cap = StagingLimits(**LIMITS).archive_budget((raw / archive).stat().st_size)
        assert docs[archive].startswith(f"archive decompresses past its cap: more than {cap} bytes"), docs[archive]
    assert docs["text.zip!zeros00.xml"].startswith("unrecognised layout")  # read and decoded: 3 MiB of 'x'
    assert docs["liar.zip!zeros00.xml"].startswith("damaged archive member: BadZipFile: Bad CRC-32")


def test_status_lists_the_raw_folder_without_hanging_on_its_special_entries(hostile_run):
    """`status` hashes the raw folder as the sensor does: the FIFO and the link to /dev/zero are not opened."""
    _, out, expected, _, _, _ = hostile_run
    raw = out.parent / "raw"
    env = {**os.environ, "DAGSTER_HOME": str(out.parent / "dagster_home")}
    result = subprocess.run([sys.executable, "-m", "pipeline", "status", "--raw-dir", str(raw), "--out-dir", str(out)],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "since the last run: no file added, changed or deleted" in result.stdout, result.stdout
    for rel, reason in expected.items():
        assert f"  {rel}: {reason}\n" in result.stdout, rel


def test_seeds_saved_as_gb18030_with_cr_line_ends_give_the_rows_of_their_utf8_save(tmp_path, seeds_warehouse):
    """The issue's case end to end: GB18030 was read as hp_roman8 ('175μmol/L' → '175Îämol/L', thresholds
    7 → 2) and CR-only line ends lost the classic seed. Every table but `documents` must equal the UTF-8 run's."""
    raw = tmp_path / "raw"
    raw.mkdir()
    for seed in sorted(SEEDS.glob("*.txt")):
        (raw / seed.name).write_bytes(seed.read_text(encoding="utf-8").replace("\n", "\r").encode("gb18030"))
    result = _run(raw, tmp_path / "out")
    assert result.returncode == 0, result.stderr[-3000:]
    con = duckdb.connect(str(tmp_path / "out" / "warehouse.duckdb"), read_only=True)
    utf8 = duckdb.connect(str(seeds_warehouse / "warehouse.duckdb"), read_only=True)
    try:
        assert con.execute("select distinct status, encoding from documents").fetchall() == [("parsed", "gb18030")]
        tables = [r[0] for r in utf8.execute("select table_name from information_schema.tables order by 1").fetchall()]
        assert "eligibility_thresholds" in tables
        for table in tables:
            if table in ("documents", "quarantine"):
                continue
            sql = f"select * from {table} order by all"
            assert con.execute(sql).fetchall() == utf8.execute(sql).fetchall(), table
    finally:
        con.close()
        utf8.close()
