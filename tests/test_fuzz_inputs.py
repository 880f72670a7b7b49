"""Fuzzed inputs: ``fc.validate`` and ``fc.forecast`` raise only the package's errors.

Frames are generated from parts that each break the data contract in one way (time zones mixed,
zoned with unzoned, one zone; dates before 1677 or after 2262; complex, boolean, date and
duration values; duplicate and MultiIndex columns; object columns; NaN and inf; empty frames;
ids that are lists) or keep it, and horizons from 1 to far beyond the limit. Whatever comes in,
the call returns or raises a :class:`forecast.ForecastError`, and the only warning is a
:class:`forecast.ForecastWarning`.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import forecast as fc

N = 6
"""Rows of a generated frame (small: the point is the values, not the size)."""


def _dates(kind: str, start: int) -> list[object]:
    days = pd.date_range("2024-01-01", periods=N, freq="D") + pd.Timedelta(start, "D")
    text = [d.strftime("%Y-%m-%d") for d in days]
    options: dict[str, Callable[[], list[object]]] = {
        "text": lambda: text,
        "timestamps": lambda: list(days),
        "dates": lambda: [d.date() for d in days],
        "one zone": lambda: list(days.tz_localize("Asia/Shanghai")),
        "offsets": lambda: [f"{t}T00:00+0{i % 3}:00" for i, t in enumerate(text)],
        "zones": lambda: [
            d.tz_localize(["UTC", "Europe/Paris"][i % 2]) for i, d in enumerate(days)
        ],
        "zone and none": lambda: [days[0].tz_localize("UTC"), *days[1:]],
        "aware datetime and text": lambda: [
            dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
            *text[1:],
        ],
        "before 1677": lambda: [f"15{t[2:]}" for t in text],
        "after 2262": lambda: [f"23{t[2:]}" for t in text],
        "old datetime64": lambda: list(np.array([f"15{t[2:]}" for t in text], "datetime64[s]")),
        "near the end": lambda: [
            d.strftime("%Y-%m-%d") for d in pd.date_range("2262-03-01", periods=N, freq="D")
        ],
        "numbers": lambda: list(range(20240101, 20240101 + N)),
        "gaps": lambda: [*text[:-1], None],
        "garbage": lambda: ["soon", *text[1:]],
        "durations": lambda: list(pd.to_timedelta(range(N), unit="D")),
        "lists": lambda: [[t] for t in text],
    }
    return options[kind]()


_DATE_KINDS = [
    "text",
    "timestamps",
    "dates",
    "one zone",
    "offsets",
    "zones",
    "zone and none",
    "aware datetime and text",
    "before 1677",
    "after 2262",
    "old datetime64",
    "near the end",
    "numbers",
    "gaps",
    "garbage",
    "durations",
    "lists",
]

_GOOD_DATES = ["text", "timestamps", "dates", "one zone", "near the end"]


def _half_valid(good: list[str], every: list[str]) -> st.SearchStrategy[str]:
    """A kind drawn from the valid ones about half the time, so that some frames get fitted."""
    return st.one_of(st.sampled_from(good), st.sampled_from(every))


_ODD_VALUES = [
    np.nan,
    np.inf,
    -np.inf,
    1 + 2j,
    True,
    "7",
    "seven",
    [1],
    {"y": 1},
    None,
    pd.NaT,
    pd.Timestamp("2024-01-01"),
    dt.timedelta(days=1),
    b"1",
    10**30,
    -1.0,
]


@st.composite
def _values(draw: st.DrawFn) -> object:
    """A y column: floats, or a whole typed column of another kind, or floats with odd values."""
    floats = draw(st.lists(st.floats(-1e6, 1e6), min_size=N, max_size=N))
    kind = draw(
        _half_valid(["floats"], ["floats", "complex", "dates", "durations", "bools", "mixed"])
    )
    if kind == "complex":
        return np.array(floats) + 1j * draw(st.sampled_from([0.0, 1.0]))
    if kind == "dates":
        return pd.date_range("2024-01-01", periods=N)
    if kind == "durations":
        return pd.to_timedelta(range(N), unit="D")
    if kind == "bools":
        return [bool(i % 2) for i in range(N)]
    if kind == "mixed":
        odd = draw(st.lists(st.sampled_from(_ODD_VALUES), min_size=1, max_size=3))
        return pd.Series([*odd, *floats[len(odd) :]], dtype=object)
    return floats


@st.composite
def _ids(draw: st.DrawFn) -> object:
    kind = draw(
        _half_valid(
            ["text", "numbers", "two series"], ["text", "numbers", "two series", "missing", "lists"]
        )
    )
    return {
        "text": ["kimi/dau/all"] * N,
        "numbers": [7] * N,
        "two series": ["a"] * (N // 2) + ["b"] * (N - N // 2),
        "missing": ["a"] * (N - 1) + [None],
        "lists": [["a"]] * N,
    }[kind]


@st.composite
def frames(draw: st.DrawFn) -> object:
    """A frame (or not a frame) that keeps or breaks the series contract in one or more ways."""
    start = draw(st.integers(0, 30))
    frame = pd.DataFrame(
        {
            "unique_id": draw(_ids()),
            "ds": pd.Series(
                _dates(draw(_half_valid(_GOOD_DATES, _DATE_KINDS)), start), dtype=object
            ),
            "y": draw(_values()),
        }
    )
    if draw(st.booleans()):
        frame["qualifier"] = draw(st.sampled_from(["=", "=", ">=", "?", None]))
    shape = draw(
        _half_valid(
            ["plain", "extra object"],
            ["plain", "extra object", "duplicate y", "multiindex", "no y", "empty", "not a frame"],
        )
    )
    if shape == "extra object":
        frame["note"] = [object()] * N
    elif shape == "duplicate y":
        frame = pd.concat([frame, frame[["y"]]], axis=1)
    elif shape == "multiindex":
        frame.columns = pd.MultiIndex.from_tuples([(c, "") for c in frame.columns])
    elif shape == "no y":
        frame = frame.drop(columns="y")
    elif shape == "empty":
        frame = frame.iloc[:0]
    elif shape == "not a frame":
        return frame.to_dict("list")
    return frame


_HORIZONS = st.one_of(
    st.integers(1, 30),
    st.sampled_from([0, -1, 10**5, 10**5 + 1, 10**6, 10**18, 2.5, True, None, "7"]),
)


def _only_package_errors(call: Callable[[], object]) -> None:
    """Run ``call``; fail on any exception but a ForecastError and any warning but ours."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            call()
        except fc.ForecastError:
            pass
    foreign = [w for w in caught if not issubclass(w.category, fc.ForecastWarning)]
    assert not foreign, [f"{w.category.__name__}: {w.message}" for w in foreign]


_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@_SETTINGS
@given(frame=frames())
def test_validate_raises_only_package_errors(frame: object):
    _only_package_errors(lambda: fc.validate(frame))  # type: ignore[arg-type]


@_SETTINGS
@given(frame=frames(), h=_HORIZONS, model=st.sampled_from(["naive", "drift"]))
def test_forecast_raises_only_package_errors(frame: object, h: object, model: str):
    _only_package_errors(lambda: fc.forecast(frame, [model], h=h, levels=(80,)))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kind", ["offsets", "zones", "zone and none", "aware datetime and text", "before 1677"]
)
def test_each_bad_date_kind_names_the_column_and_rows(kind: str):
    frame = pd.DataFrame(
        {"unique_id": "a", "ds": pd.Series(_dates(kind, 0), dtype=object), "y": 1.0}
    )
    with pytest.raises(fc.SchemaError) as info:
        fc.validate(frame)
    assert info.value.column == "ds" and info.value.series == "a" and info.value.rows
