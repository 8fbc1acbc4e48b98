"""The data dictionary: every published column described in the warehouse, docs/data_dictionary.md current."""
from __future__ import annotations

import pytest

from pipeline.parsing import RECORD_TABLES
from schemas import TABLES
from schemas.dictionary import (
    DOC, TABLES_DICTIONARY, TRIALS_COMPUTED, UndocumentedColumn, comment_statements, markdown, published_columns,
)
from tests.conftest import query


def test_the_committed_dictionary_is_the_generated_one():
    """docs/data_dictionary.md is written by `python -m schemas.dictionary`; rerun it after changing the source."""
    assert DOC.read_text(encoding="utf-8") == markdown()


def test_every_column_of_every_view_carries_its_description(seeds_warehouse):
    columns = query(seeds_warehouse, """
        select table_name, column_name, comment from duckdb_columns()
        where database_name = current_database() and schema_name = 'main'""")
    views = {t for t, _, _ in columns}
    assert set(TABLES_DICTIONARY) == views  # every published table and view has an entry, and nothing else does
    assert [(t, c) for t, c, comment in columns if not comment] == []
    comments = {(t, c): comment for t, c, comment in columns}
    assert comments["trials", "trial_id"] == "The registry's id of the trial (NCT02302599, ChiCTR2000029953, …) (AACT: nct_id)"
    assert comments["arm_groups", "label"] == "The arm's label (AACT: title)"
    assert "(AACT: param_value_num)" in comments["outcome_measurements", "value"]
    [(view_comment,)] = query(seeds_warehouse, "select comment from duckdb_views() where view_name = 'arm_groups'")
    assert view_comment == "Arms (or groups) of the design (AACT: design_groups)"
    described = query(seeds_warehouse, "select column_name, description from data_dictionary "
                                       "where table_name = 'outcome_measurements'")
    assert len(described) == len(published_columns("outcome_measurements")) and all(d for _, d in described)


def test_the_dictionary_lists_exactly_the_published_columns():
    """No stale entry: a record table's dictionary columns are its schema's plus what publishing adds."""
    for table in RECORD_TABLES:
        own = set(TABLES_DICTIONARY[table][2])
        assert own <= set(published_columns(table)), (table, own - set(published_columns(table)))
    assert published_columns("trials")[-len(TRIALS_COMPUTED):] == TRIALS_COMPUTED
    assert published_columns("conditions")[-1] == "doc_id"
    assert published_columns("trial_changes") == list(TABLES["trial_changes"])  # computed across documents: no doc_id
    assert published_columns("documents") == list(TABLES["documents"])


def test_an_undocumented_column_is_an_error_not_a_gap():
    with pytest.raises(UndocumentedColumn, match=r"outcome_measurements\.effect_size"):
        comment_statements("outcome_measurements", ["trial_id", "effect_size"])
    with pytest.raises(KeyError):
        comment_statements("a_new_table", ["trial_id"])


def test_comments_are_quoted_for_sql():
    [view, column] = comment_statements("conditions", ["condition"])
    assert view == "comment on view conditions is 'Conditions studied, one row each'"
    assert column == """comment on column conditions."condition" is 'The condition as written (AACT: name)'"""
    [_, trial_id] = comment_statements("trials", ["trial_id"])
    assert "registry''s id" in trial_id


def test_a_warehouse_built_before_a_column_was_added_is_described_not_refused():
    """Querying an output an older version of this code built, before the next run merges it again: its
    trial_changes has no formatting_only yet (`python -m pipeline query` stopped with a binder error)."""
    import duckdb

    from pipeline.publishing import _describe

    con = duckdb.connect()
    con.execute("create view trial_changes as select 'NCT00181896' as trial_id, 'brief_title' as field, "
                "'CHANGED' as change, 'a' as old_value, 'A' as new_value, date '2005-09-15' as from_date, "
                "date '2005-12-08' as to_date")
    with pytest.raises(duckdb.BinderException, match="formatting_only"):  # building: a view lacking a column is wrong
        _describe(con, ("trial_changes",))
    _describe(con, ("trial_changes",), reading=True)
    comments = dict(con.execute("select column_name, comment from duckdb_columns() "
                                "where table_name = 'trial_changes'").fetchall())
    assert set(comments) == set(published_columns("trial_changes")) - {"formatting_only"}
    assert all(comments.values())
