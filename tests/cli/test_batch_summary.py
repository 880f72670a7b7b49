"""``forecast batch`` says how many (series, model) pairs succeeded, as the other commands do."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from forecast.cli import cli
from tests.batch.conftest import make_panel, write_job

JOB = """
[data]
path = "data.parquet"
[forecast]
models = ["naive", "drift"]
horizon = 3
[output]
dir = "out"
[executor]
workers = 1
chunk_size = 4
"""


def test_partial_failure_exits_3_and_counts_the_pairs(tmp_path: Path) -> None:
    make_panel(short=("s01", "s10")).to_parquet(tmp_path / "data.parquet", index=False)
    result = CliRunner().invoke(cli, ["batch", str(write_job(tmp_path, JOB)), "--progress", "none"])
    assert result.exit_code == 3, result.output
    failures = pd.read_parquet(tmp_path / "out" / "failures.parquet")
    failed = len(failures[["unique_id", "model"]].drop_duplicates())
    assert f"{12 * 2 - failed} of 24 (series, model) pairs succeeded" in result.stderr


def test_success_counts_every_pair(tmp_path: Path) -> None:
    make_panel().to_parquet(tmp_path / "data.parquet", index=False)
    result = CliRunner().invoke(cli, ["batch", str(write_job(tmp_path, JOB)), "--progress", "none"])
    assert result.exit_code == 0, result.output
    assert "24 of 24 (series, model) pairs succeeded" in result.stderr
