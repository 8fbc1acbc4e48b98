"""Eligibility criteria → numeric thresholds: "7.0% ≤ HbA1c ≤ 12.0%" → hba1c, 7.0–12.0 %.

Rule-based and precision-first: a threshold is a value expression (a comparator and a number, a
range, or a number with "or more"/"and older") tied to a named variable of VARIABLES by proximity
within one clause, in a unit that fits the variable. Anything less certain (a bare number, a
negated or conditional mention, a unit that does not fit) yields no row. Bounds are kept as the text
states them; `eligible_*` turns an exclusion into the range an eligible participant must fall in,
and `*_canonical` converts it into one unit per variable with pint (UNITS), using the substance's
molar mass where a conversion crosses mass and amount (MOLAR_MASS).
"""
from __future__ import annotations

import bisect
import difflib
import math
import os
import re
import sys
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from operator import itemgetter
from re import _constants as _sre  # to read which words a name's pattern can begin with
from re._parser import parse as _sre_parse



def _after(words: str, names: str, ahead: str = "") -> str:
    """Regex: one of names written right after one of words (both "|"-separated literals) and before what the regex
    ahead matches (not consumed). The checks follow the name, so the scan stops only where a name is."""
    ahead = f"(?={ahead})" if ahead else ""
    return "(?:" + "|".join(f"{re.escape(n)}{ahead}(?:" + "|".join(f"(?<={re.escape(w + n)})" for w in words.split("|")) + ")"
                            for n in names.split("|")) + ")"


# Non-ASCII letters re's IGNORECASE takes for ASCII ones ("ſ" for "s", the Kelvin sign for "k", "İ" and "ı" for "i"):
# in a text holding one, a pattern may match where the text's lower-case form holds none of its cues (_Cued).
_ASCII_FOLDS = str.maketrans("\u0130\u0131\u017f\u212a", "iisk")
_FOLDS_TO_ASCII = re.compile(f"[{''.join(map(chr, _ASCII_FOLDS))}]")


def _lowered(text: str) -> str | None:
    """The text in lower case, to look up cues in (_Cued); None where a cue could be missed."""
    return None if _FOLDS_TO_ASCII.search(text) else text.lower()


def _as_listed(matched: str) -> str:
    """A matched word as the tables (_OPS, _WORD_NUMBERS) list it: in lower case, with the letters re took for ASCII
    ones made so ("ſix" → "six": looked up as written, it raised KeyError and failed the run)."""
    return matched.translate(_ASCII_FOLDS).lower()


@dataclass(frozen=True, slots=True)
class _Cued:
    """A pattern and the lower-case words it cannot match without, its cues. re tries a pattern compiled with
    IGNORECASE, or opening with \\b, at every position of the text; a text whose lower-case form holds none of the
    cues is passed over by substring search in C instead (the gate and window checks: extraction over the 2014
    archive's distinct criteria took 7 % less time)."""
    pattern: re.Pattern
    cues: tuple[str, ...]

    def search(self, text: str, lowered: str | None, pos: int = 0, endpos: int = sys.maxsize) -> re.Match | None:
        return self.pattern.search(text, pos, endpos) if self.cued(lowered, pos, endpos) else None

    def match(self, text: str, lowered: str | None, pos: int = 0, endpos: int = sys.maxsize) -> re.Match | None:
        return self.pattern.match(text, pos, endpos) if self.cued(lowered, pos, endpos) else None

    def cued(self, lowered: str | None, pos: int = 0, endpos: int = sys.maxsize) -> bool:
        """Whether the text (in lower case: _lowered) may hold a match between pos and endpos (a window check looks
        in its window only: looking through the whole text for every value took time growing with its square)."""
        if lowered is None:
            return True
        for cue in self.cues:  # (a loop, not any() over a generator: this runs for every value's window checks)
            if lowered.find(cue, pos, endpos) >= 0:
                return True
        return False


def _cued(pattern: str, cues: str) -> _Cued:
    return _Cued(re.compile(pattern, re.IGNORECASE), tuple(cues.split("|")))


# conditions whose duration "<condition> for more than N years" states: names and usual endings of disease names
_CONDITION_ENDS = "itis |osis |pathy |algia |emia |diabetes |mellitus |T1DM |T2DM |hypertension |asthma |epilepsy |psoriasis |pain "
_DURATION_OP = r"(?:at least|more than|over|longer than|greater than|a minimum of|no more than|less than|up to|[<>≤≥]|\d)"
_TIMES = "years |months |weeks |days |year |month |week "
# "psoriasis of at least 6 months duration" (not "steroid therapy of > 6 weeks duration")
_CONDITION_OF_DURATION = _after(_CONDITION_ENDS + "|disease |disorder |syndrome |depression ", "of|(",
                                rf" ?{_DURATION_OP}[^.;()]{{0,25}}?duration")
_DIAGNOSIS = r" (?:the )?(?:initial |first |original )?diagnosis"
# variable → (synonyms as regex, case-sensitive abbreviations as regex or None)
VARIABLES: dict[str, tuple[str, str | None]] = {
    "age": (r"ages?|aged|adults?(?=\s*(?:\(|of\b|aged?\b)?\s*[\d<>≤≥])", None),  # "Adults 20-75", not "young adult men … 1.5"
    "age_at_onset": (r"age (?:at|of) (?:diagnosis|onset)", None),
    "bmi": (r"body[- ]mass[- ]index|BMI|quetelet index", r"BMI"),
    "body_weight": (r"(?:body[- ]?)?weight|weigh(?:s|ing|ting)?", None),  # "bodyweight"
    "hba1c": (r"(?:glycated|glycosylated|glycohemoglobin|glycohaemoglobin)(?: hemoglobin| haemoglobin)?(?: A1c| \(?HbA1c\)?)?"
              r"|h(?:a?e)?moglobin A1c|HbA[1l]c|Hb A1c|HbA1|A1c|HgbA1c|Hgb A1c|HBA1C|glyco-?hemoglobin", None),
    "fasting_glucose": (r"fasting (?:plasma |blood |serum |capillary )?glucose(?: level)?|fasting blood sugar|FPG|FBG|FBS", r"FPG|FBG|FBS"),
    "c_peptide": (r"(?:(?:fasting|basal|stimulated|peak|random|mixed[- ]meal[- ]stimulated|MMTT[- ]stimulated) )?c[- ]peptide", None),
    "insulin_dose": (r"(?:total |daily |exogenous )*insulin (?:dose|dosage|requirements?|needs?|doses)|insulin requirement", None),
    "disease_duration": (r"(?:disease|diabetes|T[12]DM|T[12]D|illness|symptoms?) duration"
                         r"|duration of (?:the )?(?:type [12] |type I{1,2} )?(?:diabetes(?: mellitus)?|T[12]DM|T[12]D|disease|illness|symptoms)"
                         r"|(?:confirmed )?diagnosis of (?:type [12] |type I{1,2} )?(?:diabetes(?: mellitus)?|T[12]DM)(?: by [A-Z]+ criteria)?"
                         r"|(?:history of|diagnosed with) (?:type [12] |type I{1,2} )?(?:diabetes(?: mellitus)?|T[12]DM) (?:for|of)"
                         r"|(?:^|(?<=, )|(?<=\bwho were )|(?<=\bwho was ))diagnosed(?= within)"  # not "cancer diagnosed within"
                         r"|(?<!pack-year )(?<!pack year )(?:(?<=year )|(?<=years )|(?<=month )|(?<=months ))history"
                         r"(?= of (?!smoking|tobacco|cigarette|alcohol|drug|substance))"  # "2 year history of migraine"
                         # "the course of knee osteoarthritis is 1-5 years", "disease course > 6 months"
                         r"|(?:disease|illness) course|course of (?:the )?(?:disease|illness)"
                         r"|course of (?!(?:the )?(?:study|trial|treatment|therapy|chemotherapy|radiotherapy)\b)"
                         r"(?:[\w'-]+ ){0,3}?[\w'-]+(?= (?:is|was|should be|must be)\b)"
                         # "no more than 8 weeks since diagnosis" (after a time only: not "… since diagnosis and surgery within
                         # 3 weeks"), "history of at least 6 months from diagnosis"
                         rf"|{_after(_TIMES, 'since|from|after', _DIAGNOSIS)}{_DIAGNOSIS}"
                         rf"|history of(?= {_DURATION_OP}[^.;]{{0,20}}?(?:since|from) (?:the )?(?:initial |first )?diagnosis)"
                         # "osteoarthritis for more than 1 year", "diagnosed with schizophrenia for at least 1 year"
                         rf"|(?:diagnosed|diagnosis)(?: (?:with|of) [\w' -]{{1,40}}?)? for(?= {_DURATION_OP})"
                         rf"|{_after(_CONDITION_ENDS, 'for', ' ' + _DURATION_OP)}"
                         rf"|{_CONDITION_OF_DURATION}"
                         # "newly diagnosed (within 1 month of diagnosis)", "newly diagnosed type 2 diabetes, maximum 3 months"
                         r"|newly diagnosed(?=(?:(?!\b(?:patients|subjects|adults|aged?)\b)[^.;]){0,40}?"
                         r"(?:\b(?:within|maximum|max|up to|no more than|not more than|less than)\s+|[<≤]\s*)\d)",
                         None),
    "serum_creatinine": (r"(?:serum |plasma |blood )?creatinine(?: levels?| concentration)?|s-?Cr|S\.\s?Cr\b\.?|SCr"
                         r"|Cr(?=\s*[<>≤≥])",
                         r"SCr|sCr|Scr|S-Cr|Cr"),
    "egfr": (r"(?:estimated )?glomerular filtration rate|e?GFR|MDRD(?: GFR)?", r"eGFR|GFR|EGFR"),
    "creatinine_clearance": (r"creatinine clearance|CrCl|CLcr|CrCL|creatinine cl|Ccr", r"CrCl|CLcr|CrCL|CrCI|Ccr|CCr|CCR"),
    # "high/low pressure" as Chinese registries translate them
    # (not "systolic pulmonary artery pressure", "systolic right ventricular pressure")
    "systolic_bp": (r"systolic (?:blood |arterial )?(?:pressure|BP)|SBP|SAP|systolic(?! (?:pulmonary|right|RV|PA)\b)"
                    r"|high pressure", r"SBP|SAP"),
    "diastolic_bp": (r"diastolic (?:blood |arterial )?(?:pressure|BP)|DBP|DAP|diastolic(?! (?:pulmonary|right|RV|PA)\b)"
                     r"|low pressure", r"DBP|DAP"),
    "blood_pressure": (r"blood pressures?|BP", r"BP"),  # "BP > 140/90": expanded to systolic_bp and diastolic_bp
    "ldl_cholesterol": (r"(?:fasting )?LDL(?:[- ]C|[- ]cholesterol)?|low[- ]density lipoprotein(?: cholesterol)?", r"LDL(?:-C)?"),
    "triglycerides": (r"(?:fasting |serum )?triglycerides?|TG", r"TG"),
    "hemoglobin": (r"h(?:a?e)?moglobin|Hgb|Hb|HGB", r"Hgb|Hb|HGB"),
    "platelets": (r"platelets?(?: counts?)?|PLT|thrombocytes?|thrombocytopenia", r"PLT"),
    "neutrophils": (r"(?:absolute )?(?:neutrophils?|granulocytes?)(?: counts?)?|ANC|AGC|neutropenia|granulocytopenia"
                    r"|polymorphonuclear(?: (?:leu[ck]ocytes?|lymphocytes?|(?:white )?cells?|neutrophils?))?(?: counts?)?", r"ANC|AGC"),
    "lymphocytes": (r"(?:absolute )?lymphocytes?(?: counts?)?|ALC|lymphopenia", r"ALC"),
    "wbc": (r"white (?:blood )?(?:cells?|cell count|count)(?: counts?)?|WBC(?: counts?)?|leukocytes?(?: counts?)?|leucocytes?(?: counts?)?|leukopenia",
            r"WBC"),
    "alt": (r"alanine (?:amino)?transaminase|alanine aminotransferase|serum glutamic[- ]pyruv(?:ic|ate) transaminase|ALT|S?GPT|ALAT",
            r"ALT|S?GPT|ALAT"),
    "ast": (r"aspartate (?:amino)?transaminase|aspartate aminotransferase|serum glutamic[- ]oxaloacetic transaminase|AST|S?GOT|ASAT",
            r"AST|S?GOT|ASAT"),
    "transaminases": (r"(?:liver )?(?:transaminases|aminotransferases)", None),  # one bound for AST and ALT
    "bilirubin": (r"(?:total |serum )?bilirubin|T-?BIL|TBil|BIL", r"T-?BIL|TBil|BIL"),
    # "PT INR > 1.5", "PT-INR": the INR ("PT/INR ≤ 1.5 x ULN" names both)
    "inr": (r"(?:PT[ -]?)?INR|international normali[sz]ed ratio", r"(?:PT[ -]?)?INR"),
    "pt": (r"prothrombin time|pro time|PT", r"PT"),
    "ptt": (r"(?:activated )?partial thromboplastin time|a?PTT", r"a?PTT"),
    "crp": (r"(?:high[- ]sensitivity )?c[- ]reactive protein|(?:hs-?)?CRP", r"(?:hs-?)?CRP"),
    "proteinuria": (r"proteinuria|urine protein|urinary protein(?: excretion)?", None),
    "ecog": (r"(?:ECOG|Eastern Cooperative Oncology Group(?: \(ECOG\))?)(?: performance status| PS| score)?"
             r"|Zubrod(?: performance status)?|WHO performance status", r"ECOG"),
    "karnofsky": (r"Karnofsky(?: performance status| performance score| score| PS)?|KPS", r"KPS"),
    "performance_status": (r"performance status|performance score", None),  # Karnofsky by its percentages
    # "expected death within 48 hours", "expected life < 1 week"
    "life_expectancy": (r"life[- ]?expectancy|(?:expected|estimated|anticipated|predicted) (?:(?:duration of )?survival(?: time)?"
                        r"|life(?! expectancy)|death)"
                        rf"|survival (?:time|expectancy)|(?:expected|anticipated) to (?:live|survive)"
                        rf"|{_after('unlikely to ', 'live|survive')}|(?:expected )?life ?span", None),
    "lvef": (r"(?:left ventricular )?ejection fraction|LVEF", r"LVEF"),
    "qtc": (r"QTc[BF]?(?: interval)?|corrected QT(?: interval)?", None),
    "albumin": (r"(?:serum )?albumin", None),
    "alkaline_phosphatase": (r"alkaline phosphatase|ALP|alk phos", r"ALP"),
    "cd4_count": (r"CD4(?:\+|\s+plus)?(?: T[- ](?:cells?|lymphocytes?)| cells?| lymphocytes?)?(?: counts?)?", None),
    "psa": (r"PSA|prostate[- ]specific antigen", r"PSA"),
    # look-alikes of listed variables, named so that their numbers bind to them and give no row
    "not_listed": (r"(?:gestational|bone|corrected|mental|post-?menstrual|skeletal|physiologic(?:al)?) age(?: range)?|physiologic(?:al)?(?= \d)"
                   r"|birth ?weight|(?:urine |urinary )?albumin[- /](?:to[- /])?creatinine ratio|UACR|weight (?:loss|gain|change)"
                   r"|(?:direct|conjugated) bilirubin|end[- ]diastolic pressure"
                   r"|(?:pulmonary (?:artery|arterial|capillary)(?: (?:systolic|diastolic|mean|wedge))?|wedge)"
                   r" pressures?|ankle[- ](?:arm|brachial) (?:systolic )?(?:blood )?pressure (?:ratio|index)"
                   r"|(?:aortic |mitral )?valve area"
                   r"|(?:adjusted|corrected) for (?:serum )?albumin"
                   r"|(?:CALGB|SWOG|GOG|Lansky)(?: performance status| performance score| play(?: performance)? scale| scale| score)?", None),
}
# helper names that stand for others, resolved once the numbers are known
_EXPANDS = {"blood_pressure": ("systolic_bp", "diastolic_bp"), "performance_status": ("ecog", "karnofsky"),
            "transaminases": ("ast", "alt"), "not_listed": ()}
OUTPUT_VARIABLES = tuple(v for v in VARIABLES if v not in _EXPANDS)

_GRAMS = r"(?:mg|gms?|grams?|g)"  # "mg/dL", "gm%", "grams/dl"
_M2 = r"m\s*(?:\^\s*2|\*\s*2|\(2\)|2|²)"  # "m2", "m^2", "m*2", "m(2)", "m²"
_MM3 = r"(?:mm\s*(?:\^\s*3|\(3\)|3|³)|cu\.?\s*mm|mmc\b)"
# unit kind → regex (first match wins, so longer forms first); the matched text is the row's `unit`
_UNITS: tuple[tuple[str, str], ...] = (
    ("uln", r"(?:(?:x|times)(?:\s+of)?\s*(?:the\s+)?"
            r"(?:institutional\s+|(?:institution|site|center|centre|laboratory|lab)['’]s\s+"
            r"|local\s+|laboratory\s+|lab\s+)?"
            r"(?:ULN|upper\s+(?:limits?|levels?)(?:\s+of\s+(?:the\s+)?"
            r"(?:institutional\s+)?normal(?:\s+(?:range|values?|limits?))?)?|(?:upper\s+normal|normal\s+upper)\s+limits?|UNL\b|(?:the\s+)?normal(?:\s+(?:values?|limits?))?|N\b)"
            r"|ULN\b)(?:\s*\((?:ULN|IULN)\))?"),  # "2 x ULN", "5 times of the upper limit", "2 ULN"
    ("count", rf"(?:x|×|\*)?\s*10\s*(?:\^|\*\*|e|E)?\s*\(?(?:9|3|6|12)\)?\s*/\s*(?:L|l|µL|uL|µl|ul|{_MM3})\b|(?-i:Gi?)\s*/\s*[Ll]\b"
              rf"|(?:cells?|platelets?|neutrophils?|lymphocytes?|k)?\s*/\s*(?:{_MM3}|µL|uL|µl|ul|um\b|cu\.?\s*mm|L\b|l\b|mcL|microlit(?:er|re)s?\b)"),
    ("kg/m2", rf"kg\s*/\s*{_M2}"),
    ("insulin", r"(?:IU|U|units?|iu)\s*/\s*kg(?:\s*/\s*(?:day|d|24\s*h(?:ours?|rs?)?))?(?:\s+(?:per|a)\s+day)?|(?:IU|U|units?)\s*/\s*(?:day|d|24\s*h)\b|(?:IU|U|units?)\s+(?:per|a)\s+day"),
    ("flow", rf"(?:m[lL]|millilit(?:er|re)s?)\s*(?:/|per)\s*min(?:ute)?(?:\s*(?:/|per)\s*1\.73\s*{_M2})?"),
    ("mass_per_time", rf"{_GRAMS}\s*/\s*(?:day|d|24\s*h(?:ours?|rs?)?|24h)\b|{_GRAMS}\s+(?:per|/)\s*24\s*h(?:ours?|rs?)?"),
    ("enzyme", r"(?:IU|U|mIU|iu)\s*/\s*(?:L|l)\b"),
    ("molar", r"(?:mmol|µmol|umol|nmol|pmol|mcmol|mEq)\s*/\s*(?:L|l|dL|dl|mL|ml)\b"),
    ("mmol/mol", r"mmol\s*/\s*mol\b"),
    ("mass_conc", rf"(?:{_GRAMS}|µg|ug|mcg|ng|pg)\s*/\s*(?:dL|dl|L|l|mL|ml|100\s*m[lL])\b|{_GRAMS}\s*%"),
    ("pressure", r"mm\s*Hg|mmHg"),
    ("percent", r"%|percent\b"),
    ("ms", r"(?:ms|msec|milliseconds?)\b(?:\s*\((?:ms|msec)\))?"),
    ("seconds", r"(?:seconds?|secs?|s)\b"),
    ("time", r"-?\s*(?:years?|yrs?|y|months?|mos?|weeks?|wks?|days?|hours?|hrs?|h)\b"),  # "18-yr", "< 24h"
    ("mass", r"(?:kg|kilograms?|grams?|lbs?|pounds)\b"),
)
# variable → unit kinds that fit it (None: a bare number fits)
_FITS: dict[str, set] = {
    "age": {"time", None}, "age_at_onset": {"time", None}, "disease_duration": {"time"}, "life_expectancy": {"time"},
    "bmi": {"kg/m2", None}, "body_weight": {"mass"}, "hba1c": {"percent", "mmol/mol", None},
    "fasting_glucose": {"molar", "mass_conc"}, "c_peptide": {"molar", "mass_conc", None},
    "insulin_dose": {"insulin"}, "serum_creatinine": {"molar", "mass_conc", "uln", None},
    "egfr": {"flow", None}, "creatinine_clearance": {"flow", None},
    "systolic_bp": {"pressure", None}, "diastolic_bp": {"pressure", None}, "blood_pressure": {"pressure", None},
    "ldl_cholesterol": {"molar", "mass_conc", None}, "triglycerides": {"molar", "mass_conc", "uln", None},
    "hemoglobin": {"mass_conc", "molar", None}, "platelets": {"count", None}, "neutrophils": {"count", None},
    "lymphocytes": {"count", None}, "wbc": {"count", None}, "cd4_count": {"count", None},
    "alt": {"uln", "enzyme", None}, "ast": {"uln", "enzyme", None}, "transaminases": {"uln", "enzyme", None},
    "alkaline_phosphatase": {"uln", "enzyme", None},
    "bilirubin": {"mass_conc", "molar", "uln", None}, "inr": {"uln", None}, "pt": {"seconds", "uln", None},
    "ptt": {"seconds", "uln", None}, "crp": {"mass_conc", None}, "proteinuria": {"mass_per_time", "mass_conc"},
    "ecog": {None}, "karnofsky": {"percent", None}, "performance_status": {"percent", None},
    "lvef": {"percent", None}, "qtc": {"ms", "seconds", None}, "albumin": {"mass_conc", None}, "psa": {"mass_conc", "uln", None},
}
_FITS["not_listed"] = {kind for kind, _ in _UNITS} | {None}

# variable → (canonical unit as shown, as pint reads it, scale); the unit assumed for a bare number
CANONICAL: dict[str, tuple[str, str | None, float]] = {
    "age": ("years", "year", 1), "age_at_onset": ("years", "year", 1), "disease_duration": ("years", "year", 1),
    "life_expectancy": ("months", "month", 1), "bmi": ("kg/m2", "kg/m**2", 1), "body_weight": ("kg", "kg", 1),
    "hba1c": ("%", None, 1), "fasting_glucose": ("mmol/L", "mmol/L", 1), "c_peptide": ("nmol/L", "nmol/L", 1),
    "insulin_dose": ("U/kg/day", "U/kg/day", 1), "serum_creatinine": ("µmol/L", "umol/L", 1),
    "egfr": ("mL/min/1.73m2", "mL/min", 1), "creatinine_clearance": ("mL/min", "mL/min", 1),
    "systolic_bp": ("mmHg", "mmHg", 1), "diastolic_bp": ("mmHg", "mmHg", 1),
    "ldl_cholesterol": ("mmol/L", "mmol/L", 1), "triglycerides": ("mmol/L", "mmol/L", 1),
    "hemoglobin": ("g/dL", "g/dL", 1), "platelets": ("x10^9/L", "1/L", 1e9), "neutrophils": ("x10^9/L", "1/L", 1e9),
    "lymphocytes": ("x10^9/L", "1/L", 1e9), "wbc": ("x10^9/L", "1/L", 1e9), "cd4_count": ("cells/µL", "1/uL", 1),
    "alt": ("U/L", "U/L", 1), "ast": ("U/L", "U/L", 1), "alkaline_phosphatase": ("U/L", "U/L", 1),
    "bilirubin": ("µmol/L", "umol/L", 1), "inr": ("ratio", None, 1), "pt": ("s", "s", 1), "ptt": ("s", "s", 1),
    "crp": ("mg/L", "mg/L", 1), "proteinuria": ("mg/day", "mg/day", 1), "ecog": ("grade", None, 1),
    "karnofsky": ("%", None, 1), "lvef": ("%", None, 1), "qtc": ("ms", "ms", 1), "albumin": ("g/dL", "g/dL", 1),
    "psa": ("ng/mL", "ng/mL", 1),
}
# For analysts mapping the table to OMOP or FHIR: variable → (synonyms the rules match, canonical unit in UCUM, LOINC
# codes). A code is given only where it is certain for the variable as the criteria use it; variables that are no
# laboratory or vital-sign observation (age, durations, life expectancy, insulin dose) have none. Laboratories report
# an analyte such as creatinine either as a substance concentration (µmol/L) or as a mass concentration (mg/dL), under
# two codes: the code of the canonical unit's kind comes first, then the other's (C-peptide: the mass code only, no
# molar one being certain).
CODES: dict[str, tuple[tuple[str, ...], str, tuple[str, ...]]] = {
    "age": (("age", "aged", "adults N-M", "years old", "years of age"), "a", ()),
    "age_at_onset": (("age at diagnosis", "age at onset", "onset before age N"), "a", ()),
    "disease_duration": (("duration of diabetes", "disease duration", "diagnosed within", "N-year history of", "course of disease",
                          "N months since diagnosis", "<condition> for N years", "newly diagnosed within"), "a", ()),
    "life_expectancy": (("life expectancy", "expected survival", "expected to live", "anticipated to live", "survival time"), "mo", ()),
    "bmi": (("BMI", "body mass index", "Quetelet index"), "kg/m2", ("39156-5",)),
    "body_weight": (("weight", "body weight", "bodyweight", "weigh"), "kg", ("29463-7",)),
    "hba1c": (("HbA1c", "A1C", "glycated haemoglobin", "glycosylated hemoglobin"), "%", ("4548-4",)),
    "fasting_glucose": (("fasting plasma glucose", "FPG", "FBG", "fasting blood sugar"), "mmol/L",
                        ("14771-0", "1558-6")),
    "c_peptide": (("C-peptide", "fasting C-peptide", "stimulated C-peptide"), "nmol/L", ("1986-9",)),
    "insulin_dose": (("insulin dose", "insulin requirement"), "U/kg/d", ()),
    "serum_creatinine": (("creatinine", "serum creatinine", "SCr", "Scr", "Cr"), "umol/L", ("14682-9", "2160-0")),
    "egfr": (("eGFR", "GFR", "estimated glomerular filtration rate", "MDRD"), "mL/min/{1.73_m2}",
             ("33914-3", "62238-1", "98979-8")),
    "creatinine_clearance": (("creatinine clearance", "CrCl", "Ccr"), "mL/min", ("2164-2",)),
    "systolic_bp": (("systolic blood pressure", "SBP", "SAP", "high pressure"), "mm[Hg]", ("8480-6",)),
    "diastolic_bp": (("diastolic blood pressure", "DBP", "DAP", "low pressure"), "mm[Hg]", ("8462-4",)),
    "ldl_cholesterol": (("LDL cholesterol", "LDL-C", "low-density lipoprotein"), "mmol/L",
                        ("39469-2", "22748-8", "13457-7", "2089-1")),
    "triglycerides": (("triglycerides", "TG"), "mmol/L", ("14927-8", "2571-8")),
    "hemoglobin": (("hemoglobin", "haemoglobin", "Hb", "Hgb"), "g/dL", ("718-7",)),
    "platelets": (("platelets", "platelet count", "PLT", "thrombocytes"), "10*9/L", ("777-3",)),
    "neutrophils": (("absolute neutrophil count", "ANC", "AGC", "granulocytes"), "10*9/L", ("751-8",)),
    "lymphocytes": (("lymphocytes", "absolute lymphocyte count", "ALC"), "10*9/L", ("731-0",)),
    "wbc": (("white blood cells", "WBC", "leukocytes"), "10*9/L", ("6690-2",)),
    "cd4_count": (("CD4 count", "CD4+ cells", "CD4 lymphocytes"), "/uL", ("24467-3",)),
    "alt": (("ALT", "SGPT", "alanine aminotransferase"), "U/L", ("1742-6",)),
    "ast": (("AST", "SGOT", "aspartate aminotransferase"), "U/L", ("1920-8",)),
    "alkaline_phosphatase": (("alkaline phosphatase", "ALP"), "U/L", ("6768-6",)),
    "bilirubin": (("bilirubin", "total bilirubin", "TBIL"), "umol/L", ("14631-6", "1975-2")),
    "inr": (("INR", "international normalized ratio"), "{INR}", ("6301-6",)),
    "pt": (("PT", "prothrombin time"), "s", ("5902-2",)),
    "ptt": (("PTT", "aPTT", "partial thromboplastin time"), "s", ("3173-2",)),
    "crp": (("CRP", "C-reactive protein", "hs-CRP"), "mg/L", ("1988-5", "30522-7")),
    "proteinuria": (("proteinuria", "urine protein"), "mg/d", ("2889-4",)),
    "ecog": (("ECOG", "Eastern Cooperative Oncology Group", "Zubrod", "WHO performance status"), "{score}", ("89247-1",)),
    "karnofsky": (("Karnofsky", "KPS"), "%", ("89243-0",)),
    "lvef": (("LVEF", "left ventricular ejection fraction"), "%", ("10230-1",)),
    "qtc": (("QTc", "corrected QT interval"), "ms", ("8636-3",)),
    "albumin": (("albumin", "serum albumin"), "g/dL", ("1751-7",)),
    "psa": (("PSA", "prostate-specific antigen"), "ng/mL", ("2857-1",)),
}
# Substance-specific factors, in one place: molar masses (g/mol) for mass ↔ amount conversions
# (creatinine 113.1 gives the clinical factor: µmol/L = mg/dL × 88.42), and HbA1c's IFCC → NGSP master equation.
MOLAR_MASS = {"serum_creatinine": 113.1, "fasting_glucose": 180.16, "c_peptide": 3020.3, "bilirubin": 584.66,
              "ldl_cholesterol": 386.65, "triglycerides": 885.7, "hemoglobin": 16114.5}
HBA1C_NGSP_FROM_IFCC = (0.09148, 2.152)  # % = 0.09148 × mmol/mol + 2.152
# plausible range per variable in its canonical unit: a row outside it is marked (`plausible` false) and reported by
# the asset check as a warning, since it is what the source says ("lymphopenia (<1,000/L)", a typo for /µL)
PLAUSIBLE: dict[str, tuple[float, float]] = {
    "age": (0, 120), "age_at_onset": (0, 120), "disease_duration": (0, 100), "life_expectancy": (0, 600),
    "bmi": (10, 80), "body_weight": (1, 400), "hba1c": (3, 20), "fasting_glucose": (1, 40), "c_peptide": (0, 10),
    "insulin_dose": (0, 10), "serum_creatinine": (10, 2000), "egfr": (0, 200), "creatinine_clearance": (0, 250),
    "systolic_bp": (50, 300), "diastolic_bp": (20, 200), "ldl_cholesterol": (0, 20), "triglycerides": (0, 50),
    "hemoglobin": (2, 25), "platelets": (1, 2000), "neutrophils": (0.05, 100), "lymphocytes": (0.05, 100),
    "wbc": (0.1, 200), "cd4_count": (0, 3000), "alt": (1, 5000), "ast": (1, 5000), "alkaline_phosphatase": (1, 5000),
    "bilirubin": (1, 1000), "inr": (0.5, 10), "pt": (5, 200), "ptt": (10, 300), "crp": (0, 500),
    "proteinuria": (0, 30000), "ecog": (0, 5), "karnofsky": (0, 100), "lvef": (5, 90), "qtc": (300, 700),
    "albumin": (0.5, 10), "psa": (0, 10000),
}

# ----------------------------------------------------------------------------------------- grammar
_OPS = {
    "≥": "ge", "≤": "le", ">": "gt", "<": "lt",
    "at least": "ge", "no less than": "ge", "not less than": "ge", "no lower than": "ge", "not lower than": "ge",
    "not below": "ge", "not under": "ge", "no fewer than": "ge", "minimum of": "ge", "a minimum of": "ge",
    "minimum": "ge", "min": "ge",
    "more than": "gt", "greater than": "gt", "higher than": "gt", "over": "gt", "above": "gt", "exceeding": "gt",
    "exceeds": "gt", "exceed": "gt", "in excess of": "gt", "older than": "gt", "elevated above": "gt",
    "at most": "le", "no more than": "le", "not more than": "le", "no greater than": "le", "not greater than": "le",
    "no higher than": "le", "not higher than": "le", "not over": "le", "not above": "le", "not exceeding": "le",
    "not to exceed": "le", "not exceed": "le",
    "does not exceed": "le", "maximum of": "le", "a maximum of": "le", "maximum": "le", "max": "le", "up to": "le",
    "no older than": "le", "not older than": "le", "less than": "lt", "lower than": "lt", "under": "lt",
    "below": "lt", "younger than": "lt", "fewer than": "lt", "inferior to": "lt", "lest than": "lt", "less that": "lt",
    "as high as": "le", "as low as": "ge",
    "before": "lt", "beyond": "gt",  # only with an age
    "within": "le", "within the past": "le", "within the last": "le", "within the previous": "le",  # a time window
}
_WORDS = sorted(_OPS, key=len, reverse=True)
_OP = r"(?:" + "|".join(re.escape(w) + (r"(?![^\W\d_])" if w[-1].isalpha() else "") for w in _WORDS) + r")"
_POSTFIX = {
    "ge": r"or (?:more|greater|higher|above|older|over|longer)|and (?:older|over|above|greater|more|longer)|or greater"
          r"|\+(?!\s*/?\s*-)|older\b(?!\s+than)",  # "18+" (not "1+/-20%"), "18 years older" for "or older"
    "le": r"or (?:less|lower|below|younger|fewer|under|shorter)|and (?:younger|under|below|less)|younger\b(?!\s+than)",
}
_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+"
_UNIT_GROUPS = {f"u{i}": kind for i, (kind, _) in enumerate(_UNITS)}
_UNIT = "|".join(f"(?P<u{i}>{rx})" for i, (_, rx) in enumerate(_UNITS))
_PER_VOLUME = re.compile(rf"(?:cells?|platelets?|neutrophils?|lymphocytes?)?\s*/\s*(?:{_MM3}|µL|uL|µl|ul|mcL|microlit(?:er|re)s?)", re.IGNORECASE)
_DOT_THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3})+")
# White space is read possessively (\s*+) where nothing after it can begin with any: a run of it that two or three
# \s* could split took time growing with its square or cube (400 spaces after "age ≥ 18": 3.8 s).
_UNIT_RE = re.compile(rf"\s*+(?:{_UNIT})", re.IGNORECASE)
_AGE_SUFFIX = re.compile(r"[\s-]*(?:of[\s-]+age|old|of\s+life)\b")
_NUM_RE = re.compile(_NUM)
# a bound this large is no measurement: past the 15 digits a float keeps ("HbA1c ≥ " and 400 nines read as inf; the
# largest bound in the archives' criteria has 7 digits)
_LARGEST = 1e15
_OP_RE = re.compile(_OP, re.IGNORECASE)
# "(trial 3 and less than 18 years old)": a comparator of the next number, no postfix
_POSTFIX_RE = {op: re.compile(rf"\s*(?:{rx})(?!\s+than\b)", re.IGNORECASE) for op, rx in _POSTFIX.items()}
# "from 18 to <65", "8.0 years to less than 18.0 years", "3 months up to 100 years"
_AT_LEAST = {"at least", "no less than", "not less than", "a minimum of", "minimum of", "minimum", "min"}
_RANGE_SEP = re.compile(r"\s*(?P<word>-|–|—|to|and|through|~|up to)\s*(?P<below>(?:<|under|less than|below)\s*)?(?=[\d.])", re.IGNORECASE)
_TO_PHYSIOLOGIC = re.compile(r"\s*(?:-|to)\s*physiologic(?:al)?\s+\d", re.IGNORECASE)
_AGE_OF = r"(?:the\s+)?ages?\s+of\s+|age\s+"  # "under the age of 10", "between the ages of 21 and 55"
_RANGE_LEAD = re.compile(rf"(?:between|from|ranging from|range of|in the range of|range)\s+({_AGE_OF})?", re.IGNORECASE)
_AGE_OF_RE = re.compile(_AGE_OF, re.IGNORECASE)
_SECOND_BOUND = re.compile(r"\s*+,?\s*+(?:and|but|&|to)?\s*(?=" + _OP + ")", re.IGNORECASE)
# Where a value can begin: a comparator sign or a number, or a word at a word's start ("at least", "between");
# the look-ahead lets the scan skip every other position without trying each word.
_START = re.compile(rf"(?=[≤≥<>.]|(?<![A-Za-z])\d|(?<![^\W\d_])[{''.join(sorted({w[0].lower() for w in _WORDS if w[0].isalpha()} | set('bfri')))}])"
                    rf"(?:{_OP}|\d|\.\d|\b(?:between|from|ranging from|range of|in the range of)\s+(?:{_AGE_OF})?(?=[\d.]))",
                    re.IGNORECASE)
_DIGIT = re.compile(r"\d")
_SPACES = re.compile(r"\s*")
# "ECOG 0, 1 or 2": a range on a scale, of six scores at most (a list read to its end from each of its numbers took
# time growing with its square: 32,000 characters of "1, 1, …" 7 s)
_SCORES = re.compile(r"(\d)(?:\s*,\s*\d){0,4}\s*(?:,\s*)?or\s+(\d)(?!\.?\d)")
# a number that is not a bound: an offset above the ULN ("1.0 mg/dL above ULN"), a count ("at least 1 regimen"),
# a birth weight ("less than 1,251 grams at birth")
_NOT_A_BOUND = re.compile(r"\s*(?:above|over|greater than)\s+(?:the\s+)?(?:ULN|upper limits?|normal|control)\b"
                          r"|\s+prolonged\b"
                          r"|\s+(?:[a-z]+\s+){0,2}?(?:regimens?|cycles?|courses?|lines?|doses?|episodes?|reactions?"
                          r"|of (?:them|these))\b|\s+at birth\b",
                          re.IGNORECASE)
# "(including 18 years old)", "(including 18 and 75 years old)", "(both inclusive)" after a bound or range
_INCLUSIVE_NOTE = re.compile(rf"\s*\(\s*(?:both\s+)?(?:including|inclusive|included)(?:\s+(?:{_NUM})"
                             rf"(?:\s*(?:and|to|-|–)\s*(?:{_NUM}))?(?:\s*(?:years?|yrs?)(?:\s+old)?)?)?\s*\)", re.IGNORECASE)
_BY = re.compile(r"\bby\s*$", re.IGNORECASE)  # "decline of ejection fraction by more than 20%": a change, not a level
_SEX = r"(males?|men|man|boys?|females?|women|woman|girls?)"
_SEX_AFTER = re.compile(rf"\s*+(?:\(\s*+(?:for|in|among)?\s*{_SEX}\s*\)|,?\s*(?:for|in|among)\s+{_SEX}\b)",
                        re.IGNORECASE)
_SEX_AFTER_AGE = re.compile(rf"\s+{_SEX}\b(?!\s*(?:and|or|&|/|,))", re.IGNORECASE)  # "aged >= 18 years old female"
_SEX_BEFORE = re.compile(rf"(?<!\band )(?<!\bor )\b{_SEX}\b\s*[:,]?\s*(?:\(|,)?\s*$", re.IGNORECASE)
# the subject of the phrase, at its start: "5 Male subjects weigh …, female subjects weigh …", "… aged 9-45 years old
# and male participants aged 9-15" (not "Male or … females", "men and women aged …")
_SEX_SUBJECT = re.compile(rf"(?:^[\d.\s-]*|[,;:.]\s*|(?:\d|\byears?|\bold)\s+and\s+)"
                          rf"(?:(?!(?:and|or)\b)[a-z-]+\s+){{0,2}}{_SEX}"
                          rf"(?:\s+(?:subjects|patients|participants|volunteers|adults))?\s*$", re.IGNORECASE)
# … whose age bound is that sex's own when the criterion reads "<sex> aged …" ("Men aged ≥ 50 years"; "Women 45-64
# years of age" names the population only)
_AGED = re.compile(r"aged\b", re.IGNORECASE)
_FOR_SEX = re.compile(r"\b(?:for|in|among)\s+$", re.IGNORECASE)
_SEX_CONTINUE = re.compile(rf"\s*(?:,|;|and|or|/)\s*(?:(?:for|in)\s+)?(?:{_SEX}\s*[:,]?\s*)?", re.IGNORECASE)
_BP_PAIR = re.compile(rf"({_NUM})\s*/\s*({_NUM})(\s*mm\s*Hg)?", re.IGNORECASE)
# a cue right before the variable negates it ("no history of BMI > 40", "not expected to live", "except for CD4 < 200");
# a leading "No" or "must not have" is only the exclusion's phrasing and is labelled as a bound
_NEGATION = re.compile(r"\b(?:no history of|without|absence of|free of|never|negative for|not|unlikely to|except for"
                       r"|(?<!\bnot )excluding)\s+"
                       r"(?:(?:a|an|the|any|known|prior)\s+)?$", re.IGNORECASE)
_NOT = re.compile(r"not\b|unlikely\b", re.IGNORECASE)
# a bound its own sentence rules out, in a criterion of no heading or an inclusion's: "Must not have serum bilirubin
# greater than 4 mg/dl", "those with a platelet count less than 50,000 will be excluded" (older NIH records list their
# criteria without headings: read as requirements, both gave the excluded range as the eligible one). Not across a
# positive "and must" or "but", nor into a parenthesis ("must not have abnormal cardiac function (ejection fraction
# greater than 45%" states the normal range)
_RULED_OUT_BEFORE = re.compile(r"\b(?:must|should|may|can|could|shall|will)\s*not\s+(?:have|be)\b"
                               r"(?:(?!\b(?:and|but|must|should)\b)[^;:()])*$"
                               # … or what the sentence says makes a participant ineligible, all its bounds: "Ineligible
                               # if SGOT and SGPT greater than 1.5 times ULN AND alkaline phosphatase greater than 2.5"
                               r"|\b(?:ineligible|not\s+eligible|excluded)\s+if\b"
                               r"(?:(?!\b(?:but|must|should)\b|,\s*and\b)(?:\([^()]{0,40}\)|[^;:()]))*$",
                               re.IGNORECASE)
# (but not for another treatment: "… < 66 years with NHL … who are not eligible for autologous transplantation")
_NOT_FOR_ANOTHER = r"(?!\s+for\s+(?!(?:this|the)\s+(?:study|trial|protocol)\b))"
_RULED_OUT_AFTER = re.compile(r"[^;:()]*?\b(?:(?:will|shall|are|is|to)\s+(?:be\s+)?"
                              r"(?:excluded|ineligible|not\s+eligible)"
                              r"|renders?\s+(?:\w+\s+){0,2}ineligible)\b" + _NOT_FOR_ANOTHER, re.IGNORECASE)
# … or a clause opening "No", as the NCI's records list what rules a participant out: the bound's name right after it
# (or after up to three words of a condition), or after "with", "of", "by", "as", "including", "having", "whose" or a
# lower-case "or", before any comma but a definition's ("…, i.e.:", "…, defined as"): "No ejection fraction of less
# than 50%", "No history of congestive heart failure with an LVEF less than 40%", "No patients with serum creatinine
# greater than 1.8 or creatinine clearance less than 50". Not "No more than 2 …", "No upper age limit", "No. of …",
# "No study entry restrictions … for patients with an ECOG of 0 and 1", "No significant cardiac disease, as evidenced
# by LVEF >= 50%", a list's alternative ("No history of cardiac disease OR Left ventricular ejection fraction greater
# than 50%"), nor where the lines of a list run on, a name capitalised after a word: "Renal: No clinically significant
# renal disease Creatinine less than 1.4 mg/dL", "No encephalopathy Bilirubin no greater than 2.5 times ULN"
_NO = re.compile(r"\bNo\s+(?!(?i:more|less|greater|fewer|higher|lower|longer|shorter|older|younger|upper|lower|maximum"
                 r"|minimum|limits?)\b)"
                 r"(?:\w+\s+(?:[a-z][\w-]*\s+){0,2}|(?:(?!\b(?i:and|but|must|should|except|unless|if|restrictions?"
                 r"|requirements?)\b|\b[A-Z][a-z])(?:[^;:().,]|[.,](?=\d)))*?"
                 r"(?:\b(?:(?i:with|of|by|as|including|having|whose)|or)\s+"
                 # … or defined after a comma: "No history of severe hypertension, i.e.: Systolic 200 mm Hg or more",
                 # "No uncontrolled hypertension, defined as systolic BP > 160" (not "…, as evidenced by LVEF >= 50%")
                 r"|,\s*(?i:i\.\s?e\.|defined\s+(?:as|by))\s*:?\s*)(?:(?i:an?|the)\s+)?)?$")
# "No encephalopathy ", "No congestive heart failure " before a capitalised name: a list run on (not "No known SGPT",
# "No baseline CD4 counts", "No prolonged QTc": words of the measurement)
_NAME_RUN_ON = re.compile(r"\bNo\s+(?:(?!(?i:with|of|by|as|including|having|whose|or)\b)\w+\s+){0,2}"
                          r"(?!(?i:known|prior|previous|current|baseline|screening|documented|elevated|abnormal"
                          r"|prolonged|low|high|increased|decreased|reduced|serum|plasma|total|fasting|random"
                          r"|persistent|any|other|with|of|by|as|including|having|whose|or)\b)\w+\s+$")
_CAPITALISED = re.compile(r"[A-Z]")
# a bound the sentence says nothing is set on: "No age limit, must be at least 18 years old"
_NO_LIMIT = re.compile(r"(?<!upper )(?<!lower )\b(?:limits?|restrictions?|cut-?offs?)\b", re.IGNORECASE)
# a requirement between a bound's name and its value, whatever the criterion's heading: "Unstable Hemoglobin (Hb < 7)
# (i.e. Hb must be > 7 mg/dL)", "creatinine clearance should be greater than 45 ml/min" under an exclusion heading
_REQUIRED = re.compile(r"\b(?:must|should|shall|needs?\s+to|has\s+to|have\s+to)\s+(?:be|have|remain)\b"
                       r"(?!\s+(?:excluded|ineligible|withdrawn)\b)", re.IGNORECASE)
# … not what an excluded case must show: "in case of the proteinuria ≥1+ on the dipstick, 24 hours proteinuria must
# be >1.5 g/24 hours"
_IN_CASE = re.compile(r"\b(?:if|in\s+case|when|whenever|unless)\b", re.IGNORECASE)
# a bound its own phrase allows, in an exclusion: "(Note: Subjects with medically controlled hypertension [diastolic
# blood pressure <95 mm Hg, systolic blood pressure <165 mm Hg] may participate.)"; not for another treatment, nor past
# a comma or an "unless" to another subject's ("QTc > 470 ms, patients with bundle branch block may be eligible …")
_ALLOWED_AFTER = _cued(r"(?:(?!\b(?:unless|but|although|if|except)\b)[^;:(),])*?"
                       r"\b(?:(?:may|can|will|could)\s+(?:also\s+)?(?:participate|enter"
                       r"|be\s+(?:enrolled|included|eligible|allowed|permitted))"
                       r"|(?:are|is)\s+(?:also\s+)?(?:eligible|allowed|permitted))\b" + _NOT_FOR_ANOTHER,
                       "participate|enter|enrolled|included|eligible|allowed|permitted")
# … or before it: "patients are eligible if LVEF is >= 45%" under an exclusion heading
_ELIGIBLE_IF = _cued(r"(?<!\bnot )\beligible\s+if\b[^;:]*$", "eligible")
# between bounds of one statement: a systolic and a diastolic bound, a list an allowance ends
_PAIRED = re.compile(r"[\s,]*(?:(?:and/or|or|and)\s+)?", re.IGNORECASE)
_ECOG_SCALE = re.compile(r"\b(?:ECOG|WHO|Zubrod|Eastern Cooperative)\b", re.IGNORECASE)
_FOR = re.compile(r"\bfor\s+(?:the\s+)?$", re.IGNORECASE)  # "Lansky 50-100 for ages 0-10": whom the scale is for
# a condition shortly before the value: "EKG required if over 40 years of age", "if the mean QTc > 480 msec", "unless
# CD4 count declines to < 350"; a comma, a heading or a parenthesis closing before it ends it (one it opens and
# closes, of 40 characters at most, does not: "if AST (SGOT) …"), and an exception's cause is none: "Hepatic:
# Bilirubin less than 2.5 times normal unless due to Gilbert's syndrome SGOT or SGPT less than 2.5"
_CONDITION = _cued(r"(?<!eligible )(?<!excluded )"  # not the criterion's own "… will be ineligible if …"
                   r"\b(?:if|unless(?!\s+(?:\w+\s+)?(?:due|caused|secondary|related|attributable)\b))\b"
                   r"(?:(?!,\s)(?:\([^()]{0,40}\)|[^;:)])){0,40}$", "if|unless")
# a subgroup right before the variable or value names whom something else applies to: "consent from a guardian for
# subjects under the age of 18", "PCP prophylaxis in patients with CD4 count <= 200"
_SUBGROUP = re.compile(r"\b(?:for|in|among)\s+(?:all\s+)?(?:other\s+|those\s+)?(?:patients|subjects|participants|"
                       r"children|infants|persons|individuals|those|minors|adolescents|teenagers|women|men|males|"
                       r"females|boys|girls)(?:\s+(?:who\s+are|with|aged|whose))?\s*$", re.IGNORECASE)
# someone else's age: "DONOR: Age < 75", "identical sibling age 4 to 65"
# ("Family support member must be 18 years or older"; not a caregiver or partner, whom dyad studies enrol)
_RELATIVE = r"donors?|siblings?|relatives?|family (?:\w+ )?(?:history|members?)|mother|father|brothers?|sisters?"
_OTHER_PERSON = re.compile(rf"\b(?:{_RELATIVE})\b(?:(?!\bpatients?\b)[^.;]){{0,40}}$", re.IGNORECASE)
# … or written after it: "sudden death under 40 years of age in first-degree relatives"
_OF_OTHER_PERSON = re.compile(rf"\s*(?:in|among|of)\s+(?:an?\s+|the\s+|one\s+|his\s+|her\s+|their\s+)?"
                              rf"(?:(?:first|second|1st|2nd)[- ]degree\s+)?(?:{_RELATIVE})\b", re.IGNORECASE)
# an age allowed with someone's consent, not a bound: "Patients < 18 years of age may participate with the consent of
# parent, guardian, …", "patients below the age of 21 must have consent of parent or guardian" (an upper bound only,
# or "may": a paediatric trial's range stays, "Children aged 2 to 11 years … whose parent … must give consent")
_WITH_CONSENT = re.compile(r"(?:(?!\b(?:and|but)\b)[^.;]){0,60}?\b(?P<verb>may|must|will|should|can)\b[^.;]{0,40}?"
                           r"\b(?:consent|permission|assent)\b[^.;]{0,30}?\b(?:parents?|guardians?|legal)",
                           re.IGNORECASE)
# a target kept by treatment, not a bound: "transfusion to maintain hemoglobin of 7 or more g/dl", "(hemoglobin must
# be maintained above 8 g/dL with transfusions)"
_MAINTAINED = _cued(r"\bto\s+maintain\b(?:(?!,\s)[^;:.()]){0,40}$|\bmaintained\s*$", "maintain")
# points in a score, not bounds: "1 point each: age > 65", "2 points for QTc > 450"
_POINTS = _cued(r"\b\d+\s+points?\b(?:\s+each)?\s*(?::|\bfor\b|\beach\b)", "point")
# a change, not a level: "a decrease of hemoglobin of 1 g/dL or more"
_CHANGE = _cued(r"\b(?:decreases?|declines?|drops?|falls?|reductions?|increases?|rises?|changes?)"
                r"\s+(?:of|in)\s+(?:the\s+)?$", "decrease|decline|drop|fall|reduction|increase|rise|change")
# a second condition joined to the first: "if ANC is less than 1,000/mm^3 or platelet count is less than 75,000/mm^3"
_JOINED = re.compile(r"\s*,?\s*(?:and/or|or|and)\s+$", re.IGNORECASE)
# criteria that state no requirement at all: "(A CD4 count of 50/mm3 or more … is no longer required.)"
_NOT_IN_FORCE = _cued(r"\bno longer (?:required|needed|necessary|an? (?:requirement|exclusion|criterion))",
                      "no longer ")
# an amendment note quotes the rule it replaced ("(This study has been changed. Originally, infants 1 to 15 days old
# …)") or states the one now in force ("(… You now must have a CD4 cell count of 200-700 …)")
_AMENDMENT = re.compile(r"\(\s*This study has been changed\.[^()]*\)?", re.IGNORECASE)
# EU CTR's form lines name the age groups a trial includes and how many: "F.1.3 Elderly (>=65 years) yes"
_AGE_GROUP_FORM = _cued(r"\bF\.1\.\d|\bNumber of subjects for this age range\b",
                        "f.1.|number of subjects for this age range")
_NOW = re.compile(r"\bnow\b", re.IGNORECASE)
# what an illness would do to life expectancy, not the participant's own: "a condition that would reduce life
# expectancy to < 2 years"
_SHORTENED = re.compile(r"\b(?:reduces?|limits?|shortens?|compromises?)\s+(?:(?:the|his|her|their)\s+)?$"
                        r"|\b(?:diseases?|illness(?:es)?|co-?morbidit(?:y|ies)|conditions?|malignan\w*|cancers?|tumou?rs?)\s+"
                        r"(?:with|and)\s+(?:an?\s+)?$", re.IGNORECASE)  # "end-stage disease with a life expectancy < 1 year"
_SINCE = re.compile(r"(?:since|from|after)\b", re.IGNORECASE)
_HOURS_OR_DAYS = re.compile(r"days?|hours?|hrs?|h", re.IGNORECASE)
_HOURS = re.compile(r"hours?|hrs?|h", re.IGNORECASE)  # no disease a trial enrols by its duration is hours old
_ACUTE = re.compile(r"\b(?:symptoms?|illness|onset|COVID|SARS|n?CoV|coronavirus|influenza|pneumonia|infection)", re.IGNORECASE)
# criteria on prophylaxis name the CD4 level at which it is required, not an eligibility bound
_PROPHYLAXIS = re.compile(r"\bprophyla", re.IGNORECASE)
# a share of the enrolment, not each participant's bound: "No more than 10 percent of subjects may be over 50",
# "No more than one patient over 50 years of age is permitted at each dose level"
_SHARE = _cued(r"(?:%|\bpercent)\s+of\s+(?:the\s+)?(?:subjects|patients|participants)\b"
               r"|\b(?:no more than|at most|up to|a maximum of)\s+(?:one|two|three|\d+)\s+(?:patients?|subjects?)\b",
               "%|percent|no more than|at most|up to|a maximum of")
_CLAUSE_END = re.compile(r";|\.\s|\.$|\n")
_OR = re.compile(r"\bor\b", re.IGNORECASE)
# how far before a value its clause is looked for: over the 89,744 distinct criteria of the two archives 60 characters
# change no row, 20 change 72 criteria's
CLAUSE_REACH = 300
# "… or radioisotope …", "ALT, AST, (b) bilirubin"
_LISTED_WITH = re.compile(r"\s*[,/]\s*")  # "alt, AST", "ast/ALT"
_CHAIN_GAP = re.compile(r"^[\s()/,&]*(?:[a-z1-9]\)[\s,]*)?(?:(?i:and/or|and|or)\b[\s()/,&]*(?:[a-z]{1,14}\s+\(?)?)?$")
_TIME_WINDOW = re.compile(
    r"\b(?:within|in|during|over|for)\s+(?:the\s+)?(?:last|past|previous|preceding|prior)?\s*"
    r"(?:\d+|one|two|three|four|five|six|twelve)?\s*(?:days?|weeks?|months?|years?)\b"
    r"(?:\s+(?:prior to|before|of)\s+[a-z ]{0,30}?(?=[,;.)]|$))?", re.IGNORECASE)
_ONSET = re.compile(r"\b(?:onset|diagnos(?:is|ed|es)|occurred|began|started)\b"  # not "newly diagnosed AML in adults (aged) ≥ 75 years"
                    r"(?:(?!\b(?:in|among)\s+(?:adults|patients|subjects|children)\b)[^;,]){0,40}(?<!\bin )(?<!\bamong )$", re.IGNORECASE)
_PAREN_NUMBER = re.compile(r"\s*\(\s*(or\s+)?(?=\d)")  # "(5 x ULN if …)", "(or 18 if …)"
_IF = re.compile(r"\s+if\b", re.IGNORECASE)
# between a bound and a further bound on the same variable: "< 100 mmHg at screening or < 95 mmHg", "(5 x ULN if …)"
_ALTERNATIVE_GAP = re.compile(r"\s*\(\s*|(?:\([^()\d;]{0,30}\)|[^()\d;.]){0,40}?\b(?:or|and|but)\s+", re.IGNORECASE)
_OR_GAP = re.compile(r"\s*,?\s*or\s+", re.IGNORECASE)
_OLDER_YOUNGER = re.compile(r"older|younger", re.IGNORECASE)
_OR_OLDER = re.compile(r"[\s-]*+(?:of\s+age|old)?\s*(?:or|and)\s+(older|younger)", re.IGNORECASE)
_PREFIX_BOUND = re.compile(rf"({_NUM})\s*(?:{_UNIT})?(?:\s*old)?\s*([≤<≥>])\s*$", re.IGNORECASE)  # "7.0% ≤" HbA1c, "18 years old <=" age
# a name followed by its own value or a colon does not take the value before it: "… 4.2 mg/dL Creatinine no greater
# than 1.3", "Age: Over 17 to under 66 Performance status: Not specified"
_OWN_VALUE = re.compile(rf"\s*(?::|{_OP}|\d)", re.IGNORECASE)
_ADJACENT = re.compile(r"\s*(?:of|:)?\s*")
# "18 years of age", "60 kg in body weight", "> 2 times normal for (a) ALT, AST"
# "> 2 x ULN for ALT", "above 3 times the upper limit values (alanine aminotransferase …)"
_BEFORE_NAME = re.compile(r"['’]?[\s/]*(?:of\s+|in\s+(?=(?:body\s+)?weight|age)|for\s+(?:\(?[a-z1-9]\)\s*)?|(?:values?\s*)?\(\s*)?", re.IGNORECASE)
_MAX_GAP = 60  # characters between a variable's name and its value
_OWN_NUMBER = re.compile(r"\s*\d")
_SINCE_EVENT = re.compile(r"[\s-]*(?:post|past|after|since|ago|prior|before|off)", re.IGNORECASE)  # "1 year postmenopausal"
_CONSENT = re.compile(r"\b(?:consent|assent|guardians?)\b", re.IGNORECASE)
_FILLER = re.compile(r"[ .;,]*")  # what else a criterion that is only a value holds: "< 18 years."
_YEARS = re.compile(r"years?|yrs?|y", re.IGNORECASE)
_PERSON = re.compile(rf"\b(?:patients?|subjects?|participants?|volunteers?|individuals?|persons?|people|child(?:ren)?|"
                     rf"{_SEX})"
                     rf"\s*(?:,|\(|who\s+(?:are|were)|aged?|of|at)?\s*$", re.IGNORECASE)
# names that may follow their values, through further values of theirs, at most _MAX_GAP characters after the value:
# "> 180 or < 90 mm Hg systolic" (each value's gap read to a name far after took time growing with the square of a
# criterion's length; possessive, a run of digits was split every way before the gap failed: 22 digits 0.6 s)
_NAMED_AFTER = {"systolic_bp", "diastolic_bp"}
_VALUES_GAP = re.compile(rf"(?:\s|,|or\b|mm\s*Hg|[<>≤≥]|{_NUM})*+", re.IGNORECASE)
_HEADS_VALUE = re.compile(rf"[^\d,;.]{{0,30}}?(?:{_OP}|\d)", re.IGNORECASE)  # "diastolic blood pressure (DBP) ≥ 95"


# names whose words begin other variables' names ("creatinine" clearance, "age" at onset): tried last
_GENERIC = {"age", "serum_creatinine", "hemoglobin", "blood_pressure", "performance_status", "body_weight", "lymphocytes"}


_NAMES = tuple(sorted(VARIABLES, key=lambda n: n in _GENERIC))  # in the order they are tried: the first that matches


_MAX_FIRST_WORDS = 1000  # a pattern that can begin with more words than this is tried at every word
_MAX_COUNT = 8  # a repeat whose words still grow after this many times can begin any word
_WORD_CHARACTER = re.compile(r"\w")


def _first_words(items, starts: set[tuple[str, bool]]) -> set[tuple[str, bool]] | None:
    """The first words a match of (re's parse of) a pattern can begin with, read on from `starts`: pairs of the word
    characters read (\\w, in lower case) and whether a character of another kind has ended them. None where a
    construct is not read here (any word)."""
    states = set(starts)
    for op, arg in items:
        open_ = {state for state in states if not state[1]}
        if not open_:
            break
        if op in (_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT):
            continue  # zero-width
        if op is _sre.LITERAL:
            new = {_followed(state, chr(arg)) for state in open_}
        elif op is _sre.IN:
            chars = _characters(arg)
            new = None if chars is None else {_followed(state, char) for state in open_ for char in chars}
        elif op is _sre.BRANCH:
            subs = [_first_words(sub, open_) for sub in arg[1]]
            new = None if None in subs else set().union(*subs)
        elif op is _sre.SUBPATTERN:
            new = _first_words(arg[3], open_)
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT):
            new = _repeated(arg, open_)
        else:
            new = None
        if new is None:
            return None
        states = (states - open_) | new
        if len(states) > _MAX_FIRST_WORDS:
            return None
    return states


def _repeated(repeat, starts: set[tuple[str, bool]]) -> set[tuple[str, bool]] | None:
    """_first_words of a repeat (re's parse: min, max, pattern), each count from min on while a word is still open."""
    low, high, items = repeat
    found, current = set(), starts
    for count in range(min(high, _MAX_COUNT) + 1):
        if count >= low:
            found |= current
        open_ = {state for state in current if not state[1]}
        if not open_ or count == high:
            return found
        following = _first_words(items, open_)
        if following is None:
            return None
        current = following | (current - open_)
    return None


def _characters(members) -> list[str] | None:
    """The characters of a class (re's parse of [...]); None for a category other than white space, or a wide range."""
    chars = []
    for kind, value in members:
        if kind is _sre.LITERAL:
            chars.append(chr(value))
        elif kind is _sre.RANGE and value[1] - value[0] < 256:
            chars.extend(map(chr, range(value[0], value[1] + 1)))
        elif kind is _sre.CATEGORY and value is _sre.CATEGORY_SPACE:
            chars.append(" ")
        else:
            return None
    return chars


def _followed(state: tuple[str, bool], char: str) -> tuple[str, bool]:
    word, _ = state
    return (word + char.lower(), False) if _WORD_CHARACTER.match(char) else (word, True)


def _first_words_of(name: str) -> set[str] | None:
    """The words a match of the variable's name can begin with, in lower case (None: any word, as where one is not
    ASCII: re's case folds pair some letters past ASCII with ASCII ones)."""
    found = _first_words(_sre_parse(VARIABLES[name][0], re.IGNORECASE), {("", False)})
    return None if found is None or not all(word.isascii() for word, _ in found) else {word for word, _ in found}


def _names_by_first_word() -> tuple[dict[str, tuple[str, ...]], tuple[str, ...]]:
    """The names each first word allows, in the order tried, and those any word does."""
    words = {name: _first_words_of(name) for name in _NAMES}
    any_word = tuple(name for name in _NAMES if words[name] is None)
    return {word: tuple(name for name in _NAMES if words[name] is None or word in words[name])
            for word in set().union(*filter(None, words.values()))}, any_word


_NAMES_BY_FIRST_WORD, _NAMES_OF_ANY_WORD = _names_by_first_word()


@cache
def _names_regex(names: tuple[str, ...]) -> re.Pattern:
    parts = [f"(?P<{name}>{VARIABLES[name][0]})" for name in names]
    return re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w]|" + _MODIFIER
                      + ")", re.IGNORECASE)


def _names_beginning(word: str) -> re.Pattern | None:
    """The variables' names that can begin with this word (its word characters as written), as one regex (None: none
    can). The names are 42 alternations; trying all at every word took a third of threshold extraction, trying those
    a word's first character allows a fifth: a word tries those whose first words, read from re's own parse of each
    name's pattern, hold it (past ASCII, all of them: case folds vary)."""
    names = _NAMES_BY_FIRST_WORD.get(word.lower(), _NAMES_OF_ANY_WORD) if word.isascii() else _NAMES
    return _names_regex(names) if names else None


# a name hyphenated to one of these qualifies another ("albumin-adjusted calcium", "age-adjusted IPI"): not its mention
_MODIFIER = r"-(?:adjusted|corrected|correlated|matched|related|specific|dependent|derived|induced|based)\b"
_WORD = re.compile(r"(?<![\w-])(?=[^\W\d_]|\()\w*")  # a word where a name can begin (a letter or "(" starts it)
_CASE_SENSITIVE = {name: re.compile(rf"(?:{abbr})") for name, (_, abbr) in VARIABLES.items() if abbr}
_WORD_NUMBERS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve".split())} | {"eighteen": "18", "twenty-four": "24"}
# one spelling per comparator: "≥", "≤", ">", "<" (each tried only where one of its cues is written at all)
_COMPARATORS = [(_cued(p, cues), r) for p, cues, r in (
    (r"≧|=>|>\s*=|>\s*/\s*=|=\s*/\s*>|>\s*or\s*(?:=|equal(?:\s+to)?)|=\s*or\s*>|≥\s*="
     r"|(?:greater|more|older) (?:than )?or equal(?: to)?"
     r"|equal (?:to )?or (?:greater than|more than|above|over|higher than|older than)|\bat or (?:above|over)\b",
     "≧|=|equal|at or", "≥"),
    (r"≦|=<|<\s*=|<\s*/\s*=|=\s*/\s*<|<\s*or\s*(?:=|equal(?:\s+to)?)|=\s*or\s*<|≤\s*="
     r"|(?:les[st]|younger) (?:than )?or equal(?: to)?"
     r"|equal (?:to )?or (?:less than|below|under|lower than|younger than)|\bat or (?:below|under)\b"
     r"|\bno(?:t)? longer than|\bnot expected to exceed",
     "≦|=|equal|at or|longer than|expected to exceed", "≤"),
    # rarer words as signs, so that a value's scan need not stop at every word beginning with their letters
    (r"\blonger than|\bsuperior to", "longer than|superior to", ">"), (r"\bshorter than", "shorter than", "<"),
)]
_CHARACTERS = str.maketrans({"＞": ">", "›": ">", "＜": "<", "‹": "<", "μ": "µ", "×": "x",
                             "\u00a0": " ", "\u2009": " ", "\u202f": " "})
_MICRO = re.compile(r"mc(?=g|mol)", re.IGNORECASE)  # "mcg" → "µg"
_FOLD = _cued(r"(?<![\d.,])(\d+(?:\.\d+)?)\s*+-?\s*fold\s+(?:greater than|higher than|above|over)\s+"
              r"(?=(?:the\s+)?(?:ULN|upper limit|normal))", "fold")
# "Minimum life expectancy of 12 months" → "life expectancy minimum of 12 months": the comparator word after the name
_EXTREME_FIRST = _cued(r"\b(?:a\s+)?(minimum|maximum)\s+((?:[^\W\d_][\w-]*\s+){1,3}?)(?:of|:|is|=)\s*(?=\d)", "imum")
# a comparator word run into its number: "Age between18-75" (read from its "8" before)
_GLUED = _cued(r"\b(between|from|than|over|under|above|below|aged?|least|most)(?=\d)",
               "between|from|than|over|under|above|below|age|least|most")
# an adult's age is a lower bound, also where the export lost the "≥" ("adult (=18 years old)", "Adult #18 years"), or
# wrote none ("Adult patients (18 years)")
_ADULT_AGE = _cued(r"\b(adults?(?:\s+(?:patients|subjects|participants|volunteers))?"
                   r"\s*+\(?\s*+(?:(?:age[ds]?|of)\s*+)?)[=#]?\s*"
                   r"(?=\d{2}\s*(?:years?|yrs?|y)\b)", "adult")
# a "≥"/"≤" the export wrote as "=", where the other bound of the phrase tells which: a range's two ends ("= 18 years old
# and = 75 years old", "80 years = age = 14 years"), the far side of a disjoint bound ("< 18 years old or = 80 years old"),
# a QTc that defines a prolongation
_LOST = r"(?<![<>≤≥=!])=\s*"
_GARBLED_ENDS = re.compile(rf"{_LOST}({_NUM})([^=<>≤≥;\d]{{0,25}}?\band\s+){_LOST}({_NUM})")
# (its first number begins at no digit, nor after a digit and a separator: begun inside a long run of digits or of
# ",000", each reading to the run's end took time growing with its square, 8.4 s for "= " and 16,000 digits)
_GARBLED_AROUND = re.compile(rf"(?<!\d)(?<!\d[.,])({_NUM})([^=<>≤≥;\d]{{0,10}}?){_LOST}([^\W\d][\w ]{{0,20}}?\s*)"
                             rf"{_LOST}({_NUM})")
_PROLONGED = re.compile(r"\bprolong", re.IGNORECASE)  # "prolonged QT, defined as QTc =450 ms": a QTc above it
_GARBLED_QTC = re.compile(rf"(\bQTc[BF]?(?:\s+interval)?\s*){_LOST}(?=\d)", re.IGNORECASE)
_GARBLED_FAR_SIDE = re.compile(rf"([<>≤≥])\s*({_NUM})([^=<>≤≥;\d]{{0,25}}?\bor\s+){_LOST}({_NUM})")


def _garbled(text: str) -> str:
    """The text with each "=" that stands for a lost "≥" or "≤" given its direction, where its phrase settles it."""
    def ends(m):
        low, high = _number(m.group(1)), _number(m.group(3))
        return f"≥ {m.group(1)}{m.group(2)}≤ {m.group(3)}" if low < high else m.group()

    def around(m):
        first, last = _number(m.group(1)), _number(m.group(4))
        sign = "≥" if first > last else "≤" if first < last else "="
        return f"{m.group(1)}{m.group(2)}{sign} {m.group(3)}{sign} {m.group(4)}"

    def far_side(m):
        below, near, far = m.group(1) in "<≤", _number(m.group(2)), _number(m.group(4))
        if below == (far > near):
            return f"{m.group(1)} {m.group(2)}{m.group(3)}{'≥' if below else '≤'} {m.group(4)}"
        return m.group()

    if _PROLONGED.search(text):
        text = _GARBLED_QTC.sub(r"\1≥ ", text)
    return _GARBLED_FAR_SIDE.sub(far_side, _GARBLED_AROUND.sub(around, _GARBLED_ENDS.sub(ends, text)))


# "three (3) months" → "3 months", "six months" → "6 months"
_WORD_NUMBER = _cued(r"\b(" + "|".join(_WORD_NUMBERS) + r")"
                     r"(?:\s*\((\d+)\)|(?=\s+(?:years?|months?|weeks?|days?|hours?|times)\b))", "|".join(_WORD_NUMBERS))


def _normalised(text: str) -> str:
    """The text with one spelling for comparators (signs for the rarer words), micro signs, spaces, multiples of the
    ULN ("5-fold greater than the ULN" → "> 5 x the ULN"), "minimum"/"maximum" after the name it bounds, an adult's
    age as a lower bound, a lost "≥"/"≤" whose phrase tells which, and small numbers written as words."""
    text = _MICRO.sub("µ", text.translate(_CHARACTERS))
    lowered = _lowered(text)  # (of the text as written: no rewrite below makes another's cue)
    for rewrite, replacement in ((_GLUED, r"\1 "), (_FOLD, r"> \1 x "), (_EXTREME_FIRST, r"\2\1 of "),
                                 (_ADULT_AGE, r"\1≥ "), *_COMPARATORS):
        if rewrite.cued(lowered):
            text = rewrite.pattern.sub(replacement, text)
    if "=" in text:
        text = _garbled(text)
    if not _WORD_NUMBER.cued(_lowered(text)):
        return text
    return _WORD_NUMBER.pattern.sub(lambda m: m.group(2) or _WORD_NUMBERS[_as_listed(m.group(1))], text)


@dataclass(slots=True)
class _Bounds:
    """A range as the text states it, in its unit (`unit_kind` says which kind of unit that is)."""
    lower: float | None
    lower_inclusive: bool | None
    upper: float | None
    upper_inclusive: bool | None
    unit: str | None
    unit_kind: str | None


@dataclass(slots=True)
class Threshold(_Bounds):
    variable: str
    sex: str | None
    span: str
    start: int
    end: int
    qualifiers: list[str]
    # the sentence's own sense, where it states one: EXCLUSION where it rules the bound out (_RULED_OUT_BEFORE,
    # _RULED_OUT_AFTER), INCLUSION where it requires it (_REQUIRED); else the criterion's
    sense: str | None = None


@dataclass(slots=True)
class _Value(_Bounds):
    start: int
    end: int
    age_implied: bool = False
    sex: str | None = None
    pair: tuple[float, float] | None = None  # "140/90"
    continues: bool = False  # the second half of "1.5 mg/dl (males) and 1.4 mg/dl (females)"
    scores: bool = False  # "0 or 1"
    window: bool = False  # "within the past 3 years"
    then: _Value | None = None  # the upper bound of "6 months to 17 years", in its own unit
    event: bool = False  # "before the age of 13": the age at which something happened, not the participant's
    population: bool = False  # the sex is written before the value ("Female 65 years …"): whom, not a sex's value


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _unit_at(text: str, pos: int) -> tuple[str | None, str | None, int]:
    """The unit written at pos (its text and kind), or nothing."""
    m = _UNIT_RE.match(text, pos)
    if not m:
        return None, None, pos
    return m.group().strip(" -"), _UNIT_GROUPS[m.lastgroup], m.end()


def _bound(op: str, value: float) -> tuple:
    """(lower, lower_inclusive, upper, upper_inclusive) of one comparison."""
    return (value, op == "ge", None, None) if op in ("ge", "gt") else (None, None, value, op == "le")


def _number_unit(text: str, pos: int):
    """NUM [UNIT] [of age/old] at pos → (number, unit, kind, age_implied, end) or None."""
    m = _NUM_RE.match(text, pos)
    if not m:
        return None
    unit, kind, end = _unit_at(text, m.end())
    number = m.group()
    if kind == "count" and _PER_VOLUME.fullmatch(unit) and _DOT_THOUSANDS.fullmatch(number):
        number = number.replace(".", "")  # "50.000 / mmc"
    age = False
    if kind == "time" and (suffix := _AGE_SUFFIX.match(text, end)):
        age, end = True, suffix.end()
    return _number(number), unit, kind, age, end


def _one_unit(unit: str | None, kind: str | None, second: tuple) -> bool:
    """Whether a second bound can share the first's range: one unit, or one of them unitless ("3 months … 17 years"
    are two bounds, each in its own unit)."""
    if None in (kind, second[2]):
        return True
    return kind == second[2] and (unit is None or second[1] is None or _pint_unit(unit) == _pint_unit(second[1]))


def _value_at(text: str, pos: int) -> _Value | None:
    """The value expression starting at pos: a comparison (one or two bounds), a range, a list of scores, or NUM +
    "or more"."""
    if op_m := _OP_RE.match(text, pos):
        word = _as_listed(op_m.group())
        op = _OPS[word]
        start = _SPACES.match(text, op_m.end()).end()
        if age_of := _AGE_OF_RE.match(text, start):
            start = age_of.end()
        elif word in ("before", "beyond"):  # only with an age: "onset before age 16", "beyond the age of 60"
            return None
        if (pair := _BP_PAIR.match(text, start)) and "/" in pair.group():
            return _Value(*_bound(op, _number(pair.group(1))), "mmHg" if pair.group(3) else None,
                          "pressure" if pair.group(3) else None, pos, pair.end(),
                          pair=(_number(pair.group(1)), _number(pair.group(2))))
        got = _number_unit(text, start)
        if not got:
            return None
        number, unit, kind, age, end = got
        value = _Value(*_bound(op, number), unit, kind, pos, end, age or bool(age_of), window=word.startswith("within"),
                       event=word == "before")
        if sb := _SECOND_BOUND.match(text, end):  # "≥ 2 and ≤ 20 years"
            op2_m = _OP_RE.match(text, sb.end())
            op2 = _OPS[_as_listed(op2_m.group())]
            if (op2 in ("le", "lt")) != (op in ("le", "lt")):
                got2 = _number_unit(text, _SPACES.match(text, op2_m.end()).end())
                if got2 and _one_unit(unit, kind, got2):
                    number2, unit2, kind2, age2, end2 = got2
                    lo, lo_inc, hi, hi_inc = _bound(op2, number2)
                    lower, upper = (value.lower, hi) if lo is None else (lo, value.upper)
                    if lower <= upper:  # "> 70 yr and < 40 yr" are two disjoint bounds, read one by one
                        value.lower, value.lower_inclusive = (value.lower, value.lower_inclusive) if lo is None else (lo, lo_inc)
                        value.upper, value.upper_inclusive = (value.upper, value.upper_inclusive) if hi is None else (hi, hi_inc)
                        value.unit, value.unit_kind = unit2 or unit, kind2 or kind
                        value.end, value.age_implied = end2, value.age_implied or age2
        elif not value.age_implied and (older := _OR_OLDER.match(text, end)):
            value.end, value.age_implied = older.end(), True
        elif op in ("ge", "gt") and (sep := _RANGE_SEP.match(text, end)) and not sep.group("below") \
                and (got2 := _number_unit(text, sep.end())) and (sep.group("word").lower() == "to" or sep.group(
                    "word") in "-–" and word not in _AT_LEAST and (got2[2] == "time" or got2[3])):
            # "≥ 2 weeks to 4 months", "At least 365 days to 17 years", "≥18-65 years": the range's upper end, in its
            # own unit or the first's (not "At least 5-10 years", "QTc > 0.45-0.47 second")
            number2, unit2, kind2, age2, end2 = got2
            if not _one_unit(unit, kind, got2):
                value.then = _with_postfix(text, _Value(None, None, number2, True, unit2, kind2, sep.end(), end2,
                                                        value.age_implied or age2, continues=True))
            elif number2 > number:
                value.upper, value.upper_inclusive = number2, True
                value.unit, value.unit_kind = unit2 or unit, kind2 or kind
                value.end, value.age_implied = end2, value.age_implied or age2
                _with_postfix(text, value)
        return value
    lead = _RANGE_LEAD.match(text, pos)
    got = _number_unit(text, lead.end() if lead else pos)
    if not got:
        return None
    number, unit, kind, age, end = got
    if not lead and _TO_PHYSIOLOGIC.match(text, end):  # "18 to physiologic 79": only the chronological bound
        return _Value(number, True, None, None, unit, kind, pos, end, age)
    if sep := _RANGE_SEP.match(text, end):
        # "1 year and less than 10 years" is a range; "(trial 3 and less than 18 years)" is not
        unitless_and = not lead and unit is None and sep.group("word").lower() == "and" and sep.group("below") \
            and sep.group("below")[0].isalpha()
        if (not lead or sep.group("word").lower() in ("and", "to", "-", "–", "~", "up to")) and not unitless_and:
            got2 = _number_unit(text, sep.end())
            one_unit = got2 is not None and _one_unit(unit, kind, got2)
            if got2 and (not one_unit or got2[0] >= number):
                number2, unit2, kind2, age2, end2 = got2
                age = age or age2 or bool(lead and lead.group(1))
                inclusive = not sep.group("below")
                if not one_unit:  # "6 months to 17 years": two bounds, each in its own unit
                    upper = _with_postfix(text, _Value(None, None, number2, inclusive, unit2, kind2, sep.end(), end2, age, continues=True))
                    return _Value(number, True, None, None, unit, kind, pos, end, age or upper.age_implied, then=upper)
                return _with_postfix(text, _Value(number, True, number2, inclusive, unit2 or unit, kind2 or kind, pos, end2, age))
    if lead:
        return None
    if (scores := _SCORES.match(text, pos)) and scores.group(1) < scores.group(2):
        return _Value(float(scores.group(1)), True, float(scores.group(2)), True, None, None, pos, scores.end(), scores=True)
    for op, postfix in _POSTFIX_RE.items():
        if m := postfix.match(text, end):
            older, end = bool(_OLDER_YOUNGER.search(m.group())), m.end()
            if unit is None:  # "18 or more years old": the unit after the postfix
                later, later_kind, later_end = _unit_at(text, end)
                if later_kind == "time" and (suffix := _AGE_SUFFIX.match(text, later_end)):
                    unit, kind, age, end = later, later_kind, True, suffix.end()
            return _Value(*_bound(op, number), unit, kind, pos, end, age or (older and kind in ("time", None)))
    return None


def _with_postfix(text: str, value: _Value) -> _Value:
    """A range may still be followed by "of age" ("18 to 65 years of age")."""
    if value.unit_kind == "time" and (suffix := _AGE_SUFFIX.match(text, value.end)):
        value.end, value.age_implied = suffix.end(), True
    return value


def _sex_of(word: str | None) -> str | None:
    if not word:
        return None
    return "female" if word.lower().startswith(("f", "w", "g")) else "male"


def _values(text: str) -> list[_Value]:
    """Every value expression of the text, left to right, not overlapping."""
    values, pos = [], 0
    while m := _START.search(text, pos):
        value = _value_at(text, m.start())
        if value is None:
            pos = _NUM_RE.match(text, m.start()).end() if text[m.start()].isdigit() else m.end()
            continue
        pos = value.end
        if _NOT_A_BOUND.match(text, value.end) or value.unit_kind != "uln" and _BY.search(text, max(0, value.start - 4), value.start):
            continue
        if note := _INCLUSIVE_NOTE.match(text, value.end):  # "over 18 years old (including 18 years old)"
            value.lower_inclusive = True if value.lower is not None else None
            value.upper_inclusive = True if value.upper is not None else None
            value.end = note.end()
        if sex := _SEX_AFTER.match(text, value.end):
            value.sex, value.end = _sex_of(sex.group(1) or sex.group(2)), sex.end()
        elif value.age_implied and (sex := _SEX_AFTER_AGE.match(text, value.end)):
            value.sex = _sex_of(sex.group(1))
        elif sex := _SEX_BEFORE.search(text, max(0, value.start - 14), value.start):
            # "Female 65 years or older" names the population; "Maximum age for females is 49", that sex's own bound
            value.sex = _sex_of(sex.group(1))
            value.population = not _FOR_SEX.search(text, max(0, sex.start() - 7), sex.start())
        values.append(value)
        pos = value.end
        if value.then:
            values.append(value.then)
            pos = value.then.end
        elif value.sex and (cont := _SEX_CONTINUE.match(text, pos)):  # "1.5 mg/dl (males) and 1.4 mg/dl (females)"
            got = _number_unit(text, cont.end())
            if got and (sex2 := _SEX_AFTER.match(text, got[4]) or None) or (got and cont.group(1)):
                second = _same_comparison(value, got, cont.end())
                if second.unit is None:  # "1.5 mg/dl (males) and 1.4 (females)"
                    second.unit, second.unit_kind = value.unit, value.unit_kind
                second.sex = _sex_of(sex2.group(1) or sex2.group(2) if sex2 else cont.group(1))
                if sex2:
                    second.end = sex2.end()
                if second.sex != value.sex:
                    values.append(second)
                    pos = second.end
        elif (paren := _PAREN_NUMBER.match(text, pos)) and (got := _number_unit(text, paren.end())):
            second = _same_comparison(value, got, paren.end())  # "≤ 2.5 x ULN (5 x ULN if liver metastases)"
            if paren.group(1) and not _IF.match(text, second.end):  # "(or 5 years younger than …)"
                continue
            if second.unit is None and paren.group(1):  # "at least 13 years old (or 18 if local requirement)"
                second.unit, second.unit_kind = value.unit, value.unit_kind
            if second.unit and _same_unit(value, second):
                values.append(second)
                pos = second.end
    return values


def _same_comparison(value: _Value, got: tuple, start: int) -> _Value:
    """A bare number written after a value, read with the value's comparator; it shares the value's variable."""
    number, unit, kind, age, end = got
    op = "ge" if value.lower is not None else "le"
    bound = _bound(op if (value.lower_inclusive or value.upper_inclusive) else {"ge": "gt", "le": "lt"}[op], number)
    return _Value(*bound, unit, kind, start, end, age, continues=True)


def _same_unit(a: _Value, b: _Value) -> bool:
    """Whether two values are in one unit: "> 150 mg/dl (> 1.69 mmol/L)" is a conversion, not a second bound."""
    if a.unit_kind != b.unit_kind:
        return False
    return a.unit_kind in (None, "uln") or _pint_unit(a.unit or "") == _pint_unit(b.unit or "")


def _complement(value: _Value) -> _Value | None:
    """The one-sided range a negated bound leaves ("not more than 6" → "at most 6"); None for a two-sided range."""
    if (value.lower is None) == (value.upper is None):
        return None
    if value.lower is not None:
        return replace(value, lower=None, lower_inclusive=None, upper=value.lower, upper_inclusive=not value.lower_inclusive)
    return replace(value, lower=value.upper, lower_inclusive=not value.upper_inclusive, upper=None, upper_inclusive=None)


def _is_alternative(text: str, previous: _Value | None, value: _Value, mentions: list, names: list[str]) -> bool:
    """Whether value bounds the variable the previous value bounds: no variable named in between, the same unit,
    and a short "or"/"and" gap ("< 100 mmHg at screening or < 95 mmHg", "> 70 yr and < 40 yr", "(5 x ULN if …)").
    Disjoint bounds may also share the unit written last ("less than 11.0 or greater than 19.0 gm/dL") or be
    listed with a comma ("≥ 12,000 cells/mm3, ≤ 4,000 cells/mm3")."""
    if previous is None:
        return False
    gap = text[previous.end:value.start]
    if len(gap) > 50 or _first_from(mentions, previous.end) < _first_from(mentions, value.start):  # a name between
        return False
    disjoint = (previous.lower is None) != (value.lower is None) and None in (previous.upper, value.upper)
    if previous.unit_kind is None and value.unit_kind is not None:
        return disjoint and bool(_OR_GAP.fullmatch(gap)) and all(value.unit_kind in _FITS[name] for name in names)
    if not _same_unit(previous, value):  # "≤ 1.0 x ULN (≤ 3.5 mg/dL if secondary to indinavir)": another unit, with its condition
        return (gap.strip() == "(" and value.unit_kind is not None and bool(_IF.match(text, value.end))
                and all(value.unit_kind in _FITS[n] for n in names))
    return bool(_ALTERNATIVE_GAP.fullmatch(gap) or (gap.strip() == "," and (value.sex or disjoint and value.unit)))


def _name_matches(text: str) -> Iterator[re.Match]:
    """The matches of the variables' names in the text, as one alternation of all of them would find them."""
    pos = 0
    for word in _WORD.finditer(text):
        start = word.start()
        if start >= pos and (names := _names_beginning(word.group())) and (m := names.match(text, start)):
            yield m
            pos = m.end()  # (no name matches empty)


def _mentions(text: str) -> list[tuple[str, int, int]]:
    """(variable, start, end) of every variable named in the text (abbreviations only in capitals, or listed with one
    in capitals: "alt, AST > 2 times the ULN"), in the order of their starts and so of their ends (none overlap)."""
    found, lower_case = [], []
    for m in _name_matches(text):
        name = m.lastgroup
        abbr = _CASE_SENSITIVE.get(name)
        if abbr and m.group().isupper() is False and abbr.fullmatch(m.group()) is None and re.fullmatch(abbr.pattern, m.group(), re.I):
            lower_case.append(len(found))  # "pt" or "ast" in lower case is a word, unless listed with "AST" (below)
        found.append((name, m.start(), m.end()))
    for i in reversed(lower_case):
        listed = i + 1 < len(found) and i + 1 not in lower_case and _CASE_SENSITIVE.get(found[i + 1][0]) \
            and _LISTED_WITH.fullmatch(text, found[i][2], found[i + 1][1]) and text[found[i + 1][1]:found[i + 1][2]].isupper()
        if not listed:
            del found[i]
    return found


# each value looks up the mentions around it by bisection (_mentions are in order): looked through one by one, the
# mentions cost time growing with the square of a criterion's length (128,000 characters of "HbA1c ≥ 7.0% …": 5 s)
_START_OF, _END_OF = itemgetter(1), itemgetter(2)


def _first_from(mentions: list, pos: int) -> int:
    """The index of the first mention starting at pos or later (len(mentions) if none)."""
    return bisect_left(mentions, pos, key=_START_OF)


def _clause_start(text: str, pos: int) -> int:
    """Where the clause holding `pos` begins: after the last clause end before it, at most CLAUSE_REACH before. The
    window checks search the clause once per value: unbounded, a text without clause ends cost time growing with its
    square (8,000 characters of "1-1-1-…" took 2.9 s; the longest real criterion holds 3,768)."""
    low = max(0, pos - CLAUSE_REACH)
    ends = [m.end() for m in _CLAUSE_END.finditer(text, low, pos)]
    return ends[-1] if ends else low


def _chain(text: str, mentions: list, i: int, kind: str | None, step: int = -1) -> tuple[list[str], int]:
    """The variables named together before a value ("AST/ALT", "SGOT and SGPT"), or after it (step 1: "> 2 x ULN for
    ALT, AST, bilirubin"), whose unit fits, and where the first of them starts: "creatinine < 2 x normal for age or
    GFR > 70 mL/min" bounds GFR only."""
    chain = [mentions[i]]
    # an age is never bound together with a lab value ("… /serum creatinine) and age 13-18")
    while 0 <= i + step < len(mentions):
        first, second = sorted((mentions[i], mentions[i + step]), key=lambda m: m[1])
        if "age" in (first[0], second[0]) or not _CHAIN_GAP.match(text[first[2]:second[1]]):
            break
        i += step
        chain.append(mentions[i])
    chain = sorted((m for m in chain if kind in _FITS[m[0]]), key=lambda m: m[1])
    names = list(dict.fromkeys(m[0] for m in chain))
    # "transaminases SGPT < 3 x normal": a group name gives way to a member named with it
    names = [n for n in names if not set(_EXPANDS.get(n, ())) & set(names)]
    return names, chain[0][1] if chain else mentions[i][1]


@lru_cache(maxsize=1)
def _last_consent(text: str) -> int:
    """Where the text's last word of consent begins (-1: none): found once per text (searched for after each value, it
    cost time growing with the square of a criterion's length), and only where a value may be an age."""
    return max((m.start() for m in _CONSENT.finditer(text)), default=-1)


@lru_cache(maxsize=1)
def _prophylaxis(text: str) -> bool:
    """Whether the text names a prophylaxis: found once per text (searched for at each CD4 row, it cost time growing
    with the square of a criterion's length), and only where a CD4 count is bounded."""
    return bool(_PROPHYLAXIS.search(text))


def _variables_for(text: str, value: _Value, mentions: list, previous_end: int) -> tuple[list[str], int]:
    """Which variables a value bounds, and where its phrase starts; ([], _) when none is certain."""
    following = _first_from(mentions, value.end)
    after = mentions[following] if following < len(mentions) else None
    if after and after[0] == "not_listed" and not text[value.end:after[1]].strip():
        return [], value.start  # "no more than 5 lbs weight loss"
    if after and after[0] in _NAMED_AFTER and after[1] - value.end <= _MAX_GAP \
            and _VALUES_GAP.fullmatch(text, value.end, after[1]) and not _HEADS_VALUE.match(text, after[2]):
        return [after[0]], value.start  # "> 180 or < 90 mm Hg systolic, or > 110 diastolic"
    i = bisect_right(mentions, value.start, key=_END_OF) - 1  # the last mention ending before the value …
    if i >= 0 and mentions[i][2] >= previous_end:  # … and after the previous value
        gap = text[mentions[i][2]:value.start]
        # "hemoglobin 60g/L, liver enzyme or creatine higher than 3": the name's own number comes first, unread
        if len(gap) <= _MAX_GAP and not _CLAUSE_END.search(gap) and not _OWN_NUMBER.match(gap):
            names, start = _chain(text, mentions, i, value.unit_kind)
            lookalike = names == ["not_listed"] and _ADJACENT.fullmatch(gap)  # "physiologic age range of 12 to 65"
            if names and (lookalike or not (value.age_implied and not {"age", "age_at_onset"} & set(names))):  # "18 years old" is an age
                return names, start
    if after and after[1] - value.end <= 12 and _BEFORE_NAME.match(text, value.end).end() == after[1]:
        # time since diagnosis bounds it from above: "at least 5 years since diagnosis" is a survivor's, "within 6
        # months after diagnosis" a window for something else
        since = _SINCE.match(text, after[1]) and (value.lower is not None or value.window)
        if value.unit_kind in _FITS[after[0]] and not _OWN_VALUE.match(text, after[2]) and not since:
            return _chain(text, mentions, following, value.unit_kind, step=1)[0], value.start
    if value.age_implied or value.unit_kind == "time" and _YEARS.fullmatch(value.unit or "") and (
            _PERSON.search(text, max(0, value.start - 40), value.start) and not _SINCE_EVENT.match(text, value.end)
            and _last_consent(text) < value.end
            or _FILLER.fullmatch(text, 0, value.start) and _FILLER.fullmatch(text, value.end)
            and not (value.lower is not None and text[value.start].isalpha())):
        # "Patients who are more than 18 years", "Male, 18-60 years", a criterion "16 years or above" or "< 18 years"; not
        # "patients younger than 18 years who are unable to give assent", "women less than 1 year postmenopausal", nor a
        # criterion "At least 2 years" (a life expectancy under its heading reads so)
        return ["age"], value.start
    if value.pair and value.unit_kind == "pressure":  # "hypertension (> 150/100 mmHg)"
        return ["blood_pressure"], value.start
    return [], value.start


def _prefix_bound(value: _Value, number: float, op: str, start: int) -> int:
    """Add the bound written before the variable ("20 ≤ age ≤ 65") when it is the missing side."""
    if op in "≤<" and value.lower is None:
        value.lower, value.lower_inclusive = number, op == "≤"
        return start
    if op in "≥>" and value.upper is None:
        value.upper, value.upper_inclusive = number, op == "≥"
        return start
    return value.start


def _resolve(name: str, value: _Value, ecog_named: bool) -> list[tuple[str, _Value]]:
    """Helper names → output variables: "BP 140/90" → systolic and diastolic, a performance status by its scale
    (ECOG's when that scale is named near it), transaminases → AST and ALT, a look-alike → none."""
    if value.pair:
        if name not in ("blood_pressure", "systolic_bp", "diastolic_bp"):
            return []
        lo = value.lower is not None
        parts = []
        for variable, number in zip(("systolic_bp", "diastolic_bp"), value.pair):
            part = replace(value, pair=None, lower=number if lo else None, upper=None if lo else number)
            parts.append((variable, part))
        return parts
    if name == "blood_pressure":
        return []
    if name == "performance_status":
        top = max(x for x in (value.lower, value.upper) if x is not None)
        # "Performance status: WHO 0-2", "performance status 0-2 on the ECOG scale"; a bare "performance status 0-1" none
        name = "ecog" if top <= 5 and value.unit_kind is None and ecog_named else "karnofsky" if 10 <= top <= 100 else ""
    if name == "ecog" and max(x for x in (value.lower, value.upper) if x is not None) > 5:
        return []
    if value.scores and name != "ecog":  # "0 or 1" is a range only on a performance scale
        return []
    return [(variable, value) for variable in _EXPANDS.get(name, (name,) if name else ())]


def extract(text: str) -> list[Threshold]:
    """The thresholds one criterion states, in the order written."""
    lowered = _lowered(text)
    if not (_DIGIT.search(text) or _WORD_NUMBER.search(text, lowered)) or _NOT_IN_FORCE.search(text, lowered) \
            or _AGE_GROUP_FORM.search(text, lowered):
        return []
    written, text = text, _normalised(text)
    found = _thresholds(text)
    if reworded := [t for t in found if t.span not in written]:  # in the criterion's own words: "BMI >= 18", not
        # the "BMI ≥ 18" read (7 % of the corpus's rows)
        for t, (start, end) in zip(reworded, _as_written(text, written, [(t.start, t.end) for t in reworded]) or ()):
            t.span = written[start:end].strip()
    return found


# characters × characters difflib aligns at most: its time grows with the cube on repetitive text ("BMI at or above 35 "
# 200 times: 5.9 s), and the corpus's longest stretches are 515 × 724
_MAX_ALIGNED = 1_000_000


def _as_written(text: str, written: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]] | None:
    """Where the normalised text's spans stand in the text as written: aligned character by character (difflib, past
    the two texts' common start and end), a span beginning or ending inside a rewritten stretch widened to all of
    it. None where the stretches to align are too long for that (the spans stay the normalised text's words)."""
    head = len(os.path.commonprefix([text, written]))
    tail = min(len(os.path.commonprefix([text[::-1], written[::-1]])), len(text) - head, len(written) - head)
    if (len(text) - head - tail) * (len(written) - head - tail) > _MAX_ALIGNED:
        return None
    blocks = [("equal", 0, head, 0, head)] + [
        (tag, head + i1, head + i2, head + j1, head + j2) for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(
            None, text[head:len(text) - tail], written[head:len(written) - tail], autojunk=False).get_opcodes()
    ] + [("equal", len(text) - tail, len(text), len(written) - tail, len(written))]
    starts = [i1 for _, i1, *_ in blocks]

    def at(position: int, end: bool) -> int:
        tag, i1, i2, j1, j2 = blocks[max(0, bisect.bisect_right(starts, position - end) - 1)]
        return j1 + min(position - i1, j2 - j1) if tag == "equal" else (j2 if end else j1)

    return [(at(start, False), at(end, True)) for start, end in spans]


def _thresholds(text: str) -> list[Threshold]:
    """extract() of the normalised text."""
    lowered = _lowered(text)
    lowered = _lowered(text)
    values = _values(text)
    if not values:
        return []
    mentions = _mentions(text)
    found: list[Threshold] = []
    population: list[bool] = []
    previous, names, excluded = None, [], False
    for value in values:
        if not value.continues:  # a follow-on value keeps the variable, phrase and verdict of the one before
            own, own_start = _variables_for(text, value, mentions, previous.end if previous else 0)
            if value.window and not {"disease_duration", "life_expectancy"} & set(own):
                continue  # a time window ("HbA1c ≥ 7% within the past 3 months") bounds only a duration or a survival
            alternative = not own and _is_alternative(text, previous, value, mentions, names)
            if alternative and previous.unit is None:  # "less than 11.0 or greater than 19.0 gm/dL"
                for t in found:
                    if t.end == previous.end:
                        t.unit, t.unit_kind = value.unit, value.unit_kind
            if not alternative:
                conditional = excluded and previous is not None and _JOINED.fullmatch(text, previous.end, own_start)
                names, start = own, own_start
                clause = _clause_start(text, start)
                negated = _NEGATION.search(text, clause, start)
                if negated and names == ["life_expectancy"] and _NOT.match(negated.group()) and (flipped := _complement(value)):
                    value, negated = flipped, None  # "not expected to live more than 6 months": at most 6 months
                excluded = bool(conditional or negated or _CONDITION.search(text, lowered, clause, value.start)
                                or _SUBGROUP.search(text, clause, start)
                                or value.unit_kind != "uln" and _CHANGE.search(text, lowered, clause, start)
                                or "age" in names and _FOR.search(text, clause, start)
                                or _SHARE.search(text, lowered, clause, start)
                                or _MAINTAINED.search(text, lowered, clause, value.start)
                                or _POINTS.search(text, lowered, clause, start))
        previous = value
        if excluded or not names:
            continue
        if prefix := _PREFIX_BOUND.search(text, max(clause, start - 30), start):
            start = _prefix_bound(value, _number(prefix.group(1)), prefix.group(prefix.lastindex), prefix.start())
        if not value.sex and (sex := _SEX_SUBJECT.search(text, max(0, start - 40), start)):
            value.sex, value.population = _sex_of(sex.group(1)), not _AGED.match(text, start)
        after = text[value.end:value.end + 80]
        window = _TIME_WINDOW.match(after.lstrip(" ,")) if after else None
        qualifiers = [window.group()] if window else []
        resolved: dict[str, _Value] = {}
        for name in names:
            for variable, v in _resolve(name, value, bool(_ECOG_SCALE.search(text, start, value.end + 80))):
                resolved.setdefault(variable, v)  # "ECOG (Zubrod) performance status": one ecog row
        for variable, v in resolved.items():
            if variable == "cd4_count" and _prophylaxis(text):
                continue
            if variable == "disease_duration" and _HOURS_OR_DAYS.fullmatch(v.unit or "") and (
                    _HOURS.fullmatch(v.unit) or _ACUTE.search(text, start, v.end + 40)):
                continue  # an acute illness's window: "the course of disease is within 14 days after the onset", "diagnosed within 48 hours"
            if variable == "life_expectancy" and _SHORTENED.search(text, clause, start):
                continue
            if variable == "age" and (_OTHER_PERSON.search(text, clause, start) or _OF_OTHER_PERSON.match(text, v.end)
                                      or (consent := _WITH_CONSENT.match(text, v.end))
                                      and (v.lower is None or consent["verb"].lower() == "may")):
                continue
            if variable == "age" and _ONSET.search(text, clause, start):
                variable = "age_at_onset"
            elif variable == "age" and v.event:  # "symptoms presenting before the age of 13", "heart attacks before age 55"
                continue
            if v.lower is not None and v.upper is not None and v.lower > v.upper:
                continue
            if not all(b is None or abs(b) < _LARGEST for b in (v.lower, v.upper)):
                continue
            found.append(Threshold(v.lower, v.lower_inclusive, v.upper, v.upper_inclusive, v.unit, v.unit_kind,
                                   variable, v.sex, text[start:v.end].strip(), start, v.end, list(qualifiers)))
            population.append(v.population)
    allowed: set[int] = set()  # the rows whose own phrase allows them (_ALLOWED_AFTER)
    for t in found:  # (the clause after a bound looked at as far as before it: CLAUSE_REACH)
        reach = t.end + CLAUSE_REACH
        clause_end = m.start() if (m := _CLAUSE_END.search(text, t.end, reach)) else reach
        clause = _clause_start(text, t.start)
        required = _REQUIRED.search(text, t.start, t.end) and not _IN_CASE.search(text, clause, t.start)
        if _RULED_OUT_BEFORE.search(text, clause, t.start) or _RULED_OUT_AFTER.match(text, t.end, clause_end) \
                or not required and _no_before(text, clause, t):
            t.sense = "EXCLUSION"
        elif required or _ELIGIBLE_IF.search(text, lowered, clause, t.start):
            t.sense = "INCLUSION"
        elif _ALLOWED_AFTER.match(text, lowered, t.end, clause_end):
            t.sense = "INCLUSION"
            allowed.add(id(t))
    for a, b in reversed(list(zip(found, found[1:]))):  # … and the list of bounds it ends: "Hemoglobin < 9, platelets
        # < 50,000/mm3 or ANC < 1000/mm3 may participate"
        if id(b) in allowed and a.sense is None and _PAIRED.fullmatch(text, a.end, b.start):
            a.sense = "INCLUSION"
            allowed.add(id(a))
    for a, b in zip(found, found[1:]):  # a systolic and a diastolic bound side by side are one statement: "… i.e.:
        # Systolic 200 mm Hg or more Diastolic 120 mm Hg or more", "[diastolic blood pressure <95 mm Hg, systolic …"
        if {a.variable, b.variable} == {"systolic_bp", "diastolic_bp"} and _PAIRED.fullmatch(text, a.end, b.start):
            a.sense, b.sense = a.sense or b.sense, b.sense or a.sense
    if note := _AMENDMENT.search(text):
        keep = _in_force(found, note)
        found = [t for t, k in zip(found, keep) if k]
        population = [p for p, k in zip(population, keep) if k]
    sexes: dict[str, set] = {}
    for t in found:
        sexes.setdefault(t.variable, set()).add(t.sex)
    for t, whom in zip(found, population):  # "Female 65 years of age or older": a population, not a sex's own value
        if whom and len(sexes[t.variable] - {None}) < 2:
            t.sex = None
    # "creatinine ≤ 1.5 mg/dL or creatinine clearance ≥ 60 mL/min": alternatives, their "or" in one clause under one
    # heading (not "… 4 times ULN No hepatitis or cirrhosis Renal: Creatinine …")
    for a, b in zip(found, found[1:]):
        between = text[a.end:b.start]
        if a.variable != b.variable and _OR.search(between) and not _CLAUSE_END.search(between) and ":" not in between:
            a.qualifiers.append(f"or {b.variable}")
            b.qualifiers.append(f"or {a.variable}")
    return found


def _no_before(text: str, clause: int, t: Threshold) -> bool:
    """Whether the clause's "No" rules the bound out (_NO)."""
    no = _NO.search(text, clause, t.start)
    return bool(no) and not _NO_LIMIT.search(text, t.start, t.end) and not (
        _NAME_RUN_ON.match(no.group()) and _CAPITALISED.match(text, t.start))


def _in_force(found: list[Threshold], note: re.Match) -> list[bool]:
    """Which rows an amendment note leaves in force: a note that states the new rule replaces the earlier rows on its
    variables; any other note only quotes the old rule, so its own rows go."""
    inside = [note.start() <= t.start < note.end() for t in found]
    if _NOW.search(note.group()):
        renewed = {t.variable for t, i in zip(found, inside) if i}
        return [i or t.variable not in renewed for t, i in zip(found, inside)]
    return [not i for i in inside]


def eligible(t: Threshold, criterion_type: str | None) -> tuple:
    """The range an eligible participant must fall in: the bounds themselves for an inclusion (or a
    criterion without a heading), their complement for an exclusion when that is one range."""
    if criterion_type != "EXCLUSION":
        return t.lower, t.lower_inclusive, t.upper, t.upper_inclusive
    if t.lower is not None and t.upper is None:
        return None, None, t.lower, not t.lower_inclusive
    if t.upper is not None and t.lower is None:
        return t.upper, not t.upper_inclusive, None, None
    return None, None, None, None


# ------------------------------------------------------------------------------- canonical units
# bare numbers are read in the canonical unit only where registries write them that way
_BARE_IN_CANONICAL = {"age", "age_at_onset", "bmi", "hba1c", "ecog", "karnofsky", "lvef", "inr", "qtc",
                      "systolic_bp", "diastolic_bp", "egfr", "creatinine_clearance", "pt", "ptt"}
# applied to the lower-cased unit, in order; "milliseconds (msec)" drops its repeated abbreviation
_PINT_SPELLING = [(re.compile(p), r) for p, r in (
    (r"\s+", ""), (r"\([a-z]+\)$", ""), (r"^millilit(?:er|re)s?(?=/|per)", "mL"), (r"(?<=mL)per", "/"),
    (r"µ|mc(?=l)", "u"), (r"microlit(?:er|re)s?$", "uL"), (r"mm(?:\^3|3|³|\(3\))|cu\.?mm", "mm**3"), (r"(?<=m)(?:\^2|²|\*2|\(2\)|2\b)", "**2"),
    (r"^(?:x|\*)?10(?:\^|\*\*|e)?\(?(\d+)\)?/", r"1e\1/"), (r"^k/", "1e3/"), (r"^(?:cells?|platelets?|neutrophils?|lymphocytes?)?/", "1/"),
    (r"(?<![a-z])(u|d|m|)l\b", r"\1L"), (r"^(?:iu|units?|u)(?=/|$)", "U"), (r"^miu|^mu(?=/)", "mU"),
    (r"/d$", "/day"), (r"/24h(?:ours?|rs?)?$", "/day"), (r"(?:per|a)day$", "/day"),
    (r"/min(?:ute)?(?:/|per)1\.73m\*\*2", "/min"), (r"^(mg|g)(?:ms?|rams?)?%$", r"\1/dL"), (r"100mL$", "(100mL)"),
    (r"^years?$|^yrs?$|^y$", "year"), (r"^months?$|^mos?$", "month"), (r"^weeks?$|^wks?$", "week"), (r"^days?$", "day"), (r"^(?:hours?|hrs?|h)$", "hour"), (r"^(?:gms?|grams?)(?=/)", "g"),
    (r"^kilograms?$", "kg"), (r"^(?:lbs?|pounds)$", "lb"), (r"^(?:msec|milliseconds?)$", "ms"), (r"^(?:seconds?|secs?)$", "s"),
    (r"^mmhg$", "mmHg"),
)]


@cache
def unit_registry():
    """pint's registry, built on first use (0.16-0.5 s; the parse workers' fork server builds it once: preload.py)."""
    import pint

    return pint.UnitRegistry()


def _pint_unit(unit: str) -> str:
    unit = unit.lower()
    for pattern, replacement in _PINT_SPELLING:
        unit = pattern.sub(replacement, unit)
    return unit


@cache
def conversion(variable: str, unit: str | None, kind: str | None) -> tuple[str, float, float] | None:
    """(canonical unit, factor, offset) taking this variable from this unit to its canonical one."""
    shown, target, scale = CANONICAL[variable]
    if kind == "uln":
        return "x ULN", 1.0, 0.0
    if kind is None:
        return (shown, 1.0, 0.0) if variable in _BARE_IN_CANONICAL else None
    if variable == "hba1c":
        return (shown, *HBA1C_NGSP_FROM_IFCC) if kind == "mmol/mol" else (shown, 1.0, 0.0)
    if target is None:
        return (shown, 1.0, 0.0) if kind == "percent" and shown == "%" else None
    ureg = unit_registry()
    try:
        source = ureg(_pint_unit(unit))  # a Quantity: "1e9/L" keeps its factor
        if variable in MOLAR_MASS:
            converted = source.to(target, "chemistry", mw=MOLAR_MASS[variable] * ureg("g/mol"))
        else:
            converted = source.to(target)
    except Exception:  # noqa: BLE001 — pint raises several error types for a unit it cannot read or convert
        return None
    return shown, float(converted.magnitude) / scale, 0.0


def variables():
    """The `variables` table: one row per output variable with its synonyms, canonical unit (as the thresholds write
    it and in UCUM), LOINC codes (null where none is certain) and plausible range."""
    import polars as pl

    from schemas import columns

    return pl.DataFrame([(name, list(synonyms), CANONICAL[name][0], ucum, list(loinc) or None, *PLAUSIBLE[name])
                         for name, (synonyms, ucum, loinc) in CODES.items()], schema=columns("variables"), orient="row")


def plausible(variable: str, canonical_unit: str | None, *bounds: float | None) -> bool | None:
    """Whether the eligible range's canonical bounds lie within PLAUSIBLE; None when there is nothing to judge
    (no canonical value, or a multiple of the ULN, whose absolute value the text does not give)."""
    stated = [b for b in bounds if b is not None]
    if canonical_unit in (None, "x ULN") or not stated:
        return None
    lo, hi = PLAUSIBLE[variable]
    return all(lo <= b <= hi for b in stated)


def rows(trial_id: str, criterion_type: str | None, ordinal: int, text: str, headings: str | None = None,
         section: str | None = None) -> list[tuple]:
    """The eligibility_thresholds rows of one criterion, in the table's column order. A range the criterion states
    twice is one row, with the first mention's span and the qualifiers of every mention: "Blood pressure > 180/110
    (systolic above 180 OR diastolic above 110)", "ECOG 0-2 … Zubrod 0-2", "… Age 15 to 50 OR … Age 15 to 50 and …"
    (a query counting a criterion's thresholds counts each once). A criterion stating no
    threshold of its own is read after its heading when the heading names a variable and nothing else: the legacy
    records' "Age:" over "18 and over", "Life expectancy:" over "At least 8 weeks" (1,187 and 549 trials of the two
    archives had no such row); the span is the criterion's own words. The items of a heading or lead-in that rules
    out what follows are read as an exclusion's: "No severe cardiac disease, including any of the following:" over
    criteria of no heading or an inclusion's, "Patients will be excluded from enrollment if any of the following
    apply:" over criteria of no heading."""
    sense = "EXCLUSION" if criterion_type != "EXCLUSION" and _rules_out(section, criterion_type) else criterion_type
    found = _criterion_rows(sense, text)
    if not found and (heading := _variable_heading(headings)):
        found = tuple((*row[:_SPAN], row[_SPAN].removeprefix(heading).strip(), *row[_SPAN + 1:])
                      for row in _criterion_rows(sense, f"{heading} {text}"))
    return [(trial_id, criterion_type, ordinal, *row) for row in found]


_SPAN = 15  # a _criterion_rows row's span


def _canonical(value: float) -> float:
    """A converted bound without the float noise of its factor: six decimals, or four significant digits where six
    decimals would hold fewer (NCT01374854's "<1,500/L" of neutrophils is 1.5e-06 × 10⁹/L, not 2e-06)."""
    return round(value, max(6, 3 - math.floor(math.log10(abs(value))))) if value else value


# a heading or lead-in that rules out its items: a "No …" that they define or list (not "No other malignancy …
# except:" nor "… unless the following criteria are met:", whose items are allowed, nor "No prior HRT:" over
# definitions of menopause) …
_NO_DEFINED = re.compile(r"^No\s+(?!(?:more|fewer|less|greater)\s+than\b)(?![^:]*\b(?:unless|except|other\s+than)\b)"
                         r"[^:]*(?:\b(?:including|defined|as follows)\b|\bi\.\s?e\.|\be\.g\.|\bwith$)", re.IGNORECASE)
# … or, over criteria of no heading, says they exclude (not "Ineligible for full ablative conditioning due to …",
# another treatment's; the legacy records' "Patients with the following are excluded:" also stands over items of an
# inclusion list: "Patients must have a life expectancy of at least 6 months")
_EXCLUDED_BELOW = re.compile(r"\b(?:(?:are|is|be)\s+(?:further\s+)?excluded\b(?!\s+for\b)"
                             r"|excluded\s+(?:from\s+\w+\s+)?if|ineligible\s+if)\b", re.IGNORECASE)
# … unless its items rule out only together
_TOGETHER = re.compile(r"\b(?:all|both)\s+(?:of\s+)?(?:the\s+)?following\b|\bconcurrently\b", re.IGNORECASE)


@lru_cache(maxsize=1 << 10)
def _rules_out(section: str | None, criterion_type: str | None) -> bool:
    """Whether the last sentence of the innermost heading or lead-in of a criterion's section rules its items out."""
    if not section:
        return False
    last = section.rstrip(": ").rpartition(": ")[2].rpartition(". ")[2]
    if _TOGETHER.search(last):  # "Ineligible if all of the following criteria are concurrently present:": no item alone
        return False
    return bool(_NO_DEFINED.search(last) or criterion_type is None and _EXCLUDED_BELOW.search(last))


@lru_cache(maxsize=1 << 10)
def _variable_heading(section: str | None) -> str | None:
    """The last heading of a section path ("PATIENT CHARACTERISTICS: Age:" → "Age:") when a variable's name is all
    it holds."""
    if not section or not (heading := section.rstrip(":").rpartition(":")[2].strip()):
        return None
    named = _mentions(heading)
    return f"{heading}:" if len(named) == 1 and named[0][1:] == (0, len(heading)) else None


@lru_cache(maxsize=1 << 16)
def _criterion_rows(criterion_type: str | None, text: str) -> tuple[tuple, ...]:
    """rows() after its first three columns, remembered by text: registries repeat criteria word for word (a third
    of the 2014 archive's criteria texts are repeats), and extraction is half of what parsing a record costs."""
    out: dict[tuple, tuple] = {}
    keyed: dict[tuple, tuple] = {}  # the table's key (schemas.tables.KEYS) → the range's key in out
    for t in extract(text):
        sense = t.sense or criterion_type
        lo, lo_inc, hi, hi_inc = eligible(t, sense)
        conv = conversion(t.variable, t.unit, t.unit_kind)
        canonical_unit = conv[0] if conv else None
        lo_c = _canonical(lo * conv[1] + conv[2]) if conv and lo is not None else None
        hi_c = _canonical(hi * conv[1] + conv[2]) if conv and hi is not None else None
        # an exclusion's "Hb < 10 or platelets < 100" excludes on either, so an eligible participant is within both
        # eligible ranges: no alternatives
        qualifiers = [q for q in t.qualifiers if not (sense == "EXCLUSION" and q.startswith("or "))]
        # the same range: its bounds as written and as eligible, in the canonical unit where there is one ("3 months
        # of age and younger" is not "aged 3 months to 3 years"), else in the unit as written (an excluded "2 to 5
        # months" is not "2 to 5 years", though neither has one eligible range); or the same words of the same bounds,
        # the first mention's sense kept ("… with PSA >= 5 ng/ml; patients with PSA >= 5 ng/ml only are not
        # eligible": one row per key of the table)
        same = (t.variable, t.sex, t.lower, t.lower_inclusive, t.upper, t.upper_inclusive, lo_inc, hi_inc,
                canonical_unit, lo_c, hi_c, None if lo_c is not None or hi_c is not None else (t.unit, lo, hi))
        key = (t.variable, t.sex, t.lower, t.upper, t.span)
        same = keyed.get(key, same)
        if first := out.get(same):
            qualifiers = list(first[14] or ()) + [q for q in qualifiers if q not in (first[14] or ())]
            out[same] = (*first[:14], tuple(qualifiers) or None, *first[15:])
            continue
        keyed[key] = same
        out[same] = (t.variable, t.lower, t.lower_inclusive, t.upper, t.upper_inclusive, t.unit,
                     lo, lo_inc, hi, hi_inc, canonical_unit, lo_c, hi_c, t.sex, tuple(qualifiers) or None, t.span,
                     plausible(t.variable, canonical_unit, lo_c, hi_c))
    return tuple(out.values())
