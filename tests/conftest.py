"""Shared fixtures: small seeded series, and the optional data folder beside the project."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

from forecast.models.base import BaseModel, Capabilities
from forecast.models.registry import register, unregister

matplotlib.use("Agg")

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """The folder of example data beside the project; tests that use it skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("the shared example data folder is absent")
    return SHARED_DATA


@pytest.fixture
def daily_series() -> pd.DataFrame:
    """120 days of a positive series with a trend and weekly seasonality (seed 0)."""
    rng = np.random.default_rng(0)
    t = np.arange(120)
    y = 100 + 0.5 * t + 10 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 2, t.size)
    return pd.DataFrame(
        {"unique_id": "a", "ds": pd.date_range("2024-01-01", periods=120, freq="D"), "y": y}
    )


@pytest.fixture
def twelve_months() -> pd.DataFrame:
    """One season of a monthly series growing by about 100 a month (too short for a season)."""
    t = np.arange(12.0)
    return pd.DataFrame(
        {
            "unique_id": "a",
            "ds": pd.date_range("2023-01-01", periods=12, freq="MS"),
            "y": 1000 + 100 * t + 30 * np.sin(t),
        }
    )


@pytest.fixture
def two_daily_series(daily_series: pd.DataFrame) -> pd.DataFrame:
    """Two daily series, ``a`` and ``b`` (``b`` is ``a`` doubled plus noise, seed 1)."""
    rng = np.random.default_rng(1)
    b = daily_series.assign(
        unique_id="b", y=2 * daily_series["y"] + rng.normal(0, 1, len(daily_series))
    )
    return pd.concat([daily_series, b], ignore_index=True)


class _RetentionRows(BaseModel):
    """Needs retention; forecasts the number of retention rows it was given."""

    capabilities = Capabilities(needs_retention=True, min_history=1)

    def _fit(self, data: pd.DataFrame, retention: pd.DataFrame | None) -> None:
        self.rows_ = float(len(retention))

    def _predict(self, h: int, levels: tuple[float, ...]) -> tuple[np.ndarray, dict]:
        point = np.full(h, self.rows_)
        return point, {level: (point - 1.0, point + 1.0) for level in levels}


@pytest.fixture
def retention_rows_model() -> Iterator[str]:
    """A throwaway model registered for one test (and in this process only): it needs
    retention and forecasts the number of retention rows it was given. Yields its name."""
    register("_retention_rows")(_RetentionRows)
    try:
        yield "_retention_rows"
    finally:
        unregister("_retention_rows")
