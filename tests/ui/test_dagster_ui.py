"""The Dagster UI as a person sees it: headless Chromium on the README's `python -m pipeline ui` over the seeds.

The seeds are run once with `python -m pipeline run` against a temporary DAGSTER_HOME, then the UI
command serves that instance (webserver, daemon and code server, as a user gets them) and Selenium
drives Debian's /usr/bin/chromium. The daemon's sensor runs the job once more on its first tick; the
pages are checked once that run is over. The last test stops the command with SIGTERM and checks
that no process it started is left (a new page check goes before it). Screenshots land in
tests/ui/artifacts/.
"""
from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.cli import SHUTDOWN_SECONDS
from pipeline.report import CHARTS
from tests.conftest import REPO, SEEDS, query
from tests.ui.ui_command import (
    LOCATION, free_port, graphql, start_ui, stop, ui_environment, wait_until_loaded,
)

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
RENDER_SECONDS = 60
RUN_SECONDS = 900  # the sensor's run over the seeds: one process per step; 4 minutes measured on a busy machine
SETTLE_SECONDS = 3  # after the texts appear, for the graph's layout and status colours before the picture
STILL_LOADING = ("fetching statuses", "Loading")
# Names as the zoomed-out graph writes them (long ones are cut in the middle).
GRAPH_ASSETS = ("staged_documents", "parsed_records", "documents", "trials", "eligibil…_criteria", "warehouse")
SENSOR_TICKS = ('{ sensorOrError(sensorSelector: {repositoryLocationName: "%s", repositoryName: "__repository__", '
                'sensorName: "raw_files_sensor"}) { ... on Sensor { sensorState { ticks(limit: 1) { status } } } } }'
                % LOCATION)
ACTIVE_RUNS = ("{ runsOrError(filter: {statuses: [QUEUED, NOT_STARTED, STARTING, STARTED, CANCELING]}) "
               "{ ... on Runs { results { runId } } } }")


@pytest.fixture(scope="module")
def seeds_run(tmp_path_factory):
    """The seeds materialized through the CLI into a DAGSTER_HOME the UI will show, and the UI's environment."""
    base = tmp_path_factory.mktemp("ui")
    home, raw, out = base / "dagster_home", base / "raw", base / "out"
    home.mkdir()  # its dagster.yaml written by the CLI, as for a user
    shutil.copytree(SEEDS, raw)
    env = ui_environment(home, raw, out, free_port())
    subprocess.run([sys.executable, "-m", "pipeline", "run", "--raw-dir", str(raw), "--out-dir", str(out),
                    "--workers", "1"], env=env, cwd=REPO, check=True, timeout=600, capture_output=True)
    return env, out


def _wait_until_idle(base: str) -> None:
    """Until the sensor has ticked once and no run is queued or running."""
    deadline = time.monotonic() + RUN_SECONDS
    while time.monotonic() < deadline:
        ticks = graphql(base, SENSOR_TICKS)["data"]["sensorOrError"]["sensorState"]["ticks"]
        if ticks and not graphql(base, ACTIVE_RUNS)["data"]["runsOrError"]["results"]:
            return
        time.sleep(2)
    raise RuntimeError(f"the sensor's first run did not end in {RUN_SECONDS} s")


@pytest.fixture(scope="module")
def ui(seeds_run, tmp_path_factory):
    """(base URL, the UI command's process) once its pages have something settled to show."""
    env, _ = seeds_run
    log = tmp_path_factory.mktemp("ui_log") / "ui.log"
    base = f"http://127.0.0.1:{env['DAGSTER_CLI_DEV_PORT']}"
    process = start_ui(env, log)
    try:
        wait_until_loaded(base, process, log)
        _wait_until_idle(base)
        assert graphql(base, "mutation { setNuxSeen }")["data"]["setNuxSeen"] is True  # no welcome pop-up
        yield base, process
    finally:
        if process.poll() is None:  # the last test did not run
            stop(process, signal.SIGTERM)


@pytest.fixture(scope="module")
def webserver(ui):
    return ui[0]


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
    node = graphql(webserver, '{ assetNodeOrError(assetKey: {path: ["landscape_report"]}) { __typename } }')
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


RUNS_BY_STATUS = '{ runsOrError { ... on Runs { results { runId status } } } }'


def _runs(base: str) -> dict[str, str]:
    return {r["runId"]: r["status"] for r in graphql(base, RUNS_BY_STATUS)["data"]["runsOrError"]["results"]}


def test_materialize_all_is_one_click_and_one_run(webserver, browser):
    """No partitions to choose, no backfill dialog: the button starts one run of every asset, which succeeds."""
    before = _runs(webserver)
    _show(browser, f"{webserver}/asset-groups", ["Global asset lineage", "Materialize all"], "materialize_all.png")
    browser.find_element(By.XPATH, "//button[.//*[text()='Materialize all'] or text()='Materialize all']").click()
    deadline = time.monotonic() + RUN_SECONDS
    while time.monotonic() < deadline:
        new = {run: status for run, status in _runs(webserver).items() if run not in before}
        if new and all(status in ("SUCCESS", "FAILURE", "CANCELED") for status in new.values()):
            break
        time.sleep(2)
    browser.save_screenshot(str(ARTIFACTS / "materialize_all_clicked.png"))
    assert list(new.values()) == ["SUCCESS"], f"runs started by the click: {new}"


def test_sigterm_stops_every_process_the_ui_started(ui):
    """Last: the UI command stopped as a service manager stops it; nothing it started may outlive it."""
    _, process = ui
    seconds, left = stop(process, signal.SIGTERM)
    assert left == [], "still running after the UI command exited:\n" + "\n".join(left)
    assert process.returncode == 0 and seconds < SHUTDOWN_SECONDS + 10
