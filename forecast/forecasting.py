"""``fc.forecast``: every model on every series, in one long forecast frame.

The driver owns the long frame: it validates it once, splits it by ``unique_id``, fits a fresh
copy of every model on every series (in worker processes when ``n_jobs > 1``), and assembles
the forecasts in the contract's column order and sort. A series a model cannot handle does not
stop the others. :func:`run_forecast` returns the forecasts and the failures as data (an
:class:`~forecast.engine.result.EngineResult`), for the batch runner and the command line;
:func:`forecast` is its notebook form (see there for how failures are reported).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import pandas as pd

from forecast.engine.calibrate import CallCalibrate, calibrate_models
from forecast.engine.covariates import for_model, prepare_covariates
from forecast.engine.parallel import Progress, check_n_jobs, parallel_map
from forecast.engine.result import EngineResult, assemble, publish
from forecast.engine.specs import ModelSpec, label_models
from forecast.engine.tasks import (
    FitPredictTask,
    TaskResult,
    failures_frame,
    fit_predict_task,
    fit_task,
    predict_task,
    retention_for,
)
from forecast.errors import ConfigError, ForecastError
from forecast.evaluation.calibration import pool_short_series
from forecast.models.base import BaseModel, check_horizon
from forecast.schema import (
    DS,
    MODEL,
    UNIQUE_ID,
    ValidCovariates,
    ValidRetention,
    ValidSeries,
    check_levels,
    forecast_columns,
    valid_retention,
    valid_series,
)

__all__ = ["ModelSpec", "forecast", "label_models", "run_forecast"]

_MAX_LISTED = 5


def _pooled_labels(labelled: dict[str, BaseModel], data: pd.DataFrame) -> set[str]:
    """Labels of the calibrated models, when the call has several series to pool across."""
    if data[UNIQUE_ID].nunique() < 2:
        return set()
    return {label for label, model in labelled.items() if model._calibrated_generically()}


def _predict_fitted(pair: tuple[FitPredictTask, BaseModel]) -> TaskResult:
    return predict_task(*pair)


def _run_tasks(
    tasks: list[FitPredictTask], pooled: set[str], n_jobs: int, progress: Progress | None
) -> list[TaskResult]:
    """Fit and predict every task, in task order.

    The tasks of ``pooled`` labels are fitted first; the models of each such label whose
    series was too short for inner windows are calibrated from the others of the call
    (:func:`forecast.evaluation.calibration.pool_short_series`), then all predict.
    """
    direct = [task for task in tasks if task.label not in pooled]
    done = iter(parallel_map(fit_predict_task, direct, n_jobs=n_jobs, progress=progress))
    waiting = [task for task in tasks if task.label in pooled]
    fitted = parallel_map(fit_task, waiting, n_jobs=n_jobs)
    pairs = [(t, m) for t, m in zip(waiting, fitted, strict=True) if isinstance(m, BaseModel)]
    for label in sorted(pooled):
        pool_short_series([model for task, model in pairs if task.label == label])
    failed = [m for m in fitted if isinstance(m, TaskResult)]
    if failed and progress is not None:
        progress(len(failed))
    predicted = iter(parallel_map(_predict_fitted, pairs, n_jobs=n_jobs, progress=progress))
    pooled_results = iter(m if isinstance(m, TaskResult) else next(predicted) for m in fitted)
    return [next(pooled_results) if task.label in pooled else next(done) for task in tasks]


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


def run_forecast(
    df: pd.DataFrame | ValidSeries,
    models: ModelSpec,
    h: int,
    levels: Sequence[float] = (80, 95),
    retention: pd.DataFrame | ValidRetention | None = None,
    n_jobs: int = 1,
    progress: Progress | None = None,
    *,
    covariates: pd.DataFrame | ValidCovariates | None = None,
    observed: Sequence[str] = (),
    calibrate: CallCalibrate = None,
    pool: bool = True,
) -> EngineResult:
    """Forecast every series with every model; the forecasts and the failures as data.

    Parameters
    ----------
    df : DataFrame or ValidSeries
        Series in long format, validated here unless already checked
        (:func:`forecast.schema.valid_series`).
    models, h, levels, n_jobs
        As for :func:`forecast`.
    retention : DataFrame or ValidRetention, optional
        Cohort retention, validated here unless already checked.
    progress : callable, optional
        Called with the number of (series, model) pairs finished since the last call.
    covariates, observed, calibrate
        As for :func:`forecast`.
    pool : bool
        Calibrate the models of series too short for inner windows from the others of the
        call (as :func:`forecast` does). The batch runner passes False, so that a series'
        forecast never depends on which chunk it fell in.

    Returns
    -------
    EngineResult
        ``frame``: the forecasts of :func:`forecast`; ``failures``: one row per failed
        (series, model) pair (empty when none failed); ``errors``: their exceptions in the
        order of series, then models.

    Raises
    ------
    DataError, ConfigError, UnknownModelError
        As for :func:`forecast`.
    """
    h = check_horizon(h)
    checked_levels = check_levels(levels)
    check_n_jobs(n_jobs)
    labelled = label_models(calibrate_models(models, calibrate))
    data = valid_series(df).frame
    checked = valid_retention(retention)
    clean_retention = None if checked is None else checked.frame
    cov = prepare_covariates(covariates, data, labelled, h, observed)
    tasks = [
        FitPredictTask(
            unique_id=str(uid),
            label=label,
            model=model,
            series=series.reset_index(drop=True),
            h=h,
            levels=checked_levels,
            retention=retention_for(clean_retention, series, str(uid)),
            covariates=for_model(cov, model, str(uid)),
        )
        for uid, series in data.groupby(UNIQUE_ID, sort=True)
        for label, model in labelled.items()
    ]
    pooled = _pooled_labels(labelled, data) if pool else set()
    results = _run_tasks(tasks, pooled, n_jobs, progress)
    frames = [result.forecast for result in results if result.forecast is not None]
    out = assemble(frames, forecast_columns(checked_levels))
    out = out.sort_values([UNIQUE_ID, MODEL, DS], kind="mergesort").reset_index(drop=True)
    errors = tuple(result.error for result in results if result.error is not None)
    failures = failures_frame([result.failure for result in results if result.failure])
    return EngineResult(out, failures, len(tasks), errors)


def forecast(
    df: pd.DataFrame | ValidSeries,
    models: ModelSpec,
    h: int,
    levels: Sequence[float] = (80, 95),
    retention: pd.DataFrame | ValidRetention | None = None,
    n_jobs: int = 1,
    on_error: Literal["collect", "raise"] = "collect",
    progress: Progress | None = None,
    *,
    covariates: pd.DataFrame | ValidCovariates | None = None,
    observed: Sequence[str] = (),
    calibrate: CallCalibrate = None,
) -> pd.DataFrame:
    """Forecast every series of ``df`` with every model.

    Parameters
    ----------
    df : DataFrame or ValidSeries
        Series in long format (``unique_id``, ``ds``, ``y``, optional ``qualifier`` ...); it is
        validated once with :func:`forecast.validate` (unless already checked,
        :func:`forecast.schema.valid_series`) and not modified.
    models : str, BaseModel, sequence or mapping
        Registry names (``"ets"``), model instances (``fc.models.get("ets", transform="log")``,
        cloned before fitting), a list of them, or a dict ``{label: model}`` that names each
        model in the output. Two instances of one model with different hyperparameters are
        labelled by the differing values (``ets[transform='log']``).
    h : int
        Horizon in steps of each series' own frequency (8 quarters for quarterly data).
    levels : sequence of float
        Prediction-interval levels in percent; ``()`` for point forecasts only.
    retention : DataFrame or ValidRetention, optional
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
    covariates : DataFrame, optional
        Covariates known for the history and the ``h`` forecast dates of every series:
        ``ds``, one column per covariate, and ``unique_id`` when they differ by series
        (:func:`forecast.schema.validate_covariates`). Models that use covariates
        (``capabilities.covariates``) get them; the others forecast without them (a
        :class:`~forecast.ForecastWarning` names them); a call in which no model uses them is
        refused. A date without a value is an error before any model runs.
    observed : sequence of str
        Covariates known only once observed (realised spend): each is replaced by itself
        ``h`` steps earlier, ``<name>_lag<h>`` (:mod:`forecast.engine.covariates`), so no
        forecast reads its values after the last observed date.
    calibrate : {None, True, False, "conformal", "scaled", "auto", "off"}
        Calibrate the intervals and sample paths of every model from its own errors in inner
        backtests on its training data (:mod:`forecast.models._calibration`): True or
        ``"conformal"`` on, ``"scaled"`` each model's own bands rescaled by those errors,
        ``"auto"`` per series whichever of the two scores better with each inner window left
        out, False or ``"off"`` off, None (default) each model's own setting.
        It applies to every model given by name, and to every instance whose ``calibrate``
        is its constructor's default; an instance that sets ``calibrate`` keeps it
        (:func:`forecast.engine.calibrate.with_calibrate`). A calibrated model whose series
        is too short for inner windows is calibrated from the scaled inner errors of the
        same model on the call's other series, and a ForecastWarning names it
        (:func:`forecast.evaluation.calibration.pool_short_series`); with no such series,
        its own spread is widened by a stated factor (also named in a warning).

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
        ``df``, ``retention`` or ``covariates`` breaks the data contract (a missing
        covariate value is a :class:`~forecast.errors.CovariateError`).
    CapabilityError
        Covariates given but no model uses them.
    ConfigError
        Bad ``h``, ``levels``, ``n_jobs``, ``on_error``, ``calibrate`` or ``models`` (e.g.
        ``models=None``).
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
    result = run_forecast(
        df,
        models,
        h,
        levels,
        retention,
        n_jobs,
        progress,
        covariates=covariates,
        observed=observed,
        calibrate=calibrate,
    )
    if result.errors and on_error == "raise":
        first: ForecastError = result.errors[0]
        raise first
    return publish(result, _summary)
