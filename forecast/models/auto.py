"""``auto``: per series, the best of a list of candidate models by an inner backtest.

The inner backtest runs on the training data the model is given and nothing else, so ``auto``
can itself be backtested without leakage: inside each outer window it cuts its own windows
from the data before the outer cutoff. Its errors also calibrate the intervals (split-conformal
by horizon step, :class:`Conformal`), which ``ensemble`` uses as well.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from forecast.errors import ConfigError, FitError, ForecastError, HistoryError
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


class InnerScores(dict[str, float]):
    """Mean scaled absolute error of each candidate in an inner backtest (NaN when it failed).

    Attributes
    ----------
    errors : dict
        A failed candidate's label -> its error message.
    forecasts : dict
        A successful candidate's label -> its point forecasts, shape ``(n_windows, h)``.
    actuals : ndarray
        The actual values of the windows, shape ``(n_windows, h)``.
    scales : ndarray
        Each window's MASE divisor (the seasonal-naive MAE of its training data, or 1 where
        that is zero or undefined), shape ``(n_windows,)``.
    """

    def __init__(
        self,
        scores: dict[str, float],
        errors: dict[str, str],
        forecasts: dict[str, np.ndarray] | None = None,
        actuals: np.ndarray | None = None,
        scales: np.ndarray | None = None,
    ) -> None:
        super().__init__(scores)
        self.errors = errors
        self.forecasts = forecasts or {}
        self.actuals = actuals if actuals is not None else np.empty((0, 0))
        self.scales = scales if scales is not None else np.empty(0)


def combine_points(points: np.ndarray, how: str, weights: np.ndarray | None = None) -> np.ndarray:
    """Combine point forecasts stacked on axis 0: ``"median"``, ``"mean"`` or ``"weighted"``
    (``weights @ points``).
    """
    if how == "median":
        return np.median(points, axis=0)
    if how == "mean" or weights is None:
        return np.mean(points, axis=0)
    return np.tensordot(weights, points, axes=1)


class Conformal:
    """Split-conformal intervals and sample paths from inner-backtest residuals by horizon step.

    Parameters
    ----------
    residuals : ndarray
        Actual minus point forecast, shape ``(n_windows, H)``: row ``w`` is one inner window,
        column ``j`` horizon step ``j + 1``.
    radius : int, optional
        Steps pooled on each side of a step (clipped at the ends); by default ``round(H / 10)``
        (3 for 30 daily steps, 1 for 12 monthly ones, 0 for fewer than 6).

    Notes
    -----
    The conformity scores of step ``j`` are the absolute residuals of steps ``j - radius`` to
    ``j + radius`` in every inner window, ``n`` values. The interval of level ``L`` is the point
    forecast plus or minus their quantile at ``min(1, L / 100 * (n + 1) / n)``, the
    finite-sample correction of split-conformal prediction (Stankeviciute, Alaa and van der
    Schaar 2021; statsforecast's ``ConformalIntervals`` uses the scores of each step alone and no
    correction); quantiles interpolate linearly. Intervals of every level therefore nest around
    the point. Pooling neighbouring steps matters when there are few windows: with three windows
    and no pooling, a step has three scores and simulated exchangeable errors were covered
    about 65% of the time at 80% and 73% at 95%; pooling and the correction bring that to
    about 79% and 92% for 30 steps. Where ``L / 100 * (n + 1) / n`` exceeds 1 the largest score
    is used, which can cover less than ``L``.

    A sample path is ``point + s * e_w[j + d]``: one inner window ``w``, one sign ``s`` in
    ``{-1, +1}`` and one shift ``d`` in ``-radius..radius`` drawn uniformly per path, applied to
    the window's whole residual vector, so paths keep the serial correlation of the errors and
    their values at step ``j`` are drawn from the same pooled scores the intervals are read
    from (the paths' percentiles lack only the finite-sample correction).

    Steps beyond ``H`` use the residuals of step ``H`` scaled by ``sqrt(step / H)`` (the growth
    of a random walk's spread), a stated extrapolation; the models recalibrate on the requested
    horizon when their training data has room for it.
    """

    def __init__(self, residuals: np.ndarray, radius: int | None = None) -> None:
        residuals = np.asarray(residuals, dtype=float)
        if residuals.ndim != 2 or residuals.size == 0 or not np.all(np.isfinite(residuals)):
            raise FitError(
                "conformal calibration needs a finite (n_windows, h) array of residuals."
            )
        if radius is not None and (isinstance(radius, bool) or int(radius) < 0):
            raise ConfigError(f"radius must be None or a whole number >= 0, not {radius!r}.")
        self.residuals = residuals
        self.radius = int(round(residuals.shape[1] / 10)) if radius is None else int(radius)

    @property
    def horizon(self) -> int:
        """Steps calibrated by the inner backtest."""
        return int(self.residuals.shape[1])

    def spread(self, h: int) -> np.ndarray:
        """Residuals of the first ``h`` steps, shape ``(n_windows, h)``, extrapolated past ``H``."""
        known = self.residuals[:, :h]
        if h <= self.horizon:
            return known
        steps = np.arange(self.horizon + 1, h + 1)
        extra = self.residuals[:, -1:] * np.sqrt(steps / self.horizon)
        return np.hstack([known, extra])

    def _neighbours(self, h: int) -> np.ndarray:
        offsets = np.arange(-self.radius, self.radius + 1)
        return np.clip(np.arange(h)[:, None] + offsets[None, :], 0, h - 1)

    def scores(self, h: int) -> np.ndarray:
        """Conformity scores of each step, shape ``(h, n)``: pooled absolute residuals."""
        spread = np.abs(self.spread(h))
        return spread[:, self._neighbours(h)].transpose(1, 0, 2).reshape(h, -1)

    def intervals(self, point: np.ndarray, levels: Sequence[float]) -> Intervals:
        """Intervals of each level around ``point`` (length ``h``)."""
        scores = self.scores(len(point))
        n = scores.shape[1]
        out: Intervals = {}
        for level in levels:
            width = np.quantile(scores, min(1.0, level / 100.0 * (n + 1) / n), axis=1)
            out[level] = (point - width, point + width)
        return out

    def paths(self, point: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` sample paths ``(n, h)``: the point plus one window's shifted residuals, sign flipped at random."""
        h = len(point)
        spread = self.spread(h)
        rows = rng.integers(spread.shape[0], size=n)
        signs = rng.choice(np.array([-1.0, 1.0]), size=n)
        shifts = rng.integers(-self.radius, self.radius + 1, size=n)
        columns = np.clip(np.arange(h)[None, :] + shifts[:, None], 0, h - 1)
        return point + signs[:, None] * spread[rows[:, None], columns]


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
        params = {
            k: v for k, v in (("seasonal_period", seasonal_period), ("freq", freq)) if v is not None
        }
        built.append((str(candidate), get(str(candidate), **params)))
    labels = [label for label, _ in built]
    if len(set(labels)) != len(labels):
        raise ConfigError(f"candidates repeat a label ({', '.join(labels)}); give each model once.")
    return built


def _scale(y: np.ndarray, m: int) -> float:
    if len(y) <= m:
        return float("nan")
    return float(np.mean(np.abs(y[m:] - y[:-m])))


def _divisor(y: np.ndarray, m: int) -> float:
    scale = _scale(y, m)
    return scale if np.isfinite(scale) and scale > 0 else 1.0


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
    forecasts: dict[str, np.ndarray] = {}
    cuts = range(first_cut, n, h)
    actuals = np.vstack([y[cut : cut + h] for cut in cuts])
    scales = np.array([_divisor(y[:cut], seasonal_period) for cut in cuts])
    for label, model in candidates:
        total, count, points = 0.0, 0, []
        for cut in cuts:
            train, actual = frame.iloc[:cut], y[cut : cut + h]
            try:
                fitted = model.clone().fit_validated(train)
                point = fitted.predict(len(actual), levels=())["yhat"].to_numpy()
            except ForecastError as err:
                errors[label] = f"{type(err).__name__}: {err}"
                break
            total += float(np.sum(np.abs(point - actual))) / _divisor(y[:cut], seasonal_period)
            count += len(actual)
            points.append(point)
        if label in errors:
            scores[label] = float("nan")
        else:
            scores[label] = total / count
            forecasts[label] = np.vstack(points)
    return InnerScores(scores, errors, forecasts, actuals, scales)


def calibrate(
    data: pd.DataFrame,
    members: Sequence[tuple[str, BaseModel]],
    h: int,
    n_windows: int,
    seasonal_period: int,
    how: str = "median",
    weights: np.ndarray | None = None,
) -> Conformal | None:
    """Conformal calibration of the combination ``how`` of ``members`` on horizon ``h``.

    Runs :func:`inner_backtest` on ``data`` (training data only) and returns the residuals of
    the combined point forecasts, or None when the data has no room for the windows or a
    member fails in one of them.
    """
    try:
        scores = inner_backtest(data, members, h, n_windows, seasonal_period)
    except HistoryError:
        return None
    if scores.errors:
        return None
    points = np.stack([scores.forecasts[label] for label, _ in members])
    return Conformal(rescaled(data, scores, combine_points(points, how, weights), seasonal_period))


def rescaled(
    data: pd.DataFrame, scores: InnerScores, points: np.ndarray, seasonal_period: int
) -> np.ndarray:
    """Residuals of ``points`` in the inner windows of ``scores``, each window's divided by its
    MASE divisor and multiplied by that of all of ``data``: errors in units of the series'
    current seasonal-naive error, so windows from quieter or busier times count alike.
    """
    current = _divisor(data[Y].to_numpy(dtype=float), seasonal_period)
    return (scores.actuals - points) * (current / scores.scales[:, None])


class ConformalCache:
    """Calibrations of one fitted model by horizon: the one made while fitting, and those made
    on demand for longer horizons (each horizon's own, so results do not depend on the order of
    calls). Holds the training data and unfitted members so it pickles with the model.

    Parameters
    ----------
    base : Conformal or None
        The calibration made while fitting; None when the model is not calibrated.
    data, members, n_windows, seasonal_period, how, weights
        The arguments of :func:`calibrate` for longer horizons.
    """

    def __init__(
        self,
        base: Conformal | None,
        data: pd.DataFrame,
        members: Sequence[tuple[str, BaseModel]],
        n_windows: int,
        seasonal_period: int,
        how: str = "median",
        weights: np.ndarray | None = None,
    ) -> None:
        self.base = base
        self.data = data
        self.members = list(members)
        self.n_windows = n_windows
        self.seasonal_period = seasonal_period
        self.how = how
        self.weights = weights
        self._by_horizon: dict[int, Conformal] = {}

    def __bool__(self) -> bool:
        return self.base is not None

    def get(self, h: int) -> Conformal:
        """The calibration used for a forecast of ``h`` steps."""
        if self.base is None:
            raise FitError("this model has no conformal calibration.")
        if h <= self.base.horizon:
            return self.base
        if h not in self._by_horizon:
            found = calibrate(
                self.data,
                self.members,
                h,
                self.n_windows,
                self.seasonal_period,
                self.how,
                self.weights,
            )
            self._by_horizon[h] = found or self.base
        return self._by_horizon[h]


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
                f"every candidate of 'auto' failed the inner backtest of series {self.series_id_!r} ({details})."
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
                    self.model_ = combination.fit(series)
                    self.chosen_ = f"median({', '.join(close)})"
                    return close
                except ForecastError:
                    pass
        failures = []
        for _, _, label in ranked:
            try:
                self.model_ = models[label].clone().fit(series)
            except ForecastError as err:
                failures.append(f"{label}: {type(err).__name__}: {err}")
                continue
            self.chosen_ = label
            return [label]
        raise FitError(
            f"no candidate of 'auto' could be fitted to series {self.series_id_!r}: {'; '.join(failures)}."
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
