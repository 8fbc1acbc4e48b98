"""A long run in one field of a real page (spaces, brackets, digits, line breaks, a word repeated) reads to what the
page states, in time linear in the run.

Each case put 100,000 characters where growth probes found a reader's pattern backtracking over the run: the readers
took time growing with its square or cube, minutes to hours for one hostile document (the probes measured 0.5 - 15 s
at 4,000 - 16,000 characters). Each parse runs under a hang guard of a minute (`finishes_within`), so that such a
pattern fails here instead of holding the suite; it is no speed target: these parses take milliseconds.
"""
from __future__ import annotations

import csv
import io
import re

import pytest

from pipeline.record import Intervention, ParseError
from pipeline.sources import (chictr_html, ctgov_archive, ctgov_classic, ctgov_xml, detect, euctr_html, euctr_text,
                              ictrp_csv, who_dataset)
from tests.conftest import CORPUS, SEEDS, finishes_within

RUN = 100_000
CLASSIC = (SEEDS / "002_d4776af7e2f4cbf7.txt").read_text(encoding="utf-8")
ARCHIVE = (CORPUS / "ctgov_archive_html" / "NCT00181896.html").read_text(encoding="utf-8")
CHICTR = (CORPUS / "chictr_html" / "ChiCTR2400084905.html").read_text(encoding="utf-8")
EUCTR_TEXT = (CORPUS / "euctr_text" / "euctr_2022-002568-62_2021-002179-21.txt").read_text(encoding="utf-8")
ICTRP_CSV = CORPUS / "ictrp" / "COVID19-927-trials_7Apr2020.csv"


def _replaced(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def _parse(reader, text: str):
    with finishes_within(60):
        return reader.parse(text)


def test_classic_page_white_space_runs_in_a_label_an_outcome_and_brackets_in_the_ages():
    """Seed 002 with 100,000 spaces inside its official title's cell and inside an outcome's measure, and 50,000
    unclosed brackets after its ages: the title and measure as the page states them, the ages read."""
    title = "Umbilical Mesenchymal Stem Cells and Mononuclear Cells Infusion in Type 1 Diabetes Mellitus: A Randomized"
    page = _replaced(CLASSIC, f"Official Title: | {title}", "Official Title: | Umbilical" + " " * RUN + title[9:])
    page = _replaced(page, "- c-peptide area under", "- c-peptide area" + " " * RUN + "under")
    page = _replaced(page, "18 Years to 40 Years (Adult)", "18 Years to 40 Years (Adult)" + " (" * (RUN // 2))
    (r,) = _parse(ctgov_classic, page)
    (expected,) = ctgov_classic.parse(CLASSIC)
    assert r.official_title == expected.official_title and r.official_title.startswith(title)
    assert r.outcomes == expected.outcomes
    assert r.outcomes[0].measure == "c-peptide area under the curve during OGTT"
    assert (r.minimum_age, r.maximum_age) == ("18 Years", "40 Years")


def test_archive_page_spaces_in_a_measure_and_brackets_after_an_identifier():
    """NCT00181896's Archive page: 100,000 spaces inside a measure's name; an organization study id followed by
    100,000 unclosed brackets is kept as written (no bracket closes it, so none qualifies it)."""
    page = _replaced(ARCHIVE, "Measure: Children's Depression", "Measure: Children's" + " " * RUN + "Depression")
    page = _replaced(page, "<td>2004-P-001727</td>", "<td>2004-P-001727 " + "(" * RUN + "</td>")
    (r,) = _parse(ctgov_archive, page)
    (expected,) = ctgov_archive.parse(ARCHIVE)
    assert r.outcomes == expected.outcomes
    assert ("PRIMARY", "Children's Depression Rating Scale", "baseline to 8 weeks") in [
        (o.outcome_type, o.measure, o.time_frame) for o in r.outcomes]
    assert [(i.id_type, i.id_value) for i in r.identifiers] == [("ORG_STUDY_ID", "2004-P-001727 " + "(" * RUN)]


def test_euctr_text_spaces_inside_a_coded_label():
    """The EU CTR text export with 100,000 spaces inside A.3's label: the full title read as before."""
    text = _replaced(EUCTR_TEXT, "A.3 Full title of the trial:", "A.3 Full title" + " " * RUN + "of the trial:")
    records = _parse(euctr_text, text)
    assert [r.official_title for r in records] == [r.official_title for r in euctr_text.parse(EUCTR_TEXT)]
    assert records[0].official_title.startswith("A Phase 1/2 Open-Label, Ascending Dose, Multicenter Study")


def test_chictr_page_a_registration_number_of_repeats_and_a_title_nested_deep():
    """ChiCTR2400084905's page: "ChiCTR" 16,666 times with no number is no registration number; the public title
    1,500 elements deep (a recursive walk ran out of stack at 1,000) reads as the page states it."""
    with pytest.raises(ParseError, match=r"^chictr_html: no registration number \(ChiCTR…\)$"):
        _parse(chictr_html, _replaced(CHICTR, "<td>ChiCTR2400084905&nbsp;</td>", f"<td>{'ChiCTR' * (RUN // 6)}</td>"))
    opening = '<p class="en">\n                                        SUNRAY-01'
    deep = _replaced(CHICTR, opening, "<span>" * 1500 + opening)
    (r,) = _parse(chictr_html, deep)
    assert r.brief_title == chictr_html.parse(CHICTR)[0].brief_title
    assert r.brief_title.startswith("SUNRAY-01, A Global Pivotal Study in Participants with KRAS G12C-Mutant")


@pytest.mark.parametrize("reader, page", [(euctr_html, (CORPUS / "euctr_html" / "2009-016529-32_EE.html")),
                                          (ctgov_archive, CORPUS / "ctgov_archive_html" / "NCT00181896.html")])
def test_pages_nested_past_the_limit_are_refused_by_every_reader_of_html(reader, page):
    """Pages these readers parse into their own trees, nested 40,000 elements deep (the HTML parser's time grows with
    the square of the depth: 3.3 s here before, hours at 400,000): refused as html_to_text refuses them."""
    html = page.read_text(encoding="utf-8")
    deep = _replaced(html, "</body>", "<div>" * 40_000 + "x" + "</div>" * 40_000 + "</body>")
    with pytest.raises(ParseError, match="^HTML nested more than 2000 elements deep: not parsed$"):
        _parse(reader, deep)


def test_unclosed_tags_are_no_known_format():
    """100,000 unclosed "<a " after a page's opening: each "<" looked for its ">" to the end (7 s at 10,666)."""
    with finishes_within(60):
        assert detect("<html><body>" + "<a " * RUN) is None


def _ictrp_row(trial_id: str, **fields: str) -> str:
    """One trial of the real ICTRP export as a CSV of its own, with some fields replaced (keys: column names with
    spaces as underscores)."""
    with ICTRP_CSV.open(encoding="utf-8-sig", newline="") as f:
        header, *rows = csv.reader(f)
    row = dict(zip(header, next(row for row in rows if row[0] == trial_id)))
    row |= {name.replace("_", " "): value for name, value in fields.items()}
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, [row[name] for name in header]])
    return buffer.getvalue()


def test_ictrp_eu_ctr_record_with_runs_in_its_ages_sexes_condition_products_and_size():
    """EUCTR2020-001162-12-FR of the real export, its fields run long (120,000 characters each, within the CSV
    reader's field limit): digits with no age after them are no age (the record's EU CTR age bands give it);
    letters before its sex flags leave them read;
    line breaks inside its condition field and before its products leave the condition's free text and the products
    (with the placebo) as before; a size of ";" and spaces is no size."""
    original = _ictrp_row("EUCTR2020-001162-12-FR")
    (expected,) = ictrp_csv.parse(original)
    row = dict(zip(*csv.reader(io.StringIO(original))))
    n = 120_000
    hostile = _ictrp_row(
        "EUCTR2020-001162-12-FR", Inclusion_agemin="1" * n + "x", Inclusion_gender="a" * n + "<br>Female: yes<br>",
        Condition=_replaced(row["Condition"], "<br>MedDRA version", "\n" * n + "MedDRA version"),
        Intervention=" \n" * (n // 2) + row["Intervention"], Target_size=";" + " " * n)
    (r,) = _parse(ictrp_csv, hostile)
    with finishes_within(60):
        assert who_dataset._age("1" * n + "x") is None
    assert (r.minimum_age, r.sex, r.enrollment) == (expected.minimum_age, "FEMALE", None)
    assert expected.minimum_age == "18 Years"
    assert (expected.sex, expected.enrollment) == ("ALL", 460)
    assert r.conditions == expected.conditions == ["Corona virus infection"]
    assert r.interventions == expected.interventions == [Intervention(None, "Kevzara®", other_names=["SARILUMAB"]),
                                                         Intervention(None, "Placebo")]


def test_legacy_xml_results_group_id_of_thousands_of_digits_is_kept_as_written():
    """A results group id "P" and 5,000 digits: int() refused it and the reader failed on the record; now that
    group's code is the id as written and the record's other groups read as before."""
    text = (CORPUS / "ctgov_xml" / "NCT00023673.xml").read_text(encoding="utf-8")
    hostile = re.sub(r'group_id="P1"', 'group_id="P' + "1" * 5000 + '"', text)
    (r,) = _parse(ctgov_xml, hostile)
    (expected,) = ctgov_xml.parse(text)
    codes = {g.group_code for g in r.result_groups if g.result_type == "PARTICIPANT_FLOW"}
    assert codes == {g.group_code for g in expected.result_groups if g.result_type == "PARTICIPANT_FLOW"} - {"FG000"} \
        | {"P" + "1" * 5000}
