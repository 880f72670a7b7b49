"""The one rolling-origin loop, the progress protocol and the assembly of results."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.engine.parallel import parallel_map
from forecast.engine.result import assemble
from forecast.engine.rolling import roll, training_windows
from forecast.errors import FitError


def _series(n: int = 30) -> pd.DataFrame:
    ds = pd.date_range("2024-01-01", periods=n, freq="D")
    return pd.DataFrame({"unique_id": "a", "ds": ds, "y": range(n)}).astype({"y": float})


@settings(max_examples=40, deadline=None)
@given(
    positions=st.lists(st.integers(0, 29), min_size=1, max_size=5, unique=True),
    window_size=st.one_of(st.none(), st.integers(1, 40)),
)
def test_a_window_holds_exactly_the_rows_up_to_its_cutoff(
    positions: list[int], window_size: int | None
) -> None:
    series = _series()
    cutoffs = [series["ds"].iloc[p] for p in sorted(positions)]
    for cutoff, train in zip(cutoffs, training_windows(series, cutoffs, window_size), strict=True):
        upto = series[series["ds"] <= cutoff]
        expected = upto if window_size is None else upto.tail(window_size)
        pd.testing.assert_frame_equal(train, expected)


def test_a_market_of_several_series_is_cut_by_date() -> None:
    market = pd.concat([_series().assign(unique_id=u) for u in ("a", "b")], ignore_index=True)
    cutoff = market["ds"].iloc[9]
    (train,) = training_windows(market, [cutoff])
    assert len(train) == 2 * 10 and train["ds"].max() == cutoff


class _Boom:
    """Fails with a ForecastError at the given cutoffs; counts its calls."""

    def __init__(self, failing: set[int]) -> None:
        self.failing = failing
        self.calls = 0

    def __call__(self, train: pd.DataFrame, cutoff: pd.Timestamp) -> int:
        self.calls += 1
        if len(train) in self.failing:
            raise FitError(f"no fit on {len(train)} rows")
        return len(train)


def test_collect_records_a_failure_and_goes_on() -> None:
    series, step = _series(), _Boom({20})
    cutoffs = [series["ds"].iloc[p] for p in (9, 19, 29)]
    outcomes = roll(series, cutoffs, step)
    assert [o.value for o in outcomes] == [10, None, 30]
    assert isinstance(outcomes[1].error, FitError) and outcomes[1].cutoff == cutoffs[1]


def test_stop_skips_the_remaining_windows_and_raise_propagates() -> None:
    series = _series()
    cutoffs = [series["ds"].iloc[p] for p in (9, 19, 29)]
    stopping = _Boom({10})
    outcomes = roll(series, cutoffs, stopping, on_error="stop")
    assert len(outcomes) == 1 and outcomes[0].error is not None and stopping.calls == 1
    with pytest.raises(FitError):
        roll(series, cutoffs, _Boom({20}), on_error="raise")


def test_an_error_that_is_not_a_forecast_error_is_a_bug_and_propagates() -> None:
    def broken(train: pd.DataFrame, cutoff: pd.Timestamp) -> int:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        roll(_series(), [_series()["ds"].iloc[5]], broken)


def _square(x: int) -> int:
    return x * x


def test_progress_receives_the_units_of_each_item() -> None:
    done: list[int] = []
    assert parallel_map(_square, [1, 2, 3], progress=done.append, units=[2, 1, 4]) == [1, 4, 9]
    assert done == [2, 1, 4]


def test_an_empty_assembly_keeps_the_contract_types() -> None:
    out = assemble([], ["unique_id", "model", "cutoff", "ds", "yhat"])
    assert list(out.columns) == ["unique_id", "model", "cutoff", "ds", "yhat"] and out.empty
    assert out["ds"].dtype == "datetime64[ns]" and out["cutoff"].dtype == "datetime64[ns]"
    assert out["yhat"].dtype == "float64" and out["model"].dtype != "float64"
