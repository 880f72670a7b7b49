"""fc.shares checks each input frame once, whatever the method, and fits on the checked frames."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

import forecast.schema
from forecast.market.shares import shares  # loaded before the spies, so they reach its modules
from forecast.models.base import BaseModel


def _market(periods: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(4)
    ds = pd.date_range("2024-01-01", periods=periods, freq="D")
    frames = [
        pd.DataFrame(
            {
                "unique_id": uid,
                "ds": ds,
                "y": level * np.exp(np.cumsum(rng.normal(0, 0.02, periods))),
            }
        )
        for uid, level in (("kimi", 100.0), ("wenxin", 300.0), ("tongyi", 200.0))
    ]
    return pd.concat(frames, ignore_index=True).sample(frac=1.0, random_state=0)


def _retention() -> pd.DataFrame:
    cohorts = pd.date_range("2024-01-01", periods=10, freq="D")
    rows = [(c, a, 0.6 * 0.9**a) for c in cohorts for a in range(4)]
    return pd.DataFrame(rows, columns=["cohort", "age", "retention"])


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Count calls of validate_series / validate_retention wherever the package looks them up."""
    counts: Counter[str] = Counter()
    for name in ("validate_series", "validate_retention"):
        original = getattr(forecast.schema, name)

        def counting(df: pd.DataFrame, _name: str = name, _f: Callable = original) -> pd.DataFrame:
            counts[_name] += 1
            return _f(df)

        for module in list(sys.modules.values()):
            if (getattr(module, "__name__", "") or "").startswith("forecast") and (
                getattr(module, name, None) is original
            ):
                monkeypatch.setattr(module, name, counting)
    return counts


@pytest.mark.parametrize("method", ["paths", "alr", "ilr"])
def test_shares_validate_the_series_once(validations: Counter[str], method: str) -> None:
    out = shares(_market(), "drift", h=4, n_samples=50, method=method)
    assert len(out) == 3 * 30 + 3 * 4
    assert validations == Counter({"validate_series": 1})


def test_competition_shares_validate_the_series_once(validations: Counter[str]) -> None:
    out = shares(_market(), "competition", h=4, n_samples=50)
    assert set(out["model"]) == {"observed", "competition"}
    assert validations == Counter({"validate_series": 1})


def test_shares_validate_series_and_retention_once(
    validations: Counter[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    given: list[object] = []
    fit_validated = BaseModel.fit_validated

    def spy(self: BaseModel, series: pd.DataFrame, retention: pd.DataFrame | None = None):
        given.append(retention)
        return fit_validated(self, series, retention)

    monkeypatch.setattr(BaseModel, "fit_validated", spy)
    retention = _retention()
    out = shares(
        _market(),
        "naive",
        h=3,
        n_samples=50,
        retention={"kimi": retention, "tongyi": retention},
        calibrate=False,  # one fit per product (calibration would add its inner windows' fits)
    )
    assert (out.groupby("ds")["share"].sum() - 1.0).abs().max() < 1e-12
    assert validations == Counter({"validate_series": 1, "validate_retention": 1})
    # kimi and tongyi got the checked retention frame, wenxin none (products in sorted order)
    kimi, tongyi, wenxin = given
    assert kimi is tongyi and isinstance(kimi, pd.DataFrame) and wenxin is None
    assert len(kimi) == len(retention)


def test_an_already_checked_frame_is_not_checked_again(validations: Counter[str]) -> None:
    checked = forecast.schema.valid_series(_market())
    validations.clear()
    first = shares(checked, "naive", h=2, n_samples=20)
    assert validations == Counter()
    pd.testing.assert_frame_equal(first, shares(_market(), "naive", h=2, n_samples=20))
