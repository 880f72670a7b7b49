"""The search's exact ARMA likelihood (``forecast.models._arma_likelihood``) is SARIMAX's.

Its log-likelihood equals statsmodels' Kalman filter's (exact diffuse-free initialisation,
variance concentrated out) at any stationary and invertible coefficients, its parameter
transformation is SARIMAX's, and its estimates reach SARIMAX's optimum.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.tsa.statespace.sarimax import SARIMAX
from threadpoolctl import threadpool_limits

from forecast.models._arima_search import ArimaSpec, exact_fit
from forecast.models._arma_likelihood import ArmaLayout, concentrated_loglike, fit_arma
from forecast.models._statsmodels import quiet_estimation


@pytest.fixture(autouse=True, scope="module")
def single_blas_thread() -> Iterator[None]:
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _sarimax(w: np.ndarray, layout: ArmaLayout) -> SARIMAX:
    seasonal = (layout.P, 0, layout.Q, layout.m) if layout.P or layout.Q else (0, 0, 0, 0)
    return SARIMAX(
        w,
        order=(layout.p, 0, layout.q),
        seasonal_order=seasonal,
        trend="c" if layout.constant else "n",
        simple_differencing=True,
        concentrate_scale=True,
    )


orders = st.tuples(
    st.integers(0, 3),
    st.integers(0, 3),
    st.integers(0, 2),
    st.integers(0, 2),
    st.sampled_from([4, 7, 12]),
    st.booleans(),
)


@settings(max_examples=60, deadline=None)
@given(order=orders, seed=st.integers(0, 2**32 - 1), n=st.integers(30, 160))
def test_loglike_is_sarimax_at_any_admissible_coefficients(
    order: tuple[int, int, int, int, int, bool], seed: int, n: int
) -> None:
    rng = np.random.default_rng(seed)
    layout = ArmaLayout(*order)
    w = 3.0 + np.cumsum(rng.normal(size=n)) * 0.2 + rng.normal(size=n)
    free = rng.normal(scale=1.5, size=layout.k)
    model = _sarimax(w, layout)
    params = layout.constrain(free)
    assert np.allclose(params, model.transform_params(free))
    assert np.allclose(layout.unconstrain(params), model.untransform_params(params), atol=1e-7)
    loglike, sigma2 = concentrated_loglike(w, *layout.polynomials(params))
    with quiet_estimation():
        result = model.filter(params, cov_type="none")
    assert loglike == pytest.approx(result.llf, abs=1e-6, rel=1e-9)
    assert sigma2 == pytest.approx(result.scale, rel=1e-6)


def test_white_noise_is_the_plain_gaussian_likelihood() -> None:
    w = np.random.default_rng(1).normal(2.0, 3.0, 50)
    loglike, sigma2 = concentrated_loglike(w, 0.0, np.ones(1), np.ones(1))
    assert sigma2 == pytest.approx(np.mean(w**2))
    assert loglike == pytest.approx(-25 * (np.log(2 * np.pi * sigma2) + 1))


@pytest.mark.parametrize(
    "spec",
    [
        ArimaSpec(1, 1, 1, constant=True),
        ArimaSpec(2, 0, 2, constant=True),
        ArimaSpec(0, 1, 1, 0, 1, 1, 12),
        ArimaSpec(2, 0, 0, 1, 1, 1, 12, True),
        ArimaSpec(1, 1, 0, 2, 0, 0, 4),
    ],
    ids=lambda spec: spec.label,
)
def test_estimates_reach_the_sarimax_optimum(spec: ArimaSpec) -> None:
    rng = np.random.default_rng(7)
    t = np.arange(120)
    y = 50 + np.cumsum(rng.normal(0.3, 1.0, t.size)) + 4 * np.sin(2 * np.pi * t / 12)
    if spec.m == 4:
        y = y[::3]
    params, loglike, n_used, sigma2 = exact_fit(y, spec, 50)
    with quiet_estimation():
        model = SARIMAX(
            y,
            order=spec.order,
            seasonal_order=spec.seasonal_order,
            trend=spec.trend,
            simple_differencing=True,
            concentrate_scale=True,
        )
        reference = model.fit(disp=False, cov_type="none", maxiter=50)
    assert n_used == reference.nobs
    # The same optimiser from the same start on the same likelihood: the same optimum, to
    # the tolerance at which L-BFGS-B stops.
    assert loglike == pytest.approx(reference.llf, abs=1e-3)
    assert loglike >= reference.llf - 1e-3
    assert model.loglike(params) == pytest.approx(loglike, abs=1e-6)
    assert sigma2 == pytest.approx(model.filter(params, cov_type="none").scale, rel=1e-6)


def test_fit_recovers_a_simulated_arma() -> None:
    rng = np.random.default_rng(3)
    e = rng.normal(size=2000)
    w = np.zeros_like(e)
    for t in range(2, len(e)):
        w[t] = 0.6 * w[t - 1] - 0.2 * w[t - 2] + e[t] + 0.4 * e[t - 1]
    layout = ArmaLayout(2, 1, 0, 0, 0, False)
    params, _, sigma2 = fit_arma(w[100:], layout, np.zeros(3), 100)
    assert params == pytest.approx([0.6, -0.2, 0.4], abs=0.08)
    assert sigma2 == pytest.approx(1.0, rel=0.1)


def test_a_series_no_longer_than_its_differences_is_refused() -> None:
    # 12 monthly values and one seasonal difference leave nothing to fit: a ValueError, which
    # the search and the refits of calibration windows treat as a failed fit.
    y = np.random.default_rng(8).normal(size=12)
    with pytest.raises(ValueError, match="no observations are left after differencing"):
        exact_fit(y, ArimaSpec(0, 0, 0, 0, 1, 1, 12), 50, start_params=np.array([0.2]))
    with pytest.raises(ValueError, match="no observations"):
        concentrated_loglike(np.empty(0), 0.0, np.ones(1), np.ones(1))
