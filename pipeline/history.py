"""Every version of a trial the inputs hold, and what changed between consecutive versions: DuckDB SQL.

A version is a trial's record at a date: its `version_date`, the Archive's version date, else the date its last
update was submitted (by which the registry tells versions apart), each document dated by the others of its version
(DOCUMENT_VERSIONS). So two downloads of a record that was not updated in between are one version, whatever the
registry changed on its own since (a status it set to UNKNOWN): such differences are trial_field_conflicts, not
changes. The documents of a version are combined as `trials` combines documents, but the copy nearest the version's
date first (_WITHIN_VERSION): per field, the first document that states it; per child table, the rows of the first
document that has any. What a version does not state is not a change: a field is compared between consecutive
versions that state it, and a child table between consecutive versions that have rows of it (a Veeva page lists no
locations; that does not remove them), unless the version could have stated it (trial_changes: then it was removed,
or not yet added).

The SQL runs over views the publisher registers for the trials it publishes, so it stays out of core:
  doc_trials_as_parsed  the `trials` rows of each parsed, non-duplicate document, with doc_id and source_format
                        (date_documents makes doc_trials of it: the same, each document dated by its version)
  doc_<table>           the rows, with doc_id, of each table in ITEM_TABLES
"""
from __future__ import annotations

from pipeline.sources import ICTRP_FORMATS, STRUCTURED_FORMATS
from schemas import columns

# table → (its field in trial_changes, the identity an item is matched by, the item as text), as SQL expressions
ITEMS: dict[str, tuple[str, str, str]] = {
    "outcomes": ("coalesce(lower(outcome_type) || '_outcome', 'outcome')", "measure",
                 "measure || coalesce(' [time frame: ' || time_frame || ']', '')"
                 " || coalesce(' [description: ' || description || ']', '')"),
    "conditions": ("'condition'", "condition", "condition"),
    "interventions": ("'intervention'", "name",
                      "concat_ws(': ', intervention_type, name) || coalesce(' [description: ' || description || ']', '')"),
    "arm_groups": ("'arm_group'", "label",
                   "label || coalesce(' (' || arm_type || ')', '') || coalesce(' [description: ' || description || ']', '')"),
    # a criterion is its text: one filed under a heading in a later version (its type stated) is CHANGED
    "eligibility_criteria": ("'eligibility_criterion'", "text", "concat_ws(': ', criterion_type, text)"),
    # a site is its facility in its city and country: a zip or state written later is a detail (CHANGED)
    "locations": ("'location'", "concat_ws(', ', facility, city, country)",
                  "concat_ws(', ', facility, city, state, zip, country)"),
}
ITEM_TABLES = tuple(ITEMS)
# trials columns that name the version or the trial rather than state its content, and enrollment_raw: a placeholder
# enrollment (99999999) giving way to a count is the enrollment's ADDED row
_NOT_COMPARED = ("trial_id", "version_date", "last_update_posted_date", "last_update_submitted_date", "download_date",
                 "enrollment_raw")
_LISTS = ("phases", "who_masked")


def _match_key(expr: str) -> str:
    """Items match across versions by their identity with case, spacing and punctuation ignored, so a
    re-cased or re-punctuated item is CHANGED rather than REMOVED and ADDED."""
    return f"regexp_replace(lower({expr}), '[^a-z0-9]+', '', 'g')"


def _fields() -> list[str]:
    return [c for c in columns("trials") if c not in _NOT_COMPARED]


def _stated(column: str) -> str:
    return f"{column} is not null" + (f" and len({column}) > 0" if column in _LISTS else "")


# Each document's version date, so that the documents of one version are one version whatever dates each states.
# The registry tells versions apart by the day their update was submitted: a document stating only the day it was
# posted (a newer classic page) takes the submitted day of a document of the trial posted that day (its XML or
# JSON). The Archive dates its versions itself (the day it recorded them, often days after the submission); a
# document submitted on a day the Archive's XML gives a version of takes that version's date (the latest, where the
# Archive recorded several: registry-side edits without a new submission, in 2005). Failing both, its submitted day,
# else its posted day. Only a source that dates its versions itself (the Archive) states a document's version_date.
# A trial known only from ICTRP's copies is dated by the day ICTRP copied each (ICTRP_FORMATS): copies of one day are
# one version, and exports of different days show what the registry changed in between (ChiCTR2000030254's primary
# outcomes, copied 2 and 23 March 2020). Beside a registry's own record they stay undated: the registry's dates version
# the trial, and ICTRP's rendering of its record is no change of it.
DOCUMENT_VERSIONS = f"""
with dated as (
  select doc_id, trial_id, version_date as own_date, last_update_posted_date,
         coalesce(last_update_submitted_date,
                  case when last_update_posted_date is not null then max(last_update_submitted_date)
                       over (partition by trial_id, last_update_posted_date) end) as submitted,
         case when bool_and(source_format in {ICTRP_FORMATS}) over (partition by trial_id) then download_date end
           as copied
  from doc_trials_as_parsed)
select doc_id, trial_id, coalesce(own_date,
                        case when submitted is not null then max(own_date) over (partition by trial_id, submitted) end,
                        submitted, last_update_posted_date, copied) as version_date
from dated"""


def date_documents(con) -> None:
    """The view doc_trials: doc_trials_as_parsed (each document's trials row) with each document dated by the others
    of its version (DOCUMENT_VERSIONS, computed once into a table: the merge reads doc_trials many times)."""
    con.execute(f"create or replace table doc_versions as {DOCUMENT_VERSIONS}")
    con.execute("""
        create or replace view doc_trials as
        select t.* replace (v.version_date as version_date)
        from doc_trials_as_parsed t join doc_versions v using (doc_id, trial_id)""")


# A trial's documents, first first, for `trials`: the latest version; within a version a structured record (XML,
# JSON) before page text, then the later copy of the registry's record (it carries the registry's own later edits,
# such as a status it set to UNKNOWN), then doc_id for a stable order.
PRECEDENCE = (f"version_date desc nulls last, (source_format in {STRUCTURED_FORMATS}) desc, "
              "download_date desc nulls last, doc_id")
# A document a newer version of its record replaces, for `trials` and its child tables: one of the trial's documents
# is of a later version and of the same format, or a structured record (which states all a page of the registry can).
# A new version is the sponsor's update: what it leaves out was removed, not left unsaid, so the older one fills no gap
# (the 2023 record of NCT00001244 says its maximum age is "N/A"; the 2014 record's "85 Years" is no longer the trial's).
# Copies of one version do fill each other's gaps: what a later copy lacks, the registry left out of its rendering
# (NCT00003911's 2023 copy of its 2013 version has no number of arms). An undated document replaces none and none
# replaces it. (`d` and `n` are rows of doc_trials.)
SUPERSEDED = f"""exists (
    select 1 from doc_trials n
    where n.trial_id = d.trial_id and n.version_date > d.version_date
      and (n.source_format = d.source_format or n.source_format in {STRUCTURED_FORMATS}))"""
# The days something first happened: a newer version that does not state one has not undone it (the 2014 schema states
# no posting day), so these come from superseded documents too and are never REMOVED.
EVENT_DATES = ("first_submitted_date", "first_posted_date", "results_first_submitted_date",
               "results_first_posted_date", "registration_date")
# Fields a record of one format states only in its newer schema: first stated, they are the schema's change, not the
# record's, so never ADDED (the 2014 legacy XML has no start date type or last known status: NCT00003838's 1999 start
# became "Actual" in 2023; nor the results posting day months_to_report_results is counted to)
NEWER_SCHEMA_FIELDS = ("start_date_type", "last_known_status", "months_to_report_results")
# Within one version, for its values in the history: the copy nearest the version's date first (the Archive's own,
# which states no download, else the earliest download). A later copy's differences are the registry's edits since,
# not changes of that version: they are trial_field_conflicts.
_WITHIN_VERSION = f"(source_format in {STRUCTURED_FORMATS}) desc, download_date nulls first, doc_id"
# The trials of two documents or more: only theirs are merged field by field (publishing) and can disagree within a
# version (trial_field_conflicts); where nearly every trial has one document, leaving the others out first is most of
# the saving.
SEVERAL_DOCUMENTS = "select trial_id from doc_trials group by trial_id having count(*) > 1"


# The trials with two versions or more: only they can have changed, so trial_changes' rows are theirs alone
VERSIONED = """select trial_id from doc_trials where version_date is not null
    group by trial_id having count(distinct version_date) > 1"""


def _version_values(versioned_only: bool) -> str:
    """One row per (trial, version): each field from the first document of the version that states it (of the
    trials with two versions or more, when versioned_only), after `versioned` and `ranked_docs` (the documents
    ranked within their version: of those trials only, when versioned_only)."""
    # Only a trial with two versions or more can have changed: the costly part (items, field steps) is computed for
    # those, and ranking every document's hundred fields to keep none cost more than the rest (0.6 s at 100,000)
    picks = ",\n      ".join(f"arg_min({c}, rank) filter (where {_stated(c)}) as {c}" for c in _fields())
    return f"""
  versioned as ({VERSIONED}),
  ranked_docs as (
    select *, row_number() over (partition by trial_id, version_date order by {_WITHIN_VERSION}) as rank
    from doc_trials where version_date is not null
    {"and trial_id in (select trial_id from versioned)" if versioned_only else ""}),
  version_values as (
    select trial_id, version_date,
      {picks}
    from ranked_docs
    group by trial_id, version_date)"""


def _items() -> str:
    """Items per (trial, version, field, match key), from the version's first document with rows of the table
    (of the trials with two versions or more: only they can change)."""
    rows = "\n    union all\n    ".join(
        f"select '{table}' as part, trial_id, doc_id, {field} as field, {_match_key(key)} as key, {value} as value "
        f"from doc_{table} where trial_id in (select trial_id from versioned)"
        for table, (field, key, value) in ITEMS.items())
    part_docs = "\n    union all\n    ".join(f"select distinct '{table}' as part, trial_id, doc_id from doc_{table} "
                                           "where trial_id in (select trial_id from versioned)" for table in ITEMS)
    return f"""
  item_rows as (
    {rows}),
  chosen as (  -- (from the documents alone: the items' text is computed once, for the chosen documents)
    select p.part, d.trial_id, d.version_date, d.doc_id
    from ({part_docs}) p join ranked_docs d using (trial_id, doc_id)
    qualify d.rank = min(d.rank) over (partition by p.part, d.trial_id, d.version_date)),
  items as (  -- (list_sort of a plain list: DuckDB's distinct and ordered aggregates cost a sort per group)
    select part, trial_id, version_date, field, key, array_to_string(list_sort(list(value)), ' | ') as value
    from (select distinct c.part, c.trial_id, c.version_date, i.field, i.key, i.value
          from item_rows i join chosen c using (part, trial_id, doc_id))
    group by part, trial_id, version_date, field, key)"""


TRIAL_VERSIONS = """
select trial_id, version_date, doc_id, source_format
from doc_trials where version_date is not null
order by trial_id, version_date, doc_id"""


# An item REMOVED and another ADDED in one step, alike enough, are one item rewritten: CHANGED ("St. Louis" → "Saint
# Louis", a criterion reworded). Alike: the edit distance of their first _COMPARED_CHARS characters, lower-cased, is
# at most (1 - LIKENESS) of the longer, and each is the other's likest. LIKENESS is measured on blind-labelled pairs
# (tests/data/README_rewritten.md). A step of more than MAX_PAIRS such pairs is left as it is: the comparison costs
# their number times their length squared.
LIKENESS = 0.7
_COMPARED_CHARS = 300
MAX_PAIRS = 10_000


def _rewritten() -> str:
    """CTEs `candidates` and `rewritten` (trial_id, field, from_date, to_date, old_key, new_key, old_value, new_value),
    after `item_changes`: the REMOVED and ADDED items of one step that are one item rewritten (items by their key)."""
    def side(change: str, value: str) -> str:
        return (f"select *, left(lower({value}), {_COMPARED_CHARS}) as compared from item_changes "
                f"where change = '{change}' and pairs <= {MAX_PAIRS}")
    # (levenshtein counts bytes: so do the lengths it is measured against, strlen, "é" two of them)
    longer = "greatest(strlen(r.compared), strlen(a.compared))"
    return f"""
  candidates as (
    select r.trial_id, r.field, r.from_date, r.to_date, r.key as old_key, a.key as new_key, r.old_value, a.new_value,
           1 - levenshtein(r.compared, a.compared) / {longer} as likeness
    from ({side('REMOVED', 'old_value')}) r join ({side('ADDED', 'new_value')}) a using (trial_id, field, to_date)
    -- (the distance is at least the difference in length: pairs that cannot be alike are not compared)
    where abs(strlen(r.compared) - strlen(a.compared)) <= {1 - LIKENESS:.3f} * {longer}),
  rewritten as materialized (
    select trial_id, field, from_date, to_date, old_key, new_key, old_value, new_value from candidates
    qualify likeness >= {LIKENESS}
      and row_number() over (partition by trial_id, field, to_date, old_key order by likeness desc, new_key) = 1
      and row_number() over (partition by trial_id, field, to_date, new_key order by likeness desc, old_key) = 1)"""


# The items' rows of trial_changes, after `item_changes` and _rewritten(): each pair rewritten one CHANGED row.
REWRITTEN_ITEMS = """
select trial_id, field, 'CHANGED' as change, old_value, new_value, from_date, to_date from rewritten
union all
select c.trial_id, c.field, c.change, c.old_value, c.new_value, c.from_date, c.to_date
from item_changes c
where c.change = 'CHANGED'
   or c.change = 'REMOVED' and not exists (select 1 from rewritten r where r.trial_id = c.trial_id and r.field = c.field
                                           and r.to_date = c.to_date and r.old_key = c.key)
   or c.change = 'ADDED' and not exists (select 1 from rewritten r where r.trial_id = c.trial_id and r.field = c.field
                                         and r.to_date = c.to_date and r.new_key = c.key)"""


def trial_changes() -> str:
    """trial_id, field, change, old_value, new_value, from_date, to_date: fields CHANGED between consecutive
    versions that state them; items ADDED, REMOVED or CHANGED (same identity, other details; or one removed and one
    added that are alike: _rewritten) between
    consecutive versions with rows of their table. A version that does not state a field, or has no rows of a
    table, though it has a document that supersedes the one the last value came from (SUPERSEDED: of its format, or
    a structured record) removed it: REMOVED (a field: its old value, new null), as `trials` no longer shows it; a
    value stated again after is ADDED. A version before the first that states a field, holding a document of a format
    that states it there, or before the first with rows, holding documents of every format of that one, did not state
    it yet: the first value is ADDED (an enrollment or primary outcomes first registered years after the trial began;
    NCT00181896's primary completion date, stated by the Archive's page and XML of its last version beside the legacy
    XML). A structured record of another format is no such version: the Archive's XML has no sponsor class for the
    legacy XML of a later version to add; nor are NEWER_SCHEMA_FIELDS added."""
    fields = ", ".join(_fields())
    unpivoted = ", ".join(f"{c}::varchar as {c}" for c in _fields())
    present = ", ".join(f"case when {_stated(c)} then true end as {c}" for c in _fields())
    return f"""
with {_version_values(versioned_only=True)},
  version_formats as (  -- what each version's documents could state: their formats (structured: everything)
    select trial_id, version_date, list(distinct source_format) as formats,
           bool_or(source_format in {STRUCTURED_FORMATS}) as structured
    from ranked_docs group by trial_id, version_date),
  stating as (  -- the formats of each version's documents that state each field
    select trial_id, version_date, field, list(distinct source_format) as formats
    from (select trial_id, version_date, source_format, {present} from ranked_docs)
         unpivot (present for field in ({fields}))
    group by trial_id, version_date, field),
  field_values as (  -- (the formats of the last version that stated the field: a version holding them all, or a
    -- structured record, would state it too; of the next that states it, those of its documents that state it: a
    -- version holding one of them would have stated it)
    select v.trial_id, v.version_date, v.field, v.value, f.formats, f.structured,
           last_value(case when v.value is not null then f.formats end ignore nulls) over (
             partition by v.trial_id, v.field order by v.version_date
             rows between unbounded preceding and 1 preceding) as stated_in,
           first_value(s.formats ignore nulls) over (
             partition by v.trial_id, v.field order by v.version_date
             rows between 1 following and unbounded following) as stated_after
    from (select * from (select trial_id, version_date, {unpivoted} from version_values)
          unpivot include nulls (value for field in ({fields}))) v
    join version_formats f using (trial_id, version_date)
    left join stating s using (trial_id, version_date, field)),
  field_steps as (  -- each version that states the field, removed it, or could have stated it and did not yet
    select trial_id, field, lag(value) over w as old_value, value as new_value,
           lag(version_date) over w as from_date, version_date as to_date
    from field_values
    where value is not null or field not in {EVENT_DATES} and (
            stated_in is not null and (structured or list_has_all(formats, stated_in))
            or stated_in is null and list_has_any(formats, stated_after) and field not in {NEWER_SCHEMA_FIELDS})
    window w as (partition by trial_id, field order by version_date)),
  {_items().lstrip()},
  chosen_formats as (
    select c.part, c.trial_id, c.version_date, d.source_format as format
    from chosen c join ranked_docs d using (trial_id, version_date, doc_id)),
  item_versions as (  -- each version with rows of the table, or without them though it supersedes the last one's
    -- or could have held the next one's
    select part, trial_id, v.version_date, c.format,
           last_value(c.format ignore nulls) over (partition by part, trial_id order by v.version_date
                                                   rows between unbounded preceding and 1 preceding) as stated_in,
           first_value(c.format ignore nulls) over (partition by part, trial_id order by v.version_date
                                                    rows between 1 following and unbounded following) as stated_after,
           v.structured, v.formats
    from (select distinct part, trial_id from chosen) p join version_formats v using (trial_id)
    left join chosen_formats c using (part, trial_id, version_date)),
  steps as (
    select part, trial_id, version_date as to_date,
           lag(version_date) over (partition by part, trial_id order by version_date) as from_date
    from item_versions
    where format is not null or stated_in is not null and (structured or list_contains(formats, stated_in))
                             or stated_in is null and list_contains(formats, stated_after)),
  old as (select s.part, s.trial_id, s.from_date, s.to_date, i.field, i.key, i.value
          from steps s join items i on i.part = s.part and i.trial_id = s.trial_id and i.version_date = s.from_date),
  new as (select s.part, s.trial_id, s.from_date, s.to_date, i.field, i.key, i.value
          from steps s join items i on i.part = s.part and i.trial_id = s.trial_id and i.version_date = s.to_date
          where s.from_date is not null),
  item_changes as materialized (
    select trial_id, field, key,
           case when old.key is null then 'ADDED' when new.key is null then 'REMOVED' else 'CHANGED' end as change,
           old.value as old_value, new.value as new_value, from_date, to_date,
           count(*) filter (where new.key is null) over step * count(*) filter (where old.key is null) over step
             as pairs  -- (of a REMOVED and an ADDED item of the step)
    from old full join new using (part, trial_id, from_date, to_date, field, key)
    where old.key is null or new.key is null or old.value <> new.value
    window step as (partition by trial_id, field, to_date)),
  {_rewritten().lstrip()},
  found as (
    select trial_id, field,
           case when old_value is null then 'ADDED' when new_value is null then 'REMOVED' else 'CHANGED' end as change,
           old_value, new_value, from_date, to_date
    from field_steps where old_value is distinct from new_value and from_date is not null
    union all
    {REWRITTEN_ITEMS}),
  {_cut_otherwise().lstrip()}
select * exclude (words, item, place, before, after),
       case when change = 'CHANGED' then {_letters('old_value')} = {_letters('new_value')}
            else coalesce(length(item) >= {MIN_CUT_CHARS} and place > 0
                          and not regexp_matches(before, '{_WORD_END}') and not regexp_matches(after, '{_WORD_GOES_ON}')
                          and not regexp_matches(regexp_replace(regexp_extract(before, '[^.;:]*$'),
                                                                'not (specified|applicable)', '', 'g'), '{_NEGATED}')
                          and not regexp_matches(after, '{_NOT_AFTER}')
                          and not regexp_matches(after, '{_EXCEPTION_AFTER}'), false)
       end as formatting_only
from (select *, regexp_extract(substr(words, 1, place - 1), '[^|]*$') as before,
             regexp_extract(substr(words, place + length(item)), '^[^|]*') as after
      from (select *, instr(words, item) as place from cut))
order by trial_id, to_date, field, change, old_value, new_value"""


# A criterion REMOVED whose text the next version still holds in the same role, run into another criterion, or ADDED
# whose text the version before held (split out of one), is the criteria cut otherwise, not a change of what they
# require (NCT00504075's exclusions 4 to 19 run together on 2010-01-25 and split again on 2013-02-14): formatting only.
# Its text as _letters() writes it (signs, digits and decimal points kept: "< 1.5" is not "> 15") must lie within one
# of the version's criteria of its type or of none (an untyped criterion: of all), from the start of a word to the end
# of one (a number's too: "at least 10" is not "at least 10.5"), with no negation in the clause before it ("no history
# of prior treatment with …" does not hold "prior treatment with …") or after it ("… is not an exclusion"), nor an
# exception or alternative after it ("… unless it is labeled safe for MRI"); a text shorter than MIN_CUT_CHARS is no
# evidence ("none" is in many a text). (`before` and `after`: the containing criterion's text around the match.)
MIN_CUT_CHARS = 20
_WORD = r"[\pL\pN]"
_WORD_END = rf"({_WORD}|\pN[.,])$"  # the match starts within a word or a number ("10" in "… 10.5")
_WORD_GOES_ON = rf"^({_WORD}|[.,]\pN)"
# a negation up to three words before, in the same clause (after the last "." ";" or ":"; "Not specified", the older
# records' word for no requirement, is none)
_NEGATED = (rf"(^|[^\pL\pN])(no|not|non|nor|never|neither|without|absence of|free of)([^\pL\pN]+{_WORD}+){{0,3}}"
            r"[^\pL\pN]*$")
_NOT_AFTER = (r"^[^\pL\pN]*((is|are|was|were|will|must|should|need|does|do)[^\pL\pN]+)?(be[^\pL\pN]+)?"
              r"(not|never)([^\pL\pN]|$)")
# an exception or an alternative right after it ("… unless labeled safe for MRI", "… (unless PTT is elevated …)",
# "Implanted insulin pump or drug infusion device")
_EXCEPTION_AFTER = (r"^[\s,;:(-]*(\([^)]*\)[\s,;:-]*)?"
                    r"(unless|except|excluding|other than|but|if|provided|as long as|apart from|or|and/or)"
                    r"([^\pL\pN]|$)")


def _cut_otherwise() -> str:
    """CTEs `criteria_words` (per version and role, INCLUSION or EXCLUSION: its criteria of that type or none; ANY:
    all, run together in their document's order) and `cut` (the rows of `found`, each criterion ADDED or REMOVED with
    the other version's `words` of its role and its own text, `item`), after `chosen` and `found`."""
    value = "coalesce(c.old_value, c.new_value)"
    typed = "'^(INCLUSION|EXCLUSION): '"  # (a criterion's item text, ITEMS: its type, if any, before its text)
    return f"""
  criteria_words as (
    select e.trial_id, e.version_date, r.role,
           string_agg(e.text, ' | ' order by e.criterion_type is not null,
                      e.criterion_type = 'EXCLUSION', e.ordinal) as words  -- (untyped, inclusions, exclusions)
    from (select c.trial_id, c.version_date, e.criterion_type, e.ordinal, {_letters('e.text')} as text
          from doc_eligibility_criteria e join chosen c on c.part = 'eligibility_criteria' and c.trial_id = e.trial_id
                                                           and c.doc_id = e.doc_id) e
    join (values ('INCLUSION'), ('EXCLUSION'), ('ANY')) r(role)
      on r.role = 'ANY' or e.criterion_type is null or e.criterion_type = r.role
    group by e.trial_id, e.version_date, r.role),
  cut as (
    select c.*, w.words,
           case when w.words is not null then {_letters(f"regexp_replace({value}, {typed}, '')")} end as item
    from found c left join criteria_words w on w.trial_id = c.trial_id and c.field = 'eligibility_criterion'
      and w.version_date = case c.change when 'ADDED' then c.from_date when 'REMOVED' then c.to_date end
      and w.role = coalesce(nullif(regexp_extract({value}, {typed}, 1), ''), 'ANY'))"""


def _letters(value: str) -> str:
    """A value lower-cased, its white space one space, without the punctuation it ends with, its typographic quotes
    and dashes made plain: two values alike so differ only in case, spacing or typography ("Adolescents with" →
    "Adolescents  With", "Children’s" → "Children's", "uncooperative.." → "uncooperative."), never in a sign, a digit,
    a decimal point or a space between words or digits ("< 18" → "> 18", "1.5" → "15", "2 5" → "25" are content)."""
    plain = f"regexp_replace(translate({value}, '’‘“”–—‐', '''''\"\"---'), '\\s+', ' ', 'g')"
    return f"lower(trim(regexp_replace({plain}, '[.;,:]+ ?$', '')))"


def trial_history() -> str:
    """Per trial, the columns joined into `trials`: version_date (its latest version), versions,
    enrollment_planned (the first ESTIMATED enrollment, by version) and primary_outcomes_changed (the
    primary outcome measures of its first version with outcomes differ from those of its last; null
    when fewer than two versions list outcomes)."""
    return f"""
with {_version_values(versioned_only=False)},
  {_items().lstrip()},
  primary_sets as (
    select c.trial_id, c.version_date,
           coalesce(list_sort(list(i.key) filter (where i.field = 'primary_outcome')), []) as measures
    from chosen c left join items i using (part, trial_id, version_date)
    where c.part = 'outcomes' group by c.trial_id, c.version_date),
  outcome_history as (
    select trial_id, arg_min(measures, version_date) <> arg_max(measures, version_date) as primary_outcomes_changed
    from primary_sets group by trial_id having count(*) > 1),
  versions as (
    select trial_id, max(version_date) as version_date, count(*) as versions,
           arg_min(enrollment, version_date) filter (where enrollment_type = 'ESTIMATED' and enrollment is not null)
             as enrollment_planned
    from version_values group by trial_id)
select t.trial_id, v.version_date, coalesce(v.versions, 0) as versions, v.enrollment_planned, o.primary_outcomes_changed
from (select distinct trial_id from doc_trials) t left join versions v using (trial_id) left join outcome_history o using (trial_id)
order by t.trial_id"""


def trial_field_conflicts() -> str:
    """Where documents of one version of a trial disagree: per field, each value with the documents that
    state it. (Documents of different dates are different versions: their differences are trial_changes.)"""
    # (the dates stated besides the version's: two documents put in one version by different dates show here)
    fields = [c for c in _fields() if c != "registry"] + ["last_update_posted_date", "last_update_submitted_date"]
    unpivoted = ", ".join(f"{c}::varchar as {c}" for c in fields)
    return f"""
with long as (  -- (only where a version has two documents or more: one document cannot disagree with itself; the
    -- trials of one document are left out first, before their hundred fields are cast)
    unpivot (select trial_id, version_date, doc_id, {unpivoted} from doc_trials
             where trial_id in ({SEVERAL_DOCUMENTS})
             qualify count(*) over (partition by trial_id, version_date) > 1)
    on {", ".join(fields)} into name field value value),
  per_value as (
    select trial_id, version_date, field, value, list_sort(list(doc_id)) as doc_ids
    from long group by trial_id, version_date, field, value)
select trial_id, version_date, field, list_sort(list({{'value': value, 'doc_ids': doc_ids}})) as "values"
from per_value group by trial_id, version_date, field having count(*) > 1
order by trial_id, version_date nulls last, field"""
