"""The backtest's units of work: chains of windows of one model on one series.

Windows in a chain depend on each other (the model is updated, or warm-started, from the
previous window); chains are independent, so their results do not depend on how they are
spread over processes. Each chain runs the package's one rolling-origin loop,
:func:`forecast.engine.rolling.roll`.

Retention known by a cutoff
---------------------------
With retention, each series gets the cohort rows the forecast driver would give it
(:func:`forecast.engine.tasks.retention_for`), and each window gets only the rows known by its
cutoff. The observation of cohort ``c`` at age ``a`` describes the period of the retention
frame's own frequency that starts ``a`` periods after ``c``; it is known once that period is
over, at ``c + (a + 1)`` periods. A window's training data run to the end of its cutoff's period
(``cutoff`` plus one period of the series), so the window gets the observation when
``c + (a + 1)`` retention periods is on or before ``cutoff`` plus one series period. When the
two frequencies are the same this reads: ``c + a`` periods is on or before the cutoff. The
retention frequency is inferred from the cohort dates of the rows of that series; when they
hold a single cohort, the series' own frequency is used. Sliding windows do not shorten the
retention history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.engine.rolling import roll
from forecast.engine.tasks import failure_record, retention_for
from forecast.errors import ForecastError
from forecast.evaluation.cutoffs import series_frequency
from forecast.evaluation.metrics import seasonal_naive_scale
from forecast.models.base import BaseModel
from forecast.schema import (
    AGE,
    COHORT,
    CUTOFF,
    DS,
    SCALE,
    SEASONAL_PERIOD,
    UNIQUE_ID,
    Frequency,
    ValidCovariates,
    Y,
    infer_frequency,
)

__all__ = ["BacktestTask", "chains", "run_backtest_task", "scales", "window_retentions"]


@dataclass(frozen=True)
class BacktestTask:
    """One chain of windows of one model on one series: a picklable unit of work.

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
    covariates : ValidCovariates or None
        The series' covariates (observed-only ones already lagged), for ``fit``, ``update``
        and ``predict``; each window reads its history dates and its ``h`` forecast dates.
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
    covariates: ValidCovariates | None = None


class _Chain:
    """The forecast of each window of a chain: fit (or update) and predict, in order."""

    def __init__(self, task: BacktestTask) -> None:
        self.task = task
        self.refits = dict(zip(task.cutoffs, task.refits, strict=True))
        retentions = task.retentions or (None,) * len(task.cutoffs)
        self.retentions = dict(zip(task.cutoffs, retentions, strict=True))
        self.fitted: BaseModel | None = None
        self.previous: BaseModel | None = None
        self.fit_start: pd.Timestamp | None = None

    def _model(self, train: pd.DataFrame, cutoff: pd.Timestamp) -> BaseModel:
        if self.refits[cutoff] or self.fitted is None:
            model = self.task.model.clone()
            if self.previous is not None:
                model.warm_start(self.previous)
            model.fit_validated(train, self.retentions[cutoff], covariates=self.task.covariates)
            self.fit_start = train[DS].iloc[0]
            return model
        series = self.task.series
        self.fitted.update_validated(
            series.loc[(series[DS] >= self.fit_start) & (series[DS] <= cutoff)],
            covariates=self.task.covariates,
        )
        return self.fitted

    def __call__(self, train: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
        try:
            model = self._model(train, cutoff)
            predicted = model.predict(
                self.task.h, levels=self.task.levels, covariates=self.task.covariates
            )
        except ForecastError:
            self.fitted = None
            raise
        self.fitted = self.previous = model
        predicted.insert(0, CUTOFF, cutoff)
        return predicted


def run_backtest_task(task: BacktestTask) -> tuple[list[pd.DataFrame], list[dict[str, object]]]:
    """Run one chain: fit (or update) on data up to each cutoff and predict ``h`` steps.

    Parameters
    ----------
    task : BacktestTask
        The chain.

    Returns
    -------
    tuple
        The forecasts of the windows that succeeded (``cutoff``, ``ds``, ``yhat`` and the
        interval columns) and the failure records
        (:func:`forecast.engine.tasks.failure_record`) of the others. A failed fit makes the
        next window of the chain fit afresh.
    """
    outcomes = roll(task.series, task.cutoffs, _Chain(task), window_size=task.window_size)
    frames = [outcome.value for outcome in outcomes if outcome.value is not None]
    failures = [
        failure_record(task.unique_id, task.label, outcome.cutoff, outcome.error)
        for outcome in outcomes
        if outcome.error is not None
    ]
    return frames, failures


def chains(n_windows: int, every: int, model: BaseModel) -> list[list[tuple[int, bool]]]:
    """Group windows into dependent chains, with True where the chain fits afresh.

    Parameters
    ----------
    n_windows : int
        Windows of the series.
    every : int
        Refit at every ``every``-th window and update in between (models that can update).
    model : BaseModel
        The model; one that warm-starts makes a single chain of all windows.

    Returns
    -------
    list of list of (int, bool)
        Window numbers and refit flags, chain by chain.
    """
    updates = every > 1 and model.capabilities.updates
    flags = [(w, (w % every == 0) if updates else True) for w in range(n_windows)]
    if type(model).warm_start is not BaseModel.warm_start:
        return [flags]
    if updates:
        return [flags[i : i + every] for i in range(0, n_windows, every)]
    return [[flag] for flag in flags]


def _retention_ends(retention: pd.DataFrame, series_frequency: Frequency) -> pd.Series:
    """When each retention row becomes known: the end of the period its age refers to."""
    frequency = infer_frequency(retention[COHORT].drop_duplicates()) or series_frequency
    ends = [
        pd.Timestamp(cohort) + (int(age) + 1) * frequency.offset
        for cohort, age in zip(retention[COHORT], retention[AGE], strict=True)
    ]
    return pd.Series(pd.DatetimeIndex(ends), index=retention.index)


def window_retentions(
    retention: pd.DataFrame | None, group: pd.DataFrame, uid: str, cutoffs: Sequence[pd.Timestamp]
) -> tuple[pd.DataFrame | None, ...]:
    """For each cutoff, the series' retention rows known by the end of its period.

    Parameters
    ----------
    retention : DataFrame or None
        The checked retention frame of the call.
    group : DataFrame
        The series' rows.
    uid : str
        The series.
    cutoffs : sequence of Timestamp
        Its cutoffs.

    Returns
    -------
    tuple of (DataFrame or None)
        Per cutoff, the rows known by it (see the module notes), or None when there are none.
    """
    matched = retention_for(retention, group, uid)
    if matched is None:
        return (None,) * len(cutoffs)
    frequency = series_frequency(group, uid)
    ends = _retention_ends(matched, frequency)
    known = [matched.loc[ends <= pd.Timestamp(cutoff) + frequency.offset] for cutoff in cutoffs]
    return tuple(rows.reset_index(drop=True) if len(rows) else None for rows in known)


def _series_scales(
    group: pd.DataFrame, uid: str, cutoffs: Sequence[pd.Timestamp], window_size: int | None, m: int
) -> list[float]:
    """MASE's scale of each window of one series: seasonal-naive MAE of its training data."""
    frequency = series_frequency(group, uid)
    dates = group[DS].to_numpy(dtype="datetime64[ns]")
    grid = pd.date_range(dates[0], dates[-1], freq=frequency.offset)
    values = group.set_index(DS)[Y].reindex(grid).to_numpy(dtype=float)
    grid_dates = grid.to_numpy(dtype="datetime64[ns]")
    stamps = pd.DatetimeIndex(list(cutoffs)).to_numpy(dtype="datetime64[ns]")
    ends = np.searchsorted(dates, stamps, side="right")
    out = []
    for end in ends:
        start = 0 if window_size is None else max(0, int(end) - window_size)
        if end - start < 2:
            out.append(float("nan"))
            continue
        first = np.searchsorted(grid_dates, dates[start])
        last = np.searchsorted(grid_dates, dates[int(end) - 1], side="right")
        out.append(seasonal_naive_scale(values[first:last], m))
    return out


def scales(
    data: pd.DataFrame, table: pd.DataFrame, window_size: int | None, seasonal_period: int | None
) -> pd.DataFrame:
    """MASE's scale of every window: the in-sample seasonal-naive MAE of its training data.

    Parameters
    ----------
    data : DataFrame
        The checked series frame.
    table : DataFrame
        The cutoffs (``unique_id``, ``cutoff``).
    window_size : int or None
        Sliding windows' observations.
    seasonal_period : int or None
        Season length; by default each series' usual one.

    Returns
    -------
    DataFrame
        ``unique_id``, ``cutoff``, ``scale`` and ``seasonal_period``, one row per window. The
        training values are put on the series' regular date grid, so a gap leaves out the
        differences that touch it (:func:`forecast.evaluation.metrics.seasonal_naive_scale`).
    """
    by_series = {str(uid): rows[CUTOFF].tolist() for uid, rows in table.groupby(UNIQUE_ID)}
    rows: list[dict[str, object]] = []
    for uid, group in data.groupby(UNIQUE_ID, sort=True):
        cutoffs = by_series.get(str(uid), [])
        if not cutoffs:
            continue
        m = int(seasonal_period or series_frequency(group, str(uid)).seasonal_period)
        values = _series_scales(group, str(uid), cutoffs, window_size, m)
        rows += [
            {UNIQUE_ID: str(uid), CUTOFF: c, SCALE: v, SEASONAL_PERIOD: m}
            for c, v in zip(cutoffs, values, strict=True)
        ]
    out = pd.DataFrame(rows, columns=[UNIQUE_ID, CUTOFF, SCALE, SEASONAL_PERIOD])
    out[CUTOFF] = pd.to_datetime(out[CUTOFF]).astype("datetime64[ns]")
    out[SCALE] = out[SCALE].astype("float64")
    out[SEASONAL_PERIOD] = out[SEASONAL_PERIOD].astype("int64")
    return out
