r"""The exact Gaussian likelihood of a stationary (seasonal) ARMA, for ``arima``'s order search.

``arima``'s stepwise search estimates every candidate order by exact maximum likelihood.
statsmodels' SARIMAX computes that likelihood with a Kalman filter whose set-up on every call
(the parameter update, the polynomial products, the stationary initialisation by a Lyapunov
equation) costs more than the filter itself on series of competition length, and the optimiser
calls it a few thousand times per series. This module computes the same likelihood with a
handful of vectorised numpy and scipy calls, so that the search's fits cost a fraction of
SARIMAX's; the chosen order is then put into SARIMAX for forecasting, as before.

The method integrates out the pre-sample values (Box, Jenkins and Reinsel 2008, section 7.1.4;
Ljung and Box 1979). For :math:`\phi(B) z_t = \theta(B) \varepsilon_t`, :math:`t = 1..n`, the
innovations computed by the recursion :math:`\varepsilon = \theta(B)^{-1} \phi(B) z` depend
linearly on the filter's initial state :math:`s` (an :math:`r = \max(p, q)` vector fixed by
the pre-sample :math:`z` and :math:`\varepsilon`): :math:`\varepsilon = u + G s`, with
:math:`u` the innovations from a zero state and :math:`G` the filter's response to each unit
state. With :math:`s \sim N(0, \sigma^2 \Sigma)` (from the autocovariances and the
:math:`\psi` weights of the process) and unit Jacobian,

.. math::

    -2 \log L = n \log(2 \pi \sigma^2) + \log\det(I + W \Sigma)
        + \frac{u^\top u - g^\top \Sigma (I + W \Sigma)^{-1} g}{\sigma^2},
    \qquad W = G^\top G, \; g = G^\top u,

and :math:`\sigma^2` is concentrated out. The parameters, their transformation to the
stationary and invertible region (Monahan 1984, statsmodels' ``constrain_stationary_univariate``)
and the optimiser (L-BFGS-B with a forward-difference gradient of step 1e-5 on the mean
negative log-likelihood) are SARIMAX's, so an estimate agrees with ``SARIMAX(...,
simple_differencing=True, concentrate_scale=True).fit()``'s to the optimiser's tolerance.

References
----------
.. [1] Box, G. E. P., Jenkins, G. M. and Reinsel, G. C. (2008). Time Series Analysis:
   Forecasting and Control, 4th ed., section 7.1.4. Wiley.
.. [2] Brockwell, P. J. and Davis, R. A. (1991). Time Series: Theory and Methods, 2nd ed.,
   section 3.3. Springer.
.. [3] Ljung, G. M. and Box, G. E. P. (1979). The likelihood function of stationary
   autoregressive-moving average models. Biometrika 66(2), 265-270.
.. [4] Monahan, J. F. (1984). A note on enforcing stationarity in autoregressive-moving average
   models. Biometrika 71(2), 403-404.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.lib.stride_tricks import as_strided
from scipy.linalg import lu_factor, lu_solve
from scipy.optimize import fmin_l_bfgs_b
from scipy.signal import lfilter
from statsmodels.tsa.statespace.tools import (
    constrain_stationary_univariate,
    unconstrain_stationary_univariate,
)

from forecast.models._gradient import with_gradient

__all__ = ["ArmaLayout", "concentrated_loglike", "fit_arma"]

_ONE = np.ones(1)

_GRADIENT_STEP = 1e-5
"""Forward-difference step of the gradient, statsmodels' for L-BFGS (``MLEModel.fit``)."""


class ArmaLayout:
    """Where each block of a SARIMAX parameter vector sits, and how to expand it.

    SARIMAX orders the coefficients intercept (if any), ``n_exog`` regression coefficients,
    AR, MA, seasonal AR, seasonal MA.
    """

    def __init__(
        self, p: int, q: int, P: int, Q: int, m: int, constant: bool, n_exog: int = 0
    ) -> None:
        self.p, self.q, self.P, self.Q, self.m = p, q, P, Q, max(m, 1)
        self.constant = constant
        bounds = np.cumsum([int(constant), n_exog, p, q, P, Q])
        self.exog = slice(bounds[0], bounds[1])
        self.ar = slice(bounds[1], bounds[2])
        self.ma = slice(bounds[2], bounds[3])
        self.sar = slice(bounds[3], bounds[4])
        self.sma = slice(bounds[4], bounds[5])
        self.k = int(bounds[5])

    def polynomials(self, params: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Intercept and the expanded AR and MA lag polynomials (leading 1)."""
        intercept = float(params[0]) if self.constant else 0.0
        ar = _lag(params[self.ar], 1, -1.0)
        ma = _lag(params[self.ma], 1, 1.0)
        if self.P:
            ar = np.convolve(ar, _lag(params[self.sar], self.m, -1.0))
        if self.Q:
            ma = np.convolve(ma, _lag(params[self.sma], self.m, 1.0))
        return intercept, ar, ma

    def constrain(self, free: np.ndarray) -> np.ndarray:
        """SARIMAX's ``transform_params``: stationary AR and invertible MA blocks."""
        out = np.array(free, dtype=float)
        for block, sign in ((self.ar, 1.0), (self.ma, -1.0), (self.sar, 1.0), (self.sma, -1.0)):
            if block.stop > block.start:
                out[block] = sign * constrain_stationary_univariate(free[block])
        return out

    def unconstrain(self, params: np.ndarray) -> np.ndarray:
        """SARIMAX's ``untransform_params``, the inverse of :meth:`constrain`."""
        out = np.array(params, dtype=float)
        for block, sign in ((self.ar, 1.0), (self.ma, -1.0), (self.sar, 1.0), (self.sma, -1.0)):
            if block.stop > block.start:
                out[block] = unconstrain_stationary_univariate(sign * params[block])
        return out


def _lag(coefficients: np.ndarray, step: int, sign: float) -> np.ndarray:
    poly = np.zeros(step * len(coefficients) + 1)
    poly[0] = 1.0
    poly[step::step] = sign * coefficients
    return poly


@lru_cache(maxsize=256)
def _plan(p: int, q: int) -> _Plan:
    return _Plan(p, q)


class _Plan:
    """Index arrays that build the state's covariance for AR degree ``p`` and MA degree ``q``.

    Fancy indexing into the coefficients builds the Hankel and Toeplitz matrices of
    :meth:`state_covariance` in a fraction of the time scipy's ``hankel`` and ``toeplitz`` take.
    """

    def __init__(self, p: int, q: int) -> None:
        self.p, self.q, self.r = p, q, max(p, q)
        rows = np.arange(self.r)[:, None]
        # H[m, k] = poly[m + 1 + k], pointing past the end (a zero) where that is beyond it.
        self.h_ar = np.minimum(rows + 1 + np.arange(p)[None, :], p + 1)
        self.h_ma = np.minimum(rows + 1 + np.arange(q)[None, :], q + 1)
        k = np.arange(p + 1)[:, None]
        j = np.arange(p + 1)[None, :]
        # The autocovariance equations sum_i ar[i] gamma(|k - i|): coefficient of gamma(j)
        # is ar[k - j] (j <= k) plus ar[k + j] (j >= 1), a zero where out of range.
        self.lower = np.where(k >= j, k - j, p + 1)
        self.upper = np.where((j >= 1) & (k + j <= p), k + j, p + 1)
        self.rhs = np.minimum(np.arange(min(p, q) + 1)[:, None] + np.arange(q + 1)[None, :], q + 1)
        lag = np.arange(p)[:, None] - np.arange(p)[None, :]
        self.gamma = np.abs(lag)
        # Cov(z_{-i}, eps_{-k}) = psi[k - i] for k >= i, else zero.
        cross = np.arange(q)[None, :] - np.arange(p)[:, None]
        self.cross = np.where(cross >= 0, cross, q + 1)
        self.eye = np.eye(self.r)

    def state_covariance(self, ar: np.ndarray, ma: np.ndarray) -> np.ndarray:
        r"""Covariance (per unit innovation variance) of the filter's initial state.

        The state of ``lfilter(ar, ma, z)`` before the first observation is
        :math:`s = H_\phi z_{\text{past}} - H_\theta \varepsilon_{\text{past}}` (scipy's
        ``lfiltic``), with :math:`z_{\text{past}} = (z_0, z_{-1}, \dots)` and
        :math:`\varepsilon_{\text{past}}` likewise; their covariance comes from the stationary
        autocovariances :math:`\gamma` and the :math:`\psi` weights (Brockwell and Davis 1991,
        section 3.3, method 2).
        """
        p, q = self.p, self.q
        impulse = np.zeros(q + 2)
        impulse[0] = 1.0
        psi = lfilter(ma, ar, impulse)
        psi[-1] = 0.0
        ma0 = np.append(ma, 0.0)
        h_ma = ma0[self.h_ma]
        cov = h_ma @ h_ma.T
        if p:
            ar0 = np.append(ar, 0.0)
            system = ar0[self.lower] + ar0[self.upper]
            rhs = np.zeros(p + 1)
            rhs[: len(self.rhs)] = ma0[self.rhs] @ psi[: q + 1]
            gamma = np.linalg.solve(system, rhs)
            h_ar = ar0[self.h_ar]
            cov += h_ar @ gamma[self.gamma] @ h_ar.T
            if q:
                mixed = h_ar @ psi[self.cross] @ h_ma.T
                cov -= mixed + mixed.T
        return cov


def concentrated_loglike(
    w: np.ndarray, intercept: float, ar: np.ndarray, ma: np.ndarray
) -> tuple[float, float]:
    r"""Exact Gaussian log-likelihood of ``w`` under a stationary ARMA, its variance concentrated.

    Parameters
    ----------
    w : ndarray
        The (differenced) series.
    intercept : float
        SARIMAX's trend constant ``c`` in :math:`\phi(B) w_t = c + \theta(B) \varepsilon_t`.
    ar, ma : ndarray
        The expanded lag polynomials :math:`\phi(B)` and :math:`\theta(B)`, leading 1.

    Returns
    -------
    loglike, sigma2 : float
        The log-likelihood at the variance's estimate, and that estimate.

    Raises
    ------
    numpy.linalg.LinAlgError
        The autocovariance system or the state's system is singular (a unit root).
    ValueError
        ``w`` is empty (a series no longer than its differences).
    """
    n = len(w)
    if n == 0:
        raise ValueError("no observations are left after differencing")
    z = w - intercept / float(np.sum(ar)) if intercept else w
    u = lfilter(ar, ma, z)
    plan = _plan(len(ar) - 1, len(ma) - 1)
    log_det = 0.0
    sum_squares = float(u @ u)
    if plan.r:
        # The response to a unit state j is the impulse response of 1 / theta delayed by j:
        # row j of a strided view of that response after r - 1 zeros.
        padded = np.zeros(n + plan.r - 1)
        padded[plan.r - 1] = 1.0
        padded[plan.r - 1 :] = lfilter(_ONE, ma, padded[plan.r - 1 :])
        step = padded.strides[0]
        response = as_strided(
            padded[plan.r - 1 :], shape=(plan.r, n), strides=(-step, step), writeable=False
        )
        weights = response @ response.T
        projection = response @ u
        cov = plan.state_covariance(ar, ma)
        factor = lu_factor(plan.eye + weights @ cov, check_finite=False)
        diagonal = np.abs(factor[0].diagonal())
        if not np.all(diagonal > 0):
            raise np.linalg.LinAlgError("the state's covariance is singular")
        log_det = float(np.log(diagonal).sum())
        sum_squares -= float(projection @ cov @ lu_solve(factor, projection, check_finite=False))
    sigma2 = sum_squares / n
    if not sigma2 > 0:
        raise np.linalg.LinAlgError("the sum of squared innovations is not positive")
    return -0.5 * (n * (np.log(2 * np.pi * sigma2) + 1.0) + log_det), sigma2


def fit_arma(
    w: np.ndarray, layout: ArmaLayout, start: np.ndarray, maxiter: int
) -> tuple[np.ndarray, float, float]:
    """Maximise :func:`concentrated_loglike` over the coefficients, as SARIMAX's ``fit`` does.

    L-BFGS-B on the unconstrained coefficients (:meth:`ArmaLayout.unconstrain`) minimises the
    mean negative log-likelihood, with scipy's stopping tolerances and a forward-difference
    gradient of step 1e-5: statsmodels' settings for ``method="lbfgs"``.

    Parameters
    ----------
    w : ndarray
        The differenced series.
    layout : ArmaLayout
        The order.
    start : ndarray
        Start coefficients in SARIMAX's order (constrained).
    maxiter : int
        Most L-BFGS-B iterations.

    Returns
    -------
    params, loglike, sigma2
        Coefficients in SARIMAX's order, the log-likelihood and the innovation variance.

    Raises
    ------
    ValueError
        ``w`` is empty.
    """
    n = len(w)
    if n == 0:
        raise ValueError("no observations are left after differencing")

    def objective(free: np.ndarray) -> float:
        try:
            loglike = concentrated_loglike(w, *layout.polynomials(layout.constrain(free)))[0]
        except (np.linalg.LinAlgError, ValueError):
            return np.inf
        return -loglike / n if np.isfinite(loglike) else np.inf

    free = layout.unconstrain(np.asarray(start, dtype=float))
    if layout.k:
        upper = np.full(layout.k, np.inf)
        free = fmin_l_bfgs_b(
            with_gradient(objective, upper, _GRADIENT_STEP), free, maxiter=maxiter
        )[0]
    params = layout.constrain(free)
    loglike, sigma2 = concentrated_loglike(w, *layout.polynomials(params))
    return params, loglike, sigma2
