"""--covariates, --observed and --holidays on run, backtest, scenario and predict."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from forecast.cli import cli
from forecast.io import read_frame
from tests.models.covariate_model import registered

H = 4


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    """Two daily series driven by 'x' (seed 5), and a ';' covariates file with ',' decimals."""
    rng = np.random.default_rng(5)
    ds = pd.date_range("2024-03-01", periods=60 + H)
    x = rng.uniform(0, 10, 60 + H)
    data = pd.concat(
        [
            pd.DataFrame({"unique_id": u, "ds": ds[:60], "y": k + 2 * x[:60]})
            for u, k in (("a", 10), ("b", 90))
        ]
    )
    data_path, cov_path = tmp_path / "dau.csv", tmp_path / "cov.csv"
    data.to_csv(data_path, index=False)
    cov = pd.DataFrame(
        {"ds": ds.strftime("%Y-%m-%d"), "x": [f"{v:.6f}".replace(".", ",") for v in x]}
    )
    cov.to_csv(cov_path, index=False, sep=";")
    return data_path, cov_path


@pytest.fixture
def regression():
    with registered() as cls:
        yield cls


def _run(*args: object) -> object:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_run_with_covariates_file(files, regression, tmp_path):
    data, cov = files
    out = tmp_path / "f.csv"
    result = _run(
        "run",
        "--data",
        data,
        "--model",
        "_test_regression",
        "--horizon",
        H,
        "--covariates",
        cov,
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output
    frame = read_frame(out)
    x = np.asarray([float(v.replace(",", ".")) for v in pd.read_csv(cov, sep=";")["x"]])
    assert np.allclose(frame.loc[frame["unique_id"] == "a", "yhat"], 10 + 2 * x[60:], atol=1e-4)


def test_a_covariates_file_error_names_its_lines(files, regression, tmp_path):
    data, cov = files
    lines = cov.read_text().splitlines()
    lines[3] = lines[3].split(";")[0] + ";lots"
    cov.write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(
        cli,
        [
            "run",
            "--data",
            str(data),
            "--model",
            "_test_regression",
            "--horizon",
            str(H),
            "--covariates",
            str(cov),
        ],
    )
    assert result.exit_code == 1
    assert "line 4" in result.output and "'x'" in result.output


def test_backtest_with_observed(files, regression, tmp_path):
    data, cov = files
    result = _run(
        "backtest",
        "--data",
        data,
        "--model",
        "_test_regression",
        "--horizon",
        H,
        "--windows",
        2,
        "--covariates",
        cov,
        "--observed",
        "x",
        "--out",
        tmp_path / "b.csv",
    )
    assert result.exit_code == 1
    # x is observed from 2024-03-01 only: the lag needs values H steps before the series
    assert "x_lag4" in result.output and f"{H} steps before" in result.output


def test_holidays_refused_for_a_model_without_them(files):
    data, _ = files
    result = CliRunner().invoke(
        cli, ["run", "--data", str(data), "--model", "naive", "--horizon", "3", "--holidays", "CN"]
    )
    assert result.exit_code == 1
    assert "'naive' takes neither holidays nor covariates" in result.output
    assert "--model naive --model 'prophet:holidays=CN'" in result.output
    mixed = CliRunner().invoke(
        cli,
        ["run", "--data", str(data), "--model", "naive", "--model", "prophet:holidays=CN",
         "--horizon", "3", "--series", "a"],
    )  # fmt: skip
    assert mixed.exit_code == 0, mixed.output
    unknown = CliRunner().invoke(
        cli,
        ["run", "--data", str(data), "--model", "prophet", "--horizon", "3", "--holidays", "ZZ"],
    )
    assert unknown.exit_code == 1 and "'ZZ'" in unknown.output


def test_holidays_reach_prophet(files, tmp_path):
    data, _ = files
    out = tmp_path / "p.csv"
    result = _run(
        "run",
        "--data",
        data,
        "--model",
        "prophet",
        "--horizon",
        3,
        "--holidays",
        "CN",
        "--series",
        "a",
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output
    assert len(read_frame(out)) == 3


def test_scenario_changes_a_covariate(files, regression, tmp_path):
    data, cov = files
    out = tmp_path / "s.csv"
    result = _run(
        "scenario",
        "--data",
        data,
        "--series",
        "b",
        "--model",
        "_test_regression",
        "--covariates",
        cov,
        "--change",
        "x=+1",
        "--horizon",
        H,
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output
    table = read_frame(out)
    difference = table.loc[table["model"] == "difference", "yhat"]
    assert np.allclose(difference, 2.0, atol=1e-6)


def test_predict_needs_the_covariates_of_saved_models(files, regression, tmp_path):
    data, cov = files
    saved = tmp_path / "saved"
    fitted = _run(
        "run",
        "--data",
        data,
        "--model",
        "_test_regression",
        "--horizon",
        H,
        "--covariates",
        cov,
        "--save-models",
        saved,
        "--out",
        tmp_path / "f.csv",
    )
    assert fitted.exit_code == 0, fitted.output
    out = tmp_path / "p.csv"
    result = _run("predict", "--models", saved, "--horizon", H, "--covariates", cov, "--out", out)
    assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(read_frame(out), read_frame(tmp_path / "f.csv"))
    missing = CliRunner().invoke(cli, ["predict", "--models", str(saved), "--horizon", str(H)])
    assert missing.exit_code == 3 and "pass covariates=" in missing.output


def _messy(cov: Path, kind: str) -> tuple[list[str], list[str]]:
    """Spoil the ';' covariates file one way; return what the error must say and do.

    The file's line 1 is the header and the date of day ``i`` is on line ``i + 2``: the
    history's 60 days are lines 2 to 61, the horizon's 4 lines 62 to 65.
    """
    lines = cov.read_text().splitlines()
    if kind == "nan-in-horizon":
        lines[62] = lines[62].split(";")[0] + ";"
        return lines, ["'x'", "'a'", "line 63", "forecast horizon", "Give those values"]
    if kind == "missing-horizon-row":
        date = lines.pop(64).split(";")[0]
        return lines, ["'x'", date, "forecast horizon", "Add rows", "forecast fewer steps"]
    if kind == "nan-in-history":
        lines[9] = lines[9].split(";")[0] + ";"
        return lines, ["'x'", "line 10", "history", "Give those values"]
    if kind == "duplicate":
        lines.append(lines[4])
        return lines, ["'ds'", "lines 5 and 66", "one row of covariates per series and date"]
    if kind == "unknown-series":
        ids = ["a"] * (len(lines) - 1)
        ids[2] = "z"
        lines = ["unique_id;" + lines[0]] + [
            f"{u};{line}" for u, line in zip(ids, lines[1:], strict=True)
        ]
        return lines, ["'z'", "line 4", "the data lacks", "Check the ids"]
    raise ValueError(kind)


@pytest.mark.parametrize(
    "kind",
    ["nan-in-horizon", "missing-horizon-row", "nan-in-history", "duplicate", "unknown-series"],
)
def test_a_messy_covariates_file_is_refused_naming_file_lines_and_what_to_do(
    files, regression, kind
):
    data, cov = files
    lines, expected = _messy(cov, kind)
    cov.write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(
        cli,
        ["run", "--data", str(data), "--model", "_test_regression", "--horizon", str(H),
         "--covariates", str(cov)],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    message = result.output.strip().splitlines()[-1]
    assert f"file {str(cov)!r} (line 1 is the header)" in message
    for text in expected:
        assert text in message, (text, message)


def test_one_series_of_a_per_series_file_is_forecast_with_series(files, regression, tmp_path):
    data, cov = files
    shared = pd.read_csv(cov, sep=";")
    per_series = pd.concat([shared.assign(unique_id=u) for u in ("a", "b")])
    path = tmp_path / "per_series.csv"
    per_series.to_csv(path, sep=";", index=False)
    out = tmp_path / "f.csv"
    result = _run(
        "run", "--data", data, "--series", "b", "--model", "_test_regression",
        "--horizon", H, "--covariates", path, "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    frame = read_frame(out)
    x = np.asarray([float(v.replace(",", ".")) for v in shared["x"]])
    assert set(frame["unique_id"]) == {"b"}
    assert np.allclose(frame["yhat"], 90 + 2 * x[60:], atol=1e-4)
    # A series the data file lacks is still refused, with --series or without.
    per_series.assign(unique_id=per_series["unique_id"].replace("a", "c")).to_csv(
        path, sep=";", index=False
    )
    refused = CliRunner().invoke(
        cli,
        ["run", "--data", str(data), "--series", "b", "--model", "_test_regression",
         "--horizon", str(H), "--covariates", str(path)],
    )  # fmt: skip
    assert refused.exit_code == 1 and "'c'" in refused.output and "data lacks" in refused.output


def test_backtest_reads_each_window_s_covariates_from_the_file(files, regression, tmp_path):
    data, cov = files
    out = tmp_path / "b.csv"
    result = _run(
        "backtest", "--data", data, "--model", "_test_regression", "--horizon", H,
        "--windows", 3, "--covariates", cov, "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    frame = read_frame(out)
    values = pd.read_csv(cov, sep=";")
    x = pd.Series(
        values["x"].str.replace(",", ".").astype(float).to_numpy(),
        index=pd.to_datetime(values["ds"]),
    )
    level = frame["unique_id"].map({"a": 10.0, "b": 90.0})
    expected = level + 2 * pd.to_datetime(frame["ds"]).map(x)
    assert frame["cutoff"].nunique() == 3 and len(frame) == 3 * H * 2
    np.testing.assert_allclose(frame["yhat"], expected, atol=1e-4)
