"""``read_covariates``: a covariates file read as ``fc.read`` reads one, its lines kept."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecast.errors import ConfigError, CovariateError
from forecast.io.reader import ReadOptions, read_covariates
from forecast.schema import validate_series


def _series() -> pd.DataFrame:
    ds = pd.date_range("2024-03-01", periods=5)
    return validate_series(pd.DataFrame({"unique_id": "a", "ds": ds, "y": 1.0}))


def test_a_semicolon_file_with_comma_decimals_and_named_columns(tmp_path: Path) -> None:
    path = tmp_path / "cov.csv"
    path.write_text("day;series;spend\n" + "".join(
        f"0{d}.03.2024;a;{d},5\n" for d in range(1, 8)
    ))  # fmt: skip
    options = ReadOptions(ds="day", id="series", dayfirst=True)
    cov = read_covariates(path, _series(), options=options)
    assert cov.names == ("spend",) and cov.unit == "line" and str(path) in str(cov.source)
    values = cov.future("a", pd.date_range("2024-03-06", periods=2))
    np.testing.assert_allclose(values["spend"], [6.5, 7.5])
    assert list(cov.frame.index) == list(range(2, 9))  # file lines
    with pytest.raises(CovariateError, match=r"^file .*no row for 1 date.*2024-03-08.*to the file"):
        cov.future("a", pd.date_range("2024-03-07", periods=2))


@pytest.mark.parametrize(
    "options",
    [ReadOptions(y="dau"), ReadOptions(layout="wide"), ReadOptions(unique_id="a"),
     ReadOptions(kind="retention"), ReadOptions(age_unit="day")],
)  # fmt: skip
def test_options_about_values_or_layout_are_refused(tmp_path: Path, options) -> None:
    path = tmp_path / "cov.csv"
    path.write_text("ds,spend\n2024-03-01,1\n")
    with pytest.raises(ConfigError, match="do not apply to a covariates file"):
        read_covariates(path, options=options)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: round(v, 3)), min_size=1,
             max_size=20),
    st.sampled_from([(",", "."), (";", ","), ("\t", ".")]),
)  # fmt: skip
def test_a_written_frame_reads_back_with_its_lines(tmp_path: Path, values, marks) -> None:
    sep, decimal = marks
    ds = pd.date_range("2024-03-01", periods=len(values))
    path = tmp_path / "cov.csv"
    frame = pd.DataFrame({"ds": ds.strftime("%Y-%m-%d"), "spend": values})
    frame.to_csv(path, sep=sep, decimal=decimal, index=False)
    cov = read_covariates(path, options=ReadOptions(decimal=decimal))
    np.testing.assert_allclose(cov.frame["spend"], values)
    assert list(cov.frame.index) == list(range(2, len(values) + 2))
