"""A calibrated model with covariates, saved before it forecast far, extends its calibration.

The calibration of a longer horizon runs inner windows of the model's clone on the training
data, with the covariates the clone was bound to; the file keeps them, so the loaded model
calibrates the longer horizon exactly as the saved one does.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import forecast as fc
from forecast.models._covariates import bound


def _data(n: int = 100, extra: int = 40) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(4)
    ds = pd.date_range("2023-01-02", periods=n + extra, freq="W-MON")
    x = rng.normal(size=n + extra)
    y = 100 + np.cumsum(rng.normal(size=n)) + 3 * x[:n]
    series = pd.DataFrame({"unique_id": "s", "ds": ds[:n], "y": y})
    return series, pd.DataFrame({"unique_id": "s", "ds": ds, "x": x})


@pytest.mark.slow
def test_loaded_calibrated_model_with_covariates_extends_its_calibration(tmp_path: Path) -> None:
    series, covariates = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fc.ForecastWarning)
        model = fc.models.get("arima", calibrate=True).fit(series, covariates=covariates)
    loaded = fc.models.load(model.save(tmp_path / "m.fcm"))
    calibration = loaded.calibration_
    assert bound(calibration.member[1]) is not None
    h = calibration.base.horizon + 10  # beyond the inner windows of the fit
    expected = model.predict(h, covariates=covariates)
    pd.testing.assert_frame_equal(loaded.predict(h, covariates=covariates), expected)
    assert calibration.get(h) is not calibration.base  # calibrated on windows of h steps
    np.testing.assert_array_equal(
        loaded.sample(h, 6, seed=2, covariates=covariates),
        model.sample(h, 6, seed=2, covariates=covariates),
    )


def test_bound_covariates_that_are_not_a_frame_are_refused() -> None:
    from forecast.persistence.codec import Decoder, Encoder
    from forecast.persistence.state import decode_model, encode_model

    node = encode_model(Encoder(encode_model), fc.models.get("naive"), "test")
    assert "covariates" not in node  # only a model bound to covariates stores them
    assert bound(decode_model(Decoder({}, decode_model), dict(node), "test")) is None
    with pytest.raises(fc.ModelFileError, match="bound covariates are not a frame"):
        decode_model(Decoder({}, decode_model), {**node, "covariates": [1, 2]}, "test")
