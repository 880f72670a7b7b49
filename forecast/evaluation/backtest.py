"""Rolling-origin backtests: cutoffs computed once and shared, a fresh model per window.

How cutoffs are defined
-----------------------
Each series is cut on its own date grid, counted back from its own last date: with horizon
``h``, ``n_windows`` windows and ``step`` periods between cutoffs, the last cutoff lies ``h``
periods (of the series' inferred frequency) before the series' last date and each earlier one
``step`` periods before the next. A window trains on the rows dated on or before its cutoff and
is scored on the ``h`` grid dates after it. So series of different lengths or frequencies (a
monthly and a daily series in one frame) each get ``n_windows`` full windows, and series that
end on the same date with the same frequency share the very same cutoff dates, which is the
usual case of a panel of competing products. The cutoffs are computed once, by
:func:`make_cutoffs`, before any model runs; every model is evaluated on the same ones.

A date of the test window that is absent from the series (a gap) keeps its forecast with a
missing ``y``; :func:`forecast.evaluation.metrics.evaluate` counts it in ``n_missing`` and does not score
it. Nothing is filled.

Retention known by a cutoff
---------------------------
With ``retention=``, each series gets the cohort rows the forecast driver would give it (those
whose ``unique_id`` is the series' ``unique_id`` or ``entity``, or every row when the frame has
no ``unique_id``), and each window gets only the rows known by its cutoff. The observation of
cohort ``c`` at age ``a`` describes the period of the retention frame's own frequency that
starts ``a`` periods after ``c``; it is known once that period is over, at ``c + (a + 1)``
periods. A window's training data run to the end of its cutoff's period (``cutoff`` plus one
period of the series), so the window gets the observation when ``c + (a + 1)`` retention
periods is on or before ``cutoff`` plus one series period. When the two frequencies are the
same this reads: ``c + a`` periods is on or before the cutoff. The retention frequency is
inferred from the cohort dates of the rows of that series; when they hold a single cohort, the
series' own frequency is used. Sliding windows do not shorten the retention history.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from forecast.engine.parallel import parallel_map
from forecast.engine.tasks import failure_record, failures_frame
from forecast.errors import ConfigError, ForecastError, ForecastWarning, HistoryError, SchemaError
from forecast.evaluation.metrics import seasonal_naive_scale
from forecast.forecasting import _retention_for
from forecast.models.base import BaseModel, check_horizon
from forecast.models.registry import resolve
from forecast.schema import (
    AGE,
    COHORT,
    CUTOFF,
    DS,
    MODEL,
    SCALE,
    SEASONAL_PERIOD,
    UNIQUE_ID,
    WINDOW,
    Frequency,
    Y,
    check_levels,
    forecast_columns,
    infer_frequency,
    validate_retention,
    validate_series,
)

__all__ = ["make_cutoffs", "backtest", "backtest_columns", "BacktestTask", "run_backtest_task"]

ModelsArg = str | BaseModel | Sequence[str | BaseModel] | Mapping[str, str | BaseModel]


def backtest_columns(levels: Sequence[float]) -> list[str]:
    """Columns of a backtest frame, in order: the forecast columns with ``cutoff`` and ``y``
    (:func:`forecast.schema.forecast_columns`), then ``scale`` and ``seasonal_period``.
    """
    return [*forecast_columns(levels, backtest=True), SCALE, SEASONAL_PERIOD]


def _positive_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or int(value) < 1:
        raise ConfigError(f"{name} must be a positive integer, not {value!r}.")
    return int(value)


def _frequency(group: pd.DataFrame, uid: str) -> Frequency:
    frequency = infer_frequency(group[DS])
    if frequency is None:
        raise HistoryError(
            f"series {uid!r} has a single date, so it cannot be backtested; give it a longer history "
            "or leave it out of the frame.",
            series=uid,
            column=DS,
        )
    return frequency


def _series_cutoffs(
    group: pd.DataFrame, uid: str, h: int, n_windows: int, step: int
) -> pd.DatetimeIndex:
    frequency = _frequency(group, uid)
    back = h + (n_windows - 1) * step
    grid = pd.date_range(end=group[DS].iloc[-1], periods=back + 1, freq=frequency.offset)
    cutoffs = grid[[w * step for w in range(n_windows)]]
    first = group[DS].iloc[0]
    if cutoffs[0] < first:
        raise HistoryError(
            f"series {uid!r} runs from {first:%Y-%m-%d} to {group[DS].iloc[-1]:%Y-%m-%d}: too short for "
            f"{n_windows} window(s) of h={h} every {step} step(s) (the earliest cutoff would be "
            f"{cutoffs[0]:%Y-%m-%d}). Use fewer windows, a smaller step or horizon, or leave the series out.",
            series=uid,
            column=DS,
        )
    return cutoffs


def make_cutoffs(
    df: pd.DataFrame, h: int, n_windows: int = 1, step: int | None = None
) -> pd.DataFrame:
    """The cutoffs of a rolling-origin backtest, one row per series and window.

    Parameters
    ----------
    df : DataFrame
        Series frame (``unique_id``, ``ds``, ``y``); validated, not modified.
    h : int
        Horizon in periods of each series' own frequency.
    n_windows : int
        Number of windows (cutoffs) per series.
    step : int, optional
        Periods between consecutive cutoffs; ``h`` by default (windows that do not overlap).

    Returns
    -------
    DataFrame
        ``unique_id``, ``window`` (0 for the earliest) and ``cutoff`` (the last training date),
        sorted. The last cutoff lies ``h`` periods before the series' last date and each earlier
        one ``step`` periods before the next (see the module notes).

    Raises
    ------
    DataError
        The frame breaks the data contract, or a series is too short for the windows.
    ConfigError
        ``h``, ``n_windows`` or ``step`` is not a positive integer.

    Examples
    --------
    >>> import pandas as pd, forecast as fc
    >>> df = pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2024-01-01", periods=30), "y": 1.0})
    >>> fc.make_cutoffs(df, h=7, n_windows=2, step=7)["cutoff"].dt.strftime("%m-%d").tolist()
    ['01-16', '01-23']
    """
    h = check_horizon(h)
    n_windows = _positive_int(n_windows, "n_windows")
    step = h if step is None else _positive_int(step, "step")
    table, problems = _cutoff_table(validate_series(df), h, n_windows, step)
    if problems:
        raise next(iter(problems.values()))
    return table


def _cutoff_table(
    data: pd.DataFrame, h: int, n_windows: int, step: int
) -> tuple[pd.DataFrame, dict[str, HistoryError]]:
    """Cutoffs of every series that has room for them, and the error of each that has not."""
    rows = []
    problems: dict[str, HistoryError] = {}
    for uid, group in data.groupby(UNIQUE_ID, sort=True):
        try:
            cutoffs = _series_cutoffs(group, str(uid), h, n_windows, step)
        except HistoryError as err:
            problems[str(uid)] = err
            continue
        for window, cutoff in enumerate(cutoffs):
            rows.append({UNIQUE_ID: str(uid), WINDOW: window, CUTOFF: cutoff})
    out = pd.DataFrame(rows, columns=[UNIQUE_ID, WINDOW, CUTOFF])
    out[CUTOFF] = pd.to_datetime(out[CUTOFF]).astype("datetime64[ns]")
    return out, problems


def _check_cutoffs(cutoffs: pd.DataFrame, data: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in (UNIQUE_ID, CUTOFF) if c not in cutoffs.columns]
    if missing:
        raise SchemaError(
            f"cutoffs lack column(s) {', '.join(map(repr, missing))}; pass the frame of fc.make_cutoffs.",
            column=missing[0],
        )
    out = cutoffs[[UNIQUE_ID, CUTOFF]].copy()
    out[UNIQUE_ID] = out[UNIQUE_ID].astype(str)
    out[CUTOFF] = pd.to_datetime(out[CUTOFF]).astype("datetime64[ns]")
    unknown = sorted(set(out[UNIQUE_ID]) - set(data[UNIQUE_ID]))
    if unknown:
        raise SchemaError(
            f"cutoffs name series absent from the data: {', '.join(map(repr, unknown[:3]))}.",
            series=unknown[0],
            column=UNIQUE_ID,
        )
    out = out.drop_duplicates().sort_values([UNIQUE_ID, CUTOFF], kind="mergesort")
    out[WINDOW] = out.groupby(UNIQUE_ID).cumcount()
    return out.reset_index(drop=True)[[UNIQUE_ID, WINDOW, CUTOFF]]


def _labelled_models(models: ModelsArg) -> list[tuple[str, BaseModel]]:
    if isinstance(models, (str, BaseModel)):
        items: list[tuple[str, str | BaseModel]] = [
            (models if isinstance(models, str) else models.name, models)
        ]
    elif isinstance(models, Mapping):
        items = [(str(label), model) for label, model in models.items()]
    else:
        items = [(m if isinstance(m, str) else getattr(m, "name", str(m)), m) for m in models]
    if not items:
        raise ConfigError("models is empty; name at least one model, e.g. models=['naive', 'ets'].")
    labels = [label for label, _ in items]
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        raise ConfigError(
            f"model label(s) {', '.join(map(repr, repeated))} appear more than once; pass a dict "
            "{label: model} to tell models of the same kind apart."
        )
    return [(label, resolve(model)) for label, model in items]


def _refit_every(refit: bool | int, n_windows: int) -> int:
    if refit is True:
        return 1
    if refit is False:
        return n_windows
    return _positive_int(refit, "refit (True, False or a number of windows)")


def _uses_warm_start(model: BaseModel) -> bool:
    return type(model).warm_start is not BaseModel.warm_start


@dataclass(frozen=True)
class BacktestTask:
    """One chain of windows of one model on one series: a picklable unit of work.

    Windows in a chain depend on each other (the model is updated, or warm-started, from the
    previous window); chains are independent, so their results do not depend on how they are
    spread over processes.

    Attributes
    ----------
    unique_id, label : str
        The series and the model's label.
    model : BaseModel
        An unfitted template; each fit uses a fresh clone.
    series : DataFrame
        The series up to the chain's last cutoff, and nothing later.
    cutoffs : tuple of Timestamp
        The chain's cutoffs in increasing order.
    refits : tuple of bool
        For each cutoff, True to fit a fresh clone, False to ``update`` the previous fit.
    h : int
        Horizon.
    levels : tuple of float
        Interval levels.
    window_size : int or None
        Sliding windows: train on the last ``window_size`` observations up to each cutoff.
    retentions : tuple of (DataFrame or None)
        For each cutoff, the cohort retention rows known by it (see the module notes), passed
        to ``fit``; None when no retention is given or none is known yet.
    """

    unique_id: str
    label: str
    model: BaseModel
    series: pd.DataFrame
    cutoffs: tuple[pd.Timestamp, ...]
    refits: tuple[bool, ...]
    h: int
    levels: tuple[float, ...]
    window_size: int | None = None
    retentions: tuple[pd.DataFrame | None, ...] | None = None


def _retention_ends(retention: pd.DataFrame, series_frequency: Frequency) -> pd.Series:
    """When each retention row becomes known: the end of the period its age refers to."""
    frequency = infer_frequency(retention[COHORT].drop_duplicates()) or series_frequency
    ends = [
        pd.Timestamp(cohort) + (int(age) + 1) * frequency.offset
        for cohort, age in zip(retention[COHORT], retention[AGE], strict=True)
    ]
    return pd.Series(pd.DatetimeIndex(ends), index=retention.index)


def _window_retentions(
    retention: pd.DataFrame | None, group: pd.DataFrame, uid: str, cutoffs: Sequence[pd.Timestamp]
) -> tuple[pd.DataFrame | None, ...]:
    """For each cutoff, the series' retention rows known by the end of its period (None if none)."""
    matched = _retention_for(retention, group, uid)
    if matched is None:
        return (None,) * len(cutoffs)
    frequency = _frequency(group, uid)
    ends = _retention_ends(matched, frequency)
    known = [matched.loc[ends <= pd.Timestamp(cutoff) + frequency.offset] for cutoff in cutoffs]
    return tuple(rows.reset_index(drop=True) if len(rows) else None for rows in known)


def _training(series: pd.DataFrame, cutoff: pd.Timestamp, window_size: int | None) -> pd.DataFrame:
    train = series.loc[series[DS] <= cutoff]
    return train.iloc[-window_size:] if window_size is not None else train


def run_backtest_task(task: BacktestTask) -> tuple[list[pd.DataFrame], list[dict[str, object]]]:
    """Run one chain: fit (or update) on data up to each cutoff and predict ``h`` steps.

    Returns
    -------
    tuple
        The forecasts of the windows that succeeded (``cutoff``, ``ds``, ``yhat`` and the interval
        columns) and the failure records (:func:`forecast.engine.tasks.failure_record`) of the others.
        A failed fit makes the next window of the chain fit afresh.
    """
    frames: list[pd.DataFrame] = []
    failures: list[dict[str, object]] = []
    fitted: BaseModel | None = None
    previous: BaseModel | None = None
    fit_start: pd.Timestamp | None = None
    retentions = task.retentions or (None,) * len(task.cutoffs)
    for cutoff, refit, retention in zip(task.cutoffs, task.refits, retentions, strict=True):
        train = _training(task.series, cutoff, task.window_size)
        try:
            if refit or fitted is None:
                model = task.model.clone()
                if previous is not None:
                    model.warm_start(previous)
                model.fit_validated(train, retention)
                fit_start = train[DS].iloc[0]
            else:
                model = fitted
                model.update(
                    task.series.loc[(task.series[DS] >= fit_start) & (task.series[DS] <= cutoff)]
                )
            predicted = model.predict(task.h, levels=task.levels)
        except ForecastError as err:
            failures.append(failure_record(task.unique_id, task.label, cutoff, err))
            fitted = None
            continue
        fitted = previous = model
        predicted.insert(0, CUTOFF, pd.Timestamp(cutoff))
        frames.append(predicted)
    return frames, failures


def _chains(n_windows: int, every: int, model: BaseModel) -> list[list[tuple[int, bool]]]:
    """Windows grouped into dependent chains, with True where the chain fits afresh."""
    updates = every > 1 and model.capabilities.updates
    flags = [(w, (w % every == 0) if updates else True) for w in range(n_windows)]
    if _uses_warm_start(model):
        return [flags]
    if updates:
        return [flags[i : i + every] for i in range(0, n_windows, every)]
    return [[flag] for flag in flags]


def _scales(
    data: pd.DataFrame, cutoffs: pd.DataFrame, window_size: int | None, seasonal_period: int | None
) -> pd.DataFrame:
    rows = []
    for uid, group in data.groupby(UNIQUE_ID, sort=True):
        frequency = _frequency(group, str(uid))
        m = int(seasonal_period or frequency.seasonal_period)
        for cutoff in cutoffs.loc[cutoffs[UNIQUE_ID] == uid, CUTOFF]:
            train = _training(group, cutoff, window_size)
            if len(train) < 2:
                scale = float("nan")
            else:
                grid = pd.date_range(train[DS].iloc[0], train[DS].iloc[-1], freq=frequency.offset)
                values = train.set_index(DS)[Y].reindex(grid).to_numpy(dtype=float)
                scale = seasonal_naive_scale(values, m)
            rows.append({UNIQUE_ID: str(uid), CUTOFF: cutoff, SCALE: scale, SEASONAL_PERIOD: m})
    out = pd.DataFrame(rows, columns=[UNIQUE_ID, CUTOFF, SCALE, SEASONAL_PERIOD])
    out[CUTOFF] = pd.to_datetime(out[CUTOFF]).astype("datetime64[ns]")
    out[SCALE] = out[SCALE].astype("float64")
    out[SEASONAL_PERIOD] = out[SEASONAL_PERIOD].astype("int64")
    return out


def _summary(failures: pd.DataFrame, n_windows: int) -> str:
    first = failures.iloc[0]
    where = (
        "with no room for the windows"
        if pd.isna(first[CUTOFF])
        else f"at cutoff {first[CUTOFF]:%Y-%m-%d}"
    )
    return (
        f"{len(failures)} of {n_windows} backtest window(s) failed (the first: model {first[MODEL]!r} on "
        f"series {first[UNIQUE_ID]!r} {where}: {first['error_type']}: "
        f"{first['message']}). The full list is in frame.attrs['failures']."
    )


def backtest(
    df: pd.DataFrame,
    models: ModelsArg,
    h: int,
    n_windows: int = 1,
    step: int | None = None,
    window: Literal["expanding", "sliding"] = "expanding",
    window_size: int | None = None,
    refit: bool | int = True,
    levels: Sequence[float] = (80, 95),
    n_jobs: int = 1,
    *,
    retention: pd.DataFrame | None = None,
    cutoffs: pd.DataFrame | None = None,
    seasonal_period: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Rolling-origin evaluation of models on every series, on cutoffs shared by all models.

    Each window fits a fresh clone of each model on the data up to its cutoff only (the worker
    never receives later rows) and forecasts the ``h`` periods after it.

    Parameters
    ----------
    df : DataFrame
        Series frame (``unique_id``, ``ds``, ``y``); validated, not modified.
    models : str, BaseModel, sequence of them, or mapping label -> model
        Registry names or model instances (cloned, never fitted in place). Labels are the
        registry names unless a mapping gives them.
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
    retention : DataFrame, optional
        Cohort retention (``cohort``, ``age``, ``retention``, optional ``unique_id``), validated
        with :func:`forecast.schema.validate_retention` and matched to each series as
        :func:`forecast.forecast` does (by ``unique_id`` or ``entity``). Each window's ``fit``
        receives only the rows known by its cutoff: cohort ``c`` at age ``a`` is known at the
        end of the period the age refers to, ``c + (a + 1)`` periods of the retention frame's
        frequency, i.e. for a window whose cutoff is at or after ``c + a`` periods when the
        retention frame and the series share a frequency (module notes). A window with no
        known rows gets ``retention=None``, so a model that needs retention fails there and
        the failure is recorded.
    cutoffs : DataFrame, optional
        Cutoffs from :func:`make_cutoffs` (``unique_id``, ``cutoff``); computed from ``h``,
        ``n_windows`` and ``step`` when omitted.
    seasonal_period : int, optional
        Season length of MASE's scale; by default each series' usual one (7 daily, 12 monthly).
    progress : callable, optional
        Called as ``progress(advance, total)`` as units of work finish (the command line draws a
        progress bar with it).

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
    ConfigError
        An invalid argument.

    Notes
    -----
    Work is cut into chains of windows of one model on one series: a single window when the
    model is refit at every window, consecutive windows when it is updated between refits, and
    all windows when the model warm-starts from the previous window (Prophet). Chains run in
    parallel with :func:`forecast.engine.parallel.parallel_map`.

    Examples
    --------
    >>> import numpy as np, pandas as pd, forecast as fc
    >>> df = pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2024-01-01", periods=60),
    ...                    "y": 100 + np.arange(60.0) % 7 + 0.1 * np.arange(60.0)})
    >>> bt = fc.backtest(df, ["naive", "seasonal_naive"], h=7, n_windows=3)
    >>> fc.evaluate(bt, metrics=["mase"])[["model", "mase"]].round(3).to_numpy().tolist()
    [['naive', 2.408], ['seasonal_naive', 1.0]]
    """
    h = check_horizon(h)
    n_windows = _positive_int(n_windows, "n_windows")
    step = h if step is None else _positive_int(step, "step")
    levels = check_levels(levels)
    if window not in ("expanding", "sliding"):
        raise ConfigError(f"window must be 'expanding' or 'sliding', not {window!r}.")
    if window == "sliding":
        if window_size is None:
            raise ConfigError(
                "window='sliding' needs window_size, the number of observations per training window."
            )
        window_size = _positive_int(window_size, "window_size")
    elif window_size is not None:
        raise ConfigError(
            "window_size applies to window='sliding' only; drop it or set window='sliding'."
        )
    if seasonal_period is not None:
        seasonal_period = _positive_int(seasonal_period, "seasonal_period")
    labelled = _labelled_models(models)
    data = validate_series(df)
    clean_retention = validate_retention(retention) if retention is not None else None
    if cutoffs is None:
        table, problems = _cutoff_table(data, h, n_windows, step)
    else:
        table, problems = _check_cutoffs(cutoffs, data), {}
    records = [
        failure_record(uid, label, None, err)
        for uid, err in problems.items()
        for label, _ in labelled
    ]
    data = data.loc[~data[UNIQUE_ID].isin(list(problems))]
    every = _refit_every(refit, int(table.groupby(UNIQUE_ID).size().max()) if len(table) else 1)

    tasks: list[BacktestTask] = []
    for uid, group in data.groupby(UNIQUE_ID, sort=True):
        series_cutoffs = list(table.loc[table[UNIQUE_ID] == uid, CUTOFF])
        known = dict(
            zip(
                series_cutoffs,
                _window_retentions(clean_retention, group, str(uid), series_cutoffs),
                strict=True,
            )
        )
        for label, model in labelled:
            for chain in _chains(len(series_cutoffs), every, model):
                chain_cutoffs = tuple(pd.Timestamp(series_cutoffs[w]) for w, _ in chain)
                tasks.append(
                    BacktestTask(
                        unique_id=str(uid),
                        label=label,
                        model=model,
                        series=group.loc[group[DS] <= chain_cutoffs[-1]].reset_index(drop=True),
                        cutoffs=chain_cutoffs,
                        refits=tuple(flag for _, flag in chain),
                        h=h,
                        levels=levels,
                        window_size=window_size,
                        retentions=tuple(known[cutoff] for cutoff in chain_cutoffs),
                    )
                )
    tick = None if progress is None else (lambda advance: progress(advance, len(tasks)))
    results = parallel_map(run_backtest_task, tasks, n_jobs=n_jobs, progress=tick)

    frames = []
    for task, (task_frames, task_failures) in zip(tasks, results, strict=True):
        for frame in task_frames:
            frames.append(frame.assign(**{UNIQUE_ID: task.unique_id, MODEL: task.label}))
        records += task_failures
    columns = backtest_columns(levels)
    predicted_columns = [c for c in columns if c not in (Y, SCALE, SEASONAL_PERIOD)]
    if frames:
        out = pd.concat(frames, ignore_index=True)
    else:
        out = pd.DataFrame({c: pd.Series(dtype="float64") for c in predicted_columns})
        out[[UNIQUE_ID, MODEL]] = out[[UNIQUE_ID, MODEL]].astype(str)
    for column in (CUTOFF, DS):
        out[column] = pd.to_datetime(out[column]).astype("datetime64[ns]")
    actuals = data[[UNIQUE_ID, DS, Y]].assign(**{DS: data[DS].astype("datetime64[ns]")})
    out = out.merge(actuals, on=[UNIQUE_ID, DS], how="left", validate="many_to_one")
    out = out.merge(
        _scales(data, table, window_size, seasonal_period), on=[UNIQUE_ID, CUTOFF], how="left"
    )
    out = (
        out[columns]
        .sort_values([UNIQUE_ID, MODEL, CUTOFF, DS], kind="mergesort")
        .reset_index(drop=True)
    )
    if records:
        failures = failures_frame(records)
        out.attrs["failures"] = failures
        total = sum(len(t.cutoffs) for t in tasks) + len(problems) * len(labelled)
        warnings.warn(_summary(failures, total), ForecastWarning, stacklevel=2)
    return out
