"""Shares built from calibrated paths (``fc.shares(..., calibrate=True)``, issue 13).

Every calibrated path's shares sum to one on every date, the bands nest around the share, the
paths are the calibrated models' (they differ from the own ones), each backtest window
calibrates on its own training data, and the competition model refuses ``calibrate``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import forecast as fc
from forecast.errors import ConfigError, ForecastWarning
from forecast.market.backtest import backtest_shares
from forecast.market.shares import share_paths

from .test_shares import check_share_frame, market


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 10**6),
    n_products=st.integers(2, 4),
    periods=st.integers(10, 50),
    h=st.integers(1, 8),
    model=st.sampled_from(["naive", "drift"]),
    method=st.sampled_from(["paths", "alr", "ilr"]),
)
def test_calibrated_paths_sum_to_one_on_every_date(seed, n_products, periods, h, model, method):
    df = market(n_products=n_products, periods=periods, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ForecastWarning)  # short series: inflated, and said
        result = share_paths(df, model, h, n_samples=200, seed=seed, method=method, calibrate=True)
        out = fc.shares(df, model, h=h, n_samples=200, seed=seed, method=method, calibrate=True)
    assert result.paths.shape == (200, h, n_products)
    assert np.all(result.paths >= 0)
    np.testing.assert_allclose(result.paths.sum(axis=-1), 1.0, atol=1e-12)
    check_share_frame(out)
    future = out[out["part"] == "forecast"]
    np.testing.assert_allclose(future.groupby("ds")["share"].sum(), 1.0, atol=1e-9)


def test_the_paths_are_the_calibrated_models() -> None:
    df = market(n_products=3, periods=60, seed=2)
    own = share_paths(df, "naive", 6, n_samples=400, seed=1, calibrate=False)
    calibrated = share_paths(df, "naive", 6, n_samples=400, seed=1, calibrate=True)
    given_model = share_paths(df, fc.models.get("naive", calibrate=True), 6, n_samples=400, seed=1)
    np.testing.assert_allclose(calibrated.paths, given_model.paths)
    assert not np.allclose(calibrated.paths, own.paths)
    kept = share_paths(
        df, fc.models.get("naive", calibrate=False), 6, n_samples=400, seed=1, calibrate=True
    )
    np.testing.assert_allclose(kept.paths, own.paths)  # an instance that sets it keeps it


def test_transform_applies_to_names_before_calibration() -> None:
    df = market(n_products=2, periods=60, seed=4)
    out = share_paths(df, "drift", 5, n_samples=300, transform="log", calibrate=True)
    both = share_paths(
        df, fc.models.get("drift", transform="log", calibrate=True), 5, n_samples=300
    )
    np.testing.assert_allclose(out.paths, both.paths)


def test_the_competition_model_refuses_calibrate() -> None:
    df = market(n_products=2, periods=40)
    with pytest.raises(ConfigError, match="competition model .* takes no calibrate"):
        fc.shares(df, "competition", h=3, calibrate=True)


def _poison(df: pd.DataFrame, after: pd.Timestamp) -> pd.DataFrame:
    out = df.copy()
    late = out["ds"] > after
    out.loc[late, "y"] = 1.2 * out.loc[late, "y"]  # a jump small enough to keep paths positive
    return out


@pytest.mark.slow
def test_a_calibrated_share_backtest_reads_nothing_after_a_cutoff() -> None:
    df = market(n_products=3, periods=60, seed=5)
    kw = {"h": 4, "n_windows": 3, "n_samples": 200, "calibrate": True, "benchmark": False}
    base = backtest_shares(df, "naive", **kw)
    columns = [c for c in base.columns if c != "y"]
    for cutoff in sorted(base["cutoff"].unique())[:-1]:
        poisoned = backtest_shares(_poison(df, cutoff), "naive", **kw)
        upto = base["cutoff"] <= cutoff
        pd.testing.assert_frame_equal(
            poisoned.loc[upto, columns].reset_index(drop=True),
            base.loc[upto, columns].reset_index(drop=True),
        )
        assert not np.allclose(poisoned.loc[~upto, "share"], base.loc[~upto, "share"])
