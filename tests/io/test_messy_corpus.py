"""The corpus of messy files (tests/data/messy): through fc.read + fc.validate and the CLI.

Each case of ``cases.json`` either reads as its fixture (a clean ISO-dated CSV, read here
with pandas alone and validated) or raises the named error with the named words.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

import forecast as fc
from forecast.cli import cli

MESSY = Path(__file__).resolve().parents[1] / "data" / "messy"
CASES: list[dict[str, Any]] = json.loads((MESSY / "cases.json").read_text())
IDS = [
    f"{c['file']}-{'-'.join(f'{k}={v}' for k, v in c['options'].items()) or 'plain'}" for c in CASES
]

_FLAGS = {
    "id": "--id",
    "ds": "--ds",
    "y": "--y",
    "unique_id": "--id-value",
    "layout": "--layout",
    "kind": "--kind",
    "decimal": "--decimal",
    "date_format": "--date-format",
    "age_unit": "--age-unit",
}


def _cli_args(options: dict[str, Any]) -> list[str]:
    args: list[str] = []
    for key, value in options.items():
        if key == "dayfirst":
            args.append("--dayfirst" if value else "--monthfirst")
        else:
            args += [_FLAGS[key], str(value)]
    return args


def _fixture(case: dict[str, Any]) -> pd.DataFrame:
    raw = pd.read_csv(MESSY / "expected" / case["fixture"], dtype={"unique_id": str})
    kind = case["options"].get("kind", "series")
    return fc.validate(raw, kind=kind)


def _same(read: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert set(read.columns) == set(expected.columns)
    pd.testing.assert_frame_equal(
        read[expected.columns], expected, check_dtype=False, check_exact=False, rtol=1e-12
    )


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_fc_read_gives_the_fixture_or_the_error(case: dict[str, Any]):
    path = MESSY / case["file"]
    if "fixture" in case:
        read = fc.read(path, **case["options"])
        _same(read, _fixture(case))
        kind = case["options"].get("kind", "series")
        _same(fc.validate(read, kind=kind), read)  # what fc.read returns is valid as it is
        return
    with pytest.raises(fc.ForecastError) as info:
        fc.read(path, **case["options"])
    assert type(info.value).__name__ == case["error"]
    for word in case["words"]:
        assert word in str(info.value), (word, str(info.value))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_forecast_validate_accepts_or_refuses_each_file(case: dict[str, Any]):
    result = CliRunner().invoke(
        cli, ["validate", str(MESSY / case["file"]), *_cli_args(case["options"])]
    )
    if "fixture" in case:
        assert result.exit_code == 0, result.output
        assert "valid:" in result.output
        return
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    line = result.output.strip().splitlines()[-1]
    assert case["error"] in line
    for word in case["words"]:
        assert word in line, (word, line)


def test_every_file_of_the_corpus_has_a_case():
    files = {
        p.name for p in MESSY.iterdir() if p.is_file() and p.name not in ("cases.json", "README.md")
    }
    assert files == {case["file"] for case in CASES}
