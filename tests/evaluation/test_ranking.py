"""Ranking with the Diebold-Mariano test (Harvey-Leybourne-Newbold correction)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import forecast as fc
from forecast.errors import ConfigError, SchemaError
from forecast.evaluation.ranking import diebold_mariano


def _series(n: int = 120, seed: int = 0) -> pd.DataFrame:
    """Weekly-seasonal daily series with noise (seeded)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = 100 + 8 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 1, n)
    return pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2024-01-01", periods=n), "y": y})


def test_one_step_dm_equals_the_paired_t_test():
    # With lag 0 the HLN factor sqrt((T - 1) / T) turns DM into the paired t statistic.
    rng = np.random.default_rng(3)
    a, b = rng.normal(1.0, 1.0, 25), rng.normal(0.6, 1.0, 25)
    statistic, p_value = diebold_mariano(a - b)
    reference = stats.ttest_rel(a, b)
    assert statistic == pytest.approx(reference.statistic)
    assert p_value == pytest.approx(reference.pvalue)


def test_dm_with_lags_matches_the_textbook_formula():
    # DM = mean(d) / sqrt((g0 + 2 sum_k g_k) / T), times sqrt((T + 1 - 2h + h(h - 1)/T) / T),
    # h = lag + 1.
    d = np.array([0.5, 1.2, -0.3, 0.8, 0.1, 1.5, 0.9, -0.2, 0.4, 0.7])
    t, h = len(d), 3
    c = d - d.mean()
    gammas = [np.sum(c[k:] * c[: t - k]) / t for k in range(h)]
    dm = d.mean() / math.sqrt((gammas[0] + 2 * sum(gammas[1:])) / t)
    dm *= math.sqrt((t + 1 - 2 * h + h * (h - 1) / t) / t)
    statistic, p_value = diebold_mariano(d, lag=h - 1)
    assert statistic == pytest.approx(dm)
    assert p_value == pytest.approx(2 * stats.t.sf(abs(dm), t - 1))
    one_sided = diebold_mariano(d, lag=h - 1, alternative="greater")[1]
    assert one_sided == pytest.approx(p_value / 2)


def test_autocovariances_do_not_cross_series():
    d = np.array([1.0, 2.0, 0.5, 3.0, -1.0, 0.0])
    together = diebold_mariano(d, groups=np.zeros(6), lag=1)[0]
    apart = diebold_mariano(d, groups=np.array([0, 0, 0, 1, 1, 1]), lag=1)[0]
    assert together != pytest.approx(apart)


def test_ranking_puts_the_seasonal_model_first_with_a_small_p_value():
    bt = fc.backtest(_series(), ["naive", "seasonal_naive", "mean"], h=7, n_windows=8)
    table = fc.rank_models(bt, metric="mase")
    assert list(table.columns) == [
        "rank",
        "model",
        "mase",
        "n",
        "n_windows",
        "dm_statistic",
        "p_value",
        "note",
    ]
    assert table["model"].iloc[0] == "seasonal_naive" and table["rank"].tolist() == [1, 2, 3]
    assert np.isnan(table["p_value"].iloc[0])
    assert (table["p_value"].iloc[1:] < 0.01).all() and (table["dm_statistic"].iloc[1:] > 0).all()
    assert (table["n_windows"] == 8).all() and table.attrs["windows"] == 8
    by_model = fc.evaluate(bt, by=("model",)).set_index("model")["mase"]
    assert table.set_index("model")["mase"].to_dict() == pytest.approx(by_model.to_dict())


def test_a_metrics_frame_ranks_without_p_values():
    bt = fc.backtest(_series(), ["naive", "seasonal_naive"], h=7, n_windows=3)
    table = fc.rank_models(fc.evaluate(bt), metric="smape")
    assert table["model"].tolist() == ["seasonal_naive", "naive"]
    assert table["p_value"].isna().all() and "backtest frame" in table["note"].iloc[1]


def test_interval_scores_rank_too():
    bt = fc.backtest(_series(), ["naive", "seasonal_naive"], h=7, n_windows=4, levels=(80,))
    assert fc.rank_models(bt, metric="interval_score_80")["model"].iloc[0] == "seasonal_naive"


def test_bad_metric_and_frame_raise():
    bt = fc.backtest(_series(), ["naive"], h=7, n_windows=2)
    with pytest.raises(ConfigError, match="cannot rank"):
        fc.rank_models(bt, metric="coverage_80")
    with pytest.raises(SchemaError):
        fc.rank_models(pd.DataFrame({"x": [1]}))
