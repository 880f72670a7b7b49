"""The unit of work of the drivers and the failures frame they share."""

from __future__ import annotations

import pickle

import pandas as pd
import pytest

from forecast.engine.tasks import (
    FAILURE_COLUMNS,
    FitPredictTask,
    failure_record,
    failures_frame,
    fit_predict_task,
)
from forecast.errors import HistoryError
from forecast.models import get
from forecast.schema import forecast_columns


def test_task_returns_forecast_in_contract_order(daily_series: pd.DataFrame) -> None:
    model = get("naive")
    result = fit_predict_task(FitPredictTask("a", "naive", model, daily_series, 5, (80.0, 95.0)))
    assert result.error is None and result.failure is None
    assert list(result.forecast.columns) == forecast_columns((80, 95))
    assert len(result.forecast) == 5
    assert (result.forecast["unique_id"] == "a").all() and (
        result.forecast["model"] == "naive"
    ).all()
    assert not model.is_fitted  # the task fits a clone


def test_task_with_cutoff_adds_the_column(daily_series: pd.DataFrame) -> None:
    cutoff = daily_series["ds"].iloc[-1]
    task = FitPredictTask("a", "drift", get("drift"), daily_series, 3, (80.0,), cutoff=cutoff)
    frame = fit_predict_task(task).forecast
    assert list(frame.columns) == forecast_columns((80,), backtest=True)[:-1]
    assert (frame["cutoff"] == cutoff).all()


def test_task_returns_a_forecast_error_as_a_failure(daily_series: pd.DataFrame) -> None:
    short = daily_series.head(3)
    result = fit_predict_task(
        FitPredictTask("a", "snaive", get("seasonal_naive"), short, 3, (80.0,))
    )
    assert result.forecast is None
    assert isinstance(result.error, HistoryError)
    assert result.failure["error_type"] == "HistoryError"
    assert result.failure["model"] == "snaive"
    assert pd.isna(result.failure["cutoff"])
    assert "'a'" in result.failure["message"]
    assert pickle.loads(pickle.dumps(result)).failure == result.failure


def test_failures_frame_is_sorted_and_typed() -> None:
    records = [
        failure_record("b", "ets", None, HistoryError("too short")),
        failure_record("a", "ets", pd.Timestamp("2024-01-01"), HistoryError("too short")),
    ]
    frame = failures_frame(records)
    assert list(frame.columns) == FAILURE_COLUMNS
    assert frame["unique_id"].tolist() == ["a", "b"]
    assert frame["cutoff"].dtype == "datetime64[ns]"
    assert list(frame.index) == [0, 1]
    assert list(failures_frame([]).columns) == FAILURE_COLUMNS


@pytest.mark.parametrize("cutoff", [None, "2024-02-01"])
def test_failure_record_keys(cutoff: str | None) -> None:
    record = failure_record("a", "naive", cutoff and pd.Timestamp(cutoff), ValueError("x"))
    assert list(record) == FAILURE_COLUMNS
    assert record["error_type"] == "ValueError"
