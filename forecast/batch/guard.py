"""Fault isolation of a chunk: one bad series never takes its chunk, or the job, down with it.

:func:`run_guarded` is what the executors run. It calls
:func:`~forecast.batch.chunk.run_chunk` on the whole chunk; when that raises (a series whose
dates overflow, an unexpected error in a model or a driver), it bisects the chunk and runs each
half again, down to single series. A single series that still raises becomes a failure row for
every model (its error type and message), and, when the error is not one of the package's own
(:class:`~forecast.errors.ForecastError`), a record with its traceback that the job puts in
``manifest.json`` under ``errors``. A chunk of good series costs one call; a chunk with ``k``
bad series about ``2 k log2(n)`` calls.

Only a worker process that dies (killed, out of memory) loses a chunk; see
:mod:`forecast.batch.executors`.
"""

from __future__ import annotations

import traceback
from dataclasses import replace

import pandas as pd

from forecast.batch.chunk import OUTPUTS, ChunkResult, run_chunk
from forecast.batch.config import BatchConfig
from forecast.batch.sources import ChunkSpec
from forecast.engine.tasks import failure_record, failures_frame
from forecast.errors import ForecastError
from forecast.schema import UNIQUE_ID

__all__ = ["run_guarded", "error_record"]


def error_record(
    chunk: int | None, unique_id: str | None, error: BaseException
) -> dict[str, object]:
    """Describe an error for ``manifest.json``: chunk, series (None: all), type, traceback."""
    return {
        "chunk": chunk,
        UNIQUE_ID: unique_id,
        "error_type": type(error).__name__,
        "message": str(error),
        "traceback": "".join(traceback.format_exception(error)),
    }


def _halves(spec: ChunkSpec) -> list[ChunkSpec]:
    """Cut a chunk into two of contiguous series (same index, same source)."""
    middle = len(spec.ids) // 2
    out = []
    for ids in (spec.ids[:middle], spec.ids[middle:]):
        frame = spec.frame
        if frame is not None:
            frame = frame[frame[UNIQUE_ID].astype(str).isin(ids)].reset_index(drop=True)
        out.append(replace(spec, ids=ids, frame=frame))
    return out


def _failed(spec: ChunkSpec, config: BatchConfig, error: BaseException) -> ChunkResult:
    """Turn a single series that raised into a failure row per model."""
    (uid,) = spec.ids
    rows = [failure_record(uid, label, None, error) for label in config.forecast.models]
    errors = [] if isinstance(error, ForecastError) else [error_record(spec.index, uid, error)]
    return ChunkResult(spec.index, {"failures": failures_frame(rows)}, n_series=1, errors=errors)


def _merge(spec: ChunkSpec, parts: list[ChunkResult]) -> ChunkResult:
    """One result from the results of consecutive parts of a chunk, rows in the same order."""
    frames: dict[str, pd.DataFrame] = {}
    for kind in OUTPUTS:
        pieces = [part.frames[kind] for part in parts if kind in part.frames]
        if kind == "failures":
            records: list[dict[str, object]] = [
                {str(k): v for k, v in row.items()}
                for piece in pieces
                for row in piece.to_dict("records")
            ]
            frames[kind] = failures_frame(records)
        elif pieces:
            frames[kind] = pd.concat(pieces, ignore_index=True)
    seconds: dict[str, float] = {}
    for part in parts:
        for stage, value in part.seconds.items():
            seconds[stage] = seconds.get(stage, 0.0) + value
    return ChunkResult(
        spec.index,
        frames,
        plots={name: png for part in parts for name, png in part.plots.items()},
        seconds=seconds,
        n_series=sum(part.n_series for part in parts),
        errors=[error for part in parts for error in part.errors],
    )


def run_guarded(spec: ChunkSpec, config: BatchConfig) -> ChunkResult:
    """Run a chunk; a series that makes it raise fails alone, as failure rows.

    Parameters
    ----------
    spec : ChunkSpec
        The chunk.
    config : BatchConfig
        The job.

    Returns
    -------
    ChunkResult
        The chunk's frames; ``errors`` holds the traceback of every series that raised an
        exception other than a :class:`~forecast.errors.ForecastError`.

    Notes
    -----
    The result equals ``run_chunk(spec, config)`` whenever that returns; otherwise the series
    that raise are isolated by bisection (Knuth, *TAOCP* vol. 3, 6.2.1: each level halves the
    suspects), so the good series of the chunk are still forecast.
    """
    try:
        return run_chunk(spec, config)
    except Exception as err:  # isolated below: a failure row, never a lost job
        if len(spec.ids) <= 1:
            return _failed(spec, config, err)
    return _merge(spec, [run_guarded(half, config) for half in _halves(spec)])
