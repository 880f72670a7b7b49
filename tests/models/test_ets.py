"""The ``ets`` model: the wrapper adds no error, the search picks the smallest AICc among the
admissible specifications of R's ``forecast::ets``, and the literature's air-passengers check."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from threadpoolctl import threadpool_limits

import forecast as fc
from forecast.models.ets import ETSSpec, candidate_specs


@pytest.fixture(autouse=True, scope="module")
def single_blas_thread() -> Iterator[None]:
    """Direct statsmodels calls run on one BLAS thread, as the models do (much faster here)."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture(scope="module")
def twitter() -> pd.DataFrame:
    """Twitter's monetisable DAU (quarterly, millions), from the bundled social-apps dataset."""
    series = fc.datasets.load("social-apps-quarterly").series
    return series.loc[series["unique_id"] == "twitter/mdau/all", ["ds", "y"]].reset_index(drop=True)


@pytest.fixture(scope="module")
def monthly() -> pd.DataFrame:
    """Six years of a positive monthly series with trend and a multiplicative season (seed 3)."""
    rng = np.random.default_rng(3)
    t = np.arange(72)
    y = (
        (200 + 2.5 * t)
        * (1 + 0.2 * np.sin(2 * np.pi * t / 12))
        * np.exp(rng.normal(0, 0.03, t.size))
    )
    return pd.DataFrame({"ds": pd.date_range("2018-01-01", periods=t.size, freq="MS"), "y": y})


def test_fixed_spec_matches_statsmodels(twitter: pd.DataFrame) -> None:
    model = fc.models.get("ets", error="add", trend="add", damped_trend=True, seasonal=None).fit(
        twitter
    )
    direct = ETSModel(twitter["y"].astype(float), error="add", trend="add", damped_trend=True).fit(
        disp=False
    )
    np.testing.assert_allclose(model.predict(8, levels=())["yhat"], direct.forecast(8), rtol=1e-10)
    assert model.params_["spec"] == "ETS(A,Ad,N)"
    direct_params = dict(zip(direct.param_names, np.asarray(direct.params), strict=True))
    assert model.params_["damping_trend"] == pytest.approx(direct_params["damping_trend"])


def test_fixed_seasonal_spec_matches_statsmodels_with_intervals(monthly: pd.DataFrame) -> None:
    model = fc.models.get(
        "ets", error="add", trend="add", damped_trend=False, seasonal="add", calibrate=False
    ).fit(monthly)
    direct = ETSModel(
        monthly["y"], error="add", trend="add", seasonal="add", seasonal_periods=12
    ).fit(disp=False)
    out = model.predict(12, levels=(80, 95))
    np.testing.assert_allclose(out["yhat"], direct.forecast(12), rtol=1e-10)
    # additive models have closed-form variances: statsmodels' exact ones, with R's variance
    # of the errors (SSE over 72 less 16 parameters: 3 smoothing, level, trend, 11 seasons)
    # in place of statsmodels' maximum-likelihood one (SSE over 72)
    frame = direct.get_prediction(start=72, end=83).summary_frame(alpha=0.05)
    widen = np.sqrt(72 / (72 - 16))
    np.testing.assert_allclose(
        out["yhat_lo_95"], frame["mean"] - widen * (frame["mean"] - frame["pi_lower"]), rtol=1e-10
    )
    np.testing.assert_allclose(
        out["yhat_hi_95"], frame["mean"] + widen * (frame["pi_upper"] - frame["mean"]), rtol=1e-10
    )


def test_search_picks_the_smallest_aicc(monthly: pd.DataFrame) -> None:
    model = fc.models.get("ets").fit(monthly)
    candidates = model.candidates_
    assert len(candidates) == 15
    best = candidates.loc[candidates["aicc"].idxmin(), "spec"]
    assert model.params_["spec"] == best
    assert model.params_["aicc"] == pytest.approx(candidates["aicc"].min())
    assert model.params_["seasonal"] is not None
    assert model.results_.aicc == pytest.approx(model.params_["aicc"])


def test_admissible_set_follows_forecast_ets() -> None:
    full = candidate_specs(positive=True, seasonal_allowed=True)
    assert len(full) == 15
    assert not [s for s in full if s.error == "add" and s.seasonal == "mul"]
    assert not [s for s in full if s.trend == "mul"]
    assert ETSSpec("mul", "add", True, "mul") in full
    signed = candidate_specs(positive=False, seasonal_allowed=True)
    assert len(signed) == 6 and all("mul" not in (s.error, s.trend, s.seasonal) for s in signed)
    assert all(s.seasonal is None for s in candidate_specs(positive=True, seasonal_allowed=False))
    assert candidate_specs(positive=True, seasonal_allowed=True, error="add", seasonal="mul") == [
        ETSSpec("add", None, False, "mul"),
        ETSSpec("add", "add", False, "mul"),
        ETSSpec("add", "add", True, "mul"),
    ]


def test_short_or_signed_series_restrict_the_search(monthly: pd.DataFrame) -> None:
    short = fc.models.get("ets").fit(monthly.iloc[:20])  # less than two full seasons
    assert short.candidates_["spec"].str.endswith(",N)").all()
    signed = fc.models.get("ets").fit(monthly.assign(y=monthly["y"] - 300))
    assert not signed.candidates_["spec"].str.contains("M").any()
    with pytest.raises(fc.HistoryError, match="seasonal"):
        fc.models.get("ets", seasonal="add").fit(monthly.iloc[:20])


def test_multiplicative_intervals_are_seeded_simulations(monthly: pd.DataFrame) -> None:
    model = fc.models.get(
        "ets", error="mul", trend="add", damped_trend=True, seasonal="mul", seed=5
    ).fit(monthly)
    first = model.predict(12, levels=(50, 80, 99))
    pd.testing.assert_frame_equal(first, model.predict(12, levels=(50, 80, 99)))
    assert (first["yhat_lo_99"] < first["yhat_lo_80"]).all() and (
        first["yhat_lo_80"] < first["yhat_lo_50"]
    ).all()
    paths = model.sample(12, n=4000, seed=1)
    lo, hi = np.quantile(paths, [0.1, 0.9], axis=0)
    width = (first["yhat_hi_80"] - first["yhat_lo_80"]).to_numpy()
    np.testing.assert_allclose(lo, first["yhat_lo_80"], atol=0.1 * width.max())
    np.testing.assert_allclose(hi, first["yhat_hi_80"], atol=0.1 * width.max())


def test_update_refilters_with_the_same_parameters(monthly: pd.DataFrame) -> None:
    model = fc.models.get("ets", error="add", trend="add", damped_trend=False, seasonal="add").fit(
        monthly.iloc[:60]
    )
    params = np.asarray(model.results_.params)
    model.update(monthly)
    direct = ETSModel(
        monthly["y"], error="add", trend="add", seasonal="add", seasonal_periods=12
    ).smooth(params)
    np.testing.assert_allclose(model.predict(6, levels=())["yhat"], direct.forecast(6), rtol=1e-10)
    np.testing.assert_array_equal(np.asarray(model.results_.params), params)


def test_log_transform_back_transforms_the_forecast(monthly: pd.DataFrame) -> None:
    model = fc.models.get(
        "ets", error="add", trend="add", damped_trend=False, seasonal="add", transform="log"
    )
    out = model.fit(monthly).predict(6)
    direct = ETSModel(
        np.log(monthly["y"]), error="add", trend="add", seasonal="add", seasonal_periods=12
    ).fit(disp=False)
    np.testing.assert_allclose(out["yhat"], np.exp(direct.forecast(6)), rtol=1e-10)


def test_warm_start_reaches_the_same_model(monthly: pd.DataFrame) -> None:
    previous = fc.models.get("ets").fit(monthly.iloc[:66])
    warm = fc.models.get("ets")
    warm.warm_start(previous)
    warm.fit(monthly)
    cold = fc.models.get("ets").fit(monthly)
    assert warm.params_["spec"] == cold.params_["spec"]
    # The likelihood is multimodal: which local optimum a start reaches depends on the
    # floating-point path (it differs between CPUs), so the warm start must reach one at least
    # as good as the cold start's, not the same one.
    assert warm.results_.llf >= cold.results_.llf - 1e-6 * abs(cold.results_.llf)
    assert set(warm.estimates_) == set(previous.estimates_)
    with pytest.raises(fc.ConfigError):
        warm.warm_start(fc.models.get("naive"))


def test_bad_parameters_raise() -> None:
    with pytest.raises(fc.ConfigError):
        fc.models.get("ets", error="multiplicative")
    with pytest.raises(fc.ConfigError):
        fc.models.get("ets", trend=None, damped_trend=True)


@pytest.mark.slow
def test_air_passengers_aicc_no_worse_than_m_ad_m(shared_data) -> None:
    # Hyndman & Athanasopoulos (FPP2, section 7.6) fit ETS(M,Ad,M) style models to seasonal
    # multiplicative data such as air passengers; the automatic choice must do at least as well.
    air = pd.read_csv(shared_data / "example_air_passengers.csv", parse_dates=["ds"])
    model = fc.models.get("ets").fit(air)
    direct = ETSModel(
        air["y"].astype(float),
        error="mul",
        trend="add",
        damped_trend=True,
        seasonal="mul",
        seasonal_periods=12,
    ).fit(disp=False)
    assert model.params_["aicc"] <= direct.aicc + 1e-6
    assert model.params_["seasonal"] == "mul"


def test_a_multiplicative_model_refuses_an_update_with_values_not_above_zero() -> None:
    rng = np.random.default_rng(0)
    y = 50 + np.cumsum(rng.normal(0, 1, 40))
    frame = pd.DataFrame({"unique_id": "s", "ds": pd.date_range("2020-01-01", periods=40), "y": y})
    model = fc.models.get("ets", error="mul", trend=None, seasonal=None).fit(frame)
    later = pd.concat(
        [frame, pd.DataFrame({"unique_id": "s", "ds": [pd.Timestamp("2020-02-10")], "y": [0.0]})]
    )
    with pytest.raises(fc.FitError, match=r"ETS\(M,N,N\) of series 's'.*rows \[40\]"):
        model.update(later)
