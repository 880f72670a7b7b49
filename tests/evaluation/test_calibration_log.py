"""Calibration of models fitted on ``log(y)`` (``transform="log"``) happens on the log scale.

Checked: the inner errors are those of the logs, the calibrated bands and paths are the
exponentiated log-scale ones (so they stay positive on a falling series where errors on the
scale of ``y`` would cross zero), and short series borrow errors only from donors on their
own scale; a saved model keeps the scale.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import forecast as fc
from forecast.errors import ForecastWarning
from forecast.evaluation.calibration import Calibration, InflatedCalibration, pool_short_series
from forecast.models.base import BaseModel
from forecast.schema import DS, UNIQUE_ID, Y


def _falling(n: int, uid: str = "app", seed: int = 0) -> pd.DataFrame:
    """A positive series that falls by about 15% a quarter with 20% noise."""
    rng = np.random.default_rng(seed)
    y = 1000 * np.exp(np.cumsum(rng.normal(-0.15, 0.2, n)))
    ds = pd.date_range("2015-01-01", periods=n, freq="QS")
    return pd.DataFrame({UNIQUE_ID: uid, DS: ds, Y: y})


def _fit(frame: pd.DataFrame, name: str = "naive", **params: object) -> BaseModel:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ForecastWarning)
        return fc.models.get(name, calibrate=True, **params).fit(frame)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10**6), name=st.sampled_from(["naive", "drift", "ets"]))
@example(seed=125, name="ets")  # logs cross 0 after the first inner window: ETS(M,...) refits
def test_log_models_are_calibrated_on_the_log_scale_and_stay_positive(seed: int, name: str) -> None:
    model = _fit(_falling(30, seed=seed), name, transform="log")
    calibration = model.calibration_
    assert isinstance(calibration, Calibration)
    assert calibration.log_scale
    bands = model.predict(6, levels=(80, 95))
    log_point = np.log(bands["yhat"].to_numpy())
    lo, hi = calibration.get(6).intervals(log_point, (95,))[95]
    np.testing.assert_allclose(bands["yhat_lo_95"], np.exp(lo), rtol=1e-9)
    np.testing.assert_allclose(bands["yhat_hi_95"], np.exp(hi), rtol=1e-9)
    assert (bands["yhat_lo_95"] > 0).all()
    assert (bands["yhat_lo_95"] <= bands["yhat_lo_80"]).all()
    assert (bands["yhat_hi_80"] <= bands["yhat_hi_95"]).all()
    paths = model.sample(6, 400, seed=seed)
    assert (paths > 0).all()


def test_the_same_model_without_the_transform_calibrates_on_the_scale_of_y() -> None:
    data = _falling(30, seed=3)
    plain = _fit(data)
    logged = _fit(data, transform="log")
    assert not plain.calibration_.log_scale
    residuals = logged.calibration_.base.residuals
    plain_residuals = plain.calibration_.base.residuals
    assert residuals.shape == plain_residuals.shape
    # log errors of a series falling 15% a quarter with 20% noise are fractions, not users
    assert np.abs(residuals).max() < 3
    assert np.abs(plain_residuals).max() > 3


def test_a_saved_log_calibration_loads_on_the_log_scale(tmp_path: Path) -> None:
    model = _fit(_falling(30, seed=5), transform="log")
    loaded = fc.models.load(model.save(tmp_path / "naive.model"))
    assert loaded.calibration_.log_scale
    pd.testing.assert_frame_equal(loaded.predict(6), model.predict(6))


def test_a_short_log_series_borrows_only_from_log_donors() -> None:
    plain = [_fit(_falling(30, f"plain{i}", seed=i)) for i in range(2)]
    logged = [_fit(_falling(30, f"log{i}", seed=10 + i), transform="log") for i in range(2)]
    short = _fit(_falling(3, "short", seed=20), transform="log")
    assert isinstance(short.calibration_, InflatedCalibration)
    assert short.calibration_.log_scale
    with pytest.warns(ForecastWarning, match="'short'.*2 other series"):
        assert pool_short_series([*plain, *logged, short]) == ["short"]
    assert short.calibration_.log_scale
    assert (short.predict(4, levels=(95,))["yhat_lo_95"] > 0).all()
    assert (short.sample(4, 200, seed=0) > 0).all()
