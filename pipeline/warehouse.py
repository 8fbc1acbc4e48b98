"""The output opened for reading: a DuckDB session that can read the output folder and nothing else.

SQL typed by a person (`python -m pipeline query`) runs here, so DuckDB's own settings confine it,
not a check of the SQL text. A fresh in-memory database (its settings are its own, never shared
with another connection of the process) gets one view per table over the live generation of the
folder it is given (resolved once, so every view reads the same generation, and wherever the folder
was moved or copied); `allowed_directories` is the output folder, and then external access is switched
off (no other file, no network, no extension, no install) and the configuration locked, so no statement
can switch it back. DuckDB resolves symbolic links before it compares paths: table folders linked inside
the output folder are read, a link pointing out of it is refused. What the settings leave open is writing inside the
output folder (COPY … TO, EXPORT DATABASE, EXPLAIN ANALYZE COPY), so `reads_only` lets through only
what DuckDB's own parser classifies as a SELECT statement (FROM, WITH, DESCRIBE, SHOW, SUMMARIZE …).
"""
from __future__ import annotations

from pathlib import Path

import duckdb

CONNECT_CONFIG = {"autoload_known_extensions": False, "autoinstall_known_extensions": False}
READING_STATEMENTS = frozenset({duckdb.StatementType.SELECT})
WHAT_A_QUERY_MAY_DO = "the query may only read the warehouse's tables (SELECT, FROM, WITH, DESCRIBE, SHOW, SUMMARIZE)"


class Refused(Exception):
    """A statement that would do more than read the warehouse."""


def open_read_only(out_dir: Path) -> duckdb.DuckDBPyConnection:
    """The output folder's tables as views in a session that can read that folder and nothing else."""
    from pipeline.publishing import create_views, live_generation
    from pipeline.generations import Layout

    generation = live_generation(Layout(out_dir))
    if generation is None:
        raise FileNotFoundError(f"no output in {out_dir}")
    con = duckdb.connect(":memory:", config=CONNECT_CONFIG)
    try:
        # Both spellings of the folder, so a view written with either (through a link, or resolved) reads.
        con.execute("set allowed_directories = $folders",
                    {"folders": sorted({str(out_dir.absolute()), str(out_dir.resolve())})})
        con.execute("set temp_directory = $spill", {"spill": str(out_dir.resolve() / ".state" / "query_spill")})
        create_views(con, generation, reading=True)
        # Last and in this order: nothing else can be set once external access is off or the configuration locked.
        con.execute("set enable_external_access = false")
        con.execute("set lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def reads_only(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Raise Refused unless sql is exactly one statement and DuckDB's parser calls it a SELECT."""
    statements = con.extract_statements(sql)
    if not statements:
        raise Refused("no SQL statement given")
    if len(statements) > 1:
        raise Refused(f"give one statement, not {len(statements)}")
    kind = statements[0].type
    if kind not in READING_STATEMENTS:
        raise Refused(f"refused ({kind.name} statement): {WHAT_A_QUERY_MAY_DO}")
