"""``auto``: per series, the best of a list of candidate models by an inner backtest.

The inner backtest runs on the training data the model is given and nothing else, so ``auto``
can itself be backtested without leakage: inside each outer window it cuts its own windows
from the data before the outer cutoff.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from forecast.errors import ConfigError, FitError, ForecastError, HistoryError
from forecast.models.base import BaseModel, Capabilities, Intervals
from forecast.models.registry import get, register
from forecast.schema import DS, UNIQUE_ID, Y, level_column

__all__ = ["Auto", "InnerScores", "build_candidates", "inner_backtest"]

DEFAULT_CANDIDATES: tuple[str, ...] = ("naive", "seasonal_naive", "drift", "ets", "theta")
"""Candidates of ``auto`` when none are given."""


class InnerScores(dict[str, float]):
    """Mean scaled absolute error of each candidate in an inner backtest (NaN when it failed);
    ``errors`` maps a failed candidate to its error message."""

    def __init__(self, scores: dict[str, float], errors: dict[str, str]) -> None:
        super().__init__(scores)
        self.errors = errors


def build_candidates(
    candidates: Sequence[str | BaseModel], seasonal_period: int | None, freq: str | None
) -> list[tuple[str, BaseModel]]:
    """Unfitted candidate models with labels; names get the given season and frequency.

    Raises
    ------
    ConfigError
        No candidates, or two with the same label.
    UnknownModelError
        A name that is not registered.
    """
    if isinstance(candidates, (str, BaseModel)) or len(candidates) == 0:
        raise ConfigError("candidates must be a non-empty list of model names or instances.")
    built: list[tuple[str, BaseModel]] = []
    for candidate in candidates:
        if isinstance(candidate, BaseModel):
            built.append((candidate.name, candidate.clone()))
            continue
        params = {k: v for k, v in (("seasonal_period", seasonal_period), ("freq", freq)) if v is not None}
        built.append((str(candidate), get(str(candidate), **params)))
    labels = [label for label, _ in built]
    if len(set(labels)) != len(labels):
        raise ConfigError(f"candidates repeat a label ({', '.join(labels)}); give each model once.")
    return built


def _scale(y: np.ndarray, m: int) -> float:
    if len(y) <= m:
        return float("nan")
    return float(np.mean(np.abs(y[m:] - y[:-m])))


def inner_backtest(
    data: pd.DataFrame,
    candidates: Sequence[tuple[str, BaseModel]],
    h: int,
    n_windows: int,
    seasonal_period: int,
) -> InnerScores:
    """Score candidates by rolling-origin windows cut from ``data`` alone.

    Parameters
    ----------
    data : DataFrame
        One regular series (``ds``, ``y``), the training data of the outer model.
    candidates : sequence of (label, model)
        Unfitted models; each window fits a clone.
    h : int
        Horizon of each inner window.
    n_windows : int
        Windows, ``h`` observations apart, the last ending at the last observation.
    seasonal_period : int
        Season of the scale: each window's errors are divided by the in-sample seasonal-naive
        mean absolute error of its training data (MASE, M4); where that scale is zero or
        undefined the plain absolute errors are used, for every candidate alike.

    Returns
    -------
    InnerScores
        Mean scaled error per candidate label; NaN for a candidate that failed in any window.

    Raises
    ------
    HistoryError
        ``data`` is too short for the windows.
    """
    y = data[Y].to_numpy(dtype=float)
    n = len(y)
    first_cut = n - h * n_windows
    if first_cut < 2:
        uid = str(data[UNIQUE_ID].iloc[0]) if UNIQUE_ID in data.columns else "series"
        raise HistoryError(
            f"series {uid!r} has {n} observations; the inner backtest needs more than {h * n_windows + 1} "
            f"({n_windows} window(s) of {h}). Pass a smaller inner h or n_windows, or a longer history.",
            series=uid,
            column=Y,
        )
    frame = data[[c for c in (UNIQUE_ID, DS, Y) if c in data.columns]].reset_index(drop=True)
    scores: dict[str, float] = {}
    errors: dict[str, str] = {}
    for label, model in candidates:
        total, count = 0.0, 0
        for cut in range(first_cut, n, h):
            train, actual = frame.iloc[:cut], y[cut : cut + h]
            try:
                fitted = model.clone().fit(train)
                point = fitted.predict(len(actual), levels=())["yhat"].to_numpy()
            except ForecastError as err:
                errors[label] = f"{type(err).__name__}: {err}"
                break
            scale = _scale(train[Y].to_numpy(dtype=float), seasonal_period)
            divisor = scale if np.isfinite(scale) and scale > 0 else 1.0
            total += float(np.sum(np.abs(point - actual))) / divisor
            count += len(actual)
        scores[label] = float("nan") if label in errors else total / count
    return InnerScores(scores, errors)


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
    seasonal_period, transform, freq
        See :class:`~forecast.models.base.BaseModel`; the season and frequency are passed on to
        candidates given by name.

    Attributes
    ----------
    chosen_ : str
        Label of the chosen candidate.
    scores_ : InnerScores
        Mean scaled absolute error (MASE) of every candidate in the inner backtest.
    model_ : BaseModel
        The chosen candidate, fitted on all the training data.

    Notes
    -----
    Steps: cut ``n_windows`` windows of ``h`` observations from the end of the training data;
    fit every candidate on the data before each window and score its point forecasts by MASE
    (errors scaled by the in-sample seasonal-naive MAE of that window's training data); choose
    the lowest mean score (ties go to the earlier candidate); refit the chosen candidate on all
    the data. When that final fit fails, the next best is used. Forecasts, intervals and sample
    paths are the chosen model's.

    References
    ----------
    .. [1] Hyndman, R. J. and Athanasopoulos, G. (2021). Forecasting: Principles and Practice,
       3rd ed., section 5.10 (time series cross-validation).
    """

    capabilities = Capabilities(min_history=4)

    def __init__(
        self,
        candidates: Sequence[str | BaseModel] = DEFAULT_CANDIDATES,
        *,
        h: int | None = None,
        n_windows: int = 3,
        seasonal_period: int | None = None,
        transform: str | None = None,
        freq: str | None = None,
    ) -> None:
        super().__init__(seasonal_period=seasonal_period, transform=transform, freq=freq)  # type: ignore[arg-type]
        if h is not None and (isinstance(h, bool) or int(h) < 1):
            raise ConfigError(f"h must be a positive integer, not {h!r}.")
        if isinstance(n_windows, bool) or int(n_windows) < 1:
            raise ConfigError(f"n_windows must be a positive integer, not {n_windows!r}.")
        if isinstance(candidates, (str, BaseModel)) or len(candidates) == 0:
            raise ConfigError("candidates must be a non-empty list of model names or instances.")
        self.candidates = tuple(candidates)
        self.h = h
        self.n_windows = int(n_windows)

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
            raise FitError(f"every candidate of 'auto' failed the inner backtest of series {self.series_id_!r} ({details}).")
        models = dict(candidates)
        failures = []
        for _, _, label in ranked:
            try:
                self.model_ = models[label].clone().fit(data[[UNIQUE_ID, DS, Y]])
            except ForecastError as err:
                failures.append(f"{label}: {type(err).__name__}: {err}")
                continue
            self.chosen_ = label
            self.params_ = {f"mase_{k}": v for k, v in self.scores_.items()}
            return
        raise FitError(f"no candidate of 'auto' could be fitted to series {self.series_id_!r}: {'; '.join(failures)}.")

    def _predict(self, h: int, levels: tuple[float, ...]) -> tuple[np.ndarray, Intervals]:
        frame = self.model_.predict(h, levels=levels)
        intervals = {
            level: (frame[level_column(level, "lo")].to_numpy(), frame[level_column(level, "hi")].to_numpy())
            for level in levels
        }
        return frame["yhat"].to_numpy(), intervals

    def _sample(self, h: int, n: int, rng: np.random.Generator) -> np.ndarray:
        return self.model_.sample(h, n, seed=int(rng.integers(2**31)))
