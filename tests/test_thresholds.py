"""Eligibility thresholds: exact rows for the seeds' criteria, the tricky forms, and precision/recall
on hand-labelled criteria. Development (the rules were tuned on them): tests/data/thresholds_labelled.jsonl
(604), thresholds_holdout1.jsonl to thresholds_holdout3.jsonl (250, 320, 320, each a holdout until it
was scored once), thresholds_modern_dev.jsonl (320 criteria of trials registered 2015 or later, tuned on
after its first score) and thresholds_holdout5.jsonl (480 more such criteria, the first modern holdout, tuned on
after its first and only score as a holdout: precision 0.959, recall 0.844). Holdouts, never tuned on:
thresholds_holdout4.jsonl (older records), thresholds_holdout6.jsonl (480 criteria of modern trials no other
set uses, three more blind labellers) and thresholds_sections1.jsonl (90 criteria of older records under a heading
that names their variable, "Age:" over "18 to 65": read with their section). Their READMEs say how they were drawn
and labelled."""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from pipeline import thresholds
from pipeline.thresholds import OUTPUT_VARIABLES, conversion, eligible, extract, rows
from tests.conftest import SPELT_AS_RE_FOLDS, finishes_within

DATA = Path(__file__).parent / "data"
SETS = {"development": ("thresholds_labelled.jsonl", "thresholds_holdout1.jsonl", "thresholds_holdout2.jsonl",
                        "thresholds_holdout3.jsonl", "thresholds_modern_dev.jsonl", "thresholds_holdout5.jsonl"),
        "holdout": ("thresholds_holdout4.jsonl",),
        "modern holdout": ("thresholds_holdout6.jsonl",),
        "heading holdout": ("thresholds_sections1.jsonl",)}
HOLDOUTS = [name for name in SETS if name != "development"]
GOAL_PRECISION, GOAL_RECALL = 0.95, 0.90
# The holdout's first score (359 tp, 18 fp, 23 fn: precision 0.952, recall 0.940) meets both goals;
# the test guards it against regressions.
# holdout 4 first scored 0.952 / 0.940, modern holdout 6 0.978 / 0.947, the heading holdout 0.969 / 0.984
HOLDOUT_PRECISION, HOLDOUT_RECALL = 0.95, 0.93


def _key(variable, lower, lower_inclusive, upper, upper_inclusive, sex) -> tuple:
    return variable, lower, lower_inclusive if lower is not None else None, upper, \
        upper_inclusive if upper is not None else None, sex


def _found(text: str, section: str | None = None) -> list[tuple]:
    """The table's rows for the criterion under its section (a range repeated word for word is one row there, as in
    the labels)."""
    return [_key(*row[3:8], row[16]) for row in rows("X", None, 1, text, section)]


def score(lines: list[dict]) -> tuple[dict[str, Counter], list[tuple]]:
    """True/false positives and false negatives per variable, and the criteria that disagree."""
    counts: dict[str, Counter] = {}
    misses = []
    for line in lines:
        expected = Counter(_key(t["variable"], t["lower"], t["lower_inclusive"], t["upper"], t["upper_inclusive"], t["sex"])
                           for t in line["thresholds"])
        got = Counter(_found(line["text"], line.get("section")))
        for key, n in (got | expected).items():
            tp = min(got[key], expected[key])
            c = counts.setdefault(key[0], Counter())
            c["tp"] += tp
            c["fp"] += got[key] - tp
            c["fn"] += expected[key] - tp
        if got != expected:
            misses.append((line["id"], line["text"], list(expected - got), list(got - expected)))
    return counts, misses


def precision_recall(counts: Counter) -> tuple[float, float]:
    tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
    return (tp / (tp + fp) if tp + fp else 1.0), (tp / (tp + fn) if tp + fn else 1.0)


def _labelled(name: str) -> list[dict]:
    return [json.loads(line) for file in SETS[name] for line in (DATA / file).read_text(encoding="utf-8").splitlines()]


def _overall(name: str) -> tuple[float, float, list[tuple]]:
    counts, misses = score(_labelled(name))
    return *precision_recall(sum(counts.values(), Counter())), misses


@pytest.mark.parametrize("name", SETS)
def test_labelled_sets_are_real_criteria_in_the_vocabulary(name):
    lines = _labelled(name)
    assert len(lines) >= {"development": 2294, "holdout": 640, "modern holdout": 480, "heading holdout": 90}[name]
    assert len({line["id"] for line in lines}) == len(lines)
    assert {t["variable"] for line in lines for t in line["thresholds"]} <= set(OUTPUT_VARIABLES)


@pytest.mark.parametrize("holdout", HOLDOUTS)
def test_a_holdout_shares_no_trial_with_the_development_set(holdout):
    assert {x["trial_id"] for x in _labelled(holdout)} & {x["trial_id"] for x in _labelled("development")} == set()


def test_precision_and_recall_on_the_development_labels_meet_the_goal():
    precision, recall, misses = _overall("development")
    assert precision >= GOAL_PRECISION and recall >= GOAL_RECALL, (precision, recall, misses[:20])


@pytest.mark.parametrize("holdout", HOLDOUTS)
def test_precision_and_recall_on_a_holdout(holdout):
    precision, recall, _ = _overall(holdout)  # its misses are not printed: reading them would end it as a holdout
    assert precision >= HOLDOUT_PRECISION and recall >= HOLDOUT_RECALL, (precision, recall)


# --- the seeds, criterion by criterion (values read off the pages) -----------------------------------
SEED_CRITERIA = [
    ("INCLUSION", "20 ≤ age ≤ 65 years;", [("age", 20.0, True, 65.0, True, "years")]),
    ("INCLUSION", "Duration of type 2 diabetes ≤20 years;", [("disease_duration", None, None, 20.0, True, "years")]),
    ("INCLUSION", "24.0 kg/m2 ≤ BMI ≤40.0 kg/m2;", [("bmi", 24.0, True, 40.0, True, "kg/m2")]),
    ("INCLUSION", "Stable exogenous insulin dose between 0.5-1.0 U/Kg/Day with or without oral hypoglycemic agents "
                  "(Dipeptidyl peptidase-4 (DPP-4) inhibitor) for at least 3 months;",
     [("insulin_dose", 0.5, True, 1.0, True, "U/Kg/Day")]),
    ("INCLUSION", "7.0% ≤ HbA1c ≤ 12.0%;", [("hba1c", 7.0, True, 12.0, True, "%")]),
    ("INCLUSION", "Fasting C-peptide ≥ 1ng/ml;", [("c_peptide", 1.0, True, None, None, "ng/ml")]),
    ("EXCLUSION", "Patients with ketonuria, tumor, serum creatinine level more than 175μmol/L, myocardial infarction in "
                  "the previous year, current angina", [("serum_creatinine", 175.0, False, None, None, "µmol/L")]),
    ("EXCLUSION", "Body Mass Index >30.", [("bmi", 30.0, False, None, None, None)]),
    ("INCLUSION", "Confirmed diagnosis of type 1 diabetes by ADA criteria less than 9 weeks.",
     [("disease_duration", None, None, 9.0, False, "weeks")]),
    ("INCLUSION", "Male and female patients age 18 to 65 years of age.", [("age", 18.0, True, 65.0, True, "years")]),
    ("INCLUSION", "Onset of T1DM disease at ≤ 35 years of age.", [("age_at_onset", None, None, 35.0, True, "years")]),
    ("INCLUSION", "T1DM duration ≥ 2 and ≤ 20 years at the time of enrollment.",
     [("disease_duration", 2.0, True, 20.0, True, "years")]),
    ("INCLUSION", "Basal C-peptide ≤ 0.3 ng/mL", [("c_peptide", None, None, 0.3, True, "ng/mL")]),
    ("INCLUSION", "HbA1c ≥ 7.5 at time of enrollment.", [("hba1c", 7.5, True, None, None, None)]),
    ("EXCLUSION", "BMI >35 kg/m^2.", [("bmi", 35.0, False, None, None, "kg/m^2")]),
    ("EXCLUSION", "Uncontrolled blood Pressure: SBP >160 mmHg or DBP >100 mmHg at the time of enrollment.",
     [("systolic_bp", 160.0, False, None, None, "mmHg"), ("diastolic_bp", 100.0, False, None, None, "mmHg")]),
    ("EXCLUSION", "A history of Factor V deficiency or other coagulopathy defined by INR >1.5, PTT >40, PT >15.",
     [("inr", 1.5, False, None, None, None), ("ptt", 40.0, False, None, None, None), ("pt", 15.0, False, None, None, None)]),
    ("EXCLUSION", "Hyperlipidemia despite medical therapy (fasting LDL cholesterol >130 mg/dl, treated or untreated; "
                  "and/or fasting triglycerides > 200 mg/dl).",
     [("ldl_cholesterol", 130.0, False, None, None, "mg/dl"), ("triglycerides", 200.0, False, None, None, "mg/dl")]),
    ("EXCLUSION", "Use of any investigational agents within 4 weeks of enrollment.", []),
    ("EXCLUSION", "Abnormal liver function >1.5 x ULN", []),
]


@pytest.mark.parametrize(("criterion_type", "text", "expected"), SEED_CRITERIA, ids=[c[1][:40] for c in SEED_CRITERIA])
def test_seed_criteria(criterion_type, text, expected):
    assert [(t.variable, t.lower, t.lower_inclusive, t.upper, t.upper_inclusive, t.unit) for t in extract(text)] == expected


def test_sex_specific_values_give_one_row_per_sex():
    found = extract("Evidence of renal dysfunction, serum creatinine > 1.5 mg/dl (males) and 1.4 mg/dl (females).")
    assert [(t.variable, t.lower, t.lower_inclusive, t.unit, t.sex) for t in found] == [
        ("serum_creatinine", 1.5, False, "mg/dl", "male"), ("serum_creatinine", 1.4, False, "mg/dl", "female")]


def test_exclusion_turns_into_the_eligible_range_and_canonical_units():
    (row,) = rows("NCT02302599", "EXCLUSION", 1, "serum creatinine level more than 175μmol/L")
    assert row[9:16] == (None, None, 175.0, True, "µmol/L", None, 175.0)
    (row,) = rows("NCT01374854", "EXCLUSION", 5, "serum creatinine > 1.5 mg/dl")
    assert row[13:16] == ("µmol/L", None, pytest.approx(1.5 * 88.42, rel=1e-4))
    (row,) = rows("X", "INCLUSION", 1, "HbA1c between 53 and 97 mmol/mol")
    assert row[13:16] == ("%", pytest.approx(7.0, abs=0.01), pytest.approx(11.03, abs=0.01))
    (row,) = rows("X", "INCLUSION", 1, "Fasting plasma glucose ≥ 126 mg/dL")
    assert row[13:16] == ("mmol/L", pytest.approx(6.99, abs=0.01), None)
    (row,) = rows("X", None, 1, "Platelet count at least 100,000/mm3")
    assert row[13:16] == ("x10^9/L", 100.0, None)
    (row,) = rows("X", None, 1, "Platelets ≥ 100 x 10^9/L")
    assert row[13:16] == ("x10^9/L", pytest.approx(100.0), None)
    (row,) = rows("X", "INCLUSION", 1, "AST ≤ 2.5 x ULN")
    assert row[8] == "x ULN" and row[13:16] == ("x ULN", None, 2.5)


def test_a_small_converted_bound_keeps_its_digits_and_a_large_one_loses_only_float_noise():
    """Canonical bounds were rounded to six decimals, which turned NCT01374854's "neutropenia (<1,500/L)" (per litre,
    as written: implausible, and flagged so) into 2e-06 × 10⁹/L; they keep four significant digits now, and six
    decimals where that holds more."""
    text = ("Baseline Hemoglobin below the lower limits of normal at the local laboratory; lymphopenia (<1,000/L), "
            "neutropenia (<1,500/L), or thrombocytopenia (platelets <100,000/L).")
    found = {row[3]: row[13:16] + (row[-1],) for row in rows("NCT01374854", "EXCLUSION", 11, text)}
    assert found["neutrophils"] == ("x10^9/L", 1.5e-06, None, False)
    assert found["platelets"] == ("x10^9/L", 0.0001, None, False)
    (row,) = rows("X", "INCLUSION", 1, "age greater than 2 hours")  # 2 / 24 / 365.25 years
    assert row[13:16] == ("years", 0.0002282, None)
    (row,) = rows("X", "INCLUSION", 1, "serum creatinine ≤ 2.3 mg/dl")
    assert row[13:16] == ("µmol/L", None, 203.359859)  # 2.3 mg/dl × 88.4173 (no …0000001 from the product)


def test_a_span_is_the_criterions_own_words_not_the_normalised_copy_read():
    """The extractor reads a normalised copy of a criterion (one sign per comparator, "minimum" after the name it
    bounds, micro signs); a span is mapped back to the words as written: before, 2,216 of the corpus's 31,856 rows held
    the copy's ("QTc ≥ 480ms" of "QTc >= 480ms;"), so a span could not be found in its criterion."""
    assert [row[18] for row in rows("X", "EXCLUSION", 1, "QTc >= 480ms;")] == ["QTc >= 480ms"]
    assert [row[18] for row in rows("X", "INCLUSION", 1, "Patients must be greater than or equal to 50 years of age.")
            ] == ["greater than or equal to 50 years of age"]
    assert [row[18] for row in rows("X", "INCLUSION", 1, "Minimum age of 18 years.")] == ["Minimum age of 18 years"]
    assert [row[18] for row in rows("NCT02302599", "EXCLUSION", 1, "serum creatinine level more than 175μmol/L")
            ] == ["serum creatinine level more than 175μmol/L"]  # the Greek mu as written, not the micro sign read


def test_every_span_of_the_corpus_legacy_records_is_in_its_criterion():
    from pipeline.sources import ctgov_xml
    from tests.conftest import CORPUS

    checked = 0
    for path in sorted((CORPUS / "ctgov_xml").glob("*.xml")):
        (record,) = ctgov_xml.parse(path.read_text(encoding="utf-8"))
        for c in record.eligibility_criteria:
            for row in rows(record.trial_id, c.criterion_type, c.ordinal, c.text, c.headings):
                assert row[18] in c.text, (record.trial_id, c.ordinal, row[18])
                checked += 1
    assert checked == 416


@pytest.mark.parametrize(("criterion_type", "text", "expected"), [
    # older NIH records list criteria without headings, and say in the sentence what rules a participant out: the
    # eligible range is the complement, as an exclusion's (42 criteria of the corpus gave the excluded range)
    (None, "Must not have serum bilirubin greater than 4 mg/dl.", (None, None, 4.0, True)),
    (None, "Patient with aspirin allergies and those with a platelet count less than 50,000 will be excluded.",
     (50000.0, True, None, None)),
    (None, "Volunteers with … SGOT and/or SGPT greater than 2.5 times normal are not eligible.",
     (None, None, 2.5, True)),
    ("INCLUSION", "Infants under the age of 2 years are excluded.", (2.0, True, None, None)),
    (None, "Patients must not have Karnofsky performance score less than 60.", (60.0, True, None, None)),
    # not what the sentence requires: another clause, another treatment's eligibility, a parenthesis's normal range
    (None, "Patients must not be pregnant, and must have hemoglobin > 10 g/dL", (10.0, False, None, None)),
    ("INCLUSION", "Patients aged > 49 years and < 66 years with NHL who are not eligible for autologous "
     "transplantation", (49.0, False, 66.0, False)),
    (None, "Patients must not have abnormal cardiac function (ejection fraction greater than 45% on MUGA scan).",
     (45.0, False, None, None)),
    ("EXCLUSION", "Must not have ECOG performance status of 2 or more.", (None, None, 2.0, False)),
])
def test_a_bound_its_sentence_rules_out_is_complemented_as_an_exclusions(criterion_type, text, expected):
    assert {row[9:13] for row in rows("X", criterion_type, 1, text)} == {expected}


@pytest.mark.parametrize(("criterion_type", "text", "expected"), [
    # an NCI record's "No …" before the bound's name, or before "with"/"of" and the name (real criteria of the corpus)
    (None, "No ejection fraction of less than 50%", {("lvef", 50.0, True, None, None)}),
    (None, "CARDIOVASCULAR: No history of congestive heart failure with an LVEF less than 40%.",
     {("lvef", 40.0, True, None, None)}),
    (None, "No patients with AST and ALT greater than or equal to 5XULN.",
     {("ast", None, None, 5.0, False), ("alt", None, None, 5.0, False)}),
    ("INCLUSION", "No baseline CD4 counts greater than or equal to 350 cells/microL, with confirmation, within the "
     "last 3 months.", {("cd4_count", None, None, 350.0, False)}),
    # a requirement under an exclusion heading is one
    ("EXCLUSION", "Creatinine clearance must be greater than 50 cc/min.", {("creatinine_clearance", 50.0, False, None, None)}),
    ("EXCLUSION", "Unstable Hemoglobin (Hb < 7) at time of drug infusion (i.e. Hb must be > 7 mg/dL at the time of drug "
     "infusion.", {("hemoglobin", 7.0, True, None, None), ("hemoglobin", 7.0, False, None, None)}),
    # not: a list's lines run together, a "No" that names no bound, what an excluded case must show, "No more than"
    (None, "Renal: No clinically significant renal disease Creatinine less than 1.4 mg/dL No proteinuria",
     {("serum_creatinine", None, None, 1.4, False)}),
    (None, "No study entry restrictions for bone metastases for patients with an ECOG of 0 and 1",
     {("ecog", 0.0, True, 1.0, True)}),
    ("EXCLUSION", "Proteinuria >30 mg/dL (1+) on dipstick; in case of the proteinuria ≥1+ on the dipstick, 24 hours "
     "proteinuria must be >1.5 g/24 hours", {("proteinuria", None, None, 30.0, True), ("proteinuria", None, None, 1.5, True)}),
    (None, "No more than 3 times the upper limit of normal for AST", {("ast", None, None, 3.0, True)}),
    # found by a review: a list run on after one word (NCT00004890), a limit the sentence says is none, a comma, a
    # list's "OR", "to be excluded"; "or" in the clause carries the "No" to the next bound (NCT00001797)
    (None, "Hepatic: No hepatic failure No encephalopathy Bilirubin no greater than 2.5 times ULN",
     {("bilirubin", None, None, 2.5, True)}),
    ("INCLUSION", "No age limit, must be at least 18 years old", {("age", 18.0, True, None, None)}),
    (None, "No significant cardiac disease, as evidenced by LVEF >= 50%", {("lvef", 50.0, True, None, None)}),
    (None, "No history of cardiac disease OR Left ventricular ejection fraction greater than 50% by MUGA",
     {("lvef", 50.0, False, None, None)}),
    ("EXCLUSION", "Hemoglobin must be < 8 g/dL to be excluded", {("hemoglobin", 8.0, True, None, None)}),
    (None, "No patients with serum creatinine greater than 1.8 or creatinine clearance (CrCl) less than 50 ml/min.",
     {("serum_creatinine", None, None, 1.8, True), ("creatinine_clearance", 50.0, True, None, None)}),
])
def test_a_sentence_that_states_its_own_sense_gives_the_eligible_range(criterion_type, text, expected):
    """The eligible-range development set's misses (tests/data/README_eligible.md): what a sentence rules out or
    requires outweighs the heading it stands under."""
    assert {(row[3], *row[9:13]) for row in rows("X", criterion_type, 1, text)} == expected


@pytest.mark.parametrize(("criterion_type", "text", "expected"), [
    # the second development set's misses (README_eligible.md; real criteria of the corpus): a "No" before words of a
    # condition, or before its definition after a comma; a diastolic bound with the systolic one it pairs
    (None, "Cardiovascular: No sustained supine hypertension greater than 180/110 mm Hg No congestive heart failure",
     {("systolic_bp", None, None, 180.0, True), ("diastolic_bp", None, None, 110.0, True)}),
    (None, "Cardiovascular: No history of severe hypertension, i.e.: Systolic 200 mm Hg or more Diastolic 120 mm Hg "
     "or more No MI within 6 weeks",
     {("systolic_bp", None, None, 200.0, False), ("diastolic_bp", None, None, 120.0, False)}),
    (None, "No uncontrolled hypertension, defined as systolic BP > 160 mm Hg and/or diastolic BP > 90 mm Hg while on "
     "medication", {("systolic_bp", None, None, 160.0, True), ("diastolic_bp", None, None, 90.0, True)}),
    # … not a list's lines run on before a name in capitals, but words of the measurement are no item
    (None, "Cardiovascular: No congestive heart failure LVEF at least 45% by MUGA", {("lvef", 45.0, True, None, None)}),
    (None, "No known SGPT (ALT) and SGOT (AST) levels exceeding three times the upper limit of the study center's "
     "normal range", {("alt", None, None, 3.0, True), ("ast", None, None, 3.0, True)}),
    (None, "No active anticoagulation with INR 1.5 or greater", {("inr", None, None, 1.5, False)}),
    # what a sentence allows under an exclusion heading, and its own "ineligible if"
    ("EXCLUSION", "Subject has uncontrolled hypertension. (Note: Subjects with medically controlled hypertension "
     "[diastolic blood pressure <95 mm Hg, systolic blood pressure <165 mm Hg] may participate.)",
     {("diastolic_bp", None, None, 95.0, False), ("systolic_bp", None, None, 165.0, False)}),
    ("EXCLUSION", "Patients with coronary artery disease should undergo testing of ventricular function and are "
     "eligible if LVEF is >= 45%", {("lvef", 45.0, True, None, None)}),
    ("EXCLUSION", "Patients aged > 65 who are eligible for autologous transplantation",
     {("age", None, None, 65.0, True)}),
    (None, "Patients will be ineligible if the WBC is less than 3,000.", {("wbc", 3000.0, True, None, None)}),
    ("EXCLUSION", "BMI at or above 35", {("bmi", None, None, 35.0, False)}),
    # a condition before the value ends at a closing parenthesis, and an exception's cause is none
    (None, "Hepatic: Bilirubin less than 2.5 times normal unless due to Gilbert's syndrome SGOT or SGPT less than 2.5 "
     "times normal", {(v, None, None, 2.5, False) for v in ("bilirubin", "ast", "alt")}),
    (None, "Hepatic: (unless caused by tumor) Bilirubin no greater than 1.25 times upper limit of normal (ULN)",
     {("bilirubin", None, None, 1.25, True)}),
    ("EXCLUSION", "Antiviral therapy (unless CD4 count declines to < 350 cells/mm3).", set()),
    ("EXCLUSION", "Proven or suspected acute hepatitis within 30 days prior to entry, even if AST (SGOT) and ALT "
     "(SGPT) are <= 5 X ULN.", set()),
    # no bound: an age allowed with a parent's consent, a level treatment keeps, someone else's age, an offset
    ("INCLUSION", "Be capable of giving informed consent. Patients < 18 years of age may participate with the "
     "consent of parent, guardian, or person with power of attorney.", set()),
    ("INCLUSION", "Age 18 years or older and must be able to give informed consent", {("age", 18.0, True, None, None)}),
    ("INCLUSION", "Dose reduction or interruption of myelosuppressive therapy and transfusion to maintain hemoglobin "
     "of 7 or more g/dl.", set()),
    ("INCLUSION", "Family support member must be 18 years or older and live in the study community", set()),
    ("INCLUSION", "Heterosexual partners of HIV seropositive individuals (ages 18-60).",
     {("age", 18.0, True, 60.0, True)}),
    ("EXCLUSION", "SGOT or SGPT > 5 x upper limit of normal, total bilirubin > 2.5 mg/dl, prothrombin time > 5 "
     "seconds over control", {("ast", None, None, 5.0, True), ("alt", None, None, 5.0, True),
                              ("bilirubin", None, None, 2.5, True)}),
    ("EXCLUSION", "Decompensated liver disease, as marked by prothrombin time greater than 2 sec prolonged", set()),
    # ranges: a lower bound's comparator with "to", "as high as", a typo's "less that", names in parentheses
    ("INCLUSION", "age ≥2 weeks to 4 months;", {("age", 2.0, True, None, None), ("age", None, None, 4.0, True)}),
    ("INCLUSION", "HbA1c >7.5% to 11%", {("hba1c", 7.5, False, 11.0, True)}),
    ("INCLUSION", "Patients with a CD4 count above 100 and as high as 200 cells/mm3 may also be eligible",
     {("cd4_count", 100.0, False, 200.0, True)}),
    (None, "PTT less that 1.66 times normal limit Fibrinogen greater than 0.75 times normal limit",
     {("ptt", None, None, 1.66, False)}),
    ("EXCLUSION", "Elevations in screening blood tests of renal (SCr) and liver (ALT, AST and/or bilirubin) > 2 times "
     "the upper limit of normal for age.",
     {(v, None, None, 2.0, True) for v in ("serum_creatinine", "alt", "ast", "bilirubin")}),
    # found by a review (NCT00006038 and NCT00492986 real, the rest phrasings the rules must not over-reach on): every
    # bound of "ineligible if … AND …", "not eligible if", an allowance past a comma, "maintained for", a paediatric
    # range with a parent's consent, "at least"/a QTc's "-", "upper limits", a long parenthesis after "if", a caregiver
    (None, "Ineligible if SGOT and SGPT greater than 1.5 times ULN AND alkaline phosphatase greater than 2.5 times ULN",
     {(v, None, None, x, True) for v, x in (("ast", 1.5), ("alt", 1.5), ("alkaline_phosphatase", 2.5))}),
    (None, "Patients are not eligible if hemoglobin < 9 g/dL", {("hemoglobin", 9.0, True, None, None)}),
    ("EXCLUSION", "QTc > 470 ms, patients with bundle branch block may be eligible after cardiology review",
     {("qtc", None, None, 470.0, True)}),
    ("INCLUSION", "Stable dose of metformin (>= 1500 mg/day) maintained for >= 8 weeks and HbA1c >= 7.0% and <= 10.0%",
     {("hba1c", 7.0, True, 10.0, True)}),
    ("INCLUSION", "Children aged 2 to 11 years who can give assent and whose parent or legal guardian can give written "
     "informed consent", {("age", 2.0, True, 11.0, True)}),
    ("EXCLUSION", "QTc > 0.45-0.47 second", {("qtc", None, None, 0.45, True)}),
    (None, "Bilirubin no more than 1.5 mg/dL above the upper limits of normal", set()),
    ("INCLUSION", "ECG if clinically indicated (for example in patients with a history of arrhythmia, heart failure, "
     "ischemic heart disease, or on QT-prolonging drugs) Hemoglobin >= 9 g/dL",
     {("hemoglobin", 9.0, True, None, None)}),
    ("INCLUSION", "Caregiver who is 18 years of age or older", {("age", 18.0, True, None, None)}),
    # … and by a second review: a sentence's "excluded if …, and" ends there, an allowance ends a list of bounds
    (None, "Patients will be excluded if they are pregnant, and patients with creatinine clearance of at least 60 "
     "mL/min are eligible", {("creatinine_clearance", 60.0, True, None, None)}),
    ("EXCLUSION", "Hemoglobin < 9, platelets < 50,000/mm3 or ANC < 1000/mm3 may participate",
     {("hemoglobin", None, None, 9.0, False), ("platelets", None, None, 50000.0, False),
      ("neutrophils", None, None, 1000.0, False)}),
])
def test_the_second_development_sets_misses(criterion_type, text, expected):
    assert {(row[3], *row[9:13]) for row in rows("X", criterion_type, 1, text)} == expected


def test_a_multiple_of_the_institutions_uln_is_one():
    (row,) = rows("X", "EXCLUSION", 1, "partial thromboplastin time (PTT) >1.5× the institution's ULN")
    assert (row[3], row[11], row[13]) == ("ptt", 1.5, "x ULN")


def test_a_range_stated_twice_in_a_criterion_is_one_row_with_its_first_span():
    """NCT00498355, NCT00005046: the labelled sets count such a range once, and so does a query counting thresholds
    (41 rows of the corpus were second mentions); a range in another unit is another range (NCT00000585)."""
    text = "Blood pressure > 180/110 (systolic above 180 OR diastolic above 110)."
    assert [(r[3], r[18]) for r in rows("X", "EXCLUSION", 1, text)] == [
        ("systolic_bp", "Blood pressure > 180/110"), ("diastolic_bp", "Blood pressure > 180/110")]
    text = "Absolute neutrophil count at least 1,500/mm3 Granulocyte count at least 1,500/mm3"
    assert [(r[3], r[9], r[18]) for r in rows("X", None, 1, text)] == [
        ("neutrophils", 1500.0, "Absolute neutrophil count at least 1,500/mm3")]
    text = ("In the Phase I trial, Black children with sickle cell anemia aged 3 months to 3 years. In the Phase II "
            "trial, children with sickle cell anemia aged five years 3 months of age and younger")
    assert sorted((r[11], r[8]) for r in rows("X", None, 1, text) if r[11] is not None) == [
        (3.0, "months"), (3.0, "years")]
    # the same words of the same bounds in two senses are one row, the first mention's: the table's key is the bounds
    # and the span (NCT00016107 of the 2014 archive was quarantined, its key twice)
    text = "Non-measurable disease with PSA >= 5 ng/ml; patients with PSA >= 5 ng/ml only are not eligible"
    assert [r[3:4] + r[9:13] for r in rows("X", "INCLUSION", 4, text)] == [("psa", 5.0, True, None, None)]
    # an excluded two-sided range has no eligible range in any unit: "2 to 5 months" is still not "2 to 5 years"
    text = "Infants aged 2 to 5 months or children aged 2 to 5 years"
    assert [r[8] for r in rows("X", "EXCLUSION", 1, text)] == ["months", "years"]


@pytest.mark.parametrize(("criterion_type", "section", "text", "expected"), [
    # real criteria of the corpus (NCT00001267, NCT00492089, NCT00034333) under a heading or lead-in that rules its
    # items out: an exclusion's complement
    (None, "No history of hepatic cirrhosis or present hepatic dysfunction with:",
     "Total bilirubin greater than 3.0 mg per dl (2x the upper limit of normal).", (None, None, 3.0, True)),
    ("INCLUSION", "No clinically significant cardiovascular disease, including any of the following:",
     "Inadequately controlled hypertension (i.e., systolic BP > 140 mm Hg)", (None, None, 140.0, True)),
    (None, "Patients will be excluded from enrollment if any of the following apply:",
     "Has cardiac dysfunction with a left ventricular ejection fraction < 40%.", (40.0, True, None, None)),
    # … not the exceptions a lead-in allows, an earlier sentence's "No", an inclusion list under the legacy records'
    # "… are excluded:" (NCT00026221, NCT00000724, NCT00002285)
    ("INCLUSION", "No history of thrombosis (e.g., deep vein thrombosis), unless the following criteria are met:",
     "INR in normal range (usually 2-3)", (2.0, True, 3.0, True)),
    ("INCLUSION", "Prior Medication: Required: No improvement in ventilatory status, defined as no change in the 72 "
     "hours prior to entry. Intolerance to TMP / SMX is defined as one or more of the following:",
     "Serum creatinine > 3.0 mg/dl.", (3.0, False, None, None)),
    ("INCLUSION", "Patients with the following conditions are excluded:",
     "Patients must have a life expectancy of at least 6 months.", (6.0, True, None, None)),
    # … nor items that rule out only together (NCT00023868), nor "No more than" (NCT00006473)
    (None, "PATIENT CHARACTERISTICS: Hepatic: Ineligible if all of the following criteria are concurrently present:",
     "Bilirubin greater than 2.0 mg/dL", (2.0, False, None, None)),
    (None, "No more than 3 prior treatment regimens as follows:", "Bilirubin greater than 2.0 mg/dL",
     (2.0, False, None, None)),
])
def test_a_heading_or_lead_in_that_rules_its_items_out_complements_them(criterion_type, section, text, expected):
    (row,) = rows("X", criterion_type, 1, text, None, section)
    assert row[9:13] == expected


def test_a_sex_named_after_the_other_sexs_range_is_its_own():
    text = "Healthy female participants aged 9-45 years old and male participants aged 9-15 years old"
    assert [(t.sex, t.upper) for t in extract(text)] == [("female", 45.0), ("male", 15.0)]
    assert [t.sex for t in extract("Men and women aged 18-65 years")] == [None]


def test_a_sex_named_with_the_bounds_name_is_that_sexs_bound_and_equal_to_or_older_is_inclusive():
    assert _read("Maximum age for females is 49") == [("age", None, None, 49.0, True, None)]
    assert [t.sex for t in extract("Maximum age for females is 49")] == ["female"]
    assert [t.sex for t in extract("Female 65 years of age or older")] == [None]  # the population, not a sex's bound
    assert _read("Age equal to or older than 18 years.") == [("age", 18.0, True, None, None, "years")]
    assert _read("S.Cr. less than 2.0 mg/dL") == [("serum_creatinine", None, None, 2.0, False, "mg/dL")]


def test_a_two_sided_exclusion_has_no_single_eligible_range():
    (t,) = extract("BMI between 25 and 30")
    assert eligible(t, "EXCLUSION") == (None, None, None, None)
    assert eligible(t, "INCLUSION") == (25.0, True, 30.0, True)


@pytest.mark.parametrize(("text", "expected"), [
    ("Age: 18 and over", [("age", 18.0, True, None, None)]),
    ("Patients under 18 years of age", [("age", None, None, 18.0, False)]),
    ("at least 18 years old", [("age", 18.0, True, None, None)]),
    ("AST/ALT ≤ 2.5 x ULN", [("ast", None, None, 2.5, True), ("alt", None, None, 2.5, True)]),
    ("SGOT and SGPT no greater than 2 times upper limit of normal", [("ast", None, None, 2.0, True), ("alt", None, None, 2.0, True)]),
    ("Absolute granulocyte count at least 1,500/mm3", [("neutrophils", 1500.0, True, None, None)]),
    # "=/>" and "=/<" are "≥" and "≤" (11 criteria of the corpus read them as ">" and "<")
    ("Women age =/> 18 years", [("age", 18.0, True, None, None)]),
    ("serum bilirubin=/<1.5 mg/dL", [("bilirubin", None, None, 1.5, True)]),
    # CD4 T lymphocytes are CD4 counts, not lymphocytes (NCT00001826, NCT00001471, ChiCTR2000029974 were)
    ("Age-adjusted CD4+ T lymphocytes greater than 200 cells/ml.", [("cd4_count", 200.0, False, None, None)]),
    ("the last detection value of CD4 plus T lymphocyte is less than 200", [("cd4_count", None, None, 200.0, False)]),
    ("Blood pressure > 140/90 mmHg", [("systolic_bp", 140.0, False, None, None), ("diastolic_bp", 90.0, False, None, None)]),
    ("Performance status: ECOG 0-1", [("ecog", 0.0, True, 1.0, True)]),
    ("Karnofsky 60-100%", [("karnofsky", 60.0, True, 100.0, True)]),
    ("Life expectancy: At least 12 weeks", [("life_expectancy", 12.0, True, None, None)]),
    ("Creatinine no greater than 1.5 mg/dL OR creatinine clearance at least 60 mL/min",
     [("serum_creatinine", None, None, 1.5, True), ("creatinine_clearance", 60.0, True, None, None)]),
    ("HbA1c >= 6.5% and < 10% within the past 3 months", [("hba1c", 6.5, True, 10.0, False)]),
    ("No history of BMI > 40", []),
    ("Insulin dose stable for at least 3 months", []),
    ("Type 2 diabetes", []),
    ("Prior chemotherapy more than 4 weeks ago", []),
    # comparators, units and word numbers as registries write them
    ("Age greater or equal to 18 years", [("age", 18.0, True, None, None)]),
    ("WBC >/= 3000 mm3, platelets </= 75,000", [("wbc", 3000.0, True, None, None), ("platelets", None, None, 75000.0, True)]),
    ("Life expectancy = or < 6 months", [("life_expectancy", None, None, 6.0, True)]),
    ("Normal body mass index (18-30 kg/m(2))", [("bmi", 18.0, True, 30.0, True)]),
    ("Life expectancy of greater than three (3) months", [("life_expectancy", 3.0, False, None, None)]),
    ("Are expected to live for at least 1 year", [("life_expectancy", 1.0, True, None, None)]),
    ("> 48 hours of age and < 120 hours old", [("age", 48.0, False, 120.0, False)]),
    # age phrasings, and ages that are not the participant's
    ("Are under the age of 10.", [("age", None, None, 10.0, False)]),
    ("Adults between the ages of 21 and 55", [("age", 21.0, True, 55.0, True)]),
    ("Adults 20-75 with type 2 diabetes", [("age", 20.0, True, 75.0, True)]),
    ("Gestational age > 23 wks", []),
    ("Body mass index for age below 85th percentile", []),
    ("Karnofsky 50-100% if more than 10 years old", [("karnofsky", 50.0, True, 100.0, True)]),
    ("Lansky 50-100 for ages 0-10", []),
    # variables: groups, abbreviations, scales, look-alikes
    ("Transaminases no greater than 3 times upper limit of normal", [("ast", None, None, 3.0, True), ("alt", None, None, 3.0, True)]),
    ("Zubrod PS <2, Cr <2.0, direct bilirubin <2, and transaminases SGPT <3x normal",
     [("ecog", None, None, 2.0, False), ("serum_creatinine", None, None, 2.0, False), ("alt", None, None, 3.0, False)]),
    ("ECOG performance status of 0 or 1.", [("ecog", 0.0, True, 1.0, True)]),
    ("Performance status: CALGB 0-2", []),
    ("Weight loss exceeding 10 lbs in past three months", []),
    ("Stable weight (no more than 5 lbs weight loss)", []),
    ("Bilirubin no greater than 0.3 mg/dL above upper limit of normal", []),
    ("Rising PSA while receiving at least 1 regimen of LHRH agonist", []),
    # "No X with var > N" keeps the stated bound; a negated or conditional mention does not
    ("No uncontrolled diabetes with HbA1c > 10%", [("hba1c", 10.0, False, None, None)]),
    ("Patients must not have an ECOG performance status greater than 2.", [("ecog", 2.0, False, None, None)]),
    ("Patients not expected to live more than 2 years", [("life_expectancy", None, None, 2.0, True)]),
    ("except for CD4 count < 200 cells/mm3", []),
    # several bounds on one variable
    ("Weight less than 45 kg or more than 80 kg", [("body_weight", None, None, 45.0, False), ("body_weight", 80.0, False, None, None)]),
    ("Age more than 70 yr and less than 40 yr.", [("age", 70.0, False, None, None), ("age", None, None, 40.0, False)]),
    ("ALT no greater than 2.5 times ULN (5 times ULN if hepatic metastases are present)",
     [("alt", None, None, 2.5, True), ("alt", None, None, 5.0, True)]),
    ("Fasting glucose > 150 mg/dl (> 8.3 mmol/L)", [("fasting_glucose", 150.0, False, None, None)]),
    ("Creatinine < 2 x normal for age or GFR > 70 ml/min/1.73m^2", [("serum_creatinine", None, None, 2.0, False), ("egfr", 70.0, False, None, None)]),
    # disease duration: the participant's diagnosis, not another condition's
    ("Histologically confirmed IgA nephropathy, diagnosed within the past 3 years", [("disease_duration", None, None, 3.0, True)]),
    ("Cancer diagnosed within the previous 12 months", []),
    ("HbA1c ≥ 7% within the past 3 months", [("hba1c", 7.0, True, None, None)]),
    # values that are conditions for something else, or no requirement at all
    ("Written informed consent from parent or legal guardian for those patients < 18 years old.", []),
    ("For adolescents under 18 years of age, able to provide informed assent to participate and supported by parental "
     "consent", []),  # NCT03630471: whom the assent is for (its next criterion: "For adolescents over 18 …")
    ("At least 4 weeks since prior chemotherapy if absolute neutrophil count is less than 1,000/mm^3 or platelet count is "
     "less than 75,000/mm^3", []),
    ("Aerosolized pentamidine for PCP prophylaxis in patients with CD4 count <= 200 cells/mm3.", []),
    ("(A CD4 cell count of 50/mm3 or more within 21 days prior to starting treatment is no longer required.)", []),
    ("No decline of ejection fraction by more than 20% of the lower limit of normal", []),
    ("Human Leukocyte Antigen (HLA)-A2+", []),
    # a name followed by its own value does not take the value before it
    ("Renal: Phosphate no greater than 4.2 mg/dL Creatinine no greater than 1.3 mg/dL", [("serum_creatinine", None, None, 1.3, True)]),
    ("SGOT/SGPT greater than five times the upper limits of normal", [("ast", 5.0, False, None, None), ("alt", 5.0, False, None, None)]),
    ("Ejection fraction of greater than 50% by Echocardiogram or Cardiac MRI, or greater than or equal to 45% by MUGA Scan.",
     [("lvef", 50.0, False, None, None), ("lvef", 45.0, True, None, None)]),
    # forms read since holdout 3: comparators on both sides of "to", "beyond age", "N-fold", typos, other units
    ("Age: Over 17 to under 66 Performance status: Not specified", [("age", 17.0, False, 66.0, False)]),
    ("Age: 18 to physiologic 79", [("age", 18.0, True, None, None)]),
    ("Subjects beyond the age of 60 are excluded.", [("age", 60.0, False, None, None)]),
    ("SGOT or SGPT values 5.0-fold greater than the upper limit of normal", [("ast", 5.0, False, None, None), ("alt", 5.0, False, None, None)]),
    ("a creatinine lest than or equal 2.5 mg/dl", [("serum_creatinine", None, None, 2.5, True)]),
    ("Polymorphonuclear lymphocytes greater than 2,000", [("neutrophils", 2000.0, False, None, None)]),
    ("Weight at study enrollment greater than or equal to 1800 grams.", [("body_weight", 1800.0, True, None, None)]),
    ("Premature infants weighing less than 1,251 grams at birth", []),
    ("Newly diagnosed AML in adults >= 75 years", [("age", 75.0, True, None, None)]),
    ("Bilirubin no greater than 1.0 times ULN (no greater than 3.5 mg/dL if secondary to indinavir therapy)",
     [("bilirubin", None, None, 1.0, True), ("bilirubin", None, None, 3.5, True)]),
    ("at least 13 years old (or 18 if local requirement)", [("age", 13.0, True, None, None), ("age", 18.0, True, None, None)]),
    ("at least 25 years of age (or 5 years younger than the age at diagnosis of the youngest family member)",
     [("age", 25.0, True, None, None)]),
    # not each participant's bound: a share of the enrolment, what an illness would do, a definition's exception
    ("No more than 10 percent of subjects may be over 50 years of age.", []),
    ("No more than one patient over 50 years of age is permitted at each dose level.", []),
    ("Serious underlying medical condition that would reduce life expectancy to < 2 years.", []),
    ("No active AIDS (excluding CD4 count < 200).", []),
    ("Active AIDS (not excluding CD4 count less than 200).", [("cd4_count", None, None, 200.0, False)]),
    ("Illness that limits life expectancy to < 2 years", []),
    ("a drop ≥ 2 g/dL in hemoglobin", []),
    ("a pregnancy test for females over age 12", []),
    ("Creatinine ≤ 1.5 mg/dL (≤ 2 if over 70 years)", [("serum_creatinine", None, None, 1.5, True)]),
    ("Newly diagnosed AML in adults aged >= 75 years", [("age", 75.0, True, None, None)]),
    ("Polymorphonuclear lymphocyte count at least 1,500/mm3", [("neutrophils", 1500.0, True, None, None)]),
    ("Weighting less than 10 kg.", [("body_weight", None, None, 10.0, False)]),
    ("Birth weight less than 2.3 kg", []),
    ("a creatinine lest than 2.5 mg/dl", [("serum_creatinine", None, None, 2.5, False)]),
    # a name followed by a colon heads what follows and does not take the value before it
    ("Age: Any age Performance status: WHO 0-2", [("ecog", 0.0, True, 2.0, True)]),
    ("Hepatic: Bilirubin within normal limits AST no greater than 3 times normal", [("ast", None, None, 3.0, True)]),
    # real criteria of the 2014 archive a blind audit found misread (the rows before in the comments)
    ("Age between18-75 at the start of the study.", [("age", 18.0, True, 75.0, True)]),  # age 8 to 75
    ("Age: Not over 35", [("age", None, None, 35.0, True)]),  # age over 35
    ("PT INR > 1.5 unless the patient is on full-dose warfarin.", [("inr", 1.5, False, None, None)]),  # and PT > 1.5 s
    ("PT/INR no greater than 1.5 times ULN", [("pt", None, None, 1.5, True), ("inr", None, None, 1.5, True)]),
    ("albumin-adjusted serum calcium < 8.5 mg/dL (< 2.125 mol/L)", []),  # albumin < 8.5 mg/dL
    ("Corrected (adjusted for serum albumin) serum calcium concentration < 8.0 mg/dl (2.00 mmol/L)", []),
    ("Age-adjusted IPI 0-1", []),  # age 0 to 1
    ("Mild to severe pulmonary hypertension with systolic pulmonary artery pressures greater than or equal to 30 mm Hg",
     []),  # systolic blood pressure ≥ 30 mmHg
    ("pulmonary arterial diastolic pressure {PADP}]) values greater than or equal to 18 mmHg", []),
    ("current intermittent claudication with ankle-arm systolic blood pressure ratio <0.9)", []),
    ("diastolic dysfunction, defined as either aortic valve area ≤ 1.5 cm^2 or a mean gradient of > 20 mmHg", []),
    ("Systolic blood pressure > 160 mmHg", [("systolic_bp", 160.0, False, None, None)]),
])
def test_tricky_forms(text, expected):
    assert [(t.variable, t.lower, t.lower_inclusive, t.upper, t.upper_inclusive) for t in extract(text)] == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Are at least 3 months old and no older than 17 years of age.", [(3.0, None, "months"), (None, 17.0, "years")]),
    ("Children between 6 months and 17 years of age", [(6.0, None, "months"), (None, 17.0, "years")]),
    ("Age 18 to 65 years", [(18.0, 65.0, "years")]),
])
def test_an_age_range_in_two_units_is_two_bounds_each_in_its_unit(text, expected):
    assert [(t.lower, t.upper, t.unit) for t in extract(text)] == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Are 1 to 17 days old. (This study has been changed. Originally, infants 1 to 15 days old were eligible.)",
     [("age", 1.0, 17.0)]),
    ("Have a CD4 cell count of 200-600 cells/mm3 within 30 days of study entry. (This study has been changed. "
     "You now must have a CD4 cell count of 200-700 cells/mm3 within 45 days of study entry.)", [("cd4_count", 200.0, 700.0)]),
    ("CD4 count ≥ 100 cells/mm3 (This study has been changed. Patients must now have CD4 count ≥ 200 cells/mm3.)",
     [("cd4_count", 200.0, None)]),
    ("Age ≥ 18 and hemoglobin ≥ 9 g/dL. (This study has been changed. You now must have CD4 count ≥ 200 cells/mm3.)",
     [("age", 18.0, None), ("hemoglobin", 9.0, None), ("cd4_count", 200.0, None)]),
    ("Age 1 to 17 days (This study has been changed. Originally 1 to 15 days.) Weight > 2 kg.",
     [("age", 1.0, 17.0), ("body_weight", 2.0, None)]),
])
def test_an_amendment_note_keeps_only_the_rule_in_force(text, expected):
    assert [(t.variable, t.lower, t.upper) for t in extract(text)] == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Weight at study enrollment greater than or equal to 1800 grams.", ("body_weight", 1800.0, "grams", "kg", 1.8)),
    ("Serum albumin of 3.0 gram% or greater", ("albumin", 3.0, "gram%", "g/dL", 3.0)),
    ("hemoglobin greater than or equal to 8.0 grams/dl", ("hemoglobin", 8.0, "grams/dl", "g/dL", 8.0)),
    ("Proteinuria greater than 1 gram/day;", ("proteinuria", 1.0, "gram/day", "mg/day", 1000.0)),
])
def test_grams_written_out_are_units(text, expected):
    (row,) = rows("X", "INCLUSION", 1, text)
    assert (row[3], row[4], row[8], row[13], row[14]) == expected


def test_a_single_sex_population_is_not_a_sex_specific_value():
    assert [(t.variable, t.lower, t.sex) for t in extract("Female 65 years of age or older")] == [("age", 65.0, None)]


def test_upper_normal_limit_written_unl_is_a_multiple_of_the_uln():
    (row,) = rows("X", "INCLUSION", 1, "bilirubin ≤ 2.5 x UNL (unless due to hemolytic anemia)")
    assert (row[3], row[6], row[8], row[13]) == ("bilirubin", 2.5, "x UNL", "x ULN")


def test_sex_specific_bounds_with_their_own_comparators():
    found = extract("QTcF > 450 milliseconds (msec) (men) or >470 msec (women)")
    assert [(t.variable, t.lower, t.sex) for t in found] == [("qtc", 450.0, "male"), ("qtc", 470.0, "female")]
    found = extract("Male subjects weigh not less than 50 kg, female subjects weigh not less than 45 kg")
    assert [(t.variable, t.lower, t.sex) for t in found] == [("body_weight", 50.0, "male"), ("body_weight", 45.0, "female")]
    assert [t.sex for t in extract("Men and women ≥ 65 years old")] == [None]


def test_a_range_repeated_word_for_word_is_one_row_with_every_mentions_qualifiers():
    """NCT00002531 (2014 archive) repeats "Age 15 to 50" three times in one criterion; the table's key
    (trial, criterion, variable, sex, bounds, span) must stay unique or the whole trial is quarantined."""
    text = ("Must meet 1 of the following 2 conditions: Age 51 to 65 and meets the following criteria: No mediastinal "
            "mass No T-cell or B-cell disease Age 15 to 50 and meets the following criteria: Philadelphia chromosome "
            "(Ph) negative bcr-abl negative Initial WBC less than 30,000/mm3 OR Diagnosis of T-cell ALL with or "
            "without mediastinal involvement Age 15 to 50 OR Diagnosis of high-risk ALL (common ALL or pre-B-cell) "
            "Age 15 to 50 and meets 1 of the following criteria: Ph positive bcr-abl positive Pre-pre-B-cell disease, "
            "i.e., t(4;11) Initial WBC greater than 30,000/mm3 OR Diagnosis of B-cell ALL")
    assert [(r[3], r[4], r[6], r[17], r[18]) for r in rows("NCT00002531", None, 1, text)] == [
        ("age", 51.0, 65.0, None, "Age 51 to 65"),
        ("age", 15.0, 50.0, ("or wbc",), "Age 15 to 50"),
        ("wbc", None, 30000.0, ("or age",), "WBC less than 30,000/mm3"),
        ("wbc", 30000.0, None, None, "WBC greater than 30,000/mm3")]


def test_qualifiers_keep_time_windows_and_alternatives():
    (t,) = extract("HbA1c ≥ 7% within the past 3 months")
    assert t.qualifiers == ["within the past 3 months"]
    creatinine, clearance = extract("Creatinine ≤ 1.5 mg/dL or creatinine clearance ≥ 60 mL/min")
    assert creatinine.qualifiers == ["or creatinine_clearance"] and clearance.qualifiers == ["or serum_creatinine"]


def test_an_or_in_another_clause_or_under_another_heading_joins_no_alternatives():
    """A blind audit: 376 "or" pairs had an organ heading between their values (NCT00003397: "Transaminases no greater
    than 4 times ULN No active chronic hepatitis or liver cirrhosis Renal: Creatinine …": a reviewer dropping "or"
    rows lost both hard limits). The "or" must join the two values in one clause, under one heading."""
    text = ("Age: 18 and over Menopausal status: Premenopausal or postmenopausal Performance status: Karnofsky 90-100% "
            "Hepatic: Transaminases no greater than 4 times ULN No active chronic hepatitis or liver cirrhosis Renal: "
            "Creatinine no greater than 1.5 mg/dL")
    assert [(t.variable, t.qualifiers) for t in extract(text)] == [
        ("age", []), ("karnofsky", []), ("ast", []), ("alt", []), ("serum_creatinine", [])]
    bilirubin, ast = extract("Bilirubin ≤ 1.5 mg/dl unless due to lymphoma or Gilbert's disease. SGOT ≤ 3.5 x ULN")
    assert bilirubin.qualifiers == [] == ast.qualifiers


def test_an_exclusions_or_is_no_alternative_for_an_eligible_participant():
    """NCT04299152 (the audit): "Hemoglobin < 10 g/dl or platelets < 100" excludes on either, so an eligible
    participant is within both eligible ranges: no "or" (333 exclusion rows of the whole corpus carried one). An
    inclusion's "or" stays: either bound suffices."""
    text = "Hemoglobin < 10 g/dl or platelets < 100,000/mm3"
    assert [(r[3], r[9], r[17]) for r in rows("X", "EXCLUSION", 1, text)] == [
        ("hemoglobin", 10.0, None), ("platelets", 100000.0, None)]
    assert [r[17] for r in rows("X", "INCLUSION", 1, text)] == [("or platelets",), ("or hemoglobin",)]


def test_units_that_do_not_fit_are_not_converted():
    assert conversion("insulin_dose", "U/day", "insulin") is None  # per day is not per kg per day
    assert conversion("serum_creatinine", None, None) is None  # a bare creatinine could be mg/dL or µmol/L


def test_an_age_before_which_something_happened_is_not_the_participants_age():
    """From the 2014 archive: "before the age of N" dates an event (a symptom, a relative's illness), and gives no
    participant age; with an onset word it is the age at onset."""
    for text in ("History of developmental stuttering with symptoms of dysfluency presenting before the age of 13",
                 "Family history (parents, brothers, sisters, or children) of heart attacks before age 55 in males",
                 "Native Korean speakers who have been exposed to English before the age of 7"):
        assert [t.variable for t in extract(text)] == [], text
    (onset,) = extract("Diagnosis of DBA as defined by the onset of anemia before age 2")
    assert (onset.variable, onset.upper, onset.upper_inclusive) == ("age_at_onset", 2, False)


# --- phrasings of modern records (issue 18), one group per class; criteria written for the test ---------------------
# rows as the table keys them: (variable, lower, lower_inclusive, upper, upper_inclusive, sex)
MODERN_PHRASINGS = {
    "life expectancy as a minimum, as expected/anticipated survival, or negated": [
        ("A minimum life expectancy of 6 months.", [("life_expectancy", 6.0, True, None, None, None)]),
        ("Participants anticipated to live more than 3 months", [("life_expectancy", 3.0, False, None, None, None)]),
        ("Expected to survive for at least 12 weeks", [("life_expectancy", 12.0, True, None, None, None)]),
        ("Life expectancy: longer than 8 weeks", [("life_expectancy", 8.0, False, None, None, None)]),
        ("Life expectancy of 6 months or longer", [("life_expectancy", 6.0, True, None, None, None)]),
        ("Estimated survival time < 72 h", [("life_expectancy", None, None, 72.0, False, None)]),
        ("Patient is not expected to live more than 6 months", [("life_expectancy", None, None, 6.0, True, None)]),
        ("Not expected to survive for at least 4 weeks", [("life_expectancy", None, None, 4.0, False, None)]),
        ("Survival time not expected to exceed 48 hours", [("life_expectancy", None, None, 48.0, True, None)]),
        ("Not expected to survive the hospital stay", []),
    ],
    "disease duration as a course, a history from diagnosis, a condition for N years, newly diagnosed": [
        ("The course of knee osteoarthritis is 1-5 years", [("disease_duration", 1.0, True, 5.0, True, None)]),
        ("Disease course ≥ 6 months", [("disease_duration", 6.0, True, None, None, None)]),
        ("A history of at least 6 months from diagnosis of type 2 diabetes", [("disease_duration", 6.0, True, None, None, None)]),
        ("No more than 12 weeks since diagnosis", [("disease_duration", None, None, 12.0, True, None)]),
        ("Chronic low back pain for more than 1 year", [("disease_duration", 1.0, False, None, None, None)]),
        ("Diagnosed with ulcerative colitis for at least 3 months", [("disease_duration", 3.0, True, None, None, None)]),
        ("Plaque psoriasis of at least 6 months' duration", [("disease_duration", 6.0, True, None, None, None)]),
        ("Newly diagnosed type 2 diabetes, maximum 3 months", [("disease_duration", None, None, 3.0, True, None)]),
        # not the disease's duration: an acute illness's window, a therapy's, a survivor's, a window for something else
        ("The course of disease is within 10 days after the onset of symptoms", []),
        ("Confirmed diagnosis of COVID-19 for more than 48 hours", []),
        ("Steroid therapy of more than 4 weeks duration", []),
        ("At least 5 years since diagnosis of breast cancer", []),
        ("No chemotherapy within 6 months after diagnosis", []),
        ("Disease free for at least 5 years", []),
        ("Newly diagnosed AML in patients over 60 years", []),
    ],
    "names and units run together or spelled out": [
        ("Bodyweight ≥ 45 kg", [("body_weight", 45.0, True, None, None, None)]),
        ("Weight between 110 and 300 lbs", [("body_weight", 110.0, True, 300.0, True, None)]),
        ("Creatinine clearance below 50 milliliter per minute", [("creatinine_clearance", None, None, 50.0, False, None)]),
        ("18-yr-old or older", [("age", 18.0, True, None, None, None)]),
        ("Age > or equal to 21 years", [("age", 21.0, True, None, None, None)]),
        ("Hemoglobin < or equal to 9 g/dL", [("hemoglobin", None, None, 9.0, True, None)]),
    ],
    "a range with a comparator on one end, an exclusion outside a range": [
        ("Aged from 18 to <65 years", [("age", 18.0, True, 65.0, False, None)]),
        ("BMI outside the 18.5–35 kg/m2 range", [("bmi", 18.5, True, 35.0, True, None)]),
        ("Body weight outside of the range 50-120 kg", [("body_weight", 50.0, True, 120.0, True, None)]),
    ],
    "one threshold shared by a list": [
        ("Liver tests > 2 times normal for (a) ALT, AST, (b) bilirubin, (c) PT, PTT",
         [("alt", 2.0, False, None, None, None), ("ast", 2.0, False, None, None, None), ("bilirubin", 2.0, False, None, None, None),
          ("pt", 2.0, False, None, None, None), ("ptt", 2.0, False, None, None, None)]),
        ("ALT/AST/TBIL ≥ 3 ULN", [("alt", 3.0, True, None, None, None), ("ast", 3.0, True, None, None, None),
                                  ("bilirubin", 3.0, True, None, None, None)]),
        ("AST > 5 times of the upper limit", [("ast", 5.0, False, None, None, None)]),
        ("Inadequate organ function (neutrophils < 1.5 x 10^9/L; platelets < 75 x 10^9/L; creatinine > 1.5 x ULN)",
         [("neutrophils", None, None, 1.5, False, None), ("platelets", None, None, 75.0, False, None),
          ("serum_creatinine", 1.5, False, None, None, None)]),
    ],
    "someone else's age, points in a score": [
        ("Family history of sudden cardiac death under 45 years of age", []),
        ("Sudden death under 40 years of age in a first-degree relative", []),
        ("Premature coronary disease in a first-degree relative (men < 55 years, women < 65 years)", []),
        ("1 point each: age > 70, prior stroke, diabetes", []),
        ("2 points for QTc > 460 ms", []),
    ],
    "one-sex criteria": [
        ("Men aged ≥ 45 years", [("age", 45.0, True, None, None, "male")]),
        ("Postmenopausal women aged 55-80 years", [("age", 55.0, True, 80.0, True, "female")]),
        ("Men and women aged 18-65", [("age", 18.0, True, 65.0, True, None)]),
        ("Male or female aged 40 years or older", [("age", 40.0, True, None, None, None)]),
    ],
    "blood-pressure lists mixing systolic and diastolic limits": [
        ("Blood pressure > 170 or < 95 mm Hg systolic, or > 105 diastolic",
         [("systolic_bp", 170.0, False, None, None, None), ("systolic_bp", None, None, 95.0, False, None),
          ("diastolic_bp", 105.0, False, None, None, None)]),
        ("SBP > 160 or < 90 mmHg, or DBP > 100 mmHg",
         [("systolic_bp", 160.0, False, None, None, None), ("systolic_bp", None, None, 90.0, False, None),
          ("diastolic_bp", 100.0, False, None, None, None)]),
        ("Systolic blood pressure >175 mmHg or diastolic blood pressure >105 mmHg",
         [("systolic_bp", 175.0, False, None, None, None), ("diastolic_bp", 105.0, False, None, None, None)]),
    ],
    "vitals and registry form lines that are no controlled variable": [
        ("SpO2 ≤ 93% at rest", []),
        ("Respiratory rate ≥ 30 breaths/min", []),
        ("PaO2/FiO2 ≤ 300 mmHg", []),
        ("F.1.3 Elderly (>=65 years) yes", []),
        ("F.1.2.1 Number of subjects for this age range 175", []),
        ("F.1.2 Adults (18-64 years) yes", []),
    ],
    # classes the modern development set showed (tests written for them, not its criteria)
    "comparators as exports write them": [
        ("Age> = 16 years", [("age", 16.0, True, None, None, None)]),
        ("Body weight equal to or above 40 kg", [("body_weight", 40.0, True, None, None, None)]),
        ("Over 20 years old (including 20 years old)", [("age", 20.0, True, None, None, None)]),
        ("Above 20 years old (inclusive)", [("age", 20.0, True, None, None, None)]),
        ("Aged 20-70 years old (including 20 and 70 years old)", [("age", 20.0, True, 70.0, True, None)]),
        ("BMI within the normal range (1+/-20%)", []),
        ("Age 21 years older at enrolment", [("age", 21.0, True, None, None, None)]),
        ("3 olderer than 70 years", []),
    ],
    "an adult's age, and an age without the word": [
        ("adult (=21 years old)", [("age", 21.0, True, None, None, None)]),
        ("Adult #20 years of age at inclusion", [("age", 20.0, True, None, None, None)]),
        ("Adult participants (19 years)", [("age", 19.0, True, None, None, None)]),
        ("Adults of 20 years and above", [("age", 20.0, True, None, None, None)]),
        ("Age =21 years", []),  # the export lost the comparator and nothing tells which
        ("Patients who are more than 20 years", [("age", 20.0, False, None, None, None)]),
        ("Female, 20-50 years", [("age", 20.0, True, 50.0, True, None)]),
        ("17 years or above", [("age", 17.0, True, None, None, None)]),
        ("< 16 years", [("age", None, None, 16.0, False, None)]),
        ("At least 2 years", []),  # as a life expectancy's line under its heading reads
        ("Women who are less than 2 years postmenopausal", []),
        ("Patients younger than 16 years who cannot give assent", []),
    ],
    "counts per litre in G and with a dot for thousands": [
        ("Platelets < 75 G/L", [("platelets", None, None, 75.0, False, None)]),
        ("Platelets < 75.000 / mmc", [("platelets", None, None, 75000.0, False, None)]),
        ("Hemoglobin < 90 g/L", [("hemoglobin", None, None, 90.0, False, None)]),
    ],
    "abbreviations of translated records": [
        ("Severe renal impairment (Ccr ≤ 20 ml/min)", [("creatinine_clearance", None, None, 20.0, True, None)]),
        ("Scr ≥ 150 μmol/L", [("serum_creatinine", 150.0, True, None, None, None)]),
        ("ALT > 3 ULN with BIL > 2 ULN", [("alt", 3.0, False, None, None, None), ("bilirubin", 2.0, False, None, None, None)]),
    ],
    "performance status by its scale": [
        ("Performance status of 3 or more", []),
        ("KPS > 40 points", [("karnofsky", 40.0, False, None, None, None)]),
        ("Performance status: WHO 0-1", [("ecog", 0.0, True, 1.0, True, None)]),
        ("Eastern Cooperative Oncology Group score: 0-2", [("ecog", 0.0, True, 2.0, True, None)]),
    ],
    "a life expectancy that is a comorbidity's, or negated as unlikely": [
        ("Other illness with a life expectancy < 6 months", []),
        ("Unlikely to survive for > 72 hours", [("life_expectancy", None, None, 72.0, True, None)]),
    ],
    "a rise to a multiple of the ULN is a level; translated pressure names": [
        ("Increase in ALT > 3 x ULN", [("alt", 3.0, False, None, None, None)]),
        ("A decrease of hemoglobin of 2 g/dL or more", []),
        ("Low pressure ≥ 100 mmHg or high pressure ≥ 170 mmHg",
         [("diastolic_bp", 100.0, True, None, None, None), ("systolic_bp", 170.0, True, None, None, None)]),
        ("SAP < 85 mmHg, DAP < 55 mmHg", [("systolic_bp", None, None, 85.0, False, None), ("diastolic_bp", None, None, 55.0, False, None)]),
    ],
    # classes the first modern holdout showed once scored (tests written for them, not its criteria)
    "a lost '≥'/'≤' written '=' where the phrase tells which": [
        ("Participant = 20 years old and = 70 years old", [("age", 20.0, True, 70.0, True, None)]),
        ("Age = 21 years and = 60 years at screening", [("age", 21.0, True, 60.0, True, None)]),
        ("75 years = age = 16 years", [("age", 16.0, True, 75.0, True, None)]),
        ("< 20 years old or = 75 years old", [("age", None, None, 20.0, False, None), ("age", 75.0, True, None, None, None)]),
        ("Age = 21 years and = 10 kg", []),
        ("Aged =21 years", []),
        ("Prolonged QTc, defined as QTc =460 ms for men and QTc =480 ms for women",
         [("qtc", 460.0, True, None, None, "male"), ("qtc", 480.0, True, None, None, "female")]),
        ("QTc =460 ms", []),
    ],
    "a bound written before the name with its unit, a range to a bound in words": [
        ("20 years old <= age <= 65 years old", [("age", 20.0, True, 65.0, True, None)]),
        ("Aged 20 to under 70", [("age", 20.0, True, 70.0, False, None)]),
        ("Age 9.0 years to less than 17.0 years", [("age", 9.0, True, 17.0, False, None)]),
        ("Children 2 years and less than 12 years of age", [("age", 2.0, True, 12.0, False, None)]),
        ("Age 6 months up to 90 years", [("age", 6.0, True, None, None, None), ("age", None, None, 90.0, True, None)]),
        ("Under 65 years of age (cohort 2 and less than 21 years old)",
         [("age", None, None, 65.0, False, None), ("age", None, None, 21.0, False, None)]),
    ],
    "a survival stated as an expected death or life": [
        ("Expected death within 72 hours", [("life_expectancy", None, None, 72.0, True, None)]),
        ("Expected life < 2 weeks", [("life_expectancy", None, None, 2.0, False, None)]),
    ],
    "a rise by a multiple of the ULN, an abbreviation in lower case listed with one in capitals, names after in brackets": [
        ("ALT/AST increased by more than 3 times the normal upper limit",
         [("alt", 3.0, False, None, None, None), ("ast", 3.0, False, None, None, None)]),
        ("alt, AST > 3 times the upper limit of normal", [("alt", 3.0, False, None, None, None), ("ast", 3.0, False, None, None, None)]),
        ("Salt intake > 3 g per day, AST > 2 x ULN", [("ast", 2.0, False, None, None, None)]),
        ("Liver enzymes above 3 times the upper limit values (ALT and AST)",
         [("alt", 3.0, False, None, None, None), ("ast", 3.0, False, None, None, None)]),
    ],
    "counts per microliter, a sex after the age, a name whose own number is unread, a diagnosis hours old": [
        ("Platelets below 75.000/microliter", [("platelets", None, None, 75000.0, False, None)]),
        ("Aged >=20 years old male", [("age", 20.0, True, None, None, "male")]),
        ("Hemoglobin 80 g/L, liver enzymes higher than 2 times the ULN", []),
        ("Diagnosed within the previous 72 hours", []),
    ],
}


@pytest.mark.parametrize(("text", "expected"), [case for cases in MODERN_PHRASINGS.values() for case in cases],
                         ids=[case[0][:50] for cases in MODERN_PHRASINGS.values() for case in cases])
def test_modern_phrasings(text, expected):
    assert _found(text) == expected


def test_a_unit_written_out_converts_like_its_abbreviation():
    (row,) = rows("X", "INCLUSION", 1, "Creatinine clearance ≥ 60 milliliter per minute")
    assert (row[8], row[13], row[14]) == ("milliliter per minute", "mL/min", 60.0)
    (row,) = rows("X", "INCLUSION", 1, "Weight ≥ 110 lbs")
    assert (row[8], row[13], row[14]) == ("lbs", "kg", pytest.approx(49.9, abs=0.01))


def test_a_word_tries_only_the_names_that_can_begin_with_it_and_finds_what_all_would():
    """_mentions tries at each word only the names whose first words (read from re's parse of each pattern) hold it;
    over every labelled criterion, and the same upper-cased, it finds what one alternation of all the names finds."""
    assert thresholds._first_words_of("body_weight") == {"body", "bodyweight", "weigh", "weighs", "weighing",
                                                         "weighting", "weight"}
    assert thresholds._first_words_of("cd4_count") == {"cd4"}  # "CD4+": the "+" ends the word
    assert thresholds._first_words_of("bilirubin") >= {"t", "tbil", "bil"}  # "T-BIL", "TBil", "BIL"
    # "(?:total |daily |exogenous )*insulin": each repeat ends its word, and none at all leaves "insulin" first
    assert thresholds._first_words_of("insulin_dose") == {"total", "daily", "exogenous", "insulin"}
    for pattern in (r"\d+ years", "a+b"):  # a class not read here; a word that grows with every repeat
        assert thresholds._first_words(thresholds._sre_parse(pattern, re.IGNORECASE), {("", False)}) is None
    one_alternation = re.compile(r"(?<![\w-])(?=[^\W\d_]|\()(?:" + "|".join(
        f"(?P<{name}>{thresholds.VARIABLES[name][0]})" for name in thresholds._NAMES) + r")(?![\w]|"
        + thresholds._MODIFIER + ")", re.IGNORECASE)
    texts = _every_labelled_text()
    assert len(texts) > 1000
    for text in (*texts, *(t.upper() for t in texts), "ÄLT < 2 x ULN, Ｃreatinine ≤ 1.5 mg/dL, ſerum bilirubin < 2"):
        text = thresholds._normalised(text)
        assert [(m.lastgroup, m.span()) for m in thresholds._name_matches(text)] == \
            [(m.lastgroup, m.span()) for m in one_alternation.finditer(text)], text


def test_a_cued_pattern_finds_what_the_pattern_alone_finds():
    """A pattern with cues (_Cued) is tried only where the text's lower-case form holds one: over every labelled
    criterion, upper-cased too, and texts whose letters re's IGNORECASE folds to ASCII ones ("ſix months"), it finds
    what the pattern finds, and each match holds a cue; within a window of the text (the window checks look between
    a clause's start and a value, and for cues there only), what the pattern finds in that window."""
    cued = {name: p for name, p in vars(thresholds).items() if isinstance(p, thresholds._Cued)}
    assert set(cued) >= {"_WORD_NUMBER", "_SHARE", "_CHANGE", "_CONDITION", "_POINTS", "_NOT_IN_FORCE",
                         "_AGE_GROUP_FORM", "_FOLD", "_EXTREME_FIRST", "_ADULT_AGE"}
    cued |= {f"_COMPARATORS[{i}]": pattern for i, (pattern, _) in enumerate(thresholds._COMPARATORS)}
    texts = _every_labelled_text()
    folded = ["ſix months of ſtable dose", "No more than 10 percent of ſubjects", "a decreaſe of Hb",
              "İf over 40 years"]
    matched = 0
    for text in (*texts, *(t.upper() for t in texts), *(thresholds._normalised(t) for t in texts), *folded):
        lowered = thresholds._lowered(text)
        for name, pattern in cued.items():
            alone = pattern.pattern.search(text)
            found = pattern.search(text, lowered)
            assert (found and found.span()) == (alone and alone.span()), (name, text)
            window = (len(text) // 3, 2 * len(text) // 3 + 1)
            alone_in, found_in = pattern.pattern.search(text, *window), pattern.search(text, lowered, *window)
            assert (found_in and found_in.span()) == (alone_in and alone_in.span()), (name, text, window)
            if alone and lowered is not None:
                matched += 1
                assert any(cue in alone.group().lower() for cue in pattern.cues), (name, text)
    assert matched > 100
    assert thresholds._lowered(folded[0]) is None and thresholds._WORD_NUMBER.search(folded[0], None)


def test_letters_re_reads_as_ascii_ones_raise_nothing_and_read_as_their_ascii_twins():
    """re's IGNORECASE takes ſ for s, ı and İ for i and the Kelvin sign for k, so a pattern matches a word spelt with
    them; the matched word is then looked up as the tables list it (_as_listed). Looked up as written, "ſix" raised
    KeyError and failed the whole run (1,012 of the labelled criteria below did so). Every labelled criterion with
    those letters for s, i, k, I and K raises nothing, and each lookup reads such a word as its ASCII twin."""
    for text in _every_labelled_text():
        thresholds.extract(text.translate(SPELT_AS_RE_FOLDS))

    def read(text: str) -> list[tuple]:
        return [(t.variable, t.lower, t.lower_inclusive, t.upper, t.upper_inclusive, t.unit)
                for t in thresholds.extract(text)]

    assert read("HbA1c ≥ 7 % for ſix months") == [("hba1c", 7.0, True, None, None, "%")]  # a number word
    assert read("Age mınımum of 18 years") == [("age", 18.0, True, None, None, "years")]  # a comparator word
    assert read("Age ≥ 18 and leſs than 65 years") == [("age", 18.0, True, 65.0, False, "years")]  # a second bound
    # the rewrites _normalised looks for by their words in the text's lower case ("shorter than" → "<")
    assert read("Diabetes duration ſhorter than 3 months") == [("disease_duration", None, None, 3.0, False, "months")]


def _read(text: str) -> list[tuple]:
    return [(t.variable, t.lower, t.lower_inclusive, t.upper, t.upper_inclusive, t.unit) for t in extract(text)]


# Hostile texts: each took seconds to days (time growing with the square or cube of its length, or doubling with a few
# more characters); the benchmark times extraction, these tests pin what it reads (under a hang guard).
def test_a_long_run_of_digits_is_read_once_as_one_number():
    """The number before a lost "≥" ("18 = age = 65") begins at no digit: begun inside 16,000 digits, or 8,000
    ",000"s, each reading to the run's end took 8 s and 12 s (four times as many here: minutes). No row; the garbled
    form still reads."""
    with finishes_within(60):
        assert _read("age = " + "1" * 64_000) == []
        assert _read("age = 1" + ",000" * 32_000) == []
        assert _read("18 = age = 65 years") == [("age", 18.0, True, 65.0, True, "years")]


def test_a_list_of_scores_is_a_scale_of_six_at_most():
    """"ECOG 0, 1 or 2" is a range; 32,000 characters of "1, 1, …", read to their end from each number, took 7 s (here
    128,000: about two minutes) and are no range. The longest list a scale has still is."""
    with finishes_within(60):
        assert _read("ECOG " + "1, " * 42_666) == []
        assert _read("ECOG 0, 1, 2, 3, 4 or 5") == [("ecog", 0.0, True, 5.0, True, None)]


def test_a_run_of_white_space_after_a_value():
    """White space that two or three \\s* could split (3.8 s for 400 spaces after "age ≥ 18", 3 s for 1,000 after
    "Adult", growing with the cube: four times as many here took minutes) is read once, and a bound or an adult's age
    after it still is."""
    with finishes_within(60):
        assert _read("age ≥ 18" + " " * 1_600 + "x") == [("age", 18.0, True, None, None, None)]
        assert _read("age ≥ 18" + " " * 1_600 + "and ≤ 65 years") == [("age", 18.0, True, 65.0, True, "years")]
        assert _read("Adult" + " " * 4_000 + "(=18 years old)") == [("age", 18.0, True, None, None, "years")]


def test_a_long_criterion_reads_each_of_its_values():
    """Each value looks up the names around it by bisection, and the text's consent words and prophylaxis once: each
    searched again per value through the text, 128,000 characters of "HbA1c ≥ 7.0%; …" took 3.6 s, 64,000 of
    "CD4 > 200, …" 8.9 s (the 192,000 here: over a minute)."""
    with finishes_within(60):
        hba1c = extract(("HbA1c ≥ 7.0%; " * 9_143)[:128_000])
        assert len(hba1c) == 9_143 and {(t.variable, t.lower, t.unit) for t in hba1c} == {("hba1c", 7.0, "%")}
        cd4 = extract("CD4 > 200, " * 17_454)
        assert len(cd4) == 17_454 and {(t.variable, t.lower) for t in cd4} == {("cd4_count", 200.0)}
        ages = extract("patients older than 18 years " * 2_206)
        assert len(ages) == 2_206 and {(t.variable, t.lower) for t in ages} == {("age", 18.0)}
        assert extract("patients older than 18 years " * 2_206 + "who cannot give assent") == []


def test_a_long_rewritten_criterion_keeps_the_words_read_as_its_spans():
    """Spans are mapped back to the words as written by aligning the texts (difflib), whose time grows with the cube on
    repetitive text: "BMI at or above 35 " 200 times took 5.9 s, 2,500 times more than ten minutes (a review's probe).
    Past a million characters squared the spans are the normalised text's; the corpus's longest stretch is 515 × 724."""
    with finishes_within(60):
        rows_ = extract("BMI at or above 35 " * 2_500)
        assert len(rows_) == 2_500 and {t.span for t in rows_} == {"BMI ≥ 35"}
    assert [t.span for t in extract("BMI at or above 35 " * 2)] == ["BMI at or above 35"] * 2


def test_a_name_after_its_values_takes_those_within_reach():
    """"> 180 or < 90 mm Hg systolic": a name after its values takes those at most _MAX_GAP characters before it (each
    of 8,000 values read its gap to the name 32,000 characters on: 7.8 s), and a run of digits in the gap is no longer
    split every way before the gap fails (50 digits would take days)."""
    with finishes_within(60):
        values = extract("> 1 " * 8_000 + "systolic")
        assert [t.end for t in values] == list(range(31_943, 32_000, 4))  # the last 15, within 60 characters of it
        assert {t.variable for t in values} == {"systolic_bp"}
        assert _read("> 1 " + "1" * 50 + "x systolic") == []


def test_a_number_too_large_to_be_a_measurement_gives_no_row():
    """A bound of 10^15 or more is no measurement: 400 nines read as inf and passed the schema. Fewer digits read."""
    assert rows("X", "INCLUSION", 1, "HbA1c ≥ " + "9" * 400 + "%") == []
    assert rows("X", "INCLUSION", 1, "age 18 to " + "9" * 400 + " years") == []
    assert rows("X", "INCLUSION", 1, "ANC ≥ " + "9" * 5_000 + "/mm3") == []
    assert _read("HbA1c ≥ " + "9" * 16) == []
    assert _read("HbA1c ≥ " + "9" * 15) == [("hba1c", 999_999_999_999_999.0, True, None, None, None)]


def test_a_criterion_under_a_heading_that_names_a_variable_is_read_after_it():
    """NCT00002474 in the 2023 archive (read by hand): "PATIENT CHARACTERISTICS: Age: - Under 65", "Life expectancy:
    - At least 8 weeks". The criteria "Under 65" and "At least 8 weeks" name nothing, and gave no row (1,187 trials of
    the two archives lost their age so, 549 their life expectancy); read after the heading, they give the age and the
    life expectancy, with the criterion's own words as span. A heading naming no variable ("Hematopoietic:") adds
    nothing, and a criterion with rows of its own keeps them."""
    import tarfile

    from pipeline.parsing import explode
    from pipeline.sources import ctgov_xml
    from tests.conftest import CORPUS

    with tarfile.open(CORPUS / "ctgov_legacy_xml_2023.tar.xz", "r|xz") as archive:
        member = next(m for m in archive if m.name.endswith("/NCT00002474.xml"))
        (record,) = ctgov_xml.parse(archive.extractfile(member).read().decode("utf-8"))
    found = {row[2]: row[3:8] + row[-2:-1] for row in explode(record)["eligibility_thresholds"]}
    assert found[8] == ("age", None, None, 65.0, False, "Under 65")
    assert found[10] == ("life_expectancy", 8.0, True, None, None, "At least 8 weeks")
    assert found[11] == ("wbc", 3500.0, False, None, None, "WBC greater than 3,500/mm^3")
    assert rows("X", None, 1, "Under 65") == [] == rows("X", None, 1, "Under 65", "PATIENT CHARACTERISTICS: Renal:")
    assert [r[3:8] for r in rows("X", None, 1, "WHO 0-2", "PATIENT CHARACTERISTICS: Performance status:")] == [
        ("ecog", 0.0, True, 2.0, True)]
    own = rows("X", None, 1, "Hemoglobin greater than 10 g/dL")
    assert rows("X", None, 1, "Hemoglobin greater than 10 g/dL", "Age:") == own
    assert [r[3] for r in own] == ["hemoglobin"]


def test_years_after_one_person_are_an_age_as_after_many():
    """"Patients over 18 years" was an age, "Patient over 18 years" (NCT06171568, read by a blind audit) and "Child less
    than 4 years." (an exclusion of the 2023 archive) were not: the person before the years may be one."""
    assert _read("Patient over 18 years") == [("age", 18.0, False, None, None, "years")]
    assert _read("Child less than 4 years.") == [("age", None, None, 4.0, False, "years")]
    assert _read("any patient younger than 30 years") == [("age", None, None, 30.0, False, "years")]


def _every_labelled_text() -> list[str]:
    return [json.loads(line)["text"] for path in sorted(DATA.glob("thresholds_*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()]


def main() -> None:
    """Print precision and recall per variable (python -m tests.test_thresholds)."""
    for name in SETS:
        counts, misses = score(_labelled(name))
        print(f"\n{name}: {len(_labelled(name))} criteria")
        print(f"{'variable':<22}{'tp':>5}{'fp':>5}{'fn':>5}{'precision':>11}{'recall':>8}")
        for variable, c in sorted(counts.items(), key=lambda kv: -sum(kv[1].values())):
            p, r = precision_recall(c)
            print(f"{variable:<22}{c['tp']:>5}{c['fp']:>5}{c['fn']:>5}{p:>11.3f}{r:>8.3f}")
        overall = sum(counts.values(), Counter())
        p, r = precision_recall(overall)
        print(f"{'overall':<22}{overall['tp']:>5}{overall['fp']:>5}{overall['fn']:>5}{p:>11.3f}{r:>8.3f}")
        if name == "development":  # never print the holdout's misses: reading them would be tuning on it
            for miss in misses:
                print("  MISS", miss)


if __name__ == "__main__":
    main()

