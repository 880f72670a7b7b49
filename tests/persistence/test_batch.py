"""Batch jobs with saved models: ``[output] models = true`` and ``[forecast] from_models``.

A job keeps every chunk's fitted models in ``<dir>/models`` (a models folder), a rerun reuses
the finished chunks and their models, and a second job forecasts from the first job's models:
it updates those it can, refits the stale ones and fits the missing ones.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import forecast as fc


def _panel(n_series: int, periods: int, seed: int = 0) -> pd.DataFrame:
    """Daily series ``s00``, ``s01``, ... with a trend and noise (seeded)."""
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(n_series):
        t = np.arange(periods)
        frames.append(
            pd.DataFrame(
                {
                    "unique_id": f"s{i:02d}",
                    "ds": pd.date_range("2024-01-01", periods=periods, freq="D"),
                    "y": 100 + 3 * i + 0.5 * t + rng.normal(0, 2, periods),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _job(folder: Path, data: str, out: str, **forecast: object) -> dict:
    return {
        "data": {"path": data},
        "forecast": {"models": ["naive", "theta"], "horizon": 5, **forecast},
        "output": {"dir": out, "models": True},
        "executor": {"chunk_size": 3, "workers": 1},
        "base_dir": str(folder),
    }


@pytest.fixture
def first_job(tmp_path: Path) -> Path:
    """7 series of 40 days, forecast by a job that keeps its models in ``first/models``."""
    _panel(7, 40).to_parquet(tmp_path / "first.parquet", index=False)
    result = fc.batch.run(_job(tmp_path, "first.parquet", "first"), progress="none")
    assert result.exit_status == 0
    return tmp_path / "first"


def test_a_job_keeps_every_fitted_model(first_job: Path, tmp_path: Path) -> None:
    loaded = fc.load_models(first_job / "models")
    assert sorted(loaded) == sorted((f"s{i:02d}", m) for i in range(7) for m in ("naive", "theta"))
    forecasts = pd.read_parquet(first_job / "forecasts.parquet")
    again = fc.persistence.predict_models(first_job / "models", h=5)
    pd.testing.assert_frame_equal(again.frame, forecasts, check_dtype=False, check_index_type=False)


def test_a_rerun_reuses_the_chunks_and_their_models(first_job: Path, tmp_path: Path) -> None:
    files = {p.name: p.read_bytes() for p in (first_job / "models" / "models").iterdir()}
    rerun = fc.batch.run(_job(tmp_path, "first.parquet", "first"), progress="none")
    assert rerun.manifest["counts"]["chunks_reused"] == 3
    now = {p.name: p.read_bytes() for p in (first_job / "models" / "models").iterdir()}
    assert now == files
    assert len(fc.load_models(first_job / "models")) == 14


def test_a_job_forecasts_from_a_previous_jobs_models(first_job: Path, tmp_path: Path) -> None:
    later = _panel(9, 45)  # 5 new days, 2 new series
    later.loc[(later["unique_id"] == "s01") & (later["ds"] == "2024-01-10"), "y"] += 50.0
    later.to_parquet(tmp_path / "later.parquet", index=False)
    job = _job(tmp_path, "later.parquet", "second", from_models="first/models")
    result = fc.batch.run(job, progress="none")
    assert result.exit_status == 0
    forecasts = pd.read_parquet(tmp_path / "second" / "forecasts.parquet")
    saved = fc.load_models(first_job / "models")
    for uid in ("s00", "s01", "s08"):
        rows = later[later["unique_id"] == uid]
        got = forecasts.query(f"unique_id == '{uid}' and model == 'naive'")["yhat"]
        if uid == "s00":  # updated without re-estimation
            expected = saved[uid, "naive"].update(rows).predict(5)["yhat"]
        else:  # s01 rewrites its history (refit); s08 is new (fit)
            expected = fc.models.get("naive").fit(rows).predict(5)["yhat"]
        np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy())
    theta = forecasts.query("unique_id == 's00' and model == 'theta'")["yhat"]
    refit = fc.models.get("theta").fit(later[later["unique_id"] == "s00"]).predict(5)["yhat"]
    np.testing.assert_array_equal(theta.to_numpy(), refit.to_numpy())
    assert len(fc.load_models(tmp_path / "second" / "models")) == 18


def test_from_models_must_name_a_models_folder(tmp_path: Path) -> None:
    _panel(2, 20).to_parquet(tmp_path / "d.parquet", index=False)
    with pytest.raises(fc.ConfigError, match="not a models folder"):
        fc.batch.run(_job(tmp_path, "d.parquet", "out", from_models="nowhere"), progress="none")
