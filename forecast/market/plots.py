"""Charts of market shares: a stacked area of the point shares over a panel of shares with bands."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forecast.errors import SchemaError
from forecast.market.shares import FORECAST, HISTORY, share_levels
from forecast.schema import DS, MODEL, PART, QUALIFIER, SHARE, UNIQUE_ID, level_column

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot_shares"]

_BOUND_MARKERS = {">=": "^", "<=": "v"}


def _is_bound(frame: pd.DataFrame) -> np.ndarray:
    if QUALIFIER not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return frame[QUALIFIER].isin(tuple(_BOUND_MARKERS)).to_numpy()


def _names(frame: pd.DataFrame, products: list[str]) -> dict[str, str]:
    """Legend name of each product: its id and, when it has forecast rows, its model."""
    out = {}
    for product in products:
        models = (
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
    most). Legend names carry each product's forecast model (``hold:sigma=...`` for a held one).

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
        raise SchemaError(
            f"a share frame needs column(s) {', '.join(map(repr, missing))}; pass the output of fc.shares."
        )
    levels = share_levels(frame)
    products = sorted(frame[UNIQUE_ID].unique())
    names = _names(frame, products)
    bound_rows = frame[_is_bound(frame)]
    points = frame[~_is_bound(frame)]
    wide = (
        points.pivot(index=DS, columns=UNIQUE_ID, values=SHARE)
        .reindex(columns=products)
        .sort_index()
    )
    parts = points.drop_duplicates(DS).set_index(DS)[PART].reindex(wide.index)
    forecast_start = points.loc[points[PART] == FORECAST, DS].min()
    colors = plt.get_cmap("tab10").colors

    figure, (stack_ax, band_ax) = plt.subplots(
        2, 1, figsize=(9, 7), sharex=True, height_ratios=(1, 1.2), layout="constrained"
    )
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
            labels=[names[p] for p in products]
            if part == HISTORY or not (parts == HISTORY).any()
            else (),
            edgecolor="white",
            linewidth=0.3,
        )
    stack_ax.set_ylim(0, 1)
    stack_ax.set_ylabel("share (stacked)")
    stack_ax.legend(loc="upper left", fontsize=8, ncols=min(len(products), 4), frameon=True)

    for i, product in enumerate(products):
        color = colors[i % len(colors)]
        rows = points[points[UNIQUE_ID] == product].sort_values(DS)
        history = rows[rows[PART] == HISTORY]
        future = rows[rows[PART] == FORECAST]
        if len(history):
            band_ax.plot(
                history[DS],
                history[SHARE],
                color=color,
                marker="o" if len(history) < 30 else None,
                markersize=3,
                label=names[product],
            )
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
        band_ax.plot(
            future[DS],
            future[SHARE],
            color=color,
            linestyle="--",
            label=None if len(history) else names[product],
        )
        bounds = bound_rows[bound_rows[UNIQUE_ID] == product]
        for qualifier, marker in _BOUND_MARKERS.items():
            chosen = bounds[bounds[QUALIFIER] == qualifier]
            if len(chosen):
                word = "at least" if qualifier == ">=" else "at most"
                band_ax.scatter(
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
                for _, row in chosen.iterrows():
                    band_ax.annotate(
                        f"{qualifier} {row[SHARE]:.1%}",
                        xy=(row[DS], row[SHARE]),
                        xytext=(-2, 9 if above else -9),
                        textcoords="offset points",
                        ha="right",
                        va="bottom" if above else "top",
                        fontsize=8,
                        color=color,
                        fontweight="bold",
                    )
    band_ax.set_ylim(0, 1)
    first, last = frame[DS].min(), frame[DS].max()
    pad = max((last - first) * 0.04, pd.Timedelta(days=1))
    left = pad * (3 if len(bound_rows) else 1)  # room for the bounds' labels
    band_ax.set_xlim(first - left, last + pad)
    band_ax.set_ylabel("share, with bands")
    for ax in (stack_ax, band_ax):
        if pd.notna(forecast_start):
            ax.axvline(forecast_start, color="black", linestyle=":", linewidth=1)
        ax.grid(alpha=0.3)
    if pd.notna(forecast_start):
        band_ax.annotate(
            "forecast",
            xy=(forecast_start, 0.02),
            xytext=(4, 0),
            textcoords="offset points",
            fontsize=8,
            va="bottom",
        )
    band_ax.legend(loc="upper left", fontsize=8, ncols=2)
    figure.suptitle(title or "Market shares: history and forecast")
    return figure
