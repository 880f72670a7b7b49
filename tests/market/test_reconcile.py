"""fc.reconcile: coherence, equality with Nixtla's hierarchicalforecast, hand-derived intervals."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import forecast as fc
from forecast.errors import ConfigError, DataError, SchemaError
from forecast.market.reconcile import make_hierarchy, projection_matrix, shrunk_covariance

HIERARCHY = {
    "market": ["kimi", "wenxin"],
    "kimi": ["kimi_web", "kimi_app", "kimi_mini"],
    "wenxin": ["wenxin_web", "wenxin_app"],
}
LEVELS = (80, 95)


def base_forecasts(hierarchy=HIERARCHY, h=5, seed=0, model="ets"):
    """Incoherent base forecasts of every series with normal intervals (seeded)."""
    rng = np.random.default_rng(seed)
    structure = make_hierarchy(hierarchy)
    frames = []
    for node in structure.nodes:
        scale = structure.summing[structure.nodes.index(node)].sum()
        mu = rng.uniform(50, 150, h) * scale
        sd = rng.uniform(5, 15, h)
        frame = {
            "unique_id": node,
            "model": model,
            "ds": pd.date_range("2024-04-01", periods=h),
            "yhat": mu,
        }
        for level in LEVELS:
            z = stats.norm.ppf(0.5 + level / 200)
            frame[f"yhat_lo_{level}"] = mu - z * sd
            frame[f"yhat_hi_{level}"] = mu + z * sd
        frames.append(pd.DataFrame(frame))
    return pd.concat(frames, ignore_index=True)


def in_sample(hierarchy=HIERARCHY, n=40, seed=1):
    """In-sample y and fitted yhat of every series (residuals correlated across series)."""
    rng = np.random.default_rng(seed)
    structure = make_hierarchy(hierarchy)
    common = rng.normal(0, 5, n)
    frames = []
    for node in structure.nodes:
        y = rng.uniform(50, 150, n)
        frames.append(
            pd.DataFrame(
                {
                    "unique_id": node,
                    "ds": pd.date_range("2024-01-01", periods=n),
                    "y": y,
                    "yhat": y + common + rng.normal(0, 10, n),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def assert_coherent(frame, hierarchy, column="yhat", tol=1e-9):
    wide = frame.pivot(index="ds", columns="unique_id", values=column)
    for parent, parts in hierarchy.items():
        gap = (wide[parent] - wide[list(parts)].sum(axis=1)).abs()
        assert (gap <= tol * np.maximum(1.0, wide[parent].abs())).all(), (parent, gap.max())


@pytest.mark.parametrize("method", ["bottom_up", "top_down", "ols", "wls_struct", "mint_shrink"])
def test_reconciled_forecasts_are_coherent_and_intervals_nest(method):
    out = fc.reconcile(base_forecasts(), HIERARCHY, method, residuals=in_sample())
    assert set(out["model"]) == {f"ets/{method}"}
    assert list(out.columns) == list(base_forecasts().columns)
    assert_coherent(out, HIERARCHY)
    assert (out["yhat_lo_95"] <= out["yhat_lo_80"]).all() and (
        out["yhat_lo_80"] <= out["yhat"]
    ).all()
    assert (out["yhat"] <= out["yhat_hi_80"]).all() and (
        out["yhat_hi_80"] <= out["yhat_hi_95"]
    ).all()


@given(
    st.integers(2, 4),
    st.integers(1, 3),
    st.integers(0, 10_000),
    st.sampled_from(["bottom_up", "top_down", "ols", "wls_struct"]),
)
@settings(max_examples=25, deadline=None)
@pytest.mark.slow
def test_coherent_to_1e9_on_any_tree(n_products, n_channels, seed, method):
    hierarchy = {"market": [f"p{i}" for i in range(n_products)]}
    for i in range(n_products):
        hierarchy[f"p{i}"] = [f"p{i}_c{j}" for j in range(n_channels)]
    out = fc.reconcile(base_forecasts(hierarchy, h=3, seed=seed), hierarchy, method)
    assert_coherent(out, hierarchy)


# ------------------------------------------------------------------------ hierarchicalforecast
def _to_nixtla(frame):
    renamed = frame.drop(columns="model").rename(columns={"yhat": "ets"})
    for level in LEVELS:
        renamed = renamed.rename(
            columns={f"yhat_lo_{level}": f"ets-lo-{level}", f"yhat_hi_{level}": f"ets-hi-{level}"}
        )
    return renamed


def _nixtla_inputs():
    structure = make_hierarchy(HIERARCHY)
    s_df = pd.DataFrame(structure.summing, columns=list(structure.bottom))
    s_df.insert(0, "unique_id", list(structure.nodes))
    tags = {
        "market": np.array(["market"]),
        "product": np.array(["kimi", "wenxin"]),
        "channel": np.array(list(structure.bottom)),
    }
    return s_df, tags


NIXTLA_NAMES = {
    "bottom_up": "ets/BottomUp",
    "ols": "ets/MinTrace_method-ols",
    "wls_struct": "ets/MinTrace_method-wls_struct",
    "mint_shrink": "ets/MinTrace_method-mint_shrink",
}


@pytest.mark.slow
def test_equals_hierarchicalforecast_points_and_normal_intervals():
    hf_core = pytest.importorskip("hierarchicalforecast.core")
    hf_methods = pytest.importorskip("hierarchicalforecast.methods")
    base, residuals = base_forecasts(), in_sample()
    s_df, tags = _nixtla_inputs()
    reconcilers = [
        hf_methods.BottomUp(),
        hf_methods.MinTrace("ols"),
        hf_methods.MinTrace("wls_struct"),
        hf_methods.MinTrace("mint_shrink"),
    ]
    with warnings.catch_warnings():  # the library's own warnings are not ours to act on
        warnings.simplefilter("ignore")
        theirs = hf_core.HierarchicalReconciliation(reconcilers).reconcile(
            Y_hat_df=_to_nixtla(base),
            Y_df=residuals.rename(columns={"yhat": "ets"}),
            S_df=s_df,
            tags=tags,
            level=list(LEVELS),
        )
    for method, name in NIXTLA_NAMES.items():
        # The library computes the shrinkage intensity in compiled code whose rounding differs
        # from numpy's at about 1e-8 relative; every other method agrees to rounding.
        rtol = 1e-7 if method == "mint_shrink" else 1e-10
        ours = fc.reconcile(base, HIERARCHY, method, residuals=residuals).merge(
            theirs, on=["unique_id", "ds"]
        )
        assert len(ours) == len(base)
        np.testing.assert_allclose(ours["yhat"], ours[name], rtol=rtol)
        for level in LEVELS:
            np.testing.assert_allclose(
                ours[f"yhat_lo_{level}"], ours[f"{name}-lo-{level}"], rtol=rtol
            )
            np.testing.assert_allclose(
                ours[f"yhat_hi_{level}"], ours[f"{name}-hi-{level}"], rtol=rtol
            )


def test_top_down_equals_hierarchicalforecast_forecast_proportions():
    hf_core = pytest.importorskip("hierarchicalforecast.core")
    hf_methods = pytest.importorskip("hierarchicalforecast.methods")
    base = base_forecasts()
    s_df, tags = _nixtla_inputs()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = hf_core.HierarchicalReconciliation(
            [hf_methods.TopDown("forecast_proportions")]
        ).reconcile(Y_hat_df=_to_nixtla(base)[["unique_id", "ds", "ets"]], S_df=s_df, tags=tags)
    ours = fc.reconcile(base, HIERARCHY, "top_down").merge(theirs, on=["unique_id", "ds"])
    np.testing.assert_allclose(
        ours["yhat"], ours["ets/TopDown_method-forecast_proportions"], rtol=1e-12
    )


def test_shrunk_covariance_equals_hierarchicalforecast():
    utils = pytest.importorskip("hierarchicalforecast.utils")
    rng = np.random.default_rng(3)
    residuals = rng.normal(size=(5, 30))
    residuals[1] += residuals[0]
    theirs = utils._shrunk_covariance_schaferstrimmer_no_nans(residuals, 2e-8)
    np.testing.assert_allclose(shrunk_covariance(residuals), theirs, rtol=1e-7, atol=1e-12)


# ----------------------------------------------------------------------------- by hand
def test_top_down_intervals_are_the_top_intervals_times_the_proportions():
    base = base_forecasts(h=2)
    out = fc.reconcile(base, HIERARCHY, "top_down").set_index(["unique_id", "ds"])
    b = base.set_index(["unique_id", "ds"])
    day = pd.Timestamp("2024-04-01")
    kimi_share = b.loc[("kimi", day), "yhat"] / (
        b.loc[("kimi", day), "yhat"] + b.loc[("wenxin", day), "yhat"]
    )
    kimi_parts = sum(b.loc[(c, day), "yhat"] for c in HIERARCHY["kimi"])
    web = kimi_share * b.loc[("kimi_web", day), "yhat"] / kimi_parts
    assert out.loc[("kimi_web", day), "yhat"] == pytest.approx(web * b.loc[("market", day), "yhat"])
    assert out.loc[("kimi_web", day), "yhat_lo_80"] == pytest.approx(
        web * b.loc[("market", day), "yhat_lo_80"]
    )
    assert out.loc[("market", day), "yhat_hi_95"] == pytest.approx(
        b.loc[("market", day), "yhat_hi_95"]
    )


def test_ols_projection_by_hand():
    # S = [[1, 1], [1, 0], [0, 1]]; P = (S'S)^-1 S' = [[1, 2, -1], [1, -1, 2]] / 3
    p = projection_matrix({"total": ["a", "b"]}, "ols")
    np.testing.assert_allclose(p, np.array([[1, 2, -1], [1, -1, 2]]) / 3)


def test_bottom_up_intervals_of_an_aggregate_add_variances():
    base = base_forecasts({"total": ["a", "b"]}, h=1)
    out = fc.reconcile(base, {"total": ["a", "b"]}, "bottom_up").set_index("unique_id")
    b = base.set_index("unique_id")
    z = stats.norm.ppf(0.9)
    sd = [(b.loc[n, "yhat_hi_80"] - b.loc[n, "yhat_lo_80"]) / (2 * z) for n in ("a", "b")]
    expected = b.loc["a", "yhat"] + b.loc["b", "yhat"] - z * np.hypot(*sd)
    assert out.loc["total", "yhat_lo_80"] == pytest.approx(expected)


def test_residuals_from_a_backtest_frame_keyed_by_cutoff():
    residuals = in_sample(n=30)
    halves = residuals.assign(
        cutoff=np.where(residuals["ds"] < "2024-01-16", "2024-01-01", "2024-01-15")
    )
    halves["cutoff"] = pd.to_datetime(halves["cutoff"])
    halves["model"] = "ets"
    a = fc.reconcile(base_forecasts(), HIERARCHY, "mint_shrink", residuals=halves)
    b = fc.reconcile(base_forecasts(), HIERARCHY, "mint_shrink", residuals=residuals)
    np.testing.assert_allclose(a["yhat"], b["yhat"], rtol=1e-10)


def test_many_models_are_reconciled_separately_and_input_untouched():
    both = pd.concat(
        [base_forecasts(seed=0), base_forecasts(seed=1, model="naive")], ignore_index=True
    )
    copy = both.copy()
    out = fc.reconcile(both, HIERARCHY, "wls_struct")
    pd.testing.assert_frame_equal(both, copy)
    assert sorted(out["model"].unique()) == ["ets/wls_struct", "naive/wls_struct"]
    single = fc.reconcile(base_forecasts(seed=1, model="naive"), HIERARCHY, "wls_struct")
    np.testing.assert_allclose(
        out[out["model"] == "naive/wls_struct"]["yhat"].to_numpy(), single["yhat"].to_numpy()
    )


def test_hierarchy_order_and_summing_matrix():
    structure = make_hierarchy(HIERARCHY)
    assert structure.nodes[:3] == ("market", "kimi", "wenxin")
    assert structure.summing[0].sum() == 5 and structure.summing.shape == (8, 5)


# ------------------------------------------------------------------------------ errors
def test_missing_and_extra_series_raise():
    base = base_forecasts()
    with pytest.raises(DataError, match="'kimi_mini'"):
        fc.reconcile(base[base["unique_id"] != "kimi_mini"], HIERARCHY)
    extra = pd.concat([base, base[base["unique_id"] == "kimi"].assign(unique_id="doubao")])
    with pytest.raises(DataError, match="'doubao'"):
        fc.reconcile(extra, HIERARCHY)


def test_mint_shrink_without_residuals_says_how_to_pass_them():
    with pytest.raises(ConfigError, match="residuals"):
        fc.reconcile(base_forecasts(), HIERARCHY, "mint_shrink")


def test_residuals_missing_a_series_raise():
    residuals = in_sample()
    with pytest.raises(DataError, match="'wenxin_app'"):
        fc.reconcile(
            base_forecasts(),
            HIERARCHY,
            "mint_shrink",
            residuals=residuals[residuals["unique_id"] != "wenxin_app"],
        )
    with pytest.raises(SchemaError, match="yhat"):
        fc.reconcile(
            base_forecasts(), HIERARCHY, "mint_shrink", residuals=residuals.drop(columns="yhat")
        )


def test_bad_hierarchies_and_methods_raise():
    with pytest.raises(ConfigError, match="cycle"):
        make_hierarchy({"a": ["b"], "b": ["a"]})
    with pytest.raises(ConfigError, match="method"):
        fc.reconcile(base_forecasts(), HIERARCHY, "middle_out")
    grouped = {"total": ["a", "b"], "by_x": ["a", "b"]}
    with pytest.raises(ConfigError, match="strict hierarchy"):
        fc.reconcile(base_forecasts(grouped), grouped, "top_down")
    with pytest.raises(ConfigError):
        make_hierarchy({})


def test_channels_of_the_shared_simulator_with_residuals_from_fc_backtest():
    # web + app + mini-program under each product, products under the market; base forecasts from
    # fc.forecast and mint_shrink's residuals from fc.backtest's output (cutoff and ds as keys).
    data = fc.datasets.simulate_market(
        n_products=2, periods=90, seed=3, channels=("web", "app", "mini_program"), retention_ages=()
    )
    series = data.series[["unique_id", "ds", "y"]]
    market = (
        series[series["unique_id"].str.endswith("/all")]
        .groupby("ds", as_index=False)["y"]
        .sum()
        .assign(unique_id="m0/market")
    )
    series = pd.concat([series, market], ignore_index=True)
    products = ("product_a", "product_b")
    hierarchy = {
        f"m0/{p}/dau/all": [f"m0/{p}/dau/{c}" for c in ("web", "app", "mini_program")]
        for p in products
    }
    hierarchy["m0/market"] = [f"m0/{p}/dau/all" for p in products]
    base = fc.forecast(series, ["naive"], h=7)
    residuals = fc.backtest(series, ["naive"], h=7, n_windows=3)
    out = fc.reconcile(base, hierarchy, "mint_shrink", residuals=residuals)
    assert_coherent(out, hierarchy)
    assert (
        np.isfinite(out["yhat_lo_95"]).all()
        and (out["yhat_lo_95"] < out["yhat"]).all()
        and (out["yhat"] < out["yhat_hi_95"]).all()
    )
    assert set(out["model"]) == {"naive/mint_shrink"} and len(out) == len(base)
