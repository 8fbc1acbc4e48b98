"""Publish: the manifest and the parsed rows → a new generation of every table and the warehouse, switched in whole.

Trials are spread over buckets (storage.bucket_of); a generation holds each table as numbered files, each holding
some buckets (one per bucket for a large corpus, fewer files for a small one: generations.files_for). A run finds the
*dirty* buckets — those where a document was added, changed or removed — and rewrites the files holding them; the
other files are hard-linked from the live generation. In a rewritten file, only the trials whose documents changed
are merged again; every other trial's rows are copied as the live generation's file holds them (_touched). So one
changed file costs a file, not the corpus, and one trial's merge, not its bucket's.

Within a bucket, several documents may describe one trial (its Veeva page, its classic page, its XML…).
Precedence, per trial (history.PRECEDENCE): the latest version first (version_date: the Archive's version date, else
the date the last update was submitted, else posted), within a version a structured record (XML, JSON) before page
text, then the later copy, then doc_id for a stable order. A document a newer version of its record replaces gives
nothing (history.SUPERSEDED). `trials` takes each field from the first document in that order that states it, and a
field that qualifies another (QUALIFIERS) from the first that states the value chosen for that one; each child table
takes its rows from the first document that has any (eligibility_thresholds from the document its criteria came
from, so criterion ordinals always join).
`trial_sources` keeps the provenance and `trial_field_conflicts` lists where sources of one trial disagree.
Documents with byte-identical content to an earlier one (the same record of the same bytes) are quarantined as
duplicates. The merge runs in DuckDB over Parquet, out of core.
"""
from __future__ import annotations

import os
import shutil
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import orjson
import polars as pl
import pyarrow.parquet as pq
from duckdb import sqltypes

from pipeline import history, linking, thresholds
from pipeline.generations import (Generation, Layout, Versions, file_number, files_for, link_unchanged,
                                  new_generation, quoted, remove_old_generations, switch)
from pipeline.parsing import CONTENTS, CONTENTS_BY_DOCUMENT, RECORD_TABLES
from pipeline.scheduling import documents_rows, incoming_segments, manifest_diff
from pipeline.storage import N_BUCKETS, atomic_path, bucket_of, buckets_of
from schemas import KEYS, columns
from schemas.dictionary import comment_statements, published_columns

# Written per bucket of trials (a trial's rows are all in its bucket's file):
BUCKETED_TABLES = ("documents", *RECORD_TABLES, "trial_sources", "trial_field_conflicts", "trial_versions",
                   "trial_changes", "trial_clusters")
# Written whole with every generation: they cross trials (links) or come from no document (variables).
GLOBAL_TABLES = ("trial_links", "variables")
PUBLISHED_TABLES = (*BUCKETED_TABLES, *GLOBAL_TABLES)
ROW_TABLES = (CONTENTS_BY_DOCUMENT, *RECORD_TABLES)  # a generation's per-document rows, the merge's input
CHILD_TABLES = tuple(t for t in RECORD_TABLES if t != "trials")
CRITERIA_TABLES = ("eligibility_criteria", "eligibility_thresholds")
# Where "the first document in precedence order" is not the rule:
EARLIEST_FIELDS = ("registration_date",)  # the registry first received the trial when its earliest record says
# Fields that qualify another, by the field(s) they qualify: each comes from the first document that states the same
# value of those, as the others come from the first document that states them (a status and the registry's own word
# for it are one value: "RECRUITING" from one ICTRP export beside "Not recruiting" from another said neither).
QUALIFIERS = {("overall_status", "overall_status_raw"): ("last_known_status", "why_stopped"),
              ("study_type", "study_type_raw"): (), ("phases", "phases_raw"): (),
              ("enrollment", "enrollment_raw"): ("enrollment_type",), ("minimum_age",): ("minimum_age_years",),
              ("maximum_age",): ("maximum_age_years",), ("start_date",): ("start_date_type",),
              ("primary_completion_date",): ("primary_completion_date_type",),
              ("completion_date",): ("completion_date_type",), ("masking",): ("who_masked",),
              ("responsible_party_type",): ("responsible_party_name", "responsible_party_title",
                                            "responsible_party_affiliation")}
UNION_OF_DOCUMENTS = {"locations": ("EUCTR",)}  # an EU CTR member state's record lists its own country only
# Within each file of these tables, rows sorted by this column first and written in row groups of CLUSTER_ROWS, so a
# filter on it skips the other values' row groups: criteria are searched by type ("exclusion criteria that mention
# creatinine" reads the text of exclusions only; at 100,000 trials 0.21 → 0.14 s cold).
CLUSTERED = {"eligibility_criteria": "criterion_type"}
CLUSTER_ROWS = 8192
# Tables whose rows only these trials have: a change that touches none of them does not run the table's query (it took
# 0.1-0.2 s of a one-file run, mostly to find nothing); the touched trials' old rows, if any, are still dropped
ROWS_ONLY_OF = {"trial_changes": history.VERSIONED}
EMPTY_FILE = "empty.parquet"  # a table's one file when it has no rows
MAX_ROW_FILES = 8  # a table's per-document rows in as many files of one number are merged into one (_write_rows)
MAX_DOCUMENTS_SIDE_BY_SIDE = 20_000  # a part of more documents than this runs its COPY statements one at a time
DOCUMENTS_PER_PART = 100_000  # a rebuild merges the published tables this many documents' buckets at a time
COUNTS_FILE = "_counts.json"  # rows of every published file, by table and file name
COVERAGE_FILE = "_coverage.json"  # per file number: what the coverage check sums (see _coverage)
NAMED_IDS = "_named_ids"  # per bucket: what each trial's identifiers name, and its titles (pipeline.linking)
LINKED_CLUSTERS = "_linked_clusters"  # whole: the clusters of linked trials (every other trial is its own)
# what the coverage check lists of each implausible threshold row
IMPLAUSIBLE_COLUMNS = ("trial_id", "variable", "eligible_lower_canonical", "eligible_upper_canonical", "canonical_unit",
                       "span")
# the number of the file a row was read from: as a `bucket` column, it writes the row back to a file of that number
_FILE_NUMBER = r"cast(regexp_extract(filename, 'b(\d{3})[^/]*\.parquet$', 1) as integer)"


@dataclass
class Publication:
    """What a run published: the generation, the buckets it rewrote (None: all) and rows per table."""

    generation: Generation | None
    dirty: set[int] | None
    counts: dict[str, int] = field(default_factory=dict)
    coverage: dict[str, dict] = field(default_factory=dict)  # per file number of the criteria tables (_coverage)
    new_files: dict[str, list[Path]] = field(default_factory=dict)  # the files this run wrote, per table


def _files(paths: list[Path]) -> str:
    return "[" + ", ".join(quoted(p) for p in paths) + "]"


def live_generation(layout: Layout, parser: str | None = None) -> Generation | None:
    """The live generation; with `parser`, only if that parser version made its rows (rows of other parser code are
    not reused)."""
    current = layout.current()
    if current is None or not current.is_dir():
        return None
    generation = Generation(current)
    if parser is not None and (generation.versions is None or generation.versions.parser != parser):
        return None
    return generation


def publish(layout: Layout, versions: Versions, memory_limit: str = "1.3GB") -> Publication:
    """Merge what changed since the live generation into a new one and switch to it; a no-op when nothing did.
    When only code that merges or publishes changed (generations.BUILD_MODULES), every table is merged again from the
    live generation's rows, nothing parsed again.

    DuckDB would take most of the machine's memory for the sorts and joins of a large corpus; held to
    `memory_limit`, it spills to a folder under .state/ instead.
    """
    before = layout.current()  # live until this run switches, whatever code made it: kept for its readers
    previous = live_generation(layout, versions.parser)
    rebuild = previous is not None and previous.versions != versions  # other merging code: every bucket again
    built = None if rebuild else previous  # the generation whose tables this one may keep: one of the same code
    segments = incoming_segments(layout, versions.parser)
    if not segments and previous is not None and not rebuild and previous.built_from(layout.manifest):
        # the manifest the live generation was built from, and nothing newly parsed: nothing to diff
        return Publication(previous, set(), _counts(previous, previous, {}))
    con = duckdb.connect(config={"memory_limit": memory_limit, "temp_directory": str(layout.spill_dir)})
    try:
        (documents,) = con.execute(f"select count(*) from read_parquet({quoted(layout.manifest)})").fetchone()
        files = files_for(documents)
        dirty = _documents(con, layout, previous, segments, files, rebuild)
        if dirty is not None and not dirty:
            _remove(segments)
            previous.keep_manifest(layout.manifest)  # the live generation is what this manifest builds
            return Publication(previous, set(), _counts(previous, previous, {}))
        generation = new_generation(layout, files)
        generation.keep_manifest(layout.manifest)  # what the next run diffs its manifest with
        generation.keep_versions(versions)
        try:
            publication = Publication(generation, dirty)
            parts = _parts(con, dirty, files)
            _write_rows(con, previous, generation, segments, dirty, parts, publication)
            splice = _write_tables(con, built, generation, dirty, parts, publication)
            _write_links(con, built, generation, dirty, splice, publication)
            _write_global(con, generation, publication)
            build_warehouse(generation)
        except BaseException:
            shutil.rmtree(generation.path, ignore_errors=True)
            raise
        switch(layout, generation, PUBLISHED_TABLES)
        # what the checks report and the next run reuses, once the tables are live: a run stopped before these are
        # written leaves the next one to read every file's figures again, not to trust wrong ones
        publication.counts = _counts(generation, built, publication.new_files)
        publication.coverage = _coverage(con, generation, built, dirty)
    finally:
        con.close()
    remove_old_generations(layout, before)
    _remove(segments)
    return publication


def _counts(generation: Generation, previous: Generation | None, written: dict[str, list[Path]]) -> dict[str, int]:
    """Rows per table, from the Parquet footers of the files this run wrote (`written`); a file linked from the
    previous generation keeps the count recorded there (in COUNTS_FILE), so the cost follows the change."""
    known = _recorded(previous, COUNTS_FILE)
    if previous is generation and known:
        return {table: sum(files.values()) for table, files in known.items()}
    per_file = {}
    for table in PUBLISHED_TABLES:
        old, new = known.get(table, {}), set(written.get(table, ()))
        per_file[table] = {path.name: old[path.name] if path.name in old and path not in new
                           else pq.read_metadata(path).num_rows
                           for path in generation.table_dir(table).glob("*.parquet")}
    with atomic_path(generation.path / COUNTS_FILE) as tmp:
        tmp.write_bytes(orjson.dumps(per_file))
    return {table: sum(files.values()) for table, files in per_file.items()}


def _recorded(generation: Generation | None, name: str) -> dict:
    """A per-file record a generation kept (COUNTS_FILE, COVERAGE_FILE), or {} when there is none (no generation,
    or one written by older code)."""
    path = None if generation is None else generation.path / name
    return orjson.loads(path.read_bytes()) if path is not None and path.exists() else {}


def _coverage(con: duckdb.DuckDBPyConnection, generation: Generation, previous: Generation | None,
              dirty: set[int] | None) -> dict[str, dict]:
    """Per file number of eligibility_criteria: its criteria, those with a threshold row, threshold rows per
    variable, and the implausible rows. Files this run rewrote are read; the others keep what the previous
    generation recorded (in COVERAGE_FILE), so the coverage check costs the change, not the corpus. (A trial's
    criteria and thresholds sit in files of one number.)"""
    known = _recorded(previous, COVERAGE_FILE) if dirty is not None else {}
    folder = generation.table_dir("eligibility_criteria")
    criteria = generation.numbered_files(folder)
    rewritten = criteria if dirty is None else generation.numbered_files(folder, dirty)
    todo = {n for n in criteria if n in rewritten or str(n) not in known}
    coverage = {str(n): known[str(n)] for n in criteria if n not in todo}
    if todo:
        thresholds = generation.numbered_files(generation.table_dir("eligibility_thresholds"), todo)
        con.execute(f"""create or replace temp view coverage_criteria as select *, {_FILE_NUMBER} as n
                        from read_parquet({_files([p for n in sorted(todo) for p in criteria[n]])}, filename = true)""")
        files = [p for ps in thresholds.values() for p in ps]
        empty = generation.table_dir("eligibility_thresholds") / "*.parquet"  # the table's columns, no rows
        con.execute("create or replace temp view coverage_thresholds as " + (
            f"select *, {_FILE_NUMBER} as n from read_parquet({_files(files)}, filename = true)" if files else
            f"select *, null::integer as n from read_parquet({quoted(empty)}) where false"))
        for n, n_criteria, covered in con.execute("""
                select n, count(*), count(*) filter (where exists (select 1 from coverage_thresholds t
                  where t.trial_id = c.trial_id and t.criterion_type is not distinct from c.criterion_type
                    and t.criterion_ordinal = c.ordinal))
                from coverage_criteria c group by n""").fetchall():
            coverage[str(n)] = {"criteria": n_criteria, "covered": covered, "per_variable": {}, "implausible": []}
        for n, variable, rows in con.execute(
                "select n, variable, count(*) from coverage_thresholds group by all").fetchall():
            coverage[str(n)]["per_variable"][variable] = rows
        for n, *row in con.execute(f"""
                select n, {", ".join(IMPLAUSIBLE_COLUMNS)} from coverage_thresholds where not plausible
                order by all""").fetchall():
            coverage[str(n)]["implausible"].append(row)
    with atomic_path(generation.path / COVERAGE_FILE) as tmp:
        tmp.write_bytes(orjson.dumps(coverage))
    return coverage


def _remove(segments: list[Path]) -> None:
    for segment in segments:
        shutil.rmtree(segment, ignore_errors=True)


def _documents(con: duckdb.DuckDBPyConnection, layout: Layout, previous: Generation | None,
               segments: list[Path], files: int, rebuild: bool) -> set[int] | None:
    """The buckets to rewrite (None: all), with tables `facts` (what each content parsed into: every new segment's,
    and the live generation's for the contents of changed documents) and `docs` (the new generation's `_documents`
    rows of those buckets).

    Only documents added, changed or removed since the live generation (a narrow diff of the manifest against its
    rows), and those it could not parse yet, are looked at again: the rest keep their rows, so a change costs its
    buckets, not the corpus. A bucket is dirty when any of its documents changed, before or after the change, or
    when it shares a file (of `files` per table) with one that did; every bucket is when the number of files
    changes, or on a `rebuild`."""
    manifest = f"read_parquet({quoted(layout.manifest)})"
    sources = ["select null::varchar as content_id, null::varchar as sha256, null::varchar as trial_id, "
               "null::integer as bucket, null::varchar as source_format, null::varchar as encoding, "
               "null::varchar as status, null::varchar as error, null::varchar as segment where false"]
    if segments:
        sources.append(f"""
            select * exclude (filename), parse_dirpath(filename) as segment
            from read_parquet({_files([s / f'{CONTENTS}.parquet' for s in segments])}, filename = true)
            qualify row_number() over (partition by content_id order by filename) = 1""")
    changed = "select doc_key from changed"
    if previous is not None:
        # read by need (a view): a change reads a few columns of its rows, not all the corpus's
        con.execute(f"""create view old_docs as select doc_key, sha256, n_bytes, path_error as error,
                        container_sha256, content_id, trial_id, bucket, source_format, encoding, content_status,
                        content_error, row_hash from {documents_rows(previous)}""")
        # the manifest the live generation was built from holds the same rows as its documents, in one file
        recorded = previous.manifest.exists()
        was = f"read_parquet({quoted(previous.manifest)})" if recorded else "old_docs"
        if rebuild:  # every row, so that every document's row is made again by this code
            con.execute(f"create table changed as select doc_key from {manifest} union select doc_key from {was}")
        elif recorded and (diffed := layout.manifest_changes(previous)).exists():  # the parse step's diff, the same
            con.execute(f"create table changed as select doc_key from read_parquet({quoted(diffed)})")
        else:
            manifest_diff(con, manifest, previous, was)
        sources.append(f"""
            select distinct on (content_id) content_id, sha256, trial_id, bucket, source_format, encoding,
                   content_status, content_error, null
            from old_docs
            where content_id is not null and sha256 in (select sha256 from {manifest} where doc_key in ({changed}))""")
    con.execute(f"""
        create table facts as
        select * from ({' union all '.join(sources)})
        qualify row_number() over (partition by content_id order by segment nulls last) = 1""")
    # a document without a trial (unreadable, or not parsed) is filed by its own key
    con.create_function("bucket_of", lambda keys: buckets_of(pl.from_arrow(keys)).to_arrow(), [sqltypes.VARCHAR],
                        sqltypes.INTEGER, type="arrow", side_effects=False)
    con.execute(f"""
        create table docs as
        select m.doc_key || coalesce(substr(f.content_id, 65), '') as doc_id, m.doc_key, f.content_id,
               m.source_path, m.member, m.sha256, m.n_bytes, m.container_sha256, m.row_hash,
               m.error as path_error, f.trial_id, coalesce(f.bucket, bucket_of(m.doc_key)) as bucket,
               f.source_format, f.encoding, f.status as content_status,
               case when m.error is null and f.content_id is null then 'not parsed: run the parse step first'
                    else f.error end as content_error
        from {manifest} m
        left join facts f on m.error is null and f.sha256 = m.sha256
        {"" if previous is None else f"where m.doc_key in ({changed})"}""")
    if previous is None:
        return None
    dirty = {b for (b,) in con.execute(
        f"select bucket from docs union select bucket from old_docs where doc_key in ({changed})").fetchall()}
    if dirty or previous.files != files or rebuild:
        stale = {b % files for b in dirty} if previous.files == files and not rebuild else set(range(files))
        dirty = {b for b in range(N_BUCKETS) if b % files in stale}
    kept = _bucket_files(previous, lambda g: g.rows_dir(CONTENTS_BY_DOCUMENT), dirty)
    if kept:  # the dirty buckets' documents that did not change, as they were
        con.execute(f"insert into docs by name select * from read_parquet({_files(kept)}) "
                    f"where doc_key not in ({changed})")
    return dirty


def _in(dirty: set[int] | None) -> str:
    return "true" if dirty is None else f"bucket in ({', '.join(map(str, sorted(dirty))) or 'null'})"


def _bucket_files(generation: Generation | None, folder_of, dirty: set[int] | None) -> list[Path]:
    """A generation's files of one folder that hold the dirty buckets (None: every file)."""
    if generation is None:
        return []
    return [p for paths in generation.numbered_files(folder_of(generation), dirty).values() for p in paths]


def _copy_by_bucket(con: duckdb.DuckDBPyConnection, query: str, target: Path, files: int,
                    keep_bucket: bool = False, row_group_rows: int | None = None) -> list[Path]:
    """Write a query's rows into `target` as `files` numbered files, each holding the buckets of its number
    (the query has a `bucket` column, written too when keep_bucket), in row groups of `row_group_rows` if given; a
    file is named after any of its number in `target` already (b017.parquet, b017.1.parquet…)."""
    target.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.{uuid.uuid4().hex}.tmp"
    row_groups = f", row_group_size {row_group_rows}" if row_group_rows else ""
    con.execute(f"copy (select *{'' if keep_bucket else ' exclude (bucket)'}, bucket % {files} as file "
                f"from ({query})) to {quoted(tmp)} (format parquet, compression zstd, partition_by (file){row_groups})")
    written = []
    taken = Counter(map(file_number, os.listdir(target)))  # a file's name follows those of its number already there
    for part in sorted(tmp.iterdir()) if tmp.exists() else ():
        number = int(part.name.split("=", 1)[1])
        for i, path in enumerate(sorted(part.glob("*.parquet")), start=taken[number]):
            name = f"b{number:03d}.parquet" if i == 0 else f"b{number:03d}.{i}.parquet"
            os.replace(path, target / name)
            written.append(target / name)
    shutil.rmtree(tmp, ignore_errors=True)
    return written


def _write_rows(con, previous, generation, segments, dirty, parts, publication) -> None:
    """The new generation's per-document rows of the dirty buckets, a part at a time, as _write_tables merges (a
    partitioned COPY holds a buffer per file it writes, which cannot spill: all 600,000 documents' rows at once ran
    out of a 1.5 GB limit).

    A change keeps a table's files as they are and adds the rows of content they do not hold as a file of their own:
    one changed file writes its own rows, not its bucket's (every table: 0.4 s at 600,000 trials). Rows of content no
    live document has any more stay in the files, unread: the merge takes rows by the live documents' content. Once a
    file number holds MAX_ROW_FILES files, and on a rebuild, the part's rows are merged into one file per number again
    from the old files and the new segments, without such rows."""
    for table in ROW_TABLES:
        link_unchanged(previous, lambda g, t=table: g.rows_dir(t), generation, dirty)
    live = "select content_id from docs where path_error is null and content_status = 'parsed'"
    replaced = "select content_id from facts where segment is not null"  # parsed again: the segment's rows win
    append = _a_change(previous, generation, dirty)  # while no file number of the part holds MAX_ROW_FILES files
    written: dict[str, list[Path]] = {}
    for part in parts:
        queries = {CONTENTS_BY_DOCUMENT: f"select * from docs where {_in(part)} order by bucket, doc_id"}
        for table in RECORD_TABLES:
            parsed = f"""
                select r.* exclude (filename)
                from read_parquet({_files([s / f'{table}.parquet' for s in segments])}, filename = true) r
                join facts f on f.content_id = r.content_id and f.segment = parse_dirpath(r.filename)
                where r.{_in(part)} and r.content_id in ({live})""" if segments else None
            numbered = previous.numbered_files(previous.rows_dir(table), part) if previous is not None else {}
            old = [path for paths in numbered.values() for path in paths]
            if old and append and max(map(len, numbered.values())) < MAX_ROW_FILES:
                _kept(previous, lambda g: g.rows_dir(table), generation, part)
                if parsed:
                    queries[table] = f"""select * from ({parsed}) where content_id not in
                                         (select content_id from read_parquet({_files(old)}))
                                         order by bucket, content_id, seq"""
                continue
            sources = [parsed] if parsed else []
            if old:
                sources.append(f"""select * from read_parquet({_files(old)})
                                   where {_in(part)} and content_id not in ({replaced}) and content_id in ({live})""")
            if sources:
                queries[table] = (f"select * from ({' union all by name '.join(sources)}) "
                                  "order by bucket, content_id, seq")
        new = _concurrently(con, [lambda cur, t=t, q=q: _copy_by_bucket(cur, q, generation.rows_dir(t),
                                                                        generation.files, keep_bucket=True)
                                  for t, q in queries.items()], part)
        for table, paths in zip(queries, new):
            written.setdefault(table if table == CONTENTS_BY_DOCUMENT else f"_rows/{table}", []).extend(paths)
    publication.new_files |= written


def _concurrently(con: duckdb.DuckDBPyConnection, jobs: list, part: set[int]) -> list:
    """Run independent jobs, each on its own cursor of the connection, and return their results in order.

    When the part holds few documents (a change, or a small corpus rebuilt) the jobs run side by side: the tables and
    views made before are shared, and DuckDB runs a query without holding the GIL, so the few dozen small queries use
    every core. A large part runs them one at a time: a COPY partitioned into many files holds a buffer per file that
    cannot spill, and two at once ran out of the memory limit at 600,000 trials (parts of 100,000 documents)."""
    def run(job):
        cursor = con.cursor()
        try:
            return job(cursor)
        finally:
            cursor.close()

    (documents,) = con.execute(f"select count(*) from docs where {_in(part)}").fetchone()
    side_by_side = documents <= MAX_DOCUMENTS_SIDE_BY_SIDE
    with ThreadPoolExecutor((os.cpu_count() or 1) if side_by_side else 1) as pool:
        return list(pool.map(run, jobs))


def _write_tables(con, previous, generation, dirty, parts, publication) -> bool:
    """Merge the dirty buckets' rows into the published tables; link the clean buckets' files. A rebuild merges
    its buckets in parts of about DOCUMENTS_PER_PART documents: merging 600,000 trials at once took more than
    DuckDB's memory limit, and a part's buckets share nothing with another part's. Returns whether only the touched
    trials were merged (_touched: then table `touched` holds them)."""
    queries = table_queries()
    for table in queries:
        link_unchanged(previous, lambda g, t=table: g.table_dir(t), generation, dirty)
    splice = _touched(con, previous, generation, dirty)
    written: dict[str, list[Path]] = {table: [] for table in queries}
    for part in parts:
        _merge_inputs(con, generation, part, splice)
        new = _concurrently(con, [lambda cur, t=t, q=q: _write_table(cur, t, q, previous, generation, part, splice)
                                  for t, q in queries.items()], part)
        for table, paths in zip(queries, new):
            written[table] += paths
    for table, query in queries.items():
        _empty_if_none(con, query, generation.table_dir(table), previous and previous.table_dir(table))
    publication.new_files |= written
    return splice


def _a_change(previous: Generation | None, generation: Generation, dirty: set[int] | None) -> bool:
    """Whether this run changes some buckets of the previous generation, in as many files: not a rebuild."""
    return dirty is not None and previous is not None and previous.files == generation.files


def _touched(con: duckdb.DuckDBPyConnection, previous: Generation | None, generation: Generation,
             dirty: set[int] | None) -> bool:
    """Whether a change's merge can take only the trials it touched, with table `touched` holding them: those with a
    document added, changed or removed (before or after). Every other trial of a dirty bucket keeps its rows as the
    previous generation's file has them (_spliced): at 600,000 trials a bucket holds 4,700, and merging them all
    again for one file's change cost more than copying their rows. A rebuild, or a change of the number of files,
    merges every trial of the dirty buckets."""
    if not _a_change(previous, generation, dirty):
        return False
    con.execute("""
        create or replace table touched as
        select trial_id from docs where doc_key in (select doc_key from changed) and trial_id is not null
        union
        select trial_id from old_docs where doc_key in (select doc_key from changed) and trial_id is not null""")
    return True


def _write_table(cursor: duckdb.DuckDBPyConnection, table: str, query: str, previous: Generation | None,
                 generation: Generation, part: set[int], splice: bool) -> list[Path]:
    """A published table's files of the part (_copy_by_bucket), returning those written. With `splice`, only the
    touched trials are merged (_spliced), and a table where no touched trial has rows, before or after, keeps the
    previous generation's files, linked (for one changed file most tables: the results tables of a trial without
    results, its trial_changes when it has one version…)."""
    target = generation.table_dir(table)
    if splice and table != "documents":
        query = _spliced(cursor, table, query, previous, part)
        if query is None:
            return _kept(previous, lambda g: g.table_dir(table), generation, part)
    return _copy_by_bucket(cursor, query, target, generation.files,
                           row_group_rows=CLUSTER_ROWS if table in CLUSTERED else None)


def _kept(previous: Generation, folder_of, generation: Generation, part: set[int]) -> list[Path]:
    """Link the previous generation's files of the part's buckets into the new one, as they are; none is written."""
    for path in _bucket_files(previous, folder_of, part):
        os.link(path, folder_of(generation) / path.name)
    return []


def _spliced(cursor: duckdb.DuckDBPyConnection, table: str, query: str, previous: Generation,
             part: set[int]) -> str | None:
    """A table's rows in the part's files: the touched trials' as `query` merges them, every other trial's as the
    previous generation's files hold them (a file's number standing for its bucket: files are numbered by bucket %
    files); None when no touched trial has rows there, before or after (the files stay as they are). Trials are in
    trial_id order (the clustered column first) and each trial's rows in the order they were written: the merged
    ones are put in a temporary table of the cursor to keep theirs."""
    none = table in ROWS_ONLY_OF and not cursor.execute(
        f"select exists (select 1 from ({ROWS_ONLY_OF[table]}) where trial_id in (select trial_id from touched))"
    ).fetchone()[0]  # no touched trial can have rows
    cursor.execute(f"create or replace temp table merged as {'select * from touched where false' if none else query}")
    old = [(n, path) for n, paths in previous.numbered_files(previous.table_dir(table), part).items() for path in paths]
    touched_before = (f"exists (select 1 from read_parquet({_files([path for _, path in old])}) "
                      "where trial_id in (select trial_id from touched))" if old else "false")
    (unchanged,) = cursor.execute(f"select not exists (select 1 from merged) and not {touched_before}").fetchone()
    if unchanged:
        return None
    kept = [f"select * exclude (file_row_number), {n} as bucket, {i} as _source, file_row_number as _row "
            f"from read_parquet({quoted(path)}, file_row_number = true) "
            "where trial_id not in (select trial_id from touched)"
            for i, (n, path) in enumerate(old)]
    rows = " union all by name ".join(["select *, -1 as _source, rowid as _row from merged", *kept])
    order = f"{CLUSTERED[table]}, trial_id" if table in CLUSTERED else "trial_id"
    return f"select * exclude (_source, _row) from (select * from ({rows}) order by {order}, _source, _row)"


def _parts(con: duckdb.DuckDBPyConnection, dirty: set[int] | None, files: int) -> list[set[int]]:
    """The dirty buckets in parts of about DOCUMENTS_PER_PART documents (`docs` holds the dirty buckets' rows),
    a file's buckets always in one part: one part for a change, several for a rebuild of a large corpus."""
    buckets = range(N_BUCKETS) if dirty is None else sorted(dirty)
    numbers = sorted({b % files for b in buckets})
    (documents,) = con.execute("select count(*) from docs").fetchone()
    n = max(1, min(len(numbers), -(-documents // DOCUMENTS_PER_PART)))
    return [{b for b in buckets if b % files in numbers[i::n]} for i in range(n)]


def _merge_inputs(con: duckdb.DuckDBPyConnection, generation: Generation, part: set[int],
                  touched: bool = False) -> None:
    """The tables and views the merge queries read, over one part's buckets: documents_final (duplicates
    quarantined), a doc_<table> view per record table (doc_trials with each document's version dated across
    documents: history.DOCUMENT_VERSIONS), each trial's documents ranked, the trials of several documents, and
    criteria_source; with `touched`, the doc_ relations hold only the trials of table `touched` (_touched), read
    into tables."""
    docs = _bucket_files(generation, lambda g: g.rows_dir(CONTENTS_BY_DOCUMENT), part)
    con.execute(f"""
        create or replace table documents_final as
        with d as (select * from read_parquet({_files(docs)})),
        dups as (
          select doc_id, first_value(doc_id) over (partition by content_id order by doc_id) as original
          from d where path_error is null and content_status = 'parsed' qualify doc_id <> original)
        select d.*, case when path_error is null and content_status = 'parsed' and dups.original is null
                         then 'parsed' else 'quarantined' end as status,
               coalesce(path_error, content_error, 'duplicate: same content as ' || dups.original) as error
        from d left join dups using (doc_id)""" if docs else
        "create or replace table documents_final as select *, ''::varchar as status, ''::varchar as error "
        "from docs where false")
    relations = {}
    for table in RECORD_TABLES:
        files = _bucket_files(generation, lambda g, t=table: g.rows_dir(t), part)
        if files:
            relations[table] = f"read_parquet({_files(files)})"
        else:  # no rows in these buckets: an empty relation of the right columns
            relations[table] = f"empty_{table}"
            con.execute(f"drop table if exists empty_{table}")  # (a table, not a registered view: cursors must see it)
            con.from_arrow(pl.DataFrame(schema={"content_id": pl.String, "bucket": pl.Int32, "seq": pl.Int64,
                                                **columns(table)}).to_arrow()).create(f"empty_{table}")
    if touched:  # a few trials' rows, each table's read once into a table, side by side (the merge reads them often)
        documents = "(select * from documents_final where trial_id in (select trial_id from touched))"
        _concurrently(con, [lambda cur, t=t, r=r: cur.execute(f"create or replace table {_document_relation(t)} as "
                                                              + _document_rows(t, r, documents))
                            for t, r in relations.items()], part)
        history.date_documents(con)
    else:
        document_views(con, relations)
    con.execute(f"""
        create or replace table ranked as
        select doc_id, trial_id, bucket, source_format, version_date, download_date,
               row_number() over (partition by trial_id order by {history.PRECEDENCE}) as precedence,
               {history.SUPERSEDED} as superseded
        from doc_trials d""")
    con.execute(f"create or replace table several as {history.SEVERAL_DOCUMENTS}")
    con.execute("create or replace table registries as "
                "select distinct on (trial_id) trial_id, registry from doc_trials")
    con.execute("""
        create or replace table criteria_source as
        select distinct c.trial_id, c.doc_id from doc_eligibility_criteria c join ranked r using (doc_id, trial_id)
        where not r.superseded qualify r.precedence = min(r.precedence) over (partition by c.trial_id)""")


def document_views(con: duckdb.DuckDBPyConnection, relations: dict[str, str]) -> None:
    """The doc_<table> views the merge and the history read: each table's rows (a relation per table) of the parsed
    documents (documents_final), with doc_id (_document_rows); doc_trials with each document dated by its version."""
    for table, rows in relations.items():
        con.execute(f"create or replace view {_document_relation(table)} as {_document_rows(table, rows)}")
    history.date_documents(con)


def _document_relation(table: str) -> str:
    return "doc_trials_as_parsed" if table == "trials" else f"doc_{table}"


def _document_rows(table: str, rows: str, documents: str = "documents_final") -> str:
    """A table's rows (the relation `rows`) of the parsed documents among `documents` (documents_final's rows)."""
    return f"""
        select d.doc_id, r.* exclude (content_id){", d.source_format" if table == "trials" else ""} from {rows} r
        join {documents} d on d.content_id = r.content_id and d.status = 'parsed'"""


def write_bucketed(con: duckdb.DuckDBPyConnection, query: str, target: Path, files: int,
                   previous: Path | None = None) -> list[Path]:
    """A table's rows of the rewritten buckets (_copy_by_bucket), and its empty file if no bucket has rows."""
    written = _copy_by_bucket(con, query, target, files)
    _empty_if_none(con, query, target, previous)
    return written


def _empty_if_none(con: duckdb.DuckDBPyConnection, query: str, target: Path, previous: Path | None = None) -> None:
    """A table without rows in any bucket still gets one empty file, so readers see its columns: a link to the
    previous generation's (same code, same columns) where it has one, as even `limit 0` runs the query's
    materialized parts (the history tables': about 0.2 s each on every change at 100,000 trials)."""
    target.mkdir(parents=True, exist_ok=True)
    if any(target.glob("*.parquet")):
        return
    if previous is not None and (previous / EMPTY_FILE).exists():
        os.link(previous / EMPTY_FILE, target / EMPTY_FILE)
    else:
        con.execute(f"copy (select * exclude (bucket) from ({query}) limit 0) to {quoted(target / EMPTY_FILE)} "
                    "(format parquet)")


def _trials_of(paths: list[Path]) -> str:
    """What linking reads of the trials in these files of `trials`, with each row's file number as its bucket."""
    if not paths:
        return ("select null::varchar as trial_id, null::varchar as registry, null::date as registration_date, "
                "null::integer as bucket where false")
    return (f"select trial_id, registry, registration_date, {_FILE_NUMBER} as bucket "
            f"from read_parquet({_files(paths)}, filename = true)")


def _named_ids_of(paths: list[Path]) -> str:
    """The rows of these NAMED_IDS files (without their bucket)."""
    if not paths:
        return ("select null::varchar as trial_id, null::varchar as doc_id, null::varchar as registry, "
                "null::varchar as named_id where false")
    return f"select trial_id, doc_id, registry, named_id from read_parquet({_files(paths)})"


def _write_links(con, previous, generation, dirty, splice, publication) -> None:
    """trial_links and trial_clusters (pipeline.linking), with work that grows with the change, not the corpus:
    the ids named by the touched trials' identifiers (with `splice`, those of table `touched`: _write_tables; else
    the dirty buckets') are found again, links and the linked trials' clusters are computed over those names (or
    kept, when nothing they read changed: _links_unchanged), and trial_clusters is rewritten in the dirty buckets
    and wherever a trial's cluster changed."""
    con.execute(f"create view trials as {_trials_of(_bucket_files(generation, lambda g: g.table_dir('trials'), None))}")
    link_unchanged(previous, lambda g: g.rows_dir(NAMED_IDS), generation, dirty)
    # the dirty buckets' identifiers and titles, written or kept (_write_table): on a change, of the touched trials
    # only, the other trials' names kept as the previous generation found them (_touched)
    identifiers = _bucket_files(generation, lambda g: g.table_dir("identifiers"), dirty)
    titled = _bucket_files(generation, lambda g: g.table_dir("trials"), dirty)
    if identifiers or titled:
        only_touched = " where trial_id in (select trial_id from touched)" if splice else ""
        named = []
        for view, files, sql in (("identifiers", identifiers, linking.NAMED_IDS_SQL),
                                 ("titled", titled, linking.title_keys_sql("titled"))):
            if files:
                con.execute(f"create view {view} as select *, {_FILE_NUMBER} as bucket "
                            f"from read_parquet({_files(files)}, filename = true){only_touched}")
                named.append(f"""select n.*, b.bucket from ({sql}) n
                                 join (select distinct trial_id, bucket from {view}) b using (trial_id)""")
        if old := splice and _bucket_files(previous, lambda g: g.rows_dir(NAMED_IDS), dirty):
            named.append(f"select * from read_parquet({_files(old)}) "
                         "where trial_id not in (select trial_id from touched)")
        _copy_by_bucket(con, f"select * from ({' union all by name '.join(named)}) order by all",
                        generation.rows_dir(NAMED_IDS), generation.files, keep_bucket=True)
    named = _bucket_files(generation, lambda g: g.rows_dir(NAMED_IDS), None)
    con.execute(f"create view named_ids as {_named_ids_of(named)}")
    linked = generation.rows_dir(LINKED_CLUSTERS) / "data.parquet"
    linked.parent.mkdir(parents=True, exist_ok=True)
    changed = dirty
    before = None if previous is None else previous.rows_dir(LINKED_CLUSTERS) / "data.parquet"
    if _links_unchanged(con, previous, generation, dirty, before):  # the previous generation's, as they are
        con.execute("create table trial_links as select * from read_parquet("
                    f"{quoted(previous.table_dir('trial_links') / 'data.parquet')})")
        con.execute(f"create table linked_clusters as select * from read_parquet({quoted(before)})")
        os.link(before, linked)
    else:
        con.execute(f"create table trial_links as {linking.LINKS_SQL}")
        con.execute(f"create table linked_clusters as {linking.LINKED_CLUSTERS_SQL}")
        con.execute(f"copy linked_clusters to {quoted(linked)} (format parquet)")
        if before is not None:  # and the buckets of every trial that joined, left or changed a cluster
            was = f"select * from read_parquet({quoted(before)})"
            moved = con.execute(f"""
                select trial_id from ((select * from linked_clusters except {was})
                    union all ({was} except select * from linked_clusters))""").fetchall()
            changed = dirty | {bucket_of(trial_id) for (trial_id,) in moved}
    link_unchanged(previous, lambda g: g.table_dir("trial_clusters"), generation, changed)
    rewrite = _bucket_files(generation, lambda g: g.table_dir("trials"), changed)
    con.execute(f"create view rewritten_trials as {_trials_of(rewrite)}")
    publication.new_files["trial_clusters"] = write_bucketed(con, f"""
        select c.*, t.bucket from ({linking.clusters_sql("rewritten_trials")}) c
        join rewritten_trials t using (trial_id) order by t.bucket, c.trial_id""", generation.table_dir("trial_clusters"),
        generation.files, previous and previous.table_dir("trial_clusters"))


def _links_unchanged(con: duckdb.DuckDBPyConnection, previous: Generation | None, generation: Generation,
                     dirty: set[int] | None, linked: Path | None) -> bool:
    """Whether trial_links and the linked clusters are the previous generation's: what LINKS_SQL and
    LINKED_CLUSTERS_SQL read did not change. It did not when the dirty buckets' identifiers name the same
    registrations as before, no title their trials took or dropped is another trial's, no trial that came, went or
    changed its registry or registration date is named by any identifier, and none of them is in a linked cluster.
    Most changes pass, and skip computing links over every trial's names (0.4 s at 600,000 trials). `linked`: the
    previous generation's linked clusters. Needs the view `named_ids` (the new generation's)."""
    if dirty is None or previous is None or linked is None or not linked.exists():
        return False
    was, now = (_named_ids_of(_bucket_files(g, lambda g: g.rows_dir(NAMED_IDS), dirty)) for g in (previous, generation))
    # (a title no trial of another registry goes by, now or among those the change dropped, links nothing)
    (renamed,) = con.execute(f"""
        with renamed as (({now} except all {was}) union all ({was} except all {now})),
        titles as (select right(named_id, 32) as title, registry from renamed
                   where starts_with(named_id, '{linking.TITLE}')),
        held as (select right(named_id, 32) as title, registry from named_ids
                 where named_id in (select '{linking.TITLE}' || title from titles
                                    union all select '{linking.TITLE}~' || title from titles)
                 union all select * from titles)
        select exists (select 1 from renamed where not starts_with(named_id, '{linking.TITLE}'))
            or exists (select 1 from titles r join held n on n.title = r.title and n.registry <> r.registry)
        """).fetchone()
    if renamed:
        return False
    was, now = (_trials_of(_bucket_files(g, lambda g: g.table_dir("trials"), dirty)) for g in (previous, generation))
    (moved,) = con.execute(f"""
        with moved as (select trial_id from (({now} except {was}) union all ({was} except {now})))
        select exists (select 1 from named_ids where named_id in (select trial_id from moved))
            or exists (select 1 from read_parquet({quoted(linked)}) where trial_id in (select trial_id from moved))
        """).fetchone()
    return not moved


def _write_global(con, generation, publication) -> None:
    """The tables written whole: trial_links (computed by _write_links) and the thresholds' variables."""
    con.register("variables", thresholds.variables().to_arrow())
    for table in GLOBAL_TABLES:
        target = generation.table_dir(table) / "data.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        con.execute(f"copy (select * from {table} order by all) to {quoted(target)} (format parquet, compression zstd)")
        publication.new_files[table] = [target]


def _by_trial(query: str) -> str:
    """A query over the doc_ views, with each row's bucket (its trial's) to write it by, in a total order."""
    return f"""
            select b.bucket, q.* from ({query}) q join (select distinct trial_id, bucket from doc_trials) b using (trial_id)
            order by all"""


def table_queries() -> dict[str, str]:
    """The SELECT behind each published table, with a `bucket` column to write it by (after the temp tables)."""
    trial_cols = [c for c in columns("trials") if c != "trial_id"]
    document_cols = ", ".join(columns("documents"))
    several = "(select trial_id from several)"  # a trial of one document has its values as parsed
    queries = {
        "documents": f"select {document_cols}, bucket from documents_final order by bucket, doc_id",
        "trials": f"""
            select m.*, {linking.PROSPECTIVELY_REGISTERED_SQL} as prospectively_registered,
                   h.versions, h.enrollment_planned, h.primary_outcomes_changed
            from (select t.trial_id, {", ".join(f"t.{c}" for c in trial_cols)}, [t.doc_id] as source_doc_ids, t.bucket
                  from doc_trials t where t.trial_id not in {several}
                  union all by name
                  {_merged_trials(trial_cols, several)}) m
            left join ({history.trial_history()}) h using (trial_id)
            order by m.bucket, m.trial_id""",
        "trial_sources": """
            select trial_id, doc_id, source_format, version_date, download_date, precedence = 1 as chosen, precedence,
                   superseded, bucket
            from ranked order by bucket, trial_id, precedence""",
        "trial_field_conflicts": _by_trial(history.trial_field_conflicts()),
        "trial_versions": _by_trial(history.TRIAL_VERSIONS),
        "trial_changes": _by_trial(history.trial_changes()),
    }
    for table in CHILD_TABLES:
        # a trial of several documents takes its criteria and their thresholds from one of them (criteria_source), so
        # ordinals join; a trial of one document has its rows as parsed
        first = "r.precedence = min(r.precedence) over (partition by c.trial_id)"
        joins, keep = "join ranked r using (doc_id, trial_id)", f"qualify {first}"
        if table in CRITERIA_TABLES:
            joins, keep = f"join criteria_source using (doc_id, trial_id) {joins}", ""
        elif table in UNION_OF_DOCUMENTS:  # these registries' records each hold a share: every document's rows
            key = ", ".join(f"c.{k}" for k in KEYS[table])
            registries = ", ".join(f"'{r}'" for r in UNION_OF_DOCUMENTS[table])
            joins += " join registries g using (trial_id)"
            keep = (f"qualify (g.registry in ({registries}) and row_number() over (partition by {key} order by "
                    f"r.precedence, c.seq) = 1) or (g.registry not in ({registries}) and {first})")
        queries[table] = f"""
            select * exclude (seq, _precedence) from (
              select c.*, 1 as _precedence from doc_{table} c where c.trial_id not in {several}
              union all by name
              select c.*, r.precedence as _precedence from doc_{table} c {joins}
              where c.trial_id in {several} and not r.superseded {keep})
            order by {f"{CLUSTERED[table]}, " if table in CLUSTERED else ""}bucket, trial_id, _precedence, seq"""
    return queries


def _merged_trials(trial_cols: list[str], several: str) -> str:
    """The `trials` rows of the trials of several documents: each field from the first document, not superseded (but
    for history.EVENT_DATES), that states it (a value of several fields, QUALIFIERS' keys, as one), and each qualifier
    from the first that states the value it qualifies as chosen; source_doc_ids lists every document."""
    qualified = {q: fields for fields, qualifiers in QUALIFIERS.items() for q in qualifiers}
    together = {f: fields for fields in QUALIFIERS for f in fields}
    stated = {c: " or ".join(f"t.{f} is not null" for f in together.get(c, (c,))) for c in trial_cols}
    firsts = ",\n      ".join(
        f"min(t.{c}) as {c}" if c in EARLIEST_FIELDS else
        f"arg_min_null(t.{c}, t.precedence) filter (where {'' if c in history.EVENT_DATES else 'not t.superseded and '}"
        f"({stated[c]})) as {c}"
        for c in trial_cols if c not in qualified)
    seconds = ",\n      ".join(
        f"arg_min(t.{q}, t.precedence) filter (where not t.superseded and "
        f"{' and '.join(f't.{f} is not distinct from m.{f}' for f in fields)}) as {q}"
        for q, fields in qualified.items())
    return f"""
      select * from (
        with docs as (select t.*, r.precedence, r.superseded from doc_trials t join ranked r using (doc_id, trial_id)
                      where t.trial_id in {several}),
        firsts as (select trial_id, {firsts},
                     list(doc_id order by precedence) as source_doc_ids, any_value(bucket) as bucket
                   from docs t group by trial_id)
        select * from firsts join (
          select t.trial_id, {seconds} from docs t join firsts m using (trial_id) group by t.trial_id) using (trial_id))"""


_AGE_CONFLICT = """
    select t.trial_id, '{field}' as field, t.{field} as structured_value, a.eligible_{bound}_canonical as criteria_value,
           a.criterion_type, a.criterion_ordinal, a.span
    from trials t join eligibility_thresholds a
      on a.trial_id = t.trial_id and a.variable = 'age' and a.canonical_unit = 'years' and a.sex is null
    where abs(t.{field} - a.eligible_{bound}_canonical) > 0.01{also}"""
# an exclusive upper bound agrees with the whole unit below it: "< 12 years" is a maximum of 11 years as registries
# write it, "< 6 months" one of 5 months (an age at onset is its own variable and never compared)
_EXCLUSIVE_UPPER = """
      and not coalesce(not a.eligible_upper_inclusive and abs(t.maximum_age_years
                       - a.eligible_upper_canonical * (1 - 1 / nullif(a.eligible_upper, 0))) <= 0.01, false)"""
VIEWS = {
    "quarantine": "select doc_id, source_path, source_format, error from documents where status = 'quarantined'",
    # where a trial's structured fields disagree with its own criteria text (its age window)
    "eligibility_conflicts": _AGE_CONFLICT.format(field="minimum_age_years", bound="lower", also="")
                             + "\n    union all"
                             + _AGE_CONFLICT.format(field="maximum_age_years", bound="upper", also=_EXCLUSIVE_UPPER)
                             + "\n    order by trial_id, field",
    # every column's description (the COMMENT ON COLUMN text): `describe` does not show comments, this does
    "data_dictionary": """select table_name, column_name, data_type, comment as description from duckdb_columns()
                          where database_name = current_database() and schema_name = 'main'
                          order by table_name, column_index""",
}


def create_views(con: duckdb.DuckDBPyConnection, generation: Generation, tables=PUBLISHED_TABLES,
                 reading: bool = False) -> None:
    """One view per table over a generation's files (by absolute path), then the analysts' views over them. `reading`
    an output (not building one): a generation an older version of this code built, queried before the next run
    merges it again, lacks the columns added since, and is described, not refused."""
    for table in tables:
        glob = generation.table_dir(table).resolve() / "*.parquet"
        con.execute(f"create view {table} as select * from read_parquet({quoted(glob)})")
    for name, query in VIEWS.items():
        con.execute(f"create view {name} as {query}")
    _describe(con, (*tables, *VIEWS), reading)


def _describe(con: duckdb.DuckDBPyConnection, relations, reading: bool = False) -> None:
    """The data dictionary on every column (COMMENT ON COLUMN): duckdb_columns() and the data_dictionary view show it.
    The columns are the dictionary's own list (a built view that lacks one is an error); when `reading`, those of them
    the views have (the catalogue's, bound when each view was made)."""
    present = set(con.execute("select table_name, column_name from duckdb_columns() where database_name = "
                              "current_database() and schema_name = 'main'").fetchall()) if reading else None
    con.execute(";\n".join(s for relation in relations for s in comment_statements(relation, [
        column for column in published_columns(relation) if present is None or (relation, column) in present])))


def build_warehouse(generation: Generation) -> Path:
    """The generation's warehouse.duckdb, for any DuckDB client on this machine.

    Its views name the generation's files by absolute path (DuckDB resolves a relative path against the
    reader's working directory, not the database's folder); `python -m pipeline query` builds the same views
    over whatever folder it is given, and `export` writes a copy that holds the rows themselves.
    """
    path = generation.warehouse
    # Written in the oldest storage format that holds views, so the `duckdb` CLI (1.x) opens it too.
    con = duckdb.connect(str(path), config={"storage_compatibility_version": "v1.0.0"})
    try:
        con.begin()  # one commit for the views and their comments, not one per statement
        create_views(con, generation)
        con.commit()
    finally:
        con.close()
    os.chmod(path, 0o644)
    return path


def export_warehouse(generation: Generation, target: Path, tables=PUBLISHED_TABLES) -> Path:
    """One self-contained DuckDB file holding every table's rows (not views over files): what a co-author
    needs, wherever it is copied."""
    with atomic_path(target) as tmp:
        con = duckdb.connect(str(tmp), config={"storage_compatibility_version": "v1.0.0"})
        try:
            for table in tables:
                con.execute(f"create table {table} as select * from "
                            f"read_parquet({quoted(generation.table_dir(table).resolve() / '*.parquet')})")
            for name, query in VIEWS.items():
                con.execute(f"create view {name} as {query}")
            _describe(con, (*tables, *VIEWS))
        finally:
            con.close()
    return target
