"""Time, scales, priors and options of the curve models (see :mod:`forecast.models._curvefit`).

Everything a curve model needs before the fit: the times of its dates in steps since a
launch, the length of a step in years, the prior arrays on its log-parameters, the size its
asymptote is compared with, and the check of the options the curve models share; and, after
the fit, the delta-method standard errors of its natural parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from pandas.tseries.offsets import BaseOffset

from forecast.errors import ConfigError, DomainError
from forecast.models._params import (
    check_bool,
    check_choice,
    check_date,
    check_int,
    check_optional_number,
)
from forecast.schema import Y

__all__ = [
    "CAPACITY_CEILING",
    "PriorSpec",
    "check_curve_options",
    "delta_standard_errors",
    "log_prior",
    "on_scale",
    "reference_size",
    "step_in_years",
    "step_times",
    "time_origin",
]

CAPACITY_CEILING = 1e4
"""Without a user-given capacity, an asymptote (``m``, ``K``) is kept below this many times the
data's reference size (the largest level, or the mean adoption times the span in steps): data
that show no saturation then give a curve that keeps growing instead of an overflow."""


def check_curve_options(
    model: str,
    *,
    target: str,
    targets: tuple[str, ...],
    asymptote_name: str,
    symbol: str,
    asymptote: object,
    fix_asymptote: object,
    interval_method: str,
    options: Mapping[str, object],
) -> None:
    """Check the constructor options the curve models share.

    Parameters
    ----------
    model : str
        The model's registry name, for the messages.
    target : str
        What ``y`` is; must be one of ``targets``.
    targets : tuple of str
        The targets the model accepts, in the order the message lists them.
    asymptote_name, symbol : str
        The option bounding the asymptote (``"market_size"``, ``"capacity"``) and the
        parameter it bounds (``"m"``, ``"K"``).
    asymptote : float, optional
        Its value: positive and finite when given.
    fix_asymptote : bool
        Whether the asymptote is fixed at ``asymptote`` (which must then be given).
    interval_method : str
        ``"laplace"`` or ``"bootstrap"``.
    options : mapping
        ``launch`` (a date or None), ``sigma`` (a positive number or None), ``n_boot`` (a
        positive integer) and ``seed`` (a non-negative integer).

    Raises
    ------
    ConfigError
        An option outside its allowed values, naming the model, the value and the nearest
        valid one.
    """
    check_choice(model, "target", target, targets)
    check_optional_number(model, asymptote_name, asymptote, positive=True)
    if check_bool(model, f"fix_{asymptote_name}", fix_asymptote) and asymptote is None:
        raise ConfigError(
            f"fix_{asymptote_name}=True needs {asymptote_name}=... (the value to fix {symbol} at)."
        )
    check_choice(model, "interval_method", interval_method, ("laplace", "bootstrap"))
    check_date(model, "launch", options["launch"])
    check_optional_number(model, "sigma", options["sigma"], positive=True)
    check_int(model, "n_boot", options["n_boot"], minimum=1)
    check_int(model, "seed", options["seed"])


def step_times(
    ds: pd.Series | pd.DatetimeIndex | Sequence[pd.Timestamp],
    origin: pd.Timestamp,
    offset: BaseOffset,
) -> np.ndarray:
    """Count the times of ``ds`` in steps of ``offset`` since ``origin``.

    A date on the grid ``origin + j * offset`` gets the whole number ``j``; a date between two
    grid dates gets ``j`` plus the fraction of that step elapsed (so irregular dates of a daily
    series give whole day counts, and a mid-month date of a monthly series about ``j + 0.5``).
    Dates before ``origin`` get negative times, counted the same way.

    Parameters
    ----------
    ds : sequence of timestamps
        The dates.
    origin : Timestamp
        Time zero.
    offset : BaseOffset
        One step.

    Returns
    -------
    ndarray
        Float times, one per date.
    """
    dates = pd.DatetimeIndex(pd.to_datetime(pd.Series(ds))).as_unit("ns")
    origin = pd.Timestamp(origin).as_unit("ns")
    if len(dates) == 0:
        return np.zeros(0)
    first, last = min(dates.min(), origin), max(dates.max(), origin)
    step = (origin + offset) - origin
    back = int(np.ceil((origin - first) / step)) + 2 if first < origin else 0
    ahead = int(np.ceil((last - origin) / (step * 0.9))) + 2
    steps = np.arange(-back, ahead + 1)
    grid = pd.DatetimeIndex([origin + int(j) * offset for j in steps]).as_unit("ns")
    ns = grid.asi8
    if np.any(np.diff(ns) <= 0):
        raise ConfigError(
            f"the step {offset!r} does not advance dates from {origin:%Y-%m-%d}; give a pandas "
            "offset such as 'D' or 'MS'."
        )
    values = dates.asi8
    position = np.searchsorted(ns, values, side="right") - 1
    position = np.clip(position, 0, len(ns) - 2)
    fraction = (values - ns[position]) / (ns[position + 1] - ns[position])
    return steps[position] + fraction


def step_in_years(origin: pd.Timestamp, offset: BaseOffset) -> float:
    """Length of one step of ``offset`` in years (days / 365.25, averaged over twelve steps).

    Rates per year (hazard rates such as Bass's ``p`` and ``q``) times this number are rates
    per step: 0.38 per year is 0.38 / 365.25 per day, 0.38 / 12 per month.
    """
    origin = pd.Timestamp(origin)
    span = (origin + 12 * offset) - origin
    return float(span / pd.Timedelta(days=365.25)) / 12.0


def time_origin(
    first: pd.Timestamp, offset: BaseOffset, launch: str | pd.Timestamp | None, series: str
) -> pd.Timestamp:
    """Time zero of a curve: ``launch`` when given, else one step before the first date.

    So the first observed period is ``t = 1`` (launch at ``t = 0``) unless a launch date is
    given, which must not be after the first observation.

    Raises
    ------
    ConfigError
        ``launch`` is not a date, or falls after the first observation.
    """
    first = pd.Timestamp(first)
    if launch is None:
        return first - offset
    try:
        origin = pd.Timestamp(launch)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"launch {launch!r} is not a date; write it as YYYY-MM-DD.") from err
    if origin > first:
        raise ConfigError(
            f"launch {origin:%Y-%m-%d} is after the first observation of series {series!r} "
            f"({first:%Y-%m-%d}); give the launch date or leave launch=None."
        )
    return origin


PriorSpec = dict[str, tuple[int, Literal["rate", "scale", "plain"]]]
"""Which coordinate of ``theta`` holds the log of each named positive parameter, and its kind."""


def log_prior(
    prior: Mapping[str, tuple[float, float]] | None,
    spec: PriorSpec,
    k: int,
    step_years: float,
    scale: float,
    model: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian prior on log-parameters from ``{name: (centre, sd of log)}``.

    Centres of ``"rate"`` parameters are per year and become per step (times ``step_years``);
    ``"scale"`` parameters are in data units (divided by ``scale``, as ``theta`` is);
    ``"plain"`` ones are dimensionless.

    Raises
    ------
    ConfigError
        An unknown name, a centre that is not positive, or a standard deviation that is not.
    """
    mean, sd = np.full(k, np.nan), np.full(k, np.nan)
    for name, value in (prior or {}).items():
        if name not in spec:
            raise ConfigError(
                f"model {model!r} has no prior on {name!r}; priors go on "
                f"{', '.join(map(repr, spec))}."
            )
        try:
            centre, spread = (float(v) for v in value)
        except (TypeError, ValueError) as err:
            raise ConfigError(
                f"the prior on {name!r} must be (centre, sd of log), not {value!r}."
            ) from err
        if not (centre > 0 and spread > 0 and np.isfinite(centre) and np.isfinite(spread)):
            raise ConfigError(
                f"the prior on {name!r} needs a positive centre and sd, not {value!r}."
            )
        index, kind = spec[name]
        factor = step_years if kind == "rate" else (1.0 / scale if kind == "scale" else 1.0)
        mean[index], sd[index] = np.log(centre * factor), spread
    return mean, sd


def reference_size(
    y: np.ndarray, qualifier: np.ndarray, adoptions: bool, span: float, series: str
) -> float:
    """Size an asymptote is compared with: the largest level, or mean adoption times span.

    Computed from the point observations (``=``, ``~``), or from all rows when there are none.

    Raises
    ------
    DomainError
        No observation is positive, so there is no growth to fit.
    """
    points = np.isin(qualifier, ["=", "~"])
    known = y[points] if points.any() else y
    reference = float(np.mean(known) * span) if adoptions else float(np.max(known))
    if not reference > 0:
        raise DomainError(
            f"series {series!r} has no positive values in column {Y!r} (as points or bounds); a "
            "growth curve needs some. Check the data, or use a model such as 'naive'.",
            series=series,
            column=Y,
        )
    return reference


def delta_standard_errors(
    natural: Callable[[np.ndarray], dict[str, float]], theta: np.ndarray, cov: np.ndarray
) -> dict[str, float]:
    """Compute standard errors of the named parameters ``natural(theta)`` by the delta method.

    The gradient of each named value with respect to ``theta`` is taken by central
    differences; the variance is ``g' cov g``.
    """
    base = natural(theta)
    grads = {name: np.zeros(theta.size) for name in base}
    for j in range(theta.size):
        step = 1e-6 * max(1.0, abs(theta[j]))
        up, down = theta.copy(), theta.copy()
        up[j] += step
        down[j] -= step
        high, low = natural(up), natural(down)
        for name in base:
            grads[name][j] = (high[name] - low[name]) / (2 * step)
    return {name: float(np.sqrt(max(g @ cov @ g, 0.0))) for name, g in grads.items()}


def on_scale(values: np.ndarray, transform: Literal["log"] | None) -> np.ndarray:
    """Values on the fitted scale: themselves, or their log (floored at the smallest float)."""
    if transform == "log":
        return np.log(np.maximum(values, np.finfo(float).tiny))
    return values
