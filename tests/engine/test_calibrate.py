"""``calibrate=`` of a call: one rule at every entry point (issue 13).

A model given by name gets the call's value; an instance gets it unless it sets ``calibrate``
to another value than its constructor's default. ``fc.forecast`` and ``fc.backtest`` with
``calibrate=True`` equal the same calls with calibrated instances; their bands nest around the
point; a model fitted with ``calibrate=True`` gives its calibrated paths to ``fc.scenario``.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import forecast as fc
from forecast.engine.calibrate import calibrate_models, check_calibrate, with_calibrate
from forecast.errors import ConfigError, ForecastWarning
from forecast.schema import level_column

LEVELS = (50, 80, 95)


def _panel(n: int = 50, seed: int = 0, n_series: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2024-01-01", periods=n, freq="D")
    return pd.concat(
        pd.DataFrame(
            {"unique_id": f"s{i}", "ds": ds, "y": 100 * (i + 1) + np.cumsum(rng.normal(1, 4, n))}
        )
        for i in range(n_series)
    ).reset_index(drop=True)


@pytest.mark.parametrize("value", [True, False, "conformal", "scaled", "auto", "off"])
def test_a_name_gets_the_calls_value_and_an_instance_that_sets_it_keeps_it(value) -> None:
    assert with_calibrate("ets", value).calibrate == value
    assert with_calibrate(fc.models.get("ets"), value).calibrate == value
    kept = fc.models.get("ets", calibrate="off" if value in (True, "conformal") else True)
    assert with_calibrate(kept, value).calibrate == kept.calibrate
    assert with_calibrate("auto", value).calibrate == value
    assert with_calibrate(fc.models.get("auto"), value).calibrate == value
    assert with_calibrate(fc.models.get("ensemble"), value).calibrate == value


def test_the_given_instance_is_never_modified_and_none_leaves_models_as_given() -> None:
    given_model = fc.models.get("naive", transform="log")
    out = with_calibrate(given_model, True)
    assert out is not given_model and given_model.calibrate is None
    assert out.transform == "log"
    assert with_calibrate(given_model, None).calibrate is None
    models = ["naive", given_model]
    assert calibrate_models(models, None) is models
    assert [m.calibrate for m in calibrate_models(models, True)] == [True, True]
    mapping = calibrate_models({"x": "naive", "y": given_model}, "conformal")
    assert {k: m.calibrate for k, m in mapping.items()} == {"x": "conformal", "y": "conformal"}


@pytest.mark.parametrize("value", [1, 0, "yes", "True", np.True_, [True]])
def test_a_bad_value_is_refused(value) -> None:
    with pytest.raises(ConfigError, match="calibrate must be one of"):
        check_calibrate(value)
    with pytest.raises(ConfigError, match="calibrate must be one of"):
        fc.forecast(_panel(), "naive", h=2, calibrate=value)


def test_forecast_and_backtest_equal_the_calls_with_calibrated_instances() -> None:
    df = _panel()
    models = ["naive", "drift"]
    instances = [fc.models.get(name, calibrate=True) for name in models]
    pd.testing.assert_frame_equal(
        fc.forecast(df, models, h=5, calibrate=True), fc.forecast(df, instances, h=5)
    )
    pd.testing.assert_frame_equal(
        fc.backtest(df, models, h=3, n_windows=2, calibrate=True),
        fc.backtest(df, instances, h=3, n_windows=2),
    )
    own = fc.forecast(df, models, h=5)
    assert not np.allclose(own["yhat_hi_95"], fc.forecast(df, instances, h=5)["yhat_hi_95"])


def test_labels_are_those_of_the_models_as_given() -> None:
    df = _panel(n_series=1)
    out = fc.forecast(df, ["naive", fc.models.get("naive", calibrate=False)], h=2, calibrate=True)
    assert sorted(out["model"].unique()) == ["naive[calibrate=False]", "naive[calibrate=True]"]


def _nested(out: pd.DataFrame) -> None:
    lo = hi = out["yhat"].to_numpy()
    for level in LEVELS:
        next_lo = out[level_column(level, "lo")].to_numpy()
        next_hi = out[level_column(level, "hi")].to_numpy()
        assert np.all(next_lo <= lo + 1e-9) and np.all(next_hi >= hi - 1e-9), level
        lo, hi = next_lo, next_hi


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 10**6),
    n=st.integers(8, 60),
    h=st.integers(1, 12),
    model=st.sampled_from(["naive", "drift", "mean"]),
)
def test_calibrated_forecasts_and_backtests_nest_around_the_point(seed, n, h, model) -> None:
    df = _panel(n, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ForecastWarning)  # a short series says it is inflated
        _nested(fc.forecast(df, model, h=h, levels=LEVELS, calibrate=True))
        backtest = fc.backtest(df, model, h=min(h, n // 3), levels=LEVELS, calibrate=True)
    _nested(backtest)


def _covariate_model(calibrate: bool) -> tuple[fc.models.BaseModel, pd.DataFrame]:
    rng = np.random.default_rng(1)
    n, h = 80, 6
    ds = pd.date_range("2023-01-01", periods=n + h, freq="W")
    spend = rng.uniform(0, 10, n + h)
    y = 50 + 2 * spend + np.cumsum(rng.normal(0, 1, n + h))
    df = pd.DataFrame({"unique_id": "a", "ds": ds[:n], "y": y[:n]})
    cov = pd.DataFrame({"ds": ds, "spend": spend})
    model = fc.models.get("arima", calibrate=calibrate).fit(df, covariates=cov)
    return model, cov[cov["ds"] > ds[n - 1]].reset_index(drop=True)


@pytest.mark.slow
def test_a_calibrated_model_gives_its_calibrated_paths_to_a_covariate_scenario() -> None:
    model, future = _covariate_model(True)
    own_model, _ = _covariate_model(False)
    assert model.calibration_ is not None
    table = fc.scenario(model, h=6, covariates={"spend": "x1.2"}, baseline=future)
    baseline = table[table["model"] == "baseline"].reset_index(drop=True)
    own = fc.scenario(own_model, h=6, covariates={"spend": "x1.2"}, baseline=future)
    own = own[own["model"] == "baseline"].reset_index(drop=True)
    predicted = model.predict(6, covariates=future)
    width = (predicted["yhat_hi_80"] - predicted["yhat_lo_80"]).to_numpy()
    for column in ("yhat_lo_80", "yhat_hi_80"):
        # quantiles of the scenario's sample paths against the calibrated bands
        assert np.all(np.abs(baseline[column] - predicted[column]) <= 0.1 * width)
    assert not np.allclose(baseline["yhat_hi_80"], own["yhat_hi_80"])


@pytest.mark.slow
def test_a_calibrated_retention_feedback_model_gives_calibrated_paths_to_fc_scenario() -> None:
    data = fc.datasets.simulate_market(n_products=1, periods=90, seed=0, seasonality=0.0)
    series = data.series[["unique_id", "ds", "y"]]
    tables, models = {}, {}
    for calibrate in (False, True):
        models[calibrate] = fc.models.get(
            "retention_feedback", retention_family="sbg", n_draws=20, calibrate=calibrate
        ).fit(series, retention=data.retention)
        tables[calibrate] = fc.scenario(models[calibrate], retention=+0.03, h=8)
    table = tables[True]
    baseline = table[table["model"] == "baseline"].reset_index(drop=True)
    predicted = models[True].predict(8, levels=(80, 95))
    width = (predicted["yhat_hi_80"] - predicted["yhat_lo_80"]).to_numpy()
    for column in ("yhat_lo_80", "yhat_hi_80", "yhat_lo_95", "yhat_hi_95"):
        # quantiles of the scenario's sample paths against the calibrated bands
        assert np.all(np.abs(baseline[column] - predicted[column]) <= 0.1 * width)
    own = tables[False]
    own_hi = own.loc[own["model"] == "baseline", "yhat_hi_80"].to_numpy()
    assert not np.allclose(baseline["yhat_hi_80"], own_hi)
    # the change is the structural model's: the same sign and size as without calibration
    effect = {
        c: t.loc[t["model"] == "difference", "yhat"].to_numpy() / base
        for c, t in tables.items()
        for base in [t.loc[t["model"] == "baseline", "yhat"].to_numpy()]
    }
    assert np.all(effect[True][1:] > 0)
    np.testing.assert_allclose(effect[True], effect[False], rtol=0.2, atol=1e-3)


def _warned(call: Callable[[], pd.DataFrame]) -> tuple[pd.DataFrame, list[str]]:
    """The call's result and the messages of the ForecastWarnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ForecastWarning)
        out = call()
    return out, [str(w.message) for w in caught if issubclass(w.category, ForecastWarning)]


def _with_short(n_short: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    ds = pd.date_range("2016-01-01", periods=36, freq="QS")
    return pd.concat(
        pd.DataFrame({"unique_id": uid, "ds": ds[-n:], "y": 100 + np.cumsum(rng.normal(1, 3, n))})
        for uid, n in (("long_a", 36), ("long_b", 30), ("short", n_short))
    ).reset_index(drop=True)


def test_a_short_series_of_a_call_is_calibrated_from_the_others_and_says_so() -> None:
    df = _with_short()
    out, said = _warned(lambda: fc.forecast(df, "naive", h=4, levels=LEVELS, calibrate=True))
    assert any(re.search("'short'.*scaled inner errors of 2 other series", m) for m in said)
    only = df[df["unique_id"] == "short"]
    alone, said = _warned(lambda: fc.forecast(only, "naive", h=4, levels=LEVELS, calibrate=True))
    assert any(re.search("'short'.*widened 2-fold", m) for m in said)
    assert not any("other series" in m for m in said)
    short = out[out["unique_id"] == "short"].reset_index(drop=True)
    pd.testing.assert_series_equal(short["yhat"], alone["yhat"])
    assert not np.allclose(short["yhat_hi_95"], alone["yhat_hi_95"])
    _nested(short)
    longs = df[df["unique_id"] != "short"]
    pd.testing.assert_frame_equal(
        out[out["unique_id"] != "short"].reset_index(drop=True),
        fc.forecast(longs, "naive", h=4, levels=LEVELS, calibrate=True),
    )


@pytest.mark.slow
def test_pooling_does_not_depend_on_worker_processes() -> None:
    df = _with_short()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ForecastWarning)
        one = fc.forecast(df, ["naive", "drift"], h=4, calibrate=True)
        two = fc.forecast(df, ["naive", "drift"], h=4, calibrate=True, n_jobs=2)
    pd.testing.assert_frame_equal(one, two)


def test_an_uncalibrated_call_pools_nothing() -> None:
    df = _with_short()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ForecastWarning)
        out = fc.forecast(df, "naive", h=4)
    alone = fc.forecast(df[df["unique_id"] == "short"], "naive", h=4)
    pd.testing.assert_frame_equal(out[out["unique_id"] == "short"].reset_index(drop=True), alone)


def test_a_series_that_fails_to_fit_is_a_failure_row_when_the_others_pool() -> None:
    df = pd.concat(
        [_with_short(), _with_short(1).query("unique_id == 'short'").assign(unique_id="one_point")],
        ignore_index=True,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ForecastWarning)
        out = fc.forecast(df, ["drift", "naive"], h=4, calibrate=True)
        plain = fc.forecast(df, ["drift", "naive"], h=4)
    failures = out.attrs["failures"]
    expected = plain.attrs["failures"]
    pd.testing.assert_frame_equal(failures, expected)
    assert "one_point" in set(failures["unique_id"])
    assert set(out["unique_id"]) == set(plain["unique_id"])
    pd.testing.assert_frame_equal(
        out[["unique_id", "model", "ds", "yhat"]], plain[["unique_id", "model", "ds", "yhat"]]
    )


@pytest.mark.slow
def test_a_calibrated_backtest_does_not_depend_on_worker_processes() -> None:
    df = _panel(40)
    one = fc.backtest(df, ["naive", "theta"], h=3, n_windows=2, calibrate=True)
    two = fc.backtest(df, ["naive", "theta"], h=3, n_windows=2, calibrate=True, n_jobs=2)
    pd.testing.assert_frame_equal(one, two)
