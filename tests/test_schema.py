"""The data contract: every validation case with its error class and message, frequency and gaps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import forecast as fc
from forecast import schema
from forecast.errors import format_rows


def series(**columns: object) -> pd.DataFrame:
    """A valid three-row frame of series 'kimi/dau/all', with columns overridden."""
    base: dict[str, object] = {
        "unique_id": "kimi/dau/all",
        "ds": ["2024-03-01", "2024-03-02", "2024-03-03"],
        "y": [1.0, 2.0, 3.0],
    }
    base.update(columns)
    return pd.DataFrame(base)


def retention(**columns: object) -> pd.DataFrame:
    base: dict[str, object] = {
        "cohort": ["2024-01-01"] * 3,
        "age": [0, 1, 2],
        "retention": [1.0, 0.4, 0.3],
    }
    base.update(columns)
    return pd.DataFrame(base)


# ------------------------------------------------------------------------------------ clean copies
def test_validate_returns_sorted_typed_copy_and_leaves_input_alone():
    raw = pd.DataFrame(
        {"unique_id": [2, 1, 1], "ds": ["2024-01-02", "2024-01-02", "2024-01-01"], "y": [5, 4, 3]}
    )
    before = raw.copy()
    clean = fc.validate(raw)
    pd.testing.assert_frame_equal(raw, before)
    assert clean["unique_id"].tolist() == ["1", "1", "2"]
    assert clean["y"].tolist() == [3.0, 4.0, 5.0]
    assert clean["ds"].dtype == "datetime64[ns]"
    assert clean["y"].dtype == "float64"
    assert clean["qualifier"].tolist() == ["=", "=", "="]
    assert list(clean.index) == [0, 1, 2]


def test_validate_is_idempotent():
    clean = fc.validate(series(qualifier=["=", ">=", "~"], metric="dau"))
    pd.testing.assert_frame_equal(fc.validate(clean), clean)


def test_optional_columns_come_after_required_and_extra_columns_are_kept():
    clean = fc.validate(series(extra=[1, 2, 3], source="article", entity="kimi"))
    assert list(clean.columns) == ["unique_id", "ds", "y", "entity", "qualifier", "source", "extra"]


# ----------------------------------------------------------------------------------- series errors
def test_missing_column_names_it_and_says_what_to_do():
    with pytest.raises(
        fc.SchemaError, match=r"lacks the required column\(s\) 'unique_id'.*df.assign"
    ) as info:
        fc.validate(series().drop(columns="unique_id"))
    assert info.value.column == "unique_id"


def test_empty_frame():
    with pytest.raises(fc.SchemaError, match="empty"):
        fc.validate(series().iloc[:0])


def test_not_a_frame():
    with pytest.raises(fc.SchemaError, match="DataFrame"):
        fc.validate([1, 2, 3])  # type: ignore[arg-type]


def test_unparsable_dates_name_series_column_and_rows():
    with pytest.raises(
        fc.SchemaError, match=r"column 'ds' of series 'kimi/dau/all'.*rows 1: 'March 2nd\?'"
    ) as info:
        fc.validate(series(ds=["2024-03-01", "March 2nd?", "2024-03-03"]))
    err = info.value
    assert (err.series, err.column, err.rows) == ("kimi/dau/all", "ds", [1])


def test_duplicate_dates():
    with pytest.raises(
        fc.DuplicateError, match=r"series 'kimi/dau/all' has 2 rows.*'ds' \(rows 0 and 1"
    ) as info:
        fc.validate(series(ds=["2024-03-01", "2024-03-01", "2024-03-03"]))
    assert info.value.rows == [0, 1]
    assert isinstance(info.value, fc.DataError) and isinstance(info.value, ValueError)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_missing_or_infinite_values(bad: float):
    with pytest.raises(
        fc.MissingValueError,
        match=r"column 'y' of series 'kimi/dau/all'.*rows 2.*nothing is filled",
    ) as info:
        fc.validate(series(y=[1.0, 2.0, bad]))
    assert "fc.fill_gaps(df, method='linear') or --fill linear" in str(info.value)


def test_the_fill_a_missing_value_points_to_restores_the_series():
    frame = series(y=[1.0, np.nan, 3.0], ds=["2024-03-01", "2024-03-02", "2024-03-03"])
    with pytest.raises(fc.MissingValueError):
        fc.validate(frame)
    filled = fc.fill_gaps(frame, method="linear")
    assert filled["y"].tolist() == [1.0, 2.0, 3.0] and filled["filled"].tolist() == [
        False,
        True,
        False,
    ]


def test_values_that_are_not_numbers():
    with pytest.raises(fc.SchemaError, match=r"not numbers \(rows 1: 'lots'\)"):
        fc.validate(series(y=[1, "lots", 3]))


@pytest.mark.parametrize(
    "metric", ["dau", "mau", "wau", "visits", "users", "monthly_visits", "mau_app"]
)
def test_negative_counts_are_refused(metric: str):
    with pytest.raises(fc.DomainError, match=r"is a count.*negative.*rows 0"):
        fc.validate(series(y=[-1.0, 2.0, 3.0], metric=metric))


def test_count_read_from_unique_id_when_metric_column_absent():
    with pytest.raises(fc.DomainError, match="is a count"):
        fc.validate(series(y=[-1.0, 2.0, 3.0]))


@pytest.mark.parametrize("metric", ["visits_change", "monthly_visits_mom_change", "temperature"])
def test_negative_values_of_other_metrics_are_fine(metric: str):
    clean = fc.validate(series(unique_id="x", y=[-1.0, 2.0, 3.0], metric=metric))
    assert clean["y"].iloc[0] == -1.0


def test_unknown_qualifier():
    with pytest.raises(
        fc.DomainError, match=r"unknown value\(s\) '>'.*rows 1.*'>=' for a lower bound"
    ):
        fc.validate(series(qualifier=["=", ">", "<="]))


def test_empty_unique_id():
    with pytest.raises(fc.MissingValueError, match="unique_id"):
        fc.validate(series(unique_id=["a", None, "a"]))


def test_bad_kind():
    with pytest.raises(fc.ConfigError, match="kind"):
        fc.validate(series(), kind="cohorts")  # type: ignore[arg-type]


# -------------------------------------------------------------------------------- retention errors
def test_retention_clean_copy():
    clean = fc.validate(retention(age=[2, 0, 1], retention=[0.3, 1.0, 0.4]), kind="retention")
    assert clean["age"].tolist() == [0, 1, 2]
    assert clean["age"].dtype == "int64"


def test_retention_outside_unit_interval():
    with pytest.raises(fc.DomainError, match=r"outside \[0, 1\] \(rows 1\).*0.23, not 23%"):
        fc.validate(retention(retention=[1.0, 23.0, 0.3]), kind="retention")


@pytest.mark.parametrize("age", [-1, 0.5, 100_001, 1e300])
def test_negative_or_fractional_age(age: float):
    with pytest.raises(fc.DomainError, match=r"column 'age'.*rows 2"):
        fc.validate(retention(age=[0, 1, age]), kind="retention")


def test_retention_duplicates_and_missing_columns():
    with pytest.raises(fc.DuplicateError, match="one retention figure per cohort and age"):
        fc.validate(retention(age=[0, 1, 1]), kind="retention")
    with pytest.raises(fc.SchemaError, match="'age'"):
        fc.validate(retention().drop(columns="age"), kind="retention")


def test_cohort_size_must_be_positive():
    with pytest.raises(fc.DomainError, match="cohort_size"):
        fc.validate(retention(cohort_size=[100, 0, 100]), kind="retention")


# --------------------------------------------------------------------------- values and shapes
@pytest.mark.parametrize(
    ("y", "holds"),
    [
        (np.array([1 + 2j, 2, 3]), "complex numbers"),
        (np.array([1 + 0j, 2, 3]), "complex numbers"),
        (pd.date_range("2024-01-01", periods=3), "dates"),
        (pd.to_timedelta([1, 2, 3], unit="D"), "durations"),
        ([True, False, True], "booleans"),
    ],
)
def test_y_of_another_kind_than_real_numbers_is_refused(y: object, holds: str):
    with pytest.raises(fc.SchemaError, match=holds) as info:
        fc.validate(series(y=y))
    assert info.value.column == "y" and info.value.series == "kimi/dau/all"


@pytest.mark.parametrize("odd", [True, np.bool_(False), 1 + 2j])
def test_booleans_or_complex_numbers_among_objects_are_refused(odd: object):
    with pytest.raises(fc.SchemaError, match="booleans or complex numbers") as info:
        fc.validate(series(y=pd.Series([1.0, odd, 3.0], dtype=object)))
    assert info.value.rows == [1]


def test_one_time_zone_is_read_as_local_dates():
    dates = pd.date_range("2024-03-01", periods=3, freq="D", tz="Asia/Shanghai")
    clean = fc.validate(series(ds=dates))
    assert clean["ds"].tolist() == list(pd.date_range("2024-03-01", periods=3, freq="D"))


@pytest.mark.parametrize(
    ("ds", "rows"),
    [
        (["2024-03-01T00:00+01:00", "2024-03-02T00:00+02:00", "2024-03-03T00:00+01:00"], [1]),
        (["2024-03-01T00:00+01:00", "2024-03-02", "2024-03-03"], [1, 2]),
        (
            [
                pd.Timestamp("2024-03-01", tz="UTC"),
                pd.Timestamp("2024-03-02", tz="Asia/Shanghai"),
                pd.Timestamp("2024-03-03", tz="UTC"),
            ],
            [1],
        ),
        ([pd.Timestamp("2024-03-01", tz="UTC"), pd.Timestamp("2024-03-02"), "2024-03-03"], [1, 2]),
    ],
)
def test_mixed_time_zones_name_the_rows_and_say_what_to_do(ds: list[object], rows: list[int]):
    with pytest.raises(fc.SchemaError, match="mixes time zones.*tz_convert") as info:
        fc.validate(series(ds=pd.Series(ds, dtype=object)))
    assert info.value.column == "ds" and info.value.series == "kimi/dau/all"
    assert info.value.rows == rows


@pytest.mark.parametrize(
    "ds",
    [
        ["1500-01-01", "2024-03-02", "2024-03-03"],
        ["2024-03-01", "2024-03-02", "2300-01-01"],
        np.array(["1600-01-01", "1600-01-02", "1600-01-03"], dtype="datetime64[s]"),
    ],
)
def test_dates_outside_pandas_range_say_the_supported_range(ds: object):
    with pytest.raises(fc.SchemaError, match="1677-09-22 to 2262-04-11") as info:
        fc.validate(series(ds=ds))
    assert info.value.column == "ds" and info.value.rows


def test_duplicate_column_names_are_named():
    frame = pd.concat([series(), series()[["y"]]], axis=1)
    with pytest.raises(fc.SchemaError, match="more than one column named 'y'") as info:
        fc.validate(frame)
    assert info.value.column == "y"


def test_multiindex_columns_are_refused_with_the_way_to_flatten_them():
    frame = series()
    frame.columns = pd.MultiIndex.from_tuples([(c, "") for c in frame.columns])
    with pytest.raises(fc.SchemaError, match="MultiIndex columns.*Flatten"):
        fc.validate(frame)


def test_ids_that_are_not_names_are_refused():
    with pytest.raises(fc.SchemaError, match="not names") as info:
        fc.validate(series(unique_id=[["a"], "a", "a"]))
    assert info.value.column == "unique_id" and info.value.rows == [0]


def test_empty_retention_product_id_is_refused():
    with pytest.raises(fc.MissingValueError, match="unique_id") as info:
        fc.validate(retention(unique_id=["a", None, "a"]), kind="retention")
    assert info.value.rows == [1]


# ---------------------------------------------------------------------------- frequency and gaps
@pytest.mark.parametrize(
    ("dates", "name", "period"),
    [
        (pd.date_range("2024-01-01", periods=5, freq="D"), "daily", 7),
        (pd.date_range("2024-01-07", periods=5, freq="W-SUN"), "weekly", 52),
        (pd.date_range("2024-01-01", periods=5, freq="MS"), "monthly", 12),
        (pd.date_range("2024-01-31", periods=5, freq="ME"), "monthly", 12),
        (pd.date_range("2017-01-01", periods=5, freq="QS"), "quarterly", 4),
        (pd.date_range("1949-01-01", periods=5, freq="YS"), "yearly", 1),
        (pd.date_range("2024-01-01", periods=5, freq="h"), "hourly", 24),
        (pd.date_range("2024-01-01", periods=5, freq="5min"), "every 5min", 288),
    ],
)
def test_infer_frequency(dates: pd.DatetimeIndex, name: str, period: int):
    freq = schema.infer_frequency(dates)
    assert freq is not None and (freq.name, freq.seasonal_period) == (name, period)
    nxt = schema.future_dates(dates[-1], freq, 2)
    expected = pd.date_range(dates[-1], periods=3, freq=dates.freq)[1:]
    assert list(nxt) == list(expected)


def test_single_date_has_no_frequency():
    assert schema.infer_frequency(pd.to_datetime(["2024-01-01"])) is None


def test_gaps_are_reported_with_the_missing_dates():
    frame = fc.validate(
        pd.DataFrame(
            {"unique_id": "a", "ds": ["2024-01-01", "2024-01-02", "2024-01-05"], "y": [1, 2, 3]}
        )
    )
    report = schema.series_report(frame)
    row = report.iloc[0]
    assert (row["frequency"], row["n_missing"], row["missing"]) == (
        "daily",
        2,
        "2024-01-03 and 2024-01-04",
    )


def test_monthly_gap():
    dates = pd.to_datetime(["2023-12-01", "2024-01-01", "2024-03-01"])
    freq = schema.infer_frequency(dates)
    assert freq is not None and freq.name == "monthly"
    assert list(schema.missing_dates(dates, freq)) == [pd.Timestamp("2024-02-01")]


# ------------------------------------------------------------------------------------ level names
@pytest.mark.parametrize(
    ("level", "name"), [(80, "yhat_lo_80"), (97.5, "yhat_lo_97.5"), (80.0, "yhat_lo_80")]
)
def test_level_columns_round_trip(level: float, name: str):
    assert schema.level_column(level, "lo") == name
    assert schema.parse_level_column(name) == ("lo", float(level))
    assert schema.parse_level_column("yhat") is None


@pytest.mark.parametrize("bad", [0, 100, -5, 150, "high"])
def test_bad_levels(bad: object):
    with pytest.raises(fc.ConfigError, match="level"):
        schema.check_levels([bad])  # type: ignore[list-item]


def test_forecast_columns_order():
    assert schema.forecast_columns([95, 80], backtest=True) == [
        "unique_id",
        "model",
        "cutoff",
        "ds",
        "yhat",
        "yhat_lo_80",
        "yhat_hi_80",
        "yhat_lo_95",
        "yhat_hi_95",
        "y",
    ]


def test_format_rows():
    assert format_rows([14, 15, 88]) == "14, 15 and 88"
    assert format_rows([3, 9, 27, 1, 2]) == "3, 9, 27 and 2 more"
    assert format_rows([7]) == "7"


# ------------------------------------------------------------------------------ property tests
_cells = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-10, 10),
    st.text(max_size=5),
    st.sampled_from(["2024-01-01", "2024-01-02", "2024-02-30", "=", ">=", "<", "dau"]),
    st.booleans(),
)


@st.composite
def malformed_frames(draw: st.DrawFn) -> pd.DataFrame:
    columns = draw(
        st.lists(
            st.sampled_from(["unique_id", "ds", "y", "qualifier", "metric", "other"]),
            max_size=6,
            unique=True,
        )
    )
    n = draw(st.integers(0, 6))
    return pd.DataFrame({c: draw(st.lists(_cells, min_size=n, max_size=n)) for c in columns})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(malformed_frames())
def test_random_malformed_frames_raise_only_forecast_errors(frame: pd.DataFrame):
    try:
        clean = fc.validate(frame)
    except fc.ForecastError:
        return
    assert clean["y"].map(np.isfinite).all()
    assert not clean.duplicated(["unique_id", "ds"]).any()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 60), min_size=1, max_size=20),
    st.lists(st.floats(-1e6, 1e6), min_size=20, max_size=20),
)
def test_any_frame_with_a_duplicate_or_negative_count_raises(days: list[int], values: list[float]):
    ds = pd.Timestamp("2024-01-01") + pd.to_timedelta(days, unit="D")
    frame = pd.DataFrame({"unique_id": "p/dau/all", "ds": ds, "y": values[: len(days)]})
    has_duplicate = len(set(days)) < len(days)
    has_negative = any(v < 0 for v in values[: len(days)])
    if has_duplicate or has_negative:
        with pytest.raises((fc.DuplicateError, fc.DomainError)):
            fc.validate(frame)
    else:
        assert len(fc.validate(frame)) == len(days)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(-2, 2), min_size=1, max_size=8),
    st.lists(st.integers(-2, 12), min_size=8, max_size=8),
)
def test_retention_frames_raise_only_domain_errors(values: list[float], ages: list[int]):
    frame = pd.DataFrame({"cohort": "2024-01-01", "age": ages[: len(values)], "retention": values})
    try:
        clean = fc.validate(frame, kind="retention")
    except fc.DataError:
        return
    assert clean["retention"].between(0, 1).all() and (clean["age"] >= 0).all()
