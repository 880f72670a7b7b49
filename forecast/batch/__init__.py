"""Batch jobs: a validated TOML configuration, many series in chunks, resumable, local or on Dask.

>>> import forecast as fc
>>> fc.batch.load_config  # doctest: +ELLIPSIS
<function load_config at ...>

See :func:`run` for the job, :mod:`forecast.batch.config` for the job file, and
:mod:`forecast.batch.store` for the output folder.
"""

from __future__ import annotations

from forecast.batch.config import BatchConfig, load_config
from forecast.batch.runner import EXIT_FAILURES, EXIT_OK, BatchResult, run
from forecast.batch.store import OutputError

__all__ = [
    "BatchConfig",
    "BatchResult",
    "EXIT_FAILURES",
    "EXIT_OK",
    "OutputError",
    "load_config",
    "run",
]
