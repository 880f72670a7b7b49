"""``rescaled`` (``auto``'s and ``ensemble``'s conformal residuals): an undefined scale is not 1.

A window whose training data is flat has no MASE scale. Treating it as 1 multiplied that
window's errors by the whole series' scale; now no window is rescaled unless every window's
scale is defined (issue 13).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import forecast as fc
from forecast.evaluation.conformal import rescaled
from forecast.evaluation.inner import inner_backtest, window_cuts
from forecast.evaluation.metrics import seasonal_naive_scale


def _frame(y: np.ndarray) -> pd.DataFrame:
    ds = pd.date_range("2024-01-01", periods=len(y), freq="MS")
    return pd.DataFrame({"unique_id": "app/dau/all", "ds": ds, "y": y})


def _flat_then_growing(level: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    growth = level * np.cumsum(rng.uniform(0.5, 1.5, 10))
    return np.concatenate([np.zeros(4), growth])


@settings(max_examples=20, deadline=None)
@given(level=st.floats(10.0, 1e6), seed=st.integers(0, 10**6))
def test_a_flat_window_leaves_every_window_unscaled(level: float, seed: int) -> None:
    frame = _frame(_flat_then_growing(level, seed))
    member = ("naive", fc.models.get("naive"))
    scores = inner_backtest(frame, [member], 2, 5, 1)
    points = scores.forecasts["naive"]
    # the first window's training data is flat: its scale is undefined (zero)
    first = window_cuts(len(frame), 2, 5)[0]
    assert seasonal_naive_scale(frame["y"].to_numpy()[:first], 1) == 0
    np.testing.assert_allclose(
        rescaled(frame, scores, points, 1), scores.actuals - points, rtol=1e-12
    )


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10**6))
def test_defined_scales_rescale_each_window_to_the_current_one(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = 100 + np.cumsum(rng.normal(0, 1, 30)) * np.linspace(1, 5, 30)
    frame = _frame(y)
    scores = inner_backtest(frame, [("naive", fc.models.get("naive"))], 3, 4, 1)
    points = scores.forecasts["naive"]
    current = seasonal_naive_scale(y, 1)
    expected = (scores.actuals - points) * (current / scores.scales[:, None])
    np.testing.assert_allclose(rescaled(frame, scores, points, 1), expected, rtol=1e-9)


def test_auto_calibrated_on_a_flat_start_keeps_errors_on_the_series_scale() -> None:
    y = _flat_then_growing(1000.0, 0)
    model = fc.models.get(
        "auto", candidates=["naive", "drift"], h=2, n_windows=5, calibrate=True
    ).fit(_frame(y))
    assert model.calibrated_
    residuals = model.conformal_.base.residuals
    assert np.abs(residuals).max() <= np.abs(np.diff(y)).max() * 2 + 1e-9
