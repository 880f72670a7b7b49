"""Metrics: hand-computed values on tiny examples, scikit-learn's where it defines the same
metric, NaN with a reason where a metric is undefined, and M4-style aggregation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import (
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_pinball_loss,
    mean_squared_error,
)

import forecast as fc
from forecast.errors import ConfigError, SchemaError
from forecast.evaluation import metrics

Y = np.array([10.0, 12.0, 9.0, 15.0])
YHAT = np.array([11.0, 10.0, 9.0, 18.0])
LO = np.array([9.0, 11.0, 8.0, 13.0])
HI = np.array([13.0, 13.0, 10.0, 14.0])


def _frame(y=Y, yhat=YHAT, lo=LO, hi=HI, scale=2.0, uid="a", model="m") -> pd.DataFrame:
    """One window of four forecasts with an 80% interval."""
    return pd.DataFrame(
        {
            "unique_id": uid,
            "model": model,
            "cutoff": pd.Timestamp("2024-01-01"),
            "ds": pd.date_range("2024-01-02", periods=len(y)),
            "yhat": yhat,
            "yhat_lo_80": lo,
            "yhat_hi_80": hi,
            "y": y,
            "scale": scale,
            "seasonal_period": 7,
        }
    )


def test_point_metrics_equal_hand_computed_values():
    # errors yhat - y = 1, -2, 0, 3
    assert metrics.mae(Y, YHAT) == pytest.approx(6 / 4)
    assert metrics.rmse(Y, YHAT) == pytest.approx(np.sqrt(14 / 4))
    assert metrics.mape(Y, YHAT) == pytest.approx(100 * (1 / 10 + 2 / 12 + 0 + 3 / 15) / 4)
    assert metrics.smape(Y, YHAT) == pytest.approx(200 * (1 / 21 + 2 / 22 + 0 + 3 / 33) / 4)
    assert metrics.mase(Y, YHAT, 2.0) == pytest.approx(6 / 4 / 2)
    assert metrics.bias(Y, YHAT) == pytest.approx(2 / 4)


def test_interval_metrics_equal_hand_computed_values():
    # inside: 10 in [9, 13], 12 in [11, 13], 9 in [8, 10]; 15 above [13, 14] by 1
    assert metrics.coverage(Y, LO, HI) == pytest.approx(75.0)
    assert metrics.interval_width(LO, HI) == pytest.approx((4 + 2 + 2 + 1) / 4)
    # alpha = 0.2: the miss costs 2 / 0.2 * 1 = 10
    assert metrics.interval_score(Y, LO, HI, 80) == pytest.approx((4 + 2 + 2 + 1 + 10) / 4)


def test_metrics_equal_scikit_learn():
    assert metrics.mae(Y, YHAT) == pytest.approx(mean_absolute_error(Y, YHAT))
    assert metrics.rmse(Y, YHAT) == pytest.approx(np.sqrt(mean_squared_error(Y, YHAT)))
    assert metrics.mape(Y, YHAT) == pytest.approx(100 * mean_absolute_percentage_error(Y, YHAT))
    for tau, q in ((0.1, LO), (0.5, YHAT), (0.9, HI)):
        assert metrics.pinball_loss(Y, q, tau) == pytest.approx(mean_pinball_loss(Y, q, alpha=tau))


def test_evaluate_pinball_averages_the_quantiles_the_frame_holds():
    table = fc.evaluate(_frame(), metrics=["pinball"])
    expected = np.mean(
        [
            mean_pinball_loss(Y, YHAT, alpha=0.5),
            mean_pinball_loss(Y, LO, alpha=0.1),
            mean_pinball_loss(Y, HI, alpha=0.9),
        ]
    )
    assert table["pinball"].iloc[0] == pytest.approx(expected)


def test_evaluate_matches_the_functions_on_one_window():
    table = fc.evaluate(_frame())
    row = table.iloc[0]
    assert list(table.columns[:4]) == ["unique_id", "model", "n", "n_missing"]
    assert row["n"] == 4 and row["n_missing"] == 0 and row["note"] == ""
    assert row["mae"] == pytest.approx(metrics.mae(Y, YHAT))
    assert row["rmse"] == pytest.approx(metrics.rmse(Y, YHAT))
    assert row["smape"] == pytest.approx(metrics.smape(Y, YHAT))
    assert row["mase"] == pytest.approx(0.75)
    assert row["coverage_80"] == pytest.approx(75.0)
    assert row["interval_score_80"] == pytest.approx(4.75)
    assert row["msis_80"] == pytest.approx(4.75 / 2)


def test_mase_uses_the_scale_of_each_window():
    first = _frame(scale=1.0)
    second = _frame(scale=4.0).assign(
        cutoff=pd.Timestamp("2024-01-05"), ds=pd.date_range("2024-01-06", periods=4)
    )
    table = fc.evaluate(pd.concat([first, second], ignore_index=True), metrics=["mase"])
    assert table["mase"].iloc[0] == pytest.approx((6 / 1 + 6 / 4) / 8)


def test_seasonal_naive_scale_skips_pairs_with_a_missing_value():
    y = np.array([1.0, 2.0, 4.0, np.nan, 11.0])
    assert metrics.seasonal_naive_scale(y, 1) == pytest.approx((1 + 2) / 2)
    assert metrics.seasonal_naive_scale(y, 2) == pytest.approx((3 + 7) / 2)
    assert np.isnan(metrics.seasonal_naive_scale(y[:2], 2))


def test_mape_with_a_zero_actual_is_nan_with_the_reason():
    table = fc.evaluate(_frame(y=np.array([0.0, 12.0, 9.0, 15.0])))
    assert np.isnan(table["mape"].iloc[0])
    assert "mape undefined: 1 actual(s) equal 0" in table["note"].iloc[0]
    assert np.isfinite(table["mae"].iloc[0])


def test_smape_of_two_zeros_and_a_zero_scale_are_nan_with_reasons():
    table = fc.evaluate(
        _frame(y=np.array([0.0, 1, 1, 1]), yhat=np.array([0.0, 1, 1, 1]), scale=0.0)
    )
    assert np.isnan(table["smape"].iloc[0]) and np.isnan(table["mase"].iloc[0])
    assert (
        "smape undefined" in table["note"].iloc[0]
        and "mase/msis undefined" in table["note"].iloc[0]
    )


def test_missing_actuals_are_counted_not_scored():
    frame = _frame(y=np.array([10.0, np.nan, 9.0, 15.0]))
    row = fc.evaluate(frame).iloc[0]
    assert row["n"] == 3 and row["n_missing"] == 1
    assert row["mae"] == pytest.approx((1 + 0 + 3) / 3)
    assert "1 forecast(s) without an actual" in row["note"]


def test_by_step_gives_one_row_per_horizon_step():
    table = fc.evaluate(_frame(), metrics=["mae"], by=("model", "step"))
    assert table["step"].tolist() == [1, 2, 3, 4]
    assert table["mae"].tolist() == pytest.approx([1.0, 2.0, 0.0, 3.0])


def test_aggregation_across_series_is_the_mean_of_per_series_metrics():
    small = _frame(scale=2.0, uid="a")
    big = _frame(y=Y * 100, yhat=YHAT * 100, lo=LO * 100, hi=HI * 100, scale=50.0, uid="b")
    per_series = fc.evaluate(pd.concat([small, big], ignore_index=True), metrics=["mase", "smape"])
    overall = fc.evaluate(
        pd.concat([small, big], ignore_index=True), metrics=["mase", "smape"], by=("model",)
    )
    assert overall["mase"].iloc[0] == pytest.approx(per_series["mase"].mean())
    assert overall["mase"].iloc[0] == pytest.approx((0.75 + 600 / 4 / 50) / 2)
    assert overall["n"].iloc[0] == 8


def test_evaluate_rejects_bad_input():
    with pytest.raises(SchemaError, match="lacks column"):
        fc.evaluate(_frame().drop(columns="y"))
    with pytest.raises(ConfigError, match="unknown metric"):
        fc.evaluate(_frame(), metrics=["accuracy"])
    with pytest.raises(ConfigError, match="by="):
        fc.evaluate(_frame(), by=("nope",))


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=20),
    st.floats(0.0, 100.0),
    st.floats(1.0, 99.0),
)
def test_interval_score_is_at_least_the_width_and_equals_it_when_all_are_covered(
    values, half, level
):
    y = np.asarray(values)
    lo, hi = y - half, y + half
    assert metrics.interval_score(y, lo, hi, level) == pytest.approx(metrics.interval_width(lo, hi))
    shifted = metrics.interval_score(y + 2 * half + 1, lo, hi, level)
    assert shifted >= metrics.interval_width(lo, hi)


def test_evaluate_equals_utilsforecast_on_a_backtest():
    losses = pytest.importorskip("utilsforecast.losses")
    rng = np.random.default_rng(5)
    t = np.arange(70)
    series = pd.DataFrame(
        {
            "unique_id": "a",
            "ds": pd.date_range("2024-01-01", periods=70),
            "y": 30 + 4 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 1, 70),
        }
    )
    bt = fc.backtest(series, "naive", h=7, n_windows=1, levels=(80,))
    train = series.loc[series["ds"] <= bt["cutoff"].iloc[0]]
    ours = fc.evaluate(bt).iloc[0]
    wide = bt.rename(
        columns={"yhat": "naive", "yhat_lo_80": "naive-lo-80", "yhat_hi_80": "naive-hi-80"}
    )
    wide = wide[["unique_id", "ds", "naive", "naive-lo-80", "naive-hi-80", "y"]]
    assert ours["mae"] == pytest.approx(losses.mae(wide, ["naive"])["naive"].iloc[0])
    assert ours["rmse"] == pytest.approx(losses.rmse(wide, ["naive"])["naive"].iloc[0])
    assert ours["mape"] == pytest.approx(100 * losses.mape(wide, ["naive"])["naive"].iloc[0])
    # utilsforecast's sMAPE is on the 0-1 scale, ours on M4's 0-200
    assert ours["smape"] == pytest.approx(200 * losses.smape(wide, ["naive"])["naive"].iloc[0])
    assert ours["mase"] == pytest.approx(
        losses.mase(wide, ["naive"], seasonality=7, train_df=train)["naive"].iloc[0]
    )
    assert ours["coverage_80"] == pytest.approx(
        100 * losses.coverage(wide, ["naive"], level=80)["naive"].iloc[0]
    )
