"""Ranking on equal windows: no ranking compares models scored on different windows."""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import forecast as fc
from forecast.errors import ForecastWarning

MODELS = ["naive", "drift", "mean", "seasonal_naive"]


@functools.cache
def _backtest() -> pd.DataFrame:
    """Backtest of four models on two seeded weekly-seasonal series, four windows each."""
    rng = np.random.default_rng(1)
    frames = []
    for uid in ("a", "b"):
        t = np.arange(90)
        y = 100 + 8 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 1, 90)
        frames.append(
            pd.DataFrame({"unique_id": uid, "ds": pd.date_range("2024-01-01", periods=90), "y": y})
        )
    return fc.backtest(pd.concat(frames, ignore_index=True), MODELS, h=7, n_windows=4)


def _windows(frame: pd.DataFrame, model: str) -> set[tuple[str, pd.Timestamp]]:
    rows = frame.loc[frame["model"] == model, ["unique_id", "cutoff"]].drop_duplicates()
    return set(zip(rows["unique_id"], pd.to_datetime(rows["cutoff"]), strict=True))


def _rank(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[warnings.WarningMessage]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = fc.rank_models(frame, metric="mae")
    return table, list(caught)


def _drop(frame: pd.DataFrame, model: str, uid: str, cutoff: pd.Timestamp) -> pd.DataFrame:
    gone = (frame["model"] == model) & (frame["unique_id"] == uid) & (frame["cutoff"] == cutoff)
    return frame.loc[~gone]


def test_a_window_one_model_lacks_is_dropped_for_all_and_named() -> None:
    bt = _backtest()
    cutoff = sorted(bt["cutoff"].unique())[0]
    short = _drop(bt, "naive", "a", cutoff)
    table, caught = _rank(short)
    assert table["rank"].notna().all()  # every model ranked, on seven windows
    assert table.attrs["windows"] == 7
    assert table.attrs["dropped_windows"] == [("a", pd.Timestamp(cutoff))]
    messages = [str(w.message) for w in caught if issubclass(w.category, ForecastWarning)]
    assert len(messages) == 1 and f"a cutoff {pd.Timestamp(cutoff):%Y-%m-%d}" in messages[0]
    kept = short.loc[~((short["unique_id"] == "a") & (short["cutoff"] == cutoff))]
    expected = fc.evaluate(kept, by=("model",)).set_index("model")["mae"]
    assert table.set_index("model")["mae"].to_dict() == pytest.approx(expected.to_dict())
    assert table["n"].nunique() == 1


def test_a_model_with_few_windows_is_listed_apart() -> None:
    bt = _backtest()
    short = bt
    for uid, cutoff in sorted(_windows(bt, "mean"))[:6]:
        short = _drop(short, "mean", uid, cutoff)
    table, caught = _rank(short)
    apart = table.loc[table["rank"].isna()]
    assert apart["model"].tolist() == ["mean"]
    assert table["model"].iloc[-1] == "mean" and "not ranked" in apart["note"].iloc[0]
    assert apart["n_windows"].iloc[0] == 2
    assert table.attrs["windows"] == 8 and table.attrs["dropped_windows"] == []
    assert any("listed apart" in str(w.message) for w in caught)


def test_full_backtest_warns_nothing() -> None:
    table, caught = _rank(_backtest())
    assert not caught and table["rank"].tolist() == sorted(table["rank"].tolist())
    assert table.attrs["windows"] == 8


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_no_ranking_compares_different_windows(data: st.DataObject) -> None:
    bt = _backtest()
    frame = bt
    for model in MODELS:
        windows = sorted(_windows(bt, model))
        lost = data.draw(st.sets(st.sampled_from(windows), max_size=len(windows) - 1), label=model)
        for uid, cutoff in lost:
            frame = _drop(frame, model, uid, cutoff)
    table, _ = _rank(frame)
    ranked = table.loc[table["rank"].notna(), "model"].tolist()
    assert sorted(table["model"]) == sorted(MODELS)  # every model shown once
    shared = set.intersection(*(_windows(frame, m) for m in ranked))
    assert len(shared) == table.attrs["windows"] > 0
    union = set.union(*(_windows(frame, m) for m in ranked))
    assert set(table.attrs["dropped_windows"]) == union - shared
    # each ranked model is scored on exactly the shared windows: same count of forecasts,
    # and its metric is the metric of those windows alone
    ranked_rows = table.loc[table["rank"].notna()]
    assert ranked_rows["n"].nunique() == 1
    keys = pd.MultiIndex.from_arrays([frame["unique_id"], pd.to_datetime(frame["cutoff"])])
    kept = frame.loc[keys.isin(list(shared)) & frame["model"].isin(ranked)]
    expected = fc.evaluate(kept, by=("model",)).set_index("model")["mae"]
    assert ranked_rows.set_index("model")["mae"].to_dict() == pytest.approx(expected.to_dict())
    tested = ranked_rows.loc[ranked_rows["rank"] > 1, "n_windows"]
    assert (tested == len(shared)).all()


def test_an_undefined_metric_is_named_as_such_not_as_missing_forecasts() -> None:
    t = np.arange(12.0)
    series = pd.DataFrame(
        {
            "unique_id": "a",
            "ds": pd.date_range("2023-01-01", periods=12, freq="MS"),
            "y": 1000 + 100 * t + 30 * np.sin(t),
        }
    )
    bt = fc.backtest(series, ["naive", "drift"], h=2, n_windows=3)
    ranked = fc.rank_models(bt, metric="mase").set_index("model")
    # a monthly MASE needs more than 12 months of training data: none of these windows has it
    assert ranked["mase"].isna().all()
    assert ranked["note"].str.contains("mase is undefined on these forecasts").any()
    assert not ranked["note"].str.contains("no common forecasts").any()
    assert fc.rank_models(bt, metric="smape")["smape"].notna().all()
