"""``fc.plot``: fan charts of forecasts over their history, one panel per series.

matplotlib is imported inside :func:`plot`, so ``import forecast`` does not pay for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forecast.errors import ConfigError, SchemaError
from forecast.schema import (
    DS,
    MODEL,
    QUALIFIER,
    UNIQUE_ID,
    YHAT,
    Y,
    check_levels,
    level_column,
    parse_level_column,
    validate_series,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot"]

_HISTORY_COLOR = "#1f1f1f"
_BOUND_COLOR = "#6b6b6b"
# Colour-blind-safe palette (Okabe and Ito, 2008), history being black.
_MODEL_COLORS = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#F0E442",
    "#999999",
)
_PANEL_WIDTH = {True: 8.0, False: 6.4}  # inches, for one column or several
_PANEL_HEIGHT = 3.8


def _format_number(value: float, _position: object = None) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1000 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.3g}"


def _levels_of(forecasts: pd.DataFrame, levels: Sequence[float] | None) -> tuple[float, ...]:
    present: set[float] = set()
    for column in forecasts.columns:
        parsed = parse_level_column(str(column))
        if parsed is not None:
            present.add(parsed[1])
    if levels is None:
        return tuple(sorted(present))
    wanted = check_levels(levels)
    missing = [level for level in wanted if level not in present]
    if missing:
        raise ConfigError(
            f"levels {', '.join(map(repr, missing))} are not in the forecasts (they have "
            f"{', '.join(map(repr, sorted(present))) or 'no intervals'}); forecast with those "
            "levels first."
        )
    return wanted


def _check_forecasts(forecasts: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(forecasts, pd.DataFrame):
        raise SchemaError(
            f"forecasts must be a DataFrame from fc.forecast, not {type(forecasts).__name__}."
        )
    missing = [c for c in (UNIQUE_ID, MODEL, DS, YHAT) if c not in forecasts.columns]
    if missing:
        raise SchemaError(
            f"the forecast frame lacks column(s) {', '.join(map(repr, missing))}; pass the frame "
            "returned by fc.forecast.",
            column=missing[0],
        )
    out = forecasts.copy()
    out[UNIQUE_ID] = out[UNIQUE_ID].astype(str)
    out[MODEL] = out[MODEL].astype(str)
    out[DS] = pd.to_datetime(out[DS])
    return out.sort_values([UNIQUE_ID, MODEL, DS], kind="mergesort")


def _select(values: Sequence[str] | None, available: list[str], what: str) -> list[str]:
    if values is None:
        return available
    chosen = [values] if isinstance(values, str) else list(values)
    unknown = [v for v in chosen if v not in available]
    if unknown:
        raise ConfigError(
            f"{what} {', '.join(map(repr, unknown))} not found; available: "
            f"{', '.join(map(repr, available))}."
        )
    return chosen


def _grid(n: int) -> tuple[int, int]:
    cols = 1 if n == 1 else 2 if n <= 4 else 3
    return int(np.ceil(n / cols)), cols


def _alphas(levels: tuple[float, ...], n_models: int = 1) -> dict[float, float]:
    """Return the opacity per level.

    The narrowest band is darkest, wider bands lighter, all lighter when several models overlap.
    """
    ordered = sorted(levels)
    scale = 1.0 if n_models <= 1 else 0.65
    return {
        level: scale * (0.34 - 0.2 * i / max(len(ordered) - 1, 1))
        for i, level in enumerate(ordered)
    }


def _row_major(labels: list[str], ncol: int) -> list[str]:
    """Reorder labels so that matplotlib, which fills legend columns first, shows them by rows."""
    rows = -(-len(labels) // ncol)
    return [
        labels[i * ncol + j] for j in range(ncol) for i in range(rows) if i * ncol + j < len(labels)
    ]


def _draw_history(ax: Axes, history: pd.DataFrame) -> None:
    points = history[~history[QUALIFIER].isin([">=", "<="])]
    if len(points):
        ax.plot(
            points[DS],
            points[Y],
            color=_HISTORY_COLOR,
            lw=1.6,
            marker="o",
            ms=2.5,
            label="history",
            zorder=4,
        )
    for qualifier, marker, label in (
        (">=", "^", "lower bound (>=)"),
        ("<=", "v", "upper bound (<=)"),
    ):
        bounds = history[history[QUALIFIER] == qualifier]
        if len(bounds):
            ax.scatter(
                bounds[DS],
                bounds[Y],
                marker=marker,
                s=46,
                color=_BOUND_COLOR,
                edgecolor=_HISTORY_COLOR,
                linewidth=0.6,
                label=label,
                zorder=5,
            )


def _draw_forecast(
    ax: Axes,
    frame: pd.DataFrame,
    color: str,
    label: str,
    levels: tuple[float, ...],
    n_models: int,
) -> None:
    alphas = _alphas(levels, n_models)
    for level in sorted(levels, reverse=True):
        ax.fill_between(
            frame[DS],
            frame[level_column(level, "lo")],
            frame[level_column(level, "hi")],
            color=color,
            alpha=alphas[level],
            linewidth=0,
            zorder=2,
        )
    if n_models > 1 and levels:
        widest = max(levels)
        for side in ("lo", "hi"):
            ax.plot(
                frame[DS],
                frame[level_column(widest, side)],
                color=color,
                lw=0.7,
                alpha=0.7,
                zorder=2,
            )
    ax.plot(frame[DS], frame[YHAT], color=color, lw=1.9, marker="o", ms=2.5, label=label, zorder=3)


def _style_axes(ax: Axes, title: str) -> None:
    import matplotlib.dates as mdates
    from matplotlib.ticker import FuncFormatter

    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.yaxis.set_major_formatter(FuncFormatter(_format_number))
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
    ax.grid(True, color="#e3e3e3", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=9)


def plot(
    history: pd.DataFrame,
    forecasts: pd.DataFrame,
    *,
    ids: Sequence[str] | None = None,
    models: Sequence[str] | None = None,
    levels: Sequence[float] | None = None,
    ax: Axes | None = None,
    max_panels: int = 12,
) -> Figure:
    """Fan chart of forecasts over their history: one panel per series, one colour per model.

    Parameters
    ----------
    history : DataFrame
        The series that were forecast (``unique_id``, ``ds``, ``y``, optional ``qualifier``).
        Points are drawn as a line; one-sided bounds (``qualifier`` ``>=`` or ``<=``) as
        upward or downward triangles. History may run past the forecasts' start (to compare
        held-out forecasts with what happened); a dashed line marks the forecast origin, the
        last observation before the first forecast.
    forecasts : DataFrame
        A forecast frame from :func:`forecast.forecast`.
    ids : sequence of str, optional
        The series to draw, in this order; by default every series of ``history`` and
        ``forecasts`` (a series whose forecasts failed is drawn with its history alone).
    models : sequence of str, optional
        The models to draw; by default all of them.
    levels : sequence of float, optional
        The interval levels to shade (wider bands lighter); by default every level present.
    ax : matplotlib Axes, optional
        Draw into this Axes (one series only); by default a new figure is made.
    max_panels : int
        Most panels drawn at once; more series raise :class:`ConfigError` so none is dropped
        without notice (choose them with ``ids``).

    Returns
    -------
    matplotlib.figure.Figure
        Displayed inline when it is the value of a notebook cell; save it with
        ``fig.savefig("forecast.png", dpi=150)``. A new figure is not left open in pyplot, so it
        is shown once and does not accumulate.

    Raises
    ------
    DataError
        ``history`` breaks the data contract, or ``forecasts`` lacks its columns.
    ConfigError
        Unknown ``ids``, ``models`` or ``levels``, too many panels, or ``ax`` with several series.

    Examples
    --------
    >>> import pandas as pd, forecast as fc
    >>> dates = pd.date_range("2024-01-01", periods=12, freq="MS")
    >>> y = [10.0, 12, 13, 15, 16, 18, 17, 19, 21, 22, 24, 25]
    >>> df = pd.DataFrame({"unique_id": "a", "ds": dates, "y": y})
    >>> fig = fc.plot(df, fc.forecast(df, ["naive", "drift"], h=6))
    >>> len(fig.axes)
    1
    """
    hist = validate_series(history)
    fcst = _check_forecasts(forecasts)
    level_list = _levels_of(fcst, levels)
    chosen_ids = _select(ids, sorted({*fcst[UNIQUE_ID], *hist[UNIQUE_ID]}), "series")
    chosen_models = _select(models, sorted(set(fcst[MODEL])), "models")
    if not chosen_ids:
        raise ConfigError("there is nothing to plot: both frames are empty.")
    if len(chosen_ids) > max_panels:
        raise ConfigError(
            f"{len(chosen_ids)} series would make {len(chosen_ids)} panels, more than "
            f"max_panels={max_panels}; choose some with ids=[...] or raise max_panels."
        )
    if ax is not None and len(chosen_ids) > 1:
        raise ConfigError(
            f"ax= draws one series, but {len(chosen_ids)} are selected; choose one with ids=[...]."
        )

    colors = {
        model: _MODEL_COLORS[i % len(_MODEL_COLORS)]
        for i, model in enumerate(sorted(set(fcst[MODEL])))
    }
    fig, panels, cols = _layout(len(chosen_ids), ax)
    for panel in panels[len(chosen_ids) :]:
        panel.set_visible(False)
    for uid, panel in zip(chosen_ids, panels, strict=False):
        series = hist[hist[UNIQUE_ID] == uid]
        _draw_history(panel, series)
        own = fcst[(fcst[UNIQUE_ID] == uid) & fcst[MODEL].isin(chosen_models)]
        origin = series.loc[series[DS] < own[DS].min(), DS] if len(own) else series[DS].iloc[:0]
        if len(origin):
            panel.axvline(origin.iloc[-1], color="#b0b0b0", lw=0.8, ls="--", zorder=1)
        drawn = 0
        for model in chosen_models:
            frame = own[own[MODEL] == model]
            if len(frame):
                _draw_forecast(panel, frame, colors[model], model, level_list, len(chosen_models))
                drawn += 1
        _style_axes(panel, uid if drawn else f"{uid} (no forecast)")
    if ax is None:
        _legend(fig, panels[: len(chosen_ids)], level_list, len(chosen_models), cols=cols)
    else:
        _legend(ax, [ax], level_list, len(chosen_models), cols=None)
    return fig


def _layout(n: int, ax: Axes | None) -> tuple[Figure, list[Axes], int]:
    """Return the figure, its panels and the number of columns: a new grid, or ``ax`` alone."""
    import matplotlib.pyplot as plt

    if ax is not None:
        fig = ax.get_figure(root=True)
        if fig is None:
            raise ConfigError("ax= must belong to a figure; make it with plt.subplots().")
        return fig, [ax], 1
    rows, cols = _grid(n)
    fig, axes = plt.subplots(
        rows,
        cols,
        figsize=(_PANEL_WIDTH[cols == 1] * cols, _PANEL_HEIGHT * rows + 0.6),
        squeeze=False,
        layout="constrained",
    )
    plt.close(fig)
    return fig, list(axes.ravel()), cols


def _legend(
    target: Figure | Axes,
    panels: list[Axes],
    levels: tuple[float, ...],
    n_models: int,
    *,
    cols: int | None,
) -> None:
    """Draw one legend of the panels' lines and the interval bands.

    Above a figure of ``cols`` columns of panels, or inside the one axes when ``cols`` is None.
    """
    from matplotlib.artist import Artist
    from matplotlib.patches import Patch

    handles: dict[str, Artist] = {}
    for panel in panels:
        for handle, label in zip(*panel.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    alphas = _alphas(levels, n_models)
    for level in levels:
        handles[f"{level:g}% interval"] = Patch(
            facecolor="#555555", alpha=alphas[level], linewidth=0
        )
    if not handles:
        return
    per_row = 1 if cols is None else 7 if cols == 1 else 4 * cols
    ncol = min(len(handles), per_row)
    labels = _row_major(list(handles), ncol)
    target.legend(
        [handles[label] for label in labels],
        labels,
        loc="best" if cols is None else "outside upper center",
        ncol=ncol,
        frameon=False,
        fontsize=9,
    )
