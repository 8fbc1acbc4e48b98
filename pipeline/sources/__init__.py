"""One reader per source format or page layout, all returning the same TrialRecord.

Each reader module exposes:
  FORMAT: str                              the source_format name written to `documents`
  recognises(text: str) -> bool            cheap test on the decoded document
  parse(text: str) -> list[TrialRecord]    raises ParseError(reason) when it cannot
  READS_NAME: bool (optional)              parse also takes name=, the document's file or member name, for a
                                           format that states some facts only there (the Archive's XML)
`detect` asks them in order, most specific first; a document none recognises is quarantined,
never guessed at. Readers are imported on first use, so importing one reader never imports the rest.
"""
from __future__ import annotations

import importlib
from functools import cache
from types import ModuleType

# Records in a registry's structured form: at equal dates, their values come before a page's.
STRUCTURED_FORMATS = ("ctgov_xml", "ctgov_archive_xml", "ctgov_api_v2_json")
# ICTRP's copies of other registries' records: they state no update date of the record, only the day ICTRP last
# copied it from the registry ("Last Refreshed on", their download_date).
ICTRP_FORMATS = ("ictrp_xml", "ictrp_csv")
# What may stand before an XML reader's root element: a BOM, the XML declaration, comments (each ending at its own
# "-->": a comment's `.*?` run on into the next one made 22 empty comments take 1.9 s to recognise, doubling with each)
XML_PROLOG = r"\A\ufeff?\s*(?:<\?xml[^>]*>\s*)?(?:<!--(?:[^-]|-(?!->))*-->\s*"
# Most specific first: structured records, then the Archive view, then the page layouts; the other registries'
# readers last, so that a ClinicalTrials.gov record quoting another registry's words stays with its own reader.
READER_MODULES = ("ctgov_api_v2_json", "ctgov_archive_xml", "ctgov_xml", "ictrp_xml", "ictrp_csv", "who_xml",
                  "ctgov_archive", "ctgov_classic", "veeva_text", "euctr_text", "euctr_html", "chictr_html")


@cache
def readers() -> tuple[ModuleType, ...]:
    return tuple(importlib.import_module(f"pipeline.sources.{name}") for name in READER_MODULES)


@cache
def reader_for(source_format: str) -> ModuleType:
    """The reader of a source_format name (as written in `documents`)."""
    return next(reader for reader in readers() if reader.FORMAT == source_format)


def detect(text: str) -> ModuleType | None:
    """The reader whose layout this document has, or None when no reader recognises it."""
    for reader in readers():
        if reader.recognises(text):
            return reader
    return None


def parse(reader: ModuleType, text: str, name: str) -> list:
    """The reader's records of one document; `name` (its file or archive member name) only for READS_NAME readers."""
    return reader.parse(text, name=name) if getattr(reader, "READS_NAME", False) else reader.parse(text)
