"""Ordered parallel map over processes, the one way the drivers parallelise on one machine.

Progress protocol
-----------------
Every driver reports progress the same way: a callable ``progress(n)`` called with the number
of units of work finished since the last call ((series, model) pairs of a forecast, windows of
a backtest). A progress bar's ``advance`` fits it (see :func:`forecast.cli._common.progress_bar`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

from forecast.errors import ConfigError

__all__ = ["Progress", "check_n_jobs", "parallel_map"]

T = TypeVar("T")
R = TypeVar("R")

Progress = Callable[[int], None]
"""A progress callback: called with the number of units finished since the last call."""


def check_n_jobs(n_jobs: int) -> int:
    """Return the number of worker processes: ``n_jobs`` itself, or all cores for ``-1``."""
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1:
        raise ConfigError(f"n_jobs must be a positive integer or -1 (all cores), not {n_jobs!r}.")
    return os.cpu_count() or 1 if n_jobs == -1 else n_jobs


def parallel_map(
    func: Callable[[T], R],
    items: Sequence[T],
    n_jobs: int = 1,
    progress: Progress | None = None,
    units: Sequence[int] | None = None,
) -> list[R]:
    """Apply ``func`` to every item, in processes when ``n_jobs > 1``; results keep input order.

    Parameters
    ----------
    func : callable
        A picklable function of one item. It should catch its own expected failures and
        return them as values, so one item never stops the others.
    items : sequence
        The work items.
    n_jobs : int
        Worker processes; 1 runs in this process, -1 uses every core.
    progress : callable, optional
        Called with the number of units finished as each item finishes.
    units : sequence of int, optional
        Units of work of each item (1 each by default), what ``progress`` receives.

    Returns
    -------
    list
        ``[func(item) for item in items]``.
    """
    workers = min(check_n_jobs(n_jobs), max(len(items), 1))
    sizes = [1] * len(items) if units is None else list(units)
    results: list[R] = []
    if workers == 1:
        for item, size in zip(items, sizes, strict=True):
            results.append(func(item))
            if progress is not None:
                progress(size)
        return results
    chunksize = max(1, len(items) // (workers * 8))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for result, size in zip(pool.map(func, items, chunksize=chunksize), sizes, strict=True):
            results.append(result)
            if progress is not None:
                progress(size)
    return results
