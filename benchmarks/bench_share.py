"""Market shares: accuracy against the naive share, switching recovery, reconciliation speed.

Run from the repository root (hierarchicalforecast comes with the ``test`` extra)::

    python benchmarks/bench_share.py [switching] [accuracy] [simulator] [reconcile]

It prints four markdown tables (or the ones named), pasted into the share section of BENCHMARKS.md:

1. The ``competition`` model's switching rates on a Kimi-like market written from its
   documented equations (two incumbents, an entrant taking 0.3% a day of one's users and 0.8%
   of the other's, 0.3% daily process noise), seeds 0-9.
2. Share forecasts against the naive share forecast (the shares of the cutoff date held) in
   rolling-origin backtests (``backtest_shares``): MAE and RMSE in share points (percentage
   points) and the mean Aitchison distance, on the Kimi-like market and on
   ``fc.datasets.simulate_market`` with an entrant profile (the shared simulator: cohort
   retention, weekly seasonality, 5% observation noise).
3. The ``competition`` model on the shared simulator with switching: estimated against true
   flows (users moved from product i to j over the two years).
4. ``fc.reconcile`` against hierarchicalforecast on the same inputs: time ratio (best of 5)
   and the largest difference.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

import forecast as fc
from forecast.market.backtest import NAIVE_SHARE, backtest_shares, evaluate_shares
from forecast.market.competition import CompetitionModel
from forecast.market.reconcile import Hierarchy, make_hierarchy

NAMES = ("tongyi_qianwen", "wenxin_yiyan", "kimi")
TRUE_SWITCHING = np.array([[0.0, 0.0, 0.003], [0.0, 0.0, 0.008], [0.0, 0.0, 0.0]])


def kimi_market(
    seed: int,
    periods: int = 730,
    market: float = 10e6,
    launches: tuple[int, int, int] = (90, 0, 240),
) -> pd.DataFrame:
    """Three products from the competition equations (see tests/models/test_competition.py)."""
    rng = np.random.default_rng(seed)
    p, q, d = np.array([0.002, 0.003, 0.001]), np.array([0.10, 0.03, 0.15]), 0.01
    launch, a = np.array(launches), np.zeros(3)
    out = np.full((periods, 3), np.nan)
    for t in range(periods):
        a[launch == t] = np.where(launch[launch == t] == 0, 2e5, 5e4)
        live = (launch <= t).astype(float)
        out[t] = np.where(live > 0, a, np.nan)
        step = (
            a
            + (p + q * a / market) * max(market - a.sum(), 0) * live
            - d * a
            + (a @ TRUE_SWITCHING) * live
            - a * (TRUE_SWITCHING @ live)
        )
        a = np.maximum(step, 0) * np.exp(0.003 * rng.standard_normal(3) - 0.003**2 / 2) * live
    ds = pd.date_range("2023-03-16", periods=periods, freq="D")
    return pd.concat(
        [
            pd.DataFrame({"unique_id": n, "ds": ds, "y": out[:, i]}).dropna()
            for i, n in enumerate(NAMES)
        ],
        ignore_index=True,
    )


def entrant_market(seed: int) -> pd.DataFrame:
    data = fc.datasets.simulate_market(
        n_products=3,
        periods=365,
        seed=seed,
        p=[1e-3, 8e-4, 5e-5],
        q=[0.03, 0.04, 0.10],
        retention_ages=(),
    )
    return data.series[data.series["unique_id"].str.endswith("/all")][["unique_id", "ds", "y"]]


def switching_table() -> None:
    print(
        "\n| seed | tongyi -> kimi (true 0.003) | wenxin -> kimi (true 0.008) "
        "| largest error of the 6 rates | m / true m | fit seconds |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for seed in range(10):
        start = time.perf_counter()
        model = CompetitionModel().fit(kimi_market(seed))
        seconds = time.perf_counter() - start
        s = model.switching_.loc[list(NAMES), list(NAMES)].to_numpy()
        print(
            f"| {seed} | {s[0, 2]:.4f} | {s[1, 2]:.4f} | {np.abs(s - TRUE_SWITCHING).max():.4f} "
            f"| {model.m_ / 10e6:.3f} | {seconds:.2f} |"
        )


def ets_damped() -> fc.models.BaseModel:
    return fc.models.get("ets", error="add", trend="add", damped_trend=True, seasonal=None)


ACCURACY_KEYS = ("mae", "rmse", "aitchison", "coverage_80", "coverage_95")


def accuracy_table() -> None:
    print(
        "\n| market | forecast | MAE | naive share MAE | RMSE | naive share RMSE | Aitchison "
        "| naive share Aitchison | beats naive on MAE | coverage 80 / 95 |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    setups = [
        (
            "Kimi-like, competition equations (h=30, 3 windows)",
            lambda s: kimi_market(s, periods=480, market=5e6, launches=(45, 0, 120)),
            30,
            3,
            [
                ("competition", "competition", "paths", None),
                ("alr:ets(A,Ad,N)", ets_damped, "alr", None),
                ("paths, drift on log", "drift", "paths", "log"),
            ],
        ),
        (
            "simulate_market, entrant profile (h=28, 4 windows)",
            entrant_market,
            28,
            4,
            [
                ("alr:ets(A,Ad,N)", ets_damped, "alr", None),
                ("ilr:ets(A,Ad,N)", ets_damped, "ilr", None),
                (
                    "paths, ets(A,Ad,N) on log",
                    lambda: fc.models.get(
                        "ets",
                        error="add",
                        trend="add",
                        damped_trend=True,
                        seasonal=None,
                        transform="log",
                    ),
                    "paths",
                    None,
                ),
                ("competition", "competition", "paths", None),
            ],
        ),
    ]
    for label, make, h, windows, candidates in setups:
        seeds = range(5)
        data = {seed: make(seed) for seed in seeds}
        for name, model, method, transform in candidates:
            rows = []
            for seed in seeds:
                spec = model() if callable(model) else model
                frame = backtest_shares(
                    data[seed],
                    spec,
                    h=h,
                    n_windows=windows,
                    n_samples=300,
                    method=method,
                    transform=transform,
                )
                scores = evaluate_shares(frame).set_index("model")
                own = scores.drop(index=NAIVE_SHARE).iloc[0]
                rows.append((own, scores.loc[NAIVE_SHARE]))
            ours = {key: np.mean([r[0][key] for r in rows]) for key in ACCURACY_KEYS}
            naive = {key: np.mean([r[1][key] for r in rows]) for key in ACCURACY_KEYS[:3]}
            wins = sum(r[0]["mae"] < r[1]["mae"] for r in rows)
            print(
                f"| {label} | {name} | {ours['mae']:.3f} | {naive['mae']:.3f} | "
                f"{ours['rmse']:.3f} | {naive['rmse']:.3f} | {ours['aitchison']:.3f} | "
                f"{naive['aitchison']:.3f} | {wins} of 5 | "
                f"{ours['coverage_80']:.0f}% / {ours['coverage_95']:.0f}% |"
            )


def shared_simulator_switching() -> None:
    print(
        "\n| seed | flow a -> c true / estimated (millions) | b -> c true / estimated "
        "| largest spurious flow (millions) |"
    )
    print("| --- | --- | --- | --- |")
    sigma = np.zeros((3, 3))
    sigma[0, 2], sigma[1, 2] = 0.3, 0.5
    for seed in range(3):
        data = fc.datasets.simulate_market(
            n_products=3,
            periods=730,
            seed=seed,
            p=[8e-4, 6e-4, 2e-4],
            q=[0.05, 0.04, 0.12],
            seasonality=0.0,
            noise=0.003,
            switching=sigma,
            retention_ages=(),
        )
        series = data.series[data.series["unique_id"].str.endswith("/all")][
            ["unique_id", "ds", "y"]
        ]
        model = CompetitionModel().fit(series)
        names = list(data.truth.unique_ids[0])
        churned = data.truth.paths.churned[0]
        wide = series.pivot(index="ds", columns="unique_id", values="y")[names]
        estimated = (
            model.switching_.loc[names, names].to_numpy() * wide.iloc[:-1].sum().to_numpy()[:, None]
        )
        true = sigma * churned.sum(axis=1)[:, None]
        spurious = estimated.copy()
        spurious[0, 2] = spurious[1, 2] = 0
        print(
            f"| {seed} | {true[0, 2] / 1e6:.2f} / {estimated[0, 2] / 1e6:.2f} "
            f"| {true[1, 2] / 1e6:.2f} / {estimated[1, 2] / 1e6:.2f} | {spurious.max() / 1e6:.2f} |"
        )


def _reconcile_inputs(
    h: int, n_obs: int
) -> tuple[dict[str, list[str]], Hierarchy, pd.DataFrame, pd.DataFrame]:
    """A market of 20 products in 3 channels: hierarchy, base forecasts and residuals."""
    rng = np.random.default_rng(0)
    hierarchy = {"market": [f"p{i}" for i in range(20)]}
    hierarchy.update({f"p{i}": [f"p{i}_{c}" for c in ("web", "app", "mini")] for i in range(20)})
    structure = make_hierarchy(hierarchy)
    ds = pd.date_range("2024-06-01", periods=h)
    base = pd.concat(
        [
            pd.DataFrame(
                {
                    "unique_id": n,
                    "model": "ets",
                    "ds": ds,
                    "yhat": rng.uniform(100, 200, h) * structure.summing[i].sum(),
                    "yhat_lo_80": 0.0,
                    "yhat_hi_80": 0.0,
                }
            )
            for i, n in enumerate(structure.nodes)
        ],
        ignore_index=True,
    )
    base["yhat_lo_80"] = base["yhat"] - 20
    base["yhat_hi_80"] = base["yhat"] + 20
    fitted_ds = pd.date_range("2024-02-02", periods=n_obs)
    residuals = pd.concat(
        [
            pd.DataFrame(
                {"unique_id": n, "ds": fitted_ds, "y": 100.0, "yhat": 100 + rng.normal(0, 5, n_obs)}
            )
            for n in structure.nodes
        ],
        ignore_index=True,
    )
    return hierarchy, structure, base, residuals


def reconcile_table() -> None:
    from hierarchicalforecast.core import HierarchicalReconciliation
    from hierarchicalforecast.methods import BottomUp, MinTrace

    h, n_obs = 30, 120
    hierarchy, structure, base, residuals = _reconcile_inputs(h, n_obs)
    s_df = pd.DataFrame(structure.summing, columns=list(structure.bottom))
    s_df.insert(0, "unique_id", list(structure.nodes))
    tags = {
        "market": np.array(["market"]),
        "product": np.array([f"p{i}" for i in range(20)]),
        "channel": np.array(list(structure.bottom)),
    }
    theirs_in = base.drop(columns="model").rename(
        columns={"yhat": "ets", "yhat_lo_80": "ets-lo-80", "yhat_hi_80": "ets-hi-80"}
    )
    names = {
        "bottom_up": (BottomUp, (), "ets/BottomUp"),
        "ols": (MinTrace, ("ols",), "ets/MinTrace_method-ols"),
        "wls_struct": (MinTrace, ("wls_struct",), "ets/MinTrace_method-wls_struct"),
        "mint_shrink": (MinTrace, ("mint_shrink",), "ets/MinTrace_method-mint_shrink"),
    }
    print(
        f"\n{len(structure.nodes)} series (1 market, 20 products, 3 channels each), h={h}, "
        f"{n_obs} residual dates, 80% intervals"
    )
    print(
        "\n| method | fc.reconcile seconds | hierarchicalforecast seconds | ratio (theirs / ours) "
        "| largest relative difference |"
    )
    print("| --- | --- | --- | --- | --- |")
    for method, (cls, args, column) in names.items():
        ours_times, their_times = [], []
        for _ in range(5):
            start = time.perf_counter()
            ours = fc.reconcile(base, hierarchy, method, residuals=residuals)
            ours_times.append(time.perf_counter() - start)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                start = time.perf_counter()
                theirs = HierarchicalReconciliation([cls(*args)]).reconcile(
                    Y_hat_df=theirs_in,
                    Y_df=residuals.rename(columns={"yhat": "ets"}),
                    S_df=s_df,
                    tags=tags,
                    level=[80],
                )
                their_times.append(time.perf_counter() - start)
        merged = ours.merge(theirs, on=["unique_id", "ds"])
        diff = np.max(np.abs(merged["yhat"] - merged[column]) / np.abs(merged[column]))
        print(
            f"| {method} | {min(ours_times):.4f} | {min(their_times):.4f} "
            f"| {min(their_times) / min(ours_times):.1f} | {diff:.1e} |"
        )


def main(argv: list[str] | None = None) -> None:
    """Print the tables named on the command line (all four when none is)."""
    parts = {
        "switching": switching_table,
        "accuracy": accuracy_table,
        "simulator": shared_simulator_switching,
        "reconcile": reconcile_table,
    }
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="*", help=f"tables to print, of {', '.join(parts)}")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.parts) - set(parts))
    if unknown:
        parser.error(f"unknown table(s) {', '.join(unknown)}; choose from {', '.join(parts)}")
    for name in args.parts or list(parts):
        parts[name]()


if __name__ == "__main__":
    main()
