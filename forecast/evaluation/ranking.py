"""Model choice: rank models by a metric and test each against the best (Diebold-Mariano).

The test compares the losses of two models on the same forecasts (same series, cutoff and
date). The loss differential of a backtest window is the mean over its horizon of
``loss(model) - loss(best)``; windows are the observations of the test. Models are ranked
only on the windows (series and cutoff) that every ranked model was scored on, so no ranking
compares different windows; a model scored on too few of them is listed apart, unranked.
Windows of one series overlap when ``step < h``, so their differentials are autocorrelated up
to lag ``k = ceil(h / step) - 1``: the long-run variance adds the autocovariances up to that lag,
computed within each series, and the statistic is corrected for small samples as Harvey,
Leybourne and Newbold (1997) propose, with ``k + 1`` in the role of the horizon, and compared
with Student's t with ``T - 1`` degrees of freedom (``T`` windows in all). With one-step
windows that do not overlap, the corrected statistic equals the paired t statistic.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from forecast.errors import ConfigError, ForecastWarning, SchemaError, format_rows
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


@dataclass(frozen=True)
class _Windows:
    """The windows a ranking compares.

    ``ranked`` models were all scored on every window of ``common``; ``apart`` maps each other
    model to the number of windows it was scored on; ``dropped`` are windows some ranked model
    was scored on but not all.
    """

    ranked: tuple[str, ...]
    common: frozenset[tuple[str, pd.Timestamp]]
    apart: dict[str, int]
    dropped: tuple[tuple[str, pd.Timestamp], ...]


def _common_windows(results: pd.DataFrame) -> _Windows:
    """Choose the ranked models and the windows they share.

    Models are taken in decreasing order of scored windows (then by name); each joins the
    ranking when the windows shared with the models before it stay at least half of the most
    any model has. The others are listed apart, so one model that failed on most windows
    cannot shrink the comparison of all the others.
    """
    scored = results.loc[results[Y].notna(), [MODEL, UNIQUE_ID, CUTOFF]].drop_duplicates()
    by_model = {str(m): frozenset[tuple[str, pd.Timestamp]]() for m in results[MODEL].unique()}
    for model, group in scored.groupby(MODEL, sort=True):
        by_model[str(model)] = frozenset(
            zip(group[UNIQUE_ID].astype(str), pd.to_datetime(group[CUTOFF]), strict=True)
        )
    order = sorted(by_model, key=lambda m: (-len(by_model[m]), m))
    need = max(1, math.ceil(len(by_model[order[0]]) / 2))
    common = by_model[order[0]]
    ranked, apart = [order[0]], {}
    for model in order[1:]:
        shared = common & by_model[model]
        if len(shared) >= need:
            common, ranked = shared, [*ranked, model]
        else:
            apart[model] = len(by_model[model])
    union = frozenset().union(*(by_model[m] for m in ranked))
    return _Windows(tuple(ranked), common, apart, tuple(sorted(union - common)))


def _warn_windows(windows: _Windows) -> None:
    if not windows.dropped and not windows.apart:
        return
    parts = [
        f"rank_models ranks {len(windows.ranked)} model(s) on the {len(windows.common)} "
        "window(s) every one of them was scored on"
    ]
    if windows.dropped:
        labels = [f"{uid} cutoff {cutoff:%Y-%m-%d}" for uid, cutoff in windows.dropped]
        parts.append(
            f"dropped {len(labels)} window(s) that not every ranked model has: "
            f"{format_rows(labels, limit=5)}"
        )
    if windows.apart:
        listed = ", ".join(f"{m!r} ({n} window(s))" for m, n in windows.apart.items())
        parts.append(f"listed apart, unranked, with too few of them: {listed}")
    warnings.warn(
        "; ".join(parts) + ". Rerun the failed windows (see the backtest's failures) to rank "
        "every model on every window.",
        ForecastWarning,
        stacklevel=3,
    )


def _in_windows(frame: pd.DataFrame, windows: frozenset[tuple[str, pd.Timestamp]]) -> pd.Series:
    keys = pd.MultiIndex.from_arrays([frame[UNIQUE_ID].astype(str), pd.to_datetime(frame[CUTOFF])])
    return pd.Series(keys.isin(list(windows)), index=frame.index)


def rank_models(
    results: pd.DataFrame,
    metric: str = "mase",
    alternative: Literal["two-sided", "greater"] = "two-sided",
) -> pd.DataFrame:
    """Rank models by a metric on the windows all of them share, and test each against the best.

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
        ``n_windows`` (windows both the model and the best forecast; for the best, the
        windows compared), ``dm_statistic`` and ``p_value`` against the best (NaN for the
        best itself), and ``note``. Of a backtest,
        the ranked models are compared on the same windows (series and cutoff): those every
        ranked model was scored on. When a window failed for some model, the windows not all
        ranked models have are dropped from the ranking and a :class:`ForecastWarning` names
        them; a model scored on fewer than half the windows of the model with the most (or on
        windows the others lack) is listed after the ranked ones with ``rank`` missing, its
        metric over its own windows and the reason in ``note``. ``attrs["windows"]`` holds the
        number of windows compared and ``attrs["dropped_windows"]`` the (series, cutoff) pairs
        left out.

    Raises
    ------
    SchemaError
        The frame is neither a backtest nor a metrics frame.
    ConfigError
        The metric is not a loss or is absent.

    References
    ----------
    .. [1] Diebold, F. X. and Mariano, R. S. (1995). Comparing predictive accuracy. Journal of
       Business & Economic Statistics 13(3), 253-263.
    .. [2] Hyndman, R. J. and Athanasopoulos, G. (2021). Forecasting: principles and practice,
       3rd ed., section 5.10 (time series cross-validation). OTexts.

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
    if not all(c in results.columns for c in (UNIQUE_ID, CUTOFF, DS, YHAT, Y)):
        return _rank_metrics_frame(results, metric)
    _check_metric(metric, results)
    windows = _common_windows(results)
    if not windows.common:
        raise ConfigError(
            "no backtest window has an actual y to score, so no model can be ranked; backtest "
            "on dates with observations."
        )
    _warn_windows(windows)
    compared = results.loc[
        results[MODEL].astype(str).isin(windows.ranked) & _in_windows(results, windows.common)
    ]
    table = _ranked(evaluate(compared, by=(MODEL,)), metric)
    best = table[MODEL].iloc[0]
    rows = [
        (float(len(windows.common)), np.nan, np.nan, "best model")
        if model == best
        else _test_against(compared, metric, model, best, alternative)
        for model in table[MODEL]
    ]
    out = pd.concat(
        [table, pd.DataFrame(rows, columns=[N_WINDOWS, DM_STATISTIC, P_VALUE, NOTE])], axis=1
    )
    if windows.apart:
        out = pd.concat([out, _listed_apart(results, metric, windows)], ignore_index=True)
    out[RANK] = out[RANK].astype("Int64")
    out = out[[RANK, MODEL, metric, N, N_WINDOWS, DM_STATISTIC, P_VALUE, NOTE]]
    out.attrs["windows"] = len(windows.common)
    out.attrs["dropped_windows"] = list(windows.dropped)
    return out


def _ranked(table: pd.DataFrame, metric: str) -> pd.DataFrame:
    table = table[[MODEL, N, metric]].copy()
    table[RANK] = table[metric].rank(method="min", na_option="bottom").astype("int64")
    return table.sort_values([RANK, MODEL], kind="mergesort").reset_index(drop=True)


def _rank_metrics_frame(results: pd.DataFrame, metric: str) -> pd.DataFrame:
    if metric not in results.columns:
        raise ConfigError(
            f"metric {metric!r} is not a column of the metrics frame; choose one of its columns."
        )
    table = results.groupby(MODEL, sort=True)[[metric]].mean().reset_index()
    table[N] = (
        results.groupby(MODEL, sort=True)[N].sum().to_numpy() if N in results.columns else np.nan
    )
    out = _ranked(table, metric)
    out[N_WINDOWS] = np.nan
    out[DM_STATISTIC] = np.nan
    out[P_VALUE] = np.nan
    out[NOTE] = "no forecasts to test: pass the backtest frame for p-values"
    out[RANK] = out[RANK].astype("Int64")
    return out[[RANK, MODEL, metric, N, N_WINDOWS, DM_STATISTIC, P_VALUE, NOTE]]


def _listed_apart(results: pd.DataFrame, metric: str, windows: _Windows) -> pd.DataFrame:
    own = results.loc[results[MODEL].astype(str).isin(list(windows.apart))]
    table = evaluate(own, by=(MODEL,))[[MODEL, N, metric]]
    table[RANK] = pd.NA
    table[N_WINDOWS] = [float(windows.apart[m]) for m in table[MODEL]]
    table[DM_STATISTIC] = np.nan
    table[P_VALUE] = np.nan
    table[NOTE] = [
        f"not ranked: scored on {windows.apart[m]} window(s), too few of the "
        f"{len(windows.common)} the ranked models share; {metric} over its own windows"
        for m in table[MODEL]
    ]
    return table


_WHY_UNDEFINED = (
    " (a scaled error such as MASE needs training data longer than the season); rank by "
    "another metric, e.g. smape"
)


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
    if wide[[model, best]].isna().all().any():
        return (0.0, np.nan, np.nan, f"{metric} is undefined on these forecasts{_WHY_UNDEFINED}")
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
