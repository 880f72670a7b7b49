"""The ``prophet`` model: the same ``yhat`` as Prophet called directly, intervals at any levels
from one predictive simulation, the capacity rule, pass-through options, seeded paths that
leave numpy's global state alone, quiet logging restored after, and warm starts."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

import forecast as fc
from forecast.models.prophet import ProphetModel, quiet_prophet

pytestmark = pytest.mark.filterwarnings("ignore:.*Importing plotly failed.*")


@pytest.fixture(scope="module")
def twitter() -> pd.DataFrame:
    """Twitter's monetisable DAU (quarterly, millions), from the bundled social-apps dataset."""
    series = fc.datasets.load("social-apps-quarterly").series
    return series.loc[series["unique_id"] == "twitter/mdau/all", ["ds", "y"]].reset_index(drop=True)


@pytest.fixture(scope="module")
def daily() -> pd.DataFrame:
    """200 days of a positive series with trend and weekly season (seed 8)."""
    rng = np.random.default_rng(8)
    t = np.arange(200)
    y = 50 + 0.2 * t + 4 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 1, t.size)
    return pd.DataFrame({"ds": pd.date_range("2024-01-01", periods=t.size, freq="D"), "y": y})


@pytest.fixture(scope="module")
def fitted(daily: pd.DataFrame) -> ProphetModel:
    """The default model, its own (uncalibrated) bands, fitted once on the daily series."""
    return fc.models.get("prophet", calibrate=False).fit(daily)


@pytest.mark.parametrize(
    ("frame", "freq", "settings"),
    [
        ("twitter", "QS", {}),
        ("daily", "D", {"changepoint_prior_scale": 0.1, "seasonality_mode": "multiplicative"}),
    ],
)
def test_yhat_equals_prophet_called_directly(
    frame: str, freq: str, settings: dict[str, object], request: pytest.FixtureRequest
) -> None:
    from prophet import Prophet

    data = request.getfixturevalue(frame)
    model = fc.models.get("prophet", calibrate=False, **settings).fit(data)
    with quiet_prophet():
        direct = Prophet(**settings).fit(data)
        future = direct.make_future_dataframe(periods=6, freq=freq, include_history=False)
        expected = direct.predict(future)["yhat"].to_numpy()
    out = model.predict(6)
    assert list(out["ds"]) == list(future["ds"])
    # Linear trends are optimised in-process, to an optimum at least as high as CmdStan's, whose
    # L-BFGS stops a little short of it (tests/models/test_prophet_map.py); the forecasts agree
    # to well within this tolerance, and within 1e-4 of a converged CmdStan fit (Newton) over a
    # year (tests/models/test_prophet_holidays.py).
    np.testing.assert_allclose(out["yhat"], expected, rtol=1e-3)


def test_all_levels_come_from_one_simulation(
    fitted: ProphetModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    original = fitted.model_.sample_model_vectorized
    features = fitted.model_.make_all_seasonality_features
    built = []

    def counting(**kwargs: object) -> list[dict[str, np.ndarray]]:
        calls.append((len(kwargs["df"]), kwargs["n_samples"]))
        return original(**kwargs)

    def building(df: pd.DataFrame) -> tuple[object, ...]:
        built.append(len(df))
        return features(df)

    monkeypatch.setattr(fitted.model_, "sample_model_vectorized", counting)
    monkeypatch.setattr(fitted.model_, "make_all_seasonality_features", building)
    out = fitted.predict(10, levels=(50, 80, 95, 99))
    assert calls == [(10, fitted.uncertainty_samples)] and built == [10]
    assert (out["yhat_lo_99"] < out["yhat_lo_95"]).all() and (
        out["yhat_lo_80"] < out["yhat_lo_50"]
    ).all()
    assert (out["yhat_hi_50"] < out["yhat_hi_80"]).all() and (
        out["yhat_hi_95"] < out["yhat_hi_99"]
    ).all()


def test_paths_and_yhat_are_prophets_from_one_pass(fitted: ProphetModel) -> None:
    model = fitted.model_
    future = pd.DataFrame({"ds": fitted.future_dates(12)})
    model.uncertainty_samples = 300
    # Prophet samples from numpy's legacy global generator, so the reference seeds that one.
    state = np.random.get_state()  # noqa: NPY002
    try:
        np.random.seed(7)  # noqa: NPY002
        with quiet_prophet():
            expected = model.predictive_samples(future)["yhat"].T
    finally:
        model.uncertainty_samples = 0
        np.random.set_state(state)  # noqa: NPY002
    point, paths = fitted._forecast(12, 300, 7)
    np.testing.assert_allclose(paths, expected, rtol=1e-12)
    with quiet_prophet():
        yhat = model.predict(future)["yhat"].to_numpy()
    np.testing.assert_allclose(point, yhat, rtol=1e-9)
    out = fitted.predict(12, levels=(80, 95))
    lo, hi = np.quantile(
        fitted._forecast(12, fitted.uncertainty_samples, fitted.seed)[1], [0.025, 0.975], axis=0
    )
    np.testing.assert_allclose(out["yhat_lo_95"], lo, rtol=1e-12)
    np.testing.assert_allclose(out["yhat_hi_95"], hi, rtol=1e-12)


def test_predictions_and_paths_are_seeded_and_leave_numpy_alone(fitted: ProphetModel) -> None:
    # The model seeds numpy's legacy global generator for Prophet; the test checks it restores it.
    np.random.seed(123)  # noqa: NPY002
    state = np.random.get_state()  # noqa: NPY002
    pd.testing.assert_frame_equal(fitted.predict(7), fitted.predict(7))
    paths = fitted.sample(7, n=200, seed=4)
    assert paths.shape == (200, 7)
    np.testing.assert_array_equal(paths, fitted.sample(7, n=200, seed=4))
    after = np.random.get_state()  # noqa: NPY002
    assert state[0] == after[0] and np.array_equal(state[1], after[1]) and state[2:] == after[2:]


def test_logging_is_quiet_and_restored(
    daily: pd.DataFrame, caplog: pytest.LogCaptureFixture
) -> None:
    before = {name: logging.getLogger(name).level for name in ("prophet", "cmdstanpy")}
    with caplog.at_level(logging.INFO):
        fc.models.get("prophet", calibrate=False, weekly_seasonality=False).fit(daily.iloc[:60])
    assert not [
        r
        for r in caplog.records
        if r.name.startswith(("prophet", "cmdstanpy")) and r.levelno < logging.WARNING
    ]
    assert {name: logging.getLogger(name).level for name in before} == before


def test_logistic_growth_estimates_the_capacity(daily: pd.DataFrame) -> None:
    model = fc.models.get("prophet", calibrate=False, growth="logistic").fit(daily)
    assert model.cap_ == pytest.approx(1.2 * daily["y"].max())
    out = model.predict(60)
    assert (out["yhat"] < model.cap_).all()
    given = fc.models.get("prophet", calibrate=False, growth="logistic", cap=200.0, floor=0.0).fit(
        daily
    )
    assert given.params_["cap"] == 200.0 and given.params_["floor"] == 0.0


def test_seasonalities_and_holidays_are_passed_through(daily: pd.DataFrame) -> None:
    holidays = pd.DataFrame(
        {
            "holiday": "launch",
            "ds": pd.to_datetime(["2024-03-22", "2024-06-01"]),
            "lower_window": 0,
            "upper_window": 2,
        }
    )
    model = fc.models.get(
        "prophet",
        seasonalities=[{"name": "monthly", "period": 30.5, "fourier_order": 3}],
        holidays=holidays,
        weekly_seasonality=False,
    ).fit(daily)
    assert "monthly" in model.model_.seasonalities and "weekly" not in model.model_.seasonalities
    assert model.model_.holidays is holidays
    assert "launch" in model.model_.train_holiday_names.tolist()


def test_warm_start_passes_the_previous_estimates(
    fitted: ProphetModel, daily: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prophet import Prophet

    seen = []
    original = Prophet.fit

    def recording(self: Prophet, df: pd.DataFrame, **kwargs: object) -> Prophet:
        seen.append(kwargs)
        return original(self, df, **kwargs)

    monkeypatch.setattr(Prophet, "fit", recording)
    model = fc.models.get("prophet", calibrate=False, warm_min_history=190)
    model.warm_start(fitted)
    model.fit(daily.iloc[:190])
    assert seen[0]["init"] is fitted.stan_init_
    short = fc.models.get("prophet", calibrate=False, warm_min_history=191)
    short.warm_start(fitted)
    short.fit(daily.iloc[:190])
    assert "init" not in seen[1]
    cold = fc.models.get("prophet", calibrate=False).fit(daily.iloc[:190])
    np.testing.assert_allclose(
        model.predict(5, levels=())["yhat"], cold.predict(5, levels=())["yhat"], rtol=1e-3
    )
    assert set(fitted.stan_init_) == {"k", "m", "sigma_obs", "delta", "beta"}
    with pytest.raises(fc.ConfigError):
        model.warm_start(fc.models.get("naive"))


def test_bad_parameters_raise() -> None:
    with pytest.raises(fc.ConfigError):
        fc.models.get("prophet", cap=10.0)
    with pytest.raises(fc.ConfigError):
        fc.models.get("prophet", growth="logistic", cap=1.0, floor=2.0)
    with pytest.raises(fc.ConfigError):
        fc.models.get("prophet", seasonalities=[{"name": "monthly"}])
    with pytest.raises(fc.ConfigError):
        fc.models.get("prophet", warm_min_history=-1)


def test_stan_reads_the_same_data_as_from_prophet(twitter: pd.DataFrame) -> None:
    # Logistic growth is fitted by CmdStan, from the data file this package writes.
    from prophet import Prophet

    model = fc.models.get("prophet", calibrate=False, growth="logistic", cap=300.0).fit(twitter)
    with quiet_prophet():
        direct = Prophet(growth="logistic", uncertainty_samples=0).fit(twitter.assign(cap=300.0))
    assert type(model.model_.stan_backend) is not type(direct.stan_backend)
    assert model.model_.stan_fit is not None
    for name in ("k", "m", "sigma_obs", "delta", "beta"):
        np.testing.assert_array_equal(model.model_.params[name], direct.params[name])
