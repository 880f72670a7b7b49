"""Seasonal ARIMA (statsmodels SARIMAX), orders by a stepwise AICc search, with regressors.

With covariates or holidays it is a regression with ARIMA errors (SARIMAX's ``exog``).

The orders, the difference tests, the estimators and the search cache are in
:mod:`forecast.models._arima_search`; this module holds the registered model.
"""

from __future__ import annotations

import time
from typing import Literal

import numpy as np
import pandas as pd

from forecast.errors import ConfigError, FitError
from forecast.holidays import check_country
from forecast.models._arima_decay import decayed, least_squares_decay, profile_decay
from forecast.models._arima_regressors import Regressors, regression_residuals
from forecast.models._arima_search import (
    ArimaSpec,
    Search,
    css_fit,
    exact_fit,
    kpss_ndiffs,
    neighbours,
    regression_start,
    seasonal_ndiffs,
    seasonal_strength,
)
from forecast.models._params import check_choice, check_int, check_int_tuple, check_number
from forecast.models._statsmodels import aicc, quiet_estimation, simulate_paths
from forecast.models.base import BaseModel, Capabilities, Intervals
from forecast.models.registry import register
from forecast.schema import Y

__all__ = [
    "ARIMA",
    "ArimaSpec",
    "css_fit",
    "exact_fit",
    "kpss_ndiffs",
    "seasonal_strength",
    "seasonal_ndiffs",
]


@register("arima")
class ARIMA(Regressors):
    r"""Seasonal ARIMA from statsmodels' SARIMAX, orders chosen by a stepwise AICc search.

    Parameters
    ----------
    order : tuple of int, optional
        ``(p, d, q)``; fixes the model (no search).
    seasonal_order : tuple of int, optional
        ``(P, D, Q)`` or ``(P, D, Q, m)`` with a fixed ``order``; default no seasonal part.
    include_constant : bool, optional
        Constant (a drift when ``d + D = 1``). By default the search decides where
        ``d + D <= 1``, and a fixed order has one only when ``d + D = 0``.
    max_p, max_q, max_P, max_Q : int
        Bounds of the stepwise search (R's defaults: 5, 5, 2, 2; like R's stepwise search,
        no bound on ``p + q + P + Q``).
    max_d, max_D : int
        Most regular and seasonal differences (2 and 1).
    time_limit : float
        Seconds after which the search stops and keeps the best model so far.
    max_models : int
        Most models the search fits (94, as R's ``nmodels``).
    maxiter : int
        Iteration limit of each likelihood optimisation (statsmodels' default, 50).
    approximation : bool, optional
        Compare candidates by conditional sums of squares (CSS) instead of exact likelihood;
        by default for seasons longer than 12 (as R's auto.arima) and for series longer than
        150 fitted with regressors, whose exact fits are statsmodels' (R approximates every
        series longer than 150; see the notes).
        The chosen model is always re-estimated by exact maximum likelihood.
    refine : int
        With ``approximation``, how many of the best approximate candidates are re-estimated
        by exact maximum likelihood; the lowest exact AICc among them is chosen (default 1,
        the best only, as R's auto.arima: 3 cost a third more time on Tourism's monthly
        series for no gain in accuracy).
    covariate_decay : float or "estimate", optional
        A covariate's effect lasting beyond its own step: each covariate :math:`x` enters the
        regression as :math:`z_t = x_t + \delta z_{t-1}` (a transfer function with one pole,
        the Koyck lag or "adstock"), so a three-week campaign raises ``y`` by a ramp during it
        and a geometric decline after it. A number in [0, 0.99] fixes :math:`\delta`;
        ``"estimate"`` chooses it on a grid (0 to 0.95) by the likelihood of the chosen order.
        Default None, the plain regression (:math:`\delta = 0`). Holiday indicators are not
        decayed.
    holidays : str, optional
        A country code of the ``holidays`` library (``"CN"``, ``"US"``): one indicator
        regressor per public holiday that falls in the history
        (:func:`forecast.holidays.holiday_covariates`, built for the history and every
        forecast's dates; no frame needed).
    holidays_lower_window, holidays_upper_window : int
        Days before (zero or negative, as Prophet's ``lower_window``) and after (zero or
        positive) each holiday that its indicator covers.
    seasonal_period, transform, freq
        See :class:`~forecast.models.base.BaseModel`.

    Attributes
    ----------
    spec_ : ArimaSpec
        The chosen orders.
    results_ : statsmodels SARIMAXResults
        The final model on the undifferenced series.
    candidates_ : DataFrame
        Every model the search fitted and its AICc (``inf`` when rejected), in fitting order;
        with ``approximation``, ``aicc`` is the CSS one and ``aicc_exact`` that of the
        candidates re-estimated exactly (NaN for the others).
    estimates_ : dict
        The coefficients of every order estimated, which :meth:`warm_start` passes on.
    final_estimates_ : dict
        With ``approximation``, the exact estimates of the chosen order (passed on as well).
    covariates_ : tuple of str
        The covariates given to ``fit``; forecasts need their future values.
    regressors_ : tuple of str
        Every regressor of the regression: the covariates, then the holiday indicators
        (``holiday_<name>``), less those dropped.
    dropped_ : tuple of str
        Covariates and holiday indicators constant over the history, left out of this fit.
    decay_ : float
        The decay :math:`\delta` of the covariates' effects (0 without ``covariate_decay``).
    params_ : dict
        ``spec``, ``order``, ``seasonal_order``, ``constant``, ``aicc``, ``n_models``,
        ``stopped`` (None, ``"time_limit"`` or ``"max_models"``), ``dropped_regressors``
        (``dropped_``), ``covariate_decay`` (``decay_``), the coefficients by
        statsmodels' names (a regressor's by its name: the effect of one unit of it on
        ``y``, or on ``log(y)`` with ``transform="log"``) and ``sigma2``.

    Notes
    -----
    The automatic search follows Hyndman and Khandakar (2008) and R's ``forecast::auto.arima``:

    1. ``D`` (0 or 1) from the seasonal strength of an STL decomposition (Wang, Smith and
       Hyndman, 2006): one seasonal difference when it exceeds 0.64, which is ``nsdiffs``'s
       default ``"seas"`` test (not the OCSB or Canova-Hansen tests);
    2. ``d`` from repeated KPSS tests at 5% on the seasonally differenced series;
    3. four start models, ARIMA(2,d,2)(1,D,1), (0,d,0)(0,D,0), (1,d,0)(1,D,0) and
       (0,d,1)(0,D,1), with a constant when ``d + D <= 1``, and (0,d,0)(0,D,0) without one;
    4. moves of ``p``, ``q``, ``P``, ``Q`` by one (singly and in pairs) and toggling the
       constant, accepting the first that lowers AICc, until none does, ``max_models`` are
       fitted or ``time_limit`` seconds pass.

    Each candidate is fitted once (a cache of orders) by exact maximum likelihood on the
    differenced series (SARIMAX with ``simple_differencing=True``, the likelihood R's
    ``arima`` maximises, the variance concentrated out, no covariance matrix), or, with
    ``approximation``, by conditional sums of squares (:func:`css_fit`, as R's
    ``method="CSS"``), which is cheaper on long series. AICc counts
    the coefficients and the variance on the differenced observations. Models with AR or MA
    roots inside 1.01 are rejected. With ``approximation`` the ``refine`` best candidates
    are re-estimated by exact maximum likelihood (each started from its CSS estimates, or from
    statsmodels' own start where the exact likelihood cannot start there) and the lowest exact
    AICc is chosen. Without regressors the exact likelihood is evaluated by
    :mod:`forecast.models._arma_likelihood` (the pre-sample values integrated out, Box, Jenkins
    and Reinsel 2008, section 7.1.4), which equals SARIMAX's to 1e-6 and is 2 to 5 times
    cheaper per evaluation; parameters, their transformation, start values and L-BFGS-B
    settings are SARIMAX's, so the estimates are its estimates up to the optimiser's tolerance
    (a monthly M3 search 3.6 times faster; on 141 M3 series 134 forecasts scored within 0.001
    MASE of SARIMAX's fits, 7 chose another optimum). With regressors the exact fits are
    SARIMAX's, treating the Kalman filter as converged once its covariance changes by less
    than 1e-9 (steady state).
    The chosen coefficients are put in a SARIMAX on
    the undifferenced series, whose Kalman filter gives the forecasts, the Gaussian intervals,
    simulated paths and updates with new observations. Those Gaussian bands leave out the
    uncertainty of the order and the coefficients, which on short series is most of it: with
    ``calibrate=None`` a series of fewer than 100 observations gets ``calibrate="auto"`` (the
    bands rescaled by, or replaced with, its errors in inner windows that refit the chosen
    order) and a longer one the Gaussian bands
    (:data:`~forecast.models._calibration.AUTO_WHEN_SHORT`, with the figures).

    R approximates every series longer than 150 because exact fits were costly; with the
    package's own likelihood the exact search costs 1.5 to 2.5 times the CSS search there,
    so ``approximation=None`` approximates only seasons longer than 12 and long series with
    regressors. MASE of backtests, CSS -> exact search: the long daily series of
    ``benchmarks/bench_backtest.py`` (5 windows of 30 days, never used to choose a rule),
    website visitors 1.495 -> 1.289, R page views 1.021 -> 0.722, Peyton Manning page views
    1.198 -> 1.349; monthly retail sales (293 months) 0.352 -> 0.385; Tourism's monthly
    series longer than 150 (37 of a 10% sample) 1.351 -> 1.299; and four more daily series,
    better on two, worse on one, level on one (nine sets: geometric mean of the ratios 0.948;
    BENCHMARKS.md, fifteenth part).

    With covariates or holidays the model is a regression with ARIMA errors,
    :math:`y_t = x_t^\top \beta + u_t` with :math:`u_t` the ARIMA (SARIMAX's ``exog``, as R's
    ``auto.arima(xreg=)``): the differences are chosen on the residuals of a least-squares
    regression of :math:`y` on :math:`x`, every candidate estimates :math:`\beta` with its
    ARMA coefficients (CSS or exact likelihood on the differenced :math:`y` and :math:`x`), and
    forecasts, intervals and paths use the future :math:`x` (given to :meth:`predict` and
    :meth:`sample` for covariates; built from the calendar for holidays). A regressor that is
    constant over the history (a holiday indicator that is zero on every day of a backtest
    window) has no estimable effect: the fit leaves it out, warns (a :class:`ForecastWarning`
    naming the series and the columns) and records it in ``dropped_``; its future values are
    still asked for, as for every covariate of the fit, but not used. Regressors that are
    linear combinations of a constant and the others are refused.

    With ``covariate_decay="estimate"`` the search starts from the decay that fits a
    least-squares regression of the differenced series best, and the chosen order is
    re-estimated at every decay of the grid, keeping the most likely one (a profile
    likelihood; the final AICc counts the decay as a coefficient, the candidates' do not).

    References
    ----------
    .. [1] Hyndman, R. J. and Khandakar, Y. (2008). Automatic time series forecasting: the
       forecast package for R. Journal of Statistical Software, 27(3).
    .. [2] Wang, X., Smith, K. A. and Hyndman, R. J. (2006). Characteristic-based clustering
       for time series data. Data Mining and Knowledge Discovery, 13(3), 335-364.
    .. [3] Box, G. E. P., Jenkins, G. M. and Reinsel, G. C. (2008). Time Series Analysis:
       Forecasting and Control, 4th ed., chapter 11 (transfer function models). Wiley.
    """

    capabilities = Capabilities(min_history=8, updates=True, covariates=True)
    _stored_private = {"_refit_spec": ArimaSpec, "_warm_params": dict}
    estimates_: dict[ArimaSpec, np.ndarray]
    final_estimates_: dict[ArimaSpec, np.ndarray]

    def __init__(
        self,
        *,
        order: tuple[int, int, int] | None = None,
        seasonal_order: tuple[int, ...] | None = None,
        include_constant: bool | None = None,
        max_p: int = 5,
        max_q: int = 5,
        max_P: int = 2,
        max_Q: int = 2,
        max_d: int = 2,
        max_D: int = 1,
        time_limit: float = 60.0,
        max_models: int = 94,
        maxiter: int = 50,
        approximation: bool | None = None,
        refine: int = 1,
        covariate_decay: float | Literal["estimate"] | None = None,
        holidays: str | None = None,
        holidays_lower_window: int = 0,
        holidays_upper_window: int = 0,
        seasonal_period: int | None = None,
        transform: Literal["log"] | None = None,
        freq: str | None = None,
    ) -> None:
        super().__init__(seasonal_period=seasonal_period, transform=transform, freq=freq)
        self.order = check_int_tuple(self.name, "order", order, (3,))
        self.seasonal_order = check_int_tuple(self.name, "seasonal_order", seasonal_order, (3, 4))
        if self.seasonal_order is not None and self.order is None:
            raise ConfigError("arima: seasonal_order needs order as well; pass both or neither.")
        check_choice(self.name, "include_constant", include_constant, (None, True, False))
        check_choice(self.name, "approximation", approximation, (None, True, False))
        self.include_constant = include_constant
        self.max_p = check_int(self.name, "max_p", max_p)
        self.max_q = check_int(self.name, "max_q", max_q)
        self.max_P = check_int(self.name, "max_P", max_P)
        self.max_Q = check_int(self.name, "max_Q", max_Q)
        self.max_d = check_int(self.name, "max_d", max_d)
        self.max_D = check_int(self.name, "max_D", max_D)
        self.time_limit = check_number(
            self.name, "time_limit", time_limit, positive=True, default=60.0
        )
        self.max_models = check_int(self.name, "max_models", max_models, minimum=1)
        self.maxiter = check_int(self.name, "maxiter", maxiter, minimum=1)
        self.approximation = approximation
        self.refine = check_int(self.name, "refine", refine, minimum=1)
        self.covariate_decay: float | Literal["estimate"] | None = (
            covariate_decay
            if covariate_decay is None or covariate_decay == "estimate"
            else check_number(
                self.name, "covariate_decay", covariate_decay, minimum=0, maximum=0.99
            )
        )
        self.holidays = None if holidays is None else check_country(holidays)
        self.holidays_lower_window = check_int(
            self.name, "holidays_lower_window", holidays_lower_window, minimum=-366, maximum=0
        )
        self.holidays_upper_window = check_int(
            self.name, "holidays_upper_window", holidays_upper_window, maximum=366
        )
        self._warm_params: dict[ArimaSpec, np.ndarray] = {}
        self._warm_final: dict[ArimaSpec, np.ndarray] = {}
        self._refit_spec: ArimaSpec | None = None

    def fewest_observations(self, seasonal_period: int) -> int:
        """Fewest observations of a fit: ``2 m + 2`` once a seasonal order was chosen.

        The search considers seasonal orders only on series of that length, so a copy that
        refits a chosen seasonal order (:meth:`_specified_clone`, in the calibration's inner
        windows) needs as many; otherwise ``capabilities.min_history``.
        """
        own = super().fewest_observations(seasonal_period)
        spec = getattr(self, "spec_", None) or self._refit_spec
        if spec is None or spec.m < 2:
            return own
        return max(own, 2 * spec.m + 2)

    def _specified_clone(self) -> ARIMA:
        """Return an unfitted copy fixed to the order this fit chose (no search on refit).

        A searched order is refitted as the search estimated it (:func:`exact_fit`: exact
        likelihood of the differenced series, variance concentrated out), started from this
        fit's estimates; a fixed ``order`` keeps statsmodels' full fit, as documented. Called
        once ``_fit`` has chosen the order: by :meth:`_calibration_template` before the fit
        ends, and by ``auto`` on its fitted members.
        """
        fixed = self.clone()
        if self.order is not None:
            fixed._warm_params = {self.spec_: np.asarray(self.results_.params, dtype=float)}
            return fixed
        fixed._refit_spec = self.spec_
        start = self.final_estimates_.get(self.spec_, self.estimates_.get(self.spec_))
        fixed._warm_params = {} if start is None else {self.spec_: start}
        return fixed

    def warm_start(self, previous: BaseModel) -> None:
        """Start the next ``fit``'s estimates of each order from those of ``previous``.

        Every order that ``previous`` (a fitted ``arima``) estimated is started from its
        coefficients instead of statsmodels' default start, which saves optimiser iterations
        between backtest windows; the search itself is unchanged.

        Raises
        ------
        ConfigError
            ``previous`` is not a fitted ARIMA model.
        """
        if not isinstance(previous, ARIMA) or not previous.is_fitted:
            raise ConfigError("arima: warm_start needs a fitted 'arima' model to start from.")
        self._warm_params = dict(previous.estimates_)
        self._warm_final = dict(previous.final_estimates_)

    # ------------------------------------------------------------------------------- fitting
    def _fit(self, data: pd.DataFrame, retention: pd.DataFrame | None) -> None:
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        y = data[Y].to_numpy(dtype=float)
        raw = self._history_regressors(data)
        columns = self._decayed_columns()
        estimate_decay = self.covariate_decay == "estimate" and columns > 0
        decay = self.covariate_decay
        self.decay_ = float(decay) if isinstance(decay, float | int) and columns > 0 else 0.0
        if self._refit_spec is not None and not estimate_decay and self._refit_exactly(y, raw):
            return
        if self.order is not None or self._refit_spec is not None:
            spec = self._refit_spec or self._fixed_spec(self.order)  # type: ignore[arg-type]
            if estimate_decay and raw is not None:
                x = raw.to_numpy(dtype=float)
                self.decay_ = profile_decay(y, x, columns, spec, self.maxiter)[0]
            exog = self._decayed_history(raw)
            start = self._warm_params.get(spec)
            with quiet_estimation():
                model = SARIMAX(
                    y,
                    exog=exog,
                    order=spec.order,
                    seasonal_order=spec.seasonal_order,
                    trend=spec.trend,
                )
                if start is None and exog is not None:
                    css = regression_start(y, spec, exog.to_numpy(dtype=float))
                    start = None if css is None else np.r_[css, np.var(y)]
                if start is not None and len(start) != model.k_params:
                    start = None
                self.results_ = model.fit(
                    start_params=start, disp=False, maxiter=self.maxiter, cov_type="none"
                )
            self.estimates_ = {spec: np.asarray(self.results_.params, dtype=float)}
            self.final_estimates_ = {}
            self.spec_, self.candidates_ = (
                spec,
                pd.DataFrame({"spec": [spec.label], "aicc": [np.nan]}),
            )
            self.params_ = self._params(stopped=None, n_models=1, score=float(self.results_.aicc))
            return
        search = self._search(y, raw, estimate_decay)
        spec = min(search.scores, key=lambda s: (search.scores[s], s))
        if not np.isfinite(search.scores[spec]):
            raise FitError(
                f"arima: no candidate model could be fitted to series {self.series_id_!r}; "
                "try transform='log' or a fixed order."
            )
        self.final_estimates_ = {}
        exact_scores: dict[ArimaSpec, float] = {}
        with quiet_estimation():
            params, loglike, n_used, sigma2 = search.estimates[spec]
            if estimate_decay and raw is not None:
                x = raw.to_numpy(dtype=float)
                self.decay_, estimate = profile_decay(y, x, columns, spec, self.maxiter)
                params, loglike, n_used, sigma2 = estimate
                self.final_estimates_ = {spec: params}
            elif search.approximation:
                try:
                    spec, estimate, exact_scores = search.refine(self.refine, self._warm_final)
                except ValueError as err:
                    raise FitError(
                        f"arima: {err} for series {self.series_id_!r}; try "
                        "approximation=False or a fixed order."
                    ) from err
                params, loglike, n_used, sigma2 = estimate
                self.final_estimates_ = {spec: params}
            model = SARIMAX(
                y,
                exog=self._decayed_history(raw),
                order=spec.order,
                seasonal_order=spec.seasonal_order,
                trend=spec.trend,
            )
            self.results_ = model.smooth(np.r_[params, sigma2])
        score = aicc(loglike, len(params) + 1 + int(estimate_decay), n_used)
        self.estimates_ = {s: estimate[0] for s, estimate in search.estimates.items()}
        self.spec_ = spec
        self.candidates_ = pd.DataFrame(
            {"spec": [s.label for s in search.scores], "aicc": list(search.scores.values())}
        )
        if search.approximation and not estimate_decay:
            self.candidates_["aicc_exact"] = [exact_scores.get(s, np.nan) for s in search.scores]
        self.params_ = self._params(
            stopped=search.stopped, n_models=len(search.scores), score=score
        )

    def _refit_exactly(self, y: np.ndarray, raw: pd.DataFrame | None) -> bool:
        """Refit ``_refit_spec`` as the search estimates an order; False when it cannot.

        The path of :meth:`_specified_clone`'s copies (``auto``'s calibration windows). A
        failed estimate leaves the caller to statsmodels' full fit of the same order.
        """
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        spec = self._refit_spec
        assert spec is not None
        exog = self._decayed_history(raw)
        x = None if exog is None else exog.to_numpy(dtype=float)
        with quiet_estimation():
            try:
                params, loglike, n_used, sigma2 = exact_fit(
                    y, spec, self.maxiter, self._warm_params.get(spec), x
                )
            except (ValueError, np.linalg.LinAlgError):
                return False
            if not (np.isfinite(loglike) and sigma2 > 0):
                return False
            model = SARIMAX(
                y, exog=exog, order=spec.order, seasonal_order=spec.seasonal_order, trend=spec.trend
            )
            self.results_ = model.smooth(np.r_[params, sigma2])
        self.estimates_ = {spec: params}
        self.final_estimates_ = {spec: params}
        self.spec_ = spec
        self.candidates_ = pd.DataFrame({"spec": [spec.label], "aicc": [np.nan]})
        score = aicc(loglike, len(params) + 1, n_used)
        self.params_ = self._params(stopped=None, n_models=1, score=score)
        return True

    def _fixed_spec(self, order: tuple[int, ...]) -> ArimaSpec:
        p, d, q = order
        P, D, Q, m = (
            (tuple(self.seasonal_order) + (self.seasonal_period_,))[:4]
            if self.seasonal_order
            else (0, 0, 0, 0)
        )
        if (P or D or Q) and m < 2:
            raise ConfigError(
                f"arima: a seasonal order needs a season of at least 2 steps, not {m}."
            )
        constant = (d + D == 0) if self.include_constant is None else bool(self.include_constant)
        return ArimaSpec(p, d, q, P, D, Q, m if (P or D or Q) else 0, constant)

    def _search(self, y: np.ndarray, raw: pd.DataFrame | None, estimate_decay: bool) -> Search:
        m = self.seasonal_period_
        seasonal = m > 1 and len(y) >= 2 * m + 2
        regressors = None if raw is None else raw.to_numpy(dtype=float)
        columns = self._decayed_columns()
        if regressors is not None and not estimate_decay:
            regressors = decayed(regressors, self.decay_, columns)
        D, d = self._differences(y, regressors, seasonal)
        if regressors is not None and estimate_decay:
            # The decay that fits the differences best, then the differences at that decay.
            self.decay_ = least_squares_decay(y, regressors, columns, d, D, m)
            regressors = decayed(regressors, self.decay_, columns)
            D, d = self._differences(y, regressors, seasonal)
        toggle = self.include_constant is None and d + D <= 1
        constant = d + D <= 1 if self.include_constant is None else bool(self.include_constant)
        max_P = self.max_P if seasonal else 0
        max_Q = self.max_Q if seasonal else 0
        limits = {"p": self.max_p, "q": self.max_q, "P": max_P, "Q": max_Q}
        base = ArimaSpec(0, d, 0, 0, D, 0, m if seasonal else 0, constant)
        starts = [
            base.replace(
                p=min(2, self.max_p), q=min(2, self.max_q), P=min(1, max_P), Q=min(1, max_Q)
            ),
            base,
            base.replace(p=min(1, self.max_p), P=min(1, max_P)),
            base.replace(q=min(1, self.max_q), Q=min(1, max_Q)),
        ]
        if constant and toggle:
            starts.append(base.replace(constant=False))
        approximation = self.approximation
        if approximation is None:
            approximation = m > 12 or (len(y) > 150 and regressors is not None)
        search = Search(
            y,
            self.max_models,
            time.monotonic() + self.time_limit,
            self.maxiter,
            approximation,
            dict(self._warm_params),
            exog=regressors,
        )
        with quiet_estimation():
            for spec in starts:
                if not search.exhausted():
                    search.score(spec)
            best = min(search.scores, key=lambda s: (search.scores[s], s))
            improved = True
            while improved and not search.exhausted():
                improved = False
                for candidate in neighbours(best, limits, toggle):
                    if search.exhausted():
                        break
                    if search.score(candidate) < search.scores[best]:
                        best, improved = candidate, True
                        break
        return search

    def _differences(
        self, y: np.ndarray, regressors: np.ndarray | None, seasonal: bool
    ) -> tuple[int, int]:
        """Seasonal and regular differences, chosen on the regression's residuals (R's way)."""
        m = self.seasonal_period_
        errors = y if regressors is None else regression_residuals(y, regressors)
        D = seasonal_ndiffs(errors, m, self.max_D) if seasonal else 0
        x = errors[m * D :] - errors[: len(y) - m * D] if D else errors
        return D, kpss_ndiffs(x, self.max_d)

    def _params(self, *, stopped: str | None, n_models: int, score: float) -> dict[str, object]:
        out: dict[str, object] = {
            "spec": self.spec_.label,
            "order": self.spec_.order,
            "seasonal_order": self.spec_.seasonal_order,
            "constant": self.spec_.constant,
            "aicc": score,
            "n_models": n_models,
            "stopped": stopped,
            "dropped_regressors": self.dropped_,
            "covariate_decay": self.decay_,
        }
        names = self.results_.model.param_names
        out.update(
            {
                str(k): float(v)
                for k, v in zip(names, np.asarray(self.results_.params, dtype=float), strict=True)
            }
        )
        return out

    def _update(self, data: pd.DataFrame) -> None:
        y = data[Y].to_numpy(dtype=float)
        fitted = int(self.results_.nobs)
        if len(y) < fitted:
            raise ConfigError(
                f"arima: update needs the fitted history plus new observations; got {len(y)} "
                f"observations for a model fitted on {fitted}."
            )
        if len(y) > fitted:
            exog = None
            if self.regressors_:
                full = self._decay(self._fitted_regressors(data))
                exog = full[fitted:]
                self.decay_state_ = full[-1, : self._decayed_columns()]
            with quiet_estimation():
                self.results_ = self.results_.append(y[fitted:], exog=exog, refit=False)

    # ---------------------------------------------------------------------------- forecasting
    def _predict(self, h: int, levels: tuple[float, ...]) -> tuple[np.ndarray, Intervals]:
        exog = self._future_regressors(h)
        with quiet_estimation():
            forecast = self.results_.get_forecast(h, exog=exog)
        point = np.asarray(forecast.predicted_mean, dtype=float)
        intervals: Intervals = {}
        for level in levels:
            bounds = np.asarray(forecast.conf_int(alpha=1.0 - level / 100.0), dtype=float)
            intervals[level] = (bounds[:, 0], bounds[:, 1])
        return point, intervals

    def _sample(self, h: int, n: int, rng: np.random.Generator) -> np.ndarray:
        exog = self._future_regressors(h)
        if exog is None:
            return simulate_paths(self.results_, h, n, rng)
        with quiet_estimation():
            paths = self.results_.simulate(h, anchor="end", repetitions=n, rng=rng, exog=exog)
        return np.asarray(paths, dtype=float).reshape(h, n).T
