"""Parameter uncertainty, draws and intervals of a fitted curve (see ``_curvefit``).

:func:`fit_curve` runs the penalised fit of :mod:`forecast.models._curve_estimate` and prepares
the parameter uncertainty: the Laplace covariance from the Jacobian of the weighted residuals,
or a parametric bootstrap. :class:`CurveFit` draws parameters, noise scales and paths, and
predicts with nested equal-tailed intervals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from forecast.errors import ConfigError, FitError
from forecast.models._curve_estimate import CurveProblem, estimate, evaluate, with_y
from forecast.models.base import Intervals, quantile_intervals

__all__ = ["PREDICT_DRAWS", "CurveFit", "fit_curve"]

PREDICT_DRAWS = 4000
"""Paths behind the intervals of ``CurveFit.predict``."""

_MAX_REJECTION_ROUNDS = 40


def _jacobian(theta: np.ndarray, problem: CurveProblem, sigma: float) -> np.ndarray:
    """Jacobian of the Laplace residuals: points, active bounds counted as points, prior."""
    f0 = evaluate(problem.curve, theta, problem.t)
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
            (evaluate(problem.curve, up, problem.t) - evaluate(problem.curve, down, problem.t))
            / (2 * step)
        )[rows]
    if not np.all(np.isfinite(jac)):
        raise FitError(
            f"the curve of series {problem.series!r} is not differentiable at its estimate "
            f"({', '.join(problem.names) or 'parameters'} at the edge of what the data allow); "
            "give a capacity or market size, a prior, or more data."
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
        """Evaluate the fitted curve at times ``t``."""
        return evaluate(self.problem.curve, self.theta, np.asarray(t, dtype=float))

    def _feasible(self, thetas: np.ndarray) -> np.ndarray:
        problem = self.problem
        ok = np.all((thetas >= problem.lower) & (thetas <= problem.upper), axis=1)
        bounded = problem.lower_bounds | problem.upper_bounds
        if bounded.any():
            f = evaluate(problem.curve, thetas, problem.t[bounded])
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
                f"the Laplace approximation of series {self.problem.series!r} puts no mass where "
                "the bounds hold; use interval_method='bootstrap'."
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
        """Draw ``n`` paths at times ``t``: curves plus Gaussian observation noise.

        Returns
        -------
        ndarray
            Shape ``(n, len(t))``.
        """
        t = np.asarray(t, dtype=float)
        thetas, sigmas = self.draw(n, rng)
        curves = evaluate(self.problem.curve, thetas, t)
        return curves + sigmas[:, None] * rng.standard_normal((n, t.size))

    def predict(
        self, t: np.ndarray, levels: Sequence[float], seed: int = 0
    ) -> tuple[np.ndarray, Intervals]:
        """Predict the fitted curve at ``t``, with intervals from ``PREDICT_DRAWS`` paths.

        Intervals are equal-tailed, widened where needed to contain the point, so they nest
        around it.
        """
        point = self.curve(t)
        if not levels:
            return point, {}
        paths = self.sample(t, PREDICT_DRAWS, np.random.default_rng(seed))
        if not np.all(np.isfinite(paths)):
            raise FitError(
                f"the drawn curves of series {self.problem.series!r} overflow; the parameters are "
                "too uncertain: give a capacity or market size, a prior, or more data."
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
    theta, sigma, dof = estimate(problem)
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
                boot_theta, boot_sigma, _ = estimate(with_y(problem, y, [theta]), n_polish=1)
            except FitError:
                continue
            thetas.append(boot_theta)
            sigmas.append(boot_sigma)
        if len(thetas) < 2:
            raise FitError(
                f"the bootstrap refits of series {problem.series!r} failed; use "
                "interval_method='laplace'."
            )
        fit.boot_theta = np.array(thetas)
        fit.boot_sigma = np.array(sigmas)
    return fit
