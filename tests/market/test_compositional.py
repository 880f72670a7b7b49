"""Log-ratio transforms of compositions: round trips, isometry, zeros handled explicitly."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from forecast.errors import ConfigError, DomainError
from forecast.market.compositional import (
    aitchison_distance,
    alr,
    alr_inverse,
    closure,
    clr,
    clr_inverse,
    ilr,
    ilr_basis,
    ilr_inverse,
    multiplicative_replacement,
)

positive_parts = st.integers(2, 6).flatmap(
    lambda d: arrays(
        np.float64, (3, d), elements=st.floats(1e-6, 1e6, allow_nan=False, allow_infinity=False)
    )
)


@given(positive_parts)
@settings(max_examples=60, deadline=None)
def test_closure_sums_to_one_and_keeps_ratios(x):
    c = closure(x)
    assert np.allclose(c.sum(axis=-1), 1.0, atol=1e-12)
    assert np.allclose(c[:, 0] / c[:, 1], x[:, 0] / x[:, 1], rtol=1e-9)


@given(positive_parts)
@settings(max_examples=60, deadline=None)
def test_alr_and_ilr_round_trip(x):
    c = closure(x)
    for reference in (0, -1):
        assert np.allclose(alr_inverse(alr(c, reference), reference), c, rtol=1e-8, atol=1e-14)
    assert np.allclose(ilr_inverse(ilr(c)), c, rtol=1e-8, atol=1e-14)
    assert np.allclose(clr_inverse(clr(c)), c, rtol=1e-8, atol=1e-14)
    assert np.allclose(ilr_inverse(ilr(c)).sum(axis=-1), 1.0, atol=1e-12)


@given(positive_parts)
@settings(max_examples=60, deadline=None)
def test_ilr_is_an_isometry(x):
    # Egozcue et al. (2003): the Aitchison distance is the Euclidean distance of ilr coordinates.
    a, b = closure(x[0]), closure(x[1])
    assert aitchison_distance(a, b) == pytest.approx(
        np.linalg.norm(ilr(a) - ilr(b)), rel=1e-9, abs=1e-9
    )


@given(arrays(np.float64, (50, 3), elements=st.floats(-20, 20)))
@settings(max_examples=40, deadline=None)
def test_inverse_transforms_give_compositions_for_any_coordinates(z):
    for shares in (alr_inverse(z[:, :2]), ilr_inverse(z[:, :2]), clr_inverse(z)):
        assert np.all(shares >= 0) and np.all(shares <= 1)
        assert np.allclose(shares.sum(axis=-1), 1.0, atol=1e-12)


def test_alr_by_hand():
    x = np.array([0.2, 0.3, 0.5])
    assert np.allclose(alr(x), [np.log(0.4), np.log(0.6)])
    assert np.allclose(alr(x, reference=0), [np.log(1.5), np.log(2.5)])


def test_ilr_basis_is_orthonormal_and_orthogonal_to_ones():
    v = ilr_basis(4)
    assert v.shape == (4, 3)
    assert np.allclose(v.T @ v, np.eye(3))
    assert np.allclose(v.sum(axis=0), 0.0)


def test_aitchison_distance_is_scale_invariant_and_zero_on_equal():
    a = np.array([1.0, 2.0, 7.0])
    assert aitchison_distance(a, 5 * a) == pytest.approx(0.0, abs=1e-12)
    assert aitchison_distance(a, [1.0, 1.0, 1.0]) > 0


def test_zeros_raise_with_advice():
    with pytest.raises(DomainError, match="multiplicative_replacement"):
        alr([0.0, 0.4, 0.6])
    with pytest.raises(DomainError):
        aitchison_distance([0.0, 1.0], [0.5, 0.5])


def test_multiplicative_replacement_keeps_ratios_and_sums_to_one():
    x = np.array([[0.0, 0.2, 0.8], [0.5, 0.5, 0.0]])
    r = multiplicative_replacement(x, delta=0.01)
    assert np.allclose(r.sum(axis=1), 1.0)
    assert r[0, 0] == 0.01 and r[1, 2] == 0.01
    assert r[0, 2] / r[0, 1] == pytest.approx(4.0)
    assert r[0, 1] == pytest.approx(0.2 * 0.99)


@pytest.mark.parametrize("delta", [0.0, 1.0, -0.1, "small"])
def test_bad_delta_raises(delta):
    with pytest.raises(ConfigError, match="delta"):
        multiplicative_replacement([0.0, 1.0], delta)


def test_closure_rejects_negative_and_empty_compositions():
    with pytest.raises(DomainError, match="negative"):
        closure([-1.0, 2.0])
    with pytest.raises(DomainError, match="all parts zero"):
        closure([[0.0, 0.0], [1.0, 1.0]])
    with pytest.raises(ConfigError):
        closure([1.0])
