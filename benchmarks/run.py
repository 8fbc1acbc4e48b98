"""`make bench`: the whole-registry benchmark. Generates (or reuses) the corpus for each size, runs the
real job on every input form in a fresh process while sampling the memory of its whole process tree,
times the sensor's re-run of one changed file and the analyst queries (on the legacy XML files), runs
the ctgforge peer on the same JSON, then prints one table per size and writes all figures as JSON.
Before the sizes, two real corpora run as whole processes: the 2014 archive, and the 2014 and 2023
archives together (two versions of most trials: what changed, and what computing the changes costs).

    .venv/bin/python -m benchmarks.run [--sizes 10000,100000] [--forms xml_archive,...] [--workers 2] [--no-history]
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import orjson

from benchmarks import corpus
from pipeline import history, publishing
from pipeline.parsing import CONTENTS_BY_DOCUMENT
from pipeline.generations import Generation, Layout

REPO = Path(__file__).resolve().parents[1]
RUNS = corpus.CACHE / "runs"
RESULTS = REPO / "benchmarks" / "results.json"
SAMPLE_S = 0.1  # how often the memory of a run's process tree is sampled
SENSOR_FORM = "xml_files"  # one file added, changed, deleted (a changed archive is read again whole)
GOALS = {"xml_rate": 2000.0, "page_rate": 1000.0, "peak_gib": 2.0, "change_s": 2.0, "unchanged_s": 5.0,
         "query_s": 1.0, "archive_process_rate": 1000.0}
REAL_ARCHIVE = corpus.SOURCE  # the 8,125 real records of 2014, run as a whole process, start-up included
HISTORY_ARCHIVES = (REAL_ARCHIVE, REAL_ARCHIVE.with_name("ctgov_legacy_xml_2023.tar.xz"))
HISTORY_TABLES = ("trial_versions", "trial_changes", "trial_field_conflicts")
WATCHED_CHANGES = {"status": "overall_status", "enrollment": "enrollment", "primary outcomes": "primary_outcome"}
PAGE_FORMS = ("veeva_files", "classic_files")


def _rss_kib(pid: int) -> int:
    """Resident memory of pid and every descendant, from /proc."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                total += next((int(line.split()[1]) for line in fh if line.startswith("VmRSS:")), 0)
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    stack.extend(int(c) for c in fh.read().split())
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return total


def measured(cmd: list[str]) -> tuple[int, list[tuple[float, float]]]:
    """Run cmd; return (exit code, [(epoch s, resident GiB of its process tree)] sampled every SAMPLE_S)."""
    proc = subprocess.Popen(cmd, cwd=REPO)
    samples = []
    done = threading.Event()

    def sample():
        while not done.wait(SAMPLE_S):
            samples.append((time.time(), _rss_kib(proc.pid) / 2**20))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = proc.wait()
    done.set()
    sampler.join()
    return code, samples


def _peaks(samples: list[tuple[float, float]], windows: dict[str, list[float]]) -> dict[str, float | None]:
    """Peak resident GiB within each step's [start, end] (epoch s) of the first run; None for a step shorter than
    the sampling interval that no sample fell in (not a measured zero)."""
    return {step: max((gib for t, gib in samples if start <= t <= end), default=None)
            for step, (start, end) in windows.items()}


def run_form(n: int, form: str, raw: Path, workers: int) -> dict:
    work = RUNS / str(n) / form
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    job = [sys.executable, "-m", "benchmarks.job", str(raw), str(work / "out")]
    cmd = [*job, str(work / "result.json"), "--workers", str(workers)]
    if form == SENSOR_FORM:
        cmd += ["--sensor", "--queries"]
    code, samples = measured(cmd)
    if code:
        raise SystemExit(f"the job failed on {form} (N={n}): exit {code}")
    result = orjson.loads((work / "result.json").read_bytes())
    # the job's own runs: the one-file runs' fresh processes run beside the benchmark's idle process, a pair the
    # daemon never makes
    until = result.get("sensor_started", float("inf"))
    result["peak_rss_gib"] = max((gib for t, gib in samples if t < until), default=0.0)
    result["peak_rss_gib_by_step"] = _peaks(samples, result["step_windows"])
    result["records_per_s"] = n / result["wall_s"]
    if form == SENSOR_FORM:  # a run as after an edit of the merging code, in its own process as each run is
        code, samples = measured([*job, str(work / "new_merging_code.json"), "--workers", str(workers),
                                  "--new-merging-code"])
        if code:
            raise SystemExit(f"the job as new merging code failed on {form} (N={n}): exit {code}")
        result["new_merging_code"] = orjson.loads((work / "new_merging_code.json").read_bytes())
        result["new_merging_code"]["peak_rss_gib"] = max((gib for _, gib in samples), default=0.0)
    shutil.rmtree(work / "out" / ".state", ignore_errors=True)  # keep the tables; the work files are large
    return result


def _pipeline_process(name: str, archives, workers: int) -> tuple[Path, float, int]:
    """`python -m pipeline run` on real archives in one raw folder, in a fresh process: start-up, every step,
    the report. (output folder, wall s, documents parsed)"""
    work = RUNS / name
    shutil.rmtree(work, ignore_errors=True)
    (work / "raw").mkdir(parents=True)
    for archive in archives:
        shutil.copy(archive, work / "raw" / archive.name)
    env = {**os.environ, "DAGSTER_HOME": str(work / "dagster_home")}
    (work / "dagster_home").mkdir()  # its dagster.yaml written by the CLI
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pipeline", "run", "--raw-dir", str(work / "raw"), "--out-dir",
                           str(work / "out"), "--workers", str(workers)], cwd=REPO, env=env, capture_output=True,
                          text=True)
    wall = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"the job failed on {name}: exit {done.returncode}\n{done.stderr[-2000:]}")
    records = int(done.stdout.split(" parsed", 1)[0].rsplit(" ", 1)[-1])
    return work / "out", wall, records


def run_archive_process(workers: int) -> dict:
    """The real 2014 archive as a whole process."""
    _, wall, records = _pipeline_process("archive_process", [REAL_ARCHIVE], workers)
    return {"wall_s": wall, "records": records, "records_per_s": records / wall}


def run_history(workers: int) -> dict:
    """The 2014 and 2023 archives together as a whole process: two versions of most 2014 trials. Counts what the
    history tables hold and how many trials changed status, enrollment or primary outcomes, then times the
    change computation (history_cost)."""
    out, wall, records = _pipeline_process("history", HISTORY_ARCHIVES, workers)
    con = duckdb.connect()
    table = {t: f"read_parquet('{out / t}/*.parquet')" for t in ("trials", *HISTORY_TABLES)}
    rows = {t: con.execute(f"select count(*) from {relation}").fetchone()[0] for t, relation in table.items()}
    watched = ", ".join(f"'{field}'" for field in WATCHED_CHANGES.values())
    per_field = dict(con.execute(f"select field, count(distinct trial_id) from {table['trial_changes']} "
                                 f"where field in ({watched}) group by field").fetchall())
    changed = {name: per_field.get(field, 0) for name, field in WATCHED_CHANGES.items()}
    changed["any of these"] = con.execute(f"select count(distinct trial_id) from {table['trial_changes']} "
                                          f"where field in ({watched})").fetchone()[0]
    con.close()
    return {"wall_s": wall, "records": records, "trials": rows.pop("trials"), "rows": rows,
            "trials_changed": changed, "change_computation_s": history_cost(out, out.parent / "timed")}


def history_cost(out: Path, scratch: Path) -> dict:
    """Seconds the publisher's own queries for the history tables take (publishing.table_queries, written as it writes
    them, by bucket, into `scratch`), run again over the per-document rows of the generation just published, as
    one full publish sees them, through the publisher's own `doc_` views (publishing.document_views; tests/benchmarks
    check that the tables come out as published)."""
    generation = Generation(Layout(out).current())
    con = duckdb.connect(config={"memory_limit": "2GB", "temp_directory": str(scratch / "spill")})
    con.execute("set enable_progress_bar = false")
    con.execute(f"""
        create temp table documents_final as
        select r.*, d.status from read_parquet('{generation.rows_dir(CONTENTS_BY_DOCUMENT)}/*.parquet') r
        join read_parquet('{generation.table_dir("documents")}/*.parquet') d using (doc_id)""")
    seconds = {}
    started = time.perf_counter()
    publishing.document_views(con, {name: f"read_parquet('{generation.rows_dir(name)}/*.parquet')"
                                    for name in ("trials", *history.ITEM_TABLES)})
    seconds["version dates"] = time.perf_counter() - started
    queries = publishing.table_queries()
    for name in HISTORY_TABLES:
        started = time.perf_counter()
        publishing.write_bucketed(con, queries[name], scratch / name, generation.files)
        seconds[name] = time.perf_counter() - started
    started = time.perf_counter()  # the trials' own history columns (versions, primary_outcomes_changed …)
    con.execute(f"create temp table timed_history as {history.trial_history()}")
    seconds["trials: history columns"] = time.perf_counter() - started
    con.close()
    shutil.rmtree(scratch / "spill", ignore_errors=True)
    return seconds


def run_peer(raw: Path, n: int) -> dict:
    work = RUNS / str(n) / "ctgforge"
    work.mkdir(parents=True, exist_ok=True)
    code, peak = measured([sys.executable, "-m", "benchmarks.peer", str(raw), str(work / "result.json")])
    if code:
        raise SystemExit(f"ctgforge failed (N={n}): exit {code}")
    return orjson.loads((work / "result.json").read_bytes()) | {"peak_rss_gib": peak}


def _mib(n_bytes: int) -> str:
    return f"{n_bytes / 2**20:,.0f} MiB"


def table(n: int, figures: dict) -> str:
    """The printed table for one size (Markdown, so the README can hold it as printed)."""
    forms = figures["forms"]
    lines = [f"### N = {n:,} records", "",
             "| input form | wall s | records/s | stage s | parse+validate s | publish s | report s "
             "| peak RSS GiB | output (tables+warehouse) | trials | quarantined | rerun unchanged s |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for form, r in forms.items():
        s = r["steps_s"]
        lines.append(
            f"| {form} | {r['wall_s']:.1f} | {r['records_per_s']:,.0f} | {s.get('stage', 0):.1f} "
            f"| {s.get('parse + validate', 0):.1f} | {s.get('publish (merge)', 0):.1f} | {s.get('report', 0):.1f} "
            f"| {r['peak_rss_gib']:.2f} | {_mib(r['output_bytes']['tables_and_warehouse'])} | {r['trials']:,} "
            f"| {r['quarantined']:,} | {r['unchanged']['run_s']:.1f} |")
    lines.append("")
    lines += [f"Peak RSS GiB by step ({form}): " + ", ".join(
        f"{step} {f'not sampled (under {SAMPLE_S} s)' if gib is None else f'{gib:.2f}'}"
        for step, gib in r["peak_rss_gib_by_step"].items()) for form, r in forms.items()]
    lines.append("")
    sensor_run = forms.get(SENSOR_FORM, {})
    if "rematerialize" in sensor_run:
        lines += [f"| one file ({SENSOR_FORM}, each run in a fresh process) | sensor tick s "
                  "| run start → warehouse s | execute call → warehouse s | whole run s | documents parsed "
                  "| in warehouse |",
                  "|---|---:|---:|---:|---:|---:|---|"]
        for change, m in sensor_run["rematerialize"].items():
            live, called = ("—" if t is None else f"{t:.2f}" for t in (m["run_start_to_warehouse_s"],
                                                                      m["to_warehouse_s"]))
            lines.append(f"| {change} | {m.get('sensor_tick_s', 0):.2f} | **{live}** | {called} | {m['run_s']:.2f} "
                         f"| {m['documents_parsed']} | {'yes' if m.get('change_visible', True) else 'NO'} |")
        lines.append("")
    if "new_merging_code" in sensor_run:
        m = sensor_run["new_merging_code"]
        publish = m["steps_s"].get("publish (merge)", 0)
        lines += [f"New merging code ({SENSOR_FORM}: the same parser version, another code version): every table "
                  f"merged again from the kept rows in {m['run_s']:.1f} s (publish {publish:.1f} s, peak "
                  f"{m['peak_rss_gib']:.2f} GiB), {m['documents_parsed']} documents parsed, against "
                  f"{sensor_run['wall_s']:.1f} s for the first run.", ""]
    if "queries" in sensor_run:
        lines += ["| analyst query (DuckDB, warehouse views) | cold s | warm s |", "|---|---:|---:|"]
        lines += [f"| {name} | {q['cold_s']:.3f} | {q['warm_s']:.3f} |" for name, q in sensor_run["queries"].items()]
        lines.append("")
    peer = figures.get("ctgforge")
    if peer and "json_files" in forms:
        ours, cores = forms["json_files"], figures["workers"]
        lines += ["| same API v2 JSON | wall s | records/s | cores | records/s per core | fields | non-null values "
                  "| records kept |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|",
                  f"| this pipeline (end to end, Parquet + warehouse) | {ours['wall_s']:.1f} | "
                  f"{ours['records_per_s']:,.0f} | {cores} | {ours['records_per_s'] / cores:,.0f} | {ours['fields']} "
                  f"| {ours['non_null_values']:,} | {ours['trials']:,} |",
                  f"| ctgforge 0.2.5 (flatten_core + to_dataframe, in memory) | {peer['wall_s']:.1f} | "
                  f"{n / peer['wall_s']:,.0f} | 1 | {n / peer['wall_s']:,.0f} | {peer['fields']} "
                  f"| {peer['non_null_values']:,} | {peer['rows']:,} |",
                  "",
                  f"ctgforge takes {peer['wall_s'] / ours['wall_s']:.2f}× our time and gives "
                  f"{peer['fields']} fields to our {ours['fields']} ({peer['rejected']:,} studies rejected by its models).",
                  ""]
    lines.append("Goals: " + "; ".join(goals(n, figures)))
    return "\n".join(lines)


def history_table(h: dict) -> str:
    """The two-version corpus's figures (no goals: what changed is the registry's, the cost is for the record)."""
    rows, changed, cost = h["rows"], h["trials_changed"], h["change_computation_s"]
    return "\n".join([
        "### Two versions: the 2014 and 2023 archives together (`python -m pipeline run`)", "",
        "| wall s | records | trials | trial_versions | trial_changes | trial_field_conflicts | "
        + " | ".join(f"{name} changed" for name in changed) + " |",
        "|" + "---:|" * (6 + len(changed)),
        f"| {h['wall_s']:.1f} | {h['records']:,} | {h['trials']:,} | {rows['trial_versions']:,} "
        f"| {rows['trial_changes']:,} | {rows['trial_field_conflicts']:,} | "
        + " | ".join(f"{n:,}" for n in changed.values()) + " |", "",
        "| change computation (the publisher's SQL, timed again over this run's rows) | s |", "|---|---:|",
        *[f"| {name} | {seconds:.2f} |" for name, seconds in cost.items()],
        f"| total | {sum(cost.values()):.2f} |", ""])


def goals(n: int, figures: dict) -> list[str]:
    forms, out = figures["forms"], []

    def mark(ok: bool) -> str:
        return "met" if ok else "MISSED"

    if "xml_archive" in forms:
        rate = forms["xml_archive"]["records_per_s"]
        out.append(f"XML archive {rate:,.0f} records/s (≥ {GOALS['xml_rate']:,.0f}: {mark(rate >= GOALS['xml_rate'])})")
    for form in PAGE_FORMS:
        if form in forms:
            page = forms[form]["records_per_s"]
            out.append(f"{form} {page:,.0f} records/s (≥ {GOALS['page_rate']:,.0f}: {mark(page >= GOALS['page_rate'])})")
    peak = max(max(r["peak_rss_gib"], r.get("new_merging_code", {}).get("peak_rss_gib", 0)) for r in forms.values())
    out.append(f"peak memory {peak:.2f} GiB (≤ {GOALS['peak_gib']:.0f}: {mark(peak <= GOALS['peak_gib'])})")
    for form, r in forms.items():
        m = r["unchanged"]
        out.append(f"{form} rerun with nothing changed {m['run_s']:.1f} s, {m['documents_parsed']} parsed "
                   f"(≤ {GOALS['unchanged_s']:.0f} s, none: {mark(m['run_s'] <= GOALS['unchanged_s'] and not m['documents_parsed'])})")
    for change, m in forms.get(SENSOR_FORM, {}).get("rematerialize", {}).items():
        seconds = m["run_start_to_warehouse_s"]
        ok = seconds is not None and seconds <= GOALS["change_s"] and m["change_visible"]
        shown = "never" if seconds is None else f"{seconds:.2f} s after its run starts"
        out.append(f"one {change} file in the warehouse {shown} (≤ {GOALS['change_s']:.0f} s: {mark(ok)})")
    if "queries" in forms.get(SENSOR_FORM, {}):
        worst = max(q["cold_s"] for q in forms[SENSOR_FORM]["queries"].values())
        out.append(f"slowest query {worst:.2f} s cold (≤ {GOALS['query_s']:.0f}: {mark(worst <= GOALS['query_s'])})")
    peer = figures.get("ctgforge")
    if peer and "json_files" in forms:
        ours = forms["json_files"]
        per_core = ours["records_per_s"] / figures["workers"]
        faster, more = per_core > n / peer["wall_s"], ours["fields"] > peer["fields"]
        out.append(f"vs ctgforge: faster per core {mark(faster)}, more fields {mark(more)}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated record counts")
    parser.add_argument("--forms", default=",".join(corpus.FORMS), help="input forms to run")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--no-peer", action="store_true", help="skip ctgforge")
    parser.add_argument("--no-history", action="store_true", help="skip the two-version corpus (2014 + 2023 archives)")
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"JSON figures (default {RESULTS})")
    args = parser.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s]
    forms = [f for f in args.forms.split(",") if f]
    unknown = set(forms) - set(corpus.FORMS)
    if unknown:
        raise SystemExit(f"unknown forms {sorted(unknown)}; known: {', '.join(corpus.FORMS)}")

    report = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)},
              "workers": args.workers, "sizes": {}}
    tables = []
    process = run_archive_process(args.workers)
    report["archive_process"] = process
    line = (f"The real 2014 archive ({process['records']:,} records) as a whole process (`python -m pipeline run`, "
            f"start-up and report included): {process['wall_s']:.1f} s, {process['records_per_s']:,.0f} records/s "
            f"(≥ {GOALS['archive_process_rate']:,.0f}: "
            f"{'met' if process['records_per_s'] >= GOALS['archive_process_rate'] else 'MISSED'})")
    print(line + "\n", flush=True)
    if not args.no_history:
        print("running the job on the 2014 + 2023 archives …", file=sys.stderr, flush=True)
        report["history"] = run_history(args.workers)
        print(history_table(report["history"]) + "\n", flush=True)
    for n in sizes:
        raws = corpus.ensure(n, forms, args.workers, log=lambda m: print(m, file=sys.stderr, flush=True))
        figures = {"forms": {}, "workers": args.workers}
        for form in forms:
            print(f"N={n:,}: running the job on {form} …", file=sys.stderr, flush=True)
            figures["forms"][form] = run_form(n, form, raws[form], args.workers)
        if "json_files" in forms and not args.no_peer:
            print(f"N={n:,}: ctgforge on json_files …", file=sys.stderr, flush=True)
            figures["ctgforge"] = run_peer(raws["json_files"], n)
        report["sizes"][str(n)] = figures
        tables.append(table(n, figures))
        print("\n" + tables[-1] + "\n", flush=True)
    args.output.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    print(f"figures written to {args.output}")


if __name__ == "__main__":
    main()
