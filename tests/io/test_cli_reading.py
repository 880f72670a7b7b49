"""Every command that takes a data file accepts the same reading options."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from forecast.cli import cli

MESSY = Path(__file__).resolve().parents[1] / "data" / "messy"
READING = {
    "--id",
    "--ds",
    "--y",
    "--id-value",
    "--layout",
    "--sep",
    "--decimal",
    "--dayfirst",
    "--monthfirst",
    "--date-format",
    "--age-unit",
    "--encoding",
    "--sheet",
    "--fill",
}


def _data_commands() -> list[tuple[str, click.Command]]:
    found = []
    for name, command in cli.commands.items():
        names = {param.name for param in command.params}
        if "data" in names or name == "validate":
            found.append((name, command))
    return found


def _flags(command: click.Command) -> set[str]:
    return {flag for param in command.params for flag in (*param.opts, *param.secondary_opts)}


def test_the_data_commands_are_found():
    names = {name for name, _ in _data_commands()}
    assert {"validate", "run", "backtest", "share", "scenario"} <= names


@pytest.mark.parametrize(("name", "command"), _data_commands(), ids=lambda v: getattr(v, "name", v))
def test_each_data_command_has_every_reading_option(name: str, command: click.Command):
    assert READING <= _flags(command), READING - _flags(command)


@pytest.mark.parametrize("command", ["run", "backtest"])
def test_a_european_wide_file_runs_through_run_and_backtest(tmp_path: Path, command: str):
    path = tmp_path / "apps.csv"
    rows = [f"{d:%d.%m.%Y};{100 + i},5;{50 + i},25" for i, d in enumerate(_days(40))]
    path.write_text("Datum;app_a;app_b\n" + "\n".join(rows) + "\n")
    args = [command, "--data", str(path), "--model", "naive", "--horizon", "2"]
    args += ["--layout", "wide", "--ds", "Datum"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    if command == "run":
        assert "app_a" in result.output and "app_b" in result.output
    else:
        assert "6 of 6 backtest windows succeeded" in result.output  # 2 series, 3 windows


def test_an_ambiguous_file_fails_run_with_the_option_named(tmp_path: Path):
    result = CliRunner().invoke(
        cli,
        ["run", "--data", str(MESSY / "ambiguous_dates.csv"), "--model", "naive", "--horizon", "2"],
    )
    assert result.exit_code == 1
    assert "--dayfirst" in result.output and "Traceback" not in result.output


def _days(n: int):
    import pandas as pd

    return pd.date_range("2024-01-01", periods=n, freq="D")


def test_reading_options_with_a_bundled_dataset_are_refused_but_fill_applies():
    args = ["run", "--dataset", "ai-assistants-cn", "--model", "naive", "--horizon", "1"]
    refused = CliRunner().invoke(cli, [*args, "--sep", ";", "--dayfirst"])
    assert refused.exit_code == 1
    assert "--sep, --dayfirst/--monthfirst say how to read a --data file" in refused.output
    filled = CliRunner().invoke(cli, [*args, "--fill", "none"])
    assert "filled 0 missing value(s)" in filled.output


def test_fill_with_a_retention_file_is_refused_not_ignored(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("cohort,age,retention\n2024-01-01,0,1\n2024-01-01,1,0.5\n")
    plain = CliRunner().invoke(cli, ["validate", str(path), "--kind", "retention"])
    assert plain.exit_code == 0, plain.output
    refused = CliRunner().invoke(
        cli, ["validate", str(path), "--kind", "retention", "--fill", "linear"]
    )
    assert refused.exit_code == 1
    assert "--fill linear fills the gaps of series; a retention file has none" in refused.output
