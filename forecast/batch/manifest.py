"""``manifest.json``: what a batch job ran, with which versions, on what, how long, and what came out.

The manifest is written atomically when the job starts (``"status": "running"``) and again when
it ends, so a dashboard can tell a finished job from a running or crashed one. Its keys:

=================== ==============================================================================
key                 value
=================== ==============================================================================
``status``          ``running``, ``succeeded`` (exit 0) or ``failures`` (some series failed, exit 3)
``exit_status``     the command's exit status
``versions``        Python, the platform, ``forecast`` and its dependencies
``config``          the validated configuration (all tables, defaults filled in)
``config_hash``     SHA-256 of the configuration's canonical JSON
``parts_key``       the folder of the chunk parts: configuration tables that shape the results,
                    the input files' sizes and modification times, and the package version
``started``         UTC start time, ISO 8601; ``finished`` the end time
``counts``          series, models, chunks, chunks reused from an earlier run, chunks lost,
                    failures, and rows of each output
``seconds``         time per stage: ``plan``, then ``read``, ``validate``, ``forecast``,
                    ``backtest``, ``evaluate``, ``plot`` summed over chunks (worker time),
                    ``write`` and ``combine`` (the job's own time) and ``total`` wall time
``outputs``         the combined output files, relative to the output folder
=================== ==============================================================================
"""

from __future__ import annotations

import hashlib
import json
import platform
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from forecast.batch.config import BatchConfig, input_files
from forecast.io import atomic_write_bytes

__all__ = ["DEPENDENCIES", "versions", "parts_key", "utc_now", "write_manifest"]

DEPENDENCIES: tuple[str, ...] = (
    "forecast",
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "prophet",
    "pyarrow",
    "pydantic",
    "click",
    "rich",
    "dask",
    "distributed",
)
"""Distributions whose versions the manifest records."""


def versions() -> dict[str, str | None]:
    """Versions of Python, the platform and :data:`DEPENDENCIES` (None when not installed)."""
    out: dict[str, str | None] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    for name in DEPENDENCIES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def _fingerprint(config: BatchConfig) -> list[list[object]]:
    out: list[list[object]] = []
    retention = [] if config.data.retention is None else [config.resolve(config.data.retention)]
    for path in [*input_files(config), *retention]:
        stat = path.stat()
        out.append([str(path), stat.st_size, stat.st_mtime_ns])
    return out


def parts_key(config: BatchConfig) -> str:
    """Key of the job's chunk parts (24 hex characters).

    It hashes what shapes a chunk's results: the ``[data]``, ``[forecast]`` and ``[backtest]``
    tables, ``chunk_size``, whether plots are made, the size and modification time of every
    input file (the retention file included), and the ``forecast`` version. The executor and the output formats do not
    change the chunks, so they are left out: the same job may resume on another executor.
    """
    config_dict = config.to_dict()
    shaping = {
        "data": config_dict["data"],
        "forecast": config_dict["forecast"],
        "backtest": config_dict.get("backtest"),
        "chunk_size": config.executor.chunk_size,
        "plots": config.output.plots,
        "inputs": _fingerprint(config),
        "version": versions()["forecast"],
    }
    text = json.dumps(shaping, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def utc_now() -> str:
    """The current UTC time, ISO 8601 with seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def write_manifest(out: Path, manifest: dict[str, Any]) -> Path:
    """Write ``out/manifest.json`` atomically and return its path."""
    path = out / "manifest.json"
    atomic_write_bytes(
        path, (json.dumps(manifest, indent=2, sort_keys=False, default=str) + "\n").encode()
    )
    return path
