"""``predict_models`` with covariates treats saved models as ``fc.forecast`` treats models.

Covariates given to a folder none of whose models takes covariates are refused; saved models
that were fitted without covariates forecast without them, and one warning names those
(series, model) pairs.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import forecast as fc
from forecast.persistence import forecast_and_save, predict_models


def _data(n: int = 60, h: int = 6) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(7)
    ds = pd.date_range("2023-01-02", periods=n + h, freq="W-MON")
    x = rng.normal(size=n + h)
    y = 50 + np.cumsum(rng.normal(size=n)) + 2 * x[:n]
    series = pd.DataFrame({"unique_id": "s1", "ds": ds[:n], "y": y})
    return series, pd.DataFrame({"unique_id": "s1", "ds": ds, "x": x})


def test_covariates_for_a_folder_without_covariate_models_are_refused(tmp_path: Path) -> None:
    series, covariates = _data()
    forecast_and_save(series, ["naive", "theta"], 6, tmp_path / "m")
    with pytest.raises(fc.CapabilityError, match="none of the saved models"):
        predict_models(tmp_path / "m", 6, covariates=covariates)
    assert len(predict_models(tmp_path / "m", 6).frame) == 12  # without them it forecasts


@pytest.mark.slow
def test_models_saved_without_covariates_forecast_without_them_and_are_named(
    tmp_path: Path,
) -> None:
    series, covariates = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fc.ForecastWarning)  # naive takes no covariates
        saved = forecast_and_save(
            series, ["arima", "naive"], 6, tmp_path / "m", covariates=covariates
        )
    with pytest.warns(fc.ForecastWarning, match=r"series 's1' with 'naive'") as caught:
        loaded = predict_models(tmp_path / "m", 6, covariates=covariates)
    assert not any("'arima'" in str(w.message) for w in caught)
    pd.testing.assert_frame_equal(loaded.frame, saved.frame)
    assert loaded.failures.empty
