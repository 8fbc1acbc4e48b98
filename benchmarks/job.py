"""One measured run of the pipeline's `refresh` job, in its own process (benchmarks.run samples its memory).

Runs the real Dagster job in-process as `python -m pipeline run` does (DAGSTER_HOME, all shards,
`workers` processes), reads each step's start and end from the run's event log, then optionally
  --sensor    changes one raw file, evaluates `raw_files_sensor` and executes the run it requests,
              timing tick → fresh warehouse (and checks the change reached the warehouse);
  --queries   times the analyst queries against the warehouse.
Writes everything as JSON to RESULT.

    .venv/bin/python -m benchmarks.job RAW OUT RESULT [--workers 2] [--sensor] [--queries]
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import orjson

STEPS = {"staged_documents": "stage", "parsed_records": "parse + validate", "published_tables": "publish (merge)",
         "warehouse": "warehouse"}
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


def _execute(raw: Path, out: Path, workers: int, tags: dict, instance) -> dict:
    """Run the job; returns wall seconds, per-step seconds and success."""
    import dagster as dg

    from pipeline.definitions import defs

    settings = {"raw_dir": str(raw), "out_dir": str(out), "workers": workers}
    started = time.perf_counter()
    result = defs.resolve_job_def("refresh").execute_in_process(
        run_config={"resources": {"settings": {"config": settings}},
                    "loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        tags=tags, instance=instance, raise_on_error=False,
    )
    wall = time.perf_counter() - started
    starts, steps = {}, {}
    for entry in instance.all_logs(result.run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type == dg.DagsterEventType.STEP_START:
            starts[event.step_key] = entry.timestamp
        elif event.event_type in (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE):
            steps[STEPS.get(event.step_key, event.step_key)] = entry.timestamp - starts[event.step_key]
    return {"success": result.success, "wall_s": wall, "steps_s": steps}


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
    """Change one raw file; time the sensor tick and the run it requests until the warehouse shows the change."""
    import dagster as dg
    import duckdb

    from pipeline.defs.resources import PipelineSettings
    from pipeline.defs.sensors import raw_files_sensor

    settings = PipelineSettings(raw_dir=str(raw), out_dir=str(out), workers=workers)

    def tick(cursor):
        return raw_files_sensor(dg.build_sensor_context(cursor=cursor, resources={"settings": settings},
                                                        instance=instance))

    cursor = tick(None).cursor  # the tick that saw the corpus as it was run (hashes every file once)
    target = min(raw.rglob("*.xml"))
    trial_id = target.stem
    text = target.read_text(encoding="utf-8")
    target.write_text(text.replace("<brief_title>", "<brief_title>AMENDED ", 1), encoding="utf-8")
    try:
        started = time.perf_counter()
        result = tick(cursor)
        tick_s = time.perf_counter() - started
        (request,) = result.run_requests
        run = _execute(raw, out, workers, dict(request.tags), instance)
        total = time.perf_counter() - started
    finally:
        target.write_text(text, encoding="utf-8")
    con = duckdb.connect(str(out / "warehouse.duckdb"), read_only=True)
    try:
        title = con.execute("select brief_title from trials where trial_id = ?", [trial_id]).fetchone()[0]
    finally:
        con.close()
    return {"file": str(target.relative_to(raw)), "sensor_tick_s": tick_s, "run_s": run["wall_s"],
            "run_steps_s": run["steps_s"], "total_s": total, "success": run["success"],
            "shards": f"{request.tags['dagster/asset_partition_range_start']}.."
                      f"{request.tags['dagster/asset_partition_range_end']}",
            "change_visible": title.startswith("AMENDED ")}


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
    args = parser.parse_args()

    os.environ["DAGSTER_HOME"] = str(args.out.parent / "dagster_home")
    Path(os.environ["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
    (Path(os.environ["DAGSTER_HOME"]) / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    import dagster as dg

    from pipeline.defs.partitions import ALL_SHARDS_TAGS

    instance = dg.DagsterInstance.get()
    result = _execute(args.raw, args.out, args.workers, ALL_SHARDS_TAGS, instance)
    result |= _counts(args.out)
    result["output_bytes"] = {"tables_and_warehouse": _du(args.out) - _du(args.out / "_shards"),
                              "shard_work_files": _du(args.out / "_shards")}
    result["input_bytes"] = _du(args.raw)
    if args.queries:
        result["queries"] = _queries(args.out)
    if args.sensor:
        result["rematerialize"] = _sensor(args.raw, args.out, args.workers, instance)
    args.result.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))


if __name__ == "__main__":
    main()
