"""Tests of the cohort kernels: the mixture recursion equals the convolution with its curve."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.errors import ConfigError
from forecast.retention import dynamics
from forecast.retention.survival import (
    ArrayKernel,
    ExponentialMixture,
    MixtureKernel,
    checked_survival,
    kernel,
    survival_curve,
    survival_input,
)


def test_dynamics_keeps_exporting_the_survival_names() -> None:
    assert dynamics.ExponentialMixture is ExponentialMixture
    assert dynamics.survival_curve is survival_curve


@settings(max_examples=30, deadline=None)
@given(
    alpha=st.floats(0.2, 3.0),
    beta=st.floats(0.5, 8.0),
    floor=st.floats(0.0, 0.5),
    periods=st.integers(1, 40),
    seed=st.integers(0, 2**16),
)
def test_mixture_recursion_equals_the_convolution_with_its_curve(
    alpha: float, beta: float, floor: float, periods: int, seed: int
) -> None:
    mixture = ExponentialMixture.from_sbg(alpha, beta, n_components=6).with_floor(floor)
    curve = checked_survival(mixture.survival(np.arange(periods)), periods)
    shape = (2, 3)
    slow = kernel(curve, shape, periods)
    fast = kernel(mixture, shape, periods)
    assert isinstance(slow, ArrayKernel) and isinstance(fast, MixtureKernel)
    cohorts = np.random.default_rng(seed).uniform(0.0, 100.0, size=(periods,) + shape)
    for t in range(periods):
        np.testing.assert_allclose(fast.carry(t), slow.carry(t), rtol=1e-9, atol=1e-9)
        expected = sum(cohorts[c] * curve[t - c] for c in range(t)) if t else np.zeros(shape)
        np.testing.assert_allclose(slow.carry(t), expected, rtol=1e-9, atol=1e-9)
        slow.push(t, cohorts[t])
        fast.push(t, cohorts[t])


def test_survival_input_passes_a_mixture_and_checks_an_array() -> None:
    mixture = ExponentialMixture.from_exponential(0.9)
    assert survival_input(mixture, 5) is mixture
    np.testing.assert_allclose(survival_input(0.9 ** np.arange(8), 5), 0.9 ** np.arange(5))


@pytest.mark.parametrize(
    ("curve", "message"),
    [
        (np.array([1.0, 0.5]), "at least 3 ages"),
        (np.array([0.9, 0.5, 0.2]), "starts at 1"),
        (np.array([1.0, 0.5, 0.6]), "non-increasing"),
        (np.array([1.0, 1.5, 0.6]), r"fractions in \[0, 1\]"),
    ],
)
def test_checked_survival_refuses_curves_that_are_not_survival(
    curve: np.ndarray, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        checked_survival(curve, 3)
