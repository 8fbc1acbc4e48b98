"""The assets, by stage: staged documents → parsed records → published tables (with checks) → warehouse.

Staging and parsing are partitioned by shard and take any range of shards in one run (single-run
backfill policy), so a whole corpus is one run and a changed file is a run of its shard. Publishing
reads every shard and rewrites the tables whole.
"""

import multiprocessing
import warnings
from collections import Counter
from concurrent.futures import ProcessPoolExecutor

import dagster as dg
import duckdb
import pandera.errors
import polars as pl
import pyarrow.parquet as pq

from pipeline.defs.partitions import shards
from pipeline.defs.resources import PipelineSettings
from pipeline.parsing import RECORD_TABLES, parse_shard
from pipeline.publishing import PUBLISHED_TABLES, build_warehouse, publish
from pipeline.staging import write_staged
from pipeline.storage import Layout
from schemas import schema

PREVIEW_ROWS = 5
CHECK_BATCH_ROWS = 250_000
# single_run backfill policies are what keep a corpus to one run; Dagster still labels them beta.
warnings.filterwarnings("ignore", category=dg.BetaWarning, message=".*backfill_policy.*")
VALIDATED_TABLES = ("documents", *RECORD_TABLES)


def _markdown(frame: pl.DataFrame, limit: int = PREVIEW_ROWS) -> str:
    """A small Markdown table for the UI (long cells cut short)."""
    def cell(value) -> str:
        return "" if value is None else str(value).replace("|", "/").replace("\n", " ")[:80]

    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * frame.width]
    lines += ["| " + " | ".join(map(cell, row)) + " |" for row in frame.head(limit).iter_rows()]
    return "\n".join(lines)


@dg.asset(
    partitions_def=shards,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="staging",
    kinds={"python", "parquet"},
    description="Raw files and archive members of data/raw, decoded, hashed and their layout recognised.",
)
def staged_documents(context: dg.AssetExecutionContext, settings: PipelineSettings) -> dg.MaterializeResult:
    counts = write_staged(settings.raw_path, settings.layout, context.partition_keys, settings.max_document_bytes,
                          settings.workers)
    return dg.MaterializeResult(metadata={"shards": len(context.partition_keys), "documents": counts.total(),
                                          "quarantined_at_staging": counts["quarantined"]})


@dg.asset(
    partitions_def=shards,
    backfill_policy=dg.BackfillPolicy.single_run(),
    deps=[staged_documents],
    group_name="parsing",
    kinds={"python", "pandera", "parquet"},
    description="Every staged document parsed into table rows and checked per document with the pandera schemas.",
)
def parsed_records(context: dg.AssetExecutionContext, settings: PipelineSettings) -> dg.MaterializeResult:
    keys, out_dir = context.partition_keys, settings.out_dir
    if settings.workers > 1 and len(keys) > 1:
        with ProcessPoolExecutor(settings.workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            summaries = list(pool.map(parse_shard, [out_dir] * len(keys), keys))
    else:
        summaries = [parse_shard(out_dir, key) for key in keys]
    rows, reasons = Counter(), Counter()
    for s in summaries:
        rows.update(s.rows)
        reasons.update(s.reasons)
    return dg.MaterializeResult(metadata={
        "documents": sum(s.documents for s in summaries),
        "parsed": sum(s.parsed for s in summaries),
        "quarantined": sum(s.quarantined for s in summaries),
        "quarantine_reasons": dg.MetadataValue.json(dict(reasons.most_common(20))),
        "rows": dg.MetadataValue.json(dict(rows)),
    })


def _schema_check(table: str, path) -> dg.AssetCheckResult:
    """Run the table's pandera schema over the published file, a bounded batch of rows at a time.

    Row checks cover every row; the unique key is checked within each batch (the merge builds
    keys per trial, and a trial's rows are contiguous in the file).
    """
    rows, failures = 0, []
    for batch in pq.ParquetFile(path).iter_batches(CHECK_BATCH_ROWS):
        frame = pl.from_arrow(batch)
        rows += frame.height
        try:
            schema(table).validate(frame, lazy=True)
        except pandera.errors.SchemaErrors as exc:
            failures.append(exc.failure_cases)
    metadata = {"rows": rows, "failures": sum(f.height for f in failures)}
    if failures:
        metadata["failure_cases"] = dg.MetadataValue.md(_markdown(pl.concat(failures), 20))
    return dg.AssetCheckResult(asset_key=table, check_name="schema", passed=not failures, metadata=metadata)


def _coverage_check(layout: Layout) -> dg.AssetCheckResult:
    """How much of the criteria text became thresholds, per variable, and which values are implausible.

    Implausible rows (`plausible` false: outside PLAUSIBLE in the canonical unit, e.g. "neutropenia (<1,500/L)"
    where /µL was meant) are what the source says, so they make the check a warning (WARN, not passed: the UI
    shows a warning, not a failure), and the run goes on: the check is not blocking.
    """
    thresholds, criteria = (f"read_parquet('{layout.table_file(t)}')" for t in ("eligibility_thresholds", "eligibility_criteria"))
    con = duckdb.connect()
    try:
        n_criteria, covered = con.execute(f"""
            select count(*), count(*) filter (where exists (select 1 from {thresholds} t where t.trial_id = c.trial_id
                   and t.criterion_type is not distinct from c.criterion_type and t.criterion_ordinal = c.ordinal))
            from {criteria} c""").fetchone()
        per_variable = dict(con.execute(f"select variable, count(*) from {thresholds} group by 1 order by 2 desc").fetchall())
        implausible = pl.from_arrow(con.sql(f"""
            select trial_id, variable, eligible_lower_canonical, eligible_upper_canonical, canonical_unit, span
            from {thresholds} where not plausible order by 1, 2""").to_arrow_table())
    finally:
        con.close()
    metadata = {"criteria": n_criteria, "criteria_with_threshold": covered,
                "coverage": dg.MetadataValue.float(round(covered / n_criteria, 4) if n_criteria else 0.0),
                "rows_per_variable": dg.MetadataValue.json(per_variable), "implausible_rows": implausible.height}
    if implausible.height:
        metadata["implausible"] = dg.MetadataValue.md(_markdown(implausible, 50))
    return dg.AssetCheckResult(asset_key="eligibility_thresholds", check_name="coverage", passed=implausible.is_empty(),
                               severity=dg.AssetCheckSeverity.WARN, metadata=metadata)


@dg.multi_asset(
    specs=[dg.AssetSpec(t, deps=[parsed_records], group_name="tables", kinds={"duckdb", "parquet"},
                        description=f"The published `{t}` table (data/processed/{t}/).") for t in PUBLISHED_TABLES],
    check_specs=[*(dg.AssetCheckSpec("schema", asset=t, description=f"pandera schema of {t}") for t in VALIDATED_TABLES),
                 dg.AssetCheckSpec("coverage", asset="eligibility_thresholds",
                                   description="share of criteria with a threshold, rows per variable, implausible values")],
)
def published_tables(context: dg.AssetExecutionContext, settings: PipelineSettings):
    """Merge every shard into one row per trial (see pipeline.publishing) and write each table whole."""
    layout = settings.layout
    counts = publish(layout, settings.publish_memory_limit)
    for table in PUBLISHED_TABLES:
        path = layout.table_file(table)
        metadata = {"dagster/row_count": counts[table], "path": str(layout.table_dir(table)),
                    "preview": dg.MetadataValue.md(_markdown(pl.read_parquet(path, n_rows=PREVIEW_ROWS)))}
        if table == "documents":
            quarantined = (pl.scan_parquet(path).filter(pl.col("status") == "quarantined")
                           .select("doc_id", "source_format", "error").collect())
            metadata |= {"parsed": counts[table] - quarantined.height, "quarantined": quarantined.height,
                         "quarantined_files": dg.MetadataValue.md(_markdown(quarantined, 50))}
        yield dg.MaterializeResult(asset_key=table, metadata=metadata)
        if table in VALIDATED_TABLES:
            yield _schema_check(table, path)
        if table == "eligibility_thresholds":
            yield _coverage_check(layout)


@dg.asset(
    deps=list(PUBLISHED_TABLES),
    group_name="warehouse",
    kinds={"duckdb"},
    description="data/processed/warehouse.duckdb: one view per table over its Parquet files.",
)
def warehouse(settings: PipelineSettings) -> dg.MaterializeResult:
    path = build_warehouse(settings.layout)
    return dg.MaterializeResult(metadata={"path": str(path), "views": len(PUBLISHED_TABLES)})
