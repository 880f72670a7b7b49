"""``ensemble`` with ``calibrate="scaled"`` or ``"auto"``: the rule every model shares (issue 13).

Checked: the point is the uncalibrated combination's and the pooled bands are recalibrated;
the inner windows refit the members the ensemble combines with the specifications they chose;
intervals nest and contain the point (hypothesis); paths and intervals agree; a saved model
forecasts as before; the call's ``calibrate`` reaches the ensemble as a method; a bad value is
refused naming the choices. Nothing after a backtest's cutoff reaches its window:
``tests/calibration/test_calibration.py``.
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
from forecast.evaluation.calibration import Calibration, ScaledCalibration
from forecast.schema import DS, UNIQUE_ID, Y, level_column

LEVELS = (50, 80, 95)
MEMBERS = ["ets", "theta", "naive"]


def _monthly(n: int = 60, seed: int = 0, uid: str = "app") -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = 1000 + np.cumsum(rng.normal(10, 30, n)) + 80 * np.sin(2 * np.pi * t / 12)
    ds = pd.date_range("2018-01-01", periods=n, freq="MS")
    return pd.DataFrame({UNIQUE_ID: uid, DS: ds, Y: y})


@pytest.mark.parametrize(("calibrate", "kind"), [("scaled", ScaledCalibration), ("auto", None)])
def test_the_point_is_the_combinations_and_the_pooled_bands_are_recalibrated(
    calibrate: str, kind: type | None
) -> None:
    series = _monthly()
    pooled = fc.models.get("ensemble", members=MEMBERS, calibrate=False).fit(series)
    model = fc.models.get("ensemble", members=MEMBERS, calibrate=calibrate).fit(series)
    assert isinstance(model.calibration_, kind or Calibration)
    assert not model.calibrated_  # the ensemble's own conformal rule did not run
    mine, theirs = model.predict(12), pooled.predict(12)
    np.testing.assert_allclose(mine["yhat"], theirs["yhat"])
    assert not np.allclose(mine["yhat_hi_95"], theirs["yhat_hi_95"])
    assert all(m.calibrate is False for _, m in model.members_)  # replaced, so skipped


def test_the_inner_windows_refit_the_combined_members_with_their_specifications() -> None:
    series = _monthly(72)
    model = fc.models.get("ensemble", calibrate="scaled").fit(series)
    fixed = model._calibration_template(model.clone())
    assert fixed.calibrate is False
    assert [type(m) for m in fixed.members] == [type(m) for _, m in model.members_]
    ets = fixed.members[0]
    spec = dict(model.members_)["ets"].spec_
    assert (ets.error, ets.trend, ets.damped_trend, ets.seasonal) == (
        spec.error,
        spec.trend,
        spec.damped_trend,
        spec.seasonal,
    )
    # each inner window leaves every combined member its fewest observations
    assert model.fewest_observations(12) == 13  # seasonal_naive: a season and one more


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(16, 60), h=st.integers(1, 18))
def test_intervals_nest_and_contain_the_point(seed: int, n: int, h: int) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ForecastWarning)
        model = fc.models.get("ensemble", members=MEMBERS, calibrate="auto").fit(_monthly(n, seed))
        out = model.predict(h, levels=LEVELS)
    inner_lo = inner_hi = out["yhat"].to_numpy()
    for level in LEVELS:
        lo = out[level_column(level, "lo")].to_numpy()
        hi = out[level_column(level, "hi")].to_numpy()
        assert np.all(lo <= inner_lo + 1e-9) and np.all(hi >= inner_hi - 1e-9)
        inner_lo, inner_hi = lo, hi


def test_paths_and_intervals_agree() -> None:
    model = fc.models.get("ensemble", members=MEMBERS, calibrate="scaled").fit(_monthly(72))
    h, n = 12, 4000
    out = model.predict(h, levels=LEVELS)
    paths = model.sample(h, n=n, seed=3)
    for level in LEVELS:
        lo = out[level_column(level, "lo")].to_numpy()
        hi = out[level_column(level, "hi")].to_numpy()
        inside = np.mean((paths >= lo - 1e-9) & (paths <= hi + 1e-9), axis=0)
        assert np.all(np.abs(inside - level / 100) <= 0.05)


def test_a_saved_model_forecasts_as_before(tmp_path: pytest.TempPathFactory) -> None:
    model = fc.models.get("ensemble", members=MEMBERS, calibrate="auto").fit(_monthly())
    loaded = fc.models.load(model.save(tmp_path / "ensemble.zip"))  # type: ignore[operator]
    pd.testing.assert_frame_equal(loaded.predict(15), model.predict(15))
    np.testing.assert_array_equal(loaded.sample(6, 50, seed=1), model.sample(6, 50, seed=1))


def test_the_calls_method_reaches_the_ensemble() -> None:
    out = fc.forecast(_monthly(), "ensemble", h=3, calibrate="scaled")
    own = fc.forecast(_monthly(), "ensemble", h=3, calibrate=True)
    np.testing.assert_allclose(out["yhat"], own["yhat"])
    assert not np.allclose(out["yhat_hi_95"], own["yhat_hi_95"])


@pytest.mark.parametrize("value", [None, "yes", 2])
def test_a_bad_calibrate_is_refused_naming_the_choices(value: object) -> None:
    with pytest.raises(ConfigError, match="calibrate"):
        fc.models.get("ensemble", calibrate=value)
