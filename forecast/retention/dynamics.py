r"""Equations of the retention-driven feedback model, vectorised over many series.

Pure numpy, no fitting: given the parameters, compute the paths. The model forecasts nothing
by itself; models that fit it and the market simulator (:mod:`forecast.datasets.simulate`)
call these functions.

The model
---------
Users are acquired in cohorts; a cohort acquired at period :math:`c` is active at period
:math:`t \ge c` in the proportion :math:`S_c(t - c)`, where :math:`S` is a survival
(retention) curve by age with :math:`S(0) = 1`, non-increasing, within [0, 1]. For product
:math:`j` of a market of potential :math:`M` (everything per series; the leading axis of every
array is the series):

.. math::

    D_{j,t} &= \text{(demand)}\ (p_j + q_j D^{act}_{j,t-1} / M)\,(M - A_{t-1})\,\mu_{j,t} \\
    a_{j,t} &= D_{j,t} \min\!\left(1, \frac{M - A_{t-1}}{\sum_k D_{k,t}}\right)
        \quad\text{(acquired from the market; never more than is left)} \\
    r_{j,t} &= \sum_{c < t} n_{j,c}\, S_{j,c}(t - c) \quad\text{(retained)} \\
    \ell_{j,t} &= D^{act}_{j,t-1} - r_{j,t} \quad\text{(churned)} \\
    s^{in}_{j,t} &= \sum_i \sigma_{ij}\, \ell_{i,t}, \qquad
    s^{out}_{i,t} = \sum_j \sigma_{ij}\, \ell_{i,t} \quad\text{(switching)} \\
    n_{j,t} &= a_{j,t} + s^{in}_{j,t} \quad\text{(new to the product)} \\
    D^{act}_{j,t} &= r_{j,t} + n_{j,t}, \qquad A_t = A_{t-1} + \sum_j a_{j,t}

with :math:`D^{act}_{-1} = A_{-1} = 0` (see ``initial`` for a launch base), ``p`` and ``q`` the
Bass coefficients of innovation and imitation (driven by the *active* base, not by cumulative
adopters), :math:`\mu` the acquisition multipliers (events, seasonality) and :math:`\sigma` a
switching matrix: the share of the users churning from product :math:`i` in a period who join
product :math:`j` in the same period, as a new cohort of :math:`j` (they are not new to the
market, so :math:`A` does not count them). So the growth accounting

.. math:: D^{act}_{j,t} = D^{act}_{j,t-1} + n_{j,t} - \ell_{j,t}

holds exactly, churn is never negative, and :math:`\sum_j a_{j,\cdot}` never exceeds
:math:`M`. Retained users at :math:`t` are those active at :math:`t` who were acquired before
:math:`t`; churned users are those active at :math:`t-1` who are not active at :math:`t`.

Retention that rises with scale
-------------------------------
With ``scale_effect`` :math:`e_j \ge 0`, a cohort acquired when the product is large keeps
more of its users: cohort :math:`c` follows

.. math:: S_{j,c}(a) = S_j(a) + u_{j,c}\,(1 - S_j(a)), \qquad
          u_{j,c} = \min(1,\ e_j\, D^{act}_{j,c-1} / M),

i.e. a fraction :math:`u_{j,c}` of the users who would have churned stays for good: the
curve's long-run level :math:`S_j(\infty)` is raised by :math:`u_{j,c}(1 - S_j(\infty))`. The
curve keeps :math:`S_{j,c}(0) = 1`, stays within [0, 1] and non-increasing, and a cohort's
curve is fixed when it is acquired (older cohorts do not come back). With :math:`e = 0` every
cohort follows :math:`S_j`.

Cost
----
A survival curve given as an array needs the cohort convolution, :math:`O(T^2)` per series
(vectorised over series). A curve given as an :class:`ExponentialMixture`
:math:`S(a) = \sum_k w_k \rho_k^a` (latent segments, each with a constant per-period retention
:math:`\rho_k`) turns it into one first-order recursion per component,
:math:`R_{k,t} = \rho_k R_{k,t-1} + x_t`, so the cost is :math:`O(TK)`: 10,000 series of 730
days take well under a second. :meth:`ExponentialMixture.from_sbg` writes the
shifted-beta-geometric curve (a Beta mixture of geometric curves) as such a mixture by
Gauss-Jacobi quadrature; :meth:`ExponentialMixture.with_floor` adds a segment that never
churns.

References
----------
.. [1] Bass, F. M. (1969). A new product growth for model consumer durables. Management
   Science, 15(5), 215-227.
.. [2] Fader, P. S. and Hardie, B. G. S. (2007). How to project customer retention. Journal of
   Interactive Marketing, 21(1), 76-90.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from forecast.errors import ConfigError
from forecast.retention.survival import (
    ExponentialMixture,
    kernel,
    survival_curve,
    survival_input,
)

__all__ = [
    "ExponentialMixture",
    "FeedbackPaths",
    "survival_curve",
    "simulate_feedback",
    "simulate_competition",
]


@dataclass(frozen=True)
class FeedbackPaths:
    r"""Paths of the feedback model; every array has the time axis last.

    Shapes are ``(n_series, periods)`` from :func:`simulate_feedback` and
    ``(n_series, n_products, periods)`` from :func:`simulate_competition`.

    Attributes
    ----------
    dau : ndarray
        Active users :math:`D^{act}_t = r_t + n_t`.
    new : ndarray
        New users of the product :math:`n_t` (acquired from the market plus switched in).
    acquired : ndarray
        Users acquired from the market's remaining potential.
    switched_in, switched_out : ndarray
        Users joining from, and churned users leaving to, the other products.
    retained : ndarray
        Users active at ``t`` who were acquired before ``t``.
    churned : ndarray
        Users active at ``t - 1`` who are not active at ``t``; ``dau[t] = dau[t-1] + new[t] -
        churned[t]`` exactly (with ``dau[-1] = 0``).
    cumulative : ndarray
        Users ever acquired from the market by the product, :math:`\sum_{s \le t} a_s`.
    retention_uplift : ndarray
        :math:`u_{c}`, the share of each cohort's would-be churners kept by the scale effect.
    """

    dau: np.ndarray
    new: np.ndarray
    acquired: np.ndarray
    switched_in: np.ndarray
    switched_out: np.ndarray
    retained: np.ndarray
    churned: np.ndarray
    cumulative: np.ndarray
    retention_uplift: np.ndarray


def _as_array(
    name: str, value: ArrayLike, shape: tuple[int, ...], *, low: float = 0.0
) -> np.ndarray:
    array = np.asarray(value, dtype=float)
    try:
        array = np.broadcast_to(array, shape)
    except ValueError as err:
        raise ConfigError(
            f"{name!r} of shape {array.shape} does not broadcast to {shape}."
        ) from err
    if not np.all(np.isfinite(array)) or np.any(array < low):
        raise ConfigError(f"{name!r} must be finite and >= {low}.")
    return array


def _run(
    p: np.ndarray,
    q: np.ndarray,
    m: np.ndarray,
    survival: np.ndarray | ExponentialMixture,
    periods: int,
    multipliers: np.ndarray,
    scale_effect: np.ndarray,
    initial: np.ndarray,
    switching: np.ndarray | None,
    later: tuple[int, np.ndarray | ExponentialMixture] | None = None,
) -> FeedbackPaths:
    """Run the engine on arrays of shape (n, k): n markets, k products sharing each market.

    ``later = (start, survival)``: cohorts acquired from period ``start`` on follow that curve.
    """
    shape = p.shape
    first = kernel(survival, shape, periods)
    start = periods if later is None else later[0]
    second = None if later is None else kernel(later[1], shape, periods)
    out = {name: np.zeros((periods,) + shape) for name in FeedbackPaths.__dataclass_fields__}
    market = m[:, None]
    steps = np.ascontiguousarray(np.moveaxis(multipliers, -1, 0))
    zeros = np.zeros(shape)
    dau_prev = np.zeros(shape)
    drive = initial.copy()
    ever = initial.sum(axis=1, keepdims=True)
    permanent = np.zeros(shape)
    cumulative = np.zeros(shape)
    for t in range(periods):
        retained = first.carry(t) + permanent
        if second is not None:
            retained = retained + second.carry(t)
        churned = dau_prev - retained if t else zeros
        remaining = market - ever
        demand = (p + q * drive / market) * remaining * steps[t]
        total = demand.sum(axis=1, keepdims=True)
        scale = np.divide(remaining, total, out=np.ones_like(total), where=total > remaining)
        from_market = demand * scale
        ever = ever + from_market.sum(axis=1, keepdims=True)
        acquired = from_market + initial if t == 0 else from_market
        if switching is None:
            switched_in = switched_out = zeros
        else:
            switched_in = np.einsum("nij,ni->nj", switching, churned)
            switched_out = churned * switching.sum(axis=2)
        new = acquired + switched_in
        uplift = np.minimum(1.0, scale_effect * drive / market)
        permanent = permanent + uplift * new
        fresh = (1.0 - uplift) * new
        first.push(t, fresh if t < start else zeros)
        if second is not None:
            second.push(t, zeros if t < start else fresh)
        dau = retained + new
        cumulative = cumulative + acquired
        for name, value in (
            ("dau", dau),
            ("new", new),
            ("acquired", acquired),
            ("switched_in", switched_in),
            ("switched_out", switched_out),
            ("retained", retained),
            ("churned", churned),
            ("cumulative", cumulative),
            ("retention_uplift", uplift),
        ):
            out[name][t] = value
        dau_prev = dau
        drive = dau
    return FeedbackPaths(**{name: np.moveaxis(value, 0, -1) for name, value in out.items()})


def _check_periods(periods: int) -> int:
    if isinstance(periods, bool) or int(periods) != periods or int(periods) < 1:
        raise ConfigError(f"periods must be a positive whole number, not {periods!r}.")
    return int(periods)


def simulate_feedback(
    p: ArrayLike,
    q: ArrayLike,
    m: ArrayLike,
    survival: ArrayLike | ExponentialMixture,
    periods: int,
    *,
    multipliers: ArrayLike | None = None,
    scale_effect: ArrayLike = 0.0,
    initial: ArrayLike = 0.0,
    survival_from: tuple[int, ArrayLike | ExponentialMixture] | None = None,
) -> FeedbackPaths:
    r"""Paths of the feedback model for independent series (one product per market).

    See the module docstring for the equations; here each series is its own market.

    Parameters
    ----------
    p, q : array_like
        Coefficients of innovation and imitation (Bass's symbols), >= 0, scalars or shape
        ``(n_series,)``.
    m : array_like
        Market potential :math:`M` > 0, scalar or ``(n_series,)``.
    survival : array_like or ExponentialMixture
        The retention curve by age: an array of shape ``(L,)`` or ``(n_series, L)`` with
        ``L >= periods``, :math:`S(0) = 1`, non-increasing, in [0, 1]; or a mixture with
        weights ``(K,)`` or ``(n_series, K)`` (the fast path).
    periods : int
        Number of periods :math:`T` to simulate.
    multipliers : array_like, optional
        Acquisition multipliers :math:`\mu_t` >= 0 broadcastable to ``(n_series, periods)``
        (events, seasonality); 1 when omitted.
    scale_effect : array_like
        :math:`e` >= 0, scalar or ``(n_series,)``: retention rising with scale.
    initial : array_like
        A launch base, scalar or ``(n_series,)``: users acquired in period 0 on top of the
        demand, which in period 0 is driven by them
        (:math:`a_0 = I + \min((p + qI/M)(M - I)\mu_0,\ M - I)`).
    survival_from : (int, array_like or ExponentialMixture), optional
        ``(start, survival)``: cohorts acquired from period ``start`` on follow this curve
        (shaped like ``survival``) instead; earlier cohorts keep theirs.

    Returns
    -------
    FeedbackPaths
        Arrays of shape ``(n_series, periods)``; ``switched_in`` and ``switched_out`` are zero.

    Raises
    ------
    ConfigError
        Negative or non-finite parameters, shapes that do not broadcast, an invalid survival
        curve, ``initial`` above ``m``.

    Examples
    --------
    >>> curve = ExponentialMixture.from_sbg(0.7, 1.2)
    >>> paths = simulate_feedback(0.01, 0.3, 1e6, curve, 50)
    >>> paths.dau.shape
    (1, 50)
    """
    periods = _check_periods(periods)
    p_arr, q_arr, m_arr = (np.atleast_1d(np.asarray(v, dtype=float)) for v in (p, q, m))
    try:
        n = np.broadcast_shapes(p_arr.shape, q_arr.shape, m_arr.shape)
    except ValueError as err:
        raise ConfigError(
            f"p, q and m do not broadcast together: {p_arr.shape}, {q_arr.shape}, {m_arr.shape}."
        ) from err
    if len(n) != 1:
        raise ConfigError(
            "p, q and m of simulate_feedback are scalars or one value per series (1-D)."
        )
    curve = _per_series(survival_input(survival, periods))
    paths = simulate_competition(
        np.broadcast_to(p_arr, n)[:, None],
        np.broadcast_to(q_arr, n)[:, None],
        np.broadcast_to(m_arr, n),
        curve,
        periods,
        multipliers=None
        if multipliers is None
        else _as_array("multipliers", multipliers, n + (periods,))[:, None, :],
        scale_effect=_as_array("scale_effect", scale_effect, n)[:, None],
        initial=_as_array("initial", initial, n)[:, None],
        survival_from=None
        if survival_from is None
        else (survival_from[0], _per_series(survival_input(survival_from[1], periods))),
    )
    return FeedbackPaths(
        **{name: getattr(paths, name)[:, 0, :] for name in FeedbackPaths.__dataclass_fields__}
    )


def _per_series(curve: np.ndarray | ExponentialMixture) -> np.ndarray | ExponentialMixture:
    """Add the product axis to a per-series curve of :func:`simulate_feedback`."""
    if isinstance(curve, ExponentialMixture):
        return (
            ExponentialMixture(curve.weights[..., None, :], curve.rates[..., None, :])
            if curve.weights.ndim > 1
            else curve
        )
    return curve[..., None, :] if curve.ndim > 1 else curve


def simulate_competition(
    p: ArrayLike,
    q: ArrayLike,
    m: ArrayLike,
    survival: ArrayLike | ExponentialMixture,
    periods: int,
    *,
    switching: ArrayLike | None = None,
    multipliers: ArrayLike | None = None,
    scale_effect: ArrayLike = 0.0,
    initial: ArrayLike = 0.0,
    survival_from: tuple[int, ArrayLike | ExponentialMixture] | None = None,
) -> FeedbackPaths:
    r"""Paths of products competing for one market potential per series (market).

    See the module docstring for the equations: every product's acquisition draws on the
    market's remaining potential :math:`M - A_{t-1}`, scaled down together when the demands
    exceed it, and churned users may switch to another product.

    Parameters
    ----------
    p, q : array_like
        Bass coefficients >= 0, broadcastable to ``(n_markets, n_products)``; at least one of
        them must be 2-D or have the products on its last axis.
    m : array_like
        Market potential > 0, scalar or ``(n_markets,)``.
    survival : array_like or ExponentialMixture
        Survival array broadcastable to ``(n_markets, n_products, L)``, ``L >= periods``; or a
        mixture whose weights broadcast to ``(n_markets, n_products, K)`` (the fast path).
    periods : int
        Number of periods.
    switching : array_like, optional
        :math:`\sigma`, shape ``(n_products, n_products)`` or ``(n_markets, n_products,
        n_products)``: entry ``[i, j]`` is the share of product ``i``'s churned users who join
        product ``j`` in the same period; zero diagonal, rows summing to at most 1.
    multipliers : array_like, optional
        Acquisition multipliers >= 0 broadcastable to ``(n_markets, n_products, periods)``.
    scale_effect : array_like
        :math:`e` >= 0 broadcastable to ``(n_markets, n_products)``.
    initial : array_like
        Launch bases broadcastable to ``(n_markets, n_products)``, together at most ``m``.
    survival_from : (int, array_like or ExponentialMixture), optional
        ``(start, survival)``: cohorts acquired from period ``start`` on follow this curve
        instead of ``survival`` (a scenario of changed retention from a date); earlier
        cohorts keep theirs.

    Returns
    -------
    FeedbackPaths
        Arrays of shape ``(n_markets, n_products, periods)``.

    Raises
    ------
    ConfigError
        Invalid parameters or shapes, as for :func:`simulate_feedback`, or a switching matrix
        with a non-zero diagonal, negative entries or rows summing above 1.

    Examples
    --------
    >>> curve = ExponentialMixture.from_sbg([0.7, 0.9], [1.2, 3.0])
    >>> paths = simulate_competition([[0.01, 0.002]], [[0.3, 0.5]], 1e6, curve, 100)
    >>> bool(paths.cumulative.sum(axis=1).max() <= 1e6)
    True
    """
    periods = _check_periods(periods)
    p_arr, q_arr = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    m_arr = np.atleast_1d(np.asarray(m, dtype=float))
    try:
        shape = np.broadcast_shapes(p_arr.shape, q_arr.shape, m_arr.shape[:1] + (1,))
    except ValueError as err:
        raise ConfigError(
            f"p {p_arr.shape}, q {q_arr.shape} and m {m_arr.shape} do not broadcast to "
            "(n_markets, n_products)."
        ) from err
    if len(shape) != 2:
        raise ConfigError("p and q of simulate_competition broadcast to (n_markets, n_products).")
    p_arr = _as_array("p", p_arr, shape)
    q_arr = _as_array("q", q_arr, shape)
    m_arr = _as_array("m", m_arr, shape[:1])
    if np.any(m_arr <= 0):
        raise ConfigError("the market potential 'm' must be > 0.")
    initial_arr = _as_array("initial", initial, shape)
    if np.any(initial_arr.sum(axis=1) > m_arr):
        raise ConfigError(
            "the launch bases 'initial' of a market add up to more than its potential 'm'."
        )
    mult = (
        np.ones(shape + (periods,))
        if multipliers is None
        else _as_array("multipliers", multipliers, shape + (periods,))
    )
    effect = _as_array("scale_effect", scale_effect, shape)
    curve = survival_input(survival, periods)
    if isinstance(curve, ExponentialMixture):
        try:
            np.broadcast_shapes(curve.weights.shape[:-1], shape)
        except ValueError as err:
            raise ConfigError(
                f"mixture weights of shape {curve.weights.shape} do not broadcast to "
                f"{shape} + (K,)."
            ) from err
    else:
        try:
            np.broadcast_shapes(curve.shape[:-1], shape)
        except ValueError as err:
            raise ConfigError(
                f"the survival array of shape {curve.shape} does not broadcast to {shape} + (L,)."
            ) from err
    matrix = None
    if switching is not None:
        matrix = _as_array("switching", switching, (shape[0], shape[1], shape[1]))
        if np.any(np.diagonal(matrix, axis1=1, axis2=2) != 0):
            raise ConfigError(
                "the switching matrix needs a zero diagonal (users do not switch to the product "
                "they left)."
            )
        if np.any(matrix.sum(axis=2) > 1 + 1e-12):
            raise ConfigError(
                "each row of the switching matrix must sum to at most 1 (shares of the churned "
                "users)."
            )
    later = None
    if survival_from is not None:
        start, other = survival_from
        if isinstance(start, bool) or int(start) != start or int(start) < 0:
            raise ConfigError(
                f"the start period of survival_from must be a whole number >= 0, not {start!r}."
            )
        later = (int(start), survival_input(other, periods))
    return _run(p_arr, q_arr, m_arr, curve, periods, mult, effect, initial_arr, matrix, later)
