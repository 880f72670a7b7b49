"""``fc.batch.run``: a resumable, fault-isolated batch job over many series.

The job validates its configuration, lists and chunks the series, skips the chunks an earlier
run of the same job finished, runs the others on the configured executor, writes each chunk's
parts as it finishes, then combines the parts into the outputs and writes ``manifest.json``.
See :mod:`forecast.batch.store` for the output folder and :mod:`forecast.batch.manifest` for the
manifest.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from forecast.batch.chunk import OUTPUTS, ChunkResult
from forecast.batch.config import OUTPUT_FORMATS, BatchConfig, config_hash, load_config
from forecast.batch.executors import execute
from forecast.batch.manifest import parts_key, utc_now, versions, write_manifest
from forecast.batch.progress import Progress, ProgressMode
from forecast.batch.sources import ChunkSpec, plan_chunks
from forecast.batch.store import PartStore, output_lock
from forecast.engine.tasks import failure_record, failures_frame
from forecast.errors import ConfigError

__all__ = ["EXIT_OK", "EXIT_FAILURES", "BatchResult", "run"]

EXIT_OK = 0
"""Exit status of a job where every series and model succeeded."""
EXIT_FAILURES = 3
"""Exit status of a job that finished but where some series, models or chunks failed."""


@dataclass
class BatchResult:
    """What a finished batch job produced.

    Attributes
    ----------
    out : Path
        The output folder.
    manifest : dict
        The content of ``manifest.json``.
    outputs : dict of str to list of Path
        Combined output files by kind (``forecasts``, ``backtest``, ``metrics``, ``failures``).
    """

    out: Path
    manifest: dict[str, Any]
    outputs: dict[str, list[Path]] = field(default_factory=dict)

    @property
    def exit_status(self) -> int:
        """0 when nothing failed, 3 when some series, models or chunks failed."""
        return int(self.manifest["exit_status"])

    @property
    def n_failures(self) -> int:
        """Rows of the failures output."""
        return int(self.manifest["counts"]["failures"])

    def read(self, kind: str) -> pd.DataFrame:
        """Read a combined output (``forecasts``, ``backtest``, ``metrics``, ``failures``).

        Raises
        ------
        ConfigError
            The job wrote no output of that kind (``backtest`` without a ``[backtest]`` table).
        """
        from forecast.io import read_frame

        if kind not in self.outputs:
            raise ConfigError(
                f"this job wrote no {kind!r} output; it wrote {', '.join(sorted(self.outputs))}."
            )
        return read_frame(self.outputs[kind][0])


class _Tally:
    """Done markers and lost chunks, gathered as chunks finish."""

    def __init__(
        self, store: PartStore, specs: list[ChunkSpec], labels: list[str], progress: Progress
    ) -> None:
        self.store = store
        self.labels = labels
        self.progress = progress
        self.markers: dict[int, dict[str, Any]] = {}
        self.lost: list[dict[str, object]] = []
        self.n_lost = 0
        self.reused = 0
        self.write_seconds = 0.0
        for spec in specs:
            marker = store.finished(spec)
            if marker is not None:
                self.markers[spec.index] = marker
        self.reused = len(self.markers)

    def on_done(
        self, spec: ChunkSpec, result: ChunkResult | None, error: BaseException | None
    ) -> None:
        if result is None:
            self.n_lost += 1
            self.lost += [
                failure_record(uid, label, None, error or RuntimeError())
                for uid in spec.ids
                for label in self.labels
            ]
            self.progress.advance(
                spec.index, len(spec.ids), 0, 0.0, lost=f"{type(error).__name__}: {error}"
            )
            return
        start = time.perf_counter()
        marker = self.store.write(spec, result)
        self.write_seconds += time.perf_counter() - start
        self.markers[spec.index] = marker
        self.progress.advance(
            spec.index, result.n_series, marker["rows"]["failures"], sum(result.seconds.values())
        )


def run(
    config: BatchConfig | dict[str, Any] | str | os.PathLike[str], progress: ProgressMode = "auto"
) -> BatchResult:
    """Run a batch job: forecasts, an optional backtest and its metrics for every series.

    Parameters
    ----------
    config : BatchConfig, dict or path
        A job file (TOML), its tables as a dict, or a validated config (see
        :func:`forecast.batch.load_config`).
    progress : {"auto", "bar", "log", "none"}
        A progress bar in a terminal, one log line per chunk on standard error otherwise
        (``auto``), or silence.

    Returns
    -------
    BatchResult
        The output folder, the manifest and the output files. ``exit_status`` is 0 when every
        series and model succeeded and 3 when some failed (they are in the ``failures``
        output: series, model, cutoff, error type and message).

    Raises
    ------
    ConfigError
        The configuration is invalid (raised before any work), or another job is writing to
        the same output folder.
    DataError
        The input cannot be listed (a file without ``unique_id``, a filter that leaves nothing).

    Notes
    -----
    Run the same job again after a crash and it skips the chunks already finished; the outputs
    equal those of an uninterrupted run. A changed configuration or input file writes its parts
    to another folder and reuses nothing stale.

    Examples
    --------
    >>> import forecast as fc
    >>> result = fc.batch.run("examples/batch_job.toml", progress="none")  # doctest: +SKIP
    >>> result.exit_status, result.read("forecasts").shape  # doctest: +SKIP
    """
    cfg = load_config(config)
    started = utc_now()
    clock = wall = time.perf_counter()
    specs = plan_chunks(cfg)
    plan_seconds = time.perf_counter() - clock
    out = cfg.output_dir
    with output_lock(out):
        result = _run_locked(cfg, specs, out, started, wall, plan_seconds, progress)
    return result


def _run_locked(
    cfg: BatchConfig,
    specs: list[ChunkSpec],
    out: Path,
    started: str,
    wall: float,
    plan_seconds: float,
    progress: ProgressMode,
) -> BatchResult:
    """The job, while this process holds the output folder's lock."""
    store = PartStore(out, parts_key(cfg))
    manifest: dict[str, Any] = {
        "status": "running",
        "exit_status": None,
        "versions": versions(),
        "config": cfg.to_dict(),
        "config_hash": config_hash(cfg),
        "parts_key": store.key,
        "parts": store.root.relative_to(out).as_posix(),
        "started": started,
        "finished": None,
    }
    write_manifest(out, manifest)
    labels = list(cfg.forecast.models)
    with Progress(progress, len(specs)) as reporter:
        tally = _Tally(store, specs, labels, reporter)
        reporter.skipped(tally.reused, sum(m["n_series"] for m in tally.markers.values()))
        todo = [spec for spec in specs if spec.index not in tally.markers]
        manifest["executor"] = (
            execute(todo, cfg, tally.on_done) if todo else "none: every chunk was finished"
        )
    clock = time.perf_counter()
    lost = failures_frame(tally.lost) if tally.lost else None
    outputs = {}
    for kind in OUTPUTS:
        paths = store.combine(
            kind, specs, cfg.output.formats, extra=lost if kind == "failures" else None
        )
        if paths:
            outputs[kind] = paths
    _remove_stale_outputs(out, outputs)
    combine_seconds = time.perf_counter() - clock
    seconds: dict[str, float] = defaultdict(float)
    seconds["plan"] = plan_seconds
    rows: dict[str, int] = defaultdict(int)
    for marker in tally.markers.values():
        for stage, value in marker["seconds"].items():
            seconds[stage] += value
        for kind, count in marker["rows"].items():
            rows[kind] += count
    rows["failures"] += len(tally.lost)
    seconds["write"] = tally.write_seconds
    seconds["combine"] = combine_seconds
    n_failures = rows["failures"]
    exit_status = EXIT_OK if n_failures == 0 else EXIT_FAILURES
    manifest.update(
        status="succeeded" if exit_status == EXIT_OK else "failures",
        exit_status=exit_status,
        finished=utc_now(),
        counts={
            "series": sum(len(spec.ids) for spec in specs),
            "models": len(labels),
            "chunks": len(specs),
            "chunks_reused": tally.reused,
            "chunks_lost": tally.n_lost,
            "failures": n_failures,
            "rows": dict(rows),
        },
        seconds={
            **{k: round(v, 3) for k, v in seconds.items()},
            "total": round(time.perf_counter() - wall, 3),
        },
        outputs={
            kind: [p.relative_to(out).as_posix() for p in paths] for kind, paths in outputs.items()
        },
    )
    write_manifest(out, manifest)
    reporter.message(
        f"{manifest['counts']['series']} series, {len(labels)} models, {n_failures} failures; outputs in {out}"
    )
    return BatchResult(out, manifest, outputs)


def _remove_stale_outputs(out: Path, outputs: dict[str, list[Path]]) -> None:
    """Delete combined outputs an earlier job left in ``out`` that this job did not write."""
    written = {path for paths in outputs.values() for path in paths}
    for kind in OUTPUTS:
        for fmt in OUTPUT_FORMATS:
            path = out / f"{kind}.{fmt}"
            if path not in written:
                path.unlink(missing_ok=True)
