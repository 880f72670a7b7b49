"""The model contract, run against every registered model (``fc.models.available()``).

Each model is fitted once per module on a seeded positive daily series (120 days, trend and
weekly season) and, when it declares ``needs_retention``, a small cohort retention frame; the
tests then check the promised columns, horizon, dates, nested intervals, determinism, refits,
sample paths, bad input and the declared capabilities.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import forecast as fc
from forecast.errors import ForecastError, HistoryError, NotFittedError
from forecast.models.base import BaseModel
from forecast.schema import DS, UNIQUE_ID, Y, level_column

NAMES = list(fc.models.available()["name"])
CAPABILITIES = fc.models.available().set_index("name")
H = 14
LEVELS = (80, 95)


def _series(n: int = 120, seed: int = 0, scale: float = 1.0) -> pd.DataFrame:
    """A positive daily series: level 1000, trend, weekly season and noise (seeded)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = scale * (1000 + 3 * t + 80 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 15, n))
    return pd.DataFrame(
        {UNIQUE_ID: "app", DS: pd.date_range("2024-01-01", periods=n, freq="D"), Y: y}
    )


def _retention() -> pd.DataFrame:
    """Monthly cohorts of 2024 with a power-law retention curve by age (months 0 to 3)."""
    cohorts = pd.date_range("2024-01-01", periods=4, freq="MS")
    rows = [
        {"cohort": c, "age": a, "retention": 1.0 if a == 0 else 0.45 * a**-0.4}
        for i, c in enumerate(cohorts)
        for a in range(4 - i)
    ]
    return pd.DataFrame(rows)


SERIES = _series()
OTHER = _series(n=60, seed=5, scale=2.0)


def _fit(name: str, series: pd.DataFrame, **params: object) -> BaseModel:
    model = fc.models.get(name, **params)
    if CAPABILITIES.loc[name, "needs_retention"]:
        return model.fit(series, retention=_retention())
    return model.fit(series)


@pytest.fixture(scope="module")
def fitted() -> dict[str, BaseModel]:
    """One fitted model per registry name, shared by the tests of this module."""
    return {}


def _levels(name: str) -> tuple[int, ...]:
    """The contract's levels, or none for a model that declares no intervals."""
    return LEVELS if CAPABILITIES.loc[name, "intervals"] else ()


def _fitted(cache: dict[str, BaseModel], name: str) -> BaseModel:
    if name not in cache:
        cache[name] = _fit(name, SERIES)
    return cache[name]


@pytest.mark.parametrize("name", NAMES)
def test_predict_follows_the_contract(fitted: dict[str, BaseModel], name: str) -> None:
    model = _fitted(fitted, name)
    levels = _levels(name)
    out = model.predict(H, levels=levels)
    expected = [DS, "yhat"] + [level_column(lv, side) for lv in levels for side in ("lo", "hi")]
    assert list(out.columns) == expected
    assert len(out) == H
    assert out[DS].iloc[0] == SERIES[DS].iloc[-1] + pd.Timedelta(days=1)
    assert (out[DS].diff().dropna() == pd.Timedelta(days=1)).all()
    assert np.isfinite(out.drop(columns=DS).to_numpy()).all()
    if not levels:
        return
    tol = 1e-9 * (1 + out["yhat"].abs())
    assert (out["yhat_lo_95"] <= out["yhat_lo_80"] + tol).all()
    assert (out["yhat_lo_80"] <= out["yhat"] + tol).all()
    assert (out["yhat"] <= out["yhat_hi_80"] + tol).all()
    assert (out["yhat_hi_80"] <= out["yhat_hi_95"] + tol).all()
    assert (out["yhat_hi_95"] - out["yhat_lo_95"] > 0).all()


@pytest.mark.parametrize("name", [n for n in NAMES if CAPABILITIES.loc[n, "intervals"]])
def test_other_levels_without_refit(fitted: dict[str, BaseModel], name: str) -> None:
    model = _fitted(fitted, name)
    out = model.predict(5, levels=(50, 99))
    assert (out["yhat_lo_99"] < out["yhat_lo_50"]).all() and (
        out["yhat_hi_50"] < out["yhat_hi_99"]
    ).all()


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_refit_replaces_state_and_same_input_gives_same_output(
    fitted: dict[str, BaseModel], name: str
) -> None:
    reference = _fitted(fitted, name).predict(H, levels=_levels(name))
    model = _fit(name, OTHER)
    assert model.last_ds_ == OTHER[DS].iloc[-1]
    model.fit(
        SERIES, **({"retention": _retention()} if CAPABILITIES.loc[name, "needs_retention"] else {})
    )
    assert model.last_ds_ == SERIES[DS].iloc[-1]
    assert model.n_obs_ == len(SERIES)
    pd.testing.assert_frame_equal(model.predict(H, levels=_levels(name)), reference)


@pytest.mark.parametrize("name", NAMES)
def test_sample_shape_and_seed(fitted: dict[str, BaseModel], name: str) -> None:
    model = _fitted(fitted, name)
    paths = model.sample(H, n=64, seed=3)
    assert paths.shape == (64, H)
    assert np.isfinite(paths).all()
    np.testing.assert_array_equal(paths, model.sample(H, n=64, seed=3))
    assert not np.array_equal(paths, model.sample(H, n=64, seed=4))


@pytest.mark.parametrize("name", NAMES)
def test_not_fitted_raises(name: str) -> None:
    model = fc.models.get(name)
    with pytest.raises(NotFittedError):
        model.predict(3)
    with pytest.raises(NotFittedError):
        model.sample(3, n=2)


def _with_nan() -> pd.DataFrame:
    out = SERIES.copy()
    out.loc[10, Y] = np.nan
    return out


def _with_duplicate() -> pd.DataFrame:
    return pd.concat([SERIES, SERIES.iloc[[20]]], ignore_index=True)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("bad", [_with_nan, _with_duplicate], ids=["nan_y", "duplicate_ds"])
def test_bad_input_raises(name: str, bad) -> None:
    with pytest.raises(ForecastError):
        _fit(name, bad())


@pytest.mark.parametrize("name", NAMES)
def test_too_short_raises(name: str) -> None:
    n = max(int(CAPABILITIES.loc[name, "min_history"]) - 1, 1)
    with pytest.raises(HistoryError):
        _fit(name, SERIES.iloc[:n])


@pytest.mark.parametrize("name", [n for n in NAMES if not CAPABILITIES.loc[n, "irregular"]])
def test_regular_models_refuse_gaps(name: str) -> None:
    with pytest.raises(HistoryError, match="missing date"):
        _fit(name, SERIES.drop(index=[30, 31]))


@pytest.mark.parametrize("name", [n for n in NAMES if CAPABILITIES.loc[n, "updates"]])
def test_update_moves_the_origin(name: str) -> None:
    model = _fit(name, SERIES.iloc[:100])
    model.update(SERIES)
    out = model.predict(3)
    assert out[DS].iloc[0] == SERIES[DS].iloc[-1] + pd.Timedelta(days=1)
    assert np.isfinite(out["yhat"]).all()


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_log_transform_keeps_forecasts_positive(name: str) -> None:
    series = SERIES.assign(y=SERIES[Y] / 1000.0)
    out = _fit(name, series, transform="log").predict(H, levels=_levels(name))
    assert (out.drop(columns=DS).to_numpy() > 0).all()
    if _levels(name):
        assert (out["yhat_lo_95"] <= out["yhat"]).all() and (out["yhat"] <= out["yhat_hi_95"]).all()
