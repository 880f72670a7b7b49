"""``inner_backtest``, as ``calibrate=`` runs it: every window fits the model again.

Checked: one fit per window, each on the data before the window; no window sees data after
its own cutoff (poisoning), also for models that could update their state instead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import forecast as fc
from forecast.evaluation.inner import inner_backtest, window_cuts
from forecast.models.base import BaseModel


def _series(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = 200 + np.cumsum(rng.normal(0, 3, n))
    ds = pd.date_range("2023-01-01", periods=n, freq="MS")
    return pd.DataFrame({"unique_id": "app/dau/all", "ds": ds, "y": y})


def test_every_window_fits_the_model_on_the_data_before_it(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    original = BaseModel.fit_validated

    def counted(self: BaseModel, *args: object, **kwargs: object) -> BaseModel:
        calls.append(len(args[0]))  # type: ignore[arg-type]
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(BaseModel, "fit_validated", counted)
    frame = _series(40, 0)
    inner_backtest(frame, [("drift", fc.models.get("drift"))], 3, 4, 1)
    assert calls == window_cuts(len(frame), 3, 4)


@pytest.mark.parametrize("name", ["ets", "drift"])
def test_no_window_sees_data_after_its_cutoff(name: str) -> None:
    frame = _series(40, 1)
    member = [(name, fc.models.get(name, seasonal_period=1))]
    cuts = window_cuts(len(frame), 3, 3)
    clean = inner_backtest(frame, member, 3, 3, 1)
    for w, cut in enumerate(cuts):
        poisoned = frame.copy()
        poisoned.loc[cut:, "y"] = 1e6 * (1 + np.arange(len(frame) - cut))
        dirty = inner_backtest(poisoned, member, 3, 3, 1)
        np.testing.assert_allclose(dirty.forecasts[name][: w + 1], clean.forecasts[name][: w + 1])
        if w + 1 < len(cuts):
            assert not np.allclose(dirty.forecasts[name][w + 1], clean.forecasts[name][w + 1])
