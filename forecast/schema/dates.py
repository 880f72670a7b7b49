"""Dates written as text: one format per column, read the same way for every row, never guessed.

A column of text dates is read in the first of these ways that reads every value:

1. ISO 8601 (``2024-03-05``, ``2024-03``, ``20240305``, ``2024-03-05T10:00+08:00``);
2. a format whose order is unambiguous (``2024/03/05``, ``5 Mar 2024``, ``Mar 5, 2024``);
3. quarters (``2024Q1``, ``2024-Q1``, ``2024 Q1``, ``Q1 2024``, ``Q1-2024``), read as the first
   day of the quarter, and ISO weeks (``2024-W01``, ``2024W01``), read as their Monday: a
   period is dated by its first day, as ``2024-03`` is 1 March;
4. a day-first (``05.03.2024``, ``05/03/2024``) or month-first (``03/05/2024``) format.

When both a day-first and a month-first format read every value and they disagree on some
(``05.03.2024`` is 5 March or 3 May), the column is ambiguous: nothing is guessed, the
:class:`~forecast.errors.SchemaError` names the column, shows two such rows and the option that
settles it (``dayfirst=`` or ``date_format=``). A column with a day above 12 in the first place
(``13.03.2024``) is unambiguous and read day-first.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd

from forecast.errors import SchemaError
from forecast.schema.frequency import FIRST_DATE, LAST_DATE

__all__ = [
    "DAY_FIRST_FORMATS",
    "MONTH_FIRST_FORMATS",
    "OTHER_FORMATS",
    "beyond_pandas_range",
    "parse_date_text",
    "period_start",
    "to_datetimes",
]

_TIMES = ("", " %H:%M", " %H:%M:%S")
DAY_FIRST_FORMATS: tuple[str, ...] = ("%d.%m.%Y", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%y", "%d/%m/%y")
"""Day-first formats tried (each also with ``%H:%M`` and ``%H:%M:%S`` after a space)."""
MONTH_FIRST_FORMATS: tuple[str, ...] = ("%m/%d/%Y", "%m-%d-%Y", "%m.%d.%Y", "%m/%d/%y")
"""Month-first formats tried (each also with a time after a space)."""
OTHER_FORMATS: tuple[str, ...] = (
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%b %Y",
    "%B %Y",
)
"""Formats whose order of day and month is unambiguous (each also with a time)."""


_QUARTER = re.compile(r"^(?:(?P<y1>\d{4})[-\s]?Q(?P<q1>[1-4])|Q(?P<q2>[1-4])[-\s/]?(?P<y2>\d{4}))$")
"""A quarter label: ``2024Q1``, ``2024-Q1``, ``2024 Q1``, ``Q1 2024``, ``Q1-2024``, ``Q1/2024``."""

_ISO_WEEK = re.compile(r"^(?P<year>\d{4})-?W(?P<week>\d{2})$")
"""An ISO 8601 week: ``2024-W01`` or ``2024W01``."""


def _quarter_start(text: object) -> dt.date | None:
    match = _QUARTER.match(str(text).strip().upper())
    if match is None:
        return None
    year, quarter = match["y1"] or match["y2"], match["q1"] or match["q2"]
    return dt.date(int(year), 3 * int(quarter) - 2, 1)


def _week_monday(text: object) -> dt.date | None:
    match = _ISO_WEEK.match(str(text).strip().upper())
    if match is None:
        return None
    try:
        return dt.date.fromisocalendar(int(match["year"]), int(match["week"]), 1)
    except ValueError:  # week 53 of a year with 52
        return None


def period_start(text: object) -> dt.date | None:
    """Return the first day of a quarter label or an ISO week, None for other text."""
    return _quarter_start(text) or _week_monday(text)


def _periods(label: Callable[[object], dt.date | None]) -> Callable[[pd.Series], pd.Series]:
    """Return a reader of period labels: each first day, NaT where ``label`` reads none."""

    def read(unique: pd.Series) -> pd.Series:
        return pd.to_datetime(unique.map(lambda text: _in_range(label(text))), errors="coerce")

    return read


def _in_range(day: dt.date | None) -> dt.date | None:
    """``day`` when pandas can hold it, else None (reported as out of range by the caller)."""
    return day if day is not None and FIRST_DATE.date() <= day <= LAST_DATE.date() else None


_PERIOD_READERS = (_periods(_quarter_start), _periods(_week_monday))
"""Readers of quarter labels and ISO weeks (way 3 of the module docstring)."""


def _with_times(formats: tuple[str, ...]) -> list[str]:
    return [f"{base}{time}" for base in formats for time in _TIMES]


def beyond_pandas_range(value: object) -> bool:
    """Tell whether ``value`` is a date, quarter or week text outside pandas' range.

    The range is ``FIRST_DATE`` to ``LAST_DATE``; the text an ISO date, a quarter label or an
    ISO week (module docstring). pandas 3 reads such dates (in a coarser unit) and the
    contract's range check reports them; pandas 2 reads them as missing, and this recognises
    them among the values not read, so that they are reported as out of range rather than as
    text in another format.
    """
    if not isinstance(value, str):
        return False
    try:
        day: dt.date | None = dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        day = period_start(value)
    return day is not None and not FIRST_DATE.date() <= day <= LAST_DATE.date()


def to_datetimes(values: pd.Series, fmt: str) -> pd.Series:
    """``pd.to_datetime(values, format=fmt, errors="coerce")``, the same on pandas 2 and 3.

    Dates of different time zones raise ValueError, as pandas 3 does; pandas 2 only warns
    (FutureWarning) and returns objects, which no date check downstream could read.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        parsed = pd.to_datetime(values, format=fmt, errors="coerce")
    if not pd.api.types.is_datetime64_any_dtype(parsed):
        raise ValueError("the dates carry different time zones")
    return parsed


def _first_complete(unique: pd.Series, formats: list[str]) -> tuple[str, pd.Series] | None:
    for fmt in formats:
        parsed = to_datetimes(unique, fmt)
        if parsed.notna().all():
            return fmt, parsed
    return None


def _ambiguity(
    column: str, text: pd.Series, day: pd.Series, month: pd.Series, formats: tuple[str, str]
) -> SchemaError:
    differ = (day != month).to_numpy()
    labels = list(text.index[differ])
    shown = "; ".join(
        f"row {label}: {text[label]!r} is {day[label]:%Y-%m-%d} day-first or "
        f"{month[label]:%Y-%m-%d} month-first"
        for label in labels[:2]
    )
    return SchemaError(
        f"column {column!r} has dates that read both day-first and month-first, with "
        f"different results for {len(labels)} value(s) ({shown}). Nothing is guessed: say which "
        f"with dayfirst=True or dayfirst=False (--dayfirst / --monthfirst), or give the format "
        f"(date_format={formats[0]!r} or {formats[1]!r}; --date-format).",
        column=column,
        rows=labels,
    )


def parse_date_text(
    values: pd.Series,
    column: str,
    *,
    dayfirst: bool | None = None,
    date_format: str | None = None,
) -> pd.Series:
    """Read a column of text dates in one format for every row; ambiguity is an error.

    Parameters
    ----------
    values : Series
        Dates as text (missing values stay missing); its index labels the rows in errors.
    column : str
        The column's name, for the error message.
    dayfirst : bool, optional
        Settle ``05.03.2024``: True reads day-first, False month-first. Without it an
        ambiguous column is an error.
    date_format : str, optional
        A :func:`~datetime.datetime.strptime` format that every value must follow.

    Returns
    -------
    Series
        Datetimes (tz-aware when the text carries one zone), NaT where a value is missing or
        does not follow the column's format (the caller reports those rows).

    Raises
    ------
    SchemaError
        The column reads both day-first and month-first with different results.
    ValueError
        pandas refused the values (dates of different time zones); the caller reports it.

    References
    ----------
    .. [1] ISO 8601-1:2019, Date and time -- Representations for information interchange.
    .. [2] pandas, "to_datetime", https://pandas.pydata.org/docs/reference/api/pandas.to_datetime.html
    """
    text = values.astype("string").str.strip()
    codes, uniques = pd.factorize(text)  # each distinct text is read once; missing is -1
    unique = pd.Series(uniques.astype(object))
    if date_format is not None:
        chosen = to_datetimes(unique, date_format)
    elif len(unique) == 0:
        chosen = pd.Series(pd.NaT, index=unique.index, dtype="datetime64[ns]")
    else:
        chosen = _choose(column, text[text.notna()], unique, dayfirst)
    taken = chosen.take(np.where(codes >= 0, codes, 0)) if len(chosen) else chosen
    out = pd.Series(taken.to_numpy(), index=values.index) if len(chosen) else _empty(values)
    return out.where(codes >= 0)


def _empty(values: pd.Series) -> pd.Series:
    return pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")


def _choose(column: str, text: pd.Series, unique: pd.Series, dayfirst: bool | None) -> pd.Series:
    """Read ``unique`` in the first complete way (module docstring); error on ambiguity."""
    found = _first_complete(unique, ["ISO8601", *_with_times(OTHER_FORMATS)])
    if found is not None:
        return found[1]
    for reader in _PERIOD_READERS:
        periods = reader(unique)
        if periods.notna().all():
            return periods
    day = month = None
    if dayfirst is not False:
        day = _first_complete(unique, _with_times(DAY_FIRST_FORMATS))
    if dayfirst is not True:
        month = _first_complete(unique, _with_times(MONTH_FIRST_FORMATS))
    if day is not None and month is not None:
        if (day[1] == month[1]).all():
            return day[1]
        by_value_day = dict(zip(unique.tolist(), day[1].tolist(), strict=True))
        by_value_month = dict(zip(unique.tolist(), month[1].tolist(), strict=True))
        raise _ambiguity(
            column, text, text.map(by_value_day), text.map(by_value_month), (day[0], month[0])
        )
    if day is not None:
        return day[1]
    if month is not None:
        return month[1]
    return _best_partial(unique, dayfirst)


def _best_partial(unique: pd.Series, dayfirst: bool | None) -> pd.Series:
    """No format reads every value: the reading of the format that reads most (NaT elsewhere)."""
    formats = ["ISO8601", *_with_times(OTHER_FORMATS)]
    if dayfirst is not False:
        formats += _with_times(DAY_FIRST_FORMATS)
    if dayfirst is not True:
        formats += _with_times(MONTH_FIRST_FORMATS)
    readings = [to_datetimes(unique, fmt) for fmt in formats]
    readings += [reader(unique) for reader in _PERIOD_READERS]
    return max(readings, key=lambda parsed: int(parsed.notna().sum()))
