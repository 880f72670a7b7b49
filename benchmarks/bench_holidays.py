"""Holidays in ``prophet`` and ``arima`` on Peyton Manning's page views, as in Prophet's docs.

Prophet's documentation ("Seasonality, Holiday Effects, And Regressors") models the daily log
page views of Peyton Manning's Wikipedia article with two holidays: his playoff games and the
Super Bowls, each with ``lower_window=0`` and ``upper_window=1`` (the day after counts too).
This script uses exactly those holidays and

1. fits our ``prophet`` with ``holidays=`` that frame and Prophet called directly with the same
   frame, on the file as Prophet's documentation reads it, and compares ``yhat`` 365 days ahead
   (the tolerance of ``tests/models/test_prophet.py`` is a relative 1e-3), over the first 30
   days and on the holiday dates of the forecast, with Prophet as it comes (CmdStan's L-BFGS,
   which stalls short of the optimum here whatever its tolerances), with Prophet converged
   (``fit(algorithm="Newton")``: CmdStan's Newton optimiser) and with this package's optimiser
   as Prophet's backend; and the log posterior each optimum reaches;
2. backtests ``prophet`` and ``arima`` with and without the holidays on the cutoffs of the
   backtest benchmark (``benchmarks/bench_backtest.py``: h=30, 5 windows, step 30, the 59
   missing days filled linearly and never scored) and reports MASE over all days and over the
   holiday days (a holiday's date and the day after). ``arima`` takes the holidays as two
   indicator covariates (``holiday_playoff``, ``holiday_superbowl``: 1 on the date and the day
   after), a regression with ARIMA errors. ``--playoff-windows`` adds one 30-day window from a
   week before each playoff season of 2009 to 2015, where the holidays fall.

Run from the repository root (about three minutes, most of it ``arima``)::

    python benchmarks/bench_holidays.py
    python benchmarks/bench_holidays.py --models prophet

It needs ``../shared/data/example_wp_log_peyton_manning.csv``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

import forecast as fc
from forecast.models.prophet import quiet_prophet

sys.path.insert(0, str(Path(__file__).parent))
import bench_backtest as bb

JOB = bb.JOBS["peyton_manning"]

PLAYOFFS = pd.DataFrame(
    {
        "holiday": "playoff",
        "ds": pd.to_datetime(
            [
                "2008-01-13",
                "2009-01-03",
                "2010-01-16",
                "2010-01-24",
                "2010-02-07",
                "2011-01-08",
                "2013-01-12",
                "2014-01-12",
                "2014-01-19",
                "2014-02-02",
                "2015-01-11",
                "2016-01-17",
                "2016-01-24",
                "2016-02-07",
            ]
        ),
        "lower_window": 0,
        "upper_window": 1,
    }
)
SUPERBOWLS = pd.DataFrame(
    {
        "holiday": "superbowl",
        "ds": pd.to_datetime(["2010-02-07", "2014-02-02", "2016-02-07"]),
        "lower_window": 0,
        "upper_window": 1,
    }
)
HOLIDAYS = pd.concat((PLAYOFFS, SUPERBOWLS)).reset_index(drop=True)
"""Prophet's documentation's holidays for this series, as it gives them."""


def holiday_days(holidays: pd.DataFrame = HOLIDAYS) -> dict[str, pd.DatetimeIndex]:
    """Each holiday's days: its dates widened by their windows."""
    days: dict[str, pd.DatetimeIndex] = {}
    for name, rows in holidays.groupby("holiday"):
        spans = [
            pd.date_range(
                row.ds + pd.Timedelta(days=int(row.lower_window)),
                row.ds + pd.Timedelta(days=int(row.upper_window)),
            )
            for row in rows.itertuples()
        ]
        days[str(name)] = spans[0].append(spans[1:]).unique().sort_values()
    return days


def indicator_covariates(dates: pd.DatetimeIndex) -> pd.DataFrame:
    """The holidays as indicator covariates at ``dates``: one column per holiday."""
    frame = pd.DataFrame({"ds": dates})
    for name, days in holiday_days().items():
        frame[f"holiday_{name}"] = dates.isin(days).astype(float)
    return frame


def compare_with_prophet() -> pd.DataFrame:
    """Our prophet against Prophet directly, 365 days ahead, with and without the holidays.

    Prophet is run as it comes (CmdStan's L-BFGS), converged (CmdStan's Newton optimiser,
    which reaches the optimum L-BFGS stops short of) and with this package's in-process
    optimiser as its Stan backend, which separates the handling of the holidays (same optimum:
    equal forecasts expected) from the optimisers (the log posterior each reaches is reported).
    """
    from prophet import Prophet

    from forecast.models._prophet_backend import backend

    raw = bb._csv("example_wp_log_peyton_manning.csv")
    rows = []
    for label, holidays in (("none", None), ("playoffs and Super Bowls", HOLIDAYS)):
        ours = fc.models.get("prophet", holidays=holidays).fit(raw)
        point = ours.predict(365, levels=())["yhat"].to_numpy()
        with quiet_prophet():
            direct = Prophet(holidays=holidays).fit(raw)
            future = direct.make_future_dataframe(periods=365, include_history=False)
            expected = direct.predict(future)
            converged = Prophet(holidays=holidays).fit(raw, algorithm="Newton")
            converged_point = converged.predict(future)["yhat"].to_numpy()
            same = Prophet(holidays=holidays)
            same.stan_backend = backend()()
            same.fit(raw)
            same_point = same.predict(future)["yhat"].to_numpy()
        relative = np.abs(point / expected["yhat"].to_numpy() - 1)
        days = future["ds"].isin(holiday_days()["playoff"]).to_numpy()
        rows.append(
            {
                "holidays": label,
                "max rel. diff., as it comes (L-BFGS), 365 days": relative.max(),
                "first 30 days": relative[:30].max(),
                "holiday days": relative[days].max(),
                "converged (Newton), 365 days": np.abs(point / converged_point - 1).max(),
                "same optimiser": np.abs(point / same_point - 1).max(),
                "log posterior, ours": float(ours.model_.params["lp__"][0][0]),
                "L-BFGS's": float(direct.params["lp__"][0][0]),
                "Newton's": float(converged.params["lp__"][0][0]),
            }
        )
    return pd.DataFrame(rows)


def _models(names: list[str]) -> dict[str, tuple[fc.models.BaseModel, bool]]:
    """Each model with and without the holidays; True where it needs the covariates frame."""
    models: dict[str, tuple[fc.models.BaseModel, bool]] = {}
    if "prophet" in names:
        models["prophet"] = (fc.models.get("prophet"), False)
        models["prophet + holidays"] = (fc.models.get("prophet", holidays=HOLIDAYS), False)
    if "arima" in names:
        models["arima"] = (fc.models.get("arima"), False)
        models["arima + holiday covariates"] = (fc.models.get("arima"), True)
    return models


def playoff_cutoffs(df: pd.DataFrame) -> pd.DataFrame:
    """A cutoff a week before the first playoff game of each season from 2009 to 2015."""
    first = PLAYOFFS.groupby(PLAYOFFS["ds"].dt.year)["ds"].min()
    dates = [d - pd.Timedelta(days=7) for year, d in first.items() if 2009 <= year <= 2015]
    return pd.DataFrame(
        {"unique_id": df["unique_id"].iloc[0], "window": range(len(dates)), "cutoff": dates}
    )


def backtests(names: list[str], playoffs: bool = False) -> pd.DataFrame:
    """MASE with and without the holidays on the backtest benchmark's or the playoff cutoffs."""
    df, filled = bb.load(JOB)
    cutoffs = (
        playoff_cutoffs(df)
        if playoffs
        else fc.make_cutoffs(df, h=JOB.h, n_windows=JOB.n_windows, step=JOB.step)
    )
    covariates = indicator_covariates(pd.DatetimeIndex(df["ds"]))
    days = holiday_days()["playoff"]
    rows = []
    for label, (model, with_covariates) in _models(names).items():
        started = time.perf_counter()
        extra = {"covariates": covariates} if with_covariates else {}
        frame = fc.backtest(df, {label: model}, h=JOB.h, cutoffs=cutoffs, **extra)
        seconds = time.perf_counter() - started
        scored = frame.assign(y=frame["y"].where(~frame["ds"].isin(filled)))
        overall = fc.evaluate(scored, metrics=["mase"]).iloc[0]
        holiday = fc.evaluate(scored.loc[scored["ds"].isin(days)], metrics=["mase"]).iloc[0]
        rows.append(
            {
                "model": label,
                "MASE": overall["mase"],
                "MASE on holiday days": holiday["mase"],
                "holiday days scored": int(holiday["n"]),
                "days scored": int(overall["n"]),
                "wall s": seconds,
            }
        )
        print(f"  {label:28s} MASE {overall['mase']:.4f}  {seconds:6.1f} s", flush=True)
    return pd.DataFrame(rows)


def _table(frame: pd.DataFrame, digits: int = 4) -> str:
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    lines = [header, rule]
    for row in frame.itertuples(index=False):
        cells = []
        for value in row:
            if isinstance(value, float) and np.isnan(value):
                cells.append("")
            elif isinstance(value, float):
                cells.append(f"{value:.2f}" if abs(value) >= 1000 else f"{value:.{digits}g}")
            else:
                cells.append(str(value))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    """Run the comparison and the backtests, and print Markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--models", nargs="*", default=["prophet", "arima"], choices=["prophet", "arima"]
    )
    parser.add_argument("--skip-equality", action="store_true", help="only the backtests")
    parser.add_argument(
        "--playoff-windows",
        action="store_true",
        help="also backtest one window from a week before each playoff season",
    )
    args = parser.parse_args()
    if not (bb.DATA / "example_wp_log_peyton_manning.csv").exists():
        raise SystemExit(f"needs {bb.DATA / 'example_wp_log_peyton_manning.csv'}")
    bb.warm_up()
    if not args.skip_equality:
        print("\n#### prophet with holidays against Prophet directly\n")
        print(_table(compare_with_prophet()))
    cutoffs = f"h={JOB.h}, {JOB.n_windows} windows, step {JOB.step}"
    print(f"\n#### backtests with and without the holidays ({cutoffs})\n", flush=True)
    print(_table(backtests(args.models)))
    if args.playoff_windows:
        title = f"h={JOB.h}, a window from a week before each playoff season, 2009 to 2015"
        print(f"\n#### backtests with and without the holidays ({title})\n", flush=True)
        print(_table(backtests(args.models, playoffs=True)))


if __name__ == "__main__":
    main()
