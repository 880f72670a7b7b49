"""Rules for combining or selecting forecast models, compared on the backtests of bench_backtest.

For every data set of ``benchmarks/bench_backtest.py`` (same series, cutoffs, filled days left
unscored, per-window MASE scale and ``fc.evaluate`` scoring), this script backtests the
candidates ``seasonal_naive``, ``ets``, ``theta`` and ``prophet`` once, runs the inner backtest of
5 windows of ``h`` steps that ``ensemble`` and ``auto`` run on the training data of each outer
window (:func:`forecast.models.auto.inner_backtest`), and from those forecasts evaluates rules:

* the single best candidate by inner MASE (what ``auto`` chooses), with its own intervals and
  calibrated ones;
* the median of ets, theta and prophet, and the mean of all four;
* the median or mean of the 2 or 3 candidates with the lowest inner MASE;
* weights proportional to the inverse inner MASE, over all four and over the best 3 and 2.

Each rule uses the last 3 or the last 5 inner windows for its ranking, weights and interval
calibration, which is what ``ensemble`` (or ``auto``) computes with ``n_windows=3`` or ``5``:
the last 3 of 5 windows are the 3 windows ``inner_backtest`` cuts with ``n_windows=3``.
Calibrated intervals are the package's own: split-conformal on the inner residuals of the
combined forecast, rescaled to the series' current seasonal-naive error (``rescaled`` and
``Conformal.intervals``). On the monthly data sets the rule "weighted, best 3 of 4, 5 windows"
is checked against a real backtest of ``ensemble`` with those settings.

The rules are compared on the same outer windows as the backtest benchmark, and the
configuration of ``ensemble`` that ``bench_backtest.py`` runs (the four candidates,
``combine="weighted", keep=3, n_windows=5``; also ``ensemble``'s default number of windows) was
chosen from this comparison, so its figures here and in BENCHMARKS.md are not out-of-sample.

Run from the repository root (computing the forecasts takes about 5 minutes; they are cached in
``--cache``, so a rerun prints the table at once)::

    python benchmarks/bench_combinations.py
    python benchmarks/bench_combinations.py --datasets air_passengers retail_sales
"""

from __future__ import annotations

import argparse
import pickle
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

import forecast as fc
from forecast.models.auto import (
    Conformal,
    InnerScores,
    build_candidates,
    combine_points,
    inner_backtest,
    rescaled,
)
from forecast.schema import level_column

sys.path.insert(0, str(Path(__file__).parent))
import bench_backtest as bb

__all__ = [
    "CANDIDATES",
    "ENSEMBLE_RULE",
    "RULES",
    "Rule",
    "check",
    "combination",
    "compute",
    "last_windows",
    "main",
    "rule_frame",
    "table",
]

How = Literal["median", "mean", "weighted"]
CANDIDATES = ("seasonal_naive", "ets", "theta", "prophet")
INNER_WINDOWS = 5
CHECKED = ("air_passengers", "retail_sales")
"""Data sets on which the rule behind the ensemble's defaults is checked against ``ensemble``."""


@dataclass(frozen=True)
class Rule:
    """A combination rule as ``ensemble`` computes it.

    Attributes
    ----------
    label : str
        Row label of the table.
    members : tuple of str
        Candidates combined (before ``keep``).
    how : {"median", "mean", "weighted"}
        Combination of the point forecasts; ``weighted`` uses inverse inner MASE weights.
    keep : int or None
        Combine only the ``keep`` members with the lowest inner MASE; None keeps all.
    windows : int
        Last inner windows used for ranking, weights and calibration.
    own_intervals : bool
        Use the single chosen member's own intervals (needs ``keep=1``) instead of calibrated ones.
    """

    label: str
    members: tuple[str, ...]
    how: How
    keep: int | None
    windows: int
    own_intervals: bool = False


def _rules() -> list[Rule]:
    rules = []
    for k in (3, 5):
        rules += [
            Rule(
                f"single best, own intervals, {k} windows",
                CANDIDATES,
                "mean",
                1,
                k,
                own_intervals=True,
            ),
            Rule(f"single best, calibrated, {k} windows", CANDIDATES, "mean", 1, k),
        ]
    specs: list[tuple[str, tuple[str, ...], How, int | None]] = [
        ("median of ets, theta, prophet", ("ets", "theta", "prophet"), "median", None),
        ("mean of all 4", CANDIDATES, "mean", None),
        ("mean (= median) of best 2", CANDIDATES, "mean", 2),
        ("median of best 3", CANDIDATES, "median", 3),
        ("mean of best 3", CANDIDATES, "mean", 3),
        ("inverse-MASE weights, all 4", CANDIDATES, "weighted", None),
        ("inverse-MASE weights, best 3", CANDIDATES, "weighted", 3),
        ("inverse-MASE weights, best 2", CANDIDATES, "weighted", 2),
    ]
    for label, members, how, keep in specs:
        rules += [Rule(f"{label}, {k} windows", members, how, keep, k) for k in (3, 5)]
    return rules


RULES = _rules()
ENSEMBLE_RULE = next(r for r in RULES if r.how == "weighted" and r.keep == 3 and r.windows == 5)
"""The rule behind ``ensemble(combine="weighted", keep=3, n_windows=5)``."""


def compute(job: bb.Job) -> dict[str, Any]:
    """The expensive forecasts of one data set.

    Returns
    -------
    dict
        ``outer``: backtest frame of every candidate on bench_backtest's cutoffs, one cutoff per
        ``fc.backtest`` call so that every window is a fresh fit as in ``ensemble`` (a backtest of
        several windows warm-starts ets from the previous window's estimates); ``filled``: the
        interpolated dates; ``inner``: outer cutoff -> (training frame, :class:`InnerScores` of
        ``INNER_WINDOWS`` windows of ``h``); ``ensemble``: backtest frame of the ensemble with
        the package's settings on the data sets of ``CHECKED``, else None.
    """
    df, filled = bb.load(job)
    cutoffs = fc.make_cutoffs(df, h=job.h, n_windows=job.n_windows, step=job.step)
    models = {name: fc.models.get(name) for name in CANDIDATES}
    with bb._quiet():
        windows = [cutoffs.iloc[[w]] for w in range(len(cutoffs))]
        outer = pd.concat(
            [fc.backtest(df, models, h=job.h, cutoffs=one, levels=bb.LEVELS) for one in windows]
        )
        inner = {}
        for cutoff in pd.to_datetime(cutoffs["cutoff"]):
            train = df.loc[df["ds"] <= cutoff].reset_index(drop=True)
            scores = inner_backtest(
                train, build_candidates(CANDIDATES, None, None), job.h, INNER_WINDOWS, job.season
            )
            inner[cutoff] = (train, scores)
        ensemble = None
        if job.name in CHECKED:
            model = fc.models.get(
                "ensemble",
                members=list(CANDIDATES),
                combine="weighted",
                keep=3,
                h=job.h,
                n_windows=5,
            )
            ensemble = fc.backtest(
                df, {"ensemble": model}, h=job.h, cutoffs=cutoffs, levels=bb.LEVELS
            )
    return {"outer": outer, "filled": filled, "inner": inner, "ensemble": ensemble}


def last_windows(scores: InnerScores, k: int) -> InnerScores:
    """``scores`` restricted to its last ``k`` windows.

    That is what ``inner_backtest`` gives for ``n_windows=k``.
    """
    forecasts = {label: points[-k:] for label, points in scores.forecasts.items()}
    actuals, scales = scores.actuals[-k:], scores.scales[-k:]
    means = {
        label: float(np.mean(np.abs(actuals - forecasts[label]) / scales[:, None]))
        if label in forecasts
        else np.nan
        for label in scores
    }
    return InnerScores(means, dict(scores.errors), forecasts, actuals, scales)


def combination(
    rule: Rule, scores: InnerScores, train: pd.DataFrame, season: int
) -> tuple[dict[str, float], Conformal]:
    """Members and weights of ``rule`` on one training set, and their combination's calibration.

    Follows ``Ensemble._fit``: rank by inner MASE (ties to the earlier member), keep the best
    ``keep`` in the given order, weight by the normalised inverse MASE or equally.

    Raises
    ------
    RuntimeError
        A member failed in an inner window (``ensemble`` would rank it last or fail).
    """
    scores = last_windows(scores, rule.windows)
    failed = [label for label in rule.members if label in scores.errors]
    if failed:
        raise RuntimeError(f"members {failed} failed the inner backtest: {scores.errors}")
    members = list(rule.members)
    if rule.keep is not None:
        ranked = sorted((scores[label], position) for position, label in enumerate(members))
        members = [
            members[position]
            for position in sorted(position for _, position in ranked[: rule.keep])
        ]
    if rule.how == "weighted":
        inverse = np.array([1.0 / max(scores[label], 1e-12) for label in members])
        weights = inverse / inverse.sum()
    else:
        weights = np.full(len(members), 1.0 / len(members))
    points = combine_points(
        np.stack([scores.forecasts[label] for label in members]), rule.how, weights
    )
    return dict(zip(members, weights, strict=True)), Conformal(
        rescaled(train, scores, points, season)
    )


def rule_frame(rule: Rule, data: dict[str, Any], season: int) -> pd.DataFrame:
    """The backtest frame ``rule`` would have produced, in ``fc.backtest``'s layout."""
    frames = []
    for cutoff, group in data["outer"].groupby("cutoff"):
        train, scores = data["inner"][pd.Timestamp(cutoff)]
        weights, conformal = combination(rule, scores, train, season)
        by_model = {label: rows.sort_values("ds") for label, rows in group.groupby("model")}
        points = np.stack([by_model[label]["yhat"].to_numpy() for label in weights])
        point = combine_points(points, rule.how, np.array(list(weights.values())))
        out = by_model[next(iter(weights))].copy()
        out["model"], out["yhat"] = rule.label, point
        if not rule.own_intervals:
            for level, (lo, hi) in conformal.intervals(point, bb.LEVELS).items():
                out[level_column(level, "lo")], out[level_column(level, "hi")] = lo, hi
        frames.append(out)
    return pd.concat(frames, ignore_index=True)


def _cell(row: pd.Series) -> str:
    return f"{row['mase']:.3f} / {row['coverage_80']:.0f} / {row['coverage_95']:.0f}"


def table(results: dict[str, dict[str, Any]]) -> str:
    """The Markdown table: one row per rule, MASE / coverage 80 / coverage 95 per data set."""
    names = list(results)
    lines = [
        "| rule | "
        + " | ".join(f"{name} MASE / cov 80 / cov 95" for name in names)
        + " | mean cov 80 | mean cov 95 |",
        "| --- |" + " ---: |" * (len(names) + 2),
    ]
    for rule in RULES:
        frames = {name: rule_frame(rule, results[name], bb.JOBS[name].season) for name in names}
        rows = [bb.score(frames[name], results[name]["filled"]) for name in names]
        cov80 = np.mean([row["coverage_80"] for row in rows])
        cov95 = np.mean([row["coverage_95"] for row in rows])
        lines.append(
            f"| {rule.label} | "
            + " | ".join(_cell(row) for row in rows)
            + f" | {cov80:.1f} | {cov95:.1f} |"
        )
    peers = pd.read_csv(bb.RESULTS).query("package == 'peer'")
    best = []
    for name in names:
        group = peers.loc[(peers["dataset"] == name) & peers["mase"].notna()]
        best.append(
            f"{group.loc[group['mase'].idxmin(), 'tool']} {group['mase'].min():.3f}"
            if len(group)
            else ""
        )
    lines.append("| best peer MASE (bench_backtest_results.csv) | " + " | ".join(best) + " | | |")
    return "\n".join(lines)


def check(results: dict[str, dict[str, Any]]) -> None:
    """Print the ensemble rule's figures beside a real backtest of ``ensemble``.

    The two MASE must agree to 1e-6.

    Raises
    ------
    AssertionError
        The script's MASE differs from the ensemble's by more than 1e-6.
    """
    for name, data in results.items():
        if data["ensemble"] is None:
            continue
        ours = bb.score(rule_frame(ENSEMBLE_RULE, data, bb.JOBS[name].season), data["filled"])
        real = bb.score(data["ensemble"], data["filled"])
        print(
            f"{name}: script MASE {ours['mase']:.9f} "
            f"cov {ours['coverage_80']:.1f}/{ours['coverage_95']:.1f}; "
            f"ensemble backtest MASE {real['mase']:.9f} "
            f"cov {real['coverage_80']:.1f}/{real['coverage_95']:.1f}"
        )
        assert abs(ours["mase"] - real["mase"]) <= 1e-6, (
            f"{name}: the script does not reproduce the ensemble"
        )


def main(argv: list[str] | None = None) -> None:
    """Compute or load the cached forecasts, check the ensemble rule and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", choices=list(bb.JOBS), default=list(bb.JOBS))
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "bench_combinations"
    )
    args = parser.parse_args(argv)
    args.cache.mkdir(parents=True, exist_ok=True)
    results = {}
    for name in args.datasets:
        path = args.cache / f"{name}.pkl"
        if path.exists():
            results[name] = pickle.loads(path.read_bytes())
        else:
            print(f"computing {name} ...", flush=True)
            results[name] = compute(bb.JOBS[name])
            path.write_bytes(pickle.dumps(results[name]))
    check(results)
    print()
    print(table(results))


if __name__ == "__main__":
    main()
