"""A job killed while running leaves ``running`` in its manifest; it is read, and resumed, as
interrupted (its process is gone), never reported as still running."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import forecast as fc
from forecast.batch.manifest import is_interrupted, read_manifest

from .conftest import make_panel


def _dead_pid() -> int:
    """The id of a process that has ended (and was reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _job(tmp_path: Path) -> dict:
    return {
        "data": {"path": "data.parquet"},
        "forecast": {"models": ["naive"], "horizon": 3},
        "output": {"dir": "out"},
        "executor": {"chunk_size": 4, "workers": 1},
        "base_dir": str(tmp_path),
    }


def _as_killed(out: Path, pid: int, host: str | None = None) -> dict:
    """Rewrite the manifest as a job killed halfway leaves it: ``running``, no end."""
    path = out / "manifest.json"
    record = json.loads(path.read_text())
    record.update(status="running", finished=None, pid=pid, host=host or socket.gethostname())
    path.write_text(json.dumps(record))
    return record


def test_a_running_manifest_of_a_gone_process_is_interrupted() -> None:
    base = {"status": "running", "parts_key": "k", "config_hash": "h"}
    here = socket.gethostname()
    assert is_interrupted({**base, "pid": _dead_pid(), "host": here})
    assert not is_interrupted({**base, "pid": os.getpid(), "host": here})
    assert not is_interrupted({**base, "pid": _dead_pid(), "host": here + ".elsewhere"})
    assert not is_interrupted(base)  # no pid: nothing can be told
    assert not is_interrupted({**base, "status": "succeeded", "pid": _dead_pid(), "host": here})


def test_a_job_records_its_process(tmp_path: Path) -> None:
    make_panel(n_series=8, periods=30).to_parquet(tmp_path / "data.parquet", index=False)
    result = fc.batch.run(_job(tmp_path), progress="none")
    assert result.manifest["pid"] == os.getpid()
    assert result.manifest["host"] == socket.gethostname()
    assert "interrupted" not in result.manifest


def test_a_killed_run_is_read_and_resumed_as_interrupted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_panel(n_series=8, periods=30).to_parquet(tmp_path / "data.parquet", index=False)
    out = tmp_path / "out"
    fc.batch.run(_job(tmp_path), progress="none")
    killed = _as_killed(out, _dead_pid())
    assert read_manifest(out)["status"] == "interrupted"
    resumed = fc.batch.run(_job(tmp_path), progress="log")
    assert resumed.manifest["status"] == "succeeded"
    assert resumed.manifest["interrupted"] == {
        "started": killed["started"],
        "pid": killed["pid"],
        "host": killed["host"],
    }
    assert resumed.manifest["counts"]["chunks_reused"] == resumed.manifest["counts"]["chunks"]
    assert f"resuming the run started {killed['started']}" in capsys.readouterr().err
    assert read_manifest(out)["status"] == "succeeded"


def test_a_running_manifest_on_another_host_is_left_running_when_read(tmp_path: Path) -> None:
    make_panel(n_series=4, periods=30).to_parquet(tmp_path / "data.parquet", index=False)
    out = tmp_path / "out"
    fc.batch.run(_job(tmp_path), progress="none")
    _as_killed(out, _dead_pid(), host=socket.gethostname() + ".elsewhere")
    assert read_manifest(out)["status"] == "running"
    resumed = fc.batch.run(_job(tmp_path), progress="none")  # the lock says it is not running
    assert resumed.manifest["interrupted"]["host"].endswith(".elsewhere")


def test_the_report_of_a_killed_job_says_interrupted(tmp_path: Path) -> None:
    make_panel(n_series=4, periods=30).to_parquet(tmp_path / "data.parquet", index=False)
    out = tmp_path / "out"
    fc.batch.run(_job(tmp_path), progress="none")
    finished = fc.report(out, tmp_path / "finished.html").read_text(encoding="utf-8")
    assert "<tr><td>succeeded</td>" in finished  # the status cell of the job's table
    _as_killed(out, _dead_pid())
    page = fc.report(out, tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<tr><td>interrupted</td>" in page
    assert "<tr><td>running</td>" not in page
