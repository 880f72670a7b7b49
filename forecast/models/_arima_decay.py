r"""Decaying covariate effects for ``arima``: a transfer function with one pole (see :mod:`.arima`).

A campaign that raises acquisition for three weeks raises a product's daily users by a ramp
during the campaign and a slow decline after it. A regression with ARIMA errors on the
campaign indicator :math:`x_t` can only move :math:`y_t` while :math:`x_t` is on. The
transfer function of Box and Jenkins with one pole, :math:`\omega / (1 - \delta B)`, spreads
each unit of :math:`x` over the following steps with geometric decay :math:`\delta` (the Koyck
distributed lag, or "adstock" in marketing):

.. math::

    y_t = \omega z_t + u_t, \qquad z_t = x_t + \delta z_{t-1}, \quad z_0 = x_0,

so the regression with ARIMA errors is estimated on :math:`z` instead of :math:`x`
(:func:`decayed`). :math:`\delta` is fixed by the user or chosen on a grid (:data:`GRID`) by
the likelihood of the model (:func:`least_squares_decay` for the search's start,
:func:`profile_decay` for the chosen order).

References
----------
.. [1] Box, G. E. P., Jenkins, G. M. and Reinsel, G. C. (2008). Time Series Analysis:
   Forecasting and Control, 4th ed., chapter 11 (transfer function models). Wiley.
.. [2] Pankratz, A. (1991). Forecasting with Dynamic Regression Models. Wiley.
"""

from __future__ import annotations

import numpy as np

from forecast.models._arima_search import ArimaSpec, exact_fit, regression_start
from forecast.models._statsmodels import aicc

__all__ = ["GRID", "decay_aicc", "decayed", "least_squares_decay", "profile_decay"]

GRID = (0.0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95)
"""Decays tried when ``covariate_decay="estimate"``."""


def decayed(
    x: np.ndarray, delta: float, columns: int, start: np.ndarray | None = None
) -> np.ndarray:
    r"""Return ``x`` (shape ``(n, k)``) with its first ``columns`` columns decayed.

    Those columns (the covariates) become :math:`z_t = x_t + \delta z_{t-1}`; the holiday
    indicators that follow are kept as they are. ``start`` is :math:`z` at the step before the
    first row (zeros by default): the last decayed values of the history when ``x`` holds
    future values.
    """
    from scipy.signal import lfilter

    values = np.array(x, dtype=float)
    if delta == 0 or columns == 0:
        return values
    initial = np.zeros(columns) if start is None else delta * np.asarray(start, dtype=float)
    values[:, :columns] = lfilter(
        [1.0], [1.0, -delta], values[:, :columns], axis=0, zi=initial[None, :]
    )[0]
    return values


def least_squares_decay(
    y: np.ndarray, x: np.ndarray, columns: int, d: int, D: int, m: int
) -> float:
    """Choose the decay of :data:`GRID` that fits a least-squares regression of the differences.

    ``y`` and the decayed ``x`` are differenced ``d`` times and seasonally ``D`` times (the
    ARIMA(0,d,0)(0,D,0) with regressors and a constant); the decay with the smallest residual
    sum of squares starts the order search.
    """

    def difference(values: np.ndarray) -> np.ndarray:
        out = np.asarray(values, dtype=float)
        for _ in range(D):
            out = out[m:] - out[:-m]
        for _ in range(d):
            out = np.diff(out, axis=0)
        return out

    w = difference(y)
    best, best_rss = 0.0, np.inf
    for delta in GRID:
        design = np.column_stack([np.ones(len(w)), difference(decayed(x, delta, columns))])
        residuals = w - design @ np.linalg.lstsq(design, w, rcond=None)[0]
        rss = float(residuals @ residuals)
        if rss < best_rss * (1 - 1e-9):
            best, best_rss = delta, rss
    return best


def profile_decay(
    y: np.ndarray, x: np.ndarray, columns: int, spec: ArimaSpec, maxiter: int
) -> tuple[float, tuple[np.ndarray, float, int, float]]:
    """Choose the decay of :data:`GRID` that maximises the exact likelihood of ``spec``.

    Returns the decay and :func:`~forecast.models._arima_search.exact_fit`'s estimate at it.
    Decays at which the order cannot be estimated are skipped.

    Raises
    ------
    ValueError
        The order cannot be estimated at any decay.
    """
    best: tuple[float, tuple[np.ndarray, float, int, float]] | None = None
    for delta in GRID:
        z = decayed(x, delta, columns)
        try:
            estimate = exact_fit(y, spec, maxiter, regression_start(y, spec, z), exog=z)
        except (ValueError, np.linalg.LinAlgError):
            continue
        if np.isfinite(estimate[1]) and (best is None or estimate[1] > best[1][1]):
            best = (delta, estimate)
    if best is None:
        raise ValueError(f"{spec.label} cannot be estimated at any covariate decay")
    return best


def decay_aicc(estimate: tuple[np.ndarray, float, int, float], estimated: bool) -> float:
    """AICc of an estimate, counting the decay as a coefficient when it was estimated."""
    params, loglike, n_used, _ = estimate
    return aicc(loglike, len(params) + 1 + int(estimated), n_used)
