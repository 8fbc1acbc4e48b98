"""Threshold extraction timed over the distinct eligibility criteria of the real archives, its rows kept to compare:
the guard for work on the extractor, where a faster version must give the same rows.

    .venv/bin/python -m benchmarks.extraction --save ROWS       # time it and keep the rows
    .venv/bin/python -m benchmarks.extraction --against ROWS    # time it again and count the criteria that differ

Criteria are read with the legacy XML reader, split as the pipeline splits them, each distinct (type, text) once in
the archives' order. Extraction runs without its cache (`thresholds._criterion_rows.__wrapped__`) and after pint's
registry is built, so the time is extraction's alone. ROWS is a pickle of this program's own making.
"""
from __future__ import annotations

import argparse
import pickle
import time
from pathlib import Path

from benchmarks.corpus import source_records
from benchmarks.run import HISTORY_ARCHIVES
from pipeline import thresholds
from pipeline.record import ParseError
from pipeline.sources import ctgov_xml


def criteria(archives=HISTORY_ARCHIVES, limit: int | None = None) -> list[tuple[str | None, str]]:
    """Every distinct (criterion_type, text) of the archives' records (the first `limit` records of each)."""
    found: dict[tuple[str | None, str], None] = {}
    for archive in archives:
        for xml in source_records(archive, limit):
            try:
                records = ctgov_xml.parse(xml)
            except ParseError:  # as the pipeline would quarantine it
                continue
            found.update(((c.criterion_type, c.text), None) for r in records for c in r.eligibility_criteria)
    return list(found)


def extract(texts: list[tuple[str | None, str]]) -> tuple[float, list[tuple]]:
    """(seconds, rows of each criterion)."""
    thresholds.unit_registry()
    started = time.perf_counter()
    rows = [thresholds._criterion_rows.__wrapped__(kind, text) for kind, text in texts]
    return time.perf_counter() - started, rows


def differences(texts: list[tuple], rows: list[tuple], saved: list[tuple]) -> list[tuple]:
    """(criterion, saved rows, rows now) of every criterion whose rows differ from the saved ones."""
    if len(saved) != len(rows):
        raise SystemExit(f"the saved rows are of {len(saved):,} criteria, these are {len(rows):,}: other archives?")
    return [(text, old, new) for text, old, new in zip(texts, saved, rows) if old != new]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, help="read only the first LIMIT records of each archive")
    parser.add_argument("--save", type=Path, help="write the rows here")
    parser.add_argument("--against", type=Path, help="compare the rows with those saved here")
    args = parser.parse_args(argv)
    texts = criteria(limit=args.limit)
    seconds, rows = extract(texts)
    print(f"{len(texts):,} distinct criteria in {seconds:.2f} s ({seconds / len(texts) * 1e6:.1f} µs each), "
          f"{sum(map(len, rows)):,} rows")
    if args.save:
        args.save.write_bytes(pickle.dumps(rows))
    if args.against:
        differ = differences(texts, rows, pickle.loads(args.against.read_bytes()))
        print(f"criteria whose rows differ from {args.against}: {len(differ):,} of {len(rows):,}")
        for (kind, text), old, new in differ[:5]:
            print(f"  {kind}: {text[:100]!r}\n    saved {old}\n    now   {new}")
        return 1 if differ else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
