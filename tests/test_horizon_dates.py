"""Horizons that pandas cannot date fail with the package's errors, before any fitting."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import forecast as fc
from forecast.engine.tasks import FitPredictTask, fit_predict_task
from forecast.models.base import BaseModel, check_horizon
from forecast.schema import check_horizon_dates, future_dates, infer_frequency


def _series(start: str, periods: int = 30, freq: str = "D", uid: str = "late") -> pd.DataFrame:
    ds = pd.date_range(start, periods=periods, freq=freq)
    return pd.DataFrame({"unique_id": uid, "ds": ds, "y": np.arange(periods, dtype=float) + 1})


@pytest.mark.parametrize("h", [100_001, 10**6, 10**12])
def test_check_horizon_has_an_upper_limit(h: int):
    with pytest.raises(fc.ConfigError, match="limit of 100,000 steps"):
        check_horizon(h)


def test_check_horizon_accepts_the_limit():
    assert check_horizon(100_000) == 100_000


@pytest.mark.parametrize("freq", ["D", "W-MON", "MS", "ME", "QS", "YS", "h"])
def test_future_dates_past_2262_raise_history_error_naming_the_series(freq: str):
    frame = _series("2259-01-01", periods=3, freq=freq)
    frequency = infer_frequency(frame["ds"])
    assert frequency is not None
    h = 100_000
    with pytest.raises(fc.HistoryError, match=r"'late'.*2262-04-11") as info:
        future_dates(frame["ds"].iloc[-1], frequency, h, series="late")
    assert info.value.series == "late" and info.value.column == "ds"
    with pytest.raises(fc.HistoryError, match="'late'"):
        check_horizon_dates(frame, h)


@settings(max_examples=25, deadline=None)
@given(h=st.integers(1, 400))
def test_the_largest_horizon_named_in_the_message_fits_and_one_more_does_not(h: int):
    frame = _series("2261-06-01", periods=3)
    frequency = infer_frequency(frame["ds"])
    assert frequency is not None
    last = frame["ds"].iloc[-1]
    try:
        check_horizon_dates(frame, h)
    except fc.HistoryError as err:
        largest = int(str(err).split("at most ")[1].split(" steps")[0].replace(",", ""))
        assert largest < h
        assert len(future_dates(last, frequency, largest)) == largest
        with pytest.raises(fc.HistoryError):
            future_dates(last, frequency, largest + 1)
    else:
        assert future_dates(last, frequency, h)[-1] <= pd.Timestamp.max


class _Refuses(BaseModel):
    """A model whose fit is an error: a task reaching it would say so."""

    name = "refuses"

    def _fit(self, data: pd.DataFrame, retention: pd.DataFrame | None) -> None:
        raise AssertionError("fit was reached")


def test_the_engine_checks_the_horizon_before_fitting():
    task = FitPredictTask("late", "refuses", _Refuses(), _series("2262-01-01"), 200, (80.0,))
    result = fit_predict_task(task)
    assert isinstance(result.error, fc.HistoryError)
    assert result.failure is not None and "at most" in str(result.failure["message"])


def test_forecast_reports_an_undatable_horizon_as_a_failure_of_that_series_only():
    frame = pd.concat([_series("2262-01-01"), _series("2024-01-01", uid="early")])
    with pytest.warns(fc.ForecastWarning, match="'late'"):
        out = fc.forecast(frame, ["naive"], h=200, levels=())
    assert set(out["unique_id"]) == {"early"} and len(out) == 200
    failures = out.attrs["failures"]
    assert failures["unique_id"].tolist() == ["late"]
    assert failures["error_type"].tolist() == ["HistoryError"]
