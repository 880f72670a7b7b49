"""The checks every model gets from BaseModel, and the registry."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import forecast as fc
from forecast.engine.calibrate import with_calibrate
from forecast.models.base import BaseModel, Capabilities
from forecast.models.registry import register, unregister


def test_get_unknown_model_suggests_the_closest():
    with pytest.raises(
        fc.UnknownModelError, match=r"'naiv'.*Did you mean 'naive'.*Registered models:.*drift"
    ):
        fc.models.get("naiv")


def test_get_with_unknown_parameter():
    with pytest.raises(fc.ConfigError, match="'naive' does not take"):
        fc.models.get("naive", alpha=0.3)


def test_available_lists_capabilities():
    table = fc.models.available()
    assert {
        "name",
        "description",
        "intervals",
        "irregular",
        "needs_retention",
        "min_history",
    } <= set(table.columns)
    assert {"naive", "seasonal_naive", "drift", "mean"} <= set(table["name"])


def test_throwaway_model_is_registered_and_removed():
    @register("tmp_constant")
    class Constant(BaseModel):
        """Always 1."""

        capabilities = Capabilities(intervals=False)

        def _fit(self, data, retention):
            self.params_ = {"value": 1.0}

        def _predict(self, h, levels):
            return np.ones(h), {}

    try:
        assert "tmp_constant" in set(fc.models.available()["name"])
        model = fc.models.get("tmp_constant").fit(
            pd.DataFrame({"ds": pd.date_range("2024", periods=3), "y": 1.0})
        )
        assert model.predict(2, levels=())["yhat"].tolist() == [1.0, 1.0]
        with pytest.raises(fc.CapabilityError, match="no prediction intervals"):
            model.predict(2)
        for method in ("scaled", "auto"):
            with pytest.raises(fc.ConfigError, match=f"calibrate='{method}'.*has none"):
                fc.models.get("tmp_constant", calibrate=method)
        assert fc.models.get("tmp_constant", calibrate=True).calibrate is True
        with pytest.raises(fc.ConfigError, match="has none; pass calibrate=True"):
            with_calibrate(fc.models.get("tmp_constant"), "scaled")
    finally:
        unregister("tmp_constant")
    assert "tmp_constant" not in set(fc.models.available()["name"])


def test_predict_before_fit():
    with pytest.raises(fc.NotFittedError, match="call fit"):
        fc.models.get("naive").predict(3)


def test_too_short_history():
    with pytest.raises(fc.HistoryError, match="needs at least 3"):
        fc.models.get("drift").fit(
            pd.DataFrame({"ds": pd.date_range("2024", periods=2), "y": [1.0, 2.0]})
        )


def test_gaps_refused_by_models_that_need_regular_steps(daily_series: pd.DataFrame):
    with pytest.raises(
        fc.HistoryError, match=r"daily with 2 missing date\(s\).*2024-01-03 and 2024-01-04"
    ):
        fc.models.get("naive").fit(daily_series.drop(index=[2, 3]))
    fitted = fc.models.get("mean").fit(daily_series.drop(index=[2, 3]))
    assert fitted.is_fitted


def test_bounds_refused_by_models_that_treat_them_as_points(daily_series: pd.DataFrame):
    bounded = daily_series.assign(qualifier=["="] * 119 + [">="])
    with pytest.raises(fc.CapabilityError, match="one-sided bounds.*2024-04-29"):
        fc.models.get("naive").fit(bounded)


def test_many_series_refused(two_daily_series: pd.DataFrame):
    with pytest.raises(fc.SchemaError, match="one series at a time"):
        fc.models.get("naive").fit(two_daily_series)


def test_log_transform_keeps_forecasts_positive():
    series = pd.DataFrame({"ds": pd.date_range("2024", periods=30), "y": np.linspace(10, 1, 30)})
    plain = fc.models.get("drift").fit(series).predict(30)
    logged = fc.models.get("drift", transform="log").fit(series).predict(30)
    assert (plain["yhat_lo_95"] < 0).any()
    assert (logged.drop(columns="ds").to_numpy() > 0).all()
    with pytest.raises(fc.DomainError, match="transform='log' needs positive"):
        fc.models.get("drift", transform="log").fit(series.assign(y=series["y"] - 5))


def test_bad_hyperparameters_and_arguments(daily_series: pd.DataFrame):
    with pytest.raises(fc.ConfigError, match="transform"):
        fc.models.get("naive", transform="sqrt")
    with pytest.raises(fc.ConfigError, match="seasonal_period"):
        fc.models.get("seasonal_naive", seasonal_period=0)
    model = fc.models.get("naive").fit(daily_series)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(fc.ConfigError, match="horizon"):
            model.predict(bad)  # type: ignore[arg-type]


def test_freq_override():
    two = pd.DataFrame({"ds": ["2024-01-01", "2024-02-01"], "y": [1.0, 2.0]})
    weekly = fc.models.get("naive", freq="W-MON").fit(
        two.iloc[[0, 0]].assign(ds=["2024-01-01", "2024-01-08"])
    )
    assert list(weekly.future_dates(2)) == list(pd.to_datetime(["2024-01-15", "2024-01-22"]))


def test_clone_is_unfitted_with_same_parameters(daily_series: pd.DataFrame):
    model = fc.models.get("seasonal_naive", seasonal_period=3).fit(daily_series)
    fresh = model.clone()
    assert not fresh.is_fitted and fresh.seasonal_period == 3 and model.is_fitted
    assert "SeasonalNaive(seasonal_period=3)" == repr(fresh)


def test_update_extends_state_without_reestimating(daily_series: pd.DataFrame):
    model = fc.models.get("naive").fit(daily_series.iloc[:100])
    sigma = model.params_["sigma"]
    model.update(daily_series)
    assert model.predict(1, levels=())["yhat"].iloc[0] == daily_series["y"].iloc[-1]
    assert model.params_["sigma"] == sigma
    assert model.future_dates(1)[0] == pd.Timestamp("2024-04-30")
    with pytest.raises(fc.CapabilityError, match="cannot update"):
        fc.models.get("mean").fit(daily_series).update(daily_series)
