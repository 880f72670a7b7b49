"""``forecast run --calibrate`` and ``--model name:calibrate=true`` (issue 13)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from click.testing import CliRunner

import forecast as fc
from forecast.cli import cli
from forecast.cli.run import _calibrated, parse_model_spec
from forecast.io import read_frame

SERIES = "twitter/mdau/all"


def _run(tmp_path: Path, *args: str) -> pd.DataFrame:
    out = tmp_path / "out.csv"
    base = ["run", "--dataset", "social-apps-quarterly", "--series", SERIES, "--horizon", "4"]
    result = CliRunner().invoke(cli, [*base, *args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return read_frame(out)


def test_calibrate_flag_gives_the_calibrated_models_forecast(tmp_path: Path) -> None:
    flagged = _run(tmp_path, "--model", "naive", "--calibrate")
    history = fc.datasets.load("social-apps-quarterly").series
    history = history[history["unique_id"] == SERIES]
    expected = fc.forecast(history, [fc.models.get("naive", calibrate=True)], h=4)
    np.testing.assert_allclose(flagged["yhat_hi_95"], expected["yhat_hi_95"])
    plain = _run(tmp_path, "--model", "naive")
    np.testing.assert_allclose(flagged["yhat"], plain["yhat"])
    assert not np.allclose(flagged["yhat_hi_95"], plain["yhat_hi_95"])


def test_a_spec_that_sets_calibrate_wins_over_the_flag() -> None:
    assert _calibrated("ets:calibrate=false") == "ets:calibrate=false"
    assert _calibrated("ets") == "ets:calibrate=true"
    assert _calibrated("ets:transform=log") == "ets:transform=log,calibrate=true"
    assert parse_model_spec(_calibrated("ets:transform=log"))[1].calibrate is True
