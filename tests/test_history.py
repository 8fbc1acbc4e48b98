"""Versions and changes (pipeline.history) over every version the ClinicalTrials.gov Archive held of 11 trials.

Checked by hand against the Archive's pages and XML of each version:
- NCT00181896 (7 versions): Recruiting until 2006-10-02, Terminated from 2007-04-23; "Children’s" became
  "Children's" in a primary outcome on 2010-06-21; on 2011-07-14 every primary outcome gained the time frame
  "baseline to 8 weeks" and the enrollment went from the expected 20 to 1.
- NCT00504075 (30 versions): Not yet recruiting → Recruiting (2007-08-28) → Active, not recruiting
  (2011-05-17) → Completed (2011-09-06) with enrollment 31 (anticipated) → 35 (actual); the primary
  outcome was replaced on 2012-06-05 and again on 2012-10-04.
- NCT00645515 (3 versions): only the status verification date, a link and the release dates differ
  (`diff` of the three XMLs), none of which the tables hold: no change.
"""
from __future__ import annotations

import re
from collections import defaultdict
from datetime import date

import polars as pl
import pytest

from pipeline import history
from schemas import schema
from tests import history_harness
from tests.conftest import CORPUS

HISTORY = CORPUS / "ctgov_archive_history"


@pytest.fixture(scope="module")
def con():
    return history_harness.connect(history_harness.documents_of(HISTORY))


@pytest.fixture(scope="module")
def changes(con):
    return history_harness.frame(con, history.trial_changes())


@pytest.fixture(scope="module")
def trial_history(con):
    return {row["trial_id"]: row for row in history_harness.frame(con, history.trial_history()).iter_rows(named=True)}


def _changes_of(changes: pl.DataFrame, trial_id: str, *fields: str) -> list[tuple]:
    rows = changes.filter((pl.col("trial_id") == trial_id) & pl.col("field").is_in(fields))
    return [(r["to_date"], r["field"], r["change"], r["old_value"], r["new_value"]) for r in rows.iter_rows(named=True)]


def test_versions_are_the_distinct_dates_of_each_trials_documents(con, trial_history):
    """Counted independently: the date in each page's "View of NCT… on YYYY_MM_DD" heading and in each XML's name."""
    dates = defaultdict(set)
    for path in HISTORY.glob("*/*"):
        if path.suffix == ".html":
            text = path.read_text(encoding="utf-8")
            trial_id, y, m, d = re.search(r"View of (NCT\d{8}) on\s+(\d{4})_(\d{2})_(\d{2})", text).groups()
        else:
            trial_id, day = path.stem.split("_")
            y, m, d = day[:4], day[4:6], day[6:]
        dates[trial_id].add(date(int(y), int(m), int(d)))
    assert {t: h["versions"] for t, h in trial_history.items()} == {t: len(d) for t, d in dates.items()}
    assert {t: h["version_date"] for t, h in trial_history.items()} == {t: max(d) for t, d in dates.items()}
    versions = history_harness.frame(con, history.TRIAL_VERSIONS)
    assert versions.height == len(list(HISTORY.glob("*/*")))  # one row per document: page and XML of a date
    assert versions.group_by("trial_id").agg(pl.col("version_date").n_unique()).sort("trial_id").rows() == sorted(
        (t, len(d)) for t, d in dates.items())
    schema("trial_versions").validate(versions)


def test_nct00181896_by_hand(changes, trial_history):
    assert _changes_of(changes, "NCT00181896", "overall_status", "enrollment", "enrollment_type", "primary_outcome") == [
        (date(2007, 4, 23), "overall_status", "CHANGED", "RECRUITING", "TERMINATED"),
        (date(2010, 6, 21), "primary_outcome", "CHANGED", "Children\u2019s Depression Rating Scale",
         "Children's Depression Rating Scale"),
        (date(2011, 7, 14), "enrollment", "CHANGED", "20", "1"),
        (date(2011, 7, 14), "enrollment_type", "CHANGED", "ESTIMATED", "ACTUAL"),
        (date(2011, 7, 14), "primary_outcome", "CHANGED", "Children's Depression Rating Scale",
         "Children's Depression Rating Scale [time frame: baseline to 8 weeks]"),
        (date(2011, 7, 14), "primary_outcome", "CHANGED", "Hamilton Depression Rating scale (HAM-D)",
         "Hamilton Depression Rating scale (HAM-D) [time frame: baseline to 8 weeks]"),
        (date(2011, 7, 14), "primary_outcome", "CHANGED", "reduction in depression symptoms assessed by",
         "reduction in depression symptoms assessed by [time frame: baseline to 8 weeks]"),
    ]
    row = changes.filter((pl.col("trial_id") == "NCT00181896") & (pl.col("field") == "overall_status")).row(0, named=True)
    assert row["from_date"] == date(2006, 10, 2)  # the last version still Recruiting
    h = trial_history["NCT00181896"]
    # the same three measures first and last (reworded and timed, not switched)
    assert (h["versions"], h["enrollment_planned"], h["primary_outcomes_changed"]) == (7, 20, False)


def test_nct00504075_by_hand(changes, trial_history):
    assert _changes_of(changes, "NCT00504075", "overall_status", "enrollment") == [
        (date(2007, 8, 28), "overall_status", "CHANGED", "NOT_YET_RECRUITING", "RECRUITING"),
        (date(2011, 5, 17), "overall_status", "CHANGED", "RECRUITING", "ACTIVE_NOT_RECRUITING"),
        (date(2011, 9, 6), "enrollment", "CHANGED", "31", "35"),
        (date(2011, 9, 6), "overall_status", "CHANGED", "ACTIVE_NOT_RECRUITING", "COMPLETED"),
    ]
    switches = [(d, c, (old or new)[:40]) for d, _, c, old, new in _changes_of(changes, "NCT00504075", "primary_outcome")
                if c != "CHANGED"]
    assert switches == [
        (date(2012, 6, 5), "ADDED", "To Determine if BPL's GAMMAPLEX Raises t"),
        (date(2012, 6, 5), "REMOVED", "The primary objective is to determine if"),
        (date(2012, 10, 4), "ADDED", "The Number of Subjects With Chronic ITP "),
        (date(2012, 10, 4), "REMOVED", "To Determine if BPL's GAMMAPLEX Raises t"),
    ]
    h = trial_history["NCT00504075"]
    assert (h["versions"], h["enrollment_planned"], h["primary_outcomes_changed"]) == (30, 31, True)


def test_nct00645515_by_hand(changes, trial_history):
    assert changes.filter(pl.col("trial_id") == "NCT00645515").height == 0
    assert trial_history["NCT00645515"]["versions"] == 3
    assert trial_history["NCT00645515"]["primary_outcomes_changed"] is False


def test_one_version_changes_nothing(changes, trial_history):
    for trial_id in ("NCT00826579", "NCT01809002", "NCT02147249"):  # one page each
        assert changes.filter(pl.col("trial_id") == trial_id).height == 0
        assert (trial_history[trial_id]["versions"], trial_history[trial_id]["primary_outcomes_changed"]) == (1, None)


def test_changes_are_between_consecutive_versions(con, changes):
    schema("trial_changes").validate(changes)
    versions = history_harness.frame(con, history.TRIAL_VERSIONS).select("trial_id", "version_date").unique()
    dated = set(versions.rows())
    assert all((t, f) in dated and (t, d) in dated for t, f, d in changes.select("trial_id", "from_date", "to_date").rows())
    assert (changes["from_date"] < changes["to_date"]).all()
    # no version lies strictly between the two dates of a field change (fields stated in every version here)
    status = changes.filter(pl.col("field") == "overall_status")
    for trial_id, from_date, to_date in status.select("trial_id", "from_date", "to_date").rows():
        assert not any(t == trial_id and from_date < d < to_date for t, d in dated)


def test_conflicts_pair_each_value_with_its_documents(con):
    """On 2005-06-30 the Archive page says updated 2005-06-30, its XML's last release date is 2005-06-23."""
    conflicts = history_harness.frame(con, history.trial_field_conflicts())
    schema("trial_field_conflicts").validate(conflicts)
    row = conflicts.filter((pl.col("trial_id") == "NCT00077454") & (pl.col("version_date") == date(2005, 6, 30))
                           & (pl.col("field") == "last_update_posted_date")).row(0, named=True)
    folder = "ctgov_archive_history/NCT00077454"
    assert row["values"] == [
        {"value": "2005-06-23", "doc_ids": [f"{folder}/NCT00077454_20050630.xml"]},
        {"value": "2005-06-30", "doc_ids": [f"{folder}/NCT00077454_20050630.html"]},
    ]
