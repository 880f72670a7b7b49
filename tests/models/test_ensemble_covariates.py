"""``ensemble`` with covariates: the members that take them get them (fit, inner backtest,
forecasts and paths), the others are fitted without them, and ``params_`` says which."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import forecast as fc
from forecast.errors import CapabilityError, CovariateError
from forecast.evaluation.inner import inner_backtest


@pytest.fixture(scope="module")
def series() -> tuple[pd.DataFrame, pd.DataFrame]:
    """200 days of ``50 + 3 spend + 8 promo`` plus AR(1) noise, and 20 days of covariates more."""
    rng = np.random.default_rng(21)
    n, h = 200, 20
    spend = rng.normal(0, 1, n + h)
    promo = (rng.random(n + h) < 0.1).astype(float)
    u = np.zeros(n + h)
    shocks = rng.normal(0, 1, n + h)
    for t in range(1, n + h):
        u[t] = 0.6 * u[t - 1] + shocks[t]
    ds = pd.date_range("2023-01-01", periods=n + h, freq="D")
    y = 50 + 3 * spend + 8 * promo + u
    history = pd.DataFrame({"unique_id": "app", "ds": ds[:n], "y": y[:n]})
    covariates = pd.DataFrame({"ds": ds, "spend": spend, "promo": promo})
    return history, covariates


def _members() -> list[fc.models.BaseModel]:
    return [fc.models.get("arima", order=(1, 0, 0)), fc.models.get("theta")]


def test_members_with_covariates_get_them(series: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    history, covariates = series
    model = fc.models.get("ensemble", members=_members(), combine="mean", calibrate=False)
    model.fit(history, covariates=covariates)
    assert model.params_["members_with_covariates"] == ["arima"]
    assert model.params_["members_without_covariates"] == ["theta"]
    (_, arima), (_, theta) = model.members_
    assert arima.covariates_ == ("spend", "promo") and theta.covariates_ == ()
    expected = (
        arima.predict(20, levels=(), covariates=covariates)["yhat"].to_numpy()
        + theta.predict(20, levels=())["yhat"].to_numpy()
    ) / 2
    out = model.predict(20, covariates=covariates)
    np.testing.assert_allclose(out["yhat"], expected, rtol=1e-12)
    assert model.sample(20, 50, covariates=covariates).shape == (50, 20)


def test_inner_backtest_uses_the_covariates(series: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    history, covariates = series
    model = fc.models.get("ensemble", members=_members(), combine="weighted", h=10, n_windows=3)
    model.fit(history, covariates=covariates)
    without = inner_backtest(
        history, [("arima", fc.models.get("arima", order=(1, 0, 0)))], 10, 3, 7
    )
    # The covariates explain most of the variance, so arima's inner error drops with them.
    assert model.scores_["arima"] < 0.7 * without["arima"]
    assert model.weights_["arima"] > model.weights_["theta"]


def test_future_covariates_are_required(series: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    history, covariates = series
    model = fc.models.get("ensemble", members=_members(), calibrate=False)
    model.fit(history, covariates=covariates)
    with pytest.raises(CovariateError, match="spend"):
        model.predict(5)
    plain = fc.models.get("ensemble", members=_members(), calibrate=False).fit(history)
    assert "members_with_covariates" not in plain.params_
    with pytest.raises(CapabilityError, match="without covariates"):
        plain.predict(5, covariates=covariates)


def test_members_pooled_where_calibration_fails_keep_their_covariates(
    series: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    # 9 days leave arima (8 observations at least) no room for 2 inner windows: the ensemble
    # falls back to its members' pooled paths, refitting them with their own calibrate default,
    # and arima keeps the covariates it was fitted with.
    history, covariates = series
    short = history.iloc[:9]
    with pytest.warns(fc.ForecastWarning, match="no calibration"):
        model = fc.models.get("ensemble", members=["arima", "naive"]).fit(
            short, covariates=covariates
        )
    assert not model.calibrated_
    (_, arima), (_, naive) = model.members_
    assert arima.covariates_ == ("spend", "promo") and naive.covariates_ == ()
    assert arima.calibrate is None and naive.calibrate is None
    future = covariates.iloc[9:12]
    out = model.predict(3, covariates=future)
    assert out["yhat"].notna().all() and (out["yhat_lo_95"] <= out["yhat_hi_95"]).all()
