"""`python -m pipeline` as a user types it: run, status, query, report, their messages and exit codes.

The warehouse holds three corpus XML records; by hand from the XML: NCT00739934 enrollment 40
(Actual), phase 2, started December 2008; NCT01339988 10 (Anticipated), phase 4, June 2011;
NCT02465060 6452 (Anticipated), phase 2, August 12, 2015.
"""
import hashlib
import io
import json
import os
import re
import shutil
import socket
import subprocess
import time
import sys

import pyarrow.parquet as pq
import pytest

from pipeline import cli
from pipeline.cli import DAGSTER_YAML, EARLIER_DAGSTER_YAML, main
from tests.conftest import CORPUS, REPO

TRIALS = ("NCT00739934", "NCT01339988", "NCT02465060")


@pytest.fixture(autouse=True)
def dagster_home(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(raw folder, out folder) after `python -m pipeline run` over the three records."""
    base = tmp_path_factory.mktemp("cli")
    raw = base / "raw"
    raw.mkdir()
    for trial_id in TRIALS:
        shutil.copy(CORPUS / "ctgov_xml" / f"{trial_id}.xml", raw)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(base / "dagster_home"))
        assert main(["run", "--raw-dir", str(raw), "--out-dir", str(base / "out"), "--workers", "1"]) == 0
    return raw, base / "out"


def test_run_summarises_what_landed(built, capsys):
    raw, out = built
    assert main(["run", "--raw-dir", str(raw), "--out-dir", str(out), "--workers", "1"]) == 0
    stdout = capsys.readouterr().out
    assert "documents: 3 parsed, 0 quarantined" in stdout
    assert re.search(r"^\s+trials: 3 rows$", stdout, re.MULTILINE)
    assert f"warehouse: {out / 'warehouse.duckdb'}" in stdout


def test_run_names_a_table_published_against_its_schema_and_fails(tmp_path, monkeypatch, capsys):
    """A check that fails is the run's failure, named (the tables are published: a reader sees what failed). Here the
    schema of trial_links is made to refuse SECONDARY_ID, and one record names the other as its secondary id."""
    import pandera.polars as pa

    from schemas import tables

    raw = tmp_path / "raw"
    raw.mkdir()
    for trial_id in TRIALS[:2]:
        shutil.copy(CORPUS / "ctgov_xml" / f"{trial_id}.xml", raw)
    named = raw / f"{TRIALS[0]}.xml"
    named.write_text(named.read_text(encoding="utf-8").replace(
        "<nct_id>", f"<secondary_id>{TRIALS[1]}</secondary_id><nct_id>", 1), encoding="utf-8")
    monkeypatch.setitem(tables.TABLES["trial_links"], "evidence",
                        (tables.STR, [pa.Check.isin(["SAME_EUDRACT_NUMBER"])], False))
    tables.schema.cache_clear()
    try:
        code = main(["run", "--raw-dir", str(raw), "--out-dir", str(tmp_path / "out"), "--workers", "1"])
    finally:
        monkeypatch.undo()
        tables.schema.cache_clear()
    assert code == 1
    assert "check failed: trial_links schema, 2 failures" in capsys.readouterr().err


def test_a_dagster_home_gets_the_projects_settings_when_new_or_as_an_earlier_release_left_them(tmp_path, monkeypatch):
    """A user's own dagster.yaml (Postgres, say) is left as it is."""
    for name, before, after in [("new", None, DAGSTER_YAML), ("earlier", EARLIER_DAGSTER_YAML, DAGSTER_YAML),
                                ("own", "storage:\n  postgres: {}\n", "storage:\n  postgres: {}\n")]:
        home = tmp_path / name
        if before is not None:
            home.mkdir()
            (home / "dagster.yaml").write_text(before)
        monkeypatch.setenv("DAGSTER_HOME", str(home))
        assert cli.dagster_home() == home
        assert (home / "dagster.yaml").read_text() == after, name



def test_the_checked_in_dagster_home_holds_the_projects_settings():
    """`make run` and `make ui` use .dagster/ in the checkout: its dagster.yaml is what a run would write there, so a
    run leaves the checkout unchanged and the UI stores events as the CLI does."""
    assert (REPO / ".dagster" / "dagster.yaml").read_text() == DAGSTER_YAML

def test_run_on_an_empty_folder_succeeds_with_zero_documents(tmp_path, capsys):
    (tmp_path / "raw").mkdir()
    code = main(["run", "--raw-dir", str(tmp_path / "raw"), "--out-dir", str(tmp_path / "out"), "--workers", "1",
                 "--progress"])
    captured = capsys.readouterr()
    assert code == 0
    assert "documents: 0 parsed, 0 quarantined" in captured.out
    assert f"the raw folder {tmp_path / 'raw'} has no files" in captured.out
    assert "job over: 0 documents parsed" in captured.err  # --progress's closing line


def test_progress_closes_with_the_documents_the_run_parsed(tmp_path, capsys):
    """--progress's closing line counts what the parse step parsed: the three records, then none on a rerun."""
    raw = tmp_path / "raw"
    raw.mkdir()
    for trial_id in TRIALS:
        shutil.copy(CORPUS / "ctgov_xml" / f"{trial_id}.xml", raw)
    for parsed in (3, 0):
        assert main(["run", "--raw-dir", str(raw), "--out-dir", str(tmp_path / "out"), "--workers", "1",
                     "--progress"]) == 0
        assert re.search(rf"\] job over: {parsed} documents parsed \(\d+ documents/s overall\)$",
                         capsys.readouterr().err, re.MULTILINE)


def test_run_on_a_missing_folder_is_a_usage_error(tmp_path, capsys):
    assert main(["run", "--raw-dir", str(tmp_path / "nowhere"), "--out-dir", str(tmp_path / "out")]) == 2
    assert f"raw folder {tmp_path / 'nowhere'} does not exist" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_query_prints_a_table(built, capsys):
    assert main(["query", "select count(*) as n from trials", "--out-dir", str(built[1])]) == 0
    assert re.search(r"│\s+3\s+│", capsys.readouterr().out)


def test_query_as_csv(built, capsys):
    sql = "select trial_id, enrollment, enrollment_type, phases from trials order by trial_id"
    assert main(["query", sql, "--out-dir", str(built[1]), "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "trial_id,enrollment,enrollment_type,phases",
        'NCT00739934,40,ACTUAL,"[""PHASE2""]"',
        'NCT01339988,10,ESTIMATED,"[""PHASE4""]"',
        'NCT02465060,6452,ESTIMATED,"[""PHASE2""]"',
    ]


def test_query_as_json(built, capsys):
    sql = "select trial_id, start_date, phases from trials order by trial_id"
    assert main(["query", sql, "--out-dir", str(built[1]), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"trial_id": "NCT00739934", "start_date": "2008-12-01", "phases": ["PHASE2"]},
        {"trial_id": "NCT01339988", "start_date": "2011-06-01", "phases": ["PHASE4"]},
        {"trial_id": "NCT02465060", "start_date": "2015-08-12", "phases": ["PHASE2"]},
    ]


def test_query_as_parquet_needs_an_output_file(built, tmp_path, capsys):
    target = tmp_path / "trials.parquet"
    assert main(["query", "select trial_id from trials", "--out-dir", str(built[1]), "--format", "parquet",
                 "--output", str(target)]) == 0
    assert sorted(pq.read_table(target)["trial_id"].to_pylist()) == list(TRIALS)
    assert main(["query", "select 1", "--out-dir", str(built[1]), "--format", "parquet"]) == 2
    assert "--format parquet needs --output FILE" in capsys.readouterr().err


@pytest.mark.parametrize(("sql", "message"), [
    ("selec count(*) from trials", "Parser Error: syntax error at or near \"selec\""),
    ("select * from no_such_table", "Table with name no_such_table does not exist"),
])
def test_bad_sql_is_a_usage_error_with_duckdbs_message(built, capsys, sql, message):
    assert main(["query", sql, "--out-dir", str(built[1])]) == 2
    assert message in capsys.readouterr().err


def _files(*folders) -> dict[str, str]:
    """Every file under folders with its sha256: what a refused query must leave as it was."""
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest()
            for folder in folders for p in sorted(folder.rglob("*")) if p.is_file()}


# Statements that would write, reach the network or read beyond the output folder, from the issue.
HOSTILE = {
    "overwrite the warehouse": "copy (select 1) to '{out}/warehouse.duckdb' (format csv)",
    "write a table's file": "copy (select 1 as trial_id) to '{out}/trials/data.parquet' (format parquet)",
    "write anywhere": "copy trials to '{elsewhere}/trials.csv'",
    "create a database": "attach '{elsewhere}/new.duckdb' (read_only false)",
    "export the database": "export database '{out}/export'",
    "write while explaining": "explain analyze copy (select 1) to '{out}/explained.csv'",
    "install an extension": "install httpfs",
    "load an extension": "load httpfs",
    "undo the sandbox": "set enable_external_access = true",
    "create a table": "create table notes (line varchar)",
    "read any file": "select * from read_text('{elsewhere}/secret.txt')",
    "read a file beside the output": "select * from read_text('{out}/../secret.txt')",
    "list any folder": "select * from glob('{elsewhere}/*')",
    "read the network": "select * from read_csv('http://127.0.0.1:{port}/trials.csv')",
}


@pytest.mark.parametrize("sql", HOSTILE.values(), ids=HOSTILE.keys())
def test_query_only_reads_the_output_folder(built, tmp_path, capsys, sql):
    out = built[1]
    (tmp_path / "secret.txt").write_text("the secret line\n")
    shutil.copy(tmp_path / "secret.txt", out.parent)
    before = _files(out, tmp_path)
    with socket.socket() as listener:  # a web server the query must not reach
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.5)
        statement = sql.format(out=out, elsewhere=tmp_path, port=listener.getsockname()[1])
        assert main(["query", statement, "--out-dir", str(out)]) == 2
        with pytest.raises(TimeoutError):
            listener.accept()
    captured = capsys.readouterr()
    assert "the query may only read the warehouse's tables" in captured.err
    assert "the secret line" not in captured.out + captured.err
    assert _files(out, tmp_path) == before
    assert main(["query", "select count(*) from trials", "--out-dir", str(out), "--format", "csv"]) == 0
    assert capsys.readouterr().out == "count_star()\n3\n"


def test_query_is_one_statement(built, capsys):
    assert main(["query", "select 1; select 2", "--out-dir", str(built[1])]) == 2
    assert "give one statement, not 2" in capsys.readouterr().err


@pytest.fixture
def linked_out(built, tmp_path):
    """A copy of the output folder (its table folders are links into .generations/, as the pipeline lays them out)
    with one more link pointing out of it (at secret.txt's folder)."""
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    shutil.copytree(built[1], out, symlinks=True)
    assert (out / "trials").is_symlink()
    elsewhere.mkdir()
    (elsewhere / "secret.txt").write_text("the secret line\n")
    (out / "outside").symlink_to(elsewhere)
    return out


def test_query_reads_table_folders_linked_inside_the_output_folder(linked_out, tmp_path, capsys):
    (tmp_path / "link_to_out").symlink_to(linked_out)
    for out_dir in (linked_out, tmp_path / "link_to_out"):
        sql = f"select (select count(*) from trials), count(*) from read_parquet('{out_dir}/trials/*.parquet')"
        assert main(["query", sql, "--out-dir", str(out_dir), "--format", "csv"]) == 0
        assert capsys.readouterr().out.splitlines()[1] == "3,3"


def test_query_refuses_a_link_out_of_the_output_folder(linked_out, capsys):
    sql = f"select * from read_text('{linked_out}/outside/secret.txt')"
    assert main(["query", sql, "--out-dir", str(linked_out)]) == 2
    captured = capsys.readouterr()
    assert "the query may only read the warehouse's tables" in captured.err
    assert "the secret line" not in captured.out


def test_query_reads_the_sql_from_stdin_or_a_file(built, tmp_path, monkeypatch, capsys):
    sql = "-- trials by phase\nselect count(*) as trials from trials\nwhere 'PHASE2' in phases;\n"
    (tmp_path / "question.sql").write_text(sql)
    monkeypatch.setattr("sys.stdin", io.StringIO(sql))
    assert main(["query", "-", "--out-dir", str(built[1]), "--format", "csv"]) == 0
    assert main(["query", "--file", str(tmp_path / "question.sql"), "--out-dir", str(built[1]), "--format", "csv"]) == 0
    assert capsys.readouterr().out == "trials\n2\ntrials\n2\n"  # NCT00739934 and NCT02465060


@pytest.mark.parametrize(("args", "message"), [
    ([], 'give the SQL as an argument ("-" reads it from standard input) or with --file FILE'),
    (["select 1", "--file", "q.sql"], 'give the SQL as an argument ("-" reads it from standard input) or with --file'),
    (["--file", "no_such.sql"], "cannot read the SQL file no_such.sql"),
    (["--file", "."], "cannot read the SQL file ."),
])
def test_query_needs_exactly_one_source_of_sql(built, capsys, args, message):
    assert main(["query", *args, "--out-dir", str(built[1])]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("command", [["query", "select 1"], ["report"], ["status", "--raw-dir", "."]])
def test_commands_without_a_warehouse_say_to_run_first(tmp_path, capsys, command):
    assert main([*command, "--out-dir", str(tmp_path)]) == 2
    assert "run `python -m pipeline run` first" in capsys.readouterr().err


def test_a_copied_output_folder_is_queried_where_it_now_is(built, tmp_path, capsys):
    """The output folder moves with its tables: a copy answers from its own files, the original removed."""
    copy = tmp_path / "copied"
    shutil.copytree(built[1], copy, symlinks=True)
    moved = tmp_path / "moved"
    shutil.move(copy, moved)
    capsys.readouterr()
    assert main(["query", "--format", "csv", "select trial_id from trials order by 1", "--out-dir", str(moved)]) == 0
    assert capsys.readouterr().out.split() == ["trial_id", *TRIALS]


def test_a_client_holding_the_warehouse_file_open_for_writing_blocks_neither_query_nor_run(built, tmp_path, capsys):
    raw, out = tmp_path / "raw", tmp_path / "out"
    shutil.copytree(built[0], raw)
    assert main(["run", "--raw-dir", str(raw), "--out-dir", str(out), "--workers", "1"]) == 0
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('open', flush=True); "
                               "sys.stdin.read()", str(out / "warehouse.duckdb")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        assert main(["query", "select count(*) from trials", "--out-dir", str(out)]) == 0
        (raw / f"{TRIALS[0]}.xml").unlink()
        assert main(["run", "--raw-dir", str(raw), "--out-dir", str(out), "--workers", "1"]) == 0
    finally:
        holder.communicate("")
    capsys.readouterr()
    assert main(["query", "--format", "csv", "select count(*) as n from trials", "--out-dir", str(out)]) == 0
    assert capsys.readouterr().out.split() == ["n", str(len(TRIALS) - 1)]


def test_report_prints_the_page(built, capsys):
    assert main(["report", "--out-dir", str(built[1])]) == 0
    assert capsys.readouterr().out.strip() == str(built[1] / "report" / "landscape.html")


def test_status_lists_new_changed_and_deleted_files(built, tmp_path, capsys):
    raw = tmp_path / "raw"
    shutil.copytree(built[0], raw)
    assert main(["status", "--raw-dir", str(raw), "--out-dir", str(built[1])]) == 0
    assert "since the last run: no file added, changed or deleted" in capsys.readouterr().out

    (raw / "NCT01339988.xml").unlink()
    (raw / "later").mkdir()
    shutil.copy(CORPUS / "ctgov_xml" / "NCT00001289.xml", raw / "later")
    with (raw / "NCT02465060.xml").open("a") as fh:
        fh.write("\n")
    (raw / "notes.txt").write_text("not a trial")
    assert main(["status", "--raw-dir", str(raw), "--out-dir", str(built[1])]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "since the last run: 2 new, 1 changed, 1 deleted (`python -m pipeline run` takes them in)" in lines
    assert [line.split() for line in lines if line.startswith("  ")] == [
        ["new", "later/NCT00001289.xml"], ["new", "notes.txt"],
        ["changed", "NCT02465060.xml"],
        ["deleted", "NCT01339988.xml"],
    ]


def test_status_shows_quarantined_documents_with_their_reasons(built, tmp_path, capsys):
    raw, out = tmp_path / "raw", tmp_path / "out"
    shutil.copytree(built[0], raw)
    (raw / "empty.xml").write_bytes(b"")
    assert main(["run", "--raw-dir", str(raw), "--out-dir", str(out), "--workers", "1"]) == 0
    capsys.readouterr()
    assert main(["status", "--raw-dir", str(raw), "--out-dir", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "quarantined documents: 1\n  empty.xml: empty file (0 bytes)\n" in stdout


def test_module_entry_point(built):
    result = subprocess.run([sys.executable, "-m", "pipeline", "query", "select count(*) from trials",
                             "--out-dir", str(built[1]), "--format", "csv"], capture_output=True, text=True, cwd=REPO)
    assert (result.returncode, result.stdout) == (0, "count_star()\n3\n")


def _buffered_env() -> dict[str, str]:
    """This environment without PYTHONUNBUFFERED: a command's output then waits for its last flush (cli.entry)."""
    return {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}


def test_module_entry_point_runs_the_job_and_leaves_nothing_running(tmp_path):
    """`python -m pipeline run` with two workers (their fork server started at once) leaves without tearing the
    interpreter down: its summary printed, its output whole, its exit code kept, and no process of it left behind."""
    raw = tmp_path / "raw"
    shutil.copytree(CORPUS / "ctgov_xml", raw)  # 6 MB of new content: parsed by the pool of workers
    (raw / "empty.xml").write_bytes(b"")
    trials = len(list(raw.glob("NCT*.xml")))
    command = [sys.executable, "-m", "pipeline", "run", "--raw-dir", str(raw), "--out-dir", str(tmp_path / "out"),
               "--workers", "2"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
                               env=_buffered_env(),  # the summary waits for the command's last flush
                               start_new_session=True)  # its own process group: what it starts is found by it
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    assert f"documents: {trials} parsed, 1 quarantined" in stdout
    assert re.search(rf"^\s+trials: {trials} rows$", stdout, re.MULTILINE)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)  # a process of the group is still there (the fork server stops as it sees EOF)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("a process of the run outlived it")
    result = subprocess.run([sys.executable, "-m", "pipeline", "query", "select count(*) from trials",
                             "--out-dir", str(tmp_path / "out"), "--format", "csv"], capture_output=True, text=True,
                            cwd=REPO)
    assert (result.returncode, result.stdout) == (0, f"count_star()\n{trials}\n")
    failed = subprocess.run([sys.executable, "-m", "pipeline", "query", "select nope", "--out-dir",
                             str(tmp_path / "out")], capture_output=True, text=True, cwd=REPO)
    assert failed.returncode == 2 and failed.stderr.startswith("error: the query failed: Binder Error")


def test_output_piped_into_a_reader_that_stops_early_is_not_an_error(built):
    """`… | head -1`: the reader closes the pipe after one line; the command neither crashes nor fails."""
    result = subprocess.run(f'"{sys.executable}" -m pipeline query "select * from range(100000)" --format csv '
                            f'--out-dir "{built[1]}" | head -1; exit ${{PIPESTATUS[0]}}',
                            shell=True, executable="/bin/bash", capture_output=True, text=True, cwd=REPO)
    assert (result.returncode, result.stdout, result.stderr) == (0, "range\n", "")
    # a reader that reads nothing: the output, small, waits in the buffer until the command's last flush (cli.entry)
    result = subprocess.run(f'"{sys.executable}" -m pipeline query "select * from range(50)" --format csv '
                            f'--out-dir "{built[1]}" | true; exit ${{PIPESTATUS[0]}}', shell=True,
                            executable="/bin/bash", capture_output=True, text=True, cwd=REPO, env=_buffered_env())
    assert (result.returncode, result.stderr) == (0, "")
