"""``calibrate=``: conformal intervals and paths for every registered model (issue 13).

Checked: every model takes the keyword and refuses a bad value; the point forecast is the
model's own; calibrated intervals nest and contain the point (hypothesis); paths and
intervals agree; nothing after a cutoff reaches a backtest window (poisoning); a series too
short for inner windows warns naming itself and widens the model's own spread by a stated
factor.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import forecast as fc
from forecast.errors import ConfigError, ForecastWarning
from forecast.evaluation.calibration import (
    SHORT_SERIES_INFLATION,
    Calibration,
    InflatedCalibration,
    PooledConformal,
    ScaledCalibration,
)
from forecast.evaluation.conformal import Conformal
from forecast.models._calibration import (
    AUTO_BY_DEFAULT,
    AUTO_WHEN_SHORT,
    CALIBRATED_BY_DEFAULT,
    SCALED_BY_DEFAULT,
)
from forecast.models.base import BaseModel
from forecast.schema import DS, UNIQUE_ID, Y, level_column

NAMES = list(fc.models.available()["name"])
OWN = {"auto", "ensemble"}
"""Models whose ``calibrate=True`` is their own conformal rule, not BaseModel's (``auto``'s
``"scaled"`` and ``"auto"`` are checked in ``tests/models/test_auto_calibrate.py``)."""
FAST = ["naive", "drift", "mean", "seasonal_naive", "theta"]
LEVELS = (50, 80, 95)
CALIBRATED = [
    pytest.param(name, marks=pytest.mark.slow) if name == "retention_feedback" else name
    for name in sorted(set(NAMES) - OWN)
]
"""The models with BaseModel's ``calibrate``; retention_feedback's inner windows take ~25 s."""


def _series(n: int = 60, seed: int = 0, uid: str = "app") -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = 500 + np.cumsum(rng.normal(0, 8, n)) + 30 * np.sin(2 * np.pi * t / 7)
    ds = pd.date_range("2024-01-01", periods=n, freq="D")
    return pd.DataFrame({UNIQUE_ID: uid, DS: ds, Y: y})


def _calibrated(name: str, series: pd.DataFrame) -> BaseModel:
    return fc.models.get(name, calibrate=True).fit(series)


@pytest.mark.parametrize("name", sorted(set(NAMES) - OWN))
def test_every_model_takes_calibrate_and_refuses_a_bad_value(name: str) -> None:
    model = fc.models.get(name, calibrate="conformal")
    assert model.calibrate == "conformal" and model.clone().calibrate == "conformal"
    with pytest.raises(ConfigError, match=rf"model {name!r}: calibrate .*'conformall'") as info:
        fc.models.get(name, calibrate="conformall")
    assert "did you mean 'conformal'?" in str(info.value)


@pytest.mark.parametrize("name", CALIBRATED)
def test_calibration_keeps_the_point_and_replaces_the_bands(name: str) -> None:
    series = _series()
    own = fc.models.get(name, calibrate=False).fit(series)
    calibrated = _calibrated(name, series)
    assert own.calibration_ is None and isinstance(calibrated.calibration_, Calibration)
    mine = calibrated.predict(10, levels=LEVELS)
    theirs = own.predict(10, levels=LEVELS)
    np.testing.assert_allclose(mine["yhat"], theirs["yhat"], rtol=1e-9)
    conformal = calibrated.calibration_.get(10).intervals(theirs["yhat"].to_numpy(), LEVELS)
    for level in LEVELS:
        np.testing.assert_allclose(mine[level_column(level, "hi")], conformal[level][1])


def test_calibrate_none_follows_the_measured_default() -> None:
    for name in sorted(set(NAMES) - OWN - {"retention_feedback", "arima"}):
        model = fc.models.get(name).fit(_series())
        on = name in CALIBRATED_BY_DEFAULT | SCALED_BY_DEFAULT | AUTO_BY_DEFAULT
        assert (model.calibration_ is not None) == on
        if name in AUTO_BY_DEFAULT:  # conformal or scaled, by the left-out scores it keeps
            assert set(model.calibration_.choice) == {"conformal", "scaled"}
        else:
            scaled = isinstance(model.calibration_, ScaledCalibration)
            assert scaled == (name in SCALED_BY_DEFAULT)


@pytest.mark.parametrize("name", sorted(AUTO_WHEN_SHORT))
def test_calibrate_none_calibrates_short_series_only(name: str) -> None:
    # "auto" below the stated length, the model's own bands from it on; an explicit value
    # holds at any length.
    fewest = AUTO_WHEN_SHORT[name]
    short = fc.models.get(name).fit(_series(fewest - 1))
    long = fc.models.get(name).fit(_series(fewest))
    assert set(short.calibration_.choice) == {"conformal", "scaled"}
    assert long.calibration_ is None
    assert fc.models.get(name, calibrate=False).fit(_series(fewest - 1)).calibration_ is None
    assert fc.models.get(name, calibrate="auto").fit(_series(fewest)).calibration_ is not None
    own = fc.models.get(name, calibrate=False).fit(_series(fewest - 1)).predict(4, levels=(95,))
    mine = short.predict(4, levels=(95,))
    np.testing.assert_allclose(mine["yhat"], own["yhat"], rtol=1e-9)
    assert not np.allclose(mine[level_column(95, "hi")], own[level_column(95, "hi")])


@settings(max_examples=25, deadline=None)
@given(
    name=st.sampled_from(FAST),
    seed=st.integers(0, 10**6),
    n=st.integers(12, 80),
    h=st.integers(1, 30),
)
def test_calibrated_intervals_nest_and_contain_the_point(
    name: str, seed: int, n: int, h: int
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ForecastWarning)
        out = _calibrated(name, _series(n, seed)).predict(h, levels=LEVELS)
    inner_lo = inner_hi = out["yhat"].to_numpy()
    for level in LEVELS:
        lo = out[level_column(level, "lo")].to_numpy()
        hi = out[level_column(level, "hi")].to_numpy()
        assert np.all(lo <= inner_lo) and np.all(hi >= inner_hi)
        inner_lo, inner_hi = lo, hi


@pytest.mark.parametrize("name", ["naive", "ets", "theta"])
def test_paths_and_intervals_agree(name: str) -> None:
    model = _calibrated(name, _series(90))
    h, n = 14, 4000
    out = model.predict(h, levels=LEVELS)
    paths = model.sample(h, n=n, seed=3)
    scores = model.calibration_.get(h).scores(h).shape[1]
    width = (out[level_column(80, "hi")] - out[level_column(80, "lo")]).to_numpy()
    assert np.all(np.abs(paths.mean(axis=0) - out["yhat"].to_numpy()) <= 0.1 * width)
    for level in LEVELS:
        lo = out[level_column(level, "lo")].to_numpy()
        hi = out[level_column(level, "hi")].to_numpy()
        inside = np.mean((paths >= lo - 1e-9) & (paths <= hi + 1e-9), axis=0)
        # Paths draw the pooled scores; intervals read them with the finite-sample correction.
        assert np.all(inside >= level / 100 - 0.03)
        assert np.all(inside <= min(1.0, level / 100 * (scores + 1) / scores + 2 / scores + 0.03))


@pytest.mark.parametrize(
    ("name", "calibrate"),
    [("naive", True), ("ets", "scaled"), ("auto", "scaled"), ("ensemble", "scaled")],
)
def test_calibration_in_a_backtest_uses_no_data_after_the_cutoff(
    name: str, calibrate: object
) -> None:
    series = _series(80)
    models = {name: fc.models.get(name, calibrate=calibrate)}
    clean = fc.backtest(series, models, h=7, n_windows=3, step=7, levels=(80, 95))
    first = clean["cutoff"].min()
    poisoned = series.copy()
    later = poisoned[DS] > first
    poisoned.loc[later, Y] = 1e9 * (1 + np.arange(int(later.sum())))
    with warnings.catch_warnings():  # the poisoned windows' own spreads may not be usable
        warnings.simplefilter("ignore", ForecastWarning)
        dirty = fc.backtest(poisoned, models, h=7, n_windows=3, step=7, levels=(80, 95))
    columns = ["yhat"] + [level_column(lv, s) for lv in (80, 95) for s in ("lo", "hi")]
    pd.testing.assert_frame_equal(
        clean.loc[clean["cutoff"] == first, columns].reset_index(drop=True),
        dirty.loc[dirty["cutoff"] == first, columns].reset_index(drop=True),
    )
    # the poison does reach the later windows, so the comparison above could fail
    assert not np.allclose(
        clean.loc[clean["cutoff"] > first, "yhat_hi_95"],
        dirty.loc[dirty["cutoff"] > first, "yhat_hi_95"],
    )


def test_a_series_too_short_for_inner_windows_warns_naming_itself() -> None:
    short = _series(3, uid="tiny/dau/all")
    with pytest.warns(ForecastWarning, match=r"'tiny/dau/all'.*3 observations.*widened") as record:
        model = _calibrated("naive", short)
    assert "'naive'" in str(record[0].message)
    assert isinstance(model.calibration_, InflatedCalibration)
    own = fc.models.get("naive").fit(short).predict(4, levels=LEVELS)
    mine = model.predict(4, levels=LEVELS)
    np.testing.assert_allclose(mine["yhat"], own["yhat"])
    for level in LEVELS:
        half = (own[level_column(level, "hi")] - own[level_column(level, "lo")]) / 2
        widened = (mine[level_column(level, "hi")] - mine[level_column(level, "lo")]) / 2
        np.testing.assert_allclose(widened, SHORT_SERIES_INFLATION * half, rtol=0.1)
    paths = model.sample(4, n=4000, seed=1)
    inside = np.mean(
        (paths >= mine[level_column(80, "lo")].to_numpy())
        & (paths <= mine[level_column(80, "hi")].to_numpy()),
        axis=0,
    )
    assert np.all(np.abs(inside - 0.8) <= 0.05)


def test_calibrate_off_keeps_the_own_intervals_of_a_series_too_short() -> None:
    short = _series(3, uid="tiny/dau/all")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ForecastWarning)
        model = fc.models.get("naive", calibrate=False).fit(short)
    assert model.calibration_ is None


def test_a_short_series_is_calibrated_on_fewer_shorter_windows() -> None:
    model = _calibrated("naive", _series(12))
    assert model.calibration_ is not None
    residuals = model.calibration_.base.residuals
    assert residuals.shape[0] * residuals.shape[1] <= 12 - 2
    out = model.predict(9, levels=LEVELS)
    assert np.isfinite(out.drop(columns=DS).to_numpy()).all()


def _coverage(make: type[Conformal], windows: int, steps: int, trials: int = 1500) -> dict:
    """Mean coverage of fresh errors by intervals from ``windows`` exchangeable error vectors."""
    rng = np.random.default_rng(13)
    spread = np.sqrt(np.arange(1, steps + 1))
    hits: dict[int, list[float]] = {80: [], 95: []}
    for _ in range(trials):
        bands = make(rng.normal(0, 1, (windows, steps)) * spread).intervals(
            np.zeros(steps), (80, 95)
        )
        fresh = rng.normal(0, 1, steps) * spread
        for level, (lo, hi) in bands.items():
            hits[int(level)].append(float(np.mean((fresh >= lo) & (fresh <= hi))))
    return {level: 100 * float(np.mean(v)) for level, v in hits.items()}


def test_pooling_across_steps_covers_better_with_few_windows() -> None:
    pooled = _coverage(PooledConformal, 5, 4)
    per_step = _coverage(Conformal, 5, 4)
    assert abs(pooled[80] - 80) <= 4
    assert pooled[95] > per_step[95] + 4


@settings(max_examples=30, deadline=None)
@given(
    windows=st.integers(1, 6),
    steps=st.integers(1, 8),
    h=st.integers(1, 20),
    seed=st.integers(0, 10**6),
)
def test_pooled_bands_nest_and_spreads_never_shrink(
    windows: int, steps: int, h: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    conformal = PooledConformal(rng.normal(0, 1, (windows, steps)) * rng.uniform(0.1, 10))
    bands = conformal.intervals(np.zeros(h), (50, 80, 95))
    assert np.all(bands[95][1] >= bands[80][1]) and np.all(bands[80][1] >= bands[50][1])
    assert np.all(bands[50][1] >= 0)
    assert np.all(np.diff(conformal.spreads(h)) >= -1e-12)
    assert conformal.scores(h).shape == (h, windows * steps)


def test_shares_take_calibrated_paths_of_series_growing_from_near_zero() -> None:
    market = fc.datasets.simulate_market(n_products=3, periods=36, freq="MS").series
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ForecastWarning)
        own = fc.shares(market, fc.models.get("naive", calibrate=False), h=4)
        calibrated = fc.shares(market, fc.models.get("naive", calibrate=True), h=4)
    lo = [c for c in own.columns if c.endswith("lo_95")][0]
    hi = lo.replace("lo_95", "hi_95")
    future = own[hi].notna()
    assert future.sum() == 4 * 3
    assert np.isfinite(calibrated.loc[future, [lo, hi]].to_numpy()).all()
    assert not np.allclose(own.loc[future, hi], calibrated.loc[future, hi])
    last = market.groupby("unique_id")[Y].last()
    for uid, group in market.groupby("unique_id"):
        model = fc.models.get("naive", calibrate=True).fit(group)
        assert model.calibration_ is not None
        # errors stay on the series' own scale (no per-window rescaling blow-up)
        assert np.abs(model.calibration_.base.residuals).max() < 10 * last[uid]


def test_inner_windows_leave_seasonal_naive_a_season_and_one_more() -> None:
    # 16 monthly values: the inner windows used to start from 2 observations (its static
    # minimum), where seasonal_naive with season 12 cannot fit, so calibrate=True fell back to
    # the 2-fold widened own bands with a warning; now they start from 13.
    model = fc.models.get("seasonal_naive")
    assert model.fewest_observations(12) == 13
    assert fc.models.get("seasonal_naive", seasonal_period=4).fewest_observations(12) == 5
    assert fc.models.get("naive").fewest_observations(12) == 2
    y = 1000 + 50 * np.arange(16) + 30 * np.sin(np.arange(16))
    series = pd.DataFrame(
        {"unique_id": "s", "ds": pd.date_range("2024-01-01", periods=16, freq="MS"), "y": y}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ForecastWarning)
        fitted = fc.models.get("seasonal_naive", calibrate=True).fit(series)
    assert isinstance(fitted.calibration_, Calibration)
    assert not isinstance(fitted.calibration_, InflatedCalibration)
