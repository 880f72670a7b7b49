"""Prophet (growth, seasonalities, holidays, covariates) with intervals at any levels."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Literal

import numpy as np
import pandas as pd

from forecast.errors import ConfigError, FitError
from forecast.models._params import check_choice, check_int, check_number, check_optional_number
from forecast.models._prophet_backend import (
    backend,
    future_features,
    import_prophet,
    numpy_seed,
    quiet_prophet,
)
from forecast.models.base import BaseModel, Capabilities, Intervals, quantile_intervals
from forecast.models.registry import register
from forecast.schema import DS, Y

__all__ = ["ProphetModel", "quiet_prophet"]

_CAP_MARGIN = 0.2
"""An estimated capacity is the largest value of the history plus 20% of its magnitude."""
_MAX_WINDOW = 366
"""Longest holiday window, in days on either side."""


def _check_holidays(holidays: object) -> str | pd.DataFrame | None:
    """Return ``holidays`` if it is None, a supported country code or a frame of holidays.

    Raises
    ------
    ConfigError
        Anything else, an unknown country code or a frame without ``holiday`` and ``ds``.
    """
    if holidays is None:
        return None
    if isinstance(holidays, str):
        from forecast.holidays import check_country

        return check_country(holidays)
    if not isinstance(holidays, pd.DataFrame) or not {"holiday", DS} <= set(holidays.columns):
        raise ConfigError(
            "prophet: holidays must be a country code such as 'CN' or 'US', or a DataFrame "
            "with columns 'holiday' and 'ds' (and optionally 'lower_window', 'upper_window', "
            "'prior_scale')."
        )
    return holidays


@register("prophet")
class ProphetModel(BaseModel):
    r"""Prophet: piecewise linear or logistic trend, seasonalities and holidays.

    Parameters
    ----------
    growth : {"linear", "logistic", "flat"}
        Trend of the model.
    cap : float, optional
        Capacity of logistic growth (on the scale of the fitted values, i.e. of ``log(y)``
        with ``transform="log"``). When omitted, it is estimated as
        ``max(y) + 0.2 * |max(y)|`` (1.2 times the largest value of a positive history).
    floor : float, optional
        Saturating minimum of logistic growth (Prophet's default is 0).
    seasonalities : sequence of dict, optional
        Extra seasonalities, each passed to ``Prophet.add_seasonality`` (keys ``name``,
        ``period``, ``fourier_order`` and optionally ``prior_scale``, ``mode``).
    holidays : str or DataFrame, optional
        A country code of the ``holidays`` library (``"CN"``, ``"US"``): that country's public
        holidays, with the windows below, built by :func:`forecast.holidays.holiday_frame` for
        the history and for every forecast's dates. Or a frame of holidays and events
        (``holiday``, ``ds``, optional ``lower_window``, ``upper_window``, ``prior_scale``),
        passed to Prophet unchanged; it must hold the future occurrences too, as Prophet says.
    holidays_lower_window, holidays_upper_window : int
        Days before (``lower``, zero or negative, as Prophet's ``lower_window``) and after
        (``upper``, zero or positive) each holiday of a country code that share its effect;
        a frame carries its own windows in its columns.
    regressor_prior_scale : float, optional
        Prior scale of the covariates' coefficients (Prophet's ``add_regressor``; by default
        ``holidays_prior_scale``).
    regressor_mode : {"additive", "multiplicative"}, optional
        How the covariates enter (by default ``seasonality_mode``).
    yearly_seasonality, weekly_seasonality, daily_seasonality : {"auto"} or bool or int
        As in Prophet (an int is a Fourier order).
    seasonality_mode : {"additive", "multiplicative"}
    changepoint_prior_scale, seasonality_prior_scale, holidays_prior_scale : float
    n_changepoints : int
    changepoint_range : float
    uncertainty_samples : int
        Predictive paths simulated once per ``predict`` call; every level's interval is a
        pair of quantiles of the same paths.
    seed : int
        Seed of those paths (numpy's global generator is seeded for the call and restored).
    warm_min_history : int
        Fewest observations for which :meth:`warm_start` takes effect. Below it a fit starts
        from Prophet's own initial values, as Prophet does. The in-process optimiser reaches
        the same optimum from either start (backtest MASE equal to four decimals on the five
        benchmark sets); on the daily sets (2,000 to 2,900 observations) a warm start from the
        previous window saved 20% to 25% of its iterations, on the monthly ones (100 to 300)
        it saved none consistently (air passengers 25 and 25 iterations against 31 and 29,
        retail sales 41 and 59 against 43 and 42).
    seasonal_period, transform, freq
        See :class:`~forecast.models.base.BaseModel`; ``seasonal_period`` is not used
        (Prophet's seasonalities are set by the options above).

    Attributes
    ----------
    model_ : prophet.Prophet
        The fitted Prophet object.
    cap_ : float or None
        The capacity used (given or estimated) for logistic growth.
    params_ : dict
        ``k`` (base growth rate), ``m`` (offset), ``sigma_obs``, ``n_changepoints``,
        ``delta_mean_abs`` and ``delta_max_abs`` (rate changes), ``cap`` and ``floor``;
        ``k``, ``m`` and ``delta`` are on Prophet's scaled axis (``y / y_scale``).
    stan_init_ : dict
        The MAP estimates (``k``, ``m``, ``sigma_obs``, ``delta``, ``beta``) in the form of
        Prophet's initial values; :meth:`warm_start` passes them to the next fit.
    covariates_ : tuple of str
        The covariates, each added with Prophet's ``add_regressor`` (standardised when not
        binary, as Prophet does); their coefficients are in ``params_`` as ``beta_<name>``
        (on Prophet's scale: per standard deviation of the covariate, in units of
        ``y_scale``). Forecasts need their future values (``covariates=`` of
        :meth:`predict` and :meth:`sample`).

    Notes
    -----
    :math:`y(t) = g(t) + s(t) + h(t) + x(t)^\top \beta + \varepsilon_t` (covariates
    :math:`x`, Prophet's extra regressors), fitted by Prophet's MAP estimate.
    Prophet does all its own work (scaling, changepoints, seasonality and holiday features,
    priors, the trend and the predictive simulation); only the optimisation of the posterior it
    hands to its Stan backend is done differently. For linear and flat trends it runs
    in-process with scipy (:mod:`forecast.models._prophet_map`: the log posterior of Prophet's
    Stan model, Stan's ``lp__``, maximised by SLSQP with the Laplace prior on the rate changes
    handled exactly), instead of starting CmdStan's ``optimize`` (a process start, data and
    output files, L-BFGS), which made most of a fit's time; its optimum is at least as high as
    CmdStan's, whose L-BFGS stops a little short of it, so estimates differ from Prophet's in
    the digits CmdStan leaves unconverged. On Peyton Manning's daily page views with the
    playoff and Super Bowl holidays of Prophet's documentation, L-BFGS stops at a log posterior
    of 8154.96 (8155.28 with every tolerance at its smallest), the in-process optimiser reaches
    8155.91 and forecasts differ by up to 1.3e-3 over 365 days; CmdStan's Newton optimiser
    (``Prophet.fit(algorithm="Newton")``) reaches the same optimum, and the forecasts then agree
    within 4e-6 (``benchmarks/bench_holidays.py``). Logistic growth, whose trend is a nonlinear
    recursion over the changepoints, and any optimisation that does not report convergence
    (e.g. a posterior without a mode, when the features can interpolate a short history), are
    fitted by CmdStan as in Prophet. The point forecast is Prophet's ``yhat``. Intervals come
    from one predictive simulation of ``uncertainty_samples`` paths (Prophet's vectorised
    simulation: trend changes drawn into the future plus Gaussian noise), whose quantiles give
    every requested level, so no level needs a refit (Prophet's own ``interval_width`` is one
    level per model). ``yhat`` and the paths share one set-up of the future frame and one
    build of its seasonality features, and the history is never predicted. Out of sample these
    bands under-cover (67% and 84% at 80% and 95% on the long backtest series, 21% and 35% on
    quarterly user counts), so by default (``calibrate=None``) they are calibrated on the
    model's errors in 5 inner windows, per series conformal bands or Prophet's own rescaled,
    whichever scored better with each window left out (``calibrate="auto"``, about 5 times a
    fit's cost; :data:`~forecast.models._calibration.AUTO_BY_DEFAULT`); ``calibrate=False``
    keeps Prophet's own.

    References
    ----------
    .. [1] Taylor, S. J. and Letham, B. (2018). Forecasting at scale. The American
       Statistician, 72(1), 37-45.
    """

    capabilities = Capabilities(min_history=3, irregular=True, covariates=True, holidays=True)

    def __init__(
        self,
        *,
        growth: Literal["linear", "logistic", "flat"] = "linear",
        cap: float | None = None,
        floor: float | None = None,
        seasonalities: Sequence[Mapping[str, Any]] = (),
        holidays: str | pd.DataFrame | None = None,
        holidays_lower_window: int = 0,
        holidays_upper_window: int = 0,
        yearly_seasonality: bool | int | Literal["auto"] = "auto",
        weekly_seasonality: bool | int | Literal["auto"] = "auto",
        daily_seasonality: bool | int | Literal["auto"] = "auto",
        seasonality_mode: Literal["additive", "multiplicative"] = "additive",
        changepoint_prior_scale: float = 0.05,
        seasonality_prior_scale: float = 10.0,
        holidays_prior_scale: float = 10.0,
        regressor_prior_scale: float | None = None,
        regressor_mode: Literal["additive", "multiplicative"] | None = None,
        n_changepoints: int = 25,
        changepoint_range: float = 0.8,
        uncertainty_samples: int = 1000,
        seed: int = 0,
        warm_min_history: int = 1000,
        seasonal_period: int | None = None,
        transform: Literal["log"] | None = None,
        freq: str | None = None,
    ) -> None:
        super().__init__(seasonal_period=seasonal_period, transform=transform, freq=freq)
        name = self.name
        check_choice(name, "growth", growth, ("linear", "logistic", "flat"))
        self.cap = check_optional_number(name, "cap", cap)
        self.floor = check_optional_number(name, "floor", floor)
        if (cap is not None or floor is not None) and growth != "logistic":
            raise ConfigError("prophet: cap and floor apply to growth='logistic' only.")
        if self.cap is not None and self.floor is not None and not self.cap > self.floor:
            raise ConfigError(f"prophet: cap ({cap}) must be greater than floor ({floor}).")
        self.holidays = _check_holidays(holidays)
        self.holidays_lower_window = check_int(
            name, "holidays_lower_window", holidays_lower_window, minimum=-_MAX_WINDOW, maximum=0
        )
        self.holidays_upper_window = check_int(
            name, "holidays_upper_window", holidays_upper_window, maximum=_MAX_WINDOW
        )
        if isinstance(holidays, pd.DataFrame) and (holidays_lower_window or holidays_upper_window):
            raise ConfigError(
                "prophet: holidays_lower_window and holidays_upper_window apply to a country "
                "code; a holidays frame carries its windows in its 'lower_window' and "
                "'upper_window' columns."
            )
        for extra in seasonalities:
            missing = {"name", "period", "fourier_order"} - set(extra)
            if missing:
                raise ConfigError(
                    f"prophet: seasonality {dict(extra)!r} lacks {', '.join(sorted(missing))}."
                )
        for key, value in (
            ("yearly_seasonality", yearly_seasonality),
            ("weekly_seasonality", weekly_seasonality),
            ("daily_seasonality", daily_seasonality),
        ):
            if not isinstance(value, bool) and value != "auto":
                check_int(name, key, value, minimum=1)
        check_choice(name, "seasonality_mode", seasonality_mode, ("additive", "multiplicative"))
        self.growth = growth
        self.seasonalities = [dict(extra) for extra in seasonalities]
        self.yearly_seasonality = yearly_seasonality
        self.weekly_seasonality = weekly_seasonality
        self.daily_seasonality = daily_seasonality
        self.seasonality_mode = seasonality_mode
        self.changepoint_prior_scale = check_number(
            name, "changepoint_prior_scale", changepoint_prior_scale, positive=True, default=0.05
        )
        self.seasonality_prior_scale = check_number(
            name, "seasonality_prior_scale", seasonality_prior_scale, positive=True, default=10.0
        )
        self.holidays_prior_scale = check_number(
            name, "holidays_prior_scale", holidays_prior_scale, positive=True, default=10.0
        )
        self.regressor_prior_scale = check_optional_number(
            name, "regressor_prior_scale", regressor_prior_scale, positive=True
        )
        check_choice(name, "regressor_mode", regressor_mode, (None, "additive", "multiplicative"))
        self.regressor_mode = regressor_mode
        self.n_changepoints = check_int(name, "n_changepoints", n_changepoints)
        self.changepoint_range = check_number(
            name, "changepoint_range", changepoint_range, minimum=0.0, maximum=1.0
        )
        self.uncertainty_samples = check_int(
            name, "uncertainty_samples", uncertainty_samples, minimum=1
        )
        self.seed = check_int(name, "seed", seed)
        self.warm_min_history = check_int(name, "warm_min_history", warm_min_history)
        self._warm_init: dict[str, Any] | None = None

    # ------------------------------------------------------------------------------- fitting
    def prophet_settings(self) -> dict[str, Any]:
        """Keyword arguments of ``prophet.Prophet`` this model uses (for direct comparisons).

        With a country code, ``holidays`` is the frame built for the fitted history (None
        before ``fit``).
        """
        holidays = self.holidays
        if isinstance(holidays, str):
            holidays = getattr(self, "holidays_frame_", None)
        return {
            "growth": self.growth,
            "holidays": holidays,
            "yearly_seasonality": self.yearly_seasonality,
            "weekly_seasonality": self.weekly_seasonality,
            "daily_seasonality": self.daily_seasonality,
            "seasonality_mode": self.seasonality_mode,
            "changepoint_prior_scale": self.changepoint_prior_scale,
            "seasonality_prior_scale": self.seasonality_prior_scale,
            "holidays_prior_scale": self.holidays_prior_scale,
            "n_changepoints": self.n_changepoints,
            "changepoint_range": self.changepoint_range,
            "uncertainty_samples": 0,
        }

    def warm_start(self, previous: BaseModel) -> None:
        """Start the next ``fit`` from the MAP estimates of ``previous`` (a fitted ``prophet``).

        The estimates are passed to the optimiser as initial values (``Prophet.fit(init=...)``)
        when the next history has at least ``warm_min_history`` observations; the optimum is
        the same up to the optimiser's tolerance, reached in fewer iterations.

        Raises
        ------
        ConfigError
            ``previous`` is not a fitted Prophet model.
        """
        if not isinstance(previous, ProphetModel) or not previous.is_fitted:
            raise ConfigError("prophet: warm_start needs a fitted 'prophet' model to start from.")
        self._warm_init = previous.stan_init_

    def _frame(
        self, ds: pd.Series | pd.DatetimeIndex, covariates: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """Build Prophet's input frame: ``ds``, ``cap`` and ``floor``, the covariates.

        Logistic growth's ``cap`` and ``floor``; the covariates' columns come from
        ``covariates``, in the order of ``covariates_``.
        """
        frame = pd.DataFrame({DS: pd.DatetimeIndex(ds)})
        if self.growth == "logistic":
            frame["cap"] = self.cap_
            if self.floor is not None:
                frame["floor"] = self.floor
        for name in self.covariates_:
            frame[name] = np.asarray(covariates[name], dtype=float)  # type: ignore[index]
        return frame

    def _holiday_frame(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """Build the country's holidays from ``start`` to ``end`` (Prophet's form, windows)."""
        from forecast.holidays import holiday_frame

        return holiday_frame(
            str(self.holidays),
            start,
            end,
            lower_window=self.holidays_lower_window,
            upper_window=self.holidays_upper_window,
        )

    @contextmanager
    def _holidays_until(self, end: pd.Timestamp) -> Iterator[None]:
        """Give the fitted Prophet a country's holidays up to ``end`` for one forecast.

        Prophet reads the holidays of the forecast's dates from its ``holidays`` frame, which
        for a country code covers the history only; it is extended for the call and restored.
        """
        if not isinstance(self.holidays, str):
            yield
            return
        model = self.model_
        saved = model.holidays
        model.holidays = self._holiday_frame(self.first_ds_, end)
        try:
            yield
        finally:
            model.holidays = saved

    def _fit(self, data: pd.DataFrame, retention: pd.DataFrame | None) -> None:
        import_prophet()
        from prophet import Prophet

        y = data[Y].to_numpy(dtype=float)
        self.cap_ = None
        if self.growth == "logistic":
            top = float(np.max(y))
            self.cap_ = self.cap if self.cap is not None else top + _CAP_MARGIN * abs(top)
            if self.floor is not None and not self.cap_ > self.floor:
                raise ConfigError(
                    f"prophet: the capacity {self.cap_:g} of series {self.series_id_!r} is not "
                    f"above floor {self.floor:g}; pass a larger cap."
                )
        self.first_ds_ = data[DS].iloc[0]
        if isinstance(self.holidays, str):
            self.holidays_frame_ = self._holiday_frame(self.first_ds_, data[DS].iloc[-1])
        history = self._frame(data[DS], data)
        history[Y] = y
        warm = self._warm_init is not None and len(y) >= self.warm_min_history
        kwargs = {"init": self._warm_init} if warm else {}
        with quiet_prophet():
            model = Prophet(**self.prophet_settings())
            model.stan_backend = backend()()
            for extra in self.seasonalities:
                model.add_seasonality(**extra)
            for covariate in self.covariates_:
                model.add_regressor(
                    covariate, prior_scale=self.regressor_prior_scale, mode=self.regressor_mode
                )
            model.fit(history, **kwargs)
        if model.y_scale is None:
            raise FitError(
                f"prophet did not scale series {self.series_id_!r} (its y_scale is unset after "
                "fit); check the installed prophet version."
            )
        self.model_ = model
        params = model.params
        delta = np.asarray(params["delta"], dtype=float)[0]
        self.stan_init_ = {
            "k": float(params["k"][0][0]),
            "m": float(params["m"][0][0]),
            "sigma_obs": float(params["sigma_obs"][0][0]),
            "delta": delta.copy(),
            "beta": np.asarray(params["beta"], dtype=float)[0].copy(),
        }
        self.params_ = {
            "k": self.stan_init_["k"],
            "m": self.stan_init_["m"],
            "sigma_obs": self.stan_init_["sigma_obs"],
            "n_changepoints": int(delta.size),
            "delta_mean_abs": float(np.mean(np.abs(delta))) if delta.size else 0.0,
            "delta_max_abs": float(np.max(np.abs(delta))) if delta.size else 0.0,
            "y_scale": float(model.y_scale),
            "cap": self.cap_,
            "floor": self.floor,
            **self._covariate_params(),
        }

    def _covariate_params(self) -> dict[str, float]:
        """Each covariate's coefficient per unit (Prophet's ``regressor_coefficients``)."""
        if not self.covariates_:
            return {}
        from prophet.utilities import regressor_coefficients

        table = regressor_coefficients(self.model_)
        return {
            f"beta_{name}": float(coef)
            for name, coef in zip(table["regressor"], table["coef"], strict=True)
        }

    # ---------------------------------------------------------------------------- forecasting
    def _forecast(self, h: int, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """Prophet's ``yhat`` for the next ``h`` dates and ``n`` predictive paths ``(n, h)``.

        The future frame is set up and its seasonality features built once; ``yhat`` is
        Prophet's ``trend * (1 + multiplicative) + additive`` from them, and the paths come
        from Prophet's vectorised simulation (``sample_model_vectorized``) on the same features
        with numpy's global generator seeded for the call and restored after (``n=0``: no
        paths, an empty ``(0, h)`` array). The covariates' future values come from
        ``covariates=`` of :meth:`predict` or :meth:`sample`, and a country's holidays are
        built up to the last forecast date.
        """
        model = self.model_
        dates = self.future_dates(h)
        covariates = self._future_covariates(h) if self.covariates_ else None
        with quiet_prophet(), self._holidays_until(dates[-1]):
            frame = model.setup_dataframe(self._frame(dates, covariates))
            features, columns = future_features(model, frame)
            beta = np.asarray(model.params["beta"], dtype=float)[0]
            x = features.to_numpy(dtype=float)
            additive = x @ (beta * columns["additive_terms"].to_numpy(dtype=float)) * model.y_scale
            multiplicative = x @ (beta * columns["multiplicative_terms"].to_numpy(dtype=float))
            point = (
                np.asarray(model.predict_trend(frame), dtype=float) * (1 + multiplicative)
                + additive
            )
            if n == 0:
                return point, np.empty((0, h))
            with numpy_seed(seed):
                sims = model.sample_model_vectorized(
                    df=frame,
                    seasonal_features=features,
                    iteration=0,
                    s_a=columns["additive_terms"],
                    s_m=columns["multiplicative_terms"],
                    n_samples=n,
                )
        return point, np.stack([np.asarray(sim["yhat"], dtype=float) for sim in sims])

    def _predict(self, h: int, levels: tuple[float, ...]) -> tuple[np.ndarray, Intervals]:
        point, paths = self._forecast(h, self.uncertainty_samples if levels else 0, self.seed)
        return point, quantile_intervals(paths, levels) if levels else {}

    def _sample(self, h: int, n: int, rng: np.random.Generator) -> np.ndarray:
        return self._forecast(h, n, int(rng.integers(2**32 - 1)))[1]
