"""The covariates contract on the model side, with a tiny regression model that uses them.

``_test_regression`` fits ``y = a + b x`` by least squares on one covariate ``x`` and
forecasts with the future ``x`` that ``predict`` was given; it shows what base does for every
model: refusal by models without the capability, history and future values checked, the
values reaching ``_fit`` and ``_predict``, calibration's inner windows and persistence.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import forecast as fc
from forecast.errors import CapabilityError, CovariateError, ModelError
from tests.models.covariate_model import registered


@pytest.fixture
def regression():
    with registered() as cls:
        yield cls


NAMES = list(fc.models.available()["name"])
CAPABILITIES = fc.models.available().set_index("name")


def _data(n: int = 60, h: int = 10, seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2024-01-01", periods=n + h)
    x = rng.uniform(0, 10, n + h)
    y = 5.0 + 2.0 * x + rng.normal(0, 0.1, n + h)
    series = pd.DataFrame({"unique_id": "s", "ds": ds[:n], "y": y[:n]})
    return series, pd.DataFrame({"ds": ds, "x": x})


def test_covariates_reach_fit_and_predict(regression):
    series, cov = _data()
    model = regression().fit(series, covariates=cov)
    assert model.covariates_ == ("x",)
    assert model.seen_columns_[-1] == "x"
    assert model.coef_[1] == pytest.approx(2.0, abs=0.02)
    out = model.predict(10, covariates=cov)
    future_x = cov["x"].to_numpy()[60:]
    assert np.allclose(out["yhat"], 5.0 + 2.0 * future_x, atol=0.1)
    doubled = model.predict(10, covariates=cov.assign(x=cov["x"] * 2))
    assert np.allclose(doubled["yhat"] - out["yhat"], model.coef_[1] * future_x)


def test_predict_and_sample_need_future_values(regression):
    series, cov = _data()
    model = regression().fit(series, covariates=cov)
    with pytest.raises(CovariateError, match="pass covariates="):
        model.predict(3)
    with pytest.raises(CovariateError, match="2024-03-10"):
        model.predict(10, covariates=cov.iloc[:-1])
    with pytest.raises(CovariateError, match="'x'"):
        model.predict(2, covariates=cov.rename(columns={"x": "z"}))
    paths = model.sample(4, n=200, seed=1, covariates=cov)
    assert paths.shape == (200, 4)
    assert np.allclose(paths.mean(axis=0), model.predict(4, covariates=cov)["yhat"], atol=0.05)


def test_history_without_covariate_values_is_refused(regression):
    series, cov = _data()
    with pytest.raises(CovariateError, match="history") as err:
        regression().fit(series, covariates=cov.drop(index=[7]))
    assert err.value.rows == ["2024-01-08"]


def test_other_series_in_frame_is_refused(regression):
    series, cov = _data()
    with pytest.raises(CovariateError, match="'t'"):
        regression().fit(series, covariates=cov.assign(unique_id="t"))
    model = regression().fit(series, covariates=cov.assign(unique_id="s"))
    two = pd.concat([cov.assign(unique_id="s"), cov.assign(unique_id="t")])
    with pytest.raises(CovariateError, match="'t'"):
        model.predict(2, covariates=two)


def test_fitted_without_covariates_refuses_them_at_predict(regression):
    series, cov = _data()
    model = regression().fit(series)
    assert model.covariates_ == ()
    with pytest.raises(CapabilityError, match="without covariates"):
        model.predict(2, covariates=cov)


def test_future_covariates_only_inside_predict(regression):
    series, cov = _data()
    model = regression().fit(series, covariates=cov)
    with pytest.raises(ModelError, match="only inside"):
        model._future_covariates(2)


@pytest.mark.parametrize("name", [n for n in NAMES if not CAPABILITIES.loc[n, "covariates"]])
def test_models_without_the_capability_refuse_covariates(name):
    series, cov = _data()
    model = fc.models.get(name)
    with pytest.raises(CapabilityError, match=f"model {name!r} does not use covariates") as err:
        model.fit(series, covariates=cov)
    assert "'prophet'" in str(err.value) and "'arima'" in str(err.value)


def test_naive_refuses_covariates_at_predict():
    series, cov = _data()
    model = fc.models.get("naive").fit(series)
    with pytest.raises(CapabilityError, match="'naive'"):
        model.predict(2, covariates=cov)


def test_calibration_inner_windows_get_the_covariates(regression):
    series, cov = _data(n=80, h=10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = regression(calibrate=True).fit(series, covariates=cov)
    assert model.calibration_ is not None
    out = model.predict(7, levels=(95,), covariates=cov)
    width = (out["yhat_hi_95"] - out["yhat_lo_95"]).to_numpy()
    # noise sd 0.1: a window without x (a constant forecast) would have errors of sd ~6
    assert np.all(width < 2.0) and np.all(width > 0)
    assert np.allclose(out["yhat"], 5.0 + 2.0 * cov["x"].to_numpy()[80:87], atol=0.1)


def test_saved_model_keeps_its_covariates(regression, tmp_path):
    series, cov = _data()
    model = regression().fit(series, covariates=cov)
    loaded = fc.models.load(model.save(tmp_path / "m.zip"))
    assert loaded.covariates_ == ("x",)
    pd.testing.assert_frame_equal(
        loaded.predict(5, covariates=cov), model.predict(5, covariates=cov)
    )
    with pytest.raises(CovariateError, match="pass covariates="):
        loaded.predict(5)


def _growth_data(n: int = 60, h: int = 10, seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A saturating curve that a covariate ``x`` lifts by ``exp(0.05 x)``: every model that takes
    covariates can fit it (the growth curves cannot fit the straight line of :func:`_data`)."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2024-01-01", periods=n + h)
    x = rng.uniform(0, 1, n + h)
    curve = 1000.0 / (1.0 + np.exp(-(np.arange(n + h) - 30) / 6))
    y = curve * np.exp(0.05 * x + rng.normal(0, 0.01, n + h))
    series = pd.DataFrame({"unique_id": "s", "ds": ds[:n], "y": y[:n]})
    return series, pd.DataFrame({"ds": ds, "x": x})


@pytest.mark.parametrize("name", [n for n in NAMES if CAPABILITIES.loc[n, "covariates"]])
def test_models_with_the_capability_take_and_need_covariates(name):
    series, cov = _growth_data()
    model = fc.models.get(name).fit(series, covariates=cov)
    assert model.covariates_ == ("x",)
    out = model.predict(4, covariates=cov)
    assert len(out) == 4 and np.isfinite(out["yhat"]).all()
    with pytest.raises(CovariateError):
        model.predict(4)
