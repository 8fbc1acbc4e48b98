"""Linking registrations of one study, measured on real records: records of the ClinicalTrials.gov 2023 and 2014
archives (legacy XML, many naming another NCT record as alias or secondary id, some naming EudraCT numbers and
ISRCTNs) and the ICTRP CSV, plus the partner registrations the corpus lacks (an EU CTR and an ISRCTN record of
trials the archive names), generated here from real ICTRP rows. The job runs whole; `pipeline.linking`'s SQL
then runs over the published tables, and its links are compared with links derived here from the raw files
with the standard library alone."""
from __future__ import annotations

import csv
import io
import re
import shutil
import tarfile
import unicodedata
import xml.etree.ElementTree as ET
from collections import defaultdict
from datetime import date

import duckdb
import pytest

from pipeline import linking, report
from schemas import schema
from tests.conftest import CORPUS, run_job

ARCHIVES = (CORPUS / "ctgov_legacy_xml_2023.tar.xz", CORPUS / "ctgov_legacy_xml_2014.tar.xz")
# records NCT00000102–NCT00001999 (in 2023 some name as alias a record that only the 2014 archive holds) and
# NCT0049xxxx (EudraCT numbers in every spelling): the whole archives would take many minutes to run
_SAMPLE = re.compile(r"/NCT0000[01]\d{3}\.xml$|/NCT0049\d{4}\.xml$")
ICTRP_CSV = CORPUS / "ictrp" / "COVID19-927-trials_7Apr2020.csv"
ICTRP_XML = CORPUS / "ictrp" / "ICTRP-Results_18Mar2020.xml"
WHO_XML = CORPUS / "who_xml" / "ChiCTR2000034346.xml"

# Partner registrations, made from a real EU CTR row and a real ISRCTN row of the ICTRP CSV: (TrialID as
# ICTRP writes it, the row it copies, the secondary ids it lists). NCT00492258 names both EudraCT 2006-006079-19
# and ISRCTN38934710; NCT00490646 names "Eudract No: 2007-000721-21"; NCT00002490 names ISRCTN65282717.
PARTNERS = (
    ("EUCTR2006-006079-19-GB", "EUCTR2015-002340-14-NL", ""),
    ("ISRCTN38934710", "ISRCTN50189673", "EudraCT 2006-006079-19; NCT 00492258"),
    ("EUCTR2007-000721-21-DE", "EUCTR2015-002340-14-NL", ""),
    ("ISRCTN65282717", "ISRCTN50189673", ""),
    # names an EudraCT number only: shares it with NCT00496392 ("2006-002087-26"), whose EU CTR record is absent
    ("ISRCTN11111111", "ISRCTN50189673", "2006-002087-26"),
)
_EUDRACT = re.compile(r"\b(\d{4}-\d{6}-\d{2})\b")
_NCT = re.compile(r"NCT ?(\d{8})")
_ISRCTN = re.compile(r"ISRCTN(\d{8})")


def _named(value: str) -> set[str]:
    """The registrations an id value names, written as the warehouse's trial ids (independent of the pipeline)."""
    return ({f"NCT{n}" for n in _NCT.findall(value)} | {f"ISRCTN{n}" for n in _ISRCTN.findall(value)}
            | {f"EUCTR{n}" for n in _EUDRACT.findall(value) if not n[5:].startswith(("5", "6", "7", "8", "9"))})


def _partner_csv() -> str:
    with ICTRP_CSV.open(encoding="utf-8-sig", newline="") as f:
        header, *rows = list(csv.reader(f))
    by_id = {row[0]: row for row in rows}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*header, "Secondary IDs"])
    for trial_id, template, secondary in PARTNERS:
        writer.writerow([trial_id, *by_id[template][1:], secondary])
    return out.getvalue()


pytestmark = pytest.mark.slow  # one run of the job over about 3,400 records


@pytest.fixture(scope="module")
def linked(tmp_path_factory):
    """(duckdb connection holding trials, identifiers, documents, trial_links, trial_clusters; the expected links;
    the registrations present; the trial id of every raw record)."""
    base = tmp_path_factory.mktemp("linking")
    raw = base / "raw"
    raw.mkdir()
    shutil.copy(ICTRP_CSV, raw)
    shutil.copy(ICTRP_XML, raw)  # 567 of its 578 trials are in the CSV too: two records, one registration
    (raw / "partners.csv").write_text(_partner_csv(), encoding="utf-8")
    # the ChiCTR data set record naming an NCT trial of the ICTRP CSV as its secondary id
    (raw / WHO_XML.name).write_text(WHO_XML.read_text(encoding="utf-8").replace(
        "<sec_id/>", "<sec_id>NCT04246242</sec_id>"), encoding="utf-8")
    named: dict[str, set[str]] = defaultdict(set)  # trial id → registrations its own ids name, read independently
    for archive in ARCHIVES:  # one version of each trial: the 2023 one, else the 2014 one
        with tarfile.open(archive, "r:xz") as tf:
            for member in tf:
                if member.isfile() and _SAMPLE.search(member.name):
                    record = tf.extractfile(member).read()
                    ids = ET.fromstring(record).find("id_info")
                    own = ids.findtext("nct_id")
                    if own in named:
                        continue
                    (raw / f"{own}.xml").write_bytes(record)
                    named[own] |= {n for el in ids if el.tag != "nct_id" for n in _named(el.text or "")} - {own}
    assert run_job(raw, base / "out").success
    con = duckdb.connect()
    for table in ("trials", "identifiers", "documents"):
        con.execute(f"create view {table} as select * from read_parquet('{base / 'out' / table}/**/*.parquet')")
    # two archive records are quarantined for repeated interventions (a reader matter, not linking's)
    for (trial_id,) in con.execute("select regexp_extract(doc_id, 'NCT\\d{8}') from documents "
                                   "where status = 'quarantined'").fetchall():
        del named[trial_id]
    records = list(named)
    # (an EU CTR member state's record is its trial's; ICTRP writes Japan's registries' ids after "JPRN-")
    with ICTRP_CSV.open(encoding="utf-8-sig", newline="") as f:
        records += [re.sub(r"^(EUCTR\d{4}-\d{6}-\d{2})-[A-Z]+$|^JPRN-(.*)$", r"\1\2", row["TrialID"])
                    for row in csv.DictReader(f)]
    records += [t.findtext("TrialID").removeprefix("JPRN-") for t in ET.parse(ICTRP_XML).getroot()]
    for trial_id, _, secondary in PARTNERS:
        own = re.sub(r"-[A-Z]{2}$", "", trial_id)
        named[own] |= _named(secondary) - {own}
        records.append(own)
    named["ChiCTR2000034346"] |= {"NCT04246242"}
    records.append("ChiCTR2000034346")
    for own in records:
        named[own] |= set()

    present = set(named)
    expected = set()
    for a, ids in named.items():
        for b in ids & present:
            expected |= {(a, b, "SECONDARY_ID"), (b, a, "SECONDARY_ID")}
        for c, other in named.items():
            shared = {i for i in ids & other if i.startswith("EUCTR")}
            if c != a and shared:
                expected.add((a, c, "SAME_EUDRACT_NUMBER"))

    expected |= _same_titles(con.execute("select trial_id, registry, brief_title, official_title from trials"))
    linking.link(con)
    yield con, expected, present, records
    con.close()


def _same_titles(trials) -> set[tuple[str, str, str]]:
    """SAME_TITLE links, in Python: registrations of two registries going by one title of six words or more (case,
    accents, white space and punctuation aside; or one bare of a last parenthesis or " - " part the other never had)
    that no other registration of either registry goes by."""
    by_title = defaultdict(lambda: defaultdict(set))  # folded title → registry → {(trial id, bare)}
    for trial_id, registry, *titles in trials.fetchall():
        for title in filter(None, titles):
            plain = "".join(ch for ch in unicodedata.normalize("NFD", title) if not unicodedata.combining(ch)).lower()
            bare = re.sub(r"(\s+-\s+[^-]{1,40}|\s*\([^()]{1,40}\))\s*$", "", plain)
            for text, is_bare in ((plain, False), (bare, True)):
                words = re.sub(r"(?:[^\w<>=≤≥%+]|_)+", " ", text).split()
                if len(words) >= 6 and (not is_bare or bare != plain):
                    by_title[" ".join(words)][registry].add((trial_id, is_bare))
    links = set()
    for registries in by_title.values():
        telling = [ids for ids in registries.values() if len({t for t, _ in ids}) == 1]
        links |= {(a, b, "SAME_TITLE") for x in telling for y in telling if x is not y
                  for a, bare_a in x for b, bare_b in y if not (bare_a and bare_b)}
    return links


def test_the_warehouse_holds_the_registrations_read_independently(linked):
    con, _, present, _ = linked
    assert {t for (t,) in con.execute("select trial_id from trials").fetchall()} == present


def test_links_are_exactly_those_the_records_ids_and_titles_imply(linked):
    con, expected, _, _ = linked
    found = set(con.execute("select trial_id, linked_trial_id, evidence from trial_links").fetchall())
    true_positive = found & expected
    precision, recall = len(true_positive) / len(found), len(true_positive) / len(expected)
    print(f"links: {len(found)} found, {len(expected)} expected, precision {precision:.3f}, recall {recall:.3f}")
    assert found - expected == set()  # no link without evidence
    assert expected - found == set()  # every link the ids imply
    # the cases read by hand: alias, EudraCT written with words around it, "NCT 00492258", a shared EudraCT number
    assert {("NCT00000145", "NCT00001312", "SECONDARY_ID"), ("NCT00490646", "EUCTR2007-000721-21", "SECONDARY_ID"),
            ("ISRCTN38934710", "NCT00492258", "SECONDARY_ID"), ("NCT00492258", "EUCTR2006-006079-19", "SECONDARY_ID"),
            ("ISRCTN38934710", "EUCTR2006-006079-19", "SECONDARY_ID"),
            ("NCT00496392", "ISRCTN11111111", "SAME_EUDRACT_NUMBER"),
            ("ChiCTR2000034346", "NCT04246242", "SECONDARY_ID")} <= found
    # registrations naming no other, read by hand as one study (sponsor, size, dates): "… Due to COVID-19 (SARPAC)" and
    # "… due to COVID-19", "… in Hospitalized Adults" and "… in hospitalized adults - DisCoVeRy", "… Disease
    # (COVID-19)" and "… Disease"; and the links hold to the table's schema
    assert {("NCT04326920", "EUCTR2020-001254-22", "SAME_TITLE"), ("NCT04315948", "EUCTR2020-000936-23", "SAME_TITLE"),
            ("ACTRN12620000421932", "UMIN000039686", "SAME_TITLE")} <= found
    schema("trial_links").validate(con.sql("select * from trial_links").pl())
    # ids that look like registrations but are not: "EUDRACT-58585610" (NCT00004218), "eudraCT 2005-06-01" (NCT00495183)
    assert con.execute("select count(*) from trial_links where trial_id in ('NCT00004218', 'NCT00495183') "
                       "and linked_trial_id like 'EUCTR%'").fetchone() == (0,)
    # every link names the document whose ids gave it
    assert con.execute("select count(*) from trial_links where doc_id is null").fetchone() == (0,)


def test_a_title_links_only_where_it_tells_one_study_apart():
    """SAME_TITLE on titles written to test its limits: a title bare of its acronym matches one that never had it
    (SARPAC), not one with another ("(KEYNOTE-158)" and "(KEYNOTE-028)"); a comparison sign or a Greek letter is no
    punctuation; a title two trials of one registry go by links neither; a short title links nothing."""
    con = duckdb.connect()
    con.execute("""create table trials as select *, null::date as registration_date from (values
        ('NCT1', 'CTGOV', ['d1'], 'Pembrolizumab in Patients With Advanced Solid Tumors of Many Kinds (KEYNOTE-158)'),
        ('EUCTR1', 'EUCTR', ['d2'], 'Pembrolizumab in patients with advanced solid tumors of many kinds (KEYNOTE-028)'),
        ('NCT2', 'CTGOV', ['d3'], 'Vaccine Trial in Adults Aged >=65 Years With Chronic Disease'),
        ('ISRCTN2', 'ISRCTN', ['d4'], 'Vaccine trial in adults aged <65 years with chronic disease'),
        ('NCT3', 'CTGOV', ['d5'], 'Sargramostim in Patients With Acute Hypoxic Respiratory Failure (SARPAC)'),
        ('EUCTR3', 'EUCTR', ['d6'], 'Sargramostim in patients with acute hypoxic respiratory failure'),
        ('NCT4', 'CTGOV', ['d7'], 'IFN-α for patients with severe novel coronavirus pneumonia'),
        ('ChiCTR4', 'CHICTR', ['d8'], 'IFN-β for patients with severe novel coronavirus pneumonia'),
        ('ChiCTR5', 'CHICTR', ['d9'], 'Traditional Chinese Medicine for novel coronavirus pneumonia'),
        ('ChiCTR6', 'CHICTR', ['d10'], 'Traditional Chinese medicine for novel coronavirus pneumonia.'),
        ('ITMCTR5', 'ITMCTR', ['d11'], 'Traditional Chinese Medicine for Novel Coronavirus Pneumonia'),
        ('NCT7', 'CTGOV', ['d12'], 'Sarilumab COVID-19'), ('EUCTR7', 'EUCTR', ['d13'], 'Sarilumab COVID-19'),
        ('NCT8', 'CTGOV', ['d14'], null), ('EUCTR8', 'EUCTR', ['d15'], '!!! ... ???')
        ) t(trial_id, registry, source_doc_ids, brief_title), (select null::varchar as official_title)""")
    con.execute("create table identifiers as "
                "select '' as trial_id, '' as id_type, '' as id_value, '' as doc_id where false")
    linking.link(con)
    found = set(con.execute("select trial_id, linked_trial_id, evidence from trial_links").fetchall())
    assert found == {("NCT3", "EUCTR3", "SAME_TITLE"), ("EUCTR3", "NCT3", "SAME_TITLE")}
    assert found == _same_titles(con.execute("select trial_id, registry, brief_title, official_title from trials"))


def test_a_japanese_trial_is_linked_by_its_registrys_id_or_ictrps():
    """A record names a Japanese trial as its registry writes it ("UMIN000039686") or as ICTRP does
    ("JPRN-jRCTs031190226"): both link to the trial, which goes by its registry's id; UMIN's older ids, which only
    ICTRP's prefix tells apart ("JPRN-C000000079"), keep it. Through DuckDB's regular expressions, as publishing
    finds them."""
    con = duckdb.connect()
    con.execute("""create table trials as select *, null::date as registration_date, null::varchar as brief_title,
                   null::varchar as official_title from (values
        ('NCT1', 'CTGOV', ['d1']), ('UMIN000039686', 'JPRN', ['d2']), ('jRCTs031190226', 'JPRN', ['d3']),
        ('JPRN-C000000079', 'JPRN', ['d4'])) t(trial_id, registry, source_doc_ids)""")
    con.execute("""create table identifiers as select * from (values
        ('NCT1', 'SECONDARY_ID', 'UMIN000039686', 'd1'), ('NCT1', 'SECONDARY_ID', 'JPRN-jRCTs031190226', 'd1'),
        ('NCT1', 'SECONDARY_ID', 'UMIN: C000000079 (JPRN-C000000079)', 'd1')) t(trial_id, id_type, id_value, doc_id)""")
    linking.link(con)
    assert set(con.execute("select linked_trial_id from trial_links where trial_id = 'NCT1'").fetchall()) == {
        ("UMIN000039686",), ("jRCTs031190226",), ("JPRN-C000000079",)}


def test_each_trial_is_in_one_cluster_whose_primary_follows_the_registry_order(linked):
    con, expected, present, _ = linked
    rows = con.execute("select trial_id, cluster_id, is_primary from trial_clusters").fetchall()
    assert sorted(t for t, _, _ in rows) == sorted(present)
    cluster = {t: c for t, c, _ in rows}
    groups = _components(present, expected)
    assert sorted(sorted(g) for g in groups) == sorted(
        sorted(members) for members in _by_value(cluster).values())
    assert all(is_primary == (t == c) for t, c, is_primary in rows)
    # ClinicalTrials.gov first, then EU CTR, then ISRCTN
    assert cluster["EUCTR2006-006079-19"] == cluster["ISRCTN38934710"] == "NCT00492258"
    assert cluster["ISRCTN11111111"] == "NCT00496392"
    assert cluster["ChiCTR2000034346"] == "NCT04246242"
    assert cluster["EUCTR2020-001254-22"] == cluster["NCT04326920"] == "NCT04326920"
    print(f"registrations {len(present)}, clusters {len(groups)}")


def _components(present: set[str], links) -> list[set[str]]:
    """Connected components of the links, by union-find (independent of the SQL's recursive CTE)."""
    parent = {t: t for t in present}

    def root(t):
        while parent[t] != t:
            t = parent[t]
        return t
    for a, b, _ in links:
        parent[root(a)] = root(b)
    groups = defaultdict(set)
    for t in present:
        groups[root(t)].add(t)
    return list(groups.values())


def _by_value(mapping: dict[str, str]) -> dict[str, set[str]]:
    out = defaultdict(set)
    for key, value in mapping.items():
        out[value].add(key)
    return out


def test_prospectively_registered_is_registration_on_or_before_start(linked):
    con, _, _, _ = linked
    rows = dict(con.execute(f"select trial_id, {linking.PROSPECTIVELY_REGISTERED_SQL} from trials where trial_id in "
                            "('TCTR20200321001', 'IRCT20100228003449N28', 'NCT04246242', 'NL8483')").fetchall())
    # TCTR: registered and started 20/03/2020; IRCT: registered 2020-03-19, started 2020-03-15;
    # NCT04246242: 27/01/2020 and January 25, 2020; NL8483: 26/03/2020 and 16/03/2020
    assert rows == {"TCTR20200321001": True, "IRCT20100228003449N28": False, "NCT04246242": False, "NL8483": False}
    # ClinicalTrials.gov records: registration_date is the date first received (study_first_submitted, the older
    # schema's firstreceived_date), never the later posting date
    assert con.execute("select count(*) from trials where registry = 'CTGOV' and registration_date is null "
                       "and first_posted_date is not null").fetchone() == (0,)
    later, same = con.execute("select count(*) filter (where registration_date > first_submitted_date), "
                              "count(*) filter (where registration_date = first_submitted_date) from trials "
                              "where registry = 'CTGOV'").fetchone()
    assert later == 0 and same > 0
    # … nor after the day it first posted the record: NIH records posted 1999-11-04 whose submission the registry
    # dates 2006 or 2007
    assert con.execute("select count(*) from trials where registration_date > first_posted_date").fetchone() == (0,)
    assert con.execute("select registration_date, first_submitted_date from trials where trial_id = 'NCT00001842'"
                       ).fetchone() == (date(1999, 11, 4), date(2007, 7, 31))


def _per_registry(trial_ids) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for trial_id in trial_ids:
        counts[next(code for prefix, code in _PREFIXES.items() if trial_id.startswith(prefix))] += 1
    return dict(counts)


_PREFIXES = {"NCT": "CTGOV", "ChiCTR": "CHICTR", "EUCTR": "EUCTR", "ISRCTN": "ISRCTN", "ACTRN": "ANZCTR",
             "IRCT": "IRCT", "NL": "NTR", "UMIN": "JPRN", "jRCT": "JPRN", "TCTR": "TCTR", "DRKS": "DRKS"}


def test_registry_flow_counts_records_registrations_and_studies(linked):
    con, expected, present, records = linked
    flow = {row[0]: row[1:] for row in report.registry_flow(con)}
    assert {registry: row[:2] for registry, row in flow.items() if registry != "total"} == {
        registry: (_per_registry(records)[registry], n) for registry, n in _per_registry(present).items()}
    # linked registrations make one study
    assert flow["total"] == (len(records), len(present), len(_components(present, expected)))
    print("registry flow:", flow)
