"""What every chart of the package shares: colours, numbers, dates, gaps, legends, count floors.

Charts are made for a slide: plain numbers (``1.2M``, ``350k``, ``12,500``), the measured
quantity named on the y axis, lines without markers when points are dense, gaps in the data
drawn as gaps, and one legend outside the data that always fits inside the figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forecast.schema import is_count_metric, metric_of

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.ticker import Formatter

__all__ = [
    "HISTORY_COLOR",
    "MODEL_COLORS",
    "MARKER_LIMIT",
    "axis_formatter",
    "axis_label",
    "count_floor",
    "format_number",
    "legend_below",
    "marker_for",
    "style_dates",
    "style_grid",
    "style_numbers",
    "with_gaps",
]

HISTORY_COLOR = "#1f1f1f"
# Colour-blind-safe palette (Okabe and Ito, 2008), history being black.
MODEL_COLORS = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#999999",
    "#F0E442",
)
MARKER_LIMIT = 24
"""Lines of more points than this are drawn without markers."""
_GAP_FACTOR = 1.5
_INCHES_PER_CHARACTER = 0.075  # at font size 9
_HANDLE_INCHES = 0.6


def format_number(value: float, _position: object = None) -> str:
    """Write a tick value plainly: ``0``, ``12.5``, ``12,500``, ``350k``, ``1.2M``, ``3B``."""
    if value == 0:
        return "0"
    size = abs(value)
    unit, suffix = _unit(size)
    if suffix:
        return f"{value / unit:,.4g}{suffix}"
    if size >= 1000 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.3g}"


def _unit(size: float) -> tuple[float, str]:
    for limit, unit, suffix in ((1e9, 1e9, "B"), (1e6, 1e6, "M"), (1e5, 1e3, "k")):
        if size >= limit:
            return unit, suffix
    return 1.0, ""


def axis_formatter() -> Formatter:
    """Return a tick formatter that writes every tick of an axis in one unit (all k, or all M).

    The unit follows the axis' largest absolute limit, so ``0, 50k, 100k, 150k`` rather than
    ``0, 50,000, 100k``.
    """
    from matplotlib.ticker import Formatter

    class _OneUnit(Formatter):
        def __call__(self, x: float, pos: int | None = None) -> str:
            if x == 0:
                return "0"
            low, high = self.axis.get_view_interval() if self.axis is not None else (x, x)
            unit, suffix = _unit(max(abs(low), abs(high)))
            if not suffix:
                return format_number(x)
            return f"{x / unit:,.4g}{suffix}"

    return _OneUnit()


def marker_for(n_points: int) -> str | None:
    """Return a small dot marker for a sparse line, none for a dense one."""
    return "o" if n_points <= MARKER_LIMIT else None


def with_gaps(ds: pd.Series, values: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Insert a NaN where consecutive dates are further apart than usual, so a line breaks there.

    A step longer than 1.5 times the median step of the series is a gap (a missing week of a
    daily series, a missing month of a monthly one).
    """
    dates = pd.to_datetime(pd.Series(ds)).to_numpy()
    y = np.asarray(values, dtype=float)
    if len(dates) < 3:
        return dates, y
    steps = np.diff(dates)
    usual = np.median(steps)
    breaks = np.flatnonzero(steps > usual * _GAP_FACTOR) + 1
    if not len(breaks):
        return dates, y
    middle = dates[breaks - 1] + steps[breaks - 1] // 2
    return np.insert(dates, breaks, middle), np.insert(y, breaks, np.nan)


def axis_label(frame: pd.DataFrame) -> str | None:
    """Name what a series measures, from its ``metric`` column or its id (``kimi/dau/all``).

    Returns ``None`` when the rows give no metric or several.
    """
    if not len(frame):
        return None
    metrics = {m for m in metric_of(frame).unique() if m}
    if len(metrics) != 1:
        return None
    metric = metrics.pop()
    return metric.upper() if len(metric) <= 5 else metric.replace("_", " ")


def is_count(frame: pd.DataFrame) -> bool:
    """Tell whether the rows are of one count metric (DAU, MAU, users: never below zero)."""
    if not len(frame):
        return False
    metrics = set(metric_of(frame).unique())
    return len(metrics) == 1 and is_count_metric(metrics.pop())


def count_floor(lo: np.ndarray) -> tuple[np.ndarray, float | None]:
    """Return a count band's lower edge as drawn (at least zero) and its lowest value if cut.

    The chart says so when the second item is not None: nothing is cut silently.
    """
    lowest = float(np.nanmin(lo)) if len(lo) else 0.0
    if lowest >= 0:
        return lo, None
    return np.maximum(lo, 0.0), lowest


def style_numbers(ax: Axes, label: str | None) -> None:
    """Plain numbers with separators or k/M on the y axis, and the measured quantity named."""
    ax.yaxis.set_major_formatter(axis_formatter())
    if label:
        ax.set_ylabel(label, fontsize=9)


def style_dates(ax: Axes) -> None:
    """Concise date ticks, a light grid, no top or right spine."""
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    style_grid(ax)
    ax.tick_params(labelsize=9)


def style_grid(ax: Axes) -> None:
    """Draw a light grid behind the data and hide the top and right spines."""
    ax.grid(True, color="#e3e3e3", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def legend_below(figure: Figure, handles: Sequence[Artist], labels: Sequence[str]) -> None:
    """One legend under the panels, in as many columns as fit the figure's width.

    With a constrained layout the panels make room for it, so it never covers data and is
    never clipped.
    """
    if not labels:
        return
    width = float(figure.get_figwidth())
    longest = max(len(label) for label in labels)
    per_item = _HANDLE_INCHES + _INCHES_PER_CHARACTER * longest
    most = int(max(1, min(len(labels), width * 0.95 // per_item)))
    rows = -(-len(labels) // most)
    ncol = -(-len(labels) // rows)  # balanced rows: 4 + 4 rather than 7 + 1
    order = [i * ncol + j for j in range(ncol) for i in range(rows) if i * ncol + j < len(labels)]
    figure.legend(
        [handles[i] for i in order],
        [labels[i] for i in order],
        loc="outside lower center",
        ncol=ncol,
        frameon=False,
        fontsize=9,
    )
