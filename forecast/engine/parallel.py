"""Ordered parallel map over processes, the one way the drivers parallelise on one machine."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

from forecast.errors import ConfigError

__all__ = ["check_n_jobs", "parallel_map"]

T = TypeVar("T")
R = TypeVar("R")


def check_n_jobs(n_jobs: int) -> int:
    """Number of worker processes: ``n_jobs`` itself, or all cores for ``-1``."""
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1:
        raise ConfigError(f"n_jobs must be a positive integer or -1 (all cores), not {n_jobs!r}.")
    return os.cpu_count() or 1 if n_jobs == -1 else n_jobs


def parallel_map(
    func: Callable[[T], R],
    items: Sequence[T],
    n_jobs: int = 1,
    progress: Callable[[int], None] | None = None,
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
        Called with the number of items finished since the last call.

    Returns
    -------
    list
        ``[func(item) for item in items]``.
    """
    workers = min(check_n_jobs(n_jobs), max(len(items), 1))
    if workers == 1:
        results = []
        for item in items:
            results.append(func(item))
            if progress is not None:
                progress(1)
        return results
    chunksize = max(1, len(items) // (workers * 8))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        results = []
        for result in pool.map(func, items, chunksize=chunksize):
            results.append(result)
            if progress is not None:
                progress(1)
        return results
