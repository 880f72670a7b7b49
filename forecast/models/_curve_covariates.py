r"""Covariates as multiplicative effects in the structural growth models.

A covariate row :math:`x_t` (one value per covariate, at each observed or forecast date)
acts through :math:`e^{\beta^\top x_t}`, with the log-effects :math:`\beta` estimated with the
curve's other parameters:

* on the level (``logistic``, ``gompertz``): :math:`y_t = f(t)\, e^{\beta^\top x_t}`, so a
  unit of covariate multiplies the level (or the adoptions of the period) by
  :math:`e^{\beta}`;
* on acquisition (``bass``): the generalised Bass model of Bass, Krishnan and Jain (1994),
  which runs the diffusion in an effective time :math:`X(t) = \int_0^t e^{\beta^\top x(s)} ds`
  (the hazard of adoption is multiplied by :math:`e^{\beta^\top x_t}`), so a campaign
  multiplies the adoptions of its periods and pulls later adoptions forward;
* on acquisition (``retention_feedback``): new users :math:`N_t` are multiplied by
  :math:`e^{\beta^\top x_t}` (see :mod:`forecast.models.feedback`).

The values a covariate row holds stand for the period ending at its date: for the effective
time, :math:`x` is taken constant over the interval since the previous row (since the origin
for the first row), which on a regular grid from the origin is the step of that date.

References
----------
.. [1] Bass, F. M., Krishnan, T. V. and Jain, D. C. (1994). Why the Bass model fits without
   decision variables. Marketing Science, 13(3), 203-223.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import pandas as pd

from forecast.errors import CovariateError, FitError

__all__ = [
    "CovariateTable",
    "covariate_scale",
    "check_varies",
    "design_rows",
    "effect_names",
    "effective_time",
    "multiplier",
    "step_rates",
]


def effect_names(covariates: Sequence[str]) -> tuple[str, ...]:
    """Name the log-effect of each covariate: ``beta_<covariate>``."""
    return tuple(f"beta_{name}" for name in covariates)


def check_varies(
    values: np.ndarray, covariates: Sequence[str], series: str, rows: np.ndarray
) -> None:
    """Refuse a covariate that is constant over the rows the fit uses.

    A constant covariate multiplies every observation by the same factor, which the curve's
    level absorbs, so its effect cannot be estimated.

    Parameters
    ----------
    values : ndarray
        Covariate values, shape ``(n, p)``.
    covariates : sequence of str
        Their names, one per column.
    series : str
        The series, for the message.
    rows : ndarray of bool
        The rows that are point observations.

    Raises
    ------
    CovariateError
        A covariate that takes one value on every point observation.
    """
    used = values[rows] if rows.any() else values
    for j, name in enumerate(covariates):
        column = used[:, j]
        if column.size and np.all(column == column[0]):
            raise CovariateError(
                f"covariate {name!r} is {column[0]:g} at every point observation of series "
                f"{series!r}, so its effect cannot be estimated from this history (the curve's "
                "level absorbs it). Drop it from the covariates frame, or fit on a history in "
                "which it varies.",
                series=series,
                column=name,
            )


def covariate_scale(values: np.ndarray) -> np.ndarray:
    """Return each column's largest absolute value (1 for a column of zeros).

    The models estimate the effect of each covariate divided by its scale, so the effects they
    optimise are of order one whatever the units (a 0/1 campaign, a spend in dollars); the
    reported effects are per unit of the covariate.
    """
    if values.shape[0] == 0:
        return np.ones(values.shape[1])
    largest = np.max(np.abs(values), axis=0)
    return np.where(largest > 0, largest, 1.0)


def design_rows(table_t: np.ndarray, table_x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Return the covariate rows of the times ``t``, looked up in a table of known times.

    Parameters
    ----------
    table_t : ndarray
        Increasing times with covariate values, shape ``(N,)``.
    table_x : ndarray
        The values, shape ``(N, p)``.
    t : ndarray
        Times to look up, shape ``(n,)``; each must be in ``table_t``.

    Returns
    -------
    ndarray
        Shape ``(n, p)``.

    Raises
    ------
    FitError
        A time without covariate values (the model asked for a date it was not given).
    """
    return table_x[_positions(table_t, t)]


def _positions(table_t: np.ndarray, t: np.ndarray) -> np.ndarray:
    t = np.asarray(t, dtype=float)
    pos = np.clip(np.searchsorted(table_t, t - 1e-9), 0, max(len(table_t) - 1, 0))
    if len(table_t) == 0 or not np.allclose(table_t[pos], t, rtol=0.0, atol=1e-6):
        raise FitError(
            "a growth curve with covariates was evaluated at a time without covariate values; "
            "pass the covariates of every forecast date to predict or sample."
        )
    return pos


def multiplier(beta: np.ndarray, x: np.ndarray) -> np.ndarray:
    r"""Return :math:`e^{\beta^\top x_t}` for rows of ``beta`` (shape ``(..., p)``) and ``x``.

    ``x`` has shape ``(n, p)``; the result has shape ``(..., n)``.
    """
    with np.errstate(over="ignore"):
        return np.exp(np.einsum("...j,nj->...n", beta, x))


def step_rates(beta: np.ndarray, table_x: np.ndarray) -> np.ndarray:
    """Return the hazard multiplier of each row of the table, shape ``(..., N)``."""
    return multiplier(beta, table_x)


def effective_time(
    beta: np.ndarray, table_t: np.ndarray, table_x: np.ndarray, t: np.ndarray, *, back: float = 0.0
) -> np.ndarray:
    r"""Effective time :math:`X(t) = \int_0^t e^{\beta^\top x(s)}\, ds` at the times ``t``.

    ``x`` is constant over the interval since the previous table time (since 0 for the first),
    so :math:`X(t_i) = \sum_{j \le i} (t_j - t_{j-1})\, e^{\beta^\top x_j}`; with ``back``,
    the result is :math:`X(t_i) - \text{back}\cdot e^{\beta^\top x_i}`, the effective time
    ``back`` steps earlier at the rate of the step ending at :math:`t_i`.

    Parameters
    ----------
    beta : ndarray
        Log-effects, shape ``(..., p)``.
    table_t, table_x : ndarray
        Increasing times (all at or after 0) and their covariate rows.
    t : ndarray
        Times in ``table_t``.
    back : float
        Steps to go back at the last step's rate.

    Returns
    -------
    ndarray
        Shape ``(..., len(t))``.
    """
    rates = step_rates(beta, table_x)
    widths = np.diff(np.concatenate([[0.0], table_t]))
    cumulative = np.cumsum(rates * widths, axis=-1)
    pos = _positions(table_t, t)
    return cumulative[..., pos] - back * rates[..., pos]


class CovariateTable:
    """The covariate rows a curve model looks its times up in (a mixin of the curve models).

    The fitted state holds the history's rows (``covariate_times_``, ``covariate_values_``);
    while a forecast runs, :meth:`_future_rows` adds the rows of the forecast dates, which
    :meth:`_table` then returns too. Models without covariates have empty tables.
    """

    covariates_: tuple[str, ...]
    covariate_times_: np.ndarray = np.zeros(0)
    covariate_values_: np.ndarray = np.zeros((0, 0))
    covariate_scale_: np.ndarray = np.zeros(0)
    _future_table: tuple[np.ndarray, np.ndarray] | None = None

    def _future_covariates(self, h: int) -> pd.DataFrame:
        raise NotImplementedError

    def _covariate_names(self) -> tuple[str, ...]:
        return tuple(getattr(self, "covariates_", ()))

    def _set_history_table(
        self, data: pd.DataFrame, t: np.ndarray, points: np.ndarray, series: str
    ) -> int:
        """Keep the history's covariate rows; return the number of covariates."""
        names = self._covariate_names()
        values = data[list(names)].to_numpy(dtype=float) if names else np.zeros((len(t), 0))
        if names:
            check_varies(values, names, series, points)
        self.covariate_scale_ = covariate_scale(values)
        self.covariate_times_ = np.asarray(t, dtype=float)
        self.covariate_values_ = values / self.covariate_scale_
        return len(names)

    def _table(self) -> tuple[np.ndarray, np.ndarray]:
        """Return the known times and their covariate rows (history, then any forecast dates)."""
        if self._future_table is None:
            return self.covariate_times_, self.covariate_values_
        t, x = self._future_table
        return (
            np.concatenate([self.covariate_times_, t]),
            np.vstack([self.covariate_values_, x]),
        )

    @contextmanager
    def _future_rows(self, t: np.ndarray, h: int) -> Iterator[None]:
        """Add the covariate rows of the ``h`` forecast dates (times ``t``) while inside."""
        names = self._covariate_names()
        if not names:
            yield
            return
        frame = self._future_covariates(h)
        values = frame[list(names)].to_numpy(dtype=float) / self.covariate_scale_
        self._future_table = (np.asarray(t, dtype=float), values)
        try:
            yield
        finally:
            self._future_table = None

    def _effects(self, theta: np.ndarray, first: int) -> dict[str, float]:
        """Name the log-effects per unit of each covariate, from ``theta[first:]``."""
        return {
            name: float(theta[first + j] / self.covariate_scale_[j])
            for j, name in enumerate(effect_names(self._covariate_names()))
        }
