"""Backtests of the growth curves against naive benchmarks, on simulated and real series.

Rolling-origin backtests (``fc.backtest``, expanding windows, a fresh fit per window) of
``logistic``, ``gompertz`` and ``bass`` (all fitted on the log scale; Bass on the active-user
level, ``target="level"``) against ``naive`` and ``drift``, scored by MASE (M4 definition,
seasonal-naive scale) and the coverage of the 80% and 95% intervals (``fc.evaluate``,
averaged over series with equal weights):

1. saturating markets: ``fc.datasets.simulate_market(n_products=3, periods=240, seed=s,
   retention={"alpha": 0.01, "beta": 100.0}, scale_effect=0.0)`` for seeds 0-4 (15 daily DAU
   series; retention close to one, so the active base saturates like cumulative adoption),
   horizon 30 days, 3 windows 30 days apart (cutoffs on days 150, 180 and 210);
2. rise-and-fall markets: the simulator's defaults (``periods=730``, drawn retention, scale
   effects), where DAU peaks and then declines as churn outpaces acquisition in a saturated
   market; horizon 60 days, 3 windows 60 days apart;
3. the bundled quarterly series of ``social-apps-quarterly`` (Twitter mDAU, Spotify MAU and
   premium subscribers), horizon 4 quarters, 4 windows one quarter apart. Bass is given each
   product's public launch (Twitter July 2006, Spotify October 2008), because these series
   start a decade after launch and Bass's curve starts from zero at ``t = 0``.

Run from the repository root (two to three minutes on two cores)::

    python benchmarks/bench_growth.py
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Mapping

import pandas as pd

import forecast as fc
from forecast.models.base import BaseModel

__all__ = [
    "LAUNCHES",
    "PUBLISHED",
    "curve_models",
    "saturating",
    "rise_and_fall",
    "quarterly",
    "score",
    "classics",
    "main",
]

LAUNCHES = {"twitter": "2006-07-15", "spotify": "2008-10-07"}
"""Public launch dates of the products behind the quarterly series."""


PUBLISHED = {
    "room_air_conditioners": (0.010, 0.42),
    "color_televisions": (0.005, 0.84),
    "clothes_dryers": (0.017, 0.36),
}
"""Published rounded Bass estimates (p, q) per year of the classic series (Bass 1969 and later)."""


def curve_models(launch: str | None = None) -> dict[str, str | BaseModel]:
    """The benchmarks and the growth curves, labelled."""
    return {
        "naive": "naive",
        "drift": "drift",
        "logistic": fc.models.get("logistic", transform="log"),
        "gompertz": fc.models.get("gompertz", transform="log"),
        "bass": fc.models.get("bass", target="level", transform="log", launch=launch),
    }


def _simulated(seeds: range, **options: object) -> pd.DataFrame:
    frames = []
    for seed in seeds:
        series = fc.datasets.simulate_market(
            n_products=3, seed=seed, retention_ages=(), **options
        ).series
        frames.append(
            series.assign(unique_id=f"seed{seed}/" + series["unique_id"])[["unique_id", "ds", "y"]]
        )
    return pd.concat(frames, ignore_index=True)


def saturating(seeds: range = range(5)) -> pd.DataFrame:
    """Daily DAU of markets whose active base saturates (retention close to one)."""
    return _simulated(
        seeds, periods=240, retention={"alpha": 0.01, "beta": 100.0}, scale_effect=0.0
    )


def rise_and_fall(seeds: range = range(5)) -> pd.DataFrame:
    """Daily DAU of the simulator's default markets, which peak and decline."""
    return _simulated(seeds, periods=730)


def quarterly() -> pd.DataFrame:
    """The bundled quarterly series of social apps."""
    return fc.datasets.load("social-apps-quarterly").series[["unique_id", "ds", "y"]]


def score(
    df: pd.DataFrame, h: int, n_windows: int, step: int, launches: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """MASE and coverage per model, averaged over series, with failed windows counted.

    With ``launches`` (product -> date), each series is backtested on its own so that Bass
    gets the launch of the product its ``unique_id`` starts with.
    """
    if launches is None:
        frames = [fc.backtest(df, curve_models(), h=h, n_windows=n_windows, step=step, n_jobs=2)]
    else:
        frames = []
        for uid, group in df.groupby("unique_id", sort=True):
            launch = LAUNCHES[str(uid).split("/")[0]]
            frames.append(
                fc.backtest(
                    group, curve_models(launch), h=h, n_windows=n_windows, step=step, n_jobs=2
                )
            )
    failures = [
        f.attrs["failures"]
        for f in frames
        if f.attrs.get("failures") is not None and len(f.attrs["failures"])
    ]
    frame = pd.concat(frames, ignore_index=True)
    table = fc.evaluate(frame, metrics=["mase", "coverage"], by="model")
    counts = pd.concat(failures).groupby("model").size() if failures else pd.Series(dtype="int64")
    table["failed_windows"] = table["model"].map(counts).fillna(0).astype(int)
    return table.drop(columns=["note", "n_missing"])


def classics() -> pd.DataFrame:
    """Bass fitted by plain least squares to the classic yearly sales, in several variants.

    Variants: the interval and density forms with ``t = 1`` for the first year, the interval
    form with ``t = 2`` (launch two years before the first year), and the interval form on the
    first six years only.
    """
    sales = fc.datasets.load("diffusion-classics").series
    rows = []
    for uid, group in sales.groupby("unique_id", sort=True):
        product = str(uid).split("/")[0]
        data = group[["unique_id", "ds", "y"]]
        variants = {
            "interval, t=1": (data, {}),
            "density, t=1": (data, {"form": "density"}),
            "interval, t=2": (data, {"launch": data["ds"].iloc[0] - pd.DateOffset(years=2)}),
            "interval, t=1, first 6 years": (data.iloc[:6], {}),
        }
        for label, (frame, options) in variants.items():
            params = fc.models.get("bass", prior=None, **options).fit(frame).params_
            published = PUBLISHED[product]
            rows.append(
                {
                    "product": product,
                    "variant": label,
                    "p": params["p"],
                    "q": params["q"],
                    "published_p": published[0],
                    "published_q": published[1],
                }
            )
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> None:
    """Print the three tables, then the classic-sales estimates."""
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    runs = (
        (
            "saturating simulated markets (15 daily series, h=30, 3 windows)",
            saturating,
            (30, 3, 30, None),
        ),
        (
            "rise-and-fall simulated markets (15 daily series, h=60, 3 windows)",
            rise_and_fall,
            (60, 3, 60, None),
        ),
        (
            "social-apps-quarterly (3 quarterly series, h=4, 4 windows)",
            quarterly,
            (4, 4, 1, LAUNCHES),
        ),
    )
    for title, data, args in runs:
        start = time.perf_counter()
        table = score(data(), *args)
        print(f"\n{title} [{time.perf_counter() - start:.0f} s]")
        print(table.round(3).to_string(index=False))
    print("\nBass on the classic yearly sales (plain least squares)")
    print(classics().round(4).to_string(index=False))


if __name__ == "__main__":
    main()
