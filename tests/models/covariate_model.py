"""A tiny model that uses one covariate, for the tests of the covariates contract.

``_test_regression`` fits ``y = a + b x`` by least squares on its covariates and forecasts
with the future values ``predict`` was given; :func:`registered` registers it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import pandas as pd

from forecast.models import registry
from forecast.models.base import BaseModel, Capabilities, Intervals, normal_intervals


class Regression(BaseModel):
    name = "_test_regression"
    capabilities = Capabilities(covariates=True, min_history=3)

    def _fit(self, data: pd.DataFrame, retention: pd.DataFrame | None) -> None:
        self.seen_columns_ = tuple(data.columns)
        x = data[list(self.covariates_)].to_numpy(dtype=float)
        design = np.column_stack([np.ones(len(data)), x])
        coef, *_ = np.linalg.lstsq(design, data["y"].to_numpy(dtype=float), rcond=None)
        self.coef_ = coef
        self.sigma_ = float(np.std(data["y"].to_numpy() - design @ coef)) + 1e-9

    def _mean(self, h: int) -> np.ndarray:
        future = self._future_covariates(h)
        x = future[list(self.covariates_)].to_numpy(dtype=float)
        return np.column_stack([np.ones(h), x]) @ self.coef_

    def _predict(self, h: int, levels: tuple[float, ...]) -> tuple[np.ndarray, Intervals]:
        mean = self._mean(h)
        return mean, normal_intervals(mean, np.full(h, self.sigma_), levels)

    def _sample(self, h: int, n: int, rng: np.random.Generator) -> np.ndarray:
        return self._mean(h) + rng.normal(0.0, self.sigma_, size=(n, h))


@contextlib.contextmanager
def registered() -> Iterator[type[Regression]]:
    """Register ``_test_regression`` for the duration of a test."""
    registry.register(Regression.name)(Regression)
    try:
        yield Regression
    finally:
        registry.unregister(Regression.name)
