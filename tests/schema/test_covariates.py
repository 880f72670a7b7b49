"""Validation of covariates frames: every malformed class is refused with its rows named."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.errors import (
    CovariateError,
    DuplicateError,
    MissingValueError,
    SchemaError,
)
from forecast.schema import validate_covariates, validate_series


def _series(ids=("a", "b"), n=10, freq="D") -> pd.DataFrame:
    frames = [
        pd.DataFrame({"unique_id": u, "ds": pd.date_range("2024-03-01", periods=n, freq=freq)})
        for u in ids
    ]
    frame = pd.concat(frames, ignore_index=True)
    return validate_series(frame.assign(y=1.0))


def _shared(n=14, freq="D", **values) -> pd.DataFrame:
    frame = pd.DataFrame({"ds": pd.date_range("2024-03-01", periods=n, freq=freq)})
    for name, value in (values or {"spend": np.arange(n, dtype=float)}).items():
        frame[name] = value
    return frame


def test_shared_frame_is_read_and_sorted():
    raw = _shared(launch=[i == 3 for i in range(14)], spend=np.arange(14.0)).iloc[::-1]
    cov = validate_covariates(raw, _series())
    assert cov.shared and cov.names == ("launch", "spend")
    assert cov.frame["ds"].is_monotonic_increasing
    assert cov.frame["launch"].dtype == np.float64 and cov.frame["launch"].sum() == 1.0
    values = cov.history("b", pd.date_range("2024-03-02", periods=2))
    assert values["spend"].tolist() == [1.0, 2.0] and list(values.columns) == [
        "ds",
        "launch",
        "spend",
    ]


def test_per_series_values_differ_by_series():
    frame = pd.concat(
        [_shared().assign(unique_id="a"), _shared().assign(unique_id="b", spend=-1.0)]
    )
    cov = validate_covariates(frame, _series())
    assert not cov.shared
    assert cov.history("a", [pd.Timestamp("2024-03-05")])["spend"].tolist() == [4.0]
    assert cov.history("b", [pd.Timestamp("2024-03-05")])["spend"].tolist() == [-1.0]


def test_missing_ds_is_a_schema_error():
    with pytest.raises(SchemaError, match="'ds'"):
        validate_covariates(pd.DataFrame({"spend": [1.0]}))


def test_no_covariate_column_is_refused():
    with pytest.raises(CovariateError, match="no covariate column"):
        validate_covariates(pd.DataFrame({"ds": ["2024-01-01"]}))


def test_missing_history_date_names_dates():
    cov = validate_covariates(_shared().drop(index=[2, 3]), _series())
    with pytest.raises(CovariateError, match="2024-03-03 and 2024-03-04") as err:
        cov.history("a", _series()["ds"].iloc[:10])
    assert err.value.series == "a" and "history" in str(err.value)


def test_missing_horizon_dates_are_refused_not_filled():
    cov = validate_covariates(_shared(n=12), _series())
    with pytest.raises(CovariateError, match="forecast horizon") as err:
        cov.future("a", pd.date_range("2024-03-11", periods=4))
    assert err.value.rows == ["2024-03-13", "2024-03-14"]


def test_nan_in_a_needed_row_names_the_covariate_and_rows():
    frame = _shared()
    frame.loc[5, "spend"] = np.nan
    cov = validate_covariates(frame, _series())  # NaN allowed where nobody needs it
    assert cov.history("a", [pd.Timestamp("2024-03-01")])["spend"].tolist() == [0.0]
    with pytest.raises(CovariateError, match="'spend'.*NaN") as err:
        cov.history("a", _series()["ds"].iloc[:10])
    assert err.value.column == "spend" and err.value.rows == [5]


def test_infinite_values_are_refused():
    frame = _shared()
    frame.loc[1, "spend"] = np.inf
    with pytest.raises(MissingValueError, match="'spend'"):
        validate_covariates(frame)


@pytest.mark.parametrize("bad", ["lots", complex(1, 1), pd.Timestamp("2024-01-01")])
def test_non_numeric_values_are_refused(bad):
    frame = _shared().astype({"spend": object})
    frame.loc[4, "spend"] = bad
    with pytest.raises(SchemaError, match="'spend'") as err:
        validate_covariates(frame)
    assert 4 in err.value.rows or err.value.column == "spend"


def test_duplicate_rows_are_refused():
    frame = pd.concat([_shared(), _shared().iloc[[3]]])
    with pytest.raises(DuplicateError):
        validate_covariates(frame)
    per_series = pd.concat([_shared().assign(unique_id="a")] * 2)
    with pytest.raises(DuplicateError, match="series 'a'"):
        validate_covariates(per_series)


def test_off_grid_dates_are_refused():
    frame = _shared(n=4, freq="W-MON")
    weekly = _series(freq="W-SUN")
    with pytest.raises(CovariateError, match="off the weekly grid") as err:
        validate_covariates(frame, weekly)
    assert err.value.rows == [0, 1, 2, 3]
    noon = _shared(n=3)
    noon.loc[1, "ds"] = pd.Timestamp("2024-03-02 12:00")
    with pytest.raises(CovariateError, match="2024-03-02 12:00"):
        validate_covariates(noon, _series())
    monthly = _series(n=6, freq="MS")
    mid = pd.DataFrame({"ds": ["2024-03-01", "2024-03-15"], "spend": [1.0, 2.0]})
    with pytest.raises(CovariateError, match="monthly"):
        validate_covariates(mid, monthly)


@pytest.mark.parametrize("name", ["y", "qualifier", "yhat", "yhat_lo_80", "model", "metric"])
def test_name_clashes_are_refused(name):
    with pytest.raises(CovariateError, match=repr(name)):
        validate_covariates(pd.DataFrame({"ds": ["2024-03-01"], name: [1.0]}))


def test_unknown_series_in_frame_is_refused():
    frame = pd.concat([_shared().assign(unique_id=u) for u in ("a", "b", "zz")])
    with pytest.raises(CovariateError, match="'zz'") as err:
        validate_covariates(frame, _series())
    assert err.value.series == "zz"


def test_series_without_rows_is_refused():
    with pytest.raises(CovariateError, match="no rows for series b"):
        validate_covariates(_shared().assign(unique_id="a"), _series())
    cov = validate_covariates(_shared().assign(unique_id="a"))
    with pytest.raises(CovariateError, match="'b'"):
        cov.for_series("b")


def test_file_lines_label_the_rows():
    frame = _shared(n=3).astype({"spend": object})
    frame.index = pd.Index([2, 3, 4], name="line")
    frame.loc[3, "spend"] = "n/a"
    with pytest.raises(SchemaError) as err:
        validate_covariates(frame)
    assert err.value.rows == [3]


def test_select_keeps_a_model_order_and_refuses_missing_names():
    cov = validate_covariates(_shared(a=1.0, b=2.0))
    assert cov.select(["b", "a"]).names == ("b", "a")
    with pytest.raises(CovariateError, match="'c'"):
        cov.select(["c"])


def test_input_is_not_modified():
    frame = _shared(launch=[True] * 14)
    before = frame.copy()
    validate_covariates(frame, _series())
    pd.testing.assert_frame_equal(frame, before)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-1e9, 1e9, allow_nan=False), min_size=2, max_size=30),
    st.randoms(use_true_random=False),
)
def test_history_returns_the_values_of_exactly_the_asked_dates(values, rnd):
    frame = pd.DataFrame(
        {"ds": pd.date_range("2020-01-01", periods=len(values)), "x": values}
    ).sample(frac=1.0, random_state=rnd.randint(0, 1000))
    cov = validate_covariates(frame)
    picked = sorted(rnd.sample(range(len(values)), k=rnd.randint(1, len(values))))
    dates = pd.date_range("2020-01-01", periods=len(values))[picked]
    out = cov.history("any", dates)
    assert out["ds"].tolist() == list(dates)
    assert out["x"].tolist() == [values[i] for i in picked]


@pytest.mark.parametrize(
    ("frame", "error", "column", "rows"),
    [
        (pd.DataFrame({"ds": ["2024-03-01", "soon"], "x": [1.0, 2.0]}), SchemaError, "ds", [1]),
        (pd.DataFrame({"ds": ["2024-03-01", None], "x": [1.0, 2.0]}), SchemaError, "ds", [1]),
        (
            pd.DataFrame({"unique_id": ["a", None], "ds": ["2024-03-01"] * 2, "x": [1.0, 2.0]}),
            MissingValueError,
            "unique_id",
            [1],
        ),
        (pd.DataFrame({"ds": ["2024-03-01"] * 2, "x": [1.0, 2.0]}), DuplicateError, "ds", [0, 1]),
        (pd.DataFrame({"ds": [], "x": []}), SchemaError, None, []),
    ],
    ids=["unparseable-date", "empty-date", "empty-id", "shared-duplicate", "no-rows"],
)
def test_more_malformed_frames_are_refused_with_their_rows(frame, error, column, rows):
    with pytest.raises(error) as err:
        validate_covariates(frame)
    assert err.value.rows == rows
    if column is not None:
        assert err.value.column == column and repr(column) in str(err.value)


def test_a_frame_that_is_not_a_dataframe_is_refused():
    with pytest.raises(SchemaError, match="DataFrame"):
        validate_covariates([{"ds": "2024-03-01", "x": 1.0}])


def test_later_errors_name_the_source_and_its_rows_as_it_counts_them():
    frame = _shared(n=14).assign(unique_id="a")
    frame.index = pd.RangeIndex(2, 16, name="line")
    frame.loc[13, "spend"] = np.nan
    cov = validate_covariates(frame, _series(ids=("a",)))
    located = replace(cov, source="file 'cov.csv' (line 1 is the header)", unit="line")
    # The source survives taking one series and some covariates.
    picked = located.for_series("a").select(["spend"])
    assert picked.source == located.source and picked.unit == "line"
    dates = pd.date_range("2024-03-01", periods=14)
    with pytest.raises(CovariateError) as err:
        picked.future("a", dates[10:])
    message = str(err.value)
    assert message.startswith("file 'cov.csv'") and "line 13)" in message
    assert err.value.rows == [13] and err.value.column == "spend" and err.value.series == "a"
    with pytest.raises(CovariateError, match=r"^file 'cov.csv'.*to the file"):
        picked.future("a", pd.date_range("2024-03-15", periods=2))
    # Without a source, the rows are the frame's rows.
    with pytest.raises(CovariateError, match=r"rows? 13\)") as plain:
        cov.future("a", dates[10:])
    assert not str(plain.value).startswith("file")
