"""The cutoffs of a rolling-origin backtest, computed once per call and shared by every model.

Each series is cut on its own date grid, counted back from its own last date: with horizon
``h``, ``n_windows`` windows and ``step`` periods between cutoffs, the last cutoff lies ``h``
periods (of the series' inferred frequency) before the series' last date and each earlier one
``step`` periods before the next. So series of different lengths or frequencies each get
``n_windows`` full windows, and series that end on the same date with the same frequency share
the very same cutoff dates. A series without room for the windows is found here, before any
model runs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.errors import ConfigError, HistoryError, SchemaError
from forecast.models.base import check_horizon
from forecast.schema import (
    CUTOFF,
    DS,
    UNIQUE_ID,
    WINDOW,
    Frequency,
    ValidSeries,
    infer_frequency,
    valid_series,
)

__all__ = ["check_cutoffs", "cutoff_table", "make_cutoffs", "positive_int", "series_frequency"]


def positive_int(value: object, name: str) -> int:
    """Check that the argument ``name`` is a positive integer and return it as ``int``.

    Raises
    ------
    ConfigError
        ``value`` is not an integer >= 1 (booleans are refused).
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or int(value) < 1:
        raise ConfigError(f"{name} must be a positive integer, not {value!r}.")
    return int(value)


def series_frequency(group: pd.DataFrame, uid: str) -> Frequency:
    """Return the frequency of one series, which a backtest needs to count periods.

    Raises
    ------
    HistoryError
        The series has a single date.
    """
    frequency = infer_frequency(group[DS])
    if frequency is None:
        raise HistoryError(
            f"series {uid!r} has a single date, so it cannot be backtested; give it a longer "
            "history or leave it out of the frame.",
            series=uid,
            column=DS,
        )
    return frequency


def _too_short(
    group: pd.DataFrame, uid: str, h: int, n_windows: int, step: int, earliest: str
) -> HistoryError:
    first, last = group[DS].iloc[0], group[DS].iloc[-1]
    return HistoryError(
        f"series {uid!r} runs from {first:%Y-%m-%d} to {last:%Y-%m-%d}: too short for "
        f"{n_windows} window(s) of h={h} every {step} step(s) ({earliest}). Use fewer windows, "
        "a smaller step or horizon, or leave the series out.",
        series=uid,
        column=DS,
    )


def _series_cutoffs(
    group: pd.DataFrame, uid: str, h: int, n_windows: int, step: int
) -> pd.DatetimeIndex:
    frequency = series_frequency(group, uid)
    back = h + (n_windows - 1) * step
    first, last = group[DS].iloc[0], group[DS].iloc[-1]
    span = len(pd.date_range(first, last, freq=frequency.offset))
    if back >= span:
        raise _too_short(group, uid, h, n_windows, step, f"it spans {span} {frequency} dates")
    grid = pd.date_range(end=last, periods=back + 1, freq=frequency.offset)
    cutoffs = grid[[w * step for w in range(n_windows)]]
    if cutoffs[0] < first:
        earliest = f"the earliest cutoff would be {cutoffs[0]:%Y-%m-%d}"
        raise _too_short(group, uid, h, n_windows, step, earliest)
    return cutoffs


def cutoff_table(
    data: pd.DataFrame, h: int, n_windows: int, step: int
) -> tuple[pd.DataFrame, dict[str, HistoryError]]:
    """Cutoffs of every series that has room for them, and the error of each that has not.

    Parameters
    ----------
    data : DataFrame
        A checked series frame (the ``frame`` of a :class:`~forecast.schema.ValidSeries`).
    h, n_windows, step : int
        Checked horizon, windows and step.

    Returns
    -------
    tuple
        The table of :func:`make_cutoffs` and ``{unique_id: HistoryError}`` of the series
        without room for the windows.
    """
    rows = []
    problems: dict[str, HistoryError] = {}
    for uid, group in data.groupby(UNIQUE_ID, sort=True):
        try:
            cutoffs = _series_cutoffs(group, str(uid), h, n_windows, step)
        except HistoryError as err:
            problems[str(uid)] = err
            continue
        rows += [{UNIQUE_ID: str(uid), WINDOW: w, CUTOFF: c} for w, c in enumerate(cutoffs)]
    out = pd.DataFrame(rows, columns=[UNIQUE_ID, WINDOW, CUTOFF])
    out[CUTOFF] = pd.to_datetime(out[CUTOFF]).astype("datetime64[ns]")
    return out, problems


def check_cutoffs(cutoffs: pd.DataFrame, data: pd.DataFrame) -> pd.DataFrame:
    """Check cutoffs given by the caller against the checked series frame.

    Returns
    -------
    DataFrame
        ``unique_id``, ``window``, ``cutoff``: distinct, sorted, windows numbered per series.

    Raises
    ------
    SchemaError
        A column is missing, or a series is absent from the data.
    """
    missing = [c for c in (UNIQUE_ID, CUTOFF) if c not in cutoffs.columns]
    if missing:
        raise SchemaError(
            f"cutoffs lack column(s) {', '.join(map(repr, missing))}; pass the frame of "
            "fc.make_cutoffs.",
            column=missing[0],
        )
    out = cutoffs[[UNIQUE_ID, CUTOFF]].copy()
    out[UNIQUE_ID] = out[UNIQUE_ID].astype(str)
    out[CUTOFF] = pd.to_datetime(out[CUTOFF]).astype("datetime64[ns]")
    unknown = sorted(set(out[UNIQUE_ID]) - set(data[UNIQUE_ID]))
    if unknown:
        raise SchemaError(
            f"cutoffs name series absent from the data: {', '.join(map(repr, unknown[:3]))}.",
            series=unknown[0],
            column=UNIQUE_ID,
        )
    out = out.drop_duplicates().sort_values([UNIQUE_ID, CUTOFF], kind="mergesort")
    out[WINDOW] = out.groupby(UNIQUE_ID).cumcount()
    return out.reset_index(drop=True)[[UNIQUE_ID, WINDOW, CUTOFF]]


def make_cutoffs(
    df: pd.DataFrame | ValidSeries, h: int, n_windows: int = 1, step: int | None = None
) -> pd.DataFrame:
    """Compute the cutoffs of a rolling-origin backtest, one row per series and window.

    Parameters
    ----------
    df : DataFrame or ValidSeries
        Series frame (``unique_id``, ``ds``, ``y``); validated, not modified.
    h : int
        Horizon in periods of each series' own frequency.
    n_windows : int
        Number of windows (cutoffs) per series.
    step : int, optional
        Periods between consecutive cutoffs; ``h`` by default (windows that do not overlap).

    Returns
    -------
    DataFrame
        ``unique_id``, ``window`` (0 for the earliest) and ``cutoff`` (the last training date),
        sorted. The last cutoff lies ``h`` periods before the series' last date and each earlier
        one ``step`` periods before the next (see the module notes).

    Raises
    ------
    DataError
        The frame breaks the data contract, or a series is too short for the windows.
    ConfigError
        ``h``, ``n_windows`` or ``step`` is not a positive integer.

    References
    ----------
    .. [1] Tashman, L. J. (2000). Out-of-sample tests of forecasting accuracy: an analysis and
       review. International Journal of Forecasting 16(4), 437-450.

    Examples
    --------
    >>> import pandas as pd, forecast as fc
    >>> ds = pd.date_range("2024-01-01", periods=30)
    >>> df = pd.DataFrame({"unique_id": "a", "ds": ds, "y": 1.0})
    >>> fc.make_cutoffs(df, h=7, n_windows=2, step=7)["cutoff"].dt.strftime("%m-%d").tolist()
    ['01-16', '01-23']
    """
    h = check_horizon(h)
    n_windows = positive_int(n_windows, "n_windows")
    step = h if step is None else positive_int(step, "step")
    table, problems = cutoff_table(valid_series(df).frame, h, n_windows, step)
    if problems:
        raise next(iter(problems.values()))
    return table
