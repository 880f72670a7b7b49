"""Benchmarks of ``retention_feedback``: recovery, coverage, a real growth accounting, Kimi.

Three parts, each runnable alone (``python benchmarks/bench_feedback.py PART``; no argument
runs all three):

``coverage``
    Parameter recovery and interval coverage on ``fc.datasets.simulate_market(n_products=1,
    periods=180, seed=s, seasonality=0, scale_effect=0, n_components=64)`` for seeds 0-99
    (dense daily DAU with 5% noise and monthly cohorts observed at ages 1-90), fitted with
    ``retention_family="sbg", weekly=False`` (the data have no weekly pattern): the median
    absolute relative error of each parameter and the share of seeds whose 90% posterior
    interval holds the truth.
``visitors``
    The growth accounting checked on real data: ``../shared/data/daily_website_visitors.csv``
    splits daily unique visits into first-time (new) and returning visits. ``retention_feedback``
    is fitted to the unique visits alone (no retention data) and its split into new and
    retained users is compared with the actual split: the mean absolute error of the
    new-visitor share, in percentage points, and the mean shares. Then a rolling-origin
    backtest on the unique visits (``fc.backtest``, horizon 28 days, 4 expanding windows 91
    days apart) against ``ets`` and ``prophet``, scored by ``fc.evaluate`` (MASE with the
    weekly seasonal-naive scale, coverage of the 80% and 95% intervals).
``kimi``
    Fits Kimi's DAU (``ai-assistants-cn``: about 100k in October 2023, at least 1.2M on
    2024-03-10 and at least 2.25M on 2024-03-25) and monthly retention with the scale effect,
    prints the fit at the bounds and the 90-day projection, and draws ``docs/kimi_feedback.png``.

Run from the repository root::

    python benchmarks/bench_feedback.py            # all parts, about 15 minutes on two cores
    python benchmarks/bench_feedback.py kimi       # one part
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

import forecast as fc

__all__ = ["coverage", "visitors", "kimi", "kimi_data", "main"]

ROOT = Path(__file__).resolve().parents[1]
VISITORS = ROOT.parent / "shared" / "data" / "daily_website_visitors.csv"
PARAMS = {"p": "p", "q": "q", "m": "m", "retention_alpha": "alpha", "retention_beta": "beta"}


def coverage(seeds: range = range(100), periods: int = 180) -> pd.DataFrame:
    """Recovery error and 90% interval coverage per parameter over simulated markets."""
    rows = []
    for seed in seeds:
        data = fc.datasets.simulate_market(
            n_products=1,
            periods=periods,
            seed=seed,
            seasonality=0.0,
            scale_effect=0.0,
            n_components=64,
        )
        model = fc.models.get(
            "retention_feedback", retention_family="sbg", weekly=False, n_draws=100
        )
        model.fit(data.series[["unique_id", "ds", "y"]], retention=data.retention)
        table = model.param_intervals(90).set_index("parameter")
        truth = data.truth.params.iloc[0]
        for name, column in PARAMS.items():
            rows.append(
                {
                    "seed": seed,
                    "parameter": name,
                    "error": abs(table.loc[name, "estimate"] / truth[column] - 1),
                    "covered": table.loc[name, "lo"] <= truth[column] <= table.loc[name, "hi"],
                }
            )
    frame = pd.DataFrame(rows)
    return frame.groupby("parameter", sort=False).agg(
        median_abs_rel_error=("error", "median"),
        coverage_90=("covered", "mean"),
        seeds=("seed", "nunique"),
    )


def _visitors_frame() -> pd.DataFrame:
    raw = pd.read_csv(VISITORS, thousands=",")
    raw["ds"] = pd.to_datetime(raw["Date"], format="%m/%d/%Y")
    return raw


def visitors(h: int = 28, n_windows: int = 4, step: int = 91) -> tuple[pd.DataFrame, pd.DataFrame]:
    """New-visitor share error of the accounting, and the backtest against ets and prophet."""
    raw = _visitors_frame()
    series = pd.DataFrame(
        {"unique_id": "visitors", "ds": raw["ds"], "y": raw["Unique.Visits"].astype(float)}
    )
    actual_share = (raw["First.Time.Visits"] / raw["Unique.Visits"]).to_numpy()
    rows = []
    for label, options in (
        ("retention_feedback (defaults)", {}),
        ("retention_feedback (market_size=1e8)", {"market_size": 1e8}),
        (
            "retention_feedback (sbg, market_size=1e8)",
            {"market_size": 1e8, "retention_family": "sbg"},
        ),
    ):
        model = fc.models.get("retention_feedback", n_draws=100, **options).fit(series)
        table = model.accounting()
        share = (table["new"] / table["dau"]).to_numpy()
        rows.append(
            {
                "fit": label,
                "new_share_model": share.mean(),
                "new_share_actual": actual_share.mean(),
                "new_share_mae_points": 100 * np.mean(np.abs(share - actual_share)),
                "fit_mape": np.mean(
                    np.abs(model.fitted_values()["yhat"].to_numpy() / series["y"].to_numpy() - 1)
                ),
                "sigma": model.params_["sigma"],
            }
        )
    accounting = pd.DataFrame(rows)
    models = {
        "retention_feedback": fc.models.get("retention_feedback", n_draws=100),
        "ets": "ets",
        "prophet": "prophet",
    }
    backtest = fc.backtest(series, models, h=h, n_windows=n_windows, step=step)
    scores = fc.evaluate(backtest, metrics=["mase", "smape", "coverage"])
    return accounting, scores


def kimi_data() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Kimi's all-platform DAU figures (without the monthly '>= 3M in March' row) and retention."""
    data = fc.datasets.load("ai-assistants-cn")
    series = data.series
    kimi_dau = series[(series["unique_id"] == "kimi/dau/all") & (series["ds"] != "2024-03-01")]
    return kimi_dau, data.retention


def kimi(path: Path = ROOT / "docs" / "kimi_feedback.png") -> pd.DataFrame:
    """Fit Kimi, print the fit at the bounds and the 90-day projection, and draw the chart."""
    history, retention = kimi_data()
    model = fc.models.get("retention_feedback", scale_effect=True).fit(history, retention=retention)
    forecast = model.predict(90, levels=(80, 95))
    fitted = model.fitted_values()
    figure = fc.plot(history, forecast.assign(unique_id="kimi/dau/all", model="retention_feedback"))
    axes = figure.axes[0]
    axes.plot(
        fitted["ds"],
        fitted["yhat"],
        color="0.4",
        linewidth=1.2,
        linestyle="--",
        label="fitted (history)",
    )
    axes.set_title(
        "Kimi DAU: retention_feedback fit and 90-day projection", loc="left", fontsize=10
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.set_size_inches(8, 4.2)
    figure.savefig(path, dpi=90)
    at = fitted.set_index("ds")["yhat"]
    print("params", {k: round(v, 6) for k, v in model.params_.items()}, "ess", round(model.ess_, 1))
    print(
        "fitted on 2024-03-10",
        round(at.loc["2024-03-10"]),
        "on 2024-03-25",
        round(at.loc["2024-03-25"]),
    )
    return forecast.iloc[[0, 29, 59, 89]]


def main(argv: list[str] | None = None) -> None:
    """Run the parts named on the command line (all when none is) and print their tables."""
    names = ("coverage", "visitors", "kimi")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="*", help=f"parts to run, of {', '.join(names)}")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.parts) - set(names))
    if unknown:
        parser.error(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(names)}")
    chosen = args.parts or list(names)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        for part in chosen:
            start = time.perf_counter()
            if part == "coverage":
                print(coverage())
            elif part == "visitors":
                accounting, scores = visitors()
                print(accounting.to_string(index=False))
                print(scores.to_string(index=False))
            elif part == "kimi":
                print(kimi().to_string(index=False))
            print(f"[{part}: {time.perf_counter() - start:.0f} s]")


if __name__ == "__main__":
    main()
