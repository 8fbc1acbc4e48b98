"""Classic ClinicalTrials.gov study pages (ct2/show, saved as text or HTML) → TrialRecord.

The 2017–2023 layout writes labelled fields as table cells ("Study Type : | Interventional |"),
a condition/intervention/phase table, an arm table, the outcome list and the eligibility block.
Labels map to fields through one table (LABELS). The older views (about 2012) of one trial, the
"Full Text View", the "Tabular View" and the results view, write a label on its own line and its
value on the lines after it, up to the "|" that closes the cell ("Study Type: |", "Observational |");
their labels are in the same table. A design line may hold several labelled values
("Observational Model: Cohort; Time Perspective: Retrospective"). The older views say which outcomes
are primary; the 2017 layout does not, so there outcome_type stays None.

The older results view, saved as HTML, also gives its reporting groups, participant flow and baseline tables
(`_results`): as page text their cells lose the columns they belong to, so they are read as tables from the page's
tree. The older views' publication lists give study_references (`_references`).
"""
from __future__ import annotations

import re

from pipeline import vocabulary as v
from pipeline.criteria import split_criteria
from pipeline.record import (ArmGroup, FlowCount, Identifier, Intervention, Location, Measurement, Outcome, ParseError,
                             Reference, ResultGroup, TrialRecord)
from pipeline.sources.html import html_to_text, looks_like_html, parsed, tree_text

FORMAT = "ctgov_classic"
_NCT = re.compile(r"ClinicalTrials\.gov Identifier:?\s*\|?\s*(NCT\d{8})")
_LABELLED = re.compile(r"^(?P<label>[A-Z][A-Za-z /()\-']+?)\s*:\s*\|?\s*(?P<value>.*?)\s*\|?\s*$")
_TYPED = re.compile(r"(Behavioral|Biological|Combination Product|Device|Diagnostic Test|Dietary Supplement|Drug|"
                    r"Genetic|Procedure|Radiation|Other):\s*")
_ARM = re.compile(r"^(Experimental|Active Comparator|Placebo Comparator|Sham Comparator|No Intervention|Other):\s*"
                  r"(?P<label>.+?)\s*\|?$")
_OUTCOME = re.compile(r"^(?:-\s*)?(?P<measure>[^\[]+?)\s*\[\s*Time Frame:\s*(?P<time>[^\]]+?)\s*\]"
                      r"(?:\s*\[\s*Designated as safety issue:[^\]]*\])?\s*(?P<closed>\|)?$")
# the heading of an outcome list in the older views: "Primary Outcome Measures:", "Current Secondary Outcome
# Measures ICMJE", "2. Secondary: |"; an "Original …" list is the registration's first version, not the record's
_OUTCOME_HEADING = re.compile(r"^(?:\d+\.\s*)?(?:(?P<version>Current|Original)\s+)?(?P<kind>Primary|Secondary|Other)"
                              r"(?:\s+Outcome\s+Measures?)?(?:\s+ICMJE)?\s*:?\s*\|?$")
_DESIGN_PARTS = re.compile(r";\s*(?=[A-Z][A-Za-z ]+:)")  # "Observational Model: Cohort; Time Perspective: Retrospective"
# (its look-ahead fails a line holding any other character at once: the lazy label tried the rest at each character)
_CELL_LABEL = re.compile(r"^(?=[A-Z][A-Za-z /()\-':|\s]*+$)(?P<label>[A-Z][A-Za-z /()\-']+?)\s*:?(?:\s+ICMJE)?\s*"
                         r"(?P<closed>\|)?$")
# the older views' status line under the title
_STATUS_SENTENCES = {"This study has been completed": "Completed", "This study is currently recruiting": "Recruiting",
                     "This study is not yet open for participant recruitment": "Not yet recruiting",
                     "This study is ongoing, but not recruiting": "Active, not recruiting",
                     "This study is enrolling participants by invitation only": "Enrolling by invitation",
                     "This study has been terminated": "Terminated", "This study has been suspended": "Suspended",
                     "This study has been withdrawn": "Withdrawn", "The recruitment status of this study is unknown": "Unknown"}
_ENROLLMENT = re.compile(r"(?P<type>Actual|Estimated|Anticipated)?\s*Enrollment\s*:?\s*\|?\s*(?P<n>\d[\d,]*)", re.I)
# A run of white space inside a line (after its indentation, which the criteria's nesting reads) is one space: every
# value is folded anyway (vocabulary.clean), and the layouts' patterns then never backtrack over a run (a lazy label
# before optional white space took time growing with the cube of a run of spaces the line did not end with)
# (written to open with the run's own character, which re finds by a scan of its own; opened by the look-behind it
# tried that at every character, twice the time)
_RUN = re.compile(r"[^\S\n](?<=\S[^\S\n])[^\S\n]+")
_PROCESSED = re.compile(r"ClinicalTrials\.gov processed this record on (\w+ \d{1,2}, \d{4})")  # its download_date
_DATE_KIND = re.compile(r"^(?:(Actual|Estimated|Anticipated)\s+)?(Study Start|Primary Completion|Study Completion)\s+Date$")


def _date(record: TrialRecord, field: str, value: str) -> None:
    setattr(record, field, v.parse_date(value))


def _key_date(record: TrialRecord, kind: re.Match, value: str) -> None:
    """A start or completion date (_DATE_KIND), and its type where the label says ("Actual Primary Completion Date")."""
    field = _DATES[kind[2]]
    _date(record, field, value)
    if kind[1]:
        setattr(record, f"{field}_type", v.lookup(v.DATE_TYPE, kind[1]))


def _set(field: str, table: dict[str, str] | None = None):
    def handle(record: TrialRecord, value: str) -> None:
        text = v.clean(value)
        setattr(record, field, v.lookup(table, text) if table is not None else text)
    return handle


def _enrollment(record: TrialRecord, value: str) -> None:
    if m := re.match(r"\s*(\d[\d,]*)", value):
        record.enrollment = v.written_count(m[1])


def _lines(field: str):
    """A value written one item a line (the older views' conditions)."""
    def handle(record: TrialRecord, value: str) -> None:
        setattr(record, field, [x for x in map(v.clean, value.splitlines()) if x])
    return handle


def _ages(record: TrialRecord, value: str) -> None:
    bounds = re.sub(r"\([^()\n]*\)", "", value)  # "(Adult, Older Adult)"; not from each "(" to the line's end
    lo, _, hi = bounds.partition(" to ")
    if "and older" in bounds:
        lo, hi = bounds.replace("and older", ""), ""
    elif "and younger" in bounds or "up to" in bounds.lower():
        lo, hi = "", re.sub(r"(?i)and younger|up to", "", bounds)
    record.minimum_age, record.maximum_age = v.age_text(lo.strip()), v.age_text(hi.strip())


def _results_received(record: TrialRecord, value: str) -> None:
    """The older views' "Results First Received: August 29, 2011": the trial has results (a saved results view's
    tables: `_results`)."""
    _date(record, "results_first_submitted_date", value)
    record.has_results = True if record.results_first_submitted_date else record.has_results


def _study_type(record: TrialRecord, value: str) -> None:
    record.study_type = v.lookup(v.STUDY_TYPE, value.split("(")[0])


def _masking(record: TrialRecord, value: str) -> None:
    record.masking, record.who_masked = v.masking(value)


LABELS = {
    "Study Type": _study_type,
    "Allocation": _set("allocation", v.ALLOCATION),
    "Intervention Model": _set("intervention_model", v.INTERVENTION_MODEL),
    "Observational Model": _set("observational_model", v.OBSERVATIONAL_MODEL),
    "Time Perspective": _set("time_perspective", v.TIME_PERSPECTIVE),
    "Masking": _masking,
    "Primary Purpose": _set("primary_purpose", v.PRIMARY_PURPOSE),
    "Brief Title": _set("brief_title"),
    "Official Title": _set("official_title"),
    "Acronym": _set("acronym"),
    "Brief Summary": _set("brief_summary"),
    "Detailed Description": _set("detailed_description"),
    "Condition": _lines("conditions"),
    "Recruitment Status": lambda r, value: setattr(r, "overall_status", v.lookup(v.STATUS, value)),
    "Enrollment": _enrollment,
    "Ages Eligible for Study": _ages,
    "Ages": _ages,
    "Sexes Eligible for Study": _set("sex", v.SEX),
    "Genders Eligible for Study": _set("sex", v.SEX),
    "Gender": _set("sex", v.SEX),
    "Accepts Healthy Volunteers": lambda r, value: setattr(r, "healthy_volunteers", v.yes_no(value)),
    "First Posted": lambda r, value: _date(r, "first_posted_date", value),
    "First Received": lambda r, value: _date(r, "first_submitted_date", value),
    "Study First Received": lambda r, value: _date(r, "first_submitted_date", value),
    "First Received Date": lambda r, value: _date(r, "first_submitted_date", value),
    "Last Update Posted": lambda r, value: _date(r, "last_update_posted_date", value),
    "Results First Received": _results_received,
    # the older pages' "Last updated" is the lastchanged_date: the date the update was submitted
    "Last Updated": lambda r, value: _date(r, "last_update_submitted_date", value),
    "Last Updated Date": lambda r, value: _date(r, "last_update_submitted_date", value),
    "Start Date": lambda r, value: _date(r, "start_date", value),
    "Completion Date": lambda r, value: _date(r, "completion_date", value),
    "Sponsor": _set("lead_sponsor"),
    "Study Sponsor": _set("lead_sponsor"),
    "Collaborators": lambda r, value: r.collaborators.extend(filter(None, [v.clean(value)])),
}
# labels matched whatever their case ("First received:" in the older views' header)
_LABEL_KEYS = {label.casefold(): label for label in LABELS}
# what the older views write for a field they leave empty
_NOT_GIVEN = {"Not Provided", "Not specified"}
_DATES = {"Study Start": "start_date", "Primary Completion": "primary_completion_date",
          "Study Completion": "completion_date"}


def recognises(text: str) -> bool:
    head = html_to_text(text[:200_000]) if looks_like_html(text) else text[:200_000]
    # the Archive's history view has its own reader; the Tabular View links to the Archive, so only its heading counts
    return ("ClinicalTrials.gov Identifier" in head and not re.search(r"View of NCT\d{8} on\s+\d{4}_\d{2}_\d{2}", head)
            and any(marker in head for marker in ("Recruitment Status", "Study Type", "Tabular View", "Full Text View")))


def parse(text: str) -> list[TrialRecord]:
    tree = parsed(text) if looks_like_html(text) else None
    if tree is not None:
        text = tree_text(tree)
    text = _RUN.sub(" ", text)
    m = _NCT.search(text)
    if not m:
        raise ParseError("ctgov_classic: no NCT id")
    lines = [line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    record = TrialRecord(m[1], brief_title=v.clean(_title(lines)))
    _status(record, text)
    record.download_date = v.parse_date(processed[1]) if (processed := _PROCESSED.search(text)) else None
    _labelled(record, lines)
    _cells(record, lines)
    _full_text_blocks(record, lines)
    _design_table(record, lines)
    _arms(record, lines)
    _cohorts(record, lines)
    _outcomes(record, lines)
    _eligibility(record, text)
    _location(record, lines)
    _other_ids(record, lines)
    _references(record, lines)
    if tree is not None:
        _results(record, tree)
    return [record]


def _title(lines: list[str]) -> str:
    """The page's first line, or in the older views the line under the site's "Study Record Detail" breadcrumb."""
    crumb = next((i for i, line in enumerate(lines) if line in ("Study Record Detail", "- Study Record Detail")), None)
    if crumb is not None and crumb + 1 < len(lines):
        return lines[crumb + 1]
    return next((line for line in lines if line), "")


def _full_text_blocks(record: TrialRecord, lines: list[str]) -> None:
    """The Full Text View's summary (under "Purpose", up to "Condition") and description (up to "Eligibility")."""
    for heading, end, field in (("Purpose", "Condition", "brief_summary"),
                                ("Detailed Description:", "Eligibility", "detailed_description")):
        if heading in lines and end in lines[lines.index(heading):]:
            start = lines.index(heading) + 1
            setattr(record, field, v.clean(" ".join(lines[start:lines.index(end, start)])))


def _status(record: TrialRecord, text: str) -> None:
    m = re.search(r"Recruitment Status\s*:\s*\|?\s*([^\n|]+)", text)
    if m:
        record.overall_status = v.lookup(v.STATUS, m[1])
    m = re.search(r"Recruitment status was:\s*([^\n|]+)", text)
    if m:
        record.last_known_status = v.lookup(v.STATUS, m[1])
    sentence = next((s for s in _STATUS_SENTENCES if s in text[:100_000]), None)
    if record.overall_status is None and sentence:
        record.overall_status = v.lookup(v.STATUS, _STATUS_SENTENCES[sentence])
    m = re.search(r"^Sponsor:\s*\n([^\n|]+)$", text, re.MULTILINE)  # the older views' header
    if m:
        record.lead_sponsor = v.clean(m[1])


def _labelled(record: TrialRecord, lines: list[str]) -> None:
    """Fields written on one line: "Study Type : | Interventional |", "First received: July 9, 2009"."""
    for line in lines:
        enrollment = _ENROLLMENT.match(line)
        if enrollment:
            record.enrollment = v.written_count(enrollment["n"])  # (not 25 digits: no count)
            record.enrollment_type = v.lookup(v.ENROLLMENT_TYPE, enrollment["type"]) \
                if enrollment["type"] and record.enrollment is not None else None
            continue
        for part in _DESIGN_PARTS.split(line):
            m = _LABELLED.match(part) if ":" in part else None
            if not m or not m["value"] or m["value"] in _NOT_GIVEN:
                continue
            label = m["label"].strip()
            date_kind = _DATE_KIND.match(label)
            if date_kind:
                _key_date(record, date_kind, m["value"])
            elif label.casefold() in _LABEL_KEYS:
                LABELS[_LABEL_KEYS[label.casefold()]](record, m["value"].replace("Key Record Dates", ""))


def _cells(record: TrialRecord, lines: list[str]) -> None:
    """Fields of the older views: a label line ("Study Type: |", "Condition ICMJE |"; or "Condition" over a lone
    "|") and its value on the lines after it, up to the line that closes the cell with "|"."""
    i = 0
    while i < len(lines) - 1:
        line, i = lines[i], i + 1
        # a label line ends with "|" or stands over a lone "|" (looked at first: half a page's lines do neither)
        if not (line.endswith("|") or lines[i] == "|") or not (m := _CELL_LABEL.match(line)):
            continue
        label = m["label"].strip()
        key = label if _DATE_KIND.match(label) else _LABEL_KEYS.get(label.casefold())
        if key is None:
            continue
        i += lines[i] == "|"
        value = []
        while i < len(lines):
            line = lines[i]
            i += 1
            if line.endswith("|"):
                value.append(line[:-1].strip())
                break
            value.append(line)
        text = "\n".join(x for x in value if x)
        if not text or text in _NOT_GIVEN:
            continue
        if date_kind := _DATE_KIND.match(key):
            _key_date(record, date_kind, text)
        elif label.casefold() in _LABEL_KEYS:
            LABELS[key](record, text if key in ("Condition", "Brief Summary", "Detailed Description") else " ".join(value))


def _design_table(record: TrialRecord, lines: list[str]) -> None:
    """The "Condition or disease | Intervention/treatment | Phase |" table (one row after its rule)."""
    for i, line in enumerate(lines):
        if line.startswith("Condition or disease") and i + 2 < len(lines):
            cells = [c.strip() for c in lines[i + 2].split("|")]
            if len(cells) >= 3:
                record.conditions = [c for c in [v.clean(cells[0])] if c]
                parts = _TYPED.split(cells[1])
                for kind, name in zip(parts[1::2], parts[2::2]):
                    record.interventions.append(Intervention(v.lookup(v.INTERVENTION_TYPE, kind), v.clean(name)))
                record.phases = v.phases(cells[2])
            return


def _arms(record: TrialRecord, lines: list[str]) -> None:
    """The "Arm | Intervention/treatment |" table: arm lines, each followed by its typed interventions."""
    try:
        start = lines.index("Arm | Intervention/treatment |")
    except ValueError:
        return
    descriptions = {}
    arm = None
    intervention = None
    for line in lines[start + 2:]:
        if not line or line.startswith("- ") or line.startswith("Outcome"):
            break
        m = _ARM.match(line)
        if m:
            arm = ArmGroup(v.clean(m["label"]), v.lookup(v.ARM_TYPE, m[1]))
            record.arm_groups.append(arm)
            intervention = None
            continue
        typed = _TYPED.match(line)
        if typed and arm is not None:
            intervention = v.clean(line[typed.end():].rstrip("|"))
            arm.intervention_names.append(intervention)
        elif intervention is not None:
            descriptions[intervention] = v.clean(line.rstrip("|"))
    for item in record.interventions:
        item.description = descriptions.get(item.name, item.description)


def _cohorts(record: TrialRecord, lines: list[str]) -> None:
    """The older views' cohorts of an observational study: "Groups/Cohorts" then cells of a label line and its
    description, each closed by "|"; or "Study Group/Cohort (s) |" then "- label" items, each with its description."""
    if "Groups/Cohorts" in lines:
        cell: list[str] = []
        for line in lines[lines.index("Groups/Cohorts") + 1:]:
            if line == "|":
                if cell:
                    record.arm_groups.append(ArmGroup(v.clean(cell[0]), None, v.clean(" ".join(cell[1:]))))
                cell = []
            elif line.endswith(":") or line.endswith("|"):
                break
            else:
                cell.append(line)
    elif start := next((i for i, line in enumerate(lines) if line.startswith("Study Group/Cohort")), None):
        for line in lines[start + 1:]:
            if line.startswith("- "):
                record.arm_groups.append(ArmGroup(v.clean(line[2:]), None))
            elif line == "|" or not record.arm_groups:
                break
            else:
                group = record.arm_groups[-1]
                group.description = v.clean(" ".join(filter(None, [group.description, line.rstrip("|")])))
                if line.endswith("|"):
                    break


def _outcomes(record: TrialRecord, lines: list[str]) -> None:
    """"measure [ Time Frame: … ]" lines, typed by the heading above them where the page has one; in the older views
    the lines after one, up to the next, describe it."""
    kind: str | None = None
    outcome: Outcome | None = None
    for line in lines:
        if heading := _OUTCOME_HEADING.match(line):
            kind = "SKIP" if heading["version"] == "Original" else heading["kind"].upper()
            outcome = None
        elif "Time Frame:" in line and (m := _OUTCOME.match(line)) and (kind is not None or line.startswith("-")):
            outcome = Outcome(None if kind is None else kind, v.clean(m["measure"]), v.clean(m["time"]))
            if kind != "SKIP":
                record.outcomes.append(outcome)
            outcome = None if m["closed"] or kind is None else outcome
        elif outcome is not None and line and not line.endswith(":") and line != "|":
            outcome.description = v.clean(" ".join(filter(None, [outcome.description, line.rstrip("|")])))
            if line.endswith("|"):
                outcome = None
        else:
            outcome = None


def _eligibility(record: TrialRecord, text: str) -> None:
    """The criteria block: in the older views under "Criteria" / "Eligibility Criteria" (an observational study's
    "Study Population" repeats its inclusion criteria above it), else from "Inclusion Criteria" on."""
    m = re.search(r"^(?:Eligibility )?Criteria(?: ICMJE)?\s*\|?\s*$", text, re.MULTILINE)
    start = m.end() if m else text.find("Inclusion Criteria")
    if start < 0:
        return
    end = min((i for i in (text.find("To learn more about this study", start), text.find("Contacts and Locations", start),
                           text.find("\n|\n", start)) if i >= 0), default=len(text))
    record.eligibility_criteria = split_criteria(text[start:end])


def _location(record: TrialRecord, lines: list[str]) -> None:
    """Facility lines under the locations section: "Facility | |" then "City, State, Country, Zip |"."""
    try:
        start = next(i for i, line in enumerate(lines) if line.startswith("Please refer to this study by its"))
    except StopIteration:
        return
    cells = [line.rstrip("| ").strip() for line in lines[start + 1:] if line.rstrip("| ").strip()]
    for i in range(1, len(cells) - 1):
        parts = [p.strip() for p in cells[i + 1].split(",")]
        if len(parts) >= 3 and "|" not in cells[i] and ":" not in cells[i] and ":" not in cells[i + 1]:
            zip_code = parts[-1] if any(ch.isdigit() for ch in parts[-1]) else None
            country = parts[-2] if zip_code else parts[-1]
            state = parts[1] if len(parts) - (1 if zip_code else 0) >= 3 else None
            record.locations.append(Location(v.clean(cells[i]), parts[0], state, zip_code, country))
        if cells[i].startswith(("Principal Investigator", "Sponsors and Collaborators", "Responsible Party")):
            break


def _other_ids(record: TrialRecord, lines: list[str]) -> None:
    for i, line in enumerate(lines):
        if line.startswith("Other Study ID Numbers") and i + 1 < len(lines):
            for value in filter(None, (v.clean(x) for x in lines[i + 1].split("|"))):
                record.identifiers.append(Identifier(None, value))
            return


# The older views' publication lists, a citation a line under its heading in "More Information": the record's
# references and results references (the legacy XML's <reference> and <results_reference>), those the registry
# indexed itself by the NCT number (API v2's DERIVED), and the Tabular View's "Publications *", which holds both kinds
# ("* Includes publications given by the data provider as well as publications identified by ClinicalTrials.gov
# Identifier (NCT Number) in Medline"): no type. A list ends at the next label or cell. The views link a citation
# through a redirect that hides its PMID: none is read.
_REFERENCE_LISTS = {"Publications:": "BACKGROUND", "Publications of Results:": "RESULT"}
_INDEXED = re.compile(r"(?:Additional )?[Pp]ublications automatically indexed to this study\b[^:|]*:")
_TABULAR_REFERENCES = "Publications *"


def _references(record: TrialRecord, lines: list[str]) -> None:
    reading, kind, more_information = False, None, False
    for line in lines:
        line = line.rstrip(" |")
        indexed = more_information and _INDEXED.fullmatch(line)
        if line == _TABULAR_REFERENCES or more_information and line in _REFERENCE_LISTS or indexed:
            reading, kind = True, _REFERENCE_LISTS.get(line, "DERIVED" if indexed else None)
        elif reading and line and "|" not in line and not line.endswith(":"):
            record.study_references.append(Reference(kind, None, v.clean(line.removeprefix("- "))))
        else:
            reading = False
            more_information = more_information or line == "More Information"


# The older results view: each table under a <span class="header3"> title ("Reporting Groups", "Participant Flow:
# Overall Study", "Baseline Measures"), its cells coloured by the part they belong to; groups are coded in their
# order, as the legacy XML's P1, B1 … and API v2's FG000, BG000 are. (Its outcome measures and adverse events are
# collapsed in a saved page: no values.) A results table holds no table: one that does is no results table, and its
# rows are never read twice.
_RESULT_PARTS = {"bold_participant_color": ("PARTICIPANT_FLOW", "FG"), "bold_baseline_color": ("BASELINE", "BG")}
_UNITS = re.compile(r"\[units:\s*(?P<units>[^\]]*)\]\s*(?P<param>.*)")
# a measure's parameter: "Mean ± Standard Deviation", "Median (Full Range)", "Number"
_PARAMETER = re.compile(r"(?P<param>[^±()]*?)\s*(?:±\s*(?P<spread>[^±()]+)|\(\s*(?P<range>[^()]+?)\s*\))?")
_PLUS_MINUS = re.compile(r"(?P<value>\S+)\s*±\s*(?P<dispersion>\S+)")  # "68 ± 13", the view's mean ± SD


def _results(record: TrialRecord, tree) -> None:
    groups: dict[str, list[ResultGroup]] = {}
    leaves = _leaf_tables(tree)
    for span in tree.css("span.header3"):
        title = v.clean(span.text()) or ""
        table = span.next
        while table is not None and table.tag not in ("table", "span"):
            table = table.next
        if table is None or table.tag != "table" or table.mem_id not in leaves:
            continue
        rows = _rows(table)
        if not rows or not (part := _part(rows[0][0])):
            continue
        result_type, prefix = _RESULT_PARTS[part]
        if title == "Reporting Groups":
            if result_type in groups:
                raise ParseError(f"{FORMAT}: two reporting group tables for the {result_type.lower()}")
            groups[result_type] = [ResultGroup(result_type, f"{prefix}{i:03d}", v.clean(row[0].text()),
                                               v.clean(row[1].text()) if len(row) > 1 else None)
                                   for i, row in enumerate(rows[1:])]
            record.result_groups += groups[result_type]
            continue
        codes = _columns(rows[0][1:], groups.get(result_type, []), title)
        if title.startswith("Participant Flow:"):
            record.participant_flow += _flow(title.removeprefix("Participant Flow:").strip() or None, rows[1:], codes)
        elif title == "Baseline Measures":
            record.baseline_measurements += _baseline(rows[1:], codes)


def _leaf_tables(tree) -> set[int]:
    """The tables that hold no table, found in one pass: each table marks the nearest table around it."""
    tables = tree.css("table")
    holding = set()
    for table in tables:
        node = table.parent
        while node is not None and node.tag != "table":
            node = node.parent
        if node is not None:
            holding.add(node.mem_id)
    return {t.mem_id for t in tables} - holding


def _rows(table) -> list[list]:
    """A table's own rows (in its body, head or foot, or directly in it), each its heading and data cells."""
    rows = []
    for child in table.iter():
        for row in (child,) if child.tag == "tr" else child.iter() if child.tag in ("thead", "tbody", "tfoot") else ():
            if row.tag == "tr" and (cells := [cell for cell in row.iter() if cell.tag in ("th", "td")]):
                rows.append(cells)
    return rows


def _part(cell) -> str | None:
    """The results part a table belongs to, by the colour class of its first cell."""
    return next((c for c in (cell.attributes.get("class") or "").split() if c in _RESULT_PARTS), None)


def _columns(header: list, groups: list[ResultGroup], title: str) -> list[str]:
    """The group code of each column of a table: its header writes the reporting groups' titles in their order."""
    titles = [v.clean(cell.text()) for cell in header]
    if titles != [g.title for g in groups]:
        raise ParseError(f"{FORMAT}: the columns of \"{title}\" ({titles}) are not its reporting groups "
                         f"({[g.title for g in groups]})")
    return [g.group_code for g in groups]


def _flow(period: str | None, rows: list[list], codes: list[str]) -> list[FlowCount]:
    """STARTED, COMPLETED, NOT COMPLETED, each a row headed by its label; a row indented under them as the baseline
    table's categories are (a plain cell, padded left) is a reason for not completing. A row of another shape is not
    guessed at: the page is refused."""
    counts = []
    for row in rows:
        cells = [v.clean(cell.text()) for cell in row[1:]]
        if not any(cells):  # a heading row ("Reasons Not Completed")
            continue
        if row[0].tag == "th":
            kind = "MILESTONE"
        elif "padding-left" in (row[0].attributes.get("style") or ""):
            kind = "DROP_WITHDRAWAL"
        else:
            raise ParseError(f"{FORMAT}: a participant flow row of a shape this reader does not know "
                             f"({v.clean(row[0].text())!r})")
        counts += [FlowCount(period, kind, v.clean(row[0].text()), code, v.whole_number(cell), cell)
                   for code, cell in zip(codes, cells)]
    return counts


def _baseline(rows: list[list], codes: list[str]) -> list[Measurement]:
    """A measure's row is headed by its title over "[units: years]" and its parameter ("Mean ± Standard
    Deviation"); a measure of categories has empty cells and a row per category under it. A first measure "Number of
    Participants" is the groups' numbers analyzed, as in the legacy XML (ctgov_xml._measures_and_counts)."""
    analyzed: dict[str, int | None] = {}
    units_analyzed = None
    first = _measure(rows[0][0]) if rows and rows[0][0].tag == "th" else {}
    if first.get("title") == v.PARTICIPANTS_MEASURE:
        analyzed = {code: v.whole_number(v.clean(cell.text())) for code, cell in zip(codes, rows[0][1:])}
        units_analyzed, rows = first["units"], rows[1:]
    cells: list[Measurement] = []
    measure: dict = {}
    for row in rows:
        if row[0].tag == "th":
            measure, category = dict(_measure(row[0]), measure_ordinal=measure.get("measure_ordinal", 0) + 1), None
        elif measure:
            category = v.clean(row[0].text())
        else:  # a category before any measure: no title to give it
            continue
        for code, cell in zip(codes, row[1:]):
            if value := v.clean(cell.text()):
                spread = _PLUS_MINUS.fullmatch(value)
                cells.append(Measurement(
                    group_code=code, category=category, **measure, analyzed=analyzed.get(code),
                    analyzed_units=units_analyzed if analyzed else None,
                    **v.numbers_as_written({"value": spread["value"] if spread else value,
                                            "dispersion": spread["dispersion"] if spread else None}.get,
                                           value="value", dispersion_value="dispersion")))
    return cells


def _measure(cell) -> dict:
    """A measure's title, units and parameter from the cell heading its row."""
    note = cell.css_first("span.body3")
    note_text = note.text() if note else ""
    label = _UNITS.match(v.clean(note_text) or "") if note else None
    parameter = _PARAMETER.fullmatch(label["param"].strip()) if label else None
    dispersion = parameter and (parameter["spread"] or parameter["range"])
    return dict(title=v.clean(cell.text().replace(note_text, "") if note else cell.text()),
                units=label["units"].strip() or None if label else None,
                param_type=v.lookup(v.ENUM, parameter["param"]) if parameter and parameter["param"] else None,
                dispersion_type=v.lookup(v.DISPERSION_TYPE, dispersion) if dispersion else None)
