"""The assets, by stage: staged documents → parsed records → published tables (with checks) and warehouse.

Each run takes what changed: staging lists the raw folder with its hashes, parsing reads only content the live
output has not seen, and publishing rewrites only the trial buckets that changed, switching every table and the
warehouse at once (see pipeline.publishing). "Materialize all" is one click and one run whatever the corpus. Every
step holds the output folder's writer lock, which the CLI, the sensor and the schedule share.
"""

import dagster as dg
import pandera.errors
import polars as pl
import pyarrow.parquet as pq

from pipeline import listing
from pipeline.defs.resources import PipelineSettings
from pipeline.defs.sensors import SENSED_TAG
from pipeline.generations import Layout, code_versions
from pipeline.lock import writer_lock
from pipeline.publishing import IMPLAUSIBLE_COLUMNS, PUBLISHED_TABLES, Publication, live_generation, publish
from pipeline.scheduling import parse_pending
from schemas import TABLES, columns, schema

PREVIEW_ROWS = 5
CHECK_BATCH_ROWS = 250_000
PARSED = "documents_parsed"  # the parse step's metadata: how many documents this run parsed (the CLI's progress)
VALIDATED_TABLES = tuple(t for t in PUBLISHED_TABLES if t in TABLES)  # the tables with a pandera schema

# pandera sets up its polars backends on a process's first validation (importing hypothesis where it is installed):
# 0.4 s that fell in the parse step of a process's first run; taken here, as the code loads, with the other imports
schema("documents").validate(pl.DataFrame(schema=columns("documents")))


def _markdown(frame: pl.DataFrame, limit: int = PREVIEW_ROWS) -> str:
    """A small Markdown table for the UI (long cells cut short)."""
    def cell(value) -> str:
        return "" if value is None else str(value).replace("|", "/").replace("\n", " ")[:80]

    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * frame.width]
    lines += ["| " + " | ".join(map(cell, row)) + " |" for row in frame.head(limit).iter_rows()]
    return "\n".join(lines)


@dg.asset(
    group_name="staging",
    kinds={"python", "parquet"},
    description="The raw folder's files and archives, hashed (cached by size and mtime), with what cannot be read.",
)
def staged_documents(context: dg.AssetExecutionContext, settings: PipelineSettings) -> dg.MaterializeResult:
    """A run the sensor requested takes the manifest its tick staged; any other lists the raw folder."""
    layout = settings.layout
    with writer_lock(layout.lock_file):
        # (the limits made here: one that is no positive number fails the run before staging, not after)
        limits = settings.staging_limits
        counts = listing.stage(settings.raw_path, layout, limits.max_document_bytes, context.run.tags.get(SENSED_TAG))
    return dg.MaterializeResult(metadata=counts)


@dg.asset(
    deps=[staged_documents],
    group_name="parsing",
    kinds={"python", "pandera", "parquet"},
    code_version=code_versions().parser,  # shown in the UI with each materialization: which code made it
    description="Every document whose content the output has not seen, parsed into rows and checked with the "
                "pandera schemas; new and changed archives read member by member.",
)
def parsed_records(settings: PipelineSettings) -> dg.MaterializeResult:
    layout, parser = settings.layout, code_versions().parser
    with writer_lock(layout.lock_file):
        summary = parse_pending(settings.raw_path, layout, live_generation(layout, parser), parser,
                                settings.workers, settings.staging_limits)
    return dg.MaterializeResult(metadata={
        PARSED: summary.documents,
        "quarantined": summary.quarantined,
        "quarantine_reasons": dg.MetadataValue.json(dict(summary.reasons.most_common(20))),
        "rows": dg.MetadataValue.json(dict(summary.rows)),
    })


def _schema_check(table: str, rows: int, paths) -> dg.AssetCheckResult:
    """Run the table's pandera schema over the files this run wrote, whole files gathered into batches of about
    CHECK_BATCH_ROWS rows (one validation per bucket file would pay pandera's set-up cost thousands of times).

    Files of unchanged buckets were checked when they were written. Row checks cover every row; the unique key
    is checked within each batch (a trial's rows all sit in its bucket's file).
    """
    checked, failures = 0, []
    for frame in _batches(paths):
        checked += frame.height
        try:
            schema(table).validate(frame, lazy=True)
        except pandera.errors.SchemaErrors as exc:
            failures.append(exc.failure_cases)
    metadata = {"rows": rows, "rows_checked_now": checked, "files_checked_now": len(paths),
                "failures": sum(f.height for f in failures)}
    if failures:
        metadata["failure_cases"] = dg.MetadataValue.md(_markdown(pl.concat(failures), 20))
    return dg.AssetCheckResult(asset_key=table, check_name="schema", passed=not failures, metadata=metadata)


def _batches(paths):
    """Frames of whole files, each of about CHECK_BATCH_ROWS rows (a single larger file is one frame)."""
    group, rows = [], 0
    for path in paths:
        group.append(path)
        rows += pq.read_metadata(path).num_rows
        if rows >= CHECK_BATCH_ROWS:
            yield pl.read_parquet(group)
            group, rows = [], 0
    if group:
        yield pl.read_parquet(group)


def _unchanged_check(table: str, name: str) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(asset_key=table, check_name=name, passed=True,
                               metadata={"unchanged": "no row changed since the last check"})


def _coverage_check(publication: Publication) -> dg.AssetCheckResult:
    """How much of the criteria text became thresholds, per variable, and which values are implausible.

    Summed from the per-file figures publishing keeps (pipeline.publishing._coverage): a run reads only the files it
    rewrote. Implausible rows (`plausible` false: outside PLAUSIBLE in the canonical unit, e.g. "neutropenia
    (<1,500/L)" where /µL was meant) are what the source says, so they make the check a warning (WARN, not passed:
    the UI shows a warning, not a failure), and the run goes on: the check is not blocking.
    """
    files = publication.coverage.values()
    n_criteria, covered = sum(f["criteria"] for f in files), sum(f["covered"] for f in files)
    per_variable: dict[str, int] = {}
    for f in files:
        for variable, rows in f["per_variable"].items():
            per_variable[variable] = per_variable.get(variable, 0) + rows
    implausible = pl.DataFrame([row for f in files for row in f["implausible"]], schema=list(IMPLAUSIBLE_COLUMNS),
                               orient="row").sort(IMPLAUSIBLE_COLUMNS[:2])
    metadata = {"criteria": n_criteria, "criteria_with_threshold": covered,
                "coverage": dg.MetadataValue.float(round(covered / n_criteria, 4) if n_criteria else 0.0),
                "rows_per_variable": dg.MetadataValue.json(dict(sorted(per_variable.items(), key=lambda kv: -kv[1]))),
                "implausible_rows": implausible.height}
    if implausible.height:
        metadata["implausible"] = dg.MetadataValue.md(_markdown(implausible, 50))
    return dg.AssetCheckResult(asset_key="eligibility_thresholds", check_name="coverage", passed=implausible.is_empty(),
                               severity=dg.AssetCheckSeverity.WARN, metadata=metadata)


@dg.multi_asset(
    specs=[*(dg.AssetSpec(t, deps=[parsed_records], group_name="tables", kinds={"duckdb", "parquet"},
                          code_version=code_versions().code,
                          description=f"The published `{t}` table (data/processed/{t}/).") for t in PUBLISHED_TABLES),
           dg.AssetSpec("warehouse", deps=list(PUBLISHED_TABLES), group_name="warehouse", kinds={"duckdb"},
                        code_version=code_versions().code,
                        description="data/processed/warehouse.duckdb: one view per table, switched with the tables.")],
    check_specs=[*(dg.AssetCheckSpec("schema", asset=t, description=f"pandera schema of {t}") for t in VALIDATED_TABLES),
                 dg.AssetCheckSpec("coverage", asset="eligibility_thresholds",
                                   description="share of criteria with a threshold, rows per variable, implausible values")],
    can_subset=True,
)
def published_tables(context: dg.AssetExecutionContext, settings: PipelineSettings):
    """Merge what changed into a new generation of every table and the warehouse (see pipeline.publishing).

    Publishing switches every table at once, so a run that selects some of them publishes all and reports the
    selected ones."""
    layout = settings.layout
    with writer_lock(layout.lock_file):
        publication = publish(layout, code_versions(), settings.publish_memory_limit)
    checks = {(key.asset_key.to_user_string(), key.name) for key in context.selected_asset_check_keys}
    for result in _results(layout, publication, {key.to_user_string() for key in context.selected_asset_keys}):
        if isinstance(result, dg.MaterializeResult) or (result.asset_key.to_user_string(), result.check_name) in checks:
            yield result


def _results(layout: Layout, publication: Publication, selected: set[str]):
    """The selected tables' materializations and checks, and the warehouse's.

    A run that changed nothing wrote nothing new: it materializes no table (each keeps its last materialization)
    and its checks pass with no new file to check, so the UI goes on showing them passed. Dagster's storage takes tens
    of milliseconds per event; leaving out the tables' 28 materializations saved about a second of an unchanged
    rerun of the seeds."""
    unchanged = publication.dirty == set()
    generation = publication.generation
    if unchanged:
        yield from (_schema_check(t, publication.counts[t], []) for t in VALIDATED_TABLES)
        yield _unchanged_check("eligibility_thresholds", "coverage")
    for table in (() if unchanged else [t for t in PUBLISHED_TABLES if t in selected]):
        folder = layout.table_dir(table)
        preview = pl.scan_parquet(folder / "*.parquet").head(PREVIEW_ROWS).collect()
        metadata = {"path": str(folder), "generation": generation.path.name,
                    "buckets_rewritten": "all" if publication.dirty is None else len(publication.dirty),
                    "dagster/row_count": publication.counts[table], "preview": dg.MetadataValue.md(_markdown(preview))}
        if table == "documents":
            quarantined = (pl.scan_parquet(folder / "*.parquet").filter(pl.col("status") == "quarantined")
                           .select("doc_id", "source_format", "error").collect())
            metadata |= {"parsed": publication.counts[table] - quarantined.height, "quarantined": quarantined.height,
                         "quarantined_files": dg.MetadataValue.md(_markdown(quarantined, 50))}
        yield dg.MaterializeResult(asset_key=table, metadata=metadata)
        if table in VALIDATED_TABLES:
            yield _schema_check(table, publication.counts[table], publication.new_files.get(table, []))
        if table == "eligibility_thresholds":
            yield _coverage_check(publication)
    if "warehouse" in selected:
        yield dg.MaterializeResult(asset_key="warehouse", metadata={
            "path": str(layout.warehouse), "views": len(PUBLISHED_TABLES), "generation": generation.path.name,
            "unchanged": unchanged})
