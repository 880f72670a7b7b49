"""Dates are read back as written, or refused as ambiguous; never silently shifted."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import forecast as fc
from forecast.schema.dates import parse_date_text

FORMATS = [
    "%Y-%m-%d",
    "%d.%m.%Y",
    "%d/%m/%Y",
    "%d-%m-%Y",
    "%m/%d/%Y",
    "%m-%d-%Y",
    "%Y/%m/%d",
    "%d %b %Y",
    "%b %d, %Y",
]
DAY_MONTH = {"%d.%m.%Y", "%d/%m/%Y", "%d-%m-%Y", "%m/%d/%Y", "%m-%d-%Y"}


def _could_be_read_either_way(dates: pd.DatetimeIndex) -> bool:
    """Every day fits a month (<= 12) and some day differs from its month: truly ambiguous."""
    return bool((dates.day <= 12).all() and (dates.day != dates.month).any())


@settings(max_examples=150, deadline=None)
@given(
    start=st.dates(
        min_value=pd.Timestamp("1990-01-01").date(), max_value=pd.Timestamp("2060-01-01").date()
    ),
    n=st.integers(1, 40),
    freq=st.sampled_from(["D", "7D", "MS", "14D"]),
    fmt=st.sampled_from(FORMATS),
    quoted=st.booleans(),
)
def test_dates_read_back_equal_or_raise_the_ambiguity_error(start, n, freq, fmt, quoted):
    dates = pd.date_range(pd.Timestamp(start), periods=n, freq=freq)
    text = [d.strftime(fmt) for d in dates]
    cells = [f'"{t}"' if quoted or "," in t else t for t in text]
    body = "".join(f"app,{cell},{i}\n" for i, cell in enumerate(cells))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "dates.csv"
        path.write_text("unique_id,ds,y\n" + body)
        try:
            read = fc.read(path)
        except fc.SchemaError as err:
            assert "day-first and month-first" in str(err)
            assert fmt in DAY_MONTH and _could_be_read_either_way(dates)
            day_first = fmt.startswith("%d")
            settled = fc.read(path, dayfirst=day_first)
            assert settled["ds"].tolist() == list(dates)
            return
    assert read["ds"].tolist() == list(dates)


@given(
    day=st.integers(1, 12),
    month=st.integers(1, 12),
    year=st.integers(1990, 2060),
)
def test_a_lone_ambiguous_date_is_refused_unless_day_equals_month(day, month, year):
    text = pd.Series([f"{day:02d}.{month:02d}.{year}"])
    if day == month:
        assert parse_date_text(text, "ds").iloc[0] == pd.Timestamp(year, month, day)
        return
    with pytest.raises(fc.SchemaError, match="dayfirst"):
        parse_date_text(text, "ds")
    assert parse_date_text(text, "ds", dayfirst=True).iloc[0] == pd.Timestamp(year, month, day)
    assert parse_date_text(text, "ds", dayfirst=False).iloc[0] == pd.Timestamp(year, day, month)


def test_the_error_shows_two_rows_and_both_readings():
    text = pd.Series(["01.02.2024", "03.04.2024", "05.06.2024"], index=[2, 3, 4])
    with pytest.raises(fc.SchemaError) as info:
        parse_date_text(text, "ds")
    message = str(info.value)
    assert "row 2: '01.02.2024' is 2024-02-01 day-first or 2024-01-02 month-first" in message
    assert "row 3: '03.04.2024'" in message and "row 4" not in message
    assert info.value.column == "ds" and info.value.rows == [2, 3, 4]


def test_fc_validate_no_longer_reads_day_first_dates_as_months():
    # "format='mixed'" once read 05.03.2024 as May 3 and 13.03.2024 as March 13 in one column
    df = pd.DataFrame({"unique_id": "a", "ds": ["12.03.2024", "13.03.2024"], "y": [1.0, 2.0]})
    assert fc.validate(df)["ds"].tolist() == [
        pd.Timestamp("2024-03-12"),
        pd.Timestamp("2024-03-13"),
    ]


def test_a_date_format_is_followed_strictly(tmp_path: Path):
    path = tmp_path / "d.csv"
    path.write_text("unique_id,ds,y\na,2024-03-01,1\na,02.03.2024,2\n")
    with pytest.raises(fc.SchemaError, match=r"line 3: '02\.03\.2024'"):
        fc.read(path, date_format="%Y-%m-%d")
    with pytest.raises(fc.SchemaError, match="line 2"):
        fc.read(path, date_format="%d.%m.%Y")


@settings(max_examples=60, deadline=None)
@given(
    year=st.integers(1990, 2060),
    n=st.integers(1, 12),
    style=st.sampled_from(["{y}Q{q}", "{y}-Q{q}", "{y} Q{q}", "Q{q} {y}", "Q{q}-{y}", "q{q}/{y}"]),
)
def test_quarter_labels_read_as_the_first_day_of_their_quarter(year, n, style):
    starts = pd.date_range(f"{year}-01-01", periods=n, freq="QS")
    text = pd.Series([style.format(y=d.year, q=d.quarter) for d in starts])
    read = parse_date_text(text, "quarter")
    assert list(read) == list(starts)


@settings(max_examples=60, deadline=None)
@given(
    start=st.dates(
        min_value=pd.Timestamp("1990-01-01").date(), max_value=pd.Timestamp("2200-01-01").date()
    ),
    n=st.integers(1, 60),
)
def test_iso_weeks_read_as_their_monday(start, n):
    mondays = pd.date_range(pd.Timestamp(start), periods=n, freq="W-MON")
    text = pd.Series([f"{d.isocalendar()[0]}-W{d.isocalendar()[1]:02d}" for d in mondays])
    assert list(parse_date_text(text, "week")) == list(mondays)


def test_a_quarter_that_does_not_exist_is_refused_with_its_line(tmp_path: Path):
    path = tmp_path / "q.csv"
    path.write_text("quarter,users\n2022Q1,100\n2022Q2,110\n2022Q5,125\n2023-W53,133\n")
    with pytest.raises(fc.SchemaError, match=r"column 'quarter' \(read as 'ds'\).*lines 4 and 5"):
        fc.read(path, ds="quarter", y="users", unique_id="app")
    weeks = tmp_path / "w.csv"
    weeks.write_text("week,users\n2021-W52,1\n2022-W53,2\n")  # 2022 has 52 ISO weeks
    with pytest.raises(fc.SchemaError, match=r"line 3: '2022-W53'"):
        fc.read(weeks, ds="week", y="users", unique_id="app")


@pytest.mark.parametrize("label", ["2300Q1", "Q3 1600", "2300-W01"])
def test_a_period_outside_pandas_range_is_refused_as_such(label: str, tmp_path: Path):
    path = tmp_path / "far.csv"
    path.write_text(f"period,users\n2024Q1,1\n{label},2\n".replace("2024Q1", _like(label)))
    with pytest.raises(fc.SchemaError, match=rf"outside the range pandas supports.*'{label}'"):
        fc.read(path, ds="period", y="users", unique_id="app")


def _like(label: str) -> str:
    """A period of the same kind as ``label`` within pandas' range."""
    return "2024-W01" if "W" in label else "2024Q1"
