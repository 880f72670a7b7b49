"""Tests of ``forecast scenario``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from forecast.cli import cli
from forecast.datasets import simulate_market


def _files(tmp_path: Path) -> tuple[Path, Path]:
    data = simulate_market(n_products=1, periods=90, seed=5, seasonality=0.0, scale_effect=0.0)
    series, cohorts = tmp_path / "dau.csv", tmp_path / "cohorts.csv"
    data.series[["unique_id", "ds", "y"]].to_csv(series, index=False)
    data.retention.to_csv(cohorts, index=False)
    return series, cohorts


def test_scenario_prints_writes_and_plots(tmp_path: Path) -> None:
    series, cohorts = _files(tmp_path)
    out, chart = tmp_path / "scenario.csv", tmp_path / "scenario.png"
    result = CliRunner().invoke(
        cli,
        [
            "scenario",
            "--data",
            str(series),
            "--series",
            "m0/product_a/dau/all",
            "--retention-data",
            str(cohorts),
            "--params",
            "retention_family=sbg,n_draws=40",
            "--retention",
            "+0.05",
            "--event",
            "2024-04-10=1.5",
            "--horizon",
            "20",
            "--out",
            str(out),
            "--plot",
            str(chart),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "baseline" in result.stdout and "difference 95%" in result.stdout
    table = pd.read_csv(out)
    assert sorted(table["model"].unique()) == ["baseline", "difference", "scenario"]
    assert len(table) == 60 and (table[table["model"] == "difference"]["yhat"].iloc[-5:] > 0).all()
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_scenario_errors_are_one_line(tmp_path: Path) -> None:
    series, _ = _files(tmp_path)
    runner = CliRunner()
    missing = runner.invoke(
        cli,
        [
            "scenario",
            "--data",
            str(series),
            "--series",
            "nope",
            "--retention",
            "0.03",
            "--horizon",
            "5",
        ],
    )
    assert missing.exit_code == 1 and "not in the data" in missing.stderr
    bad = runner.invoke(
        cli,
        [
            "scenario",
            "--data",
            str(series),
            "--series",
            "m0/product_a/dau/all",
            "--event",
            "soon",
            "--horizon",
            "5",
        ],
    )
    assert bad.exit_code == 1 and "DATE=MULTIPLIER" in bad.stderr


def test_help_shows_an_example() -> None:
    result = CliRunner().invoke(cli, ["scenario", "--help"])
    assert result.exit_code == 0 and "forecast scenario --dataset ai-assistants-cn" in result.output
