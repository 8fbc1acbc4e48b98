"""Saved HTML of a study page → the same line-oriented text a browser's "save as text" gives.

Page readers are written against page text (the seeds are text); a page saved as HTML is first
turned into that shape, so one reader serves both: block elements end a line, table cells are
separated by " | " and rows end with " |", list items start with "- ".
"""
from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser

_BLOCKS = frozenset(
    "address article aside blockquote dd div dl dt fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 "
    "header hr li main nav ol p pre section table tbody thead tfoot tr ul br title".split()
)
_SKIP = frozenset(("script", "style", "noscript", "template", "svg", "head"))
_LOOKS_LIKE_HTML = re.compile(r"^\s*(?:<!doctype\s+html|<html|<head|<body|<\?xml[^>]*>\s*<!doctype\s+html)", re.I)


def looks_like_html(text: str) -> bool:
    return bool(_LOOKS_LIKE_HTML.match(text[:2048])) or ("<body" in text[:20000].lower())


def html_to_text(html: str) -> str:
    """Render HTML as page text: one line per block, " | " between table cells."""
    tree = LexborHTMLParser(html)
    root = tree.body or tree.root
    parts: list[str] = []

    def walk(node) -> None:
        for child in _children(node):
            tag = child.tag
            if tag == "-text":
                parts.append(child.text_content or "")
                continue
            if tag in _SKIP or tag == "-comment":
                continue
            if tag == "li":
                parts.append("\n- ")
            elif tag in ("td", "th"):
                walk(child)
                parts.append(" | ")
                continue
            elif tag in _BLOCKS:
                parts.append("\n")
            walk(child)
            if tag in _BLOCKS:
                parts.append("\n")

    if root is not None:
        walk(root)
    lines = (" ".join(line.split()) for line in "".join(parts).splitlines())
    return "\n".join(line for line in lines if line)


def _children(node):
    child = node.child
    while child is not None:
        yield child
        child = child.next
