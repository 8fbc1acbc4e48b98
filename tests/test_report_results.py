"""The report's results section over three corpus records with results and one without.

By hand from the XML: NCT00739752 primary completion June 2007, results posted October 16, 2017 (124.5
months); NCT01065844 May 2015 → December 19, 2016 (19.6); NCT02958956 (type 2 diabetes and cancer)
May 29, 2015 → January 10, 2017 (19.4); NCT00001289 has no results. Only NCT02958956 names diabetes:
two primary outcomes with values (a hazard ratio per cancer for one group, case counts for two groups:
breast cancer 320 of 38,190 ever users of pioglitazone, 2,478 of 198,317 never users).
"""
import re

import pytest

from pipeline.report import build_report
from tests.conftest import run_corpus_xml

TRIALS = ("NCT00739752", "NCT01065844", "NCT02958956", "NCT00001289")


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    out = run_corpus_xml(tmp_path_factory.mktemp("report_results"), TRIALS)
    return build_report(out).read_text(encoding="utf-8")


def _section(text: str, name: str) -> str:
    return re.search(rf'<section id="{name}">(.*?)</section>', text, re.DOTALL)[1]


def test_reporting_delay_counts_trials_with_results_and_their_delay(page):
    section = _section(page, "reporting_delay")
    assert "<h2>Results reporting: months from primary completion to results posted</h2>" in section
    assert ("3 of 4 trials (75.0%) have posted results; 3 state both dates: median 19.6 months "
            "(quartiles 19.5–72.0), 0 (0.0%) within 12 months.") in section


def test_primary_outcomes_of_the_diabetes_trials(page):
    section = _section(page, "primary_outcomes")
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", section)
    assert [(trial, outcome.split(" — ")[0]) for trial, outcome, _, _ in rows] == [
        ("NCT02958956", "Hazard Ratio of the 10 Most Common Cancers Associated With Ever Use of Pioglitazone"),
        ("NCT02958956", "Number of 10 Most Common Cancers Associated Cases")]
    # cells by class, category, then group: "Breast" first, ever users (38,190 analyzed) before never users
    assert rows[1][2].startswith("Breast Ever User of Pioglitazone: 320 (38190); "
                                 "Breast Never User of Pioglitazone: 2478 (198317); Colon Ever User")
    assert "1 trials name a condition matching &#x27;%diabet%&#x27;; 1 have posted results. 2 primary outcomes" in section
