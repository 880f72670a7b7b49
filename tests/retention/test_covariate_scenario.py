"""fc.scenario(model, covariates=...): paired baseline and scenario of a model with covariates."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import forecast as fc
from forecast.errors import CapabilityError, ConfigError, CovariateError
from forecast.retention._scenario_table import read_change
from forecast.retention.covariate_scenario import changed_covariates
from forecast.retention.scenarios import parse_change
from tests.models.covariate_model import registered


@pytest.fixture
def fitted():
    rng = np.random.default_rng(1)
    ds = pd.date_range("2024-01-01", periods=50)
    x = rng.uniform(1, 5, 50)
    series = pd.DataFrame({"ds": ds[:40], "y": 10 + 4 * x[:40] + rng.normal(0, 0.5, 40)})
    cov = pd.DataFrame({"ds": ds, "x": x})
    with registered() as cls:
        yield cls().fit(series, covariates=cov), cov


def _part(table: pd.DataFrame, name: str) -> pd.DataFrame:
    return table[table["model"] == name].reset_index(drop=True)


@pytest.mark.parametrize(
    ("change", "delta"),
    [("x1.2", lambda x: 0.2 * x), ("+1", lambda x: np.ones_like(x)), (3.0, lambda x: 3.0 - x)],
    ids=["times", "plus", "set"],
)
def test_difference_is_the_change_times_the_effect(fitted, change, delta):
    model, cov = fitted
    table = fc.scenario(model, h=10, covariates={"x": change}, baseline=cov)
    assert set(table["model"]) == {"baseline", "scenario", "difference"}
    future_x = cov["x"].to_numpy()[40:]
    difference = _part(table, "difference")
    assert np.allclose(difference["yhat"], model.coef_[1] * delta(future_x))
    # the same random numbers in both runs: the difference has no spread of its own
    assert np.allclose(difference["yhat_hi_95"], difference["yhat_lo_95"])
    baseline = _part(table, "baseline")
    assert np.allclose(baseline["yhat"], model.predict(10, covariates=cov)["yhat"], atol=0.1)


def test_a_frame_gives_the_scenario_values_and_start_delays_them(fitted):
    model, cov = fitted
    frame = cov.assign(x=cov["x"] + 2)
    table = fc.scenario(model, h=10, covariates=frame, baseline=cov, start="2024-02-15")
    difference = _part(table, "difference")["yhat"].to_numpy()
    assert np.allclose(difference[:5], 0) and np.allclose(difference[5:], 2 * model.coef_[1])
    with pytest.raises(CovariateError):
        fc.scenario(model, h=10, covariates=frame.iloc[:-1], baseline=cov)


def test_bad_scenarios_are_refused(fitted):
    model, cov = fitted
    with pytest.raises(ConfigError, match="in the history"):
        fc.scenario(model, h=5, covariates={"x": "x2"}, baseline=cov, start="2024-01-05")
    with pytest.raises(ConfigError, match="'z'"):
        fc.scenario(model, h=5, covariates={"z": "x2"}, baseline=cov)
    with pytest.raises(ConfigError, match="not a change"):
        fc.scenario(model, h=5, covariates={"x": "double"}, baseline=cov)
    with pytest.raises(ConfigError, match="scenario of their own"):
        fc.scenario(model, h=5, covariates={"x": "x2"}, baseline=cov, acquisition=1.2)
    with pytest.raises(CovariateError, match="pass covariates="):
        fc.scenario(model, h=5, covariates={"x": "x2"})


def test_a_model_without_covariates_is_refused(fitted):
    _, cov = fitted
    naive = fc.models.get("naive").fit(cov.assign(y=cov["x"])[["ds", "y"]])
    with pytest.raises(CapabilityError, match="without covariates"):
        fc.scenario(naive, h=3, covariates={"x": "x2"}, baseline=cov)


@settings(max_examples=60, deadline=None)
@given(amount=st.floats(-1e6, 1e6, allow_nan=False), bare=st.sampled_from(["add", "set"]))
def test_a_change_reads_the_same_in_both_kinds_of_scenario(amount: float, bare: str) -> None:
    read = functools.partial(read_change, what="x", bare=bare, example="+1")
    assert read(f"x{abs(amount)!r}") == ("times", abs(amount))
    assert read(f"*{abs(amount)!r}") == ("times", abs(amount))
    assert read(f"{amount:+.17g}") == ("add", float(f"{amount:.17g}"))
    assert read(amount) == (bare, amount)
    values = np.array([1.0, -2.0, 3.5])
    assert np.allclose(
        changed_covariates(
            pd.DataFrame({"ds": pd.date_range("2024-01-01", periods=3), "v": values}),
            {"v": f"{amount:+.17g}"},
            ["v"],
            pd.Timestamp("2024-01-01"),
        )["v"],
        values + amount,
    )
    kind, value = parse_change(f"{amount:+.17g}", "retention")
    assert (kind, value) == ("add", float(f"{amount:.17g}"))
