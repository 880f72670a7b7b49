r"""The MAP estimate of Prophet's Stan model, computed in-process with scipy.

Prophet (1.5) hands its Stan backend the model's data (``stan_data``: ``T``, ``K``, ``S``, ``t``,
``y``, ``cap``, ``t_change``, ``X``, ``sigmas``, ``tau``, ``trend_indicator``, ``s_a``, ``s_m``)
and initial values (``stan_init``: ``k``, ``m``, ``delta``, ``sigma_obs``, ``beta``), and its
``CmdStanPyBackend.fit`` runs CmdStan's ``optimize`` (L-BFGS, Newton below 100 observations,
no Jacobian adjustment). This module maximises the same log density in-process for the linear
(``trend_indicator`` 0) and flat (2) trends, which is all Prophet's ``prophet.stan`` model block
says:

.. math::

    \log p = -\frac{k^2 + m^2}{2 \cdot 5^2} - \frac{\sum_j |\delta_j|}{\tau}
             - \frac{\sigma^2}{2 \cdot 0.5^2} - \sum_j \frac{\beta_j^2}{2 s_j^2}
             - T \log\sigma - \frac{\lVert y - \mu\rVert^2}{2\sigma^2},
    \qquad \mu = g \odot (1 + X_m \beta) + X_a \beta,

with :math:`g = (k + A\delta) \odot t + m + A(-t_c \odot \delta)` (linear; :math:`A_{ij} = [t_i
\ge t_{c,j}]`) or :math:`g = m` (flat), :math:`X_a, X_m` the columns of ``X`` flagged by ``s_a``
and ``s_m``, :math:`s` the ``sigmas`` and :math:`\sigma` = ``sigma_obs`` > 0. Constant terms
are dropped as Stan's ``~`` statements drop them, so :func:`log_posterior` equals the ``lp__``
CmdStan reports at the same parameters.

The Laplace prior on :math:`\delta` is not differentiable at 0, where many of its MAP values
lie. The optimiser works on :math:`\delta = u - v` with :math:`u, v \ge 0` (bounds), on which
the prior is the linear :math:`-\sum_j (u_j + v_j)/\tau`; an optimum has :math:`u_j v_j = 0`,
so it is the MAP of the original problem, with exact zeros where the prior wins.
:math:`\sigma` is profiled out: given the residual sum of squares :math:`R` its maximiser solves
:math:`4\sigma^4 + T\sigma^2 - R = 0` (no Jacobian, as in Stan's optimisation), so the optimiser
sees the remaining parameters only, each scaled by the norm of its column of the design. The
optimiser is scipy's SLSQP (a quasi-Newton method with a dense BFGS matrix and the bounds
handled exactly in each step's quadratic subproblem): with about 50 to 80 parameters it
converges in tens of iterations where L-BFGS-B needed hundreds to thousands on the correlated
changepoint ramps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize

__all__ = ["IN_PROCESS_TRENDS", "MapResult", "log_posterior", "map_estimate"]

IN_PROCESS_TRENDS = (0, 2)
"""Prophet's ``trend_indicator`` values estimated here: linear (0) and flat (2)."""

_K_M_SCALE = 5.0
_SIGMA_SCALE = 0.5
_FTOL = 1e-10
"""SLSQP stops when the negative log posterior changes by less than this (absolute; CmdStan's
L-BFGS stops at a relative change of about ``2e-12``, i.e. ``2e-8`` for a daily series whose log
posterior is near 8000)."""
_MAX_ITERATIONS = 1000


@dataclass(frozen=True)
class MapResult:
    """The MAP estimate and how the optimiser reached it.

    Attributes
    ----------
    params : dict of ndarray
        ``lp__``, ``k``, ``m``, ``delta``, ``sigma_obs``, ``beta`` and ``trend``, each of
        shape ``(1, n)`` as Prophet's ``CmdStanPyBackend.fit`` returns them (empty when the
        posterior has no mode).
    success : bool
        Whether SLSQP reported convergence.
    message : str
        SLSQP's message.
    iterations : int
        SLSQP's iterations.
    """

    params: dict[str, np.ndarray]
    success: bool
    message: str
    iterations: int


class _Problem:
    """Stan's data, rearranged for fast evaluation of the negative log posterior.

    The optimiser's vector is ``[k, m, beta (K), u (S), v (S)] * scale`` with ``delta = u - v``;
    ``sigma_obs`` is profiled out (its optimum given the residuals is closed-form), and each
    coordinate is scaled by the norm of its column of the design, so all start on one footing.
    """

    def __init__(self, data: Mapping[str, Any]) -> None:
        trend = int(data["trend_indicator"])
        if trend not in IN_PROCESS_TRENDS:
            raise ValueError(
                f"trend_indicator {trend} is not estimated in-process (only {IN_PROCESS_TRENDS})."
            )
        self.t = np.asarray(data["t"], dtype=float)
        self.y = np.asarray(data["y"], dtype=float)
        x = data["X"]
        self.x = np.ascontiguousarray(
            x.to_numpy(dtype=float) if hasattr(x, "to_numpy") else np.asarray(x, dtype=float)
        )
        self.s_a = np.asarray(data["s_a"], dtype=float)
        self.s_m = np.asarray(data["s_m"], dtype=float)
        self.sigmas = np.asarray(data["sigmas"], dtype=float)
        self.tau = float(data["tau"])
        self.t_change = np.asarray(data["t_change"], dtype=float).reshape(-1)
        self.n_obs = self.y.size
        self.n_features = self.x.shape[1]
        self.n_changes = self.t_change.size
        self.is_linear = trend == 0
        self.is_multiplicative = bool(np.any(self.s_m != 0))
        # (A .* (t - t_change)) delta is the linear trend's change part:
        # A delta .* t + A (-t_change .* delta).
        after = self.t[:, None] >= self.t_change[None, :]
        self.changes = np.ascontiguousarray(after * (self.t[:, None] - self.t_change[None, :]))
        trend_norms = np.sqrt(np.concatenate([[self.t @ self.t], np.sum(self.changes**2, axis=0)]))
        if not self.is_linear:
            trend_norms[:] = 0.0
        feature_norms = np.sqrt(np.sum(self.x**2, axis=0))
        norms = np.concatenate(
            [
                trend_norms[:1],
                [np.sqrt(self.n_obs)],
                feature_norms,
                trend_norms[1:],
                trend_norms[1:],
            ]
        )
        self.scale = np.sqrt(norms**2 + 1.0)

    def can_interpolate(self) -> bool:
        """Tell whether the additive design ``[t, 1, X, A .* (t - t_change)]`` spans the data.

        When it spans all ``T`` observations, some mean fits the data exactly and the log
        posterior grows without bound as ``sigma_obs -> 0`` (no mode to find).
        """
        columns = 2 + self.n_features + self.n_changes
        if columns < self.n_obs:
            return False
        linear = 1.0 if self.is_linear else 0.0
        design = np.column_stack(
            [linear * self.t, np.ones(self.n_obs), self.x, linear * self.changes]
        )
        return bool(np.linalg.matrix_rank(design) >= self.n_obs)

    def trend(self, k: float, m: float, delta: np.ndarray) -> np.ndarray:
        if self.is_linear:
            return k * self.t + m + self.changes @ delta
        return np.full(self.n_obs, m)

    def mean(self, trend: np.ndarray, beta: np.ndarray) -> np.ndarray:
        additive = self.x @ (self.s_a * beta)
        if not self.is_multiplicative:
            return trend + additive
        return trend * (1.0 + self.x @ (self.s_m * beta)) + additive

    def _penalty(self, k: float, m: float, sigma: float, beta: np.ndarray, squares: float) -> float:
        """Return minus the log density without the rate changes' prior.

        The residuals enter through their sum of squares, ``squares``.
        """
        return float(
            (k * k + m * m) / (2 * _K_M_SCALE**2)
            + sigma * sigma / (2 * _SIGMA_SCALE**2)
            + np.sum(beta * beta / (2 * self.sigmas**2))
            + self.n_obs * np.log(sigma)
            + squares / (2 * sigma * sigma)
        )

    def log_density(
        self, k: float, m: float, delta: np.ndarray, sigma: float, beta: np.ndarray
    ) -> float:
        residual = self.y - self.mean(self.trend(k, m, delta), beta)
        return (
            -self._penalty(k, m, sigma, beta, float(residual @ residual))
            - float(np.sum(np.abs(delta))) / self.tau
        )

    def best_sigma(self, squares: float) -> float:
        """Return the ``sigma_obs`` maximising the log density, given the residuals' squares.

        Setting the derivative in ``sigma`` to zero gives ``4 sigma^4 + T sigma^2 - squares = 0``
        (for the prior scale 0.5).
        """
        n = self.n_obs
        root = np.sqrt(n * n + 4 * squares / _SIGMA_SCALE**2)
        return float(
            np.sqrt(squares * 2 / (n + root))
        )  # = sqrt((root - n) * scale^2 / 2), without cancellation

    def pack(self, k: float, m: float, delta: np.ndarray, beta: np.ndarray) -> np.ndarray:
        return self.scale * np.concatenate(
            [[k, m], beta, np.maximum(delta, 0.0), np.maximum(-delta, 0.0)]
        )

    def unpack(self, z: np.ndarray) -> tuple[float, float, np.ndarray, np.ndarray]:
        x = z / self.scale
        n_k = self.n_features
        u = x[2 + n_k : 2 + n_k + self.n_changes]
        v = x[2 + n_k + self.n_changes :]
        return float(x[0]), float(x[1]), u - v, x[2 : 2 + n_k]

    def bounds(self) -> list[tuple[float | None, float | None]]:
        return [(None, None)] * (2 + self.n_features) + [(0.0, None)] * (2 * self.n_changes)

    def objective(self, z: np.ndarray) -> tuple[float, np.ndarray]:
        """Negative log posterior, with ``sigma_obs`` at its optimum, and its gradient in ``z``.

        By the envelope theorem the gradient is the partial one at the optimal ``sigma_obs``.
        """
        k, m, delta, beta = self.unpack(z)
        u_v = z[2 + self.n_features :] / self.scale[2 + self.n_features :]
        trend = self.trend(k, m, delta)
        residual = self.y - self.mean(trend, beta)
        squares = residual @ residual
        sigma = self.best_sigma(squares)
        precision = 1.0 / (sigma * sigma)
        weight = residual * precision  # d log p / d mu
        x_weight = self.x.T @ weight
        if self.is_multiplicative:
            trend_weight = weight * (1.0 + self.x @ (self.s_m * beta))  # d log p / d trend
            beta_gradient = self.s_a * x_weight + self.s_m * (self.x.T @ (trend * weight))
        else:
            trend_weight = weight
            beta_gradient = self.s_a * x_weight
        value = self._penalty(k, m, sigma, beta, squares) + float(np.sum(u_v)) / self.tau
        gradient = np.empty_like(z)
        gradient[0] = k / _K_M_SCALE**2
        gradient[1] = m / _K_M_SCALE**2 - np.sum(trend_weight)
        gradient[2 : 2 + self.n_features] = beta / self.sigmas**2 - beta_gradient
        if self.is_linear:
            gradient[0] -= self.t @ trend_weight
            change_gradient = -(self.changes.T @ trend_weight)
        else:
            change_gradient = np.zeros(self.n_changes)
        start = 2 + self.n_features
        gradient[start : start + self.n_changes] = 1.0 / self.tau + change_gradient
        gradient[start + self.n_changes :] = 1.0 / self.tau - change_gradient
        return float(value), gradient / self.scale


def _vector(params: Mapping[str, Any], name: str) -> np.ndarray:
    return np.asarray(params[name], dtype=float).reshape(-1)


def _scalar(params: Mapping[str, Any], name: str) -> float:
    return float(np.asarray(params[name], dtype=float).reshape(-1)[0])


def log_posterior(params: Mapping[str, Any], stan_data: Mapping[str, Any]) -> float:
    """Log density of Prophet's Stan model as Stan's ``optimize`` maximises it.

    Parameters
    ----------
    params : mapping
        ``k``, ``m``, ``delta``, ``sigma_obs`` and ``beta`` (scalars or arrays of any shape
        holding one draw, e.g. Prophet's ``params`` or ``stan_init``).
    stan_data : mapping
        The data Prophet passes to its Stan backend, with ``trend_indicator`` 0 or 2.

    Returns
    -------
    float
        The log posterior without constant terms and without the Jacobian of
        ``sigma_obs``'s transform: CmdStan's ``lp__`` of an optimisation at those parameters.
    """
    problem = _Problem(stan_data)
    return problem.log_density(
        _scalar(params, "k"),
        _scalar(params, "m"),
        _vector(params, "delta"),
        _scalar(params, "sigma_obs"),
        _vector(params, "beta"),
    )


def map_estimate(stan_init: Mapping[str, Any], stan_data: Mapping[str, Any]) -> MapResult:
    """Maximise Prophet's log posterior with SLSQP, from ``stan_init``.

    Parameters
    ----------
    stan_init : mapping
        Initial values ``k``, ``m``, ``delta``, ``beta`` (Prophet's own, or a warm start);
        ``sigma_obs``, profiled out, needs none.
    stan_data : mapping
        The data Prophet passes to its Stan backend, with ``trend_indicator`` 0 or 2.

    Returns
    -------
    MapResult
        The estimate in the shapes of Prophet's ``CmdStanPyBackend.fit`` and the optimiser's
        report; unsuccessful with no estimate, without optimising, when the features can
        interpolate the history (as many independent columns as observations), where the log
        posterior grows without bound as ``sigma_obs -> 0``.
    """
    problem = _Problem(stan_data)
    if problem.can_interpolate():
        message = "the features can interpolate the history, so the log posterior has no mode"
        return MapResult(params={}, success=False, message=message, iterations=0)
    start = problem.pack(
        _scalar(stan_init, "k"),
        _scalar(stan_init, "m"),
        _vector(stan_init, "delta"),
        _vector(stan_init, "beta"),
    )
    result = optimize.minimize(
        problem.objective,
        start,
        jac=True,
        method="SLSQP",
        bounds=problem.bounds(),
        options={"ftol": _FTOL, "maxiter": _MAX_ITERATIONS},
    )
    k, m, delta, beta = problem.unpack(result.x)
    trend = problem.trend(k, m, delta)
    residual = problem.y - problem.mean(trend, beta)
    sigma = problem.best_sigma(float(residual @ residual))
    params = {
        "lp__": np.array([[problem.log_density(k, m, delta, sigma, beta)]]),
        "k": np.array([[k]]),
        "m": np.array([[m]]),
        "delta": delta.reshape(1, -1).copy(),
        "sigma_obs": np.array([[sigma]]),
        "beta": beta.reshape(1, -1).copy(),
        "trend": trend.reshape(1, -1),
    }
    return MapResult(
        params=params,
        success=bool(result.success),
        message=str(result.message),
        iterations=int(result.nit),
    )
