"""Plotly figures of a report, as plain JSON-ready dicts (traces and layouts).

The figures follow Plotly's JSON schema (https://plotly.com/javascript/reference/); they are
built as dicts rather than ``plotly.graph_objects`` so that a thousand series take a second,
not a minute. Marks follow :func:`forecast.plot`: history in black, one colour per model,
wider intervals lighter, one-sided bounds as upward (``>=``) and downward (``<=``) triangles,
and approximate values (``~``) as open circles.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from forecast.plotting import _HISTORY_COLOR, _MODEL_COLORS, FILLED_LABEL, _alphas
from forecast.schema import (
    CUTOFF,
    DS,
    FILLED,
    MODEL,
    PART,
    QUALIFIER,
    SHARE,
    UNIQUE_ID,
    YHAT,
    Y,
    level_column,
    parse_level_column,
)

__all__ = [
    "Trace",
    "colors_of",
    "levels_in",
    "numbers",
    "dates",
    "date_hover",
    "history_traces",
    "fan_traces",
    "window_traces",
    "line_layout",
    "step_figure",
    "share_figure",
]

Trace = dict[str, Any]

_MARKS = (
    ("=", "circle", "history", True),
    ("~", "circle-open", "approximate (~)", False),
    (">=", "triangle-up", "lower bound (>=)", False),
    ("<=", "triangle-down", "upper bound (<=)", False),
)


def numbers(values: Iterable[float], digits: int = 6) -> list[float | int | None]:
    """Round to ``digits`` significant digits for JSON; NaN and infinities become null."""
    out: list[float | None] = []
    for value in values:
        v = float(value)
        if not math.isfinite(v):
            out.append(None)
            continue
        rounded = float(f"{v:.{digits}g}")
        # Whole numbers as integers: "254260" rather than "254260.0" in the page.
        out.append(int(rounded) if rounded.is_integer() and abs(rounded) < 2**53 else rounded)
    return out


def dates(values: Iterable[pd.Timestamp] | pd.Series) -> list[str]:
    """Dates as ISO text: the day, and the time when any value has one."""
    raw = values.to_numpy() if isinstance(values, pd.Series) else list(values)
    stamps = np.asarray(raw, dtype="datetime64[s]")
    days = stamps.astype("datetime64[D]")
    if bool((days != stamps).any()):
        return [text.replace("T", " ") for text in np.datetime_as_string(stamps, unit="s")]
    return list(np.datetime_as_string(days, unit="D"))


def date_hover(x: list[str]) -> str:
    """Return the hover text of a date: the day, and the time when the dates have one."""
    return "%{x|%Y-%m-%d %H:%M}" if any(" " in d for d in x) else "%{x|%Y-%m-%d}"


def colors_of(models: Iterable[str]) -> dict[str, str]:
    """One colour per model, in sorted order, as :func:`forecast.plot` gives them."""
    return {m: _MODEL_COLORS[i % len(_MODEL_COLORS)] for i, m in enumerate(sorted(set(models)))}


def levels_in(frame: pd.DataFrame, prefix: str = YHAT) -> tuple[float, ...]:
    """Return the interval levels whose lower and upper columns are both in ``frame``."""
    found = set()
    for column in frame.columns:
        parsed = parse_level_column(str(column).replace(prefix, YHAT, 1))
        if parsed is not None and str(column).startswith(prefix):
            found.add(parsed[1])
    return tuple(
        sorted(
            level
            for level in found
            if {level_column(level, "lo", prefix=prefix), level_column(level, "hi", prefix=prefix)}
            <= set(frame.columns)
        )
    )


def _rgba(color: str, alpha: float) -> str:
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha:.3f})"


def history_traces(
    history: pd.DataFrame, *, legend: bool = True, number: str = ",.6~r"
) -> list[Trace]:
    """History of one series: points as a line; approximations, bounds, filled values marked."""
    qualifier = (
        history[QUALIFIER] if QUALIFIER in history.columns else pd.Series("=", history.index)
    )
    traces = []
    for mark, symbol, name, line in _MARKS:
        rows = history[(qualifier == mark).to_numpy()]
        if not len(rows):
            continue
        x = dates(rows[DS])
        trace: Trace = {
            "type": "scatter",
            "name": name,
            "x": x,
            "y": numbers(rows[Y]),
            "mode": "lines+markers" if line else "markers",
            "line": {"color": _HISTORY_COLOR, "width": 1.6},
            "marker": {"color": _HISTORY_COLOR, "symbol": symbol, "size": 5 if line else 10},
            "legendgroup": name,
            "showlegend": legend,
            "hovertemplate": f"{date_hover(x)}<br>{mark} %{{y:{number}}}<extra>{name}</extra>",
        }
        traces.append(trace)
    if FILLED in history.columns:
        made_up = history[history[FILLED].astype(bool).to_numpy() & (qualifier == "=").to_numpy()]
        if len(made_up):
            x = dates(made_up[DS])
            traces.append(
                {
                    "type": "scatter",
                    "name": FILLED_LABEL,
                    "x": x,
                    "y": numbers(made_up[Y]),
                    "mode": "markers",
                    "marker": {
                        "color": "white",
                        "symbol": "circle",
                        "size": 7,
                        "line": {"color": _HISTORY_COLOR, "width": 1.4},
                    },
                    "legendgroup": FILLED_LABEL,
                    "showlegend": legend,
                    "hovertemplate": (
                        f"{date_hover(x)}<br>filled %{{y:{number}}}<extra>{FILLED_LABEL}</extra>"
                    ),
                }
            )
    return traces


def _bounds_text(
    frame: pd.DataFrame, levels: Sequence[float], prefix: str, number: str = ",.6~r"
) -> tuple[list, str]:
    """Per-point ``customdata`` of the bounds and the hover lines that show them."""
    columns = [level_column(lv, side, prefix=prefix) for lv in levels for side in ("lo", "hi")]
    data = np.column_stack([frame[c].to_numpy(float) for c in columns]) if columns else None
    custom = [numbers(row) for row in data] if data is not None else []
    lines = "".join(
        f"<br>{lv:g}%: %{{customdata[{2 * i}]:{number}}} to %{{customdata[{2 * i + 1}]:{number}}}"
        for i, lv in enumerate(levels)
    )
    return custom, lines


def fan_traces(
    forecasts: pd.DataFrame,
    colors: dict[str, str],
    levels: Sequence[float],
    *,
    prefix: str = YHAT,
    label: str = "",
    number: str = ",.6~r",
) -> list[Trace]:
    """Fan chart of one series' forecasts: bands per level (wider lighter) and the point line.

    Hovering the point line shows the date, the model, the point and every interval's bounds.
    """
    traces: list[Trace] = []
    models = list(dict.fromkeys(forecasts[MODEL]))
    alphas = _alphas(tuple(levels), len(models))
    for model in models:
        frame = forecasts[forecasts[MODEL] == model].sort_values(DS)
        color, x = colors[model], dates(frame[DS])
        for level in sorted(levels, reverse=True):
            for side in ("lo", "hi"):
                traces.append(
                    {
                        "type": "scatter",
                        "x": x,
                        "y": numbers(frame[level_column(level, side, prefix=prefix)]),
                        "mode": "lines",
                        "line": {"width": 0, "color": color},
                        "fill": "tonexty" if side == "hi" else "none",
                        "fillcolor": _rgba(color, alphas[level]),
                        "legendgroup": model,
                        "showlegend": False,
                        "hoverinfo": "skip",
                    }
                )
        custom, lines = _bounds_text(frame, levels, prefix, number)
        traces.append(
            {
                "type": "scatter",
                "name": f"{label}{model}",
                "x": x,
                "y": numbers(frame[prefix]),
                "customdata": custom,
                "mode": "lines+markers",
                "line": {"color": color, "width": 2},
                "marker": {"color": color, "size": 5},
                "legendgroup": model,
                "hovertemplate": f"{date_hover(x)}<br>{prefix} %{{y:{number}}}{lines}"
                f"<extra>{model}</extra>",
            }
        )
    return traces


def window_traces(backtest: pd.DataFrame, colors: dict[str, str]) -> list[Trace]:
    """Forecasts of one series against its actuals, one line per model and window."""
    actual = backtest.drop_duplicates(DS).sort_values(DS)
    x = dates(actual[DS])
    traces: list[Trace] = [
        {
            "type": "scatter",
            "name": "actual",
            "x": x,
            "y": numbers(actual[Y]),
            "mode": "lines+markers",
            "line": {"color": _HISTORY_COLOR, "width": 1.6},
            "marker": {"color": _HISTORY_COLOR, "size": 5},
            "hovertemplate": f"{date_hover(x)}<br>y %{{y:,.6~r}}<extra>actual</extra>",
        }
    ]
    levels = levels_in(backtest)
    for model, frame in backtest.groupby(MODEL, sort=True):
        for i, (cutoff, window) in enumerate(frame.groupby(CUTOFF, sort=True)):
            window = window.sort_values(DS)
            custom, lines = _bounds_text(window, levels, YHAT)
            when = dates([cutoff])[0]  # type: ignore[list-item]
            traces.append(
                {
                    "type": "scatter",
                    "name": str(model),
                    "x": dates(window[DS]),
                    "y": numbers(window[YHAT]),
                    "customdata": custom,
                    "mode": "lines+markers",
                    "line": {"color": colors[str(model)], "width": 1.6, "dash": "dot"},
                    "marker": {"color": colors[str(model)], "size": 4},
                    "legendgroup": str(model),
                    "showlegend": i == 0,
                    "hovertemplate": f"{date_hover(x)}<br>yhat %{{y:,.6~r}}{lines}<br>cutoff {when}"
                    f"<extra>{model}</extra>",
                }
            )
    return traces


def line_layout(title: str, *, y_title: str = "", height: int = 420) -> dict[str, Any]:
    """Return a plain layout: title, a date axis, a legend below, hover on the nearest point."""
    return {
        "title": {"text": title, "x": 0.01, "font": {"size": 15}},
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 50, "b": 40},
        "hovermode": "closest",
        "xaxis": {"type": "date", "gridcolor": "#e3e3e3"},
        "yaxis": {"title": {"text": y_title}, "gridcolor": "#e3e3e3", "tickformat": "~s"},
        "legend": {"orientation": "h", "y": -0.12},
        "plot_bgcolor": "white",
    }


def step_figure(table: pd.DataFrame, metric: str, colors: dict[str, str]) -> dict[str, Any]:
    """Error by horizon step: one line per model of ``table`` (``model``, ``step``, metric)."""
    data = [
        {
            "type": "scatter",
            "name": str(model),
            "x": [int(s) for s in group["step"]],
            "y": numbers(group[metric]),
            "mode": "lines+markers",
            "line": {"color": colors[str(model)]},
            "hovertemplate": f"step %{{x}}<br>{metric} %{{y:.4g}}<extra>{model}</extra>",
        }
        for model, group in table.groupby(MODEL, sort=True)
    ]
    layout = line_layout(f"{metric} by horizon step (mean over series)", y_title=metric)
    layout["xaxis"] = {"title": {"text": "horizon step"}, "dtick": 1, "gridcolor": "#e3e3e3"}
    layout["yaxis"]["tickformat"] = ""
    return {"data": data, "layout": layout}


def share_figure(frame: pd.DataFrame, title: str) -> dict[str, Any]:
    """Stacked shares (history solid, forecast lighter) above each product's share with bands."""
    products = list(dict.fromkeys(frame[UNIQUE_ID]))
    colors = {p: _MODEL_COLORS[i % len(_MODEL_COLORS)] for i, p in enumerate(products)}
    levels = levels_in(frame, SHARE)
    data: list[Trace] = []
    for product in products:
        rows = frame[frame[UNIQUE_ID] == product].sort_values(DS)
        color, model = colors[product], str(rows[MODEL].iloc[0])
        x = dates(rows[DS])
        data.append(
            {
                "type": "scatter",
                "name": product,
                "x": x,
                "y": numbers(rows[SHARE]),
                "stackgroup": "shares",
                "line": {"color": color, "width": 0.8},
                "fillcolor": _rgba(color, 0.75),
                "legendgroup": product,
                "hovertemplate": f"{date_hover(x)}<br>share %{{y:.2%}}<extra>{product}</extra>",
            }
        )
        ahead = rows[rows[PART] == "forecast"]
        for trace in fan_traces(
            ahead.assign(**{MODEL: product}), colors, levels, prefix=SHARE, number=".2%"
        ):
            trace.update(xaxis="x2", yaxis="y2", showlegend=False)
            if "hovertemplate" in trace:
                trace["hovertemplate"] = trace["hovertemplate"].replace(
                    "<extra>", f"<br>model {model}<extra>"
                )
            data.append(trace)
        past = rows[rows[PART] != "forecast"].rename(columns={SHARE: Y})
        for trace in history_traces(past, legend=False, number=".2%"):
            trace.update(xaxis="x2", yaxis="y2", name=f"{product}: {trace['name']}")
            trace["line"]["color"] = trace["marker"]["color"] = color
            data.append(trace)
    layout = line_layout(title, height=640)
    start = frame.loc[frame[PART] == "forecast", DS].min()
    layout.update(
        yaxis={"domain": [0.5, 1], "tickformat": ".0%", "title": {"text": "stacked share"}},
        yaxis2={"domain": [0, 0.42], "tickformat": ".0%", "title": {"text": "share with bands"}},
        xaxis={"type": "date", "anchor": "y", "matches": "x2", "showticklabels": False},
        xaxis2={"type": "date", "anchor": "y2"},
        legend={"orientation": "h", "y": -0.08},
    )
    if pd.notna(start):
        x0, x1 = dates([start, frame[DS].max()])
        layout["shapes"] = [
            {"type": "line", "xref": ax, "yref": f"{ay} domain", "x0": x0, "x1": x0, "y0": 0}
            | {"y1": 1, "line": {"color": "#888", "dash": "dash", "width": 1}}
            for ax, ay in (("x", "y"), ("x2", "y2"))
        ]
        # The forecast part of the stack lighter, as forecast.market.plots draws it.
        layout["shapes"].append(
            {"type": "rect", "xref": "x", "yref": "y domain", "x0": x0, "x1": x1, "y0": 0}
            | {"y1": 1, "fillcolor": "rgba(255,255,255,0.45)", "line": {"width": 0}}
        )
    return {"data": data, "layout": layout}
