"""Share frames: their columns and interval levels, and the forecast rows from sample paths."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from forecast.market.paths import SharePaths
from forecast.schema import (
    DS,
    MODEL,
    N_FLOORED,
    PART,
    SHARE,
    UNIQUE_ID,
    YHAT,
    check_levels,
    level_column,
    parse_level_column,
)

__all__ = ["share_columns", "share_levels", "paths_frame", "HISTORY", "FORECAST", "OBSERVED"]

HISTORY = "history"
"""Value of column ``part`` for observed shares."""
FORECAST = "forecast"
"""Value of column ``part`` for forecast shares."""
OBSERVED = "observed"
"""Value of column ``model`` for observed shares."""


def share_columns(levels: Sequence[float]) -> list[str]:
    """Columns of a share frame, in their fixed order.

    ``unique_id``, ``model``, ``part``, ``ds``, ``share``, then ``share_lo_<L>``,
    ``share_hi_<L>`` for each level, then ``n_floored``.

    Parameters
    ----------
    levels : sequence of float
        Interval levels in percent.

    Returns
    -------
    list of str
        The column names.

    Examples
    --------
    >>> share_columns([80])
    ['unique_id', 'model', 'part', 'ds', 'share', 'share_lo_80', 'share_hi_80', 'n_floored']
    """
    cols = [UNIQUE_ID, MODEL, PART, DS, SHARE]
    for level in check_levels(levels):
        cols += [level_column(level, "lo", prefix=SHARE), level_column(level, "hi", prefix=SHARE)]
    return cols + [N_FLOORED]


def share_levels(frame: pd.DataFrame) -> tuple[float, ...]:
    """Interval levels of a share frame: those with both ``share_lo_<L>`` and ``share_hi_<L>``.

    Parameters
    ----------
    frame : DataFrame
        A share frame (the output of :func:`forecast.shares`).

    Returns
    -------
    tuple of float
        The levels, sorted.

    Examples
    --------
    >>> import pandas as pd
    >>> share_levels(pd.DataFrame(columns=["share", "share_lo_95", "share_hi_95", "share_lo_80"]))
    (95.0,)
    """
    found = []
    for column in map(str, frame.columns):
        if not column.startswith(SHARE + "_"):
            continue
        parsed = parse_level_column(YHAT + column[len(SHARE) :])
        if (
            parsed is not None
            and parsed[0] == "lo"
            and level_column(parsed[1], "hi", prefix=SHARE) in frame.columns
        ):
            found.append(parsed[1])
    return check_levels(found)


def paths_frame(result: SharePaths, levels: Sequence[float]) -> pd.DataFrame:
    """Summarise sample paths as the forecast rows of a share frame: mean and quantiles.

    Point shares are the mean over paths, so the point shares of a date sum to one; interval
    bounds are equal-tailed quantiles over paths.

    Parameters
    ----------
    result : SharePaths
        From :func:`forecast.market.paths.share_paths`.
    levels : sequence of float
        Interval levels in percent.

    Returns
    -------
    DataFrame
        The columns of :func:`share_columns`, ``part`` ``"forecast"``, one row per product and
        date.

    References
    ----------
    .. [1] Hyndman, R. J. and Fan, Y. (1996). Sample quantiles in statistical packages. *The
       American Statistician* 50(4), 361-365.
    """
    levels = check_levels(levels)
    point = result.paths.mean(axis=0)
    frames = []
    for k, product in enumerate(result.products):
        frame = pd.DataFrame(
            {
                UNIQUE_ID: product,
                MODEL: result.models[k],
                PART: FORECAST,
                DS: result.ds,
                SHARE: point[:, k],
            }
        )
        for level in levels:
            tail = (100.0 - level) / 200.0
            lo, hi = np.quantile(result.paths[:, :, k], [tail, 1.0 - tail], axis=0)
            frame[level_column(level, "lo", prefix=SHARE)] = lo
            frame[level_column(level, "hi", prefix=SHARE)] = hi
        frame[N_FLOORED] = result.n_floored[:, k].astype("int64")
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
