"""ETS point forecasts and closed-form variances against statsmodels.

The point forecasts are statsmodels' ``forecast`` exactly; the variances of classes 1 to 3
match statsmodels' exact ones (class 1) and the variance of its simulated paths (all three).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from threadpoolctl import threadpool_limits

import forecast as fc
from forecast.models._ets_forecast import error_variance, forecast_variance, point_forecast

SPECS = [
    ("add", None, False, None),
    ("add", "add", True, "add"),
    ("mul", None, False, None),
    ("mul", "add", False, None),
    ("mul", "add", True, None),
    ("mul", None, False, "add"),
    ("mul", "add", False, "add"),
    ("mul", "add", True, "add"),
    ("mul", None, False, "mul"),
    ("mul", "add", False, "mul"),
    ("mul", "add", True, "mul"),
]
"""Classes 1 (additive error), 2 (multiplicative error, linear) and 3 (M,*,M)."""


@pytest.fixture(autouse=True, scope="module")
def single_blas_thread() -> Iterator[None]:
    """Direct statsmodels calls run on one BLAS thread, as the models do."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _series(seed: int, n: int = 140) -> pd.Series:
    """A positive daily-like series with trend and a weekly multiplicative season."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    season = 1 + 0.15 * np.sin(2 * np.pi * t / 7)
    return pd.Series((500 + 2 * t) * season * np.exp(rng.normal(0, 0.04, n)))


def _fit(y: pd.Series, spec: tuple[str, str | None, bool, str | None]) -> object:
    error, trend, damped, seasonal = spec
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ETSModel(
            y,
            error=error,
            trend=trend,
            damped_trend=damped,
            seasonal=seasonal,
            seasonal_periods=7 if seasonal else None,
        ).fit(disp=False)


@pytest.mark.parametrize("spec", [*SPECS, ("add", "add", True, "mul")])
def test_point_forecast_is_statsmodels_forecast(spec: tuple) -> None:
    results = _fit(_series(1), spec)
    expected = np.asarray(results.forecast(30), dtype=float)  # type: ignore[attr-defined]
    np.testing.assert_array_equal(point_forecast(results, 30), expected)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(20, 80), which=st.sampled_from(SPECS))
def test_point_forecast_equals_statsmodels_on_random_series(
    seed: int, n: int, which: tuple
) -> None:
    results = _fit(_series(seed, n), which)
    expected = np.asarray(results.forecast(15), dtype=float)  # type: ignore[attr-defined]
    np.testing.assert_array_equal(point_forecast(results, 15), expected)


@pytest.mark.parametrize("spec", SPECS[:2])
def test_class_1_variance_is_statsmodels_exact_variance(spec: tuple) -> None:
    results = _fit(_series(2), spec)
    prediction = results.get_prediction(start=140, end=169)  # type: ignore[attr-defined]
    variance = forecast_variance(results, point_forecast(results, 30))
    assert variance is not None
    np.testing.assert_allclose(variance, prediction.var_pred_mean, rtol=1e-12)


@pytest.mark.parametrize("spec", SPECS)
def test_variance_matches_the_variance_of_simulated_paths(spec: tuple) -> None:
    results = _fit(_series(3), spec)
    h, n = 30, 40_000
    paths = np.asarray(
        results.simulate(h, anchor="end", repetitions=n, rng=np.random.default_rng(4))  # type: ignore[attr-defined]
    )
    simulated = paths.var(axis=1, ddof=1)
    variance = forecast_variance(results, point_forecast(results, h))
    assert variance is not None
    # the sample variance of n normal-ish draws has a relative standard error near sqrt(2/n)
    np.testing.assert_allclose(variance, simulated, rtol=6 * np.sqrt(2 / n))


def test_classes_4_and_5_have_no_closed_form() -> None:
    results = _fit(_series(5), ("add", "add", True, "mul"))
    assert forecast_variance(results, point_forecast(results, 10)) is None


def test_class_3_first_season_of_means_is_the_point_forecast() -> None:
    """The variance recursion starts from the states the point forecast starts from."""
    results = _fit(_series(6), ("mul", "add", True, "mul"))
    point = point_forecast(results, 7)
    one_step = forecast_variance(results, point)
    assert one_step is not None
    # one step ahead the forecast error is the point times the relative error
    assert one_step[0] == pytest.approx(float(results.mse) * point[0] ** 2, rel=1e-12)  # type: ignore[attr-defined]


def test_model_intervals_are_normal_around_the_point() -> None:
    frame = pd.DataFrame(
        {"ds": pd.date_range("2024-01-01", periods=140, freq="D"), "y": _series(7).to_numpy()}
    )
    model = fc.models.get(
        "ets", error="mul", trend="add", damped_trend=True, seasonal="mul", calibrate=False
    )
    out = model.fit(frame).predict(30, levels=(80, 95))
    half80 = (out["yhat_hi_80"] - out["yhat_lo_80"]) / 2
    half95 = (out["yhat_hi_95"] - out["yhat_lo_95"]) / 2
    np.testing.assert_allclose((out["yhat_hi_80"] + out["yhat_lo_80"]) / 2, out["yhat"])
    np.testing.assert_allclose(half95 / half80, 1.959963984540054 / 1.2815515655446004)
    # R's variance of the errors: squared (relative) residuals over n less the 3 smoothing
    # parameters, the damping, the initial level and trend and 6 free initial seasons
    resid = np.asarray(model.results_.resid, dtype=float)
    sigma2 = float(np.sum(resid**2)) / (140 - 12)
    assert model.params_["sigma2"] == pytest.approx(sigma2, rel=1e-10)
    assert sigma2 == pytest.approx(error_variance(model.results_, 12), rel=1e-10)
    variance = forecast_variance(model.results_, point_forecast(model.results_, 30), sigma2)
    assert variance is not None
    np.testing.assert_allclose(half95, 1.959963984540054 * np.sqrt(variance))
    mle = forecast_variance(model.results_, point_forecast(model.results_, 30))
    assert mle is not None and np.all(variance > mle)


def test_a_series_fitted_exactly_gets_zero_width_bands_not_a_failure() -> None:
    # A straight line: ETS(M,A,A) fits it with a noise variance near 1e-20, where the class 2
    # formula's subtraction came out a few ulps below zero and the forecast failed as non-finite.
    line = pd.DataFrame(
        {
            "unique_id": "line",
            "ds": pd.date_range("2024-01-01", periods=30),
            "y": 100.0 + np.arange(30),
        }
    )
    out = fc.models.get("ets").fit(line).predict(3)
    assert np.isfinite(out.filter(like="yhat").to_numpy()).all()
    assert (out["yhat_hi_95"] >= out["yhat"]).all() and (out["yhat_lo_95"] <= out["yhat"]).all()
