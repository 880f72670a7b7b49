r"""Numerical kernel of complex exponential smoothing (Svetunkov, Kourentzes and Ord 2022).

The non-seasonal model has a real level :math:`l_t` and an "information potential"
:math:`c_t`, smoothed with the complex parameter :math:`a_0 + i a_1`:

.. math::

    y_t &= l_{t-1} + \varepsilon_t, \\
    l_t &= l_{t-1} - (1 - a_1) c_{t-1} + (a_0 - a_1) \varepsilon_t, \\
    c_t &= l_{t-1} + (1 - a_0) c_{t-1} + (a_0 + a_1) \varepsilon_t,

a linear innovations state space model :math:`x_t = F x_{t-1} + g \varepsilon_t`,
:math:`y_t = w' x_{t-1} + \varepsilon_t` with :math:`F = [[1, a_1 - 1], [1, 1 - a_0]]`,
:math:`g = (a_0 - a_1, a_0 + a_1)'` and :math:`w = (1, 0)'`. The simple seasonal model is the
same with lag :math:`m` instead of 1: :math:`m` interleaved non-seasonal models, one for each
position in the season, sharing :math:`a_0, a_1`.

The states obey :math:`x_t = D x_{t-1} + g y_t` with :math:`D = F - g w'`, a linear filter of
the observations, so one pass over the data is one call of :func:`scipy.signal.lfilter` (the
transfer function of each state component, plus its response to the initial state by
Cayley-Hamilton) over all positions of the season at once. The fit follows statsforecast's
``auto_ces``: initial states from the first observations (the mean of the first ten, or the
first season), refined by backcasting (a forward pass, a backward pass over the reversed
series, and a forward pass, each starting from the one-step forecast of the previous pass's
last states); :math:`a_0 \in [0.01, 1.8]`, :math:`a_1 \in [0.01, 1.9]` minimise
:math:`n \log(\mathrm{SSE})` of the last pass (Nelder-Mead from :math:`(1.3, 1)`).

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

__all__ = ["SEASONS", "CesFit", "fit_ces", "ces_paths", "ces_variance", "transition"]

SEASONS = ("none", "simple")
"""The forms of the model: non-seasonal, and simple seasonal (lag ``m``)."""

BOUNDS = ((0.01, 1.8), (0.01, 1.9))
"""The bounds of ``a0`` and ``a1`` in statsforecast's ``auto_ces``."""

N_PARAMS = 3
"""Parameters counted by the information criteria (statsforecast: components + 1)."""


@dataclass(frozen=True)
class CesFit:
    """The estimates of one CES model on one series.

    Attributes
    ----------
    season : str
        One of :data:`SEASONS`.
    lag : int
        1, or the season length of the simple seasonal model.
    a0, a1 : float
        Real and imaginary parts of the complex smoothing parameter.
    sse : float
        Sum of squared one-step errors of the last pass.
    states : ndarray
        ``(lag, 2)``: the last ``(l, c)`` of each position in the season.
    n_obs : int
        Observations fitted.
    """

    season: str
    lag: int
    a0: float
    a1: float
    sse: float
    states: np.ndarray
    n_obs: int

    @property
    def sigma2(self) -> float:
        """Error variance, ``SSE / (n - 4)`` as statsforecast (``n - N_PARAMS - 1``)."""
        return self.sse / (self.n_obs - N_PARAMS - 1)

    @property
    def aicc(self) -> float:
        """Corrected Akaike criterion of the Gaussian likelihood (-inf for a perfect fit)."""
        n, k = self.n_obs, N_PARAMS
        with np.errstate(divide="ignore"):
            loglik = -0.5 * n * (np.log(2 * np.pi * self.sse / n) + 1.0)
        return float(-2.0 * loglik + 2.0 * k + 2.0 * k * (k + 1) / (n - k - 1))


def transition(a0: float, a1: float) -> tuple[np.ndarray, np.ndarray]:
    """Return the transition matrix ``F`` and gain ``g`` of the model."""
    return np.array([[1.0, a1 - 1.0], [1.0, 1.0 - a0]]), np.array([a0 - a1, a0 + a1])


def _chains(y: np.ndarray, lag: int) -> tuple[np.ndarray, np.ndarray]:
    """``y`` as a ``(rows, lag)`` matrix, one column per position, NaN-padded at the end."""
    rows = -(-len(y) // lag)
    padded = np.full(rows * lag, np.nan)
    padded[: len(y)] = y
    lengths = np.array([len(range(j, len(y), lag)) for j in range(lag)])
    return padded.reshape(rows, lag), lengths


@dataclass(frozen=True)
class _Filter:
    """The model's matrices for one ``(a0, a1)``: ``F``, ``D = F - g w'`` and the filter."""

    f: np.ndarray
    d: np.ndarray
    denominator: np.ndarray
    numerator: np.ndarray

    @classmethod
    def of(cls, a0: float, a1: float) -> _Filter:
        f, g = transition(a0, a1)
        d = f.copy()
        d[:, 0] -= g
        det = d[0, 0] * d[1, 1] - d[0, 1] * d[1, 0]
        numerator = np.array(
            [[g[0], g[1]], [d[0, 1] * g[1] - d[1, 1] * g[0], d[1, 0] * g[0] - d[0, 0] * g[1]]]
        )
        return cls(f, d, np.array([1.0, -(d[0, 0] + d[1, 1]), det]), numerator)


def _pass(
    z: np.ndarray, init: np.ndarray, model: _Filter, lengths: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """One forward pass over each column of ``z`` from the states ``init`` (``(lag, 2)``).

    Returns the one-step errors (the shape of ``z``) and the last states of each column.
    """
    drive = z[:, :, None] * model.numerator[0]
    drive[1:] += z[:-1, :, None] * model.numerator[1]
    drive[0] += init @ model.d.T
    if len(z) > 1:
        drive[1] -= model.denominator[2] * init
    states = signal.lfilter([1.0], model.denominator, drive, axis=0)
    errors = z.copy()
    errors[0] -= init[:, 0]
    errors[1:] -= states[:-1, :, 0]
    return errors, states[lengths - 1, np.arange(z.shape[1])]


def _reverse(z: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Each column's valid entries in reverse order, padding kept at the end."""
    rows = np.arange(z.shape[0])[:, None]
    index = np.clip(lengths[None, :] - 1 - rows, 0, None)
    out = np.take_along_axis(z, index, axis=0)
    out[rows >= lengths[None, :]] = np.nan
    return out


def _backcast(
    chains: tuple[np.ndarray, np.ndarray, np.ndarray], init: np.ndarray, a0: float, a1: float
) -> tuple[np.ndarray, np.ndarray]:
    z, reversed_z, lengths = chains
    model = _Filter.of(a0, a1)
    _, last = _pass(z, init, model, lengths)
    _, last = _pass(reversed_z, last @ model.f.T, model, lengths)
    return _pass(z, last @ model.f.T, model, lengths)


def _prepare(y: np.ndarray, lag: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    z, lengths = _chains(y, lag)
    return z, _reverse(z, lengths), lengths


def backcast_errors(
    y: np.ndarray, lag: int, init: np.ndarray, a0: float, a1: float
) -> tuple[np.ndarray, np.ndarray]:
    """One-step errors (in the order of ``y``) and last states after backcasting."""
    errors, last = _backcast(_prepare(y, lag), init, a0, a1)
    return errors.ravel()[: len(y)], last


def initial_states(y: np.ndarray, lag: int) -> np.ndarray:
    """Statsforecast's start: mean of the first ten points, or the first season; ``c = l/1.1``."""
    level = np.array([np.mean(y[:10])]) if lag == 1 else y[:lag].copy()
    return np.column_stack([level, level / 1.1])


def _criterion(
    params: np.ndarray, chains: tuple[np.ndarray, np.ndarray, np.ndarray], init: np.ndarray
) -> float:
    with np.errstate(all="ignore"):
        n = int(chains[2].sum())
        errors = _backcast(chains, init, float(params[0]), float(params[1]))[0].ravel()[:n]
        sse = float(errors @ errors)
    if not np.isfinite(sse):
        return 1e300
    return n * np.log(max(sse, 1e-300))


def fit_ces(y: np.ndarray, season: str, m: int) -> CesFit:
    """Estimate one CES model by backcasting and Nelder-Mead.

    Parameters
    ----------
    y : ndarray
        The series (at least ``N_PARAMS + 2`` points, two seasons for ``"simple"``).
    season : str
        One of :data:`SEASONS`.
    m : int
        Season length (used by ``"simple"``).

    Returns
    -------
    CesFit
    """
    lag = 1 if season == "none" else m
    init = initial_states(y, lag)
    found = optimize.minimize(
        _criterion,
        x0=np.array([1.3, 1.0]),
        args=(_prepare(y, lag), init),
        method="Nelder-Mead",
        bounds=BOUNDS,
        options={"xatol": 1e-4, "fatol": 1e-4, "maxiter": 1000},
    )
    a0, a1 = (float(v) for v in found.x)
    errors, last = backcast_errors(y, lag, init, a0, a1)
    return CesFit(season, lag, a0, a1, float(errors @ errors), last, len(y))


def ces_paths(fit: CesFit, shocks: np.ndarray) -> np.ndarray:
    """Future values driven by ``shocks`` of shape ``(batch, h)``; zero shocks give the point."""
    f, g = transition(fit.a0, fit.a1)
    batch, h = shocks.shape
    states = np.tile(fit.states, (batch, 1, 1))
    out = np.empty((batch, h))
    for s in range(h):
        j = (fit.n_obs + s) % fit.lag
        current = states[:, j]
        out[:, s] = current[:, 0] + shocks[:, s]
        states[:, j] = current @ f.T + shocks[:, s, None] * g
    return out


def ces_variance(fit: CesFit, h: int) -> np.ndarray:
    """Variance of the ``h`` future values (Hyndman et al. 2008, section 6.1).

    ``sigma2 (1 + sum_{i<=k} (w' F^(i-1) g)^2)``, where ``k`` counts the earlier steps of the
    horizon at the same position in the season.
    """
    f, g = transition(fit.a0, fit.a1)
    steps = np.arange(h) // fit.lag
    psi = np.empty(int(steps.max()) + 1)
    psi[0], power = 1.0, g.copy()
    for i in range(1, len(psi)):
        psi[i] = power[0]
        power = f @ power
    return fit.sigma2 * np.cumsum(psi**2)[steps]
