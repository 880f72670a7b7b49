"""Prediction intervals by level, the horizon check, and the two ways models make intervals.

Re-exported by :mod:`forecast.models.base`, where models import them from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy.special import ndtri

from forecast.errors import ConfigError, FitError
from forecast.schema import level_column

__all__ = [
    "Intervals",
    "check_horizon",
    "check_output",
    "normal_intervals",
    "quantile_intervals",
]

Intervals = dict[float, tuple[np.ndarray, np.ndarray]]
"""Prediction intervals by level: ``{80.0: (lower, upper), ...}``, each an array of length h."""


def check_horizon(h: object) -> int:
    """Return ``h`` as a whole number of steps from 1 to 100,000.

    The upper limit (100,000 days is 273 years) is far beyond any useful forecast; it stops a
    typo such as ``h=10**6`` before any fitting.

    Raises
    ------
    ConfigError
        ``h`` is not a whole number, or lies outside 1 to 100,000.
    """
    limit = 100_000
    if isinstance(h, bool) or not isinstance(h, (int, np.integer)) or int(h) < 1:
        raise ConfigError(f"horizon h must be a positive whole number of periods, not {h!r}.")
    if int(h) > limit:
        raise ConfigError(
            f"horizon h={int(h):,} is above the limit of {limit:,} steps (273 years of days); "
            "forecast fewer steps, or aggregate the series to a coarser frequency."
        )
    return int(h)


def normal_intervals(mean: np.ndarray, sd: np.ndarray, levels: Sequence[float]) -> Intervals:
    """Symmetric Gaussian intervals ``mean -/+ z * sd`` for each level."""
    out: Intervals = {}
    for level in levels:
        z = ndtri(0.5 + level / 200.0)  # stats.norm.ppf, without its argument checks
        out[level] = (
            np.asarray(mean - z * sd, dtype=float),
            np.asarray(mean + z * sd, dtype=float),
        )
    return out


def quantile_intervals(paths: np.ndarray, levels: Sequence[float]) -> Intervals:
    """Equal-tailed intervals from sample paths of shape ``(n, h)``."""
    out: Intervals = {}
    for level in levels:
        tail = (100.0 - level) / 200.0
        lo, hi = np.quantile(paths, [tail, 1.0 - tail], axis=0)
        out[level] = (lo, hi)
    return out


def check_output(
    columns: Mapping[str, np.ndarray], levels: Sequence[float], h: int, *, model: str, series: str
) -> None:
    """Check a forecast's columns: ``h`` rows, finite values, bands nesting around the point.

    Parameters
    ----------
    columns : mapping
        ``yhat`` and ``yhat_lo_<L>``, ``yhat_hi_<L>`` for each level, as float arrays (other
        keys, such as ``ds``, are not checked).
    levels : sequence of float
        The levels, in increasing order.
    h : int
        The horizon.
    model, series : str
        The model's name and the series' id, for the message.

    Raises
    ------
    FitError
        Naming the model and the series, when a check fails.
    """
    names = ["yhat", *(level_column(level, side) for level in levels for side in ("lo", "hi"))]
    finite = all(np.all(np.isfinite(columns[name])) for name in names)
    if any(len(columns[name]) != h for name in names) or not finite:
        raise FitError(
            f"model {model!r} produced non-finite forecasts for series {series!r}; try "
            "transform='log', a simpler model, or a longer history."
        )
    tolerance = 1e-9 * (1.0 + np.abs(columns["yhat"]))
    inner_lo = inner_hi = columns["yhat"]
    for level in levels:
        lo = columns[level_column(level, "lo")]
        hi = columns[level_column(level, "hi")]
        if np.any(lo > inner_lo + tolerance) or np.any(hi < inner_hi - tolerance):
            raise FitError(
                f"model {model!r} produced intervals that do not nest at level {level:g} for "
                f"series {series!r}."
            )
        inner_lo, inner_hi = lo, hi
