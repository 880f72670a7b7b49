"""The reports in a real browser: headless Chromium driven by Selenium.

Each report of a run, a backtest, a share forecast and a batch job must open without console
errors, draw every chart, show a point's value on hover, and request nothing from the network.
A screenshot of each is saved under ``test-artifacts/`` for a person to look at. The tests skip
when Chromium or its driver is not installed (``apt-get install chromium chromium-driver``).
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
_BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def _executable(names: tuple[str, ...]) -> str | None:
    return next((found for name in names if (found := shutil.which(name))), None)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    binary, driver = _executable(_BROWSERS), _executable(("chromedriver",))
    if binary is None or driver is None:
        pytest.skip(
            "no headless browser: install Chromium and its driver (Debian: apt-get install "
            "chromium chromium-driver) to run the browser tests"
        )
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_argument("--window-size=1280,900")
    options.binary_location = binary
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    session = webdriver.Chrome(service=Service(driver), options=options)
    try:
        yield session
    finally:
        session.quit()


def _open(browser, path: Path) -> None:
    browser.get_log("browser")
    browser.get_log("performance")
    browser.get(path.as_uri())
    deadline = time.monotonic() + 30
    while not browser.execute_script("return window.reportReady === true"):
        assert time.monotonic() < deadline, f"{path.name}: the page's charts never finished"
        time.sleep(0.1)


def _requests(browser) -> list[str]:
    urls = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


_CHART_CONTENT = """
return Array.from(document.querySelectorAll('.chart')).map(el => [el.id,
  el.querySelectorAll('svg.main-svg').length,
  Array.from(el.querySelectorAll('.scatterlayer path')).filter(
    p => (p.getAttribute('d') || '').length > 10).length]);
"""

_LISTEN = """
window.hovered = null;
const el = document.getElementById(arguments[0]);
el.on('plotly_hover', e => { const p = e.points[0];
  window.hovered = {x: String(p.x), y: p.y, trace: p.data.name}; });
"""

# The hover label's lines (SVG tspans), one per line of text.
_LABEL = """
const h = document.querySelector('#' + CSS.escape(arguments[0]) + ' .hoverlayer');
if (!h) return '';
return Array.from(h.querySelectorAll('text')).map(t => {
  const lines = t.querySelectorAll('tspan.line');
  return lines.length ? Array.from(lines).map(l => l.textContent).join('\\n') : t.textContent;
}).join('\\n');
"""


def _hover(browser, chart_id: str) -> tuple[dict, str]:
    """Move the mouse onto a marker of the chart; return the hovered point and the label."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    browser.execute_script(_LISTEN, chart_id)
    chart = browser.find_element(By.ID, chart_id)
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", chart)
    points = chart.find_elements(By.CSS_SELECTOR, ".scatterlayer .points path")
    assert points, f"{chart_id}: no markers to hover"
    for point in points[len(points) // 2 :]:
        ActionChains(browser).move_to_element(point).perform()
        time.sleep(0.2)
        label = browser.execute_script(
            _LABEL,
            chart_id,
        )
        hovered = browser.execute_script("return window.hovered")
        if hovered and label:
            return hovered, label
    raise AssertionError(f"{chart_id}: hovering its markers showed no label")


def _numbers(text: str) -> list[float]:
    return [float(n.replace(",", "")) for n in re.findall(r"-?\d[\d,]*\.?\d*(?:e[-+]?\d+)?", text)]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["run", "backtest", "shares", "batch"])
def test_report_opens_draws_and_hovers_offline(browser, reports: dict[str, Path], kind: str):
    path = reports[kind]
    _open(browser, path)
    charts = browser.execute_script(_CHART_CONTENT)
    assert charts, f"{kind}: the page has no chart"
    for chart_id, svgs, paths in charts:
        assert svgs > 0 and paths > 0, f"{kind}: chart {chart_id} drew nothing"
        hovered, label = _hover(browser, chart_id)
        assert hovered["x"][:10] in label or f"step {hovered['x']}" in label, label
        value, shown = float(hovered["y"]), _numbers(label)
        assert any(
            n == pytest.approx(value, rel=5e-4) or n == pytest.approx(100 * value, abs=0.006)
            for n in shown
        ), (label, value)
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == [], f"{kind}: console errors {errors}"
    requests = _requests(browser)
    assert requests, "the performance log recorded no request at all"
    outside = [u for u in requests if not u.startswith(("file:", "data:", "about:"))]
    assert outside == [], f"{kind}: the page requested {outside}"
    ARTIFACTS.mkdir(exist_ok=True)
    height = browser.execute_script("return document.body.scrollHeight")
    browser.set_window_size(1280, min(int(height) + 120, 8000))
    browser.execute_script("window.scrollTo(0, 0)")
    time.sleep(0.5)
    assert browser.save_screenshot(str(ARTIFACTS / f"report-{kind}.png"))
    browser.set_window_size(1280, 900)


@pytest.mark.slow
def test_picker_switches_the_series(browser, reports: dict[str, Path]):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    _open(browser, reports["run"])
    select = Select(browser.find_element(By.ID, "forecast0-fan-select"))
    titles = []
    for option in [o.get_attribute("value") for o in select.options]:
        select.select_by_value(option)
        time.sleep(0.2)
        first = browser.execute_script(
            "return document.getElementById('forecast0-fan').data.map(t => t.y[0])"
        )
        titles.append(tuple(first))
    assert len(set(titles)) == len(select.options) > 1
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
