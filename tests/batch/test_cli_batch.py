"""``forecast batch JOB.toml``: exit status 0, 3, 1 and 2, one-line errors, --check and --help."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from forecast.cli import cli

from .conftest import make_panel, write_job

JOB = """
[data]
path = "data.parquet"
[forecast]
models = ["naive", "drift"]
horizon = {horizon}
[output]
dir = "out"
[executor]
workers = 1
chunk_size = 4
"""


def _invoke(*args: str):
    return CliRunner().invoke(cli, ["batch", *args])


def test_a_job_that_succeeds_exits_0(tmp_path: Path, panel_file: Path) -> None:
    job = write_job(tmp_path, JOB.format(horizon=3))
    result = _invoke(str(job), "--progress", "log")
    assert result.exit_code == 0, result.output
    assert "12 series, 2 models, 3 chunks (0 reused), 0 failures" in result.stdout
    assert "chunk 2 done" in result.stderr
    assert len(pd.read_parquet(tmp_path / "out" / "forecasts.parquet")) == 12 * 2 * 3


def test_a_job_with_failed_series_exits_3(tmp_path: Path) -> None:
    make_panel(short=("s01", "s10")).to_parquet(tmp_path / "data.parquet", index=False)
    job = write_job(tmp_path, JOB.format(horizon=3))
    result = _invoke(str(job), "--progress", "none")
    assert result.exit_code == 3, result.output
    assert "4 failures" in result.stdout
    failures = pd.read_parquet(tmp_path / "out" / "failures.parquet")
    assert sorted(set(failures["unique_id"])) == ["s01", "s10"]


def test_a_bad_config_exits_1_with_one_line(tmp_path: Path, panel_file: Path) -> None:
    job = write_job(tmp_path, JOB.format(horizon=-1))
    result = _invoke(str(job))
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "error: ConfigError: [forecast] horizon = -1 is not allowed; it must be an integer > 0."
    ]
    assert not (tmp_path / "out").exists()


def test_a_missing_data_file_exits_1(tmp_path: Path) -> None:
    job = write_job(tmp_path, JOB.format(horizon=3))
    result = _invoke(str(job))
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "data.parquet" in lines[0] and "does not exist" in lines[0]


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert _invoke().exit_code == 2
    assert _invoke("job.toml", "--progress", "sometimes").exit_code == 2


def test_check_validates_and_lists_chunks_without_running(tmp_path: Path, panel_file: Path) -> None:
    job = write_job(tmp_path, JOB.format(horizon=3))
    result = _invoke(str(job), "--check")
    assert result.exit_code == 0
    assert result.stdout.startswith("valid: 12 series in 3 chunks, models naive, drift")
    assert not (tmp_path / "out").exists()


def test_check_refuses_an_output_folder_holding_the_input(tmp_path: Path, panel_file: Path) -> None:
    job = write_job(tmp_path, JOB.format(horizon=3).replace('dir = "out"', 'dir = "."'))
    result = _invoke(str(job), "--check")
    assert result.exit_code == 1
    assert "holds the job's input" in result.output and "data.parquet" in result.output


def test_help_documents_exit_statuses_and_an_example() -> None:
    text = _invoke("--help").output
    for expected in (
        "0  every series",
        "3  the job finished but some",
        "1  bad configuration",
        "2  usage",
        "forecast batch examples/batch_job.toml",
    ):
        assert expected in text
