"""The competition model: recovery of switching rates on data from its documented equations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import forecast as fc
from forecast.errors import CapabilityError, ConfigError, DomainError, HistoryError, NotFittedError
from forecast.market.competition import CompetitionModel, competition_step

NAMES = ("tongyi_qianwen", "wenxin_yiyan", "kimi")
# The Kimi story: two incumbents, then an entrant that takes users from both, more from Wenxin.
TRUE_SWITCHING = np.array([[0.0, 0.0, 0.003], [0.0, 0.0, 0.008], [0.0, 0.0, 0.0]])
TRUE_M = 10e6


def kimi_market(seed: int = 0, sigma: float = 0.003, periods: int = 730) -> pd.DataFrame:
    """DAU of three products from the model's documented equations, independently of its code.

    Wenxin Yiyan starts on day 0 with 200k users, Tongyi Qianwen on day 90 and Kimi on day 240
    (50k each); Bass acquisition from one market of 10 million, churn 1% a day, Kimi takes
    0.3% a day of Tongyi's users and 0.8% of Wenxin's; lognormal process noise ``sigma``.
    """
    rng = np.random.default_rng(seed)
    p = np.array([0.002, 0.003, 0.001])
    q = np.array([0.10, 0.03, 0.15])
    d = np.array([0.01, 0.01, 0.01])
    launch = np.array([90, 0, 240])
    a = np.zeros(3)
    out = np.full((periods, 3), np.nan)
    for t in range(periods):
        a[launch == t] = np.where(launch[launch == t] == 0, 2e5, 5e4)
        live = (launch <= t).astype(float)
        out[t] = np.where(live > 0, a, np.nan)
        untapped = max(TRUE_M - a.sum(), 0.0)
        switched_in = (a @ TRUE_SWITCHING) * live
        switched_out = a * (TRUE_SWITCHING @ live)
        bracket = a + (p + q * a / TRUE_M) * untapped * live - d * a + switched_in - switched_out
        a = np.maximum(bracket, 0.0) * np.exp(sigma * rng.standard_normal(3) - sigma**2 / 2) * live
    ds = pd.date_range("2023-03-16", periods=periods, freq="D")
    frames = [
        pd.DataFrame({"unique_id": n, "ds": ds, "y": out[:, i]}).dropna()
        for i, n in enumerate(NAMES)
    ]
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def fitted() -> CompetitionModel:
    return CompetitionModel().fit(kimi_market(seed=0))


@pytest.mark.parametrize("seed", [0, 1])
def test_recovers_who_loses_to_whom(seed):
    model = CompetitionModel().fit(kimi_market(seed=seed))
    estimated = model.switching_.loc[list(NAMES), list(NAMES)].to_numpy()
    # Stated tolerance: every one of the six rates within 0.001 a day of the truth (measured
    # errors at most 0.0006 on seeds 0-3 and 0.0017 on seed 4, with 0.3% daily noise).
    np.testing.assert_allclose(estimated, TRUE_SWITCHING, atol=1e-3)
    flows_into_kimi = estimated[:2, 2]
    assert flows_into_kimi[1] > flows_into_kimi[0] > 0.0015  # Wenxin loses more to Kimi than Tongyi
    others = estimated.copy()
    others[:2, 2] = 0
    assert others.max() < flows_into_kimi.min()
    assert model.params_["m"] == pytest.approx(TRUE_M, rel=0.1)
    assert model.params_["sigma[kimi]"] == pytest.approx(0.003, rel=0.3)


def test_params_and_switching_frame(fitted):
    assert fitted.products_ == tuple(sorted(NAMES))
    assert set(fitted.switching_.index) == set(NAMES) and np.all(
        np.diag(fitted.switching_.to_numpy()) == 0
    )
    assert fitted.params_["s[wenxin_yiyan->kimi]"] == fitted.switching_.loc["wenxin_yiyan", "kimi"]
    assert all(v >= 0 for v in fitted.params_.values())


def test_sample_is_seeded_nonnegative_and_shaped(fitted):
    a = fitted.sample(10, 50, seed=3)
    assert a.shape == (3, 50, 10)
    assert np.all(a >= 0)
    np.testing.assert_array_equal(a, fitted.sample(10, 50, seed=3))
    assert not np.array_equal(a, fitted.sample(10, 50, seed=4))


def test_predict_frame_nests_and_continues_the_dates(fitted):
    out = fitted.predict(14, levels=(80, 95), n_samples=300)
    assert list(out.columns) == [
        "unique_id",
        "model",
        "ds",
        "yhat",
        "yhat_lo_80",
        "yhat_hi_80",
        "yhat_lo_95",
        "yhat_hi_95",
    ]
    assert len(out) == 3 * 14 and set(out["model"]) == {"competition"}
    assert out["ds"].min() == fitted.last_ds_ + pd.Timedelta(days=1)
    assert (out["yhat_lo_95"] <= out["yhat_lo_80"]).all() and (
        out["yhat_lo_80"] <= out["yhat"]
    ).all()
    assert (out["yhat"] <= out["yhat_hi_80"]).all() and (
        out["yhat_hi_80"] <= out["yhat_hi_95"]
    ).all()


def test_simulate_iterates_the_step(fitted):
    path = fitted.simulate(3)
    state = fitted.last_state_
    for t in range(3):
        state = competition_step(
            state, fitted.m_, fitted.p_, fitted.q_, fitted.d_, fitted.switching_matrix_
        )
        np.testing.assert_allclose(path[:, t], state)


@given(
    st.lists(st.floats(0, 1e6), min_size=3, max_size=3),
    st.lists(st.floats(0, 0.3), min_size=6, max_size=6),
)
@settings(max_examples=50, deadline=None)
def test_switching_alone_moves_users_without_creating_them(users, rates):
    switching = np.zeros((3, 3))
    switching[~np.eye(3, dtype=bool)] = rates
    zeros = np.zeros(3)
    after = competition_step(np.array(users), 1e7, zeros, zeros, zeros, switching)
    assert np.all(after >= 0)
    assert after.sum() == pytest.approx(sum(users), rel=1e-12, abs=1e-6)


def test_products_not_launched_neither_gain_nor_lose():
    switching = np.full((2, 2), 0.1) - np.diag([0.1, 0.1])
    after = competition_step(
        np.array([100.0, 0.0]),
        1e3,
        np.array([0.1, 0.1]),
        np.zeros(2),
        np.zeros(2),
        switching,
        launched=[True, False],
    )
    assert after[1] == 0.0 and after[0] == pytest.approx(100 + 0.1 * 900)


def test_not_in_the_one_series_registry_and_clone_is_unfitted(fitted):
    assert "competition" not in set(fc.models.available()["name"])
    fresh = fitted.clone()
    assert not fresh.is_fitted and fresh.m_range == fitted.m_range
    with pytest.raises(NotFittedError):
        fresh.sample(5)


def test_bad_input_raises():
    market = kimi_market(periods=300)
    with pytest.raises(HistoryError, match="at least two products"):
        CompetitionModel().fit(market[market["unique_id"] == "kimi"])
    with pytest.raises(CapabilityError, match="bounds"):
        CompetitionModel().fit(market.assign(qualifier=np.where(market.index == 5, ">=", "=")))
    with pytest.raises(HistoryError, match="lacks 1 date"):
        CompetitionModel().fit(market.drop(index=market.index[(market["unique_id"] == "kimi")][3]))
    with pytest.raises(DomainError, match="<= 0"):
        CompetitionModel().fit(market.assign(y=market["y"].where(market.index != 7, 0.0)))
    with pytest.raises(ConfigError):
        CompetitionModel(m_range=(0.5, 2.0))
