"""Eligibility text → one criterion per row, the same way for every source.

Registry text blocks (legacy XML, API v2 markdown, page text) all write criteria as a list under
"Inclusion Criteria:" / "Exclusion Criteria:" headings, with bullets ("-", "*", "•") or numbering
("1.", "2)", "(a)"). Splitting them here once keeps the counts identical whichever form a trial
arrived in. Text with no heading keeps a null criterion_type rather than a guessed one.

Older records group criteria under other headings ("DISEASE CHARACTERISTICS:", then "Age:"; "For adolescent
participants:"). A heading is not a criterion: it becomes the `section` of the criteria under it, as written,
outermost first ("PATIENT CHARACTERISTICS: Age:"). A heading in capitals opens a new section; another heading
nests in the heading right above it ("Concurrent Medication:" then "Excluded:"), or, after criteria, starts again
under the heading in capitals. An inclusion or exclusion heading closes every section, as does "Eligibility
criteria:", which heads the whole text. A registry that amends its criteria may keep the old ones under "Previous
inclusion criteria:" (ISRCTN, after "Current inclusion criteria as of 26/03/2020:"): they are no longer the trial's,
and are left out up to the next inclusion or exclusion heading.

A criterion ending in a colon with items indented deeper under it ("Clinically progressive disease documented by any of
the following:", then "New area of malignant disease" …) leads those items: it stays a criterion (it may state a
threshold of its own: "Ages 10 to 75 with a history of one of the following:") and its words end their section, so
an alternative can be told from a requirement. An item at its indentation or left of it, or any heading, ends its
reach; a list written flat (every item at one column) gives no sign of that reach and is left flat. A criterion's
`headings` are its section without the lead-ins: thresholds read a variable's name there ("Age:").
"""
from __future__ import annotations

import re

from pipeline.record import Criterion
from pipeline.vocabulary import NOTHING, _key, clean

# Each pattern a line is tried against opens with ^\s*+, possessive: nothing after the indentation begins with white
# space, and a legacy text's ten-space indentation given back a character at a time, wherever a pattern failed, took
# half of splitting.
_HEADING = re.compile(
    r"^\s*+(?:[-*•]\s*)?(?:(?P<previous>previous\s+)|current\s+|key\s+|main\s+|general\s+|major\s+"
    # or what the criteria are of, in capitalised words after a number, if any: "Subject Exclusion Criteria",
    # "Angiographic Inclusion Criteria", "REGISTRATION EXCLUSION CRITERIA:", "2.2 Exclusion Criteria" (not "Meets
    # inclusion criteria", "Age 18-30 Exclusion Criteria")
    r"|(?P<qualifier>(?:\d+(?:\.\d+)*\.?\s+)?(?:(?!(?:meets?|meeting|fulfil\w*|satisf\w*|see|any|all|no|not|other|per"
    r"|fail\w*|does|has|have|and|or|same|as|violat\w*|listed|according|\w*clusion)\b)"
    r"(?:(?-i:[A-Z])[\w'’&./-]*|&)(?:\s+|/)){0,4}))?"  # ("Patient Characteristics/Inclusion Criteria:")
    # ("Criteria for Exclusion:"; and misspelt, "EXLCUSION CRITERIA PATIENT:", "Exclusion Critera:")
    r"(?P<criteria_for>criteria\s+for\s+)?(?P<kind>inclusion|exclusion|exlcusion|exclsuion)"
    r"(?(criteria_for)|(?:\s+and\s+(?:inclusion|exclusion))?\s+(?:criteri(?:a|on)|critera|cirteria|requi?r\w*ments?)\b)"
    # and, before the colon, whom or what they are for, if it says: "EXCLUSION CRITERIA FOR HEALTHY VOLUNTEERS:",
    # "INCLUSION CRITERIA - Donor:", "INCLUSION REQUIREMENTS-PROBANDS:"
    r"(?:(?P<whom>\s*(?:for\s|[-–(])[^:\n]{0,40})?[^:\n]{0,40}:)?\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
# a heading the registry's text ran into the end of the item before it, ending its paragraph: "-  Age 18-30
# Exclusion Criteria", "… oral medication Exclusion criteria", "Eligibility criteria for the secondary randomisation
# to once vs twice daily lamivudine+abacavir Inclusion criteria" (not "… listed under Inclusion Criteria.", "… meet
# the Inclusion Criteria", "… for their uveitis. Exclusion criteria\n included current use of …")
_RUN_IN_HEADING = re.compile(r"(?<=\S)\s*\b(?P<kind>Inclusion|Exclusion)\s+[Cc]riteria:?\s*$")
_NOT_BEFORE_HEADING = re.compile(
    r"(?:\b(?:the|of|in|under|with|these|those|above|below|all|any|and|or|other|per|by|to|see|our|its|their|"
    r"patients?|subjects?|study|meets?|meeting|fulfil\w*|satisf\w*|following|no|not|as|same)|/)$", re.IGNORECASE)
# … nor an item that refers to criteria, however its words wrap ("… who do not fulfil all of the protocol\n specific
# Inclusion Criteria", "… listed in Section 5.1 Inclusion Criteria", "… see Appendix 2: Inclusion Criteria")
_REFERS_TO_CRITERIA = re.compile(r"\b(?:fulfil\w*|meets?|meeting|met|satisf\w*|fail\w*|listed|see|violat\w*|described"
                                 r"|defined|according|specified|outlined|section|appendix)\b", re.IGNORECASE)
_MAY_HEAD = re.compile("lusion|lcusion|lsuion", re.IGNORECASE)  # what every heading holds, folded as they fold it
# the word alone, capitalised, as a line or before a colon: "Exclusion", "EXCLUSION :", "Exclusions: …" (91 legacy
# records head a list so; a lower-case "exclusion" alone is a wrapped line's end), or after a capitalised word that
# says what the criteria are of, as a line ending in a colon: "Pre-registration exclusion:"
_BARE_HEADING = re.compile(
    r"^\s*+(?:[-*•]\s*)?(?:(?P<qualifier>[A-Z][\w-]*\s+)(?=\w+\s*:\s*$))?"
    r"(?P<kind>(?(qualifier)[Ii]|I)nclusion|(?(qualifier)[Ee]|E)xclusion|INCLUSION|EXCLUSION)[sS]?"
    r"(?P<whom>\s+[-–]\s*[^:\n]{1,40}(?=:))?\s*(?::\s*(?P<rest>.*))?$")  # ("EXCLUSIONS - NORMAL VOLUNTEERS:")
# a line of its own ending in a colon ("Patients with the following are excluded:"), or one of the registry's headings in
# capitals before the text it heads ("DISEASE CHARACTERISTICS: Histologically proven …"; not "LIFE EXPECTANCY: …")
_SECTION = re.compile(r"^\s*+(?P<title>[^\W\d_][^:\d]{0,98}:)\s*$")  # a number makes it a criterion: "Patients 5 years …:"
_SECTION_WORDS = 12
_MAX_SECTION_DEPTH = 6  # headings nested in a section path: the two archives' 14,630 records nest 3 at most
# a section is written into every criterion under it: a lead-in that would make it longer leads nothing (the longest
# lead-in of the corpus has 586 characters)
_MAX_SECTION_CHARS = 1000
_ELIGIBILITY = re.compile(r"^\s*+(?:eligibility\s+)?criteria\s*:\s*$", re.IGNORECASE)  # heads the whole text: no section
# a heading between dashes, in the legacy records' "PROTOCOL ENTRY CRITERIA:" ("--Disease Characteristics--"): its
# dashes are no list marker, and it is written with the colon every other heading ends with
_DASHED_SECTION = re.compile(r"^\s*+-{2,}\s*+(?P<title>[^\W\d_](?:[^:\n-]|-(?!-)){0,98}?):?\s*-{2,}\s*$")
# (its title bounded as _SECTION's: a section is written into every criterion under it, and an unbounded one made the
# rows of 100,000 capitals over 4,000 items 400 million characters; the corpus's longest has 84)
_CAPITALS_SECTION = re.compile(
    r"^\s*+(?P<title>[A-Z][A-Z/&,()' -]{0,98}\b(?:CHARACTERISTICS|THERAPY|CRITERIA):)\s*(?P<rest>.*)$")
# what a heading says of its criteria in parentheses, on its line or the next (wrapped over two more at most), before
# them: "INCLUSION CRITERIA (HIV-Positive)", "Exclusion criteria: (Subjects cannot enter the study if they meet any of
# the following conditions):" (a number makes it a criterion, as it does a section: "(age 18 or over)")
_GLOSS = re.compile(r"\([^()\d]{1,200}\)\s*:?")
_GLOSS_LINES = 3
# a list's only item saying it has none ("None.", "N/A", the 2014 archive's "No eligibility criteria") is no criterion
_NO_CRITERIA = NOTHING | {"no_eligibility_criteria", "no_inclusion_criteria", "no_exclusion_criteria"}
# a sponsor's note after its list that the list is not all there is ("The above information is not intended to contain
# all considerations relevant to a patient's potential participation in a clinical trial.") is no criterion of it, nor
# part of the criterion it is run into
_DISCLAIMER = re.compile(r"\b(?:the\s+)?(?:above\s+)?information\s+(?:listed\s+)?(?:above\s+)?is\s+not\s+"
                         r"intended\s+to\s+contain\s+all\s+considerations\b[^.]*\.?", re.IGNORECASE)
LIST_MARKER = re.compile(
    r"^\s*+(?:[-*•·▪◦●○–—]|o(?=\s)|\(?\d{1,3}[.)](?!\d)|\(\d{1,3}\)|\(?[a-z][.)](?=\s)|\(?(?:i{1,3}|iv|v|vi{1,3}|ix|x)[.)](?=\s))\s*",
    re.IGNORECASE,
)


def _indentation(line: str) -> int:
    return len(line) - len(line.lstrip())


def _wrapped(line: str, hanging: int) -> bool:
    """Whether a line that opens with a letter "marker" ("II. Para-aortic", "a. the") is the wrapped rest of
    the open item: legacy text blocks indent such lines exactly under the item's text, where a new item
    would sit further left (or, nested, further right)."""
    return _indentation(line) == hanging and line.lstrip()[:1].isalpha()


def _heading(line: str, wrapped: bool, continues: bool) -> re.Match | None:
    """The inclusion or exclusion heading a line is, if any. A line wrapped under an item's text is that item's end
    ("… to make shellfish allergy an\\n exclusion criterion and to remove …", "… nor will be an\\n exclusion
    criterion."); a line continuing an item ("… allowed in the\\n Patient Inclusion Criteria.", a
    paragraph's "… allowed by the\\nProtocol Inclusion Criteria.") is no heading of capitalised words."""
    if wrapped or not _MAY_HEAD.search(line):  # (every line is tried: the patterns only where they can match)
        return None
    if (m := _HEADING.match(line)) and not ((m["qualifier"] or m["criteria_for"])
                                            and (continues or m["rest"].strip(" .:;-"))):
        return m
    m = _BARE_HEADING.match(line)
    return None if m and m["qualifier"] and continues else m


def _run_in_heading(line: str, item: list[str]) -> re.Match | None:
    """The heading an item's line ends in, if any (_RUN_IN_HEADING); `item` holds the lines of the item the line
    continues, if it continues one."""
    m = _RUN_IN_HEADING.search(line) if "riteria" in line else None
    if not m or not line[:m.start()].strip() or _NOT_BEFORE_HEADING.search(line, 0, m.start()):
        return None
    return None if _REFERS_TO_CRITERIA.search(" ".join([*item, line[:m.start()]])) else m


def _kind(heading: re.Match) -> str:
    """By the heading word's first letter: the pattern's case folding also matches "İnclusion", whose upper case is
    no type."""
    return "EXCLUSION" if heading["kind"][0] in "eE" else "INCLUSION"


def _section(line: str) -> tuple[str, str] | None:
    """(heading, the text after it) when the line opens with a section heading."""
    if (m := _SECTION.match(line)) and len(m["title"].split()) <= _SECTION_WORDS:
        return m["title"], ""
    if m := _CAPITALS_SECTION.match(line):
        return m["title"], m["rest"]
    return None


def _within(path: list[str], title: str, nested: bool) -> list[str]:
    """The section path once a heading is read (nested: it follows another heading with no criterion between)."""
    if title.upper() == title:
        return [title]
    if nested:  # (at most _MAX_SECTION_DEPTH deep: a path grown by every line made splitting take time growing with
        # the square of the text's lines, 256,000 characters of "Ab:" lines 8.6 s; real ones are 3 deep at most)
        return [*path[:_MAX_SECTION_DEPTH - 1], title]
    return [path[0], title] if path and path[0].upper() == path[0] else [title]


def _next_written(lines: list[str], i: int) -> int:
    """The index of the first line after line i that is not blank (len(lines) if none)."""
    return next((j for j in range(i + 1, len(lines)) if lines[j].strip()), len(lines))


def _gloss(lines: list[str], i: int, rest: str) -> int | None:
    """The index of the last line of a heading's gloss (_GLOSS) when the heading's rest, on line i, or else the next
    line that is not blank, is one, and a criterion follows it: a line neither a heading nor in parentheses itself
    ("(Pregnant or lactating women)\n(Patients with renal failure)" are criteria)."""
    if not rest:
        i = _next_written(lines, i)
        rest = lines[i].strip() if i < len(lines) else ""
    if not rest.startswith("("):
        return None
    for j in range(i, min(i + _GLOSS_LINES, len(lines))):
        if j > i:
            if not lines[j].strip() or LIST_MARKER.match(lines[j]):
                return None
            rest = f"{rest} {lines[j].strip()}"
        if _GLOSS.fullmatch(rest):
            after = _next_written(lines, j)
            if after == len(lines) or lines[after].lstrip().startswith("(") or _heading(lines[after], False, False):
                return None
            return j
        if ")" in rest:
            return None
    return None


def split_criteria(text: str | None) -> list[Criterion]:
    """Split an eligibility text block into criteria, numbered 1.. within INCLUSION and EXCLUSION."""
    if not text:
        return []
    items: list[tuple[str | None, str | None, str | None, list[str]]] = []  # (type, section, headings, lines)
    kind: str | None = None
    path: list[str] = []
    nested = False  # the last line read was a section heading
    open_item = False
    hanging = -1  # the column the open item's text starts at: a wrapped line of it is indented exactly so
    superseded = False  # under a "Previous inclusion criteria:" heading
    leads: list[tuple[int, str]] = []  # (column, text) of the criteria ending in a colon that lead the items below
    last = -1  # the column of the last item read since the last heading (-1: none)
    # the last section written, one string for all its items: (the path, the innermost lead-in, the section's text,
    # its headings' text)
    written: tuple = (None, None, "", "")

    def add(column: int, first_line: str) -> None:
        """Append an item starting at `column`: the last item leads it when that ends in a colon and this one is
        indented under it, as do the lead-ins before it whose column is left of this one's."""
        nonlocal last, written
        if (0 <= last < column and items[-1][3][-1].rstrip().endswith(":")
                and len(path) + len(leads) < _MAX_SECTION_DEPTH):
            lead = clean(" ".join(items[-1][3]))
            if any(ch.isalnum() for ch in lead) and len(written[2]) + len(lead) < _MAX_SECTION_CHARS:
                leads.append((last, lead))
        while leads and leads[-1][0] >= column:  # (a lead-in is pushed right of every lead-in below it)
            leads.pop()
        innermost = leads[-1] if leads else None
        if written[0] is not path or written[1] is not innermost:  # (a path or a lead-in read anew is a new object)
            headings = written[3] if written[0] is path else " ".join(path)
            joined = " ".join([*path, *(lead for _, lead in leads)]) if leads else headings
            written = (path, innermost, joined, headings)
        items.append((kind, written[2] or None, written[3] or None, [first_line]))
        last = column

    lines = text.splitlines()
    glossed = -1  # the last line of a heading's gloss
    for i, line in enumerate(lines):
        if i <= glossed:
            continue
        if not line.strip():
            open_item = False
            continue
        wrapped = open_item and _wrapped(line, hanging)  # under the open item's text
        continues = open_item and (hanging < 0 or wrapped)
        heading = _heading(line, wrapped, continues)
        if heading:
            said = heading.groupdict()
            superseded = bool(said.get("previous"))
            # what or whom the criteria are of ("REGISTRATION EXCLUSION CRITERIA:", "Criteria for inclusion for
            # normal volunteers:", "EXCLUSION CRITERIA - DONOR:") is their section
            kind = _kind(heading)
            named = said.get("qualifier") or said.get("criteria_for") or said.get("whom")
            said_end = heading.start("rest") if heading["rest"] is not None else len(line)
            path = [line[:said_end].strip().lstrip("-*• ").rstrip(" .:") + ":"] if named else []
            # what it says of them in parentheses is their section with it, no criterion
            if (end := _gloss(lines, i, (heading["rest"] or "").strip())) is not None:
                path = [clean(" ".join(lines[i:end + 1])).lstrip("-*• ").rstrip(" .:") + ":"]
                heading, glossed = None, end
            nested = bool(path)  # a heading right under it is nested in it
            open_item, hanging, last = False, -1, -1
            leads.clear()
            # "Inclusion criteria." is a heading, its period no criterion
            if heading and (heading["rest"] or "").strip(" .:;-") and not superseded:
                add(_indentation(line), heading["rest"])
                open_item = True
            continue
        if superseded:
            continue
        if _ELIGIBILITY.match(line):
            path, nested, open_item, last = [], False, False, -1
            leads.clear()
            continue
        if dashed := _DASHED_SECTION.match(line):
            path, nested, open_item, hanging = _within(path, f"{dashed['title']}:", nested), True, False, -1
            last = -1
            leads.clear()
            continue
        marker = LIST_MARKER.match(line)
        if marker and wrapped:
            marker = None
        if not marker and not continues and (section := _section(line)):
            path = _within(path, section[0], nested)
            open_item, hanging = bool(section[1].strip()), -1
            nested, last = not open_item, -1
            leads.clear()
            if open_item:
                add(_indentation(line), section[1])
            continue
        nested = False
        run_in = _run_in_heading(line, items[-1][3] if continues and not marker else []) \
            if i + 1 == len(lines) or not lines[i + 1].strip() else None
        if run_in:
            line = line[:run_in.start()]
        if marker and line[marker.end():].strip():
            add(_indentation(line), line[marker.end():])
            open_item = True
            hanging = marker.end()
        elif open_item and items:
            items[-1][3].append(line)
        else:
            add(_indentation(line), line)
            open_item, hanging = True, -1
        if run_in:  # the item ends where the heading begins
            kind, path, open_item, hanging, last = _kind(run_in), [], False, -1, -1
            leads.clear()
    criteria: list[Criterion] = []
    counts: dict[str | None, int] = {}
    for kind, section_, headings, lines in items:
        text_ = clean(" ".join(lines))
        if text_ and "considerations" in text_.casefold():  # (the pattern only where it can match: 1.8 µs a criterion)
            text_ = clean(_DISCLAIMER.sub("", text_))
        if not text_ or not any(ch.isalnum() for ch in text_):  # a lone "-", ")" or "____" is no criterion
            continue
        counts[kind] = counts.get(kind, 0) + 1
        criteria.append(Criterion(kind, counts[kind], text_, section_, headings))
    return [c for c in criteria if counts[c.criterion_type] > 1 or _key(c.text) not in _NO_CRITERIA]
