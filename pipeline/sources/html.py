"""Saved HTML of a study page → the same line-oriented text a browser's "save as text" gives.

Page readers are written against page text (the seeds are text); a page saved as HTML is first
turned into that shape, so one reader serves both: block elements end a line, table cells are
separated by " | " and rows end with " |", list items start with "- ".
"""
from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser

from pipeline.record import ParseError

_BLOCKS = frozenset(
    "address article aside blockquote dd div dl dt fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 "
    "header hr li main nav ol p pre section table tbody thead tfoot tr ul br title".split()
)
_SKIP = frozenset(("script", "style", "noscript", "template", "svg", "head"))
# Real pages nest a few dozen elements deep; the HTML parser's time grows with the square of the depth
# (20,000 levels: 5 s, 40,000: 49 s), so a page nested deeper than this is refused, not parsed.
MAX_DEPTH = 2000
# (a tag's rest stops at the next "<": run to the next ">", an unclosed tag at each "<" of a run took its square)
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)[^<>]*?(/?)>")
# Elements that never nest (void) or whose end tag pages often leave out: not counted as depth.
_UNCOUNTED = frozenset(
    "area base br col embed hr img input link meta source track wbr "
    "p li td th tr dt dd option optgroup thead tbody tfoot colgroup rb rt rp html head body".split()
)
_LOOKS_LIKE_HTML = re.compile(r"^\s*(?:<!doctype\s+html|<html|<head|<body|<\?xml[^>]*>\s*<!doctype\s+html)", re.I)
_BODY = re.compile("<body", re.I)


def looks_like_html(text: str) -> bool:
    """An HTML start within 2,048 characters, or a body tag within 20,000 (searched in place: a lower-cased copy of
    them cost 15 µs, called by several readers' recognisers for every page)."""
    return _LOOKS_LIKE_HTML.match(text, 0, 2048) is not None or _BODY.search(text, 0, 20_000) is not None


def html_to_text(html: str) -> str:
    """Render HTML as page text: one line per block, " | " between table cells. The tree is walked with
    an explicit stack (no recursion limit); a page nested more than MAX_DEPTH deep raises ParseError."""
    return tree_text(parsed(html))


def tree_text(tree: LexborHTMLParser) -> str:
    """html_to_text of a page already parsed (a reader that also reads its tables as tables)."""
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


def parsed(html: str) -> LexborHTMLParser:
    """The page's tree, which every reader of HTML walks: ParseError for a page nested more than MAX_DEPTH deep."""
    _check_depth(html)
    return LexborHTMLParser(html)


def _children_reversed(node) -> list:
    children = []
    child = node.child
    while child is not None:
        children.append(child)
        child = child.next
    return children[::-1]


def _check_depth(html: str) -> None:
    depth = 0
    for tag in _TAG.finditer(html):
        if tag[2].lower() in _UNCOUNTED:
            continue
        if tag[1]:
            depth = max(depth - 1, 0)
        elif not tag[3]:
            depth += 1
            if depth > MAX_DEPTH:
                raise ParseError(f"HTML nested more than {MAX_DEPTH} elements deep: not parsed")
