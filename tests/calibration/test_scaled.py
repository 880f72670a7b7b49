"""``calibrate="scaled"``: the model's own bands rescaled by its standardised inner errors.

Checked: the point is the model's own and every band is its own 80% spread times one
multiplier per level (so the own bands' shape and skew are kept); bands that are right stay
about the same and bands too narrow by a factor are widened by it; intervals nest and
contain the point (hypothesis); paths and intervals agree (nothing after a cutoff reaching a
backtest window is checked with the conformal method in test_calibration.py); a saved model
forecasts as before; a series too short for inner
windows warns naming itself, and borrows the standardised errors of its call's other series.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

import forecast as fc
from forecast.errors import ForecastWarning
from forecast.evaluation.calibration import (
    InflatedCalibration,
    ScaledCalibration,
    pool_short_series,
)
from forecast.evaluation.conformal import ScaledConformal
from forecast.models._calibration import OWN_LEVEL
from forecast.schema import DS, UNIQUE_ID, Y, level_column

LEVELS = (50, 80, 95)
Z80 = float(norm.ppf(0.5 + OWN_LEVEL / 200))


def _walk(n: int = 120, seed: int = 0, uid: str = "app", sd: float = 5.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = 1000 + np.cumsum(rng.normal(0, sd, n))
    ds = pd.date_range("2024-01-01", periods=n, freq="D")
    return pd.DataFrame({UNIQUE_ID: uid, DS: ds, Y: y})


@pytest.mark.parametrize("name", ["naive", "drift", "ets", "theta", "logistic"])
def test_the_own_bands_are_rescaled_by_one_multiplier_per_level(name: str) -> None:
    series = _walk(90, seed=1)
    series[Y] = series[Y] + np.linspace(0, 400, len(series))  # growth, for logistic
    own = fc.models.get(name, calibrate=False).fit(series).predict(10, levels=LEVELS)
    model = fc.models.get(name, calibrate="scaled").fit(series)
    assert isinstance(model.calibration_, ScaledCalibration)
    mine = model.predict(10, levels=LEVELS)
    np.testing.assert_allclose(mine["yhat"], own["yhat"], rtol=1e-9)
    up = (own[level_column(80, "hi")] - own["yhat"]).to_numpy() / Z80
    down = (own["yhat"] - own[level_column(80, "lo")]).to_numpy() / Z80
    for level in LEVELS:
        multiplier = model.calibration_.base.multipliers(np.array([level / 100]))[0]
        hi = (own["yhat"] + multiplier * up).to_numpy()
        lo = (own["yhat"] - multiplier * down).to_numpy()
        np.testing.assert_allclose(mine[level_column(level, "hi")], hi, rtol=1e-9)
        np.testing.assert_allclose(mine[level_column(level, "lo")], lo, rtol=1e-9)


def test_own_bands_that_are_right_stay_about_the_same() -> None:
    series = _walk(400, seed=2)
    own = fc.models.get("naive", calibrate=False).fit(series).predict(7, levels=(80,))
    mine = fc.models.get("naive", calibrate="scaled").fit(series).predict(7, levels=(80,))
    ratio = (mine[level_column(80, "hi")] - mine["yhat"]) / (
        own[level_column(80, "hi")] - own["yhat"]
    )
    # a random walk's naive bands are right: 35 standardised errors, one multiplier
    assert 0.7 <= float(ratio.iloc[0]) <= 1.4
    np.testing.assert_allclose(ratio, ratio.iloc[0], rtol=1e-9)


@pytest.mark.parametrize("factor", [0.5, 3.0])
def test_bands_wrong_by_a_factor_are_rescaled_by_it(factor: float) -> None:
    rng = np.random.default_rng(4)
    conformal = ScaledConformal(factor * rng.normal(0, 1, (60, 5)))
    for level in (80, 95):
        multiplier = conformal.multipliers(np.array([level / 100]))[0]
        expected = factor * norm.ppf(0.5 + level / 200)
        assert abs(multiplier / expected - 1) <= 0.12


def test_too_few_scores_keep_at_least_the_own_band() -> None:
    conformal = ScaledConformal(np.array([[0.1], [0.2], [-0.1]]))
    assert conformal.multipliers(np.array([0.95]))[0] == pytest.approx(norm.ppf(0.975))
    # where the conformal quantile is defined it is used, however small
    assert conformal.multipliers(np.array([0.5]))[0] < 0.2


@settings(max_examples=40, deadline=None)
@given(
    windows=st.integers(1, 6),
    steps=st.integers(1, 8),
    h=st.integers(1, 20),
    skew=st.floats(0.2, 5.0),
    seed=st.integers(0, 10**6),
)
def test_scaled_bands_nest_contain_the_point_and_keep_the_skew(
    windows: int, steps: int, h: int, skew: float, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    conformal = ScaledConformal(rng.standard_t(4, (windows, steps)) * rng.uniform(0.2, 5))
    down = np.sqrt(np.arange(1, h + 1)) * rng.uniform(0.5, 50)
    up = skew * down
    point = rng.normal(0, 100, h)
    bands = conformal.scaled_intervals(point, LEVELS, up, down)
    inner_lo = inner_hi = point
    for level in LEVELS:
        lo, hi = bands[level]
        assert np.all(lo <= inner_lo + 1e-9) and np.all(hi >= inner_hi - 1e-9)
        np.testing.assert_allclose(hi - point, skew * (point - lo), rtol=1e-9, atol=1e-9)
        inner_lo, inner_hi = lo, hi


def test_paths_and_intervals_agree() -> None:
    rng = np.random.default_rng(5)
    conformal = ScaledConformal(1.7 * rng.normal(0, 1, (5, 8)))
    h, n = 12, 6000
    point = np.linspace(100, 160, h)
    down = np.sqrt(np.arange(1, h + 1))
    up = 2.5 * down
    bands = conformal.scaled_intervals(point, LEVELS, up, down)
    paths = conformal.scaled_paths(point, n, np.random.default_rng(6), up, down)
    scores = conformal.pooled_scores().size
    for level in LEVELS:
        lo, hi = bands[level]
        inside = np.mean((paths >= lo - 1e-9) & (paths <= hi + 1e-9), axis=0)
        assert np.all(inside >= level / 100 - 0.03)
        assert np.all(inside <= min(1.0, level / 100 * (scores + 1) / scores + 2 / scores + 0.03))
    # the skewed own bands make the paths skewed the same way
    above = np.mean(np.maximum(paths - point, 0), axis=0)
    below = np.mean(np.maximum(point - paths, 0), axis=0)
    np.testing.assert_allclose(above / below, 2.5, rtol=0.15)


def test_a_model_samples_inside_its_scaled_bands() -> None:
    model = fc.models.get("ets", calibrate="scaled").fit(_walk(100, seed=7))
    out = model.predict(8, levels=(80,))
    paths = model.sample(8, n=4000, seed=2)
    lo, hi = out[level_column(80, "lo")].to_numpy(), out[level_column(80, "hi")].to_numpy()
    inside = np.mean((paths >= lo) & (paths <= hi), axis=0)
    assert np.all(np.abs(inside - 0.8) <= 0.06)


def test_a_saved_scaled_model_forecasts_as_before(tmp_path: pytest.TempPathFactory) -> None:
    model = fc.models.get("theta", calibrate="scaled").fit(_walk(60, seed=9))
    path = f"{tmp_path}/theta.fcm"
    model.save(path)
    same = fc.models.load(path)
    assert isinstance(same.calibration_, ScaledCalibration)
    assert same.predict(12).equals(model.predict(12))
    np.testing.assert_array_equal(same.sample(12, 50, seed=1), model.sample(12, 50, seed=1))


def test_a_short_series_warns_then_borrows_standardised_errors_of_its_call() -> None:
    with pytest.warns(ForecastWarning, match=r"'tiny/dau/all'.*3 observations.*widened"):
        short = fc.models.get("naive", calibrate="scaled").fit(_walk(3, uid="tiny/dau/all"))
    assert isinstance(short.calibration_, InflatedCalibration)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ForecastWarning)
        donors = [
            fc.models.get("naive", calibrate="scaled").fit(_walk(60, seed=s, uid=f"d{s}"))
            for s in range(3)
        ]
    with pytest.warns(ForecastWarning, match=r"'tiny/dau/all'.*standardised inner errors of 3"):
        assert pool_short_series([*donors, short]) == ["tiny/dau/all"]
    assert isinstance(short.calibration_, ScaledCalibration)
    stacked = np.vstack([d.calibration_.base.residuals for d in donors])
    np.testing.assert_array_equal(short.calibration_.base.residuals, stacked)
    own = fc.models.get("naive", calibrate=False).fit(_walk(3, uid="tiny/dau/all"))
    mine, theirs = short.predict(4, levels=(95,)), own.predict(4, levels=(95,))
    ratio = (mine[level_column(95, "hi")] - mine["yhat"]) / (
        theirs[level_column(95, "hi")] - theirs["yhat"]
    )
    multiplier = short.calibration_.base.multipliers(np.array([0.95]))[0]
    np.testing.assert_allclose(ratio, multiplier / norm.ppf(0.975), rtol=1e-6)
