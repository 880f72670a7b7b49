"""``ensemble``: combined points, pooled-path intervals, inverse-error weights."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import forecast as fc
from forecast.errors import ConfigError, FitError
from forecast.evaluation.conformal import PooledConformal

FAST = ["naive", "seasonal_naive", "drift"]


def test_median_and_mean_combine_the_members_points(daily_series):
    points = np.vstack(
        [fc.models.get(m).fit(daily_series).predict(5, levels=())["yhat"] for m in FAST]
    )
    median = fc.models.get("ensemble", members=FAST).fit(daily_series).predict(5)
    mean = fc.models.get("ensemble", members=FAST, combine="mean").fit(daily_series).predict(5)
    np.testing.assert_allclose(median["yhat"], np.median(points, axis=0))
    np.testing.assert_allclose(mean["yhat"], points.mean(axis=0))


def test_weights_are_inverse_inner_errors(daily_series):
    model = fc.models.get("ensemble", members=FAST, combine="weighted").fit(daily_series)
    scores = fc.models.get("auto", candidates=FAST, n_windows=5).fit(daily_series).scores_
    inverse = {k: 1 / v for k, v in scores.items()}
    expected = {k: v / sum(inverse.values()) for k, v in inverse.items()}
    assert model.weights_ == pytest.approx(expected)
    assert sum(model.weights_.values()) == pytest.approx(1.0)
    assert max(model.weights_, key=model.weights_.get) == min(scores, key=scores.get)


def test_uncalibrated_intervals_are_pooled_path_quantiles_and_nest(daily_series):
    model = fc.models.get("ensemble", members=FAST, calibrate=False, n_paths=4000, seed=3).fit(
        daily_series
    )
    assert not model.calibrated_
    frame = model.predict(7, levels=(50, 80, 95))
    paths = model.sample(7, 4000, seed=3)
    assert paths.shape == (4000, 7)
    lo, hi = np.quantile(paths, [0.1, 0.9], axis=0)
    np.testing.assert_allclose(frame["yhat_lo_80"], np.minimum(lo, frame["yhat"]))
    np.testing.assert_allclose(frame["yhat_hi_80"], np.maximum(hi, frame["yhat"]))
    assert (frame["yhat_lo_95"] <= frame["yhat_lo_80"]).all() and (
        frame["yhat_lo_80"] <= frame["yhat_lo_50"]
    ).all()
    assert (frame["yhat_hi_95"] >= frame["yhat_hi_80"]).all()
    # the pool is wider than any member's interval alone where members disagree
    widths = [fc.models.get(m).fit(daily_series).predict(7, levels=(80,)) for m in FAST]
    narrowest = np.min([w["yhat_hi_80"] - w["yhat_lo_80"] for w in widths], axis=0)
    assert ((frame["yhat_hi_80"] - frame["yhat_lo_80"]) >= narrowest - 1e-9).all()


def test_same_seed_same_intervals(daily_series):
    first = fc.models.get("ensemble", members=FAST).fit(daily_series).predict(5)
    second = fc.models.get("ensemble", members=FAST).fit(daily_series).predict(5)
    pd.testing.assert_frame_equal(first, second)


def test_a_failing_member_fails_the_ensemble():
    df = pd.DataFrame(
        {"unique_id": "s", "ds": pd.date_range("2024-01-01", periods=20), "y": np.arange(20.0) + 1}
    )
    members = ["naive", fc.models.get("seasonal_naive", seasonal_period=30)]
    with pytest.raises(FitError, match="seasonal_naive"):
        fc.models.get("ensemble", members=members).fit(df)


def test_bad_parameters_raise():
    with pytest.raises(ConfigError, match="combine"):
        fc.models.get("ensemble", members=FAST, combine="vote")
    with pytest.raises(ConfigError, match="members"):
        fc.models.get("ensemble", members=[])
    for keep in (0, 4, True, -1):
        with pytest.raises(ConfigError, match="keep"):
            fc.models.get("ensemble", members=FAST, keep=keep)


@pytest.mark.parametrize("combine", ["median", "mean", "weighted"])
def test_keep_combines_the_members_with_the_lowest_inner_error(daily_series, combine):
    members = [*FAST, "mean"]
    model = fc.models.get("ensemble", members=members, combine=combine, keep=2).fit(daily_series)
    scores = fc.models.get("auto", candidates=members, n_windows=5).fit(daily_series).scores_
    best = sorted(members, key=scores.get)[:2]
    assert [label for label, _ in model.members_] == [m for m in members if m in best]
    assert model.scores_ == pytest.approx(dict(scores))
    alone = fc.models.get(
        "ensemble", members=[m for m in members if m in best], combine=combine
    ).fit(daily_series)
    pd.testing.assert_frame_equal(model.predict(10), alone.predict(10))


def test_keep_ranks_a_failing_member_last_and_fails_when_too_few_pass():
    df = pd.DataFrame(
        {"unique_id": "s", "ds": pd.date_range("2024-01-01", periods=60), "y": np.arange(60.0) + 1}
    )
    broken = fc.models.get("seasonal_naive", seasonal_period=50)
    model = fc.models.get(
        "ensemble", members=["naive", "drift", broken], keep=2, h=5, n_windows=2
    ).fit(df)
    assert [label for label, _ in model.members_] == ["naive", "drift"]
    assert "seasonal_naive" in model.scores_.errors
    with pytest.raises(FitError, match="keeps 3 members but only 2"):
        fc.models.get("ensemble", members=["naive", "drift", broken], keep=3, h=5, n_windows=2).fit(
            df
        )


def test_calibrated_intervals_come_from_the_combined_forecasts_inner_residuals(daily_series):
    model = fc.models.get("ensemble", members=FAST).fit(daily_series)
    assert model.calibrated_
    scores = fc.models.get("auto", candidates=FAST, n_windows=5).fit(daily_series).scores_
    combined = np.median(np.stack([scores.forecasts[m] for m in FAST]), axis=0)
    y = daily_series["y"].to_numpy()
    current = np.mean(np.abs(y[7:] - y[:-7]))
    expected = (scores.actuals - combined) * current / scores.scales[:, None]
    np.testing.assert_allclose(model.conformal_.base.residuals, expected)
    frame = model.predict(7, levels=(50, 80, 95))
    lo, hi = PooledConformal(expected).intervals(frame["yhat"].to_numpy(), (80,))[80]
    np.testing.assert_allclose(frame["yhat_lo_80"], lo)
    np.testing.assert_allclose(frame["yhat_hi_80"], hi)
    assert (frame["yhat_lo_95"] <= frame["yhat_lo_80"]).all() and (
        frame["yhat_lo_80"] <= frame["yhat_lo_50"]
    ).all()
    assert (frame["yhat_hi_95"] >= frame["yhat_hi_80"]).all() and (
        frame["yhat_hi_80"] >= frame["yhat_hi_50"]
    ).all()


def test_calibrated_paths_have_the_shape_asked_and_repeat_by_seed(daily_series):
    model = fc.models.get("ensemble", members=FAST).fit(daily_series)
    paths = model.sample(10, 300, seed=4)
    assert paths.shape == (300, 10)
    np.testing.assert_array_equal(paths, model.sample(10, 300, seed=4))
    assert not np.array_equal(paths, model.sample(10, 300, seed=5))


def test_a_series_short_for_the_calibration_windows_calibrates_on_fewer_shorter_ones():
    df = pd.DataFrame(
        {"unique_id": "s", "ds": pd.date_range("2024-01-01", periods=15), "y": np.arange(15.0) + 1}
    )
    model = fc.models.get("ensemble", members=["naive", "drift"]).fit(df)
    # 5 windows of 7 days do not fit in 15; the first plan that does is 5 windows of 2 days
    assert model.calibrated_
    assert model.conformal_.base.residuals.shape == (5, 2)
    pooled = fc.models.get("ensemble", members=["naive", "drift"], calibrate=False).fit(df)
    assert not pooled.calibrated_


def test_a_calibrated_ensemble_fits_its_named_members_without_their_own_calibration(
    daily_series,
):
    # theta and naive calibrate by default; the ensemble's own calibration replaces their bands,
    # so it fits them without, and their points (hence the ensemble's) are the same.
    members = ["theta", "naive"]
    calibrated = fc.models.get("ensemble", members=members).fit(daily_series)
    pooled = fc.models.get("ensemble", members=members, calibrate=False).fit(daily_series)
    assert calibrated.calibrated_
    assert all(model.calibration_ is None for _, model in calibrated.members_)
    assert all(model.calibration_ is not None for _, model in pooled.members_)
    np.testing.assert_allclose(
        calibrated.predict(7, levels=())["yhat"], pooled.predict(7, levels=())["yhat"]
    )


def test_too_short_for_any_calibration_windows_falls_back_to_pooled_paths():
    df = pd.DataFrame(
        {"unique_id": "s", "ds": pd.date_range("2024-01-01", periods=4), "y": [1.0, 2.0, 4.0, 5.0]}
    )
    # 2 windows of 1 step leave 2 and 3 observations to fit on; ets needs 3
    with pytest.warns(fc.ForecastWarning, match=r"'ensemble': no calibration for series 's'"):
        model = fc.models.get("ensemble", members=["naive", "ets"]).fit(df)
    assert not model.calibrated_
    # the members pooled are then fitted with their own default calibrate, as without calibrate
    assert [member.calibrate for _, member in model.members_] == [None, None]
    pooled = fc.models.get("ensemble", members=["naive", "ets"], calibrate=False).fit(df)
    pd.testing.assert_frame_equal(model.predict(5), pooled.predict(5))


def test_default_members_a_series_is_too_short_for_are_left_out_and_named(twelve_months):
    df = twelve_months
    model = fc.models.get("ensemble").fit(df)
    assert [label for label, _ in model.members_] == ["ets", "theta"]
    assert list(model.dropped_) == ["seasonal_naive"]
    assert "needs more than 12" in model.params_["dropped"]["seasonal_naive"]
    members = np.stack([m.predict(6, levels=())["yhat"] for _, m in model.members_])
    np.testing.assert_allclose(model.predict(6)["yhat"], np.median(members, axis=0))
    with pytest.raises(FitError, match="member 'seasonal_naive' of 'ensemble' failed"):
        fc.models.get("ensemble", members=["ets", "seasonal_naive"]).fit(df)


def _sixteen_months() -> pd.DataFrame:
    y = [1200, 1350, 1410, 1520, 1600, 1580, 1700, 1820, 1790, 1900, 2050, 2100, 2180, 2300]
    y += [2290, 2420]
    ds = pd.date_range("2024-01-01", periods=len(y), freq="MS")
    return pd.DataFrame({"unique_id": "app", "ds": ds, "y": np.asarray(y, dtype=float)})


def test_default_ensemble_of_a_season_and_a_few_months_is_calibrated():
    # 16 months: seasonal_naive fits (it needs 13), so it stays a member, and the inner windows
    # leave it 13 observations; they used to start from 4, where it failed, and the bands fell
    # back to the members' pooled paths (80% from 1,125 to 2,572 around 2,459 at step 1).
    df = _sixteen_months()
    with warnings.catch_warnings():
        warnings.simplefilter("error", fc.ForecastWarning)
        model = fc.models.get("ensemble").fit(df)
    assert [label for label, _ in model.members_] == ["ets", "theta", "seasonal_naive"]
    assert model.calibrated_
    out = model.predict(6)
    assert (out["yhat_lo_80"] < out["yhat"]).all() and (out["yhat"] < out["yhat_hi_80"]).all()
    assert out["yhat_lo_80"].iloc[0] > df["y"].iloc[-1] - 0.1 * df["y"].iloc[-1]


@pytest.mark.parametrize("months", [13, 14])
def test_default_member_that_leaves_no_room_for_calibration_is_left_out_and_named(months):
    # seasonal_naive fits 13 or 14 months, but its first inner window needs 13 observations, so
    # with it not even 2 windows of 1 step fit; ets and theta have room, so the ensemble drops
    # seasonal_naive and is calibrated instead of falling back to uncalibrated pooled paths.
    df = _sixteen_months().iloc[:months]
    with warnings.catch_warnings():
        warnings.simplefilter("error", fc.ForecastWarning)
        model = fc.models.get("ensemble").fit(df)
    assert [label for label, _ in model.members_] == ["ets", "theta"]
    assert "no room for the ensemble's calibration" in model.dropped_["seasonal_naive"]
    assert model.params_["dropped"] == model.dropped_
    assert model.calibrated_
    members = np.stack([m.predict(6, levels=())["yhat"] for _, m in model.members_])
    out = model.predict(6)
    np.testing.assert_allclose(out["yhat"], np.median(members, axis=0))
    assert (out["yhat_lo_95"] < out["yhat_lo_80"]).all()
    assert (out["yhat_hi_80"] < out["yhat_hi_95"]).all()
    # uncalibrated, nothing needs the room: seasonal_naive stays a member of the pooled paths
    pooled = fc.models.get("ensemble", calibrate=False).fit(df)
    assert [label for label, _ in pooled.members_] == ["ets", "theta", "seasonal_naive"]
