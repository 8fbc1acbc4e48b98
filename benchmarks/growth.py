"""Growth of parsing time with a field's length: each reader's fields (and criteria) in a real document of the corpus
hold a long run (spaces, digits, brackets, line breaks, a word repeated …) of growing size, and the document is
detected, read and exploded (criteria, thresholds) at each. A pattern that backtracks over such a run takes time
growing with its square or cube: a hostile document could hold a parse for hours. Sizes grow four times a step
until the largest or a parse past STOP_SECONDS; a case grows too fast when its last step passes MIN_SECONDS and is
more than GROWTH_LIMIT times the step before (linear: 4; quadratic: 16). A reader raising anything but ParseError
is a failure too.

    .venv/bin/python -m benchmarks.growth [--sizes 2000,8000,32000] [--only ctgov_classic]

Prints the cases that grew fastest and met/missed; exits 1 when any case missed.
"""
from __future__ import annotations

import argparse
import csv
import html
import io
import json
import re
import sys
import time
from collections.abc import Callable
from xml.sax.saxutils import escape

from benchmarks.corpus import SOURCE
from pipeline import sources, thresholds
from pipeline.parsing import explode
from pipeline.record import ParseError

GROWTH_LIMIT = 8.0
MIN_SECONDS = 0.1
STOP_SECONDS = 2.0
CORPUS = SOURCE.parent  # ../shared/corpus
SEEDS = CORPUS.parent / "seeds"


def _fit(unit: str, n: int) -> str:
    return (unit * (n // len(unit) + 1))[:n]


RUNS: dict[str, Callable[[int], str]] = {
    "words": lambda n: _fit("a ", n), "digits": lambda n: _fit("1", n) + "x", "spaces": lambda n: "a" + " " * n + "b",
    "brackets": lambda n: "(" * n, "letters": lambda n: _fit("a", n), "capitals": lambda n: _fit("Aa ", n),
    "lines": lambda n: "a" + "\n" * n + "b", "colons": lambda n: _fit("a: ", n), "ids": lambda n: _fit("ChiCTR", n),
}
CRITERIA_RUNS: dict[str, Callable[[int], str]] = RUNS | {
    "values": lambda n: _fit("HbA1c ≥ 7.0% ", n), "scores": lambda n: "ECOG " + _fit("1, ", n),
    "equals": lambda n: "age = " + _fit("1", n), "ranges": lambda n: _fit("1-", n),
    "headings": lambda n: _fit("Ab:\n", n),
    "age_spaces": lambda n: "age ≥ 18" + " " * (n // 40) + "x",
}


def _text(path, anchor: str) -> Callable[[str], str]:
    return lambda run: path.read_text(encoding="utf-8").replace(anchor, run, 1)


def _html(path, anchor: str) -> Callable[[str], str]:
    return lambda run: _text(path, anchor)(html.escape(run, quote=False).replace("\n", "<br>"))


def _xml(path, tag: str) -> Callable[[str], str]:
    """The first <tag>'s text (an ICTRP export cut to its first trial)."""
    def document(run: str) -> str:
        text = path.read_text(encoding="utf-8-sig")
        if "<Trial>" in text:
            text = text[:text.index("</Trial>") + len("</Trial>")] + "</Trials_downloaded_from_ICTRP>"
        return re.sub(rf"<{tag}(?:\s[^>]*)?(?:/>|>.*?</{tag}>)", lambda _: f"<{tag}>{escape(run)}</{tag}>", text,
                      count=1, flags=re.S)
    return document


def _json(path, *keys: str) -> Callable[[str], str]:
    def document(run: str) -> str:
        study = json.loads(path.read_text(encoding="utf-8"))
        node = study["protocolSection"]
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = run
        return json.dumps(study)
    return document


def _csv(path, column: str) -> Callable[[str], str]:
    """The export's first trial with the column replaced (within the csv module's field limit)."""
    def document(run: str) -> str:
        header, row = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))[:2]
        row[header.index(column)] = run
        out = io.StringIO()
        csv.writer(out).writerows([header, row])
        return out.getvalue()
    return document


VEEVA, CLASSIC = SEEDS / "000_a62e3166a47b076d.txt", SEEDS / "002_d4776af7e2f4cbf7.txt"
ARCHIVE, CHICTR = CORPUS / "ctgov_archive_html" / "NCT00181896.html", CORPUS / "chictr_html" / "ChiCTR2400084905.html"
EUCTR_TEXT = CORPUS / "euctr_text" / "euctr_2022-002568-62_2021-002179-21.txt"
XML, JSON = CORPUS / "ctgov_xml" / "NCT00032383.xml", CORPUS / "ctgov_api_v2_json" / "NCT00763412.json"
ICTRP_XML = CORPUS / "ictrp" / "ICTRP-Results_18Mar2020.xml"
ICTRP_CSV = CORPUS / "ictrp" / "COVID19-927-trials_7Apr2020.csv"
# (reader, field): the document with a run in that field; "criteria" fields also get CRITERIA_RUNS
FIELDS: dict[tuple[str, str], Callable[[str], str]] = {
    ("veeva_text", "criteria"): _text(VEEVA, "20 ≤ age ≤ 65 years;"),
    ("veeva_text", "title"): _text(VEEVA, "Mesenchymal Stem Cells to Treat Type 2 Diabetes (UC-MSCs)"),
    ("veeva_text", "enrollment"): _text(VEEVA, "103 patients"),
    ("veeva_text", "ages"): _text(VEEVA, "20 to 65 years old"),
    ("ctgov_classic", "criteria"): _text(CLASSIC, "Male and female patients age 18 to 65 years of age."),
    ("ctgov_classic", "study type"): _text(CLASSIC, "Interventional (Clinical Trial)"),
    ("ctgov_classic", "enrollment"): _text(CLASSIC, "44 participants"),
    ("ctgov_classic", "start date"): _text(CLASSIC, "January 2009"),
    ("ctgov_classic", "ages"): _text(CLASSIC, "18 Years to 40 Years (Adult)"),
    ("ctgov_classic", "outcome"): _text(CLASSIC, "c-peptide area under the curve during OGTT"),
    ("ctgov_classic", "arm"): _text(CLASSIC, "Stem Cell Infusion |"),
    ("ctgov_archive", "criteria"): _html(ARCHIVE, "Subject must be able to swallow pills."),
    ("ctgov_archive", "outcome"): _html(ARCHIVE, "Children's Depression Rating Scale"),
    ("ctgov_archive", "identifier"): _html(ARCHIVE, "2004-P-001727"),
    ("euctr_text", "criteria"): _text(EUCTR_TEXT, "Male or female, 30 to 75 years of age, inclusive, at Screening;"),
    ("euctr_text", "title"): _text(EUCTR_TEXT, "A Phase 1/2 Open-Label, Ascending Dose"),
    ("euctr_text", "label"): _text(EUCTR_TEXT, "Full title of the trial"),
    ("euctr_text", "enrollment"): _text(EUCTR_TEXT, "In the whole clinical trial: 15"),
    ("euctr_html", "criteria"): _html(CORPUS / "euctr_html" / "2009-016529-32_EE.html", "For inclusion in the study"),
    ("chictr_html", "criteria"): _html(CHICTR, "Estimated life expectancy ≥12 weeks."),
    ("chictr_html", "registration number"): _html(CHICTR, "ChiCTR2400084905&nbsp;"),
    ("ctgov_xml", "criteria"): _xml(XML, "textblock"),
    ("ctgov_xml", "title"): _xml(XML, "brief_title"),
    ("ctgov_xml", "start date"): _xml(XML, "start_date"),
    ("ctgov_xml", "minimum age"): _xml(XML, "minimum_age"),
    ("ctgov_api_v2_json", "criteria"): _json(JSON, "eligibilityModule", "eligibilityCriteria"),
    ("ctgov_api_v2_json", "title"): _json(JSON, "identificationModule", "briefTitle"),
    ("ctgov_api_v2_json", "minimum age"): _json(JSON, "eligibilityModule", "minimumAge"),
    ("ctgov_api_v2_json", "start date"): _json(JSON, "statusModule", "startDateStruct", "date"),
    ("ictrp_xml", "criteria"): _xml(ICTRP_XML, "Inclusion_Criteria"),
    **{("ictrp_xml", tag.lower()): _xml(ICTRP_XML, tag) for tag in (
        "Inclusion_agemin", "Inclusion_gender", "Phase", "Target_size", "Study_design", "Date_registration",
        "Intervention", "Condition", "Primary_outcome")},
    ("ictrp_csv", "criteria"): _csv(ICTRP_CSV, "Inclusion Criteria"),
    **{("ictrp_csv", column.lower()): _csv(ICTRP_CSV, column) for column in (
        "Inclusion agemin", "Inclusion gender", "Target size", "Study design", "Intervention", "Condition")},
    ("who_xml", "criteria"): _xml(CORPUS / "who_xml" / "ChiCTR2000034346.xml", "inclusion_criteria"),
}


def seconds(reader, document: str) -> tuple[float, str | None]:
    """Detecting, reading and exploding one document (thresholds computed afresh); the failure, if not ParseError."""
    thresholds._criterion_rows.cache_clear()
    start = time.perf_counter()
    try:
        sources.detect(document)
        for record in sources.parse(reader, document, "growth"):
            explode(record)
    except ParseError:
        pass
    except Exception as exc:  # noqa: BLE001 (a reader's bug, reported as such)
        return time.perf_counter() - start, f"{type(exc).__name__}: {str(exc)[:100]}"
    return time.perf_counter() - start, None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="2000,8000,32000", help="the run's lengths, in characters")
    parser.add_argument("--only", help="the cases of this reader only")
    parser.add_argument("--show", type=int, default=10, help="how many of the fastest growths to print")
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.sizes.split(",")]
    thresholds.rows("", None, 1, "creatinine ≤ 1.5 mg/dL")  # pint's registry is built once, on first use
    results = []
    for (reader_name, field), document in FIELDS.items():
        if args.only and reader_name != args.only:
            continue
        reader = sources.reader_for(reader_name)
        for run_name, run in (CRITERIA_RUNS if field == "criteria" else RUNS).items():
            times, failure = [], None
            for n in sizes:
                elapsed, failure = seconds(reader, document(run(n)))
                times.append(elapsed)
                if failure or elapsed > STOP_SECONDS:
                    break
            t_small, t_large = times[-2:] if len(times) > 1 else (times[0], times[0])
            missed = failure is not None or (t_large > MIN_SECONDS and t_large > GROWTH_LIMIT * t_small)
            results.append((t_large / max(t_small, 1e-4), f"{reader_name} {field}: {run_name}", sizes[len(times) - 1],
                            t_small, t_large, failure, missed))
    results.sort(key=lambda r: (not r[-1], -r[0]))
    print(f"{len(results)} cases, runs of {args.sizes} characters; the fastest growths (the last step's size, the "
          f"times of the two last steps):")
    for growth, case, size, t_small, t_large, failure, missed in results[:args.show]:
        verdict = "MISSED" if missed else "met"
        print(f"  {case:44} {size:>7,} {t_small:8.3f} s {t_large:8.3f} s  ×{growth:6.1f}  {verdict}"
              + (f"  {failure}" if failure else ""))
    missed = sum(r[-1] for r in results)
    print(f"every case within ×{GROWTH_LIMIT:g} (or under {MIN_SECONDS} s) and no reader failure: "
          f"{'met' if not missed else f'MISSED by {missed}'}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
