"""Parameter layout and simulation of ``retention_feedback`` (see :mod:`forecast.models.feedback`).

:class:`FeedbackLayout` says where each parameter sits in the unconstrained vector ``theta``
and what fixes the others; :func:`unpack` turns rows of ``theta`` into the model's parameters
and :func:`simulate` runs :func:`forecast.retention.dynamics.simulate_feedback` for each row.
Events (steps of acquisition from a date on) and covariates (``exp(beta . x_t)``)
become per-period multipliers of acquisition here too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from pandas.tseries.offsets import BaseOffset

from forecast.errors import ConfigError, CovariateError
from forecast.models._curve_covariates import check_varies, covariate_scale
from forecast.retention.dynamics import FeedbackPaths, simulate_feedback
from forecast.retention.families import get_family
from forecast.schema import DS, QUALIFIER, Frequency

__all__ = [
    "WEEKDAYS",
    "covariate_effects",
    "EventDate",
    "EventsLike",
    "FeedbackLayout",
    "events_multipliers",
    "grid_design",
    "natural_params",
    "parameter_names",
    "period_days",
    "point_params",
    "simulate",
    "unpack",
    "weekly_expected",
]

EventDate = str | date | np.datetime64
"""A date an event starts on: text such as ``"2024-03-18"``, a date or a datetime64."""

EventsLike = Sequence[tuple[EventDate, float]] | pd.DataFrame | None
"""Events: ``[(date, multiplier), ...]`` or a frame with ``ds`` and ``multiplier`` columns."""

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Weekday names, Monday first (the order of ``weekly_<day>`` parameters)."""

_DAYS = {"daily": 1.0, "weekly": 7.0, "monthly": 30.4375, "quarterly": 91.3125, "yearly": 365.25}


def grid_design(
    data: pd.DataFrame,
    covariates: tuple[str, ...],
    obs_index: np.ndarray,
    grid: pd.DatetimeIndex,
    needed: int,
    series: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the covariates' scaled values on every grid period, and their scales.

    A period between two observations (or between launch and the first) takes the row of the
    next observation: an observed row stands for the periods since the previous one (see
    :mod:`forecast.models._curve_covariates`). Without covariates, both are empty.

    Raises
    ------
    CovariateError
        A covariate constant over the point observations (its effect cannot be estimated),
        or retention cohorts that need ``needed`` periods, past the last observation.
    """
    if not covariates:
        return np.zeros((len(grid), 0)), np.zeros(0)
    if needed > len(grid):
        raise CovariateError(
            f"retention cohorts of series {series!r} start after its last observation "
            f"({grid[-1]:%Y-%m-%d}), where the covariates {', '.join(covariates)} have "
            "no values; drop those cohorts or fit without covariates.",
            series=series,
        )
    values = data[list(covariates)].to_numpy(dtype=float)
    points = np.isin(data[QUALIFIER].to_numpy(str), ["=", "~"])
    check_varies(values, covariates, series, points)
    scale = covariate_scale(values)
    rows = np.searchsorted(obs_index, np.arange(len(grid)))
    return values[rows] / scale, scale


def period_days(frequency: Frequency) -> float:
    """Return the length of one period of ``frequency`` in days (a month is 30.4375 days)."""
    if frequency.name in _DAYS:
        return _DAYS[frequency.name]
    start = pd.Timestamp("2001-01-01")
    return float(((start + frequency.offset) - start) / pd.Timedelta(days=1))


def events_multipliers(events: EventsLike, dates: pd.DatetimeIndex) -> np.ndarray:
    """Multiply, for each date, the multipliers of the events up to it.

    Parameters
    ----------
    events : list of (date, multiplier) or DataFrame, optional
        The events; a frame needs the columns ``ds`` and ``multiplier``.
    dates : DatetimeIndex
        The dates to give a multiplier.

    Returns
    -------
    ndarray
        One acquisition multiplier per date (1 before the first event).

    Raises
    ------
    ConfigError
        Events that are not (date, multiplier) pairs, dates that do not parse, or multipliers
        that are not positive numbers.
    """
    out = np.ones(len(dates))
    if events is None:
        return out
    if isinstance(events, pd.DataFrame):
        if DS not in events.columns or "multiplier" not in events.columns:
            raise ConfigError("an events frame needs the columns 'ds' (date) and 'multiplier'.")
        pairs = list(zip(events[DS], events["multiplier"], strict=True))
    else:
        pairs = list(events)
    for pair in pairs:
        try:
            start, multiplier = pair
            when = pd.Timestamp(start)
            factor = float(multiplier)
        except (TypeError, ValueError) as err:
            raise ConfigError(
                f"event {pair!r} is not a (date, multiplier) pair such as ('2024-03-18', 1.5)."
            ) from err
        if not np.isfinite(factor) or factor <= 0:
            raise ConfigError(f"event {pair!r} has a multiplier that is not a positive number.")
        out[np.asarray(dates >= when)] *= factor
    return out


def parameter_names(
    family: str,
    market_size: float | None,
    scale_effect: bool | float,
    weekly: bool,
    covariates: Sequence[str] = (),
) -> tuple[str, ...]:
    """List the coordinates of ``theta``.

    Log rates, log market, curve, scale effect, weekdays, the log-effects of the covariates on
    acquisition (``beta_<name>``, per unit of the covariate divided by its scale) and noise.
    """
    names = ["log_p", "log_q"]
    if market_size is None:
        names.append("log_m")
    names += [f"z_{name}" for name in get_family(family).param_names]
    if scale_effect is True:
        names.append("log_e")
    if weekly:
        names += [f"w_{day}" for day in range(6)]
    names += [f"beta_{name}" for name in covariates]
    return (*names, "log_sigma")


@dataclass(frozen=True)
class FeedbackLayout:
    """Where each parameter sits in ``theta``, what fixes the others, and the model's calendar.

    Attributes
    ----------
    family : str
        Name of the retention family.
    market_size : float, optional
        The fixed market potential, or None when ``log_m`` is estimated.
    scale_effect : bool or float
        ``False`` (no effect), ``True`` (``log_e`` is estimated) or the fixed effect.
    weekly : bool
        Whether ``theta`` holds six weekday log factors.
    events : EventsLike
        The acquisition events.
    start : Timestamp
        Period 0 (launch).
    offset : BaseOffset
        One period.
    names : tuple of str
        The coordinates of ``theta`` (see :func:`parameter_names`).
    covariates : tuple of str
        The covariates acting on acquisition.
    design : ndarray
        Their values divided by ``scale``, one row per period from launch (the history's
        periods, and the forecast's while one runs), shape ``(periods, len(covariates))``.
    scale : ndarray
        Each covariate's scale (its largest absolute value in the history).
    """

    family: str
    market_size: float | None
    scale_effect: bool | float
    weekly: bool
    events: EventsLike
    start: pd.Timestamp
    offset: BaseOffset
    names: tuple[str, ...]
    covariates: tuple[str, ...] = ()
    design: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    scale: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def first_weekday(self) -> int:
        """Weekday of period 0 (Monday is 0)."""
        return int(self.start.weekday())

    def multipliers(self, periods: int) -> np.ndarray:
        """Return the events' acquisition multiplier of each of ``periods`` periods from launch."""
        dates = pd.date_range(self.start, periods=periods, freq=self.offset)
        return events_multipliers(self.events, dates)

    def covariate_multipliers(self, beta: np.ndarray, periods: int) -> np.ndarray:
        r"""Return :math:`e^{\beta^\top x_t}` for rows of ``beta``, shape ``(n, periods)``.

        Raises
        ------
        CovariateError
            Fewer periods of covariate values than asked for (a forecast without them).
        """
        if len(self.design) < periods:
            raise CovariateError(
                f"retention_feedback has covariates ({', '.join(self.covariates)}) known for "
                f"{len(self.design)} periods from launch, and {periods} were asked for; pass "
                "the covariates of the forecast dates to predict or sample (scenarios and "
                "accounting past the history need them too)."
            )
        return np.exp(beta @ self.design[:periods].T)


def unpack(layout: FeedbackLayout, theta: np.ndarray) -> dict[str, np.ndarray]:
    """Map rows of ``theta`` to ``p``, ``q``, ``m``, ``z``, ``e``, ``week`` and ``sigma``.

    Each value has one entry (or row) per row of ``theta``; ``z`` holds the retention
    family's unconstrained parameters, ``week`` the seven weekday log factors (zero
    without weekly seasonality; the seventh is minus the sum of the others) and ``beta`` the
    covariates' log-effects on their scaled values (no columns without covariates).
    """
    theta = np.atleast_2d(theta)
    n = len(theta)
    cols = {name: theta[:, i] for i, name in enumerate(layout.names)}
    family = get_family(layout.family)
    if layout.market_size is None:
        m = np.exp(cols["log_m"])
    else:
        m = np.full(n, float(layout.market_size))
    if "log_e" in cols:
        e = np.exp(cols["log_e"])
    else:
        e = np.full(n, 0.0 if layout.scale_effect is False else float(layout.scale_effect))
    z = np.column_stack([cols[f"z_{name}"] for name in family.param_names])
    beta = np.column_stack([cols[f"beta_{name}"] for name in layout.covariates] or [np.zeros(n)])
    week = np.zeros((n, 7))
    if layout.weekly:
        week[:, :6] = np.column_stack([cols[f"w_{day}"] for day in range(6)])
        week[:, 6] = -week[:, :6].sum(axis=1)
    return {
        "p": np.exp(cols["log_p"]),
        "q": np.exp(cols["log_q"]),
        "m": m,
        "z": z,
        "e": e,
        "week": week,
        "beta": beta[:, : len(layout.covariates)],
        "sigma": np.exp(cols["log_sigma"]),
    }


def weekly_expected(
    layout: FeedbackLayout, dau: np.ndarray, theta: np.ndarray, first: int = 0
) -> np.ndarray:
    """Multiply ``dau`` (columns from period ``first``) by the weekly factors of ``theta``."""
    if not layout.weekly:
        return dau
    week = unpack(layout, theta)["week"]
    days = (layout.first_weekday + first + np.arange(dau.shape[1])) % 7
    return dau * np.exp(week[:, days])


def _monotone(curves: np.ndarray) -> np.ndarray:
    """Start curves at 1 and keep them non-increasing within [0, 1]."""
    curves[:, 0] = 1.0
    return np.minimum.accumulate(np.clip(curves, 0.0, 1.0), axis=1)


def simulate(
    layout: FeedbackLayout,
    theta: np.ndarray,
    periods: int,
    *,
    curve_change: Callable[[np.ndarray], np.ndarray] | None = None,
    change_from: int = 0,
    extra_multipliers: np.ndarray | None = None,
) -> FeedbackPaths:
    """Simulate ``periods`` periods from launch for each row of ``theta``.

    ``curve_change`` maps the retention curves to those of cohorts acquired from period
    ``change_from`` on; ``extra_multipliers`` multiply acquisition on top of the events.
    """
    parts = unpack(layout, theta)
    family = get_family(layout.family)
    curves = np.asarray(family.survival(np.arange(periods, dtype=float), parts["z"]), float)
    survival = _monotone(curves)
    multipliers = np.broadcast_to(layout.multipliers(periods), (len(parts["p"]), periods))
    if layout.covariates:
        multipliers = multipliers * layout.covariate_multipliers(parts["beta"], periods)
    if extra_multipliers is not None:
        multipliers = multipliers * extra_multipliers[:periods]
    later = None
    if curve_change is not None:
        changed = np.asarray(curve_change(survival.copy()), dtype=float)
        later = (int(change_from), _monotone(changed))
    return simulate_feedback(
        parts["p"],
        parts["q"],
        parts["m"],
        survival,
        periods,
        multipliers=multipliers,
        scale_effect=parts["e"],
        survival_from=later,
    )


def point_params(layout: FeedbackLayout, theta: np.ndarray) -> dict[str, float]:
    """Return every parameter at ``theta`` on its natural scale (the model's ``params_``)."""
    parts = unpack(layout, theta)
    family = get_family(layout.family)
    params = {"p": float(parts["p"][0]), "q": float(parts["q"][0]), "m": float(parts["m"][0])}
    for name, value in family.to_params(parts["z"][0]).items():
        params[f"retention_{name}"] = value
    params["scale_effect"] = float(parts["e"][0])
    params["sigma"] = float(parts["sigma"][0])
    if layout.weekly:
        for name, value in zip(WEEKDAYS, np.exp(parts["week"][0]), strict=True):
            params[f"weekly_{name}"] = float(value)
    return params | covariate_effects(layout, parts["beta"][0])


def covariate_effects(layout: FeedbackLayout, beta: np.ndarray) -> dict[str, float]:
    """Name the log-effect on acquisition per unit of each covariate (``beta_<name>``)."""
    return {
        f"beta_{name}": float(beta[j] / layout.scale[j]) for j, name in enumerate(layout.covariates)
    }


def natural_params(layout: FeedbackLayout, theta: np.ndarray) -> dict[str, float]:
    """Return the estimated (not fixed) parameters at ``theta`` on their natural scale."""
    parts = unpack(layout, theta)
    family = get_family(layout.family)
    out = {"p": float(parts["p"][0]), "q": float(parts["q"][0])}
    if layout.market_size is None:
        out["m"] = float(parts["m"][0])
    for name, value in family.to_params(parts["z"][0]).items():
        out[f"retention_{name}"] = value
    if layout.scale_effect is True:
        out["scale_effect"] = float(parts["e"][0])
    out |= covariate_effects(layout, parts["beta"][0])
    out["sigma"] = float(parts["sigma"][0])
    return out
