"""Conformal calibration of any model from its inner-backtest errors, pooled across steps.

:class:`PooledConformal` is :class:`~forecast.evaluation.conformal.Conformal` with the errors
of all horizon steps pooled after dividing each step's errors by that step's spread, so a
short series with few inner windows still has enough scores for a 95% interval;
:class:`Calibration` keeps one per horizon for a fitted model. Models use them through
``calibrate=`` (:mod:`forecast.models._calibration`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import norm

from forecast.errors import ForecastWarning, HistoryError
from forecast.evaluation.conformal import Conformal
from forecast.evaluation.inner import inner_backtest, window_cuts, window_ratios
from forecast.evaluation.metrics import seasonal_naive_scale
from forecast.models._calibration import WINDOWS
from forecast.models.base import BaseModel, Intervals
from forecast.schema import Y

__all__ = [
    "OWN_PATHS",
    "SHORT_SERIES_INFLATION",
    "Calibration",
    "InflatedCalibration",
    "PooledConformal",
    "inner_residuals",
    "pool_short_series",
    "window_ratios",
]

SHORT_SERIES_INFLATION = 2.0
"""Factor by which a model's own spread is widened where no inner window could be fitted.

Measured on the quarterly user counts of ``social-apps-quarterly`` (h=4, 6 windows): for the
own intervals of ten models to cover as promised, their half-widths had to be multiplied by a
median of 2.4 at 80% and 2.3 at 95% (from 0.9 for gompertz to 5.6 for theta); 2 is a round
factor below that median, so few models' bands are widened more than they needed."""

OWN_PATHS = 2000
"""Sample paths of the model's own that :class:`InflatedCalibration` widens."""


class PooledConformal(Conformal):
    """Split-conformal intervals and paths from residuals pooled across horizon steps.

    Parameters
    ----------
    residuals : ndarray
        Actual minus point forecast of the inner windows, shape ``(n_windows, H)``.
    head : PooledConformal, optional
        The fitting calibration, of a shorter horizon, whose bands the first steps keep.
    head_scores : bool
        Take the scores from ``head`` and only the step spreads from ``residuals``: for
        residuals of 2 windows, whose leave-one-out scores are ratios of two errors.

    Notes
    -----
    Step ``j``'s spread ``s_j`` is the root mean square of its residuals over the windows,
    made non-decreasing in ``j`` (a forecast does not get surer further ahead) and extended
    past ``H`` linearly, ``s_H * j / H`` (errors of a trend that is off grow with the step;
    ``sqrt(j / H)``, a random walk's growth, under-covered the late steps of yearly series
    calibrated on 1-step windows). Each residual ``e_wj`` is
    divided by the same spread computed without its own window (leave-one-out, so a score
    is not shrunk by its own size: with ``W`` windows an in-sample ratio never exceeds
    ``sqrt(W)``), and the scores are the absolute values of these ratios over every window and
    step, ``n = W * H`` values. The interval of level ``L`` at step ``j`` is the point plus or
    minus ``s_j`` times their quantile at ``min(1, L / 100 * (n + 1) / n)``: normalised
    nonconformity scores (Lei et al. 2018), pooled over steps. Where ``L / 100 * (n + 1) / n``
    exceeds 1 (too few scores: the conformal interval would be unbounded, and the largest
    score covers at most ``n / (n + 1)``), the multiplier is at least the standard normal
    quantile ``z_{(1 + L / 100) / 2}`` (1.96 at 95): the step's spread taken as a Gaussian
    scale, a stated floor. On simulated exchangeable normal errors growing like a random
    walk's (3,000 trials), 5 windows of 4 steps cover 80% and 95% at 80 and 95, 3 windows of
    4 steps 83% and 94%, 2 windows of 4 steps 85% and 93%, 5 windows of 1 step 81% and 89%,
    2 windows of 1 step 68% and 81% (per-step scores without pooling, 5 windows of 4 steps:
    82% and 84%).

    With 2 windows each score is one window's error over the other's: a ratio of two errors,
    as heavy-tailed as a Cauchy variable (its 95% quantile is about 12.7 for Gaussian
    errors), so the widest of few such scores sets the 95% band. A longer horizon calibrated
    on 2 windows (:meth:`Calibration.get`) therefore takes its step spreads from them and its
    scores from the fitting calibration (``head_scores``), read from more windows. On a 5%
    sample of M3's yearly and quarterly series (70 series, their hold-out; forecasts of 6 and
    8 steps, beyond the 1- and 4-step fitting windows), calibrated MSIS at 95 fell for naive
    (22.2 to 19.7), theta (23.3 to 22.3), drift (23.9 to 23.0), mean (31.0 to 29.2) and ets
    (22.8 to 22.3), coverage within 1.2 points but mean's 80% (78.6 to 73.2).

    A sample path follows one window's errors: one window ``w``, one sign and one cyclic shift
    ``d`` are drawn per path and step ``j`` takes the score ``u = u_w[(j + d) mod H]``. Its
    magnitude is then read through the intervals' rule: with ``F`` the pooled scores'
    empirical distribution, ``p`` is drawn uniformly between ``F(|u|-)`` and ``F(|u|)`` (a
    uniform variable, whatever the ties) and the step is ``point_j + sign(u) * sign * s_j *
    m(p)``, where ``m(p)`` is the multiplier of the interval of coverage ``p``
    (:meth:`multipliers`). So every step's paths fall inside the interval of every level in
    that level's share of draws, also where the Gaussian floor widens the interval (raw
    scores, at most the largest, would all fall inside it), and consecutive steps keep the
    rank order of one window's errors.

    References
    ----------
    .. [1] Lei, J., G'Sell, M., Rinaldo, A., Tibshirani, R. J. and Wasserman, L. (2018).
       Distribution-free predictive inference for regression. JASA 113(523), 1094-1111.
    .. [2] Stankeviciute, K., Alaa, A. M. and van der Schaar, M. (2021). Conformal time-series
       forecasting. NeurIPS 34.
    """

    head: PooledConformal | None = None
    """The fitting calibration, whose steps a longer horizon's calibration keeps (else None)."""

    def __init__(
        self,
        residuals: np.ndarray,
        head: PooledConformal | None = None,
        head_scores: bool = False,
    ) -> None:
        super().__init__(residuals, radius=0)
        if head is not None:
            self.head = head
        squares = self.residuals**2
        rms = np.sqrt(np.mean(squares, axis=0))
        positive = rms[rms > 0]
        floor = float(positive.min()) if positive.size else 1.0
        self.step_spread = np.maximum.accumulate(np.maximum(rms, floor))
        windows = squares.shape[0]
        if windows > 1:
            others = np.sqrt((squares.sum(axis=0)[None, :] - squares) / (windows - 1))
            others = np.maximum.accumulate(np.maximum(others, floor), axis=1)
        else:
            others = self.step_spread[None, :]
        self.normalised = self.residuals / others
        if head_scores and head is not None:
            self.normalised = head.normalised

    def spreads(self, h: int) -> np.ndarray:
        """Spread ``s_j`` of each of ``h`` steps, extrapolated by ``j / H`` past ``H``."""
        known = self.step_spread[:h]
        if h <= self.horizon:
            return known
        steps = np.arange(self.horizon + 1, h + 1)
        return np.concatenate([known, self.step_spread[-1] * steps / self.horizon])

    def pooled_scores(self) -> np.ndarray:
        """Return the ``n = W * H`` pooled scores ``|u|`` in ascending order."""
        return np.sort(np.abs(self.normalised).ravel())

    def scores(self, h: int) -> np.ndarray:
        """Scores of each step, shape ``(h, n)``: the pooled ``|u|`` times the step's spread."""
        return self.spreads(h)[:, None] * self.pooled_scores()[None, :]

    def multipliers(self, coverage: np.ndarray) -> np.ndarray:
        """Multiplier of the step's spread that covers each ``coverage`` in [0, 1).

        The pooled scores' quantile at ``min(1, p * (n + 1) / n)``, and where
        ``p * (n + 1) / n`` exceeds 1 at least the standard normal quantile ``z_{(1 + p) / 2}``
        (see the class notes): the one rule of the intervals and the paths.
        """
        pooled = self.pooled_scores()
        n = pooled.size
        coverage = np.asarray(coverage, dtype=float)
        rank = coverage * (n + 1) / n
        read = np.quantile(pooled, np.minimum(1.0, rank))
        gaussian = norm.ppf(0.5 + np.minimum(coverage, 1.0) / 2.0)
        out: np.ndarray = np.where(rank > 1, np.maximum(read, gaussian), read)
        return out

    def half_widths(self, coverage: np.ndarray) -> np.ndarray:
        """Half-width of the band covering ``coverage`` (shape ``(..., h)``) at each step.

        The step's spread times :meth:`multipliers`; with a :attr:`head`, its first steps are
        the head's half-widths, and every later step's is at least the head's last step's at
        the same coverage (so half-widths never shrink with the step at any coverage).
        """
        coverage = np.asarray(coverage, dtype=float)
        widths: np.ndarray = self.spreads(coverage.shape[-1]) * self.multipliers(coverage)
        if self.head is not None:
            k = min(coverage.shape[-1], self.head.horizon)
            widths[..., :k] = self.head.half_widths(coverage[..., :k])
            last = self.head.spreads(k)[-1] * self.head.multipliers(coverage[..., k:])
            widths[..., k:] = np.maximum(widths[..., k:], last)
        return widths

    def intervals(self, point: np.ndarray, levels: Sequence[float]) -> Intervals:
        """Intervals of each level around ``point`` (length ``h``)."""
        out: Intervals = {}
        for level in levels:
            width = self.half_widths(np.full(len(point), level / 100.0))
            out[level] = (point - width, point + width)
        return out

    def paths(self, point: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``n`` sample paths ``(n, h)`` whose every step matches the intervals."""
        h = len(point)
        windows, horizon = self.normalised.shape
        rows = rng.integers(windows, size=n)
        signs = rng.choice(np.array([-1.0, 1.0]), size=n)
        shifts = rng.integers(horizon, size=n)
        columns = (np.arange(h)[None, :] + shifts[:, None]) % horizon
        draws = self.normalised[rows[:, None], columns]
        pooled = self.pooled_scores()
        below = np.searchsorted(pooled, np.abs(draws), side="left")
        upto = np.searchsorted(pooled, np.abs(draws), side="right")
        coverage = (below + rng.uniform(size=draws.shape) * (upto - below)) / pooled.size
        direction = np.where(draws < 0, -1.0, 1.0) * signs[:, None]
        return point + direction * self.half_widths(coverage)


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

        Beyond the fitting calibration's horizon, inner windows of ``h`` steps are tried,
        most windows first (down to 2, :data:`~forecast.models._calibration.WINDOWS`; with 2,
        only their step spreads are used and the scores are the fitting calibration's, see
        :class:`PooledConformal`); only where none fits is the fitting calibration
        extrapolated. The steps of the fitting
        calibration keep its bands (its :attr:`PooledConformal.head`): asking for a longer
        forecast never changes the bands of the first steps, which the fitting calibration
        read from more windows, each trained on more data.
        """
        if h <= self.base.horizon:
            return self.base
        if h not in self._by_horizon:
            found = None
            for n_windows in (w for w in WINDOWS if 0 < w <= max(self.n_windows, 0)):
                found = inner_residuals(self.data, self.member, h, n_windows, self.seasonal_period)
                if found is not None:
                    break
            head = self.base if isinstance(self.base, PooledConformal) else None
            few = found is not None and len(found) < min(3, self.n_windows)
            self._by_horizon[h] = (
                self.base if found is None else PooledConformal(found, head, head_scores=few)
            )
        return self._by_horizon[h]

    @classmethod
    def fit(
        cls,
        data: pd.DataFrame,
        member: tuple[str, BaseModel],
        h: int,
        n_windows: int,
        seasonal_period: int,
    ) -> Calibration | None:
        """Calibrate on ``n_windows`` inner windows of ``h`` steps; None when they fail."""
        found = inner_residuals(data, member, h, n_windows, seasonal_period)
        if found is None:
            return None
        return cls(PooledConformal(found), data, member, n_windows, seasonal_period)


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


def inner_residuals(
    data: pd.DataFrame, member: tuple[str, BaseModel], h: int, n_windows: int, season: int
) -> np.ndarray | None:
    """Actual minus point forecast in the inner windows, rescaled; None on failure.

    A model that can update its state is estimated once, on the first window's training
    data, and updated through the later windows (``inner_backtest(refit=False)``).

    Returns
    -------
    ndarray or None
        Shape ``(n_windows, h)``: each window's errors times :func:`window_ratios` (the
        series' current error scale over the window's), so windows from quieter or busier
        times count alike; None when the model failed in a window or the data is too short.
        For a model with ``transform="log"`` the errors, and the scales, are those of the
        logs.
    """
    try:
        scores = inner_backtest(data, [member], h, n_windows, season, refit=False)
    except HistoryError:
        return None
    if scores.errors:
        return None
    log = _on_log_scale(member)
    y = _model_scale(data[Y].to_numpy(dtype=float), log)
    ratios = window_ratios(y, window_cuts(len(y), h, n_windows), season)
    actuals = _model_scale(scores.actuals, log)
    forecasts = _model_scale(scores.forecasts[member[0]], log)
    residuals: np.ndarray = (actuals - forecasts) * ratios[:, None]
    return residuals


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
        scale: ``transform="log"`` or not). Models without calibration, models calibrated on
        their own inner windows, and short series without a donor of their model's name or
        with an undefined scale (fewer than 2 observations, or flat) are left as they are.

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
            warnings.warn(
                f"model {name!r}: series {model.series_id_!r} is too short for inner windows; "
                f"its intervals and paths are calibrated from the scaled inner errors of "
                f"{used} other series of this call (times its own mean absolute one-step "
                "change), instead of its own spread widened by SHORT_SERIES_INFLATION; this "
                "assumes it errs like them. Pass calibrate=False to keep its own intervals.",
                ForecastWarning,
                stacklevel=2,
            )
    return pooled
