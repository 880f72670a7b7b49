"""Column names, level naming, frequency inference and validation of the package's frames.

This module is the one place that knows the data contract:

========== ===========================================================================
frame      columns
========== ===========================================================================
series     ``unique_id`` (str), ``ds`` (datetime64), ``y`` (float); optional ``entity``,
           ``metric``, ``channel``, ``qualifier``, ``source``
retention  ``cohort`` (datetime64), ``age`` (int, periods), ``retention`` (float in [0, 1]);
           optional ``unique_id``, ``cohort_size``
forecast   ``unique_id``, ``model``, ``ds``, ``yhat``, then ``yhat_lo_<L>``, ``yhat_hi_<L>``
backtest   forecast columns plus ``cutoff`` and ``y``
========== ===========================================================================

Nothing is dropped, filled or clipped: anything that breaks the contract raises a
:class:`~forecast.errors.DataError` naming the series, the column and the rows.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from forecast.errors import (
    ConfigError,
    DomainError,
    DuplicateError,
    MissingValueError,
    SchemaError,
    format_rows,
)

__all__ = [
    "ValidSeries",
    "ValidRetention",
    "valid_series",
    "valid_retention",
    "UNIQUE_ID",
    "DS",
    "Y",
    "MODEL",
    "YHAT",
    "CUTOFF",
    "QUALIFIER",
    "ENTITY",
    "METRIC",
    "CHANNEL",
    "SOURCE",
    "COHORT",
    "AGE",
    "RETENTION",
    "COHORT_SIZE",
    "SHARE",
    "PART",
    "N_FLOORED",
    "WINDOW",
    "STEP",
    "SCALE",
    "SEASONAL_PERIOD",
    "NOTE",
    "QUALIFIERS",
    "COUNT_METRICS",
    "Frequency",
    "level_column",
    "parse_level_column",
    "interval_columns",
    "forecast_columns",
    "check_levels",
    "infer_frequency",
    "future_dates",
    "missing_dates",
    "series_report",
    "is_count_metric",
    "metric_of",
    "validate",
    "validate_series",
    "validate_retention",
]

UNIQUE_ID = "unique_id"
DS = "ds"
Y = "y"
MODEL = "model"
YHAT = "yhat"
CUTOFF = "cutoff"
ENTITY = "entity"
METRIC = "metric"
CHANNEL = "channel"
QUALIFIER = "qualifier"
SOURCE = "source"
COHORT = "cohort"
AGE = "age"
RETENTION = "retention"
COHORT_SIZE = "cohort_size"
SHARE = "share"
"""Shares: the share of a product in its market, a fraction in [0, 1]."""
PART = "part"
"""Shares: ``"history"`` for observed shares, ``"forecast"`` for forecast ones."""
N_FLOORED = "n_floored"
"""Shares: how many sample paths of a product had a negative value floored at zero on that date."""
WINDOW = "window"
"""Backtests: the number of the rolling-origin window, 0 for the earliest cutoff."""
STEP = "step"
"""Backtests: the horizon step of a forecast, 1 for the first date after its cutoff."""
SCALE = "scale"
"""Backtests: the in-sample seasonal-naive mean absolute error of the training window (MASE's scale)."""
SEASONAL_PERIOD = "seasonal_period"
"""Backtests: the season length behind ``scale``."""
NOTE = "note"
"""Metrics: why a value is NaN (empty when every value is defined)."""

SERIES_REQUIRED = (UNIQUE_ID, DS, Y)
SERIES_OPTIONAL = (ENTITY, METRIC, CHANNEL, QUALIFIER, SOURCE)
RETENTION_REQUIRED = (COHORT, AGE, RETENTION)

QUALIFIERS: tuple[str, ...] = ("=", ">=", "<=", "~")
"""Allowed values of ``qualifier``: a point, a lower bound, an upper bound, an approximate point."""

COUNT_METRICS: frozenset[str] = frozenset(
    {"dau", "mau", "wau", "visits", "users", "subscribers", "downloads", "installs", "sessions"}
)
"""Metric words that make a series a count (negative values are then an error)."""

_NOT_COUNT_WORDS = frozenset({"change", "ratio", "share", "rate", "growth", "pct", "mom", "yoy"})

_LEVEL_PATTERN = re.compile(r"^yhat_(lo|hi)_(\d+(?:\.\d+)?)$")


# --------------------------------------------------------------------------------------- levels
def check_levels(levels: Iterable[float]) -> tuple[float, ...]:
    """Check prediction-interval levels and return them sorted and de-duplicated.

    Parameters
    ----------
    levels : iterable of float
        Percentages strictly between 0 and 100.

    Returns
    -------
    tuple of float
        The levels in increasing order.

    Raises
    ------
    ConfigError
        A level outside (0, 100) or not a number.
    """
    out = []
    for level in levels:
        try:
            value = float(level)
        except (TypeError, ValueError) as err:
            raise ConfigError(
                f"level {level!r} is not a number; give percentages such as 80 and 95."
            ) from err
        if not 0 < value < 100 or math.isnan(value):
            raise ConfigError(
                f"level {level!r} is outside (0, 100); give percentages such as 80 and 95."
            )
        out.append(value)
    return tuple(sorted(set(out)))


def _format_level(level: float) -> str:
    value = float(level)
    return str(int(value)) if value.is_integer() else repr(value)


def level_column(level: float, side: Literal["lo", "hi"], *, prefix: str = YHAT) -> str:
    """Name of the interval column for ``level`` on ``side``: ``yhat_lo_80``, ``yhat_hi_97.5``
    (``share_lo_80`` with ``prefix=SHARE``).
    """
    if side not in ("lo", "hi"):
        raise ConfigError(f"side must be 'lo' or 'hi', not {side!r}.")
    return f"{prefix}_{side}_{_format_level(level)}"


def parse_level_column(name: str) -> tuple[Literal["lo", "hi"], float] | None:
    """Parse ``yhat_lo_80`` into ``("lo", 80.0)``; return None for any other column name."""
    match = _LEVEL_PATTERN.match(name)
    if match is None:
        return None
    side: Literal["lo", "hi"] = "lo" if match.group(1) == "lo" else "hi"
    return side, float(match.group(2))


def interval_columns(levels: Iterable[float]) -> list[str]:
    """Interval columns in the contract's order: for each level, ``lo`` then ``hi``."""
    cols: list[str] = []
    for level in check_levels(levels):
        cols += [level_column(level, "lo"), level_column(level, "hi")]
    return cols


def forecast_columns(levels: Iterable[float], *, backtest: bool = False) -> list[str]:
    """Columns of a forecast (or backtest) frame, in their fixed order."""
    head = [UNIQUE_ID, MODEL]
    if backtest:
        head.append(CUTOFF)
    cols = head + [DS, YHAT] + interval_columns(levels)
    if backtest:
        cols.append(Y)
    return cols


# ------------------------------------------------------------------------------------ frequency
@dataclass(frozen=True)
class Frequency:
    """The step of a series.

    Attributes
    ----------
    name : str
        ``"daily"``, ``"weekly"``, ``"monthly"``, ``"quarterly"``, ``"yearly"``, or a
        description such as ``"every 1h"`` for sub-daily steps.
    offset : pandas.DateOffset
        One step; ``ds + offset`` is the next date on the grid.
    seasonal_period : int
        The usual season length in steps: 7 daily, 52 weekly, 12 monthly, 4 quarterly, 1 yearly.
    """

    name: str
    offset: pd.DateOffset
    seasonal_period: int

    def __str__(self) -> str:
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


def future_dates(last: pd.Timestamp, frequency: Frequency, h: int) -> pd.DatetimeIndex:
    """The ``h`` dates after ``last`` on the grid of ``frequency``."""
    dates = [pd.Timestamp(last)]
    for _ in range(h):
        dates.append(dates[-1] + frequency.offset)
    return pd.DatetimeIndex(dates[1:])


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


# ----------------------------------------------------------------------------------- validation
def is_count_metric(metric: str) -> bool:
    """True when a metric name denotes a count (``dau``, ``mau_app``, ``monthly_visits``)."""
    words = set(re.split(r"[^a-z]+", str(metric).lower()))
    return bool(words & COUNT_METRICS) and not words & _NOT_COUNT_WORDS


def _rows_of(mask: pd.Series | np.ndarray, index: pd.Index) -> list[object]:
    return list(index[np.asarray(mask, dtype=bool)])


def _series_of(df: pd.DataFrame, mask: pd.Series) -> str | None:
    if UNIQUE_ID in df.columns and mask.any():
        return str(df.loc[mask, UNIQUE_ID].iloc[0])
    return None


def _check_columns(df: pd.DataFrame, required: Sequence[str], kind: str, hint: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise SchemaError(
            f"expected a pandas DataFrame of kind {kind!r}, got {type(df).__name__}. {hint}"
        )
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise SchemaError(
            f"the {kind} frame lacks the required column(s) {', '.join(map(repr, missing))} "
            f"(it has {', '.join(map(repr, map(str, df.columns))) or 'no columns'}). {hint}",
            column=missing[0],
        )
    if len(df) == 0:
        raise SchemaError(f"the {kind} frame is empty: there is nothing to validate or forecast.")


def _parse_dates(df: pd.DataFrame, column: str) -> pd.Series:
    raw = df[column]
    if pd.api.types.is_datetime64_any_dtype(raw):
        parsed = pd.to_datetime(raw)
        numbers = pd.Series(False, index=df.index)
    else:
        numbers = raw.map(
            lambda v: isinstance(v, (bool, int, float, np.number)) and not pd.isna(v)
        ).astype(bool)
        text = raw.where(~numbers, None).astype(object)
        parsed = pd.to_datetime(text, errors="coerce", format="mixed")
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    bad = parsed.isna() | numbers
    if bad.any():
        series = _series_of(df, bad)
        where = f" of series {series!r}" if series is not None else ""
        rows = _rows_of(bad, df.index)
        examples = ", ".join(repr(v) for v in raw[bad].head(3).tolist())
        raise SchemaError(
            f"column {column!r}{where} has {int(bad.sum())} value(s) that are not dates (rows "
            f"{format_rows(rows)}: {examples}). Write dates as YYYY-MM-DD and remove empty ones.",
            series=series,
            column=column,
            rows=rows,
        )
    return parsed.astype("datetime64[ns]")


def _parse_numbers(df: pd.DataFrame, column: str, what: str) -> pd.Series:
    raw = df[column]
    if pd.api.types.is_bool_dtype(raw):
        raise SchemaError(f"column {column!r} holds booleans; it must hold {what}.", column=column)
    numbers = pd.to_numeric(raw, errors="coerce").astype("float64")
    not_numbers = numbers.isna() & raw.notna()
    if not_numbers.any():
        series = _series_of(df, not_numbers)
        rows = _rows_of(not_numbers, df.index)
        examples = ", ".join(repr(v) for v in raw[not_numbers].head(3).tolist())
        raise SchemaError(
            f"column {column!r} of series {series!r} has {int(not_numbers.sum())} value(s) that are "
            f"not numbers (rows {format_rows(rows)}: {examples}). Convert them to {what}.",
            series=series,
            column=column,
            rows=rows,
        )
    missing = ~np.isfinite(numbers.to_numpy())
    if missing.any():
        mask = pd.Series(missing, index=df.index)
        series = _series_of(df, mask)
        rows = _rows_of(mask, df.index)
        raise MissingValueError(
            f"column {column!r} of series {series!r} has {int(missing.sum())} missing or infinite "
            f"value(s) (rows {format_rows(rows)}). Remove those rows or fill them yourself before "
            "forecasting; nothing is filled for you.",
            series=series,
            column=column,
            rows=rows,
        )
    return numbers


def _check_duplicates(df: pd.DataFrame, keys: list[str], hint: str) -> None:
    dup = df.duplicated(keys, keep=False)
    if dup.any():
        series = _series_of(df, dup)
        rows = _rows_of(dup, df.index)
        first = df.loc[dup].iloc[0]
        key_text = ", ".join(f"{k}={first[k]!s}" for k in keys if k != UNIQUE_ID)
        where = f"series {series!r}" if series is not None else "the frame"
        raise DuplicateError(
            f"{where} has {int(dup.sum())} rows sharing a key in column {keys[-1]!r} (rows "
            f"{format_rows(rows)}; first: {key_text}). {hint}",
            series=series,
            column=keys[-1],
            rows=rows,
        )


def metric_of(df: pd.DataFrame) -> pd.Series:
    """The metric of each row: column ``metric``, or else the second part of ``unique_id``
    (``entity/metric/channel``), ``""`` for an id without one; each distinct id is parsed once.
    """
    if METRIC in df.columns:
        return df[METRIC].astype(str)
    codes, ids = pd.factorize(df[UNIQUE_ID].astype(str))
    metrics = np.array([uid.split("/")[1] if "/" in uid else "" for uid in ids], dtype=object)
    return pd.Series(metrics[codes], index=df.index, dtype=object)


def _count_rows(df: pd.DataFrame) -> np.ndarray:
    """Whether each row belongs to a count metric (:func:`metric_of`, :func:`is_count_metric`)."""
    codes, metrics = pd.factorize(metric_of(df))
    return np.array([is_count_metric(metric) for metric in metrics], dtype=bool)[codes]


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
        ``unique_id`` and ``ds``, and a fresh RangeIndex. The input is not modified.

    Raises
    ------
    SchemaError
        Missing columns, dates that do not parse, values that are not numbers, an empty frame.
    DuplicateError
        The same (``unique_id``, ``ds``) twice.
    MissingValueError
        NaN or infinite ``y``.
    DomainError
        Negative values of a count metric (dau, mau, wau, visits, users, ...), or a
        ``qualifier`` other than ``=``, ``>=``, ``<=``, ``~``.
    """
    _check_columns(
        df,
        SERIES_REQUIRED,
        "series",
        "A series frame needs 'unique_id', 'ds' and 'y'; for one series add a name with "
        "df.assign(unique_id='my_series').",
    )
    out = df.copy()
    uid = out[UNIQUE_ID]
    if uid.isna().any():
        mask = uid.isna()
        rows = _rows_of(mask, out.index)
        raise MissingValueError(
            f"column 'unique_id' is empty in {int(mask.sum())} row(s) (rows {format_rows(rows)}). "
            "Give every row the name of its series.",
            column=UNIQUE_ID,
            rows=rows,
        )
    out[UNIQUE_ID] = uid.astype(str)
    out[DS] = _parse_dates(out, DS)
    out[Y] = _parse_numbers(out, Y, "floats")
    if QUALIFIER in out.columns:
        qual = out[QUALIFIER].astype("string").str.strip()
        bad = qual.isna() | ~qual.isin(QUALIFIERS)
        if bad.any():
            series = _series_of(out, bad)
            rows = _rows_of(bad, out.index)
            values = sorted({str(v) for v in out.loc[bad, QUALIFIER].tolist()})
            raise DomainError(
                f"column 'qualifier' of series {series!r} has unknown value(s) "
                f"{', '.join(map(repr, values))} (rows {format_rows(rows)}). Use '=' for a point, "
                "'>=' for a lower bound, '<=' for an upper bound, '~' for an approximate value.",
                series=series,
                column=QUALIFIER,
                rows=rows,
            )
        out[QUALIFIER] = qual.astype(object)
    else:
        out[QUALIFIER] = "="
    _check_duplicates(
        out,
        [UNIQUE_ID, DS],
        "Keep one value per series and date (aggregate them, or give the other source its own unique_id).",
    )
    negative = pd.Series(_count_rows(out) & (out[Y].to_numpy() < 0), index=out.index)
    if negative.any():
        series = _series_of(out, negative)
        rows = _rows_of(negative, out.index)
        raise DomainError(
            f"series {series!r} is a count but column 'y' has {int(negative.sum())} negative value(s) "
            f"(rows {format_rows(rows)}). Counts of users or visits cannot be negative: correct the "
            "data, or set 'metric' to a name that is not a count (e.g. 'dau_change').",
            series=series,
            column=Y,
            rows=rows,
        )
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
        optional ``unique_id`` (the product) and ``cohort_size`` (users in the cohort, > 0).

    Returns
    -------
    DataFrame
        A typed copy sorted by (``unique_id``,) ``cohort``, ``age`` with a fresh RangeIndex.

    Raises
    ------
    SchemaError, DuplicateError, MissingValueError, DomainError
        As for :func:`validate_series`; ages must be non-negative whole numbers and retention
        must lie in [0, 1].
    """
    _check_columns(
        df,
        RETENTION_REQUIRED,
        "retention",
        "A retention frame needs 'cohort' (start date), 'age' (periods since the start) and "
        "'retention' (a fraction in [0, 1]).",
    )
    out = df.copy()
    if UNIQUE_ID in out.columns:
        out[UNIQUE_ID] = out[UNIQUE_ID].astype(str)
    out[COHORT] = _parse_dates(out, COHORT)
    age = _parse_numbers(out, AGE, "whole numbers of periods")
    bad_age = (age < 0) | (age != np.round(age))
    if bad_age.any():
        series = _series_of(out, bad_age)
        rows = _rows_of(bad_age, out.index)
        raise DomainError(
            f"column 'age' has {int(bad_age.sum())} negative or fractional value(s) (rows "
            f"{format_rows(rows)}). Ages count whole periods since the cohort started, from 0.",
            series=series,
            column=AGE,
            rows=rows,
        )
    out[AGE] = age.astype("int64")
    out[RETENTION] = _parse_numbers(out, RETENTION, "fractions in [0, 1]")
    outside = (out[RETENTION] < 0) | (out[RETENTION] > 1)
    if outside.any():
        series = _series_of(out, outside)
        rows = _rows_of(outside, out.index)
        raise DomainError(
            f"column 'retention' has {int(outside.sum())} value(s) outside [0, 1] (rows "
            f"{format_rows(rows)}). Give retention as a fraction (0.23, not 23%).",
            series=series,
            column=RETENTION,
            rows=rows,
        )
    if COHORT_SIZE in out.columns:
        size = _parse_numbers(out, COHORT_SIZE, "positive numbers of users")
        bad = size <= 0
        if bad.any():
            rows = _rows_of(bad, out.index)
            raise DomainError(
                f"column 'cohort_size' has {int(bad.sum())} value(s) <= 0 (rows {format_rows(rows)}). "
                "A cohort size is the number of users who started in it.",
                series=_series_of(out, bad),
                column=COHORT_SIZE,
                rows=rows,
            )
        out[COHORT_SIZE] = size
    keys = ([UNIQUE_ID] if UNIQUE_ID in out.columns else []) + [COHORT, AGE]
    _check_duplicates(out, keys, "Keep one retention figure per cohort and age.")
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
