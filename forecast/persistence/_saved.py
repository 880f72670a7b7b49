"""Forecasting from a models folder: saved models brought up to date with new observations.

The helpers of :func:`~forecast.persistence.predict_models` (and of a batch job that
forecasts from a previous job's models): the saved history combined with the new rows
(:func:`combine_history`), a loaded model updated or refit with them
(:func:`bring_up_to_date`; the rules are in :mod:`forecast.persistence.runs`), the
covariates checked as ``fc.forecast`` checks them (:func:`check_covariate_users`,
:func:`warn_without_covariates`), and the libraries loaded once before the workers start.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forecast.errors import (
    CapabilityError,
    ForecastError,
    ForecastWarning,
    HistoryError,
    format_rows,
)
from forecast.models.base import BaseModel
from forecast.persistence.folder import SavedModel
from forecast.persistence.state import STATE_ERRORS
from forecast.schema import DS, QUALIFIER, UNIQUE_ID, ValidCovariates, Y

if TYPE_CHECKING:
    from forecast.persistence._work import Result, Task

__all__ = [
    "combine_history",
    "bring_up_to_date",
    "check_covariate_users",
    "warn_without_covariates",
    "import_libraries",
    "by_series",
    "used_history",
]

_RTOL = 1e-9


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


def bring_up_to_date(task: Task) -> tuple[BaseModel, pd.DataFrame | None]:
    """Load a saved model and update (or refit) it with the task's new rows.

    Returns
    -------
    tuple
        The model and its full series (None when there were no new rows).

    Raises
    ------
    HistoryError
        The rows rewrite the saved history and ``refit`` is off.
    CapabilityError
        New rows for a model without updates and ``refit`` is off.
    """
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


def check_covariate_users(entries: list[SavedModel], covariates: ValidCovariates | None) -> None:
    """Refuse covariates when no saved model can use them, as ``fc.forecast`` does.

    Raises
    ------
    CapabilityError
        ``covariates`` given, and no model of the folder takes covariates.
    """
    from forecast.models.registry import get

    if covariates is None:
        return
    names = sorted({e.name for e in entries})
    if not any(get(name).capabilities.covariates for name in names):
        raise CapabilityError(
            f"none of the saved models ({', '.join(map(repr, names))}) uses covariates, so the "
            "covariates would be ignored; drop them (models fitted and saved with covariates "
            "use them)."
        )


def warn_without_covariates(tasks: list[Task], results: list[Result]) -> None:
    """Warn once, naming the pairs that forecast without the covariates given.

    A saved model uses covariates when it was fitted with them (``covariates_``); the others
    forecast without them, as ``fc.forecast`` warns about the models that take none.
    """
    pairs = [
        (t.unique_id, t.label) for t, r in zip(tasks, results, strict=True) if r.without_covariates
    ]
    if not pairs:
        return
    shown = "; ".join(f"series {uid!r} with {label!r}" for uid, label in pairs[:5])
    warnings.warn(
        f"covariates are used by the saved models fitted with them only; {len(pairs)} "
        f"(series, model) pair(s) were saved without covariates and forecast without them: "
        f"{shown}{' ...' if len(pairs) > 5 else ''}. Refit those with covariates to use them.",
        ForecastWarning,
        stacklevel=3,
    )


def import_libraries(entries: list[SavedModel]) -> None:
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


def by_series(frame: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
    """Split a long frame by series, once (a filter per model would cost n_series passes)."""
    if frame is None:
        return {}
    return {
        str(uid): rows.reset_index(drop=True) for uid, rows in frame.groupby(UNIQUE_ID, sort=False)
    }


def used_history(tasks: list[Task], results: list[Result]) -> pd.DataFrame | None:
    """Collect the series the saved models were brought up to date with, one per series."""
    used: dict[str, pd.DataFrame] = {}
    for task, result in zip(tasks, results, strict=True):
        kept = result.entry is not None or result.model is not None
        if kept and result.series is not None and task.unique_id not in used:
            used[task.unique_id] = result.series.assign(**{UNIQUE_ID: task.unique_id})
    if not used:
        return None
    return pd.concat(list(used.values()), ignore_index=True)
