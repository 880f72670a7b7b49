"""The output folder of a batch job: chunk parts, done markers, and the combined outputs.

Layout (``<key>`` is the job's parts key, see :func:`forecast.batch.manifest.parts_key`)::

    out/
      .lock                 held while a job runs (see :func:`output_lock`)
      manifest.json
      forecasts.parquet  backtest.parquet  metrics.parquet  failures.parquet   (and .csv, .json)
      plots/<unique_id percent-encoded>.png
      parts/<key>/forecasts/chunk-00000.parquet
      parts/<key>/backtest/chunk-00000.parquet
      parts/<key>/metrics/chunk-00000.parquet
      parts/<key>/failures/chunk-00000.parquet
      parts/<key>/done/chunk-00000.json        written last: the chunk is finished

Every file is written atomically (a temporary name in the same folder, then a rename), so a
crash leaves either the whole file or none. A chunk counts as finished only when its done
marker exists and every file the marker lists exists; a rerun skips finished chunks and redoes
the others. A changed configuration or input has another key and never reads these parts.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from forecast.batch.chunk import OUTPUTS, ChunkResult
from forecast.batch.sources import ChunkSpec
from forecast.errors import ConfigError
from forecast.io import atomic_write_bytes, write_frame

__all__ = ["PartStore", "ids_digest", "output_lock"]


@contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """Hold ``out/.lock`` for the duration of a job, so two jobs never write one folder at once.

    The lock is an advisory ``flock`` that the operating system releases when the process
    ends, however it ends (a crashed or killed job leaves no stale lock).

    Raises
    ------
    ConfigError
        Another process holds the lock: a job is already writing to ``out``.
    """
    import fcntl

    out.mkdir(parents=True, exist_ok=True)
    with open(out / ".lock", "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigError(
                f"another batch job is writing to {str(out)!r}; wait for it to finish or choose another [output] dir."
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


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
    """

    def __init__(self, out: Path, key: str) -> None:
        self.out = out
        self.key = key
        self.root = out / "parts" / key

    def _part(self, kind: str, name: str) -> Path:
        return self.root / kind / f"{name}.parquet"

    def _marker(self, name: str) -> Path:
        return self.root / "done" / f"{name}.json"

    def finished(self, spec: ChunkSpec) -> dict[str, Any] | None:
        """The done marker of a finished chunk, or None when the chunk must be (re)done."""
        marker = self._marker(spec.name)
        try:
            record = json.loads(marker.read_text())
        except (OSError, ValueError):
            return None
        if record.get("ids") != ids_digest(spec.ids):
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
        record = {
            "chunk": spec.index,
            "ids": ids_digest(spec.ids),
            "n_series": result.n_series,
            "rows": rows,
            "seconds": result.seconds,
            "files": files,
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
        formats: list[str],
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
