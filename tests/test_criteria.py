"""Splitting eligibility text into criteria, the same way for every source."""
from pipeline.criteria import split_criteria
from pipeline.record import Criterion


def test_headings_bullets_and_numbering_give_one_row_per_criterion():
    text = """Inclusion Criteria:
1. Age 18-65 years
2) BMI <= 35 kg/m2
Exclusion Criteria:
  * Pregnancy
  * Renal failure
"""
    assert split_criteria(text) == [
        Criterion("INCLUSION", 1, "Age 18-65 years"), Criterion("INCLUSION", 2, "BMI <= 35 kg/m2"),
        Criterion("EXCLUSION", 1, "Pregnancy"), Criterion("EXCLUSION", 2, "Renal failure")]


def test_a_legacy_wrapped_line_that_opens_with_a_roman_numeral_continues_its_item():
    """Legacy text blocks wrap long items under the item's text; "II." there is the wrapped word, not an item."""
    text = """
        Inclusion Criteria:

          -  Stage IB, grade 3 (surgical assessment is required for grade 3 or stage
             II. Para-aortic lymphadenectomy is not mandated)

          -  ECOG 0-1
"""
    assert split_criteria(text) == [
        Criterion("INCLUSION", 1, "Stage IB, grade 3 (surgical assessment is required for grade 3 or stage "
                                  "II. Para-aortic lymphadenectomy is not mandated)"),
        Criterion("INCLUSION", 2, "ECOG 0-1")]


def test_nested_items_stay_separate_criteria():
    """A sub-item of a markdown list sits at its parent's text column; one of a legacy list further right."""
    markdown = "Inclusion Criteria:\n\n* Adequate organ function:\n  * Creatinine <= 1.5 mg/dL\n  * ALT <= 2.5 x ULN\n"
    legacy = ("Inclusion Criteria:\n\n          -  Adequate organ function:\n\n"
              "               -  Creatinine <= 1.5 mg/dL\n\n               -  ALT <= 2.5 x ULN\n")
    expected = [Criterion("INCLUSION", 1, "Adequate organ function:"),
                Criterion("INCLUSION", 2, "Creatinine <= 1.5 mg/dL"), Criterion("INCLUSION", 3, "ALT <= 2.5 x ULN")]
    assert split_criteria(markdown) == split_criteria(legacy) == expected


def test_text_without_a_heading_keeps_a_null_type():
    """Unmarked lines continue the item above; a blank line ends it."""
    assert split_criteria("Healthy adults aged\n18 to 40\n\nNo smokers") == [
        Criterion(None, 1, "Healthy adults aged 18 to 40"), Criterion(None, 2, "No smokers")]
