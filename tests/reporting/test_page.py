"""The report's page: self-contained, every input recognised, pickers bounded, clear errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import forecast as fc
from forecast.errors import ConfigError
from forecast.reporting.figures import numbers
from forecast.reporting.inputs import kind_of
from forecast.reporting.page import pack
from forecast.reporting.sections import choose_series, table_html


def _data(page: str) -> dict:
    block = re.search(r"<script type='application/json' id='report-data'>(.*?)</script>", page)
    assert block is not None
    return json.loads(block.group(1))


def _unpack(picker: dict, packed: dict) -> list[dict]:
    """What the page's script does with a packed series."""
    out = []
    for t in packed["traces"]:
        trace = {**picker["templates"][t["t"]], "x": packed["x"][t["x"]], "y": t["y"]}
        if "c" in t:
            trace["customdata"] = t["c"]
        out.append(trace)
    return out


_TRACES = st.lists(
    st.fixed_dictionaries(
        {
            "name": st.sampled_from(["a", "b"]),
            "x": st.lists(st.sampled_from(["2024-01-01", "2024-01-02"]), max_size=3),
            "y": st.lists(st.floats(-10, 10), max_size=3),
        },
        optional={"customdata": st.lists(st.lists(st.floats(0, 1), max_size=2), min_size=1)},
    ),
    max_size=6,
)


@given(st.dictionaries(st.text(max_size=4), _TRACES, max_size=4))
def test_pack_then_unpack_gives_the_traces_back(series):
    packed = pack(series)
    assert {uid: _unpack(packed, p) for uid, p in packed["series"].items()} == series
    json.dumps(packed)


def test_page_is_self_contained(reports: dict[str, Path]):
    from plotly.offline import get_plotlyjs

    plotly_js = get_plotlyjs()
    for path in reports.values():
        page = path.read_text(encoding="utf-8")
        assert plotly_js in page
        assert not re.search(r"<(script|img|iframe)[^>]*\ssrc=", page, re.IGNORECASE)
        assert not re.search(r"<link[^>]*href=", page, re.IGNORECASE)


def test_run_report_draws_history_marks_and_every_series(
    reports: dict[str, Path], history: pd.DataFrame
):
    data = _data(reports["run"].read_text(encoding="utf-8"))
    (picker,) = data["pickers"]
    series = {uid: _unpack(picker, packed) for uid, packed in picker["series"].items()}
    assert set(series) == set(history["unique_id"])
    names = [t.get("name") for t in series["spotify/mau/all"]]
    assert {"history", "approximate (~)", "lower bound (>=)", "naive", "drift"} <= set(names)
    approx = next(t for t in series["spotify/mau/all"] if t.get("name") == "approximate (~)")
    marked = history[history["qualifier"] == "~"]
    assert approx["y"] == pytest.approx(marked["y"].tolist(), rel=1e-5)


def test_backtest_report_ranks_models_with_coverage(reports: dict[str, Path], outputs):
    page = reports["backtest"].read_text(encoding="utf-8")
    expected = fc.rank_models(pd.read_parquet(outputs["backtest"]))
    ranking = page.split("Ranking by mase", 1)[1].split("</table>", 1)[0]
    shown = re.findall(r"<tr><td>(\d+)</td><td>([^<]+)</td>", ranking)
    assert shown == [(str(r), m) for r, m in zip(expected["rank"], expected["model"], strict=True)]
    assert "coverage_80" in page and "p_value" in page
    data = _data(page)
    assert [f["id"] for f in data["figures"]] == ["backtest0-steps"]


def test_batch_report_summarises_the_job(reports: dict[str, Path], outputs):
    page = reports["batch"].read_text(encoding="utf-8")
    manifest = json.loads((outputs["batch"] / "manifest.json").read_text())
    assert manifest["config_hash"] in page
    assert "Slowest chunks" in page and "Least accurate series" in page
    assert f"<td>{manifest['counts']['series']}</td>" in page


def test_picker_holds_at_most_max_series_and_says_so(outputs, tmp_path):
    path = fc.report(outputs["batch"], tmp_path / "r.html", max_series=2)
    page = path.read_text(encoding="utf-8")
    for picker in _data(page)["pickers"]:
        assert len(picker["series"]) == 2
    assert "2 of 9 series (the least accurate (by MASE) first" in page


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_max_series_must_be_a_whole_number(outputs, tmp_path, bad):
    with pytest.raises(ConfigError, match="max_series"):
        fc.report(outputs["run"], tmp_path / "r.html", max_series=bad)


def test_unknown_inputs_are_clear_errors(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        fc.report(tmp_path / "missing.csv", tmp_path / "r.html")
    with pytest.raises(ConfigError, match="not a batch job's output folder"):
        fc.report(tmp_path, tmp_path / "r.html")
    with pytest.raises(ConfigError, match="columns are 'a', 'b'"):
        fc.report(pd.DataFrame({"a": [1], "b": [2]}), tmp_path / "r.html")
    empty = pd.DataFrame(columns=["unique_id", "model", "ds", "yhat"])
    with pytest.raises(ConfigError, match="forecast output without rows"):
        fc.report(empty, tmp_path / "r.html")
    with pytest.raises(ConfigError, match="at least one input"):
        fc.report([], tmp_path / "r.html")


def test_kinds_are_recognised_by_columns(outputs):
    from forecast.io import read_frame

    for name, kind in [
        ("run", "forecast"),
        ("backtest", "backtest"),
        ("shares", "share"),
        ("history", "series"),
    ]:
        assert kind_of(read_frame(outputs[name]), name) == kind


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=20))
def test_numbers_keep_six_digits_and_null_the_rest(values):
    out = numbers(values)
    for value, got in zip(values, out, strict=True):
        if value != value or value in (float("inf"), float("-inf")):
            assert got is None
        else:
            assert got == pytest.approx(value, rel=5e-6, abs=1e-300)


@given(st.text(max_size=30))
def test_table_cells_are_escaped(text):
    cell = table_html(pd.DataFrame({"message": [text]}))
    inner = cell.split("<tbody>", 1)[1]
    assert "<script" not in inner.lower() or "&lt;" in inner
    assert inner.count("<td>") == 1 and inner.count("</td>") == 1


@given(st.lists(st.text(min_size=1, max_size=5), unique=True, max_size=30), st.integers(1, 40))
def test_choose_series_keeps_worst_first_and_at_most_max(ids, max_series):
    worst = list(reversed(ids))
    chosen, rule = choose_series(ids, worst, max_series)
    assert len(chosen) == min(len(ids), max_series)
    assert chosen == worst[: len(chosen)]
    assert f"{len(ids):,}" in rule


def test_filled_values_get_their_own_hollow_trace():
    from forecast.reporting.figures import history_traces

    raw = pd.DataFrame(
        {
            "unique_id": "a",
            "ds": pd.date_range("2024-01-01", periods=5, freq="D"),
            "y": [1.0, None, 3.0, 4.0, 5.0],
        }
    )
    traces = {t["name"]: t for t in history_traces(fc.fill_gaps(raw, method="linear"))}
    assert set(traces) == {"history", "filled, not observed"}
    filled = traces["filled, not observed"]
    assert filled["x"] == ["2024-01-02"] and filled["y"] == [2]
    assert filled["marker"]["color"] == "white" and traces["history"]["y"] == [1, 2, 3, 4, 5]
    assert set(t["name"] for t in history_traces(raw.dropna())) == {"history"}


def test_the_quality_section_counts_the_filled_values_by_series():
    from forecast.reporting.inputs import ReportInputs
    from forecast.reporting.quality import quality_section

    ds = pd.date_range("2024-01-01", periods=6, freq="D")
    raw = pd.concat(
        [
            pd.DataFrame({"unique_id": "a", "ds": ds, "y": [1.0, None, None, 4, 5, 6]}),
            pd.DataFrame({"unique_id": "b", "ds": ds, "y": [1.0, 2, 3, 4, 5, 6]}),
        ]
    )
    filled = fc.fill_gaps(raw.reset_index(drop=True), method="linear")
    page = "".join(quality_section(ReportInputs(history=filled)).parts)
    assert "2 value(s) of 1 series were filled" in page
    assert "<td>a</td><td>2</td><td>2024-01-02</td><td>2024-01-03</td>" in page
    plain = "".join(quality_section(ReportInputs(history=raw.dropna())).parts)
    assert "filled" not in plain
