"""Backtests never read an observed-only covariate after a cutoff (the poisoning test).

For each cutoff, the observed-only covariate's values after it are replaced by garbage; every
forecast of that window (and of the earlier ones) must stay exactly as it was. The same
poison in a covariate known in advance, or in the observed one without ``observed=``, does
change the forecasts, so the test can fail.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import forecast as fc
from forecast.engine.covariates import lag_observed
from forecast.errors import CovariateError
from tests.models.covariate_model import registered


@pytest.fixture
def regression():
    with registered() as cls:
        yield cls


H = 5


def _panel(n: int = 90, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2024-01-01", periods=n + H)
    frames, covs = [], []
    for uid in ("a", "b"):
        spend = rng.uniform(0, 10, n + H)
        plan = rng.uniform(0, 5, n + H)
        lagged = np.concatenate([np.full(H, spend[:H].mean()), spend[:-H]])
        y = 20 + 1.5 * lagged + 3.0 * plan + rng.normal(0, 0.2, n + H)
        frames.append(pd.DataFrame({"unique_id": uid, "ds": ds[H:n], "y": y[H:n]}))
        covs.append(pd.DataFrame({"unique_id": uid, "ds": ds, "spend": spend, "plan": plan}))
    return pd.concat(frames, ignore_index=True), pd.concat(covs, ignore_index=True)


def _backtest(df, cov, **kw) -> pd.DataFrame:
    return fc.backtest(df, "_test_regression", h=H, n_windows=4, covariates=cov, **kw)


def _poison(cov: pd.DataFrame, column: str, after: pd.Timestamp) -> pd.DataFrame:
    out = cov.copy()
    late = out["ds"] > after
    out.loc[late, column] = 1e6 * np.arange(1, int(late.sum()) + 1)
    return out


def test_observed_covariate_after_a_cutoff_changes_nothing(regression):
    df, cov = _panel()
    base = _backtest(df, cov, observed=["spend"])
    assert base["yhat"].notna().all() and len(base) == 2 * 4 * H
    for cutoff in sorted(base["cutoff"].unique()):
        poisoned = _backtest(df, _poison(cov, "spend", cutoff), observed=["spend"])
        upto = base["cutoff"] <= cutoff
        pd.testing.assert_frame_equal(
            poisoned.loc[upto].reset_index(drop=True), base.loc[upto].reset_index(drop=True)
        )


def test_the_poison_is_seen_where_values_are_read(regression):
    df, cov = _panel()
    first = sorted(_backtest(df, cov)["cutoff"].unique())[0]
    for column, observed in (("plan", ["spend"]), ("spend", [])):
        base = _backtest(df, cov, observed=observed)
        poisoned = _backtest(df, _poison(cov, column, first), observed=observed)
        assert not np.allclose(poisoned["yhat"], base["yhat"]), column


def test_lagged_covariate_is_named_and_recovers_the_effect(regression):
    df, cov = _panel()
    out = fc.forecast(df, "_test_regression", h=H, covariates=cov, observed=["spend"])
    assert len(out) == 2 * H
    model = fc.models.get("_test_regression").fit(
        df[df["unique_id"] == "a"],
        covariates=lag_observed(
            fc.validate_covariates(cov), fc.validate(df), ["spend"], H
        ).for_series("a"),
    )
    assert model.covariates_ == (f"spend_lag{H}", "plan")
    assert model.coef_[1:] == pytest.approx([1.5, 3.0], abs=0.05)


def test_lag_needs_values_before_the_series_starts(regression):
    df, cov = _panel()
    late = cov[cov["ds"] >= df["ds"].min()]
    with pytest.raises(CovariateError, match=f"spend_lag{H}.*{H} steps before"):
        _backtest(df, late, observed=["spend"])
