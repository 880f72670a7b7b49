"""``ensemble`` with ``calibrate="scaled"`` or ``"auto"``: the rule every model shares (issue 13).

Checked: the inner windows refit the members the ensemble combines with the specifications
they chose; a saved model forecasts as before; the call's ``calibrate`` reaches the ensemble
as a method; a bad value is refused naming the choices. The point is the combination's,
intervals nest and paths agree with them: ``tests/models/test_auto_calibrate.py``; nothing
after a backtest's cutoff reaches its window: ``tests/calibration/test_calibration.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import forecast as fc
from forecast.errors import ConfigError
from tests.models.test_auto_calibrate import _monthly

MEMBERS = ["ets", "theta", "naive"]


def test_the_inner_windows_refit_the_combined_members_with_their_specifications() -> None:
    series = _monthly(72)
    model = fc.models.get("ensemble", calibrate="scaled").fit(series)
    fixed = model._calibration_template(model.clone())
    assert fixed.calibrate is False
    assert [type(m) for m in fixed.members] == [type(m) for _, m in model.members_]
    ets = fixed.members[0]
    spec = dict(model.members_)["ets"].spec_
    assert (ets.error, ets.trend, ets.damped_trend, ets.seasonal) == (
        spec.error,
        spec.trend,
        spec.damped_trend,
        spec.seasonal,
    )
    # each inner window leaves every combined member its fewest observations: the seasonal
    # ets chosen needs two seasons, more than seasonal_naive's season and one more
    assert spec.seasonal is not None and model.fewest_observations(12) == 24
    assert dict(model.members_)["seasonal_naive"].fewest_observations(12) == 13


def test_a_saved_model_forecasts_as_before(tmp_path: pytest.TempPathFactory) -> None:
    model = fc.models.get("ensemble", members=MEMBERS, calibrate="auto").fit(_monthly())
    loaded = fc.models.load(model.save(tmp_path / "ensemble.zip"))  # type: ignore[operator]
    pd.testing.assert_frame_equal(loaded.predict(15), model.predict(15))
    np.testing.assert_array_equal(loaded.sample(6, 50, seed=1), model.sample(6, 50, seed=1))


def test_the_calls_method_reaches_the_ensemble() -> None:
    out = fc.forecast(_monthly(), "ensemble", h=3, calibrate="scaled")
    own = fc.forecast(_monthly(), "ensemble", h=3, calibrate=True)
    np.testing.assert_allclose(out["yhat"], own["yhat"])
    assert not np.allclose(out["yhat_hi_95"], own["yhat_hi_95"])


@pytest.mark.parametrize("value", [None, "yes", 2])
def test_a_bad_calibrate_is_refused_naming_the_choices(value: object) -> None:
    with pytest.raises(ConfigError, match="calibrate"):
        fc.models.get("ensemble", calibrate=value)
