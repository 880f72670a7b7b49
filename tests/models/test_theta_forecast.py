"""Theta's forecasts and intervals are statsmodels' ``forecast`` and ``prediction_intervals``.

``theta_forecast`` repeats statsmodels' operations without its frames; these tests pin that the
numbers are the same, bit for bit, deseasonalised or not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import forecast as fc
from forecast.models.theta import theta_forecast


def _frame(seed: int, n: int, seasonal: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    season = 1 + (0.2 * np.sin(2 * np.pi * t / 7) if seasonal else 0.0)
    y = (300 + 1.5 * t) * season * np.exp(rng.normal(0, 0.05, n))
    return pd.DataFrame({"ds": pd.date_range("2024-01-01", periods=n, freq="D"), "y": y})


@pytest.mark.parametrize("method", ["additive", "multiplicative"])
@pytest.mark.parametrize("seasonal", [True, False])
@pytest.mark.parametrize("theta", [1.0, 2.0, 3.5])
def test_forecast_and_intervals_are_statsmodels(method: str, seasonal: bool, theta: float) -> None:
    model = fc.models.get(
        "theta", theta=theta, method=method, deseasonalize=seasonal, calibrate=False
    )
    model.fit(_frame(1, 120, seasonal))
    results = model.results_
    assert model.deseasonalized_ == seasonal
    expected = np.asarray(results.forecast(30, theta=theta), dtype=float)
    np.testing.assert_array_equal(theta_forecast(results, 30, theta), expected)
    out = model.predict(30, levels=(80, 95))
    np.testing.assert_array_equal(out["yhat"], expected)
    for level in (80, 95):
        bounds = results.prediction_intervals(30, theta=theta, alpha=1 - level / 100)
        np.testing.assert_array_equal(out[f"yhat_lo_{level}"], bounds["lower"])
        np.testing.assert_array_equal(out[f"yhat_hi_{level}"], bounds["upper"])


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(8, 60), h=st.integers(1, 40))
def test_forecast_is_statsmodels_on_random_series(seed: int, n: int, h: int) -> None:
    model = fc.models.get("theta").fit(_frame(seed, n, seed % 2 == 0))
    expected = np.asarray(model.results_.forecast(h, theta=2.0), dtype=float)
    np.testing.assert_array_equal(theta_forecast(model.results_, h, 2.0), expected)
