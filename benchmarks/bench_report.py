"""The HTML report of a 10,000-series batch job: its size, how long it takes to make and to open.

A batch job forecasts simulated daily DAU series (``simulate`` in the job's ``[data]``, 4
products per market) with ``naive`` and ``drift`` (h = 14) and backtests them on 2 windows;
``fc.report`` then writes the job's report. The page is opened in headless Chromium (Debian's
``chromium`` with ``chromedriver``, through Selenium) ``--opens`` times in a fresh tab; the time
to open is the page's own clock (``performance.now()``, from the start of navigation) when its
script has drawn every chart (``window.reportReadyAt``).

Usage (``F`` a working folder; the job is reused when ``F/job`` holds a finished one)::

    python benchmarks/bench_report.py --series 10000 --folder F
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import forecast as fc

__all__ = ["run_job", "open_times", "main"]


def run_job(folder: Path, series: int, workers: int) -> tuple[Path, float]:
    """Run (or reuse) the batch job; return its folder and its wall time in seconds."""
    out = folder / "job"
    manifest = out / "manifest.json"
    if manifest.is_file() and json.loads(manifest.read_text())["counts"]["series"] == series:
        return out, float(json.loads(manifest.read_text())["seconds"]["total"])
    job = {
        "data": {
            "simulate": {
                "markets": series // 4,
                "seed": 0,
                "n_products": 4,
                "periods": 120,
                "retention_ages": [],
            },
            "metric": "dau",
        },
        "forecast": {"models": ["naive", "drift"], "horizon": 14, "levels": [80, 95]},
        "backtest": {"windows": 2, "step": 14},
        "output": {"dir": str(out), "formats": ["parquet"]},
        "executor": {"kind": "local", "workers": workers, "chunk_size": 500},
    }
    start = time.perf_counter()
    fc.batch.run(job, progress="log")
    return out, time.perf_counter() - start


def open_times(page: Path, opens: int) -> list[float]:
    """Seconds from navigation to every chart drawn, per fresh opening in headless Chromium."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.binary_location = str(shutil.which("chromium") or shutil.which("google-chrome"))
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(shutil.which("chromedriver"))), options=options)
    times = []
    try:
        for _ in range(opens):
            driver.get("about:blank")
            driver.get(page.as_uri())
            deadline = time.monotonic() + 120
            while not driver.execute_script("return window.reportReady === true"):
                if time.monotonic() > deadline:
                    raise RuntimeError("the report did not finish drawing within 120 s")
                time.sleep(0.05)
            times.append(driver.execute_script("return window.reportReadyAt") / 1000)
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        if errors:
            raise RuntimeError(f"console errors: {errors}")
    finally:
        driver.quit()
    return times


def main(argv: list[str] | None = None) -> None:
    """Run the job, write the report, open it, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--opens", type=int, default=5)
    parser.add_argument("--max-series", type=int, default=1000)
    parser.add_argument("--folder", type=Path, help="working folder (default: a temporary one)")
    args = parser.parse_args(argv)
    folder = args.folder or Path(tempfile.mkdtemp(prefix="bench-report-"))
    folder.mkdir(parents=True, exist_ok=True)
    job, job_seconds = run_job(folder, args.series, args.workers)
    start = time.perf_counter()
    page = fc.report(job, folder / "report.html", max_series=args.max_series)
    make_seconds = time.perf_counter() - start
    times = open_times(page, args.opens)
    print(f"series: {args.series:,} (job: {job_seconds:.0f} s)")
    print(f"report: {page.stat().st_size / 1e6:.2f} MB, made in {make_seconds:.1f} s")
    print(
        f"open in headless Chromium ({args.opens} fresh loads): median "
        f"{statistics.median(times):.2f} s, max {max(times):.2f} s"
    )


if __name__ == "__main__":
    main()
