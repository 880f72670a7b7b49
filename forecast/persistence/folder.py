"""A folder of saved models, keyed by series and model label, with the history they were fit on.

Layout::

    DIR/index.json          the folder's envelope and one entry per model
    DIR/history.parquet     the training series (unique_id, ds, y, qualifier), when known
    DIR/models/*.fcm        one model file per (unique_id, model label)

``index.json`` holds ``format`` (``"forecast-models"``), ``format_version``,
``package_version`` and ``models``: for each model its ``unique_id``, ``model`` (the label, as
in the forecast frame), ``name`` (registry name), ``file`` (relative to the folder),
``last_ds`` (ISO date of its last observation) and ``n_obs``. Model files are written first and
the index last, each atomically, so a folder whose index loads names only complete files.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from forecast.errors import ModelFileError
from forecast.io import atomic_write_bytes
from forecast.models.base import BaseModel
from forecast.persistence.modelfile import FORMAT_VERSION, load_model, save_model
from forecast.schema import DS, QUALIFIER, UNIQUE_ID, Y, valid_series

__all__ = [
    "FOLDER_FORMAT",
    "SavedModel",
    "save_models",
    "load_models",
    "read_index",
    "read_history",
    "model_file_name",
    "write_folder",
]

FOLDER_FORMAT = "forecast-models"
"""The ``format`` of a models folder's ``index.json``."""

INDEX, HISTORY, MODELS = "index.json", "history.parquet", "models"
_ENTRY = {"unique_id", "model", "name", "file", "last_ds", "n_obs"}
_INDEX_KEYS = {"format", "format_version", "package_version", "models"}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

ModelKey = tuple[str, str]
"""``(unique_id, model label)``."""


@dataclass(frozen=True)
class SavedModel:
    """One entry of a folder's index.

    Attributes
    ----------
    unique_id, model : str
        The series and the model's label.
    name : str
        The model's registry name.
    file : Path
        The model file.
    last_ds : Timestamp
        The model's last observation.
    n_obs : int
        The number of observations it was fit (or updated) on.
    """

    unique_id: str
    model: str
    name: str
    file: Path
    last_ds: pd.Timestamp
    n_obs: int

    def load(self, *, check: bool = True) -> BaseModel:
        """Load the model of this entry (see :func:`~forecast.persistence.load_model`)."""
        return load_model(self.file, check=check)


def model_file_name(unique_id: str, label: str) -> str:
    """Return a file name for one model: readable, safe on every file system and unique per key.

    The series and label with unsafe characters replaced, shortened, and a digest of the exact
    pair, so two keys never share a file (``a/b`` and ``a_b`` differ by the digest).
    """
    digest = hashlib.sha256(json.dumps([unique_id, label]).encode()).hexdigest()[:16]
    readable = _UNSAFE.sub("_", f"{unique_id}--{label}").strip("._")[:80]
    return f"{readable}-{digest}.fcm"


def _entry(key: ModelKey, model: BaseModel, file: str) -> dict[str, object]:
    return {
        "unique_id": key[0],
        "model": key[1],
        "name": model.name,
        "file": file,
        "last_ds": model.last_ds_.isoformat(),
        "n_obs": int(model.n_obs_),
    }


def save_one(directory: Path, key: ModelKey, model: BaseModel) -> dict[str, object]:
    """Save one fitted model into ``directory/models`` and return its index entry."""
    if not model.is_fitted:
        raise ModelFileError(
            f"model {key[1]!r} of series {key[0]!r} is not fitted; a models folder holds "
            "fitted models.",
            path=str(directory),
        )
    file = f"{MODELS}/{model_file_name(*key)}"
    save_model(model, directory / file)
    return _entry(key, model, file)


def write_folder(
    directory: Path, entries: list[dict[str, object]], history: pd.DataFrame | None
) -> Path:
    """Write the history and the index of a folder whose model files are written.

    Model files in ``models/`` that the index does not name are removed.
    """
    from forecast import __version__

    if history is not None:
        columns = [c for c in (UNIQUE_ID, DS, Y, QUALIFIER) if c in history.columns]
        buffer = history[columns].sort_values([UNIQUE_ID, DS]).to_parquet(index=False)
        atomic_write_bytes(directory / HISTORY, buffer)
    elif (directory / HISTORY).exists():
        (directory / HISTORY).unlink()
    ordered = sorted(entries, key=lambda e: (str(e["unique_id"]), str(e["model"])))
    index = {
        "format": FOLDER_FORMAT,
        "format_version": FORMAT_VERSION,
        "package_version": __version__,
        "models": ordered,
    }
    atomic_write_bytes(directory / INDEX, json.dumps(index, indent=1).encode())
    named = {Path(str(e["file"])).name for e in entries}
    for stale in (directory / MODELS).glob("*.fcm"):
        if stale.name not in named:
            stale.unlink()
    return directory


def _check_target(directory: Path) -> None:
    if directory.exists() and not directory.is_dir():
        raise ModelFileError(
            f"{str(directory)!r} is a file; save_models writes a folder.", path=str(directory)
        )
    if directory.is_dir() and any(directory.iterdir()) and not (directory / INDEX).is_file():
        raise ModelFileError(
            f"folder {str(directory)!r} is not empty and holds no saved models; choose an empty "
            "or new folder (an earlier models folder is replaced).",
            path=str(directory),
        )


def training_history(history: pd.DataFrame, keys: list[ModelKey]) -> pd.DataFrame:
    """Return the validated rows of ``history`` of the series in ``keys``: the folder's history."""
    frame = valid_series(history).frame
    ids = sorted({uid for uid, _ in keys})
    frame = frame[frame[UNIQUE_ID].isin(ids)]
    columns = [UNIQUE_ID, DS, Y] + ([QUALIFIER] if QUALIFIER in frame.columns else [])
    return frame[columns].reset_index(drop=True)


def save_models(
    models: Mapping[ModelKey, BaseModel],
    directory: str | os.PathLike[str],
    history: pd.DataFrame | None = None,
) -> Path:
    """Save fitted models of many series to a folder, keyed by series and model label.

    Parameters
    ----------
    models : mapping
        ``{(unique_id, label): fitted model}``, e.g. from
        :func:`forecast.persistence.fit_models`.
    directory : str or path
        The folder, created if needed. A folder of saved models is replaced; any other
        non-empty folder is refused.
    history : DataFrame, optional
        The series the models were fit on (long format). Saved with them, it lets
        :func:`~forecast.persistence.predict_models` take only the new observations and check
        that new data do not rewrite the history.

    Returns
    -------
    Path
        The folder.

    Raises
    ------
    ModelFileError
        The folder is not a models folder, or a model is unfitted or cannot be saved.
    DataError
        ``history`` breaks the data contract.

    References
    ----------
    .. [1] Apache Parquet file format (the history); see also
       :func:`forecast.persistence.save_model` for the model files.
    """
    target = Path(directory)
    _check_target(target)
    kept = training_history(history, list(models)) if history is not None else None
    entries = [save_one(target, (str(k[0]), str(k[1])), m) for k, m in models.items()]
    return write_folder(target, entries, kept)


def read_index(directory: str | os.PathLike[str]) -> list[SavedModel]:
    """Return the entries of a models folder's index.

    Raises
    ------
    ModelFileError
        The folder or its index is missing, unreadable, of another format or version, or
        edited.
    """
    folder = Path(directory)
    path = folder / INDEX
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ModelFileError(
            f"{str(folder)!r} is not a readable models folder ({INDEX}: {err}); save models with "
            "save_models or 'forecast run --save-models'.",
            path=str(folder),
        ) from err
    if not isinstance(index, dict) or set(index) != _INDEX_KEYS:
        raise ModelFileError(f"{str(path)!r} is not a models index.", path=str(path))
    if index["format"] != FOLDER_FORMAT or index["format_version"] != FORMAT_VERSION:
        raise ModelFileError(
            f"{str(path)!r} is format {index['format']!r} version {index['format_version']!r}; "
            f"this forecast reads {FOLDER_FORMAT!r} version {FORMAT_VERSION}.",
            path=str(path),
        )
    return [_saved(folder, entry, str(path)) for entry in _list(index["models"], str(path))]


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise ModelFileError(f"{path!r}: 'models' is not a list.", path=path)
    return value


def _saved(folder: Path, entry: Any, path: str) -> SavedModel:
    if not isinstance(entry, dict) or set(entry) != _ENTRY:
        raise ModelFileError(f"{path!r}: an entry is not {sorted(_ENTRY)}.", path=path)
    file = Path(str(entry["file"]))
    if file.is_absolute() or ".." in file.parts or file.parent != Path(MODELS):
        raise ModelFileError(
            f"{path!r}: entry file {str(file)!r} is not inside {MODELS}/.", path=path
        )
    try:
        return SavedModel(
            str(entry["unique_id"]),
            str(entry["model"]),
            str(entry["name"]),
            folder / file,
            pd.Timestamp(entry["last_ds"]),
            int(entry["n_obs"]),
        )
    except (TypeError, ValueError) as err:
        raise ModelFileError(f"{path!r}: a malformed entry ({err}).", path=path) from err


def read_history(
    directory: str | os.PathLike[str], ids: list[str] | None = None
) -> pd.DataFrame | None:
    """Return the training series saved in a models folder (None when saved without).

    Parameters
    ----------
    directory : str or path
        The models folder.
    ids : list of str, optional
        Read only these series.
    """
    path = Path(directory) / HISTORY
    if not path.exists():
        return None
    filters = None if ids is None else [(UNIQUE_ID, "in", list(ids))]
    try:
        frame = pd.read_parquet(path, filters=filters)
    except (OSError, ValueError) as err:
        raise ModelFileError(
            f"the history of models folder {str(directory)!r} cannot be read ({err}).",
            path=str(path),
        ) from err
    if frame.empty:
        return None
    return valid_series(frame).frame


def load_models(directory: str | os.PathLike[str]) -> dict[ModelKey, BaseModel]:
    """Load every model of a folder written by :func:`save_models`.

    Parameters
    ----------
    directory : str or path
        The models folder.

    Returns
    -------
    dict
        ``{(unique_id, label): fitted model}``, sorted by series and label.

    Raises
    ------
    ModelFileError
        The folder, its index or one of its model files cannot be read (see
        :func:`forecast.persistence.load_model`).

    References
    ----------
    .. [1] See :func:`save_models` for the folder's layout.
    """
    return {(e.unique_id, e.model): e.load() for e in read_index(directory)}
