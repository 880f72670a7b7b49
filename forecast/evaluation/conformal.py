"""Split-conformal intervals and paths from inner-backtest residuals.

The inner backtest (:func:`forecast.evaluation.inner.inner_backtest`) gives the errors of a
forecast in windows cut from the training data; :class:`PooledConformal` turns them into
intervals and sample paths, the one rule of every calibrated model (``calibrate=`` of a single
model, :mod:`forecast.evaluation.calibration`, and of ``auto`` and ``ensemble``, whose
:class:`ConformalCache` keeps one calibration of the combined forecast per horizon).
:class:`Conformal`, per-step quantiles without pooling, is its base class and reads the
calibrations of files saved before version 0.x of ``auto`` and ``ensemble``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from scipy.stats import norm

from forecast.errors import ConfigError, FitError, HistoryError
from forecast.evaluation.inner import InnerScores, inner_backtest, window_cuts, window_ratios
from forecast.models._calibration import WINDOWS, calibration_plans, fewest_history
from forecast.models.base import BaseModel, Intervals
from forecast.schema import Y

__all__ = [
    "Conformal",
    "ConformalCache",
    "PooledConformal",
    "ScaledConformal",
    "calibrate",
    "calibrate_combination",
    "combine_points",
    "longer_horizon",
    "rescaled",
]


def combine_points(points: np.ndarray, how: str, weights: np.ndarray | None = None) -> np.ndarray:
    """Combine point forecasts stacked on axis 0.

    ``how`` is ``"median"``, ``"mean"`` or ``"weighted"`` (``weights @ points``).
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
        """Draw ``n`` sample paths ``(n, h)``: the point plus one window's shifted residuals.

        The sign of each path's residuals is flipped at random.
        """
        h = len(point)
        spread = self.spread(h)
        rows = rng.integers(spread.shape[0], size=n)
        signs = rng.choice(np.array([-1.0, 1.0]), size=n)
        shifts = rng.integers(-self.radius, self.radius + 1, size=n)
        columns = np.clip(np.arange(h)[None, :] + shifts[:, None], 0, h - 1)
        return point + signs[:, None] * spread[rows[:, None], columns]


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
    on 2 windows (:func:`longer_horizon`) therefore takes its step spreads from them and its
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
        self.step_spread, self.normalised = self._spreads_and_scores()
        if head_scores and head is not None:
            self.normalised = head.normalised

    def _spreads_and_scores(self) -> tuple[np.ndarray, np.ndarray]:
        """Each step's spread ``s_j`` and the residuals over their leave-one-out spreads."""
        squares = self.residuals**2
        rms = np.sqrt(np.mean(squares, axis=0))
        positive = rms[rms > 0]
        floor = float(positive.min()) if positive.size else 1.0
        step_spread = np.maximum.accumulate(np.maximum(rms, floor))
        windows = squares.shape[0]
        if windows > 1:
            others = np.sqrt((squares.sum(axis=0)[None, :] - squares) / (windows - 1))
            others = np.maximum.accumulate(np.maximum(others, floor), axis=1)
        else:
            others = step_spread[None, :]
        return step_spread, self.residuals / others

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
        direction, width = self.path_steps(len(point), n, rng)
        return point + direction * width

    def path_steps(self, h: int, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Each path's direction (+1 or -1) and distance from the point, both ``(n, h)``.

        The rule of :meth:`paths` (see the class notes), for callers that scale the two
        sides of the point differently (:class:`ScaledConformal`).
        """
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
        return direction, self.half_widths(coverage)


class ScaledConformal(PooledConformal):
    """The model's own intervals widened or narrowed by its standardised inner errors.

    Parameters
    ----------
    residuals : ndarray
        The inner windows' errors (actual minus point forecast) divided by the model's own
        spread in that window and step, shape ``(n_windows, H)``
        (:func:`forecast.evaluation.calibration.standardised_residuals`).

    Notes
    -----
    The scores are the absolute standardised errors of every window and step, pooled
    (``n = W * H`` values, no per-step spread: the own spread already grows with the step and
    carries the series' level). The multiplier of level ``L`` is their quantile at
    ``min(1, L / 100 * (n + 1) / n)`` and, where that rank exceeds 1 (too few scores), at least
    the standard normal quantile ``z_{(1 + L / 100) / 2}``: the own band, as
    :class:`PooledConformal` does. A forecast's band at step ``j`` is the point plus ``up_j``
    (below: minus ``down_j``) times the multiplier, where ``up_j`` and ``down_j`` are the
    model's own spreads at the forecast's origin (the distance from the point to its own 80%
    bounds over ``z_0.9``, each side on its own, so skewed own bands stay skewed). Where the
    model's own bands are right, the standardised errors are standard normal and the
    calibrated bands are about its own; where they are too narrow or too wide by a factor,
    the bands are rescaled by it. Standardised errors carry over to any horizon.

    References
    ----------
    .. [1] Lei, J., G'Sell, M., Rinaldo, A., Tibshirani, R. J. and Wasserman, L. (2018).
       Distribution-free predictive inference for regression. JASA 113(523), 1094-1111
       (normalised conformity scores).
    .. [2] Papadopoulos, H., Gammerman, A. and Vovk, V. (2008). Normalized nonconformity
       measures for regression conformal prediction. Proceedings of the IASTED AIA, 64-69.
    """

    def _spreads_and_scores(self) -> tuple[np.ndarray, np.ndarray]:
        """One for every step's spread, and the standardised residuals as they are."""
        return np.ones(self.horizon), self.residuals

    def spreads(self, h: int) -> np.ndarray:
        """One for every step: the own spread is the step's scale."""
        return np.ones(h)

    def scaled_intervals(
        self, point: np.ndarray, levels: Sequence[float], up: np.ndarray, down: np.ndarray
    ) -> Intervals:
        """Intervals of each level around ``point`` from the own spreads ``up`` and ``down``."""
        out: Intervals = {}
        for level in levels:
            width = self.half_widths(np.full(len(point), level / 100.0))
            out[level] = (point - down * width, point + up * width)
        return out

    def scaled_paths(
        self,
        point: np.ndarray,
        n: int,
        rng: np.random.Generator,
        up: np.ndarray,
        down: np.ndarray,
    ) -> np.ndarray:
        """Draw ``n`` paths ``(n, h)`` that match :meth:`scaled_intervals` at every step."""
        direction, width = self.path_steps(len(point), n, rng)
        side = np.where(direction > 0, up[None, :], down[None, :])
        return point + direction * side * width


def longer_horizon(
    base: Conformal, find: Callable[[int], np.ndarray | None], n_windows: int
) -> Conformal:
    """Return the calibration of a forecast longer than ``base``'s horizon.

    Parameters
    ----------
    base : Conformal
        The calibration made while fitting.
    find : callable
        ``find(w)`` returns the residuals of ``w`` inner windows of the longer horizon, shape
        ``(w, h)``, or None where the training data has no room for them (or a model failed).
    n_windows : int
        The fitting calibration's windows: ``find`` is tried with as many, then fewer,
        down to 2 (:data:`~forecast.models._calibration.WINDOWS`).

    Returns
    -------
    Conformal
        A :class:`PooledConformal` of the first windows found, keeping ``base``'s bands on
        ``base``'s steps (its ``head``), with ``base``'s scores where only 2 windows were
        found (fewer than ``min(3, n_windows)``: two windows' scores are ratios of two
        errors); ``base`` itself where none were found, whose bands are then extrapolated.
    """
    for windows in (w for w in WINDOWS if 0 < w <= max(n_windows, 0)):
        found = find(windows)
        if found is not None:
            head = base if isinstance(base, PooledConformal) else None
            few = len(found) < min(3, n_windows)
            return PooledConformal(found, head, head_scores=few)
    return base


def calibrate(
    data: pd.DataFrame,
    members: Sequence[tuple[str, BaseModel]],
    h: int,
    n_windows: int,
    seasonal_period: int,
    how: str = "median",
    weights: np.ndarray | None = None,
) -> PooledConformal | None:
    """Conformal calibration of the combination ``how`` of ``members`` on horizon ``h``.

    Runs :func:`inner_backtest` on ``data`` (training data only) and returns the
    :class:`PooledConformal` of the combined point forecasts' residuals (:func:`rescaled`), or
    None when the data has no room for the windows or a member fails in one of them.
    """
    return _one_plan(data, members, h, n_windows, seasonal_period, how, weights)[0]


def _one_plan(
    data: pd.DataFrame,
    members: Sequence[tuple[str, BaseModel]],
    h: int,
    n_windows: int,
    seasonal_period: int,
    how: str,
    weights: np.ndarray | None,
) -> tuple[PooledConformal | None, InnerScores | None, str]:
    """Calibrate on ``n_windows`` windows of ``h`` steps: calibration and scores, or why not."""
    try:
        scores = inner_backtest(data, members, h, n_windows, seasonal_period)
    except HistoryError as err:
        return None, None, str(err)
    if scores.errors:
        return None, None, f"members failed in an inner window: {dict(scores.errors)}"
    points = np.stack([scores.forecasts[label] for label, _ in members])
    combined = combine_points(points, how, weights)
    return PooledConformal(rescaled(data, scores, combined, seasonal_period)), scores, ""


def calibrate_combination(
    data: pd.DataFrame,
    members: Sequence[tuple[str, BaseModel]],
    h: int,
    n_windows: int,
    seasonal_period: int,
    how: str = "median",
    weights: np.ndarray | None = None,
) -> tuple[PooledConformal | None, InnerScores | None, str]:
    """Calibrate the combination ``how`` of ``members`` on the first inner backtest that fits.

    The plans of :func:`~forecast.models._calibration.calibration_plans` are tried in order:
    ``n_windows`` windows of ``h`` steps, then fewer (down to 2) of as many steps as the
    series has room for, leaving every member its fewest observations (``min_history``) in
    the first window's training data. The first plan in which every member forecasts every
    window calibrates.

    Returns
    -------
    (PooledConformal or None, InnerScores or None, str)
        The calibration of the combined point forecasts' residuals (:func:`rescaled`) and
        the inner backtest it came from; or None, None and why no plan calibrated.
    """
    fewest = fewest_history([model for _, model in members], seasonal_period)
    why = f"{len(data)} observations leave no room for 2 inner windows after {fewest}"
    for windows, steps in calibration_plans(len(data) - fewest, h, n_windows):
        found, scores, failed = _one_plan(
            data, members, steps, windows, seasonal_period, how, weights
        )
        if found is not None:
            return found, scores, ""
        why = failed
    return None, None, why


def rescaled(
    data: pd.DataFrame, scores: InnerScores, points: np.ndarray, seasonal_period: int
) -> np.ndarray:
    """Rescale the residuals of ``points`` in the inner windows of ``scores``.

    Each window's residuals are multiplied by :func:`~forecast.evaluation.inner.window_ratios`:
    the MASE scale of all of ``data`` over that of the window's training data, so windows from
    quieter or busier times count alike. Where a window's scale is zero or undefined (a flat
    start), the naive scale is used for every window, and where even that is undefined no
    window is rescaled: an undefined scale is never taken as 1, which would multiply that
    window's errors by the series' whole scale.

    References
    ----------
    .. [1] Hyndman, R. J. and Koehler, A. B. (2006). Another look at measures of forecast
       accuracy. International Journal of Forecasting 22(4), 679-688.
    """
    y = data[Y].to_numpy(dtype=float)
    windows, h = scores.actuals.shape
    ratios = window_ratios(y, window_cuts(len(y), h, windows), seasonal_period)
    residuals: np.ndarray = (scores.actuals - points) * ratios[:, None]
    return residuals


class ConformalCache:
    """Calibrations of one fitted model by horizon.

    The one made while fitting, and those made on demand for longer horizons (each horizon's
    own, so results do not depend on the order of calls). Holds the training data and unfitted
    members so it pickles with the model.

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
        """Whether the model is calibrated."""
        return self.base is not None

    def get(self, h: int) -> Conformal:
        """Return the calibration of a forecast of ``h`` steps (see :func:`longer_horizon`)."""
        if self.base is None:
            raise FitError("this model has no conformal calibration.")
        if h <= self.base.horizon:
            return self.base
        if h not in self._by_horizon:
            self._by_horizon[h] = longer_horizon(self.base, self._residuals(h), self.n_windows)
        return self._by_horizon[h]

    def _residuals(self, h: int) -> Callable[[int], np.ndarray | None]:
        """Residuals of the combined forecast in ``w`` inner windows of ``h`` steps (or None)."""

        def find(windows: int) -> np.ndarray | None:
            found = calibrate(
                self.data, self.members, h, windows, self.seasonal_period, self.how, self.weights
            )
            return None if found is None else found.residuals

        return find
