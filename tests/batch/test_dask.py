"""The same batch job on a dask.distributed LocalCluster gives the outputs of local processes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandas.testing as pdt
import pytest

import forecast as fc

pytest.importorskip("distributed")


def _job(tmp_path: Path, kind: str) -> dict:
    return {
        "data": {"path": "data.parquet"},
        "forecast": {"models": ["naive", "drift"], "horizon": 5},
        "backtest": {"windows": 1},
        "output": {"dir": f"out-{kind}"},
        "executor": {"kind": kind, "workers": 2, "chunk_size": 3},
        "base_dir": str(tmp_path),
    }


@pytest.mark.slow
def test_dask_local_cluster_gives_the_outputs_of_local_processes(
    tmp_path: Path, panel_file: Path
) -> None:
    local = fc.batch.run(_job(tmp_path, "local"), progress="none")
    on_dask = fc.batch.run(_job(tmp_path, "dask"), progress="none")
    assert on_dask.manifest["executor"] == "dask: LocalCluster of 2 workers"
    assert on_dask.manifest["counts"] == local.manifest["counts"]
    assert on_dask.manifest["parts_key"] == local.manifest["parts_key"]
    for kind in ("forecasts", "backtest", "metrics", "failures"):
        pdt.assert_frame_equal(on_dask.read(kind), local.read(kind))


@pytest.mark.slow
def test_a_job_pointed_at_a_scheduler_address_runs_on_that_cluster(
    tmp_path: Path, panel_file: Path
) -> None:
    from distributed import LocalCluster

    job = _job(tmp_path, "dask")
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": ":0"},  # 8787 may be taken
    ) as cluster:
        job["executor"]["address"] = cluster.scheduler_address
        result = fc.batch.run(job, progress="none")
    assert result.manifest["executor"] == f"dask: scheduler {cluster.scheduler_address}"
    pdt.assert_frame_equal(
        result.read("forecasts"), fc.forecast(pd.read_parquet(panel_file), ["naive", "drift"], 5)
    )
