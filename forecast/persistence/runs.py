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
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.engine.covariates import for_model, prepare_covariates
from forecast.engine.parallel import Progress, check_n_jobs, parallel_map
from forecast.engine.result import EngineResult, assemble
from forecast.engine.specs import ModelSpec, label_models
from forecast.engine.tasks import failure_record, failures_frame, retention_for
from forecast.errors import (
    CapabilityError,
    ConfigError,
    ForecastError,
    ForecastWarning,
    HistoryError,
    format_rows,
)
from forecast.models.base import BaseModel, check_horizon
from forecast.persistence.folder import (
    ModelKey,
    SavedModel,
    _check_target,
    read_history,
    read_index,
    save_one,
    training_history,
    write_folder,
)
from forecast.persistence.state import STATE_ERRORS, check_forecasts, state_error
from forecast.schema import (
    DS,
    MODEL,
    QUALIFIER,
    UNIQUE_ID,
    ValidCovariates,
    ValidSeries,
    Y,
    check_horizon_dates,
    check_levels,
    forecast_columns,
    valid_covariates,
    valid_retention,
    valid_series,
)

__all__ = ["fit_models", "forecast_and_save", "predict_models", "combine_history"]

_RTOL = 1e-9


@dataclass(frozen=True)
class _Task:
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
class _Result:
    """What one task gives back: ``forecast`` is the model's frame, without ``key`` columns."""

    forecast: pd.DataFrame | None
    error: ForecastError | None = None
    failure: dict[str, object] | None = None
    entry: dict[str, object] | None = None
    model: BaseModel | None = None
    series: pd.DataFrame | None = None
    key: tuple[str, str] = ("", "")


def _predicted(task: _Task, model: BaseModel, series: pd.DataFrame | None) -> pd.DataFrame:
    """Return the model's forecast frame; :func:`_result` labels all of them at once."""
    if series is not None:
        check_horizon_dates(series, task.h)
    covariates = task.covariates if model.covariates_ else None
    return model.predict(task.h, levels=task.levels, covariates=covariates)


def _from_file(task: _Task) -> tuple[BaseModel, pd.DataFrame | None, pd.DataFrame | None]:
    """Load, bring up to date and forecast a saved model: the model, its series, the forecast.

    The model is loaded without its one-step check; the update and the forecast are the
    check, and the errors of an edited state become a ModelFileError naming the file.
    """
    assert task.saved is not None  # only tasks from saved models come here
    where = f"model file {str(task.saved.file)!r}"
    try:
        model, series = _bring_up_to_date(task)
        if not task.h:
            check_forecasts(model, where)
            return model, series, None
        return model, series, _predicted(task, model, series)
    except ForecastError:
        raise
    except STATE_ERRORS as err:
        raise state_error(task.saved.name, where, err) from err


def _run(task: _Task) -> _Result:
    """Fit or update, predict, and save: one unit of work (errors are returned)."""
    series: pd.DataFrame | None = task.series
    try:
        if task.saved is None:
            assert task.model is not None and series is not None  # built so by the drivers
            model = task.model.clone()
            if task.h:
                check_horizon_dates(series, task.h)
            model.fit_validated(series, task.retention, covariates=task.covariates)
            frame = _predicted(task, model, series) if task.h else None
        else:
            model, series, frame = _from_file(task)
        entry: dict[str, object] | None = None
        used: pd.DataFrame | None = None
        if task.directory is not None:
            entry = save_one(Path(task.directory), (task.unique_id, task.label), model)
        if task.directory is not None or task.keep_model:
            used = series if series is not None else task.history
    except ForecastError as err:
        return _Result(None, err, failure_record(task.unique_id, task.label, None, err))
    return _Result(
        frame,
        entry=entry,
        model=model if task.keep_model else None,
        series=used,
        key=(task.unique_id, task.label),
    )


def combine_history(
    saved: SavedModel, history: pd.DataFrame | None, data: pd.DataFrame | None
) -> tuple[pd.DataFrame | None, list[str], int]:
    """Combine a model's saved series with new observations.

    Parameters
    ----------
    saved : SavedModel
        The model's index entry (its last observation and number of observations).
    history : DataFrame or None
        The saved training rows of the series, or None when the folder holds no history.
    data : DataFrame or None
        The new rows of the series (validated), or None.

    Returns
    -------
    tuple
        The full series (None when there are no new data), the dates at or before the model's
        last observation that the data rewrite (empty when none), and the number of rows after
        it.
    """
    if data is None or data.empty:
        return None, [], 0
    data = data.reset_index(drop=True)
    new = data[data[DS] > saved.last_ds]
    old = data[data[DS] <= saved.last_ds]
    if history is None:
        rewritten = [] if len(old) == saved.n_obs else [saved.last_ds.strftime("%Y-%m-%d")]
        return data, rewritten, len(new)
    known = history.set_index(DS)
    saved_y = old[DS].map(known[Y]).to_numpy(dtype=float)
    same = np.isclose(old[Y].to_numpy(dtype=float), saved_y, rtol=_RTOL, atol=0.0)
    if QUALIFIER in old.columns and QUALIFIER in known.columns:
        same &= (old[QUALIFIER] == old[DS].map(known[QUALIFIER])).to_numpy()
    rewritten = [d.strftime("%Y-%m-%d") for d in old.loc[~same, DS]]
    if rewritten:
        kept = history[~history[DS].isin(old[DS])]
        full = pd.concat([kept, old, new], ignore_index=True).sort_values(DS)
    else:
        full = pd.concat([history, new], ignore_index=True)
    columns = [c for c in history.columns if c in full.columns]
    return full[columns].reset_index(drop=True), rewritten, len(new)


def _bring_up_to_date(task: _Task) -> tuple[BaseModel, pd.DataFrame | None]:
    assert task.saved is not None  # only tasks from saved models come here
    saved, uid = task.saved, task.unique_id
    model = saved.load(check=False)
    full, rewritten, n_new = combine_history(saved, task.history, task.series)
    if full is None or (not rewritten and n_new == 0):
        return model, full
    last = saved.last_ds.strftime("%Y-%m-%d")
    if rewritten and not task.refit:
        raise HistoryError(
            f"the data of series {uid!r} rewrite the history model {task.label!r} was fit on "
            f"(up to {last}) at {len(rewritten)} date(s) ({format_rows(rewritten)}); the saved "
            "model is stale. Refit it (forecast predict --refit, or forecast run "
            "--save-models), or give only the rows after its last observation.",
            series=uid,
            column=Y,
            rows=rewritten,
        )
    covariates = task.covariates if model.covariates_ else None
    if not rewritten and model.capabilities.updates:
        return model.update(full, covariates=covariates), full
    if not task.refit:
        raise CapabilityError(
            f"model {task.label!r} cannot update its state with the {n_new} new observation(s) "
            f"of series {uid!r} after {last}; refit it instead (forecast predict --refit, or "
            "fc.persistence.predict_models(..., refit=True))."
        )
    fresh = model.clone()
    fresh.fit(full, retention=task.retention, covariates=covariates)
    return fresh, full


def _tasks_for_fit(
    df: pd.DataFrame | ValidSeries,
    models: ModelSpec,
    h: int,
    levels: tuple[float, ...],
    retention: object,
    directory: str | None,
    keep_model: bool,
    covariates: ValidCovariates | None = None,
) -> list[_Task]:
    labelled = label_models(models)
    data = valid_series(df).frame
    checked = valid_retention(retention)  # type: ignore[arg-type]
    clean = None if checked is None else checked.frame
    return [
        _Task(
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


def _result(results: list[_Result], levels: tuple[float, ...], n_units: int) -> EngineResult:
    """Stack the forecasts, labelled with their series and model, and collect the failures.

    The labels are added once to the stacked frame rather than to each task's frame (two
    column insertions per model cost as much as loading it).
    """
    done = [(r.key, r.forecast) for r in results if r.forecast is not None]
    columns = forecast_columns(levels)
    if done:
        frames = [frame for _, frame in done]
        out = pd.concat(frames, ignore_index=True)
        sizes = [len(frame) for frame in frames]
        for position, column in enumerate((UNIQUE_ID, MODEL)):
            labels = np.array([key[position] for key, _ in done], dtype=object)
            out.insert(position, column, np.repeat(labels, sizes))
        out = out[columns]
    else:
        out = assemble([], columns)
    out = out.sort_values([UNIQUE_ID, MODEL, DS], kind="mergesort").reset_index(drop=True)
    errors = tuple(r.error for r in results if r.error is not None)
    failures = failures_frame([r.failure for r in results if r.failure])
    return EngineResult(out, failures, n_units, errors)


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
    results: list[_Result] = parallel_map(_run, tasks, n_jobs=n_jobs)
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
    results: list[_Result] = parallel_map(_run, tasks, n_jobs=n_jobs, progress=progress)
    entries = [r.entry for r in results if r.entry is not None]
    keys = [(t.unique_id, t.label) for t in tasks]
    write_folder(target, entries, training_history(checked.frame, keys))
    return _result(results, checked_levels, len(tasks))


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
        without covariates forecast without them.

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
    new_rows = _by_series(frame)
    saved_rows = _by_series(history)
    cov = valid_covariates(covariates)
    tasks = [
        _Task(
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
        _import_libraries(entries)
    results: list[_Result] = parallel_map(_run, tasks, n_jobs=n_jobs, progress=progress)
    if target is not None:
        saved = [r.entry for r in results if r.entry is not None]
        write_folder(target, saved, _used_history(tasks, results))
    return _result(results, checked_levels, len(tasks))


def _import_libraries(entries: list[SavedModel]) -> None:
    """Load one model of each registry name here, before the worker processes start.

    Where workers are forked (Linux), they inherit the libraries this imports (statsmodels
    takes about a second to import) instead of importing them each. A file that does not load
    is left to its task, which records the failure.
    """
    first = {e.name: e for e in reversed(entries)}
    for entry in first.values():
        try:
            entry.load(check=False)
        except (ForecastError, *STATE_ERRORS):
            continue


def _by_series(frame: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
    """Split a long frame by series, once (a filter per model would cost n_series passes)."""
    if frame is None:
        return {}
    return {
        str(uid): rows.reset_index(drop=True) for uid, rows in frame.groupby(UNIQUE_ID, sort=False)
    }


def _used_history(tasks: list[_Task], results: list[_Result]) -> pd.DataFrame | None:
    """Collect the series the saved models were brought up to date with, one per series."""
    used: dict[str, pd.DataFrame] = {}
    for task, result in zip(tasks, results, strict=True):
        kept = result.entry is not None or result.model is not None
        if kept and result.series is not None and task.unique_id not in used:
            used[task.unique_id] = result.series.assign(**{UNIQUE_ID: task.unique_id})
    if not used:
        return None
    return pd.concat(list(used.values()), ignore_index=True)
