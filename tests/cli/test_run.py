"""``forecast models`` and ``forecast run`` through click's CliRunner."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import forecast as fc
from forecast.cli import cli
from forecast.cli.run import parse_model_spec
from forecast.errors import ConfigError, UnknownModelError
from forecast.io import read_frame

PNG_HEADER = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    """A CSV of two monthly series, 'up' (30 months) and 'tiny' (3 months), seed 2."""
    rng = np.random.default_rng(2)
    ds = pd.date_range("2022-01-01", periods=30, freq="MS")
    up = pd.DataFrame(
        {"unique_id": "up", "ds": ds, "y": 1_000 + 40 * np.arange(30) + rng.normal(0, 20, 30)}
    )
    tiny = pd.DataFrame({"unique_id": "tiny", "ds": ds[:3], "y": [5.0, 6.0, 7.0]})
    path = tmp_path / "dau.csv"
    pd.concat([up, tiny], ignore_index=True).to_csv(path, index=False)
    return path


def _run(*args: str) -> object:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_models_lists_the_registry() -> None:
    result = _run("models")
    assert result.exit_code == 0
    names = {line.split()[0] for line in result.output.splitlines()[1:]}
    assert {"naive", "seasonal_naive", "drift", "mean"} <= names
    assert "min_history" in result.output.splitlines()[0]
    assert "calibrated" in result.output.splitlines()[0]
    rows = {line.split()[0]: line for line in result.output.splitlines()[1:]}
    assert "auto below 100 observations" in rows["arima"]
    assert " scaled " in rows["ets"] and " off " in rows["seasonal_naive"]


def test_run_without_a_model_forecasts_with_auto(data_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "auto.csv"
    result = _run("run", "--data", str(data_file), "--horizon", "3", "--out", str(out))
    assert result.exit_code == 0, result.output
    frame = read_frame(out)
    assert set(frame["model"]) == {"auto"} and set(frame["unique_id"]) == {"up", "tiny"}
    up = frame.loc[frame["unique_id"] == "up", "yhat"].to_numpy()
    series = pd.read_csv(data_file, parse_dates=["ds"]).query("unique_id == 'up'")
    expected = fc.models.get("auto").fit(series).predict(3, levels=())["yhat"].to_numpy()
    np.testing.assert_allclose(up, expected)
    assert "auto" in _run("run", "--help").output


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json"])
def test_run_writes_each_format_that_reads_back_equal(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"forecasts{suffix}"
    result = _run(
        "run",
        "--dataset",
        "social-apps-quarterly",
        "--model",
        "naive",
        "--model",
        "drift",
        "--horizon",
        "6",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    expected = fc.forecast(
        fc.datasets.load("social-apps-quarterly").series, ["naive", "drift"], h=6
    )
    assert expected["unique_id"].nunique() == 3
    written = read_frame(out)
    written["ds"] = pd.to_datetime(written["ds"]).astype("datetime64[ns]")
    for column in ("unique_id", "model"):
        written[column] = written[column].astype(str)
        expected[column] = expected[column].astype(str)
    pd.testing.assert_frame_equal(written, expected, check_exact=False, rtol=1e-12)


def test_run_without_out_prints_a_readable_table(data_file: Path) -> None:
    result = _run(
        "run",
        "--data",
        str(data_file),
        "--series",
        "up",
        "--model",
        "drift",
        "--horizon",
        "3",
        "--level",
        "90",
    )
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["unique_id", "model", "ds", "yhat", "yhat_lo_90", "yhat_hi_90"]
    assert len(lines) == 4
    assert lines[1].split()[2] == "2024-07-01"
    assert "," in lines[1]  # thousands separators


def test_failures_are_warnings_on_stderr_and_the_rest_runs(data_file: Path) -> None:
    result = _run(
        "run",
        "--data",
        str(data_file),
        "--model",
        "naive",
        "--model",
        "seasonal_naive",
        "--horizon",
        "2",
    )
    assert result.exit_code == 3  # partial failure, as 'forecast batch'
    assert "warning: no forecast of 'tiny' with 'seasonal_naive': HistoryError" in result.stderr
    assert "3 of 4 (series, model) pairs succeeded (2 series x 2 models)" in result.stderr
    assert "warning" not in result.stdout
    assert result.stdout.count("tiny") == 2 and result.stdout.count("up") == 4


def test_out_dash_pipes_csv_into_pandas(data_file: Path) -> None:
    import subprocess
    import sys

    command = [sys.executable, "-m", "forecast.cli", "run", "--data", str(data_file)]
    command += ["--model", "naive", "--model", "seasonal_naive", "--horizon", "2", "--out", "-"]
    reader = "import pandas, sys; f = pandas.read_csv(sys.stdin); print(len(f), sorted(f.model))"
    produced = subprocess.run(command, capture_output=True, text=True, check=False)
    read = subprocess.run(
        [sys.executable, "-c", reader],
        input=produced.stdout,
        capture_output=True,
        text=True,
        check=True,
    )
    assert produced.returncode == 3  # 'tiny' is too short for seasonal_naive
    expected = _expected_pairs(data_file)
    assert read.stdout.split()[0] == str(2 * len(expected))  # naive on both, seasonal on 'up'
    assert "warning: no forecast of 'tiny'" in produced.stderr
    assert "wrote 6 forecast rows to standard output" in produced.stderr


def _expected_pairs(path: Path) -> list[str]:
    """Return the (series, model) pairs expected to succeed: naive on both, seasonal on 'up'."""
    ids = pd.read_csv(path)["unique_id"].unique().tolist()
    return [f"{uid}/naive" for uid in ids] + ["up/seasonal_naive"]


def test_a_typo_in_a_model_parameter_gets_a_suggestion(data_file: Path) -> None:
    result = _run(
        "run", "--data", str(data_file), "--model", "naive:transfrom=log", "--horizon", "2"
    )
    assert result.exit_code == 1
    assert "takes no parameter 'transfrom'. Did you mean 'transform'?" in result.stderr


def test_the_old_retention_option_still_works_with_a_deprecation(data_file: Path) -> None:
    retention = data_file.with_name("retention.csv")
    pd.DataFrame({"cohort": ["2022-01-01"], "age": [1], "retention": [0.5]}).to_csv(
        retention, index=False
    )
    args = ["run", "--data", str(data_file), "--series", "up", "--model", "naive", "--horizon", "2"]
    old = _run(*args, "--retention", str(retention))
    new = _run(*args, "--retention-data", str(retention))
    assert old.exit_code == new.exit_code == 0 and old.stdout == new.stdout
    assert "--retention is deprecated" in old.stderr and "use --retention-data" in old.stderr
    assert "deprecated" not in new.stderr
    both = _run(*args, "--retention", str(retention), "--retention-data", str(retention))
    assert both.exit_code == 1 and "give --retention-data only" in both.stderr


def test_plot_writes_a_png(tmp_path: Path, data_file: Path) -> None:
    png = tmp_path / "fan.png"
    result = _run(
        "run",
        "--data",
        str(data_file),
        "--series",
        "up",
        "--model",
        "naive",
        "--horizon",
        "6",
        "--plot",
        str(png),
    )
    assert result.exit_code == 0
    assert png.read_bytes()[:8] == PNG_HEADER


def test_model_parameters_on_the_command_line(data_file: Path) -> None:
    result = _run(
        "run",
        "--data",
        str(data_file),
        "--series",
        "up",
        "--model",
        "seasonal_naive:seasonal_period=3",
        "--model",
        "naive:transform=log",
        "--model",
        "naive",
        "--horizon",
        "3",
        "--level",
        "80",
    )
    assert result.exit_code == 0, result.output
    # Labels follow fc.forecast's rule: the registry name, and the differing hyperparameters
    # of two copies of one model.
    labels = {line.split()[1] for line in result.stdout.splitlines()[1:]}
    assert labels == {"seasonal_naive", "naive[transform='log']", "naive[transform=None]"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--model", "naiv"],
            "error: UnknownModelError: unknown model 'naiv'. Did you mean 'naive'?",
        ),
        (
            ["--model", "naive", "--series", "nope"],
            "error: ConfigError: series 'nope' not in the data",
        ),
        (["--model", "naive:transform"], "error: ConfigError: model parameter 'transform'"),
        (
            ["--model", "naive", "--model", "naive"],
            "error: ConfigError: model 'naive' is given more than once",
        ),
    ],
)
def test_errors_are_one_line_and_exit_1(data_file: Path, args: list[str], message: str) -> None:
    result = _run("run", "--data", str(data_file), "--horizon", "2", *args)
    assert result.exit_code == 1
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


def test_data_and_dataset_are_exclusive(data_file: Path) -> None:
    result = _run("run", "--model", "naive", "--horizon", "2")
    assert result.exit_code == 1 and "exactly one of --data FILE or --dataset NAME" in result.stderr


def test_every_pair_failing_exits_3(data_file: Path) -> None:
    result = _run(
        "run",
        "--data",
        str(data_file),
        "--series",
        "tiny",
        "--model",
        "seasonal_naive",
        "--horizon",
        "2",
    )
    assert result.exit_code == 3
    assert "error: no forecast: 0 of 1 (series, model) pairs succeeded" in result.stderr
    assert result.stdout == ""


def test_parse_model_spec_reads_values() -> None:
    label, model = parse_model_spec("seasonal_naive: seasonal_period=4, transform=none")
    assert label == "seasonal_naive:seasonal_period=4,transform=none"
    assert model.seasonal_period == 4 and model.transform is None
    with pytest.raises(UnknownModelError):
        parse_model_spec("nope")
    with pytest.raises(ConfigError):
        parse_model_spec("naive:color=red")


def test_parse_model_spec_reads_bracketed_lists() -> None:
    label, model = parse_model_spec("ensemble:members=[naive, drift],combine=mean,n_windows=2")
    assert label == "ensemble:members=[naive,drift],combine=mean,n_windows=2"
    assert model.members == ("naive", "drift") and model.combine == "mean"
    assert model.n_windows == 2
    _, auto = parse_model_spec("auto:members=[ets,dotm],member_min_history=none")
    assert auto.members == ("ets", "dotm")
    with pytest.raises(ConfigError, match="not key=value"):
        parse_model_spec("ensemble:members=naive,drift")


def test_ensemble_members_from_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "twelve.csv"
    dates = pd.date_range("2023-01-01", periods=12, freq="MS")
    pd.DataFrame({"unique_id": "a", "ds": dates, "y": 100.0 + 9 * np.arange(12)}).to_csv(
        path, index=False
    )
    spec = "ensemble:members=[naive,drift]"
    out_file = tmp_path / "out.csv"
    result = _run(
        "run", "--data", str(path), "--model", spec, "--horizon", "3", "--out", str(out_file)
    )
    assert result.exit_code == 0, result.output
    out = pd.read_csv(out_file)
    assert out["model"].unique().tolist() == ["ensemble"]  # one spec: labelled by its name
    # the median of two members is their mean: naive stays at 199, drift adds 9 a month
    np.testing.assert_allclose(out["yhat"], 199 + 4.5 * np.arange(1, 4))


def test_help_shows_examples() -> None:
    result = _run("run", "--help")
    assert (
        result.exit_code == 0
        and "Examples:" in result.output
        and "forecast run --dataset" in result.output
    )


def test_run_on_a_bundled_dataset(tmp_path: Path) -> None:
    out = tmp_path / "twitter.csv"
    result = _run(
        "run",
        "--dataset",
        "social-apps-quarterly",
        "--series",
        "twitter/mdau/all",
        "--model",
        "naive",
        "--model",
        "drift",
        "--horizon",
        "8",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    frame = read_frame(out)
    assert set(frame["unique_id"]) == {"twitter/mdau/all"} and len(frame) == 16
    twitter = fc.datasets.load("social-apps-quarterly").series.query(
        "unique_id == 'twitter/mdau/all'"
    )
    last = twitter.sort_values("ds").iloc[-1]
    naive = frame[frame["model"] == "naive"]
    assert np.allclose(naive["yhat"], last["y"])
    assert pd.Timestamp(naive["ds"].iloc[0]) == last["ds"] + pd.offsets.QuarterBegin(
        startingMonth=1
    )


def test_outputs_get_the_usual_file_mode(tmp_path: Path, data_file: Path) -> None:
    import os
    import stat

    out, png = tmp_path / "f.csv", tmp_path / "f.png"
    result = _run(
        "run",
        "--data",
        str(data_file),
        "--series",
        "up",
        "--model",
        "naive",
        "--horizon",
        "2",
        "--out",
        str(out),
        "--plot",
        str(png),
    )
    assert result.exit_code == 0
    umask = os.umask(0)
    os.umask(umask)
    for path in (out, png):
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


def test_long_tables_say_how_many_rows_are_shown(data_file: Path) -> None:
    result = _run(
        "run",
        "--data",
        str(data_file),
        "--series",
        "up",
        "--model",
        "naive",
        "--model",
        "drift",
        "--horizon",
        "120",
    )
    assert result.exit_code == 0
    assert "showing 200 of 240 rows; write them all with --out FILE" in result.stderr
    assert "..." in result.stdout


def test_plot_panels_are_counted_before_forecasting(tmp_path: Path) -> None:
    models = ["naive", "drift", "mean", "theta", "ets"]
    args = ["run", "--dataset", "social-apps-quarterly", "--horizon", "2"]
    args += [a for m in models for a in ("--model", m)]
    result = _run(*args, "--plot", str(tmp_path / "f.png"))
    assert result.exit_code == 1 and "3 series x 5 panel(s) each" in result.stderr
    one = _run(*args, "--series", "twitter/mdau/all", "--plot", str(tmp_path / "f.png"))
    assert one.exit_code == 0, one.output
    assert (tmp_path / "f.png").read_bytes()[:8] == PNG_HEADER
