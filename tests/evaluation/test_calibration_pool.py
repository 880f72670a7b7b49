"""Calibration of short series from the panel of one call, and of horizons beyond the inner one.

Checked: a series too short for inner windows is calibrated from the scaled inner errors of
the other series of its model (warning naming it), in proportion to its own scale; models
without donors keep the stated widening; a forecast longer than the fitting calibration
tries fewer windows of its own length before extrapolating, and on 2 windows takes its
scores from the fitting calibration; the Gaussian floor applies only
where the conformal quantile is undefined; every step of the sample paths falls inside the
interval of each level in that level's share of draws, floor included; a longer forecast
keeps the bands of the fitting calibration's steps.
"""

from __future__ import annotations

import warnings
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import forecast as fc
from forecast.errors import ForecastWarning
from forecast.evaluation.calibration import (
    Calibration,
    InflatedCalibration,
    PooledConformal,
    pool_short_series,
)
from forecast.models.base import BaseModel
from forecast.schema import DS, UNIQUE_ID, Y


def _series(n: int, uid: str, scale: float = 1.0, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = scale * (100 + np.cumsum(rng.normal(1, 3, n)))
    ds = pd.date_range("2020-01-01", periods=n, freq="QS")
    return pd.DataFrame({UNIQUE_ID: uid, DS: ds, Y: y})


def _fit(frame: pd.DataFrame, name: str = "naive") -> BaseModel:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ForecastWarning)
        return fc.models.get(name, calibrate=True).fit(frame)


def test_a_short_series_is_calibrated_from_the_other_series_of_its_call() -> None:
    long = [_fit(_series(40, f"long{i}", seed=i)) for i in range(3)]
    short = _fit(_series(3, "short", seed=9))
    assert isinstance(short.calibration_, InflatedCalibration)
    with pytest.warns(ForecastWarning, match="'short'.*3 other series"):
        pooled = pool_short_series([*long, short])
    assert pooled == ["short"]
    assert type(short.calibration_) is Calibration
    donors = np.vstack(
        [
            m.calibration_.base.residuals
            / np.mean(np.abs(np.diff(m.calibration_.data[Y].to_numpy())))
            for m in long
        ]
    )
    own_scale = np.mean(np.abs(np.diff(short.calibration_.data[Y].to_numpy())))
    expected = PooledConformal(donors * own_scale)
    point = short.predict(4, levels=())["yhat"].to_numpy()
    bands = short.predict(4, levels=(80, 95))
    lo, hi = expected.intervals(point, (80, 95))[95]
    np.testing.assert_allclose(bands["yhat_lo_95"], lo)
    np.testing.assert_allclose(bands["yhat_hi_95"], hi)
    assert short.sample(4, 50).shape == (50, 4)


@settings(max_examples=10, deadline=None)
@given(factor=st.floats(0.01, 100.0), seed=st.integers(0, 1000))
def test_pooled_bands_scale_with_the_short_series(factor: float, seed: int) -> None:
    donors = [_fit(_series(30, f"d{i}", seed=seed + i)) for i in range(2)]
    small = _fit(_series(3, "s", seed=seed + 5))
    big = _fit(_series(3, "s", scale=factor, seed=seed + 5))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ForecastWarning)
        pool_short_series([*donors, small])
        pool_short_series([*donors, big])
    width = [
        (m.predict(3)["yhat_hi_80"] - m.predict(3)["yhat_lo_80"]).to_numpy() for m in (small, big)
    ]
    np.testing.assert_allclose(width[1], factor * width[0], rtol=1e-6)


def test_without_donors_the_stated_widening_stays_and_nothing_is_said() -> None:
    short = [_fit(_series(3, f"s{i}", seed=i)) for i in range(2)]
    other = _fit(_series(40, "long"), "drift")  # another model's errors are not borrowed
    with warnings.catch_warnings():
        warnings.simplefilter("error", ForecastWarning)
        assert pool_short_series([*short, other]) == []
    assert all(isinstance(m.calibration_, InflatedCalibration) for m in short)


def test_a_long_forecast_tries_fewer_windows_of_its_length_first() -> None:
    model = _fit(_series(14, "app"))  # room for 5 windows of 2 quarters, 3 of 4, not 5 of 4
    assert model.calibration_.base.horizon < 4
    assert model.calibration_.get(4).horizon == 4
    assert model.calibration_.get(4).residuals.shape[0] == 3


def test_a_long_forecast_on_two_windows_takes_its_scores_from_the_fitting_calibration() -> None:
    model = _fit(_series(14, "app"))  # room for 2 windows of 6 quarters, not 3
    calibration = model.calibration_
    longer = calibration.get(6)
    assert longer.residuals.shape == (2, 6)
    np.testing.assert_array_equal(longer.pooled_scores(), calibration.base.pooled_scores())
    rms = np.sqrt(np.mean(longer.residuals**2, axis=0))
    np.testing.assert_allclose(longer.step_spread, np.maximum.accumulate(rms))
    # with its own two windows' scores (each error over the other's) the band is wider
    alone = PooledConformal(longer.residuals)
    assert alone.multipliers(np.array(0.95)) > longer.multipliers(np.array(0.95))


@settings(max_examples=30, deadline=None)
@given(windows=st.integers(1, 6), steps=st.integers(1, 6), seed=st.integers(0, 10**6))
def test_the_gaussian_floor_applies_only_where_the_conformal_quantile_is_undefined(
    windows: int, steps: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    conformal = PooledConformal(rng.normal(0, 1, (windows, steps)))
    n = windows * steps
    for level in (80, 95):
        half = conformal.intervals(np.zeros(steps), (level,))[level][1] / conformal.spreads(steps)
        pooled = np.abs(conformal.normalised).ravel()
        rank = level / 100 * (n + 1) / n
        read = np.quantile(pooled, min(1.0, rank))
        if rank > 1:
            expected = max(read, NormalDist().inv_cdf(0.5 + level / 200))
        else:
            expected = read
        np.testing.assert_allclose(half, expected)


@settings(max_examples=25, deadline=None)
@given(
    windows=st.integers(1, 6),
    steps=st.integers(1, 6),
    h=st.integers(1, 9),
    ties=st.booleans(),
    seed=st.integers(0, 10**6),
)
def test_every_step_of_the_paths_falls_in_each_interval_at_its_level(
    windows: int, steps: int, h: int, ties: bool, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    residuals = rng.normal(0, 1, (windows, steps))
    if ties:  # repeated errors (counts, a flat stretch)
        residuals = np.round(residuals)
    conformal = PooledConformal(residuals)
    point = np.linspace(10, 20, h)
    paths = conformal.paths(point, 20_000, np.random.default_rng(seed + 1))
    grid = (np.arange(100_000) + 0.5) / 100_000
    for level in (50, 80, 95):
        lo, hi = conformal.intervals(point, (level,))[level]
        inside = ((paths >= lo) & (paths <= hi)).mean(axis=0)
        # 20,000 draws: a standard error of at most 0.35 points
        assert (inside >= level / 100 - 0.015).all(), (level, inside)
        # more only where the rule's multiplier is flat above the level (ties, one score, the
        # largest score above the Gaussian floor): then the interval holds that share too
        multiplier = conformal.multipliers(np.array(level / 100))
        held = np.mean(conformal.multipliers(grid) <= multiplier + 1e-12)
        np.testing.assert_allclose(inside, held, atol=0.015)


def test_paths_keep_the_order_of_one_windows_errors() -> None:
    residuals = np.array([[1.0, 2.0, 3.0], [-0.5, -1.0, -1.5], [0.2, 0.4, 0.6]])
    conformal = PooledConformal(residuals)
    paths = conformal.paths(np.zeros(3), 2000, np.random.default_rng(0))
    # each window's errors have one sign over its steps: so have the paths' steps
    signs = np.sign(paths)
    assert (signs == signs[:, :1]).all()


@settings(max_examples=15, deadline=None)
@given(n=st.integers(12, 30), h=st.integers(4, 8), seed=st.integers(0, 1000))
def test_a_longer_forecast_keeps_the_bands_of_the_fitting_calibrations_steps(
    n: int, h: int, seed: int
) -> None:
    model = _fit(_series(n, "app", seed=seed))
    calibration = model.calibration_
    first = calibration.base.horizon
    if first >= h:
        return
    short = model.predict(first, levels=(80, 95))
    long = model.predict(h, levels=(80, 95))
    for column in ("yhat_lo_80", "yhat_hi_80", "yhat_lo_95", "yhat_hi_95"):
        np.testing.assert_allclose(long[column].to_numpy()[:first], short[column].to_numpy())
    width = (long["yhat_hi_95"] - long["yhat"]).to_numpy()
    assert np.all(np.diff(width) >= -1e-9)
    longer = calibration.get(h)
    if longer is not calibration.base:  # read from windows of h steps
        assert longer.head is calibration.base
        paths = model.sample(h, 20_000, seed=seed)
        lo, hi = long["yhat_lo_80"].to_numpy(), long["yhat_hi_80"].to_numpy()
        inside = ((paths >= lo) & (paths <= hi)).mean(axis=0)
        assert np.all(inside >= 0.80 - 0.015), inside


def test_steps_past_the_calibrated_horizon_widen_linearly() -> None:
    conformal = PooledConformal(np.array([[1.0, 2.0], [-1.0, -2.0]]))
    spreads = conformal.spreads(6)
    np.testing.assert_allclose(spreads[2:], spreads[1] * np.arange(3, 7) / 2)


def test_a_window_of_constant_training_data_is_not_rescaled_a_quintillionfold() -> None:
    # Hypothesis found it: zeros with one value of 1e-265 give a window scale of ~1e-265;
    # the ratio to the current scale (~0.4) overflowed the squared scores. Such a scale
    # counts as zero: no window is rescaled.
    from forecast.evaluation.inner import window_ratios

    y = np.array([0.0, 8.975789e-265, 0.0, 0.0, 0.0, 1.0])
    np.testing.assert_array_equal(window_ratios(y, [3, 4, 5], 1), [1.0, 1.0, 1.0])
    ordinary = np.array([1.0, 3.0, 2.0, 5.0, 4.0, 8.0])
    assert window_ratios(ordinary, [3, 4, 5], 1)[0] == pytest.approx(2.2 / 1.5)  # diffs 2,1,3,1,4
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        frame = pd.DataFrame({"ds": pd.date_range("2024-01-01", periods=6), "y": y})
        out = fc.models.get("naive", calibrate=True).fit(frame).predict(1)
    assert np.isfinite(out[["yhat_lo_95", "yhat_hi_95"]].to_numpy()).all()
