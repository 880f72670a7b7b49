"""``fc.fill_gaps``: missing values of regular series filled by a method the caller names.

Filling is never done for you: a gap stays a gap (and models that need regular steps refuse
it, as the contract refuses an empty value) until :func:`fill_gaps` is called, and every row it
fills is marked ``filled=True``. A gap is a date without a row or a row without a value. The
backtest never scores a filled row: its actual is treated as missing (``n_missing``).
"""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np
import pandas as pd

from forecast.errors import (
    ConfigError,
    DomainError,
    DuplicateError,
    HistoryError,
    MissingValueError,
    format_rows,
)
from forecast.schema import (
    DS,
    FILLED,
    QUALIFIER,
    UNIQUE_ID,
    Y_TEXT,
    ValidSeries,
    Y,
    infer_frequency,
    missing_dates,
    valid_series,
)

__all__ = ["FillMethod", "FILL_METHODS", "fill_gaps"]

FillMethod = Literal["linear", "log-linear", "seasonal", "carry-forward", "none"]
FILL_METHODS: tuple[str, ...] = get_args(FillMethod)
"""The methods of :func:`fill_gaps`."""

_ROW = "__row__"
"""Column that carries the caller's row labels of the empty values through validation."""


def _linear(position: np.ndarray, values: np.ndarray, known: np.ndarray) -> np.ndarray:
    return np.interp(position, position[known], values[known])


def _seasonal(
    position: np.ndarray, values: np.ndarray, known: np.ndarray, period: int
) -> np.ndarray:
    """Interpolate each phase of the season across seasons (Mondays from Mondays)."""
    out = values.copy()
    for phase in range(period):
        same = position % period == phase
        if (same & ~known).any():
            out[same] = np.interp(position[same], position[same & known], values[same & known])
    return out


def _carry_forward(values: np.ndarray, known: np.ndarray) -> np.ndarray:
    last = np.maximum.accumulate(np.where(known, np.arange(len(values)), 0))
    return values[last]


def _check_seasonal(uid: str, grid: pd.DatetimeIndex, known: np.ndarray, period: int) -> None:
    position = np.arange(len(grid))
    lonely = [
        grid[int(i)].strftime("%Y-%m-%d")
        for i in np.flatnonzero(~known)
        if not (known & (position % period == i % period) & (position < i)).any()
        or not (known & (position % period == i % period) & (position > i)).any()
    ]
    if lonely:
        raise HistoryError(
            f"series {uid!r}: seasonal filling needs the same season phase observed before and "
            f"after each gap (period {period}); dates {format_rows(lonely)} lack one. Use "
            "method='linear', or give seasonal_period.",
            series=uid,
            column=DS,
            rows=lonely,
        )


def _fill_one(
    uid: str, group: pd.DataFrame, method: str, seasonal_period: int | None
) -> pd.DataFrame:
    frequency = infer_frequency(group[DS])
    gaps = missing_dates(group[DS], frequency)
    if not len(gaps) or method == "none" or frequency is None:
        return group.assign(**{FILLED: False})
    grid = group[DS].to_list() + list(gaps)
    full = pd.DataFrame({DS: grid}).sort_values(DS, kind="mergesort").reset_index(drop=True)
    full = full.merge(group, on=DS, how="left")
    known = full[UNIQUE_ID].notna().to_numpy()
    values = full[Y].to_numpy(dtype=float)
    position = np.arange(len(full))
    if method == "linear":
        filled = _linear(position, values, known)
    elif method == "log-linear":
        if (values[known] <= 0).any():
            raise DomainError(
                f"series {uid!r} has values <= 0 in column 'y'; log-linear filling needs "
                "positive values. Use method='linear'.",
                series=uid,
                column=Y,
            )
        filled = np.exp(_linear(position, np.log(np.where(known, values, 1.0)), known))
    elif method == "seasonal":
        period = seasonal_period or frequency.seasonal_period
        _check_seasonal(uid, pd.DatetimeIndex(full[DS]), known, period)
        filled = _seasonal(position, values, known, period)
    else:
        filled = _carry_forward(values, known)
    constant = [c for c in group.columns if c not in (DS, Y, Y_TEXT) and group[c].nunique() <= 1]
    for column in constant:
        full[column] = full[column].fillna(group[column].iloc[0]) if len(group) else full[column]
    full[QUALIFIER] = full[QUALIFIER].fillna("=")
    full[Y] = np.where(known, values, filled)
    full[FILLED] = ~known
    return full


def fill_gaps(
    df: pd.DataFrame,
    method: FillMethod,
    *,
    seasonal_period: int | None = None,
) -> pd.DataFrame:
    """Fill the missing dates and empty values of each regular series, marking every filled row.

    Parameters
    ----------
    df : DataFrame
        A series frame (validated here). A row whose ``y`` is missing (NaN: an empty cell of a
        file) is a gap like a date without a row, filled and marked the same way, unless the
        method is ``"none"``.
    method : {"linear", "log-linear", "seasonal", "carry-forward", "none"}
        ``linear``: straight lines between the neighbours of a gap. ``log-linear``: straight
        lines on the log scale (constant growth rate; positive values only). ``seasonal``:
        each phase of the season from the same phase before and after (a missing Monday
        from the Mondays around it). ``carry-forward``: the last value before the gap.
        ``none``: no rows are added; the gaps stay for models that handle irregular series.
    seasonal_period : int, optional
        The season length of ``seasonal``; by default the frequency's usual one (7 daily,
        52 weekly, 12 monthly, 4 quarterly).

    Returns
    -------
    DataFrame
        The validated frame with the missing dates added (``qualifier`` ``=``, columns that
        are constant within a series copied, others missing) and a boolean ``filled`` column
        that is True on filled rows (dates added, empty values filled);
        ``int(out["filled"].sum())`` counts them.

    Raises
    ------
    ConfigError
        An unknown method or a seasonal period below 2.
    MissingValueError
        An empty value before the first or after the last value of its series (nothing to
        fill it from on one side), or with ``method="none"``.
    DomainError
        ``log-linear`` on a series with values <= 0.
    HistoryError
        ``seasonal`` where a gap has no observation of its phase before or after it.

    References
    ----------
    .. [1] Hyndman, R. J., & Athanasopoulos, G. (2021). Forecasting: principles and practice
       (3rd ed.), section 13.9 "Dealing with missing values and outliers". OTexts.
    .. [2] Moritz, S., & Bartz-Beielstein, T. (2017). imputeTS: Time Series Missing Value
       Imputation in R. The R Journal, 9(1), 207-218.

    Examples
    --------
    >>> import pandas as pd, forecast as fc
    >>> df = pd.DataFrame({"unique_id": "a", "ds": ["2024-01-01", "2024-01-08", "2024-01-22"],
    ...                    "y": [10.0, 20.0, 40.0]})
    >>> out = fc.fill_gaps(df, method="linear")
    >>> out[["y", "filled"]].values.tolist()
    [[10.0, False], [20.0, False], [30.0, True], [40.0, False]]
    >>> empty = pd.DataFrame({"unique_id": "a", "ds": ["2024-01-01", "2024-01-02", "2024-01-03"],
    ...                       "y": [10.0, None, 40.0]})
    >>> fc.fill_gaps(empty, method="linear")[["y", "filled"]].values.tolist()
    [[10.0, False], [25.0, True], [40.0, False]]
    """
    if method not in FILL_METHODS:
        raise ConfigError(f"method={method!r}: use one of {', '.join(FILL_METHODS)}.")
    if seasonal_period is not None and (
        isinstance(seasonal_period, bool)
        or not isinstance(seasonal_period, int)
        or seasonal_period < 2
    ):
        raise ConfigError(f"seasonal_period={seasonal_period!r}: give a whole number >= 2.")
    kept, empty = _split_empty_values(df, method)
    frame = valid_series(kept).frame
    if FILLED in frame.columns:
        raise ConfigError(
            f"the frame already has a {FILLED!r} column: its gaps were filled once. Fill the "
            "original frame instead."
        )
    parts = [
        _fill_one(str(uid), group, method, seasonal_period)
        for uid, group in frame.groupby(UNIQUE_ID, sort=True)
    ]
    out = pd.concat(parts, ignore_index=True)
    out[FILLED] = out[FILLED].astype(bool)
    if empty is not None:
        _check_empty_values_filled(empty, out)
    return (
        out[[*frame.columns, FILLED]]
        .sort_values([UNIQUE_ID, DS], kind="mergesort")
        .reset_index(drop=True)
    )


def _split_empty_values(
    df: pd.DataFrame | ValidSeries, method: str
) -> tuple[pd.DataFrame | ValidSeries, pd.DataFrame | None]:
    """Split off the rows whose ``y`` is missing (empty cells, NaN): their dates are gaps.

    Nothing is split off for ``method="none"``, a checked frame, or a frame whose values are
    all missing: the contract then refuses the empty values, naming their rows.
    """
    if isinstance(df, ValidSeries) or method == "none" or Y not in df.columns:
        return df, None
    empty = pd.isna(df[Y]).to_numpy(dtype=bool)
    if not empty.any() or empty.all():
        return df, None
    return df.loc[~empty], df.loc[empty]


def _check_empty_values_filled(empty: pd.DataFrame, out: pd.DataFrame) -> None:
    """Refuse an empty value that filling did not reach: at an end, or beside a value.

    Raises
    ------
    MissingValueError
        An empty value before the first or after the last value of its series (nothing on
        one side to fill it from).
    DuplicateError
        An empty value on the date of a value of the same series.
    """
    placed = empty.copy()
    placed[Y], placed[_ROW] = 0.0, list(empty.index)
    where = valid_series(placed).frame
    found = where[[UNIQUE_ID, DS, _ROW]].merge(
        out[[UNIQUE_ID, DS, FILLED]], on=[UNIQUE_ID, DS], how="left"
    )
    outside = found[found[FILLED].isna()]
    if len(outside):
        rows = outside[_ROW].tolist()
        uid = str(outside[UNIQUE_ID].iloc[0])
        raise MissingValueError(
            f"column 'y' of series {uid!r} is empty in {len(rows)} row(s) (rows "
            f"{format_rows(rows)}) before its first or after its last value, where there is "
            "nothing on one side to fill from. Remove those rows.",
            series=uid,
            column=Y,
            rows=rows,
        )
    beside = found[found[FILLED] == False]  # noqa: E712 (the column holds objects)
    if len(beside):
        rows = beside[_ROW].tolist()
        uid = str(beside[UNIQUE_ID].iloc[0])
        raise DuplicateError(
            f"series {uid!r} has an empty 'y' in {len(rows)} row(s) (rows {format_rows(rows)}) "
            "on the date of another row that has a value. Remove the empty rows.",
            series=uid,
            column=DS,
            rows=rows,
        )
