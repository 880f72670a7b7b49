r"""``retention_feedback``: DAU as cohorts times retention; the active base drives acquisition.

The equations are those of :mod:`forecast.retention.dynamics` for one product in its own market
(which this module calls for every path):

.. math::

    N_t &= (p + q\,\mathrm{DAU}_{t-1} / M)\,(M - A_{t-1})\,\mu_t \\
    \mathrm{DAU}_t &= \sum_{c \le t} N_c\, S_c(t - c), \qquad A_t = A_{t-1} + N_t

with ``p`` and ``q`` the coefficients of innovation and imitation (Bass's symbols, driven by
the *active* base), ``M`` (``m``) the market potential, :math:`S` a retention curve of one of
the families of :mod:`forecast.retention.families` (by age in the series' own periods),
:math:`\mu_t` the acquisition multipliers of ``events`` times :math:`e^{\beta^\top x_t}` for
covariates :math:`x_t` (``fit(..., covariates=frame)``, with :math:`\beta` estimated) and, with
``scale_effect``, retention that rises with scale: cohort ``c`` keeps a share
:math:`u_c = \min(1, e\,\mathrm{DAU}_{c-1}/M)` of the users who would have churned. Period
0 is ``launch`` (the first observed date unless given).

Estimation (maximum a posteriori, ``prior=None`` for maximum likelihood)
-------------------------------------------------------------------------
The unconstrained parameters are :math:`\log p, \log q, \log M` (unless ``market_size`` fixes
``M``), the retention family's log/logit parameters, :math:`\log e` (when ``scale_effect=True``),
six weekday log factors (with ``weekly``; the seventh is minus their sum), the covariates'
log-effects :math:`\beta` (on each covariate divided by its largest absolute value in the
history, reported per unit as ``beta_<name>``) and :math:`\log\sigma`. A covariate row
stands for the periods since the previous observation (since launch for the first), and a
covariate constant over the history is refused. The negative log-posterior adds

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
  :math:`\log \sigma` on :math:`\log 0.1`, sd 1; weekday log factors on 0, sd 0.5; the
  scaled covariate effects on 0, sd 3.

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

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal, Self

import numpy as np
import pandas as pd

from forecast.errors import ConfigError
from forecast.models import _feedback_fit as fit
from forecast.models._covariates import CovariatesIn, bound, future_frame
from forecast.models._feedback_kernel import (
    EventsLike,
    FeedbackLayout,
    events_multipliers,
    grid_design,
    parameter_names,
    period_days,
    point_params,
    simulate,
    unpack,
    weekly_expected,
)
from forecast.models._feedback_reports import ACCOUNTING_COLUMNS, FeedbackReports
from forecast.models._params import (
    check_choice,
    check_date,
    check_int,
    check_number,
    check_optional_number,
)
from forecast.models.base import BaseModel, Capabilities, Intervals, quantile_intervals
from forecast.models.registry import register
from forecast.retention.dynamics import FeedbackPaths
from forecast.retention.families import FAMILIES
from forecast.schema import ValidCovariates, Y

__all__ = [
    "RetentionFeedback",
    "EventsLike",
    "ACCOUNTING_COLUMNS",
    "period_days",
    "events_multipliers",
]


@register("retention_feedback")
class RetentionFeedback(FeedbackReports, BaseModel):
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
        Steps of acquisition from a date on (a launch, an upgrade, a competitor's move) with
        known multipliers; they multiply, and future dates apply to forecasts. To estimate a
        multiplier instead, give the step as a covariate column (0 before the date, 1 from it)
        to ``fit(..., covariates=...)``.
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
        ``scale_effect``, ``sigma``, with weekly seasonality ``weekly_mon`` ...
        ``weekly_sun`` (multiplicative factors) and, with covariates, ``beta_<name>`` (the log
        of the factor on acquisition per unit of each covariate).
    theta_ : ndarray
        The estimate on the unconstrained scale; ``cov_`` its Laplace covariance.
    posterior_ : ndarray
        ``n_draws`` resampled posterior draws of the unconstrained parameters.
    ess_ : float
        Effective sample size of the importance weights behind ``posterior_``.
    names_ : list of str
        The coordinates of ``theta_``; ``bounds_`` holds the optimiser's box, one row each.
    grid_ : DatetimeIndex
        Every period from launch to the last observation.
    retention_frame_ : DataFrame or None
        The retention rows (``cohort``, ``age``, ``retention``) the model was fitted to.
    """

    capabilities = Capabilities(irregular=True, bounds=True, min_history=2, covariates=True)
    _warm: tuple[list[str], np.ndarray] | None = None
    _future_design: np.ndarray | None = None
    _fit_covariates: ValidCovariates | None = None
    covariate_values_: np.ndarray = np.zeros((0, 0))
    covariate_scale_: np.ndarray = np.zeros(0)

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

    # ------------------------------------------------------------------------------ fitting
    def _fit(self, data: pd.DataFrame, retention: pd.DataFrame | None) -> None:
        if self.transform == "log":
            data = data.assign(**{Y: np.exp(data[Y].to_numpy())})
        series, frequency = self.series_id_, self.frequency_
        launch = check_date(self.name, "launch", self.launch)
        grid, obs_index = fit.grid_index(data, launch, frequency, series)
        obs_log, obs_kind = fit.log_observations(data, series)
        ret = fit.retention_data(retention, series, grid, frequency, self.retention_step)
        if ret is not None:
            self.retention_step_ = ret.step
        points = int(np.isin(obs_kind, ["=", "~"]).sum())
        daily = frequency.name == "daily"
        if self.weekly is True and not daily:
            raise ConfigError(
                f"weekly=True needs a daily series; series {series!r} is {frequency.name}."
            )
        self.weekly_ = bool(
            self.weekly is True or (self.weekly == "auto" and daily and points >= 28)
        )
        self.grid_ = grid
        covariates = tuple(getattr(self, "covariates_", ()))
        settings = (self.retention_family, self.market_size, self.scale_effect, self.weekly_)
        self.names_ = list(parameter_names(*settings, covariates))
        self.covariate_values_, self.covariate_scale_ = grid_design(
            data, covariates, obs_index, grid, fit.periods_needed(grid, ret), series
        )
        self.retention_frame_ = None if ret is None else ret.frame
        largest = max(float(data[Y].max()), 1.0)
        prior_mean, prior_sd = fit.prior_arrays(self._layout, frequency, largest)
        objective = fit.FeedbackLikelihood(
            layout=self._layout,
            obs_index=obs_index,
            obs_log=obs_log,
            obs_kind=obs_kind,
            retention=ret,
            approx_scale=float(self.approx_scale),
            bound_sigma=float(self.bound_sigma),
            bound_margin=float(self.bound_margin),
            retention_sigma=float(self.retention_sigma),
            prior_mean=None if self.prior is None else prior_mean,
            prior_sd=None if self.prior is None else prior_sd,
            periods=fit.periods_needed(grid, ret),
        )
        self.bounds_ = fit.box(self._layout, largest)
        start = fit.start_point(objective, self.bounds_, largest, self._warm)
        self.theta_ = fit.optimise(objective, start, self.bounds_, series)
        self.cov_ = fit.laplace(objective, self.theta_)
        self.posterior_, self.ess_ = fit.resample(
            objective, self.theta_, self.cov_, self.bounds_, self.n_draws, self.seed
        )
        self.params_ = point_params(self._layout, self.theta_)

    @property
    def _layout(self) -> FeedbackLayout:
        """Rebuild the parameter layout and calendar of the fitted model."""
        design = self.covariate_values_
        if self._future_design is not None:
            design = np.vstack([design, self._future_design])
        return FeedbackLayout(
            family=self.retention_family,
            market_size=self.market_size,
            scale_effect=self.scale_effect,
            weekly=self.weekly_,
            events=self.events,
            start=pd.Timestamp(self.grid_[0]),
            offset=self.frequency_.offset,
            names=tuple(self.names_),
            covariates=tuple(getattr(self, "covariates_", ())),
            design=design,
            scale=self.covariate_scale_,
        )

    def fit_validated(
        self,
        series: pd.DataFrame,
        retention: pd.DataFrame | None = None,
        *,
        covariates: ValidCovariates | None = None,
    ) -> Self:
        """:meth:`BaseModel.fit_validated`, keeping the covariates for :meth:`future_covariates`."""
        super().fit_validated(series, retention, covariates=covariates)
        self._fit_covariates = covariates if covariates is not None else bound(self)
        return self

    def future_covariates(self, h: int, covariates: CovariatesIn = None) -> pd.DataFrame:
        """Return the covariates of the ``h`` periods after the last observation.

        Parameters
        ----------
        h : int
            Forecast periods.
        covariates : DataFrame, optional
            A covariates frame holding them; by default the frame the model was fitted with
            (the covariates are known in advance, so it may reach past the history).

        Returns
        -------
        DataFrame
            ``ds`` then the model's covariates (``covariates_``), one row per forecast date;
            only ``ds`` for a model fitted without covariates.

        Raises
        ------
        CovariateError
            A covariate without a value at a forecast date (named, with the dates), or no
            frame at all (a model loaded from a file keeps no frame: pass ``covariates=``).
        """
        self._check_fitted()
        given = covariates if covariates is not None else self._fit_covariates
        return future_frame(self, h, given)

    @contextmanager
    def _future_rows(self, h: int, future: pd.DataFrame | None = None) -> Iterator[None]:
        """Add the covariates of the ``h`` forecast periods to the layout while inside.

        ``future`` holds them (``ds`` then ``covariates_``, checked); by default they are the
        values ``predict`` or ``sample`` checked. Inside, the rows are already there.
        """
        covariates = tuple(getattr(self, "covariates_", ()))
        if not covariates or not h or self._future_design is not None:
            yield
            return
        frame = self._future_covariates(h) if future is None else future
        self._future_design = frame[list(covariates)].to_numpy(dtype=float) / self.covariate_scale_
        try:
            yield
        finally:
            self._future_design = None

    def warm_start(self, previous: BaseModel) -> None:
        """Start the next fit from ``previous``'s estimate when it has the same parameters."""
        if isinstance(previous, RetentionFeedback) and previous.is_fitted:
            self._warm = (list(previous.names_), np.array(previous.theta_))

    # --------------------------------------------------------------------------- forecasting
    def expected(
        self, dau: np.ndarray, theta: np.ndarray | None = None, first: int = 0
    ) -> np.ndarray:
        """Multiply ``dau`` by the weekly factors, when the model has them.

        ``dau`` has rows matching ``theta`` (the estimate by default) and columns from period
        ``first`` after launch; the result is the expected observations.
        """
        return weekly_expected(self._layout, dau, self.theta_ if theta is None else theta, first)

    def draws(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n`` parameter vectors (with replacement) from the resampled posterior."""
        self._check_fitted()
        return self.posterior_[rng.integers(0, len(self.posterior_), size=n)]

    def paths(
        self,
        h: int,
        theta: np.ndarray | None = None,
        *,
        covariates: CovariatesIn = None,
        curve_change: Callable[[np.ndarray], np.ndarray] | None = None,
        change_from: int | None = None,
        extra_multipliers: np.ndarray | None = None,
    ) -> FeedbackPaths:
        """Simulate paths from launch to ``h`` periods after the last observation.

        Parameters
        ----------
        h : int
            Periods after the last observation.
        theta : ndarray, optional
            Unconstrained parameters, one row per path; the estimate by default.
        covariates : DataFrame, optional
            For a model fitted with covariates and ``h > 0``, their values at the forecast
            dates (as for :meth:`future_covariates`, whose default they have).
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
        known = self._future_design is not None or not self.covariates_ or not h
        with self._future_rows(h, None if known else self.future_covariates(h, covariates)):
            return simulate(
                self._layout,
                self.theta_ if theta is None else theta,
                len(self.grid_) + h,
                curve_change=curve_change,
                change_from=len(self.grid_) if change_from is None else change_from,
                extra_multipliers=extra_multipliers,
            )

    def all_dates(self, h: int) -> pd.DatetimeIndex:
        """Return the dates of every period from launch to ``h`` periods past the last one."""
        self._check_fitted()
        return pd.DatetimeIndex(self.grid_.append(self.future_dates(h))) if h else self.grid_

    def noisy(self, dau: np.ndarray, theta: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Draw observations around ``dau`` (rows matching ``theta``) with the model's noise."""
        sigma = unpack(self._layout, theta)["sigma"][:, None]
        return np.expm1(np.log1p(np.maximum(dau, 0.0)) + sigma * rng.standard_normal(dau.shape))

    def _predict(self, h: int, levels: tuple[float, ...]) -> tuple[np.ndarray, Intervals]:
        with self._future_rows(h):
            return self._predict_paths(h, levels)

    def _predict_paths(self, h: int, levels: tuple[float, ...]) -> tuple[np.ndarray, Intervals]:
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
        with self._future_rows(h):
            dau = self.paths(h, theta).dau[:, first:]
        return self._scale(self.noisy(self.expected(dau, theta, first), theta, rng))

    def _scale(self, values: np.ndarray) -> np.ndarray:
        """Put counts on the scale ``BaseModel`` transforms back (logs with ``transform='log'``)."""
        if self.transform != "log":
            return values
        return np.log(np.maximum(values, np.finfo(float).tiny))
