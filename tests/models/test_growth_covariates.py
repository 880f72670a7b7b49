"""Covariates in the growth curves and retention_feedback: known effects recovered (issue 17).

Each model is fitted to data simulated from its own structure with a campaign covariate of
known log-effect; the estimate must lie within a stated tolerance of the truth (and within
three of its own standard errors for the curves). The simulated market's campaigns are
checked against the simulation without them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import forecast as fc
from forecast.datasets import simulate_market
from forecast.errors import CapabilityError, ConfigError, CovariateError
from forecast.models._curve_covariates import effective_time
from forecast.models.bass import bass_cumulative
from forecast.models.growth import gompertz_curve, logistic_curve

N, H = 48, 8
DATES = pd.date_range("2020-01-01", periods=N + H, freq="MS")
T = np.arange(1, N + H + 1, dtype=float)
BETA = np.log(1.6)
"""The true effect: a campaign multiplies the level (or acquisition) by 1.6."""

TOLERANCE = 0.08
"""Largest accepted |estimate - truth| of a log-effect for the curves (about 8% in the factor)."""

FEEDBACK_TOLERANCE = 0.35
"""Largest accepted |estimate - truth| of retention_feedback's log-effect on acquisition, in
each of five simulated markets (p, q and the retention curve are estimated from 100 weeks
too, and trade off against the effect in some markets)."""

FEEDBACK_MEDIAN_TOLERANCE = 0.1
"""Largest accepted median |estimate - truth| of that effect over the five markets."""


def _campaign(seed: int) -> np.ndarray:
    """An on/off indicator: 1 in about a quarter of the periods, on in history and horizon."""
    on = (np.random.default_rng(seed).random(N + H) < 0.25).astype(float)
    on[[5, N + 1]] = 1.0
    on[[6, N + 2]] = 0.0
    return on


def _frames(y: np.ndarray, on: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    series = pd.DataFrame({"unique_id": "s", "ds": DATES[:N], "y": y[:N]})
    covariates = pd.DataFrame({"ds": DATES, "campaign": on})
    return series, covariates


def _noisy(mean: np.ndarray, seed: int, sd: float = 0.03) -> np.ndarray:
    return mean * np.exp(np.random.default_rng(seed + 100).normal(0.0, sd, mean.size))


def _level(name: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    on = _campaign(seed)
    if name == "logistic":
        curve = logistic_curve(T, 1e6, 0.18, 22.0)
    else:
        curve = gompertz_curve(T, 1e6, 5.0, 0.08)
    return curve * np.exp(BETA * on), on


def _bass_adoptions(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Generalised Bass adoptions: effective time advances exp(beta x) per step."""
    on = _campaign(seed)
    clock = np.cumsum(np.exp(BETA * on))
    cumulative = bass_cumulative(clock, 0.01, 0.2, 5e5)
    return np.diff(np.concatenate([[0.0], cumulative])), on


@pytest.mark.parametrize("name", ["logistic", "gompertz"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_level_curves_recover_the_campaign_effect(name: str, seed: int) -> None:
    mean, on = _level(name, seed)
    series, covariates = _frames(_noisy(mean, seed), on)
    model = fc.models.get(name, transform="log", covariate_effect="level")
    model.fit(series, covariates=covariates)
    estimate, se = model.params_["beta_campaign"], model.standard_errors_["beta_campaign"]
    assert abs(estimate - BETA) < TOLERANCE
    assert 0 < se and abs(estimate - BETA) < 3 * se + 0.01
    assert model.covariates_ == ("campaign",)


@pytest.mark.parametrize("name", ["logistic", "gompertz"])
def test_curves_in_effective_time_recover_the_effect(name: str) -> None:
    on = _campaign(3)
    clock = np.cumsum(np.exp(BETA * on))
    if name == "logistic":
        mean = logistic_curve(clock, 1e6, 0.12, 30.0)
    else:
        mean = gompertz_curve(clock, 1e6, 5.0, 0.05)
    series, covariates = _frames(_noisy(mean, 3), on)
    model = fc.models.get(name, transform="log").fit(series, covariates=covariates)
    assert model.covariate_effect == "time"  # the default
    assert abs(model.params_["beta_campaign"] - BETA) < TOLERANCE
    forecast = model.predict(H, covariates=covariates, levels=(80,))
    assert np.allclose(forecast["yhat"], mean[N:], rtol=0.1)
    level = fc.models.get(name, transform="log", covariate_effect="level")
    assert model.params_["sigma"] < level.fit(series, covariates=covariates).params_["sigma"]


def test_covariate_effect_is_checked() -> None:
    with pytest.raises(ConfigError, match="covariate_effect"):
        fc.models.get("logistic", covariate_effect="hazard")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bass_recovers_the_effect_on_acquisition(seed: int) -> None:
    mean, on = _bass_adoptions(seed)
    series, covariates = _frames(_noisy(mean, seed), on)
    model = fc.models.get("bass", transform="log", prior=None).fit(series, covariates=covariates)
    assert abs(model.params_["beta_campaign"] - BETA) < TOLERANCE
    assert model.params_["m"] == pytest.approx(5e5, rel=0.15)
    forecast = model.predict(H, covariates=covariates)
    assert np.allclose(forecast["yhat"], mean[N:], rtol=0.1)


@pytest.mark.parametrize("name", ["logistic", "gompertz", "bass"])
def test_forecasts_follow_the_future_campaign(name: str) -> None:
    mean, on = _bass_adoptions(0) if name == "bass" else _level(name, 0)
    series, covariates = _frames(_noisy(mean, 0), on)
    settings = {} if name == "bass" else {"covariate_effect": "level"}
    model = fc.models.get(name, transform="log", **settings).fit(series, covariates=covariates)
    base = model.predict(H, covariates=covariates, levels=(80,))
    flipped = covariates.assign(campaign=np.where(DATES >= DATES[N], 1.0 - on, on))
    other = model.predict(H, covariates=flipped, levels=(80,))
    ratio = other["yhat"].to_numpy() / base["yhat"].to_numpy()
    future = on[N:]
    assert np.all(ratio[future == 0] > 1.0) and np.all(ratio[future == 1] < 1.0)
    if name != "bass":  # a level effect multiplies exactly
        effect = np.exp(model.params_["beta_campaign"])
        assert np.allclose(ratio[future == 0], effect) and np.allclose(
            ratio[future == 1], 1 / effect
        )


def test_intervals_carry_the_effect_uncertainty() -> None:
    mean, on = _level("logistic", 0)
    series, covariates = _frames(_noisy(mean, 0, sd=0.1), on)
    model = fc.models.get("logistic", transform="log", covariate_effect="level")
    model.fit(series, covariates=covariates)
    paths = model.sample(H, n=2000, seed=1, covariates=covariates)
    on_steps, off_steps = np.flatnonzero(on[N:] == 1), np.flatnonzero(on[N:] == 0)
    log_ratio = np.log(paths[:, on_steps[0]]) - np.log(paths[:, off_steps[0]])
    se = model.standard_errors_["beta_campaign"]
    assert se > 0
    # the spread of the on/off ratio holds the effect's spread beside two noise draws
    sigma = model.params_["sigma"]
    assert np.std(log_ratio) == pytest.approx(np.sqrt(se**2 + 2 * sigma**2), rel=0.15)


@pytest.mark.slow
def test_retention_feedback_recovers_the_campaign() -> None:
    data = simulate_market(
        n_products=1,
        n_markets=5,
        periods=120,
        freq="W-MON",
        seed=0,
        campaign={"multiplier": 2.0, "windows": 6, "length": 3},
        seasonality=0.0,
        scale_effect=0.0,
        retention_ages=(),
    )
    assert data.covariates is not None and data.truth is not None
    truth = data.truth.campaigns
    assert truth is not None and np.allclose(truth["effect"], np.log(2.0))
    estimates = []
    for uid, series in data.series.groupby("unique_id"):
        covariates = data.covariates[data.covariates["unique_id"] == uid]
        model = fc.models.get("retention_feedback", retention_family="sbg")
        model.fit(series.iloc[:100], covariates=covariates)
        estimates.append(model.params_["beta_campaign"])
        table = model.param_intervals(95).set_index("parameter")
        assert table.loc["beta_campaign", "lo"] < table.loc["beta_campaign", "hi"]
        forecast = model.predict(20, covariates=covariates)
        assert len(forecast) == 20 and np.all(forecast["yhat"] > 0)
    errors = np.abs(np.array(estimates) - np.log(2.0))
    assert np.median(errors) < FEEDBACK_MEDIAN_TOLERANCE
    assert np.all(errors < FEEDBACK_TOLERANCE)


def test_retention_feedback_events_and_covariates_together() -> None:
    data = simulate_market(
        n_products=1,
        periods=80,
        freq="W-MON",
        seed=4,
        retention_ages=(),
        campaign={"multiplier": 1.5, "windows": 4, "length": 2},
    )
    series = data.series.iloc[:70]
    model = fc.models.get("retention_feedback", events=[("2024-06-03", 1.2)])
    model.fit(series, covariates=data.covariates)
    assert "beta_campaign" in model.params_
    assert model.predict(5, covariates=data.covariates)["yhat"].notna().all()
    # the fit's frame holds 80 weeks: 10 past the history, not 15
    assert model.accounting(10)["is_forecast"].sum() == 10
    with pytest.raises(CovariateError, match="campaign"):
        model.accounting(15)


@pytest.mark.parametrize("name", ["logistic", "gompertz", "bass", "retention_feedback"])
def test_a_constant_covariate_is_refused(name: str) -> None:
    mean, on = _level("logistic", 0)
    series, covariates = _frames(_noisy(mean, 0), on)
    with pytest.raises(CovariateError, match="'flat'.*series 's'"):
        fc.models.get(name).fit(series, covariates=covariates.assign(flat=3.0))


@pytest.mark.parametrize("name", ["logistic", "bass", "retention_feedback"])
def test_forecasts_need_the_future_covariates(name: str) -> None:
    mean, on = _level("logistic", 0)
    series, covariates = _frames(_noisy(mean, 0), on)
    model = fc.models.get(name).fit(series, covariates=covariates)
    with pytest.raises(CovariateError, match="campaign"):
        model.predict(H)
    with pytest.raises(CovariateError, match="campaign"):
        model.predict(H, covariates=covariates.iloc[: N + 2])


@pytest.mark.parametrize("name", ["naive", "seasonal_naive", "mean", "drift", "ets", "theta"])
def test_models_without_covariates_refuse_them(name: str) -> None:
    model = fc.models.get(name)
    assert model.capabilities.covariates is False
    mean, on = _level("logistic", 0)
    series, covariates = _frames(_noisy(mean, 0), on)
    with pytest.raises(CapabilityError, match=name):
        model.fit(series, covariates=covariates)


@pytest.mark.parametrize("name", ["logistic", "gompertz", "bass", "retention_feedback"])
def test_the_covariate_models_say_so(name: str) -> None:
    assert fc.models.get(name).capabilities.covariates is True


def test_a_saved_model_needs_and_uses_its_covariates(tmp_path) -> None:
    mean, on = _bass_adoptions(1)
    series, covariates = _frames(_noisy(mean, 1), on)
    model = fc.models.get("bass", transform="log").fit(series, covariates=covariates)
    loaded = fc.models.load(model.save(tmp_path / "bass.zip"))
    assert loaded.covariates_ == ("campaign",)
    pd.testing.assert_frame_equal(
        loaded.predict(H, covariates=covariates), model.predict(H, covariates=covariates)
    )
    with pytest.raises(CovariateError):
        loaded.predict(H)


@pytest.mark.parametrize("effect", ["level", "time"])
def test_spend_in_large_units_gives_the_effect_per_unit(effect: str) -> None:
    mean, on = _level("gompertz", 2)
    series, covariates = _frames(_noisy(mean, 2), on)
    spend = covariates.assign(campaign=covariates["campaign"] * 25_000.0)
    unit = fc.models.get("gompertz", transform="log", covariate_effect=effect)
    dollars = unit.clone()
    unit.fit(series, covariates=covariates)
    dollars.fit(series, covariates=spend)
    assert dollars.params_["beta_campaign"] * 25_000.0 == pytest.approx(
        unit.params_["beta_campaign"], rel=1e-3
    )


@settings(max_examples=40, deadline=None)
@given(
    gaps=st.lists(st.integers(1, 3), min_size=1, max_size=12),
    beta=st.floats(-2.0, 2.0),
    seed=st.integers(0, 1000),
)
def test_effective_time_is_the_integral_of_the_rate(
    gaps: list[int], beta: float, seed: int
) -> None:
    times = np.cumsum(np.asarray(gaps, dtype=float))
    x = np.random.default_rng(seed).integers(0, 2, size=(len(times), 1)).astype(float)
    clock = effective_time(np.array([beta]), times, x, times)
    fine = np.repeat(np.exp(beta * x[:, 0]), gaps)  # the rate over every unit step
    assert np.allclose(clock, np.cumsum(fine)[times.astype(int) - 1])
    assert np.all(np.diff(np.concatenate([[0.0], clock])) > 0)
    zero = effective_time(np.array([0.0]), times, x, times)
    assert np.allclose(zero, times)
