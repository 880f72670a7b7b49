"""Saved models: load-and-forecast against refitting, and the size of the saved models.

Simulated daily DAU series (``fc.datasets.simulate_market``, 3 products per market) are fit
with ``ets`` and ``theta`` and forecast h = 30 with 80 and 95% intervals in three ways, each
timed on its own (wall time, ``n_jobs`` worker processes):

1. ``fit+save``: :func:`forecast.persistence.forecast_and_save` (fit, forecast, and save every
   model and the history into a models folder);
2. ``load+forecast``: :func:`forecast.persistence.predict_models` on that folder (read the
   index, load each model, forecast);
3. ``refit``: ``fc.forecast`` (fit and forecast), what a job without saved models does, checked
   equal to the ``load+forecast`` forecasts.

They run in that order so that a long run that is stopped early has measured the two ways of
forecasting first. Every phase prints its progress (models done, rate) to stderr about once a
minute, so a run stopped early still gives the measured rates.

The speed-up is ``refit / load+forecast``; the issue's goal is at least 20. The sizes are
those of the model files on disk, per model, and of the folder's history per series.

Usage (the issue's run: 10,000 series of 730 days; long on a 2-core machine)::

    python benchmarks/bench_persistence.py --n-series 10000 --jobs 2

``--chunk-series 500`` measures 500 series at a time and prints the totals after each chunk.

``--ets-spec fixed`` fits ETS(A,Ad,A) only instead of the automatic search (as
``bench_batch.py``); ``--periods`` shortens the series.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

__all__ = ["make_series", "measure", "combine", "main"]

T = TypeVar("T")

ETS_FIXED = {"error": "add", "trend": "add", "damped_trend": True, "seasonal": "add"}
"""ETS(A,Ad,A), fitted with ``--ets-spec fixed`` (one fit instead of a search)."""


def make_series(n_series: int, periods: int) -> pd.DataFrame:
    """``n_series`` simulated daily DAU series of ``periods`` days (seed 0)."""
    from forecast.datasets import simulate_market

    markets = -(-n_series // 3)
    series = simulate_market(
        n_products=3, periods=periods, seed=0, n_markets=markets, retention_ages=()
    ).series
    keep = sorted(series["unique_id"].unique())[:n_series]
    return series[series["unique_id"].isin(keep)][["unique_id", "ds", "y"]].reset_index(drop=True)


def _models(ets_spec: str) -> dict[str, object]:
    import forecast as fc

    ets = fc.models.get("ets", **(ETS_FIXED if ets_spec == "fixed" else {}))
    return {"ets": ets, "theta": fc.models.get("theta")}


class _Progress:
    """Print a phase's progress (models done, elapsed, rate) to stderr about once a minute."""

    def __init__(self, label: str, total: int, every: float = 60.0) -> None:
        self.label, self.total, self.every = label, total, every
        self.done, self.start = 0, time.perf_counter()
        self.shown = self.start

    def __call__(self, n: int) -> None:
        self.done += n
        now = time.perf_counter()
        if now - self.shown >= self.every or self.done == self.total:
            self.shown = now
            elapsed = now - self.start
            print(
                f"{self.label:>14}: {self.done}/{self.total} models, {elapsed:8.1f} s, "
                f"{1000 * elapsed / max(self.done, 1):7.2f} ms per model",
                file=sys.stderr,
                flush=True,
            )


def _timed(label: str, total: int, call: Callable[[_Progress], T]) -> tuple[T, float]:
    start = time.perf_counter()
    value = call(_Progress(label, total))
    seconds = time.perf_counter() - start
    print(f"{label:>14}: {seconds:9.2f} s", file=sys.stderr, flush=True)
    return value, seconds


def measure(
    series: pd.DataFrame, ets_spec: str, jobs: int, folder: Path, h: int = 30
) -> dict[str, object]:
    """Time refit, fit+save and load+forecast on ``series``; sizes of the saved models.

    Returns
    -------
    dict
        Seconds of each way, the speed-up, the mean and largest model file per model (bytes),
        the history's bytes per series, the failures, and whether the forecasts are equal.
    """
    import forecast as fc
    from forecast.persistence import forecast_and_save, predict_models, read_index

    models = _models(ets_spec)
    target = folder / "models"
    total = series["unique_id"].nunique() * len(models)
    saved, t_save = _timed(
        "fit+save",
        total,
        lambda p: forecast_and_save(series, models, h, target, n_jobs=jobs, progress=p),
    )
    loaded, t_load = _timed(
        "load+forecast", total, lambda p: predict_models(target, h, n_jobs=jobs, progress=p)
    )
    refit, t_refit = _timed(
        "refit", total, lambda p: fc.forecast(series, models, h, n_jobs=jobs, progress=p)
    )
    failures = refit.attrs.get("failures")
    equal = loaded.frame.equals(refit.reset_index(drop=True))
    sizes: dict[str, list[int]] = {}
    for entry in read_index(target):
        sizes.setdefault(entry.model, []).append(entry.file.stat().st_size)
    n_series = series["unique_id"].nunique()
    return {
        "series": n_series,
        "periods": int(series.groupby("unique_id").size().max()),
        "ets_spec": ets_spec,
        "jobs": jobs,
        "refit_s": round(t_refit, 2),
        "fit_save_s": round(t_save, 2),
        "load_forecast_s": round(t_load, 2),
        "speedup": round(t_refit / t_load, 1),
        "save_overhead": round(t_save / t_refit - 1.0, 3),
        "model_bytes_mean": {k: int(np.mean(v)) for k, v in sorted(sizes.items())},
        "model_bytes_max": {k: int(np.max(v)) for k, v in sorted(sizes.items())},
        "history_bytes_per_series": round((target / "history.parquet").stat().st_size / n_series),
        "failures": 0 if failures is None else len(failures),
        "failures_saved": len(saved.failures),
        "failures_loaded": len(loaded.failures),
        "forecasts_equal": bool(equal),
    }


def combine(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Add up the rows of chunks of series: seconds and failures summed, sizes averaged."""
    n = [int(r["series"]) for r in rows]
    total = sum(n)

    def mean(key: str) -> dict[str, int]:
        kinds = sorted(rows[0][key])
        return {
            k: round(sum(r[key][k] * m for r, m in zip(rows, n, strict=True)) / total)
            for k in kinds
        }

    out = dict(rows[0], series=total)
    for key in ("refit_s", "fit_save_s", "load_forecast_s"):
        out[key] = round(sum(float(r[key]) for r in rows), 2)
    out["speedup"] = round(out["refit_s"] / out["load_forecast_s"], 1)
    out["save_overhead"] = round(out["fit_save_s"] / out["refit_s"] - 1.0, 3)
    out["model_bytes_mean"] = mean("model_bytes_mean")
    out["model_bytes_max"] = {
        k: max(r["model_bytes_max"][k] for r in rows) for k in rows[0]["model_bytes_max"]
    }
    out["history_bytes_per_series"] = round(
        sum(r["history_bytes_per_series"] * m for r, m in zip(rows, n, strict=True)) / total
    )
    for key in ("failures", "failures_saved", "failures_loaded"):
        out[key] = sum(int(r[key]) for r in rows)
    out["forecasts_equal"] = all(r["forecasts_equal"] for r in rows)
    return out


def _print_row(row: dict[str, Any]) -> None:
    print("| " + " | ".join(row) + " |")
    print("|" + "---|" * len(row))
    print("| " + " | ".join(str(v) for v in row.values()) + " |", flush=True)


def main(argv: list[str] | None = None) -> dict[str, object]:
    """Run the benchmark and print its row as a Markdown table.

    With ``--chunk-series N`` the series are measured N at a time (each chunk fit and saved,
    loaded and forecast, refit) and the totals so far are printed after every chunk, so that
    a run stopped early reports every way measured on the same series.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-series", type=int, default=10_000)
    parser.add_argument("--periods", type=int, default=730)
    parser.add_argument("--ets-spec", choices=("auto", "fixed"), default="auto")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--folder", type=Path, help="Working folder (default: a temporary one).")
    parser.add_argument("--chunk-series", type=int, help="Measure this many series at a time.")
    args = parser.parse_args(argv)
    series = make_series(args.n_series, args.periods)
    ids = sorted(series["unique_id"].unique())
    size = args.chunk_series or len(ids)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.folder or Path(scratch)
        for start in range(0, len(ids), size):
            chunk = series[series["unique_id"].isin(ids[start : start + size])]
            where = folder / f"chunk-{start // size}"
            where.mkdir(parents=True, exist_ok=True)
            rows.append(measure(chunk.reset_index(drop=True), args.ets_spec, args.jobs, where))
            shutil.rmtree(where)
            if len(rows) < -(-len(ids) // size):
                print(f"after {len(rows)} chunk(s):", flush=True)
                _print_row(combine(rows))
    row = combine(rows)
    _print_row(row)
    return row


if __name__ == "__main__":
    main()
