"""``fc.plot_scenario``: baseline and scenario side by side over a panel of their difference."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from forecast.errors import SchemaError
from forecast.plotting import (
    _MODEL_COLORS,
    _check_forecasts,
    _draw_forecast,
    _draw_history,
    _FanStyle,
    _finish_panel,
    _legend,
    _levels_of,
)
from forecast.plotting._style import axis_label, is_count
from forecast.schema import DS, MODEL, UNIQUE_ID, validate_series

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_scenario"]

_NAMES = ("baseline", "scenario", "difference")


def plot_scenario(
    history: pd.DataFrame,
    table: pd.DataFrame,
    *,
    levels: Sequence[float] | None = None,
    ylabel: str | None = None,
) -> Figure:
    """Draw a scenario: baseline and scenario fans side by side, their difference below.

    The two upper panels share one y range, so the change reads as a change of level; the
    lower panel draws the difference (scenario minus baseline, from the paired paths) with its
    bands and a line at zero, so a small effect is not lost in the scale of the series. When
    :func:`forecast.scenario` found the effect near zero, the lower panel says why.

    Parameters
    ----------
    history : DataFrame
        The series the model was fitted to (``unique_id``, ``ds``, ``y``, optional
        ``qualifier``).
    table : DataFrame
        The frame of :func:`forecast.scenario` (``model`` is ``baseline``, ``scenario`` and
        ``difference``).
    levels : sequence of float, optional
        Interval levels to shade; every level of the table by default.
    ylabel : str, optional
        The y axis label; by default the series' metric.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    SchemaError
        ``table`` is not a scenario frame.
    ConfigError
        ``levels`` not in the table.

    References
    ----------
    .. [1] Fader, P. S. and Hardie, B. G. S. (2007). How to project customer retention.
       Journal of Interactive Marketing 21(1), 76-90.

    Examples
    --------
    >>> import forecast as fc
    >>> data = fc.datasets.simulate_market(n_products=1, periods=90, seed=0, seasonality=0.0)
    >>> model = fc.models.get("retention_feedback", retention_family="sbg", n_draws=40)
    >>> model = model.fit(data.series[["unique_id", "ds", "y"]], retention=data.retention)
    >>> fig = fc.plot_scenario(data.series, fc.scenario(model, acquisition="x1.2", h=30))
    >>> [ax.get_title(loc="left") for ax in fig.axes][:2]
    ['baseline', 'scenario: acquisition x1.2']
    """
    import matplotlib.pyplot as plt

    frame = _check_forecasts(table)
    missing = [name for name in _NAMES if name not in set(frame[MODEL])]
    if missing:
        raise SchemaError(
            f"the table lacks model(s) {', '.join(map(repr, missing))}; pass the frame of "
            "fc.scenario.",
            column=MODEL,
        )
    level_list = _levels_of(frame, levels)
    uid = str(frame[UNIQUE_ID].iloc[0])
    series = validate_series(history)
    series = series[series[UNIQUE_ID] == uid]
    label = ylabel or axis_label(series if len(series) else frame)
    figure, axes = plt.subplot_mosaic(
        [["baseline", "scenario"], ["difference", "difference"]],
        figsize=(12, 7.5),
        height_ratios=(1.3, 1),
        layout="constrained",
    )
    plt.close(figure)
    count = is_count(series)
    for i, name in enumerate(_NAMES[:2]):
        ax = axes[name]
        _draw_history(ax, series)
        style = _FanStyle(_MODEL_COLORS[i], name, level_list, 1, count)
        notes = _draw_forecast(ax, frame[frame[MODEL] == name], style)
        _finish_panel(ax, _title(name, table), label, count, notes)
    low = min(axes[n].get_ylim()[0] for n in _NAMES[:2])
    high = max(axes[n].get_ylim()[1] for n in _NAMES[:2])
    for name in _NAMES[:2]:
        axes[name].set_ylim(low, high)
    _draw_difference(axes["difference"], frame, level_list, label, table.attrs.get("effect"))
    _legend(figure, [axes[n] for n in _NAMES], level_list, 1)
    return figure


def _title(name: str, table: pd.DataFrame) -> str:
    change = table.attrs.get("change")
    return f"{name}: {change}" if name == "scenario" and change else name


def _draw_difference(
    ax: Axes, frame: pd.DataFrame, levels: tuple[float, ...], label: str | None, effect: object
) -> None:
    from forecast.retention.scenarios import NEAR_ZERO, effect_message

    rows = frame[frame[MODEL] == "difference"]
    style = _FanStyle(_MODEL_COLORS[2], "difference", levels, 1, False)
    _draw_forecast(ax, rows, style)
    ax.axhline(0.0, color="#555555", lw=0.8, zorder=1)
    ax.set_xlim(rows[DS].min() - (rows[DS].max() - rows[DS].min()) * 0.02, rows[DS].max())
    what = f"difference in {label}" if label else "difference"
    _finish_panel(ax, "difference: scenario minus baseline (paired paths)", what, False, [])
    if isinstance(effect, dict) and effect.get("relative_at_horizon", 1.0) < NEAR_ZERO:
        ax.text(
            0.01,
            0.97,
            "effect near zero: " + effect_message(effect),
            transform=ax.transAxes,
            fontsize=8,
            va="top",
            wrap=True,
            color="#8a1c1c",
        )
