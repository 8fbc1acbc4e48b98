"""The growth benchmark must name a reader whose pattern backtracks over a long run, and a reader that fails on one;
the real readers' figures are the benchmark's to print, not a test's to time."""
from __future__ import annotations

import re

from benchmarks import growth
from pipeline.sources import ctgov_classic


def test_every_field_of_every_reader_gets_every_run_and_criteria_get_the_extractors_runs_too():
    assert {reader for reader, _ in growth.FIELDS} == {
        "veeva_text", "ctgov_classic", "ctgov_archive", "euctr_text", "euctr_html", "chictr_html", "ctgov_xml",
        "ctgov_api_v2_json", "ictrp_xml", "ictrp_csv", "who_xml"}
    for (reader, field), document in growth.FIELDS.items():  # each field's anchor is in its document
        assert "a" + " " * 50 + "b" in document("a" + " " * 50 + "b"), (reader, field)
    assert set(growth.CRITERIA_RUNS) > set(growth.RUNS)


def test_a_pattern_backtracking_over_a_run_of_spaces_is_missed(monkeypatch, capsys):
    """The classic reader's label pattern before it was fixed (cubic in a run of spaces: ×64 for four times the
    spaces, against a limit of ×8) is reported, and the benchmark exits 1."""
    monkeypatch.setattr(ctgov_classic, "_RUN", re.compile(r"(?!)"))  # no folding of white space
    monkeypatch.setattr(ctgov_classic, "_LABELLED",
                        re.compile(r"^(?P<label>[A-Z][A-Za-z /()\-']+?)\s*:\s*\|?\s*(?P<value>.*?)\s*\|?\s*$"))
    assert growth.main(["--only", "ctgov_classic", "--sizes", "200,800", "--show", "3"]) == 1
    out = capsys.readouterr().out
    assert re.search(r"ctgov_classic (study type|enrollment|start date|ages): spaces .* MISSED", out), out
    assert "no reader failure: MISSED by " in out.splitlines()[-1]


def test_a_reader_failing_on_a_run_is_missed_with_its_error(monkeypatch, capsys):
    def fails(text):
        raise KeyError("boom")

    monkeypatch.setattr(ctgov_classic, "parse", fails)
    assert growth.main(["--only", "ctgov_classic", "--sizes", "10,20", "--show", "1"]) == 1
    out = capsys.readouterr().out
    assert "MISSED  KeyError: 'boom'" in out
    assert f"MISSED by {len(growth.RUNS) * 6 + len(growth.CRITERIA_RUNS)}" in out
