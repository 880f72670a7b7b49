"""``forecast report`` through click's CliRunner."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from forecast.cli import cli


def test_report_command_writes_one_page_of_every_input(outputs: dict[str, Path], tmp_path):
    out = tmp_path / "all.html"
    args = ["report", str(outputs["run"]), str(outputs["backtest"]), str(outputs["shares"])]
    args += [str(outputs["batch"]), "--data", str(outputs["history"]), "--out", str(out)]
    result = CliRunner().invoke(cli, [*args, "--title", "All <inputs>", "--max-series", "5"])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "<title>All &lt;inputs&gt;</title>" in page
    for title in ("Batch job:", "Backtest:", "Forecasts:", "Shares:", "Data quality"):
        assert title in page
    assert f"wrote {out}" in result.output


def test_report_command_errors_are_one_line(outputs: dict[str, Path], tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    result = CliRunner().invoke(cli, ["report", str(bad), "--out", str(tmp_path / "r.html")])
    assert result.exit_code == 1
    assert result.output.startswith("error: ConfigError: input ")
    assert not (tmp_path / "r.html").exists()
    result = CliRunner().invoke(
        cli, ["report", str(outputs["run"]), "--out", str(tmp_path / "r.html"), "--max-series", "0"]
    )
    assert result.exit_code == 1 and "max_series" in result.output
