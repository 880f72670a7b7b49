"""Retention ages carry their unit; day-like ages next to coarser cohorts must say it."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import forecast as fc
from forecast.models._feedback_fit import retention_data
from forecast.schema import infer_frequency
from forecast.schema.ages import DAY_MARKS, UNIT_DAYS


def _cohorts(ages: list[int], freq: str = "MS", n: int = 3, **extra: object) -> pd.DataFrame:
    cohorts = pd.date_range("2024-01-01", periods=n, freq=freq)
    rows = [(c, a, 0.5 / (1 + a)) for c in cohorts for a in ages]
    return pd.DataFrame(rows, columns=["cohort", "age", "retention"]).assign(**extra)


def test_day_ages_next_to_monthly_cohorts_are_refused_with_the_fix():
    with pytest.raises(fc.DomainError) as info:
        fc.validate(_cohorts([1, 7, 30]), kind="retention")
    message = str(info.value)
    assert "look like days" in message and "monthly" in message
    assert "age_unit='day'" in message and "--age-unit day" in message
    assert info.value.column == "age"


@pytest.mark.parametrize("unit", ["day", "week", "month"])
def test_a_stated_unit_is_accepted(unit: str):
    clean = fc.validate(_cohorts([1, 7, 30], age_unit=unit), kind="retention")
    assert clean["age_unit"].unique().tolist() == [unit]


@given(ages=st.lists(st.integers(0, 36), min_size=1, max_size=12, unique=True))
def test_ages_that_do_not_look_like_days_pass_without_a_unit(ages):
    positive = {a for a in ages if a > 0}
    consecutive = not positive or positive == set(range(min(positive), max(positive) + 1))
    looks_like_days = positive <= DAY_MARKS and {7, 30} & positive and not consecutive
    frame = _cohorts(sorted(ages))
    if looks_like_days:
        with pytest.raises(fc.DomainError, match="look like days"):
            fc.validate(frame, kind="retention")
    else:
        assert len(fc.validate(frame, kind="retention")) == len(frame)


def test_day_ages_of_daily_cohorts_need_no_unit():
    assert len(fc.validate(_cohorts([1, 7, 30], freq="D"), kind="retention")) == 9


def test_an_unknown_unit_is_refused():
    with pytest.raises(fc.DomainError, match="'days'"):
        fc.validate(_cohorts([1, 2], age_unit="days"), kind="retention")


def test_the_same_age_in_two_units_is_not_a_duplicate():
    days = _cohorts([1], age_unit="day")
    months = _cohorts([1], age_unit="month")
    assert len(fc.validate(pd.concat([days, months]), kind="retention")) == 6


@pytest.mark.parametrize(
    ("unit", "freq"), [("day", "D"), ("week", "D"), ("day", "W-MON"), ("month", "W-MON")]
)
def test_the_feedback_model_converts_a_stated_unit_to_its_periods(unit: str, freq: str):
    series_dates = pd.date_range("2024-01-01", periods=10, freq=freq)
    frequency = infer_frequency(series_dates)
    assert frequency is not None
    frame = fc.validate(_cohorts([1, 7, 30], age_unit=unit, n=2), kind="retention")
    placed = retention_data(frame, "a", series_dates, frequency, None)
    assert placed is not None
    days_per_period = {"daily": 1.0, "weekly": 7.0}[frequency.name]
    assert placed.step == pytest.approx(UNIT_DAYS[unit] / days_per_period)
    assert placed.ages.tolist() == pytest.approx((frame["age"] * placed.step).tolist())


def test_a_read_wide_day_table_reaches_the_model_in_days(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("cohort,D1,D7,D30\n2024-01-01,0.4,0.2,0.1\n2024-02-01,0.42,0.21,0.1\n")
    frame = fc.read(path, kind="retention", layout="wide")
    daily = pd.date_range("2024-01-01", periods=60, freq="D")
    placed = retention_data(frame, "a", daily, infer_frequency(daily), None)  # type: ignore[arg-type]
    assert placed is not None and placed.step == 1.0
