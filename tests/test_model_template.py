"""``examples/model_template.py`` registers, forecasts, backtests and keeps the model contract.

The template is registered under a test name for this module only and removed afterwards; the
checks are those of ``tests/models/test_contract.py``, through ``fc.forecast``,
``fc.backtest`` and the model's own methods.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import forecast as fc
from forecast.errors import ConfigError, ForecastError, HistoryError, NotFittedError
from forecast.models.registry import register, unregister
from forecast.schema import DS, UNIQUE_ID, Y

TEMPLATE_PATH = Path(__file__).resolve().parents[1] / "examples" / "model_template.py"
NAME = "test_template_ses"
H = 14
LEVELS = (80, 95)


def _load_template() -> ModuleType:
    spec = importlib.util.spec_from_file_location("model_template", TEMPLATE_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


TEMPLATE = _load_template()


def _series(n: int = 120, seed: int = 0) -> pd.DataFrame:
    """A positive daily series with a trend, a weekly season and noise (seeded)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = 1000 + 3 * t + 80 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 15, n)
    return pd.DataFrame(
        {UNIQUE_ID: "app", DS: pd.date_range("2024-01-01", periods=n, freq="D"), Y: y}
    )


SERIES = _series()


@pytest.fixture(scope="module")
def name() -> Iterator[str]:
    """The template registered under a test name, for this module only."""
    register(NAME)(TEMPLATE.SimpleSmoothing)
    yield NAME
    unregister(NAME)


def test_registered_with_its_capabilities_and_description(name: str) -> None:
    row = fc.models.available().set_index("name").loc[name]
    assert row["description"].startswith("Simple exponential smoothing with a fixed weight")
    assert row["min_history"] == 3 and bool(row["updates"]) and bool(row["intervals"])
    assert not bool(row["needs_retention"]) and not bool(row["irregular"])
    assert isinstance(fc.models.get(name, alpha=0.5), TEMPLATE.SimpleSmoothing)


def test_forecast_has_the_columns_of_every_model_and_nested_intervals(name: str) -> None:
    out = fc.forecast(SERIES, name, h=H, levels=LEVELS, on_error="raise")
    reference = fc.forecast(SERIES, "naive", h=H, levels=LEVELS, on_error="raise")
    assert list(out.columns) == list(reference.columns)
    assert len(out) == H and set(out["model"]) == {name}
    assert (out[DS].to_numpy() == reference[DS].to_numpy()).all()
    assert np.isfinite(out[["yhat", "yhat_lo_95", "yhat_hi_95"]].to_numpy()).all()
    assert (out["yhat_lo_95"] < out["yhat_lo_80"]).all()
    assert (out["yhat_lo_80"] < out["yhat"]).all() and (out["yhat"] < out["yhat_hi_80"]).all()
    assert (out["yhat_hi_80"] < out["yhat_hi_95"]).all()
    widths = (out["yhat_hi_95"] - out["yhat_lo_95"]).to_numpy()
    assert (np.diff(widths) > 0).all()


def test_backtest_scores_every_window(name: str) -> None:
    out = fc.backtest(SERIES, [name, "naive"], h=7, n_windows=3)
    ours = out[out["model"] == name]
    assert len(ours) == 3 * 7 and ours["cutoff"].nunique() == 3
    assert np.isfinite(ours["yhat"]).all()
    scores = fc.evaluate(out).set_index("model")
    assert np.isfinite(scores.loc[name, "mase"])


def test_sample_paths_have_the_shape_the_seed_and_the_intervals(name: str) -> None:
    model = fc.models.get(name).fit(SERIES)
    paths = model.sample(H, n=64, seed=3)
    assert paths.shape == (64, H) and np.isfinite(paths).all()
    np.testing.assert_array_equal(paths, model.sample(H, n=64, seed=3))
    assert not np.array_equal(paths, model.sample(H, n=64, seed=4))
    many = model.sample(H, n=20_000, seed=0)
    bands = model.predict(H, levels=(80,))
    lo, hi = np.quantile(many, [0.1, 0.9], axis=0)
    width = (bands["yhat_hi_80"] - bands["yhat_lo_80"]).to_numpy()
    np.testing.assert_allclose(lo, bands["yhat_lo_80"], atol=0.05 * width.max())
    np.testing.assert_allclose(hi, bands["yhat_hi_80"], atol=0.05 * width.max())


def test_update_moves_the_origin_to_the_level_of_a_refit(name: str) -> None:
    model = fc.models.get(name).fit(SERIES.iloc[:100])
    model.update(SERIES)
    refit = fc.models.get(name).fit(SERIES)
    out = model.predict(3)
    assert out[DS].iloc[0] == SERIES[DS].iloc[-1] + pd.Timedelta(days=1)
    np.testing.assert_allclose(out["yhat"], refit.predict(3)["yhat"])


def test_refit_replaces_the_state(name: str) -> None:
    model = fc.models.get(name).fit(_series(n=60, seed=5))
    model.fit(SERIES)
    reference = fc.models.get(name).fit(SERIES)
    pd.testing.assert_frame_equal(model.predict(H), reference.predict(H))


def test_log_transform_keeps_forecasts_positive(name: str) -> None:
    series = SERIES.assign(y=SERIES[Y] / 1000.0)
    out = fc.models.get(name, transform="log").fit(series).predict(H)
    assert (out.drop(columns=DS).to_numpy() > 0).all()


@pytest.mark.parametrize(
    ("series", "error"),
    [
        (SERIES.assign(y=SERIES[Y].where(SERIES.index != 10)), ForecastError),
        (pd.concat([SERIES, SERIES.iloc[[20]]], ignore_index=True), ForecastError),
        (SERIES.iloc[:2], HistoryError),
        (SERIES.drop(index=[30, 31]), HistoryError),
    ],
    ids=["nan_y", "duplicate_ds", "too_short", "gap"],
)
def test_bad_input_raises(name: str, series: pd.DataFrame, error: type[Exception]) -> None:
    with pytest.raises(error):
        fc.models.get(name).fit(series)


@pytest.mark.parametrize("alpha", [0, -0.1, 1.5, True, "0.3"])
def test_invalid_alpha_raises_config_error(name: str, alpha: object) -> None:
    with pytest.raises(ConfigError, match="alpha"):
        fc.models.get(name, alpha=alpha)


def test_not_fitted_raises(name: str) -> None:
    model = fc.models.get(name)
    with pytest.raises(NotFittedError):
        model.predict(3)
    with pytest.raises(NotFittedError):
        model.sample(3, n=2)


@settings(max_examples=25, deadline=None)
@given(
    alpha=st.floats(0.01, 1.0),
    values=st.lists(st.floats(1.0, 1e6), min_size=3, max_size=40),
)
def test_the_forecast_is_flat_within_the_range_of_the_history(
    alpha: float, values: list[float]
) -> None:
    series = pd.DataFrame(
        {DS: pd.date_range("2024-01-01", periods=len(values), freq="D"), Y: values}
    )
    out = TEMPLATE.SimpleSmoothing(alpha=alpha).fit(series).predict(5, levels=())
    point = out["yhat"].to_numpy()
    assert np.ptp(point) == 0
    tol = 1e-9 * max(values)
    assert min(values) - tol <= point[0] <= max(values) + tol


def test_main_forecasts_a_bundled_dataset_and_leaves_the_registry_clean(
    capsys: pytest.CaptureFixture[str],
) -> None:
    forecasts = TEMPLATE.main()
    assert set(forecasts["model"]) == {TEMPLATE.NAME, "naive"}
    assert forecasts.groupby(["unique_id", "model"]).size().eq(4).all()
    assert TEMPLATE.NAME in capsys.readouterr().out
    assert TEMPLATE.NAME not in set(fc.models.available()["name"])
