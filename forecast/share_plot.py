"""Charts of market shares: a stacked area of the point shares over a panel of shares with bands."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forecast.errors import SchemaError
from forecast.schema import DS, PART, SHARE, UNIQUE_ID, level_column
from forecast.share import FORECAST, HISTORY, share_levels

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot_shares"]



def plot_shares(frame: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Draw the shares of a market: stacked point shares above, each share with its bands below.

    History and forecast are told apart by a dashed line at the first forecast date, lighter
    hatched areas in the stacked panel, and dashed forecast lines with shaded 80/95% (or the
    given levels') bands in the lower panel.

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
    """
    import matplotlib.pyplot as plt

    missing = [c for c in (UNIQUE_ID, PART, DS, SHARE) if c not in frame.columns]
    if missing:
        raise SchemaError(f"a share frame needs column(s) {', '.join(map(repr, missing))}; pass the output of fc.shares.")
    levels = share_levels(frame)
    products = sorted(frame[UNIQUE_ID].unique())
    wide = frame.pivot(index=DS, columns=UNIQUE_ID, values=SHARE).reindex(columns=products).sort_index()
    parts = frame.drop_duplicates(DS).set_index(DS)[PART].reindex(wide.index)
    forecast_start = wide.index[parts.to_numpy() == FORECAST].min()
    colors = plt.get_cmap("tab10").colors

    figure, (stack_ax, band_ax) = plt.subplots(2, 1, figsize=(9, 7), sharex=True, height_ratios=(1, 1.2), layout="constrained")
    for part, alpha, hatch in ((HISTORY, 0.85, None), (FORECAST, 0.4, "//")):
        mask = np.array(parts == part, dtype=bool)
        if part == FORECAST and mask.any():
            # join the forecast area to the last observed date so the stack has no gap
            previous = np.flatnonzero(mask)[0] - 1
            if previous >= 0:
                mask[previous] = True
        if not mask.any():
            continue
        block = wide[mask].fillna(0.0)
        stack_ax.stackplot(
            block.index,
            *(block[p].to_numpy() for p in products),
            colors=[colors[i % len(colors)] for i in range(len(products))],
            alpha=alpha,
            hatch=hatch,
            labels=products if part == HISTORY or not (parts == HISTORY).any() else (),
            edgecolor="white",
            linewidth=0.3,
        )
    stack_ax.set_ylim(0, 1)
    stack_ax.set_ylabel("share (stacked)")
    stack_ax.legend(loc="upper left", fontsize=8, ncols=min(len(products), 4), frameon=True)

    for i, product in enumerate(products):
        color = colors[i % len(colors)]
        rows = frame[frame[UNIQUE_ID] == product].sort_values(DS)
        history = rows[rows[PART] == HISTORY]
        future = rows[rows[PART] == FORECAST]
        if len(history):
            band_ax.plot(history[DS], history[SHARE], color=color, marker="o" if len(history) < 30 else None, markersize=3, label=product)
        for k, level in enumerate(sorted(levels, reverse=True)):
            band_ax.fill_between(
                future[DS],
                future[level_column(level, "lo", prefix=SHARE)],
                future[level_column(level, "hi", prefix=SHARE)],
                color=color,
                alpha=0.15 + 0.15 * k,
                linewidth=0,
                label=f"{level:g}% band" if i == 0 else None,
            )
        band_ax.plot(future[DS], future[SHARE], color=color, linestyle="--", label=None if len(history) else product)
    band_ax.set_ylim(0, 1)
    band_ax.set_ylabel("share, with bands")
    for ax in (stack_ax, band_ax):
        if pd.notna(forecast_start):
            ax.axvline(forecast_start, color="black", linestyle=":", linewidth=1)
        ax.grid(alpha=0.3)
    if pd.notna(forecast_start):
        band_ax.annotate("forecast", xy=(forecast_start, 0.97), xytext=(4, 0), textcoords="offset points", fontsize=8, va="top")
    band_ax.legend(loc="upper left", fontsize=8, ncols=2)
    figure.suptitle(title or "Market shares: history and forecast")
    return figure
