"""The coverage check's warning and the eligibility_conflicts view, through the real Dagster job."""
import re
import shutil

import dagster as dg
import pytest

from tests.conftest import CORPUS, SEEDS, query, run_job

# criteria for a trial whose record says 6 to 11 years (generated from NCT01219465's record at test time)
CRITERIA = """
        Inclusion Criteria:

          -  Age 6 to less than 12 years

          -  Onset of symptoms before the age of 13

          -  ADHD symptoms presenting before the age of 7

        Exclusion Criteria:

          -  Siblings of enrolled children older than 16 years
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The seeds plus one generated legacy XML record (NCT09999999, ages 6–11 Years, the criteria above)."""
    base = tmp_path_factory.mktemp("checks")
    shutil.copytree(SEEDS, base / "raw")
    xml = (CORPUS / "ctgov_xml" / "NCT01219465.xml").read_text(encoding="utf-8").replace("NCT01219465", "NCT09999999")
    xml = re.sub(r"<textblock>\s*Inclusion Criteria:.*?</textblock>", f"<textblock>{CRITERIA}</textblock>", xml, flags=re.S)
    xml = xml.replace("<minimum_age>3 Years</minimum_age>", "<minimum_age>6 Years</minimum_age>")
    xml = xml.replace("<maximum_age>35 Years</maximum_age>", "<maximum_age>11 Years</maximum_age>")
    (base / "raw" / "generated.xml").write_text(xml, encoding="utf-8")
    result = run_job(base / "raw", base / "out")
    return result, base / "out"


def test_implausible_rows_make_the_coverage_check_a_warning_and_the_run_succeeds(run):
    result, out = run
    assert result.success
    (coverage,) = [e for e in result.get_asset_check_evaluations() if e.check_name == "coverage"]
    assert (coverage.passed, coverage.severity) == (False, dg.AssetCheckSeverity.WARN)
    # seed 002's "lymphopenia (<1,000/L), neutropenia (<1,500/L), or thrombocytopenia (platelets <100,000/L)"
    implausible = query(out, "select trial_id, variable from eligibility_thresholds where not plausible order by 2")
    assert implausible == [("NCT01374854", "lymphocytes"), ("NCT01374854", "neutrophils"), ("NCT01374854", "platelets")]
    assert coverage.metadata["implausible_rows"].value == len(implausible)
    assert query(out, "select count(*) from eligibility_thresholds where plausible is null and canonical_unit is not null "
                      "and canonical_unit <> 'x ULN'") == [(0,)]


def test_conflicts_list_real_disagreements_only(run):
    _, out = run
    rows = query(out, "select trial_id, field, structured_value, criteria_value from eligibility_conflicts")
    # NCT01374854's record says 18–40, its inclusion criterion "age 18 to 65 years of age"
    assert ("NCT01374854", "maximum_age_years", 40.0, 65.0) in rows
    # "< 12 years" is the record's maximum of 11; ages at onset, before which something happened, or of siblings are
    # not the participant's age window
    assert [r for r in rows if r[0] == "NCT09999999"] == []
    assert query(out, "select variable, upper, upper_inclusive from eligibility_thresholds "
                      "where trial_id = 'NCT09999999' order by 1") == [("age", 12.0, False), ("age_at_onset", 13.0, False)]
