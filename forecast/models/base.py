"""The model contract: one model forecasts one series.

A model is built unfitted with its hyperparameters, ``fit`` on one series (and, for the
structural models, cohort retention), then ``predict`` returns point forecasts and prediction
intervals at any levels, and ``sample`` returns joint sample paths. The public methods here do
every check (capabilities, history length, gaps, bounds, the log transform, the promised
columns); subclasses write ``_fit``, ``_predict`` and ``_sample`` only.
"""

from __future__ import annotations

import copy
import inspect
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal, Self

import numpy as np
import pandas as pd

from forecast.errors import CapabilityError, ConfigError, FitError, ForecastError, NotFittedError
from forecast.models._calibration import (
    OWN_LEVEL,
    calibration_method,
    check_model_calibrate,
    fit_calibration,
    with_calibrate_keyword,
)
from forecast.models._capabilities import Capabilities
from forecast.models._checks import (
    check_fit_data,
    log_values,
    prepare_series,
    series_frequency,
)
from forecast.models._counts import count_metric, floor_forecast, floor_paths
from forecast.models._covariates import (
    CovariatesIn,
    bind,
    bound,
    future_frame,
    no_future,
    one_series,
    with_history,
)
from forecast.models._intervals import (
    Intervals,
    check_horizon,
    check_output,
    normal_intervals,
    quantile_intervals,
)
from forecast.models._params import check_choice, check_freq, check_int
from forecast.schema import (
    DS,
    QUALIFIER,
    UNIQUE_ID,
    ValidCovariates,
    Y,
    check_levels,
    future_dates,
    level_column,
    valid_retention,
)

__all__ = [
    "Capabilities",
    "BaseModel",
    "Intervals",
    "normal_intervals",
    "quantile_intervals",
    "check_horizon",
]


class BaseModel:
    """Base class of the registered models.

    Parameters
    ----------
    seasonal_period : int, optional
        Season length in steps; by default from the inferred frequency (7 daily, 52 weekly,
        12 monthly, 4 quarterly, 1 otherwise).
    transform : {"log"}, optional
        Fit on ``log(y)`` and back-transform forecasts and intervals with ``exp``, which keeps
        forecasts of positive counts positive (the point forecast is then the median).
    freq : str, optional
        A pandas offset alias (``"D"``, ``"W-SUN"``, ``"MS"``, ``"QS"``) overriding the inferred
        frequency of the series.
    calibrate : {None, True, False, "conformal", "scaled", "auto", "off"}
        Replace the model's own intervals and sample paths by split-conformal ones from its
        errors in inner backtests on the training data (True or ``"conformal"``), or rescale
        its own by those errors over its own spread (``"scaled"``), or, per series, take
        whichever of the two scores better with each inner window left out (``"auto"``); see
        :mod:`forecast.models._calibration`. None, the default, turns it on for the models
        whose own intervals under-cover out of sample
        (``forecast.models._calibration.CALIBRATED_BY_DEFAULT``, conformal,
        ``SCALED_BY_DEFAULT``, scaled, ``AUTO_BY_DEFAULT``, auto, and ``AUTO_WHEN_SHORT``,
        auto on series shorter than a stated length). Every registered model
        takes it; ``ensemble`` and ``auto`` have their own ``calibrate``, whose True is their
        own conformal rule (the default of ``ensemble``).

    Attributes
    ----------
    params_ : dict
        Fitted parameters, where the model has them.
    frequency_ : Frequency
        The step of the fitted series.
    seasonal_period_ : int
        The season length used.
    covariates_ : tuple of str
        The covariates the model was fitted with, in the order of the extra columns ``_fit``
        saw; () when none. ``predict`` and ``sample`` then need their future values.
    calibration_ : Calibration or None
        The calibration of the intervals and paths; None when ``calibrate`` is off or no
        calibration was possible (a ForecastWarning then named the series).
    """

    name: ClassVar[str] = "base"
    capabilities: ClassVar[Capabilities] = Capabilities()
    _generic_calibrations: ClassVar[frozenset[str]] = frozenset({"conformal", "scaled", "auto"})
    """Methods of ``calibrate`` that :func:`fit_calibration` carries out for the model: all
    three for most, ``"scaled"`` and ``"auto"`` for ``ensemble`` and ``auto`` (whose
    ``"conformal"`` is their own rule). A subclass whose constructor has its own ``calibrate``
    gets none unless it says which."""
    _stored_private: ClassVar[dict[str, type]] = {}
    """Private attributes that change what a fit estimates, saved with the model: ``arima``'s
    ``_refit_spec`` and the start values of the copies :meth:`_specified_clone` makes (their
    ``_warm_params``), so that a loaded model's calibration refits them as the saved one's;
    each with the type a loaded value must have."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Let every subclass's constructor take ``calibrate``, without writing it.

        A subclass whose ``__init__`` takes no ``calibrate`` gets it as a keyword: the
        constructor runs as written, then the value is checked and stored. One whose
        ``__init__`` has its own ``calibrate`` keeps it and calibrates itself.
        """
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is None:
            return
        if "calibrate" in inspect.signature(init).parameters:
            if "_generic_calibrations" not in cls.__dict__:
                cls._generic_calibrations = frozenset()
            return

        cls.__init__ = with_calibrate_keyword(init)  # type: ignore[method-assign]

    def __init__(
        self,
        *,
        seasonal_period: int | None = None,
        transform: Literal["log"] | None = None,
        freq: str | None = None,
        calibrate: object = None,
    ) -> None:
        check_model_calibrate(self, calibrate)
        self.calibrate = calibrate
        self.seasonal_period = (
            None
            if seasonal_period is None
            else check_int(self.name, "seasonal_period", seasonal_period, minimum=1)
        )
        check_choice(self.name, "transform", transform, (None, "log"))
        self.transform = transform
        self.freq = check_freq(self.name, freq)

    # ------------------------------------------------------------------------------ public API
    def fit(
        self,
        series: pd.DataFrame,
        *,
        retention: pd.DataFrame | None = None,
        covariates: CovariatesIn = None,
    ) -> Self:
        """Fit the model to one series.

        Parameters
        ----------
        series : DataFrame
            One series: ``ds``, ``y`` and optionally ``unique_id`` (one value) and ``qualifier``.
        retention : DataFrame, optional
            Cohort retention observations (see :func:`forecast.schema.validate_retention`).
        covariates : DataFrame, optional
            ``ds`` and one column per covariate (``unique_id`` allowed if it names this
            series), with a value at every date of the series; later rows are ignored here
            (see :func:`forecast.schema.validate_covariates`). Only for models whose
            ``capabilities.covariates`` is True.

        Returns
        -------
        Self
            The fitted model; fitting again replaces all fitted state.

        Raises
        ------
        DataError
            The series breaks the data contract, is too short, has gaps the model cannot
            handle, or (with ``transform="log"``) has values that are not positive.
        CapabilityError
            Retention is required but missing, the series holds bounds the model cannot use,
            or covariates were given to a model that does not use them.
        CovariateError
            The covariates lack a date of the series or a value there.
        FitError
            The estimation failed.
        """
        checked = valid_retention(retention)
        data = self._prepare(series)
        return self.fit_validated(
            data,
            None if checked is None else checked.frame,
            covariates=one_series(self, covariates, data),
        )

    def fit_validated(
        self,
        series: pd.DataFrame,
        retention: pd.DataFrame | None = None,
        *,
        covariates: ValidCovariates | None = None,
    ) -> Self:
        """:meth:`fit` on checked frames: the engine's fitting entry point.

        ``series`` is a frame that :func:`~forecast.schema.valid_series` checked (or a slice of
        consecutive rows of one series of it) and ``retention`` one that
        :func:`~forecast.schema.valid_retention` checked (or a selection of its rows), as the
        package's own loops hold them: every check of :meth:`fit` but the frames' validation,
        which the entry point did once for the whole call. A frame without ``qualifier`` holds
        points only. ``covariates`` (checked, of this series or of all) gives the covariates;
        without it a model bound to covariates (:func:`forecast.models._covariates.bind`)
        uses those.
        """
        data = series.reset_index(drop=True)
        if QUALIFIER not in data.columns:
            data[QUALIFIER] = "="
        uid = str(data[UNIQUE_ID].iloc[0])
        covariates = bound(self) if covariates is None else covariates
        if self.capabilities.needs_retention and retention is None:
            raise CapabilityError(
                f"model {self.name!r} needs cohort retention data: pass retention=... to fit."
            )
        frequency = series_frequency(self.freq, data, uid)
        check_fit_data(self, data, uid, frequency)
        raw = data.copy()
        if self.transform == "log":
            data[Y] = log_values(data, uid)
        data, names = with_history(self, data, covariates)
        self._reset()
        template = self.clone()
        bind(template, covariates)
        self.covariates_ = names
        self.series_id_ = uid
        self.count_metric_ = count_metric(data)
        self.frequency_ = frequency
        self.seasonal_period_ = int(self.seasonal_period or frequency.seasonal_period)
        self.last_ds_ = data[DS].iloc[-1]
        self.n_obs_ = len(data)
        self.params_: dict[str, Any] = {}
        try:
            self._fit(data, retention)
        except ForecastError:
            raise
        except (np.linalg.LinAlgError, ValueError, RuntimeError, FloatingPointError) as err:
            raise FitError(f"model {self.name!r} failed to fit series {uid!r}: {err}") from err
        self.calibration_ = None
        if self._calibrated_generically():
            self.calibration_ = fit_calibration(self, self._calibration_template(template), raw)
        self.is_fitted_ = True
        return self

    def predict(
        self, h: int, *, levels: Sequence[float] = (80, 95), covariates: CovariatesIn = None
    ) -> pd.DataFrame:
        """Forecast ``h`` steps ahead with prediction intervals.

        Parameters
        ----------
        h : int
            Horizon in steps of the series' own frequency.
        levels : sequence of float
            Interval levels in percent, each strictly between 0 and 100.
        covariates : DataFrame, optional
            For a model fitted with covariates (``covariates_``), their values at the ``h``
            forecast dates (extra rows are ignored); refused by a model fitted without.

        Returns
        -------
        DataFrame
            ``ds``, ``yhat``, then ``yhat_lo_<L>``, ``yhat_hi_<L>`` for each level in increasing
            order; intervals nest around the point forecast. For a count series (a metric
            such as ``dau``, :func:`~forecast.schema.is_count_metric`) no value is below zero.

        Raises
        ------
        NotFittedError, ConfigError, CapabilityError, FitError
        CovariateError
            Future covariates missing (no frame, or no value at a forecast date, named).

        Warns
        -----
        ForecastWarning
            A count series' point forecast fell below zero and was raised to 0 (lower bands
            below zero are truncated at 0 without a warning); see
            :func:`forecast.models._counts.floor_forecast`.
        """
        self._check_fitted()
        h = check_horizon(h)
        levels = check_levels(levels)
        if levels and not self.capabilities.intervals:
            raise CapabilityError(
                f"model {self.name!r} gives no prediction intervals; pass levels=()."
            )
        calibration = self.calibration_
        future = self._future(h, covariates)
        point, intervals = self._with_future(
            future, self._predict, h, self._own_levels() if calibration else levels
        )
        point = np.asarray(point, dtype=float)
        if calibration:
            own = self._own_interval(intervals)
        if calibration and not calibration.log_scale:  # errors on the scale of y
            point = self._inverse(point)
            intervals = calibration.intervals(point, levels, own)
        else:  # the own intervals, or errors on the log scale of transform="log"
            if calibration:
                intervals = calibration.intervals(point, levels, own)
            point = self._inverse(point)
            intervals = {
                level: (self._inverse(np.asarray(lo)), self._inverse(np.asarray(hi)))
                for level, (lo, hi) in intervals.items()
            }
        columns: dict[str, Any] = {"yhat": point}
        for level in levels:
            lo, hi = intervals[level]
            columns[level_column(level, "lo")] = np.asarray(lo, dtype=float)
            columns[level_column(level, "hi")] = np.asarray(hi, dtype=float)
        check_output(columns, levels, h, model=self.name, series=self.series_id_)
        below_zero = any(np.any(values < 0) for values in columns.values())
        dates = self.future_dates(h) if future is None else future[DS].to_numpy()
        frame = pd.DataFrame({DS: dates, **columns})
        if self.count_metric_ is not None and below_zero:
            frame = floor_forecast(
                frame, model=self.name, series=self.series_id_, metric=self.count_metric_
            )
        return frame

    def sample(
        self, h: int, n: int = 1000, seed: int = 0, *, covariates: CovariatesIn = None
    ) -> np.ndarray:
        """Draw ``n`` joint sample paths of the next ``h`` steps.

        Parameters
        ----------
        h : int
            Horizon in steps.
        n : int
            Number of paths.
        seed : int
            Seed of the random generator; the same seed gives the same paths.
        covariates : DataFrame, optional
            Future covariates, as for :meth:`predict`.

        Returns
        -------
        ndarray
            Shape ``(n, h)``, on the scale of ``y``; truncated at 0 for a count series. A
            calibrated model's paths are its point forecast plus the errors of one inner
            window, each step's size read through the calibrated bands' rule, so each step
            falls inside the L% band in L% of paths
            (:meth:`forecast.evaluation.calibration.PooledConformal.paths`).
        """
        self._check_fitted()
        h = check_horizon(h)
        if isinstance(n, bool) or int(n) < 1:
            raise ConfigError(f"n must be a positive number of paths, not {n!r}.")
        rng = np.random.default_rng(seed)
        future = self._future(h, covariates)
        if self.calibration_:
            found = self._with_future(future, self._predict, h, self._own_levels())
            point = np.asarray(found[0], dtype=float)
            own = self._own_interval(found[1])
            if self.calibration_.log_scale:  # errors on the log scale of transform="log"
                paths = self._inverse(self.calibration_.paths(point, int(n), rng, own))
            else:
                paths = self.calibration_.paths(self._inverse(point), int(n), rng, own)
        else:
            drawn = self._with_future(future, self._sample, h, int(n), rng)
            paths = self._inverse(np.asarray(drawn, dtype=float))
        if paths.shape != (int(n), h):
            raise FitError(
                f"model {self.name!r} returned paths of shape {paths.shape}, expected {(n, h)}."
            )
        return paths if self.count_metric_ is None else floor_paths(paths)

    def update(self, series: pd.DataFrame, *, covariates: CovariatesIn = None) -> Self:
        """Extend the fitted state with newer observations, keeping the estimated parameters.

        Parameters
        ----------
        series : DataFrame
            The full series: the fitted history followed by new observations.
        covariates : DataFrame, optional
            For a model fitted with covariates, their values at every date of ``series``.

        Returns
        -------
        Self
        """
        self._check_fitted()
        if not self.capabilities.updates:
            raise CapabilityError(f"model {self.name!r} cannot update its state; refit it instead.")
        data = self._prepare(series)
        given = one_series(self, covariates, data) if covariates is not None else None
        return self.update_validated(data, covariates=given)

    def update_validated(
        self, series: pd.DataFrame, *, covariates: ValidCovariates | None = None
    ) -> Self:
        """:meth:`update` on a checked frame: the engine's updating entry point.

        ``series`` is a frame that :func:`~forecast.schema.valid_series` checked (or a slice of
        consecutive rows of one series of it), as for :meth:`fit_validated`, whose entry point
        validated it once for the whole call; ``covariates`` are checked ones (of this series
        or of all), without which a model bound to covariates uses those.
        """
        self._check_fitted()
        if not self.capabilities.updates:
            raise CapabilityError(f"model {self.name!r} cannot update its state; refit it instead.")
        data = series.reset_index(drop=True)
        if QUALIFIER not in data.columns:
            data[QUALIFIER] = "="
        uid = str(data[UNIQUE_ID].iloc[0])
        if self.transform == "log":
            data[Y] = log_values(data, uid)
        given = bound(self) if covariates is None else covariates
        if self.covariates_ and given is None:
            future_frame(self, 1, None)
        data, names = with_history(self, data, given.select(self.covariates_) if given else None)
        if names != self.covariates_:
            raise CapabilityError(
                f"model {self.name!r} was fitted on series {uid!r} without covariates; update "
                "it without them, or refit it with covariates."
            )
        self._update(data)
        self.last_ds_ = data[DS].iloc[-1]
        self.n_obs_ = len(data)
        return self

    def warm_start(self, previous: BaseModel) -> None:
        """Let the next ``fit`` start from the estimates of ``previous``.

        ``previous`` is a fitted model of the same kind (backtests use it between windows). The
        default does nothing; models whose estimation is iterative override it. The result of
        ``fit`` must not depend on it beyond the optimiser's tolerance.
        """

    def fewest_observations(self, seasonal_period: int) -> int:
        """Fewest observations a fit of this model accepts on a series of this season.

        ``capabilities.min_history``; a model whose minimum grows with the season
        (``seasonal_naive``) says so, so that inner windows (calibration, ``auto``'s choice)
        leave it enough history. ``seasonal_period`` is the series' season, used where the
        model has none of its own.
        """
        return self.capabilities.min_history

    def clone(self) -> Self:
        """Return an unfitted copy with the same hyperparameters."""
        fresh = copy.deepcopy(self)
        fresh._reset()
        return fresh

    def _calibrated_generically(self) -> bool:
        """Whether ``calibrate`` is on by the method every model shares (``fit_calibration``).

        False when calibration is off, and for ``ensemble`` and ``auto``'s conformal rule,
        which calibrate by their own inner backtests.
        """
        n_obs = vars(self).get("n_obs_")
        return calibration_method(self.name, self.calibrate, n_obs) in self._generic_calibrations

    def _specified_clone(self) -> BaseModel:
        """Return an unfitted copy that refits the specification this fitted model chose.

        A model that searches among specifications (``ets``, ``arima``) fixes the one it
        chose, so a refit re-estimates its parameters without searching again; any other
        model returns :meth:`clone`. ``auto``'s calibration refits its members so in its inner
        windows.
        """
        return self.clone()

    def _calibration_template(self, template: BaseModel) -> BaseModel:
        """Return the unfitted model that the calibration's inner windows fit.

        ``template`` (an unfitted clone, bound to the call's covariates), or for a model that
        searches among specifications (one that overrides :meth:`_specified_clone`: ``ets``,
        ``arima``) the specification this fit chose, so each inner window re-estimates its
        parameters rather than searching again.
        """
        if type(self)._specified_clone is BaseModel._specified_clone:
            return template
        fixed = self._specified_clone()
        bind(fixed, bound(template))
        return fixed

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Save the model, fitted or not, to one file; :func:`forecast.models.load` reads it.

        A zip of ``model.json`` (format and package versions, registry name, hyperparameters,
        fitted state) and ``state.npz`` (its arrays), written atomically; see
        :func:`forecast.persistence.save_model`.

        Returns
        -------
        Path
            The file written.
        """
        from forecast.persistence import save_model

        return save_model(self, path)

    def future_dates(self, h: int) -> pd.DatetimeIndex:
        """Return the ``h`` dates after the last fitted date."""
        self._check_fitted()
        return future_dates(self.last_ds_, self.frequency_, h, series=self.series_id_)

    @property
    def is_fitted(self) -> bool:
        """True once ``fit`` has succeeded."""
        return bool(getattr(self, "is_fitted_", False))

    def __repr__(self) -> str:
        """Show the class and the hyperparameters that are set."""
        params = {
            k: v for k, v in vars(self).items() if not k.endswith("_") and not k.startswith("_")
        }
        inner = ", ".join(f"{k}={v!r}" for k, v in params.items() if v is not None)
        return f"{type(self).__name__}({inner})"

    # ---------------------------------------------------------------------- for subclasses
    def _fit(self, data: pd.DataFrame, retention: pd.DataFrame | None) -> None:
        """Estimate from ``data`` (``ds``, ``y``, ``qualifier``; ``y`` already transformed)."""
        raise NotImplementedError

    def _predict(self, h: int, levels: tuple[float, ...]) -> tuple[np.ndarray, Intervals]:
        """Point forecasts and intervals on the model's (transformed) scale."""
        raise NotImplementedError

    def _sample(self, h: int, n: int, rng: np.random.Generator) -> np.ndarray:
        """Sample paths ``(n, h)`` on the model's (transformed) scale."""
        raise NotImplementedError

    def _update(self, data: pd.DataFrame) -> None:
        """Extend the state with ``data`` (the full series) without re-estimating."""
        raise NotImplementedError

    def _future_covariates(self, h: int) -> pd.DataFrame:
        """Return the covariates at the ``h`` forecast dates: ``ds``, then ``covariates_``.

        Callable only inside ``_predict`` and ``_sample``; ``predict`` and ``sample`` have
        checked the values (no date or value missing).
        """
        future: pd.DataFrame | None = getattr(self, "_future_values", None)
        if future is None or len(future) != h:
            raise no_future(self)
        return future.copy()

    def _future(self, h: int, covariates: CovariatesIn) -> pd.DataFrame | None:
        """Return :func:`future_frame`, or None for a model without covariates given none.

        Without covariates the frame would hold only the dates; ``predict`` makes them once.
        """
        if not self.covariates_ and covariates is None and bound(self) is None:
            return None
        return future_frame(self, h, covariates)

    def _with_future(self, future: pd.DataFrame | None, method: Any, *args: Any) -> Any:
        """Call ``method(*args)`` with ``future`` as :meth:`_future_covariates`."""
        self._future_values = future
        try:
            return method(*args)
        finally:
            del self._future_values

    # ------------------------------------------------------------------------------- helpers
    def _prepare(self, series: pd.DataFrame) -> pd.DataFrame:
        return prepare_series(self.name, series)

    def _own_levels(self) -> tuple[float, ...]:
        """Own interval levels a calibrated forecast needs (:attr:`Calibration.needs_own`)."""
        calibration = self.calibration_
        return (OWN_LEVEL,) if calibration is not None and calibration.needs_own else ()

    def _own_interval(self, intervals: Intervals) -> tuple[np.ndarray, np.ndarray] | None:
        """Return the own interval at ``OWN_LEVEL`` on the model's scale, where asked for."""
        if OWN_LEVEL not in intervals:
            return None
        lower, upper = intervals[OWN_LEVEL]
        return np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)

    def _inverse(self, values: np.ndarray) -> np.ndarray:
        return np.exp(values) if self.transform == "log" else values

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError(f"model {self.name!r} is not fitted; call fit(series) first.")

    def _reset(self) -> None:
        for key in [k for k in vars(self) if k.endswith("_") and not k.startswith("__")]:
            delattr(self, key)
