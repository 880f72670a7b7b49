"""Resuming: a job killed with SIGKILL halfway, run again, gives an uninterrupted run's outputs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pandas.testing as pdt
import pytest

import forecast as fc
from forecast.models import registry
from forecast.models.naive import Naive
from forecast.schema import DS, MODEL, UNIQUE_ID, Y

from .conftest import make_panel, write_job

JOB = """
[data]
path = "data.parquet"
[forecast]
models = ["naive", "drift"]
horizon = 7
[backtest]
windows = 1
[output]
dir = "{out}"
formats = ["parquet", "csv"]
[executor]
kind = "local"
workers = 1
chunk_size = 1
"""


def _start(job: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "forecast.cli", "batch", str(job), "--progress", "log"],
        cwd=job.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _markers(out: Path) -> list[Path]:
    return sorted(out.glob("parts/*/done/chunk-*.json"))


@pytest.mark.slow
def test_sigkill_halfway_then_rerun_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    n_series = 16
    make_panel(n_series=n_series, periods=90).to_parquet(tmp_path / "data.parquet", index=False)
    job = write_job(tmp_path, JOB.format(out="killed"))
    reference_job = write_job(tmp_path, JOB.format(out="reference"), name="reference.toml")

    process = _start(job)
    out = tmp_path / "killed"
    deadline = time.monotonic() + 60
    while len(_markers(out)) < 3 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    done_before = len(_markers(out))
    assert process.returncode == -signal.SIGKILL, "the job finished before it could be killed"
    assert 0 < done_before < n_series
    assert not (out / "forecasts.parquet").exists()

    rerun = subprocess.run(
        [sys.executable, "-m", "forecast.cli", "batch", str(job), "--progress", "log"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert f"{done_before} of {n_series} chunks" in rerun.stderr
    reference = fc.batch.run(reference_job, progress="none")

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["chunks_reused"] == done_before
    assert manifest["counts"]["chunks"] == n_series
    for kind in ("forecasts", "backtest", "metrics", "failures"):
        resumed = pd.read_parquet(out / f"{kind}.parquet")
        pdt.assert_frame_equal(resumed, reference.read(kind))
        assert (out / f"{kind}.csv").read_bytes() == (
            tmp_path / "reference" / f"{kind}.csv"
        ).read_bytes()
    forecasts = pd.read_parquet(out / "forecasts.parquet")
    assert not forecasts.duplicated([UNIQUE_ID, MODEL, DS]).any()
    assert forecasts.groupby([UNIQUE_ID, MODEL]).size().eq(7).all()
    assert forecasts[UNIQUE_ID].nunique() == n_series


def _job(tmp_path: Path, horizon: int = 5) -> dict:
    return {
        "data": {"path": "data.parquet"},
        "forecast": {"models": ["naive"], "horizon": horizon},
        "output": {"dir": "out"},
        "executor": {"chunk_size": 4, "workers": 1},
        "base_dir": str(tmp_path),
    }


def test_a_rerun_skips_finished_chunks_and_redoes_incomplete_ones(tmp_path: Path) -> None:
    make_panel().to_parquet(tmp_path / "data.parquet", index=False)
    first = fc.batch.run(_job(tmp_path), progress="none")
    parts = tmp_path / "out" / first.manifest["parts"]
    (parts / "forecasts" / "chunk-00001.parquet").unlink()  # a chunk whose files are incomplete
    again = fc.batch.run(_job(tmp_path), progress="none")
    assert again.manifest["counts"]["chunks_reused"] == 2
    assert again.manifest["parts_key"] == first.manifest["parts_key"]
    pdt.assert_frame_equal(again.read("forecasts"), fc.forecast(make_panel(), "naive", 5))


def test_a_changed_config_or_input_reuses_nothing(tmp_path: Path) -> None:
    make_panel().to_parquet(tmp_path / "data.parquet", index=False)
    first = fc.batch.run(_job(tmp_path), progress="none")
    changed = fc.batch.run(_job(tmp_path, horizon=6), progress="none")
    assert changed.manifest["counts"]["chunks_reused"] == 0
    assert changed.manifest["parts_key"] != first.manifest["parts_key"]
    assert changed.read("forecasts").groupby(UNIQUE_ID).size().eq(6).all()
    new_data = make_panel(seed=1)
    new_data.to_parquet(tmp_path / "data.parquet", index=False)
    os.utime(tmp_path / "data.parquet", ns=(time.time_ns(), time.time_ns() + 10**9))
    rerun = fc.batch.run(_job(tmp_path, horizon=6), progress="none")
    assert rerun.manifest["counts"]["chunks_reused"] == 0
    pdt.assert_frame_equal(rerun.read("forecasts"), fc.forecast(new_data, "naive", 6))


class _DiesOnS05(Naive):
    """``naive``, except that fitting ``s05`` kills the worker process while ``armed`` exists."""

    armed: Path | None = None

    def _fit(self, data: pd.DataFrame, retention: pd.DataFrame | None) -> None:
        if self.armed is not None and self.armed.exists() and data[Y].iloc[0] == self.first_of_s05:
            os._exit(1)
        super()._fit(data, retention)

    first_of_s05: float = float("nan")


@pytest.fixture
def dying_model(tmp_path: Path):
    """Register ``dies_on_s05`` for one test (worker processes inherit it by fork)."""
    registry.register("dies_on_s05")(_DiesOnS05)
    _DiesOnS05.armed = tmp_path / "armed"
    panel = make_panel()
    _DiesOnS05.first_of_s05 = float(panel.loc[panel[UNIQUE_ID] == "s05", Y].iloc[0])
    yield _DiesOnS05
    registry.unregister("dies_on_s05")
    _DiesOnS05.armed = None


@pytest.mark.slow
@pytest.mark.skipif(
    sys.platform != "linux", reason="the test model reaches worker processes by fork"
)
def test_a_dead_worker_loses_only_its_chunks_which_the_next_run_redoes(
    tmp_path: Path, dying_model: type
) -> None:
    make_panel().to_parquet(tmp_path / "data.parquet", index=False)
    job = _job(tmp_path)
    job["forecast"]["models"] = ["dies_on_s05"]
    job["executor"] = {"chunk_size": 4, "workers": 2}
    (tmp_path / "armed").touch()
    crashed = fc.batch.run(job, progress="none")
    assert crashed.exit_status == 3
    assert crashed.manifest["counts"]["chunks_lost"] == 1
    failures = crashed.read("failures")
    assert set(failures["error_type"]) == {"BrokenProcessPool"}
    assert sorted(failures[UNIQUE_ID]) == ["s04", "s05", "s06", "s07"]
    assert sorted(crashed.read("forecasts")[UNIQUE_ID].unique()) == [
        "s00",
        "s01",
        "s02",
        "s03",
        "s08",
        "s09",
        "s10",
        "s11",
    ]

    (tmp_path / "armed").unlink()
    again = fc.batch.run(job, progress="none")
    assert again.exit_status == 0
    assert again.manifest["counts"]["chunks_reused"] == 2
    assert again.read("failures").empty
    # the subclass is not calibrated by default, as naive is
    plain = fc.models.get("naive", calibrate=False)
    expected = fc.forecast(make_panel(), plain, 5).assign(model="dies_on_s05")
    pdt.assert_frame_equal(again.read("forecasts"), expected)


def test_outputs_an_earlier_job_left_behind_are_removed(tmp_path: Path) -> None:
    make_panel().to_parquet(tmp_path / "data.parquet", index=False)
    job = _job(tmp_path)
    job["backtest"] = {"windows": 1}
    job["output"] = {"dir": "out", "formats": ["csv", "parquet"]}
    fc.batch.run(job, progress="none")
    assert (tmp_path / "out" / "backtest.csv").is_file()
    del job["backtest"]
    job["output"]["formats"] = ["parquet"]
    result = fc.batch.run(job, progress="none")
    names = sorted(
        p.name for p in (tmp_path / "out").iterdir() if p.is_file() and not p.name.startswith(".")
    )
    assert names == ["failures.parquet", "forecasts.parquet", "manifest.json"]
    assert sorted(result.outputs) == ["failures", "forecasts"]


def test_two_jobs_never_write_one_folder_at_once(tmp_path: Path) -> None:
    from forecast.batch.store import output_lock

    make_panel().to_parquet(tmp_path / "data.parquet", index=False)
    with output_lock(tmp_path / "out"):
        with pytest.raises(fc.ConfigError, match="another batch job is writing to"):
            fc.batch.run(_job(tmp_path), progress="none")
    assert fc.batch.run(_job(tmp_path), progress="none").exit_status == 0
