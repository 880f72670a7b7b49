"""The ``ces`` model: the filter form against the paper's recursion run one observation at a
time (with statsforecast's backcasting), its reduction to simple exponential smoothing,
statsforecast's numbers, the choice by AICc and intervals that match the sample paths."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import forecast as fc
from forecast.errors import HistoryError
from forecast.models._ces import (
    CesFit,
    backcast_errors,
    ces_paths,
    initial_states,
    transition,
)


def _yearly(n: int = 40) -> pd.DataFrame:
    """A deterministic yearly series: trend plus two incommensurate waves (no random numbers)."""
    t = np.arange(float(n))
    y = 100 + 2 * t + 10 * np.sin(1.3 * t) + 5 * np.cos(2.9 * t)
    return pd.DataFrame({"ds": pd.date_range("1980-01-01", periods=n, freq="YS"), "y": y})


def _monthly_seasonal() -> pd.DataFrame:
    """Six years of a monthly series with a multiplicative season of 30% (deterministic)."""
    t = np.arange(72.0)
    y = (200 + 1.5 * t + 8 * np.sin(0.7 * t)) * (1 + 0.3 * np.sin(2 * np.pi * t / 12))
    return pd.DataFrame({"ds": pd.date_range("1980-01-01", periods=72, freq="MS"), "y": y})


def _oracle(y: np.ndarray, lag: int, a0: float, a1: float) -> tuple[np.ndarray, np.ndarray]:
    """Errors and last states by the paper's equations, one step at a time, with statsforecast's
    backcasting written as it is there: a state matrix of n + 2 lag rows, a forward pass, the
    next lag states forecast, the rows reversed, and so on (forward, backward, forward)."""
    f, g = transition(a0, a1)
    n = len(y)
    states = np.zeros((n + 2 * lag, 2))
    states[:lag] = initial_states(y, lag)
    series, errors = y.copy(), np.zeros(n)

    def forward() -> None:
        for i in range(lag, n + lag):
            errors[i - lag] = series[i - lag] - states[i - lag, 0]
            states[i] = f @ states[i - lag] + g * errors[i - lag]
        for i in range(n + lag, n + 2 * lag):
            states[i] = f @ states[i - lag]

    forward()
    for _ in range(2):
        states[:] = states[::-1]
        series = series[::-1].copy()
        forward()
    return errors, states[n : n + lag]


@settings(max_examples=30, deadline=None)
@given(
    a0=st.floats(0.01, 1.8),
    a1=st.floats(0.01, 1.9),
    lag=st.sampled_from([1, 4, 12]),
    n=st.integers(25, 60),
    seed=st.integers(0, 2**16),
)
def test_filter_form_equals_the_recursion_with_backcasting(
    a0: float, a1: float, lag: int, n: int, seed: int
) -> None:
    y = 50 + np.cumsum(np.random.default_rng(seed).normal(0, 1, n))
    errors, last = backcast_errors(y, lag, initial_states(y, lag), a0, a1)
    expected, expected_last = _oracle(y, lag, a0, a1)
    scale = 1.0 + np.max(np.abs(expected))
    if scale < 1e8:  # explosive parameters overflow both the same way; compare tame ones
        np.testing.assert_allclose(errors, expected, atol=1e-7 * scale)
        order = [(n + k) % lag for k in range(lag)]  # the rows of the oracle by position
        np.testing.assert_allclose(last[order], expected_last, atol=1e-7 * scale)


@settings(max_examples=30, deadline=None)
@given(a0=st.floats(1.01, 1.99), seed=st.integers(0, 2**16))
def test_imaginary_part_one_is_simple_exponential_smoothing(a0: float, seed: int) -> None:
    # Svetunkov et al. (2022), section 2: with a1 = 1 the level is SES with alpha = a0 - 1
    y = 50 + np.cumsum(np.random.default_rng(seed).normal(0, 1, 30))
    fit = CesFit("none", 1, a0, 1.0, 1.0, np.array([[y[-1], 7.0]]), len(y))
    np.testing.assert_allclose(ces_paths(fit, np.zeros((1, 5)))[0], y[-1], rtol=1e-12)
    errors = backcast_errors(y, 1, np.array([[y[0], 3.0]]), a0, 1.0)[0]
    level, alpha, expected = y[0], a0 - 1.0, []
    for series in (y, y[::-1], y):  # forward, backward, forward, each from the last level
        expected = []
        for value in series:
            expected.append(value - level)
            level += alpha * (value - level)
    np.testing.assert_allclose(errors, expected, atol=1e-8 * (1 + np.max(np.abs(y))))


# statsforecast 2.1.1: statsforecast.ces.auto_ces(y, m, model=M), forecast_ces(fit, h)["mean"];
# (a0, a1, sum of squared residuals, forecasts).
SF_YEARLY_N = (1.2597294895444069, 1.0148307686671614, 3479.2114708850454)
SF_YEARLY_N_FORECAST = [179.6337, 182.2043, 184.2008, 186.3845, 188.5492, 190.7511]
SF_MONTHLY_S = (1.8, 1.0759103536605847, 16725.373807916665)
SF_MONTHLY_S_FORECAST = [295.1132, 338.3751, 373.534, 392.0486, 387.7926, 359.9904]
SF_MONTHLY_S_FORECAST += [315.5128, 267.6038, 230.9728, 216.4486, 228.2793, 264.1329]


@pytest.mark.parametrize(
    ("data", "season", "reference", "expected"),
    [
        (_yearly(), "none", SF_YEARLY_N, SF_YEARLY_N_FORECAST),
        (_monthly_seasonal(), "simple", SF_MONTHLY_S, SF_MONTHLY_S_FORECAST),
    ],
    ids=["yearly_none", "monthly_simple"],
)
def test_agrees_with_statsforecast(
    data: pd.DataFrame, season: str, reference: tuple[float, ...], expected: list[float]
) -> None:
    model = fc.models.get("ces", season=season).fit(data)
    a0, a1, sse = reference
    assert model.params_["sse"] <= sse * (1 + 1e-4)  # the same criterion, optimised as well
    assert model.params_["a0"] == pytest.approx(a0, abs=0.02)
    assert model.params_["a1"] == pytest.approx(a1, abs=0.02)
    out = model.predict(len(expected), levels=())
    np.testing.assert_allclose(out["yhat"], expected, rtol=2e-3)


def test_auto_chooses_by_aicc() -> None:
    data = _monthly_seasonal()
    chosen = fc.models.get("ces").fit(data)
    fits = {s: fc.models.get("ces", season=s).fit(data) for s in ("none", "simple")}
    best = min(fits, key=lambda s: fits[s].params_["aicc"])
    assert chosen.params_["season"] == best == "simple"
    short = _monthly_seasonal().iloc[:20]
    assert fc.models.get("ces").fit(short).params_["season"] == "none"
    with pytest.raises(HistoryError, match="two seasons"):
        fc.models.get("ces", season="simple").fit(short)


@pytest.mark.parametrize("season", ["none", "simple"])
def test_sample_paths_match_the_intervals(season: str) -> None:
    model = fc.models.get("ces", season=season).fit(_monthly_seasonal())
    out = model.predict(18, levels=(80,))
    paths = model.sample(18, n=20_000, seed=5)
    lo, hi = np.quantile(paths, [0.1, 0.9], axis=0)
    width = (out["yhat_hi_80"] - out["yhat_lo_80"]).to_numpy()
    np.testing.assert_allclose(lo, out["yhat_lo_80"], atol=0.05 * width.max())
    np.testing.assert_allclose(hi, out["yhat_hi_80"], atol=0.05 * width.max())
    np.testing.assert_allclose(np.median(paths, axis=0), out["yhat"], atol=0.05 * width.max())
    if season == "simple":  # one step per position of the season before the first repeat
        np.testing.assert_allclose(width[:12], width[0], rtol=1e-12)
        assert width[12] > width[0]


def test_short_and_constant_series_forecast() -> None:
    out = fc.models.get("ces").fit(_yearly(5)).predict(3)
    assert np.all(np.isfinite(out.drop(columns="ds").to_numpy()))
    const = _yearly(12).assign(y=5.0)
    flat = fc.models.get("ces").fit(const).predict(3, levels=())
    np.testing.assert_allclose(flat["yhat"], 5.0, rtol=1e-9)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**16), power=st.integers(-4, 10))
def test_forecasts_scale_with_the_series(seed: int, power: int) -> None:
    # scaling by a power of two is exact in floating point; the initial states scale with the
    # series and n log(SSE) moves by a constant, so the fit is the same
    data = _monthly_seasonal()
    data["y"] *= 1 + 0.05 * np.random.default_rng(seed).normal(size=len(data))
    scaled = data.assign(y=data["y"] * 2.0**power)
    out = fc.models.get("ces").fit(data).predict(6, levels=(90,))
    big = fc.models.get("ces").fit(scaled).predict(6, levels=(90,))
    for column in ("yhat", "yhat_lo_90", "yhat_hi_90"):
        np.testing.assert_allclose(big[column], out[column] * 2.0**power, rtol=1e-6)
