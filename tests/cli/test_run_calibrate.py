"""The ``--calibrate`` flag of ``forecast run``, ``backtest`` and ``share`` (issue 13)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from click.testing import CliRunner

import forecast as fc
from forecast.cli import cli
from forecast.cli.run import parse_models
from forecast.io import read_frame

SERIES = "twitter/mdau/all"


def _run(tmp_path: Path, *args: str) -> pd.DataFrame:
    out = tmp_path / "out.csv"
    base = ["run", "--dataset", "social-apps-quarterly", "--series", SERIES, "--horizon", "4"]
    result = CliRunner().invoke(cli, [*base, *args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return read_frame(out)


def test_calibrate_flag_gives_the_calibrated_models_forecast(tmp_path: Path) -> None:
    flagged = _run(tmp_path, "--model", "drift", "--calibrate")
    history = fc.datasets.load("social-apps-quarterly").series
    history = history[history["unique_id"] == SERIES]
    expected = fc.forecast(history, [fc.models.get("drift", calibrate=True)], h=4)
    np.testing.assert_allclose(flagged["yhat_hi_95"], expected["yhat_hi_95"])
    plain = _run(tmp_path, "--model", "drift")
    np.testing.assert_allclose(flagged["yhat"], plain["yhat"])
    assert not np.allclose(flagged["yhat_hi_95"], plain["yhat_hi_95"])


def test_a_spec_that_sets_calibrate_wins_over_the_flag() -> None:
    models = parse_models(("ets:calibrate=false", "naive", "drift:transform=log"), calibrate=True)
    assert [m.calibrate for m in models.values()] == [False, True, True]
    assert models["drift"].transform == "log"
    assert parse_models(("auto:calibrate=false",), calibrate=True)["auto"].calibrate is False
    assert parse_models(("auto",), calibrate=True)["auto"].calibrate is True
    assert parse_models(("naive",))["naive"].calibrate is None


def _invoke(tmp_path: Path, command: str, *args: str) -> pd.DataFrame:
    out = tmp_path / f"{command}.csv"
    result = CliRunner().invoke(cli, [command, *args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return read_frame(out)


def test_backtest_calibrate_flag_gives_fc_backtest_with_calibrate(tmp_path: Path) -> None:
    args = ("--dataset", "social-apps-quarterly", "--model", "drift", "--horizon", "2")
    args += ("--windows", "2")
    flagged = _invoke(tmp_path, "backtest", *args, "--calibrate")
    plain = _invoke(tmp_path, "backtest", *args)
    history = fc.datasets.load("social-apps-quarterly").series
    expected = fc.backtest(history, "drift", h=2, n_windows=2, calibrate=True)
    np.testing.assert_allclose(flagged["yhat_hi_95"], expected["yhat_hi_95"])
    np.testing.assert_allclose(flagged["yhat"], plain["yhat"])
    assert not np.allclose(flagged["yhat_hi_95"], plain["yhat_hi_95"])


def test_share_calibrate_flag_gives_fc_shares_with_calibrate(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    ds = pd.date_range("2022-01-01", periods=30, freq="MS")
    market = pd.concat(
        pd.DataFrame({"unique_id": u, "ds": ds, "y": level + np.cumsum(rng.normal(1, 4, 30))})
        for u, level in (("a", 100.0), ("b", 200.0))
    )
    path = tmp_path / "market.csv"
    market.to_csv(path, index=False)
    args = ("--data", str(path), "--market", "a", "--market", "b", "--model", "drift")
    args += ("--horizon", "3", "--samples", "200")
    flagged = _invoke(tmp_path, "share", *args, "--calibrate")
    expected = fc.shares(market, "drift", h=3, n_samples=200, calibrate=True)
    plain = fc.shares(market, "drift", h=3, n_samples=200)
    future = flagged["part"] == "forecast"
    np.testing.assert_allclose(
        flagged.loc[future, "share_hi_95"],
        expected.loc[expected["part"] == "forecast", "share_hi_95"],
        rtol=1e-6,
    )
    assert not np.allclose(
        expected.loc[expected["part"] == "forecast", "share_hi_95"],
        plain.loc[plain["part"] == "forecast", "share_hi_95"],
    )
