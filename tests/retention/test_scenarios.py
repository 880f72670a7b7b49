"""Tests of fc.scenario on fitted retention_feedback models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import forecast as fc
from forecast.datasets import simulate_market
from forecast.retention.dynamics import simulate_feedback
from forecast.retention.scenarios import parse_change


@pytest.fixture(scope="module")
def fitted() -> fc.models.BaseModel:
    data = simulate_market(n_products=1, periods=120, seed=4, seasonality=0.0, scale_effect=0.0)
    model = fc.models.get("retention_feedback", retention_family="sbg", n_draws=60)
    return model.fit(data.series[["unique_id", "ds", "y"]], retention=data.retention)


def _part(table: pd.DataFrame, name: str) -> pd.DataFrame:
    return table[table["model"] == name].reset_index(drop=True)


def test_frame_has_baseline_scenario_and_difference(fitted) -> None:
    table = fc.scenario(fitted, retention=+0.03, h=30, levels=(80, 95))
    assert list(table.columns) == fc.schema.forecast_columns((80, 95))
    assert list(table["model"].unique()) == ["baseline", "scenario", "difference"]
    baseline, changed, difference = (
        _part(table, n) for n in ("baseline", "scenario", "difference")
    )
    np.testing.assert_allclose(difference["yhat"], changed["yhat"] - baseline["yhat"])
    # the baseline is the mean of the model's own sample paths: near its forecast at the estimate
    np.testing.assert_allclose(baseline["yhat"], fitted.predict(30)["yhat"], rtol=0.03)
    for part in (baseline, changed, difference):
        assert (part["yhat_lo_95"] <= part["yhat_lo_80"]).all() and (
            part["yhat_lo_80"] <= part["yhat"]
        ).all()
        assert (part["yhat"] <= part["yhat_hi_80"]).all() and (
            part["yhat_hi_80"] <= part["yhat_hi_95"]
        ).all()


def test_better_retention_and_acquisition_raise_dau_and_a_negative_event_lowers_it(fitted) -> None:
    up = _part(fc.scenario(fitted, retention="x1.1", h=30), "difference")
    assert (up["yhat"].iloc[1:] > 0).all() and up["yhat"].iloc[-1] > up["yhat"].iloc[1]
    more = _part(fc.scenario(fitted, acquisition="x1.2", h=30), "difference")
    assert (more["yhat"] > 0).all() and (more["yhat_lo_95"].iloc[-5:] > 0).all()
    date = fitted.future_dates(30)[10]
    down = _part(fc.scenario(fitted, events=[(date, 0.5)], h=30), "difference")
    assert np.allclose(down["yhat"].iloc[:10], 0.0) and (down["yhat"].iloc[11:] < 0).all()


def test_retention_change_applies_to_new_cohorts_only(fitted) -> None:
    # The first forecast period's retained users come from cohorts acquired before the start,
    # so a retention change cannot move it; an oracle run of the dynamics agrees.
    table = _part(fc.scenario(fitted, retention=0.05, h=10), "difference")
    assert table["yhat"].iloc[0] == pytest.approx(0.0, abs=1e-6)
    params = fitted.params_
    n = len(fitted.grid_) + 10
    curve = fc.retention.FAMILIES["sbg"].survival(np.arange(n), fitted.theta_[3:5])
    changed = np.clip(curve + 0.05, 0, 1)
    changed[0] = 1.0
    oracle = simulate_feedback(
        params["p"], params["q"], params["m"], curve, n, survival_from=(len(fitted.grid_), changed)
    )
    unchanged = simulate_feedback(params["p"], params["q"], params["m"], curve, n)
    at_estimate = fitted.expected(oracle.dau[:, -10:], None, len(fitted.grid_))[0]
    base_at_estimate = fitted.expected(unchanged.dau[:, -10:], None, len(fitted.grid_))[0]
    # the scenario is the mean over the posterior draws and the noise: the oracle run at the
    # estimate lies inside its 80% band, and the mean effect is the oracle's within 5%
    full = fc.scenario(fitted, retention=0.05, h=10)
    scenario, difference = _part(full, "scenario"), _part(full, "difference")
    assert (scenario["yhat_lo_80"] < at_estimate).all() and (
        at_estimate < scenario["yhat_hi_80"]
    ).all()
    np.testing.assert_allclose(
        difference["yhat"].iloc[1:], (at_estimate - base_at_estimate)[1:], rtol=0.05
    )


def test_points_are_means_of_the_paths_inside_their_bands_and_edges_are_smooth(fitted) -> None:
    table = fc.scenario(fitted, acquisition="x1.3", h=30, levels=(80,))
    for name in ("baseline", "scenario", "difference"):
        part = _part(table, name)
        assert (part["yhat_lo_80"] < part["yhat"]).all() and (
            part["yhat"] < part["yhat_hi_80"]
        ).all()
    # the band of the difference grows with the acquired users, without day-to-day zig-zag
    width = _part(table, "difference").eval("yhat_hi_80 - yhat_lo_80").to_numpy()
    steps = np.diff(width)
    assert (steps[5:] > -0.02 * width[6:]).all()


def test_a_near_zero_effect_says_why(fitted) -> None:
    with pytest.warns(fc.errors.ForecastWarning, match="effect near zero") as caught:
        table = fc.scenario(fitted, retention=+0.0005, h=5)
    effect = table.attrs["effect"]
    accounting = fitted.accounting(5)
    new = accounting.loc[~accounting["is_forecast"], "new"].tail(30).mean()
    assert effect["new_per_period"] == pytest.approx(new)
    assert effect["relative_at_horizon"] < 0.01 and effect["reaches_one_percent"] is None
    message = str(caught[0].message)
    assert f"{new:,.0f} new users a period" in message and "stays below 1%" in message
    big = fc.scenario(fitted, acquisition="x1.5", h=10).attrs["effect"]
    assert big["reaches_one_percent"] == fitted.future_dates(10)[0]


def test_counterfactual_start_in_history_changes_the_whole_horizon(fitted) -> None:
    start = fitted.grid_[60]
    table = _part(fc.scenario(fitted, acquisition=1.5, start=start, h=5), "difference")
    assert (table["yhat"] > 0).all()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.03, ("add", 0.03)),
        ("+0.03", ("add", 0.03)),
        ("-0.02", ("add", -0.02)),
        ("x1.1", ("times", 1.1)),
        ("*2", ("times", 2.0)),
    ],
)
def test_parse_change(value: object, expected: tuple[str, float]) -> None:
    kind, amount = parse_change(value, "retention")
    assert kind == expected[0] and amount == pytest.approx(expected[1])


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({}, fc.ConfigError),
        ({"retention": "lots"}, fc.ConfigError),
        ({"acquisition": "x-2"}, fc.ConfigError),
        ({"acquisition": 1.2, "start": "2000-01-01"}, fc.ConfigError),
        ({"events": [("2024-05-01", 0)]}, fc.ConfigError),
    ],
    ids=["no_change", "unreadable", "negative", "before_launch", "zero_event"],
)
def test_bad_scenarios_raise(fitted, kwargs: dict, error: type[Exception]) -> None:
    with pytest.raises(error):
        fc.scenario(fitted, h=10, **kwargs)


def test_other_models_and_unfitted_models_are_refused(daily_series: pd.DataFrame) -> None:
    with pytest.raises(fc.CapabilityError):
        fc.scenario(fc.models.get("naive").fit(daily_series), retention=0.03, h=5)
    with pytest.raises(fc.NotFittedError):
        fc.scenario(fc.models.get("retention_feedback"), retention=0.03, h=5)
