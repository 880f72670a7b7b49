"""Rolling-origin backtests: cutoffs computed once and shared, a fresh model per window.

A backtest is planned before any model runs: the arguments are checked
(:mod:`forecast.evaluation.settings`), the input frames validated once, the cutoffs computed
(:mod:`forecast.evaluation.cutoffs`, where a series too short for the windows is found) and
the work cut into chains of windows
(:mod:`forecast.evaluation.windows`, which also gives each window the retention rows known by
its cutoff). The chains run through the package's one rolling-origin loop
(:func:`forecast.engine.rolling.roll`), in worker processes when ``n_jobs > 1``. A window that
fails is a row of the failures, never the end of the call.

A date of the test window that is absent from the series (a gap) keeps its forecast with a
missing ``y``; :func:`forecast.evaluation.metrics.evaluate` counts it in ``n_missing`` and does
not score it. Nothing is filled.

:func:`run_backtest` returns the backtest and its failures as data
(:class:`~forecast.engine.result.EngineResult`), for the batch runner and the command line;
:func:`backtest` is its notebook form.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.engine.calibrate import CallCalibrate, calibrate_models
from forecast.engine.covariates import for_model, prepare_covariates
from forecast.engine.parallel import Progress, check_n_jobs, parallel_map
from forecast.engine.result import EngineResult, assemble, publish
from forecast.engine.specs import ModelSpec, label_models
from forecast.engine.tasks import failure_record, failures_frame
from forecast.errors import HistoryError
from forecast.evaluation.cutoffs import check_cutoffs, cutoff_table, make_cutoffs
from forecast.evaluation.settings import BacktestSettings, Window, backtest_settings
from forecast.evaluation.windows import (
    BacktestTask,
    chains,
    run_backtest_task,
    scales,
    window_retentions,
)
from forecast.models.base import BaseModel
from forecast.schema import (
    CUTOFF,
    DS,
    FILLED,
    MODEL,
    SCALE,
    SEASONAL_PERIOD,
    UNIQUE_ID,
    ValidCovariates,
    ValidRetention,
    ValidSeries,
    Y,
    forecast_columns,
    valid_retention,
    valid_series,
)

__all__ = [
    "BacktestPlan",
    "BacktestTask",
    "backtest",
    "backtest_columns",
    "execute_backtest",
    "make_cutoffs",
    "plan_backtest",
    "run_backtest",
    "run_backtest_task",
]


def backtest_columns(levels: Sequence[float]) -> list[str]:
    """Columns of a backtest frame, in order.

    The forecast columns with ``cutoff`` and ``y`` (:func:`forecast.schema.forecast_columns`),
    then ``scale`` and ``seasonal_period``.
    """
    return [*forecast_columns(levels, backtest=True), SCALE, SEASONAL_PERIOD]


@dataclass(frozen=True)
class BacktestPlan:
    """A checked, planned backtest: what :func:`execute_backtest` runs.

    Attributes
    ----------
    data : DataFrame
        The checked series frame, without the series too short for the windows.
    table : DataFrame
        The cutoffs (``unique_id``, ``window``, ``cutoff``).
    problems : dict
        ``{unique_id: HistoryError}`` of the series too short for the windows.
    labels : tuple of str
        The models' labels.
    tasks : list of BacktestTask
        The chains of windows to run.
    settings : BacktestSettings
        The checked arguments.
    """

    data: pd.DataFrame
    table: pd.DataFrame
    problems: dict[str, HistoryError]
    labels: tuple[str, ...]
    tasks: list[BacktestTask]
    settings: BacktestSettings


def _refit_every(refit: bool | int, n_windows: int) -> int:
    if refit is True:
        return 1
    if refit is False:
        return n_windows
    return int(refit)


def _tasks(
    data: pd.DataFrame,
    table: pd.DataFrame,
    labelled: Mapping[str, BaseModel],
    settings: BacktestSettings,
    retention: pd.DataFrame | None,
    covariates: ValidCovariates | None = None,
) -> list[BacktestTask]:
    by_series = {str(uid): rows[CUTOFF].tolist() for uid, rows in table.groupby(UNIQUE_ID)}
    every = _refit_every(settings.refit, max((len(c) for c in by_series.values()), default=1))
    tasks: list[BacktestTask] = []
    for uid, group in data.groupby(UNIQUE_ID, sort=True):
        cutoffs = [pd.Timestamp(c) for c in by_series.get(str(uid), [])]
        if not cutoffs:  # given cutoffs may leave a series out
            continue
        retentions = window_retentions(retention, group, str(uid), cutoffs)
        known = dict(zip(cutoffs, retentions, strict=True))
        for label, model in labelled.items():
            for chain in chains(len(cutoffs), every, model):
                chain_cutoffs = tuple(cutoffs[w] for w, _ in chain)
                tasks.append(
                    BacktestTask(
                        unique_id=str(uid),
                        label=label,
                        model=model,
                        series=group.loc[group[DS] <= chain_cutoffs[-1]].reset_index(drop=True),
                        cutoffs=chain_cutoffs,
                        refits=tuple(flag for _, flag in chain),
                        h=settings.h,
                        levels=settings.levels,
                        window_size=settings.window_size,
                        retentions=tuple(known[cutoff] for cutoff in chain_cutoffs),
                        covariates=for_model(covariates, model, str(uid)),
                    )
                )
    return tasks


def plan_backtest(
    df: pd.DataFrame | ValidSeries,
    models: ModelSpec,
    h: int,
    n_windows: int = 1,
    step: int | None = None,
    window: Window = "expanding",
    window_size: int | None = None,
    refit: bool | int = True,
    levels: Sequence[float] = (80, 95),
    *,
    retention: pd.DataFrame | ValidRetention | None = None,
    cutoffs: pd.DataFrame | None = None,
    seasonal_period: int | None = None,
    covariates: pd.DataFrame | ValidCovariates | None = None,
    observed: Sequence[str] = (),
    calibrate: CallCalibrate = None,
) -> BacktestPlan:
    """Check the arguments, validate the frames once and plan the work; nothing is fitted.

    Parameters and exceptions are those of :func:`backtest`, except that a series too short
    for the windows is recorded in ``problems`` rather than raised.
    """
    settings = backtest_settings(
        h, n_windows, step, window, window_size, refit, levels, seasonal_period
    )
    labelled = label_models(calibrate_models(models, calibrate))
    data = valid_series(df).frame
    checked = valid_retention(retention)
    if cutoffs is None:
        table, problems = cutoff_table(data, settings.h, settings.n_windows, settings.step)
    else:
        table, problems = check_cutoffs(cutoffs, data), {}
    if problems:
        data = data.loc[~data[UNIQUE_ID].isin(list(problems))]
    clean_retention = None if checked is None else checked.frame
    cov = prepare_covariates(covariates, data, labelled, settings.h, observed, future=False)
    tasks = _tasks(data, table, labelled, settings, clean_retention, cov)
    return BacktestPlan(data, table, problems, tuple(labelled), tasks, settings)


def _assemble(
    plan: BacktestPlan, results: Sequence[tuple[list[pd.DataFrame], object]]
) -> pd.DataFrame:
    frames, uids, labels = [], [], []
    for task, (task_frames, _) in zip(plan.tasks, results, strict=True):
        for frame in task_frames:
            frames.append(frame)
            uids.append((task.unique_id, len(frame)))
            labels.append(task.label)
    columns = backtest_columns(plan.settings.levels)
    predicted = [c for c in columns if c not in (UNIQUE_ID, MODEL, Y, SCALE, SEASONAL_PERIOD)]
    out = assemble(frames, predicted)
    lengths = [n for _, n in uids]
    out.insert(0, UNIQUE_ID, np.repeat([uid for uid, _ in uids], lengths).astype(str))
    out.insert(1, MODEL, np.repeat(labels, lengths).astype(str))
    for column in (CUTOFF, DS):
        out[column] = out[column].astype("datetime64[ns]")
    data = plan.data
    actuals = data[[UNIQUE_ID, DS, Y]].assign(**{DS: data[DS].astype("datetime64[ns]")})
    if FILLED in data.columns:  # a value fc.fill_gaps made up is not an actual: never scored
        actuals[Y] = actuals[Y].mask(data[FILLED].astype(bool))
    out = out.merge(actuals, on=[UNIQUE_ID, DS], how="left", validate="many_to_one")
    window_scales = scales(
        data, plan.table, plan.settings.window_size, plan.settings.seasonal_period
    )
    out = out.merge(window_scales, on=[UNIQUE_ID, CUTOFF], how="left")
    out = out[columns].sort_values([UNIQUE_ID, MODEL, CUTOFF, DS], kind="mergesort")
    return out.reset_index(drop=True)


def execute_backtest(
    plan: BacktestPlan, n_jobs: int = 1, progress: Progress | None = None
) -> EngineResult:
    """Run a planned backtest; the backtest frame and the failed windows as data.

    Parameters
    ----------
    plan : BacktestPlan
        From :func:`plan_backtest`.
    n_jobs : int
        Worker processes (-1 for every core).
    progress : callable, optional
        Called with the number of windows finished since the last call.

    Returns
    -------
    EngineResult
        ``frame``: the backtest of :func:`backtest`; ``failures``: one row per failed window,
        and one per model for each series too short for the windows (cutoff missing).
    """
    records = [
        failure_record(uid, label, None, err)
        for uid, err in plan.problems.items()
        for label in plan.labels
    ]
    if records and progress is not None:
        progress(len(records) * plan.settings.n_windows)
    units = [len(task.cutoffs) for task in plan.tasks]
    results = parallel_map(run_backtest_task, plan.tasks, n_jobs, progress, units)
    for _, task_failures in results:
        records += task_failures
    return EngineResult(
        _assemble(plan, results),
        failures_frame(records),
        sum(units) + len(plan.problems) * len(plan.labels),
    )


def run_backtest(
    df: pd.DataFrame | ValidSeries,
    models: ModelSpec,
    h: int,
    n_windows: int = 1,
    step: int | None = None,
    window: Window = "expanding",
    window_size: int | None = None,
    refit: bool | int = True,
    levels: Sequence[float] = (80, 95),
    n_jobs: int = 1,
    *,
    retention: pd.DataFrame | ValidRetention | None = None,
    cutoffs: pd.DataFrame | None = None,
    seasonal_period: int | None = None,
    progress: Progress | None = None,
    covariates: pd.DataFrame | ValidCovariates | None = None,
    observed: Sequence[str] = (),
    calibrate: CallCalibrate = None,
) -> EngineResult:
    """Backtest every model on every series; the backtest and its failures as data.

    Parameters are those of :func:`backtest`. Nothing is raised for a series too short for
    the windows or for a window whose model fails: each is a row of ``failures``.

    Returns
    -------
    EngineResult
        ``frame``: the backtest frame of :func:`backtest`; ``failures``: the failed windows.
    """
    check_n_jobs(n_jobs)
    plan = plan_backtest(
        df,
        models,
        h,
        n_windows,
        step,
        window,
        window_size,
        refit,
        levels,
        retention=retention,
        cutoffs=cutoffs,
        seasonal_period=seasonal_period,
        covariates=covariates,
        observed=observed,
        calibrate=calibrate,
    )
    return execute_backtest(plan, n_jobs, progress)


def _summary(failures: pd.DataFrame, n_windows: int) -> str:
    first = failures.iloc[0]
    where = (
        "with no room for the windows"
        if pd.isna(first[CUTOFF])
        else f"at cutoff {first[CUTOFF]:%Y-%m-%d}"
    )
    return (
        f"{len(failures)} of {n_windows} backtest window(s) failed (the first: model "
        f"{first[MODEL]!r} on series {first[UNIQUE_ID]!r} {where}: {first['error_type']}: "
        f"{first['message']}). The full list is in frame.attrs['failures']."
    )


def backtest(
    df: pd.DataFrame | ValidSeries,
    models: ModelSpec,
    h: int,
    n_windows: int = 1,
    step: int | None = None,
    window: Window = "expanding",
    window_size: int | None = None,
    refit: bool | int = True,
    levels: Sequence[float] = (80, 95),
    n_jobs: int = 1,
    *,
    retention: pd.DataFrame | ValidRetention | None = None,
    cutoffs: pd.DataFrame | None = None,
    seasonal_period: int | None = None,
    progress: Progress | None = None,
    covariates: pd.DataFrame | ValidCovariates | None = None,
    observed: Sequence[str] = (),
    calibrate: CallCalibrate = None,
) -> pd.DataFrame:
    """Rolling-origin evaluation of models on every series, on cutoffs shared by all models.

    Each window fits a fresh clone of each model on the data up to its cutoff only (the worker
    never receives later rows) and forecasts the ``h`` periods after it.

    Parameters
    ----------
    df : DataFrame or ValidSeries
        Series frame (``unique_id``, ``ds``, ``y``); validated once (unless already checked,
        :func:`forecast.schema.valid_series`), not modified.
    models : str, BaseModel, sequence of them, or mapping label -> model
        Registry names or model instances (cloned, never fitted in place), labelled as
        :func:`forecast.forecast` labels them (:func:`forecast.engine.specs.label_models`).
    h : int
        Horizon in periods of each series' frequency.
    n_windows : int
        Windows per series.
    step : int, optional
        Periods between cutoffs; ``h`` by default.
    window : {"expanding", "sliding"}
        Train on all data up to the cutoff, or on the last ``window_size`` observations.
    window_size : int, optional
        Observations per training window; required for ``window="sliding"``.
    refit : bool or int
        True fits afresh at every window; an integer ``k`` fits at every ``k``-th window and, in
        between, extends the fitted state with ``model.update`` (parameters kept) for models
        whose capabilities include ``updates``; False fits at the first window only. Models that
        cannot update are refit at every window.
    levels : sequence of float
        Interval levels in percent.
    n_jobs : int
        Worker processes (-1 for every core). Results are identical for any value.
    retention : DataFrame or ValidRetention, optional
        Cohort retention (``cohort``, ``age``, ``retention``, optional ``unique_id``), validated
        once with :func:`forecast.schema.validate_retention` and matched to each series as
        :func:`forecast.forecast` does (by ``unique_id`` or ``entity``). Each window's ``fit``
        receives only the rows known by its cutoff: cohort ``c`` at age ``a`` is known at the
        end of the period the age refers to, ``c + (a + 1)`` periods of the retention frame's
        frequency, i.e. for a window whose cutoff is at or after ``c + a`` periods when the
        retention frame and the series share a frequency (:mod:`forecast.evaluation.windows`).
        A window with no known rows gets ``retention=None``, so a model that needs retention
        fails there and the failure is recorded.
    cutoffs : DataFrame, optional
        Cutoffs from :func:`make_cutoffs` (``unique_id``, ``cutoff``); computed from ``h``,
        ``n_windows`` and ``step`` when omitted.
    seasonal_period : int, optional
        Season length of MASE's scale; by default each series' usual one (7 daily, 12 monthly).
    progress : callable, optional
        Called with the number of windows finished since the last call; the call's windows
        number ``n_series * n_models * n_windows`` (the command line draws a progress bar with
        it). The windows of a series too short for them count as finished at the start.
    covariates : DataFrame, optional
        Covariates of every series (:func:`forecast.forecast`), taken as known in advance:
        each window reads them at its training dates and its ``h`` forecast dates.
    observed : sequence of str
        Covariates known only once observed, lagged by ``h`` steps (``<name>_lag<h>``), so
        no window reads their values after its cutoff (:mod:`forecast.engine.covariates`).
    calibrate : {None, True, False, "conformal", "scaled", "off"}
        Calibrate every model's intervals as :func:`forecast.forecast` does (a model given
        as an instance that sets ``calibrate`` keeps it). Each window's model calibrates on
        that window's training data alone, so nothing after a cutoff reaches its intervals.

    Returns
    -------
    DataFrame
        :func:`backtest_columns`: ``unique_id``, ``model``, ``cutoff``, ``ds``, ``yhat``, the
        interval columns, the actual ``y`` (missing where the series lacks that date), ``scale``
        (the in-sample seasonal-naive MAE of the training window, MASE's denominator) and
        ``seasonal_period``, sorted by ``unique_id``, ``model``, ``cutoff``, ``ds``. When some
        windows failed, ``frame.attrs["failures"]`` lists them (``unique_id``, ``model``,
        ``cutoff``, ``error_type``, ``message``) and a :class:`ForecastWarning` says so; a series
        too short for the windows is listed there once per model, with a missing cutoff.

    Raises
    ------
    DataError
        The frame breaks the data contract.
    HistoryError
        No series has room for the windows (e.g. ``n_windows=10**6``); raised before any model
        is fitted.
    ConfigError
        An invalid argument (e.g. ``models=None`` or ``n_windows=0``).

    Notes
    -----
    Cutoffs are computed once, before any model runs, and shared by every model
    (:mod:`forecast.evaluation.cutoffs`). Work is cut into chains of windows of one model on
    one series: a single window when the model is refit at every window, consecutive windows
    when it is updated between refits, and all windows when the model warm-starts from the
    previous window (Prophet). Chains run in parallel with
    :func:`forecast.engine.parallel.parallel_map`.

    References
    ----------
    .. [1] Hyndman, R. J. and Athanasopoulos, G. (2021). Forecasting: Principles and Practice,
       3rd ed., section 5.10 (time series cross-validation).

    Examples
    --------
    >>> import numpy as np, pandas as pd, forecast as fc
    >>> t = np.arange(60.0)
    >>> ds = pd.date_range("2024-01-01", periods=60)
    >>> df = pd.DataFrame({"unique_id": "a", "ds": ds, "y": 100 + t % 7 + 0.1 * t})
    >>> bt = fc.backtest(df, ["naive", "seasonal_naive"], h=7, n_windows=3)
    >>> fc.evaluate(bt, metrics=["mase"])[["model", "mase"]].round(3).to_numpy().tolist()
    [['naive', 2.408], ['seasonal_naive', 1.0]]
    """
    check_n_jobs(n_jobs)
    plan = plan_backtest(
        df,
        models,
        h,
        n_windows,
        step,
        window,
        window_size,
        refit,
        levels,
        retention=retention,
        cutoffs=cutoffs,
        seasonal_period=seasonal_period,
        covariates=covariates,
        observed=observed,
        calibrate=calibrate,
    )
    if plan.problems and not plan.tasks:
        raise next(iter(plan.problems.values()))
    return publish(execute_backtest(plan, n_jobs, progress), _summary)
