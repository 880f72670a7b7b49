"""A batch job never damages what it did not write; a bad input ends as data or one clear error.

Each test reproduces a finding of the reliability probe: outputs overwriting inputs and deleting
the user's files, stale reuse after a same-size edit, one bad series ending the job, long ids,
integer ids in Parquet, an output path that is a file, an unreachable scheduler, a full disk,
modes of the combined outputs, temporary files and old parts left behind, links followed.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
from pathlib import Path

import pandas as pd
import pandas.testing as pdt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import forecast as fc
from forecast.batch.chunk import plot_name
from forecast.batch.store import OutputError
from forecast.schema import UNIQUE_ID

from .conftest import make_panel


def _job(tmp_path: Path, path: str = "data.parquet", **tables: dict) -> dict:
    job = {
        "data": {"path": path},
        "forecast": {"models": ["naive"], "horizon": 3},
        "output": {"dir": "out"},
        "executor": {"chunk_size": 4, "workers": 1},
        "base_dir": str(tmp_path),
    }
    for name, table in tables.items():
        job[name] = {**job.get(name, {}), **table}
    return job


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


@pytest.mark.parametrize("out", [".", ""])
def test_a_folder_holding_the_input_and_user_files_is_refused_and_left_untouched(
    tmp_path: Path, out: str
) -> None:
    panel = make_panel(n_series=3, periods=20)
    panel.to_csv(tmp_path / "forecasts.csv", index=False)
    (tmp_path / "metrics.json").write_text('{"mine": 1}\n')
    (tmp_path / "backtest.csv").write_text("my,own\n1,2\n")
    before = _snapshot(tmp_path)
    job = _job(tmp_path, path="forecasts.csv", output={"dir": out, "formats": ["csv"]})
    with pytest.raises(fc.ConfigError, match="holds the job's input .*forecasts.csv"):
        fc.batch.run(job, progress="none")
    assert _snapshot(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(before)


def test_a_folder_of_files_no_job_wrote_is_refused(tmp_path: Path, panel_file: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "forecasts.parquet").write_bytes(b"the user's own file")
    with pytest.raises(fc.ConfigError, match="holds files that no batch job wrote.*forecasts"):
        fc.batch.run(_job(tmp_path), progress="none")
    assert (tmp_path / "out" / "forecasts.parquet").read_bytes() == b"the user's own file"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["forecasts.parquet"]


def test_a_folder_left_by_a_job_killed_before_its_manifest_is_accepted(
    tmp_path: Path, panel_file: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / ".lock").write_text("12345\n")
    (out / ".manifest.json.x8d7f.tmp").write_text('{"status": "run')
    result = fc.batch.run(_job(tmp_path), progress="none")
    assert result.exit_status == fc.batch.EXIT_OK
    assert not (out / ".manifest.json.x8d7f.tmp").exists()


def test_a_rerun_removes_only_outputs_a_job_wrote(tmp_path: Path, panel_file: Path) -> None:
    job = _job(tmp_path, output={"formats": ["csv", "parquet"]})
    fc.batch.run(job, progress="none")
    out = tmp_path / "out"
    (out / "forecasts.json").write_text("[]\n")  # the user's, in the job's folder
    (out / "notes.txt").write_text("mine\n")
    job["output"]["formats"] = ["parquet"]
    result = fc.batch.run(job, progress="none")
    assert not (out / "forecasts.csv").exists() and not (out / "failures.csv").exists()
    assert (out / "forecasts.json").read_text() == "[]\n"
    assert (out / "notes.txt").read_text() == "mine\n"
    assert result.manifest["outputs"] == {
        "forecasts": ["forecasts.parquet"],
        "failures": ["failures.parquet"],
    }


def test_an_output_dir_that_is_a_file_is_a_config_error(tmp_path: Path, panel_file: Path) -> None:
    (tmp_path / "out").write_text("a file\n")
    with pytest.raises(fc.ConfigError, match="is a file, not a folder"):
        fc.batch.run(_job(tmp_path), progress="none")
    assert (tmp_path / "out").read_text() == "a file\n"


def test_an_edit_that_keeps_size_and_time_is_a_new_input(tmp_path: Path) -> None:
    panel = make_panel(n_series=8, periods=20)
    panel["y"] = panel["y"].round(3)
    path = tmp_path / "data.csv"
    panel.to_csv(path, index=False)
    job = _job(tmp_path, path="data.csv")
    first = fc.batch.run(job, progress="none")
    old_forecasts = first.read("forecasts")
    text = path.read_text()
    row = text.splitlines()[-1]  # the last value of s07: its naive forecast
    last = row[-1]
    edited = text.replace(row, row[:-1] + ("1" if last != "1" else "2"), 1)
    assert len(edited) == len(text)
    times = path.stat()
    path.write_text(edited)
    os.utime(path, ns=(times.st_atime_ns, times.st_mtime_ns))  # what cp -p does
    again = fc.batch.run(job, progress="none")
    assert again.manifest["parts_key"] != first.manifest["parts_key"]
    assert again.manifest["counts"]["chunks_reused"] == 0
    assert again.manifest["inputs"][0]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    new = pd.read_csv(path, parse_dates=["ds"])
    pdt.assert_frame_equal(again.read("forecasts"), fc.forecast(new, "naive", 3))
    assert not again.read("forecasts").equals(old_forecasts)


def _bad_panel() -> tuple[pd.DataFrame, pd.DataFrame]:
    good = make_panel(n_series=6, periods=20)
    good["ds"] = good["ds"].dt.strftime("%Y-%m-%d")
    days = range(1, 21)
    bad = [
        pd.DataFrame(
            {
                UNIQUE_ID: "bad_tz",
                "ds": [f"2024-01-{d:02d}T00:00:00+0{d % 2}:00" for d in days],
                "y": 1.0,
            }
        ),
        pd.DataFrame({UNIQUE_ID: "bad_after_2262", "ds": [f"2263-01-{d:02d}" for d in days]}),
        pd.DataFrame(
            {
                UNIQUE_ID: "bad_ends_2262",
                "ds": pd.date_range(end="2262-04-10", periods=20, freq="D").strftime("%Y-%m-%d"),
            }
        ),
    ]
    frame = pd.concat([good, *bad], ignore_index=True)
    frame["y"] = frame["y"].fillna(5.0)
    return frame, good.assign(ds=pd.to_datetime(good["ds"]))


@pytest.mark.parametrize("workers", [1, 2])
def test_bad_series_among_good_ones_are_failure_rows_and_the_job_ends_partial(
    tmp_path: Path, workers: int
) -> None:
    frame, good = _bad_panel()
    frame.to_csv(tmp_path / "data.csv", index=False)
    job = _job(tmp_path, path="data.csv", executor={"workers": workers, "chunk_size": 4})
    result = fc.batch.run(job, progress="none")
    assert result.exit_status == fc.batch.EXIT_FAILURES
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["status"] == "partial"
    failures = result.read("failures")
    assert sorted(failures[UNIQUE_ID]) == ["bad_after_2262", "bad_ends_2262", "bad_tz"]
    pdt.assert_frame_equal(result.read("forecasts"), fc.forecast(good, "naive", 3))
    for error in manifest["errors"]:
        assert error["unique_id"] in set(failures[UNIQUE_ID])
        assert error["traceback"].startswith("Traceback")
    again = fc.batch.run(job, progress="none")
    pdt.assert_frame_equal(again.read("failures"), failures)


def test_long_ids_get_plot_names_that_fit_and_short_ones_stay_readable(tmp_path: Path) -> None:
    long_id = "app/" + "x" * 296
    panel = make_panel(n_series=2, periods=20)
    panel[UNIQUE_ID] = panel[UNIQUE_ID].map({"s00": long_id, "s01": "kimi/dau/all"})
    panel.to_parquet(tmp_path / "data.parquet", index=False)
    result = fc.batch.run(_job(tmp_path, output={"plots": True}), progress="none")
    assert result.exit_status == fc.batch.EXIT_OK
    names = sorted(p.name for p in (tmp_path / "out" / "plots").iterdir())
    assert names == sorted([plot_name(long_id), "kimi%2Fdau%2Fall.png"])
    assert all(len(name.encode()) <= 255 for name in names)
    assert plot_name(long_id).startswith("app%2Fxxx")
    assert plot_name(long_id) != plot_name(long_id + "y")


@settings(max_examples=200, deadline=None)
@given(first=st.text(min_size=1, max_size=400), second=st.text(min_size=1, max_size=400))
def test_plot_names_fit_any_file_system_and_never_collide(first: str, second: str) -> None:
    for uid in (first, second):
        name = plot_name(uid)
        assert len(name.encode()) <= 255 and name.endswith(".png")
        assert "/" not in name and "\x00" not in name
    assert (plot_name(first) == plot_name(second)) == (first == second)


def test_integer_ids_in_parquet(tmp_path: Path) -> None:
    panel = make_panel(n_series=6, periods=20)
    panel[UNIQUE_ID] = panel[UNIQUE_ID].str[1:].astype("int64")
    panel.to_parquet(tmp_path / "data.parquet", index=False)
    result = fc.batch.run(_job(tmp_path, executor={"chunk_size": 2}), progress="none")
    assert result.manifest["status"] == "succeeded" and result.read("failures").empty
    assert sorted(result.read("forecasts")[UNIQUE_ID].unique()) == [str(i) for i in range(6)]


def test_an_unreachable_scheduler_is_a_config_error_naming_it(
    tmp_path: Path, panel_file: Path
) -> None:
    pytest.importorskip("distributed")
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the block ends: nothing listens there
    address = f"tcp://127.0.0.1:{port}"
    job = _job(tmp_path, executor={"kind": "dask", "address": address, "connect_timeout": 0.5})
    with pytest.raises(fc.ConfigError, match=f"address = '{address}'.*connect_timeout"):
        fc.batch.run(job, progress="none")
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["status"] == "failed" and manifest["error"]["error_type"] == "ConfigError"


def test_a_full_disk_is_an_output_error_and_the_rerun_recovers(
    tmp_path: Path, panel_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import forecast.batch.store as store

    real = store.write_frame
    calls = []

    def fills_up(frame: pd.DataFrame, path: Path) -> Path:
        calls.append(path)
        if len(calls) > 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(frame, path)

    monkeypatch.setattr(store, "write_frame", fills_up)
    out = tmp_path / "out"
    with pytest.raises(OutputError, match=f"no space left .*{out.name}.*run the job again"):
        fc.batch.run(_job(tmp_path), progress="none")
    assert json.loads((out / "manifest.json").read_text())["status"] == "failed"
    monkeypatch.setattr(store, "write_frame", real)
    again = fc.batch.run(_job(tmp_path), progress="none")
    assert again.manifest["counts"]["chunks_reused"] == 1
    pdt.assert_frame_equal(again.read("forecasts"), fc.forecast(make_panel(), "naive", 3))


def test_combined_outputs_have_the_mode_of_the_parts(tmp_path: Path, panel_file: Path) -> None:
    previous = os.umask(0o027)
    try:
        result = fc.batch.run(_job(tmp_path, output={"formats": ["parquet", "csv"]}), "none")
    finally:
        os.umask(previous)
    out = tmp_path / "out"
    part = next((out / result.manifest["parts"] / "forecasts").iterdir())
    modes = {stat.S_IMODE(p.stat().st_mode) for kind in result.outputs.values() for p in kind}
    assert modes == {stat.S_IMODE(part.stat().st_mode)} == {0o640}
    assert stat.S_IMODE((out / "manifest.json").stat().st_mode) == 0o640


def test_temporary_files_of_a_killed_job_are_removed_and_old_parts_pruned(
    tmp_path: Path, panel_file: Path
) -> None:
    first = fc.batch.run(_job(tmp_path), progress="none")
    out = tmp_path / "out"
    old_parts = out / first.manifest["parts"]
    left = [
        out / ".forecasts.parquet.k2j3h4.tmp",
        old_parts / "forecasts" / ".chunk-00001.parquet.abc123.tmp",
    ]
    for path in left:
        path.write_bytes(b"half")
    (out / "mine.tmp").write_text("the user's\n")
    job = _job(tmp_path, forecast={"horizon": 4})
    again = fc.batch.run(job, progress="none")
    assert not any(path.exists() for path in left)
    assert (out / "mine.tmp").read_text() == "the user's\n"
    assert not old_parts.exists()
    assert [p.name for p in (out / "parts").iterdir()] == [again.manifest["parts_key"]]
    assert not list(out.rglob("*.tmp"))[1:] and list(out.rglob("*.tmp")) == [out / "mine.tmp"]


@pytest.mark.parametrize("name", ["plots", ".lock", "parts"])
def test_a_link_inside_the_output_folder_is_refused(
    tmp_path: Path, panel_file: Path, name: str
) -> None:
    out = tmp_path / "out"
    fc.batch.run(_job(tmp_path), progress="none")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = out / name
    if target.is_dir():
        os.rename(target, tmp_path / "moved")
    elif target.exists():
        target.unlink()
    target.symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(fc.ConfigError, match=f"{name}' is a symbolic link"):
        fc.batch.run(_job(tmp_path, output={"plots": True}, forecast={"horizon": 4}), "none")
    assert list(elsewhere.iterdir()) == []
