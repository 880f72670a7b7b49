"""Turn the period labels of published figures into dates, by one documented rule."""

from __future__ import annotations

import re

import pandas as pd

from forecast.errors import SchemaError

__all__ = ["period_start"]

_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def period_start(label: str | int) -> pd.Timestamp:
    """Return the first day of the period a label names.

    ============================ ======================== ==============
    label                        means                    date
    ============================ ======================== ==============
    ``2024-03-25``               a day                    that day
    ``2024-03``                  a month                  its first day
    ``2025-Q2`` or ``2025Q2``    a quarter                its first day
    ``1961``                     a year                   1 January
    ``2025-12-08/2025-12-14``    a range (here a week)    its first day
    ============================ ======================== ==============

    Parameters
    ----------
    label : str or int
        The period as published.

    Returns
    -------
    Timestamp

    Raises
    ------
    SchemaError
        A label of none of these forms.

    Examples
    --------
    >>> period_start("2025-Q2"), period_start("2025-12-08/2025-12-14")
    (Timestamp('2025-04-01 00:00:00'), Timestamp('2025-12-08 00:00:00'))
    """
    text = str(label).strip()
    if "/" in text:
        return period_start(text.split("/", 1)[0])
    if _DAY.match(text):
        return pd.Timestamp(text)
    if match := _MONTH.match(text):
        return pd.Timestamp(int(match.group(1)), int(match.group(2)), 1)
    if match := _QUARTER.match(text):
        return pd.Timestamp(int(match.group(1)), 3 * int(match.group(2)) - 2, 1)
    if match := _YEAR.match(text):
        return pd.Timestamp(int(match.group(1)), 1, 1)
    raise SchemaError(
        f"period label {label!r} is not a day (2024-03-25), month (2024-03), quarter (2025-Q2), "
        "year (1961) or range of these (2025-12-08/2025-12-14).",
        column="period",
    )
