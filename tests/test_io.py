"""Reading and writing frames by extension, atomically."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import forecast as fc
from forecast.io import atomic_write_bytes, read_frame, write_frame


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json"])
def test_round_trip(tmp_path: Path, suffix: str, daily_series: pd.DataFrame):
    path = write_frame(daily_series, tmp_path / f"out{suffix}")
    back = fc.validate(read_frame(path))
    expected = fc.validate(daily_series)
    pd.testing.assert_frame_equal(back[expected.columns], expected, check_exact=False, rtol=1e-12)


def test_atomic_write_leaves_no_temporary_file(tmp_path: Path):
    atomic_write_bytes(tmp_path / "sub" / "a.bin", b"abc")
    assert (tmp_path / "sub" / "a.bin").read_bytes() == b"abc"
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["a.bin"]


def test_unknown_extension(tmp_path: Path, daily_series: pd.DataFrame):
    with pytest.raises(fc.ConfigError, match=r"\.csv"):
        write_frame(daily_series, tmp_path / "x.txt")


def test_unreadable_file(tmp_path: Path):
    path = tmp_path / "x.parquet"
    path.write_text("not parquet")
    with pytest.raises(fc.SchemaError, match="could not be read as parquet"):
        read_frame(path)


@pytest.mark.parametrize("suffix", [".parquet", ".json"])
def test_whole_number_ids_are_read_as_text(tmp_path: Path, suffix: str):
    frame = pd.DataFrame({"unique_id": [7, 12], "ds": ["2024-01-01", "2024-01-01"], "y": [1.0, 2]})
    path = write_frame(frame, tmp_path / f"ids{suffix}")
    assert read_frame(path)["unique_id"].tolist() == ["7", "12"]


def test_csv_ids_keep_their_leading_zeros(tmp_path: Path):
    path = tmp_path / "ids.csv"
    path.write_text("unique_id,ds,y\n007,2024-01-01,1\n7,2024-01-01,2\n")
    assert read_frame(path)["unique_id"].tolist() == ["007", "7"]
    assert fc.validate(read_frame(path))["unique_id"].nunique() == 2
