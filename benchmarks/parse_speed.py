"""How many legacy XML records per second the ctgov_xml reader turns into TrialRecords, on one core.

The pipeline must parse ~600,000 legacy records in minutes on 2 cores, so the reader needs
≥ 2,000 records/s per core. Reads the 8,125-record 2014 archive into memory first (decoding is
not the reader's job), then times lxml parsing alone and the full parse → TrialRecord
(best of three passes).

    .venv/bin/python -m benchmarks.parse_speed [path/to/ctgov_legacy_xml_2014.tar.xz]   (from the repo root)
"""
from __future__ import annotations

import sys
import tarfile
import time
from pathlib import Path

from lxml import etree

from pipeline.sources import ctgov_xml

ARCHIVE = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "ctgov_legacy_xml_2014.tar.xz"


def load(archive: Path) -> list[str]:
    with tarfile.open(archive, "r|xz") as tar:
        return [tar.extractfile(m).read().decode("utf-8") for m in tar if m.isfile()]


def rate(label: str, documents: list[str], parse, runs: int = 3) -> None:
    """Best of `runs` passes (shared machines are noisy; the best pass is the reader's own cost)."""
    elapsed = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        for text in documents:
            parse(text)
        elapsed = min(elapsed, time.perf_counter() - start)
    print(f"{label:<28} {len(documents):>6} records in {elapsed:6.2f} s = {len(documents) / elapsed:7.0f} records/s")


def main() -> None:
    documents = load(Path(sys.argv[1]) if len(sys.argv) > 1 else ARCHIVE)
    rate("lxml parse only", documents, lambda text: etree.fromstring(text.encode("utf-8"), ctgov_xml._PARSER))
    rate("ctgov_xml.parse (full)", documents, ctgov_xml.parse)


if __name__ == "__main__":
    main()
