"""Conformal calibration of any model from its inner-backtest errors, pooled across steps.

:class:`Calibration` keeps one :class:`~forecast.evaluation.conformal.PooledConformal` per
horizon for a fitted model (the errors of all horizon steps pooled after dividing each step's
errors by that step's spread, so a short series with few inner windows still has enough
scores for a 95% interval). Models use them through ``calibrate=``
(:mod:`forecast.models._calibration`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from forecast.errors import ForecastWarning, HistoryError
from forecast.evaluation.conformal import (
    Conformal,
    PooledConformal,
    ScaledConformal,
    longer_horizon,
)
from forecast.evaluation.inner import inner_backtest, window_cuts, window_ratios
from forecast.evaluation.metrics import interval_score, seasonal_naive_scale
from forecast.models._calibration import OWN_LEVEL
from forecast.models.base import BaseModel, Intervals
from forecast.schema import Y

__all__ = [
    "OWN_PATHS",
    "SHORT_SERIES_INFLATION",
    "CHOICE_LEVELS",
    "Calibration",
    "InflatedCalibration",
    "InnerWindows",
    "OWN_LEVEL",
    "PooledConformal",
    "ScaledCalibration",
    "choose_calibration",
    "inner_residuals",
    "inner_windows",
    "left_out_scores",
    "pool_short_series",
    "standardised_residuals",
    "window_ratios",
]

SHORT_SERIES_INFLATION = 2.0
"""Factor by which a model's own spread is widened where no inner window could be fitted.

Measured on the quarterly user counts of ``social-apps-quarterly`` (h=4, 6 windows): for the
own intervals of ten models to cover as promised, their half-widths had to be multiplied by a
median of 2.4 at 80% and 2.3 at 95% (from 0.9 for gompertz to 5.6 for theta); 2 is a round
factor below that median, so few models' bands are widened more than they needed."""

DEGENERATE_SPREAD = 1e-3
"""An inner window's own spread below this fraction of the largest at the same step (a model
certain of a series that was flat so far) makes the windows unusable for
:class:`ScaledCalibration`: fewer, later windows are tried."""

_OWN_Z = float(norm.ppf(0.5 + OWN_LEVEL / 200.0))
"""The standard normal quantile of the own interval's upper bound (1.2816 at 80%)."""

OWN_PATHS = 2000
"""Sample paths of the model's own that :class:`InflatedCalibration` widens."""


class Calibration:
    """The calibrations of one fitted model, by horizon.

    (:class:`InflatedCalibration` is the one of a series too short for inner windows.)

    The one made while fitting, and for a longer horizon one made on demand from inner
    windows of that length when the training data has room for them (else the fitting one,
    extrapolated). Only the training data is ever used.

    Parameters
    ----------
    base : Conformal
        The calibration made while fitting (a :class:`PooledConformal`).
    data : DataFrame
        The training series (``unique_id``, ``ds``, ``y``) on the scale of ``y``.
    member : (str, BaseModel)
        The model's name and an unfitted clone with calibration off.
    n_windows, seasonal_period : int
        The inner backtest's windows and the season of its error scale.

    Attributes
    ----------
    log_scale : bool
        True when the errors are on the log scale, for a model with ``transform="log"``
        (actual and forecast logged before they are subtracted): the model applies the
        calibration to its log point forecast and exponentiates the bands and paths, so they
        stay positive. False (the class default, and that of files saved before this
        attribute) for errors on the scale of ``y``.
    """

    log_scale: bool = False

    def __init__(
        self,
        base: Conformal,
        data: pd.DataFrame,
        member: tuple[str, BaseModel],
        n_windows: int,
        seasonal_period: int,
    ) -> None:
        self.base = base
        self.data = data
        self.member = member
        self.n_windows = n_windows
        self.seasonal_period = seasonal_period
        self.log_scale = _on_log_scale(member)
        self._by_horizon: dict[int, Conformal] = {}

    def get(self, h: int) -> Conformal:
        """Return the calibration of a forecast of ``h`` steps.

        Beyond the fitting calibration's horizon, inner windows of ``h`` steps of the model
        (:func:`~forecast.evaluation.conformal.longer_horizon`: most windows first, the
        fitting calibration's bands kept on its steps, else extrapolated).
        """
        if h <= self.base.horizon:
            return self.base
        if h not in self._by_horizon:
            self._by_horizon[h] = longer_horizon(
                self.base,
                lambda windows: inner_residuals(
                    self.data, self.member, h, windows, self.seasonal_period
                ),
                self.n_windows,
            )
        return self._by_horizon[h]

    needs_own: bool = False
    """True when :meth:`intervals` and :meth:`paths` need the model's own interval at
    :data:`OWN_LEVEL` (:class:`ScaledCalibration`)."""

    choice: dict[str, float] | None = None
    """With ``calibrate="auto"``, the left-out interval scores of the two rules that chose this
    one (:func:`choose_calibration`), saved and loaded with the model; None otherwise."""

    @classmethod
    def fit(
        cls,
        data: pd.DataFrame,
        member: tuple[str, BaseModel],
        h: int,
        n_windows: int,
        seasonal_period: int,
    ) -> Calibration | None:
        """Calibrate on ``n_windows`` inner windows of ``h`` steps; None when they fail.

        The errors are :func:`inner_residuals` read by :class:`PooledConformal`, or, for a
        calibration that :attr:`needs_own` spread, :func:`standardised_residuals` read by
        :class:`~forecast.evaluation.conformal.ScaledConformal`.
        """
        errors = standardised_residuals if cls.needs_own else inner_residuals
        found = errors(data, member, h, n_windows, seasonal_period)
        if found is None:
            return None
        rule = ScaledConformal(found) if cls.needs_own else PooledConformal(found)
        return cls(rule, data, member, n_windows, seasonal_period)

    def intervals(
        self,
        point: np.ndarray,
        levels: Sequence[float],
        own: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> Intervals:
        """Calibrated intervals around ``point`` (``own``, the own interval, is not used)."""
        return self.get(len(point)).intervals(point, levels)

    def paths(
        self,
        point: np.ndarray,
        n: int,
        rng: np.random.Generator,
        own: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> np.ndarray:
        """Calibrated sample paths around ``point`` (``own`` is not used)."""
        return self.get(len(point)).paths(point, n, rng)


class ScaledCalibration(Calibration):
    """The model's own intervals rescaled by its errors in inner windows (``calibrate="scaled"``).

    Each inner window's errors are divided by the model's own spread in that window
    (:func:`standardised_residuals`); a forecast's bands are its own spread at the origin
    times their quantiles (:class:`~forecast.evaluation.conformal.ScaledConformal`), so the
    shape of the model's own bands (growth with the step, skew) is kept and only their
    scale is read from out-of-sample errors. Forecasts longer than the inner windows keep
    the last step's multiplier: the own spread already grows with the step.

    Parameters
    ----------
    base : ScaledConformal
        The standardised errors of the inner windows.
    data, member, n_windows, seasonal_period
        As for :class:`Calibration`.
    """

    needs_own = True

    def get(self, h: int) -> Conformal:
        """Return the calibration, whatever ``h`` (standardised errors carry over)."""
        return self.base

    def intervals(
        self,
        point: np.ndarray,
        levels: Sequence[float],
        own: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> Intervals:
        """Return the own interval ``own`` (at :data:`OWN_LEVEL`) rescaled, at each level."""
        up, down = own_spreads(point, own)
        return self._scaled().scaled_intervals(point, levels, up, down)

    def paths(
        self,
        point: np.ndarray,
        n: int,
        rng: np.random.Generator,
        own: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> np.ndarray:
        """Paths matching :meth:`intervals` at every step."""
        up, down = own_spreads(point, own)
        return self._scaled().scaled_paths(point, n, rng, up, down)

    def _scaled(self) -> ScaledConformal:
        if not isinstance(self.base, ScaledConformal):
            raise TypeError("a ScaledCalibration holds a ScaledConformal")
        return self.base


CHOICE_LEVELS: tuple[float, ...] = (80.0, 95.0)
"""Levels whose interval scores decide between conformal and scaled bands
(``calibrate="auto"``, :func:`choose_calibration`)."""


def left_out_scores(found: InnerWindows, standardised: np.ndarray) -> dict[str, float]:
    """Mean interval score of conformal and of scaled bands, each window left out in turn.

    For each inner window, both calibrations are made from the other windows alone (a
    :class:`PooledConformal` of their rescaled errors, a
    :class:`~forecast.evaluation.conformal.ScaledConformal` of their standardised errors with
    the left-out window's own spreads) and their bands at :data:`CHOICE_LEVELS` scored on the
    left-out window's errors by Winkler's interval score
    (:func:`~forecast.evaluation.metrics.interval_score`), on the series' current error scale
    (times the window's ratio).

    Returns
    -------
    dict
        ``{"conformal": score, "scaled": score}``, each the mean over windows, steps and
        levels.
    """
    if found.spread_up is None or found.spread_down is None:
        raise ValueError("scoring scaled bands needs the windows' own spreads")
    rescaled = found.rescaled()
    windows, steps = rescaled.shape
    totals = {"conformal": 0.0, "scaled": 0.0}
    for left_out in range(windows):
        others = np.arange(windows) != left_out
        conformal = PooledConformal(rescaled[others])
        scaled = ScaledConformal(standardised[others])
        ratio = found.ratios[left_out]
        up, down = found.spread_up[left_out] * ratio, found.spread_down[left_out] * ratio
        y = rescaled[left_out]
        for level in CHOICE_LEVELS:
            coverage = np.full(steps, level / 100.0)
            width = conformal.half_widths(coverage)
            totals["conformal"] += interval_score(y, -width, width, level)
            factor = scaled.half_widths(coverage)
            totals["scaled"] += interval_score(y, -down * factor, up * factor, level)
    count = windows * len(CHOICE_LEVELS)
    return {method: total / count for method, total in totals.items()}


def choose_calibration(
    data: pd.DataFrame,
    member: tuple[str, BaseModel],
    h: int,
    n_windows: int,
    seasonal_period: int,
) -> Calibration | None:
    """Calibrate by conformal or by scaled bands, whichever scored better out of sample.

    ``calibrate="auto"``: one inner backtest (``n_windows`` windows of ``h`` steps, with the
    model's own intervals) gives both the errors of a conformal :class:`Calibration` and the
    standardised errors of a :class:`ScaledCalibration`; each window is left out in turn and
    scored by both rules made from the others (:func:`left_out_scores`), and the rule with the
    lower mean interval score is built on all windows. Conformal bands are taken where scaled
    ones cannot be made (an own spread not positive, or too few windows to leave one out).

    Returns
    -------
    Calibration or None
        The chosen calibration, with :attr:`Calibration.choice` holding both scores; None when
        the inner windows failed.

    References
    ----------
    .. [1] Gneiting, T. and Raftery, A. E. (2007). Strictly proper scoring rules, prediction,
       and estimation. JASA 102(477), 359-378 (the interval score).
    .. [2] Lei, J., G'Sell, M., Rinaldo, A., Tibshirani, R. J. and Wasserman, L. (2018).
       Distribution-free predictive inference for regression. JASA 113(523), 1094-1111.
    """
    found = inner_windows(data, member, h, n_windows, seasonal_period, own=True)
    if found is None:
        return None
    standardised = found.standardised()
    args = (data, member, n_windows, seasonal_period)
    conformal = Calibration(PooledConformal(found.rescaled()), *args)
    if standardised is None or n_windows < 2:
        return conformal
    scores = left_out_scores(found, standardised)
    chosen: Calibration = conformal
    if scores["scaled"] < scores["conformal"]:
        chosen = ScaledCalibration(ScaledConformal(standardised), *args)
    chosen.choice = scores
    return chosen


def own_spreads(
    point: np.ndarray, own: tuple[np.ndarray, np.ndarray] | None
) -> tuple[np.ndarray, np.ndarray]:
    """Return the own spreads above and below ``point``: its own bounds' distances over ``z``."""
    if own is None:
        raise ValueError("a scaled calibration needs the model's own interval")
    lower, upper = (np.asarray(bound, dtype=float) for bound in own)
    return np.maximum(upper - point, 0.0) / _OWN_Z, np.maximum(point - lower, 0.0) / _OWN_Z


class InflatedCalibration(Calibration):
    """The model's own spread widened by a stated factor, for a series too short to calibrate.

    For a forecast of ``h`` steps, the unfitted clone is fitted on the training data (with
    calibration off) and ``OWN_PATHS`` of its sample paths are drawn (seed 0); their
    deviations from its point forecast, times ``factor``, are the residuals of a per-step
    :class:`~forecast.evaluation.conformal.Conformal`. Intervals are therefore symmetric
    around the point with half-widths ``factor`` times the own paths' quantiles of absolute
    deviation, and paths are the point plus widened own deviations with a random sign.

    Parameters
    ----------
    data : DataFrame
        The training series (``unique_id``, ``ds``, ``y``) on the scale of ``y``.
    member : (str, BaseModel)
        The model's name and an unfitted clone with calibration off.
    factor : float
        The widening, :data:`SHORT_SERIES_INFLATION` by default.
    """

    def __init__(
        self,
        data: pd.DataFrame,
        member: tuple[str, BaseModel],
        factor: float = SHORT_SERIES_INFLATION,
    ) -> None:
        self.factor = float(factor)
        self.data = data
        self.member = member
        self.n_windows = 0
        self.seasonal_period = 1
        self.log_scale = _on_log_scale(member)
        self._by_horizon: dict[int, Conformal] = {}
        self.base = self.get(1)

    def get(self, h: int) -> Conformal:
        """Return the widened own spread of a forecast of ``h`` steps."""
        if h not in self._by_horizon:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ForecastWarning)
                fitted = self.member[1].clone().fit_validated(self.data)
                point = fitted.predict(h, levels=())["yhat"].to_numpy(dtype=float)
                paths = fitted.sample(h, OWN_PATHS, seed=0)
            if self.log_scale:
                point, paths = np.log(point), np.log(paths)
            self._by_horizon[h] = Conformal(self.factor * (paths - point[None, :]), radius=0)
        return self._by_horizon[h]


@dataclass(frozen=True)
class InnerWindows:
    """The errors of a model in inner windows, on the scale it fits on.

    Attributes
    ----------
    errors : ndarray
        Actual minus point forecast, shape ``(n_windows, h)`` (of the logs for a model with
        ``transform="log"``).
    ratios : ndarray
        Each window's :func:`window_ratios`: the series' current error scale over the window's.
    spread_up, spread_down : ndarray or None
        The model's own spread above and below its point in each window and step (the
        distance to its own bound at :data:`OWN_LEVEL` over ``z``); None when not asked for.
    """

    errors: np.ndarray
    ratios: np.ndarray
    spread_up: np.ndarray | None = None
    spread_down: np.ndarray | None = None

    def rescaled(self) -> np.ndarray:
        """Return the errors times their window's ratio (:func:`inner_residuals`)."""
        rescaled: np.ndarray = self.errors * self.ratios[:, None]
        return rescaled

    def standardised(self) -> np.ndarray | None:
        """Return the errors over the own spread on their side (:func:`standardised_residuals`).

        None without own spreads, or when one is not positive or below
        :data:`DEGENERATE_SPREAD` of the largest at its step.
        """
        if self.spread_up is None or self.spread_down is None:
            return None
        with np.errstate(invalid="ignore"):
            spread = np.where(self.errors > 0, self.spread_up, self.spread_down)
        largest = np.max(np.where(np.isfinite(spread), spread, 0.0), axis=0)
        usable = np.isfinite(spread) & (spread > 0) & (spread >= DEGENERATE_SPREAD * largest)
        if not np.all(usable):
            return None
        standardised: np.ndarray = self.errors / spread
        return standardised


def inner_windows(
    data: pd.DataFrame,
    member: tuple[str, BaseModel],
    h: int,
    n_windows: int,
    season: int,
    own: bool = False,
) -> InnerWindows | None:
    """Fit the model in ``n_windows`` inner windows of ``h`` steps and keep its errors.

    Every window fits the model again on the data before it, as the model is fitted at a
    forecast's origin (not the first window's estimates updated through the later windows,
    whose stale parameters widened ``ets``'s calibrated bands). With ``own``, each window also
    forecasts its own interval at :data:`OWN_LEVEL`. None when the model failed in a window
    or the data is too short.
    """
    try:
        scores = inner_backtest(
            data, [member], h, n_windows, season, own_level=OWN_LEVEL if own else None
        )
    except HistoryError:
        return None
    if scores.errors:
        return None
    log = _on_log_scale(member)
    y = _model_scale(data[Y].to_numpy(dtype=float), log)
    ratios = window_ratios(y, window_cuts(len(y), h, n_windows), season)
    point = _model_scale(scores.forecasts[member[0]], log)
    errors = _model_scale(scores.actuals, log) - point
    if not own:
        return InnerWindows(errors, ratios)
    lower, upper = (_model_scale(bound, log) for bound in scores.bands[member[0]])
    return InnerWindows(errors, ratios, (upper - point) / _OWN_Z, (point - lower) / _OWN_Z)


def inner_residuals(
    data: pd.DataFrame, member: tuple[str, BaseModel], h: int, n_windows: int, season: int
) -> np.ndarray | None:
    """Actual minus point forecast in the inner windows, rescaled; None on failure.

    Returns
    -------
    ndarray or None
        Shape ``(n_windows, h)``: each window's errors times :func:`window_ratios` (the
        series' current error scale over the window's), so windows from quieter or busier
        times count alike; None when the model failed in a window or the data is too short
        (:func:`inner_windows`). For a model with ``transform="log"`` the errors, and the
        scales, are those of the logs.
    """
    found = inner_windows(data, member, h, n_windows, season)
    return None if found is None else found.rescaled()


def standardised_residuals(
    data: pd.DataFrame, member: tuple[str, BaseModel], h: int, n_windows: int, season: int
) -> np.ndarray | None:
    """Errors of the inner windows over the model's own spread there; None on failure.

    Each window fits the model on the data before it and forecasts ``h`` steps with its own
    interval at :data:`OWN_LEVEL`; an error above the point is divided by the distance to the
    upper bound, one below by the distance to the lower bound, each over ``z_0.9`` (so a
    model whose own bands are right gives standard normal values). For a model with
    ``transform="log"``, on the log scale.

    Returns
    -------
    ndarray or None
        Shape ``(n_windows, h)``; None when the model failed in a window, the data is too
        short, or an own spread is not positive or below :data:`DEGENERATE_SPREAD` of the
        largest at its step (a window whose training data was flat).
    """
    found = inner_windows(data, member, h, n_windows, season, own=True)
    return None if found is None else found.standardised()


def _on_log_scale(member: tuple[str, BaseModel]) -> bool:
    """Say whether the member fits on ``log(y)`` (``transform="log"``): calibrate on that scale."""
    return getattr(member[1], "transform", None) == "log"


def _model_scale(values: np.ndarray, log: bool) -> np.ndarray:
    """``values`` on the scale the model fits on: logged when ``log`` (all are positive there)."""
    return np.log(values) if log else values


def _naive_scale(calibration: Calibration) -> float:
    y = _model_scale(calibration.data[Y].to_numpy(dtype=float), calibration.log_scale)
    scale = seasonal_naive_scale(y, 1)
    return scale if np.isfinite(scale) and scale > 0 else float("nan")


def _panel_residuals(donors: Sequence[Calibration]) -> tuple[np.ndarray, int]:
    """Stack the donors' inner residuals over their naive scale, on their longest horizon."""
    horizon = max(c.base.horizon for c in donors)
    rows = []
    used = 0
    for calibration in donors:
        scale = _naive_scale(calibration)
        if calibration.base.horizon == horizon and np.isfinite(scale):
            rows.append(calibration.base.residuals / scale)
            used += 1
    return (np.vstack(rows) if rows else np.empty((0, horizon))), used


def pool_short_series(models: Sequence[BaseModel]) -> list[str]:
    """Calibrate the models of series too short for inner windows from the others of a call.

    Among the fitted models of one call (a panel: several series, any model names), the
    models of one name whose series had room for inner windows are the donors: their inner
    residuals (rescaled to their series' current error scale) are divided by their series'
    naive scale (the in-sample mean absolute one-step change, MASE's scale with ``m = 1``)
    and stacked, on the donors' longest calibrated horizon. Each model of that name whose
    series was too short (its ``calibration_`` an :class:`InflatedCalibration`, the stated
    widening) gets instead a :class:`Calibration` of these pooled scaled errors times its
    own series' naive scale (a :class:`PooledConformal` of every donor window; steps past
    the donors' horizon are extrapolated linearly), and a
    :class:`~forecast.ForecastWarning` names the model and the series and says so.

    Parameters
    ----------
    models : sequence of BaseModel
        The fitted models of one call (models of one name pool only with those on the same
        scale: ``transform="log"`` or not; where ``calibrate="auto"`` chose scaled bands for
        some donors and conformal ones for others, the conformal donors are pooled). Models
        without calibration, models calibrated on their own inner windows, and short series
        without a donor of their model's name or with an undefined scale (fewer than 2
        observations, or flat) are left as they are.

    Returns
    -------
    list of str
        The series ids (``unique_id``) whose models were given a pooled calibration; the
        models are changed in place (``calibration_`` only).

    Warns
    -----
    ForecastWarning
        Once per pooled model, naming the model, the series and the number of donor series.

    Notes
    -----
    Scaled errors are comparable across series (Hyndman and Koehler 2006), so a panel's
    short members borrow the error distribution of its long members, as global models pool
    series to learn one error model; the assumption that the short series errs like the
    others, relative to its own one-step variability, is stated in the warning.

    References
    ----------
    .. [1] Hyndman, R. J. and Koehler, A. B. (2006). Another look at measures of forecast
       accuracy. International Journal of Forecasting 22(4), 679-688.
    .. [2] Montero-Manso, P. and Hyndman, R. J. (2021). Principles and algorithms for
       forecasting groups of time series: locality and globality. International Journal of
       Forecasting 37(4), 1632-1653.
    """
    by_name: dict[tuple[str, bool], list[tuple[BaseModel, Calibration]]] = {}
    for model in models:
        found = getattr(model, "calibration_", None)
        if isinstance(found, Calibration):
            by_name.setdefault((model.name, found.log_scale), []).append((model, found))
    pooled: list[str] = []
    for (name, _), group in by_name.items():
        donors = [c for _, c in group if c.n_windows > 0]
        short = [(m, c) for m, c in group if isinstance(c, InflatedCalibration)]
        if not donors or not short:
            continue
        if all(isinstance(c, ScaledCalibration) for c in donors):
            pooled += _pool_standardised(name, donors, short)
            continue
        donors = [c for c in donors if not isinstance(c, ScaledCalibration)]
        residuals, used = _panel_residuals(donors)
        if used == 0:
            continue
        for model, own in short:
            scale = _naive_scale(own)
            if not np.isfinite(scale):
                continue
            base = PooledConformal(residuals * scale)
            model.calibration_ = Calibration(base, own.data, own.member, 0, own.seasonal_period)
            pooled.append(str(model.series_id_))
            _warn_pooled(
                name,
                model,
                f"the scaled inner errors of {used} other series of this call (times its own "
                "mean absolute one-step change)",
            )
    return pooled


def _pool_standardised(
    name: str,
    donors: Sequence[Calibration],
    short: Sequence[tuple[BaseModel, Calibration]],
) -> list[str]:
    """Give the short series the donors' standardised errors (``calibrate="scaled"``)."""
    horizon = max(c.base.horizon for c in donors)
    rows = [c.base.residuals for c in donors if c.base.horizon == horizon]
    stacked = np.vstack(rows)
    pooled = []
    for model, own in short:
        base = ScaledConformal(stacked)
        model.calibration_ = ScaledCalibration(base, own.data, own.member, 0, own.seasonal_period)
        pooled.append(str(model.series_id_))
        _warn_pooled(
            name,
            model,
            f"the standardised inner errors of {len(rows)} other series of this call "
            "(errors over the model's own spread), times its own spread",
            stacklevel=4,
        )
    return pooled


def _warn_pooled(name: str, model: BaseModel, source: str, stacklevel: int = 3) -> None:
    warnings.warn(
        f"model {name!r}: series {model.series_id_!r} is too short for inner windows; its "
        f"intervals and paths are calibrated from {source}, instead of its own spread "
        "widened by SHORT_SERIES_INFLATION; this assumes it errs like them. Pass "
        "calibrate=False to keep its own intervals.",
        ForecastWarning,
        stacklevel=stacklevel,
    )
