"""The 8,125-record legacy XML archive end to end through the Dagster job, against counts taken
independently from the XML with the standard library."""
import re
import shutil
import tarfile
import xml.etree.ElementTree as ET
from collections import defaultdict

import pyarrow.parquet as pq
import pytest

from pipeline.publishing import CLUSTER_ROWS
from tests.conftest import CORPUS, query, run_job

ARCHIVE = CORPUS / "ctgov_legacy_xml_2014.tar.xz"


def _fold(text):
    return " ".join((text or "").split()) or None


def _expected_counts():
    """Distinct rows per trial and table, read straight from the XML (ElementTree, no project code)."""
    rows = defaultdict(set)
    with tarfile.open(ARCHIVE, "r|xz") as tf:
        for member in tf:
            if not member.isfile():
                continue
            root = ET.fromstring(tf.extractfile(member).read())
            nct = root.findtext("id_info/nct_id")
            rows["trials"].add(nct)
            rows["conditions"].update((nct, _fold(c.text)) for c in root.findall("condition"))
            rows["keywords"].update((nct, _fold(k.text)) for k in root.findall("keyword"))
            rows["mesh_terms"].update((nct, _fold(m.text), kind) for path, kind in
                                      (("condition_browse/mesh_term", "C"), ("intervention_browse/mesh_term", "I"))
                                      for m in root.findall(path))
            rows["outcomes"].update(
                (nct, tag, _fold(o.findtext("measure")), _fold(o.findtext("time_frame")), _fold(o.findtext("description")))
                for tag in ("primary_outcome", "secondary_outcome", "other_outcome") for o in root.findall(tag))
            rows["locations"].update(
                (nct, _fold(loc.findtext("facility/name")), _fold(loc.findtext("facility/address/city")),
                 _fold(loc.findtext("facility/address/state")), _fold(loc.findtext("facility/address/zip")),
                 _fold(loc.findtext("facility/address/country")))
                for loc in root.findall("location"))
            rows["collaborators"].update((nct, _fold(c.findtext("agency")))
                                         for c in root.findall("sponsors/collaborator"))
    return {table: len(values) for table, values in rows.items()}


@pytest.mark.slow
def test_legacy_archive_end_to_end(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(ARCHIVE, raw)
    result = run_job(raw, tmp_path / "out")
    assert result.success
    out = tmp_path / "out"
    expected = _expected_counts()
    docs = dict(query(out, "select status, count(*) from documents group by all"))
    quarantined = query(out, "select doc_id, error from quarantine")
    assert docs.get("parsed", 0) + docs.get("quarantined", 0) == 8125, "every member is a document"
    assert docs.get("quarantined", 0) == 0, quarantined[:10]
    for table, count in sorted(expected.items()):
        assert query(out, f"select count(*) from {table}") == [(count,)], table
    # eligibility_criteria is clustered by criterion_type: in every file each type's rows form one run, in row groups
    # of at most CLUSTER_ROWS, so a search of the exclusion criteria skips the inclusions' row groups
    for path in sorted((out / "eligibility_criteria").glob("*.parquet")):
        types = pq.read_table(path, columns=["criterion_type"]).column(0).to_pylist()
        runs = [t for i, t in enumerate(types) if i == 0 or t != types[i - 1]]
        assert len(runs) == len(set(runs)), path.name
        metadata = pq.read_metadata(path)
        assert max(metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)) <= CLUSTER_ROWS
    (plan,) = [row[1] for row in query(out, "explain analyze select count(distinct trial_id) from eligibility_criteria "
                                            "where criterion_type = 'EXCLUSION' and text ilike '%creatinine%'")]
    scanned, total = map(int, re.search(r"Row Groups Scanned: (\d+) / (\d+)", plan).groups())
    assert scanned < total
