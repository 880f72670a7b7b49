"""``inner_backtest(refit=False)``: one estimation, the state updated through later windows.

``calibrate=`` uses it for models that can update their state (issue 13: calibration made
cheaper). Checked: one fit instead of one per window; the same forecasts as refitting for a
model without parameters (naive); no window sees data after its own cutoff (poisoning).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import forecast as fc
from forecast.evaluation.inner import inner_backtest, window_cuts
from forecast.models.base import BaseModel


def _series(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = 200 + np.cumsum(rng.normal(0, 3, n))
    ds = pd.date_range("2023-01-01", periods=n, freq="MS")
    return pd.DataFrame({"unique_id": "app/dau/all", "ds": ds, "y": y})


@pytest.mark.parametrize(("refit", "fits"), [(True, 4), (False, 1)])
def test_a_model_that_updates_is_estimated_once(
    monkeypatch: pytest.MonkeyPatch, refit: bool, fits: int
) -> None:
    calls: list[int] = []
    original = BaseModel.fit_validated

    def counted(self: BaseModel, *args: object, **kwargs: object) -> BaseModel:
        calls.append(len(args[0]))  # type: ignore[arg-type]
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(BaseModel, "fit_validated", counted)
    frame = _series(40, 0)
    inner_backtest(frame, [("drift", fc.models.get("drift"))], 3, 4, 1, refit=refit)
    assert len(calls) == fits
    assert calls[0] == window_cuts(len(frame), 3, 4)[0]


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10**6), h=st.integers(1, 4), windows=st.integers(1, 5))
def test_naive_forecasts_are_the_same_updated_or_refitted(seed: int, h: int, windows: int) -> None:
    frame = _series(30, seed)
    member = [("naive", fc.models.get("naive"))]
    updated = inner_backtest(frame, member, h, windows, 1, refit=False).forecasts["naive"]
    refitted = inner_backtest(frame, member, h, windows, 1).forecasts["naive"]
    np.testing.assert_allclose(updated, refitted)


@pytest.mark.parametrize("name", ["ets", "drift"])
def test_no_updated_window_sees_data_after_its_cutoff(name: str) -> None:
    frame = _series(40, 1)
    member = [(name, fc.models.get(name, seasonal_period=1))]
    cuts = window_cuts(len(frame), 3, 3)
    clean = inner_backtest(frame, member, 3, 3, 1, refit=False)
    for w, cut in enumerate(cuts):
        poisoned = frame.copy()
        poisoned.loc[cut:, "y"] = 1e6 * (1 + np.arange(len(frame) - cut))
        dirty = inner_backtest(poisoned, member, 3, 3, 1, refit=False)
        np.testing.assert_allclose(dirty.forecasts[name][: w + 1], clean.forecasts[name][: w + 1])
        if w + 1 < len(cuts):
            assert not np.allclose(dirty.forecasts[name][w + 1], clean.forecasts[name][w + 1])
