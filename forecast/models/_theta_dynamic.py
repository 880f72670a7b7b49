r"""Numerical kernel of the optimised and dynamic optimised theta models (Fiorucci et al. 2016).

The four models of Fiorucci et al. [1]_ share one recursion (0-based time :math:`i`, smoothing
:math:`\alpha`, :math:`q = 1 - \alpha`, :math:`k = 1 - 1/\theta`):

.. math::

    \mu_i &= \ell_{i-1} + k \left(q^i A_{i-1} + \frac{1 - q^{i+1}}{\alpha} B_{i-1}\right),
    \qquad y_i = \mu_i + \varepsilon_i, \\
    \ell_i &= \alpha y_i + q \ell_{i-1}, \qquad \ell_{-1} = \ell_0^\star,

where :math:`A_i, B_i` are the intercept and slope of the least-squares line through
:math:`y_0, \dots, y_i` (against :math:`1, \dots, i+1`) in the dynamic models (DSTM, DOTM),
and the line through the whole series in the static ones (STM, OTM). The standard models fix
:math:`\theta = 2`; the optimised ones estimate it in :math:`[1, \infty)`.

The parameters minimise the sum of squared one-step errors after the first three, as in
Fiorucci et al. and statsforecast. Given :math:`\alpha`, the errors are affine in
:math:`(\ell_0^\star, k)` (the smoothed part is a linear filter of ``y``, and ``A``, ``B``
depend on the data only), so those two come from a least-squares fit with :math:`k` kept in
:math:`[0, 1 - 10^{-10}]`, and only :math:`\alpha \in [0.1, 0.99]` is searched (a grid, then a
bounded Brent search around its best point). The recursion is linear in the observations, so
forecasts, their variance and sample paths come from one step function run on batches: the
point (no shocks), sample paths (Gaussian shocks), and the state covariance (the step applied
to basis vectors).

The seasonal test and decomposition are those of the theta literature and R's
``forecTheta``/statsforecast's ``AutoTheta``: a season of length :math:`m \ge 4` is removed
when the series has at least :math:`2m` points and the autocorrelation at lag :math:`m`
exceeds its 90% one-sided bound :math:`1.645 \sqrt{(1 + 2\sum_{j<m} r_j^2)/n}`, by classical
decomposition, multiplicative unless the data are not all positive or a seasonal index is
below 0.01 (then additive).

References
----------
.. [1] Fiorucci, J. A., Pellegrini, T. R., Louzada, F., Petropoulos, F. and Koehler, A. B.
   (2016). Models for optimising the theta method and their relationship to state space
   models. International Journal of Forecasting, 32(4), 1151-1161.
.. [2] Hyndman, R. J. and Billah, B. (2003). Unmasking the Theta method. International
   Journal of Forecasting, 19(2), 287-290.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, signal, stats

__all__ = [
    "VARIANTS",
    "ThetaFit",
    "fit_theta",
    "forecast_paths",
    "forecast_variance",
    "least_squares_line",
    "seasonal_adjustment",
]

VARIANTS = ("stm", "otm", "dstm", "dotm")
"""Standard / optimised theta, static or dynamic (Fiorucci et al. 2016)."""

ALPHA_BOUNDS = (0.1, 0.99)
"""The bounds of the smoothing parameter in Fiorucci et al.'s code and statsforecast."""

K_MAX = 1.0 - 1e-10
"""The largest ``k = 1 - 1/theta`` (theta = 1e10, statsforecast's upper bound)."""

BURN_IN = 3
"""One-step errors left out of the fitting criterion."""


@dataclass(frozen=True)
class ThetaFit:
    """The estimates of one theta model on one (seasonally adjusted) series.

    Attributes
    ----------
    variant : str
        One of :data:`VARIANTS`.
    alpha, theta, level0 : float
        Smoothing parameter, theta and the initial smoothed level.
    mse : float
        Mean squared one-step error after the first :data:`BURN_IN`.
    state : ndarray
        ``(level, mean, A, B)`` after the last observation.
    residuals : ndarray
        The one-step errors from the fourth observation on.
    """

    variant: str
    alpha: float
    theta: float
    level0: float
    mse: float
    state: np.ndarray
    residuals: np.ndarray

    @property
    def dynamic(self) -> bool:
        """Whether ``A`` and ``B`` are updated with each observation."""
        return self.variant in ("dstm", "dotm")


def least_squares_line(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Intercept and slope of the least-squares line through ``y[:i+1]`` for every ``i``.

    The line is fit against the times ``1, ..., i+1``; the first slope is 0 and the first
    intercept ``y[0]`` (the dynamic models' start, Fiorucci et al. 2016, section 3.2).

    Returns
    -------
    tuple of ndarray
        ``A`` and ``B``, each of the length of ``y``.
    """
    size = np.arange(1, len(y) + 1, dtype=float)
    mean_y = np.cumsum(y) / size
    mean_t = (size + 1.0) / 2.0
    sxy = np.cumsum(size * y) - size * mean_t * mean_y
    sxx = size * (size**2 - 1.0) / 12.0
    slope = np.divide(sxy, sxx, out=np.zeros_like(sxy), where=size > 1)
    return mean_y - slope * mean_t, slope


def _lines(y: np.ndarray, dynamic: bool) -> tuple[np.ndarray, np.ndarray]:
    intercept, slope = least_squares_line(y)
    if dynamic:
        return intercept, slope
    return np.full_like(y, intercept[-1]), np.full_like(y, slope[-1])


def _affine_parts(
    y: np.ndarray, alpha: float, intercept: np.ndarray, slope: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Errors of steps ``1..n-1`` as ``base - level0 * x_level - k * x_drift``."""
    q = 1.0 - alpha
    smooth = signal.lfilter([alpha], [1.0, -q], y)
    i = np.arange(1, len(y), dtype=float)
    x_level = q**i
    x_drift = intercept[:-1] * x_level + slope[:-1] * (1.0 - q * x_level) / alpha
    return y[1:] - smooth[:-1], x_level, x_drift


def _fit_level(r: np.ndarray, x: np.ndarray) -> tuple[float, float]:
    level0 = float(x @ r / (x @ x))
    resid = r - level0 * x
    return level0, float(resid @ resid)


def _best_level_and_k(
    base: np.ndarray, x_level: np.ndarray, x_drift: np.ndarray, k_fixed: float | None
) -> tuple[float, float, float]:
    """``(level0, k, sse)`` minimising the squared errors over ``k`` in ``[0, K_MAX]``."""
    if k_fixed is not None:
        level0, sse = _fit_level(base - k_fixed * x_drift, x_level)
        return level0, k_fixed, sse
    sll, sld, sdd = float(x_level @ x_level), float(x_level @ x_drift), float(x_drift @ x_drift)
    det = sll * sdd - sld**2
    if det > 1e-10 * sll * sdd:  # the normal equations, by Cramer's rule
        slb, sdb = float(x_level @ base), float(x_drift @ base)
        coef = np.array([(sdd * slb - sld * sdb) / det, (sll * sdb - sld * slb) / det])
    else:  # collinear (a constant series): the least-norm solution
        coef = np.linalg.lstsq(np.column_stack([x_level, x_drift]), base, rcond=None)[0]
    if 0.0 <= coef[1] <= K_MAX:
        resid = base - coef[0] * x_level - coef[1] * x_drift
        return float(coef[0]), float(coef[1]), float(resid @ resid)
    candidates = [(*_fit_level(base - k * x_drift, x_level), k) for k in (0.0, K_MAX)]
    level0, sse, k = min(candidates, key=lambda c: c[1])
    return level0, k, sse


def _profile(
    y: np.ndarray, lines: tuple[np.ndarray, np.ndarray], variant: str, alpha: float
) -> tuple[float, float, float]:
    base, x_level, x_drift = _affine_parts(y, alpha, *lines)
    keep = slice(BURN_IN - 1, None)
    k_fixed = None if variant in ("otm", "dotm") else 0.5
    return _best_level_and_k(base[keep], x_level[keep], x_drift[keep], k_fixed)


def _search_alpha(y: np.ndarray, lines: tuple[np.ndarray, np.ndarray], variant: str) -> float:
    """Return the smoothing parameter minimising the profiled squared errors (grid, Brent)."""
    grid = np.linspace(*ALPHA_BOUNDS, 12)
    sse = np.array([_profile(y, lines, variant, a)[2] for a in grid])
    best = int(np.nanargmin(sse))
    lo, hi = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    found = optimize.minimize_scalar(
        lambda a: _profile(y, lines, variant, a)[2],
        bounds=(lo, hi),
        method="bounded",
        options={"xatol": 1e-5},
    )
    return float(found.x) if found.fun <= sse[best] else float(grid[best])


def fit_theta(y: np.ndarray, variant: str) -> ThetaFit:
    """Estimate one theta model by least squares of the one-step errors.

    Parameters
    ----------
    y : ndarray
        The (seasonally adjusted) series, at least ``BURN_IN + 1`` points.
    variant : str
        One of :data:`VARIANTS`.

    Returns
    -------
    ThetaFit
    """
    lines = _lines(y, variant in ("dstm", "dotm"))
    alpha = _search_alpha(y, lines, variant)
    level0, k, sse = _profile(y, lines, variant, alpha)
    intercept, slope = lines
    base, x_level, x_drift = _affine_parts(y, alpha, intercept, slope)
    residuals = (base - level0 * x_level - k * x_drift)[BURN_IN - 1 :]
    q = 1.0 - alpha
    level = signal.lfilter([alpha], [1.0, -q], y)[-1] + q ** len(y) * level0
    state = np.array([level, float(np.mean(y)), intercept[-1], slope[-1]])
    return ThetaFit(
        variant=variant,
        alpha=alpha,
        theta=float(1.0 / (1.0 - k)),
        level0=level0,
        mse=sse / len(residuals),
        state=state,
        residuals=residuals,
    )


def _step(
    states: np.ndarray, shocks: np.ndarray, i: int, fit: ThetaFit
) -> tuple[np.ndarray, np.ndarray]:
    """One step of the recursion on a batch: ``(y_i, states_i)`` from ``states_{i-1}``."""
    alpha, k = fit.alpha, 1.0 - 1.0 / fit.theta
    q = 1.0 - alpha
    level, mean, intercept, slope = states.T
    value = level + k * (intercept * q**i + slope * (1.0 - q ** (i + 1)) / alpha) + shocks
    new = np.empty_like(states)
    new[:, 0] = alpha * value + q * level
    new[:, 1] = (i * mean + value) / (i + 1)
    if fit.dynamic:
        new[:, 3] = ((i - 1) * slope + 6.0 * (value - mean) / (i + 1)) / (i + 2)
        new[:, 2] = new[:, 1] - new[:, 3] * (i + 2) / 2.0
    else:
        new[:, 2:] = states[:, 2:]
    return value, new


def forecast_paths(fit: ThetaFit, n_obs: int, shocks: np.ndarray) -> np.ndarray:
    """Future values driven by ``shocks`` of shape ``(batch, h)``; zero shocks give the point.

    Returns
    -------
    ndarray
        Shape ``(batch, h)``.
    """
    batch, h = shocks.shape
    states = np.tile(fit.state, (batch, 1))
    out = np.empty((batch, h))
    for j in range(h):
        out[:, j], states = _step(states, shocks[:, j], n_obs + j, fit)
    return out


def forecast_variance(fit: ThetaFit, n_obs: int, h: int, sigma2: float) -> np.ndarray:
    """Variance of the ``h`` future values given Gaussian shocks of variance ``sigma2``.

    The step is linear, so applying it to the unit states and the unit shock gives its matrix;
    the state covariance is propagated with it (Hyndman et al. 2008, chapter 6).
    """
    basis = np.vstack([np.eye(4), np.zeros(4)])
    unit_shock = np.array([0.0, 0.0, 0.0, 0.0, 1.0])
    cov = np.zeros((4, 4))
    out = np.empty(h)
    for j in range(h):
        value, new = _step(basis, unit_shock, n_obs + j, fit)
        c, transition, gain = value[:4], new[:4], new[4]
        out[j] = c @ cov @ c + sigma2
        cov = transition.T @ cov @ transition + sigma2 * np.outer(gain, gain)
    return out


def seasonal_test(y: np.ndarray, m: int) -> bool:
    """Test for a season of length ``m`` as the theta literature does (90%, one-sided)."""
    from statsmodels.tsa.stattools import acf

    if m < 4 or len(y) < 2 * m or np.ptp(y) == 0:
        return False
    r = acf(y, nlags=m, fft=False)[1:]
    bound = np.sqrt((1.0 + 2.0 * np.sum(r[:-1] ** 2)) / len(y))
    return bool(abs(r[-1]) / bound > stats.norm.ppf(0.95))


def seasonal_adjustment(
    y: np.ndarray, m: int, kind: str, *, test: bool = True
) -> tuple[np.ndarray, np.ndarray, str | None]:
    """Remove a detected season by classical decomposition.

    Parameters
    ----------
    y : ndarray
        The series.
    m : int
        Season length.
    kind : {"multiplicative", "additive"}
        The decomposition wanted; multiplicative falls back to additive when ``y`` is not all
        positive or an index is below 0.01.

    Returns
    -------
    tuple
        The adjusted series, the ``m`` seasonal indices of the next ``m`` steps, and the
        decomposition used (None when no season was found; the indices are then empty).
    test : bool
        Remove the season only when :func:`seasonal_test` finds it; otherwise always (the
        caller checks that ``y`` holds two seasons).
    """
    from statsmodels.tsa.seasonal import seasonal_decompose

    if test and not seasonal_test(y, m):
        return y, np.empty(0), None
    if kind == "multiplicative" and np.min(y) <= 0:
        kind = "additive"
    seasonal = np.asarray(seasonal_decompose(y, model=kind, period=m).seasonal)
    if kind == "multiplicative" and np.min(seasonal) < 0.01:
        kind = "additive"
        seasonal = np.asarray(seasonal_decompose(y, model=kind, period=m).seasonal)
    adjusted = y / seasonal if kind == "multiplicative" else y - seasonal
    return adjusted, seasonal[len(y) - m :].copy(), kind
