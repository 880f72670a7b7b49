"""Units of retention ages: days, weeks or months, stated, never inferred from the numbers.

Without an ``age_unit`` column, ``age`` counts periods of the cohort spacing (months for
monthly cohorts). Day ages next to coarser cohorts (D1, D7, D30 of monthly cohorts) are the
classic silent misread: read as months they describe a product that keeps users for years.
So a table whose ages look like days (only the usual day marks 1, 3, 7, 14, 28, 30, 60, 90,
180, 365, including 7 or 30, not consecutive) next to weekly or coarser cohorts must say its
unit.
"""

from __future__ import annotations

import pandas as pd

from forecast.errors import DomainError, format_rows
from forecast.schema.columns import AGE, AGE_UNIT, AGE_UNITS, COHORT, UNIQUE_ID
from forecast.schema.frequency import infer_frequency

__all__ = ["DAY_MARKS", "UNIT_DAYS", "check_age_units"]

DAY_MARKS = frozenset({1, 2, 3, 7, 14, 21, 28, 30, 60, 90, 180, 365})
"""Ages in days that retention tables usually report (D1, D7, D30, ...)."""

UNIT_DAYS: dict[str, float] = {"day": 1.0, "week": 7.0, "month": 365.25 / 12}
"""Mean length in days of each unit of :data:`AGE_UNITS`."""


def _looks_like_days(ages: pd.Series) -> bool:
    positive = sorted({int(a) for a in ages if a > 0})
    consecutive = positive == list(range(positive[0], positive[-1] + 1)) if positive else True
    return (
        bool(positive)
        and set(positive) <= DAY_MARKS
        and bool({7, 30} & set(positive))
        and not consecutive
    )


def _check_units(out: pd.DataFrame) -> None:
    unit = out[AGE_UNIT].astype("string").str.strip()
    bad = unit.isna() | ~unit.isin(AGE_UNITS)
    if bad.any():
        rows = list(out.index[bad.to_numpy(dtype=bool)])
        values = sorted({str(v) for v in out.loc[bad.to_numpy(dtype=bool), AGE_UNIT]})
        raise DomainError(
            f"column {AGE_UNIT!r} has unknown unit(s) {', '.join(map(repr, values))} (rows "
            f"{format_rows(rows)}). Use one of {', '.join(map(repr, AGE_UNITS))}.",
            column=AGE_UNIT,
            rows=rows,
        )


def check_age_units(out: pd.DataFrame) -> None:
    """Check the unit of the ages of a typed retention frame.

    Parameters
    ----------
    out : DataFrame
        A retention frame with ``cohort`` as datetimes and ``age`` as whole numbers.

    Raises
    ------
    DomainError
        An ``age_unit`` outside day, week, month; or, without ``age_unit``, ages that look like
        days (module docstring) next to weekly or coarser cohorts. The message names the
        product, the ages, the cohort spacing and the fix (an ``age_unit`` column, or
        ``age_unit=`` / ``--age-unit``).

    References
    ----------
    .. [1] Fader, P. S., & Hardie, B. G. S. (2007). How to project customer retention. Journal
       of Interactive Marketing, 21(1), 76-90 (ages count the periods of the cohorts).
    """
    if AGE_UNIT in out.columns:
        _check_units(out)
        return
    groups = out.groupby(UNIQUE_ID, sort=True) if UNIQUE_ID in out.columns else [(None, out)]
    for product, group in groups:
        frequency = infer_frequency(group[COHORT].drop_duplicates())
        if frequency is None or frequency.name == "daily" or not _looks_like_days(group[AGE]):
            continue
        ages = sorted({int(a) for a in group[AGE] if a > 0})
        name = f" of {product!r}" if product is not None else ""
        raise DomainError(
            f"the retention ages{name} ({format_rows(ages, limit=5)}) look like days (D1, D7, "
            f"D30) but the cohorts are {frequency.name}, and without a unit ages count cohort "
            f"periods, so age {ages[-1]} would mean {ages[-1]} {frequency.name} periods. Say the "
            f"unit: add a column {AGE_UNIT!r} (e.g. 'day'), or pass age_unit='day' to fc.read "
            "(--age-unit day); write 'month' if they are months.",
            series=None if product is None else str(product),
            column=AGE,
            rows=list(group.index),
        )
