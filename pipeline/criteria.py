"""Eligibility text → one criterion per row, the same way for every source.

Registry text blocks (legacy XML, API v2 markdown, page text) all write criteria as a list under
"Inclusion Criteria:" / "Exclusion Criteria:" headings, with bullets ("-", "*", "•") or numbering
("1.", "2)", "(a)"). Splitting them here once keeps the counts identical whichever form a trial
arrived in. Text with no heading keeps a null criterion_type rather than a guessed one.
"""
from __future__ import annotations

import re

from pipeline.record import Criterion
from pipeline.vocabulary import clean

_HEADING = re.compile(
    r"^\s*(?:[-*•]\s*)?(?:key\s+|main\s+|general\s+|major\s+)?(?P<kind>inclusion|exclusion)"
    r"(?:\s+and\s+(?:inclusion|exclusion))?\s+criteria\b[^:\n]{0,40}?:?\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
LIST_MARKER = re.compile(
    r"^\s*(?:[-*•·▪◦●○–—]|o(?=\s)|\(?\d{1,3}[.)](?!\d)|\(\d{1,3}\)|\(?[a-z][.)](?=\s)|\(?(?:i{1,3}|iv|v|vi{1,3}|ix|x)[.)](?=\s))\s*",
    re.IGNORECASE,
)


def _wrapped(line: str, hanging: int) -> bool:
    """Whether a line that opens with a letter "marker" ("II. Para-aortic", "a. the") is the wrapped rest of
    the open item: legacy text blocks indent such lines exactly under the item's text, where a new item
    would sit further left (or, nested, further right)."""
    return len(line) - len(line.lstrip()) == hanging and line.lstrip()[:1].isalpha()


def split_criteria(text: str | None) -> list[Criterion]:
    """Split an eligibility text block into criteria, numbered 1.. within INCLUSION and EXCLUSION."""
    if not text:
        return []
    items: list[tuple[str | None, list[str]]] = []
    kind: str | None = None
    open_item = False
    hanging = -1  # the column the open item's text starts at: a wrapped line of it is indented exactly so
    for line in text.splitlines():
        if not line.strip():
            open_item = False
            continue
        heading = _HEADING.match(line)
        if heading:
            kind = heading["kind"].upper()
            open_item, hanging = False, -1
            if heading["rest"].strip(" .:;-"):  # "Inclusion criteria." is a heading, its period no criterion
                items.append((kind, [heading["rest"]]))
                open_item = True
            continue
        marker = LIST_MARKER.match(line)
        if marker and open_item and _wrapped(line, hanging):
            marker = None
        if marker and line[marker.end():].strip():
            items.append((kind, [line[marker.end():]]))
            open_item = True
            hanging = marker.end()
        elif open_item and items:
            items[-1][1].append(line)
        else:
            items.append((kind, [line]))
            open_item, hanging = True, -1
    criteria: list[Criterion] = []
    counts: dict[str | None, int] = {}
    for kind, lines in items:
        text_ = clean(" ".join(lines))
        if not text_:
            continue
        counts[kind] = counts.get(kind, 0) + 1
        criteria.append(Criterion(kind, counts[kind], text_))
    return criteria
