"""The calibration of a model that searches (``ets``, ``arima``) refits the specification it chose.

Checked: the inner windows' model is the chosen specification, not a new search; a seasonal
choice leaves the inner windows two seasons (ETS), or ``2 m + 2`` observations (ARIMA), so a
short seasonal series is still calibrated by default, and ``auto`` leaves its seasonal ``ets``
member as many; a model that does not search calibrates a plain clone. Nothing after a
backtest's cutoff reaches its window: ``tests/calibration/test_calibration.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import forecast as fc
from forecast.evaluation.calibration import ScaledCalibration
from forecast.schema import DS, UNIQUE_ID, Y


def _quarterly(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = 200 + 5 * t + np.tile([30.0, -25.0, 15.0, -20.0], n // 4 + 1)[:n] + rng.normal(0, 3, n)
    ds = pd.date_range("2015-01-01", periods=n, freq="QS")
    return pd.DataFrame({UNIQUE_ID: "app", DS: ds, Y: y})


def test_ets_calibrates_the_specification_it_chose() -> None:
    model = fc.models.get("ets").fit(_quarterly(20))
    fixed = model._calibration_template(model.clone())
    spec = model.spec_
    assert spec.seasonal == "add"  # the series is seasonal: the test needs a seasonal choice
    assert (fixed.error, fixed.trend, fixed.damped_trend, fixed.seasonal) == (
        spec.error,
        spec.trend,
        spec.damped_trend,
        spec.seasonal,
    )
    assert fixed.fewest_observations(4) == 8 and model.fewest_observations(4) == 8
    assert fc.models.get("ets").fewest_observations(4) == 3  # a search drops seasonal models


def test_a_short_seasonal_series_is_still_calibrated_by_default() -> None:
    # 14 quarters: the chosen seasonal ETS cannot be refitted on fewer than 8, so the inner
    # windows must leave it 8; before, every window failed and the own bands were kept.
    model = fc.models.get("ets").fit(_quarterly(14))
    assert model.spec_.seasonal is not None
    assert isinstance(model.calibration_, ScaledCalibration)


def test_arima_calibrates_the_order_it_chose() -> None:
    model = fc.models.get("arima", calibrate="scaled").fit(_quarterly(40))
    fixed = model._calibration_template(model.clone())
    assert fixed.order is None and fixed._refit_spec == model.spec_
    assert model.spec_.m == 4  # a seasonal order: the test needs one
    assert fixed.fewest_observations(4) == 10 and model.fewest_observations(4) == 10
    assert fc.models.get("arima").fewest_observations(4) == 8
    assert isinstance(model.calibration_, ScaledCalibration)


def test_auto_leaves_its_seasonal_ets_member_two_seasons_in_the_inner_windows() -> None:
    model = fc.models.get("auto").fit(_quarterly(14))
    ets = dict(model.members_)["ets"]
    assert ets.spec_.seasonal is not None
    assert model.fewest_observations(4) == 8  # the windows refit the seasonal ets
    assert fc.models.get("auto").fewest_observations(4) == 2  # unfitted: its own minimum
    assert model.calibration_ is not None


@pytest.mark.parametrize("name", ["naive", "theta"])
def test_a_model_that_does_not_search_calibrates_a_plain_clone(name: str) -> None:
    model = fc.models.get(name).fit(_quarterly(20))
    template = model.clone()
    assert model._calibration_template(template) is template
