"""Checks of a raw frame's shape and of its columns' values, shared by the validators.

Each check either returns the column converted to its contract type or raises a
:class:`~forecast.errors.DataError` naming the series, the column and the rows, and saying what
to do. Nothing is dropped, filled, clipped or guessed: a value the contract does not define
(a complex number, a boolean, a date in a number column, time zones that disagree, a date
pandas cannot hold) is an error, not a conversion.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from forecast.errors import DuplicateError, MissingValueError, SchemaError, format_rows
from forecast.schema.columns import UNIQUE_ID
from forecast.schema.dates import (
    beyond_pandas_range,
    parse_date_text,
    period_start,
    to_datetimes,
)
from forecast.schema.frequency import FIRST_DATE, LAST_DATE

__all__ = [
    "rows_of",
    "series_of",
    "check_frame",
    "parse_ids",
    "parse_dates",
    "parse_numbers",
    "check_duplicates",
]

_CONTAINERS = (list, tuple, dict, set, frozenset, np.ndarray, bytes, bytearray)


def rows_of(mask: pd.Series | np.ndarray, index: pd.Index) -> list[object]:
    """Return the labels of ``index`` where ``mask`` is true."""
    return list(index[np.asarray(mask, dtype=bool)])


def series_of(df: pd.DataFrame, mask: pd.Series) -> str | None:
    """Return the ``unique_id`` of the first row where ``mask`` is true, or None."""
    if UNIQUE_ID in df.columns and mask.any():
        return str(df.loc[mask.to_numpy(dtype=bool), UNIQUE_ID].iloc[0])
    return None


def _where(series: str | None) -> str:
    return f" of series {series!r}" if series is not None else ""


def _examples(values: pd.Series) -> str:
    return ", ".join(repr(v) for v in values.head(3).tolist())


def _fail(
    error: type[SchemaError] | type[MissingValueError],
    df: pd.DataFrame,
    column: str,
    mask: pd.Series,
    what: str,
    todo: str,
) -> SchemaError | MissingValueError:
    """Build the error for the rows of ``mask``: ``what`` is wrong, ``todo`` fixes it."""
    series = series_of(df, mask)
    rows = rows_of(mask, df.index)
    return error(
        f"column {column!r}{_where(series)} has {int(mask.sum())} {what} (rows "
        f"{format_rows(rows)}: {_examples(df.loc[mask.to_numpy(dtype=bool), column])}). {todo}",
        series=series,
        column=column,
        rows=rows,
    )


def check_frame(df: object, required: Sequence[str], kind: str, hint: str) -> None:
    """Check that ``df`` is a non-empty DataFrame with flat, distinct names and ``required``.

    Raises
    ------
    SchemaError
        Not a DataFrame, MultiIndex columns, two columns of one name, a required column
        missing, or no rows.
    """
    if not isinstance(df, pd.DataFrame):
        raise SchemaError(
            f"expected a pandas DataFrame of kind {kind!r}, got {type(df).__name__}. {hint}"
        )
    if isinstance(df.columns, pd.MultiIndex):
        raise SchemaError(
            f"the {kind} frame has MultiIndex columns ({df.columns.nlevels} levels, first "
            f"{df.columns[0]!r}); the contract needs one level of names. Flatten them first, "
            f"e.g. df.columns = ['_'.join(map(str, c)).strip('_') for c in df.columns]. {hint}"
        )
    repeated = df.columns[df.columns.duplicated()].unique()
    if len(repeated):
        names = ", ".join(repr(name) for name in repeated)
        raise SchemaError(
            f"the {kind} frame has more than one column named {names}; each column needs its "
            "own name. Rename or drop the copies (df.columns.duplicated() finds them).",
            column=str(repeated[0]),
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


def parse_ids(df: pd.DataFrame, column: str = UNIQUE_ID) -> pd.Series:
    """``column`` as str: every row names its series with a scalar (text or a whole number)."""
    raw = df[column]
    empty = raw.isna()
    if empty.any():
        rows = rows_of(empty, df.index)
        raise MissingValueError(
            f"column {column!r} is empty in {int(empty.sum())} row(s) (rows "
            f"{format_rows(rows)}). Give every row the name of its series.",
            column=column,
            rows=rows,
        )
    if raw.dtype == object:
        containers = raw.map(lambda v: isinstance(v, _CONTAINERS)).astype(bool)
        if containers.any():
            rows = rows_of(containers, df.index)
            raise SchemaError(
                f"column {column!r} has {int(containers.sum())} value(s) that are not names "
                f"(rows {format_rows(rows)}: {_examples(raw[containers])}). Name each series "
                "with text such as 'kimi/dau/all'.",
                column=column,
                rows=rows,
            )
    return raw.astype(str)


def _zone(value: object) -> str | None:
    """Return the zone written in a date, ``"none"`` without one, None if not a date."""
    if isinstance(value, str):
        if period_start(value) is not None:  # a quarter or a week: no zone (pandas 3 warns)
            return "none"
        try:
            value = pd.Timestamp(value)
        except (ValueError, OverflowError):
            return None
    if isinstance(value, dt.datetime):
        return "none" if value.tzinfo is None else str(value.tzinfo)
    return None


def _check_zones(df: pd.DataFrame, column: str, values: pd.Series) -> None:
    """Raise when the dates of ``values`` carry different time zones (or some carry none)."""
    zones = values.map(_zone)
    kinds = zones.dropna().unique()
    if len(kinds) < 2:
        return
    first = zones == kinds[0]
    other = zones.notna() & ~first
    listing = "; ".join(
        f"{'no zone' if zone == 'none' else zone} in rows "
        f"{format_rows(rows_of(zones == zone, df.index))}"
        for zone in kinds[:3]
    )
    series = series_of(df, other)
    rows = rows_of(other, df.index)
    raise SchemaError(
        f"column {column!r}{_where(series)} mixes time zones ({listing}). Give every date the "
        f"same zone, e.g. df[{column!r}] = pd.to_datetime(df[{column!r}], utc=True)"
        ".dt.tz_convert('Asia/Shanghai'), or write local dates without a zone; the dates of one "
        "zone are read as their local dates.",
        series=series,
        column=column,
        rows=rows,
    )


def _check_range(df: pd.DataFrame, column: str, parsed: pd.Series) -> None:
    outside = parsed.notna() & ((parsed < pd.Timestamp.min) | (parsed > pd.Timestamp.max))
    _range_error(df, column, outside)


def _range_error(df: pd.DataFrame, column: str, outside: pd.Series) -> None:
    if outside.any():
        raise _fail(
            SchemaError,
            df,
            column,
            outside,
            f"date(s) outside the range pandas supports, {FIRST_DATE:%Y-%m-%d} to "
            f"{LAST_DATE:%Y-%m-%d}",
            "Correct them (a typo in the year?) or remove those rows.",
        )


def _to_datetime(df: pd.DataFrame, column: str, values: pd.Series) -> pd.Series:
    try:
        if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
            return parse_date_text(values, column)  # one format per column, never guessed
        return to_datetimes(values, "mixed")
    except SchemaError:
        raise
    except (ValueError, TypeError) as err:  # mixed zones, or a zone mixed with naive dates
        _check_zones(df, column, values)
        raise SchemaError(
            f"column {column!r} could not be read as dates ({err}). Write dates as YYYY-MM-DD.",
            column=column,
        ) from err


def _is_number(value: object) -> bool:
    number = isinstance(value, (bool, int, float, complex, np.number))
    return number and bool(value == value)  # NaN is a missing date, not a number


def parse_dates(df: pd.DataFrame, column: str) -> pd.Series:
    """``column`` as datetime64[ns]: dates of one time zone (read as local dates) or none.

    Raises
    ------
    SchemaError
        Values that are not dates (numbers included), dates of different time zones, or dates
        outside 1677-09-22 to 2262-04-11.
    """
    raw = df[column]
    if pd.api.types.is_datetime64_any_dtype(raw):
        parsed = raw
        numbers = pd.Series(False, index=df.index)
    else:
        numbers = raw.map(_is_number).astype(bool)
        text = raw.where(~numbers, None).astype(object)
        parsed = _to_datetime(df, column, text)
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    bad = parsed.isna() | numbers
    if bad.any():
        _check_zones(df, column, raw.astype(object))
        beyond = bad.copy()
        beyond[bad] = raw[bad].astype(object).map(beyond_pandas_range).astype(bool).to_numpy()
        _range_error(df, column, beyond)
        raise _fail(
            SchemaError,
            df,
            column,
            bad,
            "value(s) that are not dates",
            "Write dates as YYYY-MM-DD and remove empty ones.",
        )
    _check_range(df, column, parsed)
    return parsed.astype("datetime64[ns]")


def _not_real(raw: pd.Series) -> str | None:
    """Say what a column holds instead of real numbers (by dtype); None if numeric."""
    dtype = raw.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "booleans"
    if pd.api.types.is_complex_dtype(dtype):
        return "complex numbers"
    if pd.api.types.is_datetime64_any_dtype(dtype) or isinstance(dtype, pd.PeriodDtype):
        return "dates"
    if pd.api.types.is_timedelta64_dtype(dtype):
        return "durations"
    if isinstance(dtype, pd.IntervalDtype):
        return "intervals"
    return None


def _odd_objects(raw: pd.Series) -> pd.Series:
    """Rows of an object column holding booleans or complex numbers (which to_numeric accepts)."""
    if raw.dtype != object:
        return pd.Series(False, index=raw.index)
    return raw.map(lambda v: isinstance(v, (bool, np.bool_, complex, np.complexfloating))).astype(
        bool
    )


def parse_numbers(df: pd.DataFrame, column: str, what: str, then: str = "") -> pd.Series:
    """``column`` as float64 of finite real numbers (numbers written as text are read).

    ``then`` follows "Remove those rows" in the error of missing values (what to do next).

    Raises
    ------
    SchemaError
        Booleans, complex numbers, dates, durations or other values that are not numbers.
    MissingValueError
        NaN or infinite values.
    """
    raw = df[column]
    holds = _not_real(raw)
    if holds is not None:
        raise SchemaError(
            f"column {column!r}{_where(series_of(df, raw.notna()))} holds {holds} (dtype "
            f"{raw.dtype}); it must hold {what}. Convert the column yourself if that is what you "
            "mean; nothing is converted for you.",
            series=series_of(df, raw.notna()),
            column=column,
        )
    odd = _odd_objects(raw)
    if odd.any():
        raise _fail(
            SchemaError, df, column, odd, "booleans or complex numbers", f"Give {what} instead."
        )
    numbers = pd.to_numeric(raw, errors="coerce").astype("float64")
    not_numbers = numbers.isna() & raw.notna()
    if not_numbers.any():
        raise _fail(
            SchemaError,
            df,
            column,
            not_numbers,
            "value(s) that are not numbers",
            f"Convert them to {what}.",
        )
    missing = pd.Series(~np.isfinite(numbers.to_numpy()), index=df.index)
    if missing.any():
        raise _fail(
            MissingValueError,
            df,
            column,
            missing,
            "missing or infinite value(s)",
            f"Remove those rows{then} or fill them yourself before forecasting; nothing is "
            "filled for you.",
        )
    return numbers


def check_duplicates(df: pd.DataFrame, keys: list[str], hint: str) -> None:
    """Raise :class:`DuplicateError` when two rows share the values of ``keys``."""
    dup = df.duplicated(keys, keep=False)
    if dup.any():
        series = series_of(df, dup)
        rows = rows_of(dup, df.index)
        first = df.loc[dup.to_numpy(dtype=bool)].iloc[0]
        key_text = ", ".join(f"{k}={first[k]!s}" for k in keys if k != UNIQUE_ID)
        where = f"series {series!r}" if series is not None else "the frame"
        raise DuplicateError(
            f"{where} has {int(dup.sum())} rows sharing a key in column {keys[-1]!r} (rows "
            f"{format_rows(rows)}; first: {key_text}). {hint}",
            series=series,
            column=str(keys[-1]),
            rows=rows,
        )
