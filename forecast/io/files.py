"""Reading and writing frames by file extension (CSV, Parquet, JSON), with atomic writes."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

from forecast.errors import ConfigError, SchemaError
from forecast.schema import UNIQUE_ID

__all__ = ["read_frame", "write_frame", "atomic_write_bytes", "FORMATS"]

FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".json": "json"}


def _format_of(path: Path) -> str:
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        allowed = ", ".join(sorted(FORMATS))
        raise ConfigError(
            f"file {str(path)!r} has an unknown extension; use one of {allowed}."
        ) from None


def _ids_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Give a Parquet file's whole-number ``unique_id`` as text, as the contract holds ids."""
    if UNIQUE_ID in frame.columns and pd.api.types.is_integer_dtype(frame[UNIQUE_ID].dtype):
        return frame.assign(**{UNIQUE_ID: frame[UNIQUE_ID].astype(str)})
    return frame


def read_frame(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a CSV, Parquet or JSON (records) file into a DataFrame.

    Series names (``unique_id``) are read as text, as the data contract holds them: ``007`` in
    a CSV file stays ``"007"``, and whole numbers in a Parquet or JSON file become ``"7"``.
    Nothing else is converted; :func:`forecast.validate` checks the rest.

    Parameters
    ----------
    path : str or path-like
        The file; its extension chooses the format.

    Returns
    -------
    DataFrame
        The file's rows.

    Raises
    ------
    ConfigError
        The extension is not one of ``.csv``, ``.parquet``, ``.pq``, ``.json``.
    SchemaError
        The file does not exist or cannot be parsed.
    """
    path = Path(path)
    kind = _format_of(path)
    if not path.is_file():
        raise SchemaError(f"file {str(path)!r} does not exist.")
    try:
        if kind == "csv":
            return pd.read_csv(path, dtype={UNIQUE_ID: str})
        if kind == "parquet":
            return _ids_as_text(pd.read_parquet(path))
        return pd.read_json(path, orient="records", dtype={UNIQUE_ID: str})
    except (ValueError, TypeError, NotImplementedError, OSError, UnicodeDecodeError) as err:
        raise SchemaError(
            f"file {str(path)!r} could not be read as {kind}: {err}. Check that the file is a "
            f"valid {kind} file (a table of rows, one column per field)."
        ) from err


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            umask = os.umask(0)
            os.umask(umask)
            os.fchmod(handle.fileno(), 0o666 & ~umask)  # mkstemp makes 0600; give the usual mode
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_frame(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a frame atomically, choosing the format from the extension.

    Dates are written as ISO strings in CSV and JSON, and as timestamps in Parquet.

    Returns
    -------
    Path
        The path written.
    """
    path = Path(path)
    kind = _format_of(path)
    if kind == "csv":
        data = frame.to_csv(index=False).encode()
    elif kind == "json":
        data = frame.to_json(orient="records", date_format="iso", indent=1).encode()
    else:
        data = frame.to_parquet(index=False)
    atomic_write_bytes(path, data)
    return path
