"""``[output] report = true``: a batch job writes its own report and lists it in the manifest."""

from __future__ import annotations

import html
import json

import pytest

import forecast as fc
from forecast.errors import ConfigError


def _job(folder, report: bool) -> dict:
    return {
        "data": {
            "simulate": {
                "markets": 2,
                "seed": 3,
                "n_products": 2,
                "periods": 80,
                "retention_ages": [],
            },
            "metric": "dau",
        },
        "forecast": {"models": ["naive"], "horizon": 5},
        "backtest": {"windows": 2, "step": 5},
        "output": {"dir": str(folder), "formats": ["parquet"], "report": report},
        "executor": {"kind": "local", "workers": 1, "chunk_size": 2},
    }


def test_job_writes_and_lists_its_report(tmp_path):
    out = tmp_path / "job"
    result = fc.batch.run(_job(out, report=True), progress="none")
    page = out / "report.html"
    assert result.outputs["report"] == [page]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["outputs"]["report"] == ["report.html"]
    assert manifest["seconds"]["report"] >= 0
    text = page.read_text(encoding="utf-8")
    assert manifest["config_hash"] in text
    assert text.count("<option value='m") == 2 * manifest["counts"]["series"]
    # A rerun without the report removes the one the earlier run wrote.
    fc.batch.run(_job(out, report=False), progress="none")
    assert not page.exists()
    assert "report" not in json.loads((out / "manifest.json").read_text())["outputs"]


def test_report_option_is_a_boolean(tmp_path):
    job = _job(tmp_path / "job", report=True)
    job["output"]["report"] = "yes please"
    with pytest.raises(ConfigError, match="report"):
        fc.batch.load_config(job)


def test_failures_are_listed_with_their_messages(tmp_path):
    dates = [f"2024-01-{d:02d}" for d in range(1, 31)]
    rows = [f"long,{d},{100 + i}" for i, d in enumerate(dates)] + [
        f"short,{d},{10 + i}" for i, d in enumerate(dates[:2])
    ]
    data = tmp_path / "dau.csv"
    data.write_text("unique_id,ds,y\n" + "\n".join(rows) + "\n")
    job = {
        "data": {"path": str(data)},
        "forecast": {"models": ["naive", "ets"], "horizon": 3},
        "output": {"dir": str(tmp_path / "job"), "formats": ["parquet"], "report": True},
        "executor": {"kind": "local", "workers": 1, "chunk_size": 2},
    }
    result = fc.batch.run(job, progress="none")
    failures = result.read("failures")
    assert len(failures) >= 1 and set(failures["unique_id"]) == {"short"}
    page = (tmp_path / "job" / "report.html").read_text(encoding="utf-8")
    assert f"{len(failures):,} (series, model, window) failures" in page
    for message in failures["message"]:
        assert html.escape(str(message)) in page
