"""Maximum-likelihood estimation of one ETS specification at a fraction of statsmodels' cost.

:func:`estimate` runs exactly the estimation of statsmodels'
:meth:`~statsmodels.tsa.exponential_smoothing.ets.ETSModel.fit` (same start values, bounds,
reparametrisation of the smoothing parameters, L-BFGS-B with the same settings and the same
likelihood from statsmodels' compiled smoother), but calls the smoother directly and takes the
forward-difference gradient itself (the step and the bound handling of scipy's, without its
per-call overhead): the generic likelihood-model machinery was most of the cost of a fit on
short series. It builds no results object, so that the automatic search builds one only for
the chosen specification (:func:`results_for`), and that results object computes the
covariance of the estimates (a complex-step Hessian) only when it is first asked for.

References
----------
.. [1] Hyndman, R. J., Koehler, A. B., Ord, J. K. and Snyder, R. D. (2008). Forecasting with
   Exponential Smoothing: The State Space Approach. Springer, chapter 5.
.. [2] Byrd, R. H., Lu, P., Nocedal, J. and Zhu, C. (1995). A limited memory algorithm for bound
   constrained optimization. SIAM Journal on Scientific Computing 16(5), 1190-1208.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import fmin_l_bfgs_b
from statsmodels.tsa.exponential_smoothing.ets import ETSModel, ETSResults, ETSResultsWrapper

from forecast.models._gradient import with_gradient
from forecast.models._statsmodels import aicc

__all__ = ["Estimate", "estimate", "results_for"]

_GRADIENT_STEP = 1e-8
"""Forward-difference step of the gradient, scipy's default for ``fmin_l_bfgs_b``."""


@dataclass(frozen=True)
class Estimate:
    """The estimates of one specification.

    Attributes
    ----------
    params : ndarray
        Parameters in statsmodels' external order (``ETSModel.param_names``).
    llf : float
        The maximised log-likelihood.
    aicc : float
        Its AICc, counting the variance as a parameter (``inf`` without degrees of freedom).
    """

    params: np.ndarray
    llf: float
    aicc: float


def _objective(
    model: ETSModel, y: np.ndarray, fixed: np.ndarray, values: np.ndarray, stars: tuple[bool, bool]
):
    """``-loglike / nobs`` of free internal parameters, as ``ETSModel._loglike_internal``."""
    n = y.shape[0]
    yhat = np.zeros(n)
    xhat = np.zeros((n, model._k_states_internal))
    resid = np.empty(n)
    scale = np.empty(n)
    smoother, multiplicative = model._smoothing_func, model.error == "mul"

    def negative_loglike(x: np.ndarray) -> float:
        # statsmodels' arithmetic, operation for operation (the same value to the last bit),
        # in preallocated arrays and without np.mean's wrapper: at 20-150 observations
        # numpy's per-call overhead, not the smoother, was most of an evaluation.
        smoother(x, y, yhat, xhat, fixed, values, stars[0], stars[1])
        np.subtract(y, yhat, out=resid)
        if multiplicative:
            np.divide(resid, yhat, out=resid)
        np.multiply(resid, resid, out=resid)
        mean = float(np.add.reduce(resid)) / n
        loglike = -n / 2 * (float(np.log(2 * np.pi * mean)) + 1)
        if multiplicative:
            np.abs(yhat, out=scale)
            scale[scale == 0] = 1e-32
            loglike -= float(np.add.reduce(np.log(scale, out=scale)))
        return -loglike / n

    return negative_loglike


def estimate(model: ETSModel, start_params: np.ndarray | None, maxiter: int) -> Estimate:
    """Maximum-likelihood estimates of ``model``, as ``model.fit(start_params, maxiter)``.

    Parameters
    ----------
    model : ETSModel
        A statsmodels ETS model with estimated initial states and no fixed parameters.
    start_params : ndarray or None
        Start values in the external order, or ``None`` for statsmodels' heuristic ones.
    maxiter : int
        Iteration limit of L-BFGS-B.

    Returns
    -------
    Estimate
    """
    start = model.start_params if start_params is None else np.asarray(start_params, float)
    internal = model._convert_and_bound_start_params(start)
    bounds = model._setup_bounds()
    beta_star = "smoothing_trend" not in model.bounds
    gamma_star = "smoothing_seasonal" not in model.bounds
    if beta_star:
        internal[1] /= internal[0]
    if gamma_star:
        internal[2] /= 1 - internal[0]
    fixed = np.array([low == high for low, high in bounds], dtype=np.int64)
    values = np.where(fixed == 1, [low for low, _ in bounds], 0.0)
    free = fixed == 0
    y = np.asarray(model.endog, dtype=float)
    objective = _objective(model, y, fixed, values, (beta_star, gamma_star))
    free_bounds = [b for b, keep in zip(bounds, free, strict=True) if keep]
    upper = np.array([high for _, high in free_bounds])
    x, f_min, _ = fmin_l_bfgs_b(
        with_gradient(objective, upper, _GRADIENT_STEP),
        np.clip(internal[free], [low for low, _ in free_bounds], upper),
        bounds=free_bounds,
        maxiter=maxiter,
    )
    fitted = values.copy()
    fitted[free] = x
    if beta_star:
        fitted[1] *= fitted[0]
    if gamma_star:
        fitted[2] *= 1 - fitted[0]
    params = model._model_params(fitted)
    n = int(model.nobs)
    llf = -float(f_min) * n
    return Estimate(params=params, llf=llf, aicc=aicc(llf, len(params) + 1, n))


class _DeferredCovResults(ETSResults):
    """ETS results that compute the covariance of the estimates when first asked for."""

    _cov: np.ndarray | None = None

    @property
    def cov_params_approx(self) -> np.ndarray | None:
        """``None`` while ``ETSResults.__init__`` runs; the deferred property answers later."""
        return self._cov

    @property
    def cov_params_default(self) -> np.ndarray:
        """The complex-step covariance of the estimates (computed once, on first use)."""
        if self._cov is None:
            self._cov = self._cov_params_approx(
                self._cov_approx_complex_step, self._cov_approx_centered
            )
        return self._cov

    @cov_params_default.setter
    def cov_params_default(self, value: Any) -> None:
        self._cov = value


def results_for(model: ETSModel, params: np.ndarray) -> Any:
    """Smooth ``model`` with ``params`` into results, as ``model.smooth(params)`` does.

    Returns
    -------
    ETSResultsWrapper
        Whose parameter covariance is computed only when first used (``bse``, ``summary()``,
        saving the model).
    """
    params = np.asarray(params, dtype=float)
    return ETSResultsWrapper(_DeferredCovResults(model, params, model._smooth(params)))
