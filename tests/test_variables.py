"""The thresholds' variables as a table (synonyms, UCUM unit, LOINC codes) and the plausible flag of each row."""
import re

from pipeline import thresholds as th
from schemas import schema

# the column order of eligibility_thresholds, read from the schema
PLAUSIBLE_COLUMN = list(schema("eligibility_thresholds").columns).index("plausible")


def test_the_variables_table_names_every_variable_once_and_passes_its_schema():
    table = th.variables()
    schema("variables").validate(table)
    assert sorted(table["variable"]) == sorted(th.OUTPUT_VARIABLES)
    assert table.height == len(th.OUTPUT_VARIABLES)


def test_units_and_codes_as_an_analyst_maps_them():
    rows = {row["variable"]: row for row in th.variables().iter_rows(named=True)}
    assert (rows["serum_creatinine"]["canonical_unit"], rows["serum_creatinine"]["canonical_unit_ucum"],
            rows["serum_creatinine"]["loinc_codes"]) == ("µmol/L", "umol/L", ["14682-9", "2160-0"])
    # laboratories report it as moles (the canonical unit's kind, first) or as mass per volume, under two codes
    assert rows["fasting_glucose"]["loinc_codes"] == ["14771-0", "1558-6"]
    assert (rows["hba1c"]["canonical_unit_ucum"], rows["hba1c"]["loinc_codes"]) == ("%", ["4548-4"])
    assert (rows["platelets"]["canonical_unit_ucum"], rows["systolic_bp"]["canonical_unit_ucum"]) == ("10*9/L", "mm[Hg]")
    assert (rows["age"]["canonical_unit_ucum"], rows["age"]["loinc_codes"]) == ("a", None)  # no observation: no code
    assert (rows["bmi"]["plausible_lower"], rows["bmi"]["plausible_upper"]) == (10, 80)
    assert "Quetelet index" in rows["bmi"]["synonyms"]
    # every code has LOINC's form, digits, a hyphen and the check digit of its mod 10 algorithm: a mistyped code fails
    codes = [code for row in rows.values() for code in row["loinc_codes"] or []]
    assert all(re.fullmatch(r"\d{1,6}-\d", code) for code in codes)
    assert [code for code in codes if _loinc_check_digit(code.split("-")[0]) != code[-1]] == []
    assert _loinc_check_digit("2160") == "0" and _loinc_check_digit("14682") == "9"


def _loinc_check_digit(number: str) -> str:
    """LOINC's mod 10: from the right, every other digit doubled (its digits summed); 10 less the sum's last digit."""
    total = sum(sum(divmod(int(d) * 2, 10)) if i % 2 == 0 else int(d) for i, d in enumerate(reversed(number)))
    return str(-total % 10)


def _plausible(text: str, criterion_type: str = "INCLUSION") -> list[tuple]:
    return [(row[3], row[PLAUSIBLE_COLUMN]) for row in th.rows("X", criterion_type, 1, text)]


def test_plausible_marks_each_row_by_its_canonical_range():
    # seed 002 (NCT01374854): "lymphopenia (<1,000/L)" is 1e-6 x10^9/L, a typo for /µL, kept as written and marked
    assert _plausible("Baseline Hemoglobin below the lower limits of normal at the local laboratory; lymphopenia "
                      "(<1,000/L), neutropenia (<1,500/L), or thrombocytopenia (platelets <100,000/L).", "EXCLUSION") == [
        ("lymphocytes", False), ("neutrophils", False), ("platelets", False)]
    assert _plausible("BMI >35 kg/m^2.", "EXCLUSION") == [("bmi", True)]
    assert _plausible("ANC ≥ 1,500/mm³") == [("neutrophils", True)]
    assert _plausible("Abnormal liver function >1.5 x ULN", "EXCLUSION") == []  # no variable named
    assert _plausible("ALT ≤ 2.5 x ULN") == [("alt", None)]  # a multiple of the ULN: nothing to judge
    assert _plausible("BMI 10 to 81 kg/m2") == [("bmi", False)]
