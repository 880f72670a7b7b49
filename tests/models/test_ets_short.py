"""``ets`` on short series and its lean estimation.

Down to three observations ``ets`` forecasts with intervals, compares only the specifications
the length supports (fewer parameters than ``n - 4``) and says in ``params_["search"]`` how the
length restricted them. The lean estimation of :mod:`forecast.models._ets_fit` gives exactly
what statsmodels' ``ETSModel.fit`` gives.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from threadpoolctl import threadpool_limits

import forecast as fc
from forecast.models._ets_fit import estimate, results_for
from forecast.models._statsmodels import aicc
from forecast.models.ets import ETSSpec, _nested_start, candidate_specs
from forecast.schema import level_column


@pytest.fixture(autouse=True, scope="module")
def single_blas_thread() -> Iterator[None]:
    """Direct statsmodels calls run on one BLAS thread, as the models do."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _series(n: int, freq: str, seed: int, level: float = 100.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = level + np.cumsum(rng.normal(1.0, 3.0, n))
    return pd.DataFrame({"ds": pd.date_range("2001-01-01", periods=n, freq=freq), "y": y})


@pytest.mark.parametrize("freq", ["YS", "QS"])
@pytest.mark.parametrize("n", range(3, 9))
def test_short_series_forecast_with_intervals_and_say_their_model(n: int, freq: str) -> None:
    data = _series(n, freq, seed=n)
    model = fc.models.get("ets").fit(data)
    frame = model.predict(6, levels=(80, 95))
    point = frame["yhat"].to_numpy()
    assert np.all(np.isfinite(point))
    for level in (80, 95):
        lower = frame[level_column(level, "lo")].to_numpy()
        upper = frame[level_column(level, "hi")].to_numpy()
        assert np.all(lower < point) and np.all(point < upper)
    assert model.params_["spec"] == model.spec_.label
    assert model.params_["spec"] in set(model.candidates_["spec"])
    m = model.seasonal_period_
    if any(s.n_params(m) < n - 4 for s in candidate_specs(positive=True, seasonal_allowed=False)):
        assert "admissible" in str(model.params_["search"])
    else:
        assert list(model.candidates_["spec"]) == ["ETS(A,N,N)"]
        assert f"{n} observations are too few" in str(model.params_["search"])


def test_two_observations_are_refused_naming_the_series() -> None:
    with pytest.raises(fc.HistoryError, match="at least 3"):
        fc.models.get("ets").fit(_series(2, "YS", seed=0))


@settings(max_examples=15, deadline=None)
@given(n=st.integers(3, 30), quarterly=st.booleans(), seed=st.integers(0, 10_000))
def test_every_candidate_has_fewer_parameters_than_n_minus_four(
    n: int, quarterly: bool, seed: int
) -> None:
    model = fc.models.get("ets").fit(_series(n, "QS" if quarterly else "YS", seed))
    m = model.seasonal_period_
    labels = {s.label: s for s in candidate_specs(positive=True, seasonal_allowed=True)}
    tried = [labels[label] for label in model.candidates_["spec"]]
    if len(tried) > 1 or tried[0].n_params(m) < n - 4:
        assert all(spec.n_params(m) < n - 4 for spec in tried)
    assert all(spec.seasonal is None or n >= 2 * m for spec in tried)
    scores = model.candidates_["aicc"].to_numpy()
    assert model.params_["aicc"] == pytest.approx(np.min(scores)) or not np.isfinite(scores).any()


@pytest.mark.parametrize(
    ("error", "trend", "damped", "seasonal"),
    [("add", None, False, None), ("mul", "add", True, None), ("add", "add", False, "add")],
)
def test_lean_estimate_is_statsmodels_fit(
    error: str, trend: str | None, damped: bool, seasonal: str | None
) -> None:
    t = np.arange(48)
    rng = np.random.default_rng(7)
    y = (50 + 0.8 * t) * (1 + 0.1 * np.sin(2 * np.pi * t / 4)) + rng.normal(0, 1.5, t.size)

    def model() -> ETSModel:
        return ETSModel(
            pd.Series(y),
            error=error,
            trend=trend,
            damped_trend=damped,
            seasonal=seasonal,
            seasonal_periods=4 if seasonal else None,
        )

    direct = model().fit(disp=False)
    lean = estimate(model(), None, maxiter=1000)
    np.testing.assert_allclose(lean.params, np.asarray(direct.params), rtol=1e-12, atol=1e-12)
    assert lean.llf == pytest.approx(float(direct.llf), rel=1e-12)
    assert lean.aicc == pytest.approx(aicc(float(direct.llf), len(lean.params) + 1, y.size))
    results = results_for(model(), lean.params)
    np.testing.assert_allclose(results.forecast(8), direct.forecast(8), rtol=1e-12)
    np.testing.assert_allclose(results.cov_params_default, direct.cov_params_default, rtol=1e-8)


def test_a_candidate_starts_from_the_nearest_simpler_estimates() -> None:
    data = _series(40, "QS", seed=11, level=200.0)
    model = fc.models.get("ets").fit(data)
    damped = ETSSpec("add", "add", True, None)
    undamped = ETSSpec("add", "add", False, None)
    statsmodels_model = model._model(data["y"].to_numpy(), damped)
    names = {undamped: list(model._model(data["y"].to_numpy(), undamped).param_names)}
    start = _nested_start(damped, statsmodels_model, model.estimates_, names)
    assert start is not None
    known = dict(zip(names[undamped], model.estimates_[undamped], strict=True))
    for name, value in zip(statsmodels_model.param_names, start, strict=True):
        if name in known:
            assert value == known[name]
    assert _nested_start(ETSSpec("add", None, False, None), statsmodels_model, {}, {}) is None
