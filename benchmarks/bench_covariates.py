"""Covariates in a backtest: the same models with and without a known campaign (issue 17).

Simulated markets with marketing campaigns whose effect on acquisition is known
(``fc.datasets.simulate_market(n_products=1, n_markets=50, periods=120, freq="W-MON",
seed=0, campaign={"multiplier": 2.0, "windows": 6, "length": 3}, retention_ages=())``:
50 weekly DAU series, each with six three-week campaigns drawn over its 120 weeks that double
acquisition). Each series is cut at week 108; every model is fitted to the first 108 weeks
twice, without covariates and with the campaign indicator (history and the 12 forecast
weeks, which are known in advance), and forecasts 12 weeks. Scored by MASE (absolute errors
over the mean absolute one-step change of the history), averaged over series with equal
weights, over all series and over those with a campaign week in the horizon.

Models: ``bass`` (``target="level"``: the generalised Bass model in effective time),
``logistic`` and ``gompertz`` with their default ``covariate_effect="time"`` (the curve in
effective time) and, as ``logistic_level`` and ``gompertz_level``, with
``covariate_effect="level"`` (the level multiplied while the campaign runs), all on the log
scale; ``retention_feedback``
(``retention_family="sbg"``, the simulator's family; the campaign multiplies acquisition);
and ``arima`` (a plain regression, and as ``arima_decay`` with
``covariate_decay="estimate"``: each covariate through a geometric lag) and ``prophet`` when
their ``capabilities.covariates`` is True. The effect
estimates of ``retention_feedback`` are compared with the truth, ``log 2``.

Run from the repository root (about twenty minutes on one core; ``--markets 10`` for a
quick look, ``--models`` for some of them, ``--save rows.csv`` to keep every fit and
``--summarise a.csv b.csv`` to summarise saved runs)::

    python benchmarks/bench_covariates.py
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

import forecast as fc
from forecast.errors import ForecastError

__all__ = ["MODELS", "run", "summarise"]

MODELS: dict[str, tuple[str, dict[str, object]]] = {
    "bass": ("bass", {"target": "level", "transform": "log"}),
    "logistic": ("logistic", {"transform": "log"}),
    "logistic_level": ("logistic", {"transform": "log", "covariate_effect": "level"}),
    "gompertz": ("gompertz", {"transform": "log"}),
    "gompertz_level": ("gompertz", {"transform": "log", "covariate_effect": "level"}),
    "retention_feedback": ("retention_feedback", {"retention_family": "sbg"}),
    "arima": ("arima", {}),
    "arima_decay": ("arima", {"covariate_decay": "estimate"}),
    "prophet": ("prophet", {}),
}
"""Label -> (registry name, settings); arima and prophet run only when they take covariates."""

HORIZON = 12
PERIODS = 120


def _score(actual: np.ndarray, forecast: np.ndarray, history: np.ndarray) -> float:
    scale = float(np.mean(np.abs(np.diff(history))))
    return float(np.mean(np.abs(forecast - actual)) / scale)


def _one(label: str, series: pd.DataFrame, covariates: pd.DataFrame | None) -> tuple[float, float]:
    """Return the MASE of model ``label`` on one series and the campaign's estimated effect."""
    history, future = series.iloc[:-HORIZON], series.iloc[-HORIZON:]
    name, settings = MODELS[label]
    model = fc.models.get(name, **settings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(history, covariates=covariates)
        forecast = model.predict(HORIZON, levels=(), covariates=covariates)
    score = _score(future["y"].to_numpy(), forecast["yhat"].to_numpy(), history["y"].to_numpy())
    ours = name in ("bass", "logistic", "gompertz", "retention_feedback")
    if covariates is None or not ours:
        return score, np.nan
    return score, float(model.params_["beta_campaign"])


def run(markets: int, seed: int = 0, labels: list[str] | None = None) -> pd.DataFrame:
    """Fit the models (all by default) with and without the campaign; one row per fit."""
    data = fc.datasets.simulate_market(
        n_products=1,
        n_markets=markets,
        periods=PERIODS,
        freq="W-MON",
        seed=seed,
        campaign={"multiplier": 2.0, "windows": 6, "length": 3},
        retention_ages=(),
    )
    assert data.covariates is not None
    names = [
        label
        for label in labels or list(MODELS)
        if fc.models.get(MODELS[label][0]).capabilities.covariates
    ]
    rows = []
    for uid, series in data.series.groupby("unique_id", sort=True):
        frame = series[["unique_id", "ds", "y"]].reset_index(drop=True)
        covariates = data.covariates[data.covariates["unique_id"] == uid]
        in_horizon = bool(covariates["campaign"].iloc[-HORIZON:].any())
        for name in names:
            for given in (False, True):
                start = time.perf_counter()
                try:
                    score, beta = _one(name, frame, covariates if given else None)
                    error = ""
                except ForecastError as err:
                    score, beta, error = np.nan, np.nan, type(err).__name__
                rows.append(
                    {
                        "unique_id": uid,
                        "model": name,
                        "covariates": given,
                        "campaign_in_horizon": in_horizon,
                        "mase": score,
                        "beta_campaign": beta,
                        "seconds": time.perf_counter() - start,
                        "error": error,
                    }
                )
    return pd.DataFrame(rows)


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Mean MASE without and with covariates, per model, over all series and campaign ones."""
    out = []
    for model, rows in results.groupby("model", sort=False):
        wide = rows.pivot_table(
            index=["unique_id", "campaign_in_horizon"], columns="covariates", values="mase"
        ).dropna()
        wide.columns = ["without", "with"]
        campaign = wide[wide.index.get_level_values("campaign_in_horizon")]
        betas = rows.loc[rows["covariates"], "beta_campaign"].dropna()
        out.append(
            {
                "model": model,
                "series": len(wide),
                "mase_without": wide["without"].mean(),
                "mase_with": wide["with"].mean(),
                "share_better": float((wide["with"] < wide["without"]).mean()),
                "campaign_series": len(campaign),
                "campaign_mase_without": campaign["without"].mean(),
                "campaign_mase_with": campaign["with"].mean(),
                "beta_median": betas.median(),
                "failures": int(rows["error"].map(lambda e: isinstance(e, str) and e != "").sum()),
                "seconds_per_fit": rows["seconds"].mean(),
            }
        )
    return pd.DataFrame(out)


def main() -> None:
    """Run the benchmark and print (and optionally save) the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markets", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--models", nargs="*", choices=list(MODELS), help="default: all")
    parser.add_argument("--save", help="write the per-fit rows to this CSV file")
    parser.add_argument("--summarise", nargs="*", help="only summarise these saved CSV files")
    args = parser.parse_args()
    start = time.perf_counter()
    if args.summarise:
        results = pd.concat([pd.read_csv(path) for path in args.summarise], ignore_index=True)
    else:
        results = run(args.markets, args.seed, args.models)
    if args.save:
        results.to_csv(args.save, index=False)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(summarise(results).round(3).to_string(index=False))
    print(f"true effect log 2 = {np.log(2.0):.3f}; {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
