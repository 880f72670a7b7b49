"""The in-process MAP of Prophet's Stan model: its log posterior is Stan's ``lp__``, its optimum
is at least as good as CmdStan's, its forecasts agree with a CmdStan fit, its gradient is the
finite-difference one, and logistic growth (and a posterior without a mode) still go to Stan."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

import forecast as fc
from forecast.models._prophet_map import _Problem, log_posterior, map_estimate
from forecast.models.prophet import ProphetModel, quiet_prophet

pytestmark = pytest.mark.filterwarnings("ignore:.*Importing plotly failed.*")

LP_TOLERANCE = 1e-6
"""How far (in log density) the in-process optimum may fall below CmdStan's: none in practice."""
YHAT_RTOL = 2e-3
"""Relative agreement of 30-step forecasts with a CmdStan fit (CmdStan's L-BFGS stops at a
relative change of the objective of about 2e-12 and reports parameters to 6 significant digits,
so its estimate is a little short of the optimum)."""


def _daily() -> pd.DataFrame:
    """Two years of daily data: a trend that bends twice, weekly and yearly seasons (seed 1)."""
    rng = np.random.default_rng(1)
    t = np.arange(730)
    trend = 100 + 0.05 * t + 0.08 * np.maximum(t - 300, 0) - 0.1 * np.maximum(t - 550, 0)
    season = 6 * np.sin(2 * np.pi * t / 7) + 10 * np.cos(2 * np.pi * t / 365.25)
    y = trend + season + rng.normal(0, 2, t.size)
    return pd.DataFrame({"ds": pd.date_range("2022-01-01", periods=t.size, freq="D"), "y": y})


def _monthly() -> pd.DataFrame:
    """Twelve years of a monthly series growing with a seasonal swing proportional to it."""
    rng = np.random.default_rng(2)
    t = np.arange(144)
    level = 200 * np.exp(0.008 * t)
    y = level * (1 + 0.15 * np.sin(2 * np.pi * t / 12)) + rng.normal(0, 4, t.size)
    return pd.DataFrame({"ds": pd.date_range("2010-01-01", periods=t.size, freq="MS"), "y": y})


HOLIDAYS = pd.DataFrame(
    {
        "holiday": "launch",
        "ds": pd.to_datetime(["2022-03-01", "2023-03-01"]),
        "lower_window": 0,
        "upper_window": 3,
    }
)
CASES = {
    "daily": (_daily, "D", {}),
    "daily-holidays": (_daily, "D", {"holidays": HOLIDAYS}),
    "monthly": (_monthly, "MS", {}),
    "monthly-multiplicative": (_monthly, "MS", {"seasonality_mode": "multiplicative"}),
    "daily-multiplicative": (
        _daily,
        "D",
        {"seasonality_mode": "multiplicative", "changepoint_prior_scale": 0.2},
    ),
    "daily-flat": (_daily, "D", {"growth": "flat"}),
}


def _stan_fit(
    data: pd.DataFrame, settings: dict[str, Any]
) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """Prophet fitted by its own CmdStan backend, with the initial values and data it was given."""
    from prophet import Prophet
    from prophet.models import CmdStanPyBackend

    seen: dict[str, Any] = {}

    class Recording(CmdStanPyBackend):
        def fit(self, stan_init: dict[str, Any], stan_data: dict[str, Any], **kwargs: Any) -> Any:
            seen.update(init=stan_init, data=stan_data)
            return super().fit(stan_init, stan_data, **kwargs)

    with quiet_prophet():
        model = Prophet(uncertainty_samples=0, **settings)
        model.stan_backend = Recording()
        model.fit(data)
    return model, seen["init"], seen["data"]


@pytest.fixture(scope="module", params=list(CASES))
def case(
    request: pytest.FixtureRequest,
) -> tuple[str, Any, dict[str, Any], dict[str, Any], dict[str, Any]]:
    """One case: its name, the CmdStan fit, Prophet's initial values and Stan data, the settings."""
    make, _, settings = CASES[request.param]
    model, init, data = _stan_fit(make(), settings)
    return request.param, model, init, data, settings


def test_log_posterior_is_stans_lp(
    case: tuple[str, Any, dict[str, Any], dict[str, Any], dict[str, Any]],
) -> None:
    # CmdStan's L-BFGS reports lp__ (constants dropped, no Jacobian) with 6 significant digits,
    # at parameters rounded to 6 significant digits.
    _, stan, _, data, _ = case
    assert (
        data["T"] >= 100
    )  # Stan's L-BFGS (Newton, below 100 observations, reports lp__ with constants)
    assert log_posterior(stan.params, data) == pytest.approx(stan.params["lp__"][0, 0], rel=1e-6)


def test_in_process_optimum_is_at_least_stans(
    case: tuple[str, Any, dict[str, Any], dict[str, Any], dict[str, Any]],
) -> None:
    _, stan, init, data, _ = case
    result = map_estimate(init, data)
    assert result.success
    ours = log_posterior(result.params, data)
    assert ours == pytest.approx(result.params["lp__"][0, 0], rel=1e-12)
    assert ours >= log_posterior(stan.params, data) - LP_TOLERANCE
    for name in ("lp__", "k", "m", "delta", "sigma_obs", "beta", "trend"):
        assert result.params[name].shape == stan.params[name].shape, name


def test_forecasts_agree_with_a_cmdstan_fit(
    case: tuple[str, Any, dict[str, Any], dict[str, Any], dict[str, Any]],
) -> None:
    name, stan, _, _, settings = case
    make, freq, _ = CASES[name]
    model = fc.models.get("prophet", **settings).fit(make())
    assert model.model_.stan_backend.map_result is not None and model.model_.stan_fit is None
    future = stan.make_future_dataframe(periods=30, freq=freq, include_history=False)
    with quiet_prophet():
        expected = stan.predict(future)["yhat"].to_numpy()
    np.testing.assert_allclose(model.predict(30, levels=())["yhat"], expected, rtol=YHAT_RTOL)


def test_flat_growth_puts_the_trend_priors_at_their_modes() -> None:
    # k and delta enter a flat trend's posterior through their priors only.
    make, _, settings = CASES["daily-flat"]
    _, init, data = _stan_fit(make(), settings)
    params = map_estimate(init, data).params
    assert abs(params["k"][0, 0]) < 1e-6 and np.all(params["delta"] == 0.0)
    np.testing.assert_array_equal(params["trend"], params["m"][0, 0])


@pytest.mark.parametrize("name", ["daily", "monthly-multiplicative", "daily-flat"])
def test_gradient_matches_finite_differences(name: str) -> None:
    make, _, settings = CASES[name]
    _, init, data = _stan_fit(make(), settings)
    problem = _Problem(data)
    rng = np.random.default_rng(3)
    start = problem.pack(
        float(init["k"]) + 0.1,
        float(init["m"]) - 0.1,
        rng.normal(0, 0.05, problem.n_changes),
        rng.normal(0, 0.05, problem.n_features),
    )
    # Off the bounds, where the objective is smooth.
    start[2 + problem.n_features :] += 0.01 * problem.scale[2 + problem.n_features :]
    value, gradient = problem.objective(start)
    error = optimize.check_grad(
        lambda z: problem.objective(z)[0], lambda z: problem.objective(z)[1], start, epsilon=1e-7
    )
    assert np.isfinite(value)
    assert error <= 1e-5 * np.linalg.norm(gradient)


def test_logistic_growth_goes_through_stan() -> None:
    model = fc.models.get("prophet", growth="logistic").fit(_monthly())
    assert model.model_.stan_backend.map_result is None and model.model_.stan_fit is not None
    linear = fc.models.get("prophet").fit(_monthly())
    assert linear.model_.stan_backend.map_result is not None


def test_posterior_without_a_mode_goes_through_stan() -> None:
    # 22 quarters, 20 yearly Fourier features and 16 changepoints: the mean can interpolate the
    # data, so the log posterior grows without bound as sigma_obs -> 0; the in-process optimiser
    # declines and the fit is Stan's, as in Prophet.
    series = fc.datasets.load("social-apps-quarterly").series
    twitter = series.loc[series["unique_id"] == "twitter/mdau/all", ["ds", "y"]].reset_index(
        drop=True
    )
    _, init, data = _stan_fit(twitter, {})
    result = map_estimate(init, data)
    assert not result.success and result.params == {} and "no mode" in result.message
    model = fc.models.get("prophet").fit(twitter)
    assert model.model_.stan_backend.map_result is None and model.model_.stan_fit is not None
    # Three days and two changepoints: a line with a bend passes through every point.
    three = pd.DataFrame(
        {"ds": pd.date_range("2024-01-01", periods=3, freq="D"), "y": [10.0, 12.5, 11.0]}
    )
    _, init, data = _stan_fit(three, {})
    assert not map_estimate(init, data).success
    _, init, data = _stan_fit(_daily().iloc[:60], {})
    assert map_estimate(init, data).success


def test_warm_start_reaches_the_same_optimum() -> None:
    data = _daily()
    previous = fc.models.get("prophet").fit(data.iloc[:670])
    warm = fc.models.get("prophet", warm_min_history=0)
    warm.warm_start(previous)
    warm.fit(data)
    cold = fc.models.get("prophet").fit(data)
    assert isinstance(warm, ProphetModel)
    np.testing.assert_allclose(
        warm.predict(30, levels=())["yhat"], cold.predict(30, levels=())["yhat"], rtol=1e-4
    )
