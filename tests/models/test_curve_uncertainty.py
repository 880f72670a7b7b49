"""The growth curves' saturation level is uncertain, and their intervals say so (issue 13).

The asymptote (``m`` of bass, ``K`` of logistic and gompertz) is drawn from its profile
likelihood, not from the Laplace normal at the estimate: on a curve that has not bent yet the
latter is far too sure of it. Parameter uncertainty also grows with the residuals'
autocorrelation. The profile is computed at the first draw, so fits used only for their point
forecast (inner backtests) do not pay for it.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import forecast as fc
from forecast.models._curve_uncertainty import CurveFit, Profile, dependence_factor, fit_curve
from forecast.models.base import BaseModel

CAPACITY = 1000.0


def _early_logistic(seed: int, n: int = 20, noise: float = 0.05, rho: float = 0.0) -> pd.DataFrame:
    """A logistic curve observed only before its inflection (step 30), AR(1) noise on the log."""
    rng = np.random.default_rng(seed)
    t = np.arange(1, n + 1)
    shocks = rng.normal(0, noise * np.sqrt(1 - rho**2), n)
    e = np.zeros(n)
    e[0] = rng.normal(0, noise)
    for i in range(1, n):
        e[i] = rho * e[i - 1] + shocks[i]
    y = CAPACITY / (1 + np.exp(-0.3 * (t - 30))) * np.exp(e)
    ds = pd.date_range("2020-01-01", periods=n, freq="MS")
    return pd.DataFrame({"unique_id": "app/users/all", "ds": ds, "y": y})


def _fit(name: str, series: pd.DataFrame, **params: object) -> BaseModel:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fc.models.get(name, **params).fit(series)


def _profiled(fitted: CurveFit) -> Profile | None:
    """The fit's profile, which its first draw computes."""
    assert not fitted.profiled
    fitted.draw(1, np.random.default_rng(0))
    return fitted.profile


def _covers(model: BaseModel, fit: object, truth: float) -> bool:
    thetas, _ = fit.draw(4000, np.random.default_rng(1))  # type: ignore[attr-defined]
    lo, hi = np.quantile(model.scale_ * np.exp(thetas[:, 0]), [0.025, 0.975])  # type: ignore[attr-defined]
    return bool(lo <= truth <= hi)


@pytest.mark.slow
def test_the_profile_covers_the_capacity_of_an_unbent_curve_where_laplace_does_not() -> None:
    seeds = range(16)
    profile = laplace = 0
    for seed in seeds:
        model = _fit("logistic", _early_logistic(seed))
        fitted = model.curve_fit_
        assert _profiled(fitted) is not None
        profile += _covers(model, fitted, CAPACITY)
        laplace += _covers(model, fit_curve(fitted.problem, asymptote=None), CAPACITY)
    assert profile >= 0.8 * len(seeds)
    assert profile >= laplace + 0.3 * len(seeds)


@pytest.mark.parametrize("name", ["bass", "logistic", "gompertz"])
def test_the_profile_widens_the_upper_band_of_an_unbent_curve(name: str) -> None:
    model = _fit(name, _early_logistic(3))
    fitted = model.curve_fit_
    t = fitted.problem.t.max() + np.arange(1, 13)
    _, own = fitted.predict(t, (95,))
    _, plain = fit_curve(fitted.problem, asymptote=None).predict(t, (95,))
    assert own[95][1][-1] > plain[95][1][-1]


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(8, 40), name=st.sampled_from(["bass", "gompertz"]))
def test_the_profile_is_a_distribution_around_the_estimate(seed: int, n: int, name: str) -> None:
    fitted = _fit(name, _early_logistic(seed, n)).curve_fit_
    profile = _profiled(fitted)
    assert profile is not None
    assert np.isclose(profile.mass.sum(), 1.0) and np.all(profile.mass >= 0)
    assert np.all(np.diff(profile.edges) >= 0)
    assert profile.edges[0] <= fitted.theta[0] <= profile.edges[-1]
    assert fitted.problem.lower[0] <= profile.edges[0]
    assert profile.edges[-1] <= fitted.problem.upper[0]
    drawn = profile.draw(500, np.random.default_rng(seed))
    assert np.all((drawn[:, 0] >= profile.edges[0]) & (drawn[:, 0] <= profile.edges[-1]))


def test_a_fixed_capacity_is_not_profiled() -> None:
    model = _fit("logistic", _early_logistic(0), capacity=CAPACITY, fix_capacity=True)
    assert _profiled(model.curve_fit_) is None
    assert np.all(
        model.curve_fit_.draw(50, np.random.default_rng(0))[0][:, 0]
        == 0.0 + np.log(CAPACITY / model.scale_)
    )


def test_autocorrelated_residuals_count_as_fewer_observations() -> None:
    smooth = [_fit("logistic", _early_logistic(s, 40, rho=0.9)).curve_fit_ for s in range(5)]
    rough = [_fit("logistic", _early_logistic(s, 40, rho=-0.5)).curve_fit_ for s in range(5)]
    for a, b in zip(smooth, rough, strict=True):
        assert dependence_factor(a.theta, a.problem) < 1.0
        assert dependence_factor(b.theta, b.problem) == 1.0


def test_a_flat_logistic_on_a_declining_series_draws_without_overflow() -> None:
    """A logistic cannot decline: on a falling series the profile's refits flatten it (the
    rate near 0), the curve stops responding to its shape and the information about it is
    below the smallest normal float; that counts as none, as an exact 0 does, instead of
    overflowing in the pseudo-inverse (warnings are errors in the tests)."""
    rng = np.random.default_rng(3)  # seeds 3, 5, 8 and 10 of 0-11 overflowed before
    falling = np.maximum(0, 400 - 12 * np.arange(48) + rng.normal(0, 5, 48)).round()
    ds = pd.date_range("2020-01-01", periods=48, freq="MS")
    series = pd.DataFrame({"unique_id": "app/users/all", "ds": ds, "y": falling})
    model = fc.models.get("logistic").fit(series)
    paths = model.sample(6, n=200, seed=1)
    assert np.isfinite(paths).all()
    assert np.isfinite(model.predict(6)["yhat"]).all()
