"""Run chunk tasks on local processes or a Dask cluster, handing each result back as it finishes.

Both executors call ``on_done(spec, result, error)`` in the job's own process as soon as a chunk
finishes, in the order chunks finish, so the job writes each chunk at once and a crash loses
only the chunks still running. Tasks run :func:`forecast.batch.guard.run_guarded`, so a series
that raises is a failure row of its chunk. ``error`` is set (and ``result`` is None) when a
chunk was lost: the worker running it died, or the task could not run at all (an exception
outside the series, such as a result that cannot be sent back). The job records it and goes
on; a rerun redoes lost chunks.

Local worker processes die with the job, however the job ends: each sets
``PR_SET_PDEATHSIG`` on Linux (Linux ``prctl(2)``) and runs a watchdog thread that exits when
its parent process changes (``os.getppid``), so no worker outlives a ``kill -9`` of the job.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING

from forecast.batch.chunk import ChunkResult
from forecast.batch.config import BatchConfig
from forecast.batch.guard import run_guarded
from forecast.batch.sources import ChunkSpec
from forecast.errors import ConfigError

if TYPE_CHECKING:
    from distributed import Client
    from distributed.security import Security

__all__ = ["OnDone", "execute", "n_workers", "die_with_parent"]

OnDone = Callable[[ChunkSpec, ChunkResult | None, BaseException | None], None]
"""Called with each finished chunk: its result, or the error that lost it."""


def n_workers(config: BatchConfig) -> int:
    """Workers of the job: ``executor.workers``, or every core when it is not set."""
    return config.executor.workers or os.cpu_count() or 1


_PR_SET_PDEATHSIG = 1
"""``prctl`` option: the signal a process gets when its parent dies (``<linux/prctl.h>``)."""
WATCHDOG_SECONDS = 0.5
"""How often a worker's watchdog checks that its parent is alive."""


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(WATCHDOG_SECONDS)
    os._exit(1)


def die_with_parent(parent: int) -> None:
    """Make this (worker) process end when process ``parent`` ends, however it ends.

    On Linux the kernel sends ``SIGKILL`` when the parent dies (``PR_SET_PDEATHSIG``); on every
    system a daemon thread polls ``os.getppid()`` and exits the process once it changes.

    Parameters
    ----------
    parent : int
        The process id of the job that started this worker.
    """
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)
    threading.Thread(target=_watch, args=(parent,), daemon=True, name="die-with-parent").start()


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
    """Run chunks on a pool; return those a dead worker lost (report them when ``final``)."""
    broken = []
    with ProcessPoolExecutor(
        max_workers=workers, initializer=die_with_parent, initargs=(os.getpid(),)
    ) as pool:
        pending: dict[Future[ChunkResult], ChunkSpec] = {
            pool.submit(run_guarded, s, config): s for s in specs
        }
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=lambda f: pending[f].index):
                spec = pending.pop(future)
                try:
                    result = future.result()
                except BrokenProcessPool as err:
                    if final:
                        on_done(spec, None, err)
                    else:
                        broken.append(spec)
                    continue
                except Exception as err:  # the task could not run: the chunk is lost
                    on_done(spec, None, err)
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
                result = run_guarded(spec, config)
            except Exception as err:  # the task could not run: the chunk is lost
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


def _security(config: BatchConfig) -> Security | None:
    """Map ``[executor.security]`` to Dask's own ``distributed.security.Security`` (or None)."""
    table = config.executor.security
    if table is None:
        return None
    from distributed.security import Security

    files = {
        key: str(config.resolve(value))
        for key, value in table.model_dump(exclude={"require_encryption"}).items()
        if value is not None
    }
    return Security(**files, require_encryption=table.require_encryption)


def _connect(config: BatchConfig, address: str) -> Client:
    """Connect to the Dask scheduler at ``address``; a ConfigError names it when it is not there."""
    from distributed import Client

    timeout = config.executor.connect_timeout
    try:
        return Client(address, security=_security(config), timeout=timeout)
    except (OSError, TimeoutError) as err:
        raise ConfigError(
            f"[executor] address = {address!r}: no Dask scheduler answered within {timeout:g} s "
            f"({type(err).__name__}: {err}). Start the scheduler, check the address and "
            "[executor.security], or raise [executor] connect_timeout."
        ) from err


def _run_dask(specs: Sequence[ChunkSpec], config: BatchConfig, on_done: OnDone) -> str:
    from distributed import Client, LocalCluster, as_completed

    address = config.executor.address
    if address:
        client = _connect(config, address)
        cluster = None
        where = f"dask: scheduler {address}"
    else:
        workers = n_workers(config)
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            # The scheduler's HTTP routes on a free port, not on 8787 that another may hold.
            scheduler_kwargs={"dashboard_address": ":0"},
            silence_logs=logging.ERROR,
        )
        client = Client(cluster)
        where = f"dask: LocalCluster of {workers} workers"
    token = uuid.uuid4().hex[:8]
    try:
        futures = {
            client.submit(
                run_guarded, spec, config, key=f"forecast-batch-{spec.name}-{token}", pure=False
            ): spec
            for spec in specs
        }
        for future in as_completed(futures):
            spec = futures[future]
            try:
                result = future.result()
            except Exception as err:  # KilledWorker (a dead worker), or a task that could not run
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
