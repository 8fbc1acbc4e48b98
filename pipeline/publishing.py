"""Publish: every shard's rows → one row per trial, the contract's tables, and the DuckDB warehouse.

Several documents may describe one trial (its Veeva page, its classic page, its XML…). Precedence,
per trial: the latest version first (version_date: the Archive's version date, else
last_update_posted_date), at equal dates a structured record (XML, JSON) before page text, then
doc_id for a stable order. `trials` takes each field from the first document in that order that
states it; each child table takes its rows from
the first document that has any (eligibility_thresholds from the document its criteria came from,
so criterion ordinals always join). `trial_sources` keeps the provenance and `trial_field_conflicts`
lists where sources of one trial disagree. Documents with byte-identical content to an earlier one
are quarantined as duplicates. The merge runs in DuckDB over the shard files, out of core.
"""
from __future__ import annotations

import os
from pathlib import Path

import duckdb

from pipeline.parsing import RECORD_TABLES
from pipeline.sources import STRUCTURED_FORMATS
from pipeline.storage import Layout, atomic_path
from schemas import columns

PUBLISHED_TABLES = ("documents", *RECORD_TABLES, "trial_sources", "trial_field_conflicts")
CHILD_TABLES = tuple(t for t in RECORD_TABLES if t != "trials")
CRITERIA_TABLES = ("eligibility_criteria", "eligibility_thresholds")
_COMPARED_FIELDS = tuple(c for c in columns("trials") if c not in ("trial_id", "registry"))


def _q(path: Path | str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _parsed(layout: Layout, table: str) -> str:
    return f"read_parquet({_q(layout.parsed_glob(table))}, filename = true, file_row_number = true)"


def _queries(layout: Layout) -> dict[str, str]:
    """The SELECT behind each published table (run after the temp tables of _prepare)."""
    trial_cols = [c for c in columns("trials") if c != "trial_id"]
    picks = ",\n  ".join(
        f"arg_min(t.{c}, r.precedence) filter (where t.{c} is not null"
        + (f" and len(t.{c}) > 0" if c in ("phases", "who_masked") else "") + f") as {c}"
        for c in trial_cols
    )
    queries = {
        "documents": "select * exclude (filename, file_row_number) from documents_final order by doc_id",
        "trials": f"""
            select t.trial_id,
              {picks},
              list(t.doc_id order by r.precedence) as source_doc_ids
            from {_parsed(layout, 'trials')} t join ranked r using (doc_id, trial_id)
            group by t.trial_id order by t.trial_id""",
        "trial_sources": """
            select trial_id, doc_id, source_format, last_update_posted_date, precedence = 1 as chosen, precedence
            from ranked order by trial_id, precedence""",
        "trial_field_conflicts": f"""
            with long as (
              unpivot (select t.trial_id, t.doc_id, {", ".join(f"t.{c}::varchar as {c}" for c in _COMPARED_FIELDS)}
                       from {_parsed(layout, 'trials')} t join ranked r using (doc_id, trial_id))
              on {", ".join(_COMPARED_FIELDS)} into name field value value)
            select trial_id, field, list(distinct value order by value) as "values", list(doc_id order by doc_id) as doc_ids
            from long where trial_id in (select trial_id from ranked where precedence > 1)
            group by trial_id, field having count(distinct value) > 1 order by trial_id, field""",
    }
    for table in CHILD_TABLES:
        # a trial's criteria and their thresholds come from one document (criteria_source), so ordinals join
        source = ("join criteria_source using (doc_id, trial_id)" if table in CRITERIA_TABLES else
                  "join ranked r using (doc_id, trial_id) qualify r.precedence = min(r.precedence) over (partition by c.trial_id)")
        queries[table] = f"""
            select c.* exclude (filename, file_row_number)
            from {_parsed(layout, table)} c {source}
            order by c.trial_id, c.filename, c.file_row_number"""
    return queries


def _prepare(con: duckdb.DuckDBPyConnection, layout: Layout) -> None:
    con.execute(f"""
        create temp table documents_final as
        with docs as (select * from {_parsed(layout, 'documents')}),
        dups as (
          select doc_id, first_value(doc_id) over (partition by sha256, trial_id order by doc_id) as original
          from docs where status = 'parsed' qualify doc_id <> original)
        select docs.* replace (
                 case when dups.original is null then status else 'quarantined' end as status,
                 coalesce(error, 'duplicate: same content as ' || dups.original) as error)
        from docs left join dups using (doc_id)""")
    con.execute(f"""
        create temp table ranked as
        select t.doc_id, t.trial_id, d.source_format, t.last_update_posted_date,
               row_number() over (partition by t.trial_id order by t.version_date desc nulls last,
                 (d.source_format in {STRUCTURED_FORMATS}) desc, t.doc_id) as precedence
        from {_parsed(layout, 'trials')} t join documents_final d using (doc_id)
        where d.status = 'parsed'""")
    con.execute(f"""
        create temp table criteria_source as
        select distinct c.trial_id, c.doc_id from {_parsed(layout, 'eligibility_criteria')} c join ranked r using (doc_id, trial_id)
        qualify r.precedence = min(r.precedence) over (partition by c.trial_id)""")


def publish(layout: Layout, memory_limit: str = "2GB") -> dict[str, int]:
    """Write every published table whole (atomic rename per table); returns rows per table.

    DuckDB would take most of the machine's memory for the sorts and joins of a large corpus; held to
    `memory_limit`, it spills to a folder under _shards/ instead. Every query orders its rows, so the
    engine need not keep insertion order (which costs memory) for the output to be the same each run.
    """
    counts = {}
    con = duckdb.connect(config={"memory_limit": memory_limit, "preserve_insertion_order": False,
                                 "temp_directory": str(layout.shards_dir / "duckdb_spill")})
    try:
        _prepare(con, layout)
        for table, query in _queries(layout).items():
            target = layout.table_file(table)
            with atomic_path(target) as tmp:
                con.execute(f"copy ({query}) to {_q(tmp)} (format parquet, compression zstd)")
            for stale in target.parent.glob("*.parquet"):
                if stale != target:
                    stale.unlink()
            counts[table] = con.execute(f"select count(*) from read_parquet({_q(target)})").fetchone()[0]
    finally:
        con.close()
    return counts


_AGE_CONFLICT = """
    select t.trial_id, '{field}' as field, t.{field} as structured_value, a.eligible_{bound}_canonical as criteria_value,
           a.criterion_type, a.criterion_ordinal, a.span
    from trials t join eligibility_thresholds a
      on a.trial_id = t.trial_id and a.variable = 'age' and a.canonical_unit = 'years' and a.sex is null
    where abs(t.{field} - a.eligible_{bound}_canonical) > 0.01"""
VIEWS = {
    "quarantine": "select doc_id, source_path, source_format, error from documents where status = 'quarantined'",
    # where a trial's structured fields disagree with its own criteria text (its age window)
    "eligibility_conflicts": _AGE_CONFLICT.format(field="minimum_age_years", bound="lower") + "\n    union all"
                             + _AGE_CONFLICT.format(field="maximum_age_years", bound="upper") + "\n    order by trial_id, field",
}


def build_warehouse(layout: Layout, tables=PUBLISHED_TABLES) -> Path:
    """A fresh warehouse.duckdb with one view per table over its Parquet files, swapped in atomically."""
    with atomic_path(layout.warehouse) as tmp:
        # Written in the oldest storage format that holds views, so the `duckdb` CLI (1.x) opens it too.
        con = duckdb.connect(str(tmp), config={"storage_compatibility_version": "v1.0.0"})
        try:
            for table in tables:
                glob = str(layout.table_dir(table).resolve() / "*.parquet")
                con.execute(f"create view {table} as select * from read_parquet({_q(glob)})")
            for name, query in VIEWS.items():
                con.execute(f"create view {name} as {query}")
        finally:
            con.close()
        os.chmod(tmp, 0o644)
    return layout.warehouse
