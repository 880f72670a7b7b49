"""``fc.plot``: fan charts of forecasts over their history, one panel per series.

matplotlib is imported inside :func:`plot`, so ``import forecast`` does not pay for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forecast.errors import ConfigError, SchemaError
from forecast.plotting._style import (
    HISTORY_COLOR,
    MODEL_COLORS,
    axis_label,
    count_floor,
    format_number,
    is_count,
    legend_below,
    marker_for,
    style_dates,
    style_numbers,
    with_gaps,
)
from forecast.schema import (
    DS,
    FILLED,
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

_format_number = format_number

_HISTORY_COLOR = HISTORY_COLOR
_MODEL_COLORS = MODEL_COLORS
_BOUND_COLOR = "#6b6b6b"
_PANEL_WIDTH = {True: 8.0, False: 6.4}  # inches, for one column or several
_PANEL_HEIGHT = 3.8
_MOST_MODELS_IN_ONE_PANEL = 3


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


FILLED_LABEL = "filled, not observed"
"""Legend label of the history points that ``fc.fill_gaps`` filled (hollow circles)."""


def _draw_history(ax: Axes, history: pd.DataFrame) -> None:
    points = history[~history[QUALIFIER].isin([">=", "<="])]
    if len(points):
        dates, values = with_gaps(points[DS], points[Y])
        ax.plot(
            dates,
            values,
            color=_HISTORY_COLOR,
            lw=1.4,
            marker=marker_for(len(points)),
            ms=2.5,
            label="history",
            zorder=4,
        )
    if FILLED in history.columns:
        made_up = points[points[FILLED].astype(bool).to_numpy()]
        if len(made_up):
            ax.scatter(
                made_up[DS],
                made_up[Y],
                marker="o",
                s=22,
                facecolor="white",
                edgecolor=_HISTORY_COLOR,
                linewidth=0.9,
                label=FILLED_LABEL,
                zorder=5,
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


def _draw_forecast(ax: Axes, frame: pd.DataFrame, style: _FanStyle) -> list[str]:
    """Draw one model's fan; return a note for each band of a count cut at zero."""
    alphas = _alphas(style.levels, style.n_models)
    notes = []
    for level in sorted(style.levels, reverse=True):
        lo = frame[level_column(level, "lo")].to_numpy(dtype=float)
        if style.count:
            lo, lowest = count_floor(lo)
            if lowest is not None:
                notes.append(f"{style.label} {level:g}% band to {format_number(lowest)}")
        ax.fill_between(
            frame[DS],
            lo,
            frame[level_column(level, "hi")],
            color=style.color,
            alpha=alphas[level],
            linewidth=0,
            zorder=2,
        )
    if style.n_models > 1 and style.levels:
        widest = max(style.levels)
        for side in ("lo", "hi"):
            edge = frame[level_column(widest, side)].to_numpy(dtype=float)
            ax.plot(
                frame[DS],
                count_floor(edge)[0] if style.count else edge,
                color=style.color,
                lw=0.7,
                alpha=0.7,
                zorder=2,
            )
    point = frame[YHAT].to_numpy(dtype=float)
    if style.count:
        point, lowest = count_floor(point)
        if lowest is not None:
            notes.append(f"{style.label} point forecast to {format_number(lowest)}")
    ax.plot(
        frame[DS],
        point,
        color=style.color,
        lw=1.9,
        marker=marker_for(len(frame)),
        ms=2.5,
        label=style.label,
        zorder=3,
    )
    return notes


@dataclass(frozen=True)
class _FanStyle:
    color: str
    label: str
    levels: tuple[float, ...]
    n_models: int
    count: bool


@dataclass(frozen=True)
class _Panel:
    """One panel: a series and the models drawn over its history."""

    uid: str
    models: tuple[str, ...]
    title: str


def _panels(ids: list[str], models: list[str], by_model: bool) -> list[_Panel]:
    if not by_model:
        return [_Panel(uid, tuple(models), uid) for uid in ids]
    return [_Panel(uid, (model,), f"{uid}: {model}") for uid in ids for model in models]


def _finish_panel(ax: Axes, title: str, label: str | None, count: bool, notes: list[str]) -> None:
    style_dates(ax)
    style_numbers(ax, label)
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
    if count and ax.get_ylim()[0] < 0:
        ax.set_ylim(bottom=0)
    if notes:
        ax.text(
            0.01,
            0.02,
            "below zero, drawn from 0: " + "; ".join(notes),
            transform=ax.transAxes,
            fontsize=7.5,
            color="#8a1c1c",
            va="bottom",
            wrap=True,
        )


def _same_scale(panels: list[_Panel], axes: list[Axes]) -> None:
    """Give the panels of one series the same y range, so models compare at a glance."""
    for uid in dict.fromkeys(p.uid for p in panels):
        own = [ax for p, ax in zip(panels, axes, strict=False) if p.uid == uid]
        low = min(ax.get_ylim()[0] for ax in own)
        high = max(ax.get_ylim()[1] for ax in own)
        for ax in own:
            ax.set_ylim(low, high)


def plot(
    history: pd.DataFrame,
    forecasts: pd.DataFrame,
    *,
    ids: Sequence[str] | None = None,
    models: Sequence[str] | None = None,
    levels: Sequence[float] | None = None,
    ax: Axes | None = None,
    max_panels: int = 12,
    by_model: bool | None = None,
    ylabel: str | None = None,
) -> Figure:
    """Fan chart of forecasts over their history: one panel per series, one colour per model.

    Made to be shown as it is: the legend sits under the panels and always fits in the figure;
    with more than three models each model gets its own panel (same y range within a series)
    so the fans do not pile on each other; dense history is a plain line, and a gap in the
    dates (a missing week) is a gap in the line; numbers read ``1.2M``, ``350k`` or
    ``12,500``; the y axis names the metric (the ``metric`` column or the id's second part,
    ``kimi/dau/all``). A count metric (DAU, MAU, users) is never drawn below zero: the axis
    starts at 0, and a band that still reaches below zero is drawn from 0 with a note on the
    panel saying which band went how low.

    Parameters
    ----------
    history : DataFrame
        The series that were forecast (``unique_id``, ``ds``, ``y``, optional ``qualifier``).
        Points are drawn as a line; one-sided bounds (``qualifier`` ``>=`` or ``<=``) as
        upward or downward triangles; values filled by :func:`forecast.fill_gaps` (``filled``)
        as hollow circles on the line. History may run past the forecasts' start (to compare
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
        Most panels drawn at once; more raise :class:`ConfigError` so none is dropped without
        notice (choose them with ``ids`` or ``models``).
    by_model : bool, optional
        One panel per (series, model) pair; by default when more than three models are drawn
        into a new figure. ``False`` draws every model in its series' panel.
    ylabel : str, optional
        The y axis label; by default the series' metric, none when it has none.

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

    References
    ----------
    .. [1] Okabe, M. and Ito, K. (2008). Color universal design (CUD): how to make figures and
       presentations that are friendly to colorblind people. J*Fly.
    .. [2] Hunter, J. D. (2007). Matplotlib: a 2D graphics environment. Computing in Science &
       Engineering 9(3), 90-95.

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
    if by_model is None:
        by_model = ax is None and len(chosen_models) > _MOST_MODELS_IN_ONE_PANEL
    panels = _panels(chosen_ids, chosen_models, by_model)
    _check_panels(panels, max_panels, ax, by_model)
    colors = {
        model: _MODEL_COLORS[i % len(_MODEL_COLORS)]
        for i, model in enumerate(sorted(set(fcst[MODEL])))
    }
    fig, axes, _cols = _layout(len(panels), ax)
    for extra in axes[len(panels) :]:
        extra.set_visible(False)
    for panel, target in zip(panels, axes, strict=False):
        series = hist[hist[UNIQUE_ID] == panel.uid]
        own = fcst[(fcst[UNIQUE_ID] == panel.uid) & fcst[MODEL].isin(panel.models)]
        _draw_history(target, series)
        origin = series.loc[series[DS] < own[DS].min(), DS] if len(own) else series[DS].iloc[:0]
        if len(origin):
            target.axvline(origin.iloc[-1], color="#b0b0b0", lw=0.8, ls="--", zorder=1)
        count = is_count(series if len(series) else own)
        notes: list[str] = []
        for model in panel.models:
            frame = own[own[MODEL] == model]
            if len(frame):
                style = _FanStyle(colors[model], model, level_list, len(panel.models), count)
                notes += _draw_forecast(target, frame, style)
        title = panel.title if len(own) else f"{panel.title} (no forecast)"
        label = ylabel or axis_label(series if len(series) else own)
        _finish_panel(target, title, label, count, notes)
    if by_model:
        _same_scale(panels, axes)
    per_panel = 1 if by_model else len(chosen_models)  # the bands' opacity as drawn
    _legend(fig if ax is None else ax, axes[: len(panels)], level_list, per_panel)
    return fig


def _check_panels(panels: list[_Panel], max_panels: int, ax: Axes | None, by_model: bool) -> None:
    if len(panels) > max_panels:
        what = "(series, model) pairs" if by_model else "series"
        raise ConfigError(
            f"{len(panels)} {what} would make {len(panels)} panels, more than "
            f"max_panels={max_panels}; choose some with ids=[...] or models=[...], or raise "
            "max_panels."
        )
    if ax is not None and len(panels) > 1:
        raise ConfigError(
            f"ax= draws one panel, but {len(panels)} are selected; choose one series with "
            "ids=[...] (and by_model=False to draw several models in it)."
        )


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


def _legend(target: Figure | Axes, panels: list[Axes], levels: tuple[float, ...], n: int) -> None:
    """One legend of the panels' lines and the interval bands.

    Under the panels of a new figure, never over the data; inside a given ``ax`` otherwise.
    """
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes as AxesType
    from matplotlib.patches import Patch

    handles: dict[str, Artist] = {}
    for panel in panels:
        for handle, label in zip(*panel.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    alphas = _alphas(levels, n)
    for level in levels:
        handles[f"{level:g}% interval"] = Patch(
            facecolor="#555555", alpha=alphas[level], linewidth=0
        )
    if not handles:
        return
    if isinstance(target, AxesType):
        target.legend(list(handles.values()), list(handles), loc="best", frameon=False, fontsize=9)
    else:
        legend_below(target, list(handles.values()), list(handles))
