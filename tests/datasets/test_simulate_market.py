"""Tests of simulate_market: determinism, channels, truth, retention, errors, invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import forecast as fc
from forecast.datasets import simulate_market
from forecast.errors import ConfigError
from forecast.schema import CHANNEL, ENTITY, METRIC, QUALIFIER, SOURCE, series_report

DESCRIPTIVE = [ENTITY, METRIC, CHANNEL, QUALIFIER, SOURCE]


def _as_validated(series: pd.DataFrame) -> pd.DataFrame:
    """The simulator's descriptive columns are categorical; validate_series makes them objects."""
    return series.astype({column: object for column in DESCRIPTIVE})


@pytest.fixture(scope="module")
def market():
    """Two markets of three products, 120 days, channels, an event and switching (seed 0)."""
    return simulate_market(
        n_products=3,
        periods=120,
        seed=0,
        n_markets=2,
        channels=("web", "app", "mini_program"),
        events=[{"product": "product_b", "date": "2024-03-01", "factor": 3.0, "market": "m1"}],
        switching=0.2,
    )


def test_same_seed_gives_identical_frames(market):
    again = simulate_market(
        n_products=3,
        periods=120,
        seed=0,
        n_markets=2,
        channels=("web", "app", "mini_program"),
        events=[{"product": "product_b", "date": "2024-03-01", "factor": 3.0, "market": "m1"}],
        switching=0.2,
    )
    pd.testing.assert_frame_equal(again.series, market.series)
    pd.testing.assert_frame_equal(again.retention, market.retention)
    pd.testing.assert_frame_equal(again.truth.params, market.truth.params)
    other = simulate_market(n_products=3, periods=120, seed=1, n_markets=2)
    assert not np.allclose(other.truth.params["p"], market.truth.params["p"])


def test_frames_are_valid_as_returned(market):
    pd.testing.assert_frame_equal(fc.validate(market.series), _as_validated(market.series))
    pd.testing.assert_frame_equal(fc.validate(market.retention, kind="retention"), market.retention)
    names = market.series["unique_id"].unique().tolist()
    assert "m0/product_a/dau/all" in names and "m1/product_c/dau/mini_program" in names
    assert len(names) == 2 * 3 * 4
    report = series_report(market.series)
    assert set(report["frequency"]) == {"daily"} and report["n"].eq(120).all()


def test_channels_add_up_to_the_total(market):
    wide = market.series.pivot_table(
        index=["market", ENTITY, "ds"], columns=CHANNEL, values="y", observed=True
    )
    parts = wide[["app", "mini_program", "web"]]
    np.testing.assert_allclose(parts.sum(axis=1), wide["all"], rtol=1e-12)
    assert (parts.to_numpy() >= 0).all()
    assert set(market.truth.channels[CHANNEL]) == {"web", "app", "mini_program"}


def test_truth_holds_parameters_and_balanced_paths(market):
    params = market.truth.params
    assert len(params) == 6
    assert {
        "market",
        "product",
        "unique_id",
        "m",
        "p",
        "q",
        "alpha",
        "beta",
        "scale_effect",
        "seasonality",
        "noise",
    } <= set(params)
    paths = market.truth.paths
    assert paths.dau.shape == (2, 3, 120)
    previous = np.concatenate([np.zeros((2, 3, 1)), paths.dau[..., :-1]], axis=-1)
    np.testing.assert_allclose(paths.dau, previous + paths.new - paths.churned, rtol=0, atol=1e-6)
    assert paths.cumulative.sum(axis=1).max() <= 1e7
    np.testing.assert_allclose(
        paths.switched_in.sum(axis=1), paths.switched_out.sum(axis=1), atol=1e-6
    )
    assert paths.switched_in.max() > 0
    frame = market.truth.paths_frame()
    assert len(frame) == 6 * 120 and frame["unique_id"].iloc[0] == "m0/product_a/dau/all"
    truth_switching = market.truth.switching
    assert truth_switching.loc["product_a", "product_b"] == pytest.approx(0.1)


def test_observed_total_is_the_truth_without_noise_and_seasonality():
    data = simulate_market(
        n_products=2, periods=50, seed=3, noise=0.0, seasonality=0.0, p=[0.001, 0.002], q=0.05
    )
    totals = data.series[data.series[CHANNEL] == "all"]
    truth = data.truth.paths_frame()
    np.testing.assert_allclose(totals["y"].to_numpy(), truth["dau"].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(truth["dau_mean"], truth["dau"])
    assert data.truth.params["p"].tolist() == [0.001, 0.002]


def test_noise_is_mean_one_multiplicative():
    data = simulate_market(n_products=1, periods=730, seed=4, noise=0.1)
    ratio = data.series["y"].to_numpy() / data.truth.paths_frame()["dau_mean"].to_numpy()
    log_ratio = np.log(ratio)
    assert log_ratio.std() == pytest.approx(0.1, rel=0.1)
    assert ratio.mean() == pytest.approx(1.0, abs=0.015)


def test_weekly_seasonality_makes_weekends_quieter():
    data = simulate_market(n_products=1, periods=364, seed=5, noise=0.0, seasonality=0.3)
    truth = data.truth.paths_frame()
    factor = (truth["dau_mean"] / truth["dau"]).to_numpy()
    weekday = truth["ds"].dt.day_of_week.to_numpy()
    assert factor[weekday == 6].max() == pytest.approx(0.7) and factor[
        weekday == 1
    ].min() == pytest.approx(1.12)


def test_event_steps_up_acquisition_from_its_date(market):
    base = simulate_market(n_products=3, periods=120, seed=0, n_markets=2, switching=0.2)
    day = int((pd.Timestamp("2024-03-01") - pd.Timestamp("2024-01-01")).days)
    with_event, without = market.truth.paths.acquired, base.truth.paths.acquired
    np.testing.assert_allclose(with_event[1, :, :day], without[1, :, :day])
    assert with_event[1, 1, day] == pytest.approx(3 * without[1, 1, day])
    np.testing.assert_allclose(with_event[0], without[0])  # the event is in market m1 only
    assert market.truth.events.to_dict("records") == [
        {"market": "m1", "product": "product_b", "ds": pd.Timestamp("2024-03-01"), "factor": 3.0}
    ]


def test_retention_observations_follow_each_cohorts_curve():
    data = simulate_market(
        n_products=2,
        periods=200,
        seed=6,
        market_size=1e8,
        retention={"alpha": [0.6, 1.0], "beta": [2.0, 4.0]},
        scale_effect=[0.0, 2.0],
    )
    retention = data.retention
    assert set(retention["unique_id"]) == {"m0/product_a", "m0/product_b"}
    assert (retention["cohort_size"] >= 1).all()
    for _, cohort in retention.groupby(["unique_id", "cohort"]):
        assert cohort["retention"].is_monotonic_decreasing
    truth = data.truth
    starts = ((retention["cohort"] - truth.dates[0]).dt.days).to_numpy()
    product = (retention["unique_id"] == "m0/product_b").to_numpy().astype(int)
    curve = truth.survival.survival(np.arange(200))[0]  # (products, ages)
    base = curve[product, retention["age"].to_numpy()]
    uplift = truth.paths.retention_uplift[0, product, starts]
    expected = base + uplift * (1 - base)
    sd = np.sqrt(expected * (1 - expected) / retention["cohort_size"].to_numpy())
    assert np.all(np.abs(retention["retention"].to_numpy() - expected) <= 6 * sd + 1e-12)
    assert uplift[product == 1].max() > 0.01 and uplift[product == 0].max() == 0


def test_other_frequencies_and_no_retention():
    data = simulate_market(n_products=2, periods=24, freq="MS", seed=7, retention_ages=())
    assert data.retention is None
    assert set(series_report(data.series)["frequency"]) == {"monthly"}
    assert (data.truth.params["seasonality"] == 0).all()


def test_many_markets_are_named_in_order():
    data = simulate_market(n_products=2, periods=10, seed=8, n_markets=12, retention_ages=())
    ids = data.series["unique_id"].unique().tolist()
    assert ids[0] == "m00/product_a/dau/all" and ids[-1] == "m11/product_b/dau/all"
    assert ids == sorted(ids)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_products": 0}, "n_products must be a whole number >= 1"),
        ({"p": [0.1, 0.2]}, "one per product"),
        ({"q": -1.0}, "'q' must lie in"),
        ({"retention": {"alpha": 1.0}}, "'alpha' and 'beta'"),
        ({"events": [{"product": "product_z", "date": "2024-01-05", "factor": 2}]}, "product_z"),
        (
            {"events": [{"product": "product_a", "date": "2030-01-01", "factor": 2}]},
            "outside the simulated dates",
        ),
        (
            {"events": [{"product": "product_a", "date": 20240105, "factor": 2}]},
            "has date 20240105; give a date",
        ),
        (
            {"events": [{"product": "product_a", "date": "2024-01-05", "factor": "2"}]},
            "has factor '2'; give a number",
        ),
        (
            {"events": [{"product": "product_a", "date": "2024-01-05", "factor": -1.0}]},
            "must be >= 0",
        ),
        ({"switching": [[0, 1], [1, 0]]}, r"shape \(3, 3\)"),
        ({"switching": [[0.5, 0.2, 0], [0, 0, 0], [0, 0, 0]]}, "zero diagonal"),
        ({"channels": ("web",)}, "at least two distinct channel names"),
        ({"channels": {"web": 0.5, "app": 0.6}}, "add up to 1"),
        ({"freq": "MS", "seasonality": 0.1}, "weekly seasonality needs daily data"),
        ({"freq": "not-a-frequency"}, "do not make a date range"),
        ({"retention_ages": (0, 7)}, "retention_ages"),
    ],
)
def test_invalid_arguments_raise_config_error(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        simulate_market(**{"n_products": 3, "periods": 30, **kwargs})


@settings(max_examples=15, deadline=None)
@given(
    n_products=st.integers(1, 3),
    periods=st.integers(2, 60),
    seed=st.integers(0, 2**16),
    switching=st.floats(0.0, 1.0),
    noise=st.floats(0.0, 0.5),
    with_channels=st.booleans(),
)
def test_invariants_hold_for_any_configuration(
    n_products, periods, seed, switching, noise, with_channels
):
    data = simulate_market(
        n_products=n_products,
        periods=periods,
        seed=seed,
        switching=switching,
        noise=noise,
        channels=("web", "app") if with_channels else None,
        retention_ages=(1, 2, 7),
        cohort_every=3,
    )
    pd.testing.assert_frame_equal(fc.validate(data.series), _as_validated(data.series))
    assert (data.series["y"] >= 0).all()
    paths = data.truth.paths
    assert paths.cumulative.sum(axis=1).max() <= 1e7 * (1 + 1e-12)
    if with_channels:
        wide = data.series.pivot_table(
            index=[ENTITY, "ds"], columns=CHANNEL, values="y", observed=True
        )
        np.testing.assert_allclose(wide["app"] + wide["web"], wide["all"], rtol=1e-12)
    if data.retention is not None:
        fc.validate(data.retention, kind="retention")
