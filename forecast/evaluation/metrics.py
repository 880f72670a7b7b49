r"""Accuracy of backtests: point, scaled and interval metrics, and :func:`evaluate`.

Definitions (``e = yhat - y`` over the scored forecasts of a group, ``n`` of them):

================== =====================================================================
metric             definition
================== =====================================================================
``mae``            :math:`\mathrm{mean}|e|`
``rmse``           :math:`\sqrt{\mathrm{mean}\, e^2}`
``mape``           :math:`100\,\mathrm{mean}|e/y|` (undefined when some ``y`` is 0)
``smape``          :math:`200\,\mathrm{mean}\,|e| / (|y| + |\hat y|)`, on the 0-200 scale of
                   the M4 competition (undefined when ``y = yhat = 0``)
``mase``           :math:`\mathrm{mean}\,|e| / s`, where ``s`` is the in-sample mean absolute
                   error of the seasonal naive method on the forecast's own training window
                   (the ``scale`` column of the backtest frame), as in the M4 competition
``bias``           :math:`\mathrm{mean}\, e`; positive means forecasts above the actuals
``coverage_<L>``   percentage of actuals inside the ``L``% interval, ``lo <= y <= hi``
``width_<L>``      mean ``hi - lo``
``interval_score_<L>`` Winkler's interval score, mean of
                   :math:`(u - l) + \tfrac{2}{\alpha}\left[(l - y)_+ + (y - u)_+\right]` with
                   :math:`\alpha = 1 - L/100` and :math:`x_+ = \max(x, 0)`
``msis_<L>``       the interval score divided by ``s``: the scaled interval score of M4
``pinball``        mean pinball (quantile) loss over the quantiles the frame holds: the point
                   forecast as the median and each interval bound as the quantile
                   :math:`\alpha/2` or :math:`1 - \alpha/2`
================== =====================================================================

Forecasts whose actual is missing (a date absent from the series) are not scored; their number
is in ``n_missing`` and the ``note`` says so. An undefined value is NaN and ``note`` gives the
reason; nothing is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from forecast.errors import ConfigError, SchemaError
from forecast.schema import (
    CUTOFF,
    DS,
    MODEL,
    NOTE,
    SCALE,
    STEP,
    UNIQUE_ID,
    YHAT,
    Y,
    level_column,
    parse_level_column,
)

Values = Sequence[float] | np.ndarray
"""Actuals, forecasts or bounds: a sequence of numbers or a 1-d array."""

__all__ = [
    "METRICS",
    "N",
    "N_MISSING",
    "mae",
    "rmse",
    "mape",
    "smape",
    "mase",
    "bias",
    "coverage",
    "interval_width",
    "interval_score",
    "pinball_loss",
    "seasonal_naive_scale",
    "row_losses",
    "metric_column",
    "levels_of",
    "add_step",
    "evaluate",
]

METRICS: tuple[str, ...] = (
    "mae",
    "rmse",
    "mape",
    "smape",
    "mase",
    "bias",
    "coverage",
    "width",
    "interval_score",
    "msis",
    "pinball",
)
"""Names accepted by ``evaluate(metrics=...)``; the last five are computed per interval level."""

_LEVEL_METRICS = frozenset({"coverage", "width", "interval_score", "msis"})

N = "n"
"""Column of :func:`evaluate`: number of scored forecasts."""
N_MISSING = "n_missing"
"""Column of :func:`evaluate`: forecasts without an actual, not scored."""


# ---------------------------------------------------------------------------- metric functions
def _arrays(*values: Values) -> list[np.ndarray]:
    arrays = [np.asarray(v, dtype=float) for v in values]
    shapes = {a.shape for a in arrays}
    if len(shapes) != 1:
        raise ConfigError(f"metric inputs must have the same length, got shapes {sorted(shapes)}.")
    return arrays


def mae(y: Values, yhat: Values) -> float:
    """Mean absolute error."""
    y_, f = _arrays(y, yhat)
    return float(np.mean(np.abs(f - y_)))


def rmse(y: Values, yhat: Values) -> float:
    """Root mean squared error."""
    y_, f = _arrays(y, yhat)
    return float(np.sqrt(np.mean((f - y_) ** 2)))


def mape(y: Values, yhat: Values) -> float:
    """Mean absolute percentage error in percent; NaN when an actual is 0."""
    y_, f = _arrays(y, yhat)
    if np.any(y_ == 0):
        return float("nan")
    return float(100.0 * np.mean(np.abs((f - y_) / y_)))


def smape(y: Values, yhat: Values) -> float:
    """Symmetric MAPE on the 0-200 scale (M4); NaN when some ``y`` and ``yhat`` are both 0."""
    y_, f = _arrays(y, yhat)
    denominator = np.abs(y_) + np.abs(f)
    if np.any(denominator == 0):
        return float("nan")
    return float(200.0 * np.mean(np.abs(f - y_) / denominator))


def mase(y: Values, yhat: Values, scale: float | Values) -> float:
    """Mean absolute scaled error: absolute errors divided by ``scale``, averaged.

    ``scale`` is one value or one per forecast; the result is NaN when a scale is 0 or NaN.
    """
    y_, f = _arrays(y, yhat)
    s = np.broadcast_to(np.asarray(scale, dtype=float), y_.shape)
    if np.any(~np.isfinite(s) | (s <= 0)):
        return float("nan")
    return float(np.mean(np.abs(f - y_) / s))


def bias(y: Values, yhat: Values) -> float:
    """Mean error ``yhat - y``: positive when forecasts run above the actuals."""
    y_, f = _arrays(y, yhat)
    return float(np.mean(f - y_))


def coverage(y: Values, lo: Values, hi: Values) -> float:
    """Percentage of actuals inside ``[lo, hi]``."""
    y_, lo_, hi_ = _arrays(y, lo, hi)
    return float(100.0 * np.mean((y_ >= lo_) & (y_ <= hi_)))


def interval_width(lo: Values, hi: Values) -> float:
    """Mean width ``hi - lo`` of the intervals."""
    lo_, hi_ = _arrays(lo, hi)
    return float(np.mean(hi_ - lo_))


def _interval_score_terms(
    y: np.ndarray, lo: np.ndarray, hi: np.ndarray, level: float
) -> np.ndarray:
    alpha = 1.0 - level / 100.0
    below = np.where(y < lo, lo - y, 0.0)
    above = np.where(y > hi, y - hi, 0.0)
    return (hi - lo) + (2.0 / alpha) * (below + above)


def interval_score(y: Values, lo: Values, hi: Values, level: float) -> float:
    """Winkler's interval score of ``level``% intervals (lower is better).

    Parameters
    ----------
    y, lo, hi : sequence of float
        Actuals and interval bounds.
    level : float
        Nominal coverage in percent; ``alpha = 1 - level / 100``.

    Returns
    -------
    float
        Mean of ``(hi - lo) + 2/alpha (lo - y) 1{y < lo} + 2/alpha (y - hi) 1{y > hi}``.

    References
    ----------
    .. [1] Gneiting, T. and Raftery, A. E. (2007). Strictly proper scoring rules, prediction,
       and estimation. JASA 102(477), 359-378, section 6.2.
    """
    y_, lo_, hi_ = _arrays(y, lo, hi)
    return float(np.mean(_interval_score_terms(y_, lo_, hi_, float(level))))


def _pinball_terms(y: np.ndarray, q: np.ndarray, tau: float) -> np.ndarray:
    diff = y - q
    return np.maximum(tau * diff, (tau - 1.0) * diff)


def pinball_loss(y: Values, q: Values, tau: float) -> float:
    """Mean pinball loss of the forecasts ``q`` of the ``tau`` quantile (0 < tau < 1)."""
    if not 0.0 < float(tau) < 1.0:
        raise ConfigError(f"tau must lie strictly between 0 and 1, not {tau!r}.")
    y_, q_ = _arrays(y, q)
    return float(np.mean(_pinball_terms(y_, q_, float(tau))))


def seasonal_naive_scale(y: Values, seasonal_period: int) -> float:
    r"""In-sample mean absolute error of the seasonal naive method, MASE's denominator.

    Parameters
    ----------
    y : sequence of float
        The training values on a regular grid; NaN marks a date absent from the series, and
        differences touching it are left out.
    seasonal_period : int
        Season length ``m`` (1 gives the naive method).

    Returns
    -------
    float
        :math:`\mathrm{mean}_t |y_t - y_{t-m}|`; NaN when no pair ``(t, t - m)`` is present.
    """
    values = np.asarray(y, dtype=float)
    m = int(seasonal_period)
    if m < 1:
        raise ConfigError(f"seasonal_period must be a positive integer, not {seasonal_period!r}.")
    if len(values) <= m:
        return float("nan")
    diffs = np.abs(values[m:] - values[:-m])
    diffs = diffs[np.isfinite(diffs)]
    return float(diffs.mean()) if len(diffs) else float("nan")


# ------------------------------------------------------------------------------- evaluate
def metric_column(metric: str, level: float | None = None) -> str:
    """Column name of a metric in :func:`evaluate`'s output: ``mase``, ``coverage_80``."""
    if level is None:
        return metric
    return f"{metric}_{level_column(level, 'lo').removeprefix(f'{YHAT}_lo_')}"


def levels_of(frame: pd.DataFrame) -> tuple[float, ...]:
    """Interval levels present in a forecast or backtest frame (both bounds needed)."""
    sides: dict[float, set[str]] = {}
    for column in frame.columns:
        parsed = parse_level_column(str(column))
        if parsed is not None:
            sides.setdefault(parsed[1], set()).add(parsed[0])
    return tuple(sorted(level for level, found in sides.items() if found == {"lo", "hi"}))


def add_step(frame: pd.DataFrame) -> pd.DataFrame:
    """Copy a backtest frame and add ``step``: 1 for the first date after each cutoff."""
    out = frame.sort_values([UNIQUE_ID, MODEL, CUTOFF, DS], kind="mergesort").copy()
    out[STEP] = out.groupby([UNIQUE_ID, MODEL, CUTOFF], sort=False).cumcount() + 1
    return out.sort_index()


def _check_frame(frame: pd.DataFrame) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise SchemaError(f"evaluate takes a backtest DataFrame, not {type(frame).__name__}.")
    needed = [UNIQUE_ID, MODEL, CUTOFF, DS, YHAT, Y]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"the backtest frame lacks column(s) {', '.join(map(repr, missing))}; pass the frame "
            "returned by fc.backtest (or read back from its file).",
            column=missing[0],
        )


def _check_metrics(metrics: Iterable[str] | None) -> list[str]:
    if metrics is None:
        return list(METRICS)
    chosen = [metrics] if isinstance(metrics, str) else list(metrics)
    unknown = [m for m in chosen if m not in METRICS]
    if unknown:
        raise ConfigError(
            f"unknown metric(s) {', '.join(map(repr, unknown))}; choose from {', '.join(METRICS)}."
        )
    return chosen


def _check_by(by: Sequence[str] | str, frame: pd.DataFrame) -> list[str]:
    keys = [by] if isinstance(by, str) else list(by)
    allowed = {UNIQUE_ID, MODEL, CUTOFF, STEP}
    bad = [k for k in keys if k not in allowed and k not in frame.columns]
    if bad:
        raise ConfigError(
            f"by={by!r}: unknown column(s) {', '.join(map(repr, bad))}; group by unique_id, model, "
            "cutoff, step or another column of the frame."
        )
    return keys


def row_losses(frame: pd.DataFrame, levels: tuple[float, ...] | None = None) -> pd.DataFrame:
    """Each metric's term for every forecast of a backtest frame, before averaging.

    Parameters
    ----------
    frame : DataFrame
        A backtest frame.
    levels : tuple of float, optional
        Interval levels; those of the frame by default.

    Returns
    -------
    DataFrame
        Same index as ``frame``; one column per metric (``rmse`` holds squared errors, the
        interval metrics one column per level) plus private ``_`` flags used for notes. NaN
        marks an undefined term (MAPE of a zero actual, MASE of a zero scale).
    """
    levels = levels_of(frame) if levels is None else levels
    y = frame[Y].to_numpy(dtype=float)
    f = frame[YHAT].to_numpy(dtype=float)
    e = f - y
    scale = (
        frame[SCALE].to_numpy(dtype=float)
        if SCALE in frame.columns
        else np.full(len(frame), np.nan)
    )
    good_scale = np.isfinite(scale) & (scale > 0)
    denominator = np.abs(y) + np.abs(f)
    terms = {
        "mae": np.abs(e),
        "rmse": e**2,
        "mape": np.where(y != 0, 100.0 * np.abs(e) / np.where(y != 0, np.abs(y), 1.0), np.nan),
        "smape": np.where(
            denominator > 0, 200.0 * np.abs(e) / np.where(denominator > 0, denominator, 1.0), np.nan
        ),
        "mase": np.where(good_scale, np.abs(e) / np.where(good_scale, scale, 1.0), np.nan),
        "bias": e,
        "_zero_y": (y == 0).astype(float),
        "_zero_both": (denominator == 0).astype(float),
        "_bad_scale": (~good_scale).astype(float),
    }
    pinball = [_pinball_terms(y, f, 0.5)]
    for level in levels:
        lo = frame[level_column(level, "lo")].to_numpy(dtype=float)
        hi = frame[level_column(level, "hi")].to_numpy(dtype=float)
        alpha = 1.0 - level / 100.0
        score = _interval_score_terms(y, lo, hi, level)
        terms[metric_column("coverage", level)] = np.where(
            np.isnan(lo) | np.isnan(hi), np.nan, 100.0 * ((y >= lo) & (y <= hi))
        )
        terms[metric_column("width", level)] = hi - lo
        terms[metric_column("interval_score", level)] = score
        terms[metric_column("msis", level)] = np.where(
            good_scale, score / np.where(good_scale, scale, 1.0), np.nan
        )
        pinball += [_pinball_terms(y, lo, alpha / 2.0), _pinball_terms(y, hi, 1.0 - alpha / 2.0)]
    terms["pinball"] = np.mean(np.vstack(pinball), axis=0)
    return pd.DataFrame(terms, index=frame.index)


def _notes(row: pd.Series, chosen: list[str]) -> str:
    reasons = []
    if row[N_MISSING] > 0:
        reasons.append(f"{int(row[N_MISSING])} forecast(s) without an actual were not scored")
    if row[N] == 0:
        reasons.append("no forecast has an actual")
    if "mape" in chosen and row["_zero_y"] > 0:
        reasons.append(f"mape undefined: {int(row['_zero_y'])} actual(s) equal 0")
    if "smape" in chosen and row["_zero_both"] > 0:
        reasons.append(f"smape undefined: {int(row['_zero_both'])} forecast(s) with y = yhat = 0")
    if ("mase" in chosen or "msis" in chosen) and row["_bad_scale"] > 0:
        reasons.append(
            f"mase/msis undefined: {int(row['_bad_scale'])} forecast(s) whose training window "
            "has a zero or undefined seasonal-naive scale (constant or too short)"
        )
    return "; ".join(reasons)


def evaluate(
    backtest_frame: pd.DataFrame,
    metrics: Iterable[str] | None = None,
    by: Sequence[str] | str = (UNIQUE_ID, MODEL),
) -> pd.DataFrame:
    """Accuracy metrics of a backtest, per series and model (or any grouping).

    Parameters
    ----------
    backtest_frame : DataFrame
        The output of :func:`forecast.backtest` (or the same read back from a file): forecast
        columns, ``cutoff``, ``y`` and ``scale`` (for MASE and MSIS). Nothing else is needed.
    metrics : iterable of str, optional
        Names from :data:`METRICS`; all by default. Interval metrics are computed for every
        level present in the frame.
    by : sequence of str
        Grouping columns: any of ``unique_id``, ``model``, ``cutoff``, ``step`` (the horizon
        step, derived from the dates). Without ``unique_id``, metrics are first computed per
        series and then averaged across series with equal weights, as the M4 competition
        averages its scaled metrics (only the scale-free ones, ``mase``, ``smape``, ``mape``,
        ``msis_<L>`` and ``coverage_<L>``, are comparable across series of different sizes).

    Returns
    -------
    DataFrame
        The ``by`` columns, ``n`` (scored forecasts), ``n_missing`` (forecasts without an
        actual), the metrics, and ``note`` (why a value is NaN; empty when none is), sorted by
        ``by`` with a fresh RangeIndex.

    Raises
    ------
    SchemaError
        The frame lacks the backtest columns.
    ConfigError
        An unknown metric or grouping column.

    Examples
    --------
    >>> import pandas as pd, forecast as fc
    >>> bt = pd.DataFrame({"unique_id": "a", "model": "naive", "cutoff": pd.Timestamp("2024-01-02"),
    ...                    "ds": pd.date_range("2024-01-03", periods=2), "yhat": [10.0, 10.0],
    ...                    "y": [12.0, 9.0], "scale": 2.0})
    >>> fc.evaluate(bt, metrics=["mae", "mase"])[["mae", "mase"]].to_numpy().tolist()
    [[1.5, 0.75]]
    """
    _check_frame(backtest_frame)
    chosen = _check_metrics(metrics)
    keys = _check_by(by, backtest_frame)
    frame = (
        add_step(backtest_frame)
        if STEP in keys and STEP not in backtest_frame.columns
        else backtest_frame
    )
    levels = levels_of(frame)
    inner_keys = keys if UNIQUE_ID in keys else [UNIQUE_ID, *keys]
    scored = frame[Y].notna().to_numpy()
    terms = row_losses(frame, levels)
    terms[inner_keys] = frame[inner_keys]
    terms["_scored"] = scored.astype(float)
    terms["_missing"] = (~scored).astype(float)
    columns = [c for c in terms.columns if c not in inner_keys and not c.startswith("_")]
    value_columns = [
        c for c in columns if (c.rsplit("_", 1)[0] if c not in METRICS else c) in chosen
    ]
    if not value_columns:
        raise ConfigError(f"metrics={list(chosen)!r} need interval columns, which the frame lacks.")
    scored_terms = terms.loc[scored]
    grouped_scored = scored_terms.groupby(inner_keys, sort=True, dropna=False)
    means = grouped_scored[value_columns].mean()
    undefined = (
        scored_terms[value_columns]
        .isna()
        .groupby([scored_terms[k] for k in inner_keys], sort=True, dropna=False)
        .any()
    )
    means = means.mask(undefined)
    counts = terms.groupby(inner_keys, sort=True, dropna=False)[["_scored", "_missing"]].sum()
    flags = scored_terms.groupby(inner_keys, sort=True, dropna=False)[
        ["_zero_y", "_zero_both", "_bad_scale"]
    ].sum()
    table = counts.join(means).join(flags)
    table[["_zero_y", "_zero_both", "_bad_scale"]] = table[
        ["_zero_y", "_zero_both", "_bad_scale"]
    ].fillna(0.0)
    if "rmse" in value_columns:
        table["rmse"] = np.sqrt(table["rmse"])
    table = table.rename(columns={"_scored": N, "_missing": N_MISSING})
    table[NOTE] = table.apply(_notes, axis=1, chosen=chosen) if len(table) else pd.Series(dtype=str)
    table = table.reset_index()
    if inner_keys != keys:
        table = _across_series(table, keys, value_columns)
    table[N] = table[N].astype("int64")
    table[N_MISSING] = table[N_MISSING].astype("int64")
    out = table[[*keys, N, N_MISSING, *value_columns, NOTE]]
    return out.sort_values(keys, kind="mergesort").reset_index(drop=True)


def _across_series(table: pd.DataFrame, keys: list[str], value_columns: list[str]) -> pd.DataFrame:
    """Average per-series metrics across series with equal weights; notes name the series."""
    rows = []
    for group_key, group in table.groupby(keys, sort=True, dropna=False) if keys else [((), table)]:
        row: dict[str, object] = dict(
            zip(keys, group_key if isinstance(group_key, tuple) else (group_key,), strict=True)
        )
        row[N] = group[N].sum()
        row[N_MISSING] = group[N_MISSING].sum()
        for column in value_columns:
            row[column] = group[column].mean(skipna=False)
        noted = group.loc[group[NOTE] != "", [UNIQUE_ID, NOTE]]
        row[NOTE] = "; ".join(f"{uid!r}: {note}" for uid, note in noted.itertuples(index=False))
        rows.append(row)
    return pd.DataFrame(rows, columns=[*keys, N, N_MISSING, *value_columns, NOTE])
