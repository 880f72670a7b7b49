"""``forecast share`` and ``forecast reconcile`` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from forecast.cli import cli
from forecast.cli.share import parse_groups, parse_hold, parse_market_models, parse_retention
from forecast.errors import ConfigError
from forecast.io import read_frame
from forecast.models.base import BaseModel

PNG_HEADER = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def market_file(tmp_path: Path) -> Path:
    """A CSV of three products' daily users over 60 days (seed 4)."""
    rng = np.random.default_rng(4)
    ds = pd.date_range("2024-01-01", periods=60, freq="D")
    frames = [
        pd.DataFrame(
            {"unique_id": name, "ds": ds, "y": level + np.cumsum(rng.normal(slope, 5, 60))}
        )
        for name, level, slope in (("kimi", 300, 8), ("wenxin", 900, -2), ("tongyi", 600, 0))
    ]
    path = tmp_path / "dau.csv"
    pd.concat(frames, ignore_index=True).to_csv(path, index=False)
    return path


def _run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_share_writes_shares_and_a_chart(market_file: Path, tmp_path: Path):
    out, chart = tmp_path / "shares.csv", tmp_path / "shares.png"
    result = _run(
        "share",
        "--data",
        str(market_file),
        "--market",
        "kimi",
        "--market",
        "wenxin",
        "--market",
        "tongyi",
        "--model",
        "ets:error=add,trend=add,damped_trend=true,seasonal=none,transform=log",
        "--horizon",
        "14",
        "--samples",
        "200",
        "--out",
        str(out),
        "--plot",
        str(chart),
    )
    assert result.exit_code == 0, result.output
    frame = read_frame(out)
    assert {
        "unique_id",
        "model",
        "part",
        "ds",
        "share",
        "share_lo_80",
        "share_hi_95",
        "n_floored",
    } <= set(frame.columns)
    assert set(frame["part"]) == {"history", "forecast"}
    np.testing.assert_allclose(frame.groupby("ds")["share"].sum(), 1.0, atol=1e-9)
    assert chart.read_bytes()[:8] == PNG_HEADER


def test_share_prints_a_table_with_per_product_models(market_file: Path):
    result = _run(
        "share",
        "--data",
        str(market_file),
        "--market",
        "kimi",
        "--market",
        "wenxin",
        "--model",
        "kimi=drift",
        "--model",
        "wenxin=naive",
        "--horizon",
        "3",
        "--samples",
        "50",
    )
    assert result.exit_code == 0, result.output
    assert "forecast" in result.output and "drift" in result.output and "naive" in result.output


def test_share_with_the_competition_model_and_alr(market_file: Path):
    result = _run(
        "share",
        "--data",
        str(market_file),
        "--market",
        "kimi",
        "--market",
        "wenxin",
        "--model",
        "naive",
        "--method",
        "alr",
        "--horizon",
        "3",
        "--samples",
        "50",
    )
    assert result.exit_code == 0, result.output
    assert "alr:naive" in result.output


def test_share_errors_are_one_line(market_file: Path):
    result = _run(
        "share",
        "--data",
        str(market_file),
        "--dataset",
        "ai-assistants-cn",
        "--market",
        "kimi",
        "--model",
        "naive",
        "--horizon",
        "3",
    )
    assert result.exit_code == 1 and "exactly one of --data" in result.output
    result = _run(
        "share",
        "--data",
        str(market_file),
        "--market",
        "kimi",
        "--market",
        "nobody",
        "--model",
        "naive",
        "--horizon",
        "3",
    )
    assert (
        result.exit_code == 1 and "'nobody'" in result.output and "Traceback" not in result.output
    )


def test_share_on_ai_assistants_respects_bounds_and_names_what_cannot_be_forecast():
    # kimi/dau/all holds '>=' bounds: a model without the bounds capability ('mean' accepts the
    # irregular dates) is refused rather than reading the bounds as points...
    result = _run(
        "share",
        "--dataset",
        "ai-assistants-cn",
        "--market",
        "kimi/dau/all",
        "--market",
        "wenxin_yiyan/dau/all",
        "--model",
        "mean",
        "--horizon",
        "30",
    )
    assert (
        result.exit_code == 1 and "CapabilityError" in result.output and "bounds" in result.output
    )
    # ...a growth model honours them, but wenxin_yiyan has a single DAU figure, which no model can
    # extend: the command says so in one line and names the explicit way out.
    result = _run(
        "share",
        "--dataset",
        "ai-assistants-cn",
        "--market",
        "kimi/dau/all",
        "--market",
        "wenxin_yiyan/dau/all",
        "--model",
        "logistic:sigma=0.3,transform=log",
        "--horizon",
        "30",
    )
    assert (
        result.exit_code == 1
        and "HistoryError" in result.output
        and "wenxin_yiyan/dau/all" in result.output
    )
    assert "--hold wenxin_yiyan/dau/all=SIGMA" in result.output


@pytest.mark.slow
def test_share_on_ai_assistants_with_kimi_fitted_and_wenxin_held(tmp_path: Path):
    # The README's command: Kimi by retention_feedback (bounds and bundled retention), Wenxin held.
    out, chart = tmp_path / "shares.csv", tmp_path / "shares.png"
    result = _run(
        "share",
        "--dataset",
        "ai-assistants-cn",
        "--market",
        "kimi/dau/all",
        "--market",
        "wenxin_yiyan/dau/all",
        "--model",
        "kimi/dau/all=retention_feedback:freq=D,scale_effect=true",
        "--retention-data",
        "kimi/dau/all",
        "--hold",
        "wenxin_yiyan/dau/all=0.02",
        "--horizon",
        "30",
        "--samples",
        "300",
        "--out",
        str(out),
        "--plot",
        str(chart),
    )
    assert result.exit_code == 0, result.output
    assert chart.read_bytes()[:8] == PNG_HEADER
    frame = read_frame(out)
    history = frame[frame["part"] == "history"].set_index("unique_id")
    assert history["qualifier"].to_dict() == {"kimi/dau/all": ">=", "wenxin_yiyan/dau/all": "<="}
    assert history.loc["kimi/dau/all", "share"] == pytest.approx(2.25 / 4.58, abs=1e-9)
    future = frame[frame["part"] == "forecast"]
    assert set(future["model"]) == {"retention_feedback", "hold:sigma=0.02"}
    np.testing.assert_allclose(future.groupby("ds")["share"].sum(), 1.0, atol=1e-12)


def test_parse_hold_and_retention():
    market = ("kimi", "wenxin")
    assert parse_hold((), market) is None
    assert parse_hold(("wenxin=0.02",), market) == {"wenxin": 0.02}
    with pytest.raises(ConfigError, match="PRODUCT=SIGMA"):
        parse_hold(("wenxin",), market)
    with pytest.raises(ConfigError, match="not in --market"):
        parse_hold(("tongyi=0.1",), market)
    table = pd.DataFrame(
        {
            "unique_id": ["kimi"],
            "cohort": pd.to_datetime(["2024-01-01"]),
            "age": [1],
            "retention": [0.2],
        }
    )
    assert parse_retention(("kimi",), market, table)["kimi"] is table
    with pytest.raises(ConfigError, match="no retention table"):
        parse_retention(("kimi",), market, None)
    with pytest.raises(ConfigError, match="not in --market"):
        parse_retention(("tongyi",), market, table)


def test_parse_market_models():
    assert parse_market_models(("competition",), ("a", "b")) == "competition"
    per = parse_market_models(("a=logistic:sigma=0.3", "b=naive"), ("a", "b"))
    assert set(per) == {"a", "b"} and all(isinstance(m, BaseModel) for m in per.values())
    assert per["a"].sigma == 0.3
    with pytest.raises(ConfigError, match="not in --market"):
        parse_market_models(("c=naive",), ("a", "b"))
    with pytest.raises(ConfigError, match="mix"):
        parse_market_models(("naive", "a=drift"), ("a", "b"))


# -------------------------------------------------------------------------------- reconcile
@pytest.fixture
def base_file(tmp_path: Path) -> Path:
    """Base forecasts of a product and its two channels over 3 days, with intervals."""
    ds = pd.date_range("2024-04-01", periods=3)
    rows = []
    for uid, level in (("kimi", 2400.0), ("kimi_web", 800.0), ("kimi_app", 1400.0)):
        rows.append(
            pd.DataFrame(
                {
                    "unique_id": uid,
                    "model": "ets",
                    "ds": ds,
                    "yhat": level,
                    "yhat_lo_80": level - 100,
                    "yhat_hi_80": level + 100,
                }
            )
        )
    path = tmp_path / "base.csv"
    pd.concat(rows, ignore_index=True).to_csv(path, index=False)
    return path


@pytest.mark.parametrize("method", ["bottom_up", "top_down", "ols", "wls_struct"])
def test_reconcile_writes_coherent_forecasts(base_file: Path, tmp_path: Path, method: str):
    out = tmp_path / "coherent.csv"
    result = _run(
        "reconcile",
        "--forecasts",
        str(base_file),
        "--group",
        "kimi=kimi_web,kimi_app",
        "--method",
        method,
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    frame = read_frame(out)
    wide = frame.pivot(index="ds", columns="unique_id", values="yhat")
    np.testing.assert_allclose(wide["kimi"], wide["kimi_web"] + wide["kimi_app"], rtol=1e-9)
    assert set(frame["model"]) == {f"ets/{method}"}


def test_reconcile_mint_shrink_with_residuals_and_a_json_hierarchy(base_file: Path, tmp_path: Path):
    rng = np.random.default_rng(0)
    ds = pd.date_range("2024-01-01", periods=30)
    residuals = pd.concat(
        [
            pd.DataFrame(
                {
                    "unique_id": u,
                    "model": "ets",
                    "ds": ds,
                    "y": 100.0,
                    "yhat": 100 + rng.normal(0, 5, 30),
                }
            )
            for u in ("kimi", "kimi_web", "kimi_app")
        ]
    )
    residuals_path, hierarchy_path = tmp_path / "res.csv", tmp_path / "h.json"
    residuals.to_csv(residuals_path, index=False)
    hierarchy_path.write_text(json.dumps({"kimi": ["kimi_web", "kimi_app"]}))
    result = _run(
        "reconcile",
        "--forecasts",
        str(base_file),
        "--hierarchy",
        str(hierarchy_path),
        "--residuals",
        str(residuals_path),
    )
    assert result.exit_code == 0, result.output
    assert "ets/mint_shrink" in result.output


def test_reconcile_errors(base_file: Path):
    result = _run("reconcile", "--forecasts", str(base_file), "--method", "ols")
    assert result.exit_code == 1 and "--group" in result.output
    result = _run(
        "reconcile",
        "--forecasts",
        str(base_file),
        "--group",
        "kimi=kimi_web,kimi_app",
        "--method",
        "mint_shrink",
    )
    assert result.exit_code == 1 and "residuals" in result.output


def test_reconcile_default_works_from_the_required_inputs(base_file: Path):
    import io

    args = ["reconcile", "--forecasts", str(base_file), "--group", "kimi=kimi_web,kimi_app"]
    result = _run(*args, "--out", "-")
    assert result.exit_code == 0, result.output
    assert "reconciling with wls_struct" in result.stderr
    frame = pd.read_csv(io.StringIO(result.stdout))  # only the CSV is on stdout
    wide = frame.pivot(index="ds", columns="unique_id", values="yhat")
    np.testing.assert_allclose(wide["kimi"], wide["kimi_web"] + wide["kimi_app"], rtol=1e-9)
    explicit = _run(*args, "--method", "wls_struct", "--out", "-")
    assert explicit.stdout == result.stdout
    with pytest.raises(ConfigError, match="PARENT=CHILD"):
        parse_groups(("kimi",), None)


def test_help_has_examples():
    for command in ("share", "reconcile"):
        result = _run(command, "--help")
        assert result.exit_code == 0 and "Examples:" in result.output


def test_share_out_dash_is_csv_on_stdout_and_a_typo_in_a_parameter_is_named(market_file: Path):
    import io

    args = ["share", "--data", str(market_file), "--market", "kimi", "--market", "wenxin"]
    args += ["--horizon", "5", "--samples", "100"]
    result = _run(*args, "--model", "naive", "--out", "-")
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert set(frame["unique_id"]) == {"kimi", "wenxin"} and "wrote" in result.stderr
    np.testing.assert_allclose(frame.groupby("ds")["share"].sum(), 1.0, atol=1e-9)
    typo = _run(*args, "--model", "naive:transfrom=log")
    assert typo.exit_code == 1 and "Did you mean 'transform'?" in typo.stderr
