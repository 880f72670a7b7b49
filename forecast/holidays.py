"""Public holidays by country, as Prophet-style holiday frames or as indicator covariates.

The dates come from the ``holidays`` library (``holidays.country_holidays``), in English where
the library has it. Names are cleaned the same way everywhere: dates quoted inside them are
dropped, so China's "Day off (substituted from 02/04/2024)" of every year is one holiday,
``day_off``, and the rest is made snake_case; days the library marks "(observed)" stay a
holiday of their own (``..._observed``).

:func:`holiday_frame` gives the frame Prophet's ``holidays=`` takes; :func:`holiday_covariates`
gives one indicator column per holiday (``holiday_<name>``) for a model that takes covariates.
Windows widen every holiday by days before (``lower_window``, zero or negative, as in Prophet)
and after (``upper_window``, zero or positive).

References
----------
.. [1] holidays: a fast, efficient Python library for generating country- and subdivision-
   specific sets of government-designated holidays. https://github.com/vacanza/holidays
.. [2] Taylor, S. J. and Letham, B. (2018). Forecasting at scale. The American Statistician
   72(1), 37-45, section 3.2 (holidays and events).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from forecast.errors import ConfigError
from forecast.schema import DS, infer_frequency

__all__ = ["PREFIX", "check_country", "clean_name", "holiday_frame", "holiday_covariates"]

PREFIX = "holiday_"
"""Prefix of the indicator columns :func:`holiday_covariates` returns."""


def _library() -> Any:
    try:
        import holidays
    except ImportError as err:  # pragma: no cover - a dependency of the package
        raise ConfigError(
            "holidays by country need the 'holidays' package: pip install holidays."
        ) from err
    return holidays


def check_country(country: object) -> str:
    """Return ``country`` as the upper-case code the ``holidays`` library knows.

    Parameters
    ----------
    country : str
        An ISO 3166 alpha-2 code such as ``"CN"``, ``"US"`` or ``"GB"`` (any case).

    Raises
    ------
    ConfigError
        Not a string, or a code the library does not support (the message lists close ones).
    """
    supported = _library().list_supported_countries()
    code = country.strip().upper() if isinstance(country, str) else None
    if code is None or code not in supported:
        close = sorted(c for c in supported if code and c[:1] == code[:1])[:8]
        raise ConfigError(
            f"holidays={country!r} is not a country code the 'holidays' library supports; give "
            "an ISO 3166 code such as 'CN', 'US' or 'GB'"
            + (f" (codes starting alike: {', '.join(close)})." if close else ".")
        )
    return code


def _check_windows(lower_window: int, upper_window: int) -> tuple[int, int]:
    for key, value, sign in (("lower_window", lower_window, -1), ("upper_window", upper_window, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value * sign < 0:
            raise ConfigError(
                f"{key} must be a whole number of days, {'<= 0' if sign < 0 else '>= 0'} "
                f"(days {'before' if sign < 0 else 'after'} each holiday, as in Prophet), not "
                f"{value!r}."
            )
    return int(lower_window), int(upper_window)


def clean_name(name: str) -> str:
    """Snake-case a holiday's name, dropping parenthesised parts that hold digits (dates)."""
    without_dates = re.sub(r"\([^)]*\d[^)]*\)", " ", name).replace("'", "").replace("’", "")
    return re.sub(r"[^0-9a-z]+", "_", without_dates.lower()).strip("_") or "holiday"


def _days(code: str, years: range) -> list[tuple[pd.Timestamp, str]]:
    library = _library()
    languages = library.country_holidays(code, years=[]).supported_languages
    english = next((lang for lang in ("en_US", "en_GB", "en") if lang in languages), None)
    calendar = library.country_holidays(code, years=list(years), language=english)
    return [
        (pd.Timestamp(day), clean_name(part))
        for day, names in sorted(calendar.items())
        for part in str(names).split("; ")
    ]


def holiday_frame(
    country: str,
    start: str | dt.date,
    end: str | dt.date,
    lower_window: int = 0,
    upper_window: int = 0,
) -> pd.DataFrame:
    """Holidays of ``country`` between ``start`` and ``end``, as Prophet's ``holidays=`` frame.

    Parameters
    ----------
    country : str
        An ISO 3166 code (:func:`check_country`).
    start, end : date-like
        The first and last day (inclusive).
    lower_window, upper_window : int
        Days before (<= 0) and after (>= 0) each holiday that count as the holiday.

    Returns
    -------
    DataFrame
        ``holiday`` (cleaned name), ``ds``, ``lower_window``, ``upper_window``; one row per
        holiday and day, sorted by ``ds``.

    Examples
    --------
    >>> frame = holiday_frame("CN", "2024-01-01", "2024-12-31")
    >>> frame.loc[frame["ds"] == "2024-10-01", "holiday"].tolist()
    ['national_day']
    """
    code = check_country(country)
    lower, upper = _check_windows(lower_window, upper_window)
    first, last = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if last < first:
        raise ConfigError(f"holidays: end {last:%Y-%m-%d} is before start {first:%Y-%m-%d}.")
    days = [(d, n) for d, n in _days(code, range(first.year, last.year + 1)) if first <= d <= last]
    frame = pd.DataFrame(days, columns=[DS, "holiday"])
    frame[DS] = pd.to_datetime(frame[DS]).astype("datetime64[ns]")
    frame["lower_window"] = lower
    frame["upper_window"] = upper
    return frame[["holiday", DS, "lower_window", "upper_window"]].reset_index(drop=True)


def holiday_covariates(
    country: str,
    dates: Sequence[str | dt.date] | pd.Series | pd.DatetimeIndex,
    lower_window: int = 0,
    upper_window: int = 0,
    names: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One indicator column per holiday of ``country`` at ``dates``.

    For daily (or finer) dates a column is 1 on the days of its holiday and its window, else
    0. For coarser steps (weekly, monthly) it is the fraction of the step's days, from one
    date to the next, that fall in the holiday's window.

    Parameters
    ----------
    country : str
        An ISO 3166 code (:func:`check_country`).
    dates : sequence of date-like
        The dates of one series (history, future, or both), on its grid.
    lower_window, upper_window : int
        Days before (<= 0) and after (>= 0) each holiday that count as the holiday.
    names : sequence of str, optional
        The columns to return (``holiday_<name>``), e.g. those a model was fitted with, so
        the forecast's columns match the history's; by default every holiday that touches
        the dates.

    Returns
    -------
    DataFrame
        ``ds`` and the indicator columns (float64), in ``names`` order or by first date.
    """
    code = check_country(country)
    lower, upper = _check_windows(lower_window, upper_window)
    index = pd.DatetimeIndex(pd.to_datetime(pd.Series(dates))).as_unit("ns")
    if len(index) == 0:
        raise ConfigError("holiday_covariates needs at least one date.")
    frequency = infer_frequency(index) if len(index) > 1 else None
    coarse = frequency is not None and frequency.name in (
        "weekly",
        "monthly",
        "quarterly",
        "yearly",
    )
    step = frequency.offset if coarse and frequency is not None else pd.Timedelta(1, "D")
    starts = index.normalize()
    ends = pd.DatetimeIndex(index + step).normalize()
    origin = starts.min()
    first = (starts - origin).days.to_numpy()
    last = (ends - origin).days.to_numpy()
    length = int(last.max()) + 1
    marked: dict[str, np.ndarray] = {}
    for day, name in _days(code, range(origin.year - 1, ends.max().year + 2)):
        at = (day - origin).days
        low, high = max(at + lower, 0), min(at + upper + 1, length)
        if low < high:
            marked.setdefault(PREFIX + name, np.zeros(length, dtype=bool))[low:high] = True
    width = np.maximum(last - first, 1)
    values: dict[str, np.ndarray] = {}
    for column, days in marked.items():
        counts = np.concatenate([[0], np.cumsum(days)])
        values[column] = (counts[last] - counts[first]) / width
    wanted = list(names) if names is not None else [c for c, v in values.items() if np.any(v > 0)]
    columns = {c: values.get(c, np.zeros(len(index))) for c in wanted}
    return pd.concat([pd.DataFrame({DS: index}), pd.DataFrame(columns, dtype="float64")], axis=1)
