"""Estimation of ``retention_feedback`` (see :mod:`forecast.models.feedback`).

The observations on the model's grid, the retention observations, the negative
log-posterior (:class:`FeedbackLikelihood`), the priors and the optimiser's box, the grid of
starting points, the L-BFGS-B fit, the Laplace covariance and the sampling-importance-
resampling of the posterior. Every evaluation of the objective is one vectorised call of the
dynamics over the rows of ``theta``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from forecast.errors import ConfigError, DataError, FitError, SchemaError
from forecast.models._feedback_kernel import (
    FeedbackLayout,
    period_days,
    simulate,
    unpack,
)
from forecast.retention.dynamics import FeedbackPaths
from forecast.retention.families import get_family
from forecast.schema import (
    AGE,
    AGE_UNIT,
    COHORT,
    DS,
    QUALIFIER,
    RETENTION,
    UNIQUE_ID,
    Frequency,
    Y,
    infer_frequency,
)
from forecast.schema.ages import UNIT_DAYS

__all__ = [
    "FeedbackLikelihood",
    "RetentionData",
    "box",
    "grid_index",
    "laplace",
    "log_observations",
    "optimise",
    "periods_needed",
    "place_retention",
    "prior_arrays",
    "resample",
    "retention_data",
    "retention_fitted",
    "start_point",
]

_FAILED = 1e12


def grid_index(
    data: pd.DataFrame, launch: pd.Timestamp | None, frequency: Frequency, series: str
) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Return the model's grid from launch to the last date, and each observation's position.

    Raises
    ------
    ConfigError
        ``launch`` after the first observation, or dates off the grid that starts at launch.
    """
    first, last = pd.Timestamp(data[DS].iloc[0]), pd.Timestamp(data[DS].iloc[-1])
    start = first if launch is None else launch
    if start > first:
        raise ConfigError(
            f"launch {start:%Y-%m-%d} is after the first observation {first:%Y-%m-%d} of "
            f"series {series!r}; give an earlier launch."
        )
    grid = pd.date_range(start, last, freq=frequency.offset)
    index = grid.get_indexer(pd.DatetimeIndex(data[DS]))
    if np.any(index < 0):
        bad = data.loc[index < 0, DS].dt.strftime("%Y-%m-%d").tolist()
        raise ConfigError(
            f"dates {', '.join(bad[:3])} of series {series!r} are not on the {frequency.name} "
            f"grid that starts at launch {start:%Y-%m-%d}; give a launch date on the series' "
            "grid."
        )
    return grid, index


def log_observations(data: pd.DataFrame, series: str) -> tuple[np.ndarray, np.ndarray]:
    """Return ``log(1 + y)`` and the qualifier of each observation.

    Raises
    ------
    DataError
        A negative value.
    """
    values = data[Y].to_numpy(float)
    negative = values < 0
    if negative.any():
        rows = data.loc[negative, DS].dt.strftime("%Y-%m-%d").tolist()
        raise DataError(
            f"series {series!r} has {int(negative.sum())} negative value(s) in column 'y' "
            f"(dates {', '.join(rows[:3])}); active users cannot be negative. Correct the data.",
            series=series,
            column=Y,
            rows=rows,
        )
    return np.log1p(values), data[QUALIFIER].to_numpy(str)


@dataclass(frozen=True)
class RetentionData:
    """Retention observations of one product on the model's grid.

    Attributes
    ----------
    frame : DataFrame
        ``cohort``, ``age``, ``retention``.
    ages : ndarray
        Ages in model periods (``age`` times ``step``).
    value : ndarray
        Observed retention.
    cohort : ndarray
        Period of each cohort (0 = launch).
    step : float
        Model periods per unit of ``age``.
    """

    frame: pd.DataFrame
    ages: np.ndarray
    value: np.ndarray
    cohort: np.ndarray
    step: float


def _product_rows(retention: pd.DataFrame, series: str) -> pd.DataFrame:
    """Keep the rows of ``series`` (or of its product) from a frame of several products."""
    if UNIQUE_ID not in retention.columns or retention[UNIQUE_ID].nunique() <= 1:
        return retention
    exact = retention[retention[UNIQUE_ID] == series]
    entity = retention[retention[UNIQUE_ID].str.split("/").str[0] == series.split("/")[0]]
    frame = exact if len(exact) else entity
    if frame[UNIQUE_ID].nunique() != 1:
        products = ", ".join(map(repr, retention[UNIQUE_ID].unique()[:4]))
        raise SchemaError(
            f"the retention frame holds products {products} in column 'unique_id' and none (or "
            f"several) match series {series!r}; pass the rows of this product.",
            series=series,
            column=UNIQUE_ID,
        )
    return frame


def retention_data(
    retention: pd.DataFrame | None,
    series: str,
    grid: pd.DatetimeIndex,
    frequency: Frequency,
    step: float | None,
) -> RetentionData | None:
    """Place the retention observations of ``series`` on the model's grid (None without any).

    ``step`` (model periods per unit of ``age``) defaults to the length of the frame's
    ``age_unit`` in the series' periods, else to the ratio of the retention frame's inferred
    cohort period to the series' period, or 1.

    Raises
    ------
    SchemaError
        A frame of several products none (or several) of which match ``series``.
    """
    if retention is None:
        return None
    frame = _product_rows(retention, series)
    if step is None and AGE_UNIT in frame.columns:  # ages in stated units (validate_retention)
        units = frame[AGE_UNIT].unique()
        if len(units) != 1:
            raise SchemaError(
                f"the retention rows of {series!r} mix age units ({', '.join(map(str, units))}) "
                "in column 'age_unit'; give one unit per product, or pass retention_step.",
                series=series,
                column=AGE_UNIT,
            )
        step = UNIT_DAYS[str(units[0])] / period_days(frequency)
    if step is None:
        cohort_freq = infer_frequency(frame[COHORT].drop_duplicates())
        step = period_days(cohort_freq) / period_days(frequency) if cohort_freq is not None else 1.0
    return place_retention(frame, grid, frequency, float(step))


def place_retention(
    frame: pd.DataFrame, grid: pd.DatetimeIndex, frequency: Frequency, step: float
) -> RetentionData:
    """Place the retention observations of one product on the model's grid.

    ``step`` is the number of model periods per unit of ``age``; a cohort's period counts
    from the start of ``grid`` (launch), extended past its end when cohorts are later.
    """
    full = pd.date_range(grid[0], max(grid[-1], frame[COHORT].max()), freq=frequency.offset)
    cohort_index = full.searchsorted(frame[COHORT].to_numpy(), side="right") - 1
    return RetentionData(
        frame=frame[[COHORT, AGE, RETENTION]].reset_index(drop=True),
        ages=frame[AGE].to_numpy(float) * step,
        value=frame[RETENTION].to_numpy(float),
        cohort=np.asarray(cohort_index),
        step=step,
    )


def periods_needed(grid: pd.DatetimeIndex, retention: RetentionData | None) -> int:
    """Return the periods to simulate from launch: the grid, and every retention cohort."""
    if retention is None:
        return len(grid)
    return max(len(grid), int(retention.cohort.max()) + 1)


def retention_fitted(
    layout: FeedbackLayout,
    data: RetentionData,
    parts: dict[str, np.ndarray],
    paths: FeedbackPaths,
) -> np.ndarray:
    """Fit each retention observation: the curve raised by its cohort's scale effect."""
    family = get_family(layout.family)
    curve = family.survival(data.ages, parts["z"])
    before = data.cohort - 1
    drive = np.where(before[None, :] >= 0, paths.dau[:, np.maximum(before, 0)], 0.0)
    uplift = np.minimum(1.0, parts["e"][:, None] * drive / parts["m"][:, None])
    return np.asarray(curve + uplift * (1.0 - curve))


def prior_arrays(
    layout: FeedbackLayout, frequency: Frequency, largest: float
) -> tuple[np.ndarray, np.ndarray]:
    """Return the centres and standard deviations of the default prior, one per coordinate."""
    family = get_family(layout.family)
    per_year = 365.25 / period_days(frequency)
    centre = {
        "log_p": np.log(0.03 / per_year),
        "log_q": np.log(0.38 / per_year),
        "log_m": np.log(20 * largest),
        "log_e": 0.0,
        "log_sigma": np.log(0.1),
    }
    scale = {"log_p": 3.0, "log_q": 3.0, "log_m": 3.0, "log_e": 2.0, "log_sigma": 1.0}
    for day in range(6):
        centre[f"w_{day}"], scale[f"w_{day}"] = 0.0, 0.5
    for name in layout.covariates:
        centre[f"beta_{name}"], scale[f"beta_{name}"] = 0.0, 3.0
    start_z = family.to_z(dict(zip(family.param_names, family.start, strict=True)))
    for name, value in zip(family.param_names, start_z, strict=True):
        centre[f"z_{name}"] = float(value)
        scale[f"z_{name}"] = 2.0
    return (
        np.array([centre[n] for n in layout.names]),
        np.array([scale[n] for n in layout.names]),
    )


def box(layout: FeedbackLayout, largest: float) -> np.ndarray:
    """Return the optimiser's box, one ``(low, high)`` row per coordinate of ``theta``."""
    limits = {
        "log_p": (-25.0, 0.0),
        "log_q": (-20.0, 3.0),
        "log_m": (np.log(largest), np.log(largest) + 18.0),
        "log_e": (-15.0, 5.0),
        "log_sigma": (-7.0, 2.0),
    }
    limits.update({f"w_{day}": (-3.0, 3.0) for day in range(6)})
    return np.array([limits.get(n, (-12.0, 12.0)) for n in layout.names])


@dataclass(frozen=True)
class FeedbackLikelihood:
    """The negative log-posterior of ``retention_feedback`` (see the model's docstring).

    Attributes
    ----------
    layout : FeedbackLayout
        The parameters and calendar.
    obs_index, obs_log, obs_kind : ndarray
        Grid position, ``log(1 + y)`` and qualifier of each observation.
    retention : RetentionData, optional
        Retention observations.
    approx_scale, bound_sigma, bound_margin, retention_sigma : float
        The model's error settings.
    prior_mean, prior_sd : ndarray, optional
        The prior (None for maximum likelihood).
    periods : int
        Periods to simulate from launch.
    """

    layout: FeedbackLayout
    obs_index: np.ndarray
    obs_log: np.ndarray
    obs_kind: np.ndarray
    retention: RetentionData | None
    approx_scale: float
    bound_sigma: float
    bound_margin: float
    retention_sigma: float
    prior_mean: np.ndarray | None
    prior_sd: np.ndarray | None
    periods: int

    def __call__(self, theta: np.ndarray) -> np.ndarray:
        """Evaluate the negative log-posterior of each row of ``theta`` (shape ``(n, k)``)."""
        theta = np.atleast_2d(theta)
        return self.loss(theta, simulate(self.layout, theta, self.periods))

    def loss(self, theta: np.ndarray, paths: FeedbackPaths) -> np.ndarray:
        """Evaluate the negative log-posterior of the rows of ``theta`` given their paths."""
        parts = unpack(self.layout, theta)
        level = paths.dau[:, self.obs_index]
        if self.layout.weekly:
            days = (self.layout.first_weekday + self.obs_index) % 7
            level = level * np.exp(parts["week"][:, days])
        fitted = np.log1p(np.maximum(level, 0.0))
        sigma = parts["sigma"][:, None]
        residual = self.obs_log[None, :] - fitted
        kind = self.obs_kind
        total = np.zeros(len(theta))
        for code, width in (("=", 1.0), ("~", float(self.approx_scale))):
            mask = kind == code
            if mask.any():
                scaled = residual[:, mask] / (width * sigma)
                total += np.sum(0.5 * scaled**2 + np.log(width * sigma), axis=1)
        margin = float(self.bound_margin)
        for code, sign in ((">=", 1.0), ("<=", -1.0)):
            mask = kind == code
            if mask.any():
                violation = np.maximum(0.0, sign * (residual[:, mask] + sign * margin))
                total += np.sum(0.5 * (violation / float(self.bound_sigma)) ** 2, axis=1)
        if self.retention is not None:
            fitted_retention = retention_fitted(self.layout, self.retention, parts, paths)
            scaled = (self.retention.value[None, :] - fitted_retention) / self.retention_sigma
            total += np.sum(0.5 * scaled**2, axis=1)
        if self.prior_mean is not None and self.prior_sd is not None:
            total += np.sum(0.5 * ((theta - self.prior_mean) / self.prior_sd) ** 2, axis=1)
        return np.where(np.isfinite(total), total, _FAILED)


def _grid_of_starts(layout: FeedbackLayout, largest: float) -> np.ndarray:
    """Return starting points over ``p``, ``q``, the market and the family's curves."""
    family = get_family(layout.family)
    curves = [
        family.to_z(dict(zip(family.param_names, values, strict=True)))
        for values in (family.start, *family.alternatives)
    ]
    grid = []
    for p in (1e-5, 1e-4, 1e-3, 1e-2):
        for q in (0.01, 0.05, 0.2, 0.6):
            for mult in (1.5, 4.0, 20.0, 100.0, 1000.0, 10000.0):
                for z0 in curves:
                    row = {
                        "log_p": np.log(p),
                        "log_q": np.log(q),
                        "log_m": np.log(mult * largest),
                        "log_e": 0.0,
                        "log_sigma": np.log(0.1),
                    }
                    row.update({f"w_{day}": 0.0 for day in range(6)})
                    row.update({f"beta_{name}": 0.0 for name in layout.covariates})
                    row.update({f"z_{n}": v for n, v in zip(family.param_names, z0, strict=True)})
                    grid.append([row[n] for n in layout.names])
    return np.array(grid)


def start_point(
    objective: FeedbackLikelihood,
    bounds: np.ndarray,
    largest: float,
    warm: tuple[list[str], np.ndarray] | None,
) -> np.ndarray:
    """Return the best of a grid of starting points (and of ``warm``, a previous estimate)."""
    candidates = np.clip(_grid_of_starts(objective.layout, largest), bounds[:, 0], bounds[:, 1])
    if warm is not None and warm[0] == list(objective.layout.names):
        candidates = np.vstack([np.clip(warm[1], bounds[:, 0], bounds[:, 1]), candidates])
    values = objective(candidates)
    return candidates[int(np.argmin(values))]


def optimise(
    objective: FeedbackLikelihood, start: np.ndarray, bounds: np.ndarray, series: str
) -> np.ndarray:
    """Minimise ``objective`` by L-BFGS-B with central-difference gradients.

    Raises
    ------
    FitError
        No finite optimum.
    """
    step = 1e-5
    k = len(start)

    def value_and_gradient(theta: np.ndarray) -> tuple[float, np.ndarray]:
        points = np.vstack([theta, theta + step * np.eye(k), theta - step * np.eye(k)])
        values = objective(points)
        return float(values[0]), (values[1 : k + 1] - values[k + 1 :]) / (2 * step)

    result = optimize.minimize(
        value_and_gradient,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=[tuple(b) for b in bounds],
        options={"maxiter": 300, "ftol": 1e-9, "gtol": 1e-5},
    )
    if not np.all(np.isfinite(result.x)) or result.fun >= _FAILED:
        raise FitError(
            f"retention_feedback found no finite fit for series {series!r}: {result.message}"
        )
    return np.asarray(result.x, dtype=float)


def laplace(objective: FeedbackLikelihood, theta: np.ndarray, step: float = 1e-3) -> np.ndarray:
    """Return the inverse Hessian of ``objective`` at ``theta``, eigenvalues floored at 1/9."""
    k = len(theta)
    eye = np.eye(k) * step
    points = [theta]
    for i in range(k):
        for j in range(k):
            points += [
                theta + eye[i] + eye[j],
                theta + eye[i] - eye[j],
                theta - eye[i] + eye[j],
                theta - eye[i] - eye[j],
            ]
    values = objective(np.array(points))
    hessian = values[1:].reshape(k, k, 4) @ np.array([1.0, -1.0, -1.0, 1.0]) / (4 * step**2)
    hessian = (hessian + hessian.T) / 2
    eigval, eigvec = np.linalg.eigh(hessian)
    floor = 1.0 / 9.0
    cov = (eigvec / np.maximum(eigval, floor)) @ eigvec.T
    return np.asarray((cov + cov.T) / 2)


def resample(
    objective: FeedbackLikelihood,
    theta: np.ndarray,
    cov: np.ndarray,
    bounds: np.ndarray,
    n_draws: int,
    seed: int,
) -> tuple[np.ndarray, float]:
    """Resample the Laplace approximation by sampling-importance-resampling.

    ``4 n_draws`` proposals from a normal with twice the Laplace covariance are weighted by
    the exact posterior over the proposal density and ``n_draws`` of them are resampled
    (systematically), which corrects the Gaussian approximation where the posterior is
    curved. Returns the draws and the effective sample size of the weights.
    """
    rng = np.random.default_rng(seed)
    n = 4 * int(n_draws)
    k = len(theta)
    proposal_cov = 2.0 * cov + 1e-12 * np.eye(k)
    chol = np.linalg.cholesky(proposal_cov)
    proposals = theta + rng.standard_normal((n, k)) @ chol.T
    proposals[0] = theta
    inside = np.all((proposals >= bounds[:, 0]) & (proposals <= bounds[:, 1]), axis=1)
    proposals = proposals[inside]
    log_q = stats.multivariate_normal(theta, proposal_cov, allow_singular=True).logpdf(proposals)
    log_w = -objective(proposals) - log_q
    log_w -= log_w.max()
    weights = np.exp(log_w)
    weights /= weights.sum()
    ess = float(1.0 / np.sum(weights**2))
    positions = (rng.random() + np.arange(int(n_draws))) / int(n_draws)
    chosen = np.minimum(np.searchsorted(np.cumsum(weights), positions), len(proposals) - 1)
    return proposals[chosen], ess
