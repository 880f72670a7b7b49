"""Tests of the feedback-model equations: accounting, bounds, and a slow loop-based oracle."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.errors import ConfigError
from forecast.retention.dynamics import (
    ExponentialMixture,
    simulate_competition,
    simulate_feedback,
    survival_curve,
)


def _reference(
    p,
    q,
    m,
    curves,
    periods,
    *,
    switching=None,
    multipliers=None,
    scale_effect=None,
    initial=None,
    later=None,
):
    """One market, plain loops over products and cohorts, straight from the module's equations.

    ``curves[j]`` is product j's survival array; ``later = (start, curves2)`` gives cohorts
    acquired from ``start`` on the curves ``curves2``; returns dau, new, churned, cumulative (k, T).
    """
    k = len(p)
    switching = np.zeros((k, k)) if switching is None else np.asarray(switching)
    multipliers = np.ones((k, periods)) if multipliers is None else np.asarray(multipliers)
    scale_effect = np.zeros(k) if scale_effect is None else np.asarray(scale_effect)
    initial = np.zeros(k) if initial is None else np.asarray(initial)
    cohorts = [[] for _ in range(k)]  # (period, size, uplift)
    dau = np.zeros((k, periods))
    new = np.zeros((k, periods))
    churned = np.zeros((k, periods))
    cumulative = np.zeros((k, periods))
    ever = float(sum(initial))
    for t in range(periods):
        drive = [dau[j, t - 1] if t else initial[j] for j in range(k)]
        retained = []
        for j in range(k):
            total = 0.0
            for c, size, u in cohorts[j]:
                s = later[1][j][t - c] if later is not None and c >= later[0] else curves[j][t - c]
                total += size * (s + u * (1 - s))
            retained.append(total)
        lost = [(dau[j, t - 1] if t else 0.0) - retained[j] for j in range(k)]
        demand = [(p[j] + q[j] * drive[j] / m) * (m - ever) * multipliers[j, t] for j in range(k)]
        factor = min(1.0, (m - ever) / sum(demand)) if sum(demand) > 0 else 1.0
        from_market = [d * factor for d in demand]
        ever += sum(from_market)
        for j in range(k):
            acquired = from_market[j] + (initial[j] if t == 0 else 0.0)
            switched_in = sum(switching[i, j] * lost[i] for i in range(k))
            new[j, t] = acquired + switched_in
            uplift = min(1.0, scale_effect[j] * drive[j] / m)
            cohorts[j].append((t, new[j, t], uplift))
            dau[j, t] = retained[j] + new[j, t]
            churned[j, t] = lost[j]
            cumulative[j, t] = (cumulative[j, t - 1] if t else 0.0) + acquired
    return dau, new, churned, cumulative


def test_survival_curves_start_at_one_and_match_closed_forms():
    ages = np.arange(6)
    assert survival_curve("exponential", ages, retention=0.5).tolist() == [
        1,
        0.5,
        0.25,
        0.125,
        0.0625,
        0.03125,
    ]
    power = survival_curve("power", ages, floor=0.2, exponent=1.0)
    assert power[0] == 1.0 and power[1] == pytest.approx(0.2 + 0.8 / 2)
    # sBG: S(1) = beta / (alpha + beta), S(2) = S(1) (beta + 1) / (alpha + beta + 1).
    sbg = survival_curve("sbg", ages, alpha=0.704, beta=1.182)
    assert sbg[1] == pytest.approx(1.182 / 1.886, rel=1e-12)
    assert sbg[2] == pytest.approx(sbg[1] * 2.182 / 2.886, rel=1e-12)


def test_survival_curve_rejects_bad_parameters():
    with pytest.raises(ConfigError, match="unknown survival curve kind"):
        survival_curve("weibull", [0, 1], alpha=1.0)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="takes the parameters"):
        survival_curve("sbg", [0, 1], alpha=1.0)
    with pytest.raises(ConfigError, match="fraction"):
        survival_curve("exponential", [0, 1], retention=1.5)


def test_sbg_mixture_is_exact_for_small_ages_and_close_beyond():
    mixture = ExponentialMixture.from_sbg(0.704, 1.182, n_components=12)
    ages = np.arange(24)
    exact = survival_curve("sbg", ages, alpha=0.704, beta=1.182)
    np.testing.assert_allclose(mixture.survival(ages), exact, rtol=1e-10)
    # Beyond 2K ages the error shrinks with more nodes: under 1e-3 over two years of days with 32.
    far = np.arange(24, 730)
    exact_far = survival_curve("sbg", far, alpha=0.704, beta=1.182)
    assert np.abs(mixture.survival(far) - exact_far).max() > 1e-3
    np.testing.assert_allclose(
        ExponentialMixture.from_sbg(0.704, 1.182, 32).survival(far), exact_far, atol=1e-3
    )


def test_floor_adds_a_component_that_never_churns():
    mixture = ExponentialMixture.from_exponential(0.5).with_floor(0.1)
    assert mixture.survival([0, 1, 200]).tolist() == pytest.approx([1.0, 0.1 + 0.9 * 0.5, 0.1])


def test_vectorised_equals_loop_reference_with_arrays():
    periods = 40
    rng = np.random.default_rng(3)
    p = np.array([0.02, 0.005, 0.01])
    q = np.array([0.4, 0.6, 0.2])
    curves = np.stack(
        [
            survival_curve("sbg", np.arange(periods), alpha=a, beta=b)
            for a, b in [(0.7, 1.2), (1.0, 3.0), (0.5, 0.8)]
        ]
    )
    switching = np.array([[0.0, 0.2, 0.1], [0.05, 0.0, 0.1], [0.3, 0.0, 0.0]])
    multipliers = rng.uniform(0.5, 1.5, size=(3, periods))
    effect = np.array([0.5, 0.0, 2.0])
    initial = np.array([100.0, 0.0, 50.0])
    paths = simulate_competition(
        p[None],
        q[None],
        1e4,
        curves[None],
        periods,
        switching=switching,
        multipliers=multipliers[None],
        scale_effect=effect[None],
        initial=initial[None],
    )
    dau, new, churned, cumulative = _reference(
        p,
        q,
        1e4,
        curves,
        periods,
        switching=switching,
        multipliers=multipliers,
        scale_effect=effect,
        initial=initial,
    )
    np.testing.assert_allclose(paths.dau[0], dau, rtol=1e-10)
    np.testing.assert_allclose(paths.new[0], new, rtol=1e-10)
    np.testing.assert_allclose(paths.churned[0], churned, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(paths.cumulative[0], cumulative, rtol=1e-10)


def test_cohorts_from_a_start_period_follow_another_curve():
    periods = 50
    before = np.stack([survival_curve("sbg", np.arange(periods), alpha=0.7, beta=1.2)] * 2)
    after = np.stack([survival_curve("sbg", np.arange(periods), alpha=0.5, beta=3.0)] * 2)
    kwargs = dict(switching=[[0, 0.1], [0.2, 0]], scale_effect=[[0.3, 0.0]])
    paths = simulate_competition(
        [[0.01, 0.004]],
        [[0.2, 0.4]],
        1e5,
        before[None],
        periods,
        survival_from=(20, after[None]),
        **kwargs,
    )
    dau, new, _, _ = _reference(
        [0.01, 0.004],
        [0.2, 0.4],
        1e5,
        before,
        periods,
        switching=np.array(kwargs["switching"]),
        scale_effect=[0.3, 0.0],
        later=(20, after),
    )
    np.testing.assert_allclose(paths.dau[0], dau, rtol=1e-10)
    np.testing.assert_allclose(paths.new[0], new, rtol=1e-10)
    unchanged = simulate_competition(
        [[0.01, 0.004]], [[0.2, 0.4]], 1e5, before[None], periods, **kwargs
    )
    np.testing.assert_allclose(paths.dau[..., :20], unchanged.dau[..., :20], rtol=1e-12)
    assert paths.dau[0, 0, -1] > unchanged.dau[0, 0, -1]  # the later curve keeps more users


def test_mixture_path_equals_array_path():
    periods = 60
    mixture = ExponentialMixture.from_sbg([0.7, 1.3], [1.2, 2.5], n_components=6).with_floor(
        [0.05, 0.0]
    )
    curves = mixture.survival(np.arange(periods))
    kwargs = dict(switching=[[0, 0.2], [0.1, 0]], scale_effect=[[0.4, 1.0]], initial=[[10.0, 0.0]])
    fast = simulate_competition([[0.01, 0.002]], [[0.3, 0.5]], 5e4, mixture, periods, **kwargs)
    slow = simulate_competition([[0.01, 0.002]], [[0.3, 0.5]], 5e4, curves, periods, **kwargs)
    for name in ("dau", "new", "retained", "churned", "cumulative", "switched_in", "switched_out"):
        np.testing.assert_allclose(
            getattr(fast, name), getattr(slow, name), rtol=1e-9, atol=1e-7, err_msg=name
        )


def test_feedback_matches_reference_for_single_products():
    periods = 30
    curve = survival_curve("power", np.arange(periods), floor=0.1, exponent=0.8)
    paths = simulate_feedback(
        [0.01, 0.03], [0.5, 0.1], [1e5, 2e3], curve, periods, scale_effect=[0.0, 0.7]
    )
    for i, (p, q, m, e) in enumerate([(0.01, 0.5, 1e5, 0.0), (0.03, 0.1, 2e3, 0.7)]):
        dau, new, _, _ = _reference([p], [q], m, [curve], periods, scale_effect=[e])
        np.testing.assert_allclose(paths.dau[i], dau[0], rtol=1e-10)
        np.testing.assert_allclose(paths.new[i], new[0], rtol=1e-10)
    assert paths.switched_in.shape == (2, periods) and not paths.switched_in.any()


def test_retention_rising_with_scale_raises_dau():
    curve = ExponentialMixture.from_sbg(0.7, 1.2)
    flat = simulate_feedback(0.001, 0.3, 1e6, curve, 200)
    rising = simulate_feedback(0.001, 0.3, 1e6, curve, 200, scale_effect=0.5)
    assert rising.dau[0, -1] > flat.dau[0, -1]
    assert np.all(rising.retention_uplift <= 1) and rising.retention_uplift.max() > 0


def test_events_step_up_acquisition():
    curve = ExponentialMixture.from_exponential(0.9)
    multipliers = np.ones(50)
    multipliers[20:] = 2.0
    base = simulate_feedback(0.001, 0.1, 1e7, curve, 50)
    event = simulate_feedback(0.001, 0.1, 1e7, curve, 50, multipliers=multipliers)
    np.testing.assert_allclose(event.dau[0, :20], base.dau[0, :20])
    assert event.new[0, 20] == pytest.approx(2 * base.new[0, 20])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(p=-0.1), "'p' must be finite"),
        (dict(m=0.0), "'m' must be > 0"),
        (dict(periods=0), "periods must be a positive"),
        (dict(survival=[0.9, 0.8, 0.7, 0.6]), "starts at 1"),
        (dict(survival=[1.0, 0.5, 0.7, 0.2]), "non-increasing"),
        (dict(survival=[1.0, 0.5]), "at least 4 ages"),
        (dict(switching=[[0.5, 0.2], [0.0, 0.0]]), "zero diagonal"),
        (dict(switching=[[0.0, 1.2], [0.0, 0.0]]), "at most 1"),
        (dict(initial=[[3e3, 3e3]]), "more than its potential"),
    ],
)
def test_invalid_arguments_raise_config_error(kwargs, message):
    args = dict(
        p=[[0.01, 0.02]], q=[[0.3, 0.3]], m=5e3, survival=[1.0, 0.5, 0.25, 0.125], periods=4
    )
    args.update(kwargs)
    with pytest.raises(ConfigError, match=message):
        simulate_competition(
            args.pop("p"),
            args.pop("q"),
            args.pop("m"),
            args.pop("survival"),
            args.pop("periods"),
            **args,
        )


@settings(max_examples=40, deadline=None)
@given(
    p=st.lists(st.floats(0.0, 0.2), min_size=1, max_size=3),
    q=st.floats(0.0, 3.0),
    m=st.floats(1.0, 1e9),
    alpha=st.floats(0.05, 5.0),
    beta=st.floats(0.05, 10.0),
    effect=st.floats(0.0, 5.0),
    switch=st.floats(0.0, 0.5),
    shock=st.floats(0.0, 20.0),
)
def test_accounting_balances_and_cumulative_stays_below_m(
    p, q, m, alpha, beta, effect, switch, shock
):
    k = len(p)
    switching = np.full((k, k), switch / max(k - 1, 1))
    np.fill_diagonal(switching, 0.0)
    multipliers = np.ones((k, 80))
    multipliers[:, 40:] = shock
    curve = ExponentialMixture.from_sbg(alpha, beta, n_components=8)
    paths = simulate_competition(
        np.array(p)[None],
        q,
        m,
        curve,
        80,
        switching=switching,
        multipliers=multipliers[None],
        scale_effect=effect,
    )
    previous = np.concatenate([np.zeros((1, k, 1)), paths.dau[..., :-1]], axis=-1)
    np.testing.assert_allclose(
        paths.dau, previous + paths.new - paths.churned, rtol=0, atol=1e-9 * m
    )
    np.testing.assert_allclose(
        paths.new, paths.acquired + paths.switched_in, rtol=1e-12, atol=1e-9 * m
    )
    assert paths.cumulative.sum(axis=1).max() <= m * (1 + 1e-12)
    assert paths.churned.min() >= -1e-9 * m
    assert paths.dau.min() >= -1e-9 * m
    assert paths.dau.sum(axis=1).max() <= m * (1 + 1e-9)
    # Switching moves users between products: the market loses only what is not switched.
    np.testing.assert_allclose(
        paths.switched_in.sum(axis=1), paths.switched_out.sum(axis=1), rtol=1e-9, atol=1e-9 * m
    )


@settings(max_examples=30, deadline=None)
@given(
    kind=st.sampled_from(["exponential", "power", "sbg"]),
    a=st.floats(0.01, 0.99),
    b=st.floats(0.05, 5.0),
)
def test_survival_curves_are_non_increasing_within_unit_interval(kind, a, b):
    params = {
        "exponential": {"retention": a},
        "power": {"floor": a, "exponent": b},
        "sbg": {"alpha": b, "beta": a * 10},
    }[kind]
    curve = survival_curve(kind, np.arange(400), **params)
    assert curve[0] == pytest.approx(1.0)
    assert np.all(np.diff(curve) <= 1e-15)
    assert np.all((curve >= 0) & (curve <= 1))
