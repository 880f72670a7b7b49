"""Prophet (linear or logistic growth, seasonalities, holidays) with intervals at any levels."""

from __future__ import annotations

import functools
import json
import logging
import tempfile
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from forecast.errors import ConfigError, FitError
from forecast.models._params import check_choice, check_int, check_number, check_optional_number
from forecast.models._prophet_map import IN_PROCESS_TRENDS, MapResult, map_estimate
from forecast.models.base import BaseModel, Capabilities, Intervals, quantile_intervals
from forecast.models.registry import register
from forecast.schema import DS, Y

__all__ = ["ProphetModel", "quiet_prophet"]

_LOGGERS = ("prophet", "cmdstanpy")
_CAP_MARGIN = 0.2
"""An estimated capacity is the largest value of the history plus 20% of its magnitude."""


def _import_prophet() -> None:
    """Import Prophet once, dropping the error its plotting module logs on import.

    Prophet's plotting module logs an error when the optional plotly is absent; this package
    draws its own plots and never uses Prophet's.
    """
    logger = logging.getLogger("prophet.plot")
    previous = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        import prophet  # noqa: F401
    finally:
        logger.setLevel(previous)


@contextmanager
def quiet_prophet(level: int = logging.WARNING) -> Iterator[None]:
    """Quiet Prophet and cmdstanpy for the duration of a block.

    Their loggers' INFO messages (disabled seasonalities, chain start and end) are dropped;
    warnings and errors still show. Deprecation warnings that pandas raises about Prophet's
    own code (``inplace=`` and the like) are ignored: the caller cannot act on them. Logger
    levels and warning filters are restored on exit, so nothing changes globally.
    """
    from cmdstanpy.utils import get_logger

    get_logger()  # cmdstanpy configures its logger on first use; let it happen before saving
    loggers = [logging.getLogger(name) for name in _LOGGERS]
    saved = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(max(level, logger.getEffectiveLevel()))
    try:
        with warnings.catch_warnings():
            for category in (DeprecationWarning, FutureWarning, PendingDeprecationWarning):
                warnings.filterwarnings("ignore", category=category, module=r"prophet(\..*)?$")
            yield
    finally:
        for logger, previous in zip(loggers, saved, strict=True):
            logger.setLevel(previous)


@contextmanager
def _numpy_seed(seed: int) -> Iterator[None]:
    """Seed numpy's global generator (which Prophet samples from) and restore its state after."""
    # Prophet draws its paths from numpy's legacy global generator, so that one is seeded.
    state = np.random.get_state()  # noqa: NPY002
    np.random.seed(seed)  # noqa: NPY002
    try:
        yield
    finally:
        np.random.set_state(state)  # noqa: NPY002


def _json_scalar(value: Any) -> Any:
    """Convert numpy scalars to Python numbers, for ``json.dumps``."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"prophet: cannot write {type(value).__name__} to Stan's JSON data.")


@functools.cache
def _backend() -> type:
    """Prophet's Stan backend, with the MAP of linear and flat trends computed in-process.

    Prophet hands its backend's ``fit`` the model's data and initial values after all its own
    work (scaling, changepoints, seasonality and holiday features, priors). For a linear or
    flat trend this backend maximises the same log posterior with scipy
    (:func:`~forecast.models._prophet_map.map_estimate`) instead of launching CmdStan, and
    returns the estimates in the shapes ``CmdStanPyBackend.fit`` returns. Logistic growth, and
    any call the in-process optimiser does not report as converged, go to CmdStan as in
    Prophet, with Stan's data file written by the C JSON encoder: cmdstanpy's pure-Python
    encoder (``stanio``) spends about a quarter of a daily fit formatting the feature matrix,
    while ``json.dumps`` writes the same numbers (shortest round-trip float text) at once.
    """
    _import_prophet()
    from prophet.models import CmdStanPyBackend

    class MapBackend(CmdStanPyBackend):
        map_result: MapResult | None = None
        """The in-process optimiser's report of the last fit (None when CmdStan ran it)."""

        def fit(self, stan_init: dict[str, Any], stan_data: dict[str, Any], **kwargs: Any) -> Any:
            self.map_result = None
            if int(stan_data["trend_indicator"]) in IN_PROCESS_TRENDS and set(kwargs) <= {"init"}:
                init = (
                    self.sanitize_custom_inits(stan_init, kwargs["init"])
                    if "init" in kwargs
                    else stan_init
                )
                result = map_estimate(init, stan_data)
                if result.success:
                    self.map_result = result
                    return result.params
            data = self.prepare_data(stan_init, stan_data)[1]
            with tempfile.TemporaryDirectory(prefix="forecast-prophet-") as folder:
                path = Path(folder) / "data.json"
                path.write_text(json.dumps(data, default=_json_scalar))
                return super().fit(stan_init, stan_data, data=str(path), **kwargs)

    return MapBackend


def _future_features(model: Any, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build the seasonality, holiday and regressor features of a fitted Prophet model.

    ``frame`` is set up by ``setup_dataframe``; the model's component matrix is returned too.

    This is Prophet's ``make_all_seasonality_features`` with one step reused from the fit: for
    a fitted model the matrix telling which feature belongs to which component is the one
    built on the history (``train_component_cols``; Prophet itself checks that a rebuilt matrix
    equals it), so it is taken as it is instead of being rebuilt with ``pandas.crosstab``, about
    a quarter of a monthly window's time in a backtest.
    """

    def training_matrix(
        features: pd.DataFrame, modes: dict[str, list[str]]
    ) -> tuple[pd.DataFrame, dict[str, list[str]]]:
        if features.shape[1] != len(model.train_component_cols):
            raise ConfigError(
                "prophet: the future features do not match the fitted model's; refit the model."
            )
        return model.train_component_cols, modes

    model.regressor_column_matrix = training_matrix
    try:
        features, _, columns, _ = model.make_all_seasonality_features(frame)
    finally:
        del model.regressor_column_matrix
    return features, columns


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
    holidays : DataFrame, optional
        Holidays and events (``holiday``, ``ds``, optional ``lower_window``,
        ``upper_window``, ``prior_scale``), passed to Prophet unchanged.
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

    Notes
    -----
    :math:`y(t) = g(t) + s(t) + h(t) + \varepsilon_t`, fitted by Prophet's MAP estimate.
    Prophet does all its own work (scaling, changepoints, seasonality and holiday features,
    priors, the trend and the predictive simulation); only the optimisation of the posterior it
    hands to its Stan backend is done differently. For linear and flat trends it runs
    in-process with scipy (:mod:`forecast.models._prophet_map`: the log posterior of Prophet's
    Stan model, Stan's ``lp__``, maximised by SLSQP with the Laplace prior on the rate changes
    handled exactly), instead of starting CmdStan's ``optimize`` (a process start, data and
    output files, L-BFGS), which made most of a fit's time; its optimum is at least as high as
    CmdStan's, whose L-BFGS stops a little short of it, so estimates differ from Prophet's in
    the digits CmdStan leaves unconverged. Logistic growth, whose trend is a nonlinear
    recursion over the changepoints, and any optimisation that does not report convergence
    (e.g. a posterior without a mode, when the features can interpolate a short history), are
    fitted by CmdStan as in Prophet. The point forecast is Prophet's ``yhat``. Intervals come
    from one predictive simulation of ``uncertainty_samples`` paths (Prophet's vectorised
    simulation: trend changes drawn into the future plus Gaussian noise), whose quantiles give
    every requested level, so no level needs a refit (Prophet's own ``interval_width`` is one
    level per model). ``yhat`` and the paths share one set-up of the future frame and one
    build of its seasonality features, and the history is never predicted.

    References
    ----------
    .. [1] Taylor, S. J. and Letham, B. (2018). Forecasting at scale. The American
       Statistician, 72(1), 37-45.
    """

    capabilities = Capabilities(min_history=3, irregular=True)

    def __init__(
        self,
        *,
        growth: Literal["linear", "logistic", "flat"] = "linear",
        cap: float | None = None,
        floor: float | None = None,
        seasonalities: Sequence[Mapping[str, Any]] = (),
        holidays: pd.DataFrame | None = None,
        yearly_seasonality: bool | int | Literal["auto"] = "auto",
        weekly_seasonality: bool | int | Literal["auto"] = "auto",
        daily_seasonality: bool | int | Literal["auto"] = "auto",
        seasonality_mode: Literal["additive", "multiplicative"] = "additive",
        changepoint_prior_scale: float = 0.05,
        seasonality_prior_scale: float = 10.0,
        holidays_prior_scale: float = 10.0,
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
        if holidays is not None and not isinstance(holidays, pd.DataFrame):
            raise ConfigError(
                "prophet: holidays must be a DataFrame with columns 'holiday' and 'ds'."
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
        self.holidays = holidays
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
        """Keyword arguments of ``prophet.Prophet`` this model uses (for direct comparisons)."""
        return {
            "growth": self.growth,
            "holidays": self.holidays,
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

    def _frame(self, ds: pd.Series | pd.DatetimeIndex) -> pd.DataFrame:
        frame = pd.DataFrame({DS: pd.DatetimeIndex(ds)})
        if self.growth == "logistic":
            frame["cap"] = self.cap_
            if self.floor is not None:
                frame["floor"] = self.floor
        return frame

    def _fit(self, data: pd.DataFrame, retention: pd.DataFrame | None) -> None:
        _import_prophet()
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
        history = self._frame(data[DS])
        history[Y] = y
        warm = self._warm_init is not None and len(y) >= self.warm_min_history
        kwargs = {"init": self._warm_init} if warm else {}
        with quiet_prophet():
            model = Prophet(**self.prophet_settings())
            model.stan_backend = _backend()()
            for extra in self.seasonalities:
                model.add_seasonality(**extra)
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
        }

    # ---------------------------------------------------------------------------- forecasting
    def _forecast(self, h: int, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """Prophet's ``yhat`` for the next ``h`` dates and ``n`` predictive paths ``(n, h)``.

        The future frame is set up and its seasonality features built once; ``yhat`` is
        Prophet's ``trend * (1 + multiplicative) + additive`` from them, and the paths come
        from Prophet's vectorised simulation (``sample_model_vectorized``) on the same features
        with numpy's global generator seeded for the call and restored after (``n=0``: no
        paths, an empty ``(0, h)`` array).
        """
        model = self.model_
        with quiet_prophet():
            frame = model.setup_dataframe(self._frame(self.future_dates(h)))
            features, columns = _future_features(model, frame)
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
            with _numpy_seed(seed):
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
