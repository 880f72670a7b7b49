r"""Numerical kernel of complex exponential smoothing (Svetunkov, Kourentzes and Ord 2022).

The non-seasonal model has a real level :math:`l_t` and an "information potential"
:math:`c_t`, smoothed with the complex parameter :math:`a_0 + i a_1`:

.. math::

    y_t &= l_{t-1} + \varepsilon_t, \\
    l_t &= l_{t-1} - (1 - a_1) c_{t-1} + (a_0 - a_1) \varepsilon_t, \\
    c_t &= l_{t-1} + (1 - a_0) c_{t-1} + (a_0 + a_1) \varepsilon_t,

a linear innovations state space model :math:`x_t = F x_{t-1} + g \varepsilon_t`,
:math:`y_t = w' x_{t-1} + \varepsilon_t` with :math:`F = [[1, a_1 - 1], [1, 1 - a_0]]`,
:math:`g = (a_0 - a_1, a_0 + a_1)'` and :math:`w = (1, 0)'`. The seasonal forms are sums of
components, each such a block at its own lag (one chain per position in the season):

* ``"simple"``: the same model at lag :math:`m` alone;
* ``"partial"``: the model at lag 1 plus a seasonal index :math:`s_t = s_{t-m} + b_0
  \varepsilon_t`;
* ``"full"``: the model at lag 1 plus a second complex block at lag :math:`m` with its own
  parameter :math:`b_0 + i b_1`;

and :math:`y_t` is the sum of the components' first states one lag back plus the error.

Every component is linear, so with :math:`x = z^{-L}` for a component of lag :math:`L` the
error-to-forecast transfer function is :math:`H = B(x)/A(x)` with :math:`A = \det(I - F x)`
and :math:`B = x\, w' \operatorname{adj}(I - F x) g`. A pass over the data is then a few calls of
:func:`scipy.signal.lfilter`: the errors are the data minus the states' free response, filtered
by :math:`1 / (1 + \sum H)`, and the states are the errors filtered by each component (plus
their free response). The fit follows statsforecast's ``auto_ces``: initial states from the
first observations, refined by backcasting (a forward pass, a backward pass over the reversed
series and a forward pass, each starting from the one-step forecast of the previous pass's last
states); the parameters (:math:`a_0 \in [0.01, 1.8]`, :math:`a_1 \in [0.01, 1.9]`,
:math:`b_0, b_1 \in [0.01, 1.5]`) minimise :math:`n \log(\mathrm{SSE})` of the last pass
(Nelder-Mead from :math:`a = (1.3, 1)`, :math:`b_0 = 0.1` partial, :math:`b = (1.3, 1)` full).

References
----------
.. [1] Svetunkov, I., Kourentzes, N. and Ord, J. K. (2022). Complex exponential smoothing.
   Naval Research Logistics, 69(8), 1108-1123.
.. [2] Hyndman, R. J., Koehler, A. B., Ord, J. K. and Snyder, R. D. (2008). Forecasting with
   Exponential Smoothing: The State Space Approach. Springer, chapter 6.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, signal

__all__ = [
    "SEASONS",
    "CesFit",
    "backcast",
    "ces_paths",
    "ces_variance",
    "components",
    "fit_ces",
    "initial_states",
    "transition",
]

SEASONS = ("none", "simple", "partial", "full")
"""The forms of the model (statsforecast's N, S, P and F)."""

N_PARAMS = {"none": 3, "simple": 3, "partial": 4, "full": 5}
"""Parameters counted by the information criteria (statsforecast: components + 1)."""

_START = {"none": (1.3, 1.0), "simple": (1.3, 1.0), "partial": (1.3, 1.0, 0.1)}
_START["full"] = (1.3, 1.0, 1.3, 1.0)
_BOUNDS = ((0.01, 1.8), (0.01, 1.9), (0.01, 1.5), (0.01, 1.5))

Component = tuple[int, np.ndarray, np.ndarray]
"""A component: its lag, transition matrix ``F`` and gain ``g``."""


@dataclass(frozen=True)
class CesFit:
    """The estimates of one CES model on one series.

    Attributes
    ----------
    season : str
        One of :data:`SEASONS`.
    m : int
        Season length (1 for ``"none"``).
    params : tuple of float
        ``(a0, a1)``, then ``b0`` (partial) or ``(b0, b1)`` (full).
    sse : float
        Sum of squared one-step errors of the last pass.
    states : list of ndarray
        Per component, ``(lag, k)``: the last states of each position in the season.
    n_obs : int
        Observations fitted.
    """

    season: str
    m: int
    params: tuple[float, ...]
    sse: float
    states: list[np.ndarray]
    n_obs: int

    @property
    def sigma2(self) -> float:
        """Error variance ``SSE / (n - k - 1)`` with ``k`` of :data:`N_PARAMS`, as statsforecast."""
        return self.sse / (self.n_obs - N_PARAMS[self.season] - 1)

    @property
    def aicc(self) -> float:
        """Corrected Akaike criterion of the Gaussian likelihood (-inf for a perfect fit)."""
        n, k = self.n_obs, N_PARAMS[self.season]
        with np.errstate(divide="ignore"):
            loglik = -0.5 * n * (np.log(2 * np.pi * self.sse / n) + 1.0)
        return float(-2.0 * loglik + 2.0 * k + 2.0 * k * (k + 1) / (n - k - 1))


def transition(a0: float, a1: float) -> tuple[np.ndarray, np.ndarray]:
    """Return the transition matrix ``F`` and gain ``g`` of a complex block."""
    return np.array([[1.0, a1 - 1.0], [1.0, 1.0 - a0]]), np.array([a0 - a1, a0 + a1])


def components(season: str, m: int, params: tuple[float, ...]) -> list[Component]:
    """Return the components of a form: ``(lag, F, g)`` each."""
    level = (1, *transition(params[0], params[1]))
    if season == "none":
        return [level]
    if season == "simple":
        return [(m, *transition(params[0], params[1]))]
    if season == "partial":
        return [level, (m, np.ones((1, 1)), np.array([params[2]]))]
    return [level, (m, *transition(params[2], params[3]))]


def minimum_length(season: str, m: int) -> int:
    """Return the fewest observations a form is fit on (two seasons, and ``k + 2``)."""
    seasonal = 2 * m if season != "none" else 0
    return max(seasonal, N_PARAMS[season] + 2)


def initial_states(y: np.ndarray, season: str, m: int) -> list[np.ndarray]:
    """Return statsforecast's start: the first ten points' mean, or the first season.

    The second state of a complex block starts at the first divided by 1.1.

    The partial and full forms start the level at the first season's mean and the seasonal
    component at the indices of an additive classical decomposition.
    """
    if season == "none":
        level = float(np.mean(y[:10]))
        return [np.array([[level, level / 1.1]])]
    if season == "simple":
        return [np.column_stack([y[:m], y[:m] / 1.1])]
    from statsmodels.tsa.seasonal import seasonal_decompose

    level = float(np.mean(y[:m]))
    index = np.asarray(seasonal_decompose(y, period=m).seasonal)[:m]
    start = [np.array([[level, level / 1.1]])]
    if season == "partial":
        return [*start, index[:, None].copy()]
    return [*start, np.column_stack([index, index / 1.1])]


def _polynomials(f: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``A(x)``, ``B(x)`` and the states' numerators (rows: powers of ``x``; columns: states)."""
    if len(g) == 1:
        return np.array([1.0, -1.0]), np.array([0.0, g[0]]), np.array([[g[0]], [0.0]])
    trace, det = f[0, 0] + f[1, 1], f[0, 0] * f[1, 1] - f[0, 1] * f[1, 0]
    first = f[0, 1] * g[1] - f[1, 1] * g[0]
    numerator = np.array([[g[0], g[1]], [first, f[1, 0] * g[0] - f[0, 0] * g[1]]])
    return np.array([1.0, -trace, det]), np.array([0.0, g[0], first]), numerator


def _expand(poly: np.ndarray, lag: int) -> np.ndarray:
    """Rewrite a polynomial in ``x = z^-lag`` as one in ``z^-1``."""
    out = np.zeros((len(poly) - 1) * lag + 1)
    out[::lag] = poly
    return out


def _add(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    out = np.zeros(max(len(p), len(q)))
    out[: len(p)] += p
    out[: len(q)] += q
    return out


def _chains(values: np.ndarray, lag: int, fill: float) -> np.ndarray:
    rows = -(-len(values) // lag)
    padded = np.full(rows * lag, fill)
    padded[: len(values)] = values
    return padded.reshape(rows, lag)


def _free(x0: np.ndarray, f: np.ndarray, a: np.ndarray, lag: int, n: int) -> np.ndarray:
    """Return the first state's free response ``(F^q x0_j)[0]`` in the order of the series."""
    seeds = np.zeros((-(-n // lag), lag))
    seeds[0] = x0[:, 0]
    if len(a) == 3 and len(seeds) > 1:
        seeds[1] = (x0 @ f.T)[:, 0] + a[1] * x0[:, 0]
    return signal.lfilter([1.0], a, seeds, axis=0).ravel()[:n]


@dataclass(frozen=True)
class _Filters:
    """What every pass of one parameter vector shares: components, polynomials, the error filter.

    Built once per evaluation of the criterion (three passes use it), so that a pass is the
    filtering alone.
    """

    comps: list[Component]
    polys: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
    error_b: np.ndarray
    error_a: np.ndarray
    last_rows: list[np.ndarray]

    @classmethod
    def build(cls, season: str, m: int, params: tuple[float, ...], n: int) -> _Filters:
        """Build the filters of one form and parameter vector for a series of ``n`` points."""
        comps = components(season, m, params)
        polys = [_polynomials(f, g) for _, f, g in comps]
        den, num = np.ones(1), np.zeros(1)
        for (lag, _, _), (a, b, _) in zip(comps, polys, strict=True):
            big_a, big_b = _expand(a, lag), _expand(b, lag)
            num = _add(np.convolve(num, big_a), np.convolve(den, big_b))
            den = np.convolve(den, big_a)
        # the row of each chain's last observation (chain j holds positions j, j + lag, ...)
        last_rows = [(n - 1 - np.arange(lag)) // lag for lag, _, _ in comps]
        return cls(comps, polys, den, _add(den, num), last_rows)


def _states(
    errors: np.ndarray, x0: np.ndarray, comp: Component, polys: tuple, last_rows: np.ndarray
) -> np.ndarray:
    """Return the last states of each chain of a component driven by ``errors``."""
    lag, f, _ = comp
    a, _, numerator = polys
    z = _chains(errors, lag, np.nan)
    drive = z[:, :, None] * numerator[0]
    drive[1:] += z[:-1, :, None] * numerator[1]
    drive[0] += x0 @ f.T
    if len(a) == 3 and len(z) > 1:
        drive[1] -= a[2] * x0
    states = signal.lfilter([1.0], a, drive, axis=0)
    return states[last_rows, np.arange(lag)]


def _pass(
    y: np.ndarray, starts: list[np.ndarray], filters: _Filters
) -> tuple[np.ndarray, list[np.ndarray]]:
    """One forward pass: the one-step errors and each component's last states."""
    n = len(y)
    pairs = list(zip(filters.comps, filters.polys, strict=True))
    free = sum(
        _free(x0, f, p[0], lag, n) for x0, ((lag, f, _), p) in zip(starts, pairs, strict=True)
    )
    errors = signal.lfilter(filters.error_b, filters.error_a, y - free)
    lasts = [
        _states(errors, x0, comp, p, rows)
        for x0, (comp, p), rows in zip(starts, pairs, filters.last_rows, strict=True)
    ]
    return errors, lasts


def _next_starts(lasts: list[np.ndarray], comps: list[Component], n: int) -> list[np.ndarray]:
    """Return the starts of a pass over the reversed series: the last states a step ahead."""
    return [
        last[(n - 1 - np.arange(lag)) % lag] @ f.T
        for last, (lag, f, _) in zip(lasts, comps, strict=True)
    ]


def backcast(
    y: np.ndarray, season: str, m: int, params: tuple[float, ...], starts: list[np.ndarray]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """One-step errors and last states after the forward, backward and forward passes."""
    filters = _Filters.build(season, m, params, len(y))
    comps = filters.comps
    _, lasts = _pass(y, starts, filters)
    _, lasts = _pass(y[::-1], _next_starts(lasts, comps, len(y)), filters)
    return _pass(y, _next_starts(lasts, comps, len(y)), filters)


def _criterion(
    params: np.ndarray, y: np.ndarray, season: str, m: int, starts: list[np.ndarray]
) -> float:
    with np.errstate(all="ignore"):
        errors = backcast(y, season, m, tuple(map(float, params)), starts)[0]
        sse = float(errors @ errors)
    if not np.isfinite(sse):
        return 1e300
    return len(y) * np.log(max(sse, 1e-300))


def fit_ces(y: np.ndarray, season: str, m: int) -> CesFit:
    """Estimate one CES form by backcasting and Nelder-Mead.

    Parameters
    ----------
    y : ndarray
        The series, at least :func:`minimum_length` points.
    season : str
        One of :data:`SEASONS`.
    m : int
        Season length (ignored by ``"none"``).

    Returns
    -------
    CesFit
    """
    m = 1 if season == "none" else m
    starts = initial_states(y, season, m)
    x0 = np.array(_START[season])
    found = optimize.minimize(
        _criterion,
        x0=x0,
        args=(y, season, m, starts),
        method="Nelder-Mead",
        bounds=_BOUNDS[: len(x0)],
        options={"xatol": 1e-4, "fatol": 1e-4, "maxiter": 1000},
    )
    params = tuple(float(v) for v in found.x)
    errors, lasts = backcast(y, season, m, params, starts)
    return CesFit(season, m, params, float(errors @ errors), lasts, len(y))


def ces_paths(fit: CesFit, shocks: np.ndarray) -> np.ndarray:
    """Future values driven by ``shocks`` of shape ``(batch, h)``; zero shocks give the point."""
    comps = components(fit.season, fit.m, fit.params)
    batch, h = shocks.shape
    states = [np.tile(s, (batch, 1, 1)) for s in fit.states]
    out = np.empty((batch, h))
    for step in range(h):
        t = fit.n_obs + step
        out[:, step] = shocks[:, step] + sum(
            s[:, t % c[0], 0] for s, c in zip(states, comps, strict=True)
        )
        for s, (lag, f, g) in zip(states, comps, strict=True):
            s[:, t % lag] = s[:, t % lag] @ f.T + shocks[:, step, None] * g
    return out


def ces_variance(fit: CesFit, h: int) -> np.ndarray:
    """Variance of the ``h`` future values (Hyndman et al. 2008, section 6.1).

    ``sigma2 (1 + psi_1^2 + ... + psi_(j-1)^2)`` at step ``j``, where ``psi`` is the impulse
    response of the errors on the forecasts, the sum of the components' ``B(x)/A(x)``.
    """
    impulse = np.zeros(h)
    impulse[0] = 1.0
    psi = np.zeros(h)
    for lag, f, g in components(fit.season, fit.m, fit.params):
        a, b, _ = _polynomials(f, g)
        psi += signal.lfilter(_expand(b, lag), _expand(a, lag), impulse)
    return fit.sigma2 * (1.0 + np.concatenate([[0.0], np.cumsum(psi[1:] ** 2)]))
