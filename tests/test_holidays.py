"""forecast.holidays: holidays by country as Prophet frames and as indicator covariates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.errors import ConfigError
from forecast.holidays import check_country, clean_name, holiday_covariates, holiday_frame


def test_frame_has_prophets_columns_and_clean_names():
    frame = holiday_frame("cn", "2024-01-01", "2024-12-31", lower_window=-1, upper_window=2)
    assert list(frame.columns) == ["holiday", "ds", "lower_window", "upper_window"]
    assert frame["ds"].is_monotonic_increasing and frame["ds"].dtype == "datetime64[ns]"
    assert set(frame["lower_window"]) == {-1} and set(frame["upper_window"]) == {2}
    oct_1 = frame.loc[frame["ds"] == "2024-10-01", "holiday"].tolist()
    assert oct_1 == ["national_day"]
    assert "day_off" in set(frame["holiday"])  # every "Day off (substituted from ...)" is one
    assert frame["holiday"].str.fullmatch(r"[0-9a-z_]+").all()


def test_names_drop_dates_and_keep_observed():
    assert clean_name("Day off (substituted from 02/04/2024)") == "day_off"
    assert clean_name("New Year's Day (observed)") == "new_years_day_observed"


@pytest.mark.parametrize("bad", ["XX", "", 12, None])
def test_unknown_countries_are_refused(bad):
    with pytest.raises(ConfigError, match="holidays="):
        check_country(bad)


@pytest.mark.parametrize(("lower", "upper"), [(1, 0), (0, -1), (0.5, 0), (True, 0)])
def test_bad_windows_are_refused(lower, upper):
    with pytest.raises(ConfigError, match="window"):
        holiday_frame("US", "2024-01-01", "2024-12-31", lower, upper)


def test_daily_indicators_mark_the_days_and_windows():
    dates = pd.date_range("2024-09-28", "2024-10-10")
    plain = holiday_covariates("CN", dates)
    assert plain.loc[plain["ds"] == "2024-10-01", "holiday_national_day"].item() == 1.0
    assert plain.loc[plain["ds"] == "2024-09-30", "holiday_national_day"].item() == 0.0
    wide = holiday_covariates("CN", dates, lower_window=-1)
    assert wide.loc[wide["ds"] == "2024-09-30", "holiday_national_day"].item() == 1.0
    assert set(np.unique(plain.drop(columns="ds").to_numpy())) <= {0.0, 1.0}


def test_names_fix_the_columns_for_the_forecast():
    history = holiday_covariates("US", pd.date_range("2024-06-01", "2024-07-31"))
    future = holiday_covariates(
        "US", pd.date_range("2024-08-01", "2024-08-10"), names=list(history.columns[1:])
    )
    assert list(future.columns) == list(history.columns)
    assert (future.drop(columns="ds").to_numpy() == 0).all()


def test_weekly_steps_count_the_share_of_holiday_days():
    weeks = pd.date_range("2024-09-23", periods=4, freq="W-MON")
    out = holiday_covariates("CN", weeks)
    national = dict(zip(out["ds"], out["holiday_national_day"], strict=True))
    assert national[pd.Timestamp("2024-09-30")] == pytest.approx(3 / 7)  # Oct 1-3 in that week
    assert national[pd.Timestamp("2024-09-23")] == 0.0


@settings(max_examples=25, deadline=None)
@given(st.integers(-3, 0), st.integers(0, 3), st.integers(2020, 2026))
def test_wider_windows_never_unmark_a_day(lower, upper, year):
    dates = pd.date_range(f"{year}-01-01", f"{year}-12-31")
    narrow = holiday_covariates("GB", dates)
    wide = holiday_covariates("GB", dates, lower, upper, names=list(narrow.columns[1:]))
    assert (wide.drop(columns="ds").to_numpy() >= narrow.drop(columns="ds").to_numpy()).all()
    # each holiday day (those within 3 days of the year too) marks at most 1 + upper - lower days
    around = pd.date_range(dates[0] - pd.Timedelta(days=3), dates[-1] + pd.Timedelta(days=3))
    days = holiday_covariates("GB", around, names=list(narrow.columns[1:]))
    marked = wide.drop(columns="ds").to_numpy().sum()
    assert marked <= days.drop(columns="ds").to_numpy().sum() * (1 + upper - lower)
