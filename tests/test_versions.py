"""Rows and tables carry digests of the code that made them (generations.code_versions): a change to parsing code
parses every document again; a change only to the code that lists, merges, publishes or reports merges every table
again from the kept rows and parses nothing (issue 17: work in proportion to what changed)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from pipeline.defs import assets
from pipeline.generations import BUILD_MODULES, VERSIONS_FILE, Layout, Versions, code_versions
from pipeline.publishing import PUBLISHED_TABLES, live_generation
from tests.conftest import CORPUS, REPO, amend_title, query, run_job

XML = sorted((CORPUS / "ctgov_xml").glob("*.xml"))[:6]


def _run(raw: Path, out: Path, monkeypatch, versions: Versions) -> int:
    """Run the job as code of these versions would; returns the documents it parsed."""
    monkeypatch.setattr(assets, "code_versions", lambda: versions)
    result = run_job(raw, out)
    assert result.success
    (parsed,) = result.asset_materializations_for_node("parsed_records")
    return parsed.metadata["documents_parsed"].value


def _tables(out: Path) -> dict[str, list[tuple]]:
    return {table: query(out, f"select * from {table} order by all") for table in PUBLISHED_TABLES}


def _inodes(out: Path) -> dict[str, int]:
    """The live generation's published files, by table and name, with their inode (a linked file keeps its own)."""
    generation = live_generation(Layout(out)).path
    return {path.relative_to(generation).as_posix(): path.stat().st_ino
            for table in PUBLISHED_TABLES for path in (generation / table).glob("*.parquet")}


def test_a_change_to_merging_code_merges_every_table_again_from_the_kept_rows(tmp_path, monkeypatch):
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    for path in XML:
        shutil.copy(path, raw)
    assert _run(raw, out, monkeypatch, Versions(parser="p1", code="c1")) == len(XML)
    tables, files = _tables(out), _inodes(out)
    assert _run(raw, out, monkeypatch, Versions(parser="p1", code="c1")) == 0
    assert _inodes(out) == files  # the same code and documents: nothing published again

    assert _run(raw, out, monkeypatch, Versions(parser="p1", code="c2")) == 0
    rebuilt = _inodes(out)
    assert rebuilt.keys() == files.keys() and not set(rebuilt.values()) & set(files.values())  # all written again
    assert _tables(out) == tables
    assert live_generation(Layout(out)).versions == Versions(parser="p1", code="c2")

    assert _run(raw, out, monkeypatch, Versions(parser="p2", code="c2")) == len(XML)  # other parsing code
    assert _tables(out) == tables
    assert live_generation(Layout(out), "p1") is None and live_generation(Layout(out), "p2") is not None

    amend_title(raw / XML[0].name)  # new merging code and an edited document in one run: as a fresh build's
    assert _run(raw, out, monkeypatch, Versions(parser="p2", code="c3")) == 1
    assert _run(raw, tmp_path / "fresh", monkeypatch, Versions(parser="p2", code="c3")) == len(XML)
    assert _tables(out) == _tables(tmp_path / "fresh") != tables


def test_an_output_that_does_not_say_which_code_made_it_is_parsed_again(tmp_path, monkeypatch):
    """An output written before generations kept their versions (or with the file lost) reuses nothing."""
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    for path in XML[:2]:
        shutil.copy(path, raw)
    versions = Versions(parser="p1", code="c1")
    assert _run(raw, out, monkeypatch, versions) == 2
    tables = _tables(out)
    (live_generation(Layout(out)).path / VERSIONS_FILE).unlink()
    assert _run(raw, out, monkeypatch, versions) == 2
    assert _tables(out) == tables and live_generation(Layout(out)).versions == versions


def test_parsing_imports_none_of_the_build_modules(tmp_path):
    """The parser version leaves out generations.BUILD_MODULES, so a parse task (what a worker runs) must never run
    them: documents of every corpus folder are parsed by one task in a fresh interpreter and the modules it loaded
    are listed."""
    raw = tmp_path / "raw"
    raw.mkdir()
    folders = [folder for folder in sorted(CORPUS.iterdir()) if folder.is_dir()]
    for folder in folders:
        first = min(path for path in folder.rglob("*") if path.is_file())
        shutil.copy(first, raw / f"{folder.name}-{first.name}")
    script = textwrap.dedent("""
        import hashlib, json, sys
        from pathlib import Path
        from pipeline import parsing
        from pipeline.staging import StagingLimits
        raw, incoming, listings, parser = sys.argv[1:]
        files = tuple((path.name, None, hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_size)
                      for path in sorted(Path(raw).iterdir()))
        task = parsing.Task(raw, incoming, listings, parser, StagingLimits(), files=files)
        summary, _ = parsing.run_task(task)
        files = [getattr(module, "__file__", None) for name, module in list(sys.modules.items())
                 if name.split(".")[0] in ("pipeline", "schemas")]
        print(json.dumps({"parsed": summary.parsed, "quarantined": summary.quarantined, "files": [f for f in files if f]}))
    """)
    out = Layout(tmp_path / "out")  # what the task is given comes from build code: not the worker's to import
    done = subprocess.run([sys.executable, "-c", script, str(raw), str(out.incoming_dir), str(out.listings_dir),
                           code_versions().parser], cwd=REPO, capture_output=True, text=True, check=True)
    report = json.loads(done.stdout)
    loaded = {Path(file).resolve().relative_to(REPO).as_posix() for file in report["files"]}
    assert report["quarantined"] == 0 and report["parsed"] >= len(folders)  # the ICTRP export holds many records
    assert {"pipeline/parsing.py", "pipeline/thresholds.py", "pipeline/criteria.py",
            "pipeline/sources/ctgov_xml.py"} <= loaded
    assert not [module for module in loaded if module.startswith(BUILD_MODULES)]
    assert all((REPO / module).exists() for module in BUILD_MODULES)  # none renamed away from the list


def test_the_ui_shows_which_code_made_each_asset(tmp_path):
    """Dagster records each asset's code version with its materializations (the UI shows it, and marks an asset
    stale when its code changed): parsing's the parser version, the tables', warehouse's and report's the code's."""
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(XML[0], raw)
    result = run_job(raw, tmp_path / "out")
    assert result.success
    versions = code_versions()
    made_by = {event.asset_key.to_user_string(): event.materialization.tags.get("dagster/code_version")
               for event in result.get_asset_materialization_events()}
    assert made_by["parsed_records"] == versions.parser != versions.code
    assert {made_by[key] for key in [*PUBLISHED_TABLES, "warehouse", "landscape_report"]} == {versions.code}
