"""The orders, tests, estimators and stepwise search behind ``arima`` (see :mod:`.arima`).

:class:`ArimaSpec` names an ARIMA(p, d, q)(P, D, Q)m; :func:`kpss_ndiffs` and
:func:`seasonal_ndiffs` choose the differences; :func:`css_fit` (conditional sums of squares)
and :func:`exact_fit` (exact likelihood) estimate one order, with regressors when given
(regression with ARIMA errors); :class:`Search` caches the AICc of every order the stepwise
search of Hyndman and Khandakar (2008) visits, and :func:`neighbours` lists its moves.

References
----------
.. [1] Hyndman, R. J. and Khandakar, Y. (2008). Automatic time series forecasting: the
   forecast package for R. Journal of Statistical Software, 27(3).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from forecast.models._arma_likelihood import ArmaLayout, fit_arma
from forecast.models._statsmodels import aicc, quiet_estimation

__all__ = [
    "ArimaSpec",
    "Search",
    "css_fit",
    "exact_fit",
    "kpss_ndiffs",
    "neighbours",
    "regression_start",
    "seasonal_ndiffs",
    "seasonal_strength",
]

_STRENGTH_THRESHOLD = 0.64
"""Seasonal strength above which one seasonal difference is taken (as R's ``nsdiffs``)."""

_ROOT_MARGIN = 1.01
"""Models with AR or MA roots closer to the unit circle than this are rejected (as auto.arima)."""

_CSS_EVALUATIONS = 20
"""Most sums of squares per coefficient (plus one) in one conditional-sum-of-squares fit.

A converged fit needs at most 15 (99th percentile on M3 quarterly and monthly candidates); the
fits that do not converge are those whose MA polynomial leaves the invertible region, where
the innovations explode, and Levenberg-Marquardt spends its whole default budget (100) there
on a candidate that the root check rejects anyway.
"""

_STEADY_TOLERANCE = 1e-9
"""Change in the state covariance below which the Kalman filter is taken as converged.

From then on statsmodels' filter reuses the steady-state gain instead of updating the
covariance at every step (its default, 1e-19, never converges in practice). On M3 monthly
candidates the log-likelihood agrees with the default's to 1e-4; three fixed orders fitted 38%
faster, a whole search (whose fits are short) 3-9%.
"""


@dataclass(frozen=True, order=True)
class ArimaSpec:
    """ARIMA(p, d, q)(P, D, Q)m with or without a constant (a drift when differenced once)."""

    p: int
    d: int
    q: int
    P: int = 0
    D: int = 0
    Q: int = 0
    m: int = 0
    constant: bool = False

    @property
    def label(self) -> str:
        """``"ARIMA(0,1,1)(0,1,1)12"``, with ``" with drift"`` or ``" with constant"``."""
        text = f"ARIMA({self.p},{self.d},{self.q})"
        if self.m > 1 and (self.P or self.D or self.Q):
            text += f"({self.P},{self.D},{self.Q}){self.m}"
        if self.constant:
            text += " with drift" if self.d + self.D == 1 else " with constant"
        return text

    @property
    def order(self) -> tuple[int, int, int]:
        """``(p, d, q)``."""
        return (self.p, self.d, self.q)

    @property
    def seasonal_order(self) -> tuple[int, int, int, int]:
        """``(P, D, Q, m)``, or zeros when not seasonal."""
        if self.m > 1 and (self.P or self.D or self.Q):
            return (self.P, self.D, self.Q, self.m)
        return (0, 0, 0, 0)

    @property
    def trend(self) -> Literal["c", "n"]:
        """SARIMAX's ``trend`` argument: the constant enters the differenced equation."""
        return "c" if self.constant else "n"

    def replace(self, **changes: int | bool) -> ArimaSpec:
        """Return a copy with some orders changed."""
        values = {**self.__dict__, **changes}
        return ArimaSpec(**values)


def kpss_ndiffs(y: np.ndarray, max_d: int = 2, alpha: float = 0.05) -> int:
    """Count the first differences that make ``y`` level-stationary, by repeated KPSS tests.

    As R's ``forecast::ndiffs(test="kpss")``: test the level-stationarity null at ``alpha``
    (5%) with ``trunc(3 sqrt(n) / 13)`` lags, and difference while the null is rejected.

    Parameters
    ----------
    y : ndarray
        The series (already seasonally differenced, if at all).
    max_d : int
        Most differences to take.
    alpha : float
        Size of the test: 0.1, 0.05, 0.025 or 0.01.

    Returns
    -------
    int
    """
    from statsmodels.tsa.stattools import kpss

    key = {0.1: "10%", 0.05: "5%", 0.025: "2.5%", 0.01: "1%"}[alpha]
    x = np.asarray(y, dtype=float)
    d = 0
    with quiet_estimation():
        while d < max_d and len(x) > 3 and np.ptp(x) > 0:
            lags = min(int(3 * np.sqrt(len(x)) / 13), len(x) - 2)
            result = kpss(x, regression="c", nlags=lags, result_object=True)
            if result.statistic <= result.critical_values[key]:
                break
            x = np.diff(x)
            d += 1
    return d


def seasonal_strength(y: np.ndarray, period: int) -> float:
    r"""Measure the seasonal strength of Wang, Smith and Hyndman (2006) by an STL decomposition.

    .. math::

        F_S = \max\left(0,
            1 - \frac{\operatorname{Var}(R_t)}{\operatorname{Var}(S_t + R_t)}\right)

    Returns 0 for series shorter than two seasons.
    """
    from statsmodels.tsa.seasonal import STL

    x = np.asarray(y, dtype=float)
    if period < 2 or len(x) < 2 * period or np.ptp(x) == 0:
        return 0.0
    result = STL(x, period=period).fit()
    remainder = np.asarray(result.resid)
    total = np.var(remainder + np.asarray(result.seasonal))
    if total == 0:
        return 0.0
    return float(max(0.0, min(1.0, 1.0 - np.var(remainder) / total)))


def seasonal_ndiffs(y: np.ndarray, period: int, max_D: int = 1) -> int:
    """Seasonal differences to take: one when the seasonal strength exceeds 0.64.

    This is R's ``forecast::nsdiffs(test="seas")``, the default of ``auto.arima`` since
    forecast 8.0, applied repeatedly up to ``max_D``.
    """
    x = np.asarray(y, dtype=float)
    D = 0
    while D < max_D and seasonal_strength(x, period) > _STRENGTH_THRESHOLD:
        x = x[period:] - x[:-period]
        D += 1
    return D


def _difference(y: np.ndarray, d: int, D: int, m: int) -> np.ndarray:
    x = np.asarray(y, dtype=float)
    for _ in range(D):
        x = x[m:] - x[:-m]
    for _ in range(d):
        x = np.diff(x)
    return x


def _layout(spec: ArimaSpec, n_exog: int = 0) -> ArmaLayout:
    """Where the blocks of ``spec``'s SARIMAX parameter vector sit (with ``n_exog`` regressors)."""
    return ArmaLayout(spec.p, spec.q, spec.P, spec.Q, spec.m, spec.constant, n_exog)


def _min_root(poly: np.ndarray) -> float:
    """Smallest modulus of the roots of a lag polynomial (``inf`` for a constant)."""
    trimmed = np.trim_zeros(poly, "b")
    if len(trimmed) <= 1:
        return np.inf
    return float(np.min(np.abs(np.roots(trimmed[::-1]))))


def _regression_start(w: np.ndarray, xw: np.ndarray, constant: bool) -> np.ndarray:
    """Least-squares coefficients of the differenced series on the differenced regressors."""
    design = np.column_stack([np.ones(len(w)), xw]) if constant else xw
    coefficients = np.linalg.lstsq(design, w, rcond=None)[0]
    return coefficients[1:] if constant else coefficients


def css_fit(
    y: np.ndarray,
    spec: ArimaSpec,
    start_params: np.ndarray | None = None,
    exog: np.ndarray | None = None,
) -> tuple[np.ndarray, float, int, float]:
    r"""Conditional-sum-of-squares estimate of an ARIMA, as R's ``arima(method="CSS")``.

    The series is differenced, the first ``p + mP`` differenced values condition the AR part,
    pre-sample innovations are zero, and the squared innovations
    :math:`\varepsilon = \theta(B)^{-1}\Theta(B^m)^{-1}(\phi(B)\Phi(B^m) w_t - c)` are minimised
    by least squares. With regressors ``exog`` (shape ``(n, k)``), :math:`w_t` is the
    differenced :math:`y_t - x_t^\top \beta` (regression with ARIMA errors, as SARIMAX's
    ``exog``), :math:`\beta` estimated with the rest and started from least squares on the
    differenced data.

    Returns
    -------
    params : ndarray
        In SARIMAX's order: intercept (if any), regression coefficients, AR, MA, seasonal AR,
        seasonal MA.
    loglike : float
        The Gaussian log-likelihood at the CSS variance, ``-n/2 (log(2 pi sigma2) + 1)``.
    n_used : int
        Innovations in the sum of squares.
    sigma2 : float
        Mean squared innovation.
    """
    from scipy.optimize import least_squares
    from scipy.signal import lfilter

    w = _difference(y, spec.d, spec.D, spec.m)
    n_exog = 0 if exog is None else exog.shape[1]
    xw = (
        np.empty((len(w), 0))
        if exog is None
        else np.column_stack([_difference(x, spec.d, spec.D, spec.m) for x in exog.T])
    )
    n_cond = spec.p + max(spec.m, 1) * spec.P
    layout = _layout(spec, n_exog)
    k = layout.k

    def innovations(params: np.ndarray) -> np.ndarray:
        intercept, ar_poly, ma_poly = layout.polynomials(params)
        beta = params[layout.exog]
        errors = w - xw @ beta
        return lfilter([1.0], ma_poly, lfilter(ar_poly, [1.0], errors)[n_cond:] - intercept)

    x0 = np.zeros(k)
    if n_exog:
        x0[layout.exog] = _regression_start(w, xw, spec.constant)
    if spec.constant:
        x0[0] = float(np.mean(w - xw @ x0[layout.exog]))
    if start_params is not None and len(start_params) == k:
        x0 = np.asarray(start_params, dtype=float)
    n_used = len(w) - n_cond
    if n_used <= k + 1:
        raise ValueError(f"{n_used} differenced observations are too few for {k} coefficients")
    budget = _CSS_EVALUATIONS * (k + 1)
    params = least_squares(innovations, x0, method="lm", max_nfev=budget).x if k else x0
    sigma2 = float(np.mean(innovations(params) ** 2))
    if not sigma2 > 0:
        raise ValueError("the conditional sum of squares is zero")
    return params, -0.5 * n_used * (np.log(2 * np.pi * sigma2) + 1.0), n_used, sigma2


@dataclass
class Search:
    """State of one stepwise search: the cache of fitted orders and the limits."""

    y: np.ndarray
    max_models: int
    deadline: float
    maxiter: int
    approximation: bool
    starts: dict[ArimaSpec, np.ndarray]
    scores: dict[ArimaSpec, float] = field(default_factory=dict)
    estimates: dict[ArimaSpec, tuple[np.ndarray, float, int, float]] = field(default_factory=dict)
    stopped: str | None = None
    exog: np.ndarray | None = None
    """Regressors ``(n, k)`` of a regression with ARIMA errors, or None."""

    def exhausted(self) -> bool:
        if len(self.scores) >= self.max_models:
            self.stopped = "max_models"
        elif self.scores and time.monotonic() > self.deadline:
            self.stopped = "time_limit"
        return self.stopped is not None

    def score(self, spec: ArimaSpec) -> float:
        """Score ``spec`` by its AICc (fitted once, then cached).

        ``inf`` when it cannot be estimated or has a root near the unit circle.
        """
        if spec in self.scores:
            return self.scores[spec]
        if _shared_lags(spec):
            self.scores[spec] = np.inf  # SARIMAX cannot hold a lag in both polynomials
            return np.inf
        try:
            if self.approximation:
                estimate = css_fit(self.y, spec, self.starts.get(spec), self.exog)
            else:
                estimate = exact_fit(self.y, spec, self.maxiter, self.starts.get(spec), self.exog)
        except (ValueError, np.linalg.LinAlgError):
            self.scores[spec] = np.inf  # a candidate that cannot be estimated loses the comparison
            return np.inf
        value = self._admissible_aicc(spec, estimate)
        if np.isfinite(value):
            self.estimates[spec] = estimate
        self.scores[spec] = value
        return value

    def _admissible_aicc(
        self, spec: ArimaSpec, estimate: tuple[np.ndarray, float, int, float]
    ) -> float:
        """AICc of an estimate, ``inf`` when its likelihood is not finite or a root is near 1."""
        params, loglike, n_used, _ = estimate
        n_exog = 0 if self.exog is None else self.exog.shape[1]
        _, ar_poly, ma_poly = _layout(spec, n_exog).polynomials(params)
        if np.isfinite(loglike) and min(_min_root(ar_poly), _min_root(ma_poly)) >= _ROOT_MARGIN:
            return aicc(loglike, len(params) + 1, n_used)
        return np.inf

    def refine(
        self, count: int, starts: dict[ArimaSpec, np.ndarray]
    ) -> tuple[ArimaSpec, tuple[np.ndarray, float, int, float], dict[ArimaSpec, float]]:
        """Re-estimate the ``count`` best approximate candidates by exact likelihood.

        The conditional sums of squares rank orders cheaply but not always as the exact
        likelihood would (their AICc differ most on short series); the exact AICc of the best
        few decides. Each is started from ``starts`` (a warm start) or its CSS estimates,
        then from statsmodels' own start when that fails (a CSS estimate can sit where the
        exact likelihood's stationary initialisation is singular).

        Returns
        -------
        spec, estimate
            The order with the lowest exact AICc and its exact estimate.
        scores : dict
            The exact AICc of every order re-estimated (``inf`` when it could not be).

        Raises
        ------
        ValueError
            When none of them could be estimated exactly.
        """
        ranked = sorted(self.estimates, key=lambda s: (self.scores[s], s))[:count]
        scores: dict[ArimaSpec, float] = {}
        estimates: dict[ArimaSpec, tuple[np.ndarray, float, int, float]] = {}
        for spec in ranked:
            scores[spec] = np.inf
            for start in (starts.get(spec, self.estimates[spec][0]), None):
                try:
                    estimate = exact_fit(self.y, spec, self.maxiter, start, self.exog)
                except (ValueError, np.linalg.LinAlgError):
                    continue
                scores[spec] = self._admissible_aicc(spec, estimate)
                estimates[spec] = estimate
                break
        if not estimates:
            raise ValueError("no candidate could be estimated by exact maximum likelihood")
        admissible = [s for s in estimates if np.isfinite(scores[s])]
        if not admissible:
            return next(iter(estimates)), next(iter(estimates.values())), scores
        best = min(admissible, key=lambda s: (scores[s], s))
        return best, estimates[best], scores


def _shared_lags(spec: ArimaSpec) -> bool:
    """Tell whether a seasonal lag is also a regular one (``p >= m`` with ``P``, or ``q >= m``)."""
    return spec.m > 1 and ((spec.P > 0 and spec.p >= spec.m) or (spec.Q > 0 and spec.q >= spec.m))


def exact_fit(
    y: np.ndarray,
    spec: ArimaSpec,
    maxiter: int,
    start_params: np.ndarray | None = None,
    exog: np.ndarray | None = None,
) -> tuple[np.ndarray, float, int, float]:
    """Exact maximum likelihood on the differenced series (SARIMAX's, variance concentrated out).

    With regressors ``exog`` (shape ``(n, k)``, differenced with the series) it is a
    regression with ARIMA errors, fitted by SARIMAX; without, the same likelihood and optimiser
    run on :mod:`._arma_likelihood`'s faster evaluation (statsmodels' start values either way).
    Returns the coefficients in SARIMAX's order (without the variance), the log-likelihood, the
    number of differenced observations and the innovation variance. With regressors and no
    ``start_params`` the optimiser starts from the CSS estimates (:func:`regression_start`).
    """
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    if start_params is None and exog is not None:
        start_params = regression_start(y, spec, exog)
    model = SARIMAX(
        y,
        exog=exog,
        order=spec.order,
        seasonal_order=spec.seasonal_order,
        trend=spec.trend,
        simple_differencing=True,
        concentrate_scale=True,
    )
    if start_params is not None and len(start_params) != model.k_params:
        start_params = None
    if exog is None:
        layout = _layout(spec)
        start = model.start_params if start_params is None else start_params
        if not np.all(np.isfinite(layout.unconstrain(np.asarray(start, dtype=float)))):
            start = model.start_params
        w = _difference(y, spec.d, spec.D, spec.m)
        params, loglike, sigma2 = fit_arma(w, layout, start, maxiter)
        return params, loglike, len(w), sigma2
    model.ssm.tolerance = _STEADY_TOLERANCE
    if model.k_params:
        result = model.fit(start_params=start_params, disp=False, cov_type="none", maxiter=maxiter)
    else:
        result = model.smooth([], cov_type="none")
    return (
        np.asarray(result.params, dtype=float),
        float(result.llf),
        int(model.nobs),
        float(result.scale),
    )


def regression_start(y: np.ndarray, spec: ArimaSpec, exog: np.ndarray | None) -> np.ndarray | None:
    """Start values for the exact likelihood of a regression with ARIMA errors: the CSS estimates.

    statsmodels' own start for SARIMAX's ``exog`` leaves its L-BFGS far from the optimum with a
    dozen holiday indicators (not converged in 50 iterations, coefficients off by their own
    size); the conditional sums of squares (:func:`css_fit`, regression coefficients started
    from least squares) are a start from which it converges. None when CSS cannot estimate
    the order.
    """
    try:
        return css_fit(y, spec, exog=exog)[0]
    except (ValueError, np.linalg.LinAlgError):
        return None


def neighbours(
    spec: ArimaSpec, limits: dict[str, int], allow_constant: bool
) -> Iterator[ArimaSpec]:
    """Yield the stepwise moves of Hyndman and Khandakar (2008), in R's auto.arima order."""
    seasonal = spec.m > 1
    moves: list[dict[str, int]] = []
    if seasonal:
        moves += [{"P": -1}, {"Q": -1}, {"P": 1}, {"Q": 1}, {"P": -1, "Q": -1}, {"P": -1, "Q": 1}]
        moves += [{"P": 1, "Q": -1}, {"P": 1, "Q": 1}]
    moves += [{"p": -1}, {"q": -1}, {"p": 1}, {"q": 1}, {"p": -1, "q": -1}, {"p": -1, "q": 1}]
    moves += [{"p": 1, "q": -1}, {"p": 1, "q": 1}]
    for move in moves:
        values = {k: getattr(spec, k) + v for k, v in move.items()}
        if any(v < 0 or v > limits[k] for k, v in values.items()):
            continue
        yield spec.replace(**values)
    if allow_constant:
        yield spec.replace(constant=not spec.constant)
