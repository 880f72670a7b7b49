"""fc.batch.run: outputs equal the drivers' results, failures are isolated, the manifest is full."""

from __future__ import annotations

import functools
import json
import tempfile
import warnings
from pathlib import Path

import pandas as pd
import pandas.testing as pdt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import forecast as fc
from forecast.batch import EXIT_FAILURES, EXIT_OK
from forecast.schema import MODEL, UNIQUE_ID

from .conftest import make_panel


def _job(tmp_path: Path, **tables: dict) -> dict:
    job = {
        "data": {"path": "data.parquet"},
        "forecast": {"models": ["naive", "drift"], "horizon": 5},
        "output": {"dir": "out"},
        "executor": {"chunk_size": 5, "workers": 1},
        "base_dir": str(tmp_path),
    }
    for name, table in tables.items():
        job[name] = {**job.get(name, {}), **table}
    return job


def test_outputs_are_partitioned_by_chunk_and_equal_one_forecast_call(
    tmp_path: Path, panel_file: Path
) -> None:
    result = fc.batch.run(_job(tmp_path), progress="none")
    out = tmp_path / "out"
    assert result.exit_status == EXIT_OK
    parts = sorted((out / result.manifest["parts"] / "forecasts").glob("chunk-*.parquet"))
    assert [p.name for p in parts] == [
        "chunk-00000.parquet",
        "chunk-00001.parquet",
        "chunk-00002.parquet",
    ]
    assert sorted(pd.read_parquet(parts[0])[UNIQUE_ID].unique()) == [
        "s00",
        "s01",
        "s02",
        "s03",
        "s04",
    ]
    expected = fc.forecast(pd.read_parquet(panel_file), ["naive", "drift"], 5)
    pdt.assert_frame_equal(result.read("forecasts"), expected)
    assert result.read("failures").empty


def test_the_manifest_records_versions_config_counts_and_stages(
    tmp_path: Path, panel_file: Path
) -> None:
    result = fc.batch.run(_job(tmp_path), progress="none")
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest == json.loads(json.dumps(result.manifest, default=str))
    assert manifest["status"] == "succeeded" and manifest["exit_status"] == 0
    assert manifest["versions"]["forecast"] == fc.__version__
    assert manifest["versions"]["pandas"] == pd.__version__
    assert manifest["config"]["forecast"]["models"] == ["naive", "drift"]
    assert len(manifest["config_hash"]) == 64
    assert manifest["started"] <= manifest["finished"]
    counts = manifest["counts"]
    assert (counts["series"], counts["models"], counts["chunks"], counts["failures"]) == (
        12,
        2,
        3,
        0,
    )
    assert counts["rows"]["forecasts"] == 12 * 2 * 5
    assert {"plan", "read", "validate", "forecast", "write", "combine", "total"} <= set(
        manifest["seconds"]
    )
    assert manifest["outputs"]["forecasts"] == ["forecasts.parquet"]


def test_a_failing_series_lands_in_failures_and_the_rest_goes_on(tmp_path: Path) -> None:
    make_panel(short=("s03",)).to_parquet(tmp_path / "data.parquet", index=False)
    result = fc.batch.run(_job(tmp_path), progress="none")
    assert result.exit_status == EXIT_FAILURES
    failures = result.read("failures")
    assert failures[[UNIQUE_ID, MODEL]].values.tolist() == [["s03", "drift"], ["s03", "naive"]]
    assert set(failures["error_type"]) == {"HistoryError"}
    assert failures["cutoff"].isna().all()
    assert all("s03" in message or "observation" in message for message in failures["message"])
    forecasts = result.read("forecasts")
    assert sorted(forecasts[UNIQUE_ID].unique()) == [f"s{i:02d}" for i in range(12) if i != 3]
    assert result.manifest["status"] == "partial" and result.manifest["counts"]["failures"] == 2


def test_a_series_breaking_the_data_contract_fails_alone(tmp_path: Path) -> None:
    panel = make_panel()
    broken = pd.concat(
        [panel, panel[panel[UNIQUE_ID] == "s07"].head(1)], ignore_index=True
    )  # a duplicate date
    broken.to_parquet(tmp_path / "data.parquet", index=False)
    result = fc.batch.run(_job(tmp_path), progress="none")
    failures = result.read("failures")
    assert set(failures[UNIQUE_ID]) == {"s07"} and set(failures["error_type"]) == {"DuplicateError"}
    assert result.read("forecasts")[UNIQUE_ID].nunique() == 11


def test_filters_formats_and_processes(tmp_path: Path, panel_file: Path) -> None:
    job = _job(
        tmp_path,
        data={"regex": "^s0[0-5]$", "ids": ["s01", "s02", "s04", "s09"]},
        output={"formats": ["csv", "json", "parquet"]},
        executor={"workers": 2, "chunk_size": 1},
    )
    result = fc.batch.run(job, progress="none")
    forecasts = result.read("forecasts")
    assert sorted(forecasts[UNIQUE_ID].unique()) == ["s01", "s02", "s04"]
    from_csv = pd.read_csv(tmp_path / "out" / "forecasts.csv", parse_dates=["ds"])
    from_json = pd.read_json(tmp_path / "out" / "forecasts.json", orient="records")
    assert len(from_csv) == len(from_json) == len(forecasts) == 3 * 2 * 5
    pdt.assert_frame_equal(
        from_csv, forecasts.astype({"ds": from_csv["ds"].dtype}), check_exact=False, rtol=1e-12
    )
    assert (tmp_path / "out" / "failures.csv").read_text().splitlines() == [
        "unique_id,model,cutoff,error_type,message"
    ]


def test_ids_that_are_not_in_the_data_fail_before_any_work(
    tmp_path: Path, panel_file: Path
) -> None:
    with pytest.raises(fc.DataError, match="'zz'"):
        fc.batch.run(_job(tmp_path, data={"ids": ["s01", "zz"]}), progress="none")
    assert not (tmp_path / "out").exists()


def test_a_glob_of_csv_files_gives_the_same_forecasts(tmp_path: Path) -> None:
    panel = make_panel()
    (tmp_path / "in").mkdir()
    for number, (_, rows) in enumerate(panel.groupby(UNIQUE_ID)):
        rows.to_csv(
            tmp_path / "in" / f"part-{number // 4}.csv",
            index=False,
            mode="a",
            header=number % 4 == 0,
        )
    result = fc.batch.run(_job(tmp_path, data={"path": None, "glob": "in/*.csv"}), progress="none")
    pdt.assert_frame_equal(result.read("forecasts"), fc.forecast(panel, ["naive", "drift"], 5))


def test_log_lines_when_not_in_a_terminal(
    tmp_path: Path, panel_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fc.batch.run(_job(tmp_path), progress="auto")
    lines = capsys.readouterr().err.splitlines()
    assert sum("chunk" in line and "done" in line for line in lines) == 3
    assert lines[-1].startswith("forecast batch: 12 series, 2 models, 0 failures")


def test_backtest_and_metrics_equal_the_drivers_and_short_series_fail_alone(tmp_path: Path) -> None:
    panel = make_panel(n_series=6)
    short = panel[panel[UNIQUE_ID] == "s02"].head(
        12
    )  # enough to forecast, too short for 3 windows of 5
    panel = pd.concat([panel[panel[UNIQUE_ID] != "s02"], short], ignore_index=True)
    panel.to_parquet(tmp_path / "data.parquet", index=False)
    job = _job(
        tmp_path,
        backtest={"windows": 3, "step": 5, "metrics": ["mase", "coverage"]},
        executor={"chunk_size": 4},
    )
    result = fc.batch.run(job, progress="none")
    assert result.exit_status == EXIT_FAILURES
    good = panel[panel[UNIQUE_ID] != "s02"]
    expected = fc.backtest(good, ["naive", "drift"], 5, 3, 5)
    pdt.assert_frame_equal(result.read("backtest"), expected)
    pdt.assert_frame_equal(
        result.read("metrics"), fc.evaluate(expected, metrics=["mase", "coverage"])
    )
    assert sorted(result.read("forecasts")[UNIQUE_ID].unique()) == sorted(panel[UNIQUE_ID].unique())
    failures = result.read("failures")
    assert failures[[UNIQUE_ID, MODEL]].values.tolist() == [["s02", "drift"], ["s02", "naive"]]
    assert set(failures["error_type"]) == {"HistoryError"}


def test_simulated_series_do_not_depend_on_the_chunk_size(tmp_path: Path) -> None:
    from forecast.batch.sources import market_seed
    from forecast.datasets import simulate_market

    simulate = {"markets": 4, "seed": 3, "n_products": 2, "periods": 60, "retention_ages": []}
    results = []
    for chunk_size in (2, 6):
        job = _job(
            tmp_path, data={"path": None, "simulate": simulate}, executor={"chunk_size": chunk_size}
        )
        job["output"] = {"dir": f"out-{chunk_size}"}
        results.append(fc.batch.run(job, progress="none"))
    assert [r.manifest["counts"]["chunks"] for r in results] == [4, 2]
    pdt.assert_frame_equal(results[0].read("forecasts"), results[1].read("forecasts"))
    market_2 = simulate_market(
        n_products=2, periods=60, seed=market_seed(3, 2), retention_ages=()
    ).series
    expected = fc.forecast(
        market_2.assign(unique_id=market_2[UNIQUE_ID].str.replace("m0/", "m00002/")),
        ["naive", "drift"],
        5,
    )
    got = results[0].read("forecasts")
    pdt.assert_frame_equal(
        got[got[UNIQUE_ID].str.startswith("m00002/")].reset_index(drop=True), expected
    )


def test_a_bundled_dataset_with_plots(tmp_path: Path) -> None:
    from forecast.batch.chunk import plot_name
    from forecast.datasets import load

    job = _job(
        tmp_path, data={"path": None, "dataset": "social-apps-quarterly"}, output={"plots": True}
    )
    job["forecast"]["models"] = ["naive"]
    result = fc.batch.run(job, progress="none")
    series = load("social-apps-quarterly").series
    expected = fc.forecast(series, "naive", 5)
    failed = set(result.read("failures")[UNIQUE_ID])
    pdt.assert_frame_equal(result.read("forecasts"), expected)
    for uid in sorted(set(expected[UNIQUE_ID]) - failed):
        png = tmp_path / "out" / "plots" / plot_name(uid)
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_progress_bar_when_asked(
    tmp_path: Path, panel_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fc.batch.run(_job(tmp_path), progress="bar")
    err = capsys.readouterr().err
    assert "chunks" in err and "3/3" in err
    assert "chunk 0 done" not in err


@functools.cache
def _seven_series_forecasts() -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fc.ForecastWarning)  # s04 is too short: it fails on purpose
        return fc.forecast(
            make_panel(n_series=7, periods=30, short=("s04",)), ["naive", "drift"], 5
        )


@settings(max_examples=6, deadline=None)
@given(chunk_size=st.integers(1, 13), workers=st.sampled_from([1, 2]))
def test_outputs_do_not_depend_on_chunk_size_or_workers(chunk_size: int, workers: int) -> None:
    panel = make_panel(n_series=7, periods=30, short=("s04",))
    with tempfile.TemporaryDirectory() as folder:
        panel.to_parquet(Path(folder) / "data.parquet", index=False)
        job = _job(Path(folder), executor={"chunk_size": chunk_size, "workers": workers})
        result = fc.batch.run(job, progress="none")
        assert result.manifest["counts"]["chunks"] == -(-7 // chunk_size)
        pdt.assert_frame_equal(result.read("forecasts"), _seven_series_forecasts())
        assert result.read("failures")[[UNIQUE_ID, MODEL]].values.tolist() == [
            ["s04", "drift"],
            ["s04", "naive"],
        ]


def test_a_retention_file_reaches_forecasts_and_backtest_windows(
    tmp_path: Path, retention_rows_model: str
) -> None:
    # One worker runs the chunks in this process, where the throwaway model is registered.
    panel = make_panel(n_series=4)
    panel.to_parquet(tmp_path / "data.parquet", index=False)
    cohorts = pd.date_range("2024-01-01", "2024-02-29", freq="D")
    retention = pd.concat(
        [
            pd.DataFrame({"unique_id": uid, "cohort": cohorts, "age": 1, "retention": 0.4})
            for uid in ("s00", "s01")
        ]
    )
    retention.to_csv(tmp_path / "retention.csv", index=False)
    job = _job(
        tmp_path,
        data={"retention": "retention.csv"},
        forecast={"models": [retention_rows_model]},
        backtest={"windows": 2, "step": 5},
        executor={"chunk_size": 2, "workers": 1},
    )
    result = fc.batch.run(job, progress="none")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fc.ForecastWarning)
        forecasts = fc.forecast(panel, retention_rows_model, 5, retention=retention)
        backtest = fc.backtest(panel, retention_rows_model, 5, 2, 5, retention=retention)
    forecasts.attrs.clear()
    backtest.attrs.clear()
    pdt.assert_frame_equal(result.read("forecasts"), forecasts)
    pdt.assert_frame_equal(result.read("backtest"), backtest)
    # 60 daily cohorts; the cutoffs (Feb 19 and 24) know the cohorts up to the day before.
    assert result.read("forecasts")["yhat"].unique().tolist() == [60.0]
    assert sorted(result.read("backtest")["yhat"].unique()) == [49.0, 54.0]
    failures = result.read("failures")
    assert set(failures[UNIQUE_ID]) == {"s02", "s03"} and set(failures["error_type"]) == {
        "CapabilityError"
    }
