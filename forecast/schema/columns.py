"""Column names of the package's frames, interval-level naming and metric words.

The names here are the data contract's vocabulary (see :mod:`forecast.schema`); every module
refers to a column through these constants, never through a literal.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Literal

import numpy as np
import pandas as pd

from forecast.errors import ConfigError

__all__ = [
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
    "FILLED",
    "AGE_UNIT",
    "AGE_UNITS",
    "Y_TEXT",
    "QUALIFIERS",
    "COUNT_METRICS",
    "SERIES_REQUIRED",
    "SERIES_OPTIONAL",
    "RETENTION_REQUIRED",
    "level_column",
    "parse_level_column",
    "interval_columns",
    "forecast_columns",
    "check_levels",
    "is_count_metric",
    "metric_of",
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
"""Backtests: the in-sample seasonal-naive mean absolute error of the training window.

MASE's scale.
"""
SEASONAL_PERIOD = "seasonal_period"
"""Backtests: the season length behind ``scale``."""
NOTE = "note"
"""Metrics: why a value is NaN (empty when every value is defined)."""

FILLED = "filled"
"""Series: True on a row :func:`forecast.fill_gaps` added; backtests never score such a row."""
AGE_UNIT = "age_unit"
"""Retention: the unit of ``age`` (one of :data:`AGE_UNITS`); without it, cohort periods."""
Y_TEXT = "y_text"
"""Series: the figure as the file wrote it (``>=2.25M``), kept when ``y`` was read from text."""
AGE_UNITS: tuple[str, ...] = ("day", "week", "month")
"""Allowed values of ``age_unit``."""

SERIES_REQUIRED = (UNIQUE_ID, DS, Y)
SERIES_OPTIONAL = (ENTITY, METRIC, CHANNEL, QUALIFIER, SOURCE)
RETENTION_REQUIRED = (COHORT, AGE, RETENTION)

QUALIFIERS: tuple[str, ...] = ("=", ">=", "<=", "~")
"""Allowed values of ``qualifier``: a point, a lower bound, an upper bound, an approximate point."""

COUNT_METRICS: frozenset[str] = frozenset(
    {
        "dau",
        "mdau",
        "mau",
        "wau",
        "visits",
        "users",
        "subscribers",
        "downloads",
        "installs",
        "sessions",
    }
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
    """Return the name of the interval column for ``level`` on ``side``.

    ``yhat_lo_80``, ``yhat_hi_97.5``, or ``share_lo_80`` with ``prefix=SHARE``.
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


def is_count_metric(metric: str) -> bool:
    """Tell whether a metric name denotes a count (``dau``, ``mau_app``, ``monthly_visits``)."""
    words = set(re.split(r"[^a-z]+", str(metric).lower()))
    return bool(words & COUNT_METRICS) and not words & _NOT_COUNT_WORDS


def metric_of(df: pd.DataFrame) -> pd.Series:
    """Return the metric of each row.

    The column ``metric``, or else the second part of ``unique_id`` (``entity/metric/channel``),
    ``""`` for an id without one; each distinct id is parsed once.
    """
    if METRIC in df.columns:
        return df[METRIC].astype(str)
    codes, ids = pd.factorize(df[UNIQUE_ID].astype(str))
    metrics = np.array([uid.split("/")[1] if "/" in uid else "" for uid in ids], dtype=object)
    return pd.Series(metrics[codes], index=df.index, dtype=object)
