"""Backtests of share forecasts: rolling cutoffs, the naive share benchmark, errors in share points.

:func:`backtest_shares` refits the share forecasts of :func:`forecast.shares` at each cutoff and
puts the observed shares beside them; :func:`evaluate_shares` scores them per model by the
mean absolute and root mean squared errors in share points (percentage points) and the mean
Aitchison distance between forecast and observed compositions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from forecast.engine.calibrate import CallCalibrate
from forecast.engine.rolling import roll
from forecast.errors import ConfigError, DataError, SchemaError
from forecast.evaluation.metrics import coverage, metric_column
from forecast.market.compositional import aitchison_distance
from forecast.market.shares import (
    Method,
    ProductModel,
    history_shares,
    market_products,
    paths_frame,
    share_columns,
    share_levels,
    share_paths,
)
from forecast.models.base import check_horizon
from forecast.schema import (
    CUTOFF,
    DS,
    FILLED,
    MODEL,
    SHARE,
    UNIQUE_ID,
    Y,
    check_levels,
    level_column,
)

__all__ = ["backtest_shares", "evaluate_shares", "NAIVE_SHARE"]

NAIVE_SHARE = "naive_share"
"""Name of the benchmark in share backtests: the shares of the cutoff date, held constant."""

_AITCHISON, _N = "aitchison", "n"


def backtest_shares(
    df: pd.DataFrame,
    models: ProductModel | Mapping[str, ProductModel] = "naive",
    h: int = 1,
    n_windows: int = 3,
    step: int | None = None,
    levels: Sequence[float] = (80, 95),
    market: Sequence[str] | None = None,
    n_samples: int = 500,
    seed: int = 0,
    *,
    method: Method = "paths",
    transform: Literal["log"] | None = None,
    negative: Literal["floor", "raise"] = "floor",
    delta: float | None = None,
    benchmark: bool = True,
    calibrate: CallCalibrate = None,
) -> pd.DataFrame:
    """Rolling-origin backtest of share forecasts against the observed shares.

    Cutoffs are dates with observed shares (see :func:`history_shares`): the latest is ``h``
    such dates before the last one, and each earlier cutoff ``step`` dates before the next
    (``step`` defaults to ``h``). At each cutoff the models are fitted on the rows with ``ds`` up
    to the cutoff and forecast ``h`` steps.

    Parameters
    ----------
    df, models, h, levels, market, n_samples, seed, method, transform, negative, delta
        As for :func:`shares`.
    calibrate : {None, True, False, "conformal", "scaled", "auto", "off"}
        As for :func:`shares`; each window's models calibrate on that window's training data
        alone.
    n_windows : int
        Number of cutoffs.
    step : int, optional
        Dates between cutoffs.
    benchmark : bool
        Also give the naive share forecast (model ``"naive_share"``): the shares of the cutoff
        date held constant, without intervals (NaN).

    Returns
    -------
    DataFrame
        ``unique_id``, ``model``, ``cutoff``, ``ds``, ``share``, ``share_lo_<L>``,
        ``share_hi_<L>`` and ``y``, the observed share (NaN on forecast dates without one, and
        on dates where a product's value was filled by :func:`forecast.fill_gaps`).
    """
    levels = check_levels(levels)
    h = check_horizon(h)
    step = h if step is None else check_horizon(step)
    if isinstance(n_windows, bool) or not isinstance(n_windows, (int, np.integer)) or n_windows < 1:
        raise ConfigError(f"n_windows must be a positive whole number, not {n_windows!r}.")
    data, products = market_products(df, market)
    actual = history_shares(data, products)
    dates = pd.DatetimeIndex(sorted(actual[DS].unique()))
    last = len(dates) - 1 - h
    positions = [last - k * step for k in range(int(n_windows))]
    if positions[-1] < 1:
        raise DataError(
            f"the market has observed shares on {len(dates)} dates; {n_windows} windows of "
            f"horizon {h} every {step} dates need at least {h + (n_windows - 1) * step + 2}. "
            "Use fewer windows.",
            column=DS,
        )
    keep = [UNIQUE_ID, MODEL, DS, SHARE] + share_columns(levels)[5:-1]

    def forecast_window(train: pd.DataFrame, cutoff: pd.Timestamp) -> list[pd.DataFrame]:
        result = share_paths(
            train,
            models,
            h,
            market=products,
            n_samples=n_samples,
            seed=seed,
            method=method,
            transform=transform,
            negative=negative,
            delta=delta,
            calibrate=calibrate,
        )
        frames = [paths_frame(result, levels)[keep].assign(**{CUTOFF: cutoff})]
        if benchmark:
            last_shares = actual[actual[DS] == cutoff].set_index(UNIQUE_ID)[SHARE]
            naive = pd.DataFrame(
                [(p, NAIVE_SHARE, d, float(last_shares[p])) for p in products for d in result.ds],
                columns=[UNIQUE_ID, MODEL, DS, SHARE],
            )
            frames.append(naive.assign(**{CUTOFF: cutoff}))
        return frames

    cutoffs = [dates[position] for position in sorted(positions)]
    outcomes = roll(data, cutoffs, forecast_window, on_error="raise")
    out = pd.concat([f for o in outcomes for f in o.value or []], ignore_index=True)
    out = out.merge(actual.rename(columns={SHARE: Y}), on=[UNIQUE_ID, DS], how="left")
    if FILLED in data.columns:  # a share made of a value fc.fill_gaps made up is never scored
        made_up = data.loc[data[FILLED].astype(bool), DS].unique()
        out[Y] = out[Y].mask(out[DS].isin(made_up))
    columns = [UNIQUE_ID, MODEL, CUTOFF, DS, SHARE] + share_columns(levels)[5:-1] + [Y]
    out = out.reindex(columns=columns)
    return out.sort_values([UNIQUE_ID, MODEL, CUTOFF, DS], kind="mergesort").reset_index(drop=True)


def evaluate_shares(backtest: pd.DataFrame) -> pd.DataFrame:
    """Errors of share forecasts per model: in share points, the Aitchison distance, coverage.

    Parameters
    ----------
    backtest : DataFrame
        A frame with ``unique_id``, ``model``, ``ds``, ``share`` (forecast) and ``y`` (observed
        share), and optionally ``cutoff`` and ``share_lo_<L>``, ``share_hi_<L>``, as returned by
        :func:`backtest_shares`.

    Returns
    -------
    DataFrame
        One row per model: ``mae`` and ``rmse`` in share points (percentage points: an error of
        0.02 in share is 2.0); ``aitchison``, the mean Aitchison distance between forecast and
        observed compositions (over the (``cutoff``, ``ds``) with every product present and no
        zero part; NaN when there is none); ``coverage_<L>``, the percentage of observed shares
        inside the ``L``% band (NaN for a model without bands, such as ``naive_share``); and
        ``n``, the (product, date) pairs with an observed share. Rows without an observed share
        are not errors and are not counted.
    """
    needed = [UNIQUE_ID, MODEL, DS, SHARE, Y]
    missing = [c for c in needed if c not in backtest.columns]
    if missing:
        raise SchemaError(
            f"a share backtest frame needs column(s) {', '.join(map(repr, missing))}.",
            column=missing[0],
        )
    keys = [CUTOFF, DS] if CUTOFF in backtest.columns else [DS]
    levels = share_levels(backtest)
    rows = []
    for model, group in backtest.groupby(MODEL, sort=True):
        scored = group.dropna(subset=[Y])
        observed_all = scored[Y].to_numpy(dtype=float)
        error = 100.0 * (scored[SHARE].to_numpy(dtype=float) - observed_all)
        distances = []
        n_products = group[UNIQUE_ID].nunique()
        for _, composition in scored.groupby(keys, sort=True):
            forecast = composition[SHARE].to_numpy(dtype=float)
            observed = composition[Y].to_numpy(dtype=float)
            if len(composition) == n_products and np.all(forecast > 0) and np.all(observed > 0):
                distances.append(float(aitchison_distance(forecast, observed)))
        row: dict[str, object] = {
            MODEL: model,
            metric_column("mae"): float(np.mean(np.abs(error))) if len(error) else np.nan,
            metric_column("rmse"): float(np.sqrt(np.mean(error**2))) if len(error) else np.nan,
            _AITCHISON: float(np.mean(distances)) if distances else np.nan,
        }
        for level in levels:
            lo = scored[level_column(level, "lo", prefix=SHARE)].to_numpy(dtype=float)
            hi = scored[level_column(level, "hi", prefix=SHARE)].to_numpy(dtype=float)
            has_band = len(lo) and not np.isnan(lo).all()
            row[metric_column("coverage", level)] = (
                coverage(observed_all, lo, hi) if has_band else np.nan
            )
        row[_N] = len(error)
        rows.append(row)
    columns = [MODEL, metric_column("mae"), metric_column("rmse"), _AITCHISON]
    columns += [metric_column("coverage", level) for level in levels] + [_N]
    return pd.DataFrame(rows, columns=columns)
