"""The structured-records issue's done-when check, through the real Dagster job: the 2014 legacy XML archive,
the legacy XML folder, the API v2 JSON folder and the seed pages dropped into one raw folder give one trial
per distinct NCT id, every document parsed or quarantined with a reason, and the seeds' trials backed by both
their page and their XML. What each input holds is read here with the standard library alone (tarfile,
ElementTree, json, re), never with the project's readers."""
from __future__ import annotations

import json
import re
import shutil
import tarfile
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from tests.conftest import CORPUS, SEEDS, query, run_job

ARCHIVE = CORPUS / "ctgov_legacy_xml_2014.tar.xz"
XML_DIR = CORPUS / "ctgov_xml"
JSON_DIR = CORPUS / "ctgov_api_v2_json"
ARCHIVE_HTML_DIR = CORPUS / "ctgov_archive_html"
# The seed pages are text; which trial and layout each is was read off the pages by hand.
SEED_PAGES = {"000_a62e3166a47b076d.txt": ("NCT02302599", "veeva_text"),
              "002_d4776af7e2f4cbf7.txt": ("NCT01374854", "ctgov_classic"),
              "003_e4d3ef1e73982f60.txt": ("NCT01219465", "veeva_text")}


def _xml_documents() -> list[tuple[str, str, str]]:
    """(doc_id, NCT id, source_format) of every legacy XML record: archive members, then the folder."""
    docs = []
    with tarfile.open(ARCHIVE, "r|xz") as tf:
        for member in tf:
            if member.isfile():
                nct = ET.fromstring(tf.extractfile(member).read()).findtext("id_info/nct_id")
                docs.append((f"{ARCHIVE.name}!{member.name}", nct, "ctgov_xml"))
    for path in sorted(XML_DIR.glob("*.xml")):
        docs.append((f"{XML_DIR.name}/{path.name}", ET.parse(path).getroot().findtext("id_info/nct_id"), "ctgov_xml"))
    return docs


def _json_documents() -> list[tuple[str, str, str]]:
    """One document per study; a search page of several studies names each `file#NCT…`."""
    docs = []
    for path in sorted(JSON_DIR.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        studies = data["studies"] if "studies" in data else [data]
        for study in studies:
            nct = study["protocolSection"]["identificationModule"]["nctId"]
            doc_id = f"{JSON_DIR.name}/{path.name}" + (f"#{nct}" if len(studies) > 1 else "")
            docs.append((doc_id, nct, "ctgov_api_v2_json"))
    return docs


def _seed_documents() -> list[tuple[str, str, str]]:
    assert sorted(p.name for p in SEEDS.iterdir()) == sorted(SEED_PAGES)
    for name, (nct, _) in SEED_PAGES.items():
        assert nct in (SEEDS / name).read_text(encoding="utf-8")
    return [(f"{SEEDS.name}/{name}", nct, fmt) for name, (nct, fmt) in SEED_PAGES.items()]


def _sources_by_trial(docs) -> dict[str, list[str]]:
    sources = defaultdict(list)
    for doc_id, nct, _ in docs:
        sources[nct].append(doc_id)
    return {nct: sorted(doc_ids) for nct, doc_ids in sources.items()}


def _check_warehouse(out: Path, docs: list[tuple[str, str, str]]) -> None:
    """The done-when conditions over one run's warehouse, against the documents read independently."""
    distinct = {nct for _, nct, _ in docs}
    # one trial per distinct NCT id, and exactly those ids
    assert query(out, "select count(*) from trials") == [(len(distinct),)]
    assert {row[0] for row in query(out, "select trial_id from trials")} == distinct
    # nothing lost silently: one documents row per input document, parsed without an error or quarantined with one
    rows = query(out, "select doc_id, source_format, trial_id, status, error from documents")
    assert sorted(row[0] for row in rows) == sorted(doc_id for doc_id, _, _ in docs)
    assert [row for row in rows if (row[3], row[4] is None) not in (("parsed", True), ("quarantined", False))] == []
    # … and here nothing is quarantined: every input is a well-formed record of a known layout
    assert query(out, "select doc_id, error from quarantine") == []
    assert {row[0]: (row[2], row[1]) for row in rows} == {doc_id: (nct, fmt) for doc_id, nct, fmt in docs}
    assert dict(query(out, "select source_format, count(*) from documents group by 1")) == dict(
        Counter(fmt for _, _, fmt in docs))
    # every document behind a trial is listed in trial_sources, exactly one of them chosen
    listed = defaultdict(list)
    for trial_id, doc_id in query(out, "select trial_id, doc_id from trial_sources"):
        listed[trial_id].append(doc_id)
    assert {nct: sorted(doc_ids) for nct, doc_ids in listed.items()} == _sources_by_trial(docs)
    assert query(out, "select count(*) from trial_sources where chosen") == [(len(distinct),)]


@pytest.mark.slow
def test_all_registry_records_and_seeds_give_one_trial_per_nct_id(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(ARCHIVE, raw)
    for folder in (XML_DIR, JSON_DIR, SEEDS):
        shutil.copytree(folder, raw / folder.name)
    docs = _xml_documents() + _json_documents() + _seed_documents()
    assert run_job(raw, tmp_path / "out").success
    out = tmp_path / "out"
    _check_warehouse(out, docs)
    # the two seeds with registry XML: the page and the XML of the same trial, the XML chosen
    assert query(out, "select trial_id, doc_id, source_format, chosen from trial_sources "
                      "where trial_id in ('NCT01219465', 'NCT01374854') order by trial_id, precedence") == [
        ("NCT01219465", "ctgov_xml/NCT01219465.xml", "ctgov_xml", True),
        ("NCT01219465", "seeds/003_e4d3ef1e73982f60.txt", "veeva_text", False),
        ("NCT01374854", "ctgov_xml/NCT01374854.xml", "ctgov_xml", True),
        ("NCT01374854", "seeds/002_d4776af7e2f4cbf7.txt", "ctgov_classic", False),
    ]


def test_archive_pages_merge_with_the_xml_of_the_same_trial(tmp_path):
    """The ClinicalTrials.gov Archive pages with the XML folder: every page parsed (NCT01597011, whose
    observational groups have no arm type, used to be quarantined), each beside its trial's XML."""
    raw = tmp_path / "raw"
    for folder in (ARCHIVE_HTML_DIR, XML_DIR):
        shutil.copytree(folder, raw / folder.name)
    docs = [(f"{XML_DIR.name}/{p.name}", ET.parse(p).getroot().findtext("id_info/nct_id"), "ctgov_xml")
            for p in sorted(XML_DIR.glob("*.xml"))]
    for path in sorted(ARCHIVE_HTML_DIR.glob("*.html")):
        (nct,) = set(re.findall(r"View of (NCT\d{8}) on", path.read_text(encoding="utf-8")))
        docs.append((f"{ARCHIVE_HTML_DIR.name}/{path.name}", nct, "ctgov_archive"))
    assert run_job(raw, tmp_path / "out").success
    _check_warehouse(tmp_path / "out", docs)
