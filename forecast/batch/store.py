"""The output folder of a batch job: chunk parts, done markers, and the combined outputs.

Layout (``<key>`` is the job's parts key, see :func:`forecast.batch.manifest.parts_key`)::

    out/
      .lock                 held while a job runs (see :func:`output_lock`)
      manifest.json
      forecasts.parquet  backtest.parquet  metrics.parquet  failures.parquet   (and .csv, .json)
      plots/<unique_id percent-encoded>.png   (a long id: its start and a hash, see plot_name)
      parts/<key>/forecasts/chunk-00000.parquet
      parts/<key>/backtest/chunk-00000.parquet
      parts/<key>/metrics/chunk-00000.parquet
      parts/<key>/failures/chunk-00000.parquet
      parts/<key>/models_index/chunk-00000.parquet    with [output] models = true, and
      parts/<key>/models_history/chunk-00000.parquet  models/models/*.fcm, combined into
                                                      models/index.json, models/history.parquet
      parts/<key>/done/chunk-00000.json        written last: the chunk is finished

Every file is written atomically (a temporary name in the same folder, then a rename), so a
crash leaves either the whole file or none. A chunk counts as finished only when its done
marker exists and every file the marker lists exists; a rerun skips finished chunks and redoes
the others. A changed configuration or input has another key and never reads these parts; a
job removes the parts folders of other keys when it ends (:func:`prune_parts`), and the
temporary files a killed job left when it starts (:func:`clean_temporaries`).

A job writes only inside a folder that is new, empty, or its own (:func:`check_output`), never
deletes a file it did not write, and never follows a symbolic link inside the folder.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from forecast.batch.chunk import OUTPUTS, ChunkResult
from forecast.batch.manifest import read_manifest
from forecast.batch.sources import ChunkSpec
from forecast.errors import ConfigError, ForecastError
from forecast.io import atomic_write_bytes, write_frame

__all__ = [
    "LOCK",
    "OutputError",
    "PartStore",
    "check_output",
    "clean_temporaries",
    "disk_errors",
    "ids_digest",
    "output_lock",
    "prune_parts",
]

LOCK = ".lock"
"""The lock file of an output folder."""

MODEL_PARTS = ("models_index", "models_history")
"""Chunk parts of ``[output] models = true``: the entries and series of the chunk's models,
combined into ``models/`` (see :mod:`forecast.persistence.batch`)."""

_HELD: set[str] = set()
"""Output folders whose lock this process holds (POSIX locks do not exclude their own process)."""

_FIRST = re.compile(r"\.manifest\.json\..+\.tmp")
"""The temporary file of a manifest being written (see :func:`forecast.io.atomic_write_bytes`)."""
_KEY = re.compile(r"[0-9a-f]{24}")
"""The name of a parts folder: a parts key."""


class OutputError(ForecastError, OSError):
    """The output folder cannot take the job's files (the disk or the quota is full)."""


def _listing(paths: list[Path], limit: int = 5) -> str:
    shown = ", ".join(repr(p.name) for p in paths[:limit])
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")


def check_output(out: Path, inputs: list[Path]) -> None:
    """Refuse, before any work, an output folder the job could damage.

    The folder must be new, empty (but for a lock), or one a batch job wrote before (its
    ``manifest.json`` says so); no input file may lie inside it; no link may stand where the
    job writes (``.lock``, ``plots``, ``parts``), because a job never follows one.

    Parameters
    ----------
    out : Path
        The output folder, absolute.
    inputs : list of Path
        The job's input files, absolute.

    Raises
    ------
    ConfigError
        Naming the paths at fault and what to do.
    """
    if out.exists() and not out.is_dir():
        raise ConfigError(
            f"[output] dir {str(out)!r} is a file, not a folder; choose a folder for the outputs."
        )
    inside = [p for p in inputs if p == out or out in p.parents]
    if inside:
        raise ConfigError(
            f"[output] dir {str(out)!r} holds the job's input {str(inside[0])!r}; a job writes "
            "only into its own folder: choose a new [output] dir, e.g. a subfolder 'batch-output'."
        )
    if not out.is_dir():
        return
    for name in (LOCK, "plots", "parts", "manifest.json"):
        if (out / name).is_symlink():
            raise ConfigError(
                f"{str(out / name)!r} is a symbolic link; a batch job never follows links inside "
                "its output folder: remove the link or choose another [output] dir."
            )
    if read_manifest(out) is not None:
        return
    # A job killed while writing its first manifest leaves the lock and that temporary file.
    others = sorted(p for p in out.iterdir() if p.name != LOCK and not _FIRST.fullmatch(p.name))
    if others:
        raise ConfigError(
            f"[output] dir {str(out)!r} holds files that no batch job wrote ({_listing(others)}) "
            "and no manifest.json of one; a job writes only into a new or empty folder, or one "
            "it wrote before: choose another [output] dir."
        )


@contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """Hold ``out/.lock`` for the duration of a job, so two jobs never write one folder at once.

    The lock is a POSIX record lock (``lockf``) on a descriptor opened with ``O_CLOEXEC`` and
    ``O_NOFOLLOW``: the operating system releases it when the job's process ends, however it
    ends, and worker processes never hold it (record locks are not inherited by ``fork``), so
    a rerun after ``kill -9`` finds the folder free. The file holds the job's process id.

    Raises
    ------
    ConfigError
        Another job holds the lock, or ``.lock`` is a symbolic link.
    """
    import fcntl

    out.mkdir(parents=True, exist_ok=True)
    path = out / LOCK
    busy = ConfigError(
        f"another batch job is writing to {str(out)!r}; wait for it to finish or choose "
        "another [output] dir."
    )
    name = os.path.realpath(out)
    if name in _HELD:
        raise busy
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, 0o666)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise ConfigError(
                f"{str(path)!r} is a symbolic link; remove it (a batch job never follows links "
                "inside its output folder)."
            ) from None
        raise
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            if err.errno in (errno.EACCES, errno.EAGAIN):
                raise busy from None
            raise
        _HELD.add(name)
        _write_pid(fd)
        try:
            yield
        finally:
            _HELD.discard(name)
    finally:
        os.close(fd)  # releases the lock


def _write_pid(fd: int) -> None:
    """Write this process's id into the lock file (for people; the lock is the lockf)."""
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    except OSError:
        pass  # a full disk: the lock holds without the note


@contextmanager
def disk_errors(out: Path) -> Iterator[None]:
    """Turn a full disk or quota (``ENOSPC``, ``EDQUOT``) in ``out`` into an OutputError."""
    try:
        yield
    except OSError as err:
        if err.errno not in (errno.ENOSPC, errno.EDQUOT) or isinstance(err, ForecastError):
            raise
        full = OutputError(
            f"no space left to write the batch outputs in {str(out)!r} ({err.strerror}); free "
            "space or choose an [output] dir on another disk, then run the job again: the "
            "finished chunks are kept."
        )
        full.errno = err.errno
        raise full from err


def _temporary(entry: os.DirEntry[str]) -> bool:
    return (
        entry.name.startswith(".")
        and entry.name.endswith(".tmp")
        and entry.is_file(follow_symlinks=False)
    )


def clean_temporaries(out: Path) -> list[Path]:
    """Remove the temporary files (``.<name>.<random>.tmp``) a killed job left; return them.

    Looks in the output folder, ``plots/`` and every folder of ``parts/`` (links are not
    followed).
    """
    folders = [out, out / "plots"]
    parts = out / "parts"
    if parts.is_dir() and not parts.is_symlink():
        for key in _subfolders(parts):
            folders += [key, *_subfolders(key)]
    removed = []
    for folder in folders:
        if not folder.is_dir() or folder.is_symlink():
            continue
        with os.scandir(folder) as entries:
            stale = [Path(entry.path) for entry in entries if _temporary(entry)]
        for path in stale:
            path.unlink(missing_ok=True)
        removed += stale
    return removed


def _subfolders(folder: Path) -> list[Path]:
    with os.scandir(folder) as entries:
        return sorted(Path(e.path) for e in entries if e.is_dir(follow_symlinks=False))


def _marker_files(key_folder: Path) -> set[str]:
    """Files (relative to the output folder) that the done markers of a parts folder list."""
    files: set[str] = set()
    done = key_folder / "done"
    if not done.is_dir() or done.is_symlink():
        return files
    for marker in done.glob("chunk-*.json"):
        try:
            files.update(json.loads(marker.read_text()).get("files", []))
        except (OSError, ValueError):
            continue
    return files


def prune_parts(out: Path, key: str) -> list[Path]:
    """Remove the parts folders of other keys, and the plots only they listed; return them.

    Only folders named like a parts key are removed, and plots a done marker lists, so that
    nothing the job did not write is ever deleted.
    """
    parts = out / "parts"
    if not parts.is_dir() or parts.is_symlink():
        return []
    stale = [p for p in _subfolders(parts) if p.name != key and _KEY.fullmatch(p.name)]
    keep = _marker_files(parts / key)
    plots = {f for old in stale for f in _marker_files(old) if f.startswith("plots/")} - keep
    for name in sorted(plots):
        path = out / name
        if path.is_file() and not path.is_symlink():
            path.unlink()
    for folder in stale:
        shutil.rmtree(folder)
    return stale


def ids_digest(ids: tuple[str, ...]) -> str:
    """SHA-256 (hex, 16 characters) of a chunk's series names."""
    return hashlib.sha256("\n".join(ids).encode()).hexdigest()[:16]


class PartStore:
    """Chunk parts of one job key below an output folder.

    Parameters
    ----------
    out : Path
        The output folder.
    key : str
        The parts key of the job (configuration and inputs).
    keep_models : bool
        The job keeps its fitted models (``[output] models = true``): a chunk finished without
        them is done again.
    """

    def __init__(self, out: Path, key: str, keep_models: bool = False) -> None:
        self.out = out
        self.key = key
        self.root = out / "parts" / key
        self.keep_models = keep_models

    def _part(self, kind: str, name: str) -> Path:
        return self.root / kind / f"{name}.parquet"

    def _marker(self, name: str) -> Path:
        return self.root / "done" / f"{name}.json"

    def finished(self, spec: ChunkSpec) -> dict[str, Any] | None:
        """Return the done marker of a finished chunk, or None when it must be (re)done."""
        marker = self._marker(spec.name)
        try:
            record = json.loads(marker.read_text())
        except (OSError, ValueError):
            return None
        if record.get("ids") != ids_digest(spec.ids):
            return None
        if self.keep_models and MODEL_PARTS[0] not in record.get("rows", {}):
            return None
        files = [self.out / f for f in record.get("files", [])]
        return record if all(f.is_file() for f in files) else None

    def write(
        self, spec: ChunkSpec, result: ChunkResult, seconds_write: float | None = None
    ) -> dict[str, Any]:
        """Write a chunk's frames and plots, then its done marker; return the marker."""
        files = []
        rows = {}
        for kind in OUTPUTS:
            frame = result.frames.get(kind)
            if frame is None:
                continue
            path = write_frame(frame, self._part(kind, spec.name))
            files.append(path.relative_to(self.out).as_posix())
            rows[kind] = len(frame)
        for name, png in result.plots.items():
            path = self.out / "plots" / name
            atomic_write_bytes(path, png)
            files.append(path.relative_to(self.out).as_posix())
        for name, data in result.models.items():
            path = self.out / "models" / "models" / name
            atomic_write_bytes(path, data)
            files.append(path.relative_to(self.out).as_posix())
        for kind in MODEL_PARTS:
            if kind in result.frames:
                path = write_frame(result.frames[kind], self._part(kind, spec.name))
                files.append(path.relative_to(self.out).as_posix())
                rows[kind] = len(result.frames[kind])
        record = {
            "chunk": spec.index,
            "ids": ids_digest(spec.ids),
            "n_series": result.n_series,
            "rows": rows,
            "seconds": result.seconds,
            "files": files,
            "errors": result.errors,
        }
        atomic_write_bytes(self._marker(spec.name), json.dumps(record, indent=1).encode())
        return record

    def parts(self, kind: str, specs: list[ChunkSpec]) -> list[Path]:
        """Existing part files of ``kind`` for the given chunks, in chunk order."""
        paths = [self._part(kind, spec.name) for spec in specs]
        return [p for p in paths if p.is_file()]

    def combine(
        self,
        kind: str,
        specs: list[ChunkSpec],
        formats: Sequence[str],
        extra: pd.DataFrame | None = None,
    ) -> list[Path]:
        """Write ``out/<kind>.<format>`` from the chunk parts, one part in memory at a time.

        Parameters
        ----------
        kind : str
            One of :data:`~forecast.batch.chunk.OUTPUTS`.
        specs : list of ChunkSpec
            The chunks, in order.
        formats : list of str
            ``parquet``, ``csv``, ``json``.
        extra : DataFrame, optional
            Rows appended after the parts (failures of chunks that were lost).

        Returns
        -------
        list of Path
            The files written; none when no chunk produced this output.
        """
        paths = self.parts(kind, specs)
        if not paths and extra is None:
            return []
        return [self._combine_one(kind, paths, fmt, extra) for fmt in formats]

    def _frames(self, paths: list[Path], extra: pd.DataFrame | None) -> Iterator[pd.DataFrame]:
        for path in paths:
            yield pd.read_parquet(path)
        if extra is not None:
            yield extra

    def _combine_one(
        self, kind: str, paths: list[Path], fmt: str, extra: pd.DataFrame | None
    ) -> Path:
        target = self.out / f"{kind}.{fmt}"
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=self.out)
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # mkstemp makes 0600; give the mode of the parts
        os.close(fd)
        try:
            if fmt == "parquet":
                _stream_parquet(self._frames(paths, extra), Path(tmp))
            elif fmt == "csv":
                _stream_csv(self._frames(paths, extra), Path(tmp))
            else:
                _stream_json(self._frames(paths, extra), Path(tmp))
            with open(tmp, "rb") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target


def _stream_parquet(frames: Iterator[pd.DataFrame], path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    empty = None
    try:
        for frame in frames:
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if len(frame) == 0:
                if empty is None:
                    empty = table
                continue
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table.cast(writer.schema))
        if writer is None and empty is not None:
            pq.write_table(empty, path)
    finally:
        if writer is not None:
            writer.close()


def _stream_csv(frames: Iterator[pd.DataFrame], path: Path) -> None:
    header = True
    with open(path, "w", newline="", encoding="utf-8") as handle:
        for frame in frames:
            if len(frame) == 0 and not header:
                continue
            frame.to_csv(handle, index=False, header=header)
            header = False


def _stream_json(frames: Iterator[pd.DataFrame], path: Path) -> None:
    first = True
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("[")
        for frame in frames:
            records = frame.to_json(orient="records", date_format="iso")
            body = records.strip()[1:-1]
            if not body:
                continue
            handle.write(("" if first else ",\n") + body)
            first = False
        handle.write("]\n")
