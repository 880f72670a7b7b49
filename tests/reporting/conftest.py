"""Outputs of a run, a backtest, a share forecast and a batch job, and the reports made of them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import forecast as fc
from forecast.datasets.simulate import simulate_market
from forecast.io import write_frame


@pytest.fixture(scope="session")
def history() -> pd.DataFrame:
    """The bundled quarterly series, with one approximate value and one lower bound marked."""
    frame = fc.datasets.load("social-apps-quarterly").series
    frame = frame[["unique_id", "ds", "y"]].assign(qualifier="=")
    spotify = frame.index[frame["unique_id"] == "spotify/mau/all"]
    frame.loc[spotify[3], "qualifier"] = "~"
    frame.loc[spotify[5], "qualifier"] = ">="
    return frame.reset_index(drop=True)


@pytest.fixture(scope="session")
def outputs(tmp_path_factory: pytest.TempPathFactory, history: pd.DataFrame) -> dict[str, Path]:
    """The four kinds of input, written as the commands write them."""
    folder = tmp_path_factory.mktemp("outputs")
    plain = history.drop(columns="qualifier")
    run = fc.forecast(plain, ["naive", "drift"], h=6)
    write_frame(run, folder / "run.csv")
    write_frame(plain, folder / "history.csv")
    write_frame(history, folder / "marked.csv")
    backtest = fc.backtest(plain, ["naive", "drift"], h=4, n_windows=3)
    write_frame(backtest, folder / "backtest.parquet")
    market = simulate_market(3, periods=120, seed=1).series
    products = sorted(market["unique_id"].unique())
    shares = fc.shares(market, "naive", h=20, market=products)
    write_frame(shares, folder / "shares.csv")
    job = {
        "data": {
            "simulate": {
                "markets": 3,
                "seed": 0,
                "n_products": 3,
                "periods": 150,
                "retention_ages": [],
            },
            "metric": "dau",
        },
        "forecast": {"models": ["naive", "drift"], "horizon": 10, "levels": [80, 95]},
        "backtest": {"windows": 2, "step": 10},
        "output": {"dir": str(folder / "job"), "formats": ["parquet"]},
        "executor": {"kind": "local", "workers": 1, "chunk_size": 4},
    }
    fc.batch.run(job, progress="none")
    return {
        "run": folder / "run.csv",
        "history": folder / "history.csv",
        "marked": folder / "marked.csv",
        "backtest": folder / "backtest.parquet",
        "shares": folder / "shares.csv",
        "batch": folder / "job",
    }


@pytest.fixture(scope="session")
def reports(tmp_path_factory: pytest.TempPathFactory, outputs: dict[str, Path]) -> dict[str, Path]:
    """One report of each kind of input."""
    folder = tmp_path_factory.mktemp("reports")
    return {
        "run": fc.report(outputs["run"], folder / "run.html", data=outputs["marked"]),
        "backtest": fc.report(outputs["backtest"], folder / "backtest.html"),
        "shares": fc.report(outputs["shares"], folder / "shares.html"),
        "batch": fc.report(outputs["batch"], folder / "batch.html"),
    }
