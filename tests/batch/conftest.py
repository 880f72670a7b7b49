"""Fixtures of the batch tests: a small seeded panel of daily series on disk, and job files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest


def make_panel(
    n_series: int = 12, periods: int = 60, seed: int = 0, short: tuple[str, ...] = ()
) -> pd.DataFrame:
    """``n_series`` daily series ``s00``, ``s01``, ... of ``periods`` days.

    Each has a trend, a weekly season and noise.

    Series named in ``short`` get 1 observation only, too short for any model.
    """
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(n_series):
        uid = f"s{i:02d}"
        n = 1 if uid in short else periods
        t = np.arange(n)
        y = 100 + 3 * i + 0.5 * t + 8 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 2, n)
        frames.append(
            pd.DataFrame(
                {"unique_id": uid, "ds": pd.date_range("2024-01-01", periods=n, freq="D"), "y": y}
            )
        )
    return pd.concat(frames, ignore_index=True)


def write_job(folder: Path, text: str, name: str = "job.toml") -> Path:
    """Write a job file into ``folder`` and return its path."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def panel_file(tmp_path: Path) -> Path:
    """12 daily series of 60 days as ``data.parquet`` in a temporary folder (seed 0)."""
    path = tmp_path / "data.parquet"
    make_panel().to_parquet(path, index=False)
    return path
