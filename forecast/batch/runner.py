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
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from forecast.batch.chunk import OUTPUTS, ChunkResult
from forecast.batch.config import BatchConfig, config_hash, input_paths, load_config
from forecast.batch.executors import execute
from forecast.batch.guard import error_record
from forecast.batch.manifest import (
    input_digests,
    parts_key,
    read_manifest,
    this_process,
    utc_now,
    versions,
    write_manifest,
)
from forecast.batch.progress import Progress, ProgressMode
from forecast.batch.sources import ChunkSpec, plan_chunks
from forecast.batch.store import (
    MODEL_PARTS,
    PartStore,
    check_output,
    clean_temporaries,
    disk_errors,
    output_lock,
    prune_parts,
)
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


def _lost_record(spec: ChunkSpec, error: BaseException | None) -> dict[str, object]:
    """Describe a lost chunk for the ``errors`` of ``manifest.json``."""
    if error is None:
        error = RuntimeError("the chunk was lost without an error")
    record = error_record(spec.index, None, error)
    record["series"] = len(spec.ids)
    return record


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
        self.lost_errors: list[dict[str, object]] = []
        self.n_lost = 0
        self.reused = 0
        self.write_seconds = 0.0
        for spec in specs:
            marker = store.finished(spec)
            # A chunk where a series raised an unexpected error is run again: the error may
            # have been transient (memory) or fixed since.
            if marker is not None and not marker.get("errors"):
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
            self.lost_errors.append(_lost_record(spec, error))
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
        The configuration is invalid, the output folder is not the job's own (it holds other
        files or the job's inputs, or is a file), or another job is writing to it; all raised
        before any work.
    DataError
        The input cannot be listed (a file without ``unique_id``, a filter that leaves nothing).
    OutputError
        The disk of the output folder is full; the finished chunks are kept for the rerun.

    Notes
    -----
    Run the same job again after a crash and it skips the chunks already finished; the outputs
    equal those of an uninterrupted run. Reuse is keyed by the SHA-256 of the input files, so a
    changed input (or configuration) writes its parts to another folder and reuses nothing
    stale. A series that raises fails alone (a row of ``failures``, its traceback in the
    manifest's ``errors``); ``manifest.json`` ends ``succeeded``, ``partial`` or ``failed``.

    Examples
    --------
    >>> import forecast as fc
    >>> result = fc.batch.run("examples/batch_job.toml", progress="none")  # doctest: +SKIP
    >>> result.exit_status, result.read("forecasts").shape  # doctest: +SKIP
    """
    cfg = load_config(config)
    started = utc_now()
    wall = time.perf_counter()
    out = cfg.output_dir
    check_output(out, input_paths(cfg))
    specs = plan_chunks(cfg)
    inputs = input_digests(cfg)
    plan_seconds = time.perf_counter() - wall
    with output_lock(out), disk_errors(out):
        check_output(out, input_paths(cfg))
        job = _Job(cfg, specs, out, inputs, started)
        return job.run(progress, wall, plan_seconds)


class _Job:
    """The job, while this process holds the output folder's lock."""

    def __init__(
        self,
        cfg: BatchConfig,
        specs: list[ChunkSpec],
        out: Path,
        inputs: list[dict[str, object]],
        started: str,
    ) -> None:
        self.cfg = cfg
        self.specs = specs
        self.out = out
        self.store = PartStore(out, parts_key(cfg, inputs), keep_models=cfg.output.models)
        previous = read_manifest(out) or {}
        self.manifest: dict[str, Any] = {
            "status": "running",
            "exit_status": None,
            "versions": versions(),
            "config": cfg.to_dict(),
            "config_hash": config_hash(cfg),
            "inputs": inputs,
            "parts_key": self.store.key,
            "parts": self.store.root.relative_to(out).as_posix(),
            "started": started,
            "finished": None,
            **this_process(),
            # What earlier runs wrote, kept until this one ends: the only outputs it may remove.
            "outputs": previous.get("outputs", {}),
        }
        # This process holds the folder's lock: a "running" manifest is of a job that was killed.
        if previous.get("status") in ("running", "interrupted"):
            self.manifest["interrupted"] = {k: previous.get(k) for k in ("started", "pid", "host")}

    def run(self, progress: ProgressMode, wall: float, plan_seconds: float) -> BatchResult:
        """Run the chunks, combine them, and write the final manifest whatever happens."""
        clean_temporaries(self.out)
        write_manifest(self.out, self.manifest)
        try:
            return self._run(progress, wall, plan_seconds)
        except BaseException as err:
            self.manifest.update(
                status="failed",
                exit_status=1,
                finished=utc_now(),
                error=error_record(None, None, err),
            )
            with suppress(OSError):  # a full disk keeps the "running" manifest
                write_manifest(self.out, self.manifest)
            raise

    def _run(self, progress: ProgressMode, wall: float, plan_seconds: float) -> BatchResult:
        cfg, out, store = self.cfg, self.out, self.store
        labels = list(cfg.forecast.models)
        with Progress(progress, len(self.specs)) as reporter:
            tally = _Tally(store, self.specs, labels, reporter)
            if "interrupted" in self.manifest:
                reporter.message(
                    f"resuming the run started {self.manifest['interrupted']['started']}, which "
                    "was interrupted (its manifest still said running)"
                )
            reporter.skipped(tally.reused, sum(m["n_series"] for m in tally.markers.values()))
            todo = [spec for spec in self.specs if spec.index not in tally.markers]
            self.manifest["executor"] = (
                execute(todo, cfg, tally.on_done) if todo else "none: every chunk was finished"
            )
        clock = time.perf_counter()
        outputs = self._combine(tally)
        combine_seconds = time.perf_counter() - clock
        self._finish(tally, outputs, wall, plan_seconds, combine_seconds)
        if cfg.output.report:
            outputs["report"] = [self._report()]
        prune_parts(out, store.key)
        reporter.message(
            f"{self.manifest['counts']['series']} series, {len(labels)} models, "
            f"{self.manifest['counts']['failures']} failures; outputs in {out}"
        )
        return BatchResult(out, self.manifest, outputs)

    def _report(self) -> Path:
        """Write ``report.html`` (``[output] report = true``) and list it in the manifest."""
        from forecast.reporting import report

        clock = time.perf_counter()
        path = report(self.out, self.out / "report.html", title=f"Batch job {self.out.name}")
        self.manifest["outputs"]["report"] = [path.name]
        self.manifest["seconds"]["report"] = round(time.perf_counter() - clock, 3)
        write_manifest(self.out, self.manifest)
        return path

    def _combine(self, tally: _Tally) -> dict[str, list[Path]]:
        """Write the combined outputs; remove those earlier runs wrote and this one does not."""
        lost = failures_frame(tally.lost) if tally.lost else None
        outputs = {}
        for kind in OUTPUTS:
            paths = self.store.combine(
                kind,
                self.specs,
                self.cfg.output.formats,
                extra=lost if kind == "failures" else None,
            )
            if paths:
                outputs[kind] = paths
        if self.cfg.output.models:
            outputs["models"] = [self._models()]
        written = {path for paths in outputs.values() for path in paths}
        for names in self.manifest["outputs"].values():
            for name in names:
                path = self.out / name
                if path not in written and path.parent == self.out and not path.is_symlink():
                    path.unlink(missing_ok=True)
        return outputs

    def _models(self) -> Path:
        """Write ``models/``, the folder of the chunks' fitted models; return its index."""
        from forecast.persistence.batch import combine_models

        index_parts = self.store.parts(MODEL_PARTS[0], self.specs)
        history_parts = self.store.parts(MODEL_PARTS[1], self.specs)
        return combine_models(self.out / "models", index_parts, history_parts)

    def _finish(
        self,
        tally: _Tally,
        outputs: dict[str, list[Path]],
        wall: float,
        plan_seconds: float,
        combine_seconds: float,
    ) -> None:
        """Write the final manifest: status, counts, stage times, outputs and errors."""
        seconds: dict[str, float] = defaultdict(float)
        seconds["plan"] = plan_seconds
        rows: dict[str, int] = defaultdict(int)
        errors: list[dict[str, object]] = []
        for marker in tally.markers.values():
            for stage, value in marker["seconds"].items():
                seconds[stage] += value
            for kind, count in marker["rows"].items():
                rows[kind] += count
            errors += marker.get("errors", [])
        rows["failures"] += len(tally.lost)
        seconds["write"] = tally.write_seconds
        seconds["combine"] = combine_seconds
        n_failures = rows["failures"]
        exit_status = EXIT_OK if n_failures == 0 else EXIT_FAILURES
        self.manifest.update(
            status="succeeded" if exit_status == EXIT_OK else "partial",
            exit_status=exit_status,
            finished=utc_now(),
            counts={
                "series": sum(len(spec.ids) for spec in self.specs),
                "models": len(self.cfg.forecast.models),
                "chunks": len(self.specs),
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
                kind: [p.relative_to(self.out).as_posix() for p in paths]
                for kind, paths in outputs.items()
            },
            errors=sorted(errors, key=lambda e: (e["chunk"], str(e["unique_id"])))
            + tally.lost_errors,
        )
        write_manifest(self.out, self.manifest)
