"""Bad model files: each raises ModelFileError naming the file, and nothing changes on disk.

Truncated files, files of another format version or of another kind, edited arrays, a JSON that
names an unknown model or carries extra keys, and a path that is a directory. A canary module
shows that loading never imports or calls anything a file names.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import forecast as fc
from forecast.errors import ModelFileError
from forecast.models.base import BaseModel


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file under ``folder`` by relative path, with its bytes (None for folders)."""
    return {
        str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None
        for p in sorted(folder.rglob("*"))
    }


def _parts(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    with zipfile.ZipFile(path) as archive:
        envelope = json.loads(archive.read("model.json"))
        with np.load(io.BytesIO(archive.read("state.npz"))) as npz:
            arrays = {k: npz[k] for k in npz.files}
    return envelope, arrays


def _write(
    path: Path,
    envelope: dict[str, Any],
    arrays: dict[str, np.ndarray],
    *,
    digest: bool = True,
    model_digest: bool = True,
) -> None:
    """Write a model file from its parts; ``digest`` and ``model_digest`` update the recorded
    digests of the arrays and of the model entry to match (as a deliberate forger would)."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    state = buffer.getvalue()
    if digest:
        envelope["state_sha256"] = hashlib.sha256(state).hexdigest()
        envelope["arrays"] = {
            k: {"dtype": v.dtype.str, "shape": list(v.shape)} for k, v in arrays.items()
        }
    if model_digest:
        text = json.dumps(envelope["model"], sort_keys=True, separators=(",", ":"))
        envelope["model_sha256"] = hashlib.sha256(text.encode()).hexdigest()
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("model.json", json.dumps(envelope))
        archive.writestr("state.npz", state)


@pytest.fixture
def saved(fitted_model: Callable[[str], BaseModel], tmp_path: Path) -> Path:
    """A fitted ``ets`` saved to ``tmp_path/ets.fcm``."""
    return fitted_model("ets").save(tmp_path / "ets.fcm")


def _refused(path: Path, match: str) -> ModelFileError:
    """Load ``path``, expecting a ModelFileError matching ``match`` that names the file;
    check nothing in its folder changed."""
    before = _snapshot(path.parent)
    with pytest.raises(ModelFileError, match=match or None) as caught:
        fc.models.load(path)
    assert str(path) in str(caught.value) and caught.value.path == str(path)
    assert _snapshot(path.parent) == before
    return caught.value


def test_the_saved_file_loads(saved: Path) -> None:
    assert fc.models.load(saved).is_fitted


@pytest.mark.parametrize("keep", [0.0, 0.2, 0.5, 0.99])
def test_a_truncated_file_is_refused(saved: Path, keep: float) -> None:
    data = saved.read_bytes()
    saved.write_bytes(data[: int(len(data) * keep)])
    _refused(saved, "not a readable model file|not a model file")


def test_a_file_of_another_format_version_is_refused(saved: Path) -> None:
    envelope, arrays = _parts(saved)
    envelope["format_version"] = 99
    _write(saved, envelope, arrays)
    _refused(saved, "format version 99")


@pytest.mark.parametrize(
    "content",
    [
        b"unique_id,ds,y\na,2024-01-01,1\n",
        b'{"format": "forecast-model"}',
        b"PK\x05\x06" + bytes(18),
    ],
    ids=["csv", "json", "empty_zip"],
)
def test_a_file_of_another_kind_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "other.fcm"
    path.write_bytes(content)
    _refused(path, "not a")


def test_a_zip_with_other_members_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.fcm"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("model.json", "{}")
        archive.writestr("payload.py", "print('hello')")
    _refused(path, "not a model file of this package")


def test_a_json_of_another_format_is_refused(saved: Path) -> None:
    envelope, arrays = _parts(saved)
    envelope["format"] = "someone-else"
    _write(saved, envelope, arrays)
    _refused(saved, "format 'someone-else'")


def test_an_array_replaced_without_updating_the_digest_is_refused(saved: Path) -> None:
    envelope, arrays = _parts(saved)
    key = next(iter(arrays))
    arrays[key] = np.zeros(3)
    _write(saved, envelope, arrays, digest=False)
    _refused(saved, "digest")


def test_an_array_of_another_shape_than_recorded_is_refused(saved: Path) -> None:
    envelope, arrays = _parts(saved)
    manifest = dict(envelope["arrays"])
    endog = envelope["model"]["results"]["endog"]["key"]
    arrays[endog] = arrays[endog][:, None]
    _write(saved, envelope, arrays)
    envelope["arrays"] = manifest
    _write(saved, envelope, arrays, digest=False)
    envelope_now, _ = _parts(saved)
    assert envelope_now["arrays"][endog]["shape"] == list(arrays[endog].shape[:1])
    _refused(saved, "digest|shape")


def test_consistently_edited_arrays_of_the_wrong_shape_are_refused(saved: Path) -> None:
    envelope, arrays = _parts(saved)
    endog = envelope["model"]["results"]["endog"]["key"]
    arrays[endog] = np.stack([arrays[endog], arrays[endog]])
    _write(saved, envelope, arrays)
    _refused(saved, "one-dimensional")


def test_edited_parameters_of_the_wrong_length_are_refused(saved: Path) -> None:
    envelope, arrays = _parts(saved)
    params = envelope["model"]["results"]["params"]["key"]
    arrays[params] = arrays[params][:2]
    _write(saved, envelope, arrays)
    _refused(saved, "does not forecast|ets")


@pytest.mark.parametrize("name", ["os.system", "forecast.models.ets.ETS", "ets2"])
def test_a_json_naming_an_unknown_model_is_refused(saved: Path, name: str) -> None:
    envelope, arrays = _parts(saved)
    envelope["model"]["name"] = name
    _write(saved, envelope, arrays)
    _refused(saved, "unknown model")


@pytest.mark.parametrize(
    "edit",
    [
        lambda e: e.update(extra=1),
        lambda e: e["model"].update(extra=1),
        lambda e: e["model"]["params"].update(evil=1),
        lambda e: e["model"]["state"].update(evil_={"$": "array", "key": "zz", "scalar": False}),
        lambda e: e["model"]["state"].update(__class__="x"),
        lambda e: e["model"]["results"].update(extra=1),
        lambda e: e["model"]["state"]["frequency_"].update(extra=1),
    ],
    ids=["envelope", "model", "params", "state", "dunder", "results", "record"],
)
def test_a_json_with_extra_keys_is_refused(saved: Path, edit: Callable[[dict], None]) -> None:
    envelope, arrays = _parts(saved)
    edit(envelope)
    _write(saved, envelope, arrays)
    _refused(saved, "")


@pytest.mark.parametrize(
    ("private", "match"),
    [({"_evil": 1}, "stores the private attributes"), ({"_warm_params": 1}, "is not a dict")],
)
def test_private_attributes_the_model_does_not_store_are_refused(
    saved: Path, private: dict[str, object], match: str
) -> None:
    envelope, arrays = _parts(saved)
    envelope["model"]["private"] = private
    _write(saved, envelope, arrays)
    _refused(saved, match)


def test_any_edit_of_the_model_entry_without_its_digest_is_refused(saved: Path) -> None:
    envelope, arrays = _parts(saved)
    envelope["model"]["state"]["evil_"] = 1
    _write(saved, envelope, arrays, model_digest=False)
    _refused(saved, "does not match its recorded digest")


def test_a_hyperparameter_the_constructor_refuses_is_refused(saved: Path) -> None:
    envelope, arrays = _parts(saved)
    envelope["model"]["params"]["maxiter"] = -5
    _write(saved, envelope, arrays)
    _refused(saved, "maxiter")


def test_a_directory_is_refused_for_load_and_save(tmp_path: Path, fitted_model) -> None:
    (tmp_path / "folder").mkdir()
    _refused(tmp_path / "folder", "is a directory")
    with pytest.raises(ModelFileError, match="is a directory"):
        fitted_model("naive").save(tmp_path / "folder")
    assert list((tmp_path / "folder").iterdir()) == []


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="cannot be read"):
        fc.models.load(tmp_path / "absent.fcm")


def test_a_crash_while_saving_leaves_the_previous_file(
    saved: Path, fitted_model: Callable[[str], BaseModel], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _snapshot(saved.parent)

    def crash(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        fitted_model("naive").save(saved)
    monkeypatch.undo()
    assert _snapshot(saved.parent) == before
    assert fc.models.load(saved).name == "ets"


_CANARY = "persistence_canary_module"


@pytest.fixture
def canary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A module on sys.path that leaves a marker file when imported or called."""
    marker = tmp_path / "canary-was-run"
    folder = tmp_path / "importable"
    folder.mkdir()
    (folder / f"{_CANARY}.py").write_text(
        f"from pathlib import Path\nPath({str(marker)!r}).write_text('imported')\n"
        f"def run(*a, **k):\n    Path({str(marker)!r}).write_text('called')\n"
    )
    monkeypatch.syspath_prepend(str(folder))
    return marker


@pytest.mark.parametrize(
    "edit",
    [
        lambda e: e["model"].update(name=f"{_CANARY}.run"),
        lambda e: e["model"]["state"]["frequency_"].update({"class": f"{_CANARY}.run"}),
        lambda e: e["model"]["state"].update(x_={"$": f"{_CANARY}.run"}),
        lambda e: e["model"]["state"].update(x_={"$": "method", "name": f"{_CANARY}.run"}),
        lambda e: e["model"]["state"].update(x_={"$": "offset", "alias": f"{_CANARY}.run"}),
        lambda e: e["model"]["params"].update(error=f"{_CANARY}.run"),
    ],
    ids=["model", "record", "tag", "method", "offset", "param"],
)
def test_loading_never_imports_or_calls_what_a_file_names(
    saved: Path, canary: Path, edit: Callable[[dict], None]
) -> None:
    envelope, arrays = _parts(saved)
    edit(envelope)
    _write(saved, envelope, arrays)
    _refused(saved, "")
    assert _CANARY not in sys.modules
    assert not canary.exists()
