"""One study, several registrations: `trial_links` and `trial_clusters` as DuckDB SQL over published tables.

Links cross trials (an NCT record naming a EudraCT number links to that EU CTR trial), so they are
computed after the merge, over two relations: `trials` (trial_id, registry, registration_date, titles) and
`identifiers` (trial_id, id_type, id_value, doc_id). Only what the records state makes a link:
- SECONDARY_ID: a registration's identifier contains another registration's id, found with the
  registries' id patterns of `vocabulary.REGISTRATIONS` anywhere in the value ("EudraCT-number:
  2004-001729-11", "NCT 01234567") and normalised (→ EUCTR2004-001729-11, NCT01234567);
- SAME_EUDRACT_NUMBER: two registrations, neither of them the EU CTR one, name the same EudraCT number;
- SAME_TITLE: registrations in two registries go by the same title (brief or official, either way round), of
  TITLE_WORDS words or more once case, accents and punctuation are folded and a trailing "(ACRONYM)" or " - ACRONYM"
  dropped, and no other registration of either registry goes by it. Registries copy a study's title word for word
  ("Sargramostim in Patients With Acute Hypoxic Respiratory Failure Due to COVID-19 (SARPAC)", NCT04326920, and
  EUCTR2020-001254-22's "… due to COVID-19") where neither names the other's id; a short title ("Sarilumab
  COVID-19") or one a registry gives two of its trials tells no study apart.
Both ends must be trials of the warehouse; an id naming a registration the inputs do not hold stays an
identifier. A cluster is the connected registrations; the one standing for it (cluster_id) is the
ClinicalTrials.gov one, else EU CTR, else ISRCTN, else the earliest registered, then the lowest id.
The SQL comes in steps so that publishing can run it incrementally: the ids a trial's identifiers name are found
for the changed buckets only, and links and clusters are computed over those names, not over every trial.
"""
from __future__ import annotations

import duckdb

from pipeline.vocabulary import REGISTRATIONS

PRIMARY_REGISTRIES = ("CTGOV", "EUCTR", "ISRCTN")
# The trials column the publisher computes on the merged row: null when either date is unknown.
PROSPECTIVELY_REGISTERED_SQL = "registration_date <= start_date"

# The registrations each identifier names: computed per bucket as its identifiers change (`named_ids`).
NAMED_IDS_SQL = "\nunion all\n".join(
    f"""select i.trial_id, i.doc_id, '{code}' as registry, '{prefix}' || regexp_replace(m, '\\s', '', 'g') as named_id
from identifiers i, unnest(regexp_extract_all(i.id_value, '{pattern}', 1)) as found(m)"""
    for code, pattern, prefix in REGISTRATIONS
)

TITLE_WORDS = 6
TITLE = "title:"  # what a title's named_id in `named_ids` opens with, before the folded title's md5 ("~" first: bare)


def title_keys_sql(trials: str = "trials") -> str:
    """The titles the trials of `trials` (trial_id, registry, source_doc_ids, brief_title, official_title) go by, as
    rows of `named_ids` whose registry is the trial's own (SAME_TITLE tells titles apart within a registry): each
    folded (case, accents, white space and punctuation, not a comparison sign, a letter or a digit: "≥65" is not
    "<65", "IFN-α" not "IFN-β"), and, where it ends in a parenthesis or a " - " part of up to 40 characters, bare of
    it too ("…COVID-19 (SARPAC)", "… adults - DisCoVeRy"), which matches only a title that never had it (not
    "… (KEYNOTE-158)" to "… (KEYNOTE-028)"). Computed per bucket with the ids, so a change finds only its trials'
    titles again."""
    def fold(text: str) -> str:
        return rf"trim(regexp_replace({text}, '[^\pL\pN<>=≤≥%+]+', ' ', 'g'))"
    ending = r"'(\s+-\s+[^-]{1,40}|\s*\([^()]{1,40}\))\s*$'"
    return f"""
select distinct trial_id, doc_id, registry, named_id from (
  select trial_id, doc_id, registry, unnest([whole, bare]) as words,
         unnest(['{TITLE}' || md5(whole), case when bare <> whole then '{TITLE}~' || md5(bare) end]) as named_id
  from (select trial_id, doc_id, registry, {fold("title")} as whole,
               {fold(f"regexp_replace(title, {ending}, '')")} as bare
        from (select trial_id, doc_id, registry, lower(strip_accents(title)) as title
              from (select trial_id, source_doc_ids[1] as doc_id, registry,
                           unnest([brief_title, official_title]) as title from {trials}))))
where named_id is not null and len(string_split(words, ' ')) >= {TITLE_WORDS}"""


# Needs `named_ids` and `trials` (trial_id alone is read).
LINKS_SQL = f"""
with named_other as (select * from named_ids where named_id <> trial_id and not starts_with(named_id, '{TITLE}')),
titles as (select trial_id, doc_id, registry, right(named_id, 32) as title, starts_with(named_id, '{TITLE}~') as bare
           from named_ids where starts_with(named_id, '{TITLE}')),
-- a title two registrations of one registry go by names neither
telling as (select * from titles semi join (select title, registry from titles group by all
                                             having count(distinct trial_id) = 1) using (title, registry)),
links as (
  select n.trial_id, n.named_id as linked_trial_id, 'SECONDARY_ID' as evidence, n.doc_id
  from named_other n where n.named_id in (select trial_id from trials)
  union
  select a.trial_id, b.trial_id, 'SAME_EUDRACT_NUMBER', a.doc_id
  from named_other a join named_other b on a.named_id = b.named_id and a.trial_id <> b.trial_id
  where a.registry = 'EUCTR'
  union
  select a.trial_id, b.trial_id, 'SAME_TITLE', a.doc_id
  from telling a join telling b on a.title = b.title and a.registry <> b.registry and not (a.bare and b.bare)
)
select trial_id, linked_trial_id, evidence, doc_id from links
union
select linked_trial_id, trial_id, evidence, doc_id from links
order by trial_id, linked_trial_id, evidence, doc_id
"""

_PRIMARY_RANK = " ".join(f"when '{code}' then {rank}" for rank, code in enumerate(PRIMARY_REGISTRIES))
# The clusters of the linked registrations only (every other trial is a cluster of its own): needs `trial_links`
# and `trials`, and grows with the links, not with the corpus.
LINKED_CLUSTERS_SQL = f"""
with recursive edges(a, b) as (
  select trial_id, linked_trial_id from trial_links
  union
  select trial_id, trial_id from trial_links
),
reach(a, b) as (
  select a, b from edges
  union
  select reach.a, edges.b from reach join edges on edges.a = reach.b
),
clusters as (
  select reach.a as trial_id,
         first(t.trial_id order by case t.registry {_PRIMARY_RANK} else {len(PRIMARY_REGISTRIES)} end,
                                   t.registration_date nulls last, t.trial_id) as cluster_id
  from reach join trials t on t.trial_id = reach.b
  group by reach.a
)
select trial_id, cluster_id, trial_id = cluster_id as is_primary from clusters order by trial_id
"""


def clusters_sql(trials: str = "trials") -> str:
    """Every trial of `trials` (a relation with trial_id) in its cluster; needs `linked_clusters`."""
    return f"""
select t.trial_id, coalesce(l.cluster_id, t.trial_id) as cluster_id, coalesce(l.is_primary, true) as is_primary
from {trials} t left join linked_clusters l using (trial_id)"""


def link(con: duckdb.DuckDBPyConnection) -> None:
    """Create tables `named_ids`, `trial_links`, `linked_clusters` and `trial_clusters` in `con`, which must hold
    `trials` and `identifiers` (the publisher runs the same SQL a bucket at a time)."""
    con.execute(f"create or replace table named_ids as {NAMED_IDS_SQL} union all {title_keys_sql()}")
    con.execute(f"create or replace table trial_links as {LINKS_SQL}")
    con.execute(f"create or replace table linked_clusters as {LINKED_CLUSTERS_SQL}")
    con.execute(f"create or replace table trial_clusters as {clusters_sql()} order by trial_id")
