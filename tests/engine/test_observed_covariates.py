"""Observed-only covariates read from a file: lagged, and their errors name the file's lines."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import forecast as fc
from forecast.engine.covariates import lag_name, lag_observed
from forecast.errors import CovariateError
from forecast.io.reader import read_covariates
from forecast.schema import validate_series
from tests.models.covariate_model import registered

H = 3
N = 20


@pytest.fixture(scope="module")
def regression():
    with registered() as cls:
        yield cls


def _series() -> pd.DataFrame:
    ds = pd.date_range("2024-03-01", periods=N)
    y = np.arange(N, dtype=float)
    return validate_series(pd.DataFrame({"unique_id": "a", "ds": ds, "y": y}))


def _write(folder: Path, blank: tuple[str, int] | None = None) -> tuple[Path, list[str]]:
    """Write ``cov.csv`` from ``H`` days before the series to ``H`` days after it.

    ``blank`` = (column, index of a data line) leaves that value empty. Returns the path and
    the file's lines (line ``k`` of the file is ``lines[k - 1]``).
    """
    ds = pd.date_range(pd.Timestamp("2024-03-01") - pd.Timedelta(days=H), periods=N + 2 * H)
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"ds": ds.strftime("%Y-%m-%d"), "x": rng.uniform(size=len(ds))})
    frame["spend"] = rng.uniform(size=len(ds))
    if blank is not None:
        frame[blank[0]] = frame[blank[0]].astype(object)
        frame.loc[blank[1], blank[0]] = ""
    path = folder / "cov.csv"
    frame.to_csv(path, index=False)
    return path, path.read_text().splitlines()


def _line_of(lines: list[str], date: pd.Timestamp) -> int:
    """The file line (1 is the header) whose date is ``date``."""
    return 1 + next(i for i, text in enumerate(lines) if text.startswith(date.strftime("%Y-%m-%d")))


def test_lagged_rows_keep_the_file_and_its_lines(tmp_path):
    path, lines = _write(tmp_path)
    cov = read_covariates(path, _series())
    lagged = lag_observed(cov, _series(), ["spend"], H)
    assert lagged.source == cov.source and lagged.unit == "line"
    assert lagged.names == ("x", lag_name("spend", H))
    frame = lagged.frame.dropna(subset=["x"])
    assert [_line_of(lines, d) for d in frame["ds"]] == list(frame.index)  # a date's own line
    alone = lag_observed(cov.select(["spend"]), _series(), ["spend"], H).frame
    source = [_line_of(lines, d - pd.Timedelta(days=H)) for d in alone["ds"]]
    assert source == list(alone.index)  # the line the lagged value comes from
    by_line = cov.frame["spend"]
    np.testing.assert_array_equal(alone[lag_name("spend", H)], by_line.loc[alone.index])


@settings(max_examples=25, deadline=None)
@given(column=st.sampled_from(["x", "spend"]), position=st.integers(0, N + 2 * H - 1))
def test_a_missing_value_is_named_by_the_file_line_that_lacks_it(regression, column, position):
    with tempfile.TemporaryDirectory() as folder:
        path, lines = _write(Path(folder), (column, position))
        cov = read_covariates(path, _series())
        first = pd.Timestamp("2024-03-01")
        last = first + pd.Timedelta(days=N - 1)
        date = first - pd.Timedelta(days=H) + pd.Timedelta(days=position)
        if column == "x":  # read at the series' dates and the H forecast dates
            needed = first <= date <= last + pd.Timedelta(days=H)
        else:  # read H steps later: the values from H days before the start to the last day
            needed = first - pd.Timedelta(days=H) <= date <= last
        if not needed:
            out = fc.forecast(_series(), "_test_regression", H, covariates=cov, observed=["spend"])
            assert len(out) == H
            return
        with pytest.raises(CovariateError) as err:
            fc.forecast(_series(), "_test_regression", H, covariates=cov, observed=["spend"])
    message = str(err.value)
    assert message.startswith(f"file {str(path)!r} (line 1 is the header): ")
    assert f"; line {_line_of(lines, date)})" in message, message
    assert err.value.series == "a" and list(err.value.rows) == [_line_of(lines, date)]
    assert (lag_name("spend", H) if column == "spend" else "'x'") in message
