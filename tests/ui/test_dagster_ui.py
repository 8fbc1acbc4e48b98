"""The Dagster UI as a person sees it: headless Chromium on a real dagster-webserver over the seeds.

The seeds are run once with `python -m pipeline run` against a temporary DAGSTER_HOME, then
dagster-webserver serves that instance (no daemon, so the sensor and schedule stay quiet) and
Selenium drives Debian's /usr/bin/chromium. Screenshots land in tests/ui/artifacts/.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from pipeline.report import CHARTS
from tests.conftest import REPO, SEEDS, query

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is absent: `apt-get install chromium chromium-driver` to check the Dagster UI",
                allow_module_level=True)

from selenium import webdriver  # noqa: E402  (only needed, and only importable in CI, when Chromium is there)
from selenium.common.exceptions import TimeoutException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1600,1400")
SERVER_START_SECONDS = 180
RENDER_SECONDS = 60
SETTLE_SECONDS = 3  # after the texts appear, for the graph's layout and status colours before the picture
STILL_LOADING = ("fetching statuses", "Loading")
LOCATION = "pipeline.definitions"
# Names as the zoomed-out graph writes them (long ones are cut in the middle).
GRAPH_ASSETS = ("staged_documents", "parsed_records", "documents", "trials", "eligibil…_criteria", "warehouse")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _graphql(base: str, text: str) -> dict:
    request = urllib.request.Request(f"{base}/graphql", data=json.dumps({"query": text}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def _wait_until_loaded(base: str, server: subprocess.Popen, log: Path) -> None:
    """Until the webserver answers and its code location has loaded (or the server died)."""
    deadline = time.monotonic() + SERVER_START_SECONDS
    statuses = "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus } } } }"
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"dagster-webserver exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            entries = _graphql(base, statuses)["data"]["workspaceOrError"]["locationEntries"]
            if any(e["name"] == LOCATION and e["loadStatus"] == "LOADED" for e in entries):
                return
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError(f"dagster-webserver did not load {LOCATION} in {SERVER_START_SECONDS} s:\n"
                       f"{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def seeds_run(tmp_path_factory):
    """The seeds materialized through the CLI into a DAGSTER_HOME the webserver will show."""
    base = tmp_path_factory.mktemp("ui")
    home, raw, out = base / "dagster_home", base / "raw", base / "out"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    shutil.copytree(SEEDS, raw)
    env = {**os.environ, "DAGSTER_HOME": str(home), "TRIALS_RAW_DIR": str(raw), "TRIALS_OUT_DIR": str(out)}
    subprocess.run([sys.executable, "-m", "pipeline", "run", "--raw-dir", str(raw), "--out-dir", str(out),
                    "--workers", "1"], env=env, cwd=REPO, check=True, timeout=600, capture_output=True)
    return env, out


@pytest.fixture(scope="module")
def webserver(seeds_run, tmp_path_factory):
    env, _ = seeds_run
    log = tmp_path_factory.mktemp("webserver") / "webserver.log"
    base = f"http://127.0.0.1:{_free_port()}"
    with log.open("w") as log_file:
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "dagster-webserver"), "-m", LOCATION, "-h", "127.0.0.1",
             "-p", base.rsplit(":", 1)[1]],
            env=env, cwd=REPO, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_until_loaded(base, server, log)
        assert _graphql(base, "mutation { setNuxSeen }")["data"]["setNuxSeen"] is True  # no welcome pop-up
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the server and the code server it started
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(str(CHROMEDRIVER)))
    yield driver
    driver.quit()


def _page_text(driver) -> str:
    return driver.find_element(By.TAG_NAME, "body").text


def _show(driver, url: str, expected: list[str], screenshot: str, ready=lambda driver: True) -> str:
    """Open url, wait until every expected text is on the page, nothing is loading and `ready` holds,
    save a screenshot; returns the page text."""
    ARTIFACTS.mkdir(exist_ok=True)
    driver.get(url)

    def rendered(d) -> bool:
        text = _page_text(d)
        return all(t in text for t in expected) and not any(t in text for t in STILL_LOADING) and ready(d)

    try:
        WebDriverWait(driver, RENDER_SECONDS).until(rendered)
    except TimeoutException:
        driver.save_screenshot(str(ARTIFACTS / screenshot))
        missing = [text for text in expected if text not in _page_text(driver)]
        pytest.fail(f"{url} never finished rendering (texts missing: {missing}); see {ARTIFACTS / screenshot}. "
                    f"It shows:\n{_page_text(driver)}")
    time.sleep(SETTLE_SECONDS)
    driver.save_screenshot(str(ARTIFACTS / screenshot))
    return _page_text(driver)


def _row_count(out: Path, table: str) -> int:
    return query(out, f"select count(*) from {table}")[0][0]


def test_lineage_shows_the_groups(webserver, browser):
    _show(browser, f"{webserver}/asset-groups", ["Global asset lineage", "staging", "parsing", "tables", "warehouse"],
          "lineage_groups.png")


def _graph_nodes_materialized(driver) -> bool:
    """Every asset box of the zoomed-out graph is drawn green, the UI's colour for a materialized asset."""
    boxes = driver.find_elements(By.CSS_SELECTOR, '[class*="minimalAssetNodeBox"]')
    return len(boxes) >= len(GRAPH_ASSETS) and all("background-green" in b.get_attribute("style") for b in boxes)


def test_asset_graph_shows_every_stage_materialized(webserver, browser):
    _show(browser, f"{webserver}/assets/warehouse?view=lineage&lineageScope=upstream&lineageDepth=3",
          list(GRAPH_ASSETS), "asset_graph.png", ready=_graph_nodes_materialized)


def test_trials_page_shows_its_materialization_and_row_count(webserver, browser, seeds_run):
    text = _show(browser, f"{webserver}/assets/trials", ["Latest materialization", "Row count"], "trials_asset.png")
    lines = text.splitlines()
    assert lines[lines.index("Latest materialization") + 1].endswith("ago")
    assert lines[lines.index("Row count") + 1] == str(_row_count(seeds_run[1], "trials"))
    assert "The published trials table" in text


def test_trials_schema_check_passed(webserver, browser, seeds_run):
    text = _show(browser, f"{webserver}/assets/trials?view=checks", ["schema", "Passed", "pandera schema of trials"],
                 "trials_checks.png")
    assert f"rows {_row_count(seeds_run[1], 'trials')}" in text.replace("\n", " ")
    assert "failures 0" in text.replace("\n", " ")


def _chart_shown(driver) -> bool:
    images = driver.find_elements(By.CSS_SELECTOR, 'img[src^="data:image/png;base64,"]')
    return any(int(image.get_attribute("naturalWidth") or 0) > 0 for image in images)


def test_report_asset_shows_its_charts(webserver, browser, seeds_run):
    """Needs landscape_report in pipeline.definitions: its metadata opens the status chart, drawn."""
    node = _graphql(webserver, '{ assetNodeOrError(assetKey: {path: ["landscape_report"]}) { __typename } }')
    assert node["data"]["assetNodeOrError"]["__typename"] == "AssetNode", \
        "landscape_report is not in the code location: pipeline/definitions.py must load pipeline.defs.reports"
    text = _show(browser, f"{webserver}/assets/landscape_report", ["Latest materialization", "landscape.html"],
                 "report_asset.png")
    assert str(seeds_run[1] / "report" / "landscape.html") in text
    assert text.count("[Show Markdown]") == len(CHARTS)  # status_phase, …, eligibility_windows, reporting_delay
    browser.find_element(By.XPATH, "//*[text()='[Show Markdown]']").click()
    WebDriverWait(browser, RENDER_SECONDS).until(_chart_shown)
    time.sleep(SETTLE_SECONDS)
    browser.save_screenshot(str(ARTIFACTS / "report_chart.png"))
