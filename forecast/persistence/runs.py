"""Fit and save the models of a forecast run; forecast later from the saved models.

:func:`fit_models` fits every model on every series and returns the fitted models;
:func:`forecast_and_save` is :func:`forecast.forecasting.run_forecast` that also saves every
fitted model (from the worker that fitted it) into a models folder; :func:`predict_models`
forecasts from a models folder, first bringing each model up to date with new observations.

New observations
----------------
For each series in ``data``, the rows after a model's last observation extend its series:
models that support updates (``update``, no re-estimation) are updated; the others need a
refit. Rows at or before the model's last observation must repeat the saved history (same
dates and values to a relative tolerance of 1e-9); rows that differ or add dates there
*rewrite* the history, and the model is stale. With ``refit=False`` a stale model, or a model
without updates facing new rows, is a failure of that (series, model) pair, whose message says
to refit; with ``refit=True`` it is refit on the saved history with the data's rows replacing
and extending it.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from forecast.engine.covariates import for_model, prepare_covariates
from forecast.engine.parallel import Progress, check_n_jobs, parallel_map
from forecast.engine.result import EngineResult
from forecast.engine.specs import ModelSpec, label_models
from forecast.engine.tasks import retention_for
from forecast.errors import ConfigError, ForecastWarning, format_rows
from forecast.models.base import BaseModel, check_horizon
from forecast.persistence._saved import (
    by_series,
    check_covariate_users,
    combine_history,
    import_libraries,
    used_history,
    warn_without_covariates,
)
from forecast.persistence._work import Result, Task, run_task, stack_results
from forecast.persistence.folder import (
    ModelKey,
    _check_target,
    read_history,
    read_index,
    training_history,
    write_folder,
)
from forecast.schema import (
    MODEL,
    UNIQUE_ID,
    ValidCovariates,
    ValidSeries,
    check_levels,
    valid_covariates,
    valid_retention,
    valid_series,
)

__all__ = ["fit_models", "forecast_and_save", "predict_models", "combine_history"]


def _tasks_for_fit(
    df: pd.DataFrame | ValidSeries,
    models: ModelSpec,
    h: int,
    levels: tuple[float, ...],
    retention: object,
    directory: str | None,
    keep_model: bool,
    covariates: ValidCovariates | None = None,
) -> list[Task]:
    labelled = label_models(models)
    data = valid_series(df).frame
    checked = valid_retention(retention)  # type: ignore[arg-type]
    clean = None if checked is None else checked.frame
    return [
        Task(
            unique_id=str(uid),
            label=label,
            model=model,
            series=series.reset_index(drop=True),
            h=h,
            levels=levels,
            retention=retention_for(clean, series, str(uid)),
            directory=directory,
            keep_model=keep_model,
            covariates=for_model(covariates, model, str(uid)),
        )
        for uid, series in data.groupby(UNIQUE_ID, sort=True)
        for label, model in labelled.items()
    ]


def fit_models(
    df: pd.DataFrame | ValidSeries,
    models: ModelSpec,
    retention: pd.DataFrame | None = None,
    n_jobs: int = 1,
) -> dict[ModelKey, BaseModel]:
    """Fit every model on every series, as :func:`forecast.forecast` does, and return them.

    Parameters
    ----------
    df, models, retention, n_jobs
        As for :func:`forecast.forecast`.

    Returns
    -------
    dict
        ``{(unique_id, label): fitted model}`` for every pair that could be fitted, ready for
        :func:`forecast.save_models`.

    Warns
    -----
    ForecastWarning
        Once, naming the pairs that failed (they are absent from the result).

    References
    ----------
    .. [1] Hyndman, R. J. and Athanasopoulos, G. (2021). Forecasting: Principles and Practice,
       3rd ed., section 5.1 (the tidy forecasting workflow: fit once, forecast many times).
    """
    check_n_jobs(n_jobs)
    tasks = _tasks_for_fit(df, models, 0, (), retention, None, keep_model=True)
    results: list[Result] = parallel_map(run_task, tasks, n_jobs=n_jobs)
    failed = [r.failure for r in results if r.failure]
    if failed:
        shown = "; ".join(f"{f[UNIQUE_ID]!r} with {f[MODEL]!r}: {f['message']}" for f in failed[:5])
        warnings.warn(
            f"{len(failed)} of {len(tasks)} (series, model) pairs could not be fitted and are "
            f"not returned: {shown}{' ...' if len(failed) > 5 else ''}",
            ForecastWarning,
            stacklevel=2,
        )
    return {
        (t.unique_id, t.label): r.model
        for t, r in zip(tasks, results, strict=True)
        if r.model is not None
    }


def forecast_and_save(
    df: pd.DataFrame | ValidSeries,
    models: ModelSpec,
    h: int,
    directory: str | os.PathLike[str],
    levels: Sequence[float] = (80, 95),
    retention: pd.DataFrame | None = None,
    n_jobs: int = 1,
    progress: Progress | None = None,
    *,
    covariates: pd.DataFrame | ValidCovariates | None = None,
    observed: Sequence[str] = (),
) -> EngineResult:
    """:func:`forecast.forecasting.run_forecast`, saving every fitted model into a folder.

    Parameters
    ----------
    df, models, h, levels, retention, n_jobs, progress, covariates, observed
        As for :func:`forecast.forecasting.run_forecast`.
    directory : str or path
        The models folder (see :func:`forecast.save_models`), with the training series as its
        history. Pairs that failed have no model file.

    Returns
    -------
    EngineResult
        The forecasts and failures, as :func:`~forecast.forecasting.run_forecast` returns them.

    References
    ----------
    .. [1] See :func:`fit_models`.
    """
    h = check_horizon(h)
    checked_levels = check_levels(levels)
    check_n_jobs(n_jobs)
    target = Path(directory)
    _check_target(target)
    checked = valid_series(df)
    cov = prepare_covariates(covariates, checked.frame, label_models(models), h, observed)
    tasks = _tasks_for_fit(checked, models, h, checked_levels, retention, str(target), False, cov)
    results: list[Result] = parallel_map(run_task, tasks, n_jobs=n_jobs, progress=progress)
    entries = [r.entry for r in results if r.entry is not None]
    keys = [(t.unique_id, t.label) for t in tasks]
    write_folder(target, entries, training_history(checked.frame, keys))
    return stack_results(results, checked_levels, len(tasks))


def predict_models(
    directory: str | os.PathLike[str],
    h: int,
    levels: Sequence[float] = (80, 95),
    data: pd.DataFrame | ValidSeries | None = None,
    retention: pd.DataFrame | None = None,
    refit: bool = False,
    n_jobs: int = 1,
    progress: Progress | None = None,
    save_to: str | os.PathLike[str] | None = None,
    covariates: pd.DataFrame | ValidCovariates | None = None,
) -> EngineResult:
    """Forecast from a models folder, updating the models with new observations first.

    Parameters
    ----------
    directory : str or path
        A folder written by :func:`forecast.save_models` or ``forecast run --save-models``.
    h : int
        Horizon in steps of each series' frequency, from each model's last observation.
    levels : sequence of float
        Interval levels in percent.
    data : DataFrame, optional
        New observations (long format): the rows after each model's last observation, or the
        whole series. Every series must have saved models. See the module's notes on what
        happens to rows at or before a model's last observation.
    retention : DataFrame, optional
        Cohort retention for models refit with ``refit=True``.
    refit : bool
        Refit stale models, and models without updates that face new rows, instead of
        recording them as failures.
    n_jobs : int
        Worker processes (-1: every core).
    progress : callable, optional
        Called with the number of (series, model) pairs finished since the last call.
    save_to : str or path, optional
        Another folder to save the models to, as they were used: updated or refit, with their
        series as the folder's history. Pairs that failed have no model there.
    covariates : DataFrame, optional
        For models saved with covariates (``covariates_``), their values at the new rows and
        the ``h`` forecast dates (:func:`forecast.schema.validate_covariates`; columns named
        as the models' covariates, ``<name>_lag<h>`` for a lagged observed-only one). Models
        saved without covariates forecast without them (a warning names them), as in
        :func:`forecast.forecast`.

    Returns
    -------
    EngineResult
        The forecasts in the contract's columns and the failed pairs.

    Raises
    ------
    ModelFileError
        The folder cannot be read.
    ConfigError
        Bad ``h`` or ``levels``, or ``data`` holding series without saved models.
    DataError
        ``data`` breaks the data contract.
    CapabilityError
        ``covariates`` given, and no saved model takes covariates.

    Warns
    -----
    ForecastWarning
        Once, naming the (series, model) pairs saved without covariates when ``covariates``
        are given: they forecast without them.

    References
    ----------
    .. [1] Hyndman, R. J. and Athanasopoulos, G. (2021). Forecasting: Principles and Practice,
       3rd ed., section 5.1.
    """
    h = check_horizon(h)
    checked_levels = check_levels(levels)
    check_n_jobs(n_jobs)
    entries = read_index(directory)
    needs_history = data is not None or save_to is not None
    history = read_history(directory) if needs_history else None
    frame = None if data is None else valid_series(data).frame
    if frame is not None:
        unknown = sorted(set(frame[UNIQUE_ID]) - {e.unique_id for e in entries})
        if unknown:
            raise ConfigError(
                f"the data hold series without saved models in {str(directory)!r}: "
                f"{format_rows([repr(u) for u in unknown])}. Remove them, or fit and save them "
                "with 'forecast run --save-models'."
            )
    checked = valid_retention(retention)
    target = None if save_to is None else Path(save_to)
    if target is not None:
        if target.resolve() == Path(directory).resolve():
            raise ConfigError(
                f"save_to is the folder the models are read from ({str(target)!r}); save the "
                "updated models to another folder."
            )
        _check_target(target)
    new_rows = by_series(frame)
    saved_rows = by_series(history)
    cov = valid_covariates(covariates)
    check_covariate_users(entries, cov)
    tasks = [
        Task(
            unique_id=e.unique_id,
            label=e.model,
            model=None,
            series=new_rows.get(e.unique_id),
            h=h,
            levels=checked_levels,
            retention=None if checked is None else checked.frame,
            directory=None if target is None else str(target),
            saved=e,
            history=saved_rows.get(e.unique_id),
            refit=bool(refit),
            covariates=None if cov is None else cov.for_series(e.unique_id),
        )
        for e in entries
    ]
    if check_n_jobs(n_jobs) > 1:
        import_libraries(entries)
    results: list[Result] = parallel_map(run_task, tasks, n_jobs=n_jobs, progress=progress)
    warn_without_covariates(tasks, results)
    if target is not None:
        saved = [r.entry for r in results if r.entry is not None]
        write_folder(target, saved, used_history(tasks, results))
    return stack_results(results, checked_levels, len(tasks))
