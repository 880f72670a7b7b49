"""Tests of the Bass diffusion model: recovery, coverage, published estimates, bounds, priors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import forecast as fc
from forecast.errors import ConfigError, HistoryError
from forecast.models import _curvefit as cf
from forecast.models.bass import DEFAULT_BASS_PRIOR, BassDiffusion, bass_cumulative, bass_density

TRUE_M, TRUE_P, TRUE_Q = 1_000_000.0, 0.01, 0.15


def _bass_adoptions(t: np.ndarray, p: float, q: float, m: float) -> np.ndarray:
    return bass_cumulative(t, p, q, m) - bass_cumulative(t - 1, p, q, m)


def _synthetic(n: int, noise: float, seed: int, start: str = "2020-01-01") -> pd.DataFrame:
    """Monthly adoptions of a Bass process (m = 1e6, p = 0.01, q = 0.15) plus Gaussian noise
    of sd ``noise`` times the peak adoption."""
    t = np.arange(1, n + 1)
    clean = _bass_adoptions(t, TRUE_P, TRUE_Q, TRUE_M)
    rng = np.random.default_rng(seed)
    y = clean + rng.normal(0.0, noise * clean.max(), n)
    return pd.DataFrame(
        {"unique_id": "s", "ds": pd.date_range(start, periods=n, freq="MS"), "y": y}
    )


@pytest.mark.parametrize("form", ["interval", "density"])
def test_recovers_parameters_from_dense_adoptions(form: str) -> None:
    # 60 months, noise 2% of the peak; the density form is fitted to data made with the
    # interval form, so its p is biased low (f(t) lags the interval mean by about half a step).
    data = _synthetic(60, 0.02, seed=3)
    model = BassDiffusion(prior=None, form=form).fit(data)
    assert model.params_["m"] == pytest.approx(TRUE_M, rel=0.03)
    assert model.params_["q"] == pytest.approx(TRUE_Q, rel=0.05)
    assert model.params_["p"] == pytest.approx(TRUE_P, rel=0.08 if form == "interval" else 0.35)


def test_recovers_parameters_from_cumulative() -> None:
    t = np.arange(1, 49)
    rng = np.random.default_rng(5)
    y = bass_cumulative(t, TRUE_P, TRUE_Q, TRUE_M) * np.exp(rng.normal(0, 0.02, t.size))
    data = pd.DataFrame({"ds": pd.date_range("2020-01-01", periods=48, freq="MS"), "y": y})
    model = BassDiffusion(target="cumulative", transform="log", prior=None).fit(data)
    assert model.params_["m"] == pytest.approx(TRUE_M, rel=0.05)
    assert model.params_["p"] == pytest.approx(TRUE_P, rel=0.1)
    assert model.params_["q"] == pytest.approx(TRUE_Q, rel=0.08)
    assert set(model.standard_errors_) == {"m", "p", "q"}
    assert all(v > 0 for v in model.standard_errors_.values())


def _pure_bass_market(periods: int, seed: int, noise: float) -> tuple[pd.DataFrame, pd.Series]:
    """One simulated product whose active base is the cumulative adoption of a discrete Bass
    process (p = 0.002, q = 0.04 a day, m = 1e6; retention close to 1: sBG alpha = 0.01,
    beta = 100, churn 1e-4 a day; no scale effect, seasonality or events), with log-normal
    noise: its series and its true parameters."""
    data = fc.datasets.simulate_market(
        n_products=1,
        periods=periods,
        seed=seed,
        p=0.002,
        q=0.04,
        market_size=1e6,
        retention={"alpha": 0.01, "beta": 100.0},
        scale_effect=0.0,
        seasonality=0.0,
        noise=noise,
        retention_ages=(),
    )
    return data.series[["unique_id", "ds", "y"]], data.truth.params.iloc[0]


def test_recovers_parameters_from_simulated_market() -> None:
    series, truth = _pure_bass_market(periods=365, seed=2, noise=0.02)
    model = BassDiffusion(target="level", transform="log", prior=None).fit(series)
    assert model.params_["m"] == pytest.approx(truth["m"], rel=0.05)
    assert model.params_["p"] == pytest.approx(truth["p"], rel=0.15)
    assert model.params_["q"] == pytest.approx(truth["q"], rel=0.1)


@pytest.mark.slow
def test_interval_coverage_over_seeds() -> None:
    # 40 seeds of 36 noisy monthly adoptions (noise 5% of the peak); the 80% intervals of the
    # next 12 months are scored against fresh noisy observations, and the Laplace 90% interval
    # of q (estimate +/- 1.645 se) against the true q. Observed: 0.77 (0.925 at 95%) and 0.90.
    horizon, covered, total, q_covered = 12, 0, 0, 0
    t_future = np.arange(37, 37 + horizon)
    clean_future = _bass_adoptions(t_future, TRUE_P, TRUE_Q, TRUE_M)
    peak = _bass_adoptions(np.arange(1, 100), TRUE_P, TRUE_Q, TRUE_M).max()
    seeds = range(40)
    for seed in seeds:
        data = _synthetic(36, 0.05, seed=seed)
        model = BassDiffusion(prior=None, calibrate=False).fit(data)  # its own bands
        forecast = model.predict(horizon, levels=(80,))
        actual = clean_future + np.random.default_rng(1000 + seed).normal(0, 0.05 * peak, horizon)
        inside = (forecast["yhat_lo_80"].to_numpy() <= actual) & (
            actual <= forecast["yhat_hi_80"].to_numpy()
        )
        covered += int(inside.sum())
        total += horizon
        q, se = model.params_["q"], model.standard_errors_["q"]
        q_covered += int(abs(q - TRUE_Q) <= 1.645 * se)
    assert 0.70 <= covered / total <= 0.90
    assert 0.80 <= q_covered / len(seeds) <= 0.98


@pytest.mark.slow
def test_interval_coverage_on_simulated_markets() -> None:
    # 40 seeds of simulate_market (one product, p = 0.002, q = 0.04 per day, m = 1e6, retention
    # close to one, 5% log-normal noise): fit on 120 days, score the 80% intervals of the next
    # 30 days and the Laplace 90% intervals of m and q. Observed: 0.80 for the forecasts, 0.90
    # for m, 0.80 for q. (p's 90% interval covers only 0.575: the simulator is a discrete-time
    # Bass recursion, which the continuous curve matches with a slightly biased p.)
    covered, total, hits = 0, 0, {"m": 0, "q": 0}
    for seed in range(40):
        series, truth = _pure_bass_market(periods=150, seed=seed, noise=0.05)
        model = BassDiffusion(target="level", transform="log", prior=None, calibrate=False).fit(
            series.iloc[:120]
        )
        forecast = model.predict(30, levels=(80,))
        actual = series["y"].to_numpy()[120:]
        covered += int(
            ((forecast["yhat_lo_80"] <= actual) & (actual <= forecast["yhat_hi_80"])).sum()
        )
        total += 30
        for name in hits:
            hits[name] += int(
                abs(model.params_[name] - truth[name]) <= 1.645 * model.standard_errors_[name]
            )
    assert 0.70 <= covered / total <= 0.90
    assert 0.80 <= hits["m"] / 40 <= 0.98
    assert 0.70 <= hits["q"] / 40 <= 0.98


# Published rounded estimates (Bass 1969 and later compilations, as quoted in
# ../shared/data/facts/README.md): room air conditioners p = 0.010, q = 0.42; clothes dryers
# p = 0.017, q = 0.36; colour TV p = 0.005, q = 0.84. They come from Bass's OLS regression on
# spans and origins that differ from the table here; nonlinear least squares (Srinivasan and
# Mason 1986) on the full spans, with the interval form and t = 1 for the first year, gives
# the closest values of the variants we tried (the density form gives p 15-20% lower, an
# earlier launch lowers p further). Tolerances: p within 0.004 and q within 0.05 absolute.
CLASSICS = {
    "room_air_conditioners": (0.010, 0.42),
    "clothes_dryers": (0.017, 0.36),
}


def _classic(shared_data, product: str) -> pd.DataFrame:
    table = pd.read_csv(shared_data / "facts" / "bass_classic_sales.csv")
    rows = table[table["product"] == product]
    return pd.DataFrame(
        {
            "ds": pd.to_datetime(rows["year"].astype(str) + "-01-01"),
            "y": rows["sales"].astype(float),
        }
    )


@pytest.mark.parametrize("product", sorted(CLASSICS))
def test_classic_sales_near_published_estimates(shared_data, product: str) -> None:
    p, q = CLASSICS[product]
    model = BassDiffusion(prior=None).fit(_classic(shared_data, product))
    assert model.params_["p"] == pytest.approx(p, abs=0.004)
    assert model.params_["q"] == pytest.approx(q, abs=0.05)


def test_colour_tv_imitation_near_published_on_the_early_span(shared_data) -> None:
    # Colour TV's q = 0.84 describes the boom before the 1969-1970 downturn: fitted to
    # 1963-1968 the imitation coefficient is 0.78 (within 0.08); on 1963-1970 it is 0.62.
    # Its p (published 0.005) depends on when colour TV was launched (1954), which the table,
    # starting in 1963, does not carry: with t = 1 in 1963 p is 0.016, so only q is checked.
    data = _classic(shared_data, "color_televisions")
    early = BassDiffusion(prior=None).fit(data.iloc[:6])
    assert early.params_["q"] == pytest.approx(0.84, abs=0.08)
    full = BassDiffusion(prior=None).fit(data)
    assert full.params_["q"] < early.params_["q"] - 0.1


def test_classic_dataset_bundled_matches_shared_table(shared_data) -> None:
    bundled = fc.datasets.load("diffusion-classics").series
    ids = bundled["unique_id"].unique()
    air = bundled[bundled["unique_id"] == next(i for i in ids if "air" in i)]
    model = BassDiffusion(prior=None).fit(air[["unique_id", "ds", "y"]])
    assert model.params_["p"] == pytest.approx(0.010, abs=0.004)
    assert model.params_["q"] == pytest.approx(0.42, abs=0.05)


def test_fit_lands_at_or_above_a_lower_bound() -> None:
    data = _synthetic(24, 0.02, seed=1)
    bound_row = 18
    bound = float(data["y"].iloc[bound_row]) * 1.3
    data.loc[bound_row, "y"] = bound
    data["qualifier"] = "="
    data.loc[bound_row, "qualifier"] = ">="
    model = BassDiffusion(prior=None).fit(data)
    fitted = model.fitted()["yhat"].to_numpy()
    assert fitted[bound_row] >= bound
    below = data.assign(qualifier=lambda d: np.where(d.index == bound_row, "=", d["qualifier"]))
    plain = BassDiffusion(prior=None).fit(below)
    assert plain.fitted()["yhat"].iloc[bound_row] < bound


def test_upper_bound_is_respected() -> None:
    data = _synthetic(24, 0.02, seed=4)
    data["qualifier"] = "="
    bound = float(data["y"].iloc[20]) * 0.8
    data.loc[20, ["y", "qualifier"]] = [bound, "<="]
    model = BassDiffusion(prior=None).fit(data)
    assert model.fitted()["yhat"].iloc[20] <= bound


def test_a_satisfied_bound_costs_nothing() -> None:
    data = _synthetic(30, 0.02, seed=6)
    plain = BassDiffusion(prior=None).fit(data)
    loose = pd.concat(
        [
            data,
            pd.DataFrame(
                {
                    "unique_id": "s",
                    "ds": [pd.Timestamp("2022-07-01")],
                    "y": [1.0],
                    "qualifier": [">="],
                }
            ),
        ],
        ignore_index=True,
    ).assign(qualifier=lambda d: d["qualifier"].fillna("="))
    bounded = BassDiffusion(prior=None).fit(loose)
    for name in ("m", "p", "q"):
        assert bounded.params_[name] == pytest.approx(plain.params_[name], rel=1e-4)


def test_approximate_points_pull_less() -> None:
    data = _synthetic(24, 0.01, seed=7).assign(qualifier="=")
    data.loc[12, "y"] *= 2.0
    exact = BassDiffusion(prior=None).fit(data).fitted()["yhat"].iloc[12]
    approx = (
        BassDiffusion(prior=None)
        .fit(data.assign(qualifier=np.where(data.index == 12, "~", "=")))
        .fitted()["yhat"]
        .iloc[12]
    )
    clean = _bass_adoptions(np.array([13.0]), TRUE_P, TRUE_Q, TRUE_M)[0]
    assert abs(approx - clean) < abs(exact - clean)


def test_default_prior_is_rescaled_to_the_step() -> None:
    spec: cf.PriorSpec = {"m": (0, "scale"), "p": (1, "rate"), "q": (2, "rate")}
    day = cf.step_in_years(pd.Timestamp("2024-01-01"), pd.offsets.Day(1))
    mean, sd = cf.log_prior(DEFAULT_BASS_PRIOR, spec, 3, day, 1.0, "bass")
    assert day == pytest.approx(1 / 365.25, rel=1e-3)
    assert np.exp(mean[1]) == pytest.approx(0.03 / 365.25, rel=1e-3)
    assert np.exp(mean[2]) == pytest.approx(0.38 / 365.25, rel=1e-3)
    assert np.isnan(mean[0]) and sd[1] == 1.5
    quarter = cf.step_in_years(pd.Timestamp("2024-01-01"), pd.offsets.QuarterBegin(startingMonth=1))
    assert quarter == pytest.approx(0.25, rel=0.01)


def test_prior_makes_a_handful_of_points_identifiable() -> None:
    # Four yearly points at the start of a diffusion cannot pin m, p and q; the default
    # prior keeps p and q near the meta-analysis averages and the intervals are wide.
    t = np.arange(1, 5)
    y = _bass_adoptions(t, 0.03, 0.38, 1e6) * np.array([1.02, 0.97, 1.01, 0.99])
    data = pd.DataFrame({"ds": pd.date_range("2010-01-01", periods=4, freq="YS"), "y": y})
    model = BassDiffusion().fit(data)
    assert 0.003 < model.params_["p"] < 0.3
    assert 0.04 < model.params_["q"] < 4.0
    forecast = model.predict(5, levels=(95,))
    width = forecast["yhat_hi_95"] - forecast["yhat_lo_95"]
    assert np.all(width.to_numpy() > 0.2 * forecast["yhat"].to_numpy())


def test_market_size_bounds_or_fixes_m() -> None:
    data = _synthetic(40, 0.02, seed=8)
    capped = BassDiffusion(prior=None, market_size=8e5).fit(data)
    assert capped.params_["m"] <= 8e5 * (1 + 1e-9)
    fixed = BassDiffusion(prior=None, market_size=1.2e6, fix_market_size=True).fit(data)
    assert fixed.params_["m"] == pytest.approx(1.2e6)
    paths = fixed.sample(6, n=50, seed=1)
    assert paths.shape == (50, 6)


def test_sample_is_seeded_and_predict_deterministic() -> None:
    model = BassDiffusion(prior=None).fit(_synthetic(30, 0.03, seed=9))
    assert np.array_equal(model.sample(5, n=20, seed=3), model.sample(5, n=20, seed=3))
    assert not np.array_equal(model.sample(5, n=20, seed=3), model.sample(5, n=20, seed=4))
    pd.testing.assert_frame_equal(model.predict(5), model.predict(5))


def test_bootstrap_intervals_are_close_to_laplace() -> None:
    data = _synthetic(36, 0.04, seed=10)
    laplace = BassDiffusion(prior=None).fit(data).predict(6, levels=(80,))
    boot = (
        BassDiffusion(prior=None, interval_method="bootstrap", n_boot=60)
        .fit(data)
        .predict(6, levels=(80,))
    )
    width_l = (laplace["yhat_hi_80"] - laplace["yhat_lo_80"]).to_numpy()
    width_b = (boot["yhat_hi_80"] - boot["yhat_lo_80"]).to_numpy()
    np.testing.assert_allclose(width_b, width_l, rtol=0.3)


def test_irregular_dates_are_fractional_steps() -> None:
    ds = pd.to_datetime(["2024-01-01", "2024-02-01", "2024-02-16", "2024-05-01"])
    t = cf.step_times(ds, pd.Timestamp("2023-12-01"), pd.offsets.MonthBegin(1))
    np.testing.assert_allclose(t, [1.0, 2.0, 2.0 + 15 / 29, 5.0])
    days = cf.step_times(
        pd.to_datetime(["2024-03-10", "2024-03-25"]), pd.Timestamp("2024-03-01"), pd.offsets.Day(1)
    )
    np.testing.assert_allclose(days, [9.0, 24.0])


def _kimi_frame() -> pd.DataFrame:
    """Kimi's all-platform DAU from the bundled 'ai-assistants-cn' data, on a daily grid.

    The dataset dates a monthly figure on the first of its month. For a daily curve, the
    approximate October 2023 figure (about 100k, '~') is dated mid-month, and the March 2024
    bound (over 3M some day in March) at the month's end, which growing DAU then also
    exceeds; the daily bounds (at least 1.2M on 2024-03-10, 2.25M on 2024-03-25) stay.
    """
    series = fc.datasets.load("ai-assistants-cn").series
    kimi = series[series["unique_id"] == "kimi/dau/all"][
        ["unique_id", "ds", "y", "qualifier", "period"]
    ]
    monthly = kimi["period"].str.len() == 7
    month_end = kimi["ds"] + pd.offsets.MonthEnd(0)
    mid_month = kimi["ds"] + pd.Timedelta(days=14)
    kimi["ds"] = np.where(
        monthly, np.where(kimi["qualifier"] == ">=", month_end, mid_month), kimi["ds"]
    )
    return kimi.drop(columns="period").sort_values("ds").reset_index(drop=True)


def test_kimi_frame_holds_the_reported_figures() -> None:
    kimi = _kimi_frame().set_index("ds")
    assert kimi.loc[pd.Timestamp("2024-03-25"), ["y", "qualifier"]].tolist() == [2_250_000.0, ">="]
    assert kimi.loc[pd.Timestamp("2024-03-10"), ["y", "qualifier"]].tolist() == [1_200_000.0, ">="]
    assert kimi.loc[pd.Timestamp("2024-03-31"), "qualifier"] == ">="
    assert kimi.loc[pd.Timestamp("2023-10-15"), "qualifier"] == "~"


def test_kimi_dau_projection_respects_bounds() -> None:
    model = BassDiffusion(target="level", transform="log", sigma=0.3, launch="2023-10-01").fit(
        _kimi_frame()
    )
    fitted = model.fitted().set_index("ds")["yhat"]
    assert fitted[pd.Timestamp("2024-03-25")] >= 2_250_000
    assert fitted[pd.Timestamp("2024-03-10")] >= 1_200_000
    forecast = model.predict(90, levels=(80, 95))
    assert len(forecast) == 90 and forecast["ds"].iloc[-1] == pd.Timestamp("2024-06-29")
    assert np.all(np.diff(forecast["yhat"].to_numpy()) > 0)
    ratio = forecast["yhat_hi_80"] / forecast["yhat_lo_80"]
    assert np.all(ratio.to_numpy() > 2.0)


def test_too_few_points_ask_for_sigma() -> None:
    with pytest.raises(HistoryError, match="sigma="):
        BassDiffusion(target="level", transform="log").fit(_kimi_frame())


def test_bad_options_raise() -> None:
    with pytest.raises(ConfigError):
        BassDiffusion(target="cumulative", form="density")
    with pytest.raises(ConfigError):
        BassDiffusion(fix_market_size=True)
    with pytest.raises(ConfigError, match="launch"):
        BassDiffusion(launch="2030-01-01").fit(_synthetic(12, 0.02, seed=0))
    with pytest.raises(ConfigError, match="no prior"):
        BassDiffusion(prior={"r": (1.0, 1.0)}).fit(_synthetic(12, 0.02, seed=0))


def test_registered_with_capabilities() -> None:
    table = fc.models.available().set_index("name")
    assert table.loc["bass", "irregular"] and table.loc["bass", "bounds"]
    assert isinstance(fc.models.get("bass", prior=None), BassDiffusion)


@settings(max_examples=60, deadline=None)
@given(st.floats(1e-4, 0.1), st.floats(1e-3, 1.0), st.floats(1.0, 1e9))
def test_bass_adoption_is_increasing_and_bounded(p: float, q: float, m: float) -> None:
    n = bass_cumulative(np.arange(0, 200), p, q, m)
    assert np.all(np.diff(n) >= 0) and np.all(n <= m)
    assert np.all(bass_density(np.arange(0, 200), p, q, m) >= 0)


def test_intervals_are_quantiles_of_the_sample_paths() -> None:
    # predict and sample share one machinery: with the model's seed and as many paths as
    # predict draws, the 80% interval is the 10% and 90% quantiles of the paths.
    model = BassDiffusion(prior=None, calibrate=False).fit(_synthetic(30, 0.03, seed=11))
    forecast = model.predict(6, levels=(80,))
    paths = model.sample(6, n=cf.PREDICT_DRAWS, seed=model.seed)
    lo, hi = np.quantile(paths, [0.1, 0.9], axis=0)
    np.testing.assert_allclose(forecast["yhat_lo_80"], np.minimum(lo, forecast["yhat"]))
    np.testing.assert_allclose(forecast["yhat_hi_80"], np.maximum(hi, forecast["yhat"]))


def test_drawn_curves_respect_the_bounds() -> None:
    model = BassDiffusion(target="level", transform="log", sigma=0.3, launch="2023-10-01").fit(
        _kimi_frame()
    )
    fit = model.curve_fit_
    thetas, _ = fit.draw(500, np.random.default_rng(0))
    bounded = fit.problem.lower_bounds
    curves = fit.problem.curve(thetas, fit.problem.t[bounded])
    assert np.all(curves >= fit.problem.y[bounded])


def test_runs_in_the_forecast_and_backtest_drivers() -> None:
    data = _synthetic(40, 0.03, seed=12)
    model = BassDiffusion(prior=None)
    forecast = fc.forecast(data, [model], h=6)
    assert forecast["model"].unique().tolist() == ["bass"] and len(forecast) == 6
    assert not model.is_fitted
    backtest = fc.backtest(data, {"bass": model}, h=6, n_windows=2)
    scores = fc.evaluate(backtest, metrics=["mase"])
    assert scores["mase"].iloc[0] < 1.0


def test_refit_replaces_state() -> None:
    model = BassDiffusion(prior=None).fit(_synthetic(30, 0.03, seed=13))
    first = dict(model.params_)
    model.fit(_synthetic(40, 0.03, seed=14).assign(y=lambda d: 2 * d["y"]))
    assert model.params_["m"] == pytest.approx(2 * first["m"], rel=0.1)
    assert model.n_obs_ == 40


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.005, 0.15), st.integers(8, 40))
def test_intervals_nest_for_any_noisy_history(seed: int, noise: float, n: int) -> None:
    forecast = (
        BassDiffusion(calibrate=False)
        .fit(_synthetic(n, noise, seed=seed))
        .predict(12, levels=(50, 80, 95))
    )
    assert np.all(forecast["yhat_lo_95"] <= forecast["yhat_lo_80"])
    assert np.all(forecast["yhat_lo_80"] <= forecast["yhat_lo_50"])
    assert np.all(forecast["yhat_lo_50"] <= forecast["yhat"])
    assert np.all(forecast["yhat"] <= forecast["yhat_hi_50"])
    assert np.all(forecast["yhat_hi_50"] <= forecast["yhat_hi_80"])
    assert np.all(forecast["yhat_hi_80"] <= forecast["yhat_hi_95"])
