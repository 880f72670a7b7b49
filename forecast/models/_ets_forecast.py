r"""ETS point forecasts from the last states, and closed-form variances of classes 1 to 3.

:func:`point_forecast` runs the model's recursions forward without errors from the last
fitted states, as statsmodels' ``ETSResults.forecast`` does (the same operations in the same
order, so the same numbers) without its index handling and data wrapping.

Hyndman et al. (2008, chapter 6) sort the ETS models by what their forecast distributions
allow: class 1 (additive error, linear components) and class 2 (multiplicative error, linear
components) have exact forecast variances; class 3 (multiplicative error and seasonality) has
exact variances by a recursion on the moments of the states; classes 4 and 5 (additive error
with multiplicative seasonality, multiplicative trend) have none, and are simulated.
R's ``forecast::ets`` uses the same three classes for its default intervals.

The parameters are statsmodels' (``smoothing_trend`` is Hyndman's :math:`\beta`, not
:math:`\beta^* = \beta / \alpha`), and :math:`\sigma^2` is the variance of the errors
(absolute for additive error, relative for multiplicative error): statsmodels' mean squared
residual unless the caller gives another estimate (``ets`` gives R's, :func:`error_variance`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["error_variance", "forecast_variance", "point_forecast"]


def point_forecast(results: Any, h: int) -> np.ndarray:
    r"""Return the ``1..h``-step point forecasts of a fitted statsmodels ETS model.

    Each step is statsmodels' simulation step with a zero error: with :math:`B = \phi b`
    (:math:`b^\phi` for a multiplicative trend), :math:`L = l + B` (:math:`l B`), the
    forecast :math:`L + s_{t-m}` (:math:`L s_{t-m}`), and the states move on to
    :math:`L`, :math:`B` and the shifted seasons.

    References
    ----------
    .. [1] Hyndman, R. J., Koehler, A. B., Ord, J. K. and Snyder, R. D. (2008). Forecasting
       with Exponential Smoothing: The State Space Approach. Springer, chapter 2 (Table 2.1:
       the point forecasts of each model).
    """
    mul_trend, mul_season = results.trend == "mul", results.seasonal == "mul"
    phi = float(results.damping_trend) if results.damped_trend else 1.0
    level = float(np.asarray(results.level)[-1])
    slope = float(np.asarray(results.slope)[-1]) if results.has_trend else 0.0
    seasons = (
        [float(s) for s in np.asarray(results.season)[::-1][: int(results.seasonal_periods)]]
        if results.has_seasonal
        else [0.0]
    )
    out = np.empty(h)
    for t in range(h):
        slope = slope**phi if mul_trend else slope * phi
        level = level * slope if mul_trend else level + slope
        season = seasons.pop()
        out[t] = level * season if mul_season else level + season
        seasons.insert(0, season)
    return out


def forecast_variance(
    results: Any, point: np.ndarray, sigma2: float | None = None
) -> np.ndarray | None:
    """Return the variance of the ``1..h``-step forecast errors, or None for classes 4-5.

    Parameters
    ----------
    results : statsmodels ETSResults
        The fitted model (its parameters, residual variance and last states).
    point : ndarray
        Its point forecasts ``1..h`` steps ahead (class 2 uses them).
    sigma2 : float, optional
        The variance of the errors; by default statsmodels' mean squared residual
        (``results.mse``, the maximum-likelihood estimate).

    Returns
    -------
    ndarray or None
        The variances; None when the model has no closed form (additive error with
        multiplicative seasonality, or a multiplicative trend), so that it is simulated.

    References
    ----------
    .. [1] Hyndman, R. J., Koehler, A. B., Ord, J. K. and Snyder, R. D. (2008). Forecasting
       with Exponential Smoothing: The State Space Approach. Springer, chapter 6 (classes 1
       to 3, Tables 6.1 and 6.2, and the moments of the class 3 states).
    """
    h = len(point)
    sigma2 = float(results.mse) if sigma2 is None else float(sigma2)
    if results.trend == "mul" or (results.error == "add" and results.seasonal == "mul"):
        return None
    if results.error == "add":
        steps = np.arange(1, h + 1, dtype=float)
        return np.asarray(sigma2 * results._relative_forecast_variance(steps), dtype=float)
    if results.seasonal == "mul":
        return _without_round_off(_class3(results, sigma2, h), point)
    return _without_round_off(_class2(point, sigma2, _linear_weights(results, h)), point)


def error_variance(results: Any, n_params: int) -> float:
    r"""Return the variance of the errors as R's ``forecast::ets`` estimates it.

    :math:`\hat\sigma^2 = \sum_t e_t^2 / (n - p)`, with :math:`e_t` the residuals (relative
    ones for multiplicative error) and :math:`p` the estimated smoothing parameters, damping
    and initial states (the variance itself not counted), where statsmodels' maximum-likelihood
    ``mse`` divides by :math:`n`, which understates the variance where few observations
    estimate many parameters: for 12 observations of ETS(A,A,N) (:math:`p = 4`) R's estimate
    is 1.5 times the mean squared residual, and the bands 1.22 times as wide.

    Parameters
    ----------
    results : statsmodels ETSResults
        The fitted model.
    n_params : int
        :math:`p`; with fewer than :math:`p + 1` observations the divisor is 1.

    References
    ----------
    .. [1] Hyndman, R. J., Koehler, A. B., Ord, J. K. and Snyder, R. D. (2008). Forecasting
       with Exponential Smoothing: The State Space Approach. Springer, section 5.2.
    .. [2] Hyndman, R. J. and Khandakar, Y. (2008). Automatic time series forecasting: the
       forecast package for R. Journal of Statistical Software 27(3) (``ets``'s ``sigma2``).
    """
    n = int(results.nobs)
    return float(results.mse) * n / max(n - n_params, 1)


def _without_round_off(variance: np.ndarray, point: np.ndarray) -> np.ndarray:
    """``variance`` with values below zero by rounding alone set to zero.

    The class 2 and 3 formulas subtract squared expectations; with a noise variance near zero
    (a series the model fits exactly) the difference can come out a few ulps below zero, which
    is rounding, not a variance. Anything further below zero is left as is (and fails the
    forecast's finiteness check) rather than hidden.
    """
    tolerance = 1e-9 * np.maximum(np.square(point), 1.0)
    return np.where((variance < 0) & (variance >= -tolerance), 0.0, variance)


def _linear_weights(results: Any, h: int) -> np.ndarray:
    r"""Return the weights :math:`c_j` of the past errors in the ``j``-step forecast (Table 6.2).

    :math:`c_j = \alpha + \beta \phi_j + \gamma d_{j,m}`, with :math:`\phi_j = \phi +
    \dots + \phi^j` (:math:`j` without damping) and :math:`d_{j,m} = 1` when :math:`j` is
    a multiple of the season :math:`m`.
    """
    j = np.arange(1, h + 1, dtype=float)
    c = np.full(h, float(results.smoothing_level))
    if results.has_trend:
        phi = float(results.damping_trend) if results.damped_trend else 1.0
        summed = np.cumsum(phi**j) if results.damped_trend else j
        c = c + float(results.smoothing_trend) * summed
    if results.has_seasonal:
        m = int(results.seasonal_periods)
        c = c + float(results.smoothing_seasonal) * (np.arange(1, h + 1) % m == 0)
    return c


def _class2(point: np.ndarray, sigma2: float, c: np.ndarray) -> np.ndarray:
    r"""Return the class 2 variances (Hyndman et al., 2008, section 6.3).

    :math:`\theta_1 = \mu_1^2`, :math:`\theta_h = \mu_h^2 + \sigma^2 \sum_{j=1}^{h-1}
    c_j^2 \theta_{h-j}`, and :math:`v_h = (1 + \sigma^2) \theta_h - \mu_h^2`.
    """
    mu = np.asarray(point, dtype=float)
    theta = np.empty(len(mu))
    weights = c**2
    for k in range(len(mu)):
        theta[k] = mu[k] ** 2 + sigma2 * float(weights[:k] @ theta[:k][::-1])
    return (1.0 + sigma2) * theta - mu**2


def _class3(results: Any, sigma2: float, h: int) -> np.ndarray:
    r"""Return the class 3 variances: ETS(M,N,M), (M,A,M), (M,Ad,M) (Hyndman et al., 6.4).

    The level-trend vector :math:`x_t = (F_1 + G_1 \varepsilon_t) x_{t-1}` and the seasonal
    vector :math:`z_t = (F_2 + G_2 \varepsilon_t) z_{t-1}` give
    :math:`y_t = (H_1 x_{t-1})(H_2 z_{t-1})(1 + \varepsilon_t)`. With
    :math:`\mathrm{vec}(x_t z_t') = (F + \varepsilon_t K + \varepsilon_t^2 G)
    \mathrm{vec}(x_{t-1} z_{t-1}')` (:math:`F = F_2 \otimes F_1`, :math:`G = G_2 \otimes
    G_1`, :math:`K = G_2 \otimes F_1 + F_2 \otimes G_1`), its mean :math:`m_h` and
    covariance :math:`V_h` follow :math:`m_{h+1} = (F + \sigma^2 G) m_h` and
    :math:`V_{h+1} = F V_h F' + \sigma^2 (F V_h G' + G V_h F' + K (V_h + m_h m_h') K' +
    \sigma^2 G (3 V_h + 2 m_h m_h') G')`, and :math:`v_h = (1 + \sigma^2) H V_h H' +
    \sigma^2 \mu_h^2` with :math:`\mu_h = H m_h`, :math:`H = H_2 \otimes H_1`. With damping,
    :math:`H_1 = (1, \phi)`, :math:`F_1 = ((1, \phi), (0, \phi))` and
    :math:`G_1 = ((\alpha, \alpha\phi), (\beta, \beta\phi))`.
    """
    alpha, m = float(results.smoothing_level), int(results.seasonal_periods)
    level = np.asarray(results.level, dtype=float)
    if results.has_trend:
        phi = float(results.damping_trend) if results.damped_trend else 1.0
        beta = float(results.smoothing_trend)
        h1 = np.array([[1.0, phi]])
        f1 = np.array([[1.0, phi], [0.0, phi]])
        g1 = np.array([[alpha, alpha * phi], [beta, beta * phi]])
        x = np.array([level[-1], np.asarray(results.slope, dtype=float)[-1]])
    else:
        h1, f1, g1 = np.ones((1, 1)), np.ones((1, 1)), np.full((1, 1), alpha)
        x = level[-1:]
    h2 = np.zeros((1, m))
    h2[0, -1] = 1.0
    f2 = np.zeros((m, m))
    f2[0, -1] = 1.0
    f2[1:, :-1] = np.eye(m - 1)
    g2 = np.zeros((m, m))
    g2[0, -1] = float(results.smoothing_seasonal)
    z = np.asarray(results.season, dtype=float)[::-1][:m]
    f21, g21 = np.kron(f2, f1), np.kron(g2, g1)
    k = np.kron(g2, f1) + np.kron(f2, g1)
    h21 = np.kron(h2, h1).ravel()
    mean_step = f21 + sigma2 * g21
    mean = np.outer(z, x).ravel()  # vec(x z'), column by column
    cov = np.zeros((mean.size, mean.size))
    out = np.empty(h)
    for i in range(h):
        mu = float(h21 @ mean)
        out[i] = (1.0 + sigma2) * float(h21 @ cov @ h21) + sigma2 * mu**2
        outer = np.outer(mean, mean)
        left = f21 @ cov
        cross = left @ g21.T
        cov = left @ f21.T + sigma2 * (
            cross
            + cross.T
            + k @ (cov + outer) @ k.T
            + sigma2 * (g21 @ (3.0 * cov + 2.0 * outer) @ g21.T)
        )
        mean = mean_step @ mean
    return out
