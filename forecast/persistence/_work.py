"""The unit of work of the persistence drivers: fit or load, forecast, and save one model.

:func:`run_task` does one (series, model) pair of :func:`~forecast.persistence.fit_models`,
:func:`~forecast.persistence.forecast_and_save`, :func:`~forecast.persistence.predict_models`
or a batch chunk: fit a clone (the engine's :func:`~forecast.engine.tasks.fit_task`, as
``fc.forecast`` does) or load a saved model and bring it up to date
(:mod:`forecast.persistence._saved`), forecast, and save it; errors are returned, not raised.
:func:`stack_results` stacks the forecasts of many tasks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.engine.result import EngineResult, assemble
from forecast.engine.tasks import (
    FitPredictTask,
    TaskResult,
    failure_record,
    failures_frame,
    fit_task,
)
from forecast.errors import ForecastError
from forecast.models.base import BaseModel
from forecast.persistence._saved import bring_up_to_date
from forecast.persistence.folder import SavedModel, save_one
from forecast.persistence.state import STATE_ERRORS, check_forecasts, state_error
from forecast.schema import (
    DS,
    MODEL,
    UNIQUE_ID,
    ValidCovariates,
    check_horizon_dates,
    forecast_columns,
)

__all__ = ["Task", "Result", "run_task", "stack_results"]


@dataclass(frozen=True)
class Task:
    """One (series, model) pair: fit ``model`` on ``series``, or bring ``saved`` up to date."""

    unique_id: str
    label: str
    model: BaseModel | None
    series: pd.DataFrame | None
    h: int
    levels: tuple[float, ...]
    retention: pd.DataFrame | None = None
    directory: str | None = None
    saved: SavedModel | None = None
    history: pd.DataFrame | None = None
    refit: bool = False
    keep_model: bool = False
    covariates: ValidCovariates | None = None


@dataclass(frozen=True)
class Result:
    """What one task gives back: ``forecast`` is the model's frame, without ``key`` columns."""

    forecast: pd.DataFrame | None
    error: ForecastError | None = None
    failure: dict[str, object] | None = None
    entry: dict[str, object] | None = None
    model: BaseModel | None = None
    series: pd.DataFrame | None = None
    key: tuple[str, str] = ("", "")
    without_covariates: bool = False


def _predicted(task: Task, model: BaseModel, series: pd.DataFrame | None) -> pd.DataFrame:
    """Return the model's forecast frame; :func:`stack_results` labels all of them at once."""
    if series is not None:
        check_horizon_dates(series, task.h)
    covariates = task.covariates if model.covariates_ else None
    return model.predict(task.h, levels=task.levels, covariates=covariates)


def _from_file(task: Task) -> tuple[BaseModel, pd.DataFrame | None, pd.DataFrame | None]:
    """Load, bring up to date and forecast a saved model: the model, its series, the forecast.

    The model is loaded without its one-step check; the update and the forecast are the
    check, and the errors of an edited state become a ModelFileError naming the file.
    """
    assert task.saved is not None  # only tasks from saved models come here
    where = f"model file {str(task.saved.file)!r}"
    try:
        model, series = bring_up_to_date(task)
        if not task.h:
            check_forecasts(model, where)
            return model, series, None
        return model, series, _predicted(task, model, series)
    except ForecastError:
        raise
    except STATE_ERRORS as err:
        raise state_error(task.saved.name, where, err) from err


def run_task(task: Task) -> Result:
    """Fit or update, predict, and save: one unit of work (errors are returned)."""
    series: pd.DataFrame | None = task.series
    without_covariates = False
    try:
        if task.saved is None:
            assert task.model is not None and series is not None  # built so by the drivers
            fitted = fit_task(
                FitPredictTask(
                    task.unique_id,
                    task.label,
                    task.model,
                    series,
                    task.h,
                    task.levels,
                    retention=task.retention,
                    covariates=task.covariates,
                )
            )
            if isinstance(fitted, TaskResult):
                return Result(None, fitted.error, fitted.failure)
            model = fitted
            frame = _predicted(task, model, None) if task.h else None
        else:
            model, series, frame = _from_file(task)
            without_covariates = task.covariates is not None and not model.covariates_
        entry: dict[str, object] | None = None
        used: pd.DataFrame | None = None
        if task.directory is not None:
            entry = save_one(Path(task.directory), (task.unique_id, task.label), model)
        if task.directory is not None or task.keep_model:
            used = series if series is not None else task.history
    except ForecastError as err:
        return Result(None, err, failure_record(task.unique_id, task.label, None, err))
    return Result(
        frame,
        entry=entry,
        model=model if task.keep_model else None,
        series=used,
        key=(task.unique_id, task.label),
        without_covariates=without_covariates,
    )


def stack_results(results: list[Result], levels: tuple[float, ...], n_units: int) -> EngineResult:
    """Stack the forecasts, labelled with their series and model, and collect the failures.

    As ``fc.forecast`` assembles its result (:func:`~forecast.engine.result.assemble`, sorted
    by series, model and date), but the labels are added once to the stacked frame rather
    than to each task's frame (two column insertions per model cost as much as loading it).
    """
    done = [(r.key, r.forecast) for r in results if r.forecast is not None]
    frames = [frame for _, frame in done]
    if frames:
        stacked = pd.concat(frames, ignore_index=True)
        sizes = [len(frame) for frame in frames]
        for position, column in enumerate((UNIQUE_ID, MODEL)):
            labels = np.array([key[position] for key, _ in done], dtype=object)
            stacked.insert(position, column, np.repeat(labels, sizes))
        frames = [stacked]
    out = assemble(frames, forecast_columns(levels))
    out = out.sort_values([UNIQUE_ID, MODEL, DS], kind="mergesort").reset_index(drop=True)
    errors = tuple(r.error for r in results if r.error is not None)
    failures = failures_frame([r.failure for r in results if r.failure])
    return EngineResult(out, failures, n_units, errors)
