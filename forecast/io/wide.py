"""Wide tables made long: one column per series, or one column per retention age.

A wide series table has a date column and one column per series (its header is the series'
name)::

    date,chatgpt,kimi
    2024-01-01,100,40

A wide retention table has a cohort column, optional ``cohort_size`` and ``unique_id``, and one
column per age, whose header gives the age and, optionally, its unit: ``D1``, ``day 7``,
``d_30``, ``W2``, ``week 4``, ``M1``, ``month 3``, or a bare number (then ``age_unit`` says the
unit, or the ages count cohort periods)::

    cohort,cohort_size,D1,D7,D30
    2024-01-01,5000,0.42,0.21,0.11

An empty cell is no observation: a series that starts later, an age a cohort has not reached.
Each long row keeps the file line of the wide row it came from (the frame's index).
"""

from __future__ import annotations

import re

import pandas as pd

from forecast.errors import ConfigError, SchemaError
from forecast.schema import AGE, AGE_UNIT, COHORT, COHORT_SIZE, DS, RETENTION, UNIQUE_ID, Y

__all__ = ["AGE_HEADER", "age_of_header", "wide_series", "wide_retention"]

AGE_HEADER = re.compile(
    r"^(?:(?P<before>d|day|days|w|wk|week|weeks|m|mo|month|months)[\s_\-]*)?(?P<age>\d+)"
    r"(?:[\s_\-]*(?P<after>d|day|days|w|wk|week|weeks|m|mo|month|months))?$",
    re.IGNORECASE,
)
"""Headers of age columns: ``D1``, ``day 7``, ``d_30``, ``W2``, ``M1``, ``30d``, ``7``."""

_UNITS = {"d": "day", "w": "week", "m": "month"}


def age_of_header(header: str) -> tuple[int, str | None] | None:
    """Return the age and unit (``day``, ``week``, ``month`` or None) of an age header.

    None when the header is not an age (see :data:`AGE_HEADER`).
    """
    match = AGE_HEADER.match(header.strip())
    if match is None or (match["before"] and match["after"]):
        return None
    word = (match["before"] or match["after"] or "").lower()
    return int(match["age"]), (_UNITS[word[0]] if word else None)


def wide_series(frame: pd.DataFrame, ds: str, path: str) -> pd.DataFrame:
    """Make a table with one column per series long: ``unique_id``, ``ds``, ``y`` (text).

    Raises
    ------
    SchemaError
        The date column is absent, or there is no series column.
    """
    if ds not in frame.columns:
        raise SchemaError(
            f"file {path!r} has no date column {ds!r} (it has "
            f"{', '.join(map(repr, map(str, frame.columns)))}). Name it with ds='...' (--ds).",
            column=ds,
        )
    names = [c for c in frame.columns if c != ds]
    if not names:
        raise SchemaError(f"file {path!r} has no series columns beside {ds!r}.", column=ds)
    parts = [
        pd.DataFrame({UNIQUE_ID: str(name), DS: frame[ds], Y: frame[name]}, index=frame.index)
        for name in names
    ]
    long = pd.concat(parts)
    return long[long[Y].notna()]


def _age_columns(
    frame: pd.DataFrame, keep: list[str], age_unit: str | None, path: str
) -> tuple[dict[str, int], str | None]:
    ages: dict[str, int] = {}
    units: set[str | None] = set()
    for column in frame.columns:
        if column in keep:
            continue
        parsed = age_of_header(str(column))
        if parsed is None:
            raise SchemaError(
                f"file {path!r}: column {column!r} of the wide retention table is neither the "
                f"cohort, {COHORT_SIZE!r}, {UNIQUE_ID!r} nor an age (D1, day 7, W2, M1, 30). "
                "Rename or remove it.",
                column=str(column),
            )
        ages[str(column)], unit = parsed
        units.add(unit)
    if not ages:
        raise SchemaError(f"file {path!r} has no age columns (D1, D7, M1, ...).")
    if len(units) > 1:
        raise SchemaError(
            f"file {path!r} mixes age units in its headers ({', '.join(sorted(ages))}); give "
            "one table per unit."
        )
    unit = units.pop()
    if unit is not None and age_unit is not None and unit != age_unit:
        raise ConfigError(
            f"age_unit={age_unit!r} contradicts the headers of {path!r}, which count {unit}s "
            f"({', '.join(list(ages)[:3])}); drop the option or correct the headers."
        )
    return ages, unit or age_unit


def wide_retention(
    frame: pd.DataFrame, cohort: str, age_unit: str | None, path: str
) -> pd.DataFrame:
    """Make a table with one column per age long: ``cohort``, ``age``, ``retention`` (text).

    ``age_unit`` is added when the headers or the option give a unit.

    Raises
    ------
    SchemaError
        No cohort column, a column that is not an age, no age columns, mixed units.
    ConfigError
        ``age_unit`` contradicts the headers.
    """
    if cohort not in frame.columns:
        raise SchemaError(
            f"file {path!r} has no cohort column {cohort!r}; name it with ds='...' (--ds).",
            column=cohort,
        )
    keep = [c for c in (cohort, COHORT_SIZE, UNIQUE_ID) if c in frame.columns]
    ages, unit = _age_columns(frame, keep, age_unit, path)
    parts = []
    for column, age in ages.items():
        part = frame[keep].rename(columns={cohort: COHORT})
        part[AGE] = str(age)
        part[RETENTION] = frame[column]
        parts.append(part)
    long = pd.concat(parts)
    long = long[long[RETENTION].notna()].copy()
    if unit is not None:
        long[AGE_UNIT] = unit
    return long
