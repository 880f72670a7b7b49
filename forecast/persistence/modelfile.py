"""One model in one file: a zip archive holding ``model.json`` and ``state.npz``.

``model.json`` is the envelope:

=================== ===============================================================================
key                 value
=================== ===============================================================================
``format``          ``"forecast-model"``
``format_version``  ``1``, the version of this layout
``package_version`` the version of ``forecast`` that wrote the file
``libraries``       versions of numpy, pandas, statsmodels and Prophet that wrote it
``model``           the model: registry ``name``, ``params`` (hyperparameters), fitted ``state``
                    and ``results`` (see :mod:`forecast.persistence.state`)
``arrays``          every array of ``state.npz`` by key, with its ``dtype`` and ``shape``
``state_sha256``    the SHA-256 digest of ``state.npz``
``model_sha256``    the SHA-256 digest of ``model`` written as compact JSON with sorted keys
=================== ===============================================================================

The digests make any edit of a file that does not recompute them an error; the checks of the
structure (every key, tag, record, array shape and dtype, and a one-step forecast) catch edits
that do.

Library versions
----------------
The fitted state of ``ets``, ``arima`` and ``theta`` is rebuilt with statsmodels' classes (some
of them private), and that of ``prophet`` with Prophet's ``model_from_json``
(:data:`LIBRARY_OF`); ``auto`` and ``ensemble`` depend on those of their members. Loading a
file written with another release (major.minor) of such a library than the installed one warns
(:class:`~forecast.errors.ForecastWarning`): the state usually rebuilds, but its forecasts may
differ from the saved model's. If it does not rebuild, the error names both versions. Patch
releases are trusted. numpy and pandas versions are recorded for information only: the arrays
and frames are stored in their stable formats. The warning names the model and the versions,
not the file, so that a folder of many models saved with one version warns once.

``state.npz`` is numpy's own format, read with ``allow_pickle=False``. Nothing in a file is
executed or imported when it is read; see :mod:`forecast.persistence.codec`. Files are written
through a temporary file and renamed, so a crash never leaves half a model.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import warnings
import zipfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from forecast.errors import ForecastWarning, ModelFileError
from forecast.io import atomic_write_bytes
from forecast.models.base import BaseModel
from forecast.persistence._npz import read_npz
from forecast.persistence.codec import Decoder, Encoder, Json
from forecast.persistence.state import STATE_ERRORS, check_forecasts, decode_model, encode_model

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "LIBRARY_OF",
    "library_mismatches",
    "save_model",
    "load_model",
    "model_bytes",
    "model_digest",
    "read_model",
]

FORMAT = "forecast-model"
"""The ``format`` of a model file's envelope."""
FORMAT_VERSION = 1
"""The layout version this package writes and reads."""

_JSON, _NPZ = "model.json", "state.npz"
_ENVELOPE = {
    "format",
    "format_version",
    "package_version",
    "libraries",
    "model",
    "arrays",
    "state_sha256",
    "model_sha256",
}
_LIBRARIES = ("forecast", "numpy", "pandas", "statsmodels", "prophet")


LIBRARY_OF = {
    "ets": "statsmodels",
    "arima": "statsmodels",
    "theta": "statsmodels",
    "prophet": "prophet",
}
"""The library whose classes rebuild each model's fitted state, by registry name."""


@functools.cache
def _version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def model_bytes(model: BaseModel) -> bytes:
    """Return the bytes of a model file holding ``model`` (see the module's description).

    Raises
    ------
    ModelFileError
        The model is not registered, or holds a value that cannot be saved.
    """
    encoder = Encoder(encode_model)
    node = encode_model(encoder, model, "model")
    arrays = io.BytesIO()
    np.savez(arrays, allow_pickle=False, **encoder.arrays)
    state = arrays.getvalue()
    envelope = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "package_version": _version("forecast") or "0.0.0",
        "libraries": {name: _version(name) for name in _LIBRARIES[1:]},
        "model": node,
        "arrays": {
            key: {"dtype": values.dtype.str, "shape": list(values.shape)}
            for key, values in encoder.arrays.items()
        },
        "state_sha256": hashlib.sha256(state).hexdigest(),
        "model_sha256": model_digest(node),
    }
    text = json.dumps(envelope, allow_nan=False, indent=1)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr(_JSON, text)
        archive.writestr(_NPZ, state, compress_type=zipfile.ZIP_STORED)
    return out.getvalue()


def model_digest(node: Json) -> str:
    """Return the SHA-256 digest of a model entry as compact JSON with sorted keys."""
    text = json.dumps(node, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


def save_model(model: BaseModel, path: str | os.PathLike[str]) -> Path:
    """Save a model, fitted or not, to one file.

    Parameters
    ----------
    model : BaseModel
        A registered model; ``auto`` and ``ensemble`` are saved with their members.
    path : str or path
        The file to write (conventionally ``*.fcm``); its folder is created. An existing file
        is replaced atomically: readers see the old model or the new one, never a mix.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ModelFileError
        ``path`` is a directory, or the model cannot be saved.

    See Also
    --------
    load_model : read it back.

    References
    ----------
    .. [1] NumPy Enhancement Proposal 1, "A simple file format for NumPy arrays" (the ``.npy``
       and ``.npz`` formats).
    """
    target = Path(path)
    if target.is_dir():
        raise ModelFileError(
            f"{str(target)!r} is a directory; give the path of a model file such as "
            f"{str(target / 'model.fcm')!r}.",
            path=str(target),
        )
    atomic_write_bytes(target, model_bytes(model))
    return target


def load_model(path: str | os.PathLike[str], *, check: bool = True) -> BaseModel:
    """Load a model saved by :func:`save_model` (or :meth:`BaseModel.save`).

    The loaded model predicts and samples exactly as the saved one did (same seed, same
    numbers, with the same library versions), and ``update`` continues from it where the model
    supports updates.

    Parameters
    ----------
    path : str or path
        A model file.
    check : bool
        Forecast one step from a fitted model before returning it, so that a file whose
        state was edited consistently (and whose digests were recomputed) fails here rather
        than later. Drivers that forecast at once pass False and catch the same errors.

    Returns
    -------
    BaseModel
        The model, fitted if it was fitted when saved.

    Raises
    ------
    ModelFileError
        The path is missing or a directory; the file is truncated, damaged or not a model
        file; it was written in another format version; or its contents were edited (an
        unregistered model name, unknown keys, arrays of another shape or dtype, state that
        does not forecast). The message names the file and what is wrong.

    References
    ----------
    .. [1] Python Software Foundation, ``zipfile`` and ``json`` modules; NumPy's ``.npz``
       format read with ``allow_pickle=False``.
    """
    source = Path(path)
    if source.is_dir():
        raise ModelFileError(
            f"{str(source)!r} is a directory, not a model file; to load a folder of models "
            "saved by save_models, use load_models.",
            path=str(source),
        )
    try:
        data = source.read_bytes()
    except OSError as err:
        raise ModelFileError(
            f"model file {str(source)!r} cannot be read: {err.strerror or err}.", path=str(source)
        ) from err
    return read_model(data, str(source), check=check)


def read_model(data: bytes, name: str, *, check: bool = True) -> BaseModel:
    """Decode the bytes of a model file; ``name`` is the file named in errors."""
    envelope, state = _unpack(data, name)
    arrays = _arrays(envelope, state, name)
    decoder = Decoder(arrays, decode_model)
    node = envelope["model"]
    if not isinstance(node, dict) or node.get("$") != "model":
        raise ModelFileError(f"model file {name!r}: 'model' is not a model entry.", path=name)
    mismatches = library_mismatches(envelope)
    if mismatches:
        warnings.warn(
            f"a saved {node.get('name')!r} model was written with {', '.join(mismatches)}; "
            "its fitted state is rebuilt with that library's classes, so its forecasts may "
            "differ from the saved model's. Refit and save it with the installed version to "
            "be sure.",
            ForecastWarning,
            stacklevel=3,
        )
    try:
        model = decode_model(decoder, node, f"model file {name!r}")
    except ModelFileError as err:
        raise ModelFileError(f"{err} {_refit_advice(mismatches)}", path=name) from err
    except STATE_ERRORS as err:
        if not mismatches:
            raise
        raise ModelFileError(
            f"model file {name!r}: the saved state does not rebuild ({type(err).__name__}: "
            f"{err}). {_refit_advice(mismatches)}",
            path=name,
        ) from err
    unused = sorted(set(arrays) - decoder.used)
    if unused:
        raise ModelFileError(
            f"model file {name!r} holds arrays {unused} that the model does not use; the file "
            "was edited.",
            path=name,
        )
    if check:
        try:
            check_forecasts(model, f"model file {name!r}")
        except ModelFileError as err:
            if not mismatches:
                raise
            raise ModelFileError(f"{err} {_refit_advice(mismatches)}", path=name) from err
    return model


def _refit_advice(mismatches: list[str]) -> str:
    if not mismatches:
        return "Refit and save the model again."
    return (
        f"The file was written with {', '.join(mismatches)}: refit and save the model with "
        "the installed version (or load it where that version is installed)."
    )


def _release(text: object) -> tuple[str, ...] | None:
    """Return the major and minor parts of a version string (None when there is none)."""
    return tuple(text.split(".")[:2]) if isinstance(text, str) else None


def _fitted_names(node: Json) -> set[str]:
    """Return the registry names of the fitted models in an entry, nested members included."""
    names: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            name = item.get("name")
            if item.get("$") == "model" and item.get("results") is not None:
                names.add(str(name))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return names


def library_mismatches(envelope: dict[str, Any]) -> list[str]:
    """Return the libraries a file's models depend on that it records in another release.

    Parameters
    ----------
    envelope : dict
        A model file's ``model.json``.

    Returns
    -------
    list of str
        ``"<library> <written> (installed: <version>)"`` for each library of
        :data:`LIBRARY_OF` that rebuilds a fitted model of the file and whose recorded
        major.minor version differs from the installed one (or is not recorded); sorted.

    References
    ----------
    .. [1] Python Packaging Authority, "Version specifiers" (release segments); statsmodels
       and Prophet follow major.minor.patch releases.
    """
    recorded = envelope.get("libraries")
    written = recorded if isinstance(recorded, dict) else {}
    libraries = {LIBRARY_OF[n] for n in _fitted_names(envelope.get("model")) if n in LIBRARY_OF}
    return [
        f"{library} {written.get(library)} (installed: {_version(library)})"
        for library in sorted(libraries)
        if _release(written.get(library)) is None
        or _release(written.get(library)) != _release(_version(library))
    ]


def _unpack(data: bytes, name: str) -> tuple[dict[str, Any], bytes]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = sorted(archive.namelist())
            if members != sorted([_JSON, _NPZ]):
                raise ModelFileError(
                    f"{name!r} is not a model file of this package: it holds {members[:5]}, "
                    f"expected {_JSON!r} and {_NPZ!r}.",
                    path=name,
                )
            text, state = archive.read(_JSON), archive.read(_NPZ)
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile, ValueError) as err:
        raise ModelFileError(
            f"{name!r} is not a readable model file (truncated, damaged or of another kind: "
            f"{err}). Save the model again.",
            path=name,
        ) from err
    try:
        envelope = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError) as err:
        raise ModelFileError(
            f"model file {name!r}: {_JSON} is not valid JSON ({err}).", path=name
        ) from err
    _check_envelope(envelope, name)
    if hashlib.sha256(state).hexdigest() != envelope["state_sha256"]:
        raise ModelFileError(
            f"model file {name!r}: {_NPZ} does not match the digest recorded in {_JSON}; the "
            "file was edited or damaged.",
            path=name,
        )
    if model_digest(envelope["model"]) != envelope["model_sha256"]:
        raise ModelFileError(
            f"model file {name!r}: the model entry of {_JSON} does not match its recorded "
            "digest; the file was edited. Refit and save the model again.",
            path=name,
        )
    return envelope, state


def _refuse_constant(text: str) -> Json:
    raise ValueError(f"{text} is not allowed")


def _check_envelope(envelope: Json, name: str) -> None:
    if not isinstance(envelope, dict) or envelope.get("format") != FORMAT:
        found = envelope.get("format") if isinstance(envelope, dict) else type(envelope).__name__
        raise ModelFileError(
            f"{name!r} is not a model file of this package (format {found!r}, expected "
            f"{FORMAT!r}).",
            path=name,
        )
    written = envelope.get("format_version")
    if written != FORMAT_VERSION:
        by = envelope.get("package_version")
        raise ModelFileError(
            f"model file {name!r} was written in format version {written!r} by forecast {by!r}; "
            f"this forecast ({_version('forecast')}) reads version {FORMAT_VERSION}. Load it "
            "with the version that wrote it, or refit and save the model again.",
            path=name,
        )
    if set(envelope) != _ENVELOPE:
        extra, missing = sorted(set(envelope) - _ENVELOPE), sorted(_ENVELOPE - set(envelope))
        raise ModelFileError(
            f"model file {name!r}: {_JSON} has unexpected keys {extra} or lacks {missing}; the "
            "file was edited.",
            path=name,
        )
    if not isinstance(envelope["arrays"], dict) or not isinstance(envelope["state_sha256"], str):
        raise ModelFileError(f"model file {name!r}: {_JSON} is malformed.", path=name)


def _load_npz(state: bytes, name: str) -> dict[str, np.ndarray]:
    """Read ``state.npz`` with numpy (the layouts :func:`read_npz` leaves to it)."""
    try:
        with np.load(io.BytesIO(state), allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as err:
        raise ModelFileError(
            f"model file {name!r}: {_NPZ} cannot be read ({err}).", path=name
        ) from err


def _arrays(envelope: dict[str, Any], state: bytes, name: str) -> dict[str, np.ndarray]:
    manifest = envelope["arrays"]
    arrays = read_npz(state)
    if arrays is None:
        arrays = _load_npz(state, name)
    if set(arrays) != set(manifest):
        raise ModelFileError(
            f"model file {name!r}: {_NPZ} holds arrays {sorted(arrays)[:5]} but {_JSON} lists "
            f"{sorted(manifest)[:5]}; the file was edited.",
            path=name,
        )
    for key, values in arrays.items():
        entry = manifest[key]
        expected = (entry.get("dtype"), entry.get("shape")) if isinstance(entry, dict) else None
        if expected != (values.dtype.str, list(values.shape)):
            raise ModelFileError(
                f"model file {name!r}: array {key!r} has dtype {values.dtype.str} and shape "
                f"{list(values.shape)}, but {_JSON} records {entry}; the file was edited.",
                path=name,
            )
    return arrays
