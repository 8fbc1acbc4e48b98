"""The benchmark's ICTRP form: real records written as ICTRP export files must read back, through the pipeline's
ICTRP reader, as the same trials with the fields that reader maps (the export keeps no more than Recruiting /
Not recruiting of a status, so status is not among them)."""
from __future__ import annotations

from collections import Counter

from benchmarks import corpus, render
from pipeline import sources
from pipeline.sources import ctgov_xml
from pipeline.vocabulary import age_in_years
from tests.conftest import CORPUS

RECORDS = sorted((CORPUS / "ctgov_xml").glob("*.xml"))


def _mapped(record) -> dict:
    return {"trial_id": record.trial_id, "title": record.brief_title, "official_title": record.official_title,
            "enrollment": record.enrollment, "sex": record.sex, "start_date": record.start_date,
            "ages": (age_in_years(record.minimum_age), age_in_years(record.maximum_age)), "phases": record.phases,
            "design": (record.allocation, record.intervention_model, record.masking, record.who_masked),
            "criteria": Counter(c.text for c in record.eligibility_criteria)}


def test_an_export_of_real_records_reads_back_as_the_same_trials():
    records = [ctgov_xml.parse(path.read_text(encoding="utf-8"))[0] for path in RECORDS]
    export = render.ictrp_export(render.ictrp_xml(r) for r in records)
    reader = sources.detect(export)
    assert reader is not None and reader.FORMAT == corpus.READER["ictrp"] == "ictrp_xml"
    back = reader.parse(export)
    assert [_mapped(b) for b in back] == [_mapped(r) for r in records]
    assert [b.registration_date for b in back] == [r.first_submitted_date or r.registration_date for r in records]


def test_the_form_writes_500_trials_a_file_under_new_ids(tmp_path):
    texts = [path.read_text(encoding="utf-8") for path in RECORDS[:3]]
    corpus._TEMPLATES[:] = corpus._templates_for(texts)  # the template check runs on them too
    try:
        assert corpus._write_chunk("ictrp_xml", str(tmp_path), 1000, 2200) == 1200
    finally:
        corpus._TEMPLATES.clear()
    files = sorted(tmp_path.iterdir())
    assert [f.name for f in files] == ["ictrp_export_00002.xml", "ictrp_export_00003.xml", "ictrp_export_00004.xml"]
    trials = [[r.trial_id for r in sources.detect(text).parse(text)] for text in (f.read_text("utf-8") for f in files)]
    assert [len(t) for t in trials] == [500, 500, 200]
    assert sum(trials, []) == [corpus.new_id(i) for i in range(1000, 2200)]
