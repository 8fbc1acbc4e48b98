"""One measured run of the pipeline's `refresh` job, in its own process (benchmarks.run samples its memory).

Runs the real Dagster job in-process as `python -m pipeline run` does (DAGSTER_HOME, `workers`
processes), reads each step's start and end from the run's event log, runs it again on the unchanged folder
(nothing may be parsed again), then optionally
  --sensor    adds, changes and deletes one raw file in turn, each time evaluating `raw_files_sensor` and
              executing the run it requests with its tags in a fresh process that loads the code first, as the
              daemon's run worker does (so it takes the manifest the tick staged, and pays a new process's first
              imports and caches), timing the run's start (its RUN_START event) → warehouse switched (and checking
              the change reached the warehouse);
  --queries   times the analyst queries against the warehouse.
With --new-merging-code it does none of that: on an output the job has built, it runs once as the job runs after an
edit of the merging code (_new_merging_code), in a process of its own as the daemon launches every run.
Writes everything as JSON to RESULT.

    .venv/bin/python -m benchmarks.job RAW OUT RESULT [--workers 2] [--sensor] [--queries]
    .venv/bin/python -m benchmarks.job RAW OUT RESULT --run-tags JSON   (one run, as --sensor launches each)
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import orjson

STEPS = {"staged_documents": "stage", "parsed_records": "parse + validate", "published_tables": "publish (merge)",
         "landscape_report": "report"}
QUERIES = {
    "phase x status counts": """
        select phase, overall_status, count(*) as trials
        from (select unnest(coalesce(phases, ['(none)'])) as phase, overall_status from trials)
        group by all order by trials desc""",
    "eligibility window": """
        select count(*) from trials
        where minimum_age_years <= 18 and coalesce(maximum_age_years, 999) >= 65
          and sex in ('ALL', 'FEMALE') and healthy_volunteers""",
    "trials x interventions x conditions": """
        select i.intervention_type, count(distinct t.trial_id) as trials, avg(t.enrollment) as mean_enrollment
        from trials t join interventions i using (trial_id) join conditions c using (trial_id)
        where c.condition ilike '%cancer%' and list_contains(t.phases, 'PHASE3')
        group by all order by trials desc""",
    "criteria text search": """
        select count(distinct trial_id) from eligibility_criteria
        where criterion_type = 'EXCLUSION' and text ilike '%creatinine%'""",
    "top sponsors of recruiting trials": """
        select lead_sponsor, count(*) as trials, sum(enrollment) as enrolled
        from trials where overall_status in ('RECRUITING', 'NOT_YET_RECRUITING', 'ACTIVE_NOT_RECRUITING')
        group by all order by trials desc limit 20""",
}


def _execute(raw: Path, out: Path, workers: int, instance, tags: dict | None = None) -> dict:
    """Run the job (with the tags of the run request that asked for it); returns wall seconds, per-step seconds and
    [start, end] (epoch s), seconds to the switched warehouse from the call and from the run's RUN_START event,
    documents parsed, and success."""
    import dagster as dg

    from pipeline.definitions import defs
    from pipeline.defs.assets import PARSED

    settings = {"raw_dir": str(raw), "out_dir": str(out), "workers": workers}
    started, started_wall = time.perf_counter(), time.time()
    result = defs.resolve_job_def("refresh").execute_in_process(
        run_config={"resources": {"settings": {"config": settings}},
                    "loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        instance=instance, raise_on_error=False, tags=tags,
    )
    wall = time.perf_counter() - started
    starts, steps, windows, parsed, run_start = {}, {}, {}, None, None
    for entry in instance.all_logs(result.run_id):
        event = entry.dagster_event
        if event is not None and event.event_type == dg.DagsterEventType.RUN_START:
            run_start = entry.timestamp
        if event is None or event.step_key is None:
            continue
        if event.event_type == dg.DagsterEventType.STEP_START:
            starts[event.step_key] = entry.timestamp
        elif event.event_type in (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE):
            step = STEPS.get(event.step_key, event.step_key)
            steps[step] = entry.timestamp - starts[event.step_key]
            windows[step] = [starts[event.step_key], entry.timestamp]
        elif event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION and event.step_key == "parsed_records":
            parsed = event.event_specific_data.materialization.metadata[PARSED].value
    # the moment the new output went live: the pointer's own mtime (None when the run published nothing new)
    pointer = out / ".current"
    switched = os.lstat(pointer).st_mtime if pointer.is_symlink() else None
    live = switched is not None and switched >= started_wall
    return {"success": result.success, "wall_s": wall, "steps_s": steps, "step_windows": windows,
            "to_warehouse_s": switched - started_wall if live else None,
            "run_start_to_warehouse_s": switched - run_start if live and run_start is not None else None,
            "documents_parsed": parsed}


def _counts(out: Path) -> dict:
    import duckdb

    con = duckdb.connect(str(out / "warehouse.duckdb"), read_only=True)
    try:
        status = dict(con.execute("select status, count(*) from documents group by all").fetchall())
        return {"documents": sum(status.values()), "parsed": status.get("parsed", 0),
                "quarantined": status.get("quarantined", 0),
                "trials": con.execute("select count(*) from trials").fetchone()[0],
                "quarantine_reasons": dict(con.execute(
                    "select split_part(error, ':', 1), count(*) from quarantine group by all order by 2 desc limit 5"
                ).fetchall()),
                **_fields(con)}
    finally:
        con.close()


def _fields(con) -> dict:
    """Columns the tables give a trial (keys and doc_id left out) and the non-null values in them."""
    from pipeline.parsing import RECORD_TABLES

    fields, values = 0, 0
    for table in RECORD_TABLES:
        names = [r[0] for r in con.execute(f"describe {table}").fetchall()
                 if r[0] not in ("doc_id", "source_doc_ids") and (table == "trials" or r[0] != "trial_id")]
        fields += len(names)
        values += sum(con.execute(f"select {', '.join(f'count({n})' for n in names)} from {table}").fetchone())
    return {"fields": fields, "non_null_values": values}


def _du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _sensor(raw: Path, out: Path, workers: int, instance) -> dict:
    """Add, change and delete one raw file in turn; each time tick the sensor and execute the run it requests in a
    fresh process (_fresh_run), timing the run from its start to the switched warehouse."""
    import dagster as dg
    import duckdb

    from pipeline.defs.resources import PipelineSettings
    from pipeline.defs.sensors import raw_files_sensor

    settings = PipelineSettings(raw_dir=str(raw), out_dir=str(out), workers=workers)
    cursor = raw_files_sensor(dg.build_sensor_context(resources={"settings": settings}, instance=instance)).cursor
    target = min(raw.rglob("*.xml"))
    trial_id, text = target.stem, target.read_text(encoding="utf-8")
    added = target.with_name("added_" + target.name)
    new_id = "NCT99999999"

    def titled(trial: str) -> str | None:
        con = duckdb.connect(str(out / "warehouse.duckdb"), read_only=True)
        try:
            row = con.execute("select brief_title from trials where trial_id = ?", [trial]).fetchone()
        finally:
            con.close()
        return row[0] if row else None

    changes = {
        "added": (lambda: added.write_text(text.replace(trial_id, new_id), encoding="utf-8"),
                  lambda: titled(new_id) is not None),
        "changed": (lambda: target.write_text(text.replace("<brief_title>", "<brief_title>AMENDED ", 1),
                                              encoding="utf-8"),
                    lambda: (titled(trial_id) or "").startswith("AMENDED ")),
        "deleted": (lambda: added.unlink(), lambda: titled(new_id) is None),
    }
    figures = {}
    try:
        for name, (change, visible) in changes.items():
            change()
            started = time.perf_counter()
            tick = raw_files_sensor(dg.build_sensor_context(cursor=cursor, resources={"settings": settings},
                                                            instance=instance))
            tick_s = time.perf_counter() - started
            (request,) = tick.run_requests
            cursor = tick.cursor
            run = _fresh_run(raw, out, workers, request.tags)
            figures[name] = {"sensor_tick_s": tick_s, "run_s": run["wall_s"], "to_warehouse_s": run["to_warehouse_s"],
                             "run_start_to_warehouse_s": run["run_start_to_warehouse_s"],
                             "steps_s": run["steps_s"], "documents_parsed": run["documents_parsed"],
                             "success": run["success"], "change_visible": visible()}
    finally:
        target.write_text(text, encoding="utf-8")
        added.unlink(missing_ok=True)
    _execute(raw, out, workers, instance)  # back to the corpus as generated
    return figures


def _fresh_run(raw: Path, out: Path, workers: int, tags: dict) -> dict:
    """One run with these tags in a new process that loads the code before it starts the run, as the daemon's run
    worker does: its first imports, unit registry and connections are paid inside the run, as they are there."""
    result = out.parent / "fresh_run.json"
    cmd = [sys.executable, "-m", "benchmarks.job", str(raw), str(out), str(result), "--workers", str(workers),
           "--run-tags", orjson.dumps(tags).decode()]
    subprocess.run(cmd, check=True, cwd=Path(__file__).resolve().parents[1])
    try:
        return orjson.loads(result.read_bytes())
    finally:
        result.unlink()


def _new_merging_code(raw: Path, out: Path, workers: int, instance) -> dict:
    """Run the job as it runs after an edit of the code that merges, publishes or reports (generations.BUILD_MODULES):
    another code version, the same parser version, so every table is merged again from the kept rows and nothing is
    parsed. The output is left as that code made it."""
    from dataclasses import replace

    from pipeline.defs import assets

    real = assets.code_versions
    assets.code_versions = lambda: replace(real(), code=real().code + "-edited")
    try:
        run = _execute(raw, out, workers, instance)
    finally:
        assets.code_versions = real
    return {"run_s": run["wall_s"], "steps_s": run["steps_s"], "documents_parsed": run["documents_parsed"],
            "success": run["success"]}


def _queries(out: Path) -> dict:
    """Each query: the first (cold) run on a fresh read-only connection, then the median of three more."""
    import duckdb

    timings = {}
    for name, sql in QUERIES.items():
        con = duckdb.connect(str(out / "warehouse.duckdb"), read_only=True)
        try:
            runs = []
            for _ in range(4):
                started = time.perf_counter()
                con.execute(sql).fetchall()
                runs.append(time.perf_counter() - started)
        finally:
            con.close()
        timings[name] = {"cold_s": runs[0], "warm_s": statistics.median(runs[1:])}
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("raw", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("result", type=Path)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--sensor", action="store_true")
    parser.add_argument("--queries", action="store_true")
    parser.add_argument("--new-merging-code", action="store_true")
    parser.add_argument("--run-tags", type=orjson.loads, help="run once with these tags (_fresh_run)")
    args = parser.parse_args()

    os.environ["DAGSTER_HOME"] = str(args.out.parent / "dagster_home")
    import dagster as dg

    from pipeline.cli import dagster_home

    dagster_home()  # its dagster.yaml, as `python -m pipeline run` writes it

    instance = dg.DagsterInstance.get()
    if args.run_tags is not None:
        args.result.write_bytes(orjson.dumps(_execute(args.raw, args.out, args.workers, instance, args.run_tags)))
        return
    if args.new_merging_code:
        args.result.write_bytes(orjson.dumps(_new_merging_code(args.raw, args.out, args.workers, instance)))
        return
    result = _execute(args.raw, args.out, args.workers, instance)
    rerun = _execute(args.raw, args.out, args.workers, instance)
    result["unchanged"] = {"run_s": rerun["wall_s"], "steps_s": rerun["steps_s"],
                           "documents_parsed": rerun["documents_parsed"], "success": rerun["success"]}
    result |= _counts(args.out)
    live = (args.out / ".current").resolve()
    result["output_bytes"] = {"tables_and_warehouse": _du(live) - _du(live / "_rows"),
                              "parsed_rows_kept": _du(live / "_rows")}
    result["input_bytes"] = _du(args.raw)
    if args.queries:
        result["queries"] = _queries(args.out)
    if args.sensor:
        result["sensor_started"] = time.time()  # (epoch s) its runs' fresh processes run beside this one
        result["rematerialize"] = _sensor(args.raw, args.out, args.workers, instance)
    args.result.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))


if __name__ == "__main__":
    main()
