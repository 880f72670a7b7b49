"""Folders of saved models: fc.save_models / fc.load_models and forecasting from them.

Models are keyed by (unique_id, model label); the folder keeps the series they were fit on, so
new observations extend them (updates) and observations that rewrite the history are caught.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import forecast as fc
from forecast.errors import ForecastWarning, ModelFileError
from forecast.persistence.folder import SavedModel, model_file_name
from forecast.persistence.runs import combine_history

MODELS = ["naive", "drift", "theta"]


@pytest.fixture
def two_series(make_series: Callable[..., pd.DataFrame]) -> pd.DataFrame:
    """Series 'a' (seed 0) and 'b/1' (seed 1), 60 days each."""
    return pd.concat(
        [make_series(n=60, seed=0, uid="a"), make_series(n=60, seed=1, uid="b/1")],
        ignore_index=True,
    )


@pytest.fixture
def folder(two_series: pd.DataFrame, tmp_path: Path) -> Path:
    """The three models of :data:`MODELS` on both series, saved with their history."""
    models = fc.persistence.fit_models(two_series, MODELS)
    return fc.save_models(models, tmp_path / "saved", history=two_series)


def test_save_and_load_models_keep_every_key_and_forecast(
    two_series: pd.DataFrame, folder: Path
) -> None:
    loaded = fc.load_models(folder)
    assert sorted(loaded) == sorted((u, m) for u in ["a", "b/1"] for m in MODELS)
    expected = fc.forecast(two_series, MODELS, h=7)
    for (uid, label), model in loaded.items():
        rows = expected[(expected["unique_id"] == uid) & (expected["model"] == label)]
        got = model.predict(7)
        np.testing.assert_array_equal(got["yhat"], rows["yhat"])
        np.testing.assert_array_equal(got["yhat_hi_95"], rows["yhat_hi_95"])


def test_predict_models_without_data_equals_fc_forecast(
    two_series: pd.DataFrame, folder: Path
) -> None:
    result = fc.persistence.predict_models(folder, h=7)
    pd.testing.assert_frame_equal(result.frame, fc.forecast(two_series, MODELS, h=7))
    assert result.failures.empty and result.n_units == 6


def test_predict_models_with_workers_equals_one_process(folder: Path) -> None:
    """Workers (which load one model of each kind in the parent first) change nothing."""
    alone = fc.persistence.predict_models(folder, h=7, n_jobs=1)
    workers = fc.persistence.predict_models(folder, h=7, n_jobs=2)
    pd.testing.assert_frame_equal(workers.frame, alone.frame)
    assert workers.failures.empty and workers.n_units == alone.n_units


def test_forecast_and_save_writes_the_forecasts_models(
    two_series: pd.DataFrame, tmp_path: Path
) -> None:
    run = fc.persistence.forecast_and_save(two_series, ["naive", "ets"], 5, tmp_path / "m")
    pd.testing.assert_frame_equal(run.frame, fc.forecast(two_series, ["naive", "ets"], h=5))
    again = fc.persistence.predict_models(tmp_path / "m", h=5)
    pd.testing.assert_frame_equal(again.frame, run.frame)


def test_new_observations_update_the_models_that_can(
    make_series: Callable[..., pd.DataFrame], two_series: pd.DataFrame, folder: Path
) -> None:
    longer = make_series(n=70, seed=0, uid="a")
    new_rows = longer.iloc[60:]
    result = fc.persistence.predict_models(folder, h=4, data=new_rows)
    expected = fc.models.get("drift").fit(two_series[two_series.unique_id == "a"]).update(longer)
    rows = result.frame.query("unique_id == 'a' and model == 'drift'")
    np.testing.assert_array_equal(rows["yhat"], expected.predict(4)["yhat"])
    assert rows["ds"].iloc[0] == longer["ds"].iloc[-1] + pd.Timedelta(days=1)
    theta = result.failures.query("unique_id == 'a' and model == 'theta'")
    assert list(theta["error_type"]) == ["CapabilityError"]
    assert "refit" in theta["message"].iloc[0]
    untouched = result.frame.query("unique_id == 'b/1' and model == 'theta'")
    assert len(untouched) == 4


def test_data_repeating_the_history_is_the_same_as_new_rows_only(
    make_series: Callable[..., pd.DataFrame], folder: Path
) -> None:
    longer = make_series(n=70, seed=0, uid="a")
    full = fc.persistence.predict_models(folder, h=4, data=longer)
    only_new = fc.persistence.predict_models(folder, h=4, data=longer.iloc[60:])
    pd.testing.assert_frame_equal(full.frame, only_new.frame)


def test_data_rewriting_the_history_is_refused_or_refit(
    make_series: Callable[..., pd.DataFrame], folder: Path
) -> None:
    changed = make_series(n=70, seed=0, uid="a")
    changed.loc[50, "y"] += 100.0
    refused = fc.persistence.predict_models(folder, h=4, data=changed)
    assert set(refused.failures["unique_id"]) == {"a"}
    assert set(refused.failures["error_type"]) == {"HistoryError"}
    assert "2024-02-20" in refused.failures["message"].iloc[0]
    refit = fc.persistence.predict_models(folder, h=4, data=changed, refit=True)
    assert refit.failures.empty
    fresh = fc.forecast(changed, MODELS, h=4)
    pd.testing.assert_frame_equal(refit.frame.query("unique_id == 'a'"), fresh)


def test_updated_models_can_be_saved_to_another_folder(
    make_series: Callable[..., pd.DataFrame], folder: Path, tmp_path: Path
) -> None:
    longer = make_series(n=70, seed=0, uid="a")
    first = fc.persistence.predict_models(
        folder, h=4, data=longer, refit=True, save_to=tmp_path / "next"
    )
    second = fc.persistence.predict_models(tmp_path / "next", h=4)
    pd.testing.assert_frame_equal(second.frame, first.frame)
    with pytest.raises(fc.ConfigError, match="another folder"):
        fc.persistence.predict_models(folder, h=4, save_to=folder)


def test_data_of_series_without_models_is_refused(
    make_series: Callable[..., pd.DataFrame], folder: Path
) -> None:
    with pytest.raises(fc.ConfigError, match="'zz'"):
        fc.persistence.predict_models(folder, h=4, data=make_series(uid="zz"))


def test_fit_models_warns_about_pairs_it_could_not_fit(make_series) -> None:
    short = make_series(n=2, uid="short")
    with pytest.warns(ForecastWarning, match="'short' with 'ets'"):
        models = fc.persistence.fit_models(short, ["naive", "ets"])
    assert list(models) == [("short", "naive")]


def test_a_models_folder_is_replaced_and_other_folders_refused(
    two_series: pd.DataFrame, folder: Path, tmp_path: Path
) -> None:
    fewer = fc.persistence.fit_models(two_series, ["naive"])
    fc.save_models(fewer, folder)
    assert len(list((folder / "models").iterdir())) == 2
    assert sorted(fc.load_models(folder)) == [("a", "naive"), ("b/1", "naive")]
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(ModelFileError, match="not empty"):
        fc.save_models(fewer, other)
    assert [p.name for p in other.iterdir()] == ["notes.txt"]


def test_an_index_naming_a_file_outside_the_folder_is_refused(folder: Path) -> None:
    index = json.loads((folder / "index.json").read_text())
    index["models"][0]["file"] = "../elsewhere.fcm"
    (folder / "index.json").write_text(json.dumps(index))
    with pytest.raises(ModelFileError, match="not inside models/"):
        fc.load_models(folder)


def test_a_folder_without_index_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="not a readable models folder"):
        fc.load_models(tmp_path)


@given(st.text(min_size=1, max_size=300), st.text(min_size=1, max_size=300))
def test_model_file_names_are_safe_short_and_distinct(uid: str, label: str) -> None:
    name = model_file_name(uid, label)
    assert "/" not in name and len(name.encode()) <= 255 and not name.startswith(".")
    assert name != model_file_name(uid + "x", label)
    assert name != model_file_name(uid, label + "x")


@settings(max_examples=50)
@given(
    n=st.integers(5, 40),
    fitted=st.integers(2, 40),
    start=st.integers(0, 40),
)
def test_combine_history_rebuilds_the_full_series(n: int, fitted: int, start: int) -> None:
    fitted, start = min(fitted, n), min(start, n - 1)
    full = pd.DataFrame(
        {
            "unique_id": "s",
            "ds": pd.date_range("2024-01-01", periods=n, freq="D"),
            "y": np.arange(n, dtype=float) * 1.5,
        }
    )
    history = full.iloc[:fitted].reset_index(drop=True)
    saved = SavedModel("s", "m", "naive", Path("x"), history["ds"].iloc[-1], fitted)
    data = full.iloc[start:].reset_index(drop=True)
    combined, rewritten, n_new = combine_history(saved, history, data)
    first_new = max(start, fitted)
    assert rewritten == [] and n_new == n - first_new
    expected = pd.concat([history, full.iloc[first_new:]], ignore_index=True)
    pd.testing.assert_frame_equal(combined, expected)
    if start <= fitted:
        pd.testing.assert_frame_equal(combined, full)
