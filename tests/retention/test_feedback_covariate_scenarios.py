"""retention_feedback fitted with covariates: accounting and scenarios past the history.

The future covariate values come from the frame the model was fitted with (or from the
caller); retention, acquisition and event scenarios combine with covariate scenarios.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import forecast as fc
from forecast.datasets import simulate_market
from forecast.errors import CapabilityError, CovariateError

N, H = 70, 8


@pytest.fixture(scope="module")
def fitted() -> tuple[fc.models.BaseModel, pd.DataFrame]:
    data = simulate_market(
        n_products=1,
        periods=N + H,
        freq="W-MON",
        seed=4,
        retention_ages=(),
        campaign={"multiplier": 1.5, "windows": 4, "length": 2},
    )
    assert data.covariates is not None
    covariates = data.covariates[["ds", "campaign"]].reset_index(drop=True)
    # one campaign week in the horizon, the rest without, so a scenario can switch it on
    covariates.loc[N:, "campaign"] = 0.0
    covariates.loc[N + 2, "campaign"] = 1.0
    model = fc.models.get("retention_feedback", retention_family="sbg", n_draws=40)
    return model.fit(data.series.iloc[:N], covariates=covariates), covariates


def _part(table: pd.DataFrame, name: str) -> pd.DataFrame:
    return table[table["model"] == name].reset_index(drop=True)


def test_accounting_uses_the_fits_future_covariates(fitted) -> None:
    model, covariates = fitted
    table = model.accounting(H)
    given = model.accounting(H, covariates=covariates)
    pd.testing.assert_frame_equal(table, given)
    dau, new, churned = (table[c].to_numpy() for c in ("dau", "new", "churned"))
    assert np.allclose(np.diff(dau), new[1:] - churned[1:])
    # a campaign in the first forecast week multiplies that week's new users by exp(beta):
    # the state before it is the same
    on = covariates.assign(campaign=np.where(covariates.index == N, 1.0, covariates["campaign"]))
    ratio = model.accounting(H, covariates=on)["new"].iloc[N] / table["new"].iloc[N]
    assert ratio == pytest.approx(np.exp(model.params_["beta_campaign"]), rel=1e-9)


def test_accounting_past_the_known_covariates_is_refused(fitted) -> None:
    model, covariates = fitted
    with pytest.raises(CovariateError, match="campaign"):
        model.accounting(H + 1)
    with pytest.raises(CovariateError, match="campaign"):
        model.accounting(H, covariates=covariates.iloc[: N + 3])


@pytest.mark.parametrize(
    "change", [{"retention": 0.05}, {"acquisition": "x1.3"}, {"events": [("2024-01-01", 1.2)]}]
)
def test_cohort_scenarios_run_with_the_fits_covariates(fitted, change) -> None:
    model, covariates = fitted
    if "events" in change:  # an event at the third forecast week
        change = {"events": [(model.future_dates(H)[2], 1.2)]}
    table = fc.scenario(model, h=H, levels=(80,), **change)
    explicit = fc.scenario(model, h=H, levels=(80,), baseline=covariates, **change)
    pd.testing.assert_frame_equal(table, explicit)
    baseline = _part(table, "baseline")["yhat"].to_numpy()
    assert np.allclose(baseline, model.predict(H, covariates=covariates)["yhat"], rtol=0.05)
    assert np.all(_part(table, "difference")["yhat"].to_numpy()[3:] > 0)


def test_covariate_and_acquisition_changes_combine(fitted) -> None:
    model, covariates = fitted
    switched = covariates.assign(campaign=np.where(covariates.index >= N, 1.0, 0.0))
    switched.loc[: N - 1, "campaign"] = covariates["campaign"].iloc[:N]
    combined = fc.scenario(
        model, h=H, acquisition="x1.3", covariates={"campaign": 1.0}, levels=(80,)
    )
    # the same scenario as an acquisition change on top of the switched-on covariates
    on_top = fc.scenario(model, h=H, acquisition="x1.3", baseline=switched, levels=(80,))
    plain = fc.scenario(model, h=H, acquisition="x1.3", levels=(80,))
    pd.testing.assert_frame_equal(_part(combined, "scenario"), _part(on_top, "scenario"))
    pd.testing.assert_frame_equal(_part(combined, "baseline"), _part(plain, "baseline"))
    assert "campaign 1.0" in combined.attrs["change"]
    assert "acquisition x1.3" in combined.attrs["change"]


def test_a_covariate_scenario_moves_the_forecast_by_the_effects_sign(fitted) -> None:
    model, covariates = fitted
    table = fc.scenario(model, h=H, covariates={"campaign": 1.0}, levels=(80,))
    difference = _part(table, "difference")["yhat"].to_numpy()
    sign = np.sign(model.params_["beta_campaign"])
    assert sign != 0 and np.all(np.sign(difference[:2]) == sign)


def test_a_saved_model_needs_the_covariates_given(fitted, tmp_path) -> None:
    model, covariates = fitted
    loaded = fc.models.load(model.save(tmp_path / "feedback.zip"))
    with pytest.raises(CovariateError, match="pass covariates="):
        loaded.accounting(H)
    pd.testing.assert_frame_equal(loaded.accounting(H, covariates=covariates), model.accounting(H))


def test_a_baseline_for_a_model_without_covariates_is_refused() -> None:
    data = simulate_market(n_products=1, periods=60, freq="W-MON", seed=2, retention_ages=())
    model = fc.models.get("retention_feedback", retention_family="sbg", n_draws=20)
    model.fit(data.series)
    future = pd.DataFrame({"ds": model.future_dates(4), "campaign": 1.0})
    with pytest.raises(CapabilityError, match="without covariates"):
        fc.scenario(model, h=4, acquisition="x1.2", baseline=future)
    with pytest.raises(CapabilityError, match="without covariates"):
        fc.scenario(model, h=4, covariates={"campaign": 1.0}, baseline=future)
