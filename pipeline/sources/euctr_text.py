"""The EU Clinical Trials Register's text download → one TrialRecord per member-state record.

The file holds one record per member state (and trial), each opening with "Summary", then `code label: value`
lines; a value runs on over the lines that follow until the next coded line. Translated lines ("A.3 Full title
of the trial (es): …") repeat an English field in the member state's language and are left out. Every record
is a document of its trial (`EUCTR` + EudraCT number), its part named by the member state of its link.
"""
from __future__ import annotations

import re

from pipeline.record import ParseError, TrialRecord
from pipeline.sources import euctr

FORMAT = "euctr_text"
_SUMMARY_LINE = re.compile(r"^(?P<label>[A-Z][^:]{2,80}):[ \t]*(?P<value>.*)$")
_MEMBER_STATE = re.compile(r"/ctr-search/trial/\d{4}-\d{6}-\d{2}/(?P<state>[A-Za-z0-9]+)")


def recognises(text: str) -> bool:
    head = text[:3000]
    return "EudraCT Number:" in head and "Summary" in head and "A.2 EudraCT number:" in text[:20000]


def _records(text: str) -> list[list[str]]:
    """The file's lines cut at each "Summary" line (the text before the first is the download's preamble)."""
    records: list[list[str]] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line.strip() == "Summary":
            records.append([])
        elif records:
            records[-1].append(line)
    return records


def _fields(lines: list[str]) -> list[euctr.Field]:
    """Summary `label: value` lines, then coded lines; other lines continue the open value (translations dropped)."""
    found: list[tuple[euctr.Field, list[str]]] = []
    open_lines: list[str] | None = None  # the open value's lines; None after a heading or a translation
    in_summary = True
    for line in lines:
        parsed = euctr.parse_line(line)
        if parsed is None and in_summary and (m := _SUMMARY_LINE.match(line.strip())):
            parsed = euctr.Field("", m["label"], m["value"]), None
        if parsed is None:
            if open_lines is not None:
                open_lines.append(line)
            continue
        field, language = parsed
        in_summary = in_summary and field.code == ""
        open_lines = None if field.value is None or language else [field.value]
        if not language:
            found.append((field, open_lines or []))
    return [euctr.Field(f.code, f.label, "\n".join(value) if value else f.value) for f, value in found]


def parse(text: str) -> list[TrialRecord]:
    records = []
    parts: dict[str, int] = {}
    for lines in _records(text):
        fields = _fields(lines)
        record = euctr.record(fields, FORMAT)
        link = next((f.value for f in fields if f.code == "" and f.label == "Link" and f.value), "")
        state = _MEMBER_STATE.search(link)
        part = f"{record.trial_id}-{state['state'].upper() if state else 'record'}"
        parts[part] = parts.get(part, 0) + 1
        # the same member state twice (the corpus file holds such repeats, with differing content): number the repeat
        record.document_part = part if parts[part] == 1 else f"{part}-{parts[part]}"
        records.append(record)
    if not records:
        raise ParseError(f"{FORMAT}: no record (no 'Summary' line)")
    return records
