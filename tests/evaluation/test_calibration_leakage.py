"""Calibrated backtests read nothing after a cutoff (the poisoning test, issue 13).

``fc.backtest(..., calibrate=True)`` calibrates each window's model on inner backtests of that
window's training data. For each cutoff, every ``y`` after it is replaced by garbage; every
forecast and interval of that window and of the earlier ones must stay exactly as it was.
The same poison inside a model's training data moves its calibrated bands while leaving its
point forecast alone, so the test would fail if calibration read past a cutoff.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import forecast as fc
from forecast.schema import CUTOFF, UNIQUE_ID, Y, forecast_columns

MODELS = ["naive", "drift", "seasonal_naive", "theta"]
H = 4
LEVELS = (80, 95)
COLUMNS = [c for c in forecast_columns(LEVELS)] + [CUTOFF]


def _panel(n: int = 60, seed: int = 11) -> pd.DataFrame:
    """Two daily series with a trend, a weekly season and noise (seeded)."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2023-01-01", periods=n, freq="D")
    t = np.arange(n)
    return pd.concat(
        pd.DataFrame(
            {
                UNIQUE_ID: uid,
                "ds": ds,
                Y: level + 0.8 * t + 6 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 3, n),
            }
        )
        for uid, level in (("a", 100.0), ("b", 300.0))
    ).reset_index(drop=True)


def _poison(df: pd.DataFrame, after: pd.Timestamp) -> pd.DataFrame:
    out = df.copy()
    late = out["ds"] > after
    out.loc[late, Y] = 1e6 * np.arange(1, int(late.sum()) + 1)
    return out


def _backtest(df: pd.DataFrame, **kw: object) -> pd.DataFrame:
    kw = {"calibrate": True, **kw}
    return fc.backtest(df, MODELS, h=H, n_windows=4, levels=LEVELS, **kw)  # type: ignore[arg-type]


@pytest.mark.slow
@pytest.mark.parametrize("refit", [True, 2], ids=["refit-every-window", "update-between"])
def test_calibrated_backtest_reads_nothing_after_a_cutoff(refit: bool | int) -> None:
    df = _panel()
    base = _backtest(df, refit=refit)
    assert base[COLUMNS].notna().all().all() and len(base) == 2 * len(MODELS) * 4 * H
    for cutoff in sorted(base[CUTOFF].unique()):
        poisoned = _backtest(_poison(df, cutoff), refit=refit)
        upto = base[CUTOFF] <= cutoff
        pd.testing.assert_frame_equal(
            poisoned.loc[upto, COLUMNS].reset_index(drop=True),
            base.loc[upto, COLUMNS].reset_index(drop=True),
        )
        later = ~upto
        if later.any():  # the poison reaches the later windows' training data: it is read
            assert not np.allclose(poisoned.loc[later, "yhat"], base.loc[later, "yhat"])


def test_calibration_changes_the_backtest_bands_not_the_points() -> None:
    df = _panel()
    own = _backtest(df, calibrate=False)
    calibrated = _backtest(df)
    pd.testing.assert_series_equal(own["yhat"], calibrated["yhat"])
    for model, rows in calibrated.groupby("model"):
        width = rows["yhat_hi_95"] - rows["yhat_lo_95"]
        own_width = own.loc[rows.index, "yhat_hi_95"] - own.loc[rows.index, "yhat_lo_95"]
        assert not np.allclose(width, own_width), model


@pytest.mark.parametrize("name", ["naive", "seasonal_naive"])
def test_the_poison_moves_the_calibrated_bands_when_it_is_in_the_training_data(
    name: str,
) -> None:
    series = _panel().query("unique_id == 'a'").reset_index(drop=True)
    poisoned = series.copy()
    # rows before the last season: the point forecast (last values) is untouched, the inner
    # windows' errors are not
    inside = poisoned.index[-20:-8]
    poisoned.loc[inside, Y] = 1e6 * np.arange(1, len(inside) + 1)
    clean_fit = fc.models.get(name, calibrate=True).fit(series)
    poisoned_fit = fc.models.get(name, calibrate=True).fit(poisoned)
    clean = clean_fit.predict(H, levels=LEVELS)
    moved = poisoned_fit.predict(H, levels=LEVELS)
    np.testing.assert_allclose(moved["yhat"], clean["yhat"])
    assert np.all(moved["yhat_hi_95"] - moved["yhat"] > 10 * (clean["yhat_hi_95"] - clean["yhat"]))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["ets", "arima"])
def test_warm_started_models_calibrated_in_a_backtest_read_nothing_after_a_cutoff(
    name: str,
) -> None:
    # ets and arima start each outer window's fit from the previous window's estimates and
    # fit again in every inner window of its calibration: none of it may read past the cutoff.
    df = _panel().query("unique_id == 'b'").reset_index(drop=True)
    base = fc.backtest(df, name, h=H, n_windows=2, levels=LEVELS, calibrate=True)
    first = base[CUTOFF].min()
    poisoned = fc.backtest(
        _poison(df, first), name, h=H, n_windows=2, levels=LEVELS, calibrate=True
    )
    upto = base[CUTOFF] == first
    pd.testing.assert_frame_equal(
        poisoned.loc[upto, COLUMNS].reset_index(drop=True),
        base.loc[upto, COLUMNS].reset_index(drop=True),
    )
    assert not np.allclose(poisoned.loc[~upto, "yhat_hi_95"], base.loc[~upto, "yhat_hi_95"])


@pytest.mark.parametrize("name", ["auto", "ensemble"])
def test_models_with_their_own_conformal_bands_read_nothing_after_a_cutoff(name: str) -> None:
    # auto and ensemble calibrate with their own inner backtests; the call's calibrate=True
    # turns them on (their constructors' default is kept off for auto)
    df = _panel().query("unique_id == 'a'").reset_index(drop=True)
    model = fc.models.get(name, members=("naive", "drift", "seasonal_naive"))
    kw = {"h": H, "n_windows": 2, "levels": LEVELS, "calibrate": True}
    base = fc.backtest(df, model, **kw)
    first = base[CUTOFF].min()
    poisoned = fc.backtest(_poison(df, first), model, **kw)
    upto = base[CUTOFF] == first
    pd.testing.assert_frame_equal(
        poisoned.loc[upto, COLUMNS].reset_index(drop=True),
        base.loc[upto, COLUMNS].reset_index(drop=True),
    )
    assert not np.allclose(poisoned.loc[~upto, "yhat_hi_95"], base.loc[~upto, "yhat_hi_95"])
    own = fc.backtest(df, model, **{**kw, "calibrate": False})
    assert not np.allclose(own["yhat_hi_95"], base["yhat_hi_95"])  # the bands are conformal
