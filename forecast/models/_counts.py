"""Forecasts of counts never go below zero: the one place that floors them.

A series is a count when its metric (the ``metric`` column, or the second part of
``unique_id``, see :func:`forecast.schema.metric_of`) is a count word such as ``dau``
(:func:`forecast.schema.is_count_metric`). :class:`~forecast.models.base.BaseModel` calls
:func:`floor_forecast` on every forecast frame and :func:`floor_paths` on every set of sample
paths of such a series, after the model's own back-transform, so no registered model needs a
copy of this.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from forecast.errors import ForecastWarning
from forecast.schema import DS, is_count_metric, metric_of

__all__ = ["count_metric", "floor_forecast", "floor_paths"]


def count_metric(data: pd.DataFrame) -> str | None:
    """Return the metric of the one series in ``data`` if it is a count, else None.

    Parameters
    ----------
    data : DataFrame
        Rows of one series with ``unique_id`` (and optionally ``metric``).

    Returns
    -------
    str or None
        The count metric's name (``"dau"``), or None for a series that is not a count.
    """
    if len(data) == 0:
        return None
    metric = str(metric_of(data.iloc[:1]).iloc[0])
    return metric if is_count_metric(metric) else None


def floor_forecast(
    frame: pd.DataFrame, *, model: str, series: str, metric: str, stacklevel: int = 3
) -> pd.DataFrame:
    """Raise the point forecast and the bands of a count series to at least zero.

    Every column but ``ds`` is replaced by ``max(value, 0)``. The map is monotone, so bands
    that nest around the point still nest around it. Lower bands below zero are truncated
    silently (a count's interval cannot reach below zero); a point forecast below zero is
    raised with a :class:`~forecast.ForecastWarning` naming the series, the model and the
    number of steps, since the model's point forecast itself was impossible.

    Parameters
    ----------
    frame : DataFrame
        ``ds``, ``yhat`` and interval columns, on the scale of ``y``.
    model, series, metric : str
        The model's registry name, the series' id and its count metric, for the warning.
    stacklevel : int
        Frames above this function the warning points at.

    Returns
    -------
    DataFrame
        ``frame`` with its values floored (a new frame when any value changed).

    References
    ----------
    .. [1] Hyndman, R. J. and Athanasopoulos, G. (2021). Forecasting: Principles and Practice,
       3rd ed., section 13.3 (ensuring forecasts stay within limits).
    """
    values = frame.drop(columns=DS)
    if not (values.to_numpy(dtype=float) < 0).any():
        return frame
    raised = int((frame["yhat"].to_numpy(dtype=float) < 0).sum())
    out = frame.copy()
    out[values.columns] = np.maximum(values.to_numpy(dtype=float), 0.0)
    if raised:
        warnings.warn(
            f"model {model!r}: forecast below zero for count metric {metric!r} of series "
            f"{series!r} raised to 0 on {raised} of {len(frame)} step(s); a count cannot be "
            "negative. Consider transform='log' or a model that keeps counts positive.",
            ForecastWarning,
            stacklevel=stacklevel,
        )
    return out


def floor_paths(paths: np.ndarray) -> np.ndarray:
    """Truncate sample paths of a count series at zero (``max(path, 0)`` elementwise).

    Parameters
    ----------
    paths : ndarray
        Shape ``(n, h)``, on the scale of ``y``.

    Returns
    -------
    ndarray
        The paths with every negative value replaced by 0.
    """
    return np.maximum(paths, 0.0)
