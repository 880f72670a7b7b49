"""Model choice: rank models by a metric and test each against the best (Diebold-Mariano).

The test compares the losses of two models on the same forecasts (same series, cutoff and
date). The loss differential of a backtest window is the mean over its horizon of
``loss(model) - loss(best)``; windows are the observations of the test. Windows of one series
overlap when ``step < h``, so their differentials are autocorrelated up to lag
``k = ceil(h / step) - 1``: the long-run variance adds the autocovariances up to that lag,
computed within each series, and the statistic is corrected for small samples as Harvey,
Leybourne and Newbold (1997) propose, with ``k + 1`` in the role of the horizon, and compared
with Student's t with ``T - 1`` degrees of freedom (``T`` windows in all). With one-step
windows that do not overlap, the corrected statistic equals the paired t statistic.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from forecast.errors import ConfigError, SchemaError
from forecast.evaluation.metrics import NOTE, N, evaluate, levels_of, metric_column, row_losses
from forecast.schema import CUTOFF, DS, MODEL, UNIQUE_ID, YHAT, Y

__all__ = ["RANK", "DM_STATISTIC", "P_VALUE", "N_WINDOWS", "diebold_mariano", "rank_models"]

RANK = "rank"
"""Column of :func:`rank_models`: 1 for the best model."""
DM_STATISTIC = "dm_statistic"
"""Column of :func:`rank_models`: the corrected Diebold-Mariano statistic against the best."""
P_VALUE = "p_value"
"""Column of :func:`rank_models`: p-value of the Diebold-Mariano test against the best."""
N_WINDOWS = "n_windows"
"""Column of :func:`rank_models`: windows both models forecast, the test's sample size."""

_POINT_LOSSES = {"mae", "rmse", "mape", "smape", "mase", "pinball"}
_LEVEL_LOSSES = {"interval_score", "msis"}


def diebold_mariano(
    differentials: np.ndarray,
    groups: np.ndarray | None = None,
    lag: int = 0,
    alternative: Literal["two-sided", "less", "greater"] = "two-sided",
) -> tuple[float, float]:
    """Diebold-Mariano test with the Harvey-Leybourne-Newbold small-sample correction.

    Parameters
    ----------
    differentials : ndarray
        Loss differentials ``d_t = loss_1 - loss_2`` in time order within each group.
    groups : ndarray, optional
        Group (series) of each differential; autocovariances are computed within groups.
    lag : int
        Highest autocorrelated lag (``h - 1`` for ``h``-step forecasts).
    alternative : {"two-sided", "less", "greater"}
        ``"greater"`` tests whether model 1 has larger expected loss than model 2.

    Returns
    -------
    tuple of float
        The corrected statistic and its p-value under Student's t with ``T - 1`` degrees of
        freedom; NaN for both when ``T < 2`` or the differentials do not vary.

    References
    ----------
    .. [1] Diebold, F. X. and Mariano, R. S. (1995). Comparing predictive accuracy. Journal of
       Business & Economic Statistics 13(3), 253-263.
    .. [2] Harvey, D., Leybourne, S. and Newbold, P. (1997). Testing the equality of prediction
       mean squared errors. International Journal of Forecasting 13(2), 281-291.
    """
    d = np.asarray(differentials, dtype=float)
    t = len(d)
    if alternative not in ("two-sided", "less", "greater"):
        raise ConfigError(
            f"alternative must be 'two-sided', 'less' or 'greater', not {alternative!r}."
        )
    if t < 2:
        return float("nan"), float("nan")
    keys = np.zeros(t, dtype=int) if groups is None else pd.factorize(np.asarray(groups))[0]
    centred = d - d.mean()
    variance = float(np.mean(centred**2))
    for k in range(1, lag + 1):
        same = keys[k:] == keys[:-k]
        variance += 2.0 * float(np.sum((centred[k:] * centred[:-k])[same])) / t
    if not variance > 0:
        return float("nan"), float("nan")
    horizon = lag + 1
    statistic = d.mean() / math.sqrt(variance / t)
    correction = (t + 1 - 2 * horizon + horizon * (horizon - 1) / t) / t
    if correction <= 0:
        return float("nan"), float("nan")
    statistic *= math.sqrt(correction)
    if alternative == "two-sided":
        p_value = 2.0 * stats.t.sf(abs(statistic), df=t - 1)
    elif alternative == "greater":
        p_value = stats.t.sf(statistic, df=t - 1)
    else:
        p_value = stats.t.cdf(statistic, df=t - 1)
    return float(statistic), float(p_value)


def _check_metric(metric: str, frame: pd.DataFrame) -> None:
    allowed = sorted(_POINT_LOSSES) + [
        metric_column(m, level) for m in sorted(_LEVEL_LOSSES) for level in levels_of(frame)
    ]
    if metric not in allowed:
        raise ConfigError(
            f"metric {metric!r} cannot rank models; choose one of {', '.join(allowed)}."
        )


def rank_models(
    results: pd.DataFrame,
    metric: str = "mase",
    alternative: Literal["two-sided", "greater"] = "two-sided",
) -> pd.DataFrame:
    """Rank models by a metric and test each against the best with Diebold-Mariano.

    Parameters
    ----------
    results : DataFrame
        A backtest frame (from :func:`forecast.backtest`), or a metrics frame from
        :func:`forecast.evaluate` with a ``model`` column (then there are no forecasts to test,
        and the test columns are NaN with the reason in ``note``).
    metric : str
        A loss: ``mae``, ``rmse``, ``mape``, ``smape``, ``mase``, ``pinball``,
        ``interval_score_<L>`` or ``msis_<L>`` (lower is better).
    alternative : {"two-sided", "greater"}
        ``"greater"``: is the model's expected loss larger than the best's?

    Returns
    -------
    DataFrame
        One row per model: ``rank`` (1 = best), ``model``, the metric (mean over series, as
        :func:`forecast.evaluate` with ``by=("model",)`` gives it), ``n`` (scored forecasts),
        ``n_windows`` (windows both the model and the best forecast), ``dm_statistic`` and
        ``p_value`` against the best (NaN for the best itself), and ``note``.

    Raises
    ------
    SchemaError
        The frame is neither a backtest nor a metrics frame.
    ConfigError
        The metric is not a loss or is absent.

    Examples
    --------
    >>> import numpy as np, pandas as pd, forecast as fc
    >>> noise = np.random.default_rng(0).normal(0, 0.3, 90)
    >>> ds = pd.date_range("2024-01-01", periods=90)
    >>> df = pd.DataFrame({"unique_id": "a", "ds": ds, "y": 100 + np.arange(90.0) % 7 + noise})
    >>> bt = fc.backtest(df, ["naive", "seasonal_naive"], h=7, n_windows=6)
    >>> fc.rank_models(bt)["model"].tolist()
    ['seasonal_naive', 'naive']
    """
    if not isinstance(results, pd.DataFrame) or MODEL not in results.columns:
        raise SchemaError(
            "rank_models takes a backtest or metrics frame with a 'model' column.", column=MODEL
        )
    is_backtest = all(c in results.columns for c in (UNIQUE_ID, CUTOFF, DS, YHAT, Y))
    if is_backtest:
        _check_metric(metric, results)
        table = evaluate(results, by=(MODEL,))
    else:
        if metric not in results.columns:
            raise ConfigError(
                f"metric {metric!r} is not a column of the metrics frame; choose one of its "
                "columns."
            )
        table = results.groupby(MODEL, sort=True)[[metric]].mean().reset_index()
        table[N] = (
            results.groupby(MODEL, sort=True)[N].sum().to_numpy()
            if N in results.columns
            else np.nan
        )
    table = table[[MODEL, N, metric]].copy()
    table[RANK] = table[metric].rank(method="min", na_option="bottom").astype("int64")
    table = table.sort_values([RANK, MODEL], kind="mergesort").reset_index(drop=True)
    best = table[MODEL].iloc[0]
    rows = []
    for model in table[MODEL]:
        if not is_backtest:
            rows.append(
                (
                    np.nan,
                    np.nan,
                    np.nan,
                    "no forecasts to test: pass the backtest frame for p-values",
                )
            )
        elif model == best:
            rows.append((np.nan, np.nan, np.nan, "best model"))
        else:
            rows.append(_test_against(results, metric, model, best, alternative))
    tests = pd.DataFrame(rows, columns=[N_WINDOWS, DM_STATISTIC, P_VALUE, NOTE])
    out = pd.concat([table, tests], axis=1)
    return out[[RANK, MODEL, metric, N, N_WINDOWS, DM_STATISTIC, P_VALUE, NOTE]]


def _test_against(
    frame: pd.DataFrame,
    metric: str,
    model: str,
    best: str,
    alternative: Literal["two-sided", "greater"],
) -> tuple[float, float, float, str]:
    keys = [UNIQUE_ID, CUTOFF, DS]
    pair = frame.loc[frame[MODEL].isin([model, best]) & frame[Y].notna()].copy()
    pair["_loss"] = row_losses(pair, levels_of(frame))[metric]
    wide = pair.pivot_table(
        index=keys, columns=MODEL, values="_loss", aggfunc="first", dropna=False
    )
    if model not in wide.columns or best not in wide.columns:
        return (0.0, np.nan, np.nan, "no common forecasts with the best model")
    wide = wide.dropna(subset=[model, best])
    if wide.empty:
        return (0.0, np.nan, np.nan, "no common forecasts with the best model")
    diff = (wide[model] - wide[best]).groupby(level=[UNIQUE_ID, CUTOFF]).mean().sort_index()
    groups = diff.index.get_level_values(UNIQUE_ID).to_numpy()
    steps = frame.loc[frame[MODEL] == best].groupby([UNIQUE_ID, CUTOFF]).size()
    h = int(steps.max())
    spacing = _cutoff_spacing(frame.loc[frame[MODEL] == best])
    lag = max(0, math.ceil(h / spacing) - 1) if spacing else 0
    statistic, p_value = diebold_mariano(diff.to_numpy(), groups, lag=lag, alternative=alternative)
    note = "" if np.isfinite(p_value) else "too few windows or no variation in the loss differences"
    return (float(len(diff)), statistic, p_value, note)


def _cutoff_spacing(frame: pd.DataFrame) -> int:
    """Smallest number of forecast dates between consecutive cutoffs of a series (the step)."""
    spacings = []
    for _, group in frame.groupby(UNIQUE_ID):
        cutoffs = np.sort(group[CUTOFF].unique())
        for earlier, later in zip(cutoffs[:-1], cutoffs[1:], strict=True):
            dates = group.loc[group[CUTOFF] == earlier, DS]
            spacings.append(int((dates <= later).sum()))
    return min(spacings) if spacings else 0
