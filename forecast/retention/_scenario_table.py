"""What every scenario shares: the names of its three parts, reading a change, the table.

Both kinds of scenario (:mod:`forecast.retention.scenarios` for the cohort changes of
``retention_feedback``, :mod:`forecast.retention.covariate_scenario` for changed covariates)
read their changes with :func:`read_change` and return :func:`scenario_table`'s frame: for
each of baseline, scenario and difference, the mean of its sample paths as the point and
quantiles of the same paths as the bands.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from forecast.errors import ConfigError
from forecast.models.base import quantile_intervals
from forecast.schema import DS, MODEL, UNIQUE_ID, YHAT, forecast_columns, level_column

__all__ = ["BASELINE", "SCENARIO", "DIFFERENCE", "ChangeKind", "read_change", "scenario_table"]

BASELINE = "baseline"
SCENARIO = "scenario"
DIFFERENCE = "difference"
"""Values of the ``model`` column of a scenario's frame."""

ChangeKind = Literal["add", "times", "set"]
"""How a change acts: added to the value, multiplying it, or replacing it."""


def read_change(
    value: float | str, what: str, *, bare: Literal["add", "set"], example: str
) -> tuple[ChangeKind, float]:
    """Read ``"+0.03"`` / ``"-2"`` (added), ``"x1.1"`` / ``"*1.1"`` (multiplied) or a number.

    Parameters
    ----------
    value : float or str
        The change as the user wrote it.
    what : str
        What it changes, for messages (``"retention"``, ``"covariates['spend']"``).
    bare : {"add", "set"}
        What a number without a sign (or any number given as a number) does.
    example : str
        Examples of accepted changes, for messages.

    Returns
    -------
    (kind, amount)
        ``kind`` is ``"add"``, ``"times"`` or ``"set"``.

    Raises
    ------
    ConfigError
        A boolean, an empty string or text that is not such a change.
    """
    message = f"{what}={value!r} is not a change; give {example}."
    if isinstance(value, bool):
        raise ConfigError(message)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return bare, float(value)
    text = str(value).strip().lower()
    try:
        if text[:1] in ("x", "*"):
            return "times", float(text[1:])
        if text[:1] in ("+", "-"):
            return "add", float(text)
        return bare, float(text)
    except (ValueError, IndexError) as err:
        raise ConfigError(message) from err


def scenario_table(
    series: str,
    dates: pd.DatetimeIndex,
    samples: Mapping[str, np.ndarray],
    levels: Sequence[float],
) -> pd.DataFrame:
    """Return the forecast columns of baseline, scenario and difference from their paths.

    Parameters
    ----------
    series : str
        The ``unique_id`` of every row.
    dates : DatetimeIndex
        The forecast dates, one per column of the paths.
    samples : mapping
        Sample paths ``(n, len(dates))`` under :data:`BASELINE`, :data:`SCENARIO` and
        :data:`DIFFERENCE`.
    levels : sequence of float
        Checked interval levels in percent.

    Returns
    -------
    DataFrame
        ``unique_id``, ``model``, ``ds``, ``yhat`` (the mean of the paths) and the bands
        (quantiles of the same paths, Hyndman and Fan's type 7).
    """
    frames = []
    for name in (BASELINE, SCENARIO, DIFFERENCE):
        paths = samples[name]
        frame = pd.DataFrame({UNIQUE_ID: series, MODEL: name, DS: dates, YHAT: paths.mean(axis=0)})
        for level, (lo, hi) in quantile_intervals(paths, levels).items():
            frame[level_column(level, "lo")] = lo
            frame[level_column(level, "hi")] = hi
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)[forecast_columns(levels)]
