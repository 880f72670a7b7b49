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
            "--retention-change",
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
    assert "effect: the change moves the forecast by" in result.stderr
    assert "new users a period" in result.stderr and "deprecated" not in result.stderr


def test_old_retention_spelling_and_out_dash(tmp_path: Path) -> None:
    import io

    series, cohorts = _files(tmp_path)
    args = ["scenario", "--data", str(series), "--series", "m0/product_a/dau/all"]
    args += ["--retention-data", str(cohorts), "--params", "retention_family=sbg,n_draws=40"]
    args += ["--horizon", "10", "--out", "-"]
    old = CliRunner().invoke(cli, [*args, "--retention", "+0.05"])
    new = CliRunner().invoke(cli, [*args, "--retention-change", "+0.05"])
    assert old.exit_code == new.exit_code == 0, old.output
    assert "--retention is deprecated" in old.stderr and "use --retention-change" in old.stderr
    assert old.stdout == new.stdout  # the same CSV, and only the CSV, on stdout
    table = pd.read_csv(io.StringIO(new.stdout))
    assert len(table) == 30 and "difference 95%" in new.stderr
    lo, hi = table["yhat_lo_80"], table["yhat_hi_80"]
    assert ((lo <= table["yhat"]) & (table["yhat"] <= hi)).all()


def test_plot_has_baseline_and_scenario_side_by_side_and_a_difference_panel(tmp_path: Path) -> None:
    import forecast as fc
    from forecast.datasets import simulate_market as simulate
    from forecast.plotting.scenario import plot_scenario

    data = simulate(n_products=1, periods=90, seed=5, seasonality=0.0, scale_effect=0.0)
    model = fc.models.get("retention_feedback", retention_family="sbg", n_draws=40)
    model.fit(data.series[["unique_id", "ds", "y"]], retention=data.retention)
    table = fc.scenario(model, acquisition="x1.2", h=15)
    figure = plot_scenario(data.series[["unique_id", "ds", "y"]], table)
    titles = [ax.get_title(loc="left") for ax in figure.axes]
    assert titles[:2] == ["baseline", "scenario: acquisition x1.2"]
    assert titles[2].startswith("difference")
    top = figure.axes[:2]
    assert top[0].get_ylim() == top[1].get_ylim()
    top_box, bottom_box = (ax.get_position() for ax in (top[0], figure.axes[2]))
    assert top_box.y0 > bottom_box.y1  # the difference is below, across the width
    figure.canvas.draw()
    legend = figure.legends[0].get_window_extent()
    assert legend.x0 >= 0 and legend.y0 >= 0 and legend.x1 <= figure.bbox.x1


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
            "--retention-change",
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
