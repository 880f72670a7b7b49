r"""Competing products that draw on one market and trade users: the ``competition`` model.

Unlike the registered models, which forecast one series each, this model forecasts ``K``
products jointly: their users come from one market potential, and users who leave one product
may join another. It therefore does not follow the one-series contract of
:class:`~forecast.models.base.BaseModel` and is not in the registry; it keeps the same verbs
(``fit``, ``predict``, ``sample``, ``clone``) on a frame of several series, and
:func:`forecast.shares` uses it with ``models="competition"``.

Equations
---------
With :math:`A_{i,t}` the active users of product :math:`i` on step :math:`t`, :math:`m` the
market potential and :math:`U_t = \max(m - \sum_j A_{j,t}, 0)` the users not yet in the market:

.. math::

    A_{i,t+1} = \Big[A_{i,t}
        + \underbrace{(p_i + q_i A_{i,t} / m)\, U_t}_{\text{acquisition (Bass)}}
        - \underbrace{d_i A_{i,t}}_{\text{churn out of the market}}
        + \underbrace{\textstyle\sum_{j \ne i} s_{ji} A_{j,t}}_{\text{switching in}}
        - \underbrace{\textstyle\sum_{j \ne i} s_{ij} A_{i,t}}_{\text{switching out}}\Big]
        \, e^{\sigma_i \varepsilon_{i,t} - \sigma_i^2 / 2}, \qquad \varepsilon_{i,t} \sim N(0, 1)

:math:`p_i, q_i` are the coefficients of innovation and imitation of Bass (1969), :math:`d_i`
the rate of leaving the market and :math:`s_{ij}` the rate (per step) at which users of
:math:`i` switch to :math:`j`; all are non-negative. A product enters the equations from its
first date in the frame (its launch); before that it has no users and no flows. The bracket is
floored at zero when simulating.

Estimation
----------
Conditional least squares: for a fixed :math:`m`, the relative one-step change
:math:`(A_{i,t+1} - A_{i,t}) / A_{i,t}` is linear in all the other parameters, so they are
estimated jointly for all products with non-negativity bounds by
:func:`scipy.optimize.nnls`; :math:`m` is profiled out with a grid on
:math:`\log m` over ``[1.01, 100]`` times the largest market total followed by
:func:`scipy.optimize.minimize_scalar`. :math:`\sigma_i` is the root mean square of product
:math:`i`'s relative residuals. Intervals come from sample paths with the estimated parameters
held fixed (parameter uncertainty is not propagated).

References
----------
.. [1] Bass, F. M. (1969). A new product growth for model consumer durables. Management
   Science, 15(5), 215-227.
.. [2] Libai, B., Muller, E. and Peres, R. (2009). The diffusion of services. Journal of
   Marketing Research, 46(2), 163-175 (acquisition, attrition and switching between competing
   services).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Self

import numpy as np
import pandas as pd
from scipy import linalg, optimize

from forecast.errors import (
    CapabilityError,
    ConfigError,
    DomainError,
    FitError,
    HistoryError,
    NotFittedError,
    format_rows,
)
from forecast.models.base import check_horizon
from forecast.schema import (
    DS,
    MODEL,
    QUALIFIER,
    UNIQUE_ID,
    YHAT,
    Frequency,
    ValidSeries,
    Y,
    check_levels,
    future_dates,
    infer_frequency,
    level_column,
    missing_dates,
    valid_series,
)

__all__ = ["CompetitionModel", "competition_step"]


def competition_step(
    state: np.ndarray,
    m: float,
    p: np.ndarray,
    q: np.ndarray,
    d: np.ndarray,
    switching: np.ndarray,
    launched: np.ndarray | None = None,
) -> np.ndarray:
    """One deterministic step of the competition equations (the bracket, floored at zero).

    Parameters
    ----------
    state : ndarray
        Active users, shape ``(..., K)``.
    m : float
        Market potential.
    p, q, d : ndarray
        Innovation, imitation and churn rates, shape ``(K,)``.
    switching : ndarray
        ``switching[i, j]`` is the rate at which users of ``i`` switch to ``j``; zero diagonal.
    launched : ndarray of bool, optional
        Shape ``(K,)`` or like ``state``: which products exist yet (all by default). Products not
        launched acquire no users and nobody switches to or from them.

    Returns
    -------
    ndarray
        Active users one step later, same shape as ``state``.
    """
    exists = (
        np.ones(state.shape[-1], dtype=bool)
        if launched is None
        else np.asarray(launched, dtype=bool)
    )
    state = np.where(exists, state, 0.0)
    untapped = np.maximum(m - state.sum(axis=-1, keepdims=True), 0.0)
    acquired = (p + q * state / m) * untapped * exists
    moved = (state @ switching) * exists - state * (
        exists @ switching.T if exists.ndim > 1 else switching @ exists
    )
    return np.maximum(state + acquired - d * state + moved, 0.0)


class CompetitionModel:
    """K products sharing one market potential, with churn and switching between them.

    Parameters
    ----------
    m_range : tuple of float
        Bounds of the market potential as multiples of the largest observed market total.
    n_grid : int
        Points of the grid on ``log m`` before the bounded refinement.

    Attributes
    ----------
    products_ : tuple of str
        The products, in the order of every array (sorted ``unique_id``).
    params_ : dict
        ``m``; ``p[<product>]``, ``q[<product>]``, ``d[<product>]``, ``sigma[<product>]``;
        ``s[<from>-><to>]`` for every ordered pair.
    switching_ : DataFrame
        The switching rates, rows ``from`` and columns ``to`` (zero diagonal).
    frequency_ : Frequency
        The step of the market's dates.
    last_ds_ : Timestamp
        The last fitted date.

    Notes
    -----
    See the module docstring for the equations and the estimation.
    """

    name: ClassVar[str] = "competition"

    def __init__(self, *, m_range: tuple[float, float] = (1.01, 100.0), n_grid: int = 25) -> None:
        low, high = (float(v) for v in m_range)
        if not 1.0 < low < high:
            raise ConfigError(f"m_range must be (low, high) with 1 < low < high, not {m_range!r}.")
        if isinstance(n_grid, bool) or int(n_grid) < 3:
            raise ConfigError(f"n_grid must be a whole number >= 3, not {n_grid!r}.")
        self.m_range = (low, high)
        self.n_grid = int(n_grid)

    # --------------------------------------------------------------------------- public API
    def fit(self, df: pd.DataFrame | ValidSeries) -> Self:
        """Fit the model jointly to the products' users.

        Parameters
        ----------
        df : DataFrame or ValidSeries
            A series frame with at least two products (``unique_id``) on one regular grid of
            dates: each product from its first date (its launch) to the common last date, with
            positive values and no gaps; checked here unless :func:`forecast.schema.valid_series`
            checked it already.

        Returns
        -------
        Self

        Raises
        ------
        DataError
            Fewer than two products, gaps, products ending on different dates, values <= 0.
        CapabilityError
            The frame holds bounds (qualifier ``>=`` or ``<=``).
        FitError
            The estimation failed.
        """
        wide, frequency = self._prepare(df)
        values = wide.to_numpy(dtype=float)
        active = ~np.isnan(values)
        state = np.nan_to_num(values, nan=0.0)
        products = tuple(str(c) for c in wide.columns)
        k = len(products)
        total_max = float(state.sum(axis=1).max())
        design = _Design(state, active)
        low, high = np.log(total_max * self.m_range[0]), np.log(total_max * self.m_range[1])
        grid = np.linspace(low, high, self.n_grid)
        costs = [design.solve(np.exp(g))[1] for g in grid]
        best = int(np.argmin(costs))
        lo, hi = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
        result = optimize.minimize_scalar(
            lambda g: design.solve(np.exp(g))[1], bounds=(lo, hi), method="bounded"
        )
        log_m = float(result.x) if result.fun <= costs[best] else float(grid[best])
        m = float(np.exp(log_m))
        theta, _ = design.solve(m)
        if not np.all(np.isfinite(theta)):
            raise FitError(
                "model 'competition' failed: the least-squares estimates are not finite."
            )
        p, q, d, switching = design.unpack(theta)
        residuals = design.residuals(theta, m)
        sigma = np.array([np.sqrt(np.mean(r**2)) if len(r) else 0.0 for r in residuals])
        self.products_ = products
        self.m_ = m
        self.p_, self.q_, self.d_, self.switching_matrix_, self.sigma_ = p, q, d, switching, sigma
        self.frequency_ = frequency
        self.last_ds_ = wide.index[-1]
        self.last_state_ = state[-1].copy()
        self.params_ = {"m": m}
        for i, name in enumerate(products):
            self.params_.update(
                {
                    f"p[{name}]": p[i],
                    f"q[{name}]": q[i],
                    f"d[{name}]": d[i],
                    f"sigma[{name}]": sigma[i],
                }
            )
        for i in range(k):
            for j in range(k):
                if i != j:
                    self.params_[f"s[{products[i]}->{products[j]}]"] = float(switching[i, j])
        self.switching_ = pd.DataFrame(
            switching, index=pd.Index(products, name="from"), columns=pd.Index(products, name="to")
        )
        return self

    def sample(self, h: int, n: int = 1000, seed: int = 0) -> np.ndarray:
        """Draw ``n`` joint sample paths of every product ``h`` steps ahead.

        Returns
        -------
        ndarray
            Shape ``(K, n, h)``: product, path, step (products in the order of ``products_``).
        """
        self._check_fitted()
        h = check_horizon(h)
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ConfigError(f"n must be a positive number of paths, not {n!r}.")
        rng = np.random.default_rng(seed)
        return self._simulate(h, int(n), rng)

    def simulate(self, h: int) -> np.ndarray:
        """Return the noise-free path of every product ``h`` steps ahead, shape ``(K, h)``."""
        self._check_fitted()
        return self._simulate(check_horizon(h), 1, None)[:, 0, :]

    def predict(
        self, h: int, *, levels: Sequence[float] = (80, 95), n_samples: int = 1000, seed: int = 0
    ) -> pd.DataFrame:
        """Forecast every product ``h`` steps ahead with prediction intervals.

        Parameters
        ----------
        h : int
            Horizon in steps.
        levels : sequence of float
            Interval levels in percent.
        n_samples : int
            Sample paths behind the point (the median over paths) and the intervals
            (equal-tailed quantiles over paths).
        seed : int
            Seed of the paths.

        Returns
        -------
        DataFrame
            The forecast frame: ``unique_id``, ``model``, ``ds``, ``yhat``, ``yhat_lo_<L>``,
            ``yhat_hi_<L>``, sorted by ``unique_id`` and ``ds``.
        """
        levels = check_levels(levels)
        paths = self.sample(h, n_samples, seed)
        dates = self.future_dates(h)
        frames = []
        for i, product in enumerate(self.products_):
            frame = pd.DataFrame(
                {UNIQUE_ID: product, MODEL: self.name, DS: dates, YHAT: np.median(paths[i], axis=0)}
            )
            for level in levels:
                tail = (100.0 - level) / 200.0
                lo, hi = np.quantile(paths[i], [tail, 1.0 - tail], axis=0)
                frame[level_column(level, "lo")] = lo
                frame[level_column(level, "hi")] = hi
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def future_dates(self, h: int) -> pd.DatetimeIndex:
        """Return the ``h`` dates after the last fitted date."""
        self._check_fitted()
        return future_dates(self.last_ds_, self.frequency_, check_horizon(h))

    def clone(self) -> Self:
        """Return an unfitted copy with the same hyperparameters."""
        return type(self)(m_range=self.m_range, n_grid=self.n_grid)

    @property
    def is_fitted(self) -> bool:
        """True once ``fit`` has succeeded."""
        return hasattr(self, "params_")

    def __repr__(self) -> str:
        """Show the hyperparameters."""
        return f"CompetitionModel(m_range={self.m_range!r}, n_grid={self.n_grid!r})"

    # ----------------------------------------------------------------------------- helpers
    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError(
                "model 'competition' is not fitted; call fit(df) with the products' series first."
            )

    def _simulate(self, h: int, n: int, rng: np.random.Generator | None) -> np.ndarray:
        k = len(self.products_)
        state = np.tile(self.last_state_, (n, 1))
        out = np.empty((k, n, h))
        for t in range(h):
            state = competition_step(
                state, self.m_, self.p_, self.q_, self.d_, self.switching_matrix_
            )
            if rng is not None:
                shocks = rng.standard_normal((n, k))
                state = state * np.exp(self.sigma_ * shocks - self.sigma_**2 / 2.0)
            out[:, :, t] = state.T
        return out

    def _prepare(self, df: pd.DataFrame | ValidSeries) -> tuple[pd.DataFrame, Frequency]:
        data = valid_series(df).frame
        products = sorted(data[UNIQUE_ID].unique())
        if len(products) < 2:
            raise HistoryError(
                f"model 'competition' fits at least two products jointly, got {products!r}; use a "
                "one-series model for a single product.",
                column=UNIQUE_ID,
            )
        bounded = data[QUALIFIER].isin([">=", "<="])
        if bounded.any():
            ids = sorted(data.loc[bounded, UNIQUE_ID].unique())
            raise CapabilityError(
                f"series {format_rows([repr(i) for i in ids])} hold one-sided bounds in column "
                "'qualifier'; model 'competition' would treat them as points. Use a growth model "
                "that honours bounds ('bass', 'logistic', 'retention_feedback') or remove those "
                "rows."
            )
        bad = data[Y] <= 0
        if bad.any():
            rows = list(data.index[bad])
            raise DomainError(
                f"series {data.loc[bad, UNIQUE_ID].iloc[0]!r} has {int(bad.sum())} value(s) <= 0 "
                f"in column 'y' (rows {format_rows(rows)}); model 'competition' starts a product "
                "at its first positive value: remove the rows before its launch.",
                series=str(data.loc[bad, UNIQUE_ID].iloc[0]),
                column=Y,
                rows=rows,
            )
        dates = pd.DatetimeIndex(sorted(data[DS].unique()))
        frequency = infer_frequency(dates)
        if frequency is None or len(dates) < 3:
            raise HistoryError(
                "model 'competition' needs at least three dates on a regular grid.", column=DS
            )
        gaps = missing_dates(pd.Series(dates), frequency)
        if len(gaps):
            shown = [d.strftime("%Y-%m-%d") for d in gaps]
            raise HistoryError(
                f"the market's dates are {frequency.name} with {len(gaps)} missing "
                f"({format_rows(shown)}); model 'competition' needs regular steps.",
                column=DS,
                rows=shown,
            )
        wide = data.pivot(index=DS, columns=UNIQUE_ID, values=Y).reindex(
            index=dates, columns=products
        )
        for product in products:
            column = wide[product]
            first = column.first_valid_index()
            holes = column.loc[first:].isna()
            if holes.any():
                shown = [d.strftime("%Y-%m-%d") for d in holes.index[holes]]
                raise HistoryError(
                    f"series {product!r} lacks {len(shown)} date(s) after its first one "
                    f"({format_rows(shown)}); every product needs a value on every market date "
                    "from its launch to the end.",
                    series=product,
                    column=DS,
                    rows=shown,
                )
        return wide, frequency


class _Design:
    """The linear system of the conditional least squares for a given market potential."""

    def __init__(self, state: np.ndarray, active: np.ndarray) -> None:
        self.state = state
        self.active = active[:-1].astype(float)
        self.k = state.shape[1]
        self.pairs = [(i, j) for i in range(self.k) for j in range(self.k) if i != j]
        now, nxt = state[:-1], state[1:]
        usable = active[:-1] & active[1:]
        self.rows = [np.flatnonzero(usable[:, i]) for i in range(self.k)]
        self.target = np.concatenate(
            [(nxt[r, i] - now[r, i]) / now[r, i] for i, r in enumerate(self.rows)]
        )
        n_obs = sum(len(r) for r in self.rows)
        if n_obs <= 3 * self.k + len(self.pairs):
            raise HistoryError(
                f"model 'competition' estimates {3 * self.k + len(self.pairs) + 1} parameters from "
                f"{n_obs} one-step changes; give a longer history.",
                column=DS,
            )

    def matrix(self, m: float) -> np.ndarray:
        k = self.k
        blocks = []
        for i, r in enumerate(self.rows):
            now = self.state[r]
            own = now[:, i]
            untapped = np.maximum(m - now.sum(axis=1), 0.0)
            block = np.zeros((len(r), 3 * k + len(self.pairs)))
            block[:, i] = untapped / own
            block[:, k + i] = untapped / m
            block[:, 2 * k + i] = -1.0
            for c, (a, b) in enumerate(self.pairs):
                if a == i:
                    block[:, 3 * k + c] = -self.active[r, b]
                elif b == i:
                    block[:, 3 * k + c] = now[:, a] / own
            blocks.append(block)
        return np.vstack(blocks)

    def solve(self, m: float) -> tuple[np.ndarray, float]:
        """Non-negative least squares through the normal equations and their Cholesky factor.

        ``||A x - b||^2 = ||L^T x - L^{-1} A^T b||^2 + b^T b - ||L^{-1} A^T b||^2`` with
        ``A^T A = L L^T``; the products are einsum loops, which stay fast on a busy machine
        where threaded BLAS calls on a tall, thin matrix do not.
        """
        a = self.matrix(m)
        gram = np.einsum("ti,tj->ij", a, a)
        gram[np.diag_indices_from(gram)] += 1e-12 * np.trace(gram) / len(gram)
        lower = linalg.cholesky(gram, lower=True)
        projected = linalg.solve_triangular(lower, np.einsum("ti,t->i", a, self.target), lower=True)
        theta, norm = optimize.nnls(lower.T, projected)
        outside = float(np.einsum("t,t->", self.target, self.target) - projected @ projected)
        return theta, norm**2 + max(outside, 0.0)

    def unpack(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        k = self.k
        switching = np.zeros((k, k))
        for c, (a, b) in enumerate(self.pairs):
            switching[a, b] = theta[3 * k + c]
        return theta[:k].copy(), theta[k : 2 * k].copy(), theta[2 * k : 3 * k].copy(), switching

    def residuals(self, theta: np.ndarray, m: float) -> list[np.ndarray]:
        fitted = self.matrix(m) @ theta
        out, start = [], 0
        for r in self.rows:
            out.append(self.target[start : start + len(r)] - fitted[start : start + len(r)])
            start += len(r)
        return out
