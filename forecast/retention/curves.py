"""Retention curves fitted to cohort observations: ``fit``, ``compare`` and ``RetentionCurve``.

>>> import pandas as pd, forecast as fc
>>> frame = pd.DataFrame({"cohort": "2024-01-01", "age": [1, 2, 3, 4],
...                       "retention": [0.631, 0.468, 0.382, 0.326], "cohort_size": 1000})
>>> curve = fc.retention.fit(frame, family="sbg")
>>> round(curve.params["alpha"], 2), round(curve.params["beta"], 2)
(0.76, 1.3)

Two ways of fitting, chosen by ``method``:

``"mle"``
    The censored maximum likelihood of Fader and Hardie (2007): each cohort's users who leave
    between two observed ages count as churned there, and those still active at the cohort's
    last observed age are censored. Needs cohort sizes (a ``cohort_size`` column, or the
    ``cohort_size=`` argument); cohorts of different lengths enter one likelihood.
``"lsq"``
    Least squares on the retention values themselves, every observation weighted equally, for
    figures reported as rates without cohort sizes (Kimi's monthly retention of 18.48%, 22.25%
    and 23.36%). The residual variance is estimated with ``n - k`` degrees of freedom and the
    log-likelihood is the Gaussian one at that fit.

``"auto"`` (the default) is ``"mle"`` when cohort sizes are known and ``"lsq"`` otherwise.
Confidence bands come from the delta method: the parameters' covariance is the inverse of the
observed information (``mle``) or ``sigma^2 (J'J)^{-1}`` (``lsq``) on the unconstrained scale,
and bands are computed on the logit of the curve, so they stay inside [0, 1].
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats
from scipy.special import expit, logit
from statsmodels.tools.numdiff import approx_fprime, approx_hess3

from forecast.errors import ConfigError, FitError, HistoryError, SchemaError
from forecast.retention.families import (
    FAMILIES,
    CohortData,
    Family,
    FamilyName,
    cohort_data,
    cohort_loglik,
    get_family,
    rate_residuals,
)
from forecast.schema import (
    AGE,
    COHORT_SIZE,
    UNIQUE_ID,
    YHAT,
    check_levels,
    level_column,
    validate_retention,
)

__all__ = ["RetentionCurve", "fit", "compare", "FAMILIES"]

Method = Literal["auto", "mle", "lsq"]


@dataclass(frozen=True)
class RetentionCurve:
    """A fitted retention curve.

    Attributes
    ----------
    family : str
        ``"sbg"``, ``"exponential"``, ``"weibull"`` or ``"power"``.
    params : dict
        Natural parameters (``alpha``, ``beta`` for sBG; see :mod:`forecast.retention.families`).
    method : str
        ``"mle"`` or ``"lsq"``.
    loglik : float
        Log-likelihood at the estimate.
    aic : float
        Akaike information criterion, ``2k - 2 loglik`` (``k`` counts sigma for ``lsq``).
    n_obs : int
        Number of observations fitted.
    cov : ndarray
        Covariance of the unconstrained parameters (log or logit of ``params``).
    """

    family: str
    params: dict[str, float]
    method: str
    loglik: float
    aic: float
    n_obs: int
    cov: np.ndarray = field(repr=False)

    @property
    def _family(self) -> Family:
        return get_family(self.family)

    @property
    def z(self) -> np.ndarray:
        """The parameters on the unconstrained scale."""
        return self._family.to_z(self.params)

    def retention(self, ages: Sequence[float] | np.ndarray) -> np.ndarray:
        """Fraction of a cohort still active at each age: 1 at age 0, non-increasing.

        This is the quantity of the ``retention`` column of a retention frame (day-N
        retention in app analytics).
        """
        return self._family.survival(np.asarray(ages, dtype=float), self.z)

    def survival(self, ages: Sequence[float] | np.ndarray) -> np.ndarray:
        """Survival function ``S(t)`` of Fader and Hardie: the same curve as :meth:`retention`."""
        return self.retention(ages)

    def retention_rate(self, ages: Sequence[float] | np.ndarray) -> np.ndarray:
        """Period-to-period retention rate ``r(t) = S(t) / S(t - 1)`` for ages ``t >= 1``."""
        t = np.asarray(ages, dtype=float)
        if np.any(t < 1):
            raise ConfigError(
                "retention_rate is defined for ages >= 1 (it compares age t with t - 1)."
            )
        log_s = self._family.log_survival(t, self.z) - self._family.log_survival(t - 1, self.z)
        return np.exp(log_s)

    def bands(
        self, ages: Sequence[float] | np.ndarray, levels: Sequence[float] = (80, 95)
    ) -> pd.DataFrame:
        """Evaluate the curve at ``ages`` with delta-method confidence bands.

        Parameters
        ----------
        ages : sequence of float
            Ages in periods.
        levels : sequence of float
            Band levels in percent.

        Returns
        -------
        DataFrame
            ``age``, ``yhat`` (the retention), then ``yhat_lo_<L>``, ``yhat_hi_<L>`` per level.
        """
        levels = check_levels(levels)
        t = np.asarray(ages, dtype=float)
        family, z = self._family, self.z
        point = family.survival(t, z)
        eps = 1e-12
        centre = logit(np.clip(point, eps, 1 - eps))
        grad = approx_fprime(
            z, lambda v: logit(np.clip(family.survival(t, v), eps, 1 - eps)), centered=True
        )
        grad = np.atleast_2d(grad).reshape(len(t), len(z))
        se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", grad, self.cov, grad), 0.0))
        out = pd.DataFrame({AGE: t, YHAT: point})
        for level in levels:
            zq = stats.norm.ppf(0.5 + level / 200.0)
            lo = np.where(t == 0, 1.0, expit(centre - zq * se))
            hi = np.where(t == 0, 1.0, expit(centre + zq * se))
            out[level_column(level, "lo")] = np.minimum(lo, point)
            out[level_column(level, "hi")] = np.maximum(hi, point)
        return out


def _check_frame(retention_frame: pd.DataFrame) -> pd.DataFrame:
    frame = validate_retention(retention_frame)
    if UNIQUE_ID in frame.columns and frame[UNIQUE_ID].nunique() > 1:
        names = ", ".join(map(repr, frame[UNIQUE_ID].unique()[:3]))
        raise SchemaError(
            f"the retention frame holds {frame[UNIQUE_ID].nunique()} products in column "
            f"'unique_id' ({names}); fit one at a time, e.g. "
            f"frame[frame.unique_id == {frame[UNIQUE_ID].iloc[0]!r}].",
            column=UNIQUE_ID,
        )
    return frame


def _resolve_method(method: str, frame: pd.DataFrame, cohort_size: float | None) -> str:
    if method not in ("auto", "mle", "lsq"):
        raise ConfigError(f"method must be 'auto', 'mle' or 'lsq', not {method!r}.")
    known = COHORT_SIZE in frame.columns or cohort_size is not None
    if method == "auto":
        return "mle" if known else "lsq"
    if method == "mle" and not known:
        raise ConfigError(
            "method='mle' needs cohort sizes: add a 'cohort_size' column or pass cohort_size=..., "
            "or fit the rates by least squares with method='lsq'."
        )
    return method


def _minimise(objective, starts: list[np.ndarray]) -> np.ndarray:
    best = None
    for start in starts:
        result = optimize.minimize(
            objective,
            start,
            method="Nelder-Mead",
            options={"xatol": 1e-9, "fatol": 1e-11, "maxiter": 20_000, "maxfev": 40_000},
        )
        refined = optimize.minimize(objective, result.x, method="BFGS", options={"gtol": 1e-9})
        candidate = refined if np.isfinite(refined.fun) and refined.fun <= result.fun else result
        if best is None or candidate.fun < best.fun:
            best = candidate
    if best is None or not np.isfinite(best.fun):
        raise FitError(
            "the retention fit found no parameters with a finite likelihood; check the data."
        )
    return np.asarray(best.x, dtype=float)


def _starts(family: Family) -> list[np.ndarray]:
    base = family.to_z(dict(zip(family.param_names, family.start, strict=True)))
    return [base, base + 1.0, base - 1.0]


def _fit_mle(family: Family, data: CohortData) -> tuple[np.ndarray, float, np.ndarray]:
    def negative(z: np.ndarray) -> float:
        value = cohort_loglik(family, z, data)
        return 1e300 if not np.isfinite(value) else -value

    z = _minimise(negative, _starts(family))
    hessian = approx_hess3(z, negative)
    return z, -negative(z), _invert(hessian, family)


def _fit_lsq(family: Family, data: CohortData) -> tuple[np.ndarray, float, np.ndarray]:
    n, k = len(data.retention), family.n_params
    results = [
        optimize.least_squares(
            lambda v: rate_residuals(family, v, data), s, method="lm" if n >= k else "trf"
        )
        for s in _starts(family)
    ]
    best = min(results, key=lambda r: r.cost)
    z = np.asarray(best.x, dtype=float)
    residuals = rate_residuals(family, z, data)
    rss = float(residuals @ residuals)
    dof = max(n - k, 1)
    sigma2 = max(rss / dof, 1e-12)
    jac = np.asarray(best.jac, dtype=float)
    cov = sigma2 * _invert(jac.T @ jac, family)
    sigma_ml2 = max(rss / n, 1e-12)
    loglik = float(-0.5 * n * (np.log(2 * np.pi * sigma_ml2) + 1.0))
    return z, loglik, cov


def _invert(matrix: np.ndarray, family: Family) -> np.ndarray:
    """Invert an information matrix, with a tiny ridge.

    A direction the data do not identify (an estimate on the boundary, such as a floor of 0)
    gets a very large variance through the ridge.
    """
    matrix = np.asarray(matrix, dtype=float)
    if not np.all(np.isfinite(matrix)):
        raise FitError(
            f"the {family.name!r} retention fit gave a non-finite information matrix; "
            "check the data."
        )
    ridge = 1e-10 * max(float(np.trace(np.abs(matrix))), 1e-12)
    cov = np.linalg.inv(matrix + ridge * np.eye(len(matrix)))
    return (cov + cov.T) / 2.0


def fit(
    retention_frame: pd.DataFrame,
    family: FamilyName = "sbg",
    *,
    method: Method = "auto",
    cohort_size: float | None = None,
) -> RetentionCurve:
    """Fit a retention curve to the cohorts of one product.

    Parameters
    ----------
    retention_frame : DataFrame
        ``cohort``, ``age``, ``retention`` and optionally ``cohort_size`` (and one
        ``unique_id``). Cohorts may be observed to different ages.
    family : {"sbg", "exponential", "weibull", "power"}
        The curve family (see :mod:`forecast.retention.families`).
    method : {"auto", "mle", "lsq"}
        Censored maximum likelihood, least squares on the rates, or ``mle`` when cohort sizes
        are known and ``lsq`` otherwise.
    cohort_size : float, optional
        Size of every cohort, when the frame has no ``cohort_size`` column.

    Returns
    -------
    RetentionCurve

    Raises
    ------
    DataError
        The frame breaks the retention contract or holds several products.
    HistoryError
        Fewer distinct ages than the family has parameters (the curve is not identified).
    ConfigError
        An unknown family or method, or ``mle`` without cohort sizes.
    FitError
        The optimiser found no finite likelihood, or the information matrix is singular.

    References
    ----------
    .. [1] Fader, P. S. and Hardie, B. G. S. (2007). How to project customer retention.
       Journal of Interactive Marketing, 21(1), 76-90.
    """
    fam = get_family(family)
    frame = _check_frame(retention_frame)
    chosen = _resolve_method(method, frame, cohort_size)
    positive_ages = frame.loc[frame[AGE] > 0, AGE].nunique()
    if positive_ages < fam.n_params:
        raise HistoryError(
            f"the retention frame has {positive_ages} distinct age(s) above 0 in column 'age' "
            f"but family {family!r} has {fam.n_params} parameters; add ages or use "
            "family='exponential'.",
            column=AGE,
        )
    data = cohort_data(frame, cohort_size=cohort_size)
    z, loglik, cov = _fit_mle(fam, data) if chosen == "mle" else _fit_lsq(fam, data)
    k = fam.n_params + (1 if chosen == "lsq" else 0)
    return RetentionCurve(
        family=fam.name,
        params=fam.to_params(z),
        method=chosen,
        loglik=float(loglik),
        aic=float(2 * k - 2 * loglik),
        n_obs=int(len(frame)),
        cov=cov,
    )


def compare(
    retention_frame: pd.DataFrame,
    families: Sequence[str] = ("sbg", "exponential", "weibull", "power"),
    *,
    method: Method = "auto",
    cohort_size: float | None = None,
) -> pd.DataFrame:
    """Fit several families to the same cohorts and rank them by AIC.

    Parameters
    ----------
    retention_frame : DataFrame
        As for :func:`fit`.
    families : sequence of str
        Families to fit; all use the same ``method`` so their likelihoods are comparable.
    method, cohort_size
        As for :func:`fit`.

    Returns
    -------
    DataFrame
        One row per family, sorted by AIC: ``family``, ``method``, ``n_params``, ``loglik``,
        ``aic``, ``delta_aic`` (AIC minus the best), ``params`` (a dict), ``curve`` (the fitted
        :class:`RetentionCurve`).
    """
    if not families:
        raise ConfigError(
            "families is empty; name at least one of 'sbg', 'exponential', 'weibull', 'power'."
        )
    rows = []
    for name in families:
        curve = fit(retention_frame, family=name, method=method, cohort_size=cohort_size)  # type: ignore[arg-type]
        rows.append(
            {
                "family": name,
                "method": curve.method,
                "n_params": get_family(name).n_params,
                "loglik": curve.loglik,
                "aic": curve.aic,
                "params": curve.params,
                "curve": curve,
            }
        )
    table = pd.DataFrame(rows).sort_values("aic", kind="mergesort").reset_index(drop=True)
    table.insert(5, "delta_aic", table["aic"] - table["aic"].min())
    return table
