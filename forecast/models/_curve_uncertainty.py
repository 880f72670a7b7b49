"""Parameter uncertainty, draws and intervals of a fitted curve (see ``_curvefit``).

:func:`fit_curve` runs the penalised fit of :mod:`forecast.models._curve_estimate` and prepares
the parameter uncertainty: the Laplace covariance from the Jacobian of the weighted residuals,
with the asymptote's coordinate read from its profile likelihood (both in
:mod:`forecast.models._curve_profile`), or a parametric bootstrap. :class:`CurveFit` draws
parameters, noise scales and paths, and predicts with nested equal-tailed intervals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from forecast.errors import ConfigError, FitError
from forecast.models._curve_estimate import CurveProblem, estimate, evaluate, with_y
from forecast.models._curve_profile import (
    PROFILE_FLOOR,
    Profile,
    dependence_factor,
    laplace_cov,
    profile,
)
from forecast.models.base import Intervals, quantile_intervals

__all__ = [
    "PREDICT_DRAWS",
    "PROFILE_FLOOR",
    "CurveFit",
    "Profile",
    "dependence_factor",
    "fit_curve",
    "profile",
]

PREDICT_DRAWS = 4000
"""Paths behind the intervals of ``CurveFit.predict``."""

_MAX_REJECTION_ROUNDS = 40


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
    asymptote : int or None
        With the Laplace method, the coordinate drawn from its profile likelihood (None: every
        coordinate from the Laplace normal).
    profile : Profile or None
        That profile, computed at the first draw (a fit used only for its point forecast, as
        in inner backtests, never needs it); None before, or where it could not be made.
    profiled : bool
        Whether ``profile`` was computed.
    """

    problem: CurveProblem
    theta: np.ndarray
    sigma: float
    dof: int
    cov: np.ndarray
    method: Literal["laplace", "bootstrap"] = "laplace"
    boot_theta: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    boot_sigma: np.ndarray = field(default_factory=lambda: np.zeros(0))
    asymptote: int | None = None
    profile: Profile | None = None
    profiled: bool = False

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
            draws = (
                self.profile.draw(2 * n, rng)
                if self.profile is not None
                else rng.multivariate_normal(
                    self.theta, self.cov, size=2 * n, method="svd", check_valid="ignore"
                )
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
        if self.asymptote is not None and not self.profiled:
            self.profile = profile(self.problem, self.theta, self.sigma, self.dof, self.asymptote)
            self.profiled = True
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
    asymptote: int | None = 0,
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
    asymptote : int or None
        The coordinate of ``theta`` that sets the saturation level (the log of ``m`` or ``K``,
        first in every curve of the package). With the Laplace method it is drawn from its
        profile likelihood (:func:`profile`): a curve that has not bent yet says little about
        its asymptote, and the normal approximation at the estimate is far too sure of it.
        None draws every coordinate from the Laplace normal.

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
    cov = laplace_cov(theta, problem, sigma)
    fit = CurveFit(problem=problem, theta=theta, sigma=sigma, dof=dof, cov=cov, method=method)
    if method == "laplace":
        fit.asymptote = asymptote
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
