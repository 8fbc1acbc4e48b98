"""The HTML → page-text path every page reader takes for a page saved as HTML: its layout, and that it
never raises on arbitrary or damaged markup (it has no error to give; a reader decides what the text is)."""
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.sources import ctgov_classic, veeva_text
from pipeline.sources.html import html_to_text, looks_like_html
from tests.conftest import CORPUS, SEEDS
from tests.sources.mutations import mutilated, parses_or_raises_parse_error

ARCHIVE_PAGES = {p.stem: p.read_text(encoding="utf-8") for p in sorted((CORPUS / "ctgov_archive_html").glob("*.html"))}
SEED_PAGES = {p.name: p.read_text(encoding="utf-8") for p in sorted(SEEDS.iterdir())}
# Seeds wrapped as a browser would save them (one block per line, the classic page's " | " cells as a table).
WRAPPED = {
    name: "<!DOCTYPE html><html><head><style>p{}</style></head><body>" + "".join(
        "<table><tr>" + "".join(f"<td>{cell}</td>" for cell in line[:-2].split(" | ")) + "</tr></table>"
        if line.endswith(" |") else f"<p>{line}</p>" for line in page.splitlines()) + "</body></html>"
    for name, page in SEED_PAGES.items()
}


def test_blocks_cells_and_list_items():
    html = ("<html><body><h1>Title</h1><table><tr><th>Label</th><td>a  b</td></tr></table>"
            "<ul><li>one</li><li>two</li></ul><script>x</script>tail<br>end</body></html>")
    assert html_to_text(html) == "Title\nLabel | a b |\n- one\n- two\ntail\nend"
    assert (html_to_text(""), html_to_text("plain text")) == ("", "plain text")
    assert (looks_like_html("<BODY>"), looks_like_html("Status and phase")) == (True, False)


def test_wrapped_seeds_read_as_the_text_seeds():
    for name, page in SEED_PAGES.items():
        reader = next(r for r in (veeva_text, ctgov_classic) if r.recognises(page))
        assert reader.recognises(WRAPPED[name]), name
        assert reader.parse(WRAPPED[name]) == reader.parse(page), name


def _is_page_text(text: str) -> None:
    assert isinstance(text, str)
    for line in text.split("\n") if text else []:  # one block per line: no blank lines, white space folded
        assert line and line == " ".join(line.split()), repr(line)


_TAGS = st.sampled_from(["<html>", "<body>", "</body>", "<p>", "</p>", "<table>", "<tr>", "<td>", "</td>", "<th>",
                         "<li>", "<br>", "<script>", "</script>", "<!--", "-->", "<svg>", "<template>", "<head>",
                         "<![CDATA[", "&nbsp;", "&amp;", "&#0;", "&#x110000;", "<", ">", "\x00", "\r\n"])
_SOUP = st.lists(_TAGS | st.text(max_size=10), max_size=60).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.text() | _SOUP)
def test_arbitrary_markup_gives_page_text(text):
    assert looks_like_html(text) in (True, False)
    _is_page_text(html_to_text(text))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutilated(ARCHIVE_PAGES | WRAPPED))
def test_mutilated_real_pages_give_page_text(page):
    _is_page_text(html_to_text(page[1]))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutilated(WRAPPED))
def test_mutilated_html_seeds_parse_or_raise_parse_error(page):
    name, text = page
    reader = ctgov_classic if name.startswith("002") else veeva_text
    parses_or_raises_parse_error(reader, text)
