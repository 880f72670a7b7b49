"""What the engine's runs give back: the output frame and its failures, as data.

The engine-level functions (:func:`forecast.forecasting.run_forecast`,
:func:`forecast.evaluation.backtest.run_backtest`) return an :class:`EngineResult`; the batch
runner and the command line consume it directly. The notebook functions :func:`forecast.forecast`
and :func:`forecast.backtest` turn it into their documented form with :func:`publish`: the frame,
with the failures in ``frame.attrs["failures"]`` and one :class:`~forecast.ForecastWarning`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from forecast.errors import ForecastError, ForecastWarning
from forecast.schema import CUTOFF, DS, MODEL, UNIQUE_ID

__all__ = ["EngineResult", "assemble", "publish"]


@dataclass(frozen=True)
class EngineResult:
    """The output of one run and the units of work that failed.

    Attributes
    ----------
    frame : DataFrame
        The forecasts (or backtest rows) of the units that succeeded.
    failures : DataFrame
        One row per failed unit, in the columns of
        :data:`forecast.engine.tasks.FAILURE_COLUMNS`; empty when nothing failed.
    n_units : int
        Units of work attempted: (series, model) pairs of a forecast, windows of a backtest.
    errors : tuple of ForecastError
        The errors of the failed units in the order of the work (series, then models), for a
        caller that raises the first; may be empty when only the records are kept.
    """

    frame: pd.DataFrame
    failures: pd.DataFrame
    n_units: int
    errors: tuple[ForecastError, ...] = ()


def assemble(frames: Sequence[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    """Concatenate the frames of the units that succeeded, in the given column order.

    Parameters
    ----------
    frames : sequence of DataFrame
        Outputs of the units, each holding ``columns``.
    columns : list of str
        The output's columns, in order.

    Returns
    -------
    DataFrame
        The frames stacked with a fresh RangeIndex; with no frames, an empty frame of those
        columns with the contract's types (``unique_id`` and ``model`` str, ``ds`` and
        ``cutoff`` datetime64[ns], numbers float64).
    """
    if frames:
        return pd.concat(frames, ignore_index=True)[columns]
    out = pd.DataFrame({column: pd.Series(dtype="float64") for column in columns})
    for column in columns:
        if column in (UNIQUE_ID, MODEL):
            out[column] = out[column].astype(str)
        elif column in (DS, CUTOFF):
            out[column] = out[column].astype("datetime64[ns]")
    return out


def publish(
    result: EngineResult, summary: Callable[[pd.DataFrame, int], str], stacklevel: int = 2
) -> pd.DataFrame:
    """Give a result its notebook form: the frame, failures in ``attrs`` and one warning.

    Parameters
    ----------
    result : EngineResult
        A run's result.
    summary : callable
        ``summary(failures, n_units)``: the warning's text.
    stacklevel : int
        Frames above the caller of :func:`publish` the warning points at (2: the caller's
        caller, the user's line).

    Returns
    -------
    DataFrame
        ``result.frame``; when some units failed, ``frame.attrs["failures"]`` holds
        ``result.failures`` and a :class:`~forecast.ForecastWarning` says so.
    """
    out = result.frame
    if len(result.failures):
        out.attrs["failures"] = result.failures
        warnings.warn(
            summary(result.failures, result.n_units), ForecastWarning, stacklevel=stacklevel + 1
        )
    return out
