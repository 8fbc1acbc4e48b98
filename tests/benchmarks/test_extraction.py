"""The extraction benchmark guards work on the threshold extractor: over the real archives' criteria it must report
every criterion whose rows differ from the rows it saved, and fail when any does."""
from __future__ import annotations

import pickle

from benchmarks import corpus, extraction


def test_it_reports_the_criteria_whose_rows_differ_from_the_saved_ones(tmp_path, capsys):
    saved = tmp_path / "rows.pickle"
    assert extraction.main(["--limit", "200", "--save", str(saved)]) == 0
    assert extraction.main(["--limit", "200", "--against", str(saved)]) == 0
    rows = pickle.loads(saved.read_bytes())
    assert len(rows) > len(extraction.criteria([corpus.SOURCE], 200))  # both archives read, not only 2014's
    assert sum(map(bool, rows)) > 50  # criteria with thresholds among them
    first = next(i for i, r in enumerate(rows) if r)
    rows[first] = ()
    saved.write_bytes(pickle.dumps(rows))
    assert extraction.main(["--limit", "200", "--against", str(saved)]) == 1
    out = capsys.readouterr().out
    assert f"criteria whose rows differ from {saved}: 1 of {len(rows):,}" in out
    kind, text = extraction.criteria(limit=200)[first]
    assert f"{kind}: {text[:100]!r}" in out
