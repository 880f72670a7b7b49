"""One batch task: load a chunk of series, forecast, backtest and evaluate it, isolating failures.

:func:`run_chunk` is what the executors run in worker processes (local processes or Dask
workers). It calls the package's drivers (:func:`forecast.forecast`, :func:`forecast.backtest`,
:func:`forecast.evaluate`) on the chunk and returns frames; the job writes them. A series whose
data break the contract, or a (series, model) pair a model cannot handle, becomes a row of the
failures frame and the rest of the chunk goes on. A ``[data] retention`` file is read by each
chunk and passed to both drivers, which match its rows to the series and, in the backtest,
give each window only the rows known by its cutoff. A ``[data] covariates`` file is read by
:func:`forecast.io.reader.read_covariates`, so its errors name the file and its lines; a series
whose covariates lack a value it needs, or leave its grid, fails for every model.
"""

from __future__ import annotations

import hashlib
import io
import time
import warnings
from dataclasses import dataclass, field
from urllib.parse import quote

import pandas as pd

from forecast.batch.config import BacktestConfig, BatchConfig, ForecastConfig
from forecast.batch.sources import ChunkSpec, load_chunk, load_covariates
from forecast.engine.calibrate import with_calibrate
from forecast.engine.covariates import check_series, check_values
from forecast.engine.result import EngineResult
from forecast.engine.tasks import failure_record, failures_frame
from forecast.errors import CovariateError, DataError
from forecast.evaluation.backtest import run_backtest
from forecast.evaluation.metrics import evaluate
from forecast.forecasting import run_forecast
from forecast.io import read_frame
from forecast.models.base import BaseModel
from forecast.models.registry import get
from forecast.schema import (
    UNIQUE_ID,
    ValidCovariates,
    ValidRetention,
    ValidSeries,
    valid_retention,
    validate_series,
)

__all__ = ["OUTPUTS", "ChunkResult", "build_models", "plot_name", "run_chunk"]

OUTPUTS: tuple[str, ...] = ("forecasts", "backtest", "metrics", "failures")
"""The frames every chunk produces (``backtest`` and ``metrics`` with a ``[backtest]`` table)."""


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
    errors : list of dict
        Unexpected exceptions of single series, with their tracebacks (see
        :func:`forecast.batch.guard.error_record`).
    models : dict of str to bytes
        Model files by file name, with ``[output] models = true`` (their index entries and
        series are ``frames["models_index"]`` and ``frames["models_history"]``).
    """

    index: int
    frames: dict[str, pd.DataFrame]
    plots: dict[str, bytes] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    n_series: int = 0
    errors: list[dict[str, object]] = field(default_factory=list)
    models: dict[str, bytes] = field(default_factory=dict)


def build_models(config: BatchConfig) -> dict[str, BaseModel]:
    """Build the job's models by label (registry names) with their ``[forecast.params]``.

    ``[forecast] holidays`` adds ``holidays=<code>`` to every model (the configuration checked
    that each takes it); ``[forecast] calibrate`` calibrates every model whose parameters do not
    set ``calibrate`` (:func:`forecast.engine.calibrate.with_calibrate`).
    """
    params = config.forecast.params
    extra = {} if config.forecast.holidays is None else {"holidays": config.forecast.holidays}
    models = {name: get(name, **params.get(name, {}), **extra) for name in config.forecast.models}
    calibrate = config.forecast.calibrate
    return {
        name: model if "calibrate" in params.get(name, {}) else with_calibrate(model, calibrate)
        for name, model in models.items()
    }


def _check_covariates(
    data: pd.DataFrame, covariates: ValidCovariates | None, config: BatchConfig, labels: list[str]
) -> tuple[pd.DataFrame | None, list[dict[str, object]]]:
    """Check each series' covariates; a series lacking a value fails for every model.

    A series whose covariates file has no rows for it, dates off its grid, or no value at a
    date it reads (its history, its forecast horizon; an observed-only covariate ``h`` steps
    earlier) is a row of the failures naming the file's lines, as a series that breaks the
    data contract is; the rest of the chunk goes on.
    """
    if covariates is None:
        return data, []
    h, observed = config.forecast.horizon, config.forecast.observed
    try:  # the whole chunk at once; series by series only to find which fail
        check_series(covariates, data)
        check_values(covariates, data, h, observed)
        return data, []
    except CovariateError:
        pass
    good, failures = [], []
    for uid, rows in data.groupby(UNIQUE_ID, sort=True):
        try:
            check_series(covariates.for_series(str(uid)), rows)
            check_values(covariates, rows, h, observed)
        except CovariateError as err:
            failures += [failure_record(str(uid), label, None, err) for label in labels]
            continue
        good.append(rows)
    return (pd.concat(good, ignore_index=True) if good else None), failures


PLOT_NAME_BYTES = 120
"""Longest percent-encoded ``unique_id`` kept whole in a plot file name (systems allow 255)."""


def plot_name(unique_id: str) -> str:
    """File name of a series' plot: the percent-encoded ``unique_id`` (``kimi%2Fdau%2Fall.png``).

    A name longer than :data:`PLOT_NAME_BYTES` keeps its first characters, readable, and ends
    with the first 16 hex characters of the SHA-256 of the ``unique_id``, so that it fits any
    file system (255 bytes) and two long ids never share a file.

    Examples
    --------
    >>> plot_name("kimi/dau/all")
    'kimi%2Fdau%2Fall.png'
    >>> len(plot_name("x" * 300))
    141
    """
    encoded = quote(unique_id, safe="")
    if len(encoded) <= PLOT_NAME_BYTES:
        return f"{encoded}.png"
    digest = hashlib.sha256(unique_id.encode()).hexdigest()[:16]
    head = encoded[:PLOT_NAME_BYTES]
    cut = head.rfind("%", PLOT_NAME_BYTES - 2)  # do not split a %XX escape
    if cut >= 0:
        head = head[:cut]
    return f"{head}~{digest}.png"


def _validate(
    raw: pd.DataFrame, labels: list[str]
) -> tuple[pd.DataFrame | None, list[dict[str, object]]]:
    """Validate the chunk; each series that breaks the contract fails for every model."""
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


def _failures_of(result: EngineResult) -> list[dict[str, object]]:
    """Take the failure records of a driver's result (forecast or backtest), as data."""
    return [{str(k): v for k, v in row.items()} for row in result.failures.to_dict("records")]


def _backtest(
    data: ValidSeries,
    models: dict[str, BaseModel],
    settings: ForecastConfig,
    bt: BacktestConfig,
    retention: ValidRetention | None,
    covariates: ValidCovariates | None = None,
) -> EngineResult:
    """Backtest the whole chunk in one call; a failing series or window is a failure row."""
    return run_backtest(
        data,
        models,
        settings.horizon,
        bt.windows,
        bt.step,
        levels=settings.levels,
        retention=retention,
        covariates=covariates,
        observed=settings.observed,
    )


def _plots(history: pd.DataFrame, forecasts: pd.DataFrame) -> dict[str, bytes]:
    import matplotlib.pyplot as plt

    from forecast import plot

    out = {}
    for uid, rows in forecasts.groupby(UNIQUE_ID, sort=True):
        figure = plot(history[history[UNIQUE_ID] == uid], rows)
        buffer = io.BytesIO()
        with warnings.catch_warnings():
            # A long unique_id in the title leaves no room for the layout; the plot is kept.
            warnings.filterwarnings("ignore", message="constrained_layout not applied")
            figure.savefig(buffer, format="png")
        plt.close(figure)
        out[plot_name(str(uid))] = buffer.getvalue()
    return out


@dataclass
class _Kept:
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)


def _forecast_keeping(
    data: ValidSeries,
    models: dict[str, BaseModel],
    config: BatchConfig,
    retention: ValidRetention | None,
    covariates: ValidCovariates | None = None,
) -> tuple[EngineResult, _Kept]:
    """Forecast keeping the fitted models, or starting from ``[forecast] from_models``."""
    from forecast.persistence.batch import MODELS_HISTORY, MODELS_INDEX, forecast_chunk
    from forecast.schema import check_levels

    settings = config.forecast
    previous = None if settings.from_models is None else config.resolve(settings.from_models)
    chunk = forecast_chunk(
        data,
        models,
        settings.horizon,
        check_levels(settings.levels),
        retention,
        keep=config.output.models,
        previous=previous,
        # forecast_chunk passes it to prepare_covariates, which takes a checked frame as well
        covariates=covariates,  # type: ignore[arg-type]
        observed=settings.observed,
    )
    kept = _Kept()
    if config.output.models:
        kept.frames = {MODELS_INDEX: chunk.index, MODELS_HISTORY: chunk.history}
        kept.files = chunk.files
    return chunk.result, kept


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
    covariates = None
    if data is not None:
        covariates = load_covariates(config, sorted(map(str, data[UNIQUE_ID].unique())))
        data, lacking = _check_covariates(data, covariates, config, list(models))
        failures += lacking
    lap("validate")
    settings = config.forecast
    frames: dict[str, pd.DataFrame] = {}
    model_files = _Kept()
    if data is not None:
        # _validate checked the frame: the drivers take it as it is and check it no further.
        checked, checked_retention = ValidSeries(data), valid_retention(retention)
        if config.output.models or settings.from_models is not None:
            forecasted, model_files = _forecast_keeping(
                checked, models, config, checked_retention, covariates
            )
        else:
            forecasted = run_forecast(
                checked,
                models,
                settings.horizon,
                levels=settings.levels,
                retention=checked_retention,
                covariates=covariates,
                observed=settings.observed,
                pool=False,  # a series' forecast must not depend on the chunk it fell in
            )
        frames["forecasts"] = forecasted.frame
        failures += _failures_of(forecasted)
        lap("forecast")
        if config.backtest is not None:
            backtested = _backtest(
                checked, models, settings, config.backtest, checked_retention, covariates
            )
            failures += _failures_of(backtested)
            lap("backtest")
            frames["backtest"] = backtested.frame
            frames["metrics"] = evaluate(backtested.frame, metrics=config.backtest.metrics)
            lap("evaluate")
    frames["failures"] = failures_frame(failures)
    frames.update(model_files.frames)
    plots = {}
    if config.output.plots and data is not None:
        plots = _plots(data, frames["forecasts"])
        lap("plot")
    return ChunkResult(spec.index, frames, plots, seconds, len(spec.ids), models=model_files.files)
