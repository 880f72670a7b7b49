"""fc.fill_gaps: every missing date filled by the named method, marked, and never scored."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import forecast as fc
from forecast.cli import cli
from forecast.gaps import FILL_METHODS

MESSY = Path(__file__).resolve().parent / "data" / "messy"


def _series(values: np.ndarray, keep: np.ndarray, freq: str = "D") -> pd.DataFrame:
    ds = pd.date_range("2024-01-01", periods=len(values), freq=freq)
    return pd.DataFrame({"unique_id": "a", "ds": ds[keep], "y": values[keep]})


def _keep(n: int, missing: list[int]) -> np.ndarray:
    keep = np.ones(n, dtype=bool)
    keep[[m for m in missing if 0 < m < n - 1]] = False
    return keep


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(4, 60),
    missing=st.lists(st.integers(1, 58), max_size=10),
    method=st.sampled_from([m for m in FILL_METHODS if m != "none"]),
)
def test_every_missing_date_is_filled_once_and_marked(n, missing, method):
    values = 50 + np.arange(n, dtype=float)
    keep = _keep(n, [m for m in missing if 2 <= m <= n - 3])  # each phase seen at both ends
    out = fc.fill_gaps(_series(values, keep), method=method, seasonal_period=2)
    assert len(out) == n and not out["ds"].duplicated().any()
    assert out["filled"].tolist() == (~keep).tolist()
    observed = out[~out["filled"]]
    assert observed["y"].tolist() == values[keep].tolist()  # observations untouched
    assert fc.schema.series_report(out)["n_missing"].iloc[0] == 0


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(4, 40),
    missing=st.lists(st.integers(1, 38), max_size=8),
    blank=st.lists(st.integers(1, 38), max_size=8),
    method=st.sampled_from([m for m in FILL_METHODS if m not in ("none", "seasonal")]),
)
def test_an_empty_value_is_filled_like_a_missing_date(n, missing, blank, method):
    values = 50 + np.arange(n, dtype=float)
    keep = _keep(n, missing)
    empty = ~_keep(n, blank) & keep
    rows = _series(values, keep)
    with_blanks = rows.assign(y=np.where(empty[keep], np.nan, rows["y"]))
    out = fc.fill_gaps(with_blanks, method=method)
    as_dates = fc.fill_gaps(rows[~empty[keep]], method=method)
    pd.testing.assert_frame_equal(out, as_dates)


@given(
    slope=st.floats(-5, 5),
    level=st.floats(100, 1_000),
    missing=st.lists(st.integers(1, 28), min_size=1, max_size=6),
)
def test_linear_filling_is_exact_on_a_line(slope, level, missing):
    t = np.arange(30, dtype=float)
    values = level + slope * t
    out = fc.fill_gaps(_series(values, _keep(30, missing)), method="linear")
    assert out["y"].to_numpy() == pytest.approx(values, rel=1e-9, abs=1e-9)


@given(growth=st.floats(0.9, 1.1), missing=st.lists(st.integers(1, 28), min_size=1, max_size=6))
def test_log_linear_filling_is_exact_on_constant_growth(growth, missing):
    values = 1_000 * growth ** np.arange(30, dtype=float)
    out = fc.fill_gaps(_series(values, _keep(30, missing)), method="log-linear")
    assert out["y"].to_numpy() == pytest.approx(values, rel=1e-9)


@given(slope=st.floats(-2, 2), missing=st.lists(st.integers(8, 48), min_size=1, max_size=5))
def test_seasonal_filling_is_exact_on_a_trend_plus_weekly_pattern(slope, missing):
    t = np.arange(56, dtype=float)
    values = 500 + slope * t + 20 * np.array([3, -1, 0, 2, -4, 1, -1])[t.astype(int) % 7]
    keep = _keep(56, [m for m in missing if m not in (0, 55)])
    out = fc.fill_gaps(_series(values, keep), method="seasonal")
    assert out["y"].to_numpy() == pytest.approx(values, rel=1e-9, abs=1e-6)


def test_carry_forward_repeats_the_last_value():
    values = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    out = fc.fill_gaps(_series(values, np.array([True, True, False, False, True])), "carry-forward")
    assert out["y"].tolist() == [1.0, 2.0, 2.0, 2.0, 5.0]


def test_none_adds_no_rows():
    values = np.arange(1.0, 6.0)
    out = fc.fill_gaps(_series(values, np.array([True, False, True, True, True])), method="none")
    assert len(out) == 4 and not out["filled"].any()


def test_bad_arguments_and_impossible_fills_are_refused():
    frame = _series(np.array([1.0, 0.0, 3.0, 4.0]), np.array([True, True, False, True]))
    with pytest.raises(fc.ConfigError, match="linear"):
        fc.fill_gaps(frame, method="spline")  # type: ignore[arg-type]
    with pytest.raises(fc.ConfigError, match="seasonal_period"):
        fc.fill_gaps(frame, method="seasonal", seasonal_period=1)
    with pytest.raises(fc.DomainError, match="log-linear"):
        fc.fill_gaps(frame, method="log-linear")
    with pytest.raises(fc.HistoryError, match="2024-01-03"):
        fc.fill_gaps(frame, method="seasonal", seasonal_period=3)
    with pytest.raises(fc.ConfigError, match="once"):
        fc.fill_gaps(fc.fill_gaps(frame, method="linear"), method="linear")


def test_filled_rows_are_never_scored_in_a_backtest():
    t = np.arange(40, dtype=float)
    keep = _keep(40, [33, 36])
    filled = fc.fill_gaps(_series(100 + t, keep), method="linear")
    bt = fc.backtest(filled, models=["naive"], h=4, n_windows=2)
    made_up = bt["ds"].isin(filled.loc[filled["filled"], "ds"])
    assert made_up.any() and bt.loc[made_up, "y"].isna().all()
    assert bt.loc[~made_up, "y"].notna().all()
    metrics = fc.evaluate(bt, metrics=["mae"])
    assert metrics["n_missing"].iloc[0] == int(made_up.sum())


def test_the_cli_fills_a_weekly_gap_and_counts_it(tmp_path: Path):
    path = str(MESSY / "weekly_gap.csv")
    refused = CliRunner().invoke(cli, ["run", "--data", path, "--model", "naive", "--horizon", "2"])
    assert refused.exit_code != 0 and "2024-01-15" in refused.output
    result = CliRunner().invoke(
        cli, ["run", "--data", path, "--model", "naive", "--horizon", "2", "--fill", "linear"]
    )
    assert result.exit_code == 0, result.output
    assert "filled 1 missing value(s) (dates without a row, or empty cells) in 1 series" in (
        result.output
    )
    checked = CliRunner().invoke(cli, ["validate", path, "--fill", "carry-forward"])
    assert checked.exit_code == 0 and "5 rows, 1 filled" in checked.output


EMPTY_CELL = (
    "Date;App;DAU\n01.03.2024;Kimi;1.234.567\n02.03.2024;Kimi;1.301.002\n"
    "03.03.2024;Kimi;\n04.03.2024;Kimi;1.402.331\n05.03.2024;Kimi;1.450.000\n"
    "13.03.2024;Kimi;1.800.000\n"
)


def test_an_empty_cell_is_refused_with_its_line_and_filled_when_asked(tmp_path: Path):
    path = tmp_path / "dau.csv"
    path.write_text(EMPTY_CELL)
    columns = {"id": "App", "ds": "Date", "y": "DAU"}
    with pytest.raises(fc.MissingValueError, match=r"line 4.*--fill linear") as info:
        fc.read(path, **columns)
    assert info.value.rows == [4]
    out = fc.read(path, **columns, fill="linear")
    assert out["filled"].tolist() == [False, False, True, False, False] + [True] * 7 + [False]
    assert out["y"].iloc[2] == pytest.approx((1301002 + 1402331) / 2)
    result = CliRunner().invoke(
        cli,
        ["run", "--data", str(path), "--id", "App", "--ds", "Date", "--y", "DAU"]
        + ["--model", "naive", "--horizon", "2", "--fill", "linear"],
    )
    assert result.exit_code == 0, result.output
    assert "filled 8 missing value(s)" in result.output


@pytest.mark.parametrize(
    ("last", "error", "line"),
    [("14.03.2024;Kimi;\n", fc.MissingValueError, 8), ("13.03.2024;Kimi;\n", fc.DuplicateError, 8)],
)
def test_an_empty_cell_that_filling_cannot_reach_is_refused_with_its_line(
    tmp_path: Path, last: str, error: type[fc.DataError], line: int
):
    path = tmp_path / "dau.csv"
    path.write_text(EMPTY_CELL + last)
    with pytest.raises(error, match=rf"dau.csv.*line {line}\b") as info:
        fc.read(path, id="App", ds="Date", y="DAU", fill="linear")
    assert info.value.rows == [line]


def test_fill_none_leaves_an_empty_cell_refused():
    frame = pd.DataFrame({"unique_id": "a", "ds": ["2024-01-01", "2024-01-02", "2024-01-03"]})
    with pytest.raises(fc.MissingValueError, match=r"rows 1"):
        fc.fill_gaps(frame.assign(y=[1.0, np.nan, 3.0]), method="none")


def test_shares_made_of_filled_values_are_never_scored():
    from forecast.market.backtest import backtest_shares

    t = np.arange(30, dtype=float)
    keep = _keep(30, [26])
    a = _series(200 + t, keep).assign(unique_id="a")
    b = _series(100 + t, np.ones(30, dtype=bool)).assign(unique_id="b")
    filled = fc.fill_gaps(pd.concat([a, b]), method="linear")
    bt = backtest_shares(filled, "naive", h=3, n_windows=2, n_samples=20)
    gap = filled.loc[filled["filled"], "ds"].iloc[0]
    assert (bt["ds"] == gap).any() and bt.loc[bt["ds"] == gap, "y"].isna().all()
    assert bt.loc[bt["ds"] != gap, "y"].notna().all()


def test_inner_backtests_of_auto_and_ensemble_do_not_score_filled_rows():
    from forecast.evaluation.inner import inner_backtest
    from forecast.models.registry import get

    t = np.arange(30, dtype=float)
    values = 100 + t
    values[27] = 500.0  # a wild made-up value: marked filled below
    frame = pd.DataFrame(
        {"unique_id": "a", "ds": pd.date_range("2024-01-01", periods=30), "y": values}
    )
    candidates = [("naive", get("naive")), ("drift", get("drift"))]
    marked = frame.assign(filled=np.arange(30) == 27)
    scores = inner_backtest(marked, candidates, h=3, n_windows=2, seasonal_period=1)
    clean = inner_backtest(frame, candidates, h=3, n_windows=2, seasonal_period=1)
    for label, _ in candidates:
        scaled = np.abs(scores.forecasts[label] - scores.actuals) / scores.scales[:, None]
        keep = np.ones_like(scaled, dtype=bool)
        keep[1, 0] = False  # row 27 is the first step of the second window (cuts 24 and 27)
        assert scores[label] == pytest.approx(scaled[keep].mean())
        assert scores[label] != pytest.approx(clean[label])
