"""The one rolling-origin loop: training windows cut at cutoffs, a forecast from each.

Every backtest of the package goes through :func:`roll`: :func:`forecast.backtest` (one chain of
windows of one model on one series, see :mod:`forecast.evaluation.windows`), the inner
backtests of the ``auto`` and ``ensemble`` models (:func:`forecast.evaluation.inner.inner_backtest`)
and the share backtest (:func:`forecast.market.backtest.backtest_shares`). A window trains on the
rows dated on or before its cutoff (the last ``window_size`` of them for sliding windows) and
never sees a later row; what it forecasts, and how, is the caller's function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

import numpy as np
import pandas as pd

from forecast.errors import ForecastError
from forecast.schema import DS

__all__ = ["OnError", "WindowOutcome", "roll", "training_windows"]

T = TypeVar("T")

OnError = Literal["collect", "stop", "raise"]
"""What :func:`roll` does when a window raises a ForecastError: record it and go on, record
it and stop, or let it propagate."""


@dataclass(frozen=True)
class WindowOutcome(Generic[T]):
    """What one window gave: the caller's forecast, or the error that prevented it.

    Attributes
    ----------
    cutoff : Timestamp
        The window's last training date.
    value : object or None
        What the caller's function returned; None when it failed.
    error : ForecastError or None
        The error it raised; None when it succeeded.
    """

    cutoff: pd.Timestamp
    value: T | None = None
    error: ForecastError | None = None


def training_windows(
    series: pd.DataFrame, cutoffs: Sequence[pd.Timestamp], window_size: int | None = None
) -> Iterator[pd.DataFrame]:
    """Cut the training data of each cutoff: the rows dated on or before it.

    Parameters
    ----------
    series : DataFrame
        Rows with a ``ds`` column; one series sorted by ``ds``, or several series (a market).
    cutoffs : sequence of Timestamp
        The windows' last training dates.
    window_size : int, optional
        Sliding windows: only the last ``window_size`` rows up to each cutoff (one series
        sorted by ``ds`` only).

    Yields
    ------
    DataFrame
        A view of ``series`` per cutoff, in the order of ``cutoffs``.
    """
    dates = series[DS]
    if not dates.is_monotonic_increasing:
        for cutoff in cutoffs:
            yield series.loc[dates <= cutoff]
        return
    stamps = pd.DatetimeIndex(list(cutoffs)).to_numpy(dtype="datetime64[ns]")
    ends = np.searchsorted(dates.to_numpy(dtype="datetime64[ns]"), stamps, side="right")
    for end in ends:
        start = 0 if window_size is None else max(0, int(end) - window_size)
        yield series.iloc[start : int(end)]


def roll(
    series: pd.DataFrame,
    cutoffs: Sequence[pd.Timestamp],
    forecast_window: Callable[[pd.DataFrame, pd.Timestamp], T],
    *,
    window_size: int | None = None,
    on_error: OnError = "collect",
) -> list[WindowOutcome[T]]:
    """Run ``forecast_window`` on the training data of every cutoff, in order.

    Parameters
    ----------
    series : DataFrame
        The data to cut (see :func:`training_windows`).
    cutoffs : sequence of Timestamp
        The windows' last training dates, in increasing order.
    forecast_window : callable
        ``forecast_window(train, cutoff)``: fits on ``train`` and forecasts after ``cutoff``.
        Windows run in order, so a stateful callable may carry a fit from one to the next.
    window_size : int, optional
        Sliding windows of that many rows.
    on_error : {"collect", "stop", "raise"}
        On a :class:`~forecast.ForecastError` of a window: record it and go on, record it and
        skip the remaining windows, or let it propagate. Other exceptions always propagate.

    Returns
    -------
    list of WindowOutcome
        One per window run, in the order of ``cutoffs``.

    References
    ----------
    .. [1] Hyndman, R. J. and Athanasopoulos, G. (2021). Forecasting: Principles and Practice,
       3rd ed., section 5.10 (time series cross-validation).
    """
    outcomes: list[WindowOutcome[T]] = []
    for cutoff, train in zip(cutoffs, training_windows(series, cutoffs, window_size), strict=True):
        stamp = pd.Timestamp(cutoff)
        try:
            value = forecast_window(train, stamp)
        except ForecastError as err:
            if on_error == "raise":
                raise
            outcomes.append(WindowOutcome(stamp, error=err))
            if on_error == "stop":
                break
            continue
        outcomes.append(WindowOutcome(stamp, value))
    return outcomes
