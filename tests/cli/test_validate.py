"""`forecast validate`, `--version` and the one-line error of the command line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import forecast as fc
from forecast.cli import cli


def _write(tmp_path: Path, frame: pd.DataFrame, name: str = "dau.csv") -> str:
    path = tmp_path / name
    if name.endswith(".parquet"):
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return str(path)


def test_valid_file_exits_0_with_frequency_and_gaps(tmp_path: Path):
    frame = pd.DataFrame(
        {"unique_id": "a", "ds": ["2024-01-01", "2024-01-02", "2024-01-04"], "y": [1, 2, 3]}
    )
    result = CliRunner().invoke(cli, ["validate", _write(tmp_path, frame, "dau.parquet")])
    assert result.exit_code == 0, result.output
    assert "daily" in result.output and "2024-01-03" in result.output
    assert "valid: 1 series, 3 rows" in result.output


def test_duplicated_date_prints_one_line_and_exits_1(tmp_path: Path):
    frame = pd.DataFrame(
        {
            "unique_id": ["kimi", "kimi", "kimi"],
            "ds": ["2024-01-01", "2024-01-02", "2024-01-02"],
            "y": [1, 2, 3],
        }
    )
    result = CliRunner().invoke(cli, ["validate", _write(tmp_path, frame)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert "DuplicateError" in lines[0] and "'kimi'" in lines[0] and "lines 3 and 4" in lines[0]


def test_retention_kind(tmp_path: Path):
    frame = pd.DataFrame({"cohort": "2024-01-01", "age": [0, 1], "retention": [1.0, 1.4]})
    result = CliRunner().invoke(cli, ["validate", "--kind", "retention", _write(tmp_path, frame)])
    assert result.exit_code == 1 and "outside [0, 1]" in result.output


def test_missing_file_is_one_line_without_traceback(tmp_path: Path):
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "nope.csv")])
    assert result.exit_code == 1
    assert (
        result.output.strip().startswith("invalid: SchemaError:")
        and "does not exist" in result.output
    )
    assert "Traceback" not in result.output


def test_unknown_extension(tmp_path: Path):
    path = tmp_path / "dau.xls"
    path.write_text("x")
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 1 and "unknown extension" in result.output


def test_version():
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and fc.__version__ in result.output


def test_help_shows_an_example():
    result = CliRunner().invoke(cli, ["validate", "--help"])
    assert result.exit_code == 0 and "forecast validate dau.csv" in result.output


def _bad_file(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "unique_id,ds,y\na,2024-01-01T00:00+01:00,1\na,2024-01-02T00:00+02:00,2\n",
            ["SchemaError", "'ds'", "'a'", "mixes time zones", "line 2", "line 3"],
        ),
        (
            "unique_id,ds,y\na,2024-01-01T00:00+01:00,1\na,2024-01-02,2\n",
            ["SchemaError", "mixes time zones", "no zone in line 3"],
        ),
        (
            "unique_id,ds,y\na,1500-01-01,1\na,1500-01-02,2\n",
            ["SchemaError", "'ds'", "'a'", "1677-09-22 to 2262-04-11", "lines 2 and 3"],
        ),
        (
            "unique_id,ds,y\na,2300-01-01,1\na,2300-01-02,2\n",
            ["SchemaError", "outside the range", "lines 2 and 3"],
        ),
        (
            "unique_id,ds,y\na,2024-01-01,1+2j\na,2024-01-02,2\n",
            ["SchemaError", "'y'", "neither numbers nor press figures", "line 2"],
        ),
        (
            "unique_id,ds,y\na,2024-01-01,1\na,2024-01-02,inf\n",
            ["MissingValueError", "'y'", "line 3"],
        ),
        ("unique_id,ds,y\n", ["SchemaError", "empty"]),
    ],
    ids=["mixed-zones", "zone-and-none", "before-1677", "after-2262", "complex", "inf", "empty"],
)
def test_each_bad_input_prints_one_clear_line_and_exits_1(
    tmp_path: Path, text: str, expected: list[str]
):
    result = CliRunner().invoke(cli, ["validate", _bad_file(tmp_path, "bad.csv", text)])
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("invalid: ")
    for part in expected:
        assert part in lines[0]
    assert "Traceback" not in result.output


def test_a_parquet_file_with_whole_number_ids_is_read_as_text(tmp_path: Path):
    frame = pd.DataFrame(
        {"unique_id": [7, 7, 8], "ds": ["2024-01-01", "2024-01-02", "2024-01-01"], "y": [1.0, 2, 3]}
    )
    result = CliRunner().invoke(cli, ["validate", _write(tmp_path, frame, "ids.parquet")])
    assert result.exit_code == 0, result.output
    assert "valid: 2 series, 3 rows" in result.output


def test_leading_zeros_of_csv_ids_are_kept(tmp_path: Path):
    text = "unique_id,ds,y\n007,2024-01-01,1\n7,2024-01-01,2\n"
    result = CliRunner().invoke(cli, ["validate", _bad_file(tmp_path, "ids.csv", text)])
    assert result.exit_code == 0, result.output
    assert "valid: 2 series, 2 rows" in result.output and "007" in result.output


def test_a_parquet_file_with_dates_in_y_is_invalid(tmp_path: Path):
    frame = pd.DataFrame(
        {
            "unique_id": "a",
            "ds": ["2024-01-01", "2024-01-02"],
            "y": pd.to_datetime(["2024-01-01", "2024-01-02"]),
        }
    )
    result = CliRunner().invoke(cli, ["validate", _write(tmp_path, frame, "dates.parquet")])
    assert result.exit_code == 1
    assert (
        "SchemaError" in result.output and "'y'" in result.output and "holds dates" in result.output
    )
