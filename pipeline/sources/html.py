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
    """Render HTML as page text: one line per block, " | " between table cells. The tree is walked with
    an explicit stack, so a page nested thousands of elements deep renders like any other."""
    tree = LexborHTMLParser(html)
    root = tree.body or tree.root
    parts: list[str] = []
    stack: list = [] if root is None else _children_reversed(root)
    while stack:
        node = stack.pop()
        if isinstance(node, str):  # the text that closes an element
            parts.append(node)
            continue
        tag = node.tag
        if tag == "-text":
            parts.append(node.text_content or "")
        elif tag not in _SKIP and tag != "-comment":
            parts.append("\n- " if tag == "li" else "\n" if tag in _BLOCKS else "")
            stack.append(" | " if tag in ("td", "th") else "\n" if tag in _BLOCKS else "")
            stack.extend(_children_reversed(node))
    lines = (" ".join(line.split()) for line in "".join(parts).splitlines())
    return "\n".join(line for line in lines if line)


def _children_reversed(node) -> list:
    children = []
    child = node.child
    while child is not None:
        children.append(child)
        child = child.next
    return children[::-1]
