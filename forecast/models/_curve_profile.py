"""The Laplace covariance of a fitted curve and the profile likelihood of its asymptote.

:func:`laplace_cov` turns the Jacobian of the weighted residuals into the inverse information
at an estimate; :func:`profile` follows the likelihood of one coordinate (the asymptote's)
outwards, refitting the others, into a :class:`Profile` that
:class:`~forecast.models._curve_uncertainty.CurveFit` draws that coordinate from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecast.errors import FitError, HistoryError
from forecast.models._curve_estimate import CurveProblem, estimate, evaluate

__all__ = ["PROFILE_FLOOR", "Profile", "dependence_factor", "laplace_cov", "profile"]

PROFILE_FLOOR = 1e-4
"""The profile of the asymptote is followed outwards until its relative likelihood falls below
this (or a box bound or the limit of steps is reached)."""

_PROFILE_STEPS = 16
_PROFILE_GROWTH = 1.6
_MIN_INDEPENDENT = 0.1


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


def laplace_cov(theta: np.ndarray, problem: CurveProblem, sigma: float) -> np.ndarray:
    """Return the inverse information of the free coordinates at ``theta`` (0 elsewhere)."""
    jac = _jacobian(theta, problem, sigma)
    free = problem.lower < problem.upper
    info = jac[:, free].T @ jac[:, free]
    cov = np.zeros((problem.k, problem.k))
    if np.abs(info).max(initial=0.0) > 1e-296:  # below, as for 0 (a flat curve): none
        cov[np.ix_(free, free)] = np.linalg.pinv(info, rcond=1e-12)
    return cov


# -------------------------------------------------------------------------------------- profile
def _costs(theta: np.ndarray, problem: CurveProblem, sigma: float) -> tuple[float, float]:
    """Half the sum of squares of the weighted point residuals, and of the prior terms."""
    f = evaluate(problem.curve, theta, problem.t)
    points = problem.points
    r = (problem.y[points] - f[points]) / (sigma * problem.point_scale)
    has_prior = np.isfinite(problem.prior_mean)
    z = (theta[has_prior] - problem.prior_mean[has_prior]) / problem.prior_sd[has_prior]
    return 0.5 * float(np.sum(r**2)), 0.5 * float(np.sum(z**2))


def _fixed_at(problem: CurveProblem, start: np.ndarray, c: int, value: float) -> CurveProblem:
    """``problem`` with coordinate ``c`` fixed at ``value`` and the noise scale at its estimate."""
    lower, upper, theta = problem.lower.copy(), problem.upper.copy(), start.copy()
    lower[c] = upper[c] = theta[c] = value
    return CurveProblem(
        curve=problem.curve,
        t=problem.t,
        y=problem.y,
        qualifier=problem.qualifier,
        starts=[theta],
        lower=lower,
        upper=upper,
        prior_mean=problem.prior_mean,
        prior_sd=problem.prior_sd,
        sigma=problem.sigma,
        names=problem.names,
        series=problem.series,
    )


@dataclass
class Profile:
    """The profile likelihood of one coordinate of ``theta`` on a grid, to draw from.

    Attributes
    ----------
    coordinate : int
        The profiled coordinate.
    thetas : ndarray
        Shape ``(g, k)``: at each grid value of the coordinate, the other coordinates refitted.
    mass : ndarray
        Shape ``(g,)``: probability of each grid cell (sums to 1).
    edges : ndarray
        Shape ``(g + 1,)``: the cells' bounds on the coordinate.
    covs : ndarray
        Shape ``(g, k, k)``: the Laplace covariance of the other coordinates with this one
        fixed at each grid value (zero row and column for it).
    """

    coordinate: int
    thetas: np.ndarray
    mass: np.ndarray
    edges: np.ndarray
    covs: np.ndarray

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n`` parameter vectors from the profile.

        A cell by its mass, the coordinate uniform in it, the other coordinates interpolated
        between the grid's refits plus their conditional Laplace noise.
        """
        c = self.coordinate
        cells = rng.choice(self.mass.size, size=n, p=self.mass)
        values = rng.uniform(self.edges[cells], self.edges[cells + 1])
        centres = self.thetas[:, c]
        draws = np.column_stack(
            [np.interp(values, centres, self.thetas[:, j]) for j in range(self.thetas.shape[1])]
        )
        draws[:, c] = values
        for cell in np.unique(cells):
            rows = cells == cell
            draws[rows] += rng.multivariate_normal(
                np.zeros(draws.shape[1]),
                self.covs[cell],
                size=int(rows.sum()),
                method="svd",
                check_valid="ignore",
            )
        return draws


def dependence_factor(theta: np.ndarray, problem: CurveProblem) -> float:
    """Effective share of independent observations, ``(1 - rho) / (1 + rho)`` for ``rho > 0``.

    ``rho`` is the lag-one autocorrelation of the point residuals in time order; the factor is
    1 for ``rho <= 0`` or fewer than 4 points, and at least ``_MIN_INDEPENDENT``. A curve's
    residuals on user counts are typically positively autocorrelated, so its least-squares
    fit is surer of the parameters than the data allow (Bence 1995).
    """
    points = problem.points
    if int(points.sum()) < 4:
        return 1.0
    order = np.argsort(problem.t[points], kind="stable")
    f = evaluate(problem.curve, theta, problem.t)
    r = ((problem.y[points] - f[points]) / problem.point_scale)[order]
    r = r - r.mean()
    denominator = float(np.sum(r**2))
    rho = float(np.sum(r[1:] * r[:-1]) / denominator) if denominator > 0 else 0.0
    return float(np.clip((1.0 - rho) / (1.0 + rho), _MIN_INDEPENDENT, 1.0))


def _relative_weight(
    costs: tuple[float, float],
    best: tuple[float, float],
    problem: CurveProblem,
    dof: int,
    independent: float,
) -> float:
    """Relative profile likelihood; Student-t in the data part when ``sigma`` was estimated."""
    data, prior = independent * (costs[0] - best[0]), costs[1] - best[1]
    if problem.sigma is None and dof >= 1:
        return float((1.0 + 2.0 * max(data, 0.0) / dof) ** (-(dof + 1) / 2) * np.exp(-prior))
    return float(np.exp(-max(data, 0.0) - prior))


def _walk(
    problem: CurveProblem,
    theta: np.ndarray,
    sigma: float,
    dof: int,
    independent: float,
    c: int,
    direction: int,
) -> list[tuple[np.ndarray, float, np.ndarray]]:
    """Refits along one direction of coordinate ``c``: (theta, relative weight, covariance)."""
    best = _costs(theta, problem, sigma)
    se = float(np.sqrt(max(laplace_cov(theta, problem, sigma)[c, c], 0.0) / independent))
    step = float(np.clip(se, 0.02, 0.5)) if np.isfinite(se) else 0.1
    found: list[tuple[np.ndarray, float, np.ndarray]] = []
    current, offset = theta, 0.0
    for _ in range(_PROFILE_STEPS):
        offset += step
        step *= _PROFILE_GROWTH
        value = float(np.clip(theta[c] + direction * offset, problem.lower[c], problem.upper[c]))
        try:
            fixed = _fixed_at(problem, current, c, value)
            current, _, _ = estimate(fixed, n_polish=1)
            cov = laplace_cov(current, fixed, sigma) / independent
        except (FitError, HistoryError):
            break
        weight = _relative_weight(_costs(current, problem, sigma), best, problem, dof, independent)
        found.append((current, weight, cov))
        if weight < PROFILE_FLOOR or value in (problem.lower[c], problem.upper[c]):
            break
    return found


def profile(
    problem: CurveProblem, theta: np.ndarray, sigma: float, dof: int, coordinate: int = 0
) -> Profile | None:
    r"""Profile the likelihood of one coordinate of ``theta`` (the asymptote's, by default).

    From the estimate, the coordinate is moved outwards in growing steps (the first the Laplace
    standard error, clipped to 0.02..0.5) in both directions, the other coordinates refitted
    with it fixed, until the relative likelihood falls below :data:`PROFILE_FLOOR`, a box
    bound is reached or ``_PROFILE_STEPS`` steps were taken. With an estimated noise scale the
    relative likelihood of the data is :math:`(1 + 2\Delta / \nu)^{-(\nu + 1) / 2}` (the
    noise scale integrated out; :math:`\Delta` the rise of the weighted half sum of squares,
    :math:`\nu` the degrees of freedom), times :math:`e^{-\Delta_{prior}}`.

    Returns
    -------
    Profile or None
        None when the coordinate is fixed or no step away from the estimate could be refitted.

    References
    ----------
    .. [1] Venzon, D. J. and Moolgavkar, S. H. (1988). A method for computing
       profile-likelihood-based confidence intervals. Applied Statistics 37(1), 87-94.
    .. [2] Raue, A. et al. (2009). Structural and practical identifiability analysis of
       partially observed dynamical models by exploiting the profile likelihood.
       Bioinformatics 25(15), 1923-1929.
    """
    c = coordinate
    if not problem.lower[c] < problem.upper[c]:
        return None
    independent = dependence_factor(theta, problem)
    fixed = _fixed_at(problem, theta, c, theta[c])
    centre = (theta, 1.0, laplace_cov(theta, fixed, sigma) / independent)
    below = _walk(problem, theta, sigma, dof, independent, c, -1)
    above = _walk(problem, theta, sigma, dof, independent, c, 1)
    rows = [*reversed(below), centre, *above]
    if len(rows) < 2:
        return None
    thetas = np.array([r[0] for r in rows])
    values = thetas[:, c]
    middle = (values[1:] + values[:-1]) / 2
    edges = np.concatenate(
        [
            [max(values[0] - (middle[0] - values[0]), problem.lower[c])],
            middle,
            [min(values[-1] + (values[-1] - middle[-1]), problem.upper[c])],
        ]
    )
    mass = np.array([r[1] for r in rows]) * np.diff(edges)
    if not (np.all(np.isfinite(mass)) and mass.sum() > 0):
        return None
    return Profile(c, thetas, mass / mass.sum(), edges, np.array([r[2] for r in rows]))
