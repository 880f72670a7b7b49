"""``auto``: per series, the best of a list of candidate models by an inner backtest.

The inner backtest runs on the training data the model is given and nothing else, so ``auto``
can itself be backtested without leakage: inside each outer window it cuts its own windows
from the data before the outer cutoff. Its errors also calibrate the intervals (split-conformal
by horizon step, :class:`Conformal`), which ``ensemble`` uses as well.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from forecast.engine.specs import label_models
from forecast.errors import ConfigError, FitError, ForecastError
from forecast.evaluation.conformal import (
    Conformal,
    ConformalCache,
    calibrate,
    combine_points,
    rescaled,
)
from forecast.evaluation.inner import InnerScores, inner_backtest
from forecast.models.base import BaseModel, Capabilities, Intervals
from forecast.models.registry import get, register
from forecast.schema import DS, UNIQUE_ID, Y, level_column

__all__ = [
    "Auto",
    "Conformal",
    "ConformalCache",
    "InnerScores",
    "build_candidates",
    "calibrate",
    "combine_points",
    "rescaled",
    "inner_backtest",
]

DEFAULT_CANDIDATES: tuple[str, ...] = ("naive", "seasonal_naive", "drift", "ets", "theta")
"""Candidates of ``auto`` when none are given."""


def build_candidates(
    candidates: Sequence[str | BaseModel], seasonal_period: int | None, freq: str | None
) -> list[tuple[str, BaseModel]]:
    """Unfitted candidate models with their labels; names get the given season and frequency.

    Parameters
    ----------
    candidates : sequence of str or BaseModel
        Registry names or model instances (cloned).
    seasonal_period, freq
        Passed to the candidates given by name.

    Returns
    -------
    list of (str, BaseModel)
        Labelled as :func:`forecast.forecast` labels models
        (:func:`forecast.engine.specs.label_models`).

    Raises
    ------
    ConfigError
        No candidates, or one model twice with the same hyperparameters.
    UnknownModelError
        A name that is not registered.
    """
    if isinstance(candidates, (str, BaseModel)) or len(candidates) == 0:
        raise ConfigError("candidates must be a non-empty list of model names or instances.")
    params = {
        k: v for k, v in (("seasonal_period", seasonal_period), ("freq", freq)) if v is not None
    }
    built = [c if isinstance(c, BaseModel) else get(str(c), **params) for c in candidates]
    return list(label_models(built).items())


@register("auto")
class Auto(BaseModel):
    """The best of a list of candidate models per series, chosen by an inner backtest.

    Parameters
    ----------
    candidates : sequence of str or BaseModel
        Registry names or unfitted models; by default ``naive``, ``seasonal_naive``, ``drift``,
        ``ets`` and ``theta``.
    h : int, optional
        Horizon of the inner windows; by default the season length (7 for daily series, 12 for
        monthly), at least 1.
    n_windows : int
        Inner windows.
    combine_within : float, optional
        Every candidate whose inner MASE is within this fraction of the best one
        (``score <= best * (1 + combine_within)``) is kept, and two or more kept candidates are
        combined by the median of their forecasts (an ``ensemble``); None (the default) keeps
        the best alone. On the backtest benchmark (BENCHMARKS.md) 0.1 lowered the mean MASE
        over the five data sets but raised it on Peyton Manning, so it is not the default.
    calibrate : bool
        Calibrate the intervals and sample paths on the inner backtest's errors of the chosen
        forecast (see :class:`Conformal`); False (the default) uses the chosen model's own
        intervals, which covered the actuals closer to nominal on average over the five data
        sets of the backtest benchmark (BENCHMARKS.md) than the calibrated ones of three inner
        windows.
    seasonal_period, transform, freq
        See :class:`~forecast.models.base.BaseModel`; the season and frequency are passed on to
        candidates given by name.

    Attributes
    ----------
    chosen_ : str
        Label of the chosen candidate, or ``median(a, b, ...)`` for a combination.
    scores_ : InnerScores
        Mean scaled absolute error (MASE) of every candidate in the inner backtest.
    model_ : BaseModel
        The chosen candidate (or combination), fitted on all the training data.
    calibrated_ : bool
        Whether intervals and paths are conformal.

    Notes
    -----
    Steps: cut ``n_windows`` windows of ``h`` observations from the end of the training data;
    fit every candidate on the data before each window and score its point forecasts by MASE
    (errors scaled by the in-sample seasonal-naive MAE of that window's training data); choose
    the lowest mean score (ties go to the earlier candidate), or the median of the candidates
    within ``combine_within`` of it; refit on all the data. When that final fit fails, the
    next best is used alone.

    With ``calibrate``, the residuals of the chosen forecast in the same inner windows give
    split-conformal intervals by horizon step (:class:`Conformal`): the point forecast plus or
    minus the empirical quantiles of the absolute residuals of each step, and sample paths made
    of the point plus one inner window's residual vector with a random sign. A forecast longer
    than the inner ``h`` is calibrated on its own inner backtest of ``n_windows`` windows of
    that length when the training data has room for it (else the spread is extrapolated, see
    :class:`Conformal`). Everything is computed from the training data only.

    References
    ----------
    .. [1] Hyndman, R. J. and Athanasopoulos, G. (2021). Forecasting: Principles and Practice,
       3rd ed., section 5.10 (time series cross-validation).
    .. [2] Stankeviciute, K., Alaa, A. M. and van der Schaar, M. (2021). Conformal time-series
       forecasting. Advances in Neural Information Processing Systems 34.
    """

    capabilities = Capabilities(min_history=4)

    def __init__(
        self,
        candidates: Sequence[str | BaseModel] = DEFAULT_CANDIDATES,
        *,
        h: int | None = None,
        n_windows: int = 3,
        combine_within: float | None = None,
        calibrate: bool = False,
        seasonal_period: int | None = None,
        transform: Literal["log"] | None = None,
        freq: str | None = None,
    ) -> None:
        super().__init__(seasonal_period=seasonal_period, transform=transform, freq=freq)
        if h is not None and (isinstance(h, bool) or int(h) < 1):
            raise ConfigError(f"h must be a positive integer, not {h!r}.")
        if isinstance(n_windows, bool) or int(n_windows) < 1:
            raise ConfigError(f"n_windows must be a positive integer, not {n_windows!r}.")
        if isinstance(candidates, (str, BaseModel)) or len(candidates) == 0:
            raise ConfigError("candidates must be a non-empty list of model names or instances.")
        if combine_within is not None and not (np.isfinite(combine_within) and combine_within >= 0):
            raise ConfigError(
                f"combine_within must be None or a fraction >= 0, not {combine_within!r}."
            )
        if not isinstance(calibrate, bool):
            raise ConfigError(f"calibrate must be True or False, not {calibrate!r}.")
        self.candidates = tuple(candidates)
        self.h = h
        self.n_windows = int(n_windows)
        self.combine_within = None if combine_within is None else float(combine_within)
        self.calibrate = calibrate

    def _fit(self, data: pd.DataFrame, retention: pd.DataFrame | None) -> None:
        candidates = build_candidates(self.candidates, self.seasonal_period, self.freq)
        h = int(self.h or max(self.seasonal_period_, 1))
        self.scores_ = inner_backtest(data, candidates, h, self.n_windows, self.seasonal_period_)
        ranked = sorted(
            (score, position, label)
            for position, (label, score) in enumerate(self.scores_.items())
            if np.isfinite(score)
        )
        if not ranked:
            details = "; ".join(f"{k}: {v}" for k, v in self.scores_.errors.items())
            raise FitError(
                f"every candidate of 'auto' failed the inner backtest of series "
                f"{self.series_id_!r} ({details})."
            )
        models = dict(candidates)
        series = data[[UNIQUE_ID, DS, Y]]
        selected = self._fit_chosen(series, ranked, models)
        self.params_ = {f"mase_{k}": v for k, v in self.scores_.items()}
        members = [(label, models[label]) for label in selected]
        base = None
        if self.calibrate:
            points = np.stack([self.scores_.forecasts[label] for label in selected])
            base = Conformal(
                rescaled(
                    series, self.scores_, combine_points(points, "median"), self.seasonal_period_
                )
            )
        self.conformal_ = ConformalCache(
            base, series, members, self.n_windows, self.seasonal_period_
        )
        self.calibrated_ = bool(self.conformal_)

    def _fit_chosen(
        self,
        series: pd.DataFrame,
        ranked: list[tuple[float, int, str]],
        models: dict[str, BaseModel],
    ) -> list[str]:
        """Fit the chosen candidate or combination on all the data; the labels it uses."""
        best = ranked[0][0]
        if self.combine_within is not None:
            close = [
                label for score, _, label in ranked if score <= best * (1.0 + self.combine_within)
            ]
            if len(close) > 1:
                combination = get(
                    "ensemble",
                    members=[models[label] for label in close],
                    combine="median",
                    calibrate=False,
                    seasonal_period=self.seasonal_period,
                    freq=self.freq,
                )
                try:
                    self.model_ = combination.fit_validated(series)
                    self.chosen_ = f"median({', '.join(close)})"
                    return close
                except ForecastError:
                    pass
        failures = []
        for _, _, label in ranked:
            try:
                self.model_ = models[label].clone().fit_validated(series)
            except ForecastError as err:
                failures.append(f"{label}: {type(err).__name__}: {err}")
                continue
            self.chosen_ = label
            return [label]
        raise FitError(
            f"no candidate of 'auto' could be fitted to series {self.series_id_!r}: "
            f"{'; '.join(failures)}."
        )

    def _predict(self, h: int, levels: tuple[float, ...]) -> tuple[np.ndarray, Intervals]:
        frame = self.model_.predict(h, levels=() if self.calibrated_ else levels)
        point = frame["yhat"].to_numpy()
        if self.calibrated_:
            return point, self.conformal_.get(h).intervals(point, levels)
        intervals = {
            level: (
                frame[level_column(level, "lo")].to_numpy(),
                frame[level_column(level, "hi")].to_numpy(),
            )
            for level in levels
        }
        return point, intervals

    def _sample(self, h: int, n: int, rng: np.random.Generator) -> np.ndarray:
        if self.calibrated_:
            point = self.model_.predict(h, levels=())["yhat"].to_numpy()
            return self.conformal_.get(h).paths(point, n, rng)
        return self.model_.sample(h, n, seed=int(rng.integers(2**31)))
