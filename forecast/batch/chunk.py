"""One batch task: load a chunk of series, forecast, backtest and evaluate it, isolating failures.

:func:`run_chunk` is what the executors run in worker processes (local processes or Dask
workers). It calls the package's drivers (:func:`forecast.forecast`, :func:`forecast.backtest`,
:func:`forecast.evaluate`) on the chunk and returns frames; the job writes them. A series whose
data break the contract, or a (series, model) pair a model cannot handle, becomes a row of the
failures frame and the rest of the chunk goes on. A ``[data] retention`` file is read by each
chunk and passed to both drivers, which match its rows to the series and, in the backtest,
give each window only the rows known by its cutoff.
"""

from __future__ import annotations

import io
import time
import warnings
from dataclasses import dataclass, field
from urllib.parse import quote

import pandas as pd

from forecast.batch.config import BacktestConfig, BatchConfig, ForecastConfig
from forecast.batch.sources import ChunkSpec, load_chunk
from forecast.engine.tasks import failure_record, failures_frame
from forecast.errors import DataError, ForecastWarning
from forecast.io import read_frame
from forecast.models.base import BaseModel
from forecast.models.registry import get
from forecast.schema import UNIQUE_ID, validate_series

__all__ = ["OUTPUTS", "ChunkResult", "build_models", "plot_name", "run_chunk"]

OUTPUTS: tuple[str, ...] = ("forecasts", "backtest", "metrics", "failures")
"""The frames every chunk produces (``backtest`` and ``metrics`` only with a ``[backtest]`` table)."""

_SUMMARY = r"(?s).*The full list is in frame\.attrs\['failures'\]"
"""The drivers' warning that summarises failed (series, model) pairs."""


@dataclass
class ChunkResult:
    """What a task gives back to the job.

    Attributes
    ----------
    index : int
        The chunk's position.
    frames : dict of str to DataFrame
        ``forecasts``, ``failures`` and, with a backtest, ``backtest`` and ``metrics``.
    plots : dict of str to bytes
        PNG files by file name, when plots are on.
    seconds : dict of str to float
        Wall time of each stage (``read``, ``validate``, ``forecast``, ``backtest``,
        ``evaluate``, ``plot``).
    n_series : int
        Series in the chunk.
    """

    index: int
    frames: dict[str, pd.DataFrame]
    plots: dict[str, bytes] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    n_series: int = 0


def build_models(config: BatchConfig) -> dict[str, BaseModel]:
    """The job's models by label (their registry names), built with their ``[forecast.params]``."""
    params = config.forecast.params
    return {name: get(name, **params.get(name, {})) for name in config.forecast.models}


def plot_name(unique_id: str) -> str:
    """File name of a series' plot: the percent-encoded ``unique_id`` (``kimi%2Fdau%2Fall.png``)."""
    return f"{quote(unique_id, safe='')}.png"


def _validate(
    raw: pd.DataFrame, labels: list[str]
) -> tuple[pd.DataFrame | None, list[dict[str, object]]]:
    """The chunk's valid series; each series that breaks the contract fails for every model."""
    try:
        return validate_series(raw), []
    except DataError:
        pass
    good, failures = [], []
    for uid, rows in raw.groupby(raw[UNIQUE_ID].astype(str), sort=True):
        try:
            good.append(validate_series(rows))
        except DataError as err:
            failures += [failure_record(str(uid), label, None, err) for label in labels]
    return (pd.concat(good, ignore_index=True) if good else None), failures


def _failures_of(frame: pd.DataFrame) -> list[dict[str, object]]:
    failures = frame.attrs.pop("failures", None)
    return [] if failures is None else failures.to_dict("records")


def _backtest(
    data: pd.DataFrame,
    models: dict[str, BaseModel],
    settings: ForecastConfig,
    bt: BacktestConfig,
    retention: pd.DataFrame | None,
) -> tuple[pd.DataFrame | None, list[dict[str, object]]]:
    """Backtest the chunk; a series too short for the windows fails alone, for every model."""
    from forecast import backtest

    def one(frame: pd.DataFrame) -> pd.DataFrame:
        return backtest(
            frame,
            models,
            settings.horizon,
            bt.windows,
            bt.step,
            levels=settings.levels,
            retention=retention,
        )

    try:
        out = one(data)
        return out, _failures_of(out)
    except DataError:
        pass
    frames, failures = [], []
    for uid, series in data.groupby(UNIQUE_ID, sort=True):
        try:
            out = one(series)
        except DataError as err:
            failures += [failure_record(str(uid), label, None, err) for label in models]
            continue
        failures += _failures_of(out)
        frames.append(out)
    return (pd.concat(frames, ignore_index=True) if frames else None), failures


def _plots(history: pd.DataFrame, forecasts: pd.DataFrame) -> dict[str, bytes]:
    import matplotlib.pyplot as plt

    from forecast import plot

    out = {}
    for uid, rows in forecasts.groupby(UNIQUE_ID, sort=True):
        figure = plot(history[history[UNIQUE_ID] == uid], rows)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        plt.close(figure)
        out[plot_name(str(uid))] = buffer.getvalue()
    return out


def run_chunk(spec: ChunkSpec, config: BatchConfig) -> ChunkResult:
    """Forecast, backtest and evaluate the series of one chunk.

    Parameters
    ----------
    spec : ChunkSpec
        The chunk (see :func:`forecast.batch.sources.plan_chunks`).
    config : BatchConfig
        The job.

    Returns
    -------
    ChunkResult
        The chunk's frames; failures of single series or (series, model[, cutoff]) tasks are
        rows of ``frames["failures"]``.

    Raises
    ------
    DataError
        The chunk's data cannot be read at all (an unreadable file).
    """
    from forecast import evaluate, forecast

    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[stage] = now - clock
        clock = now

    raw = load_chunk(spec)
    retention = (
        None if config.data.retention is None else read_frame(config.resolve(config.data.retention))
    )
    lap("read")
    models = build_models(config)
    data, failures = _validate(raw, list(models))
    lap("validate")
    settings = config.forecast
    frames: dict[str, pd.DataFrame] = {}
    with warnings.catch_warnings():
        # Failures are rows of the failures output, so the drivers' summary of them is not repeated.
        warnings.filterwarnings("ignore", message=_SUMMARY, category=ForecastWarning)
        if data is not None:
            frames["forecasts"] = forecast(
                data, models, settings.horizon, levels=settings.levels, retention=retention
            )
            failures += _failures_of(frames["forecasts"])
            lap("forecast")
            if config.backtest is not None:
                backtested, backtest_failures = _backtest(
                    data, models, settings, config.backtest, retention
                )
                failures += backtest_failures
                lap("backtest")
                if backtested is not None:
                    frames["backtest"] = backtested
                    frames["metrics"] = evaluate(backtested, metrics=config.backtest.metrics)
                    lap("evaluate")
    frames["failures"] = failures_frame(failures)
    plots = {}
    if config.output.plots and data is not None:
        plots = _plots(data, frames["forecasts"])
        lap("plot")
    for frame in frames.values():
        frame.attrs.clear()
    return ChunkResult(spec.index, frames, plots, seconds, len(spec.ids))
