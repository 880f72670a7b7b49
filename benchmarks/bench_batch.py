"""Batch jobs at scale: series per second on local processes and on Dask, scaling, peak memory.

Simulated daily DAU series of two years (``fc.datasets.simulate_market``, 3 products per
market, written once to Parquet so every run reads its chunks with a pyarrow filter) are
forecast with ``naive`` and ``ets`` (h = 30) and backtested on 3 windows (step 30). Each job
runs as its own process (``python -m forecast.cli batch JOB.toml``), as a user would run it;
its wall time includes starting Python and, for Dask, the LocalCluster; its CPU time is that of
every process of the job (``getrusage`` of the waited-for children). While it runs, the RSS
of the job's process and of every process below it (local worker processes, Dask nannies and
workers) is sampled every 0.1 s with psutil.

Measured:

1. throughput: series per second with ``local`` and ``dask`` on 1 and on 2 workers, and the
   scaling efficiency from 1 to 2 workers, ``(T1 / T2) / 2``;
   Worker utilisation, the time workers spent inside chunks (from the manifest) over
   ``workers x wall time``, shows how much of the wall time the executor keeps every worker
   busy (start-up, scheduling, stragglers are the rest).
2. memory: the peak RSS of the largest worker and of the job process against the chunk size,
   and against the number of series at a fixed chunk size (``naive`` only, same backtest).

Usage (the full run of the issue; hours on a 2-core machine; ``--runs`` makes a subset of the
throughput runs, e.g. the one-worker runs pinned to one core with ``taskset``)::

    python benchmarks/bench_batch.py --series 10000 --memory-series 10000 2500

What BENCHMARKS.md reports (``ets`` fixed to ETS(A,Ad,A); the one-worker runs side by side,
each on its own core; ``F`` a working folder)::

    taskset -c 0 python benchmarks/bench_batch.py --series 10000 --ets-spec fixed \
        --chunk-size 200 --runs local-1 --memory-series --folder F
    taskset -c 1 python benchmarks/bench_batch.py --series 10000 --ets-spec fixed \
        --chunk-size 200 --runs dask-1 --memory-series --folder F
    python benchmarks/bench_batch.py --series 10000 --ets-spec fixed --chunk-size 200 \
        --runs local-2 dask-2 --memory-series --folder F
    python benchmarks/bench_batch.py --series 10000 --runs --memory-series 10000 \
        --memory-chunk-sizes 50 500 --folder F
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

__all__ = ["make_data", "measure", "main"]

CHUNK_STAGES = ("read", "validate", "forecast", "backtest", "evaluate", "plot")
"""Stages of the manifest that workers spend inside chunks (summed over chunks)."""

RUNS = ("local-1", "local-2", "dask-1", "dask-2")
"""Throughput runs: executor and number of workers."""

ETS_FIXED = {"error": "add", "trend": "add", "damped_trend": True, "seasonal": "add"}
"""The ETS(A,Ad,A) specification used with ``--ets-spec fixed`` (one fit instead of a search)."""


def make_data(folder: Path, n_series: int) -> Path:
    """Write ``n_series`` simulated daily series of 730 days to ``folder/data-<n>.parquet``.

    The file is sorted by ``unique_id`` and written in row groups of 20 series, so that the
    per-chunk pyarrow filter of a job reads only the row groups of its chunk.
    """
    from forecast.datasets import simulate_market

    path = folder / f"data-{n_series}.parquet"
    if not path.exists():
        markets = -(-n_series // 3)
        series = simulate_market(
            n_products=3, periods=730, seed=0, n_markets=markets, retention_ages=()
        ).series
        keep = sorted(series["unique_id"].unique())[:n_series]
        # Sorted by unique_id, in row groups of 20 series, so a chunk's filter reads its own groups.
        rows = series[series["unique_id"].isin(keep)].sort_values(["unique_id", "ds"])
        rows.to_parquet(path, index=False, row_group_size=20 * 730)
    return path


def _job_text(
    data: Path,
    out: Path,
    models: list[str],
    ets_spec: str,
    kind: str,
    workers: int,
    chunk_size: int,
) -> str:
    lines = [
        "[data]",
        f'path = "{data.as_posix()}"',
        "[forecast]",
        f"models = {json.dumps(models)}",
        "horizon = 30",
        "levels = [80, 95]",
    ]
    if "ets" in models and ets_spec == "fixed":
        lines += ["[forecast.params.ets]"] + [
            f"{k} = {json.dumps(v)}" for k, v in ETS_FIXED.items()
        ]
    lines += [
        "[backtest]",
        "windows = 3",
        "step = 30",
        "[output]",
        f'dir = "{out.as_posix()}"',
        "[executor]",
        f'kind = "{kind}"',
        f"workers = {workers}",
        f"chunk_size = {chunk_size}",
    ]
    return "\n".join(lines) + "\n"


def _sample(process: psutil.Process, peaks: dict[str, int], stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            own = process.memory_info().rss
            children = []
            for child in process.children(recursive=True):
                try:
                    children.append(child.memory_info().rss)
                except psutil.Error:
                    continue
        except psutil.Error:
            break
        peaks["job"] = max(peaks["job"], own)
        peaks["worker"] = max([peaks["worker"], *children])
        peaks["tree"] = max(peaks["tree"], own + sum(children))
        stop.wait(0.1)


def measure(job: Path) -> dict[str, float]:
    """Run one job as a process; return its wall and CPU time, exit status and peak RSS (MiB)."""
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "forecast.cli", "batch", str(job), "--progress", "none"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    peaks = {"job": 0, "worker": 0, "tree": 0}
    stop = threading.Event()
    sampler = threading.Thread(target=_sample, args=(psutil.Process(process.pid), peaks, stop))
    sampler.start()
    _, stderr = process.communicate()
    seconds = time.perf_counter() - start
    stop.set()
    sampler.join()
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    if process.returncode not in (0, 3):
        raise SystemExit(f"job {job} failed with status {process.returncode}: {stderr}")
    mib = 2**20
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "exit_status": process.returncode,
        "peak_job_mib": peaks["job"] / mib,
        "peak_worker_mib": peaks["worker"] / mib,
        "peak_tree_mib": peaks["tree"] / mib,
    }


def _run(folder: Path, name: str, text: str, workers: int) -> dict[str, float]:
    job = folder / f"{name}.toml"
    job.write_text(text)
    result = measure(job)
    manifest = json.loads((folder / name / "manifest.json").read_text())
    result["series"] = manifest["counts"]["series"]
    result["failures"] = manifest["counts"]["failures"]
    result["series_per_second"] = result["series"] / result["seconds"]
    busy = sum(manifest["seconds"].get(stage, 0.0) for stage in CHUNK_STAGES)
    result["busy_seconds"] = busy
    result["utilisation"] = busy / (workers * result["seconds"])
    print(f"{name}: {json.dumps({k: round(v, 3) for k, v in result.items()})}", flush=True)
    return result


def _parser() -> argparse.ArgumentParser:
    """The command line of the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=10_000, help="series of the throughput runs")
    parser.add_argument("--models", nargs="+", default=["naive", "ets"])
    parser.add_argument(
        "--ets-spec",
        choices=["auto", "fixed"],
        default="auto",
        help="ets: automatic choice or ETS(A,Ad,A)",
    )
    parser.add_argument(
        "--chunk-size", type=int, default=None, help="series per chunk of the throughput runs"
    )
    parser.add_argument(
        "--memory-series",
        type=int,
        nargs="*",
        default=[10_000, 2_500],
        help="none: skip the memory runs",
    )
    parser.add_argument("--memory-chunk-sizes", type=int, nargs="+", default=[50, 200, 500])
    parser.add_argument(
        "--runs",
        nargs="*",
        choices=RUNS,
        default=list(RUNS),
        help="throughput runs to make (executor-workers); none: memory runs only",
    )
    parser.add_argument(
        "--folder", type=Path, default=None, help="working folder (a temporary one by default)"
    )
    parser.add_argument(
        "--json", type=Path, default=None, help="also write the figures to this JSON file"
    )
    return parser


def _memory_runs(args: argparse.Namespace, folder: Path) -> dict[str, dict[str, float]]:
    """Peak memory of naive jobs against the number of series and the chunk size."""
    memory = {}
    largest = max(args.memory_series, default=0)
    for n_series in args.memory_series:
        sizes = (
            args.memory_chunk_sizes
            if n_series == largest
            else [sorted(args.memory_chunk_sizes)[len(args.memory_chunk_sizes) // 2]]
        )
        for size in sizes:
            name = f"memory-{n_series}-{size}"
            text = _job_text(
                make_data(folder, n_series),
                folder / name,
                ["naive"],
                args.ets_spec,
                "local",
                2,
                size,
            )
            memory[name] = _run(folder, name, text, 2)
    return memory


def _print_tables(
    args: argparse.Namespace,
    chunk: int,
    throughput: dict[str, dict[str, float]],
    memory: dict[str, dict[str, float]],
) -> None:
    """Print the throughput, scaling and memory tables (Markdown)."""
    print(
        f"\nThroughput: {args.series} series x {args.models} (ets {args.ets_spec}), h=30, "
        f"3-window backtest, chunk {chunk}\n"
    )
    print(
        "| executor | workers | wall s | series/s | CPU s (all processes) | worker busy s "
        "| utilisation | failures |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, r in throughput.items():
        kind, workers = name.split("-")
        print(
            f"| {kind} | {workers} | {r['seconds']:.1f} | {r['series_per_second']:.2f} | "
            f"{r['cpu_seconds']:.1f} | {r['busy_seconds']:.1f} | {r['utilisation']:.0%} | "
            f"{r['failures']:.0f} |"
        )
    for kind in ("local", "dask"):
        if f"{kind}-1" not in throughput or f"{kind}-2" not in throughput:
            continue
        efficiency = throughput[f"{kind}-1"]["seconds"] / throughput[f"{kind}-2"]["seconds"] / 2
        print(f"\nscaling efficiency 1 -> 2 workers, {kind}: {efficiency:.0%}")
    print("\nPeak memory (naive, forecast + 3-window backtest, local, 2 workers)\n")
    print(
        "| series | chunk size | wall s | peak worker RSS MiB | peak job RSS MiB | peak total MiB |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for name, r in memory.items():
        _, n_series, size = name.split("-")
        print(
            f"| {n_series} | {size} | {r['seconds']:.1f} | {r['peak_worker_mib']:.0f} | "
            f"{r['peak_job_mib']:.0f} | {r['peak_tree_mib']:.0f} |"
        )


def main(argv: list[str] | None = None) -> dict[str, object]:
    """Run the benchmark and print its tables (Markdown)."""
    args = _parser().parse_args(argv)
    folder = args.folder or Path(tempfile.mkdtemp(prefix="bench-batch-"))
    folder.mkdir(parents=True, exist_ok=True)
    chunk = args.chunk_size or max(1, args.series // 12)
    data = make_data(folder, args.series) if args.runs else None
    throughput = {}
    for name in args.runs:
        kind, workers = name.split("-")
        text = _job_text(data, folder / name, args.models, args.ets_spec, kind, int(workers), chunk)
        throughput[name] = _run(folder, name, text, int(workers))
    memory = _memory_runs(args, folder)
    _print_tables(args, chunk, throughput, memory)
    figures = {
        "throughput": throughput,
        "memory": memory,
        "chunk_size": chunk,
        "args": vars(args) | {"folder": str(folder), "json": str(args.json)},
    }
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, default=str))
    return figures


if __name__ == "__main__":
    main()
