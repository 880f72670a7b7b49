"""``[forecast] calibrate``: validated, applied to every model, part of the parts key (issue 13)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pandas.testing as pdt
import pytest

import forecast as fc
from forecast.batch import load_config
from forecast.batch.chunk import build_models
from forecast.batch.manifest import parts_key
from forecast.errors import ConfigError, ForecastWarning

from .conftest import make_panel


def _job(tmp_path: Path, **forecast: object) -> dict:
    return {
        "data": {"path": "data.parquet"},
        "forecast": {"models": ["naive", "drift"], "horizon": 3, **forecast},
        "output": {"dir": "out"},
        "executor": {"chunk_size": 2, "workers": 1},
        "base_dir": str(tmp_path),
    }


@pytest.fixture
def panel(tmp_path: Path):
    data = make_panel(n_series=4, periods=40)
    data.to_parquet(tmp_path / "data.parquet", index=False)
    return data


@pytest.mark.parametrize("value", [True, False, "conformal", "scaled", "off"])
def test_calibrate_is_given_to_every_model_whose_params_do_not_set_it(
    tmp_path: Path, panel, value: object
) -> None:
    config = load_config(_job(tmp_path, calibrate=value, params={"drift": {"calibrate": "off"}}))
    models = build_models(config)
    assert models["naive"].calibrate == value
    assert models["drift"].calibrate == "off"


def test_without_the_key_models_keep_their_own_setting(tmp_path: Path, panel) -> None:
    config = load_config(_job(tmp_path))
    assert config.forecast.calibrate is None
    assert [m.calibrate for m in build_models(config).values()] == [None, None]
    assert "calibrate" not in config.to_dict()["forecast"]


@pytest.mark.parametrize("value", [1, "yes", "true", 0.5])
def test_a_bad_value_is_one_line_naming_the_key(tmp_path: Path, panel, value: object) -> None:
    with pytest.raises(ConfigError, match=r"\[forecast\] calibrate: .*'scaled', 'auto' or 'off'"):
        load_config(_job(tmp_path, calibrate=value))


def test_a_changed_setting_changes_the_parts_key(tmp_path: Path, panel) -> None:
    keys = {
        parts_key(load_config(_job(tmp_path, **extra)))
        for extra in ({}, {"calibrate": True}, {"calibrate": False}, {"calibrate": "conformal"})
    }
    assert len(keys) == 4


@pytest.mark.slow
def test_a_calibrated_job_equals_fc_forecast_and_reuses_no_uncalibrated_chunk(
    tmp_path: Path, panel
) -> None:
    plain = fc.batch.run(_job(tmp_path), progress="none")
    calibrated = fc.batch.run(_job(tmp_path, calibrate=True), progress="none")
    assert calibrated.manifest["counts"]["chunks_reused"] == 0
    assert calibrated.manifest["parts_key"] != plain.manifest["parts_key"]
    expected = fc.forecast(panel, ["naive", "drift"], h=3, calibrate=True)
    pdt.assert_frame_equal(calibrated.read("forecasts"), expected)
    own = fc.forecast(panel, ["naive", "drift"], h=3)  # the folder now holds the calibrated run
    pdt.assert_series_equal(own["yhat"], expected["yhat"])
    assert not (own["yhat_hi_95"] - expected["yhat_hi_95"]).abs().lt(1e-9).all()


def test_a_batch_job_does_not_pool_across_its_chunk(tmp_path: Path) -> None:
    # pooling would make a short series' bands depend on the series it shares a chunk with
    data = make_panel(n_series=3, periods=40)
    short = data[data["unique_id"] == "s02"].tail(3)
    data = pd.concat([data[data["unique_id"] != "s02"], short], ignore_index=True)
    data.to_parquet(tmp_path / "data.parquet", index=False)
    job = _job(tmp_path, calibrate=True)
    job["executor"]["chunk_size"] = 3
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ForecastWarning)
        result = fc.batch.run(job, progress="none")
        alone = fc.forecast(short, ["naive", "drift"], h=3, calibrate=True)
    assert not any("other series" in str(w.message) for w in caught)
    forecasts = result.read("forecasts")
    pdt.assert_frame_equal(forecasts[forecasts["unique_id"] == "s02"].reset_index(drop=True), alone)


def test_calibrate_is_refused_with_saved_models_which_keep_their_own(tmp_path: Path) -> None:
    # a model updated from a previous job's folder keeps the calibrate it was saved with:
    # the job's calibrate would silently not apply to it
    folder = tmp_path / "previous"
    folder.mkdir()
    (folder / "index.json").write_text("{}")
    job = _job(tmp_path, calibrate=True, from_models="previous")
    with pytest.raises(ConfigError, match=r"\[forecast\] calibrate and from_models cannot"):
        load_config(job)
