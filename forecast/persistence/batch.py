"""Saved models in batch jobs: keep each chunk's fitted models, forecast from a previous job's.

With ``[output] models = true`` a chunk returns its fitted models as model files (bytes, named
by :func:`~forecast.persistence.folder.model_file_name`), their index entries and the series
they were fit on; the job writes the files into ``<output>/models/models/`` and the entries and
series as chunk parts, and at the end combines them into ``<output>/models`` (a models folder
of :mod:`forecast.persistence.folder`), so a resumed job keeps the finished chunks' models.

With ``[forecast] from_models = "DIR"`` a chunk starts from the models saved in ``DIR``: a
(series, model) pair whose model is there is brought up to date with the chunk's data (updated
with new rows, or refit when the data rewrite its history or the model has no updates, see
:mod:`forecast.persistence.runs`); a pair without a saved model is fit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from forecast.engine.covariates import for_model, prepare_covariates
from forecast.engine.result import EngineResult
from forecast.engine.tasks import retention_for
from forecast.models.base import BaseModel
from forecast.persistence._saved import by_series, used_history
from forecast.persistence._work import Task, run_task, stack_results
from forecast.persistence.folder import (
    MODELS,
    SavedModel,
    _entry,
    model_file_name,
    read_history,
    read_index,
    write_folder,
)
from forecast.persistence.modelfile import model_bytes
from forecast.schema import UNIQUE_ID, ValidRetention, ValidSeries

__all__ = ["ChunkModels", "forecast_chunk", "combine_models"]

MODELS_INDEX, MODELS_HISTORY = "models_index", "models_history"
"""The kinds of chunk parts that hold a chunk's model entries and series."""


@dataclass
class ChunkModels:
    """A chunk's forecasts and, when kept, its fitted models.

    Attributes
    ----------
    result : EngineResult
        The forecasts and failures, as :func:`forecast.forecasting.run_forecast` gives them.
    files : dict of str to bytes
        Model files by file name (empty unless kept).
    index : DataFrame
        One row per kept model: the entries of the models folder's index.
    history : DataFrame
        The series the kept models were fit on or updated with.
    """

    result: EngineResult
    files: dict[str, bytes] = field(default_factory=dict)
    index: pd.DataFrame = field(default_factory=pd.DataFrame)
    history: pd.DataFrame = field(default_factory=pd.DataFrame)


def _saved_models(previous: Path | None, ids: list[str]) -> tuple[dict, pd.DataFrame | None]:
    if previous is None:
        return {}, None
    entries = {(e.unique_id, e.model): e for e in read_index(previous) if e.unique_id in ids}
    return entries, read_history(previous, ids)


def forecast_chunk(
    data: ValidSeries,
    models: dict[str, BaseModel],
    h: int,
    levels: tuple[float, ...],
    retention: ValidRetention | None,
    *,
    keep: bool,
    previous: Path | None = None,
    covariates: pd.DataFrame | None = None,
    observed: Sequence[str] = (),
) -> ChunkModels:
    """Forecast a chunk like :func:`~forecast.forecasting.run_forecast`, keeping the models.

    Parameters
    ----------
    data : ValidSeries
        The chunk's checked series.
    models : dict
        ``{label: unfitted model}``.
    h, levels
        Horizon and checked interval levels.
    retention : ValidRetention or None
        Checked cohort retention.
    keep : bool
        Return the fitted models as files, entries and series.
    previous : Path, optional
        A models folder to start from (see the module's description).
    covariates, observed
        As for :func:`~forecast.forecasting.run_forecast`.

    Returns
    -------
    ChunkModels
    """
    frame = data.frame
    clean = None if retention is None else retention.frame
    cov = prepare_covariates(covariates, frame, models, h, observed)
    ids = sorted(map(str, frame[UNIQUE_ID].unique()))
    saved, history = _saved_models(previous, ids)
    saved_rows = by_series(history)
    tasks = []
    for uid, series in frame.groupby(UNIQUE_ID, sort=True):
        rows = series.reset_index(drop=True)
        for label, model in models.items():
            entry: SavedModel | None = saved.get((str(uid), label))
            tasks.append(
                Task(
                    unique_id=str(uid),
                    label=label,
                    model=model,
                    series=rows,
                    h=h,
                    levels=levels,
                    retention=retention_for(clean, series, str(uid)),
                    saved=entry,
                    history=None if entry is None else saved_rows.get(str(uid)),
                    refit=True,
                    keep_model=keep,
                    covariates=for_model(cov, model, str(uid)),
                )
            )
    results = [run_task(task) for task in tasks]
    out = ChunkModels(stack_results(results, levels, len(tasks)))
    if keep:
        kept = [(t, r.model) for t, r in zip(tasks, results, strict=True) if r.model is not None]
        names = {(t.unique_id, t.label): model_file_name(t.unique_id, t.label) for t, _ in kept}
        out.files = {names[t.unique_id, t.label]: model_bytes(m) for t, m in kept}
        out.index = pd.DataFrame(
            [
                _entry((t.unique_id, t.label), m, f"{MODELS}/{names[t.unique_id, t.label]}")
                for t, m in kept
            ]
        )
        used = used_history(tasks, results)
        out.history = pd.DataFrame() if used is None else used
    return out


def combine_models(folder: Path, index_parts: list[Path], history_parts: list[Path]) -> Path:
    """Write a job's models folder from its chunks' parts; return its ``index.json``.

    Parameters
    ----------
    folder : Path
        ``<output>/models``, whose ``models/`` the chunks filled.
    index_parts, history_parts : list of Path
        The chunks' Parquet parts of model entries and series.
    """
    entries = [
        {str(k): v for k, v in row.items()}
        for path in index_parts
        for row in pd.read_parquet(path).to_dict("records")
    ]
    histories = [pd.read_parquet(path) for path in history_parts]
    history = pd.concat(histories, ignore_index=True) if histories else None
    write_folder(folder, entries, history)
    return folder / "index.json"
