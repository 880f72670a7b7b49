r"""The penalised least-squares fit of a curve (see :mod:`forecast.models._curvefit`).

:class:`CurveProblem` holds a curve and observations that may be points (``=``), approximate
points (``~``) or bounds (``>=``, ``<=``); :func:`estimate` minimises the objective described
in :mod:`forecast.models._curvefit` with ``scipy.optimize.least_squares`` and returns the
estimate, the noise scale and the degrees of freedom.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy import optimize

from forecast.errors import ConfigError, FitError, HistoryError

__all__ = [
    "APPROX_ERROR_FACTOR",
    "BOUND_MARGIN",
    "BOUND_ROUNDS",
    "CurveFunction",
    "CurveProblem",
    "estimate",
    "evaluate",
    "with_y",
]

APPROX_ERROR_FACTOR = 3.0
"""An observation with qualifier ``~`` has this many times the error of an exact one."""

BOUND_MARGIN = 1e-6
"""Bounds are enforced against ``b (1 + BOUND_MARGIN)`` (or ``1 -``) so fits land on their side."""

BOUND_ROUNDS = 6
"""Rounds of a hundredfold bound weight used to enforce bounds the plain fit violates."""

_HUGE = 1e150
_MAX_EVALUATIONS = 400
_SIGMA_ROUNDS = 12

CurveFunction = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""``curve(theta, t)``: theta ``(..., k)``, t ``(n,)`` -> values ``(..., n)``."""


def _array_or(value: np.ndarray | None, k: int, fill: float) -> np.ndarray:
    """``value`` as a float array, or ``k`` copies of ``fill`` when it is None."""
    return np.full(k, fill) if value is None else np.asarray(value, dtype=float)


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
        Hard box bounds on ``theta`` (``-inf``/``inf`` where free, the default).
    prior_mean, prior_sd : ndarray, optional
        Gaussian prior of each coordinate of ``theta``; NaN (the default) means no prior on it.
    sigma : float, optional
        Fixed observation noise scale on the fitted scale; estimated when None.
    names : sequence of str, optional
        Names of the coordinates of ``theta`` (for messages).
    series : str, optional
        Name of the series (for messages).

    Raises
    ------
    ConfigError
        No starting vector, a ``sigma`` that is not a positive number, or an unknown qualifier.
    """

    def __init__(
        self,
        *,
        curve: CurveFunction,
        t: np.ndarray,
        y: np.ndarray,
        qualifier: np.ndarray,
        starts: Sequence[np.ndarray],
        lower: np.ndarray | None = None,
        upper: np.ndarray | None = None,
        prior_mean: np.ndarray | None = None,
        prior_sd: np.ndarray | None = None,
        sigma: float | None = None,
        names: Sequence[str] = (),
        series: str = "series",
    ) -> None:
        self.curve = curve
        self.t = np.asarray(t, dtype=float)
        self.y = np.asarray(y, dtype=float)
        self.qualifier = np.asarray(qualifier, dtype=object)
        self.starts = [np.asarray(s, dtype=float) for s in starts]
        self.names = names
        self.series = series
        if not self.starts:
            raise ConfigError(
                f"the curve problem of series {series!r} needs at least one starting vector."
            )
        k = self.k
        self.lower = _array_or(lower, k, -np.inf)
        self.upper = _array_or(upper, k, np.inf)
        self.prior_mean = _array_or(prior_mean, k, np.nan)
        self.prior_sd = _array_or(prior_sd, k, np.nan)
        if sigma is not None and not (np.isfinite(sigma) and sigma > 0):
            raise ConfigError(f"sigma must be a positive number, not {sigma!r}.")
        self.sigma = sigma
        unknown = sorted({str(q) for q in self.qualifier} - {"=", "~", ">=", "<="})
        if unknown:
            raise ConfigError(
                f"unknown qualifier(s) {', '.join(map(repr, unknown))} in column 'qualifier' "
                f"of series {series!r}; use '=', '~', '>=' or '<='."
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
        """Relative error of each point observation (1 for ``=``, APPROX_ERROR_FACTOR for ``~``)."""
        return np.where(self.qualifier[self.points] == "~", APPROX_ERROR_FACTOR, 1.0)


def with_y(problem: CurveProblem, y: np.ndarray, starts: Sequence[np.ndarray]) -> CurveProblem:
    """Copy ``problem`` with observations ``y`` and starting vectors ``starts``."""
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
def evaluate(curve: CurveFunction, theta: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Evaluate the curve at ``theta`` and ``t``; overflow far from the data gives inf, silently."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        return np.asarray(curve(theta, t), dtype=float)


def _bound_targets(problem: CurveProblem) -> tuple[np.ndarray, np.ndarray]:
    lo = problem.y[problem.lower_bounds]
    hi = problem.y[problem.upper_bounds]
    return lo + BOUND_MARGIN * np.abs(lo), hi - BOUND_MARGIN * np.abs(hi)


def _residuals(
    theta: np.ndarray, problem: CurveProblem, sigma: float, stiffness: np.ndarray
) -> np.ndarray:
    f = evaluate(problem.curve, theta, problem.t)
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
    f = evaluate(problem.curve, theta, problem.t)
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
    f = evaluate(problem.curve, theta, problem.t)
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


def estimate(problem: CurveProblem, n_polish: int = 4) -> tuple[np.ndarray, float, int]:
    """Penalised fit of ``theta`` and ``sigma``; returns (theta, sigma, dof)."""
    n_points = int(problem.points.sum())
    k = _free_parameters(problem)
    dof = n_points - k
    if problem.sigma is None and dof < 1:
        names = ", ".join(problem.names) if problem.names else f"{k} parameters"
        raise HistoryError(
            f"series {problem.series!r} has {n_points} point observation(s) (qualifier '=' or "
            f"'~') for {k} free parameters ({names}), so the noise scale cannot be estimated. "
            "Pass sigma=... (e.g. sigma=0.2 with transform='log' for errors of about 20%), add "
            "observations, or fix a parameter.",
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
            f"the curve of series {problem.series!r} cannot satisfy its bounds (qualifier '>=' "
            "or '<='); check that the bounds do not contradict each other or the points."
        )
    if problem.sigma is None:
        sigma = _sigma_hat(theta, problem, dof)
    return theta, sigma, max(dof, 0)
