"""fc.forecast with covariates: given to the models that use them, checked before any fit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import forecast as fc
from forecast.errors import CapabilityError, ConfigError, CovariateError, ForecastWarning
from tests.models.covariate_model import registered


@pytest.fixture
def regression():
    with registered() as cls:
        yield cls


def _panel(n: int = 40, h: int = 4) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(0)
    ds = pd.date_range("2024-01-01", periods=n + h, freq="W-MON")
    x = rng.uniform(0, 1, n + h)
    df = pd.concat(
        [
            pd.DataFrame({"unique_id": u, "ds": ds[:n], "y": k + 10 * x[:n]})
            for u, k in (("a", 5), ("b", 50))
        ]
    )
    return df, pd.DataFrame({"ds": ds, "x": x})


def test_models_that_use_covariates_get_them_and_others_are_named(regression):
    df, cov = _panel()
    with pytest.warns(ForecastWarning, match="'naive' forecast without them"):
        out = fc.forecast(df, ["naive", "_test_regression"], h=4, covariates=cov)
    reg = out[out["model"] == "_test_regression"]
    expected = np.concatenate(
        [5 + 10 * cov["x"].to_numpy()[40:], 50 + 10 * cov["x"].to_numpy()[40:]]
    )
    assert np.allclose(reg["yhat"], expected, atol=1e-6)
    naive = out[out["model"] == "naive"]
    assert len(naive) == 8 and "failures" not in out.attrs


def test_no_model_using_covariates_is_refused():
    df, cov = _panel()
    with pytest.raises(CapabilityError, match="none of the models"):
        fc.forecast(df, ["naive", "ets"], h=4, covariates=cov)


def test_missing_future_values_fail_before_any_model_runs(regression):
    df, cov = _panel()
    with pytest.raises(CovariateError, match="forecast horizon") as err:
        fc.forecast(df, "_test_regression", h=5, covariates=cov)
    assert err.value.series == "a"


@pytest.mark.parametrize(
    ("observed", "match"), [(["x"], None), (["z"], "'z'")], ids=["no_frame", "unknown"]
)
def test_observed_is_checked(regression, observed, match):
    df, cov = _panel()
    with pytest.raises(ConfigError, match=match or "no covariates were given"):
        fc.forecast(
            df,
            "_test_regression",
            h=4,
            covariates=None if match is None else cov,
            observed=observed,
        )
