"""Frequency of a series: inference, the dates after it, its gaps, and pandas' date range."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.tseries.offsets import BaseOffset

from forecast.errors import HistoryError, format_rows
from forecast.schema.columns import DS, UNIQUE_ID

__all__ = [
    "FIRST_DATE",
    "LAST_DATE",
    "Frequency",
    "infer_frequency",
    "future_dates",
    "check_horizon_dates",
    "missing_dates",
    "series_report",
]

FIRST_DATE = pd.Timestamp.min.ceil("D")
"""The first whole day pandas' nanosecond timestamps can hold (1677-09-22)."""
LAST_DATE = pd.Timestamp.max.floor("D")
"""The last whole day pandas' nanosecond timestamps can hold (2262-04-11)."""


@dataclass(frozen=True)
class Frequency:
    """The step of a series.

    Attributes
    ----------
    name : str
        ``"daily"``, ``"weekly"``, ``"monthly"``, ``"quarterly"``, ``"yearly"``, or a
        description such as ``"every 1h"`` for sub-daily steps.
    offset : pandas.tseries.offsets.BaseOffset
        One step; ``ds + offset`` is the next date on the grid.
    seasonal_period : int
        The usual season length in steps: 7 daily, 52 weekly, 12 monthly, 4 quarterly, 1 yearly.
    """

    name: str
    offset: BaseOffset
    seasonal_period: int

    def __str__(self) -> str:
        """Return the name, e.g. ``monthly``."""
        return self.name


def _seconds(ds: pd.DatetimeIndex) -> np.ndarray:
    return ds.to_numpy().astype("datetime64[s]").astype(np.int64)


def _month_index(ds: pd.DatetimeIndex) -> np.ndarray:
    return np.asarray(ds.year * 12 + ds.month - 1, dtype=np.int64)


def infer_frequency(ds: Sequence[pd.Timestamp] | pd.Series | pd.DatetimeIndex) -> Frequency | None:
    """Infer the coarsest standard frequency whose grid holds every date.

    Yearly, quarterly and monthly need every date on the same day of the month (the first,
    the last, or one fixed day) and month differences that are multiples of 12, 3 or 1;
    weekly needs day differences that are multiples of 7; daily needs dates at midnight.
    Sub-daily steps use the greatest common divisor of the differences.

    Parameters
    ----------
    ds : sequence of timestamps
        The dates of one series, in any order, without duplicates.

    Returns
    -------
    Frequency or None
        None when there are fewer than two dates.
    """
    index = pd.DatetimeIndex(pd.to_datetime(pd.Series(ds))).sort_values().unique()
    if len(index) < 2:
        return None
    at_midnight = bool((index == index.normalize()).all())
    if at_midnight:
        month_ends = bool(index.is_month_end.all())
        same_day = len(set(index.day)) == 1
        if month_ends or same_day:
            months = np.diff(_month_index(index))
            for name, step, period in (("yearly", 12, 1), ("quarterly", 3, 4), ("monthly", 1, 12)):
                if np.all(months % step == 0):
                    offset: BaseOffset
                    if month_ends:
                        offset = pd.offsets.MonthEnd(step)
                    elif index[0].day == 1:
                        offset = pd.offsets.MonthBegin(step)
                    else:
                        offset = pd.DateOffset(months=step)
                    return Frequency(name, offset, period)
        days = np.diff(_seconds(index)) // 86_400
        if np.all(days % 7 == 0):
            return Frequency("weekly", pd.offsets.Week(weekday=index[0].weekday()), 52)
        return Frequency("daily", pd.offsets.Day(1), 7)
    seconds = np.diff(_seconds(index))
    step = int(np.gcd.reduce(seconds.astype(np.int64)))
    if step <= 0:
        step = 1
    period = 86_400 // step if step < 86_400 and 86_400 % step == 0 else 1
    name = (
        "hourly"
        if step == 3_600
        else f"every {pd.tseries.frequencies.to_offset(pd.Timedelta(seconds=step)).freqstr}"
    )
    return Frequency(name, pd.DateOffset(seconds=step), period)


def future_dates(
    last: pd.Timestamp, frequency: Frequency, h: int, *, series: str | None = None
) -> pd.DatetimeIndex:
    """Return the ``h`` dates after ``last`` on the grid of ``frequency``.

    Parameters
    ----------
    last : Timestamp
        The last observed date.
    frequency : Frequency
        The grid (:func:`infer_frequency`).
    h : int
        How many dates.
    series : str, optional
        The series' name, for the error message.

    Returns
    -------
    DatetimeIndex
        ``datetime64[ns]`` dates.

    Raises
    ------
    HistoryError
        A date would pass the last date pandas supports (see :func:`check_horizon_dates`).
    """
    start = pd.Timestamp(last).as_unit("ns")
    step = _fixed_step(frequency.offset, start)
    if step is not None and _steps_fit(start, frequency.offset, h):
        return pd.DatetimeIndex(start + step * np.arange(1, h + 1))
    dates = [start]
    try:
        for _ in range(h):
            dates.append(dates[-1] + frequency.offset)
    except (ValueError, OverflowError) as err:
        raise _beyond_range(series, dates[0], frequency, h) from err
    return pd.DatetimeIndex(dates[1:])


def _fixed_step(offset: BaseOffset, start: pd.Timestamp) -> pd.Timedelta | None:
    """Return the step as a duration when every step has the same length, else None.

    Days are 24 hours on dates without a time zone, and ticks (hours, minutes) always; the
    dates are then ``start + k * step`` at once instead of ``h`` additions one by one.
    """
    if isinstance(offset, pd.offsets.Day) and start.tz is None:
        return pd.Timedelta(days=offset.n)
    if isinstance(offset, pd.offsets.Tick):
        return pd.Timedelta(offset)
    return None


def _steps_fit(last: pd.Timestamp, offset: BaseOffset, steps: int) -> bool:
    try:
        last + offset * steps
    except (ValueError, OverflowError):
        return False
    return True


def _beyond_range(
    series: str | None, last: pd.Timestamp, frequency: Frequency, h: int
) -> HistoryError:
    low, high = 0, h
    while low < high:  # the largest number of steps that stays in range
        middle = (low + high + 1) // 2
        low, high = (
            (middle, high) if _steps_fit(last, frequency.offset, middle) else (low, middle - 1)
        )
    name = f"series {series!r}" if series is not None else "the series"
    return HistoryError(
        f"{name} ends on {last:%Y-%m-%d} and is {frequency.name}: {h:,} steps ahead would pass "
        f"{LAST_DATE:%Y-%m-%d}, the last date pandas supports (dates run from "
        f"{FIRST_DATE:%Y-%m-%d} to {LAST_DATE:%Y-%m-%d}). Ask for at most {low:,} steps "
        "(a smaller h).",
        series=series,
        column=DS,
    )


def check_horizon_dates(series: pd.DataFrame, h: int) -> None:
    """Check that ``h`` steps after the last date of one series stay in pandas' date range.

    The engine calls this before fitting, so a horizon that could never be dated fails at
    once instead of after a long fit. A series with a single date (no frequency) passes: the
    model reports that itself.

    Parameters
    ----------
    series : DataFrame
        One checked series (``ds`` as datetime64[ns], optional ``unique_id``).
    h : int
        The horizon, already checked (:func:`forecast.models.base.check_horizon`).

    Raises
    ------
    HistoryError
        The ``h``-th date would pass 2262-04-11; the message names the series and the largest
        horizon that fits.

    References
    ----------
    .. [1] pandas, "Timestamp limitations",
       https://pandas.pydata.org/docs/user_guide/timeseries.html#timestamp-limitations
    """
    frequency = infer_frequency(series[DS])
    if frequency is None:
        return
    last = pd.Timestamp(series[DS].max()).as_unit("ns")
    if not _steps_fit(last, frequency.offset, h):
        uid = str(series[UNIQUE_ID].iloc[0]) if UNIQUE_ID in series.columns else None
        raise _beyond_range(uid, last, frequency, h)


def missing_dates(
    ds: Sequence[pd.Timestamp] | pd.Series, frequency: Frequency | None
) -> pd.DatetimeIndex:
    """Dates on the grid between the first and last date of ``ds`` that ``ds`` lacks."""
    index = pd.DatetimeIndex(pd.to_datetime(pd.Series(ds))).sort_values().unique()
    if frequency is None or len(index) < 2:
        return pd.DatetimeIndex([])
    grid = pd.date_range(index[0], index[-1], freq=frequency.offset)
    return grid.difference(index)


def series_report(df: pd.DataFrame) -> pd.DataFrame:
    """One row per series: length, span, inferred frequency and gaps.

    Parameters
    ----------
    df : DataFrame
        A valid series frame (see :func:`validate_series`).

    Returns
    -------
    DataFrame
        Columns ``unique_id``, ``n``, ``start``, ``end``, ``frequency``, ``seasonal_period``,
        ``n_missing`` (dates missing from the grid) and ``missing`` (the first of them, as text).
    """
    rows = []
    for uid, group in df.groupby(UNIQUE_ID, sort=True):
        freq = infer_frequency(group[DS])
        gaps = missing_dates(group[DS], freq)
        rows.append(
            {
                UNIQUE_ID: uid,
                "n": len(group),
                "start": group[DS].min(),
                "end": group[DS].max(),
                "frequency": freq.name if freq else "unknown",
                "seasonal_period": freq.seasonal_period if freq else np.nan,
                "n_missing": len(gaps),
                "missing": format_rows([d.strftime("%Y-%m-%d") for d in gaps], limit=5),
            }
        )
    return pd.DataFrame(rows)
