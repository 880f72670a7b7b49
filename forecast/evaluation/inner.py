"""Inner backtests: candidates scored on windows cut from a model's own training data.

The ``auto`` and ``ensemble`` models choose, weigh or calibrate their members by backtesting
them on the data they are fitted on and nothing else, so they can themselves be backtested
without leakage. The windows run through the package's one rolling-origin loop
(:func:`forecast.engine.rolling.roll`); errors are scaled by MASE's scale
(:func:`forecast.evaluation.metrics.seasonal_naive_scale`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
import pandas as pd

from forecast.engine.rolling import roll
from forecast.errors import HistoryError
from forecast.evaluation.metrics import seasonal_naive_scale
from forecast.models.base import BaseModel
from forecast.schema import DS, FILLED, UNIQUE_ID, Y, level_column

__all__ = [
    "InnerScores",
    "inner_backtest",
    "inside_inner_backtest",
    "mase_divisor",
    "window_cuts",
    "window_ratios",
]

_INSIDE: ContextVar[bool] = ContextVar("forecast_inner_backtest", default=False)


def inside_inner_backtest() -> bool:
    """Return True while an inner backtest fits models (in this thread or task).

    Models fitted in an inner window leave their default calibration off
    (:func:`forecast.models._calibration.calibration_method`): the window scores their point
    forecasts only, so calibrating there would only nest inner backtests in inner backtests.
    """
    return _INSIDE.get()


@contextmanager
def _inside() -> Iterator[None]:
    token = _INSIDE.set(True)
    try:
        yield
    finally:
        _INSIDE.reset(token)


class InnerScores(dict[str, float]):
    """Mean scaled absolute error of each candidate in an inner backtest (NaN when it failed).

    Attributes
    ----------
    errors : dict
        A failed candidate's label -> its error message.
    forecasts : dict
        A successful candidate's label -> its point forecasts, shape ``(n_windows, h)``.
    actuals : ndarray
        The actual values of the windows, shape ``(n_windows, h)``.
    scales : ndarray
        Each window's MASE divisor (:func:`mase_divisor` of its training data), shape
        ``(n_windows,)``.
    bands : dict
        With ``own_level``: a successful candidate's label -> its own interval bounds of
        that level, ``(lower, upper)``, each of shape ``(n_windows, h)``.
    """

    def __init__(
        self,
        scores: dict[str, float],
        errors: dict[str, str],
        forecasts: dict[str, np.ndarray] | None = None,
        actuals: np.ndarray | None = None,
        scales: np.ndarray | None = None,
        bands: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
    ) -> None:
        super().__init__(scores)
        self.bands = bands or {}
        self.errors = errors
        self.forecasts = forecasts or {}
        self.actuals = actuals if actuals is not None else np.empty((0, 0))
        self.scales = scales if scales is not None else np.empty(0)


def mase_divisor(y: np.ndarray, m: int) -> float:
    """Return MASE's scale of ``y``, or 1 where it is zero or undefined.

    Parameters
    ----------
    y : ndarray
        Training values of a regular series.
    m : int
        Season length.

    Returns
    -------
    float
        :func:`forecast.evaluation.metrics.seasonal_naive_scale` of ``y``; 1.0 when that is
        NaN or zero, so errors are then plain absolute errors, for every candidate alike.

    References
    ----------
    .. [1] Hyndman, R. J. and Koehler, A. B. (2006). Another look at measures of forecast
       accuracy. International Journal of Forecasting 22(4), 679-688.
    """
    scale = seasonal_naive_scale(y, m)
    return scale if np.isfinite(scale) and scale > 0 else 1.0


def _check_room(data: pd.DataFrame, n: int, h: int, n_windows: int) -> None:
    if n - h * n_windows < 2:
        uid = str(data[UNIQUE_ID].iloc[0]) if UNIQUE_ID in data.columns else "series"
        raise HistoryError(
            f"series {uid!r} has {n} observations; the inner backtest needs more than "
            f"{h * n_windows + 1} ({n_windows} window(s) of {h}). Pass a smaller inner h or "
            "n_windows, or a longer history.",
            series=uid,
            column=Y,
        )


def inner_backtest(
    data: pd.DataFrame,
    candidates: Sequence[tuple[str, BaseModel]],
    h: int,
    n_windows: int,
    seasonal_period: int,
    own_level: float | None = None,
) -> InnerScores:
    """Score candidates by rolling-origin windows cut from ``data`` alone.

    Parameters
    ----------
    data : DataFrame
        One regular, checked series (``ds``, ``y``), the training data of the outer model.
    candidates : sequence of (label, model)
        Unfitted models; each window fits a clone (:meth:`BaseModel.fit_validated`).
    h : int
        Horizon of each inner window.
    n_windows : int
        Windows, ``h`` observations apart, the last ending at the last observation.
    seasonal_period : int
        Season of the scale: each window's errors are divided by :func:`mase_divisor` of its
        training data (MASE, M4).
    own_level : float, optional
        Also keep each window's own interval of this level (``InnerScores.bands``), for
        calibrations that rescale the model's own spread.

    Returns
    -------
    InnerScores
        Mean scaled error per candidate label; NaN for a candidate that failed in any window
        (its remaining windows are skipped). Rows :func:`forecast.fill_gaps` added (``filled``)
        are not scored.

    Raises
    ------
    HistoryError
        ``data`` is too short for the windows.

    References
    ----------
    .. [1] Hyndman, R. J. and Athanasopoulos, G. (2021). Forecasting: Principles and Practice,
       3rd ed., section 5.10 (time series cross-validation).
    """
    y = data[Y].to_numpy(dtype=float)
    n = len(y)
    _check_room(data, n, h, n_windows)
    frame = data[[c for c in (UNIQUE_ID, DS, Y) if c in data.columns]].reset_index(drop=True)
    cuts = window_cuts(n, h, n_windows)
    cutoffs = [pd.Timestamp(frame[DS].iloc[cut - 1]) for cut in cuts]
    actuals = np.vstack([y[cut : cut + h] for cut in cuts])
    filled = data[FILLED].to_numpy(dtype=bool) if FILLED in data.columns else np.zeros(n, bool)
    scored = ~np.vstack([filled[cut : cut + h] for cut in cuts])  # fc.fill_gaps' rows: never
    scales = np.array([mase_divisor(y[:cut], seasonal_period) for cut in cuts])
    scores: dict[str, float] = {}
    errors: dict[str, str] = {}
    forecasts: dict[str, np.ndarray] = {}
    bands: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for label, model in candidates:

        def point(
            train: pd.DataFrame, cutoff: pd.Timestamp, model: BaseModel = model
        ) -> np.ndarray:
            fitted = model.clone().fit_validated(train)
            if own_level is None:
                return fitted.predict(h, levels=())["yhat"].to_numpy()
            frame = fitted.predict(h, levels=(own_level,))
            bounds = [level_column(own_level, "lo"), level_column(own_level, "hi")]
            return frame[["yhat", *bounds]].to_numpy(dtype=float).T

        with _inside():
            outcomes = roll(frame, cutoffs, point, on_error="stop")
        failed = [o.error for o in outcomes if o.error is not None]
        if failed:
            errors[label] = f"{type(failed[0]).__name__}: {failed[0]}"
            scores[label] = float("nan")
            continue
        values = [o.value for o in outcomes if o.value is not None]
        if own_level is not None:
            bands[label] = (np.vstack([v[1] for v in values]), np.vstack([v[2] for v in values]))
            values = [v[0] for v in values]
        points = np.vstack(values)
        errors_scaled = (np.abs(points - actuals) / scales[:, None])[scored]
        scores[label] = float(np.mean(errors_scaled)) if errors_scaled.size else float("nan")
        forecasts[label] = points
    return InnerScores(scores, errors, forecasts, actuals, scales, bands)


def window_cuts(n: int, h: int, n_windows: int) -> list[int]:
    """First forecast position of each of ``n_windows`` inner windows of ``h`` steps in ``n``."""
    return list(range(n - h * n_windows, n, h))


_NEGLIGIBLE_SCALE = 1e-12
"""A window's scale below this fraction of the series' current scale counts as zero."""


def window_ratios(y: np.ndarray, cuts: Sequence[int], season: int) -> np.ndarray:
    """Return the series' MASE scale over each window's (all 1 where one is undefined).

    The scale (:func:`~forecast.evaluation.metrics.seasonal_naive_scale`) is seasonal where
    every window's training data (``y[:cut]``) spans more than a season, else the naive one
    (``m = 1``) for all windows alike; where even that is zero or undefined for some window,
    no window is rescaled. (Using 1 for an undefined scale, as :func:`mase_divisor` does for
    ranking, multiplied the errors of short early windows of simulated markets by the series'
    whole scale, a thousandfold.) A window's scale below 1e-12 of the current one (training
    data constant but for rounding, e.g. zeros and one value of 1e-265) counts as zero.

    Parameters
    ----------
    y : ndarray
        The whole training series.
    cuts : sequence of int
        Each window's first forecast position (its training data is ``y[:cut]``).
    season : int
        Season length of the scale.

    Returns
    -------
    ndarray
        One ratio per window.

    References
    ----------
    .. [1] Hyndman, R. J. and Koehler, A. B. (2006). Another look at measures of forecast
       accuracy. International Journal of Forecasting 22(4), 679-688.
    """
    for m in (season, 1):
        scales = np.array([seasonal_naive_scale(y[:cut], m) for cut in cuts])
        current = seasonal_naive_scale(y, m)
        usable = np.isfinite(scales) & (scales > 0) & (scales >= _NEGLIGIBLE_SCALE * current)
        if np.all(usable):
            return np.asarray(current / scales, dtype=float)
    return np.ones(len(cuts))
