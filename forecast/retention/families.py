r"""Retention curve families and the losses that fit them to cohort observations.

A retention curve :math:`S(t)` is the fraction of a cohort still active ``t`` whole periods after
it started: :math:`S(0) = 1`, non-increasing, within [0, 1]. Four families are defined, each on
an unconstrained parameter vector ``z`` (log or logit of the named parameters) so that any
optimiser can search freely:

=============== ================================================= ==============================
family          :math:`S(t)`                                      parameters
=============== ================================================= ==============================
``sbg``         :math:`B(\alpha, \beta + t) / B(\alpha, \beta)`   ``alpha``, ``beta`` > 0
``exponential`` :math:`(1 - \theta)^t`                            ``churn`` in (0, 1)
``weibull``     :math:`B(\alpha, \beta + t^c) / B(\alpha, \beta)` ``alpha``, ``beta``, ``c`` > 0
``power``       :math:`f + (1 - f)(1 + t)^{-b}`                   ``floor`` in (0, 1), ``b`` > 0
=============== ================================================= ==============================

``sbg`` is the shifted-beta-geometric model of Fader and Hardie (2007): each user churns with a
constant probability per period, and that probability varies across users as a beta
distribution, so the cohort's retention rate rises with age. ``weibull`` is the
beta-discrete-Weibull model of Fader, Hardie, Liu, Davin and Steenburgh (2018), which adds
duration dependence: ``c < 1`` means a user's own churn probability falls with tenure, ``c > 1``
that it rises; ``c = 1`` is the sBG. ``exponential`` is a single constant churn probability
(the geometric model). ``power`` is the common shape of app retention: a steep fall in the first
days that flattens towards a floor of users who stay.

The losses here are used by :func:`forecast.retention.fit` and by the ``retention_feedback``
model: :func:`cohort_loglik` is the censored likelihood of Fader and Hardie (cohort sizes known)
and :func:`rate_residuals` the least-squares residuals used when only rates are known.

References
----------
.. [1] Fader, P. S. and Hardie, B. G. S. (2007). How to project customer retention. Journal
   of Interactive Marketing, 21(1), 76-90.
.. [2] Fader, P. S., Hardie, B. G. S., Liu, Y., Davin, J. and Steenburgh, T. (2018). "How to
   project customer retention" revisited: the role of duration dependence. Journal of
   Interactive Marketing, 43, 1-16.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy.special import betaln, expit, logit

from forecast.errors import ConfigError, DomainError, format_rows
from forecast.schema import AGE, COHORT, COHORT_SIZE, RETENTION

__all__ = [
    "Family",
    "FamilyName",
    "FAMILIES",
    "get_family",
    "CohortData",
    "cohort_data",
    "cohort_loglik",
    "rate_residuals",
]

FamilyName = Literal["sbg", "exponential", "weibull", "power"]


def _log_sbg(t: np.ndarray, z: np.ndarray) -> np.ndarray:
    alpha, beta = np.exp(z[..., 0:1]), np.exp(z[..., 1:2])
    return betaln(alpha, beta + t) - betaln(alpha, beta)


def _log_exponential(t: np.ndarray, z: np.ndarray) -> np.ndarray:
    churn = expit(z[..., 0:1])
    return t * np.log1p(-churn)


def _log_weibull(t: np.ndarray, z: np.ndarray) -> np.ndarray:
    alpha, beta, c = np.exp(z[..., 0:1]), np.exp(z[..., 1:2]), np.exp(z[..., 2:3])
    return betaln(alpha, beta + np.power(t, c)) - betaln(alpha, beta)


def _log_power(t: np.ndarray, z: np.ndarray) -> np.ndarray:
    floor, b = expit(z[..., 0:1]), np.exp(z[..., 1:2])
    return np.log(floor + (1.0 - floor) * np.power(1.0 + t, -b))


@dataclass(frozen=True)
class Family:
    """One family of retention curves on an unconstrained parameter vector.

    Attributes
    ----------
    name : str
        Registry name of the family (``"sbg"``, ``"exponential"``, ``"weibull"``, ``"power"``).
    param_names : tuple of str
        Names of the natural parameters, in the order of ``z``.
    transforms : tuple of {"log", "logit"}
        How each natural parameter maps to its entry of ``z``.
    start : tuple of float
        A starting point in natural parameters for the optimiser.
    alternatives : tuple of tuple of float
        Further starting points (slow, fast and flat churn) for grids of starting values.
    """

    name: str
    param_names: tuple[str, ...]
    transforms: tuple[str, ...]
    start: tuple[float, ...]
    _log_survival: Callable[[np.ndarray, np.ndarray], np.ndarray]
    alternatives: tuple[tuple[float, ...], ...] = ()

    @property
    def n_params(self) -> int:
        """Number of parameters."""
        return len(self.param_names)

    def to_z(self, params: dict[str, float]) -> np.ndarray:
        """Unconstrained vector from natural parameters."""
        out = []
        for name, how in zip(self.param_names, self.transforms, strict=True):
            value = float(params[name])
            out.append(np.log(value) if how == "log" else logit(value))
        return np.asarray(out, dtype=float)

    def to_params(self, z: np.ndarray) -> dict[str, float]:
        """Natural parameters from the unconstrained vector."""
        z = np.asarray(z, dtype=float)
        return {
            name: float(np.exp(v) if how == "log" else expit(v))
            for name, how, v in zip(self.param_names, self.transforms, z, strict=True)
        }

    def log_survival(self, ages: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Compute ``log S(t)`` at ``ages``.

        ``z`` of shape ``(k,)`` gives ``(n,)``, ``(d, k)`` gives ``(d, n)``.
        """
        t = np.asarray(ages, dtype=float)
        z = np.asarray(z, dtype=float)
        out = self._log_survival(t[None, :] if z.ndim == 2 else t, z)
        return np.minimum(out, 0.0)

    def survival(self, ages: np.ndarray, z: np.ndarray) -> np.ndarray:
        """``S(t)`` at ``ages``, the fraction of a cohort active at each age (1 at age 0)."""
        return np.exp(self.log_survival(ages, z))


FAMILIES: dict[str, Family] = {
    "sbg": Family(
        "sbg", ("alpha", "beta"), ("log", "log"), (1.0, 1.0), _log_sbg, ((1.0, 10.0), (0.5, 0.5))
    ),
    "exponential": Family(
        "exponential", ("churn",), ("logit",), (0.3,), _log_exponential, ((0.9,), (0.05,))
    ),
    "weibull": Family(
        "weibull",
        ("alpha", "beta", "c"),
        ("log", "log", "log"),
        (1.0, 1.0, 1.0),
        _log_weibull,
        ((1.0, 10.0, 1.0), (0.5, 2.0, 0.5)),
    ),
    "power": Family(
        "power",
        ("floor", "b"),
        ("logit", "log"),
        (0.1, 0.5),
        _log_power,
        ((0.005, 2.0), (0.3, 0.3)),
    ),
}
"""The retention families by name."""


def get_family(name: str) -> Family:
    """Return the :class:`Family` called ``name``.

    Raises
    ------
    ConfigError
        ``name`` is not one of ``sbg``, ``exponential``, ``weibull``, ``power``.
    """
    try:
        return FAMILIES[name]
    except (KeyError, TypeError):
        raise ConfigError(
            f"unknown retention family {name!r}; choose one of {', '.join(map(repr, FAMILIES))}."
        ) from None


@dataclass(frozen=True)
class CohortData:
    """Cohort observations arranged for the likelihood.

    Attributes
    ----------
    prev_age, age : ndarray
        For each observation, the previous observed age of its cohort (0 for the first) and
        its own age, in periods of the curve (already scaled by ``step``).
    survivors_prev, survivors : ndarray
        Users of the cohort active at ``prev_age`` and at ``age`` (cohort size times retention).
    is_last : ndarray of bool
        True for each cohort's last observation, which is censored: those users are still
        active and will churn later.
    ages, retention : ndarray
        Every observation's age and observed retention, for least squares.
    """

    prev_age: np.ndarray
    age: np.ndarray
    survivors_prev: np.ndarray
    survivors: np.ndarray
    is_last: np.ndarray
    ages: np.ndarray
    retention: np.ndarray


def cohort_data(
    frame: pd.DataFrame,
    *,
    cohort_size: float | None = None,
    step: float = 1.0,
    series: str | None = None,
) -> CohortData:
    """Arrange a validated retention frame for :func:`cohort_loglik` and :func:`rate_residuals`.

    Parameters
    ----------
    frame : DataFrame
        A validated retention frame (``cohort``, ``age``, ``retention``, optional
        ``cohort_size``) of one product.
    cohort_size : float, optional
        Size of every cohort, used when the frame has no ``cohort_size`` column.
    step : float
        Curve periods per unit of ``age`` (30.4 when the curve is daily and ages are months).
    series : str, optional
        Name used in error messages.

    Returns
    -------
    CohortData

    Raises
    ------
    DomainError
        Retention at age 0 other than 1, or (with cohort sizes) a cohort whose retention rises
        with age, which the censored likelihood cannot explain.
    """
    at_zero = (frame[AGE] == 0) & (frame[RETENTION] != 1.0)
    if at_zero.any():
        rows = list(frame.index[at_zero])
        raise DomainError(
            f"column 'retention' is not 1 at age 0 (rows {format_rows(rows)}); age 0 is the "
            "cohort's start, where every user is active. Drop those rows or re-base the cohort.",
            series=series,
            column=RETENTION,
            rows=rows,
        )
    sizes = frame[COHORT_SIZE].to_numpy(float) if COHORT_SIZE in frame.columns else None
    if sizes is None and cohort_size is not None:
        sizes = np.full(len(frame), float(cohort_size))
    prev_age, prev_n, is_last = [], [], []
    for _, group in frame.groupby(COHORT, sort=True):
        ages = group[AGE].to_numpy(float)
        size = sizes[group.index.to_numpy()] if sizes is not None else np.ones(len(group))
        alive = size * group[RETENTION].to_numpy(float)
        before = np.concatenate([[0.0], ages[:-1]])
        alive_before = np.concatenate([[size[0]], alive[:-1]])
        if sizes is not None and np.any(alive > alive_before * (1 + 1e-12)):
            bad = list(group.index[alive > alive_before * (1 + 1e-12)])
            raise DomainError(
                f"cohort {group[COHORT].iloc[0]:%Y-%m-%d} has retention that rises with age (rows "
                f"{format_rows(bad)}); the censored likelihood counts users who left and cannot "
                "explain users coming back. Fit by least squares (method='lsq') instead.",
                series=series,
                column=RETENTION,
                rows=bad,
            )
        prev_age.append(before)
        prev_n.append(alive_before)
        last = np.zeros(len(group), dtype=bool)
        last[-1] = True
        is_last.append(last)
    ordered = frame.sort_values([COHORT, AGE], kind="mergesort")
    retention = ordered[RETENTION].to_numpy(float)
    size_sorted = sizes[ordered.index.to_numpy()] if sizes is not None else np.ones(len(ordered))
    return CohortData(
        prev_age=np.concatenate(prev_age) * step,
        age=ordered[AGE].to_numpy(float) * step,
        survivors_prev=np.concatenate(prev_n),
        survivors=size_sorted * retention,
        is_last=np.concatenate(is_last),
        ages=ordered[AGE].to_numpy(float) * step,
        retention=retention,
    )


def cohort_loglik(family: Family, z: np.ndarray, data: CohortData) -> float:
    r"""Censored log-likelihood of cohort counts (Fader and Hardie 2007, equation 6).

    Users of a cohort who were active at the previous observed age and are gone at the next one
    churned in between, with probability :math:`S(a_{i-1}) - S(a_i)`; those still active at the
    cohort's last observed age are censored, with probability :math:`S(a_k)`.

    .. math::

        \ell = \sum_i (n_{i-1} - n_i) \log[S(a_{i-1}) - S(a_i)]
            + \sum_{\text{cohorts}} n_k \log S(a_k)

    Parameters
    ----------
    family : Family
    z : ndarray
        Unconstrained parameters.
    data : CohortData
        From :func:`cohort_data` with cohort sizes.

    Returns
    -------
    float
        The log-likelihood (``-inf`` where a probability is zero).
    """
    log_prev = family.log_survival(data.prev_age, z)
    log_now = family.log_survival(data.age, z)
    churned = data.survivors_prev - data.survivors
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = log_prev + np.log(-np.expm1(log_now - log_prev))
        terms = np.where(churned > 0, churned * gap, 0.0)
    censored = np.where(data.is_last, data.survivors * log_now, 0.0)
    total = float(np.sum(terms) + np.sum(censored))
    return total if np.isfinite(total) else -np.inf


def rate_residuals(family: Family, z: np.ndarray, data: CohortData) -> np.ndarray:
    """Observed minus fitted retention at every observed age, for least squares.

    Parameters
    ----------
    family : Family
    z : ndarray
        Unconstrained parameters.
    data : CohortData

    Returns
    -------
    ndarray
        One residual per observation, in retention points (fractions).
    """
    return data.retention - family.survival(data.ages, z)
