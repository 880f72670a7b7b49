"""``auto``: by default the mean of its members; with ``candidates``, the best by an inner
backtest that sees the training data only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import forecast as fc
from forecast.errors import CapabilityError, ConfigError, FitError, ForecastError, HistoryError
from forecast.models.auto import (
    DEFAULT_MEMBER_MIN_HISTORY,
    DEFAULT_MEMBERS,
    Conformal,
    build_candidates,
    inner_backtest,
)

FAST = ["naive", "seasonal_naive", "drift"]


def _frame(y: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {"unique_id": "s", "ds": pd.date_range("2024-01-01", periods=len(y)), "y": y}
    )


def test_picks_the_seasonal_model_for_a_seasonal_series():
    t = np.arange(84)
    y = 50 + 10 * np.sin(2 * np.pi * t / 7) + np.random.default_rng(0).normal(0, 0.5, 84)
    model = fc.models.get("auto", candidates=FAST).fit(_frame(y))
    assert model.chosen_ == "seasonal_naive" and not model.calibrated_
    assert model.scores_["seasonal_naive"] == min(model.scores_.values())
    pd.testing.assert_frame_equal(
        model.predict(7), fc.models.get("seasonal_naive").fit(_frame(y)).predict(7)
    )


def test_picks_drift_for_a_straight_line_with_noise():
    t = np.arange(84, dtype=float)
    y = 10 + 2 * t + np.random.default_rng(1).normal(0, 0.3, 84)
    assert fc.models.get("auto", candidates=FAST).fit(_frame(y)).chosen_ == "drift"


def test_inner_scores_equal_a_hand_computed_mase():
    y = np.array([1.0, 2, 3, 5, 4, 6, 8, 7, 9, 12])
    scores = inner_backtest(
        _frame(y), build_candidates(["naive"], None, None), h=2, n_windows=2, seasonal_period=1
    )
    # windows: train y[:6] -> forecast 6, 6 for (8, 7); train y[:8] -> 7, 7 for (9, 12)
    scale_1 = np.mean(np.abs(np.diff(y[:6])))
    scale_2 = np.mean(np.abs(np.diff(y[:8])))
    expected = ((2 + 1) / scale_1 + (2 + 5) / scale_2) / 4
    assert scores["naive"] == pytest.approx(expected)


def test_a_failing_candidate_is_scored_nan_and_skipped():
    y = 50 + np.random.default_rng(2).normal(0, 1, 40)
    model = fc.models.get(
        "auto", candidates=["naive", fc.models.get("seasonal_naive", seasonal_period=30)]
    ).fit(_frame(y))
    assert model.chosen_ == "naive"
    assert (
        np.isnan(model.scores_["seasonal_naive"])
        and "HistoryError" in model.scores_.errors["seasonal_naive"]
    )


def test_every_candidate_failing_raises_fit_error():
    y = 50 + np.random.default_rng(2).normal(0, 1, 40)
    with pytest.raises(FitError, match="every candidate"):
        fc.models.get("auto", candidates=[fc.models.get("seasonal_naive", seasonal_period=30)]).fit(
            _frame(y)
        )


def test_too_short_for_the_inner_windows_is_named():
    # 10 points: scored on fewer, shorter windows than 3 of 7; 3 points: none fits
    short = fc.models.get("auto", candidates=FAST, h=7, n_windows=3).fit(_frame(np.arange(10.0)))
    assert short.params_["inner_windows"] != "3 windows of 7 steps"
    with pytest.raises(HistoryError, match="inner backtest"):
        fc.models.get("auto", candidates=FAST, h=7, n_windows=3).fit(_frame(np.arange(3.0)))


def test_bad_parameters_raise():
    with pytest.raises(ConfigError):
        fc.models.get("auto", candidates=[])
    with pytest.raises(ConfigError):
        fc.models.get("auto", candidates=FAST, n_windows=0)


def test_auto_in_a_backtest_uses_no_data_after_the_outer_cutoff(daily_series):
    model = fc.models.get("auto", candidates=FAST)
    cutoffs = fc.make_cutoffs(daily_series, h=7, n_windows=1)
    cutoff = cutoffs["cutoff"].iloc[0]
    clean = fc.backtest(daily_series, model, h=7, cutoffs=cutoffs)
    poisoned = daily_series.assign(y=np.where(daily_series["ds"] > cutoff, 1e12, daily_series["y"]))
    dirty = fc.backtest(poisoned, model, h=7, cutoffs=cutoffs)
    pd.testing.assert_frame_equal(clean.drop(columns="y"), dirty.drop(columns="y"))


# ------------------------------------------------------------------ conformal calibration
def _noise_series(seed: int, n: int = 80) -> pd.DataFrame:
    return _frame(100 + np.random.default_rng(seed).normal(0, 5, n))


@pytest.mark.parametrize(("windows", "steps"), [(19, 3), (3, 30)])
def test_conformal_coverage_of_correlated_errors_is_near_nominal(windows, steps):
    rng = np.random.default_rng(0)
    sd = np.linspace(1, 3, steps)
    covered = {80: [], 95: []}
    for _ in range(600):
        errors = rng.normal(0, 1, (windows + 1, steps))
        for j in range(1, steps):  # AR(1) across steps, as multi-step errors are
            errors[:, j] = 0.8 * errors[:, j - 1] + 0.6 * errors[:, j]
        errors *= sd
        intervals = Conformal(errors[:windows]).intervals(np.zeros(steps), (80, 95))
        for level, (lo, hi) in intervals.items():
            covered[level].extend((lo <= errors[windows]) & (errors[windows] <= hi))
    assert abs(100 * np.mean(covered[80]) - 80) <= 3
    assert abs(100 * np.mean(covered[95]) - 95) <= 5


def test_conformal_intervals_are_corrected_quantiles_of_pooled_absolute_residuals():
    residuals = np.array([[1.0, -2.0, 0.0], [-3.0, 4.0, 1.0], [0.5, 1.0, -6.0]])
    point = np.array([10.0, 20.0, 30.0])
    lo, hi = Conformal(residuals, radius=1).intervals(point, (80,))[80]
    pooled = [
        np.abs(residuals[:, [0, 0, 1]]),
        np.abs(residuals[:, [0, 1, 2]]),
        np.abs(residuals[:, [1, 2, 2]]),
    ]
    for step, scores in enumerate(pooled):
        width = np.quantile(scores.ravel(), 0.8 * 10 / 9)
        assert hi[step] == pytest.approx(point[step] + width)
        assert lo[step] == pytest.approx(point[step] - width)
    lo, hi = Conformal(residuals, radius=0).intervals(point, (95,))[95]
    np.testing.assert_allclose(hi - point, np.abs(residuals).max(axis=0))


@settings(max_examples=50, deadline=None)
@given(
    arrays(
        np.float64, st.tuples(st.integers(1, 6), st.integers(1, 5)), elements=st.floats(-1e3, 1e3)
    ),
    st.lists(st.floats(1, 99), min_size=1, max_size=4, unique=True),
    st.integers(1, 8),
)
def test_conformal_intervals_nest_around_the_point(residuals, levels, h):
    point = np.linspace(0, 1, h)
    intervals = Conformal(residuals).intervals(point, sorted(levels))
    inner_lo = inner_hi = point
    for level in sorted(levels):
        lo, hi = intervals[level]
        assert np.all(lo <= inner_lo + 1e-9) and np.all(hi >= inner_hi - 1e-9)
        inner_lo, inner_hi = lo, hi


def test_conformal_paths_are_the_point_plus_a_whole_window_of_residuals():
    residuals = np.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 5.0]])
    point = np.array([10.0, 10.0, 10.0])
    paths = Conformal(residuals, radius=0).paths(point, 500, np.random.default_rng(0))
    rows = {tuple(r) for r in residuals} | {tuple(-r) for r in residuals}
    assert paths.shape == (500, 3)
    assert {tuple(p - point) for p in paths} == rows


def test_conformal_extrapolates_past_the_calibrated_horizon_by_sqrt_steps():
    residuals = np.array([[1.0, 2.0], [-1.0, -4.0]])
    spread = Conformal(residuals).spread(8)
    np.testing.assert_allclose(spread[:, 7], residuals[:, 1] * np.sqrt(8 / 2))


def test_calibrated_auto_paths_agree_with_its_intervals_and_repeat_by_seed(daily_series):
    model = fc.models.get("auto", candidates=FAST, n_windows=10, calibrate=True).fit(daily_series)
    assert model.calibrated_
    paths = model.sample(7, 4000, seed=1)
    assert paths.shape == (4000, 7)
    np.testing.assert_array_equal(paths, model.sample(7, 4000, seed=1))
    frame = model.predict(7, levels=(50, 80))
    for level in (50, 80):  # every step of the paths falls inside the L% band in L% of draws
        lo, hi = frame[f"yhat_lo_{level}"].to_numpy(), frame[f"yhat_hi_{level}"].to_numpy()
        inside = ((paths >= lo) & (paths <= hi)).mean(axis=0)
        np.testing.assert_allclose(inside, level / 100, atol=0.03)


def test_calibrated_auto_residuals_are_those_of_its_inner_backtest(daily_series):
    model = fc.models.get("auto", candidates=FAST, calibrate=True).fit(daily_series)
    scores = model.scores_
    y = daily_series["y"].to_numpy()
    current = np.mean(np.abs(y[7:] - y[:-7]))
    windows = [y[: len(y) - 7 * k] for k in (3, 2, 1)]
    divisors = np.array([np.mean(np.abs(w[7:] - w[:-7])) for w in windows])
    np.testing.assert_allclose(scores.scales, divisors)
    expected = (scores.actuals - scores.forecasts[model.chosen_]) * current / divisors[:, None]
    np.testing.assert_allclose(model.conformal_.base.residuals, expected)


def test_a_longer_forecast_gets_its_own_calibration_whatever_the_order(daily_series):
    first = fc.models.get("auto", candidates=FAST, h=7, calibrate=True).fit(daily_series)
    second = fc.models.get("auto", candidates=FAST, h=7, calibrate=True).fit(daily_series)
    long_first = first.predict(14)
    first.predict(7)
    second.predict(7)
    pd.testing.assert_frame_equal(long_first, second.predict(14))
    assert first.conformal_.get(14).horizon == 14


def test_combine_within_takes_the_median_of_close_candidates(daily_series):
    model = fc.models.get("auto", candidates=FAST, combine_within=10.0).fit(daily_series)
    assert model.chosen_ == "median(" + ", ".join(sorted(FAST, key=model.scores_.get)) + ")"
    points = np.vstack(
        [fc.models.get(m).fit(daily_series).predict(7, levels=())["yhat"] for m in FAST]
    )
    np.testing.assert_allclose(model.predict(7)["yhat"], np.median(points, axis=0))
    strict = fc.models.get("auto", candidates=FAST, combine_within=0.0).fit(daily_series)
    assert strict.chosen_ == min(strict.scores_, key=strict.scores_.get)


def test_bad_calibration_parameters_raise():
    with pytest.raises(ConfigError, match="combine_within"):
        fc.models.get("auto", candidates=FAST, combine_within=-0.1)
    with pytest.raises(ConfigError, match="calibrate"):
        fc.models.get("auto", candidates=FAST, calibrate="yes")


def test_a_calibrated_combination_of_a_short_series_uses_fewer_shorter_windows():
    t = np.arange(20.0)
    df = pd.DataFrame(
        {"unique_id": "s", "ds": pd.date_range("2024-01-01", periods=20), "y": 50 + t + t % 3}
    )
    members = ["naive", "drift"]
    model = fc.models.get("auto", members=members, calibrate=True, h=7).fit(df)
    # 3 windows of 7 days do not fit in 20 with the 3 observations drift needs before them
    assert model.calibrated_ and model.scores_.actuals.shape == (3, 5)
    assert model.conformal_.base.residuals.shape == (3, 5)
    frame = model.predict(7, levels=(80, 95))
    assert (frame["yhat_lo_95"] <= frame["yhat_lo_80"]).all()
    assert (frame["yhat_hi_95"] >= frame["yhat_hi_80"]).all()
    with pytest.warns(fc.ForecastWarning, match=r"'auto': no calibration for series 's'"):
        tiny = fc.models.get("auto", members=["naive", "ets"], calibrate=True, h=7).fit(df.iloc[:4])
    assert not tiny.calibrated_ and tiny.params_["calibration"].startswith("off: ")


def test_the_choice_on_a_short_series_is_scored_on_fewer_shorter_windows(twelve_months):
    df = twelve_months
    model = fc.models.get("auto", candidates=["naive", "drift", "theta"]).fit(df)
    # 3 windows of 12 months do not fit; theta needs 4 observations, leaving room for 3 of 2
    assert model.params_["inner_windows"] == "3 windows of 2 steps"
    assert model.scores_.actuals.shape == (3, 2)
    assert model.chosen_ in ("naive", "drift", "theta")
    with pytest.raises(fc.HistoryError, match="inner backtest needs more than"):
        fc.models.get("auto", candidates=["naive", "drift", "theta"]).fit(df.iloc[:5])


# ------------------------------------------------------------------------------ combination
def _monthly(n: int, seed: int = 0) -> pd.DataFrame:
    t = np.arange(n)
    rng = np.random.default_rng(seed)
    y = 200 + 2 * t + 20 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 4, n)
    return pd.DataFrame(
        {"unique_id": "s", "ds": pd.date_range("2015-01-01", periods=n, freq="MS"), "y": y}
    )


def _alone(members: list[str], series: pd.DataFrame, h: int, levels=(80, 95)) -> list:
    """Each member alone, uncalibrated as auto fits the members it is given by name."""
    return [
        fc.models.get(m, calibrate=False).fit(series).predict(h, levels=levels) for m in members
    ]


@pytest.mark.parametrize("combine", ["mean", "median"])
def test_the_combination_is_the_mean_or_median_of_its_members(combine):
    series = _monthly(48)
    members = ["naive", "drift", "theta"]
    model = fc.models.get("auto", members=members, combine=combine, calibrate=False)
    model.fit(series)
    frames = _alone(members, series, 9)
    how = np.mean if combine == "mean" else np.median
    out = model.predict(9)
    for column in ("yhat", "yhat_lo_80", "yhat_hi_80", "yhat_lo_95", "yhat_hi_95"):
        expected = how(np.stack([f[column] for f in frames]), axis=0)
        np.testing.assert_allclose(out[column], expected)
    assert model.chosen_ == f"{combine}(naive, drift, theta)"
    assert model.weights_ == pytest.approx(dict.fromkeys(members, 1 / 3))
    assert model.scores_ is None and not model.calibrated_


def test_warm_start_starts_each_member_from_the_same_member_of_the_previous_fit():
    series = _monthly(48)
    previous = fc.models.get("auto", members=["ets", "naive"]).fit(series.iloc[:36])
    warm = fc.models.get("auto", members=["ets", "naive"])
    warm.warm_start(previous)
    warm.fit(series)
    before, after = dict(previous.members_)["ets"], dict(warm.members_)["ets"]
    assert after._warm_params.keys() == before.estimates_.keys()
    for spec, params in before.estimates_.items():
        np.testing.assert_array_equal(after._warm_params[spec], params)
    assert warm._warm_members == {}  # no earlier window's model is held
    cold = fc.models.get("auto", members=["ets", "naive"]).fit(series)
    assert after.params_["spec"] == dict(cold.members_)["ets"].params_["spec"]
    with pytest.raises(ConfigError):
        warm.warm_start(fc.models.get("ets").fit(series))


def test_a_backtest_of_auto_chains_its_windows_through_warm_starts():
    series = _monthly(60)
    auto = fc.models.get("auto", members=["ets", "drift"])
    bt = fc.backtest(series, {"auto": auto}, h=6, n_windows=3, levels=())
    cutoffs = sorted(bt["cutoff"].unique())
    previous = None
    for cutoff in cutoffs:
        model = auto.clone()
        if previous is not None:
            model.warm_start(previous)
        model.fit(series.loc[series["ds"] <= cutoff])
        got = bt.loc[bt["cutoff"] == cutoff, "yhat"].to_numpy()
        np.testing.assert_array_equal(got, model.predict(6, levels=())["yhat"].to_numpy())
        previous = model


@pytest.mark.slow
def test_the_default_members_are_ets_arima_and_dotm():
    series = _monthly(60)
    model = fc.models.get("auto").fit(series)
    assert model.params_["members"] == list(DEFAULT_MEMBERS) == ["ets", "arima", "dotm"]
    assert DEFAULT_MEMBER_MIN_HISTORY == {"arima": 50}
    assert model.params_["dropped"] == {} and "no inner backtest" in model.params_["why"]
    frames = _alone(list(DEFAULT_MEMBERS), series, 12, levels=())
    expected = np.mean(np.stack([f["yhat"] for f in frames]), axis=0)
    np.testing.assert_allclose(model.predict(12, levels=())["yhat"], expected)
    assert set(model.params_["member_params"]) == set(DEFAULT_MEMBERS)


def test_paths_have_the_members_quantiles_averaged_and_repeat_by_seed():
    series = _monthly(48)
    members = ["naive", "drift", "theta"]
    model = fc.models.get("auto", members=members, calibrate=False).fit(series)
    paths = model.sample(6, 500, seed=4)
    np.testing.assert_array_equal(paths, model.sample(6, 500, seed=4))
    rng = np.random.default_rng(4)
    fitted = [fc.models.get(m, calibrate=False).fit(series) for m in members]
    draws = [m.sample(6, 500, seed=int(rng.integers(2**31))) for m in fitted]
    sorted_mean = np.mean([np.sort(d, axis=0) for d in draws], axis=0)
    np.testing.assert_allclose(np.sort(paths, axis=0), sorted_mean)
    # the order of the paths within a step follows the draw-by-draw mean of the members
    template = np.mean(draws, axis=0)
    for step in range(6):
        assert np.array_equal(np.argsort(paths[:, step]), np.argsort(template[:, step]))


@pytest.mark.parametrize("n", [3, 5, 9])
def test_a_short_series_drops_the_members_it_cannot_fit_and_says_so(n):
    series = _monthly(n)
    model = fc.models.get("auto").fit(series)
    needs = {m: fc.models.get(m).capabilities.min_history for m in DEFAULT_MEMBERS}
    kept = [m for m in DEFAULT_MEMBERS if needs[m] <= n]
    assert set(model.dropped_) >= {m for m in DEFAULT_MEMBERS if needs[m] > n}
    for label in model.dropped_:
        assert label in DEFAULT_MEMBERS and model.params_["dropped"][label]
    out = model.predict(4)
    assert np.isfinite(out.drop(columns="ds").to_numpy()).all()
    if not set(kept) - set(model.dropped_):
        assert model.chosen_ == "naive" and "no member" in model.params_["why"]
        pd.testing.assert_frame_equal(out, fc.models.get("naive").fit(series).predict(4))


def test_a_single_point_is_too_short_even_for_auto():
    with pytest.raises(HistoryError):
        fc.models.get("auto").fit(_monthly(1))


def test_members_and_candidates_together_or_a_bad_combine_raise():
    with pytest.raises(ConfigError, match="not both"):
        fc.models.get("auto", members=FAST, candidates=FAST)
    with pytest.raises(ConfigError, match="members"):
        fc.models.get("auto", members=[])
    with pytest.raises(ConfigError, match="combine"):
        fc.models.get("auto", combine="vote")


@pytest.mark.parametrize("n", [15, 19, 20, 30])
def test_a_member_joins_only_series_as_long_as_its_member_min_history(n):
    series = _monthly(n)
    members = ["naive", "drift", "theta"]
    model = fc.models.get("auto", members=members, member_min_history={"drift": 20}).fit(series)
    kept = members if n >= 20 else ["naive", "theta"]
    assert model.params_["members"] == kept
    if n < 20:
        assert "member_min_history" in model.dropped_["drift"]
        assert f"the series has {n}" in model.params_["dropped"]["drift"]
    expected = np.mean(np.stack([f["yhat"] for f in _alone(kept, series, 5, levels=())]), axis=0)
    np.testing.assert_allclose(model.predict(5, levels=())["yhat"], expected)


@settings(max_examples=30, deadline=None)
@given(st.integers(4, 40), st.integers(1, 45))
def test_a_gated_member_is_in_the_combination_exactly_when_the_series_is_long_enough(n, gate):
    model = fc.models.get(
        "auto", members=["naive", "drift"], member_min_history={"drift": gate}
    ).fit(_monthly(n))
    assert ("drift" in model.params_["members"]) == (n >= gate)
    assert ("drift" in model.dropped_) == (n < gate)
    assert "naive" in model.params_["members"]


def test_the_default_rule_gates_its_members_and_given_members_are_not_gated():
    series = _monthly(12)
    default = fc.models.get("auto").fit(series)
    for label, need in DEFAULT_MEMBER_MIN_HISTORY.items():
        assert label in default.dropped_ and f"{need} observations" in default.dropped_[label]
    given = fc.models.get("auto", members=["naive", "drift"]).fit(series)
    assert given.params_["members"] == ["naive", "drift"] and given.dropped_ == {}


@pytest.mark.parametrize(
    "params",
    [
        {"member_min_history": {"arima": 0}},
        {"member_min_history": {"arima": True}},
        {"member_min_history": {"arima": 2.5}},
        {"member_min_history": ["arima"]},
        {"member_min_history": {"naive": 5}, "candidates": FAST},
    ],
)
def test_a_bad_member_min_history_raises(params):
    with pytest.raises(ConfigError, match="member_min_history"):
        fc.models.get("auto", **params)


def test_a_calibrated_combination_uses_the_combined_inner_residuals(daily_series):
    members = ["naive", "drift", "seasonal_naive"]
    model = fc.models.get("auto", members=members, calibrate=True, h=7).fit(daily_series)
    assert model.calibrated_
    scores = model.scores_
    combined = np.mean(np.stack([scores.forecasts[m] for m in members]), axis=0)
    y = daily_series["y"].to_numpy()
    current = np.mean(np.abs(y[7:] - y[:-7]))
    expected = (scores.actuals - combined) * current / scores.scales[:, None]
    np.testing.assert_allclose(model.conformal_.base.residuals, expected)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.floats(1, 1e4), min_size=2, max_size=20),
    st.sampled_from(["mean", "median"]),
)
def test_every_series_of_two_points_or_more_gets_nested_intervals(values, combine):
    series = _frame(np.asarray(values))
    model = fc.models.get("auto", members=["drift", "theta", "naive"], combine=combine)
    out = model.fit(series).predict(5, levels=(50, 80, 95))
    assert np.isfinite(out["yhat"]).all()
    for inner, outer in ((50, 80), (80, 95)):
        assert (out[f"yhat_lo_{outer}"] <= out[f"yhat_lo_{inner}"] + 1e-9).all()
        assert (out[f"yhat_hi_{outer}"] >= out[f"yhat_hi_{inner}"] - 1e-9).all()
    assert (out["yhat_lo_50"] <= out["yhat"] + 1e-9).all()
    assert (out["yhat"] <= out["yhat_hi_50"] + 1e-9).all()


# ------------------------------------------------------------------------------- covariates
def _with_spend(n: int = 60, h: int = 6) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(3)
    ds = pd.date_range("2018-01-01", periods=n + h, freq="MS")
    spend = rng.uniform(0, 10, n + h)
    y = 100 + 0.5 * np.arange(n) + 4 * spend[:n] + rng.normal(0, 1, n)
    series = pd.DataFrame({"unique_id": "s", "ds": ds[:n], "y": y})
    return series, pd.DataFrame({"ds": ds, "spend": spend})


def test_covariates_go_to_the_members_that_take_them_only():
    series, covariates = _with_spend()
    members = ["arima", "theta"]
    model = fc.models.get("auto", members=members).fit(series, covariates=covariates)
    assert model.params_["members_with_covariates"] == ["arima"]
    assert model.params_["members_without_covariates"] == ["theta"]
    arima = fc.models.get("arima").fit(series, covariates=covariates)
    theta = fc.models.get("theta").fit(series)
    expected = (
        arima.predict(6, levels=(), covariates=covariates)["yhat"]
        + theta.predict(6, levels=())["yhat"]
    ) / 2
    out = model.predict(6, covariates=covariates)
    np.testing.assert_allclose(out["yhat"], expected)
    assert model.sample(6, 50, covariates=covariates).shape == (50, 6)
    with pytest.raises(ForecastError):
        model.predict(6)


def test_the_choice_and_calibration_refuse_covariates():
    series, covariates = _with_spend()
    for params in ({"candidates": ["arima", "naive"]}, {"members": ["arima"], "calibrate": True}):
        with pytest.raises(CapabilityError, match="covariates"):
            fc.models.get("auto", **params).fit(series, covariates=covariates)
