"""``arima`` with covariates and holidays: regression with ARIMA errors (statsmodels SARIMAX
``exog``). A fixed order equals SARIMAX with the same regressors; the search recovers known
coefficients of simulated data; holidays become indicator regressors built from the calendar;
future values move the forecast linearly; constant covariates are dropped with a warning;
collinear covariates, missing future values and clashing names are refused; updates and paths
use the regressors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.tsa.statespace.sarimax import SARIMAX
from threadpoolctl import threadpool_limits

import forecast as fc
from forecast.errors import ConfigError, CovariateError, ForecastWarning
from forecast.holidays import holiday_covariates
from forecast.models._arima_decay import decayed
from forecast.models._arima_search import ArimaSpec, css_fit, exact_fit


@pytest.fixture(autouse=True, scope="module")
def single_blas_thread() -> Iterator[None]:
    """Direct statsmodels calls run on one BLAS thread, as the models do (much faster here)."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def simulate(
    seed: int, n: int = 300, h: int = 20, spend_effect: float = 3.0, promo_effect: float = 8.0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A daily series ``50 + 3 spend + 8 promo + u`` with AR(1) errors ``u`` (phi 0.6, sd 1).

    Returns the history (``n`` days) and the covariates of ``n + h`` days.
    """
    rng = np.random.default_rng(seed)
    spend = rng.normal(0, 1, n + h)
    promo = (rng.random(n + h) < 0.1).astype(float)
    u = np.zeros(n + h)
    shocks = rng.normal(0, 1, n + h)
    for t in range(1, n + h):
        u[t] = 0.6 * u[t - 1] + shocks[t]
    ds = pd.date_range("2022-01-01", periods=n + h, freq="D")
    y = 50 + spend_effect * spend + promo_effect * promo + u
    history = pd.DataFrame({"ds": ds[:n], "y": y[:n]})
    covariates = pd.DataFrame({"ds": ds, "spend": spend, "promo": promo})
    return history, covariates


def test_fixed_order_is_sarimax_with_exog() -> None:
    history, covariates = simulate(1)
    model = fc.models.get("arima", order=(1, 0, 0)).fit(history, covariates=covariates)
    x = covariates[["spend", "promo"]].to_numpy()
    direct = SARIMAX(history["y"].to_numpy(), exog=x[:300], order=(1, 0, 0), trend="c")
    # The same model: SARIMAX's filter at our estimates gives our forecasts and intervals.
    same = direct.smooth(np.asarray(model.results_.params))
    expected = same.get_forecast(20, exog=x[300:])
    out = model.predict(20, levels=(95,), covariates=covariates)
    np.testing.assert_allclose(out["yhat"], expected.predicted_mean, rtol=1e-10)
    np.testing.assert_allclose(out["yhat_lo_95"], expected.conf_int(alpha=0.05)[:, 0], rtol=1e-10)
    # Estimates at least as likely as SARIMAX's own fit (we start from the CSS estimates).
    fitted = direct.fit(disp=False, maxiter=500)
    assert model.results_.llf >= fitted.llf - 1e-6
    assert model.params_["spend"] == pytest.approx(fitted.params[1], rel=1e-3)
    assert model.covariates_ == ("spend", "promo") == model.regressors_


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_search_recovers_the_coefficients(seed: int) -> None:
    # The generalised least-squares standard errors of 300 days with AR(1) errors are about
    # 0.04 (spend, sd 1) and 0.13 (promo, 10% of days): the tolerances are four of them.
    history, covariates = simulate(seed)
    model = fc.models.get("arima").fit(history, covariates=covariates)
    assert model.params_["spend"] == pytest.approx(3.0, abs=0.16)
    assert model.params_["promo"] == pytest.approx(8.0, abs=0.52)


def test_long_series_search_exactly_unless_they_have_regressors() -> None:
    # approximation=None: CSS (with aicc_exact for the refined candidates) only where the
    # exact fits would be SARIMAX's, i.e. with regressors, on series longer than 150.
    history, covariates = simulate(6, n=200)
    alone = fc.models.get("arima").fit(history)
    with_regressors = fc.models.get("arima").fit(history, covariates=covariates)
    assert "aicc_exact" not in alone.candidates_.columns
    assert with_regressors.candidates_["aicc_exact"].notna().sum() == 1
    short = fc.models.get("arima").fit(history.iloc[:150], covariates=covariates.iloc[:170])
    assert "aicc_exact" not in short.candidates_.columns


def test_estimators_recover_the_coefficients_with_differences() -> None:
    # A random walk plus 3 x spend: the regression is estimated on the differenced series.
    rng = np.random.default_rng(5)
    spend = rng.normal(0, 1, 400)
    y = np.cumsum(rng.normal(0, 1, 400)) + 3.0 * spend
    spec = ArimaSpec(0, 1, 0)
    css = css_fit(y, spec, exog=spend[:, None])[0]
    exact = exact_fit(y, spec, 50, exog=spend[:, None])[0]
    assert css[0] == pytest.approx(3.0, abs=0.2)
    assert exact[0] == pytest.approx(css[0], abs=1e-3)


@pytest.fixture(scope="module")
def fixed() -> tuple[fc.models.BaseModel, pd.DataFrame]:
    """ARIMA(1,0,0) fitted on the series of seed 6, and its covariates (20 days ahead)."""
    history, covariates = simulate(6)
    model = fc.models.get("arima", order=(1, 0, 0)).fit(history, covariates=covariates)
    return model, covariates


@settings(max_examples=15, deadline=None)
@given(shift=st.floats(-5.0, 5.0), step=st.integers(0, 19))
def test_future_covariates_move_the_forecast_by_their_coefficient(
    fixed: tuple[fc.models.BaseModel, pd.DataFrame], shift: float, step: int
) -> None:
    model, covariates = fixed
    base = model.predict(20, levels=(), covariates=covariates)["yhat"].to_numpy()
    moved = covariates.copy()
    moved.loc[300 + step, "spend"] += shift
    out = model.predict(20, levels=(), covariates=moved)["yhat"].to_numpy()
    expected = base.copy()
    expected[step] += shift * model.params_["spend"]
    np.testing.assert_allclose(out, expected, atol=1e-8)


def test_paths_are_centred_on_the_forecast_with_the_future_covariates(
    fixed: tuple[fc.models.BaseModel, pd.DataFrame],
) -> None:
    model, covariates = fixed
    point = model.predict(20, levels=(), covariates=covariates)["yhat"].to_numpy()
    paths = model.sample(20, 4000, seed=1, covariates=covariates)
    spread = paths.std(axis=0)
    assert np.all(np.abs(paths.mean(axis=0) - point) < 4 * spread / np.sqrt(4000))


def test_update_extends_the_state_with_the_covariates() -> None:
    history, covariates = simulate(7, n=300, h=40)
    full, _ = simulate(7, n=320, h=20)
    model = fc.models.get("arima", order=(1, 0, 0)).fit(history, covariates=covariates)
    x = covariates[["spend", "promo"]].to_numpy()
    expected = model.results_.append(full["y"].to_numpy()[300:], exog=x[300:320], refit=False)
    model.update(full, covariates=covariates)
    out = model.predict(20, levels=(), covariates=covariates)
    np.testing.assert_allclose(out["yhat"], expected.forecast(20, exog=x[320:]), rtol=1e-9)


def test_country_holidays_are_indicator_regressors() -> None:
    rng = np.random.default_rng(8)
    ds = pd.date_range("2022-01-01", periods=900, freq="D")
    indicators = holiday_covariates("CN", ds)
    shocks = rng.normal(0, 1, len(ds))
    u = np.zeros(len(ds))
    for t in range(1, len(ds)):
        u[t] = 0.5 * u[t - 1] + shocks[t]
    y = 100 + 20 * indicators["holiday_national_day"].to_numpy() + u
    model = fc.models.get("arima", order=(1, 0, 0), holidays="CN").fit(
        pd.DataFrame({"ds": ds, "y": y})
    )
    assert model.covariates_ == ()
    assert "holiday_national_day" in model.regressors_
    # Three National Days of three days each: the standard error is about 0.4.
    assert model.params_["holiday_national_day"] == pytest.approx(20.0, abs=1.6)
    out = model.predict(300, levels=())
    dates = out["ds"].dt.strftime("%m-%d")
    national = out.loc[dates.isin(["10-01", "10-02", "10-03"]), "yhat"]
    ordinary = out.loc[dates.isin(["09-20", "09-21", "09-22"]), "yhat"]
    assert national.mean() - ordinary.mean() == pytest.approx(
        model.params_["holiday_national_day"], abs=1.0
    )


def with_superbowl(covariates: pd.DataFrame, n: int = 300) -> pd.DataFrame:
    """The covariates plus ``superbowl``: zero over the ``n`` history days, 1 on two later ones."""
    superbowl = np.zeros(len(covariates))
    superbowl[n + 3 : n + 5] = 1.0
    return covariates.assign(superbowl=superbowl)


@pytest.mark.parametrize("options", [{"order": (1, 0, 0)}, {}])
def test_constant_covariate_is_dropped_with_a_warning(options: dict[str, object]) -> None:
    history, covariates = simulate(9)
    history = history.assign(unique_id="app/dau")
    both = with_superbowl(covariates)
    model = fc.models.get("arima", **options)
    with pytest.warns(ForecastWarning) as caught:
        model.fit(history, covariates=both)
    text = str(caught[0].message)
    for part in (
        "'superbowl'",
        "'app/dau'",
        "constant",
        "cannot be estimated",
        "dropped_regressors",
    ):
        assert part in text
    assert model.dropped_ == ("superbowl",) == model.params_["dropped_regressors"]
    assert model.regressors_ == ("spend", "promo")
    assert model.covariates_ == ("spend", "promo", "superbowl")
    assert "superbowl" not in model.params_
    without = fc.models.get("arima", **options).fit(history, covariates=covariates)
    assert without.params_["dropped_regressors"] == ()
    assert model.spec_ == without.spec_
    # The same model as without the column: its future ones (on days 3 and 4) are not used.
    np.testing.assert_allclose(
        model.predict(20, levels=(90,), covariates=both)[["yhat", "yhat_lo_90", "yhat_hi_90"]],
        without.predict(20, levels=(90,), covariates=covariates)[
            ["yhat", "yhat_lo_90", "yhat_hi_90"]
        ],
        rtol=1e-9,
    )


def test_every_regressor_constant_leaves_a_plain_arima() -> None:
    history, covariates = simulate(13)
    flat = covariates.assign(spend=2.0, promo=0.0)
    with pytest.warns(ForecastWarning, match="'spend' \\(always 2\\), 'promo' \\(always 0\\)"):
        model = fc.models.get("arima", order=(1, 0, 0)).fit(history, covariates=flat)
    assert model.regressors_ == ()
    plain = fc.models.get("arima", order=(1, 0, 0)).fit(history)
    np.testing.assert_allclose(
        model.predict(10, covariates=flat)["yhat"], plain.predict(10)["yhat"], rtol=1e-9
    )


def test_update_and_paths_with_a_dropped_covariate() -> None:
    history, covariates = simulate(14, n=300, h=40)
    full, _ = simulate(14, n=320, h=20)
    both = with_superbowl(covariates)
    with pytest.warns(ForecastWarning):
        model = fc.models.get("arima", order=(1, 0, 0)).fit(history, covariates=both)
    without = fc.models.get("arima", order=(1, 0, 0)).fit(history, covariates=covariates)
    model.update(full, covariates=both)
    without.update(full, covariates=covariates)
    np.testing.assert_allclose(
        model.predict(20, levels=(), covariates=both)["yhat"],
        without.predict(20, levels=(), covariates=covariates)["yhat"],
        rtol=1e-9,
    )
    np.testing.assert_allclose(
        model.sample(20, 50, seed=3, covariates=both),
        without.sample(20, 50, seed=3, covariates=covariates),
        rtol=1e-9,
    )


def test_saved_model_with_a_dropped_covariate_round_trips(tmp_path: Path) -> None:
    history, covariates = simulate(15)
    both = with_superbowl(covariates)
    with pytest.warns(ForecastWarning):
        model = fc.models.get("arima", holidays="CN").fit(history, covariates=both)
    loaded = fc.models.load(model.save(tmp_path / "arima.zip"))
    assert loaded.dropped_ == ("superbowl",) == loaded.params_["dropped_regressors"]
    assert loaded.regressors_ == model.regressors_
    np.testing.assert_allclose(
        loaded.predict(20, covariates=both)["yhat"],
        model.predict(20, covariates=both)["yhat"],
        rtol=1e-12,
    )


def test_collinear_covariates_are_refused() -> None:
    history, covariates = simulate(9)
    twice = covariates.assign(double=2 * covariates["spend"] + 1)
    with pytest.raises(CovariateError, match="'double' .* linear combination"):
        fc.models.get("arima").fit(history, covariates=twice)


def test_future_covariates_are_required() -> None:
    history, covariates = simulate(10)
    model = fc.models.get("arima", order=(1, 0, 0)).fit(history, covariates=covariates)
    with pytest.raises(CovariateError, match="spend"):
        model.predict(5)
    with pytest.raises(CovariateError):
        model.sample(21, 10, covariates=covariates)


def test_holiday_names_clash_with_covariates() -> None:
    history, covariates = simulate(11)
    clash = covariates.rename(columns={"promo": "holiday_national_day"})
    with pytest.raises(ConfigError, match="holiday_national_day"):
        fc.models.get("arima", order=(1, 0, 0), holidays="CN").fit(history, covariates=clash)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"holidays": "XX"}, "country code"),
        ({"holidays": "CN", "holidays_lower_window": 2}, "holidays_lower_window"),
        ({"holidays": "CN", "holidays_upper_window": -2}, "holidays_upper_window"),
    ],
)
def test_bad_options_raise(options: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        fc.models.get("arima", **options)


def test_saved_model_forecasts_with_its_regressors(tmp_path: Path) -> None:
    history, covariates = simulate(12)
    model = fc.models.get("arima", order=(1, 0, 0), holidays="CN").fit(
        history, covariates=covariates
    )
    loaded = fc.models.load(model.save(tmp_path / "arima.zip"))
    assert loaded.regressors_ == model.regressors_
    np.testing.assert_allclose(
        loaded.predict(20, covariates=covariates)["yhat"],
        model.predict(20, covariates=covariates)["yhat"],
        rtol=1e-12,
    )
    with pytest.raises(CovariateError, match="spend"):
        loaded.predict(20)


@settings(max_examples=30, deadline=None)
@given(
    delta=st.sampled_from([0.0, 0.3, 0.8, 0.95]),
    split=st.integers(1, 29),
    seed=st.integers(0, 1000),
)
def test_decayed_is_the_recursion_and_continues_from_its_state(
    delta: float, split: int, seed: int
) -> None:
    x = np.random.default_rng(seed).normal(size=(30, 3))
    z = decayed(x, delta, 2)
    expected = x.copy()
    for t in range(1, 30):
        expected[t, :2] += delta * expected[t - 1, :2]
    np.testing.assert_allclose(z, expected, rtol=1e-10, atol=1e-12)
    # The future continues from the history's last decayed values.
    future = decayed(x[split:], delta, 2, start=z[split - 1, :2])
    np.testing.assert_allclose(future, z[split:], rtol=1e-10, atol=1e-12)


def simulate_campaign(
    seed: int, delta: float = 0.8, n: int = 300, h: int = 20
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``100 + 5 z + u``, ``z`` the campaign indicator decayed by ``delta``, AR(1) errors.

    Weekly, without a season (fit with ``seasonal_period=1``).
    """
    rng = np.random.default_rng(seed)
    campaign = np.zeros(n + h)
    for start in rng.choice(np.arange(0, n + h - 3, 4), size=12, replace=False):
        campaign[start : start + 3] = 1.0
    z = decayed(campaign[:, None], delta, 1)[:, 0]
    u = np.zeros(n + h)
    shocks = rng.normal(0, 1, n + h)
    for t in range(1, n + h):
        u[t] = 0.5 * u[t - 1] + shocks[t]
    ds = pd.date_range("2020-01-06", periods=n + h, freq="W-MON")
    history = pd.DataFrame({"ds": ds[:n], "y": (100 + 5 * z + u)[:n]})
    return history, pd.DataFrame({"ds": ds, "campaign": campaign})


def test_fixed_decay_is_sarimax_on_the_decayed_covariate() -> None:
    history, covariates = simulate_campaign(16)
    model = fc.models.get("arima", order=(1, 0, 0), covariate_decay=0.6).fit(
        history, covariates=covariates
    )
    z = decayed(covariates[["campaign"]].to_numpy(), 0.6, 1)
    direct = SARIMAX(history["y"].to_numpy(), exog=z[:300], order=(1, 0, 0), trend="c")
    expected = direct.smooth(np.asarray(model.results_.params)).get_forecast(20, exog=z[300:])
    out = model.predict(20, levels=(80,), covariates=covariates)
    np.testing.assert_allclose(out["yhat"], expected.predicted_mean, rtol=1e-10)
    np.testing.assert_allclose(out["yhat_hi_80"], expected.conf_int(alpha=0.2)[:, 1], rtol=1e-10)
    assert model.params_["covariate_decay"] == 0.6 == model.decay_


@pytest.mark.parametrize("seed", [17, 18])
def test_estimated_decay_recovers_the_campaign_dynamics(seed: int) -> None:
    history, covariates = simulate_campaign(seed, delta=0.8)
    model = fc.models.get("arima", covariate_decay="estimate", seasonal_period=1).fit(
        history, covariates=covariates
    )
    # The grid's neighbours of 0.8 are 0.7 and 0.85; omega's standard error is about 0.3.
    assert 0.7 <= model.params_["covariate_decay"] <= 0.85
    assert model.params_["campaign"] == pytest.approx(5.0, abs=1.5)
    plain = fc.models.get("arima", seasonal_period=1).fit(history, covariates=covariates)
    assert plain.params_["covariate_decay"] == 0.0
    assert model.results_.llf > plain.results_.llf


def test_update_and_saved_model_keep_the_decay_state(tmp_path: Path) -> None:
    history, covariates = simulate_campaign(19, n=300, h=40)
    full, _ = simulate_campaign(19, n=320, h=20)
    model = fc.models.get("arima", order=(1, 0, 0), covariate_decay=0.8).fit(
        history, covariates=covariates
    )
    z = decayed(covariates[["campaign"]].to_numpy(), 0.8, 1)
    expected = model.results_.append(full["y"].to_numpy()[300:], exog=z[300:320], refit=False)
    model.update(full, covariates=covariates)
    out = model.predict(20, levels=(), covariates=covariates)
    np.testing.assert_allclose(out["yhat"], expected.forecast(20, exog=z[320:]), rtol=1e-9)
    loaded = fc.models.load(model.save(tmp_path / "arima.zip"))
    assert loaded.covariate_decay == 0.8 == loaded.decay_
    np.testing.assert_allclose(
        loaded.predict(20, levels=(), covariates=covariates)["yhat"], out["yhat"], rtol=1e-12
    )


@pytest.mark.parametrize("value", [1.0, -0.1, "fast"])
def test_bad_covariate_decay_is_refused(value: object) -> None:
    with pytest.raises(ConfigError, match="covariate_decay"):
        fc.models.get("arima", covariate_decay=value)


def test_model_saved_before_covariate_decay_still_forecasts(tmp_path: Path) -> None:
    # Files written before covariate_decay have no decay_ nor decay_state_ (nor dropped_).
    history, covariates = simulate(20)
    model = fc.models.get("arima", order=(1, 0, 0)).fit(history, covariates=covariates)
    expected = model.predict(10, covariates=covariates)["yhat"]
    for name in ("decay_", "decay_state_", "dropped_"):
        delattr(model, name)
    loaded = fc.models.load(model.save(tmp_path / "old.zip"))
    assert not hasattr(loaded, "decay_state_")
    np.testing.assert_allclose(loaded.predict(10, covariates=covariates)["yhat"], expected)


@pytest.mark.parametrize("decay", ["estimate", 0.8])
def test_covariate_decay_without_covariates_is_the_plain_search(decay: object) -> None:
    series = fc.datasets.load("social-apps-quarterly").series
    one = series[series["unique_id"] == series["unique_id"].iloc[0]][["unique_id", "ds", "y"]]
    decayed = fc.models.get("arima", covariate_decay=decay).fit(one)
    plain = fc.models.get("arima").fit(one)
    assert decayed.params_["covariate_decay"] == 0.0
    pd.testing.assert_frame_equal(decayed.predict(4), plain.predict(4))
