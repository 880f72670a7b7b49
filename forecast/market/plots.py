"""Charts of market shares: a stacked area of the point shares over a panel of shares with bands."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forecast.errors import SchemaError
from forecast.market.frames import FORECAST, HISTORY, share_levels
from forecast.plotting._style import MODEL_COLORS, legend_below, marker_for, style_dates, with_gaps
from forecast.schema import DS, MODEL, PART, QUALIFIER, SHARE, UNIQUE_ID, level_column

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_shares"]

_BOUND_MARKERS = {">=": "^", "<=": "v"}
Color = tuple[float, float, float, float]


def _is_bound(frame: pd.DataFrame) -> np.ndarray:
    if QUALIFIER not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return frame[QUALIFIER].isin(tuple(_BOUND_MARKERS)).to_numpy()


def _names(frame: pd.DataFrame, products: list[str]) -> dict[str, str]:
    """Legend name of each product: its id and, when it has forecast rows, its model."""
    out = {}
    for product in products:
        models: np.ndarray | list[str] = (
            frame.loc[(frame[UNIQUE_ID] == product) & (frame[PART] == FORECAST), MODEL].unique()
            if MODEL in frame.columns
            else []
        )
        out[product] = f"{product} ({models[0]})" if len(models) == 1 else product
    return out


def plot_shares(frame: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Draw the shares of a market: stacked point shares above, each share with its bands below.

    History and forecast are told apart by a dashed line at the first forecast date, lighter
    hatched areas in the stacked panel, and dashed forecast lines with shaded 80/95% (or the
    given levels') bands in the lower panel. History rows whose ``qualifier`` is a bound
    (``>=``, ``<=``) are share bounds, not shares: they are left out of the stack and drawn in the
    lower panel as triangles pointing the way the share may lie (up for at least, down for at
    most). Legend names carry each product's forecast model (``hold:sigma=...`` for a held one);
    the one legend sits under the panels, never over the data. Shares read as percentages;
    dense history is a plain line and a gap in the dates is a gap in the line.

    Parameters
    ----------
    frame : DataFrame
        The output of :func:`forecast.shares` (``unique_id``, ``part``, ``ds``, ``share`` and
        ``share_lo_<L>``, ``share_hi_<L>``).
    title : str, optional
        The figure title.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    SchemaError
        A column of a share frame is missing.

    References
    ----------
    .. [1] Hunter, J. D. (2007). Matplotlib: a 2D graphics environment. *Computing in Science
       & Engineering* 9(3), 90-95.
    """
    import matplotlib.pyplot as plt

    missing = [c for c in (UNIQUE_ID, PART, DS, SHARE) if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"a share frame needs column(s) {', '.join(map(repr, missing))}; pass the output of "
            "fc.shares."
        )
    chart = _Chart.of(frame)
    figure, (stack_ax, band_ax) = plt.subplots(
        2, 1, figsize=(9, 7), sharex=True, height_ratios=(1, 1.2), layout="constrained"
    )
    _draw_stack(stack_ax, chart)
    levels = share_levels(frame)
    for i, product in enumerate(chart.products):
        _draw_bands(band_ax, chart, product, _color(i), levels, first=i == 0)
        _draw_bounds(band_ax, chart, product, _color(i))
    _frame_axes(stack_ax, band_ax, chart, frame)
    figure.suptitle(title or "Market shares: history and forecast")
    plt.close(figure)
    _legend(figure, band_ax, stack_ax)
    return figure


def _legend(figure: Figure, band_ax: Axes, stack_ax: Axes) -> None:
    """One legend under both panels: products (with their models), bands and bounds."""
    handles: dict[str, Artist] = {}
    for ax in (band_ax, stack_ax):
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)

    def kind(label: str) -> int:
        return 2 if label.endswith("(bound)") else 1 if label.endswith("% band") else 0

    labels = sorted(handles, key=kind)  # products, then bands, then bounds
    legend_below(figure, [handles[label] for label in labels], labels)


def _color(index: int) -> Color:
    """Return the ``index``-th colour of the colour-blind-safe palette, in a cycle."""
    from matplotlib.colors import to_rgba

    red, green, blue, alpha = to_rgba(MODEL_COLORS[index % len(MODEL_COLORS)])
    return (red, green, blue, alpha)


@dataclass(frozen=True)
class _Chart:
    """The rows of a share frame as the chart uses them."""

    products: list[str]
    names: dict[str, str]
    points: pd.DataFrame
    bounds: pd.DataFrame
    wide: pd.DataFrame
    parts: pd.Series
    forecast_start: pd.Timestamp

    @classmethod
    def of(cls, frame: pd.DataFrame) -> _Chart:
        products = sorted(frame[UNIQUE_ID].unique())
        bound = _is_bound(frame)
        points = frame[~bound]
        wide = (
            points.pivot(index=DS, columns=UNIQUE_ID, values=SHARE)
            .reindex(columns=products)
            .sort_index()
        )
        parts = points.drop_duplicates(DS).set_index(DS)[PART].reindex(wide.index)
        start = points.loc[points[PART] == FORECAST, DS].min()
        return cls(products, _names(frame, products), points, frame[bound], wide, parts, start)


def _draw_stack(ax: Axes, chart: _Chart) -> None:
    """Stack the point shares: history solid, forecast lighter and hatched."""
    has_history = bool((chart.parts == HISTORY).any())
    for part, alpha, hatch in ((HISTORY, 0.85, None), (FORECAST, 0.4, "//")):
        mask = np.array(chart.parts == part, dtype=bool)
        if part == FORECAST and mask.any():
            # join the forecast area to the last observed date so the stack has no gap
            previous = np.flatnonzero(mask)[0] - 1
            if previous >= 0:
                mask[previous] = True
        if not mask.any():
            continue
        block = chart.wide[mask].fillna(0.0)
        ax.stackplot(
            block.index,
            *(block[p].to_numpy() for p in chart.products),
            colors=[_color(i) for i in range(len(chart.products))],
            alpha=alpha,
            hatch=hatch,
            labels=[chart.names[p] for p in chart.products]
            if part == HISTORY or not has_history
            else (),
            edgecolor="white",
            linewidth=0.3,
        )
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of the market (stacked)", fontsize=9)


def _draw_bands(
    ax: Axes,
    chart: _Chart,
    product: str,
    color: Color,
    levels: tuple[float, ...],
    *,
    first: bool,
) -> None:
    """Draw one product's observed shares, forecast line and interval bands."""
    rows = chart.points[chart.points[UNIQUE_ID] == product].sort_values(DS)
    history = rows[rows[PART] == HISTORY]
    future = rows[rows[PART] == FORECAST]
    if len(history):
        dates, values = with_gaps(history[DS], history[SHARE])
        ax.plot(
            dates,
            values,
            color=color,
            marker=marker_for(len(history)),
            markersize=3,
            label=chart.names[product],
        )
    for k, level in enumerate(sorted(levels, reverse=True)):
        ax.fill_between(
            future[DS],
            future[level_column(level, "lo", prefix=SHARE)],
            future[level_column(level, "hi", prefix=SHARE)],
            color=color,
            alpha=0.15 + 0.15 * k,
            linewidth=0,
            label=f"{level:g}% band" if first else None,
        )
    ax.plot(
        future[DS],
        future[SHARE],
        color=color,
        linestyle="--",
        label=None if len(history) else chart.names[product],
    )


def _draw_bounds(ax: Axes, chart: _Chart, product: str, color: Color) -> None:
    """Draw one product's share bounds as labelled triangles."""
    bounds = chart.bounds[chart.bounds[UNIQUE_ID] == product]
    for qualifier, marker in _BOUND_MARKERS.items():
        chosen = bounds[bounds[QUALIFIER] == qualifier]
        if not len(chosen):
            continue
        word = "at least" if qualifier == ">=" else "at most"
        ax.scatter(
            chosen[DS],
            chosen[SHARE],
            color=color,
            marker=marker,
            s=60,
            edgecolor="black",
            linewidth=0.6,
            zorder=3,
            label=f"{product}: share {word} (bound)",
        )
        above = qualifier == "<="
        for ds, share in zip(chosen[DS], chosen[SHARE], strict=True):
            ax.annotate(
                f"{qualifier} {share:.1%}",
                xy=(ds, share),
                xytext=(-2, 9 if above else -9),
                textcoords="offset points",
                ha="right",
                va="bottom" if above else "top",
                fontsize=8,
                color=color,
                fontweight="bold",
            )


def _frame_axes(stack_ax: Axes, band_ax: Axes, chart: _Chart, frame: pd.DataFrame) -> None:
    """Set the band panel's limits and legend, and mark the first forecast date on both."""
    import matplotlib.dates as mdates
    from matplotlib.ticker import PercentFormatter

    band_ax.set_ylim(0, 1)
    first, last = frame[DS].min(), frame[DS].max()
    pad = max((last - first) * 0.04, pd.Timedelta(days=1))
    left = pad * (3 if len(chart.bounds) else 1)  # room for the bounds' labels
    band_ax.set_xlim(first - left, last + pad)
    band_ax.set_ylabel("share of the market, with bands", fontsize=9)
    start = chart.forecast_start
    for ax in (stack_ax, band_ax):
        if pd.notna(start):
            ax.axvline(mdates.date2num(start), color="black", linestyle=":", linewidth=1)
        style_dates(ax)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    if pd.notna(start):
        band_ax.annotate(
            "forecast",
            xy=(start, 0.02),
            xytext=(4, 0),
            textcoords="offset points",
            fontsize=8,
            va="bottom",
        )
