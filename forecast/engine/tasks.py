"""One unit of work of the drivers: fit one model on one series and predict, isolating failures.

The drivers (:func:`forecast.forecast`, the backtest, the batch runner) cut their work into
(series, model[, cutoff]) tasks and run :func:`fit_predict_task` on each, in this process or in
worker processes (:func:`forecast.engine.parallel.parallel_map`). A task never raises a
:class:`~forecast.errors.ForecastError`: it returns it in a :class:`TaskResult`, so one series a
model cannot handle never stops the others. Any other exception is a bug and propagates.

The failures frame
------------------
Every driver reports failed tasks in the same frame, one row per failed task, built from
:func:`failure_record` and in the column order of :data:`FAILURE_COLUMNS`:

============== ==================================================================================
column         meaning
============== ==================================================================================
``unique_id``  the series
``model``      the model's label (its registry name unless the caller gave another)
``cutoff``     the last training date of the backtest window; ``NaT`` for a plain forecast
``error_type`` the exception's class name (``HistoryError``, ``CapabilityError``, ``FitError`` ...)
``message``    the exception's message: what went wrong, where, and what to do
============== ==================================================================================

:func:`failures_frame` turns a list of records into that frame, sorted by ``unique_id``,
``model``, ``cutoff`` with a fresh RangeIndex (an empty frame keeps the columns).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from forecast.errors import ForecastError
from forecast.models.base import BaseModel
from forecast.schema import (
    CUTOFF,
    DS,
    ENTITY,
    MODEL,
    UNIQUE_ID,
    ValidCovariates,
    check_horizon_dates,
    forecast_columns,
)

__all__ = [
    "ERROR_TYPE",
    "MESSAGE",
    "FAILURE_COLUMNS",
    "FitPredictTask",
    "TaskResult",
    "failure_record",
    "failures_frame",
    "fit_predict_task",
    "fit_task",
    "predict_task",
    "retention_for",
]

ERROR_TYPE = "error_type"
"""Column of the failures frame holding the exception's class name."""
MESSAGE = "message"
"""Column of the failures frame holding the exception's message."""
FAILURE_COLUMNS: list[str] = [UNIQUE_ID, MODEL, CUTOFF, ERROR_TYPE, MESSAGE]
"""Columns of the failures frame, in order."""


def failure_record(
    unique_id: str,
    model: str,
    cutoff: pd.Timestamp | None,
    error: BaseException,
) -> dict[str, object]:
    """One row of the failures frame.

    Parameters
    ----------
    unique_id : str
        The series that failed.
    model : str
        The model's label.
    cutoff : Timestamp or None
        The backtest cutoff; None (stored as ``NaT``) for a plain forecast.
    error : BaseException
        The error raised by ``fit`` or ``predict``.

    Returns
    -------
    dict
        Keys :data:`FAILURE_COLUMNS`.
    """
    return {
        UNIQUE_ID: str(unique_id),
        MODEL: str(model),
        CUTOFF: pd.NaT if cutoff is None else pd.Timestamp(cutoff),
        ERROR_TYPE: type(error).__name__,
        MESSAGE: str(error),
    }


def failures_frame(records: Sequence[dict[str, object]]) -> pd.DataFrame:
    """Build the failures frame of a run: :data:`FAILURE_COLUMNS`, sorted, fresh RangeIndex.

    Parameters
    ----------
    records : sequence of dict
        Rows built by :func:`failure_record`.

    Returns
    -------
    DataFrame
        One row per failed task; empty (with the columns) when nothing failed.
    """
    frame = pd.DataFrame(list(records), columns=FAILURE_COLUMNS)
    frame[CUTOFF] = pd.to_datetime(frame[CUTOFF]).astype("datetime64[ns]")
    for column in (UNIQUE_ID, MODEL, ERROR_TYPE, MESSAGE):
        frame[column] = frame[column].astype(str)
    frame = frame.sort_values([UNIQUE_ID, MODEL, CUTOFF], kind="mergesort", na_position="first")
    return frame.reset_index(drop=True)


def retention_for(
    retention: pd.DataFrame | None, series: pd.DataFrame, unique_id: str
) -> pd.DataFrame | None:
    """Select the cohort retention rows of one series, as every driver matches them.

    Parameters
    ----------
    retention : DataFrame or None
        A checked retention frame (:func:`forecast.schema.valid_retention`).
    series : DataFrame
        The series' rows of the checked series frame.
    unique_id : str
        The series.

    Returns
    -------
    DataFrame or None
        Without a ``unique_id`` column, the whole frame (one product's cohorts serve every
        series); otherwise the rows whose ``unique_id`` is the series' ``unique_id`` or its
        ``entity``, with a fresh RangeIndex, or None when there are none.
    """
    if retention is None or UNIQUE_ID not in retention.columns:
        return retention
    keys = {unique_id}
    if ENTITY in series.columns:
        keys |= set(series[ENTITY].dropna().astype(str))
    rows = retention[retention[UNIQUE_ID].isin(keys)]
    return rows.reset_index(drop=True) if len(rows) else None


@dataclass(frozen=True)
class FitPredictTask:
    """Fit ``model`` on ``series`` and predict ``h`` steps: one picklable unit of work.

    Attributes
    ----------
    unique_id : str
        The series' name, written into the output.
    label : str
        The model's label, written into the ``model`` column.
    model : BaseModel
        An unfitted model; the task fits a clone, so the same instance may serve many tasks.
    series : DataFrame
        The training data of one series (``ds``, ``y`` and optional columns).
    h : int
        Horizon in steps of the series' frequency.
    levels : tuple of float
        Interval levels, already checked (:func:`forecast.schema.check_levels`).
    retention : DataFrame or None
        Cohort retention passed to ``fit``.
    cutoff : Timestamp or None
        The backtest cutoff; when given, the output has a ``cutoff`` column after ``model``.
    covariates : ValidCovariates or None
        The series' covariates for ``fit`` and ``predict`` (None for a model without them).
    """

    unique_id: str
    label: str
    model: BaseModel
    series: pd.DataFrame
    h: int
    levels: tuple[float, ...]
    retention: pd.DataFrame | None = None
    cutoff: pd.Timestamp | None = None
    covariates: ValidCovariates | None = None


@dataclass(frozen=True)
class TaskResult:
    """What a task gives back: a forecast, or the error that prevented it.

    Attributes
    ----------
    forecast : DataFrame or None
        ``unique_id``, ``model``, (``cutoff``,) ``ds``, ``yhat`` and the interval columns;
        None when the task failed.
    error : ForecastError or None
        The error raised by ``fit`` or ``predict``; None when the task succeeded.
    failure : dict or None
        The error as a row of the failures frame (:func:`failure_record`).
    """

    forecast: pd.DataFrame | None
    error: ForecastError | None = None
    failure: dict[str, object] | None = None


def fit_task(task: FitPredictTask) -> BaseModel | TaskResult:
    """Fit a fresh copy of the task's model on its series.

    Parameters
    ----------
    task : FitPredictTask
        The work to do.

    Returns
    -------
    BaseModel or TaskResult
        The fitted model, or a failed :class:`TaskResult` holding the :class:`ForecastError`
        that ``fit`` raised and its failure record. Other exceptions propagate.
    """
    model = task.model.clone()
    try:
        check_horizon_dates(task.series, task.h)  # before a long fit on an undatable horizon
        model.fit_validated(task.series, task.retention, covariates=task.covariates)
    except ForecastError as err:
        return TaskResult(None, err, failure_record(task.unique_id, task.label, task.cutoff, err))
    return model


def predict_task(task: FitPredictTask, model: BaseModel) -> TaskResult:
    """Predict with ``model``, fitted by :func:`fit_task` for ``task``.

    Returns
    -------
    TaskResult
        The forecast in the contract's column order, or the :class:`ForecastError` that
        ``predict`` raised with its failure record. Other exceptions propagate.
    """
    try:
        predicted = model.predict(task.h, levels=task.levels, covariates=task.covariates)
    except ForecastError as err:
        return TaskResult(None, err, failure_record(task.unique_id, task.label, task.cutoff, err))
    predicted.insert(0, UNIQUE_ID, task.unique_id)
    predicted.insert(1, MODEL, task.label)
    columns = forecast_columns(task.levels)
    if task.cutoff is not None:
        predicted.insert(2, CUTOFF, pd.Timestamp(task.cutoff))
        columns.insert(2, CUTOFF)
    return TaskResult(predicted[columns].sort_values(DS).reset_index(drop=True))


def fit_predict_task(task: FitPredictTask) -> TaskResult:
    """Fit a fresh copy of the task's model on its series and predict.

    Parameters
    ----------
    task : FitPredictTask
        The work to do.

    Returns
    -------
    TaskResult
        The forecast in the contract's column order, or the :class:`ForecastError` that ``fit``
        or ``predict`` raised with its failure record. Other exceptions propagate.
    """
    fitted = fit_task(task)
    return fitted if isinstance(fitted, TaskResult) else predict_task(task, fitted)
