"""Backtests of ``forecast`` against Prophet's and statsforecast's, on the same cutoffs.

In one process and on the cutoffs of :func:`forecast.make_cutoffs`, this script runs

* this package's backtests (``fc.backtest``) of prophet, ets, arima, theta, dotm,
  seasonal_naive, naive, auto (choosing among candidates), ensemble and ``auto.default`` (the
  registry's ``auto``: the mean of its default members);
* Prophet's ``prophet.diagnostics.cross_validation`` with those cutoffs, once per interval
  level (Prophet gives one level per fit);
* statsforecast's ``cross_validation`` of AutoETS, AutoARIMA, SeasonalNaive and Naive (each
  timed alone, after a warm-up call on a tiny series so numba's compilation is not counted);

on the data of ``../shared/data``: daily Peyton Manning and R page views and daily unique
visits of a website (h=30, 5 windows, step 30), monthly air passengers and retail sales (h=12,
3 windows, step 12). The daily Wikipedia files lack 59 days: every tool gets the same series
with those days filled by linear interpolation, and no filled day is scored (their actuals are
set missing before scoring, so ``fc.evaluate`` counts them in ``n_missing``).

Every tool's forecasts are scored by ``fc.evaluate`` with the same per-window MASE scale (the
in-sample seasonal-naive MAE of the window's training data, season 7 daily and 12 monthly).

Run from the repository root (statsforecast comes with the ``bench`` extra)::

    python benchmarks/bench_backtest.py --write

``--datasets`` and ``--tools`` restrict a run (``--tools prophet Prophet.cv`` measures only
Prophet's backtests against its ``cross_validation``); results accumulate in
``benchmarks/bench_backtest_results.csv`` (rows of a rerun replace the old ones) and ``--write``
renders every stored result into the backtest section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import platform
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import forecast as fc
from forecast.io import atomic_write_bytes
from forecast.models.auto import DEFAULT_MEMBERS
from forecast.schema import level_column

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "bench_backtest_results.csv"
LEVELS = (80, 95)
MARKER = "<!-- section:backtest -->"

OURS = (
    "prophet",
    "prophet.own",
    "ets",
    "arima",
    "theta",
    "dotm",
    "seasonal_naive",
    "naive",
    "auto",
    "ensemble",
    "auto.default",
)
PEERS = ("Prophet.cv", "sf.AutoETS", "sf.AutoARIMA", "sf.SeasonalNaive", "sf.Naive")
SAME_JOB = {
    "prophet": "Prophet.cv",
    "prophet.own": "Prophet.cv",
    "ets": "sf.AutoETS",
    "arima": "sf.AutoARIMA",
    "seasonal_naive": "sf.SeasonalNaive",
    "naive": "sf.Naive",
}
"""Our model -> the peer doing the same job, for the time ratio."""


@dataclass(frozen=True)
class Job:
    """One data set and its backtest settings."""

    name: str
    loader: Callable[[], pd.DataFrame]
    freq: str
    season: int
    h: int
    n_windows: int
    step: int


def _csv(name: str) -> pd.DataFrame:
    frame = pd.read_csv(DATA / name)
    return pd.DataFrame({"ds": pd.to_datetime(frame["ds"]), "y": frame["y"].astype(float)})


def _website() -> pd.DataFrame:
    frame = pd.read_csv(DATA / "daily_website_visitors.csv", thousands=",")
    return pd.DataFrame(
        {
            "ds": pd.to_datetime(frame["Date"], format="%m/%d/%Y"),
            "y": frame["Unique.Visits"].astype(float),
        }
    )


JOBS = {
    "peyton_manning": Job(
        "peyton_manning", lambda: _csv("example_wp_log_peyton_manning.csv"), "D", 7, 30, 5, 30
    ),
    "wp_log_R": Job("wp_log_R", lambda: _csv("example_wp_log_R.csv"), "D", 7, 30, 5, 30),
    "website_unique_visits": Job("website_unique_visits", _website, "D", 7, 30, 5, 30),
    "air_passengers": Job(
        "air_passengers", lambda: _csv("example_air_passengers.csv"), "MS", 12, 12, 3, 12
    ),
    "retail_sales": Job(
        "retail_sales", lambda: _csv("example_retail_sales.csv"), "MS", 12, 12, 3, 12
    ),
}


def load(job: Job) -> tuple[pd.DataFrame, pd.DatetimeIndex]:
    """The series on its full grid, gaps filled by linear interpolation, and the filled dates."""
    raw = job.loader().sort_values("ds")
    grid = pd.date_range(raw["ds"].min(), raw["ds"].max(), freq=job.freq)
    y = raw.set_index("ds")["y"].reindex(grid)
    filled = grid[y.isna().to_numpy()]
    y = y.interpolate(method="linear")
    return pd.DataFrame({"unique_id": job.name, "ds": grid, "y": y.to_numpy()}), filled


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    loggers = [logging.getLogger(n) for n in ("cmdstanpy", "prophet", "prophet.plot")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            yield
        finally:
            for lg, level in zip(loggers, levels, strict=True):
                lg.setLevel(level)


def _timed(func: Callable[[], pd.DataFrame]) -> tuple[pd.DataFrame, float]:
    start = time.perf_counter()
    with _quiet():
        out = func()
    return out, time.perf_counter() - start


def our_models(job: Job) -> dict[str, fc.models.BaseModel]:
    """The package's models as benchmarked: registry defaults, and auto/ensemble over the
    candidates that exist for every frequency (the ensemble: the 3 of the 4 with the lowest
    MASE over 5 inner windows, weighted by its inverse, intervals calibrated on those windows);
    ``auto.default`` is ``auto`` as the registry builds it (the mean of its default members);
    ``prophet.own`` is ``prophet`` with Prophet's own bands (``calibrate=False``), the job
    Prophet's ``cross_validation`` does, for the time ratio."""
    candidates = ["seasonal_naive", "ets", "theta", "prophet"]
    inner = {"h": job.h, "n_windows": 3}
    return {
        "prophet": fc.models.get("prophet"),
        "prophet.own": fc.models.get("prophet", calibrate=False),
        "ets": fc.models.get("ets"),
        "arima": fc.models.get("arima"),
        "theta": fc.models.get("theta"),
        "dotm": fc.models.get("dotm"),
        "seasonal_naive": fc.models.get("seasonal_naive"),
        "naive": fc.models.get("naive"),
        "auto": fc.models.get("auto", candidates=candidates, **inner),
        "ensemble": fc.models.get(
            "ensemble", members=candidates, combine="weighted", keep=3, h=job.h, n_windows=5
        ),
        "auto.default": fc.models.get("auto"),
    }


def run_ours(
    job: Job, df: pd.DataFrame, cutoffs: pd.DataFrame, name: str
) -> tuple[pd.DataFrame, float]:
    """One of our models' backtest and its wall time."""
    model = our_models(job)[name]
    return _timed(lambda: fc.backtest(df, {name: model}, h=job.h, cutoffs=cutoffs, levels=LEVELS))


def run_prophet_cv(job: Job, df: pd.DataFrame, cutoffs: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """Prophet's own cross_validation on our cutoffs, one run per level; time of both runs."""
    from prophet import Prophet
    from prophet.diagnostics import cross_validation

    cut = [pd.Timestamp(c) for c in cutoffs["cutoff"]]
    offset = pd.tseries.frequencies.to_offset(job.freq)
    horizon = max((c + job.h * offset) - c for c in cut)
    history = df[["ds", "y"]]
    frames, total = [], 0.0
    for level in LEVELS:
        with _quiet():
            model = Prophet(interval_width=level / 100).fit(history)
        out, seconds = _timed(
            lambda m=model: cross_validation(m, horizon=horizon, cutoffs=cut, disable_tqdm=True)
        )
        total += seconds
        frames.append(
            out.rename(
                columns={
                    "yhat_lower": level_column(level, "lo"),
                    "yhat_upper": level_column(level, "hi"),
                }
            )
        )
    merged = (
        frames[0]
        .drop(columns="y")
        .merge(
            frames[1][["ds", "cutoff", level_column(95, "lo"), level_column(95, "hi")]],
            on=["ds", "cutoff"],
        )
    )
    return merged, total


def run_statsforecast(job: Job, df: pd.DataFrame, name: str) -> tuple[pd.DataFrame, float]:
    """statsforecast's cross_validation of one model, after an untimed warm-up."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA, AutoETS, Naive, SeasonalNaive

    build = {
        "sf.AutoETS": lambda: AutoETS(season_length=job.season),
        "sf.AutoARIMA": lambda: AutoARIMA(season_length=job.season),
        "sf.SeasonalNaive": lambda: SeasonalNaive(season_length=job.season),
        "sf.Naive": lambda: Naive(),
    }[name]
    tiny = df.iloc[: 4 * job.season + 2 * job.h].reset_index(drop=True)
    with _quiet():
        StatsForecast(models=[build()], freq=job.freq, n_jobs=1).cross_validation(
            df=tiny, h=job.h, n_windows=1, step_size=job.h, level=list(LEVELS)
        )
    engine = StatsForecast(models=[build()], freq=job.freq, n_jobs=1)
    out, seconds = _timed(
        lambda: engine.cross_validation(
            df=df, h=job.h, n_windows=job.n_windows, step_size=job.step, level=list(LEVELS)
        )
    )
    label = name.removeprefix("sf.")
    renamed = {label: "yhat"}
    for level in LEVELS:
        renamed[f"{label}-lo-{level}"] = level_column(level, "lo")
        renamed[f"{label}-hi-{level}"] = level_column(level, "hi")
    return out.rename(columns=renamed), seconds


def as_backtest(frame: pd.DataFrame, label: str, reference: pd.DataFrame, h: int) -> pd.DataFrame:
    """A peer's forecasts in the backtest frame's layout, with our actuals and scales."""
    out = frame.copy()
    out["unique_id"] = reference["unique_id"].iloc[0]
    out["model"] = label
    for column in ("ds", "cutoff"):
        out[column] = pd.to_datetime(out[column]).astype("datetime64[ns]")
    out = out.sort_values(["cutoff", "ds"])
    out = out.loc[out.groupby("cutoff").cumcount() < h]
    keys = reference[["unique_id", "ds", "y"]].drop_duplicates(["unique_id", "ds"])
    scales = reference[["cutoff", "scale", "seasonal_period"]].drop_duplicates("cutoff")
    out = out.drop(columns=[c for c in ("y",) if c in out.columns]).merge(
        keys, on=["unique_id", "ds"], how="left"
    )
    out = out.merge(scales, on="cutoff", how="left")
    columns = [*fc.schema.forecast_columns(LEVELS, backtest=True), "scale", "seasonal_period"]
    return out[columns]


def score(frame: pd.DataFrame, filled: pd.DatetimeIndex) -> pd.Series:
    """MASE, sMAPE, coverage, MSIS of one tool's backtest, filled days unscored."""
    scored = frame.assign(y=frame["y"].where(~frame["ds"].isin(filled)))
    row = fc.evaluate(scored, metrics=["mase", "smape", "coverage", "msis"]).iloc[0]
    return row[
        [
            "n",
            "n_missing",
            "mase",
            "smape",
            "coverage_80",
            "coverage_95",
            "msis_80",
            "msis_95",
            "note",
        ]
    ]


def warm_up() -> None:
    """Import Prophet and start its Stan backend once, untimed, so no tool pays for it."""
    from prophet import Prophet

    tiny = pd.DataFrame({"ds": pd.date_range("2020-01-01", periods=30), "y": np.arange(30.0)})
    with _quiet():
        Prophet().fit(tiny)


def run_job(job: Job, tools: list[str]) -> pd.DataFrame:
    """Every requested tool on one data set; one row per tool."""
    df, filled = load(job)
    cutoffs = fc.make_cutoffs(df, h=job.h, n_windows=job.n_windows, step=job.step)
    reference, _ = run_ours(job, df, cutoffs, "naive")
    rows = []
    for tool in tools:
        if tool in OURS:
            frame, seconds = run_ours(job, df, cutoffs, tool)
            failures = frame.attrs.get("failures")
            if failures is not None:
                message = failures["message"].iloc[0][:200]
                print(f"  {tool}: {len(failures)} failed window(s): {message}")
        elif tool == "Prophet.cv":
            raw, seconds = run_prophet_cv(job, df, cutoffs)
            frame = as_backtest(raw, tool, reference, job.h)
        else:
            raw, seconds = run_statsforecast(job, df, tool)
            frame = as_backtest(raw, tool, reference, job.h)
        if len(frame) == 0:
            metrics = pd.Series({"n": 0, "note": "every window failed"})
        else:
            metrics = score(frame, filled)
        row = {
            "dataset": job.name,
            "tool": tool,
            "package": "forecast" if tool in OURS else "peer",
            "seconds": seconds,
        }
        row.update(metrics.to_dict())
        rows.append(row)
        print(
            f"  {tool:18s} {seconds:8.1f} s  MASE {row.get('mase', np.nan):.3f}  "
            f"cov80 {row.get('coverage_80', np.nan):.1f}  "
            f"cov95 {row.get('coverage_95', np.nan):.1f}",
            flush=True,
        )
    return pd.DataFrame(rows)


def store(rows: pd.DataFrame) -> pd.DataFrame:
    """Merge this run's rows into the results file (a rerun replaces its rows)."""
    rows = rows.assign(measured=pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%d %H:%M UTC"))
    if RESULTS.exists():
        old = pd.read_csv(RESULTS)
        keep = ~old.set_index(["dataset", "tool"]).index.isin(
            rows.set_index(["dataset", "tool"]).index
        )
        rows = pd.concat([old.loc[keep], rows], ignore_index=True)
    order = {name: i for i, name in enumerate(JOBS)}
    tools = {name: i for i, name in enumerate((*OURS, *PEERS))}
    rows = rows.sort_values(
        by=["dataset", "tool"], key=lambda s: s.map(order if s.name == "dataset" else tools)
    )
    atomic_write_bytes(RESULTS, rows.to_csv(index=False).encode())
    return rows.reset_index(drop=True)


def _fmt(value: object, digits: int = 3) -> str:
    return (
        ""
        if value is None or (isinstance(value, float) and np.isnan(value))
        else f"{value:.{digits}f}"
    )


def render(results: pd.DataFrame) -> str:
    """The markdown tables of every stored result, per data set, and the goals."""
    lines = []
    for dataset, group in results.groupby("dataset", sort=False):
        times = group.set_index("tool")["seconds"]
        peers = group.loc[group["package"] == "peer"]
        best_peer = peers.loc[peers["mase"].idxmin()] if peers["mase"].notna().any() else None
        job = JOBS[dataset]
        lines += [
            f"#### {dataset} (h={job.h}, {job.n_windows} windows, step {job.step})",
            "",
            "| tool | MASE | sMAPE | coverage 80 | coverage 95 | MSIS 80 | MSIS 95 | wall s "
            "| peer time / ours |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for row in group.itertuples(index=False):
            peer = SAME_JOB.get(row.tool)
            ratio = f"{times[peer] / row.seconds:.2f}x vs {peer}" if peer in times.index else ""
            lines.append(
                f"| {row.tool} | {_fmt(row.mase)} | {_fmt(row.smape, 2)} | "
                f"{_fmt(row.coverage_80, 1)} | {_fmt(row.coverage_95, 1)} | "
                f"{_fmt(row.msis_80, 2)} | {_fmt(row.msis_95, 2)} | "
                f"{_fmt(row.seconds, 1)} | {ratio} |"
            )
        if best_peer is not None:
            lines += ["", f"Best peer MASE: {best_peer['tool']} {best_peer['mase']:.3f}."]
        lines.append("")
    return "\n".join(lines)


def goals(results: pd.DataFrame) -> str:
    """The issue's goals, each as measured: ratios and differences against the peers."""
    table = results.set_index(["dataset", "tool"])
    lines = ["#### Goals", ""]
    for dataset in results["dataset"].unique():
        have = table.loc[dataset]
        same = "prophet.own" if "prophet.own" in have.index else "prophet"
        if {same, "Prophet.cv"} <= set(have.index):
            ours, peer = have.loc[same], have.loc["Prophet.cv"]
            lines.append(
                f"- {dataset}: {same} {peer['seconds'] / ours['seconds']:.2f}x the speed of "
                f"Prophet's cross_validation (goal 3x), "
                f"MASE {ours['mase']:.3f} vs {peer['mase']:.3f} "
                f"({100 * (ours['mase'] / peer['mase'] - 1):+.1f}%, goal within 1%)."
            )
        peers = have.loc[have["package"] == "peer", "mase"].dropna()
        mine = have.loc[
            [t for t in ("auto", "ensemble", "auto.default") if t in have.index], "mase"
        ].dropna()
        if len(peers) and len(mine):
            best_peer, best_mine = peers.idxmin(), mine.idxmin()
            verdict = (
                "reached"
                if mine.min() <= peers.min()
                else f"missed by {100 * (mine.min() / peers.min() - 1):.1f}%"
            )
            lines.append(
                f"- {dataset}: best of auto/ensemble is {best_mine} {mine.min():.3f} against the "
                f"best peer {best_peer} {peers.min():.3f}: {verdict}."
            )
        members = [m for m in DEFAULT_MEMBERS if m in have.index]
        if "auto.default" in have.index and len(members) == len(DEFAULT_MEMBERS):
            best = have.loc[members, "mase"].idxmin()
            excess = 100 * (have.loc["auto.default", "mase"] / have.loc[best, "mase"] - 1)
            lines.append(
                f"- {dataset}: auto.default {have.loc['auto.default', 'mase']:.3f} against its "
                f"best member {best} {have.loc[best, 'mase']:.3f} ({excess:+.1f}%, goal at most "
                f"+3%: {'reached' if excess <= 3 else 'missed'})."
            )
        if JOBS[dataset].freq == "D":
            for ours_name, peer_name in (("ets", "sf.AutoETS"), ("arima", "sf.AutoARIMA")):
                if {ours_name, peer_name} <= set(have.index):
                    ratio = have.loc[peer_name, "seconds"] / have.loc[ours_name, "seconds"]
                    verdict = "reached" if ratio >= 1 else "missed"
                    lines.append(
                        f"- {dataset}: {ours_name} {have.loc[ours_name, 'seconds']:.1f} s vs "
                        f"{peer_name} {have.loc[peer_name, 'seconds']:.1f} s ({ratio:.2f}x, "
                        f"goal >= 1x: {verdict})."
                    )
    ours = results.loc[results["package"] == "forecast"]
    coverage = ours.groupby("tool", sort=False)[["coverage_80", "coverage_95"]].mean()
    counts = ours.groupby("tool", sort=False)["dataset"].nunique()
    lines += [
        "",
        "Average coverage over the data sets measured (goal: within 5 points of 80 and 95):",
        "",
    ]
    lines += ["| model | data sets | coverage 80 | coverage 95 |", "| --- | ---: | ---: | ---: |"]
    for tool, row in coverage.iterrows():
        lines.append(
            f"| {tool} | {counts[tool]} | {_fmt(row['coverage_80'], 1)} | "
            f"{_fmt(row['coverage_95'], 1)} |"
        )
    return "\n".join(lines) + "\n"


def write_section(tables: str) -> None:
    """Replace the text between the backtest marker and the next section marker."""
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text()
    start = text.index(MARKER) + len(MARKER)
    following = text.find("<!-- section:", start)
    end = following if following != -1 else len(text)
    head = (
        "\n\n## Backtests against Prophet and statsforecast\n\n"
        "Measured by `python benchmarks/bench_backtest.py --write` (the results of each data set "
        "and tool are kept in `benchmarks/bench_backtest_results.csv` with the time of "
        "measurement). "
        f"Machine: {platform.machine()}, 2 cores shared with other jobs while measuring, so wall "
        "times carry noise of tens of percent; every tool ran with one process. "
        "Coverage in percent; MSIS is the interval score divided by the window's seasonal-naive "
        "MAE.\n\n"
    )
    section = head + tables + "\n<!-- end:backtest tables -->\n\n"
    notes_marker = "<!-- end:backtest tables -->"
    old = text[start:end]
    if notes_marker in old:
        section = head + tables + "\n" + old[old.index(notes_marker) :]
    atomic_write_bytes(
        path, (text[:start] + section.rstrip("\n") + "\n\n" + text[end:].lstrip("\n")).encode()
    )


def main() -> None:
    """Parse the command line, run the requested jobs, store and print the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--datasets", nargs="*", default=list(JOBS), choices=list(JOBS), help="none: only render"
    )
    parser.add_argument("--tools", nargs="*", default=[*OURS, *PEERS], choices=[*OURS, *PEERS])
    parser.add_argument(
        "--write", action="store_true", help="render all stored results into BENCHMARKS.md"
    )
    args = parser.parse_args()
    if not DATA.is_dir():
        raise SystemExit(f"the data folder {DATA} is absent")
    warm_up()
    for name in args.datasets:
        print(f"{name}:", flush=True)
        store(run_job(JOBS[name], args.tools))
    results = pd.read_csv(RESULTS)
    tables = render(results) + "\n" + goals(results)
    print(tables)
    if args.write:
        write_section(tables)


if __name__ == "__main__":
    main()
