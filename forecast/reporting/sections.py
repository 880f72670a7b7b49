"""The sections of a report: forecasts, backtests, shares and batch jobs, as HTML and figures.

A section holds its HTML (headings and tables), its static figures and its pickers: one Plotly
figure that switches series through a ``<select>``, its data embedded once. A picker holds at
most ``max_series`` series, chosen worst first where accuracy is known, and says so.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from forecast.reporting.figures import (
    colors_of,
    fan_traces,
    history_traces,
    levels_in,
    line_layout,
    share_figure,
    step_figure,
    window_traces,
)
from forecast.reporting.inputs import Input
from forecast.schema import DS, MODEL, STEP, UNIQUE_ID

__all__ = [
    "Figure",
    "Picker",
    "Section",
    "table_html",
    "choose_series",
    "forecast_section",
    "backtest_section",
    "share_section",
]


@dataclass
class Figure:
    """A Plotly figure drawn once: its element id, traces and layout."""

    id: str
    data: list[dict[str, Any]]
    layout: dict[str, Any]


@dataclass
class Picker:
    """One Plotly figure switched between series: traces per series, one shared layout."""

    id: str
    layout: dict[str, Any]
    series: dict[str, list[dict[str, Any]]]
    total: int
    rule: str


@dataclass
class Section:
    """A titled part of the page: HTML, then its figures and pickers in order."""

    id: str
    title: str
    parts: list[str | Figure | Picker] = field(default_factory=list)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "" if pd.isna(value) else f"{value:,.4g}"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.normalize() else str(value)
    return "" if value is None or value is pd.NaT else str(value)


def table_html(frame: pd.DataFrame, *, caption: str = "", limit: int = 100) -> str:
    """Return an HTML table of at most ``limit`` rows (cells escaped), saying how many are left."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>"
        for row in frame.head(limit).itertuples(index=False)
    )
    more = (
        f"<p class='note'>showing {limit:,} of {len(frame):,} rows.</p>"
        if len(frame) > limit
        else ""
    )
    title = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{title}<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>{more}"


def choose_series(
    ids: list[str], worst: list[str] | None, max_series: int
) -> tuple[list[str], str]:
    """Choose the series a picker holds: all, or the worst ``max_series`` then the rest by name.

    Returns
    -------
    tuple
        The chosen ids in picker order, and the sentence that says which they are.
    """
    order = [i for i in (worst or []) if i in set(ids)]
    order += sorted(set(ids) - set(order))
    if len(order) <= max_series:
        return order, f"all {len(order):,} series"
    how = "the least accurate (by MASE) first, then by name" if worst else "the first by name"
    return order[:max_series], (
        f"{max_series:,} of {len(order):,} series ({how}); the others are in the input file"
    )


def worst_series(metrics: pd.DataFrame) -> list[str] | None:
    """Series ordered from the worst mean MASE over models; None without a MASE column."""
    if "mase" not in metrics.columns or UNIQUE_ID not in metrics.columns:
        return None
    means = metrics.groupby(UNIQUE_ID)["mase"].mean().sort_values(ascending=False, kind="stable")
    return [str(i) for i in means.index]


def _groups(frame: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
    if frame is None or not len(frame):
        return {}
    return {str(uid): rows for uid, rows in frame.groupby(UNIQUE_ID, sort=False)}


def forecast_section(
    item: Input,
    history: pd.DataFrame | None,
    key: str,
    *,
    max_series: int,
    worst: list[str] | None = None,
    history_note: str = "",
) -> Section:
    """Fan charts of a forecast frame, one series at a time, over the history when given."""
    frame = item.frame
    levels = levels_in(frame)
    colors = colors_of(frame[MODEL])
    chosen, rule = choose_series(list(dict.fromkeys(frame[UNIQUE_ID])), worst, max_series)
    own, past = _groups(frame), _groups(history)
    series = {}
    for uid in chosen:
        traces = history_traces(past[uid]) if uid in past else []
        series[uid] = traces + fan_traces(own[uid], colors, levels)
    models = ", ".join(sorted(colors))
    note = history_note or (
        ""
        if history is not None
        else " No history was given (--data): the charts show the forecasts alone."
    )
    intro = (
        f"<p>{len(own):,} series forecast by {html.escape(models)}; intervals "
        f"{', '.join(f'{lv:g}%' for lv in levels) or 'none'}. Hover a point for its date, "
        f"value and bounds; drag to zoom, double-click to zoom out.{note}</p>"
    )
    layout = line_layout("", y_title="y")
    picker = Picker(f"{key}-fan", layout, series, len(own), rule)
    return Section(key, f"Forecasts: {item.name}", [intro, picker])


def ranking_table(backtest: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Models ranked by ``metric`` with Diebold-Mariano against the best, and their coverage."""
    from forecast.evaluation.metrics import evaluate
    from forecast.evaluation.ranking import rank_models

    table = rank_models(backtest, metric=metric)
    if levels_in(backtest):
        coverage = evaluate(backtest, metrics=["coverage"], by=(MODEL,))
        columns = [c for c in coverage.columns if str(c).startswith("coverage_")]
        table = table.merge(coverage[[MODEL, *columns]], on=MODEL, how="left")
    return table


def backtest_section(
    item: Input, key: str, *, max_series: int, metric: str = "mase"
) -> tuple[Section, list[str] | None]:
    """Ranking table, error by horizon step and forecasts against actuals per window.

    Returns
    -------
    tuple
        The section, and the series from the worst mean ``metric`` (for the other pickers).
    """
    from forecast.evaluation.metrics import evaluate

    frame = item.frame
    colors = colors_of(frame[MODEL])
    ranking = ranking_table(frame, metric)
    steps = evaluate(frame, metrics=[metric], by=(MODEL, STEP))
    per_series = evaluate(frame, metrics=[metric], by=(UNIQUE_ID, MODEL))
    worst = worst_series(per_series) if metric == "mase" else None
    chosen, rule = choose_series(list(dict.fromkeys(frame[UNIQUE_ID])), worst, max_series)
    own = _groups(frame)
    windows = {uid: window_traces(own[uid], colors) for uid in chosen}
    n_windows = frame.groupby(UNIQUE_ID)["cutoff"].nunique()
    parts: list[str | Figure | Picker] = [
        f"<p>{len(own):,} series, {frame[MODEL].nunique()} models, up to {int(n_windows.max())} "
        f"windows per series. Models are ranked by mean {metric} over series; p_value is the "
        "Diebold-Mariano test of each model against the best; coverage_L is the share of "
        "actuals inside the L% interval.</p>",
        table_html(ranking, caption=f"Ranking by {metric}"),
        Figure(f"{key}-steps", **step_figure(steps, metric, colors)),
        "<h3>Forecasts against actuals, per window</h3>",
        Picker(f"{key}-windows", line_layout("", y_title="y"), windows, len(own), rule),
    ]
    return Section(key, f"Backtest: {item.name}", parts), worst


def share_section(item: Input, key: str) -> Section:
    """Build the stacked share chart with bands of a share frame."""
    frame = item.frame
    first, last = frame[DS].min(), frame[DS].max()
    intro = (
        f"<p>{frame[UNIQUE_ID].nunique()} products from {first:%Y-%m-%d} to {last:%Y-%m-%d}. "
        "Top: the point shares stacked (the dashed line marks the first forecast date). "
        "Bottom: each product's forecast share with its bands, over its observed shares; "
        "bounds are triangles, approximate values open circles.</p>"
    )
    figure = share_figure(frame, "Market shares")
    return Section(key, f"Shares: {item.name}", [intro, Figure(f"{key}-shares", **figure)])
