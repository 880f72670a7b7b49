r"""Shared machinery of the curve models: time in steps, penalised least squares, intervals.

The growth curves (``logistic``, ``gompertz``, ``bass``) fit a deterministic curve
:math:`f(\theta, t)` to a series that may be sparse, irregular, approximate (``~``) or only a
bound (``>=``, ``<=``). This module does that fitting once, for any curve, so other structural
models can reuse it.

API
---
``step_times(ds, origin, offset)``
    Times of ``ds`` in steps of ``offset`` since ``origin`` (fractional between grid dates).
``time_origin(first, offset, launch, series)``
    Time zero: ``launch``, or one step before the first date (first period at ``t = 1``).
``log_prior(prior, spec, k, step_years, scale, model)``
    Prior arrays from ``{name: (centre, sd of log)}``; rate centres per year become per step.
``delta_standard_errors(natural, theta, cov)``
    Standard errors of named functions of ``theta`` (the delta method).
``reference_size(y, qualifier, adoptions, span, series)``
    The size an asymptote is compared with (largest level, or mean adoption times span).
``on_scale(values, transform)``
    Curve values on the fitted scale (their log with ``transform="log"``).
``step_in_years(origin, offset)``
    Length of one step in years (mean of twelve steps, in days / 365.25): rates per year times
    this number are rates per step.
``CurveProblem(curve, t, y, qualifier, starts, lower=None, upper=None, prior_mean=None,
prior_sd=None, sigma=None)``
    What to fit. ``curve(theta, t)`` maps unconstrained parameters of shape ``(..., k)`` and
    times of shape ``(n,)`` to values of shape ``(..., n)`` on the fitted scale (it must
    broadcast over leading axes of ``theta``). ``starts`` are starting vectors (the best few,
    by objective, are polished); ``lower``/``upper`` are hard box bounds on ``theta``;
    ``prior_mean``/``prior_sd`` give a Gaussian prior on each coordinate of ``theta`` (NaN for
    none), which for log-parameters is a log-normal prior; ``sigma`` fixes the noise scale.
``fit_curve(problem, method="laplace", n_boot=200, seed=0) -> CurveFit``
    The penalised fit. ``CurveFit.theta``, ``.cov`` (Laplace covariance of ``theta``),
    ``.sigma``, ``.dof``, ``.draw(n, rng)`` (parameter and noise-scale draws),
    ``.sample(t, n, rng)`` (paths: curve plus observation noise, shape ``(n, len(t))``) and
    ``.predict(t, levels)`` (the fitted curve and nested equal-tailed intervals).

Objective
---------
With observations :math:`y_i` and noise scale :math:`\sigma`, the fit minimises

.. math::

    \frac12 \sum_{i \in =} \Big(\frac{y_i - f_i}{\sigma}\Big)^2
    + \frac12 \sum_{i \in \sim} \Big(\frac{y_i - f_i}{c\,\sigma}\Big)^2
    + \frac12 \sum_{j \in \ge} \Big(\frac{\max(0, b_j - f_j)}{\sigma}\Big)^2
    + \frac12 \sum_{j \in \le} \Big(\frac{\max(0, f_j - b_j)}{\sigma}\Big)^2
    + \frac12 \sum_k \Big(\frac{\theta_k - \mu_k}{s_k}\Big)^2

with :math:`c` = ``APPROX_ERROR_FACTOR`` = 3: an approximate value (``~``) is a point whose
error is three times that of an exact one. A curve above a ``>=`` bound (below a ``<=`` bound)
costs nothing; below it, it costs like a point. After this fit, any bound still violated is
enforced by raising its weight a hundredfold per round (up to ``BOUND_ROUNDS`` rounds) against
the bound moved inwards by ``BOUND_MARGIN`` (relative), so the fitted curve lands on the right
side of every bound. The noise scale is estimated, unless fixed, by alternating with
:math:`\hat\sigma^2 = \sum_{i} r_i^2 / (n - k)` over the point observations (``=`` and ``~``,
with :math:`r_i` the weighted residuals, :math:`k` the number of free parameters); that needs
``n > k`` point observations, otherwise :class:`~forecast.errors.HistoryError` asks for a fixed
``sigma``. (Without a prior the estimate of :math:`\theta` does not depend on :math:`\sigma`,
so one pass suffices.) The optimiser is ``scipy.optimize.least_squares`` (trust-region
reflective, box bounds), polishing the four best of the starting vectors.

Intervals
---------
``method="laplace"``: :math:`\theta \sim N(\hat\theta, (J^\top J)^{-1})`, with :math:`J` the
Jacobian of the weighted residuals (points, active bounds counted as points, prior), truncated
to the draws that satisfy every bound and box limit (rejection), and
:math:`\sigma^2 = \hat\sigma^2 \nu / \chi^2_\nu` with :math:`\nu = n - k` when :math:`\sigma`
is estimated. ``method="bootstrap"``: a parametric bootstrap, refitting ``n_boot`` series
simulated from the fit (points redrawn with their noise, bounds kept). Paths add independent
Gaussian observation noise :math:`\sigma\varepsilon_t` on the fitted scale to each drawn curve,
so intervals combine parameter uncertainty and observation noise and are wide when the data
are few. ``predict`` returns the fitted curve as the point and equal-tailed quantiles of 4000
paths (fixed seed: deterministic), widened where needed to contain the point, so intervals nest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize

from forecast.errors import ConfigError, DomainError, FitError, HistoryError
from forecast.models._params import (
    check_bool,
    check_choice,
    check_date,
    check_int,
    check_optional_number,
)
from forecast.models.base import Intervals, quantile_intervals
from forecast.schema import Y

__all__ = [
    "APPROX_ERROR_FACTOR",
    "BOUND_MARGIN",
    "BOUND_ROUNDS",
    "PREDICT_DRAWS",
    "CAPACITY_CEILING",
    "CurveFunction",
    "CurveProblem",
    "CurveFit",
    "fit_curve",
    "step_times",
    "step_in_years",
    "time_origin",
    "PriorSpec",
    "log_prior",
    "on_scale",
    "reference_size",
    "delta_standard_errors",
    "check_curve_options",
]

APPROX_ERROR_FACTOR = 3.0
"""An observation with qualifier ``~`` has this many times the error of an exact one."""

BOUND_MARGIN = 1e-6
"""Bounds are enforced against ``b (1 + BOUND_MARGIN)`` (or ``1 -``) so fits land on their side."""

BOUND_ROUNDS = 6
"""Rounds of a hundredfold bound weight used to enforce bounds the plain fit violates."""

CAPACITY_CEILING = 1e4
"""Without a user-given capacity, an asymptote (``m``, ``K``) is kept below this many times the
data's reference size (the largest level, or the mean adoption times the span in steps): data
that show no saturation then give a curve that keeps growing instead of an overflow."""

PREDICT_DRAWS = 4000
"""Paths behind the intervals of ``CurveFit.predict``."""

_MAX_REJECTION_ROUNDS = 40
_HUGE = 1e150
_MAX_EVALUATIONS = 400
_SIGMA_ROUNDS = 12

CurveFunction = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""``curve(theta, t)``: theta ``(..., k)``, t ``(n,)`` -> values ``(..., n)``."""


# ---------------------------------------------------------------------------------------- time
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
    offset: pd.DateOffset,
) -> np.ndarray:
    """Times of ``ds`` in steps of ``offset`` since ``origin``.

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
    offset : DateOffset
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
            f"the step {offset!r} does not advance dates from {origin:%Y-%m-%d}; give a pandas offset such as 'D' or 'MS'."
        )
    values = dates.asi8
    position = np.searchsorted(ns, values, side="right") - 1
    position = np.clip(position, 0, len(ns) - 2)
    fraction = (values - ns[position]) / (ns[position + 1] - ns[position])
    return steps[position] + fraction


def step_in_years(origin: pd.Timestamp, offset: pd.DateOffset) -> float:
    """Length of one step of ``offset`` in years (days / 365.25, averaged over twelve steps).

    Rates per year (hazard rates such as Bass's ``p`` and ``q``) times this number are rates
    per step: 0.38 per year is 0.38 / 365.25 per day, 0.38 / 12 per month.
    """
    origin = pd.Timestamp(origin)
    span = (origin + 12 * offset) - origin
    return float(span / pd.Timedelta(days=365.25)) / 12.0


def time_origin(
    first: pd.Timestamp, offset: pd.DateOffset, launch: str | pd.Timestamp | None, series: str
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
                f"model {model!r} has no prior on {name!r}; priors go on {', '.join(map(repr, spec))}."
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
    """The size an asymptote is compared with: the largest level, or mean adoption times span.

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
            f"series {series!r} has no positive values in column {Y!r} (as points or bounds); a growth curve "
            "needs some. Check the data, or use a model such as 'naive'.",
            series=series,
            column=Y,
        )
    return reference


def delta_standard_errors(
    natural: Callable[[np.ndarray], dict[str, float]], theta: np.ndarray, cov: np.ndarray
) -> dict[str, float]:
    """Standard errors of the named parameters ``natural(theta)`` by the delta method.

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


# ------------------------------------------------------------------------------------- problem
@dataclass
class CurveProblem:
    """A curve to fit to observations that may be points, approximate points or bounds.

    Parameters
    ----------
    curve : callable
        ``curve(theta, t)``; see :data:`CurveFunction`. ``theta`` is unconstrained (use logs
        for positive parameters).
    t : ndarray
        Observation times.
    y : ndarray
        Observed values (or bounds), on the fitted scale.
    qualifier : ndarray of str
        ``=``, ``~``, ``>=`` or ``<=`` per observation.
    starts : sequence of ndarray
        Starting values of ``theta``; at least one.
    lower, upper : ndarray, optional
        Hard box bounds on ``theta`` (``-inf``/``inf`` where free).
    prior_mean, prior_sd : ndarray, optional
        Gaussian prior of each coordinate of ``theta``; NaN means no prior on it.
    sigma : float, optional
        Fixed observation noise scale on the fitted scale; estimated when None.
    names : sequence of str, optional
        Names of the coordinates of ``theta`` (for messages).
    series : str, optional
        Name of the series (for messages).
    """

    curve: CurveFunction
    t: np.ndarray
    y: np.ndarray
    qualifier: np.ndarray
    starts: Sequence[np.ndarray]
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None
    prior_mean: np.ndarray | None = None
    prior_sd: np.ndarray | None = None
    sigma: float | None = None
    names: Sequence[str] = ()
    series: str = "series"

    def __post_init__(self) -> None:
        self.t = np.asarray(self.t, dtype=float)
        self.y = np.asarray(self.y, dtype=float)
        self.qualifier = np.asarray(self.qualifier, dtype=object)
        self.starts = [np.asarray(s, dtype=float) for s in self.starts]
        if not self.starts:
            raise ConfigError("a curve problem needs at least one starting vector.")
        k = self.k
        self.lower = (
            np.full(k, -np.inf) if self.lower is None else np.asarray(self.lower, dtype=float)
        )
        self.upper = (
            np.full(k, np.inf) if self.upper is None else np.asarray(self.upper, dtype=float)
        )
        self.prior_mean = (
            np.full(k, np.nan)
            if self.prior_mean is None
            else np.asarray(self.prior_mean, dtype=float)
        )
        self.prior_sd = (
            np.full(k, np.nan) if self.prior_sd is None else np.asarray(self.prior_sd, dtype=float)
        )
        if self.sigma is not None and not (np.isfinite(self.sigma) and self.sigma > 0):
            raise ConfigError(f"sigma must be a positive number, not {self.sigma!r}.")
        unknown = sorted({str(q) for q in self.qualifier} - {"=", "~", ">=", "<="})
        if unknown:
            raise ConfigError(
                f"unknown qualifier(s) {', '.join(map(repr, unknown))} in series {self.series!r}."
            )

    @property
    def k(self) -> int:
        """Number of parameters."""
        return int(self.starts[0].size)

    @property
    def points(self) -> np.ndarray:
        """Mask of point observations (``=`` and ``~``)."""
        return np.isin(self.qualifier, ["=", "~"])

    @property
    def lower_bounds(self) -> np.ndarray:
        """Mask of ``>=`` observations."""
        return self.qualifier == ">="

    @property
    def upper_bounds(self) -> np.ndarray:
        """Mask of ``<=`` observations."""
        return self.qualifier == "<="

    @property
    def point_scale(self) -> np.ndarray:
        """Relative error of each point observation (1 for ``=``, the approximate factor for ``~``)."""
        return np.where(self.qualifier[self.points] == "~", APPROX_ERROR_FACTOR, 1.0)


def _with_y(problem: CurveProblem, y: np.ndarray, starts: Sequence[np.ndarray]) -> CurveProblem:
    return CurveProblem(
        curve=problem.curve,
        t=problem.t,
        y=y,
        qualifier=problem.qualifier,
        starts=starts,
        lower=problem.lower,
        upper=problem.upper,
        prior_mean=problem.prior_mean,
        prior_sd=problem.prior_sd,
        sigma=problem.sigma,
        names=problem.names,
        series=problem.series,
    )


# ------------------------------------------------------------------------------------ residuals
def _evaluate(curve: CurveFunction, theta: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The curve at ``theta`` and ``t``; overflow far from the data gives inf, not a warning."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        return np.asarray(curve(theta, t), dtype=float)


def _bound_targets(problem: CurveProblem) -> tuple[np.ndarray, np.ndarray]:
    lo = problem.y[problem.lower_bounds]
    hi = problem.y[problem.upper_bounds]
    return lo + BOUND_MARGIN * np.abs(lo), hi - BOUND_MARGIN * np.abs(hi)


def _residuals(
    theta: np.ndarray, problem: CurveProblem, sigma: float, stiffness: np.ndarray
) -> np.ndarray:
    f = _evaluate(problem.curve, theta, problem.t)
    points = problem.points
    parts = [(problem.y[points] - f[points]) / (sigma * problem.point_scale)]
    lo, hi = _bound_targets(problem)
    n_lo = int(problem.lower_bounds.sum())
    parts.append(stiffness[:n_lo] * np.maximum(0.0, lo - f[problem.lower_bounds]) / sigma)
    parts.append(stiffness[n_lo:] * np.maximum(0.0, f[problem.upper_bounds] - hi) / sigma)
    has_prior = np.isfinite(problem.prior_mean)
    parts.append((theta[has_prior] - problem.prior_mean[has_prior]) / problem.prior_sd[has_prior])
    return np.nan_to_num(np.concatenate(parts), nan=_HUGE, posinf=_HUGE, neginf=-_HUGE)


def _bound_violation(theta: np.ndarray, problem: CurveProblem) -> np.ndarray:
    """Per bound: how far the curve is on the wrong side of the exact bound (0 when not)."""
    f = _evaluate(problem.curve, theta, problem.t)
    below = problem.y[problem.lower_bounds] - f[problem.lower_bounds]
    above = f[problem.upper_bounds] - problem.y[problem.upper_bounds]
    return np.maximum(0.0, np.concatenate([below, above]))


def _start_inside(theta0: np.ndarray, problem: CurveProblem) -> np.ndarray:
    free = problem.lower < problem.upper
    start = np.where(free, np.asarray(theta0, dtype=float), problem.lower)
    width = np.where(free, 1e-9 * (1.0 + np.abs(start)), 0.0)
    return np.where(free, np.clip(start, problem.lower + width, problem.upper - width), start)


def _solve(
    theta0: np.ndarray, problem: CurveProblem, sigma: float, stiffness: np.ndarray
) -> tuple[np.ndarray, float]:
    start = _start_inside(theta0, problem)
    free = problem.lower < problem.upper

    def residuals(x: np.ndarray) -> np.ndarray:
        theta = start.copy()
        theta[free] = x
        return _residuals(theta, problem, sigma, stiffness)

    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        result = optimize.least_squares(
            residuals,
            start[free],
            bounds=(problem.lower[free], problem.upper[free]),
            method="trf",
            x_scale="jac",
            xtol=1e-9,
            ftol=1e-9,
            gtol=1e-9,
            max_nfev=_MAX_EVALUATIONS,
        )
    theta = start.copy()
    theta[free] = result.x
    if not np.all(np.isfinite(theta)) or not np.isfinite(result.cost):
        return start, np.inf
    return theta, float(result.cost)


def _objective(
    theta: np.ndarray, problem: CurveProblem, sigma: float, stiffness: np.ndarray
) -> float:
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        r = _residuals(theta, problem, sigma, stiffness)
    value = 0.5 * float(np.sum(r**2))
    return value if np.isfinite(value) else np.inf


def _sigma_hat(theta: np.ndarray, problem: CurveProblem, dof: int) -> float:
    f = _evaluate(problem.curve, theta, problem.t)
    points = problem.points
    r = (problem.y[points] - f[points]) / problem.point_scale
    value = float(np.sqrt(np.sum(r**2) / dof))
    floor = 1e-9 * (1.0 + float(np.max(np.abs(problem.y))))
    return max(value, floor)


def _free_parameters(problem: CurveProblem) -> int:
    return int(np.sum(problem.lower < problem.upper))


def _initial_sigma(problem: CurveProblem) -> float:
    if problem.sigma is not None:
        return float(problem.sigma)
    y = problem.y[problem.points]
    spread = float(np.std(y)) if y.size > 1 else 0.0
    return 0.1 * spread + 1e-6 * (1.0 + float(np.max(np.abs(problem.y))))


def _estimate(problem: CurveProblem, n_polish: int = 4) -> tuple[np.ndarray, float, int]:
    """Penalised fit of ``theta`` and ``sigma``; returns (theta, sigma, dof)."""
    n_points = int(problem.points.sum())
    k = _free_parameters(problem)
    dof = n_points - k
    if problem.sigma is None and dof < 1:
        names = ", ".join(problem.names) if problem.names else f"{k} parameters"
        raise HistoryError(
            f"series {problem.series!r} has {n_points} point observation(s) (qualifier '=' or '~') for "
            f"{k} free parameters ({names}), so the noise scale cannot be estimated. Pass sigma=... "
            "(e.g. sigma=0.2 with transform='log' for errors of about 20%), add observations, or fix a parameter.",
            series=problem.series,
        )
    n_bounds = int(problem.lower_bounds.sum() + problem.upper_bounds.sum())
    stiffness = np.ones(n_bounds)
    sigma = _initial_sigma(problem)
    scored = sorted(
        problem.starts,
        key=lambda s: _objective(_start_inside(s, problem), problem, sigma, stiffness),
    )
    best, best_cost = None, np.inf
    for start in scored[:n_polish]:
        theta, cost = _solve(start, problem, sigma, stiffness)
        if cost < best_cost:
            best, best_cost = theta, cost
    if best is None:
        raise FitError(
            f"the curve fit of series {problem.series!r} failed from every starting value."
        )
    theta = best
    has_prior = bool(np.any(np.isfinite(problem.prior_mean)))
    for _ in range(_SIGMA_ROUNDS if problem.sigma is None and has_prior else 0):
        new_sigma = _sigma_hat(theta, problem, dof)
        if abs(new_sigma / sigma - 1.0) < 1e-4:
            sigma = new_sigma
            break
        sigma = new_sigma
        theta, _ = _solve(theta, problem, sigma, stiffness)
    for _ in range(BOUND_ROUNDS):
        violation = _bound_violation(theta, problem)
        if not np.any(violation > 0):
            break
        stiffness = np.where(violation > 0, stiffness * 100.0, stiffness)
        theta, _ = _solve(theta, problem, sigma, stiffness)
    if np.any(_bound_violation(theta, problem) > 0):
        raise FitError(
            f"the curve of series {problem.series!r} cannot satisfy its bounds (qualifier '>=' or '<='); "
            "check that the bounds do not contradict each other or the points."
        )
    if problem.sigma is None:
        sigma = _sigma_hat(theta, problem, dof)
    return theta, sigma, max(dof, 0)


def _jacobian(theta: np.ndarray, problem: CurveProblem, sigma: float) -> np.ndarray:
    """Jacobian of the Laplace residuals: points, active bounds counted as points, prior."""
    f0 = _evaluate(problem.curve, theta, problem.t)
    tol = 1e-4 * (np.abs(problem.y) + sigma)
    active = (problem.lower_bounds | problem.upper_bounds) & (np.abs(f0 - problem.y) <= tol)
    rows = problem.points | active
    scale = np.ones(problem.y.size)
    scale[problem.points] = problem.point_scale
    k = problem.k
    jac = np.zeros((int(rows.sum()), k))
    for j in range(k):
        step = 1e-5 * max(1.0, abs(theta[j]))
        up, down = theta.copy(), theta.copy()
        up[j] += step
        down[j] -= step
        jac[:, j] = (
            (_evaluate(problem.curve, up, problem.t) - _evaluate(problem.curve, down, problem.t))
            / (2 * step)
        )[rows]
    if not np.all(np.isfinite(jac)):
        raise FitError(
            f"the curve of series {problem.series!r} is not differentiable at its estimate "
            f"({', '.join(problem.names) or 'parameters'} at the edge of what the data allow); give a "
            "capacity or market size, a prior, or more data."
        )
    jac = jac / (sigma * scale[rows])[:, None]
    has_prior = np.isfinite(problem.prior_mean)
    prior_rows = np.zeros((int(has_prior.sum()), k))
    prior_rows[np.arange(prior_rows.shape[0]), np.flatnonzero(has_prior)] = (
        1.0 / problem.prior_sd[has_prior]
    )
    return np.vstack([jac, prior_rows])


def _laplace_cov(theta: np.ndarray, problem: CurveProblem, sigma: float) -> np.ndarray:
    jac = _jacobian(theta, problem, sigma)
    free = problem.lower < problem.upper
    info = jac[:, free].T @ jac[:, free]
    cov = np.zeros((problem.k, problem.k))
    cov[np.ix_(free, free)] = np.linalg.pinv(info, rcond=1e-12)
    return cov


# ------------------------------------------------------------------------------------------ fit
@dataclass
class CurveFit:
    """A fitted curve: estimates, their uncertainty, and draws of paths.

    Attributes
    ----------
    problem : CurveProblem
        What was fitted.
    theta : ndarray
        Estimate of the unconstrained parameters.
    sigma : float
        Observation noise scale on the fitted scale (fixed or estimated).
    dof : int
        Point observations minus free parameters (0 when ``sigma`` was fixed and data are fewer).
    cov : ndarray
        Laplace covariance of ``theta`` (zero rows and columns for fixed coordinates).
    method : {"laplace", "bootstrap"}
        How parameter uncertainty is drawn.
    boot_theta, boot_sigma : ndarray
        Bootstrap estimates (empty for the Laplace method).
    """

    problem: CurveProblem
    theta: np.ndarray
    sigma: float
    dof: int
    cov: np.ndarray
    method: Literal["laplace", "bootstrap"] = "laplace"
    boot_theta: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    boot_sigma: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def standard_errors(self) -> np.ndarray:
        """Laplace standard errors of ``theta``."""
        return np.sqrt(np.clip(np.diag(self.cov), 0.0, None))

    def curve(self, t: np.ndarray) -> np.ndarray:
        """The fitted curve at times ``t``."""
        return _evaluate(self.problem.curve, self.theta, np.asarray(t, dtype=float))

    def _feasible(self, thetas: np.ndarray) -> np.ndarray:
        problem = self.problem
        ok = np.all((thetas >= problem.lower) & (thetas <= problem.upper), axis=1)
        bounded = problem.lower_bounds | problem.upper_bounds
        if bounded.any():
            f = _evaluate(problem.curve, thetas, problem.t[bounded])
            q = problem.qualifier[bounded]
            b = problem.y[bounded]
            good = np.where(q == ">=", f >= b, f <= b)
            ok &= np.all(good, axis=1)
        return ok

    def _draw_laplace(self, n: int, rng: np.random.Generator) -> np.ndarray:
        accepted: list[np.ndarray] = []
        count = 0
        for _ in range(_MAX_REJECTION_ROUNDS):
            draws = rng.multivariate_normal(
                self.theta, self.cov, size=2 * n, method="svd", check_valid="ignore"
            )
            keep = draws[self._feasible(draws)]
            accepted.append(keep)
            count += len(keep)
            if count >= n:
                break
        pool = np.vstack(accepted)
        if len(pool) == 0:
            raise FitError(
                f"the Laplace approximation of series {self.problem.series!r} puts no mass where the bounds "
                "hold; use interval_method='bootstrap'."
            )
        if len(pool) < n:
            pool = pool[rng.integers(0, len(pool), size=n)]
        return pool[:n]

    def draw(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n`` parameter vectors and noise scales.

        Returns
        -------
        theta : ndarray
            Shape ``(n, k)``.
        sigma : ndarray
            Shape ``(n,)``.
        """
        if self.method == "bootstrap":
            pick = rng.integers(0, len(self.boot_theta), size=n)
            return self.boot_theta[pick], self.boot_sigma[pick]
        thetas = self._draw_laplace(n, rng)
        if self.problem.sigma is None and self.dof >= 1:
            sigmas = self.sigma * np.sqrt(self.dof / rng.chisquare(self.dof, size=n))
        else:
            sigmas = np.full(n, self.sigma)
        return thetas, sigmas

    def sample(self, t: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        """Paths at times ``t``: drawn curves plus Gaussian observation noise, shape ``(n, len(t))``."""
        t = np.asarray(t, dtype=float)
        thetas, sigmas = self.draw(n, rng)
        curves = _evaluate(self.problem.curve, thetas, t)
        return curves + sigmas[:, None] * rng.standard_normal((n, t.size))

    def predict(
        self, t: np.ndarray, levels: Sequence[float], seed: int = 0
    ) -> tuple[np.ndarray, Intervals]:
        """The fitted curve at ``t`` and equal-tailed intervals from :data:`PREDICT_DRAWS` paths.

        Intervals are widened where needed to contain the point, so they nest around it.
        """
        point = self.curve(t)
        if not levels:
            return point, {}
        paths = self.sample(t, PREDICT_DRAWS, np.random.default_rng(seed))
        if not np.all(np.isfinite(paths)):
            raise FitError(
                f"the drawn curves of series {self.problem.series!r} overflow; the parameters are too uncertain."
            )
        raw = quantile_intervals(paths, levels)
        return point, {
            level: (np.minimum(lo, point), np.maximum(hi, point)) for level, (lo, hi) in raw.items()
        }


def fit_curve(
    problem: CurveProblem,
    method: Literal["laplace", "bootstrap"] = "laplace",
    n_boot: int = 200,
    seed: int = 0,
) -> CurveFit:
    """Fit a curve by penalised least squares and prepare its uncertainty.

    Parameters
    ----------
    problem : CurveProblem
        The curve and observations.
    method : {"laplace", "bootstrap"}
        Parameter uncertainty by a Laplace approximation (fast) or a parametric bootstrap
        (``n_boot`` refits of simulated series).
    n_boot : int
        Bootstrap replicates.
    seed : int
        Seed of the bootstrap's random numbers; the fit is deterministic.

    Returns
    -------
    CurveFit

    Raises
    ------
    HistoryError
        Too few point observations to estimate the noise scale, and none given.
    FitError
        The fit failed from every start, or the bounds cannot be satisfied.
    ConfigError
        An unknown ``method``.
    """
    if method not in ("laplace", "bootstrap"):
        raise ConfigError(f"interval_method must be 'laplace' or 'bootstrap', not {method!r}.")
    theta, sigma, dof = _estimate(problem)
    cov = _laplace_cov(theta, problem, sigma)
    fit = CurveFit(problem=problem, theta=theta, sigma=sigma, dof=dof, cov=cov, method=method)
    if method == "bootstrap":
        if isinstance(n_boot, bool) or int(n_boot) < 2:
            raise ConfigError(f"n_boot must be at least 2, not {n_boot!r}.")
        rng = np.random.default_rng(seed)
        fitted = fit.curve(problem.t)
        points = problem.points
        scale = np.ones(problem.y.size)
        scale[points] = problem.point_scale
        thetas, sigmas = [], []
        for _ in range(int(n_boot)):
            y = problem.y.copy()
            y[points] = fitted[points] + sigma * scale[points] * rng.standard_normal(
                int(points.sum())
            )
            try:
                boot_theta, boot_sigma, _ = _estimate(_with_y(problem, y, [theta]), n_polish=1)
            except FitError:
                continue
            thetas.append(boot_theta)
            sigmas.append(boot_sigma)
        if len(thetas) < 2:
            raise FitError(
                f"the bootstrap refits of series {problem.series!r} failed; use interval_method='laplace'."
            )
        fit.boot_theta = np.array(thetas)
        fit.boot_sigma = np.array(sigmas)
    return fit
