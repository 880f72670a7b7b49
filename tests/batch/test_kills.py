"""SIGKILL at random moments, of the job's main process alone or of its whole group.

After every kill the worker processes are gone and the output folder's lock is free, so the
next run starts at once and resumes; after five kills the outputs are byte-identical to an
uninterrupted run, without duplicates or temporary files.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

import forecast as fc
from forecast.batch.manifest import read_manifest
from forecast.batch.store import output_lock
from forecast.schema import DS, MODEL, UNIQUE_ID

from .conftest import make_panel, write_job

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform != "linux", reason="reads worker processes from /proc"),
]

N_SERIES = 12
KILLS = 5
JOB = """
[data]
path = "data.parquet"
[forecast]
models = ["naive"]
horizon = 3
[output]
dir = "{out}"
formats = ["parquet", "csv"]
[executor]
kind = "local"
workers = 2
chunk_size = 1
"""


def _children(pid: int) -> set[int]:
    """Child processes of ``pid`` (every thread's), from /proc."""
    out: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out |= {int(c) for c in (task / "children").read_text().split()}
        except OSError:
            continue
    return out


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for a reaper counts as dead)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in {"Z", "X"}


def _markers(out: Path) -> int:
    return len(list(out.glob("parts/*/done/chunk-*.json")))


def _kill_once(job: Path, out: Path, group: bool, rng: np.random.Generator) -> bool:
    """Start the job, SIGKILL it at a random moment; return whether it was killed."""
    log = job.parent / "stderr.log"
    with open(log, "wb") as stderr:  # a file, not a pipe: orphaned workers cannot block a read
        process = subprocess.Popen(
            [sys.executable, "-m", "forecast.cli", "batch", str(job), "--progress", "none"],
            cwd=job.parent,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )
    target = _markers(out) + int(rng.integers(0, 4))
    deadline = time.monotonic() + 60
    while _markers(out) < target and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    time.sleep(float(rng.uniform(0, 0.05)))
    workers = _children(process.pid)
    try:
        if group:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            os.kill(process.pid, signal.SIGKILL)
    except ProcessLookupError:  # it finished, and poll() reaped it, before the kill
        pass
    process.wait()
    if process.returncode != -signal.SIGKILL:
        assert process.returncode == 0, log.read_text()  # it finished first; never a lock error
        return False
    deadline = time.monotonic() + 10
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not [w for w in workers if _alive(w)], "workers outlived the killed job"
    with output_lock(out):  # free at once: a rerun would start
        pass
    manifest = read_manifest(out)  # none when killed before the first manifest was written
    assert manifest is None or manifest["status"] in ("interrupted", "succeeded"), manifest
    return True


@pytest.mark.parametrize("group", [False, True], ids=["main-process-only", "whole-group"])
def test_five_sigkills_at_random_moments_then_a_rerun_equals_an_uninterrupted_run(
    tmp_path: Path, group: bool
) -> None:
    make_panel(n_series=N_SERIES, periods=30).to_parquet(tmp_path / "data.parquet", index=False)
    job = write_job(tmp_path, JOB.format(out="killed"))
    out = tmp_path / "killed"
    rng = np.random.default_rng(18 + group)
    kills = sum(_kill_once(job, out, group, rng) for _ in range(KILLS))
    assert kills >= 3, f"only {kills} of {KILLS} runs were killed before they finished"

    before = read_manifest(out)
    resumed = fc.batch.run(job, progress="none")
    was_interrupted = before is not None and before["status"] == "interrupted"
    assert ("interrupted" in resumed.manifest) == was_interrupted
    reference = fc.batch.run(write_job(tmp_path, JOB.format(out="ref"), "ref.toml"), "none")
    assert resumed.exit_status == 0
    for kind in ("forecasts", "failures"):
        pdt.assert_frame_equal(resumed.read(kind), reference.read(kind))
        assert (out / f"{kind}.csv").read_bytes() == (tmp_path / "ref" / f"{kind}.csv").read_bytes()
    forecasts = pd.read_parquet(out / "forecasts.parquet")
    assert not forecasts.duplicated([UNIQUE_ID, MODEL, DS]).any()
    assert forecasts[UNIQUE_ID].nunique() == N_SERIES
    assert not list(out.rglob("*.tmp"))
    assert [p.name for p in (out / "parts").iterdir()] == [resumed.manifest["parts_key"]]
