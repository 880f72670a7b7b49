r"""Benchmark methods: mean, naive, seasonal naive and drift.

Point forecasts and Gaussian prediction intervals follow Hyndman and Athanasopoulos,
*Forecasting: Principles and Practice* (3rd ed.), section 5.5, table 5.2. The residual standard
deviation uses ``T - K`` in the denominator, where ``K`` is the number of estimated parameters
(as R's fable does): the sigma of each method is

=============== ============================ ======================================
method          residuals                    h-step standard deviation
=============== ============================ ======================================
mean            :math:`y_t - \bar y`         :math:`\sigma\sqrt{1 + 1/T}`
naive           :math:`y_t - y_{t-1}`        :math:`\sigma\sqrt{h}`
seasonal naive  :math:`y_t - y_{t-m}`        :math:`\sigma\sqrt{k + 1}`, with
                                             :math:`k = \lfloor (h-1)/m \rfloor`
drift           :math:`y_t - y_{t-1} - c`    :math:`\sigma\sqrt{h (1 + h/(T-1))}`
=============== ============================ ======================================
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.errors import HistoryError
from forecast.models.base import BaseModel, Capabilities, Intervals, normal_intervals
from forecast.models.registry import register
from forecast.schema import Y

__all__ = ["Mean", "Naive", "SeasonalNaive", "Drift"]


def _sigma(residuals: np.ndarray, n_params: int) -> float:
    dof = len(residuals) - n_params
    if dof <= 0:
        return float("nan")
    return float(np.sqrt(np.sum(residuals**2) / dof))


@register("mean")
class Mean(BaseModel):
    """The historical mean, with intervals ``sigma * sqrt(1 + 1/T)``."""

    capabilities = Capabilities(min_history=2, irregular=True)

    def _fit(self, data: pd.DataFrame, retention: pd.DataFrame | None) -> None:
        y = data[Y].to_numpy()
        self.mean_ = float(y.mean())
        self.sigma_ = _sigma(y - self.mean_, 1)
        self.params_ = {"mean": self.mean_, "sigma": self.sigma_}

    def _predict(self, h: int, levels: tuple[float, ...]) -> tuple[np.ndarray, Intervals]:
        point = np.full(h, self.mean_)
        sd = np.full(h, self.sigma_ * np.sqrt(1.0 + 1.0 / self.n_obs_))
        return point, normal_intervals(point, sd, levels)

    def _sample(self, h: int, n: int, rng: np.random.Generator) -> np.ndarray:
        level = self.mean_ + rng.normal(0.0, self.sigma_ / np.sqrt(self.n_obs_), size=(n, 1))
        return level + rng.normal(0.0, self.sigma_, size=(n, h))


@register("naive")
class Naive(BaseModel):
    """The last value, a random walk: intervals ``sigma * sqrt(h)``."""

    capabilities = Capabilities(min_history=2, updates=True)

    def _fit(self, data: pd.DataFrame, retention: pd.DataFrame | None) -> None:
        y = data[Y].to_numpy()
        self.last_ = float(y[-1])
        self.sigma_ = _sigma(np.diff(y), 0)
        self.params_ = {"sigma": self.sigma_}

    def _update(self, data: pd.DataFrame) -> None:
        self.last_ = float(data[Y].iloc[-1])

    def _predict(self, h: int, levels: tuple[float, ...]) -> tuple[np.ndarray, Intervals]:
        point = np.full(h, self.last_)
        return point, normal_intervals(point, self.sigma_ * np.sqrt(np.arange(1, h + 1)), levels)

    def _sample(self, h: int, n: int, rng: np.random.Generator) -> np.ndarray:
        return self.last_ + np.cumsum(rng.normal(0.0, self.sigma_, size=(n, h)), axis=1)


@register("seasonal_naive")
class SeasonalNaive(BaseModel):
    """The value one season earlier: intervals ``sigma * sqrt(floor((h - 1) / m) + 1)``."""

    capabilities = Capabilities(min_history=2, updates=True)

    def fewest_observations(self, seasonal_period: int) -> int:
        """One season and one more observation: the value one season earlier must exist."""
        season = self.seasonal_period or seasonal_period
        return max(self.capabilities.min_history, season + 1)

    def _fit(self, data: pd.DataFrame, retention: pd.DataFrame | None) -> None:
        y = data[Y].to_numpy()
        m = self.seasonal_period_
        if len(y) <= m:
            raise HistoryError(
                f"series {self.series_id_!r} has {len(y)} observations; 'seasonal_naive' with "
                f"season {m} needs more than {m}. Pass a shorter seasonal_period or use 'naive'.",
                series=self.series_id_,
                column=Y,
            )
        self.last_season_ = y[-m:].astype(float)
        self.sigma_ = _sigma(y[m:] - y[:-m], 0)
        self.params_ = {"sigma": self.sigma_}

    def _update(self, data: pd.DataFrame) -> None:
        self.last_season_ = data[Y].to_numpy()[-self.seasonal_period_ :].astype(float)

    def _predict(self, h: int, levels: tuple[float, ...]) -> tuple[np.ndarray, Intervals]:
        m = self.seasonal_period_
        steps = np.arange(h)
        point = self.last_season_[steps % m]
        sd = self.sigma_ * np.sqrt(steps // m + 1)
        return point, normal_intervals(point, sd, levels)

    def _sample(self, h: int, n: int, rng: np.random.Generator) -> np.ndarray:
        m = self.seasonal_period_
        cycles = -(-h // m)
        shocks = np.cumsum(rng.normal(0.0, self.sigma_, size=(n, cycles, m)), axis=1).reshape(
            n, cycles * m
        )
        return np.tile(self.last_season_, cycles)[None, :h] + shocks[:, :h]


@register("drift")
class Drift(BaseModel):
    """The last value plus the average change: intervals ``sigma * sqrt(h (1 + h / (T - 1)))``."""

    capabilities = Capabilities(min_history=3, updates=True)

    def _fit(self, data: pd.DataFrame, retention: pd.DataFrame | None) -> None:
        y = data[Y].to_numpy()
        changes = np.diff(y)
        self.drift_ = float(changes.mean())
        self.last_ = float(y[-1])
        self.sigma_ = _sigma(changes - self.drift_, 1)
        self.params_ = {"drift": self.drift_, "sigma": self.sigma_}

    def _update(self, data: pd.DataFrame) -> None:
        self.last_ = float(data[Y].iloc[-1])

    def _predict(self, h: int, levels: tuple[float, ...]) -> tuple[np.ndarray, Intervals]:
        steps = np.arange(1, h + 1)
        point = self.last_ + self.drift_ * steps
        sd = self.sigma_ * np.sqrt(steps * (1.0 + steps / (self.n_obs_ - 1)))
        return point, normal_intervals(point, sd, levels)

    def _sample(self, h: int, n: int, rng: np.random.Generator) -> np.ndarray:
        drift = self.drift_ + rng.normal(0.0, self.sigma_ / np.sqrt(self.n_obs_ - 1), size=(n, 1))
        steps = np.arange(1, h + 1)
        return (
            self.last_
            + drift * steps
            + np.cumsum(rng.normal(0.0, self.sigma_, size=(n, h)), axis=1)
        )
