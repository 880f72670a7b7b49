"""Tests of ``forecast datasets list`` and ``forecast datasets show NAME``."""

from __future__ import annotations

from click.testing import CliRunner

from forecast.cli import cli


def test_datasets_list_prints_every_dataset():
    result = CliRunner().invoke(cli, ["datasets", "list"])
    assert result.exit_code == 0, result.output
    for name in (
        "ai-assistants-cn",
        "social-apps-quarterly",
        "diffusion-classics",
        "retention-fader-hardie-2007",
    ):
        assert name in result.output
    assert "Fader and Hardie (2007)" in result.output


def test_datasets_show_prints_the_datasheet_and_first_rows():
    result = CliRunner().invoke(cli, ["datasets", "show", "ai-assistants-cn", "--rows", "3"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("ai-assistants-cn: public figures on Chinese AI chat assistants")
    for heading in (
        "Description",
        "Source",
        "Units",
        "Licence",
        "Caveats",
        "series:",
        "retention:",
    ):
        assert heading in out
    assert "chatgpt/monthly_visits/all" in out
    assert "0.1848" in out  # the first retention row
    assert "deepseek/wau_app/app" not in out  # only three rows of the series


def test_datasets_show_without_retention_has_no_retention_table():
    result = CliRunner().invoke(cli, ["datasets", "show", "social-apps-quarterly"])
    assert result.exit_code == 0, result.output
    assert "spotify/mau/all" in result.output and "retention:" not in result.output


def test_datasets_show_unknown_name_is_one_line_and_exit_1():
    result = CliRunner().invoke(cli, ["datasets", "show", "kimi"])
    assert result.exit_code == 1
    assert "unknown dataset 'kimi'" in result.stderr
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1
