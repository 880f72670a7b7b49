"""The benchmark methods against hand-computed values.

Formulas: Hyndman and Athanasopoulos, Forecasting: Principles and Practice (3rd ed.), section
5.5, table 5.2, with the residual standard deviation over ``T - K`` (K estimated parameters),
as R's fable computes it. The drift variance uses ``h (1 + h / (T - 1))``, the exact variance
of R's ``rwf(drift=TRUE)`` (the drift is estimated from ``T - 1`` differences); the book's table
rounds ``T - 1`` to ``T``.

The series is ``y = 2, 4, 3, 6, 5, 8`` on consecutive days (T = 6); every number below was
worked out by hand from it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import forecast as fc

Z80 = 1.2815515655446004
Z95 = 1.959963984540054
Y_VALUES = [2.0, 4.0, 3.0, 6.0, 5.0, 8.0]


def _frame(values: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {"ds": pd.date_range("2024-01-01", periods=len(values), freq="D"), "y": values}
    )


SERIES = _frame(Y_VALUES)


def _check(out: pd.DataFrame, point: list[float], sd: list[float]) -> None:
    np.testing.assert_allclose(out["yhat"], point, rtol=1e-12)
    for level, z in ((80, Z80), (95, Z95)):
        np.testing.assert_allclose(
            out[f"yhat_lo_{level}"], np.array(point) - z * np.array(sd), rtol=1e-10
        )
        np.testing.assert_allclose(
            out[f"yhat_hi_{level}"], np.array(point) + z * np.array(sd), rtol=1e-10
        )


def test_mean_by_hand() -> None:
    # mean = 28/6; squared deviations sum to 70/3; sigma^2 = (70/3) / (6 - 1) = 14/3;
    # sd_h = sigma * sqrt(1 + 1/6) = sqrt(14/3 * 7/6) = 7/3 for every h.
    model = fc.models.get("mean", calibrate=False).fit(SERIES)
    assert model.params_["mean"] == pytest.approx(28 / 6)
    assert model.params_["sigma"] == pytest.approx(math.sqrt(14 / 3))
    _check(model.predict(3), [28 / 6] * 3, [7 / 3] * 3)


def test_naive_by_hand() -> None:
    # differences 2, -1, 3, -1, 3: squares sum to 24 over 5 residuals (K = 0): sigma^2 = 4.8;
    # sd_h = sqrt(4.8 h); the point is the last value, 8.
    # (the textbook bands: naive is calibrated by default)
    model = fc.models.get("naive", calibrate=False).fit(SERIES)
    assert model.params_["sigma"] == pytest.approx(math.sqrt(4.8))
    _check(model.predict(3), [8.0] * 3, [math.sqrt(4.8 * h) for h in (1, 2, 3)])


def test_seasonal_naive_by_hand() -> None:
    # m = 2: residuals y_t - y_{t-2} = 1, 2, 2, 2, squares sum to 13 over 4: sigma^2 = 3.25;
    # points repeat the last season (5, 8); sd_h = sigma * sqrt(floor((h - 1) / 2) + 1).
    model = fc.models.get("seasonal_naive", seasonal_period=2).fit(SERIES)
    assert model.params_["sigma"] == pytest.approx(math.sqrt(3.25))
    sd = [math.sqrt(3.25 * k) for k in (1, 1, 2, 2, 3)]
    _check(model.predict(5), [5.0, 8.0, 5.0, 8.0, 5.0], sd)


def test_drift_by_hand() -> None:
    # drift c = (8 - 2) / 5 = 1.2; residuals 0.8, -2.2, 1.8, -2.2, 1.8, squares sum to 16.8 over
    # 5 - 1 (K = 1): sigma^2 = 4.2; point 8 + 1.2 h; sd_h = sqrt(4.2 h (1 + h / 5)).
    model = fc.models.get("drift").fit(SERIES)
    assert model.params_["drift"] == pytest.approx(1.2)
    assert model.params_["sigma"] == pytest.approx(math.sqrt(4.2))
    _check(
        model.predict(3),
        [8 + 1.2 * h for h in (1, 2, 3)],
        [math.sqrt(4.2 * h * (1 + h / 5)) for h in (1, 2, 3)],
    )


@pytest.mark.parametrize(
    ("name", "params"),
    [("mean", {}), ("naive", {}), ("seasonal_naive", {"seasonal_period": 2}), ("drift", {})],
)
def test_sample_quantiles_match_the_intervals(name: str, params: dict[str, int]) -> None:
    # 40,000 paths: the standard error of a 10% or 90% sample quantile is about 0.009 sd, so
    # the empirical quantiles must lie within 0.04 sd of the interval bounds.
    model = fc.models.get(name, **params, calibrate=False).fit(SERIES)
    out = model.predict(5, levels=(80, 95))
    paths = model.sample(5, n=40_000, seed=11)
    sd = (out["yhat_hi_80"] - out["yhat"]).to_numpy() / Z80
    for level in (80, 95):
        tail = (100 - level) / 200
        lo, hi = np.quantile(paths, [tail, 1 - tail], axis=0)
        np.testing.assert_allclose(lo, out[f"yhat_lo_{level}"], atol=0.04 * sd.max())
        np.testing.assert_allclose(hi, out[f"yhat_hi_{level}"], atol=0.04 * sd.max())


def test_update_extends_the_state_without_reestimating() -> None:
    model = fc.models.get("drift").fit(SERIES.iloc[:5])
    drift = model.params_["drift"]
    model.update(SERIES)
    assert model.params_["drift"] == drift
    assert model.predict(1)["yhat"].iloc[0] == pytest.approx(8 + drift)


def test_seasonal_naive_needs_more_than_one_season() -> None:
    with pytest.raises(fc.HistoryError, match="seasonal_period"):
        fc.models.get("seasonal_naive", seasonal_period=7).fit(SERIES)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(1.0, 1e6, allow_nan=False), min_size=4, max_size=30),
    st.sampled_from(["mean", "naive", "drift"]),
)
def test_intervals_nest_and_widen_with_the_level(values: list[float], name: str) -> None:
    out = fc.models.get(name).fit(_frame(values)).predict(4, levels=(50, 80, 95))
    assert (out["yhat_lo_95"] <= out["yhat_lo_80"]).all() and (
        out["yhat_lo_80"] <= out["yhat_lo_50"]
    ).all()
    assert (out["yhat_lo_50"] <= out["yhat"]).all() and (out["yhat"] <= out["yhat_hi_50"]).all()
    assert (out["yhat_hi_50"] <= out["yhat_hi_80"]).all() and (
        out["yhat_hi_80"] <= out["yhat_hi_95"]
    ).all()
