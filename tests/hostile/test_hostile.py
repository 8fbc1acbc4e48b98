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
    seeds = {d: docs[d] for d in docs if d.startswith("00")}
    assert [(s[0], s[2]) for s in seeds.values()] == [("parsed", "NCT02302599"), ("parsed", "NCT01374854"),
                                                      ("parsed", "NCT01219465")]
    assert docs[name][0] == "quarantined" and docs[name][1].startswith("duplicate: same content as")  # of the XML in the archives


def test_nothing_outside_the_raw_folder_is_stored(hostile_run):
    _, out, _, _, _, _ = hostile_run
    passwd = Path("/etc/passwd").read_text()
    first_line = passwd.splitlines()[0]
    for staged in out.glob("_shards/*/staged.parquet"):
        texts = pq.read_table(staged, columns=["text"]).column("text").to_pylist()
        assert not any(t and first_line in t for t in texts), staged


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
    import json, resource, sys
    import dagster as dg
    from pipeline.definitions import defs
    from pipeline.defs.partitions import ALL_SHARDS_TAGS
    raw, out, limits = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    result = defs.resolve_job_def("refresh").execute_in_process(
        run_config={"resources": {"settings": {"config": {"raw_dir": raw, "out_dir": out, "workers": 1, **limits}}}},
        tags=ALL_SHARDS_TAGS, instance=dg.DagsterInstance.ephemeral())
    print(json.dumps({"success": result.success, "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
""")
# Caps set small so the probe is quick; memory must stay within them whatever the archive holds.
LIMITS = {"max_document_bytes": 4 << 20, "max_archive_bytes": 48 << 20, "max_compression_ratio": 100,
          "max_buffered_bytes": 8 << 20}


def _probe(raw: Path, out: Path) -> dict:
    child = subprocess.run([sys.executable, "-c", _PROBE, str(raw), str(out), json.dumps(LIMITS)], cwd=REPO,
                           capture_output=True, text=True, timeout=900)
    assert child.returncode == 0, child.stderr[-3000:]
    return json.loads(child.stdout.strip().splitlines()[-1])


def test_archive_bombs_are_refused_with_peak_memory_bounded_by_the_limits(tmp_path):
    """Baseline: the job over one record. Bombs: 40 members of 16 MiB zeros (640 MiB from a ~0.6 MiB zip),
    and a member whose headers say 1,000 bytes but which inflates to 64 MiB. Peak RSS of the bomb run stays
    within the baseline plus a few times max_document_bytes."""
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "NCT01219465.xml").write_bytes(XML_219)
    baseline = _probe(tmp_path / "base", tmp_path / "out_base")
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "NCT01219465.xml").write_bytes(XML_219)
    zip_bomb(raw / "bomb.zip", 40, 16 << 20)
    understated_zip(raw / "liar.zip", 64 << 20, 1000)
    bombs = _probe(raw, tmp_path / "out")
    assert bombs["success"] and baseline["success"]
    grown_mib = (bombs["peak_kib"] - baseline["peak_kib"]) / 1024
    print(f"peak RSS: baseline {baseline['peak_kib'] / 1024:.0f} MiB, with bombs {bombs['peak_kib'] / 1024:.0f} MiB")
    assert grown_mib < 64, grown_mib
    docs = _documents(tmp_path / "out")
    assert docs["NCT01219465.xml"][0] == "parsed"
    assert docs["bomb.zip!zeros00.xml"][1] == f"archive member too large: {16 << 20} bytes (limit {4 << 20})"
    cap = StagingLimits(**LIMITS).archive_budget((raw / "bomb.zip").stat().st_size)
    archive_row = docs["bomb.zip"][1]
    assert archive_row.startswith(f"archive decompresses past its cap: more than {cap} bytes"), archive_row
    assert archive_row.endswith("members"), archive_row
    assert docs["liar.zip!zeros00.xml"][1].startswith("damaged archive member: BadZipFile: Bad CRC-32")


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
