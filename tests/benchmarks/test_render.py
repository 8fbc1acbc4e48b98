"""The benchmark corpus renders real records in every input form. Each form must read back as the same trial
with the same criteria, or the benchmark would time readers on less work than real input gives them (the
criteria text feeds the threshold extraction, the costliest part of parsing)."""
from __future__ import annotations

from collections import Counter

import orjson
import pytest

from benchmarks import corpus, render
from pipeline import sources
from pipeline.sources import ctgov_xml
from pipeline.vocabulary import age_in_years
from tests.conftest import CORPUS

RECORDS = sorted((CORPUS / "ctgov_xml").glob("*.xml"))  # 165 real records, 12 with criteria under no heading
RENDER = {"json": lambda r: orjson.dumps(render.api_v2(r)).decode(), "veeva": render.veeva_text,
          "classic": render.classic_text}


def _same_trial(record) -> dict:
    """What every form states: a page has no place for criteria without a heading (they come back as
    inclusion criteria) and may order a record's interleaved inclusion and exclusion blocks differently."""
    return {"trial_id": record.trial_id, "status": record.overall_status, "phases": record.phases,
            "enrollment": record.enrollment, "ages": (age_in_years(record.minimum_age), age_in_years(record.maximum_age)),
            "criteria": Counter(c.text for c in record.eligibility_criteria)}


@pytest.mark.parametrize("form", RENDER)
def test_every_rendered_form_reads_back_as_the_same_trial_with_every_criterion(form):
    for path in RECORDS:
        [record] = ctgov_xml.parse(path.read_text(encoding="utf-8"))
        text = RENDER[form](record)
        reader = sources.detect(text)
        assert reader is not None and reader.FORMAT == corpus.READER[form], path.name
        [back] = reader.parse(text)
        assert _same_trial(back) == _same_trial(record), path.name
        if form == "json":  # the one form that can leave criteria unheaded keeps their types too
            assert Counter((c.criterion_type, c.text) for c in back.eligibility_criteria) == Counter(
                (c.criterion_type, c.text) for c in record.eligibility_criteria), path.name


def test_copies_get_new_ids_and_keep_the_real_content():
    corpus._TEMPLATES[:] = [("NCT01219465", {"xml": "<nct_id>NCT01219465</nct_id> see NCT01219465"})]
    try:
        assert corpus.copy_text(8125, "xml") == ("NCT90008125", "<nct_id>NCT90008125</nct_id> see NCT90008125")
    finally:
        corpus._TEMPLATES.clear()
