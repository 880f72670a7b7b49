"""Tests of retention curves: Fader and Hardie's (2007) numbers, recovery, errors, properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import forecast as fc
from forecast.retention.families import FAMILIES, get_family

# Fader and Hardie (2007), "How to project customer retention", Table 1: percentage of customers
# surviving at least t years, t = 1..7, for the "regular" and "high end" segments (1000
# customers each at t = 0). The paper's sBG maximum-likelihood estimates on years 1-7 are
# regular alpha = 0.704, beta = 1.182; high end alpha = 0.668, beta = 3.806.
REGULAR = [63.1, 46.8, 38.2, 32.6, 28.9, 26.2, 24.1]
HIGH_END = [86.9, 74.3, 65.3, 59.3, 55.1, 51.7, 49.1]


def _table(percent: list[float], size: float | None = 1000.0) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "cohort": "2000-01-01",
            "age": np.arange(1, len(percent) + 1),
            "retention": np.array(percent) / 100,
        }
    )
    return frame if size is None else frame.assign(cohort_size=size)


@pytest.mark.parametrize(
    ("percent", "alpha", "beta"),
    [(REGULAR, 0.704, 1.182), (HIGH_END, 0.668, 3.806)],
    ids=["regular", "high_end"],
)
def test_sbg_matches_fader_hardie_2007(percent: list[float], alpha: float, beta: float) -> None:
    curve = fc.retention.fit(_table(percent), family="sbg")
    assert curve.method == "mle"
    assert curve.params["alpha"] == pytest.approx(alpha, abs=0.005)
    assert curve.params["beta"] == pytest.approx(beta, abs=0.005)


def test_sbg_projects_the_held_out_years_like_the_paper() -> None:
    # Fader and Hardie (2007), Figure 3: the sBG fitted on years 1-7 tracks years 8-12 of the
    # regular segment within about one point (Table 1 gives 22.3, 20.7, 19.4, 18.3, 17.3).
    curve = fc.retention.fit(_table(REGULAR), family="sbg")
    projected = 100 * curve.retention(np.arange(8, 13))
    assert np.max(np.abs(projected - [22.3, 20.7, 19.4, 18.3, 17.3])) < 1.5


def test_cohorts_of_different_lengths_recover_known_parameters() -> None:
    family = get_family("sbg")
    z = family.to_z({"alpha": 1.3, "beta": 2.5})
    rows = []
    for i, length in enumerate([9, 7, 5, 3, 2]):
        ages = np.arange(1, length + 1)
        rows.append(
            pd.DataFrame(
                {
                    "cohort": pd.Timestamp("2024-01-01") + pd.DateOffset(months=i),
                    "age": ages,
                    "retention": family.survival(ages, z),
                    "cohort_size": 5000.0,
                }
            )
        )
    curve = fc.retention.fit(pd.concat(rows, ignore_index=True), family="sbg")
    assert curve.params["alpha"] == pytest.approx(1.3, rel=1e-3)
    assert curve.params["beta"] == pytest.approx(2.5, rel=1e-3)
    assert curve.n_obs == 26


def test_weibull_nests_sbg_with_c_near_one_on_sbg_data() -> None:
    family = get_family("sbg")
    ages = np.arange(1, 11)
    frame = pd.DataFrame(
        {
            "cohort": "2024-01-01",
            "age": ages,
            "retention": family.survival(ages, family.to_z({"alpha": 0.8, "beta": 1.5})),
            "cohort_size": 2000.0,
        }
    )
    curve = fc.retention.fit(frame, family="weibull")
    assert curve.params["c"] == pytest.approx(1.0, abs=0.02)


def test_rates_without_sizes_fit_by_least_squares() -> None:
    # Kimi's monthly retention, Dec 2023 - Feb 2024, reported as rates without cohort sizes: the
    # least-squares exponential curve passes through their mean at age 1.
    rates = [0.1848, 0.2225, 0.2336]
    frame = pd.DataFrame(
        {"cohort": ["2023-12-01", "2024-01-01", "2024-02-01"], "age": 1, "retention": rates}
    )
    curve = fc.retention.fit(frame, family="exponential")
    assert curve.method == "lsq"
    assert curve.retention([1])[0] == pytest.approx(np.mean(rates), abs=1e-6)
    band = curve.bands([1], levels=[95])
    assert (
        band["yhat_lo_95"].iloc[0] < min(rates) + 0.02
        and band["yhat_hi_95"].iloc[0] > max(rates) - 0.02
    )


def test_mle_ignores_the_scale_of_sizes_but_intervals_narrow_with_it() -> None:
    small = fc.retention.fit(_table(REGULAR, size=100.0), family="sbg")
    large = fc.retention.fit(_table(REGULAR, size=10_000.0), family="sbg")
    assert small.params["alpha"] == pytest.approx(large.params["alpha"], abs=1e-4)
    width = lambda c: float((c.bands([10])["yhat_hi_95"] - c.bands([10])["yhat_lo_95"]).iloc[0])  # noqa: E731
    assert width(large) < width(small) / 5


def test_compare_ranks_by_aic() -> None:
    table = fc.retention.compare(_table(HIGH_END))
    assert list(table["aic"]) == sorted(table["aic"])
    assert table["delta_aic"].iloc[0] == 0.0
    assert set(table["family"]) == set(FAMILIES)
    # a constant churn rate is far worse than heterogeneous churn on these data
    assert table.set_index("family").loc["exponential", "delta_aic"] > 50


def test_bands_nest_and_stay_in_unit_interval() -> None:
    curve = fc.retention.fit(_table(REGULAR), family="sbg")
    band = curve.bands(np.arange(0, 30), levels=(80, 95))
    assert (band["yhat_lo_95"] <= band["yhat_lo_80"]).all() and (
        band["yhat_lo_80"] <= band["yhat"]
    ).all()
    assert (band["yhat"] <= band["yhat_hi_80"]).all() and (
        band["yhat_hi_80"] <= band["yhat_hi_95"]
    ).all()
    assert band["yhat_lo_95"].min() >= 0 and band["yhat_hi_95"].max() <= 1
    assert band["yhat"].iloc[0] == 1.0


def test_retention_rate_of_sbg_rises_with_age() -> None:
    # Fader and Hardie (2007), equation 3: r(t) = (beta + t - 1) / (alpha + beta + t - 1).
    curve = fc.retention.fit(_table(REGULAR), family="sbg")
    a, b = curve.params["alpha"], curve.params["beta"]
    t = np.arange(1, 8)
    np.testing.assert_allclose(curve.retention_rate(t), (b + t - 1) / (a + b + t - 1), rtol=1e-9)
    np.testing.assert_allclose(curve.survival(t), curve.retention(t))


@pytest.mark.parametrize(
    ("frame", "kwargs", "error"),
    [
        (_table(REGULAR), {"family": "gamma"}, fc.ConfigError),
        (_table(REGULAR, None), {"family": "sbg", "method": "mle"}, fc.ConfigError),
        (_table(REGULAR[:1]), {"family": "sbg"}, fc.HistoryError),
        (_table([60.0, 70.0, 50.0]), {"family": "sbg"}, fc.DomainError),
        (_table([160.0, 50.0]), {"family": "sbg"}, fc.DomainError),
        (
            pd.concat(
                [_table(REGULAR).assign(unique_id="a"), _table(REGULAR).assign(unique_id="b")]
            ),
            {},
            fc.SchemaError,
        ),
        (
            pd.DataFrame({"cohort": ["2024-01-01"] * 2, "age": [0, 1], "retention": [0.9, 0.5]}),
            {"family": "exponential"},
            fc.DomainError,
        ),
    ],
    ids=[
        "family",
        "mle_without_sizes",
        "too_few_ages",
        "rising",
        "above_one",
        "two_products",
        "age0_not_one",
    ],
)
def test_bad_input_raises_our_errors(
    frame: pd.DataFrame, kwargs: dict, error: type[Exception]
) -> None:
    with pytest.raises(error):
        fc.retention.fit(frame, **kwargs)


@settings(max_examples=60, deadline=None)
@given(
    family=st.sampled_from(sorted(FAMILIES)),
    raw=st.lists(st.floats(-4.0, 4.0), min_size=3, max_size=3),
)
def test_curves_are_non_increasing_and_within_unit_interval(family: str, raw: list[float]) -> None:
    fam = get_family(family)
    z = np.asarray(raw[: fam.n_params])
    s = fam.survival(np.arange(0, 400), z)
    assert s[0] == pytest.approx(1.0)
    assert np.all(np.diff(s) <= 1e-12)
    assert np.all((s >= 0) & (s <= 1))


@pytest.mark.parametrize(
    ("segment", "alpha", "beta"), [("regular", 0.704, 1.182), ("high_end", 0.668, 3.806)]
)
def test_bundled_fader_hardie_dataset_gives_the_published_estimates(
    segment: str, alpha: float, beta: float
) -> None:
    frame = fc.datasets.load("retention-fader-hardie-2007").retention
    years_0_to_7 = frame[(frame["unique_id"] == segment) & (frame["age"] <= 7)]
    curve = fc.retention.fit(years_0_to_7, family="sbg")
    assert curve.params["alpha"] == pytest.approx(alpha, abs=0.005)
    assert curve.params["beta"] == pytest.approx(beta, abs=0.005)
