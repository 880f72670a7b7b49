"""Default calibration (``calibrate=None``) never nests inside inner backtests (issue 13).

Checked with a default set that includes ``naive``: fitted alone it calibrates; fitted in
the windows of an inner backtest (``auto``'s, ``ensemble``'s or a calibration's own) it does
not, while an explicit ``calibrate=True`` is still honoured there; the flag is reset after
the inner backtest, also when it raises.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import forecast as fc
import forecast.models._calibration as calibration_module
import forecast.models.base as base_module
from forecast.errors import HistoryError
from forecast.evaluation.inner import inner_backtest, inside_inner_backtest
from forecast.schema import DS, UNIQUE_ID, Y


def _series(n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    y = 100 + np.cumsum(rng.normal(0.5, 2, n))
    return pd.DataFrame(
        {UNIQUE_ID: "app", DS: pd.date_range("2020-01-01", periods=n, freq="MS"), Y: y}
    )


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setattr(calibration_module, "CALIBRATED_BY_DEFAULT", frozenset({"naive"}))
    seen: list[str] = []
    real = base_module.fit_calibration

    def spy(model, template, data):  # type: ignore[no-untyped-def]
        seen.append(model.name)
        return real(model, template, data)

    monkeypatch.setattr(base_module, "fit_calibration", spy)
    return seen


def test_a_default_calibrated_model_calibrates_alone_not_in_inner_windows(
    calls: list[str],
) -> None:
    assert fc.models.get("naive").fit(_series()).calibration_ is not None
    assert calls == ["naive"]
    calls.clear()
    scores = inner_backtest(_series(), [("naive", fc.models.get("naive"))], 3, 4, 12)
    assert np.isfinite(scores["naive"]) and calls == []
    inner_backtest(_series(), [("naive", fc.models.get("naive", calibrate=True))], 3, 2, 12)
    assert calls == ["naive", "naive"]
    assert not inside_inner_backtest()


def test_auto_members_do_not_calibrate_in_its_inner_windows(calls: list[str]) -> None:
    fc.models.get("auto", candidates=["naive", "drift"], h=3, n_windows=3).fit(_series())
    assert calls.count("naive") <= 1  # at most the chosen member's final fit


def test_the_flag_is_reset_when_the_inner_backtest_fails(calls: list[str]) -> None:
    with pytest.raises(HistoryError):
        inner_backtest(_series(5), [("naive", fc.models.get("naive"))], 3, 4, 12)
    assert not inside_inner_backtest()
    assert fc.models.get("naive").fit(_series()).calibration_ is not None


def test_a_default_calibration_keeps_the_own_bands_of_a_short_series_quietly(
    calls: list[str],
) -> None:
    import warnings

    from forecast.errors import ForecastWarning

    short = _series(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ForecastWarning)
        model = fc.models.get("naive").fit(short)
    assert calls == ["naive"] and model.calibration_ is None
    own = fc.models.get("naive", calibrate=False).fit(short).predict(3)
    np.testing.assert_allclose(model.predict(3).drop(columns="ds"), own.drop(columns="ds"))
    with pytest.warns(ForecastWarning, match="widened"):
        assert fc.models.get("naive", calibrate=True).fit(short).calibration_ is not None
