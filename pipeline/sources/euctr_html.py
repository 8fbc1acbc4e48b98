"""An EU Clinical Trials Register protocol page (saved HTML) → TrialRecord.

The page is the text download's record as tables: Summary rows of label and value, then three-cell rows
(code, label, value) under headings. Each row becomes a euctr.Field, read by the same code table as the
text download, so the two forms of one record give one record.
"""
from __future__ import annotations

import re

from pipeline.record import ParseError, TrialRecord
from pipeline.sources import euctr
from pipeline.sources.html import looks_like_html, parsed

FORMAT = "euctr_html"
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


def recognises(text: str) -> bool:
    head = text[:60000]
    return looks_like_html(head) and "EU Clinical Trials Register" in head and 'class="first">A.' in text


def _text(node) -> str:
    return node.text(deep=True) or ""


def _field(cells: list) -> euctr.Field | None:
    classes = [cell.attributes.get("class") or "" for cell in cells]
    if classes[:3] == ["first", "second", "third"]:
        return euctr.Field(" ".join(_text(cells[0]).split()), " ".join(_text(cells[1]).split()), _text(cells[2]))
    if classes[:2] == ["cellGrey", "cellLighterGrey"]:  # a Summary row
        return euctr.Field("", " ".join(_text(cells[0]).split()).rstrip(":"), _text(cells[1]))
    parsed = euctr.parse_line(" ".join(" ".join(_text(cell).split()) for cell in cells))  # a heading row
    return parsed[0] if parsed else None


def parse(text: str) -> list[TrialRecord]:
    if not looks_like_html(text):
        raise ParseError(f"{FORMAT}: not an HTML page")
    tree = parsed(_BREAK.sub("\n", text.replace("\r", "")))
    fields = []
    for row in tree.css("tr"):
        cells = [child for child in row.iter() if child.tag == "td"]
        field = _field(cells) if cells else None
        if field is not None:
            fields.append(field)
    return [euctr.record(fields, FORMAT)]

