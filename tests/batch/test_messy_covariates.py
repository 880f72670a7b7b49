"""Batch jobs with a malformed ``[data] covariates`` file: errors name the file and its lines.

A series whose covariates lack a value, or have dates off its grid, fails alone (a row of
``failures`` for every model, exit 3) and the other series go on; a file that breaks the
contract as a whole (the same date twice, series the data lack) stops the job before any work.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

import forecast as fc
from forecast.batch import EXIT_FAILURES
from forecast.errors import ConfigError, CovariateError, ForecastWarning

from .conftest import make_panel

H = 4
MODELS = ["arima", "naive"]


def _job(tmp_path: Path, **forecast: object) -> dict:
    return {
        "data": {"path": "data.parquet", "covariates": "cov.csv"},
        "forecast": {
            "models": MODELS,
            "horizon": H,
            "params": {"arima": {"order": [1, 0, 0], "seasonal_order": [0, 0, 0, 0]}},
            **forecast,
        },
        "output": {"dir": "out", "formats": ["csv"]},
        "executor": {"chunk_size": 3, "workers": 1},
        "base_dir": str(tmp_path),
    }


def _write(tmp_path: Path) -> list[str]:
    """Write 3 series and a per-series covariates file through their horizon; return its lines."""
    panel = make_panel(n_series=3, periods=40, seed=2)
    panel.to_parquet(tmp_path / "data.parquet", index=False)
    ds = pd.date_range(panel["ds"].min() - pd.Timedelta(days=H), periods=40 + 2 * H)
    cov = pd.concat(
        pd.DataFrame(
            {"unique_id": uid, "ds": ds.strftime("%Y-%m-%d"), "spend": range(len(ds)), "x": 1.0}
        )
        for uid in sorted(panel["unique_id"].unique())
    )
    cov.to_csv(tmp_path / "cov.csv", index=False)
    return (tmp_path / "cov.csv").read_text().splitlines()


def _line(lines: list[str], uid: str, date: pd.Timestamp) -> int:
    """The file line (1 is the header) of series ``uid`` at ``date``."""
    start = f"{uid},{date:%Y-%m-%d},"
    return 1 + next(i for i, text in enumerate(lines) if text.startswith(start))


def _spoil(lines: list[str], kind: str) -> tuple[list[str], list[str]]:
    """Spoil series s01's rows one way; return the new lines and what the failure must say."""
    last = pd.Timestamp("2024-01-01") + pd.Timedelta(days=39)
    if kind == "nan-in-horizon":
        k = _line(lines, "s01", last + pd.Timedelta(days=2)) - 1
        lines[k] = lines[k].rsplit(",", 1)[0] + ","
        return lines, ["'x'", f"line {k + 1})", "forecast horizon", "Give those values"]
    if kind == "missing-horizon-row":
        date = last + pd.Timedelta(days=H)
        lines.pop(_line(lines, "s01", date) - 1)
        return lines, ["'x'", f"{date:%Y-%m-%d}", "Add rows", "to the file", "fewer steps"]
    if kind == "nan-in-observed":  # 'spend' observed: read H days later, so each line counts
        k = _line(lines, "s01", pd.Timestamp("2023-12-30")) - 1
        fields = lines[k].split(",")
        lines[k] = ",".join([*fields[:2], "", fields[3]])
        return lines, [f"'spend_lag{H}'", f"line {k + 1})", "history", "Give those values"]
    if kind == "off-grid":
        k = _line(lines, "s01", pd.Timestamp("2024-01-10")) - 1
        lines[k] = lines[k].replace("2024-01-10", "2024-01-10 12:00:00")
        return lines, ["'s01'", "off the daily grid", f"line {k + 1})", "series' own dates"]
    raise ValueError(kind)


@pytest.mark.parametrize(
    "kind", ["nan-in-horizon", "missing-horizon-row", "nan-in-observed", "off-grid"]
)
def test_a_series_with_bad_covariates_fails_alone_naming_the_file_lines(tmp_path, kind):
    lines, expected = _spoil(_write(tmp_path), kind)
    (tmp_path / "cov.csv").write_text("\n".join(lines) + "\n")
    observed = {"observed": ["spend"]} if kind == "nan-in-observed" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ForecastWarning)
        result = fc.batch.run(_job(tmp_path, **observed), progress="none")
    assert result.exit_status == EXIT_FAILURES
    failures = result.read("failures")
    assert sorted(failures["model"]) == MODELS and set(failures["unique_id"]) == {"s01"}
    assert set(failures["error_type"]) == {"CovariateError"}
    message = failures["message"].iloc[0]
    path = str((tmp_path / "cov.csv").resolve())
    assert message.startswith(f"file {path!r} (line 1 is the header): "), message
    for text in expected:
        assert text in message, (text, message)
    forecasts = result.read("forecasts")
    assert set(forecasts["unique_id"]) == {"s00", "s02"}
    assert len(forecasts) == 2 * len(MODELS) * H


def test_a_file_naming_series_the_data_lack_stops_the_job(tmp_path):
    lines = _write(tmp_path)
    k = _line(lines, "s02", pd.Timestamp("2024-01-05")) - 1
    lines[k] = lines[k].replace("s02,", "s99,", 1)
    (tmp_path / "cov.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(CovariateError, match=rf"\(line 1 is the header\).*'s99' \(line {k + 1}\)"):
        fc.batch.run(_job(tmp_path), progress="none")
    assert not (tmp_path / "out" / "forecasts.csv").exists()


def test_a_duplicate_row_is_refused_when_the_job_loads(tmp_path):
    lines = _write(tmp_path)
    k = _line(lines, "s00", pd.Timestamp("2024-01-03")) - 1
    (tmp_path / "cov.csv").write_text("\n".join([*lines, lines[k]]) + "\n")
    pattern = rf"cov\.csv.*\(line 1 is the header\).*lines {k + 1} and {len(lines) + 1}"
    with pytest.raises(ConfigError, match=pattern):
        fc.batch.load_config(_job(tmp_path))
