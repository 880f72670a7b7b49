"""``fc.forecast``: every model on every series, in one long forecast frame.

The driver owns the long frame: it validates it, splits it by ``unique_id``, fits a fresh copy
of every model on every series (in worker processes when ``n_jobs > 1``), and assembles the
forecasts in the contract's column order and sort. A series a model cannot handle does not stop
the others: see :func:`forecast` for how failures are reported.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Literal

import pandas as pd

from forecast.engine.parallel import check_n_jobs, parallel_map
from forecast.engine.specs import ModelSpec, label_models
from forecast.engine.tasks import FitPredictTask, TaskResult, failures_frame, fit_predict_task
from forecast.errors import ConfigError, ForecastWarning
from forecast.models.base import check_horizon
from forecast.schema import (
    DS,
    ENTITY,
    MODEL,
    UNIQUE_ID,
    check_levels,
    forecast_columns,
    validate_retention,
    validate_series,
)

__all__ = ["ModelSpec", "forecast", "label_models"]

_MAX_LISTED = 5


def _retention_for(
    retention: pd.DataFrame | None, series: pd.DataFrame, uid: str
) -> pd.DataFrame | None:
    if retention is None or UNIQUE_ID not in retention.columns:
        return retention
    keys = {uid}
    if ENTITY in series.columns:
        keys |= set(series[ENTITY].dropna().astype(str))
    rows = retention[retention[UNIQUE_ID].isin(keys)]
    return rows.reset_index(drop=True) if len(rows) else None


def _summary(failures: pd.DataFrame, n_tasks: int) -> str:
    shown = [
        f"{row.unique_id!r} with {row.model!r} ({row.error_type}: {row.message})"
        for row in failures.head(_MAX_LISTED).itertuples(index=False)
    ]
    more = len(failures) - len(shown)
    listing = "; ".join(shown) + (f"; and {more} more" if more > 0 else "")
    return (
        f"{len(failures)} of {n_tasks} (series, model) pairs failed and have no forecast: "
        f"{listing}. "
        "The full list is in frame.attrs['failures']."
    )


def forecast(
    df: pd.DataFrame,
    models: ModelSpec,
    h: int,
    levels: Sequence[float] = (80, 95),
    retention: pd.DataFrame | None = None,
    n_jobs: int = 1,
    on_error: Literal["collect", "raise"] = "collect",
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Forecast every series of ``df`` with every model.

    Parameters
    ----------
    df : DataFrame
        Series in long format (``unique_id``, ``ds``, ``y``, optional ``qualifier`` ...); it is
        validated with :func:`forecast.validate` and not modified.
    models : str, BaseModel, sequence or mapping
        Registry names (``"ets"``), model instances (``fc.models.get("ets", transform="log")``,
        cloned before fitting), a list of them, or a dict ``{label: model}`` that names each
        model in the output. Two instances of one model with different hyperparameters are
        labelled by the differing values (``ets[transform='log']``).
    h : int
        Horizon in steps of each series' own frequency (8 quarters for quarterly data).
    levels : sequence of float
        Prediction-interval levels in percent; ``()`` for point forecasts only.
    retention : DataFrame, optional
        Cohort retention (``cohort``, ``age``, ``retention``) passed to every model's ``fit``;
        models that need it use it, the others ignore it. With a ``unique_id`` column, each
        series gets the rows whose ``unique_id`` equals the series' ``unique_id`` or its
        ``entity``.
    n_jobs : int
        Worker processes (-1: every core). The result does not depend on it.
    on_error : {"collect", "raise"}
        What to do when ``fit`` or ``predict`` raises a :class:`~forecast.ForecastError` for
        one (series, model) pair, e.g. a series too short for the model, irregular where the
        model needs regular steps, or holding bounds the model cannot use. ``"collect"``
        (default) forecasts all the other pairs, records each failure and warns once;
        ``"raise"`` raises the first failure (in the order of series, then models).
    progress : callable, optional
        Called with the number of (series, model) pairs finished since the last call, e.g.
        the ``update`` method of a progress bar over ``n_series * n_models`` pairs.

    Returns
    -------
    DataFrame
        Columns ``unique_id``, ``model``, ``ds``, ``yhat``, then ``yhat_lo_<L>``,
        ``yhat_hi_<L>`` per level; rows sorted by ``unique_id``, ``model``, ``ds``; a fresh
        RangeIndex. When some pairs failed, ``frame.attrs["failures"]`` holds one row per
        failed pair with columns ``unique_id``, ``model``, ``cutoff`` (``NaT``),
        ``error_type`` and ``message`` (see :mod:`forecast.engine.tasks`); when none failed the key
        is absent, so ``frame.attrs.get("failures")`` is None.

    Raises
    ------
    DataError
        ``df`` or ``retention`` breaks the data contract.
    ConfigError
        Bad ``h``, ``levels``, ``n_jobs``, ``on_error`` or ``models``.
    UnknownModelError
        A model name that is not registered.
    ForecastError
        With ``on_error="raise"``, the first failure of a (series, model) pair.

    Warns
    -----
    ForecastWarning
        Once, when some pairs failed, summarising them.

    Notes
    -----
    Only :class:`~forecast.ForecastError` is treated as the failure of a pair; any other
    exception is a bug and propagates at once. pandas carries ``attrs`` into frames derived
    from the result but cannot ``pd.concat`` two frames that both hold a failures frame there;
    take it out first with ``failures = out.attrs.pop("failures", None)``.

    Examples
    --------
    >>> import pandas as pd, forecast as fc
    >>> ds = pd.date_range("2024-01-01", periods=6, freq="MS")
    >>> df = pd.DataFrame({"unique_id": "a", "ds": ds, "y": [10.0, 12, 13, 15, 16, 18]})
    >>> out = fc.forecast(df, ["naive", "drift"], h=2)
    >>> out[["model", "ds", "yhat"]]
       model         ds  yhat
    0  drift 2024-07-01  19.6
    1  drift 2024-08-01  21.2
    2  naive 2024-07-01  18.0
    3  naive 2024-08-01  18.0
    """
    if on_error not in ("collect", "raise"):
        raise ConfigError(f"on_error must be 'collect' or 'raise', not {on_error!r}.")
    h = check_horizon(h)
    checked_levels = check_levels(levels)
    check_n_jobs(n_jobs)
    labelled = label_models(models)
    data = validate_series(df)
    clean_retention = validate_retention(retention) if retention is not None else None
    tasks = [
        FitPredictTask(
            unique_id=str(uid),
            label=label,
            model=model,
            series=series.reset_index(drop=True),
            h=h,
            levels=checked_levels,
            retention=_retention_for(clean_retention, series, str(uid)),
        )
        for uid, series in data.groupby(UNIQUE_ID, sort=True)
        for label, model in labelled.items()
    ]
    results: list[TaskResult] = parallel_map(
        fit_predict_task, tasks, n_jobs=n_jobs, progress=progress
    )
    failed = [result for result in results if result.error is not None]
    if failed and on_error == "raise":
        raise failed[0].error  # type: ignore[misc]
    frames = [result.forecast for result in results if result.forecast is not None]
    columns = forecast_columns(checked_levels)
    if frames:
        out = pd.concat(frames, ignore_index=True)[columns]
    else:
        out = pd.DataFrame({column: pd.Series(dtype=float) for column in columns})
        out[UNIQUE_ID] = out[UNIQUE_ID].astype(str)
        out[MODEL] = out[MODEL].astype(str)
        out[DS] = out[DS].astype("datetime64[ns]")
    out = out.sort_values([UNIQUE_ID, MODEL, DS], kind="mergesort").reset_index(drop=True)
    if failed:
        failures = failures_frame([result.failure for result in failed])  # type: ignore[misc]
        out.attrs["failures"] = failures
        warnings.warn(_summary(failures, len(tasks)), ForecastWarning, stacklevel=2)
    return out
