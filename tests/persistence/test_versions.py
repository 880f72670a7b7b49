"""Library versions: a model whose state a library rebuilds warns when that library's release
differs from the one that wrote it, and its errors then name both versions."""

from __future__ import annotations

import json
import warnings
import zipfile
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import forecast as fc
from forecast.errors import ForecastWarning, ModelFileError
from forecast.models.base import BaseModel
from forecast.persistence import state
from forecast.persistence.modelfile import LIBRARY_OF, library_mismatches


def _other_release(installed: str) -> str:
    major, minor = installed.split(".")[:2]
    return f"{major}.{int(minor) + 1}.0"


def _other_patch(installed: str) -> str:
    major, minor = installed.split(".")[:2]
    return f"{major}.{minor}.999"


def _rewrite_libraries(path: Path, **libraries: str) -> None:
    """Record other library versions in a model file (the versions are not under a digest)."""
    with zipfile.ZipFile(path) as archive:
        envelope = json.loads(archive.read("model.json"))
        state_bytes = archive.read("state.npz")
    envelope["libraries"].update(libraries)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("model.json", json.dumps(envelope))
        archive.writestr("state.npz", state_bytes)


@pytest.fixture
def ets_file(fitted_model: Callable[[str], BaseModel], tmp_path: Path) -> Path:
    return fitted_model("ets").save(tmp_path / "ets.fcm")


def test_another_release_of_statsmodels_warns_and_still_loads(
    ets_file: Path, fitted_model: Callable[[str], BaseModel]
) -> None:
    installed = version("statsmodels")
    written = _other_release(installed)
    _rewrite_libraries(ets_file, statsmodels=written)
    with pytest.warns(ForecastWarning, match=rf"statsmodels {written} \(installed: {installed}\)"):
        loaded = fc.models.load(ets_file)
    expected = fitted_model("ets").predict(5)
    assert loaded.predict(5).equals(expected)


def test_a_patch_release_or_an_unrelated_library_does_not_warn(ets_file: Path) -> None:
    _rewrite_libraries(
        ets_file,
        statsmodels=_other_patch(version("statsmodels")),
        prophet=_other_release(version("prophet")),
        numpy="1.0.0",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ForecastWarning)
        fc.models.load(ets_file)


def test_a_model_without_library_state_does_not_warn(
    fitted_model: Callable[[str], BaseModel], tmp_path: Path
) -> None:
    path = fitted_model("naive").save(tmp_path / "naive.fcm")
    _rewrite_libraries(path, statsmodels="0.1.0", prophet="0.1.0")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ForecastWarning)
        fc.models.load(path)


def _model(name: str, fitted: bool, members: list[Any]) -> dict[str, Any]:
    return {
        "$": "model",
        "name": name,
        "params": {"members": members},
        "state": {},
        "results": {} if fitted else None,
    }


@pytest.mark.parametrize("member", sorted(LIBRARY_OF))
def test_nested_members_count_and_unfitted_ones_do_not(member: str) -> None:
    library = LIBRARY_OF[member]
    envelope = {
        "libraries": {library: "0.0.1"},
        "model": _model("ensemble", False, [_model(member, True, []), _model("naive", False, [])]),
    }
    assert library_mismatches(envelope) == [f"{library} 0.0.1 (installed: {version(library)})"]
    envelope["model"]["params"]["members"][0]["results"] = None
    assert library_mismatches(envelope) == []


def test_a_state_that_does_not_rebuild_names_both_versions(
    ets_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise AttributeError("'ETSModel' object has no attribute '_smooth'")

    adapter = state.ADAPTERS["ets"]
    monkeypatch.setitem(
        state.ADAPTERS, "ets", state.Adapter(adapter.attribute, adapter.dump, broken)
    )
    installed = version("statsmodels")
    _rewrite_libraries(ets_file, statsmodels=_other_release(installed))
    with pytest.warns(ForecastWarning), pytest.raises(ModelFileError) as caught:
        fc.models.load(ets_file)
    message = str(caught.value)
    assert str(ets_file) in message and "_smooth" in message
    assert f"statsmodels {_other_release(installed)} (installed: {installed})" in message


def test_written_versions_are_those_installed(ets_file: Path) -> None:
    with zipfile.ZipFile(ets_file) as archive:
        envelope = json.loads(archive.read("model.json"))
    assert envelope["libraries"]["statsmodels"] == version("statsmodels")
    assert envelope["libraries"]["numpy"] == version("numpy") == np.__version__
    assert library_mismatches(envelope) == []
