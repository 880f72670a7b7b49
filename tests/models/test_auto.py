"""``auto``: the inner backtest sees the training data only and picks the best candidate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import forecast as fc
from forecast.errors import ConfigError, FitError, HistoryError
from forecast.models.auto import build_candidates, inner_backtest

FAST = ["naive", "seasonal_naive", "drift"]


def _frame(y: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"unique_id": "s", "ds": pd.date_range("2024-01-01", periods=len(y)), "y": y})


def test_picks_the_seasonal_model_for_a_seasonal_series():
    t = np.arange(84)
    y = 50 + 10 * np.sin(2 * np.pi * t / 7) + np.random.default_rng(0).normal(0, 0.5, 84)
    model = fc.models.get("auto", candidates=FAST).fit(_frame(y))
    assert model.chosen_ == "seasonal_naive"
    assert model.scores_["seasonal_naive"] == min(model.scores_.values())
    pd.testing.assert_frame_equal(
        model.predict(7), fc.models.get("seasonal_naive").fit(_frame(y)).predict(7)
    )


def test_picks_drift_for_a_straight_line_with_noise():
    t = np.arange(84, dtype=float)
    y = 10 + 2 * t + np.random.default_rng(1).normal(0, 0.3, 84)
    assert fc.models.get("auto", candidates=FAST).fit(_frame(y)).chosen_ == "drift"


def test_inner_scores_equal_a_hand_computed_mase():
    y = np.array([1.0, 2, 3, 5, 4, 6, 8, 7, 9, 12])
    scores = inner_backtest(_frame(y), build_candidates(["naive"], None, None), h=2, n_windows=2, seasonal_period=1)
    # windows: train y[:6] -> forecast 6, 6 for (8, 7); train y[:8] -> 7, 7 for (9, 12)
    scale_1 = np.mean(np.abs(np.diff(y[:6])))
    scale_2 = np.mean(np.abs(np.diff(y[:8])))
    expected = ((2 + 1) / scale_1 + (2 + 5) / scale_2) / 4
    assert scores["naive"] == pytest.approx(expected)


def test_a_failing_candidate_is_scored_nan_and_skipped():
    y = 50 + np.random.default_rng(2).normal(0, 1, 40)
    model = fc.models.get("auto", candidates=["naive", fc.models.get("seasonal_naive", seasonal_period=30)]).fit(_frame(y))
    assert model.chosen_ == "naive"
    assert np.isnan(model.scores_["seasonal_naive"]) and "HistoryError" in model.scores_.errors["seasonal_naive"]


def test_every_candidate_failing_raises_fit_error():
    y = 50 + np.random.default_rng(2).normal(0, 1, 40)
    with pytest.raises(FitError, match="every candidate"):
        fc.models.get("auto", candidates=[fc.models.get("seasonal_naive", seasonal_period=30)]).fit(_frame(y))


def test_too_short_for_the_inner_windows_is_named():
    with pytest.raises(HistoryError, match="inner backtest"):
        fc.models.get("auto", candidates=FAST, h=7, n_windows=3).fit(_frame(np.arange(10.0)))


def test_bad_parameters_raise():
    with pytest.raises(ConfigError):
        fc.models.get("auto", candidates=[])
    with pytest.raises(ConfigError):
        fc.models.get("auto", candidates=FAST, n_windows=0)


def test_auto_in_a_backtest_uses_no_data_after_the_outer_cutoff(daily_series):
    model = fc.models.get("auto", candidates=FAST)
    cutoffs = fc.make_cutoffs(daily_series, h=7, n_windows=1)
    cutoff = cutoffs["cutoff"].iloc[0]
    clean = fc.backtest(daily_series, model, h=7, cutoffs=cutoffs)
    poisoned = daily_series.assign(y=np.where(daily_series["ds"] > cutoff, 1e12, daily_series["y"]))
    dirty = fc.backtest(poisoned, model, h=7, cutoffs=cutoffs)
    pd.testing.assert_frame_equal(clean.drop(columns="y"), dirty.drop(columns="y"))
