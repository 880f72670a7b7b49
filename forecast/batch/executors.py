"""Run chunk tasks on local processes or a Dask cluster, handing each result back as it finishes.

Both executors call ``on_done(spec, result, error)`` in the job's own process as soon as a chunk
finishes, in the order chunks finish, so the job writes each chunk at once and a crash loses
only the chunks still running. ``error`` is set (and ``result`` is None) when a chunk was lost:
its task raised a :class:`~forecast.errors.ForecastError` (an unreadable input file), or the
worker running it died. Any other exception is a bug and stops the job; a rerun resumes it.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from forecast.batch.chunk import ChunkResult, run_chunk
from forecast.batch.config import BatchConfig
from forecast.batch.sources import ChunkSpec
from forecast.errors import ForecastError

__all__ = ["OnDone", "execute", "n_workers"]

OnDone = Callable[[ChunkSpec, ChunkResult | None, BaseException | None], None]
"""Called with each finished chunk: its result, or the error that lost it."""


def n_workers(config: BatchConfig) -> int:
    """Workers of the job: ``executor.workers``, or every core when it is not set."""
    return config.executor.workers or os.cpu_count() or 1


def execute(specs: Sequence[ChunkSpec], config: BatchConfig, on_done: OnDone) -> str:
    """Run ``run_chunk`` on every chunk with the configured executor.

    Parameters
    ----------
    specs : sequence of ChunkSpec
        The chunks still to do.
    config : BatchConfig
        The job (``[executor]`` chooses where chunks run).
    on_done : callable
        Called in this process as each chunk finishes.

    Returns
    -------
    str
        A description of where the chunks ran (``local processes: 2``, the scheduler address).
    """
    if config.executor.kind == "dask":
        return _run_dask(specs, config, on_done)
    return _run_local(specs, config, on_done)


def _pool_round(
    specs: Sequence[ChunkSpec], config: BatchConfig, workers: int, on_done: OnDone, final: bool
) -> list[ChunkSpec]:
    """Run chunks on a pool; return those lost to a dead worker (reported instead when ``final``)."""
    broken = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending: dict[Future[ChunkResult], ChunkSpec] = {
            pool.submit(run_chunk, s, config): s for s in specs
        }
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=lambda f: pending[f].index):
                spec = pending.pop(future)
                try:
                    result = future.result()
                except ForecastError as err:
                    on_done(spec, None, err)
                    continue
                except BrokenProcessPool as err:
                    if final:
                        on_done(spec, None, err)
                    else:
                        broken.append(spec)
                    continue
                on_done(spec, result, None)
    return sorted(broken, key=lambda spec: spec.index)


def _run_local(specs: Sequence[ChunkSpec], config: BatchConfig, on_done: OnDone) -> str:
    """Chunks on a process pool; when a worker dies, the pool is rebuilt for the chunks it lost.

    A dead worker breaks the whole pool, so every chunk still queued is lost with the one that
    killed it. They are run again on a fresh pool, and if that breaks too, each on a pool of its
    own, so only the chunks that kill their worker are reported lost.
    """
    workers = min(n_workers(config), max(len(specs), 1))
    if workers == 1:
        for spec in specs:
            try:
                result = run_chunk(spec, config)
            except ForecastError as err:
                on_done(spec, None, err)
                continue
            on_done(spec, result, None)
        return "local: this process"
    remaining = _pool_round(specs, config, workers, on_done, final=False)
    if remaining:
        remaining = _pool_round(remaining, config, workers, on_done, final=False)
    for spec in remaining:
        _pool_round([spec], config, 1, on_done, final=True)
    return f"local: {workers} processes"


def _run_dask(specs: Sequence[ChunkSpec], config: BatchConfig, on_done: OnDone) -> str:
    from distributed import Client, LocalCluster, as_completed
    from distributed.scheduler import KilledWorker

    address = config.executor.address
    if address:
        client = Client(address)
        cluster = None
        where = f"dask: scheduler {address}"
    else:
        workers = n_workers(config)
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
        client = Client(cluster)
        where = f"dask: LocalCluster of {workers} workers"
    token = uuid.uuid4().hex[:8]
    try:
        futures = {
            client.submit(
                run_chunk, spec, config, key=f"forecast-batch-{spec.name}-{token}", pure=False
            ): spec
            for spec in specs
        }
        for future in as_completed(futures):
            spec = futures[future]
            try:
                result = future.result()
            except (ForecastError, KilledWorker) as err:
                on_done(spec, None, err)
                continue
            finally:
                future.release()
            on_done(spec, result, None)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return where
