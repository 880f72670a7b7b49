"""Forecasts of count series never go below zero, for every registered model (issue 18).

A series is a count when its metric (the middle part of ``unique_id``, ``app/dau/all``) is a
count word (:func:`forecast.schema.is_count_metric`). The fast models run under hypothesis on
non-negative monthly counts (mostly zeros, small counts, huge spikes); the slow ones on a
small fixed corpus of the same kinds. The models whose default fit of such a series takes a
second or more (the growth curves' profile likelihood, and the inner windows of ``ces``'s,
``gompertz``'s and ``logistic``'s calibrated default) draw fewer examples.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import forecast as fc
from forecast.errors import ForecastError, ForecastWarning
from forecast.schema import DS, UNIQUE_ID, Y, is_count_metric, level_column, metric_of

NAMES = list(fc.models.available()["name"])
SLOW = {"arima", "auto", "ensemble", "prophet", "retention_feedback"}
COSTLY = {"bass", "ces", "gompertz", "logistic"}
FAST = [name for name in NAMES if name not in SLOW | COSTLY]
H = 6
LEVELS = (80, 95)
COUNT_ID = "app/dau/all"


def _frame(values: list[float], uid: str = COUNT_ID) -> pd.DataFrame:
    ds = pd.date_range("2020-01-01", periods=len(values), freq="MS")
    return pd.DataFrame({UNIQUE_ID: uid, DS: ds, Y: np.asarray(values, dtype=float)})


def _corpus() -> list[pd.DataFrame]:
    """Mostly zeros, small Poisson counts, a level near 1,000 with a 1e9 spike (seeded)."""
    rng = np.random.default_rng(18)
    mostly_zero = rng.binomial(1, 0.15, 48) * rng.integers(1, 4, 48)
    small = rng.poisson(2.0, 48)
    spiky = 1000 + rng.normal(0, 20, 48).round()
    spiky[30] = 1e9
    declining = np.maximum(0, 400 - 12 * np.arange(48) + rng.normal(0, 5, 48)).round()
    return [_frame(list(v)) for v in (mostly_zero, small, spiky, declining)]


def _forecast_all(name: str, series: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray] | None:
    """Fit ``name`` and return its forecast and paths, or None when it refuses the series.

    The warning of a raised point forecast is checked below; numpy's overflow warnings (the
    growth models' covariance on all-zero series) are not what this module tests.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ForecastWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            model = fc.models.get(name).fit(series)
            return model.predict(H, levels=LEVELS), model.sample(H, n=200, seed=1)
    except ForecastError:
        return None


def _assert_non_negative(out: pd.DataFrame, paths: np.ndarray) -> None:
    values = out.drop(columns=DS).to_numpy(dtype=float)
    assert np.all(values >= 0), out
    assert np.all(paths >= 0)
    inner_lo = inner_hi = out["yhat"].to_numpy()
    for level in LEVELS:
        lo = out[level_column(level, "lo")].to_numpy()
        hi = out[level_column(level, "hi")].to_numpy()
        assert np.all(lo <= inner_lo) and np.all(hi >= inner_hi)
        inner_lo, inner_hi = lo, hi


COUNTS = st.lists(
    st.one_of(st.just(0), st.integers(0, 5), st.integers(0, 10**9)), min_size=12, max_size=40
)


def _assert_never_below_zero(name: str, values: list[int]) -> None:
    result = _forecast_all(name, _frame([float(v) for v in values]))
    assume(result is not None)
    assert result is not None
    _assert_non_negative(*result)


@pytest.mark.parametrize("name", FAST)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(values=COUNTS)
def test_fast_models_never_forecast_a_count_below_zero(name: str, values: list[int]) -> None:
    _assert_never_below_zero(name, values)


@pytest.mark.parametrize("name", sorted(COSTLY & set(NAMES)))
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(values=COUNTS)
def test_costly_models_never_forecast_a_count_below_zero(name: str, values: list[int]) -> None:
    _assert_never_below_zero(name, values)


@pytest.mark.parametrize("name", sorted(SLOW & set(NAMES)))
def test_slow_models_never_forecast_a_count_below_zero(name: str) -> None:
    results = [_forecast_all(name, series) for series in _corpus()]
    done = [r for r in results if r is not None]
    assert done, f"model {name!r} refused every series of the corpus"
    for out, paths in done:
        _assert_non_negative(out, paths)


def _declining(uid: str) -> pd.DataFrame:
    return _frame([50.0, 40, 30, 20, 10, 5], uid)


def test_raised_point_forecast_warns_naming_series_and_model() -> None:
    raw = fc.models.get("drift").fit(_declining("app/dau_change/all")).predict(H, levels=LEVELS)
    negative = int((raw["yhat"] < 0).sum())
    assert negative > 0
    with pytest.warns(ForecastWarning) as record:
        out = fc.models.get("drift").fit(_declining(COUNT_ID)).predict(H, levels=LEVELS)
    message = str(record[0].message)
    assert COUNT_ID in message and "'drift'" in message and "'dau'" in message
    assert f"on {negative} of {H} step(s)" in message
    np.testing.assert_allclose(out["yhat"], np.maximum(raw["yhat"], 0.0))
    for column in out.columns.drop(DS):
        np.testing.assert_allclose(out[column], np.maximum(raw[column], 0.0))


def test_a_series_that_is_not_a_count_is_not_floored() -> None:
    uid = "app/dau_change/all"
    assert not is_count_metric(str(metric_of(_declining(uid)).iloc[0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ForecastWarning)
        model = fc.models.get("drift").fit(_declining(uid))
        out = model.predict(H, levels=LEVELS)
        paths = model.sample(H, n=50)
    assert (out["yhat"] < 0).any() and (paths < 0).any()


def test_metric_column_decides_over_the_id() -> None:
    series = _declining("plain-id").assign(metric="users")
    with pytest.warns(ForecastWarning, match="'users'"):
        out = fc.models.get("drift").fit(series).predict(H, levels=())
    assert (out["yhat"] >= 0).all()


def test_lower_bands_truncated_without_warning_when_the_point_stays_positive() -> None:
    series = _frame([3.0, 0, 4, 1, 0, 5, 2, 0, 3, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ForecastWarning)
        out = fc.models.get("mean").fit(series).predict(H, levels=(95,))
    raw = fc.models.get("mean").fit(series.assign(unique_id="app/x/all")).predict(H, levels=(95,))
    assert (raw["yhat_lo_95"] < 0).all() and (raw["yhat"] > 0).all()
    np.testing.assert_allclose(out["yhat_lo_95"], 0.0)
    np.testing.assert_allclose(out["yhat_hi_95"], raw["yhat_hi_95"])
