"""The ``arima`` model: fixed orders equal statsmodels' SARIMAX, the unit-root and seasonality
tests, the CSS estimator, the search's limits, updates, and the airline model of Box and Jenkins
on the logged air-passengers series."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.statespace.sarimax import SARIMAX
from threadpoolctl import threadpool_limits

import forecast as fc
from forecast.models._arima_search import Search
from forecast.models._statsmodels import quiet_estimation
from forecast.models.arima import (
    ArimaSpec,
    css_fit,
    exact_fit,
    kpss_ndiffs,
    seasonal_ndiffs,
    seasonal_strength,
)


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
    """Eight years of a monthly series: random walk with drift plus a fixed season (seed 4)."""
    rng = np.random.default_rng(4)
    t = np.arange(96)
    y = 500 + np.cumsum(rng.normal(2, 4, t.size)) + 30 * np.sin(2 * np.pi * t / 12)
    return pd.DataFrame({"ds": pd.date_range("2017-01-01", periods=t.size, freq="MS"), "y": y})


def test_fixed_order_matches_sarimax(twitter: pd.DataFrame) -> None:
    model = fc.models.get("arima", order=(1, 1, 0), include_constant=True, calibrate=False).fit(
        twitter
    )
    y = twitter["y"].to_numpy(dtype=float)
    direct = SARIMAX(y, order=(1, 1, 0), trend="c").fit(disp=False)
    out = model.predict(6, levels=(95,))
    np.testing.assert_allclose(out["yhat"], direct.forecast(6), rtol=1e-10)
    np.testing.assert_allclose(
        out["yhat_lo_95"], direct.get_forecast(6).conf_int(alpha=0.05)[:, 0], rtol=1e-10
    )
    assert model.params_["spec"] == "ARIMA(1,1,0) with drift"


def test_fixed_seasonal_order_matches_sarimax(monthly: pd.DataFrame) -> None:
    model = fc.models.get("arima", order=(0, 1, 1), seasonal_order=(0, 1, 1)).fit(monthly)
    direct = SARIMAX(monthly["y"].to_numpy(), order=(0, 1, 1), seasonal_order=(0, 1, 1, 12)).fit(
        disp=False
    )
    np.testing.assert_allclose(
        model.predict(12, levels=())["yhat"], direct.forecast(12), rtol=1e-10
    )


def test_unit_root_and_seasonality_tests() -> None:
    rng = np.random.default_rng(0)
    noise = rng.normal(size=300)
    assert kpss_ndiffs(noise) == 0
    assert kpss_ndiffs(np.cumsum(noise)) == 1
    assert kpss_ndiffs(np.cumsum(np.cumsum(noise))) == 2
    t = np.arange(120)
    seasonal = 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 1, t.size)
    assert seasonal_strength(seasonal, 12) > 0.9
    assert seasonal_ndiffs(seasonal, 12) == 1
    assert seasonal_strength(rng.normal(size=120), 12) < 0.64
    assert seasonal_ndiffs(rng.normal(size=120), 12) == 0


def test_css_recovers_an_arma_and_agrees_with_exact_likelihood() -> None:
    rng = np.random.default_rng(2)
    e = rng.normal(size=3001)
    y = np.zeros(3001)
    for t in range(1, 3001):
        y[t] = 0.6 * y[t - 1] + e[t] + 0.3 * e[t - 1]
    spec = ArimaSpec(1, 0, 1)
    params, loglike, n_used, sigma2 = css_fit(y[1:], spec)
    assert params == pytest.approx([0.6, 0.3], abs=0.05)
    assert sigma2 == pytest.approx(1.0, abs=0.06)
    exact, exact_loglike, _, _ = exact_fit(y[1:], spec, maxiter=50)
    np.testing.assert_allclose(params, exact, atol=0.01)
    assert loglike == pytest.approx(exact_loglike, rel=1e-3)
    assert n_used == 2999


def test_search_respects_max_models(monthly: pd.DataFrame) -> None:
    model = fc.models.get("arima", max_models=3).fit(monthly)
    assert model.params_["n_models"] == 3
    assert model.params_["stopped"] == "max_models"
    assert len(model.candidates_) == 3


@pytest.mark.slow
def test_search_chooses_the_smallest_aicc(monthly: pd.DataFrame) -> None:
    model = fc.models.get("arima").fit(monthly)
    spec = model.spec_
    assert spec.D == 1
    assert model.params_["stopped"] is None
    scores = model.candidates_.set_index("spec")["aicc"]
    assert scores.min() == pytest.approx(scores[spec.label])
    assert model.params_["aicc"] == pytest.approx(scores[spec.label], rel=1e-6)


def test_update_appends_without_refitting(monthly: pd.DataFrame) -> None:
    model = fc.models.get("arima", order=(1, 1, 0), seasonal_order=(0, 1, 1)).fit(monthly.iloc[:84])
    params = np.asarray(model.results_.params)
    model.update(monthly)
    direct = SARIMAX(monthly["y"].to_numpy(), order=(1, 1, 0), seasonal_order=(0, 1, 1, 12)).smooth(
        params
    )
    np.testing.assert_allclose(model.predict(6, levels=())["yhat"], direct.forecast(6), rtol=1e-8)
    assert model.predict(1)["ds"].iloc[0] == pd.Timestamp("2025-01-01")


def test_sample_paths_match_the_intervals(monthly: pd.DataFrame) -> None:
    model = fc.models.get("arima", order=(0, 1, 1), seasonal_order=(0, 1, 1)).fit(monthly)
    out = model.predict(12, levels=(80,))
    paths = model.sample(12, n=4000, seed=7)
    lo, hi = np.quantile(paths, [0.1, 0.9], axis=0)
    width = (out["yhat_hi_80"] - out["yhat_lo_80"]).to_numpy()
    np.testing.assert_allclose(lo, out["yhat_lo_80"], atol=0.06 * width.max())
    np.testing.assert_allclose(hi, out["yhat_hi_80"], atol=0.06 * width.max())


def test_warm_start_reaches_the_same_model(monthly: pd.DataFrame) -> None:
    previous = fc.models.get("arima", approximation=True).fit(monthly.iloc[:90])
    warm = fc.models.get("arima", approximation=True)
    warm.warm_start(previous)
    warm.fit(monthly)
    cold = fc.models.get("arima", approximation=True).fit(monthly)
    assert warm.spec_ == cold.spec_
    np.testing.assert_allclose(
        warm.predict(6, levels=())["yhat"], cold.predict(6, levels=())["yhat"], rtol=1e-2
    )
    with pytest.raises(fc.ConfigError):
        warm.warm_start(fc.models.get("naive"))


def test_bad_orders_raise() -> None:
    with pytest.raises(fc.ConfigError):
        fc.models.get("arima", order=(1, 1))
    with pytest.raises(fc.ConfigError):
        fc.models.get("arima", seasonal_order=(0, 1, 1))


@pytest.mark.slow
def test_air_passengers_logged_selects_the_airline_model(shared_data) -> None:
    # Box and Jenkins (1970), series G: the airline model ARIMA(0,1,1)(0,1,1)12 on log passengers;
    # R: forecast::auto.arima(log(AirPassengers)) reports ARIMA(0,1,1)(0,1,1)[12], AICc=-483.21.
    air = pd.read_csv(shared_data / "example_air_passengers.csv", parse_dates=["ds"])
    model = fc.models.get("arima", transform="log").fit(air)
    assert model.spec_.order == (0, 1, 1)
    assert model.spec_.seasonal_order == (0, 1, 1, 12)
    assert not model.spec_.constant
    assert model.params_["aicc"] == pytest.approx(-483.21, abs=0.05)
    assert model.params_["ma.L1"] == pytest.approx(-0.4018, abs=2e-3)
    assert model.params_["ma.S.L12"] == pytest.approx(-0.5569, abs=2e-3)


@pytest.mark.slow
def test_css_search_also_selects_the_airline_model(shared_data) -> None:
    # The approximate search (CSS, R's default for long series) compares candidates by
    # conditional likelihood; the chosen model is re-estimated by exact likelihood.
    air = pd.read_csv(shared_data / "example_air_passengers.csv", parse_dates=["ds"])
    model = fc.models.get("arima", transform="log", approximation=True).fit(air)
    assert model.spec_.label == "ARIMA(0,1,1)(0,1,1)12"
    assert model.params_["aicc"] == pytest.approx(-483.21, abs=0.05)


def test_search_skips_orders_with_a_lag_in_both_polynomials() -> None:
    # Quarterly with p = 4 and a seasonal AR: SARIMAX cannot hold lag 4 twice; CSS could.
    rng = np.random.default_rng(3)
    y = np.cumsum(rng.normal(1, 2, 200)) + np.tile([5.0, -3.0, 0.0, -2.0], 50)
    search = Search(y, 10, np.inf, 50, True, {})
    assert search.score(ArimaSpec(4, 1, 0, 1, 0, 0, 4)) == np.inf
    assert np.isfinite(search.score(ArimaSpec(3, 1, 0, 1, 0, 0, 4)))


def test_css_search_refines_its_best_candidates_by_exact_likelihood(
    monthly: pd.DataFrame,
) -> None:
    model = fc.models.get("arima", approximation=True, refine=3).fit(monthly)
    exact = model.candidates_.set_index("spec")["aicc_exact"].dropna()
    css = model.candidates_.set_index("spec")["aicc"]
    assert 1 <= len(exact) <= 3
    # the re-estimated ones are the best by CSS, and the lowest exact AICc among them wins
    assert set(exact.index) == set(css.nsmallest(len(exact)).index)
    assert model.spec_.label == exact.idxmin()
    assert model.params_["aicc"] == pytest.approx(exact.min(), rel=1e-9)


def test_refine_falls_back_when_the_exact_fit_fails_from_the_css_start(
    monthly: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A CSS estimate can put SARIMAX's stationary initialisation where it is singular ("LU
    # decomposition error"); the order is then started from statsmodels' own values.
    import forecast.models._arima_search as search_module

    real = search_module.exact_fit
    started: list[bool] = []

    def singular_from_css(y, spec, maxiter, start_params=None, exog=None):
        started.append(start_params is not None)
        if start_params is not None:
            raise np.linalg.LinAlgError("LU decomposition error.")
        return real(y, spec, maxiter, start_params, exog)

    monkeypatch.setattr(search_module, "exact_fit", singular_from_css)
    model = fc.models.get("arima", approximation=True, refine=2).fit(monthly)
    assert started == [True, False, True, False]
    assert np.isfinite(model.params_["aicc"])
    assert model.predict(3, levels=())["yhat"].notna().all()


def test_steady_state_filter_keeps_the_likelihood(monthly: pd.DataFrame) -> None:
    """With regressors the search's fits run SARIMAX with a steady-state tolerance."""
    y = monthly["y"].to_numpy(dtype=float)
    spend = np.random.default_rng(2).normal(size=(len(y), 1))
    y = y + 3 * spend[:, 0]
    spec = ArimaSpec(1, 0, 1, 0, 1, 1, 12, True)
    with quiet_estimation():
        params, loglike, _, _ = exact_fit(y, spec, 50, exog=spend)
        full = SARIMAX(
            y,
            exog=spend,
            order=spec.order,
            seasonal_order=spec.seasonal_order,
            trend="c",
            simple_differencing=True,
            concentrate_scale=True,
        )
    assert full.ssm.tolerance < 1e-15  # statsmodels' default: the covariance updated at every step
    assert full.loglike(params) == pytest.approx(loglike, abs=1e-4)
