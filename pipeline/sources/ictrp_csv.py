"""WHO ICTRP CSV exports (a header row naming the WHO fields, "TrialID,Last Refreshed on,…"; one trial per row).

The header decides which column is which, so exports with fields added, dropped or reordered read alike;
the values are mapped by the WHO data set fields of `who_dataset`.
"""
from __future__ import annotations

import csv
import io
import re

from pipeline.record import ParseError, TrialRecord
from pipeline.sources import who_dataset

FORMAT = "ictrp_csv"

_HEADER = re.compile(r'\A\ufeff?"?TrialID"?,.*\bPublic.title\b', re.IGNORECASE)


def recognises(text: str) -> bool:
    return bool(_HEADER.match(text[:4096]))


def parse(text: str) -> list[TrialRecord]:
    rows = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        header = next(rows)
        records = [who_dataset.record(who_dataset.fields(zip(header, row)), FORMAT) for row in rows if any(row)]
    except csv.Error as exc:
        raise ParseError(f"{FORMAT}: malformed CSV at line {rows.line_num}: {exc}") from None
    except StopIteration:
        raise ParseError(f"{FORMAT}: no header row") from None
    return records
