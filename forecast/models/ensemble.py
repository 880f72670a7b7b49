"""``ensemble``: a combination of member models, with intervals from pooled sample paths."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from forecast.errors import ConfigError, FitError, ForecastError
from forecast.models.auto import build_candidates, inner_backtest
from forecast.models.base import BaseModel, Capabilities, Intervals, quantile_intervals
from forecast.models.registry import register
from forecast.schema import DS, UNIQUE_ID, Y

__all__ = ["Ensemble"]

DEFAULT_MEMBERS: tuple[str, ...] = ("ets", "theta", "seasonal_naive")
"""Members of ``ensemble`` when none are given."""


@register("ensemble")
class Ensemble(BaseModel):
    """A combination of member models: median, mean, or weights from an inner backtest.

    Parameters
    ----------
    members : sequence of str or BaseModel
        Registry names or unfitted models; by default ``ets``, ``theta`` and
        ``seasonal_naive``.
    combine : {"median", "mean", "weighted"}
        How point forecasts combine: the median or mean of the members' forecasts, or their
        mean weighted by the inverse of each member's MASE in an inner backtest on the training
        data.
    h, n_windows : int, optional
        Inner backtest of ``combine="weighted"`` (see :class:`~forecast.models.auto.Auto`).
    n_paths : int
        Sample paths behind the intervals.
    seed : int
        Seed of the paths behind the intervals, so forecasts are reproducible.
    seasonal_period, transform, freq
        See :class:`~forecast.models.base.BaseModel`; passed on to members given by name.

    Attributes
    ----------
    weights_ : dict
        Weight of each member (equal for the median and the mean).
    members_ : list of (str, BaseModel)
        The fitted members.

    Notes
    -----
    Intervals come from the linear pool of the members' predictive distributions: ``n_paths``
    joint sample paths are drawn from the members in proportion to their weights, and the
    interval of level ``L`` runs between the ``(100 - L) / 2`` and ``(100 + L) / 2``
    percentiles of the pooled paths at each step. Pooling keeps the disagreement between
    members in the intervals, where averaging paths would shrink them. The pooled interval
    is widened to contain the point forecast where it does not (which happens only when the
    members disagree strongly and the combination rule differs from the pool's centre).
    ``sample`` returns pooled paths. Any member failing to fit makes the ensemble fail.

    References
    ----------
    .. [1] Petropoulos, F. et al. (2022). Forecasting: theory and practice. International
       Journal of Forecasting 38(3), 705-871, section 2.6 (forecast combinations).
    .. [2] Stone, M. (1961). The opinion pool. Annals of Mathematical Statistics 32(4),
       1339-1342.
    """

    capabilities = Capabilities(min_history=4)

    def __init__(
        self,
        members: Sequence[str | BaseModel] = DEFAULT_MEMBERS,
        *,
        combine: Literal["median", "mean", "weighted"] = "median",
        h: int | None = None,
        n_windows: int = 3,
        n_paths: int = 1000,
        seed: int = 0,
        seasonal_period: int | None = None,
        transform: str | None = None,
        freq: str | None = None,
    ) -> None:
        super().__init__(seasonal_period=seasonal_period, transform=transform, freq=freq)  # type: ignore[arg-type]
        if combine not in ("median", "mean", "weighted"):
            raise ConfigError(f"combine must be 'median', 'mean' or 'weighted', not {combine!r}.")
        if h is not None and (isinstance(h, bool) or int(h) < 1):
            raise ConfigError(f"h must be a positive integer, not {h!r}.")
        for name, value in (("n_windows", n_windows), ("n_paths", n_paths)):
            if isinstance(value, bool) or int(value) < 1:
                raise ConfigError(f"{name} must be a positive integer, not {value!r}.")
        if isinstance(members, (str, BaseModel)) or len(members) == 0:
            raise ConfigError("members must be a non-empty list of model names or instances.")
        self.members = tuple(members)
        self.combine = combine
        self.h = h
        self.n_windows = int(n_windows)
        self.n_paths = int(n_paths)
        self.seed = int(seed)

    def _fit(self, data: pd.DataFrame, retention: pd.DataFrame | None) -> None:
        members = build_candidates(self.members, self.seasonal_period, self.freq)
        if self.combine == "weighted":
            h = int(self.h or max(self.seasonal_period_, 1))
            scores = inner_backtest(data, members, h, self.n_windows, self.seasonal_period_)
            if scores.errors:
                details = "; ".join(f"{k}: {v}" for k, v in scores.errors.items())
                raise FitError(f"members of 'ensemble' failed the inner backtest of series {self.series_id_!r}: {details}.")
            inverse = {label: 1.0 / max(score, 1e-12) for label, score in scores.items()}
            total = sum(inverse.values())
            self.weights_ = {label: value / total for label, value in inverse.items()}
        else:
            self.weights_ = {label: 1.0 / len(members) for label, _ in members}
        fitted = []
        for label, model in members:
            try:
                fitted.append((label, model.fit(data[[UNIQUE_ID, DS, Y]])))
            except ForecastError as err:
                raise FitError(f"member {label!r} of 'ensemble' failed on series {self.series_id_!r}: {err}") from err
        self.members_ = fitted
        self.params_ = {f"weight_{label}": weight for label, weight in self.weights_.items()}

    def _points(self, h: int) -> np.ndarray:
        points = np.vstack([model.predict(h, levels=())["yhat"].to_numpy() for _, model in self.members_])
        if self.combine == "median":
            return np.median(points, axis=0)
        weights = np.array([self.weights_[label] for label, _ in self.members_])
        return weights @ points

    def _sample(self, h: int, n: int, rng: np.random.Generator) -> np.ndarray:
        weights = np.array([self.weights_[label] for label, _ in self.members_])
        counts = np.floor(weights * n).astype(int)
        remainder = n - counts.sum()
        order = np.argsort(-(weights * n - counts), kind="stable")
        counts[order[:remainder]] += 1
        paths = [
            model.sample(h, int(count), seed=int(rng.integers(2**31)))
            for (_, model), count in zip(self.members_, counts, strict=True)
            if count > 0
        ]
        return np.vstack(paths)

    def _predict(self, h: int, levels: tuple[float, ...]) -> tuple[np.ndarray, Intervals]:
        point = self._points(h)
        if not levels:
            return point, {}
        paths = self._sample(h, self.n_paths, np.random.default_rng(self.seed))
        intervals = {
            level: (np.minimum(lo, point), np.maximum(hi, point))
            for level, (lo, hi) in quantile_intervals(paths, levels).items()
        }
        return point, intervals
