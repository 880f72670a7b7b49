"""Shared fixtures of the persistence tests: one fitted model per registry name.

The series is the contract test's: 120 days of a positive series with a trend and a weekly
season (seed 0); models that need cohort retention get a small power-law retention frame.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

import forecast as fc
from forecast.models.base import BaseModel

NEEDS_RETENTION = set(fc.models.available().query("needs_retention")["name"])


def daily(n: int = 120, seed: int = 0, uid: str = "app") -> pd.DataFrame:
    """A positive daily series: level 1000, trend, weekly season and noise (seeded)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = 1000 + 3 * t + 80 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 15, n)
    return pd.DataFrame(
        {"unique_id": uid, "ds": pd.date_range("2024-01-01", periods=n, freq="D"), "y": y}
    )


def retention() -> pd.DataFrame:
    """Monthly cohorts of 2024 with a power-law retention curve by age (months 0 to 3)."""
    cohorts = pd.date_range("2024-01-01", periods=4, freq="MS")
    rows = [
        {"cohort": c, "age": a, "retention": 1.0 if a == 0 else 0.45 * a**-0.4}
        for i, c in enumerate(cohorts)
        for a in range(4 - i)
    ]
    return pd.DataFrame(rows)


def fit(name: str, series: pd.DataFrame, **params: object) -> BaseModel:
    """Fit a registered model, with retention when it needs it."""
    model = fc.models.get(name, **params)
    return model.fit(series, retention=retention() if name in NEEDS_RETENTION else None)


@pytest.fixture(scope="session")
def fitted_models() -> dict[str, BaseModel]:
    """One model per registry name fitted on :func:`daily` (filled on first use)."""
    return {}


@pytest.fixture(scope="session")
def fitted_model(fitted_models: dict[str, BaseModel]) -> Callable[[str], BaseModel]:
    """``fitted_model(name)``: the shared fitted model of that name."""

    def get(name: str) -> BaseModel:
        if name not in fitted_models:
            fitted_models[name] = fit(name, daily())
        return fitted_models[name]

    return get


@pytest.fixture
def make_series() -> Callable[..., pd.DataFrame]:
    """``make_series(n, seed, uid)``: a series of :func:`daily`."""
    return daily


@pytest.fixture
def fit_model() -> Callable[..., BaseModel]:
    """``fit_model(name, series, **params)``: :func:`fit`."""
    return fit
