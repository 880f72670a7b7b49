"""``forecast backtest`` with click's CliRunner: ranking table, files written, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import forecast as fc
from forecast.cli import cli


@pytest.fixture
def data_file(tmp_path, two_daily_series):
    path = tmp_path / "dau.csv"
    two_daily_series.to_csv(path, index=False)
    return path


def test_prints_the_ranking_and_writes_every_file(tmp_path, data_file, two_daily_series):
    out, metrics, plot = tmp_path / "bt.parquet", tmp_path / "metrics.csv", tmp_path / "bt.png"
    result = CliRunner().invoke(
        cli,
        [
            "backtest",
            "--data",
            str(data_file),
            "--model",
            "naive",
            "--model",
            "seasonal_naive",
            "--horizon",
            "7",
            "--windows",
            "3",
            "--step",
            "7",
            "--out",
            str(out),
            "--metrics-out",
            str(metrics),
            "--plot",
            str(plot),
            "--jobs",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0].split()[:3] == ["rank", "model", "mase"]
    assert lines[1].split()[:2] == ["1", "seasonal_naive"]
    saved = pd.read_parquet(out)
    expected = fc.backtest(two_daily_series, ["naive", "seasonal_naive"], h=7, n_windows=3, step=7)
    pd.testing.assert_frame_equal(saved, expected, check_dtype=False)
    table = pd.read_csv(metrics)
    assert set(table["model"]) == {"naive", "seasonal_naive"} and len(table) == 4
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_model_parameters_refit_and_sliding_windows(data_file):
    result = CliRunner().invoke(
        cli,
        [
            "backtest",
            "--data",
            str(data_file),
            "--model",
            "seasonal_naive:seasonal_period=14",
            "--model",
            "seasonal_naive",
            "--model",
            "drift",
            "--horizon",
            "5",
            "--windows",
            "4",
            "--window",
            "sliding",
            "--window-size",
            "40",
            "--refit",
            "2",
            "--metric",
            "smape",
        ],
    )
    assert result.exit_code == 0, result.output
    # Two copies of one model are labelled by the hyperparameter that differs, as in fc.backtest.
    assert "seasonal_naive[seasonal_period=14]" in result.stdout
    assert "seasonal_naive[seasonal_period=None]" in result.stdout and "smape" in result.stdout


def test_errors_are_one_line_and_exit_one(data_file):
    runner = CliRunner()
    unknown = runner.invoke(
        cli, ["backtest", "--data", str(data_file), "--model", "nave", "--horizon", "7"]
    )
    assert unknown.exit_code == 1 and "Did you mean 'naive'" in unknown.stderr
    both = runner.invoke(cli, ["backtest", "--model", "naive", "--horizon", "7"])
    assert both.exit_code == 1 and "exactly one of --data" in both.stderr
    refit = runner.invoke(
        cli,
        [
            "backtest",
            "--data",
            str(data_file),
            "--model",
            "naive",
            "--horizon",
            "7",
            "--refit",
            "x",
        ],
    )
    assert refit.exit_code == 1 and "--refit" in refit.stderr


def test_failed_windows_are_reported_and_the_rest_runs(tmp_path, two_daily_series):
    short = pd.DataFrame(
        {
            "unique_id": "short",
            "ds": pd.date_range("2024-04-01", periods=5),
            "y": np.arange(5.0) + 1,
        }
    )
    path = tmp_path / "mixed.csv"
    pd.concat([two_daily_series, short]).to_csv(path, index=False)
    result = CliRunner().invoke(
        cli,
        ["backtest", "--data", str(path), "--model", "naive", "--horizon", "7", "--windows", "2"],
    )
    assert result.exit_code == 3, result.output  # partial failure, as 'forecast batch'
    assert (
        "warning: 1 of 5 backtest window(s) failed" in result.stderr and "'short'" in result.stderr
    )
    assert "4 of 5 backtest windows succeeded" in result.stderr


def test_unequal_windows_rank_on_the_shared_ones_and_say_so(tmp_path, data_file):
    # 120 days, windows of 7: the first cutoff leaves 99 days, too few for a season of 100
    out = tmp_path / "bt.csv"
    result = CliRunner().invoke(
        cli,
        ["backtest", "--data", str(data_file), "--horizon", "7", "--windows", "3"]
        + ["--model", "naive", "--model", "seasonal_naive:seasonal_period=100", "--out", str(out)],
    )
    assert result.exit_code == 3, result.output
    assert "10 of 12 backtest windows succeeded" in result.stderr
    assert "on the 4 window(s) every one of them was scored on" in result.stderr
    frame = pd.read_csv(out, parse_dates=["ds", "cutoff"])
    first = frame["cutoff"].min()
    assert "dropped 2 window(s)" in result.stderr and f"a cutoff {first:%Y-%m-%d}" in result.stderr
    shared = frame.loc[frame["cutoff"] > first]
    expected = fc.evaluate(shared, by=("model",)).set_index("model")["mase"]
    for model, value in expected.items():
        row = next(line for line in result.stdout.splitlines() if f" {model} " in line)
        assert f"{value:.4f}" in row


def test_out_dash_sends_csv_to_stdout_and_the_table_to_stderr(data_file):
    import io

    result = CliRunner().invoke(
        cli,
        ["backtest", "--data", str(data_file), "--model", "naive", "--horizon", "7", "--out", "-"],
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert set(frame["model"]) == {"naive"} and "best model" in result.stderr
    assert "rank" not in result.stdout.splitlines()[0]
    both = CliRunner().invoke(
        cli,
        ["backtest", "--data", str(data_file), "--model", "naive", "--horizon", "7"]
        + ["--out", "-", "--metrics-out", "-"],
    )
    assert both.exit_code == 1 and "--out and --metrics-out both write" in both.stderr


def test_retention_file_reaches_each_window_as_known_by_its_cutoff(
    tmp_path, data_file, two_daily_series, retention_rows_model
):
    cohorts = pd.date_range("2024-01-01", "2024-04-29", freq="D")
    retention = pd.DataFrame({"cohort": cohorts, "age": 1, "retention": 0.4})
    path, out = tmp_path / "retention.csv", tmp_path / "bt.parquet"
    retention.to_csv(path, index=False)
    args = [
        "backtest",
        "--data",
        str(data_file),
        "--model",
        retention_rows_model,
        "--horizon",
        "7",
        "--windows",
        "2",
    ]
    result = CliRunner().invoke(cli, [*args, "--retention-data", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    expected = fc.backtest(
        two_daily_series, retention_rows_model, h=7, n_windows=2, step=7, retention=retention
    )
    pd.testing.assert_frame_equal(pd.read_parquet(out), expected, check_dtype=False)
    # Cohort c at age 1 (daily) is known from cutoff c + 1 day: 2024-04-22 knows 112 cohorts.
    assert expected.groupby("cutoff")["yhat"].first().tolist() == [105.0, 112.0]
    missing = CliRunner().invoke(cli, args)
    assert missing.exit_code == 3 and "every backtest window failed" in missing.stderr
    retention.assign(retention=1.5).to_csv(path, index=False)
    bad = CliRunner().invoke(cli, [*args, "--retention-data", str(path)])
    assert (
        bad.exit_code == 1 and "column 'retention'" in bad.stderr and "Traceback" not in bad.output
    )
