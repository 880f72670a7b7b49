"""``fc.fill_gaps``: missing dates of regular series filled by a method the caller names.

Filling is never done for you: a gap stays a gap (and models that need regular steps refuse
it) until :func:`fill_gaps` is called, and every row it adds is marked ``filled=True``. The
backtest never scores a filled row: its actual is treated as missing (``n_missing``).
"""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np
import pandas as pd

from forecast.errors import ConfigError, DomainError, HistoryError, format_rows
from forecast.schema import (
    DS,
    FILLED,
    QUALIFIER,
    UNIQUE_ID,
    Y_TEXT,
    Y,
    infer_frequency,
    missing_dates,
    valid_series,
)

__all__ = ["FillMethod", "FILL_METHODS", "fill_gaps"]

FillMethod = Literal["linear", "log-linear", "seasonal", "carry-forward", "none"]
FILL_METHODS: tuple[str, ...] = get_args(FillMethod)
"""The methods of :func:`fill_gaps`."""


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
    """Fill the missing dates of each regular series, marking every added row.

    Parameters
    ----------
    df : DataFrame
        A series frame (validated here).
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
        that is True on added rows; ``int(out["filled"].sum())`` counts them.

    Raises
    ------
    ConfigError
        An unknown method or a seasonal period below 2.
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
    """
    if method not in FILL_METHODS:
        raise ConfigError(f"method={method!r}: use one of {', '.join(FILL_METHODS)}.")
    if seasonal_period is not None and (
        isinstance(seasonal_period, bool)
        or not isinstance(seasonal_period, int)
        or seasonal_period < 2
    ):
        raise ConfigError(f"seasonal_period={seasonal_period!r}: give a whole number >= 2.")
    frame = valid_series(df).frame
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
    return (
        out[[*frame.columns, FILLED]]
        .sort_values([UNIQUE_ID, DS], kind="mergesort")
        .reset_index(drop=True)
    )
