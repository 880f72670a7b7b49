"""``manifest.json``: what a batch job ran, with which versions, on what, how long, what came out.

The manifest is written atomically when the job starts (``"status": "running"``) and again when
it ends, so a dashboard can tell a finished job from a running or crashed one. Its keys:

=================== ==============================================================================
key                 value
=================== ==============================================================================
``status``          ``running`` while the job runs, then always one of ``succeeded`` (exit 0),
                    ``partial`` (some series, models or chunks failed, exit 3) or ``failed`` (the
                    job itself stopped on an error, exit 1; ``error`` holds it and its traceback);
                    :func:`read_manifest` gives ``interrupted`` for a ``running`` manifest whose
                    job process is gone (killed: it could not write its end)
``pid``, ``host``   the job's process id and machine, by which a stale ``running`` is recognised
``interrupted``     when the job resumed an interrupted run: that run's ``started``, ``pid`` and
                    ``host``
``exit_status``     the command's exit status
``versions``        Python, the platform, ``forecast`` and its dependencies
``config``          the validated configuration (all tables, defaults filled in)
``config_hash``     SHA-256 of the configuration's canonical JSON
``inputs``          path, size and SHA-256 of every input file
``parts_key``       the folder of the chunk parts: configuration tables that shape the results,
                    the input files' SHA-256, and the package version
``started``         UTC start time, ISO 8601; ``finished`` the end time
``counts``          series, models, chunks, chunks reused from an earlier run, chunks lost,
                    failures, and rows of each output
``seconds``         time per stage: ``plan``, then ``read``, ``validate``, ``forecast``,
                    ``backtest``, ``evaluate``, ``plot`` summed over chunks (worker time),
                    ``write`` and ``combine`` (the job's own time) and ``total`` wall time
``outputs``         the combined output files, relative to the output folder
``errors``          unexpected exceptions: the chunk, the series (or none when a whole chunk
                    was lost), the error type, message and traceback
=================== ==============================================================================
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import socket
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from forecast.batch.config import BatchConfig, input_paths
from forecast.io import atomic_write_bytes

__all__ = [
    "DEPENDENCIES",
    "file_digest",
    "input_digests",
    "is_manifest",
    "is_interrupted",
    "parts_key",
    "read_manifest",
    "this_process",
    "utc_now",
    "versions",
    "write_manifest",
]

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


_BLOCK = 1 << 20
"""Bytes read at a time when hashing an input file."""


def file_digest(path: Path) -> str:
    """SHA-256 (hex) of a file's bytes, read a block at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def input_digests(config: BatchConfig) -> list[dict[str, object]]:
    """Path, size and SHA-256 of every input file of the job (the retention file included).

    The content, not the size and modification time, keys the reuse of chunk parts: an edit
    that keeps the size and restores the time (``cp -p``) is still a new input.
    """
    return [
        {"path": str(path), "bytes": path.stat().st_size, "sha256": file_digest(path)}
        for path in input_paths(config)
    ]


def parts_key(config: BatchConfig, inputs: list[dict[str, object]] | None = None) -> str:
    """Key of the job's chunk parts (24 hex characters).

    It hashes what shapes a chunk's results: the ``[data]``, ``[forecast]`` and ``[backtest]``
    tables, ``chunk_size``, whether plots are made, the path and SHA-256 of every input file
    (the retention file included, see :func:`input_digests`), and the ``forecast`` version. The
    executor and the output formats do not change the chunks, so they are left out: the same
    job may resume on another executor.

    Parameters
    ----------
    config : BatchConfig
        The job.
    inputs : list of dict, optional
        :func:`input_digests` of the job, when already computed.
    """
    config_dict = config.to_dict()
    digests = input_digests(config) if inputs is None else inputs
    shaping = {
        "data": config_dict["data"],
        "forecast": config_dict["forecast"],
        "backtest": config_dict.get("backtest"),
        "chunk_size": config.executor.chunk_size,
        "plots": config.output.plots,
        "inputs": [[d["path"], d["sha256"]] for d in digests],
        "version": versions()["forecast"],
    }
    text = json.dumps(shaping, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def utc_now() -> str:
    """Return the current UTC time, ISO 8601 with seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def is_manifest(record: object) -> bool:
    """Whether ``record`` (parsed JSON) is the manifest of a batch job."""
    return isinstance(record, dict) and {"status", "parts_key", "config_hash"} <= set(record)


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this machine (a zombie counts: it has not been reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process of that id
        return True
    return True


def is_interrupted(record: dict[str, Any]) -> bool:
    """Whether a manifest says ``running`` but its job's process is gone.

    A job writes ``running`` when it starts and its end status when it ends; a job killed in
    between (``kill -9``, a lost machine) leaves ``running``. The manifest records the job's
    ``pid`` and ``host``: on that host, a pid that no longer exists means the job was
    interrupted. On another host, or for a manifest without a pid, nothing can be told and
    the answer is False.

    Parameters
    ----------
    record : dict
        A manifest (:func:`is_manifest`).

    Returns
    -------
    bool
    """
    pid = record.get("pid")
    return (
        record.get("status") == "running"
        and isinstance(pid, int)
        and record.get("host") == socket.gethostname()
        and not _alive(pid)
    )


def read_manifest(out: Path) -> dict[str, Any] | None:
    """Read the batch manifest in ``out``; None when there is none (or it is not a job's).

    A ``running`` manifest whose job process is gone (:func:`is_interrupted`) is returned with
    ``status`` ``interrupted``: the job was killed and did not write its end; running the job
    again resumes it.
    """
    path = out / "manifest.json"
    if path.is_symlink() or not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not is_manifest(record):
        return None
    return {**record, "status": "interrupted"} if is_interrupted(record) else record


def this_process() -> dict[str, object]:
    """Return the ``pid`` and ``host`` a job records in its manifest."""
    return {"pid": os.getpid(), "host": socket.gethostname()}


def write_manifest(out: Path, manifest: dict[str, Any]) -> Path:
    """Write ``out/manifest.json`` atomically and return its path."""
    path = out / "manifest.json"
    atomic_write_bytes(
        path, (json.dumps(manifest, indent=2, sort_keys=False, default=str) + "\n").encode()
    )
    return path
