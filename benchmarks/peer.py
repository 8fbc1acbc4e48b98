"""The peer figure: ctgforge 0.2.5 flattening the same API v2 JSON records into one pandas DataFrame.

Reads every .json file under RAW (as the pipeline does), `flatten_core` each study into ctgforge's
pydantic TrialCore and `to_dataframe` the lot, on one core. Studies ctgforge's models reject (it
requires, e.g., a brief summary and a lead sponsor class) are counted, not fatal. Writes JSON to RESULT.

    .venv/bin/python -m benchmarks.peer RAW RESULT
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import orjson


def main() -> None:
    raw, result_path = Path(sys.argv[1]), Path(sys.argv[2])
    import pydantic
    from ctgforge.export.dataframe import to_dataframe
    from ctgforge.flatten.core import flatten_core

    started = time.perf_counter()
    trials, rejected = [], 0
    for path in sorted(raw.rglob("*.json")):
        try:
            trials.append(flatten_core(orjson.loads(path.read_bytes())))
        except (pydantic.ValidationError, AttributeError, TypeError):
            rejected += 1
    frame = to_dataframe(trials)
    wall = time.perf_counter() - started
    result = {"wall_s": wall, "records": len(trials) + rejected, "rows": len(frame), "rejected": rejected,
              "fields": len(frame.columns), "columns": list(frame.columns),
              "non_null_values": int(frame.notna().sum().sum())}
    result_path.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2))


if __name__ == "__main__":
    main()
