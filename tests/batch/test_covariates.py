"""Batch jobs with [data] covariates, [forecast] holidays and [forecast] observed."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

import forecast as fc
from forecast.batch import EXIT_OK
from forecast.batch.chunk import build_models
from forecast.errors import ConfigError, ForecastWarning

from .conftest import make_panel

H = 5


def _job(tmp_path: Path, **tables: dict) -> dict:
    job = {
        "data": {"path": "data.parquet", "covariates": "cov.csv"},
        "forecast": {
            "models": ["arima", "naive"],
            "horizon": H,
            "observed": ["spend"],
            "params": {"arima": {"order": [1, 0, 0], "seasonal_order": [0, 0, 0, 0]}},
        },
        "output": {"dir": "out"},
        "executor": {"chunk_size": 2, "workers": 1},
        "base_dir": str(tmp_path),
    }
    for name, table in tables.items():
        job[name] = {**job.get(name, {}), **table}
    return job


@pytest.fixture
def files(tmp_path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    panel = make_panel(n_series=3, periods=60, seed=4)
    panel.to_parquet(tmp_path / "data.parquet", index=False)
    rng = np.random.default_rng(4)
    ds = pd.date_range(
        panel["ds"].min() - pd.Timedelta(days=H), panel["ds"].max() + pd.Timedelta(days=H)
    )
    cov = pd.DataFrame({"ds": ds, "spend": rng.uniform(0, 1, len(ds)), "launch": 0.0})
    cov.loc[len(cov) // 2, "launch"] = 1.0
    cov.to_csv(tmp_path / "cov.csv", index=False)
    return panel, cov


def test_a_job_with_covariates_equals_one_forecast_call(tmp_path, files):
    panel, cov = files
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ForecastWarning)
        result = fc.batch.run(_job(tmp_path), progress="none")
        arima = fc.models.get("arima", order=[1, 0, 0], seasonal_order=[0, 0, 0, 0])
        expected = fc.forecast(panel, [arima, "naive"], H, covariates=cov, observed=["spend"])
    assert result.exit_status == EXIT_OK, result.read("failures")
    pdt.assert_frame_equal(result.read("forecasts"), expected)


def test_holidays_and_bad_covariates_are_refused_by_the_config(tmp_path, files):
    with pytest.raises(ConfigError, match="'naive' takes neither holidays nor covariates"):
        fc.batch.load_config(_job(tmp_path, forecast={"holidays": "CN"}))
    with pytest.raises(ConfigError, match="'XX'"):
        fc.batch.load_config(_job(tmp_path, forecast={"holidays": "XX"}))
    pd.DataFrame({"ds": ["2024-01-01"], "y": [1.0]}).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(ConfigError, match=r"\[data\] covariates = 'bad.csv'.*'y'"):
        fc.batch.load_config(_job(tmp_path, data={"covariates": "bad.csv"}))
    only_arima = {"models": ["arima"], "holidays": "CN"}
    config = fc.batch.load_config(_job(tmp_path, forecast=only_arima))
    assert config.forecast.holidays == "CN" and config.forecast.observed == ["spend"]


def test_holidays_for_every_model_refused_says_how_to_give_them_to_some(tmp_path, files):
    with pytest.raises(ConfigError) as err:
        fc.batch.load_config(_job(tmp_path, forecast={"holidays": "CN"}))
    message = str(err.value)
    assert "'naive' takes neither holidays nor covariates" in message
    assert '[forecast.params.<model>] holidays = "CN"' in message
    takers = [
        name
        for name in fc.models.available()["name"]
        if f"{name!r}" in message.split("models that take them: ")[1].split(")")[0]
    ]
    assert "arima" in takers and "naive" not in takers
    params = {"arima": {"order": [1, 0, 0], "seasonal_order": [0, 0, 0, 0], "holidays": "CN"}}
    config = fc.batch.load_config(_job(tmp_path, forecast={"params": params}))
    models = build_models(config)
    assert models["arima"].holidays == "CN" and not hasattr(models["naive"], "holidays")
