"""``auto`` with ``calibrate="scaled"`` or ``"auto"``: the rule every model shares (issue 13).

Checked: the point forecast is the uncalibrated combination's and the bands are rescaled
(``ensemble``'s too);
the inner windows refit the members with the specifications they chose on the whole series
(a searched ARIMA order as its search estimated it, also after saving);
intervals nest and contain the point (hypothesis) and paths and intervals agree, for
``ensemble``'s ``"scaled"`` and ``"auto"`` as well (nothing after a
backtest's cutoff reaches its window: ``tests/calibration/test_calibration.py``); a saved model
forecasts as before; a series too short for inner windows warns naming itself; covariates
reach the inner windows; a choice among candidates is rescaled as well; the call's
``calibrate`` reaches ``auto`` as a method; by default the combination is calibrated.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import forecast as fc
from forecast.errors import ForecastWarning
from forecast.evaluation.calibration import Calibration, ScaledCalibration
from forecast.schema import DS, UNIQUE_ID, Y, level_column

LEVELS = (50, 80, 95)
MEMBERS = ["ets", "theta"]
"""Cheap members that still search (ets) and do not (theta)."""


def _monthly(n: int = 60, seed: int = 0, uid: str = "app") -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = 1000 + np.cumsum(rng.normal(10, 30, n)) + 80 * np.sin(2 * np.pi * t / 12)
    ds = pd.date_range("2018-01-01", periods=n, freq="MS")
    return pd.DataFrame({UNIQUE_ID: uid, DS: ds, Y: y})


@pytest.mark.parametrize("name", ["auto", "ensemble"])
@pytest.mark.parametrize(("calibrate", "kind"), [("scaled", ScaledCalibration), ("auto", None)])
def test_the_point_is_the_combinations_and_the_bands_are_recalibrated(
    name: str, calibrate: str, kind: type | None
) -> None:
    series = _monthly()
    own = fc.models.get(name, members=MEMBERS, calibrate=False).fit(series)
    model = fc.models.get(name, members=MEMBERS, calibrate=calibrate).fit(series)
    assert isinstance(model.calibration_, kind or Calibration)
    assert not model.calibrated_  # the combination's own conformal rule did not run
    assert all(member.calibrate is False for _, member in model.members_)  # replaced: skipped
    mine, theirs = model.predict(12), own.predict(12)
    np.testing.assert_allclose(mine["yhat"], theirs["yhat"])
    assert not np.allclose(mine["yhat_hi_95"], theirs["yhat_hi_95"])


def test_the_inner_windows_refit_the_specifications_chosen_on_the_whole_series() -> None:
    series = _monthly(72)
    model = fc.models.get("auto", calibrate="scaled").fit(series)
    fixed = model._calibration_template(model.clone())
    assert fixed.calibrate is False
    by_label = dict(model.members_)
    assert [type(m) for m in fixed.members] == [type(m) for _, m in model.members_]
    ets, arima = fixed.members[0], fixed.members[1]
    spec = by_label["ets"].spec_
    assert (ets.error, ets.trend, ets.damped_trend, ets.seasonal) == (
        spec.error,
        spec.trend,
        spec.damped_trend,
        spec.seasonal,
    )
    chosen = by_label["arima"].spec_
    assert arima.order is None and arima._refit_spec == chosen
    refit = arima.fit(series)
    assert refit.spec_ == chosen and len(refit.candidates_) == 1  # no search


def test_a_chosen_arima_order_is_refitted_as_the_search_estimated_it() -> None:
    """The same series refitted from the search's estimates gives the same likelihood."""
    series = _monthly(72)
    searched = fc.models.get("arima").fit(series)
    refit = searched._specified_clone().fit(series)
    assert refit.spec_ == searched.spec_
    assert refit.results_.llf == pytest.approx(searched.results_.llf, rel=1e-6)
    np.testing.assert_allclose(refit.predict(6)["yhat"], searched.predict(6)["yhat"], rtol=1e-5)


def test_a_fixed_arima_order_keeps_statsmodels_full_fit_in_the_inner_windows() -> None:
    fixed = fc.models.get("arima", order=(1, 1, 0)).fit(_monthly(72))
    clone = fixed._specified_clone()
    assert clone.order == (1, 1, 0) and clone._refit_spec is None


def test_a_saved_arima_member_still_refits_its_chosen_order(
    tmp_path: pytest.TempPathFactory,
) -> None:
    model = fc.models.get("auto", members=["arima", "theta"], calibrate="scaled").fit(_monthly())
    loaded = fc.models.load(model.save(tmp_path / "auto.zip"))  # type: ignore[operator]
    saved_arima = loaded.calibration_.member[1].members[0]
    chosen = dict(model.members_)["arima"].spec_
    assert saved_arima._refit_spec == chosen and saved_arima.order is None
    pd.testing.assert_frame_equal(loaded.predict(15), model.predict(15))


@pytest.mark.parametrize(("name", "calibrate"), [("auto", "scaled"), ("ensemble", "auto")])
@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(16, 60), h=st.integers(1, 18))
def test_intervals_nest_and_contain_the_point(
    name: str, calibrate: str, seed: int, n: int, h: int
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ForecastWarning)
        model = fc.models.get(name, members=MEMBERS, calibrate=calibrate).fit(_monthly(n, seed))
        out = model.predict(h, levels=LEVELS)
    inner_lo = inner_hi = out["yhat"].to_numpy()
    for level in LEVELS:
        lo = out[level_column(level, "lo")].to_numpy()
        hi = out[level_column(level, "hi")].to_numpy()
        assert np.all(lo <= inner_lo + 1e-9) and np.all(hi >= inner_hi - 1e-9)
        inner_lo, inner_hi = lo, hi


@pytest.mark.parametrize("name", ["auto", "ensemble"])
def test_paths_and_intervals_agree(name: str) -> None:
    model = fc.models.get(name, members=MEMBERS, calibrate="scaled").fit(_monthly(72))
    h, n = 12, 4000
    out = model.predict(h, levels=LEVELS)
    paths = model.sample(h, n=n, seed=3)
    for level in LEVELS:
        lo = out[level_column(level, "lo")].to_numpy()
        hi = out[level_column(level, "hi")].to_numpy()
        inside = np.mean((paths >= lo - 1e-9) & (paths <= hi + 1e-9), axis=0)
        assert np.all(np.abs(inside - level / 100) <= 0.05)


def test_a_saved_model_forecasts_as_before(tmp_path: pytest.TempPathFactory) -> None:
    model = fc.models.get("auto", members=MEMBERS, calibrate="auto").fit(_monthly())
    path = model.save(tmp_path / "auto.zip")  # type: ignore[operator]
    loaded = fc.models.load(path)
    pd.testing.assert_frame_equal(loaded.predict(14), model.predict(14))
    np.testing.assert_array_equal(loaded.sample(6, 50, seed=1), model.sample(6, 50, seed=1))


def test_a_series_too_short_for_inner_windows_warns_naming_itself() -> None:
    short = _monthly(3, uid="tiny-app")
    with pytest.warns(ForecastWarning, match="tiny-app"):
        model = fc.models.get("auto", calibrate="scaled").fit(short)
    assert model.predict(3)["yhat_hi_95"].notna().all()


def test_covariates_reach_the_inner_windows() -> None:
    rng = np.random.default_rng(3)
    n, h = 60, 6
    ds = pd.date_range("2018-01-01", periods=n + h, freq="MS")
    spend = rng.uniform(0, 10, n + h)
    y = 100 + 0.5 * np.arange(n) + 4 * spend[:n] + rng.normal(0, 1, n)
    series = pd.DataFrame({UNIQUE_ID: "s", DS: ds[:n], Y: y})
    covariates = pd.DataFrame({DS: ds, "spend": spend})
    model = fc.models.get("auto", members=["arima", "theta"], calibrate="scaled")
    model.fit(series, covariates=covariates)
    assert isinstance(model.calibration_, ScaledCalibration)
    out = model.predict(h, covariates=covariates)
    assert (out["yhat_lo_95"] < out["yhat"]).all() and (out["yhat"] < out["yhat_hi_95"]).all()


@pytest.mark.parametrize("combine_within", [None, 10.0])
def test_a_choice_among_candidates_is_rescaled(combine_within: float | None) -> None:
    series = _monthly()
    given = {"candidates": ["ets", "theta"], "combine_within": combine_within}
    model = fc.models.get("auto", calibrate="scaled", **given).fit(series)
    uncalibrated = [fc.models.get(name, calibrate=False) for name in given["candidates"]]
    own = fc.models.get("auto", calibrate=False, **{**given, "candidates": uncalibrated})
    own.fit(series)
    assert model.chosen_ == own.chosen_ and isinstance(model.calibration_, ScaledCalibration)
    assert model.chosen_.startswith("median(") == (combine_within is not None)
    mine, theirs = model.predict(6), own.predict(6)
    np.testing.assert_allclose(mine["yhat"], theirs["yhat"])
    assert not np.allclose(mine["yhat_hi_95"], theirs["yhat_hi_95"])


def test_the_calls_method_reaches_auto() -> None:
    series = pd.concat([_monthly(48, seed, f"app-{seed}") for seed in range(2)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ForecastWarning)
        out = {
            calibrate: fc.forecast(
                series, {"auto": fc.models.get("auto", members=MEMBERS)}, h=6, calibrate=calibrate
            )
            for calibrate in (False, True, "scaled")
        }
    scaled = out["scaled"]
    np.testing.assert_allclose(scaled["yhat"], out[False]["yhat"])
    for other in (False, True):  # neither the own bands nor auto's conformal rule
        assert not np.allclose(scaled["yhat_hi_95"], out[other]["yhat_hi_95"])


def test_by_default_the_combination_is_calibrated_and_a_choice_keeps_its_candidates() -> None:
    series = _monthly()
    combination = fc.models.get("auto", members=MEMBERS).fit(series)
    assert set(combination.calibration_.choice) == {"conformal", "scaled"}  # "auto"
    choice = fc.models.get("auto", candidates=["ets", "naive"]).fit(series)
    assert choice.calibration_ is None
    alone = fc.models.get(choice.chosen_).fit(series)
    pd.testing.assert_frame_equal(choice.predict(6), alone.predict(6))
