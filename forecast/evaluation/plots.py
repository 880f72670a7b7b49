"""``fc.plot_backtest``: each window's forecasts over the actuals, and error by horizon step."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forecast.errors import ConfigError
from forecast.evaluation.metrics import METRICS, evaluate, levels_of
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
    style_grid,
    style_numbers,
    with_gaps,
)
from forecast.schema import CUTOFF, DS, MODEL, STEP, UNIQUE_ID, YHAT, Y, level_column

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_backtest"]


def plot_backtest(
    backtest_frame: pd.DataFrame,
    history: pd.DataFrame | None = None,
    *,
    series: Sequence[str] | None = None,
    models: Sequence[str] | None = None,
    metric: str = "mase",
    level: float | None = None,
    max_series: int = 4,
) -> Figure:
    """Plot a backtest: forecasts of every window over the actuals, and error by horizon step.

    Parameters
    ----------
    backtest_frame : DataFrame
        The output of :func:`forecast.backtest`.
    history : DataFrame, optional
        The series frame, to draw the actuals before and between the windows too; without it
        the actuals of the forecast dates are drawn.
    series : sequence of str, optional
        Series to draw (the first ``max_series`` by default).
    models : sequence of str, optional
        Models to draw (all by default).
    metric : str
        Metric of the error panel, computed by :func:`forecast.evaluate` per model and horizon
        step (averaged over the drawn series).
    level : float, optional
        Interval band drawn around each forecast; the widest level of the frame by default,
        none when the frame has no intervals.
    max_series : int
        Most series drawn, one row of panels each.

    Returns
    -------
    matplotlib.figure.Figure
        One row per series: the forecasts (left, cutoffs dashed) and the metric by horizon
        step of each model (right). Numbers read ``1.2M`` or ``12,500`` (no offset such as
        ``1e6``), the left axis names the series' metric and the right one the error metric,
        and the legend sits under the panels. A band of a count metric (DAU, users) that
        reaches below zero is drawn from 0 with a note saying how low it went.

    Raises
    ------
    ConfigError
        Unknown series, models or metric, or an empty frame.

    References
    ----------
    .. [1] Hyndman, R. J. and Athanasopoulos, G. (2021). Forecasting: principles and practice,
       3rd ed., section 5.10 (time series cross-validation). OTexts.
    """
    import matplotlib.pyplot as plt

    if len(backtest_frame) == 0:
        raise ConfigError("the backtest frame is empty: nothing to plot (every window failed?).")
    if metric not in METRICS or metric in ("coverage", "width", "interval_score", "msis"):
        raise ConfigError(
            f"metric {metric!r} cannot be drawn by step; use one of mae, rmse, mape, smape, "
            "mase, bias, pinball."
        )
    frame = backtest_frame
    chosen_series = _choose(frame[UNIQUE_ID], series, "series", max_series)
    chosen_models = _choose(frame[MODEL], models, "models", None)
    frame = frame.loc[frame[UNIQUE_ID].isin(chosen_series) & frame[MODEL].isin(chosen_models)]
    levels = levels_of(frame)
    band = (max(levels) if levels else None) if level is None else float(level)
    if band is not None and band not in levels:
        raise ConfigError(
            f"level {band:g} is not in the frame; it has "
            f"{', '.join(f'{v:g}' for v in levels) or 'none'}."
        )
    colours = {model: MODEL_COLORS[i % len(MODEL_COLORS)] for i, model in enumerate(chosen_models)}
    figure, axes = plt.subplots(
        len(chosen_series),
        2,
        figsize=(13, 3.6 * len(chosen_series) + 0.5),
        squeeze=False,
        width_ratios=(3, 1.2),
        layout="constrained",
    )
    plt.close(figure)
    for row, uid in enumerate(chosen_series):
        _draw_windows(axes[row, 0], frame.loc[frame[UNIQUE_ID] == uid], history, uid, colours, band)
        _draw_steps(axes[row, 1], frame.loc[frame[UNIQUE_ID] == uid], metric, colours)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    legend_below(figure, handles, labels)
    return figure


def _choose(
    values: pd.Series, wanted: Sequence[str] | None, what: str, limit: int | None
) -> list[str]:
    present = list(dict.fromkeys(values.astype(str)))
    if wanted is None:
        return present[:limit] if limit else present
    unknown = [w for w in wanted if w not in present]
    if unknown:
        raise ConfigError(
            f"{what} {', '.join(map(repr, unknown))} not in the backtest; it has "
            f"{', '.join(map(repr, present[:20]))}."
        )
    return list(wanted)


def _draw_windows(
    axis: Axes,
    frame: pd.DataFrame,
    history: pd.DataFrame | None,
    uid: str,
    colours: dict[str, str],
    band: float | None,
) -> None:
    start = frame[CUTOFF].min() - (frame[DS].max() - frame[CUTOFF].min()) * 0.5
    if history is not None:
        actual = history.loc[
            (history[UNIQUE_ID].astype(str) == uid) & (pd.to_datetime(history[DS]) >= start)
        ].sort_values(DS)
    else:
        actual = frame.drop_duplicates(DS).sort_values(DS)
    dates, values = with_gaps(actual[DS], actual[Y])
    axis.plot(dates, values, color=HISTORY_COLOR, lw=1.1, label="actual", zorder=4)
    count = is_count(frame)
    for cutoff in frame[CUTOFF].unique():
        axis.axvline(cutoff, color="grey", lw=0.8, ls="--")
    lowest: dict[str, float] = {}  # what of a count went below zero, and how low
    for model, group in frame.groupby(MODEL, sort=False):
        for number, (_, window) in enumerate(group.groupby(CUTOFF)):
            window = window.sort_values(DS)
            point = window[YHAT].to_numpy(dtype=float)
            if count:
                point, low = count_floor(point)
                if low is not None:
                    key = f"{model} point forecast"
                    lowest[key] = min(low, lowest.get(key, 0.0))
            axis.plot(
                window[DS],
                point,
                color=colours[str(model)],
                lw=1.4,
                marker=marker_for(len(window)) if len(window) <= 3 else None,
                ms=3,
                label=str(model) if number == 0 else None,
            )
            if band is not None:
                lo = window[level_column(band, "lo")].to_numpy(dtype=float)
                if count:
                    lo, low = count_floor(lo)
                    if low is not None:
                        key = f"{model} {band:g}% band"
                        lowest[key] = min(low, lowest.get(key, 0.0))
                axis.fill_between(
                    window[DS],
                    lo,
                    window[level_column(band, "hi")],
                    color=colours[str(model)],
                    alpha=0.12,
                    lw=0,
                )
    shade = f", {band:g}% intervals shaded" if band is not None else ""
    axis.set_title(
        f"{uid}: forecasts of each window (cutoffs dashed{shade})", fontsize=10, loc="left"
    )
    style_dates(axis)
    style_numbers(axis, axis_label(frame))
    if count and axis.get_ylim()[0] < 0:
        axis.set_ylim(bottom=0)
    if lowest:
        notes = "; ".join(f"{what} to {format_number(low)}" for what, low in lowest.items())
        axis.text(
            0.01,
            0.02,
            f"below zero, drawn from 0: {notes}",
            transform=axis.transAxes,
            fontsize=7.5,
            color="#8a1c1c",
        )


def _draw_steps(axis: Axes, frame: pd.DataFrame, metric: str, colours: dict[str, str]) -> None:
    from matplotlib.ticker import MaxNLocator

    table = evaluate(frame, metrics=[metric], by=(MODEL, STEP))
    for model, group in table.groupby(MODEL, sort=False):
        axis.plot(
            group[STEP],
            group[metric],
            marker=marker_for(len(group)),
            ms=3,
            color=colours[str(model)],
        )
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    axis.set_xlabel("horizon step")
    axis.set_title(f"{metric} by horizon step", fontsize=10, loc="left")
    style_numbers(axis, metric)
    style_grid(axis)
    if np.all(table[metric].isna()):
        axis.text(
            0.5,
            0.5,
            f"{metric} undefined\n(see fc.evaluate's note)",
            ha="center",
            va="center",
            transform=axis.transAxes,
        )
