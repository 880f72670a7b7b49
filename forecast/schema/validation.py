"""Validation of series and retention frames, and the checked frames the package passes on.

:func:`validate_series` and :func:`validate_retention` check a raw frame against the data
contract (see :mod:`forecast.schema`) and return a clean, typed, sorted copy;
:class:`ValidSeries` and :class:`ValidRetention` wrap such a copy so that a call validates each
input frame once and later steps trust it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from forecast.errors import ConfigError, DomainError, format_rows
from forecast.schema.ages import check_age_units
from forecast.schema.checks import (
    check_duplicates,
    check_frame,
    parse_dates,
    parse_ids,
    parse_numbers,
    rows_of,
    series_of,
)
from forecast.schema.columns import (
    AGE,
    AGE_UNIT,
    CHANNEL,
    COHORT,
    COHORT_SIZE,
    DS,
    ENTITY,
    METRIC,
    QUALIFIER,
    QUALIFIERS,
    RETENTION,
    RETENTION_REQUIRED,
    SERIES_OPTIONAL,
    SERIES_REQUIRED,
    SOURCE,
    UNIQUE_ID,
    Y,
    is_count_metric,
    metric_of,
)

__all__ = [
    "ValidSeries",
    "ValidRetention",
    "valid_series",
    "valid_retention",
    "validate",
    "validate_series",
    "validate_retention",
]


def _count_rows(df: pd.DataFrame) -> np.ndarray:
    """Whether each row belongs to a count metric (:func:`metric_of`, :func:`is_count_metric`)."""
    codes, metrics = pd.factorize(metric_of(df))
    return np.array([is_count_metric(metric) for metric in metrics], dtype=bool)[codes]


def _parse_qualifier(out: pd.DataFrame) -> pd.Series:
    """Return ``qualifier`` stripped of spaces; an unknown value is a DomainError."""
    qual = out[QUALIFIER].astype("string").str.strip()
    bad = qual.isna() | ~qual.isin(QUALIFIERS)
    if bad.any():
        series = series_of(out, bad)
        rows = rows_of(bad, out.index)
        values = sorted({str(v) for v in out.loc[bad.to_numpy(dtype=bool), QUALIFIER].tolist()})
        raise DomainError(
            f"column 'qualifier' of series {series!r} has unknown value(s) "
            f"{', '.join(map(repr, values))} (rows {format_rows(rows)}). Use '=' for a point, "
            "'>=' for a lower bound, '<=' for an upper bound, '~' for an approximate value.",
            series=series,
            column=QUALIFIER,
            rows=rows,
        )
    return qual.astype(object)


def _check_counts(out: pd.DataFrame) -> None:
    """Raise a DomainError for a negative value of a count metric."""
    negative = pd.Series(_count_rows(out) & (out[Y].to_numpy() < 0), index=out.index)
    if negative.any():
        series = series_of(out, negative)
        rows = rows_of(negative, out.index)
        raise DomainError(
            f"series {series!r} is a count but column 'y' has {int(negative.sum())} negative "
            f"value(s) (rows {format_rows(rows)}). Counts of users or visits cannot be negative: "
            "correct the data, or set 'metric' to a name that is not a count (e.g. "
            "'dau_change').",
            series=series,
            column=Y,
            rows=rows,
        )


_MAX_AGE = 100_000
"""The oldest age in periods (273 years of days), as the horizon's limit."""


def _parse_age(out: pd.DataFrame) -> pd.Series:
    """Return ``age`` as int64: whole periods from 0 to :data:`_MAX_AGE`, or a DomainError."""
    age = parse_numbers(out, AGE, "whole numbers of periods")
    bad = (age < 0) | (age != np.round(age)) | (age > _MAX_AGE)
    if bad.any():
        rows = rows_of(bad, out.index)
        raise DomainError(
            f"column 'age' has {int(bad.sum())} negative, fractional or impossibly large "
            f"value(s) (rows {format_rows(rows)}: "
            f"{', '.join(repr(v) for v in out.loc[bad.to_numpy(dtype=bool), AGE].head(3))}). "
            f"Ages count whole periods since the cohort started, from 0 to {_MAX_AGE:,}.",
            series=series_of(out, bad),
            column=AGE,
            rows=rows,
        )
    return age.astype("int64")


def validate_series(df: pd.DataFrame) -> pd.DataFrame:
    """Check a series frame against the data contract and return a clean copy.

    Parameters
    ----------
    df : DataFrame
        Long format: ``unique_id``, ``ds``, ``y`` and optional ``entity``, ``metric``,
        ``channel``, ``qualifier``, ``source``; other columns are kept as they are.

    Returns
    -------
    DataFrame
        A copy with ``unique_id`` as str, ``ds`` as datetime64[ns], ``y`` as float64,
        ``qualifier`` filled with ``"="`` when the column is absent, rows sorted by
        ``unique_id`` and ``ds``, and a fresh RangeIndex. The input is not modified. Dates
        of one time zone are read as their local dates (the zone is dropped).

    Raises
    ------
    SchemaError
        Missing, repeated or MultiIndex columns, an empty frame, ids that are not names,
        dates that do not parse, of different time zones or outside 1677-09-22 to 2262-04-11,
        values that are not real numbers (text that is not a number, complex numbers,
        booleans, dates, durations).
    DuplicateError
        The same (``unique_id``, ``ds``) twice.
    MissingValueError
        NaN or infinite ``y``.
    DomainError
        Negative values of a count metric (dau, mau, wau, visits, users, ...), or a
        ``qualifier`` other than ``=``, ``>=``, ``<=``, ``~``.
    """
    check_frame(
        df,
        SERIES_REQUIRED,
        "series",
        "A series frame needs 'unique_id', 'ds' and 'y'; for one series add a name with "
        "df.assign(unique_id='my_series').",
    )
    out = df.copy()
    out[UNIQUE_ID] = parse_ids(out)
    out[DS] = parse_dates(out, DS)
    out[Y] = parse_numbers(
        out,
        Y,
        "floats",
        then=(
            ", fill them with fc.fill_gaps(df, method='linear') or --fill linear (filled "
            "rows are marked and never scored),"
        ),
    )
    out[QUALIFIER] = _parse_qualifier(out) if QUALIFIER in out.columns else "="
    check_duplicates(
        out,
        [UNIQUE_ID, DS],
        "Keep one value per series and date (aggregate them, or give the other source its own "
        "unique_id).",
    )
    _check_counts(out)
    for column in (ENTITY, METRIC, CHANNEL, SOURCE):
        if column in out.columns:
            out[column] = out[column].astype(object)
    ordered = [c for c in SERIES_REQUIRED + SERIES_OPTIONAL if c in out.columns]
    rest = [c for c in out.columns if c not in ordered]
    out = out[ordered + rest].sort_values([UNIQUE_ID, DS], kind="mergesort")
    return out.reset_index(drop=True)


def validate_retention(df: pd.DataFrame) -> pd.DataFrame:
    """Check a retention frame against the data contract and return a clean copy.

    Parameters
    ----------
    df : DataFrame
        Cohort observations: ``cohort`` (date the cohort started), ``age`` (whole periods since
        then, >= 0), ``retention`` (fraction of the cohort active at that age, in [0, 1]);
        optional ``unique_id`` (the product), ``cohort_size`` (users in the cohort, > 0) and
        ``age_unit`` (``day``, ``week`` or ``month``; without it ages count cohort periods).

    Returns
    -------
    DataFrame
        A typed copy sorted by (``unique_id``,) ``cohort``, ``age`` with a fresh RangeIndex.

    Raises
    ------
    SchemaError, DuplicateError, MissingValueError, DomainError
        As for :func:`validate_series`; ages must be non-negative whole numbers and retention
        must lie in [0, 1]. An unknown ``age_unit``, or ages that look like days (1, 7, 30)
        next to weekly or coarser cohorts without an ``age_unit``, is a DomainError
        (:func:`forecast.schema.ages.check_age_units`).
    """
    check_frame(
        df,
        RETENTION_REQUIRED,
        "retention",
        "A retention frame needs 'cohort' (start date), 'age' (periods since the start) and "
        "'retention' (a fraction in [0, 1]).",
    )
    out = df.copy()
    if UNIQUE_ID in out.columns:
        out[UNIQUE_ID] = parse_ids(out)
    out[COHORT] = parse_dates(out, COHORT)
    out[AGE] = _parse_age(out)
    out[RETENTION] = parse_numbers(out, RETENTION, "fractions in [0, 1]")
    outside = (out[RETENTION] < 0) | (out[RETENTION] > 1)
    if outside.any():
        series = series_of(out, outside)
        rows = rows_of(outside, out.index)
        raise DomainError(
            f"column 'retention' has {int(outside.sum())} value(s) outside [0, 1] (rows "
            f"{format_rows(rows)}). Give retention as a fraction (0.23, not 23%).",
            series=series,
            column=RETENTION,
            rows=rows,
        )
    if COHORT_SIZE in out.columns:
        size = parse_numbers(out, COHORT_SIZE, "positive numbers of users")
        bad = size <= 0
        if bad.any():
            rows = rows_of(bad, out.index)
            raise DomainError(
                f"column 'cohort_size' has {int(bad.sum())} value(s) <= 0 (rows "
                f"{format_rows(rows)}). A cohort size is the number of users who started in it.",
                series=series_of(out, bad),
                column=COHORT_SIZE,
                rows=rows,
            )
        out[COHORT_SIZE] = size
    check_age_units(out)
    if AGE_UNIT in out.columns:
        out[AGE_UNIT] = out[AGE_UNIT].astype(str).str.strip().astype(object)
    keys = ([UNIQUE_ID] if UNIQUE_ID in out.columns else []) + [COHORT, AGE]
    keys += [AGE_UNIT] if AGE_UNIT in out.columns else []
    check_duplicates(out, keys, "Keep one retention figure per cohort and age.")
    return out.sort_values(keys, kind="mergesort").reset_index(drop=True)


def validate(df: pd.DataFrame, kind: Literal["series", "retention"] = "series") -> pd.DataFrame:
    """Validate a frame of the given kind and return a clean, sorted, typed copy.

    Parameters
    ----------
    df : DataFrame
        The frame to check.
    kind : {"series", "retention"}
        Which contract to check against.

    Returns
    -------
    DataFrame
        See :func:`validate_series` and :func:`validate_retention`.

    Raises
    ------
    DataError
        The frame breaks the contract (the message names series, column and rows).
    ConfigError
        ``kind`` is not one of the two kinds.

    Examples
    --------
    >>> import pandas as pd, forecast as fc
    >>> df = pd.DataFrame({"unique_id": "a", "ds": ["2024-01-02", "2024-01-01"], "y": [2, 1]})
    >>> fc.validate(df)["y"].tolist()
    [1.0, 2.0]
    """
    if kind == "series":
        return validate_series(df)
    if kind == "retention":
        return validate_retention(df)
    raise ConfigError(f"kind must be 'series' or 'retention', not {kind!r}.")


@dataclass(frozen=True, eq=False)
class ValidSeries:
    """A series frame that :func:`validate_series` returned, as the package passes it on.

    A public entry point (``fc.forecast``, ``fc.backtest``, ``fc.shares``, a batch chunk)
    validates its input once with :func:`valid_series`; every later step takes the wrapper and
    trusts it, so one call checks each input frame once. The frame must not be modified.

    Attributes
    ----------
    frame : DataFrame
        The clean copy: typed columns, ``qualifier`` present, rows sorted by ``unique_id``
        and ``ds``, a fresh RangeIndex.
    """

    frame: pd.DataFrame


@dataclass(frozen=True, eq=False)
class ValidRetention:
    """A retention frame that :func:`validate_retention` returned (see :class:`ValidSeries`).

    Attributes
    ----------
    frame : DataFrame
        The clean copy.
    """

    frame: pd.DataFrame


def valid_series(df: pd.DataFrame | ValidSeries) -> ValidSeries:
    """Validate a series frame, unless it was validated already in this call.

    Parameters
    ----------
    df : DataFrame or ValidSeries
        A raw frame (checked with :func:`validate_series`) or an already checked one (returned
        as it is).

    Returns
    -------
    ValidSeries
        The checked frame.

    Examples
    --------
    >>> import pandas as pd
    >>> raw = pd.DataFrame({"unique_id": "a", "ds": ["2024-01-01", "2024-01-02"], "y": [1, 2]})
    >>> checked = valid_series(raw)
    >>> valid_series(checked) is checked
    True
    """
    return df if isinstance(df, ValidSeries) else ValidSeries(validate_series(df))


def valid_retention(df: pd.DataFrame | ValidRetention | None) -> ValidRetention | None:
    """Validate a retention frame once (see :func:`valid_series`); ``None`` stays ``None``.

    Parameters
    ----------
    df : DataFrame, ValidRetention or None
        A raw retention frame, an already checked one, or nothing.

    Returns
    -------
    ValidRetention or None
        The checked frame, or ``None``.
    """
    if df is None or isinstance(df, ValidRetention):
        return df
    return ValidRetention(validate_retention(df))
