"""The ``theta`` model: equal to statsmodels' ThetaModel, seasonal adjustment only where a season
is detected, and sample paths consistent with the intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.forecasting.theta import ThetaModel

import forecast as fc


def _monthly(season: float, trend: float = 1.5, seed: int = 6) -> pd.DataFrame:
    """Eight years of a positive monthly series: a trend and a season of amplitude ``season``."""
    rng = np.random.default_rng(seed)
    t = np.arange(96)
    y = 300 + trend * t + season * np.sin(2 * np.pi * t / 12) + rng.normal(0, 5, t.size)
    return pd.DataFrame({"ds": pd.date_range("2016-01-01", periods=t.size, freq="MS"), "y": y})


def test_matches_statsmodels_theta_model() -> None:
    data = _monthly(40.0)
    model = fc.models.get("theta", calibrate=False).fit(data)
    direct = ThetaModel(data["y"].to_numpy(), period=12).fit()
    out = model.predict(12, levels=(80, 95))
    np.testing.assert_allclose(out["yhat"], direct.forecast(12), rtol=1e-10)
    bounds = direct.prediction_intervals(12, alpha=0.05)
    np.testing.assert_allclose(out["yhat_lo_95"], bounds["lower"], rtol=1e-10)
    np.testing.assert_allclose(out["yhat_hi_95"], bounds["upper"], rtol=1e-10)
    assert model.params_["deseasonalized"] is True
    assert model.params_["alpha"] == pytest.approx(float(direct.params["alpha"]))


def test_season_removed_only_when_detected() -> None:
    # statsmodels' test looks at the autocorrelation at the seasonal lag of the series itself
    # (as R's thetaf), so a strong trend alone can pass it; a level series without season cannot
    assert (
        fc.models.get("theta").fit(_monthly(0.0, trend=0.0, seed=0)).params_["deseasonalized"]
        is False
    )
    assert (
        fc.models.get("theta", deseasonalize=False).fit(_monthly(40.0)).params_["deseasonalized"]
        is False
    )
    assert fc.models.get("theta").fit(_monthly(40.0).iloc[:20]).params_["deseasonalized"] is False


def test_theta_one_is_simple_exponential_smoothing_without_drift() -> None:
    data = _monthly(0.0)
    out = fc.models.get("theta", theta=1.0, deseasonalize=False).fit(data).predict(6, levels=())
    assert np.ptp(out["yhat"]) == pytest.approx(0.0, abs=1e-9)


def test_sample_paths_match_the_intervals() -> None:
    model = fc.models.get("theta").fit(_monthly(40.0))
    out = model.predict(12, levels=(80,))
    paths = model.sample(12, n=20_000, seed=2)
    # each tail holds 10% of the paths at every step (binomial standard error 0.2 points)
    below = (paths < out["yhat_lo_80"].to_numpy()).mean(axis=0)
    above = (paths > out["yhat_hi_80"].to_numpy()).mean(axis=0)
    np.testing.assert_allclose(below, 0.1, atol=0.01)
    np.testing.assert_allclose(above, 0.1, atol=0.01)


def test_constant_series_raises_a_fit_error() -> None:
    # statsmodels' ThetaModel regresses on a constant and a trend; on constant data its
    # add_trend skips the constant and the forecast is wrong (11 for a series of 5s)
    flat = pd.DataFrame({"ds": pd.date_range("2024-01-01", periods=30, freq="D"), "y": 5.0})
    with pytest.raises(fc.FitError, match="constant"):
        fc.models.get("theta").fit(flat)


def test_bad_parameters_raise() -> None:
    with pytest.raises(fc.ConfigError):
        fc.models.get("theta", theta=0.5)
    with pytest.raises(fc.ConfigError):
        fc.models.get("theta", method="mul")
