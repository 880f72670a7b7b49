"""The checks of a backtest's arguments, done before any frame is read or model fitted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from forecast.errors import ConfigError
from forecast.evaluation.cutoffs import positive_int
from forecast.models.base import check_horizon
from forecast.schema import check_levels

__all__ = ["BacktestSettings", "Window", "backtest_settings"]

Window = Literal["expanding", "sliding"]
"""Training windows: all data up to the cutoff, or the last ``window_size`` observations."""


@dataclass(frozen=True)
class BacktestSettings:
    """The checked arguments of a backtest (see :func:`forecast.backtest`)."""

    h: int
    n_windows: int
    step: int
    window_size: int | None
    refit: bool | int
    levels: tuple[float, ...]
    seasonal_period: int | None


def _window_size(window: object, window_size: int | None) -> int | None:
    if window not in ("expanding", "sliding"):
        raise ConfigError(f"window must be 'expanding' or 'sliding', not {window!r}.")
    if window == "sliding":
        if window_size is None:
            raise ConfigError(
                "window='sliding' needs window_size, the number of observations per training "
                "window."
            )
        return positive_int(window_size, "window_size")
    if window_size is not None:
        raise ConfigError(
            "window_size applies to window='sliding' only; drop it or set window='sliding'."
        )
    return None


def backtest_settings(
    h: int,
    n_windows: int,
    step: int | None,
    window: Window,
    window_size: int | None,
    refit: bool | int,
    levels: Sequence[float],
    seasonal_period: int | None,
) -> BacktestSettings:
    """Check the arguments of :func:`forecast.backtest` that are not data or models.

    Raises
    ------
    ConfigError
        A horizon, window count, step, window kind, window size, refit, level or season that
        is not valid, named in the message.
    """
    h = check_horizon(h)
    if not isinstance(refit, bool):
        positive_int(refit, "refit (True, False or a number of windows)")
    return BacktestSettings(
        h=h,
        n_windows=positive_int(n_windows, "n_windows"),
        step=h if step is None else positive_int(step, "step"),
        window_size=_window_size(window, window_size),
        refit=refit,
        levels=check_levels(levels),
        seasonal_period=None
        if seasonal_period is None
        else positive_int(seasonal_period, "seasonal_period"),
    )
