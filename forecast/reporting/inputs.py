"""The inputs of a report: outputs of ``forecast run``, ``backtest``, ``share`` and batch folders.

Each input is a file (CSV, Parquet or JSON, read with :func:`forecast.io.read_frame`), a batch
job's output folder (recognised by its ``manifest.json``) or a DataFrame. A frame is recognised
by its columns:

=========== ==========================================================================
kind        columns
=========== ==========================================================================
share       ``unique_id``, ``model``, ``part``, ``ds``, ``share`` (``forecast share``)
backtest    ``unique_id``, ``model``, ``cutoff``, ``ds``, ``yhat``, ``y`` (``forecast backtest``)
forecast    ``unique_id``, ``model``, ``ds``, ``yhat`` (``forecast run``)
series      ``unique_id``, ``ds``, ``y`` (the history: the data a forecast was made from)
=========== ==========================================================================

Anything else is a :class:`~forecast.errors.ConfigError` that names the input and its columns.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from forecast.errors import ConfigError
from forecast.io import read_frame
from forecast.schema import CUTOFF, DS, MODEL, PART, SHARE, UNIQUE_ID, YHAT, Y, validate_series

__all__ = ["Kind", "Input", "BatchFolder", "ReportInputs", "kind_of", "read_inputs"]

Kind = Literal["share", "backtest", "forecast", "series"]
"""What a frame is, by its columns."""

_SIGNATURES: tuple[tuple[Kind, tuple[str, ...]], ...] = (
    ("share", (UNIQUE_ID, MODEL, PART, DS, SHARE)),
    ("backtest", (UNIQUE_ID, MODEL, CUTOFF, DS, YHAT, Y)),
    ("forecast", (UNIQUE_ID, MODEL, DS, YHAT)),
    ("series", (UNIQUE_ID, DS, Y)),
)

InputLike = str | os.PathLike[str] | pd.DataFrame


@dataclass
class Input:
    """One recognised frame: its name (the file, or ``frame <i>``), kind and rows."""

    name: str
    kind: Kind
    frame: pd.DataFrame


@dataclass
class BatchFolder:
    """A batch job's output folder: its manifest, combined outputs and chunk timings.

    Attributes
    ----------
    name : str
        The folder as given.
    manifest : dict
        ``manifest.json`` (see :mod:`forecast.batch.manifest`).
    outputs : dict of str to DataFrame
        The combined outputs present (``forecasts``, ``backtest``, ``metrics``, ``failures``).
    chunks : DataFrame
        One row per finished chunk: ``chunk``, ``n_series``, ``failures``, ``seconds`` (worker
        time summed over its stages) and the time of each stage.
    """

    name: str
    manifest: dict[str, Any]
    outputs: dict[str, pd.DataFrame] = field(default_factory=dict)
    chunks: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass
class ReportInputs:
    """Every input of a report, sorted by kind; ``history`` holds the series inputs together."""

    forecasts: list[Input] = field(default_factory=list)
    backtests: list[Input] = field(default_factory=list)
    shares: list[Input] = field(default_factory=list)
    batches: list[BatchFolder] = field(default_factory=list)
    history: pd.DataFrame | None = None


def kind_of(frame: pd.DataFrame, name: str) -> Kind:
    """Recognise a frame by its columns (see the module's table).

    Raises
    ------
    ConfigError
        The columns match none of the kinds; the message lists what each kind needs.
    """
    columns = set(map(str, frame.columns))
    for kind, needed in _SIGNATURES:
        if set(needed) <= columns:
            return kind
    wanted = "; ".join(f"{kind}: {', '.join(needed)}" for kind, needed in _SIGNATURES)
    raise ConfigError(
        f"input {name!r} is not an output the report knows: its columns are "
        f"{', '.join(map(repr, sorted(columns)[:20]))}. Give the file written by 'forecast run "
        f"--out', 'forecast backtest --out', 'forecast share --out', a series file, or a batch "
        f"job's folder; the columns needed are {wanted}."
    )


def _dates(frame: pd.DataFrame, name: str, columns: tuple[str, ...]) -> pd.DataFrame:
    out = frame.copy()
    for column in columns:
        if column in out.columns:
            try:
                out[column] = pd.to_datetime(out[column])
            except (ValueError, TypeError) as err:
                raise ConfigError(
                    f"input {name!r}: column {column!r} holds values that are not dates ({err}); "
                    "give the file as the command wrote it."
                ) from err
    if UNIQUE_ID in out.columns:
        out[UNIQUE_ID] = out[UNIQUE_ID].astype(str)
    if MODEL in out.columns:
        out[MODEL] = out[MODEL].astype(str)
    return out


def _chunk_table(folder: Path, manifest: dict[str, Any]) -> pd.DataFrame:
    """Read the done markers of the job's parts folder into one row per chunk."""
    rows = []
    done = folder / str(manifest.get("parts", "")) / "done"
    for marker in sorted(done.glob("chunk-*.json")) if manifest.get("parts") else []:
        record = json.loads(marker.read_text(encoding="utf-8"))
        stages = {f"{k}_seconds": float(v) for k, v in record.get("seconds", {}).items()}
        rows.append(
            {
                "chunk": int(record["chunk"]),
                "n_series": int(record.get("n_series", 0)),
                "failures": int(record.get("rows", {}).get("failures", 0)),
                "seconds": sum(stages.values()),
                **stages,
            }
        )
    return pd.DataFrame(rows)


def read_batch_folder(path: Path) -> BatchFolder:
    """Read a batch job's output folder.

    Raises
    ------
    ConfigError
        The folder has no batch ``manifest.json``, or an output it lists is missing.
    """
    from forecast.batch.manifest import read_manifest

    manifest = read_manifest(path)
    if manifest is None:
        raise ConfigError(
            f"folder {str(path)!r} is not a batch job's output folder (it has no manifest.json of "
            "one); give the folder that [output] dir of the job names, or an output file."
        )
    outputs = {}
    for kind, names in (manifest.get("outputs") or {}).items():
        if not names:
            continue
        file = path / str(names[0])
        if not file.is_file():
            raise ConfigError(
                f"batch folder {str(path)!r}: the manifest lists {names[0]!r} as its {kind} "
                "output, but the file is missing; run the job again to write it."
            )
        outputs[str(kind)] = _dates(read_frame(file), str(file), (DS, CUTOFF))
    return BatchFolder(str(path), manifest, outputs, _chunk_table(path, manifest))


def read_inputs(
    inputs: list[InputLike] | tuple[InputLike, ...], history: InputLike | None = None
) -> ReportInputs:
    """Read and recognise every input of a report.

    Parameters
    ----------
    inputs : sequence of path or DataFrame
        Output files, batch folders or frames, in the order the report shows them.
    history : path or DataFrame, optional
        The series the forecasts were made from, for the fan charts and the data-quality
        summary; series inputs among ``inputs`` are added to it.

    Returns
    -------
    ReportInputs
        The recognised inputs.

    Raises
    ------
    ConfigError
        No input, a path that does not exist, or an input of no known kind.
    DataError
        The history breaks the data contract.
    """
    if not inputs:
        raise ConfigError("the report needs at least one input: an output file or a batch folder.")
    found = ReportInputs()
    series: list[Input] = []
    for i, item in enumerate([*inputs, *([] if history is None else [history])]):
        if isinstance(item, pd.DataFrame):
            name, frame = f"frame {i + 1}", item
        else:
            path = Path(item)
            if path.is_dir():
                found.batches.append(read_batch_folder(path))
                continue
            if not path.exists():
                raise ConfigError(f"input {str(path)!r} does not exist; check the path.")
            name, frame = str(path), read_frame(path)
        kind = kind_of(frame, name)
        if not len(frame):
            raise ConfigError(
                f"input {name!r} is a {kind} output without rows; nothing to report (did every "
                "series fail? the command's warnings say why)."
            )
        if i >= len(inputs) and kind != "series":
            raise ConfigError(
                f"history {name!r} is a {kind} output, not a series file (unique_id, ds, y)."
            )
        entry = Input(name, kind, _dates(frame, name, (DS, CUTOFF)))
        {"share": found.shares, "backtest": found.backtests, "forecast": found.forecasts}.get(
            kind, series
        ).append(entry)
    if series:
        found.history = validate_series(pd.concat([s.frame for s in series], ignore_index=True))
    return found
