"""Round trip of every registered model: fit, save, load in a fresh process, same numbers.

The contract of persistence, run against ``fc.models.available()``: the loaded model's
``predict`` (point and intervals) and ``sample`` (same seed) equal the saved model's bit for
bit, and ``update`` continues from a loaded model as from the original.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import forecast as fc
from forecast.errors import CapabilityError
from forecast.models.base import BaseModel

NAMES = list(fc.models.available()["name"])
CAPABILITIES = fc.models.available().set_index("name")
UPDATABLE = [n for n in NAMES if CAPABILITIES.loc[n, "updates"]]
H, N_PATHS, SEED = 12, 40, 7

_LOADER = """
import sys, warnings
import numpy as np
import forecast as fc
warnings.simplefilter("ignore")
folder, h, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
out = {}
for name in sys.argv[5:]:
    model = fc.models.load(f"{folder}/{name}.fcm")
    levels = (80, 95) if model.capabilities.intervals else ()
    frame = model.predict(h, levels=levels)
    out[name + "/predict"] = frame.drop(columns="ds").to_numpy()
    out[name + "/ds"] = frame["ds"].to_numpy()
    out[name + "/sample"] = model.sample(h, n, seed=seed)
np.savez(f"{folder}/loaded.npz", **out)
"""


def _levels(name: str) -> tuple[int, ...]:
    return (80, 95) if CAPABILITIES.loc[name, "intervals"] else ()


@pytest.fixture(scope="module")
def loaded_elsewhere(
    tmp_path_factory: pytest.TempPathFactory, fitted_model: Callable[[str], BaseModel]
) -> dict[str, np.ndarray]:
    """Every registered model fitted here, saved, then loaded and used in a fresh process."""
    folder = tmp_path_factory.mktemp("models")
    for name in NAMES:
        fitted_model(name).save(folder / f"{name}.fcm")
    command = [sys.executable, "-c", _LOADER, str(folder), str(H), str(N_PATHS), str(SEED)]
    subprocess.run([*command, *NAMES], check=True, capture_output=True, timeout=600)
    with np.load(folder / "loaded.npz") as loaded:
        return {key: loaded[key] for key in loaded.files}


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_a_model_loaded_in_a_fresh_process_predicts_and_samples_bit_for_bit(
    name: str, fitted_model: Callable[[str], BaseModel], loaded_elsewhere: dict[str, np.ndarray]
) -> None:
    model = fitted_model(name)
    frame = model.predict(H, levels=_levels(name))
    np.testing.assert_array_equal(loaded_elsewhere[f"{name}/predict"], frame.drop(columns="ds"))
    np.testing.assert_array_equal(loaded_elsewhere[f"{name}/ds"], frame["ds"].to_numpy())
    np.testing.assert_array_equal(
        loaded_elsewhere[f"{name}/sample"], model.sample(H, N_PATHS, seed=SEED)
    )


@pytest.mark.parametrize("name", NAMES)
def test_the_loaded_model_has_the_same_hyperparameters_and_fitted_summary(
    name: str, fitted_model: Callable[[str], BaseModel], tmp_path: Path
) -> None:
    model = fitted_model(name)
    loaded = fc.models.load(model.save(tmp_path / "m.fcm"))
    assert type(loaded) is type(model)
    assert repr(loaded) == repr(model)
    assert loaded.params_.keys() == model.params_.keys()
    assert loaded.last_ds_ == model.last_ds_ and loaded.frequency_ == model.frequency_


@pytest.mark.parametrize("name", NAMES)
def test_an_unfitted_model_round_trips_unfitted(name: str, tmp_path: Path) -> None:
    model = fc.models.get(name)
    loaded = fc.models.load(model.save(tmp_path / "m.fcm"))
    assert not loaded.is_fitted and repr(loaded) == repr(model)


@pytest.mark.parametrize("name", UPDATABLE)
def test_update_continues_from_a_loaded_model(
    name: str, fitted_model: Callable[[str], BaseModel], make_series, tmp_path: Path
) -> None:
    longer = make_series(n=130)
    original = fc.models.load(fitted_model(name).save(tmp_path / "a.fcm"))
    copy = fc.models.load(original.save(tmp_path / "b.fcm"))
    original.update(longer)
    copy.update(longer)
    expected = original.predict(H, levels=_levels(name))
    pd.testing.assert_frame_equal(copy.predict(H, levels=_levels(name)), expected)
    assert expected["ds"].iloc[0] == longer["ds"].iloc[-1] + pd.Timedelta(days=1)
    again = fc.models.load(copy.save(tmp_path / "c.fcm"))
    pd.testing.assert_frame_equal(again.predict(H, levels=_levels(name)), expected)


@pytest.mark.parametrize("name", [n for n in NAMES if n not in UPDATABLE][:2])
def test_update_of_a_loaded_model_without_updates_says_refit(
    name: str, fitted_model: Callable[[str], BaseModel], make_series, tmp_path: Path
) -> None:
    loaded = fc.models.load(fitted_model(name).save(tmp_path / "m.fcm"))
    with pytest.raises(CapabilityError, match="refit"):
        loaded.update(make_series(n=130))


_FAST = ["naive", "seasonal_naive", "drift", "mean", "ets", "theta"]


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from(_FAST),
    values=st.lists(st.floats(1.0, 1e6), min_size=16, max_size=60),
    seed=st.integers(0, 2**31 - 1),
)
def test_fast_models_round_trip_on_random_series(
    name: str, values: list[float], seed: int, tmp_path: Path
) -> None:
    series = pd.DataFrame(
        {"ds": pd.date_range("2023-03-01", periods=len(values), freq="D"), "y": values}
    )
    try:
        model = fc.models.get(name).fit(series)
    except fc.ForecastError:
        return  # a series the model refuses (constant for theta) has nothing to save
    loaded = fc.models.load(model.save(tmp_path / f"{name}.fcm"))
    pd.testing.assert_frame_equal(loaded.predict(5), model.predict(5))
    np.testing.assert_array_equal(loaded.sample(5, 8, seed=seed), model.sample(5, 8, seed=seed))


@pytest.mark.parametrize("name", ["naive", "theta", "ets"])
def test_a_calibrated_model_round_trips_beyond_its_calibrated_horizon(
    name: str, make_series, tmp_path: Path
) -> None:
    model = fc.models.get(name, calibrate=True).fit(make_series(n=90))
    loaded = fc.models.load(model.save(tmp_path / "m.fcm"))
    for h in (5, 40):  # 40 steps lie beyond the inner windows: calibrated on demand
        pd.testing.assert_frame_equal(loaded.predict(h), model.predict(h))
        np.testing.assert_array_equal(loaded.sample(h, 8, seed=3), model.sample(h, 8, seed=3))
