"""``forecast run --save-models`` then ``forecast predict`` through click's CliRunner.

The saved models forecast what ``forecast run`` forecast; new observations extend them (models
with updates) or ask for a refit; data that rewrite the saved history are refused per pair, or
refit with ``--refit``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import forecast as fc
from forecast.cli import cli
from forecast.io import read_frame

PNG_HEADER = b"\x89PNG\r\n\x1a\n"
MODELS = ("naive", "drift", "theta")


def _series(n: int) -> pd.DataFrame:
    """Two daily series, 'web' and 'app', with trends and noise (seed 4)."""
    rng = np.random.default_rng(4)
    ds = pd.date_range("2024-03-01", periods=n, freq="D")
    t = np.arange(n)
    return pd.concat(
        [
            pd.DataFrame({"unique_id": "web", "ds": ds, "y": 500 + 2 * t + rng.normal(0, 9, n)}),
            pd.DataFrame({"unique_id": "app", "ds": ds, "y": 90 + t + rng.normal(0, 3, n)}),
        ],
        ignore_index=True,
    )


def _invoke(*args: str | Path) -> object:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def saved(tmp_path: Path) -> tuple[Path, Path]:
    """The first 50 days fit and saved by 'forecast run --save-models'; (folder, forecasts)."""
    data = tmp_path / "dau.csv"
    _series(50).to_csv(data, index=False)
    folder, out = tmp_path / "saved", tmp_path / "run.csv"
    models = [arg for name in MODELS for arg in ("--model", name)]
    result = _invoke(
        "run", "--data", data, *models, "--horizon", 10, "--out", out, "--save-models", folder
    )
    assert result.exit_code == 0, result.output
    assert "saved 6 fitted model(s)" in result.output
    return folder, out


def test_predict_from_saved_models_repeats_the_run(saved: tuple[Path, Path], tmp_path: Path):
    folder, run_out = saved
    out = tmp_path / "predict.csv"
    result = _invoke("predict", "--models", folder, "--horizon", 10, "--out", out)
    assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(read_frame(out), read_frame(run_out))


def test_new_observations_update_models_and_the_others_ask_for_a_refit(
    saved: tuple[Path, Path], tmp_path: Path
) -> None:
    folder, _ = saved
    full = _series(60)
    new = tmp_path / "new.csv"
    full[full["ds"] >= "2024-04-20"].to_csv(new, index=False)
    out = tmp_path / "predict.csv"
    result = _invoke("predict", "--models", folder, "--horizon", 5, "--data", new, "--out", out)
    assert result.exit_code == 3
    assert "theta" in result.output and "refit" in result.output
    forecasts = read_frame(out)
    assert set(forecasts["model"]) == {"naive", "drift"}
    assert pd.to_datetime(forecasts["ds"]).min() == pd.Timestamp("2024-04-30")
    web = full[full["unique_id"] == "web"]
    expected = fc.models.get("drift").fit(web.iloc[:50]).update(web).predict(5)
    got = forecasts.query("unique_id == 'web' and model == 'drift'")
    np.testing.assert_allclose(got["yhat"], expected["yhat"], rtol=1e-12)


def test_refit_refits_the_models_without_updates_and_updates_the_others(
    saved: tuple[Path, Path], tmp_path: Path
) -> None:
    folder, _ = saved
    new = tmp_path / "new.csv"
    _series(60).to_csv(new, index=False)
    full = read_frame(new)
    out = tmp_path / "predict.csv"
    result = _invoke(
        "predict", "--models", folder, "--horizon", 5, "--data", new, "--refit", "--out", out
    )
    assert result.exit_code == 0, result.output
    forecasts = read_frame(out)
    web = full[full["unique_id"] == "web"]
    refit = fc.models.get("theta").fit(web).predict(5)
    updated = fc.models.get("drift").fit(web.iloc[:50]).update(web).predict(5)
    for model, expected in (("theta", refit), ("drift", updated)):
        got = forecasts.query(f"unique_id == 'web' and model == '{model}'")
        np.testing.assert_allclose(got["yhat"], expected["yhat"], rtol=1e-12)


def test_data_rewriting_the_saved_history_is_refused_per_pair(
    saved: tuple[Path, Path], tmp_path: Path
) -> None:
    folder, _ = saved
    changed = _series(50)
    changed.loc[(changed["unique_id"] == "app") & (changed["ds"] == "2024-04-01"), "y"] = 1e4
    path = tmp_path / "changed.csv"
    changed.to_csv(path, index=False)
    out = tmp_path / "predict.csv"
    result = _invoke("predict", "--models", folder, "--horizon", 3, "--data", path, "--out", out)
    assert result.exit_code == 3
    assert "2024-04-01" in result.output and "stale" in result.output
    assert set(read_frame(out)["unique_id"]) == {"web"}
    refit = _invoke(
        "predict", "--models", folder, "--horizon", 3, "--data", path, "--refit", "--out", out
    )
    assert refit.exit_code == 0, refit.output
    assert set(read_frame(out)["unique_id"]) == {"web", "app"}


def test_predict_plots_and_saves_the_updated_models(
    saved: tuple[Path, Path], tmp_path: Path
) -> None:
    folder, _ = saved
    new = tmp_path / "new.csv"
    _series(55).to_csv(new, index=False)
    plot, again = tmp_path / "fan.png", tmp_path / "again"
    result = _invoke(
        "predict", "--models", folder, "--horizon", 4, "--data", new, "--refit",
        "--plot", plot, "--save-models", again, "--out", tmp_path / "a.csv",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert plot.read_bytes().startswith(PNG_HEADER)
    second = _invoke("predict", "--models", again, "--horizon", 4, "--out", tmp_path / "b.csv")
    assert second.exit_code == 0, second.output
    pd.testing.assert_frame_equal(read_frame(tmp_path / "a.csv"), read_frame(tmp_path / "b.csv"))


def test_a_folder_that_holds_no_models_is_one_clear_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["predict", "--models", str(tmp_path), "--horizon", "3"])
    assert result.exit_code == 1
    assert "not a readable models folder" in result.output
    assert "Traceback" not in result.output


def test_a_damaged_model_file_is_one_clear_line(saved: tuple[Path, Path]) -> None:
    folder, _ = saved
    victim = next((folder / "models").iterdir())
    victim.write_bytes(victim.read_bytes()[:100])
    result = CliRunner().invoke(cli, ["predict", "--models", str(folder), "--horizon", "3"])
    assert result.exit_code == 3
    assert victim.name in result.output and "ModelFileError" in result.output
