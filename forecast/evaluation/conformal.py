"""Split-conformal calibration from inner-backtest residuals, shared by ``auto`` and ``ensemble``.

The inner backtest (:func:`forecast.evaluation.inner.inner_backtest`) gives the errors of a
forecast in windows cut from the training data; :class:`Conformal` turns them into intervals
and sample paths by horizon step, and :class:`ConformalCache` keeps one calibration per
horizon of a fitted model.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from forecast.errors import ConfigError, FitError, HistoryError
from forecast.evaluation.inner import InnerScores, inner_backtest, window_cuts, window_ratios
from forecast.models.base import BaseModel, Intervals
from forecast.schema import Y

__all__ = ["Conformal", "ConformalCache", "calibrate", "combine_points", "rescaled"]


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
        """Return the calibration used for a forecast of ``h`` steps."""
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
