"""Hypothesis strategies that damage real pages the way saving, copying and transfer damage them.

A mutilated page is a real page with a sequence of edits applied: cut at a random point, a range of
lines deleted or duplicated, a run of random bytes spliced in and the whole decoded (UTF-8 with
replacement, or Latin-1), a random character replaced. Readers given such text must return records
or raise ParseError; `parses_or_raises_parse_error` is that check, and `never_raise_tests` the two
property tests every page reader gets.
"""
from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.parsing import explode
from pipeline.record import ParseError, TrialRecord

_NCT = re.compile(r"NCT\d{8}")


def _truncate(text: str, draw) -> str:
    return text[: draw(st.integers(0, len(text)))]


def _delete_lines(text: str, draw) -> str:
    lines = text.splitlines(keepends=True)
    start = draw(st.integers(0, len(lines)))
    stop = draw(st.integers(start, min(len(lines), start + 40)))
    return "".join(lines[:start] + lines[stop:])


def _duplicate_lines(text: str, draw) -> str:
    lines = text.splitlines(keepends=True)
    start = draw(st.integers(0, len(lines)))
    stop = draw(st.integers(start, min(len(lines), start + 40)))
    at = draw(st.integers(0, len(lines)))
    return "".join(lines[:at] + lines[start:stop] + lines[at:])


def _byte_noise(text: str, draw) -> str:
    raw = text.encode("utf-8")
    at = draw(st.integers(0, len(raw)))
    noise = draw(st.binary(min_size=1, max_size=64))
    codec = draw(st.sampled_from(["utf-8", "latin-1"]))
    return (raw[:at] + noise + raw[at:]).decode(codec, errors="replace")


def _replace_char(text: str, draw) -> str:
    if not text:
        return text
    at = draw(st.integers(0, len(text) - 1))
    # no lone surrogates: text decoded from bytes, as staging gives readers, cannot hold one
    return text[:at] + draw(st.characters(exclude_categories=("Cs",))) + text[at + 1:]


EDITS = (_truncate, _delete_lines, _duplicate_lines, _byte_noise, _replace_char)


@st.composite
def mutilated(draw, pages: dict[str, str], max_edits: int = 4):
    """(page name, the page after 1..max_edits random edits)."""
    name = draw(st.sampled_from(sorted(pages)))
    text = pages[name]

    for edit in draw(st.lists(st.sampled_from(EDITS), min_size=1, max_size=max_edits)):
        text = edit(text, draw)
    return name, text


def parses_or_raises_parse_error(reader, text: str, trial_id: re.Pattern = _NCT) -> list[TrialRecord] | None:
    """The reader's records (each a TrialRecord whose id has the registry's form, an NCT id by default), or None
    when it raised ParseError with a reason naming the reader. Any other exception propagates and fails the test."""
    try:
        records = reader.parse(text)
    except ParseError as exc:
        assert str(exc).startswith(f"{reader.FORMAT}: "), str(exc)
        return None
    assert isinstance(records, list) and records
    for record in records:
        assert isinstance(record, TrialRecord)
        assert trial_id.fullmatch(record.trial_id), record.trial_id
    return records


def never_raise_tests(reader, generated: st.SearchStrategy[str], pages: dict[str, str], examples: int = 300,
                      trial_id: re.Pattern = _NCT):
    """A page reader's property tests: text from `generated` (arbitrary text, or lines the reader acts on so
    the examples reach its section handlers) and its real `pages` mutilated each give records or ParseError,
    and exploding the records into rows raises nothing either (parse_document would quarantine the document)."""

    def check(text: str) -> None:
        assert reader.recognises(text) in (True, False)
        for record in parses_or_raises_parse_error(reader, text, trial_id) or []:
            explode(record)

    @settings(max_examples=examples, deadline=None)
    @given(generated)
    def test_arbitrary_text_parses_or_raises_parse_error(text):
        check(text)

    @settings(max_examples=examples, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(mutilated(pages))
    def test_mutilated_pages_parse_or_raise_parse_error(page):
        check(page[1])

    return test_arbitrary_text_parses_or_raises_parse_error, test_mutilated_pages_parse_or_raise_parse_error
