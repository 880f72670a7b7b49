r"""``retention_feedback``: DAU as cohorts times retention, with acquisition driven by the active base.

The equations are those of :mod:`forecast.retention.dynamics` for one product in its own market
(which this module calls for every path):

.. math::

    N_t &= (p + q\,\mathrm{DAU}_{t-1} / M)\,(M - A_{t-1})\,\mu_t \\
    \mathrm{DAU}_t &= \sum_{c \le t} N_c\, S_c(t - c), \qquad A_t = A_{t-1} + N_t

with ``p`` and ``q`` the coefficients of innovation and imitation (Bass's symbols, driven by
the *active* base), ``M`` (``m``) the market potential, :math:`S` a retention curve of one of
the families of :mod:`forecast.retention.families` (by age in the series' own periods),
:math:`\mu_t` the acquisition multipliers of ``events`` and, with ``scale_effect``, retention
that rises with scale: cohort ``c`` keeps a share :math:`u_c = \min(1, e\,\mathrm{DAU}_{c-1}/M)`
of the users who would have churned. Period 0 is ``launch`` (the first observed date unless
given).

Estimation (maximum a posteriori, ``prior=None`` for maximum likelihood)
-------------------------------------------------------------------------
The unconstrained parameters are :math:`\log p, \log q, \log M` (unless ``market_size`` fixes
``M``), the retention family's log/logit parameters, :math:`\log e` (when ``scale_effect=True``),
six weekday log factors (with ``weekly``; the seventh is minus their sum) and
:math:`\log\sigma`. The negative log-posterior adds

* for every observation with qualifier ``=``: a Gaussian term in
  :math:`\log(1 + y) - \log(1 + \widehat{\mathrm{DAU}}\,e^{w_{d(t)}})` (:math:`w = 0` without
  ``weekly``) with standard deviation
  :math:`\sigma`; ``~`` uses ``approx_scale`` times :math:`\sigma`;
* for ``>=`` (``<=``): zero when the fit is above (below) the bound, else a stiff one-sided
  Gaussian penalty with standard deviation ``bound_sigma`` on the log scale, measured from the
  bound moved ``bound_margin`` inwards so that the optimum lands on the right side of it;
* for every retention observation (cohort ``c``, age ``a`` in the retention frame's own
  periods, ``retention_step`` model periods each): a Gaussian term with standard deviation
  ``retention_sigma`` in :math:`r - [S(a\,\mathrm{step}) + u_c (1 - S(a\,\mathrm{step}))]`;
* with ``prior="default"``, weak Gaussian priors on the unconstrained scale: :math:`\log p`
  and :math:`\log q` centred on the meta-analysis averages of Sultan, Farley and Lehmann
  (1990), ``p = 0.03`` and ``q = 0.38`` per year rescaled to the series' period, standard
  deviation 3; :math:`\log M` on 20 times the largest observation, sd 3; retention
  parameters on the family's starting point, sd 2; :math:`\log e` on 0, sd 2;
  :math:`\log \sigma` on :math:`\log 0.1`, sd 1; weekday log factors on 0, sd 0.5.

The optimiser is L-BFGS-B from the best of a small grid of starting points; every objective,
gradient (central differences) and Hessian evaluation is one vectorised call of the dynamics.

Intervals
---------
A Laplace approximation corrected by sampling-importance-resampling: proposals are drawn from
a normal distribution at the estimate with twice the inverse Hessian of the negative
log-posterior as covariance (eigenvalues floored, so directions the data do not determine get
a large variance; proposals outside the optimiser's box are dropped), weighted by the exact
posterior over
the proposal density and resampled to ``n_draws`` draws (``ess_`` is the effective sample size
of the weights). Every draw is simulated forward and observation noise
:math:`\log(1 + y) = \log(1 + \widehat{\mathrm{DAU}}) + \sigma\varepsilon` added; intervals
are quantiles of those sample paths. The point forecast is the path at the estimate (the
interval is widened to contain it where the sampled quantiles do not).

References
----------
.. [1] Bass, F. M. (1969). A new product growth for model consumer durables. Management
   Science, 15(5), 215-227.
.. [2] Fader, P. S. and Hardie, B. G. S. (2007). How to project customer retention. Journal
   of Interactive Marketing, 21(1), 76-90.
.. [3] Sultan, F., Farley, J. U. and Lehmann, D. R. (1990). A meta-analysis of applications of
   diffusion models. Journal of Marketing Research, 27(1), 70-77.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize, stats

from forecast.errors import ConfigError, DataError, FitError, SchemaError
from forecast.models._params import (
    check_choice,
    check_date,
    check_int,
    check_number,
    check_optional_number,
)
from forecast.models.base import BaseModel, Capabilities, Intervals, quantile_intervals
from forecast.models.registry import register
from forecast.retention.dynamics import FeedbackPaths, simulate_feedback
from forecast.retention.families import FAMILIES, get_family
from forecast.schema import (
    AGE,
    COHORT,
    DS,
    QUALIFIER,
    RETENTION,
    UNIQUE_ID,
    Frequency,
    Y,
    infer_frequency,
)

__all__ = ["RetentionFeedback", "EventsLike", "ACCOUNTING_COLUMNS", "period_days"]

EventsLike = Sequence[tuple[object, float]] | pd.DataFrame | None
"""Events: ``[(date, multiplier), ...]`` or a frame with ``ds`` and ``multiplier`` columns."""

ACCOUNTING_COLUMNS = ("dau", "new", "retained", "churned")
"""Columns of :meth:`RetentionFeedback.accounting` after ``ds`` (and before ``is_forecast``)."""

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAYS = {"daily": 1.0, "weekly": 7.0, "monthly": 30.4375, "quarterly": 91.3125, "yearly": 365.25}
_TINY = 1e-300


def period_days(frequency: Frequency) -> float:
    """Length of one period of ``frequency`` in days (a month is 30.4375 days)."""
    if frequency.name in _DAYS:
        return _DAYS[frequency.name]
    start = pd.Timestamp("2001-01-01")
    return float(((start + frequency.offset) - start) / pd.Timedelta(days=1))


def events_multipliers(events: EventsLike, dates: pd.DatetimeIndex) -> np.ndarray:
    """Acquisition multiplier of each date: the product of the multipliers of the events up to it.

    Raises
    ------
    ConfigError
        Events that are not (date, multiplier) pairs, dates that do not parse, or multipliers
        that are not positive numbers.
    """
    out = np.ones(len(dates))
    if events is None:
        return out
    if isinstance(events, pd.DataFrame):
        if DS not in events.columns or "multiplier" not in events.columns:
            raise ConfigError("an events frame needs the columns 'ds' (date) and 'multiplier'.")
        pairs = list(zip(events[DS], events["multiplier"], strict=True))
    else:
        pairs = list(events)
    for pair in pairs:
        try:
            date, multiplier = pair  # type: ignore[misc]
            when = pd.Timestamp(date)
            factor = float(multiplier)
        except (TypeError, ValueError) as err:
            raise ConfigError(
                f"event {pair!r} is not a (date, multiplier) pair such as ('2024-03-18', 1.5)."
            ) from err
        if not np.isfinite(factor) or factor <= 0:
            raise ConfigError(f"event {pair!r} has a multiplier that is not a positive number.")
        out[np.asarray(dates >= when)] *= factor
    return out


@register("retention_feedback")
class RetentionFeedback(BaseModel):
    """Cohorts times a retention curve, with new users driven by the active base (see module docs).

    Parameters
    ----------
    retention_family : {"power", "sbg", "exponential", "weibull"}
        Family of the retention curve by age (in the series' periods).
    launch : date, optional
        Period 0 of the model; the first observed date when omitted. Must lie on the series'
        grid, at or before the first observation.
    market_size : float, optional
        Fixes the market potential ``m`` instead of estimating it.
    scale_effect : bool or float
        ``False``: retention does not depend on scale; ``True``: estimate the effect ``e``; a
        number fixes it.
    events : list of (date, multiplier) or DataFrame, optional
        Steps of acquisition from a date on (a launch, an upgrade, a competitor's move); they
        multiply, and future dates apply to forecasts.
    retention_step : float, optional
        Model periods per unit of ``age`` in the retention frame; by default the ratio of the
        retention frame's inferred cohort period to the series' period (30.4 for monthly
        retention of a daily series), or 1.
    prior : {"default"} or None
        Weak priors (see the module docstring) or none.
    approx_scale : float
        How much wider the error of a ``~`` observation is than that of an ``=`` one.
    bound_sigma, bound_margin : float
        Stiffness of the penalty of a violated bound and how far inside the bound it starts
        (both on the log scale).
    retention_sigma : float
        Standard deviation of retention observations (fraction points).
    weekly : bool or "auto"
        Weekly seasonality of daily observations: ``y_t = DAU_t exp(w_{d(t)})`` with one factor
        per weekday (log factors summing to zero, prior sd 0.5). ``"auto"`` turns it on for
        daily series with at least 28 point observations. The active base and the growth
        accounting stay those of ``DAU``; forecasts and fitted values include the factors.
    n_draws : int
        Parameter draws (sample paths) behind the intervals.
    seed : int
        Seed of the draws behind ``predict``.
    transform : {"log"}, optional
        Accepted for the common interface; the model always works on counts (its noise is
        already multiplicative on ``1 + y``), so the forecasts are the same with or without it.
    freq : str, optional
        A pandas offset alias overriding the inferred frequency.

    Attributes
    ----------
    params_ : dict
        ``p``, ``q``, ``m``, ``retention_<name>`` for each retention parameter,
        ``scale_effect``, ``sigma`` and, with weekly seasonality, ``weekly_mon`` ...
        ``weekly_sun`` (multiplicative factors).
    theta_ : ndarray
        The estimate on the unconstrained scale; ``cov_`` its Laplace covariance.
    posterior_ : ndarray
        ``n_draws`` resampled posterior draws of the unconstrained parameters.
    ess_ : float
        Effective sample size of the importance weights behind ``posterior_``.
    """

    capabilities = Capabilities(irregular=True, bounds=True, min_history=2)

    def __init__(
        self,
        *,
        retention_family: Literal["power", "sbg", "exponential", "weibull"] = "power",
        launch: object | None = None,
        market_size: float | None = None,
        scale_effect: bool | float = False,
        events: EventsLike = None,
        retention_step: float | None = None,
        prior: Literal["default"] | None = "default",
        approx_scale: float = 2.0,
        bound_sigma: float = 0.01,
        bound_margin: float = 0.01,
        retention_sigma: float = 0.02,
        weekly: bool | Literal["auto"] = "auto",
        n_draws: int = 250,
        seed: int = 0,
        transform: Literal["log"] | None = None,
        freq: str | None = None,
    ) -> None:
        super().__init__(transform=transform, freq=freq)
        name = self.name
        check_choice(name, "retention_family", retention_family, tuple(FAMILIES))
        check_choice(name, "prior", prior, ("default", None))
        check_date(name, "launch", launch)
        check_optional_number(name, "market_size", market_size, positive=True)
        if not isinstance(scale_effect, bool):
            check_number(name, "scale_effect", scale_effect, minimum=0.0)
        check_optional_number(name, "retention_step", retention_step, positive=True)
        for key, value, default in (
            ("approx_scale", approx_scale, 2.0),
            ("bound_sigma", bound_sigma, 0.01),
            ("retention_sigma", retention_sigma, 0.02),
        ):
            check_number(name, key, value, positive=True, default=default)
        check_number(name, "bound_margin", bound_margin, minimum=0.0)
        check_choice(name, "weekly", weekly, (True, False, "auto"))
        check_int(name, "n_draws", n_draws, minimum=20)
        check_int(name, "seed", seed)
        events_multipliers(events, pd.DatetimeIndex([]))
        self.retention_family = retention_family
        self.launch = launch
        self.market_size = market_size
        self.scale_effect = scale_effect
        self.events = events
        self.retention_step = retention_step
        self.prior = prior
        self.approx_scale = approx_scale
        self.bound_sigma = bound_sigma
        self.bound_margin = bound_margin
        self.retention_sigma = retention_sigma
        self.weekly = weekly
        self.n_draws = n_draws
        self.seed = seed

    # ------------------------------------------------------------------------------ layout
    def _names(self) -> list[str]:
        family = get_family(self.retention_family)
        names = ["log_p", "log_q"]
        if self.market_size is None:
            names.append("log_m")
        names += [f"z_{name}" for name in family.param_names]
        if self.scale_effect is True:
            names.append("log_e")
        if self.weekly_:
            names += [f"w_{day}" for day in range(6)]
        return names + ["log_sigma"]

    def _unpack(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        theta = np.atleast_2d(theta)
        cols = {name: theta[:, i] for i, name in enumerate(self.names_)}
        family = get_family(self.retention_family)
        m = (
            np.exp(cols["log_m"])
            if "log_m" in cols
            else np.full(len(theta), float(self.market_size))
        )
        if "log_e" in cols:
            e = np.exp(cols["log_e"])
        else:
            e = np.full(len(theta), 0.0 if self.scale_effect is False else float(self.scale_effect))
        z = np.column_stack([cols[f"z_{name}"] for name in family.param_names])
        week = np.zeros((len(theta), 7))
        if self.weekly_:
            week[:, :6] = np.column_stack([cols[f"w_{day}"] for day in range(6)])
            week[:, 6] = -week[:, :6].sum(axis=1)
        return {
            "p": np.exp(cols["log_p"]),
            "q": np.exp(cols["log_q"]),
            "m": m,
            "z": z,
            "e": e,
            "week": week,
            "sigma": np.exp(cols["log_sigma"]),
        }

    def expected(
        self, dau: np.ndarray, theta: np.ndarray | None = None, first: int = 0
    ) -> np.ndarray:
        """Expected observations: ``dau`` (rows matching ``theta``, columns from period
        ``first`` after launch) times the weekly factors, when the model has them.
        """
        if not self.weekly_:
            return dau
        week = self._unpack(self.theta_ if theta is None else theta)["week"]
        days = (self.dow0_ + first + np.arange(dau.shape[1])) % 7
        return dau * np.exp(week[:, days])

    def _simulate(
        self,
        theta: np.ndarray,
        periods: int,
        *,
        curve_change: Callable[[np.ndarray], np.ndarray] | None = None,
        change_from: int = 0,
        extra_multipliers: np.ndarray | None = None,
    ) -> FeedbackPaths:
        parts = self._unpack(theta)
        family = get_family(self.retention_family)
        survival = family.survival(np.arange(periods, dtype=float), parts["z"])
        survival[:, 0] = 1.0
        survival = np.minimum.accumulate(np.clip(survival, 0.0, 1.0), axis=1)
        multipliers = self._multipliers(periods)
        if extra_multipliers is not None:
            multipliers = multipliers * extra_multipliers[:periods]
        later = None
        if curve_change is not None:
            changed = np.asarray(curve_change(survival.copy()), dtype=float)
            changed[:, 0] = 1.0
            later = (int(change_from), np.minimum.accumulate(np.clip(changed, 0.0, 1.0), axis=1))
        return simulate_feedback(
            parts["p"],
            parts["q"],
            parts["m"],
            survival,
            periods,
            multipliers=np.broadcast_to(multipliers, (len(parts["p"]), periods)),
            scale_effect=parts["e"],
            survival_from=later,
        )

    def _multipliers(self, periods: int) -> np.ndarray:
        dates = pd.date_range(self.grid_[0], periods=periods, freq=self.frequency_.offset)
        return events_multipliers(self.events, dates)

    # ------------------------------------------------------------------------------ fitting
    def _fit(self, data: pd.DataFrame, retention: pd.DataFrame | None) -> None:
        if self.transform == "log":
            data = data.assign(**{Y: np.exp(data[Y].to_numpy())})
        self._build_grid(data)
        self._observations(data)
        self._retention_observations(retention)
        points = int(np.isin(self.obs_kind_, ["=", "~"]).sum())
        daily = self.frequency_.name == "daily"
        if self.weekly is True and not daily:
            raise ConfigError(
                f"weekly=True needs a daily series; series {self.series_id_!r} is {self.frequency_.name}."
            )
        self.weekly_ = bool(
            self.weekly is True or (self.weekly == "auto" and daily and points >= 28)
        )
        self.dow0_ = int(self.grid_[0].weekday())
        self.names_ = self._names()
        self._prior_setup(data)
        self.bounds_ = self._box(data)
        start = self._start(data)
        theta = self._optimise(start)
        self.theta_ = theta
        self.cov_ = self._laplace(theta)
        self.posterior_, self.ess_ = self._resample(theta)
        self._set_params(theta)

    def warm_start(self, previous: BaseModel) -> None:
        """Start the next fit from ``previous``'s estimate when it has the same parameters."""
        if isinstance(previous, RetentionFeedback) and previous.is_fitted:
            self._warm = (list(previous.names_), np.array(previous.theta_))

    def _build_grid(self, data: pd.DataFrame) -> None:
        first, last = data[DS].iloc[0], data[DS].iloc[-1]
        launch = first if self.launch is None else pd.Timestamp(self.launch)
        if launch > first:
            raise ConfigError(
                f"launch {launch:%Y-%m-%d} is after the first observation {first:%Y-%m-%d}; give an earlier launch."
            )
        grid = pd.date_range(launch, last, freq=self.frequency_.offset)
        index = grid.get_indexer(data[DS])
        if np.any(index < 0):
            bad = data.loc[index < 0, DS].dt.strftime("%Y-%m-%d").tolist()
            raise ConfigError(
                f"dates {', '.join(bad[:3])} of series {self.series_id_!r} are not on the {self.frequency_.name} "
                f"grid that starts at launch {launch:%Y-%m-%d}; give a launch date on the series' grid."
            )
        self.grid_ = grid
        self.obs_index_ = index

    def _observations(self, data: pd.DataFrame) -> None:
        values = data[Y].to_numpy(float)
        negative = values < 0
        if negative.any():
            rows = data.loc[negative, DS].dt.strftime("%Y-%m-%d").tolist()
            raise DataError(
                f"series {self.series_id_!r} has {int(negative.sum())} negative value(s) in column 'y' (dates "
                f"{', '.join(rows[:3])}); active users cannot be negative. Correct the data.",
                series=self.series_id_,
                column=Y,
                rows=rows,
            )
        self.obs_log_ = np.log1p(values)
        self.obs_kind_ = data[QUALIFIER].to_numpy(str)

    def _retention_observations(self, retention: pd.DataFrame | None) -> None:
        self.ret_ = None
        if retention is None:
            return
        frame = retention
        if UNIQUE_ID in frame.columns and frame[UNIQUE_ID].nunique() > 1:
            uid = self.series_id_
            exact = frame[frame[UNIQUE_ID] == uid]
            entity = frame[frame[UNIQUE_ID].str.split("/").str[0] == uid.split("/")[0]]
            frame = exact if len(exact) else entity
            if frame[UNIQUE_ID].nunique() != 1:
                raise SchemaError(
                    f"the retention frame holds products {', '.join(map(repr, retention[UNIQUE_ID].unique()[:4]))} "
                    f"in column 'unique_id' and none (or several) match series {uid!r}; pass the rows of this product.",
                    series=uid,
                    column=UNIQUE_ID,
                )
        step = self.retention_step
        if step is None:
            cohort_freq = infer_frequency(frame[COHORT].drop_duplicates())
            step = (
                period_days(cohort_freq) / period_days(self.frequency_)
                if cohort_freq is not None
                else 1.0
            )
        self.retention_step_ = float(step)
        full = pd.date_range(
            self.grid_[0], max(self.grid_[-1], frame[COHORT].max()), freq=self.frequency_.offset
        )
        cohort_index = full.searchsorted(frame[COHORT].to_numpy(), side="right") - 1
        self.ret_ = {
            "frame": frame[[COHORT, AGE, RETENTION]].reset_index(drop=True),
            "ages": frame[AGE].to_numpy(float) * self.retention_step_,
            "value": frame[RETENTION].to_numpy(float),
            "cohort": cohort_index,
        }

    def _prior_setup(self, data: pd.DataFrame) -> None:
        family = get_family(self.retention_family)
        per_year = 365.25 / period_days(self.frequency_)
        largest = max(float(data[Y].max()), 1.0)
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
        start_z = family.to_z(dict(zip(family.param_names, family.start, strict=True)))
        for name, value in zip(family.param_names, start_z, strict=True):
            centre[f"z_{name}"] = float(value)
            scale[f"z_{name}"] = 2.0
        self.prior_mean_ = np.array([centre[n] for n in self.names_])
        self.prior_sd_ = np.array([scale[n] for n in self.names_])

    def _box(self, data: pd.DataFrame) -> np.ndarray:
        largest = max(float(data[Y].max()), 1.0)
        box = {
            "log_p": (-25.0, 0.0),
            "log_q": (-20.0, 3.0),
            "log_m": (np.log(largest), np.log(largest) + 18.0),
            "log_e": (-15.0, 5.0),
            "log_sigma": (-7.0, 2.0),
        }
        box.update({f"w_{day}": (-3.0, 3.0) for day in range(6)})
        return np.array([box.get(n, (-12.0, 12.0)) for n in self.names_])

    def _periods_needed(self) -> int:
        periods = len(self.grid_)
        if self.ret_ is not None:
            periods = max(periods, int(self.ret_["cohort"].max()) + 1)
        return periods

    def _objective(self, theta: np.ndarray) -> np.ndarray:
        """Negative log-posterior of each row of ``theta`` (shape ``(n, k)``)."""
        theta = np.atleast_2d(theta)
        return self._loss(theta, self._simulate(theta, self._periods_needed()))

    def _loss(self, theta: np.ndarray, paths: FeedbackPaths) -> np.ndarray:
        parts = self._unpack(theta)
        level = paths.dau[:, self.obs_index_]
        if self.weekly_:
            level = level * np.exp(parts["week"][:, (self.dow0_ + self.obs_index_) % 7])
        fitted = np.log1p(np.maximum(level, 0.0))
        sigma = parts["sigma"][:, None]
        residual = self.obs_log_[None, :] - fitted
        kind = self.obs_kind_
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
        if self.ret_ is not None:
            total += self._retention_loss(parts, paths)
        if self.prior is not None:
            total += np.sum(0.5 * ((theta - self.prior_mean_) / self.prior_sd_) ** 2, axis=1)
        return np.where(np.isfinite(total), total, 1e12)

    def _retention_loss(self, parts: dict[str, np.ndarray], paths: FeedbackPaths) -> np.ndarray:
        fitted = self._retention_fitted(parts, paths)
        residual = (self.ret_["value"][None, :] - fitted) / float(self.retention_sigma)
        return np.sum(0.5 * residual**2, axis=1)

    def _retention_fitted(self, parts: dict[str, np.ndarray], paths: FeedbackPaths) -> np.ndarray:
        family = get_family(self.retention_family)
        curve = family.survival(self.ret_["ages"], parts["z"])
        before = self.ret_["cohort"] - 1
        drive = np.where(before[None, :] >= 0, paths.dau[:, np.maximum(before, 0)], 0.0)
        uplift = np.minimum(1.0, parts["e"][:, None] * drive / parts["m"][:, None])
        return curve + uplift * (1.0 - curve)

    def _start(self, data: pd.DataFrame) -> np.ndarray:
        warm = getattr(self, "_warm", None)
        family = get_family(self.retention_family)
        curves = [
            family.to_z(dict(zip(family.param_names, values, strict=True)))
            for values in (family.start, *family.alternatives)
        ]
        largest = max(float(data[Y].max()), 1.0)
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
                        row.update(
                            {f"z_{n}": v for n, v in zip(family.param_names, z0, strict=True)}
                        )
                        grid.append([row[n] for n in self.names_])
        candidates = np.clip(np.array(grid), self.bounds_[:, 0], self.bounds_[:, 1])
        if warm is not None and warm[0] == self.names_:
            candidates = np.vstack(
                [np.clip(warm[1], self.bounds_[:, 0], self.bounds_[:, 1]), candidates]
            )
        values = self._objective(candidates)
        return candidates[int(np.argmin(values))]

    def _value_and_gradient(
        self, theta: np.ndarray, step: float = 1e-5
    ) -> tuple[float, np.ndarray]:
        k = len(theta)
        points = np.vstack([theta, theta + step * np.eye(k), theta - step * np.eye(k)])
        values = self._objective(points)
        return float(values[0]), (values[1 : k + 1] - values[k + 1 :]) / (2 * step)

    def _optimise(self, start: np.ndarray) -> np.ndarray:
        result = optimize.minimize(
            self._value_and_gradient,
            start,
            jac=True,
            method="L-BFGS-B",
            bounds=[tuple(b) for b in self.bounds_],
            options={"maxiter": 300, "ftol": 1e-9, "gtol": 1e-5},
        )
        if not np.all(np.isfinite(result.x)) or result.fun >= 1e12:
            raise FitError(
                f"retention_feedback found no finite fit for series {self.series_id_!r}: {result.message}"
            )
        return np.asarray(result.x, dtype=float)

    def _laplace(self, theta: np.ndarray, step: float = 1e-3) -> np.ndarray:
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
        values = self._objective(np.array(points))
        hessian = values[1:].reshape(k, k, 4) @ np.array([1.0, -1.0, -1.0, 1.0]) / (4 * step**2)
        hessian = (hessian + hessian.T) / 2
        eigval, eigvec = np.linalg.eigh(hessian)
        floor = 1.0 / 9.0
        cov = (eigvec / np.maximum(eigval, floor)) @ eigvec.T
        return (cov + cov.T) / 2

    def _set_params(self, theta: np.ndarray) -> None:
        parts = self._unpack(theta)
        family = get_family(self.retention_family)
        params = {"p": float(parts["p"][0]), "q": float(parts["q"][0]), "m": float(parts["m"][0])}
        for name, value in family.to_params(parts["z"][0]).items():
            params[f"retention_{name}"] = value
        params["scale_effect"] = float(parts["e"][0])
        params["sigma"] = float(parts["sigma"][0])
        if self.weekly_:
            for name, value in zip(_WEEKDAYS, np.exp(parts["week"][0]), strict=True):
                params[f"weekly_{name}"] = float(value)
        self.params_ = params

    # --------------------------------------------------------------------------- forecasting
    def _resample(self, theta: np.ndarray) -> tuple[np.ndarray, float]:
        """Sampling-importance-resampling of the Laplace approximation.

        ``4 n_draws`` proposals from a normal with twice the Laplace covariance are weighted by
        the exact posterior over the proposal density and ``n_draws`` of them are resampled
        (systematically), which corrects the Gaussian approximation where the posterior is
        curved. Returns the draws and the effective sample size of the weights.
        """
        rng = np.random.default_rng(self.seed)
        n = 4 * int(self.n_draws)
        k = len(theta)
        cov = 2.0 * self.cov_ + 1e-12 * np.eye(k)
        chol = np.linalg.cholesky(cov)
        proposals = theta + rng.standard_normal((n, k)) @ chol.T
        proposals[0] = theta
        inside = np.all(
            (proposals >= self.bounds_[:, 0]) & (proposals <= self.bounds_[:, 1]), axis=1
        )
        proposals = proposals[inside]
        log_q = stats.multivariate_normal(theta, cov, allow_singular=True).logpdf(proposals)
        log_w = -self._objective(proposals) - log_q
        log_w -= log_w.max()
        weights = np.exp(log_w)
        weights /= weights.sum()
        ess = float(1.0 / np.sum(weights**2))
        positions = (rng.random() + np.arange(int(self.n_draws))) / int(self.n_draws)
        chosen = np.minimum(np.searchsorted(np.cumsum(weights), positions), len(proposals) - 1)
        return proposals[chosen], ess

    def draws(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` parameter vectors drawn (with replacement) from the resampled posterior."""
        self._check_fitted()
        return self.posterior_[rng.integers(0, len(self.posterior_), size=n)]

    def paths(
        self,
        h: int,
        theta: np.ndarray | None = None,
        *,
        curve_change: Callable[[np.ndarray], np.ndarray] | None = None,
        change_from: int | None = None,
        extra_multipliers: np.ndarray | None = None,
    ) -> FeedbackPaths:
        """Paths from launch to ``h`` periods after the last observation.

        Parameters
        ----------
        h : int
            Periods after the last observation.
        theta : ndarray, optional
            Unconstrained parameters, one row per path; the estimate by default.
        curve_change : callable, optional
            Maps the retention curves (array ``(n, periods)`` by age) to changed curves that
            cohorts acquired from period ``change_from`` on follow (a scenario); the result is
            made to start at 1 and kept non-increasing within [0, 1].
        change_from : int, optional
            Period (0 = launch) from which ``curve_change`` applies; the first forecast period
            by default.
        extra_multipliers : ndarray, optional
            Acquisition multipliers per period from launch (length ``len(grid_) + h``), applied
            on top of the model's events.

        Returns
        -------
        FeedbackPaths
            Arrays of shape ``(n, len(grid_) + h)``.
        """
        self._check_fitted()
        return self._simulate(
            self.theta_ if theta is None else theta,
            len(self.grid_) + h,
            curve_change=curve_change,
            change_from=len(self.grid_) if change_from is None else change_from,
            extra_multipliers=extra_multipliers,
        )

    def all_dates(self, h: int) -> pd.DatetimeIndex:
        """Dates of every period from launch to ``h`` periods after the last observation."""
        self._check_fitted()
        return self.grid_.append(self.future_dates(h)) if h else self.grid_

    def noisy(self, dau: np.ndarray, theta: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Observations around ``dau`` (rows matching ``theta``) with the model's noise."""
        sigma = self._unpack(theta)["sigma"][:, None]
        return np.expm1(np.log1p(np.maximum(dau, 0.0)) + sigma * rng.standard_normal(dau.shape))

    def _predict(self, h: int, levels: tuple[float, ...]) -> tuple[np.ndarray, Intervals]:
        n = len(self.grid_)
        point = self.expected(self.paths(h).dau[:, n:], None, n)[0]
        theta = self.posterior_
        samples = self.noisy(
            self.expected(self.paths(h, theta).dau[:, n:], theta, n),
            theta,
            np.random.default_rng(self.seed),
        )
        intervals = quantile_intervals(samples, levels)
        widened = {
            lv: (np.minimum(lo, point), np.maximum(hi, point)) for lv, (lo, hi) in intervals.items()
        }
        return self._scale(point), {
            lv: (self._scale(lo), self._scale(hi)) for lv, (lo, hi) in widened.items()
        }

    def _sample(self, h: int, n: int, rng: np.random.Generator) -> np.ndarray:
        theta = self.draws(n, rng)
        first = len(self.grid_)
        return self._scale(
            self.noisy(self.expected(self.paths(h, theta).dau[:, first:], theta, first), theta, rng)
        )

    def _scale(self, values: np.ndarray) -> np.ndarray:
        """Counts on the scale ``BaseModel`` transforms back (log counts with ``transform='log'``)."""
        if self.transform != "log":
            return values
        return np.log(np.maximum(values, np.finfo(float).tiny))

    # ----------------------------------------------------------------------------- reports
    def fitted_values(self) -> pd.DataFrame:
        """The fitted observations (DAU times any weekly factor) from launch to the last
        observation: ``ds``, ``yhat``.
        """
        self._check_fitted()
        return pd.DataFrame({DS: self.grid_, "yhat": self.expected(self.paths(0).dau)[0]})

    def fitted_retention(self) -> pd.DataFrame:
        """The retention observations the model was fitted to, with the fitted values.

        Returns
        -------
        DataFrame
            ``cohort``, ``age``, ``retention`` (observed) and ``yhat`` (the curve at the
            observation's age, raised by the scale effect of its cohort); empty when the model
            was fitted without retention data.
        """
        self._check_fitted()
        if self.ret_ is None:
            return pd.DataFrame(
                {
                    COHORT: pd.Series(dtype="datetime64[ns]"),
                    AGE: pd.Series(dtype="int64"),
                    RETENTION: pd.Series(dtype=float),
                    "yhat": pd.Series(dtype=float),
                }
            )
        fitted = self._retention_fitted(
            self._unpack(self.theta_), self._simulate(self.theta_, self._periods_needed())
        )[0]
        return self.ret_["frame"].assign(yhat=fitted)

    def accounting(self, h: int = 0) -> pd.DataFrame:
        """Growth accounting of every period from launch to ``h`` periods past the last observation.

        Parameters
        ----------
        h : int
            Forecast periods to add after the history.

        Returns
        -------
        DataFrame
            ``ds``, ``dau``, ``new``, ``retained``, ``churned`` and ``is_forecast``, at the
            estimate; ``dau[t] = dau[t-1] + new[t] - churned[t]`` exactly (``dau[-1] = 0``)
            and ``dau = new + retained``.
        """
        self._check_fitted()
        if isinstance(h, bool) or int(h) < 0:
            raise ConfigError(f"h must be a whole number >= 0, not {h!r}.")
        paths = self.paths(int(h))
        frame = pd.DataFrame({DS: self.all_dates(int(h))})
        for name in ACCOUNTING_COLUMNS:
            frame[name] = getattr(paths, name)[0]
        frame["is_forecast"] = np.arange(len(frame)) >= len(self.grid_)
        return frame

    def param_intervals(self, level: float = 90.0) -> pd.DataFrame:
        """Posterior intervals of the estimated parameters on their natural scale.

        Parameters
        ----------
        level : float
            Interval level in percent.

        Returns
        -------
        DataFrame
            ``parameter``, ``estimate`` (at the posterior mode), ``lo``, ``hi`` (equal-tailed
            quantiles of the resampled posterior draws).
        """
        self._check_fitted()
        tail = (100.0 - float(level)) / 200.0
        draws = [self._natural(row) for row in self.posterior_]
        estimate = self._natural(self.theta_)
        rows = []
        for name, value in estimate.items():
            values = np.array([d[name] for d in draws])
            lo, hi = np.quantile(values, [tail, 1.0 - tail])
            rows.append({"parameter": name, "estimate": value, "lo": float(lo), "hi": float(hi)})
        return pd.DataFrame(rows)

    def _natural(self, theta: np.ndarray) -> dict[str, float]:
        parts = self._unpack(theta)
        family = get_family(self.retention_family)
        out = {"p": float(parts["p"][0]), "q": float(parts["q"][0])}
        if self.market_size is None:
            out["m"] = float(parts["m"][0])
        for name, value in family.to_params(parts["z"][0]).items():
            out[f"retention_{name}"] = value
        if self.scale_effect is True:
            out["scale_effect"] = float(parts["e"][0])
        out["sigma"] = float(parts["sigma"][0])
        return out
