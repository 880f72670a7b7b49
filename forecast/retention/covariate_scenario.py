"""What-if runs on covariates: ``fc.scenario(model, covariates={"spend": "x1.2"}, ...)``.

Any fitted model that uses covariates (``covariates_``) forecasts twice from the same sample
paths' random numbers: once with the baseline's future covariates, once with them changed.
Both runs draw their paths with the same seed, so the difference is measured path by path and
its bands are narrower than the two forecasts' own when the change moves every path alike.
Each point is the mean of its paths and its bands are quantiles of the same paths, as for the
retention scenarios (:func:`forecast.retention.scenarios.scenario`).

A change per covariate is a number (the covariate is set to it), ``"+100"`` / ``"-100"``
(added), or ``"x1.2"`` / ``"*1.2"`` (multiplied); or a frame gives the scenario's values
outright (``ds`` and the changed covariates). Changes apply from ``start`` (the first forecast
date by default) to the horizon; the history is never changed.

References
----------
.. [1] Hyndman, R. J. and Athanasopoulos, G. (2021). Forecasting: Principles and Practice, 3rd
   ed., section 7.6 (scenario based forecasting).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np
import pandas as pd

from forecast.errors import CapabilityError, ConfigError, NotFittedError
from forecast.models.base import BaseModel, check_horizon
from forecast.retention._scenario_table import (
    BASELINE,
    DIFFERENCE,
    SCENARIO,
    read_change,
    scenario_table,
)
from forecast.schema import DS, UNIQUE_ID, ValidCovariates, check_levels, valid_covariates

__all__ = [
    "CovariateChange",
    "covariate_scenario",
    "covariate_futures",
    "changed_covariates",
    "describe_change",
    "PATHS",
]

CovariateChange = Mapping[str, float | str] | pd.DataFrame
"""A change of covariates: ``{name: change}`` or a frame of the scenario's values."""

PATHS = 2_000
"""Sample paths per run (baseline and scenario)."""


def _change(values: np.ndarray, change: float | str, name: str) -> np.ndarray:
    kind, amount = read_change(
        change,
        f"covariates[{name!r}]",
        bare="set",
        example="a value (1000), an addition ('+100', '-100') or a factor ('x1.2')",
    )
    if kind == "set":
        return np.full_like(values, amount)
    return values + amount if kind == "add" else values * amount


def changed_covariates(
    baseline: pd.DataFrame,
    change: CovariateChange,
    names: Sequence[str],
    start: pd.Timestamp,
) -> pd.DataFrame:
    """Return the baseline's future covariates with ``change`` applied from ``start`` on.

    Parameters
    ----------
    baseline : DataFrame
        ``ds`` and the covariates at the forecast dates (a model's checked future values).
    change : mapping or DataFrame
        Per covariate a value, ``"+a"``, ``"-a"`` or ``"xf"``; or a frame of ``ds`` and the
        scenario's values of some covariates (rows at every changed forecast date).
    names : sequence of str
        The model's covariates.
    start : Timestamp
        The first date changed.

    Raises
    ------
    ConfigError
        A covariate the model does not use, or a change that cannot be read.
    CovariateError
        A scenario frame without a value at a changed date.
    """
    out = baseline.copy()
    changed = out[DS] >= start
    given = (
        list(change.columns.drop(DS, errors="ignore"))
        if isinstance(change, pd.DataFrame)
        else list(change)
    )
    unknown = [n for n in given if n not in names and n != UNIQUE_ID]
    if unknown or not given:
        raise ConfigError(
            f"covariates= changes {', '.join(map(repr, unknown)) or 'nothing'}; the model uses "
            f"{', '.join(map(repr, names))}. Name covariates of the model."
        )
    if isinstance(change, pd.DataFrame):
        checked = valid_covariates(change)
        assert checked is not None
        uid = str(change[UNIQUE_ID].iloc[0]) if UNIQUE_ID in change.columns else "scenario"
        values = checked.future(uid, out.loc[changed, DS])
        for name in checked.names:
            out.loc[changed, name] = values[name].to_numpy()
        return out
    for name, how in change.items():
        out.loc[changed, name] = _change(out.loc[changed, name].to_numpy(float), how, name)
    return out


def covariate_futures(
    model: BaseModel,
    change: CovariateChange,
    baseline: pd.DataFrame | ValidCovariates | None,
    h: int,
    start: str | date | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return a fitted model's baseline future covariates and the scenario's (changed).

    Parameters
    ----------
    model : BaseModel
        A fitted model with covariates (``covariates_`` not empty).
    change : mapping or DataFrame
        The change (see the module).
    baseline : DataFrame or ValidCovariates, optional
        The baseline's covariates at the ``h`` forecast dates (as for ``model.predict``).
    h : int
        Checked horizon.
    start : date, optional
        First changed date; the first forecast date by default, and never in the history.

    Raises
    ------
    NotFittedError, CapabilityError
        The model is not fitted, or was fitted without covariates.
    ConfigError
        A ``start`` in the history, or a change that cannot be read.
    CovariateError
        No baseline values for a forecast date.
    """
    from forecast.models._covariates import future_frame

    if not model.is_fitted:
        raise NotFittedError("the model is not fitted; call model.fit(series, covariates=...).")
    names = tuple(model.covariates_)
    if not names:
        raise CapabilityError(
            f"model {model.name!r} was fitted without covariates, so a covariate scenario "
            "cannot change anything; fit a model that uses covariates ('prophet', 'arima') "
            "with covariates=..."
        )
    dates = model.future_dates(h)
    when = dates[0] if start is None else pd.Timestamp(start)
    if when < dates[0]:
        raise ConfigError(
            f"start {when:%Y-%m-%d} is in the history (the forecast starts {dates[0]:%Y-%m-%d}); "
            "a covariate scenario changes future values only."
        )
    base = future_frame(model, h, baseline)
    return base, changed_covariates(base, change, names, when)


def describe_change(change: CovariateChange) -> str:
    """Put a covariate change in words: ``"spend x1.2"`` or ``"covariates from a frame"``."""
    if isinstance(change, pd.DataFrame):
        return "covariates from a frame"
    return ", ".join(f"{k} {v}" for k, v in change.items())


def covariate_scenario(
    model: BaseModel,
    change: CovariateChange,
    baseline: pd.DataFrame | ValidCovariates | None,
    *,
    h: int,
    start: str | date | None = None,
    levels: Sequence[float] = (80, 95),
    seed: int = 0,
) -> pd.DataFrame:
    """Paired forecasts of a model with its baseline covariates and with them changed.

    Parameters
    ----------
    model : BaseModel
        A fitted model with covariates (``covariates_`` not empty).
    change : mapping or DataFrame
        The change (see the module).
    baseline : DataFrame
        The baseline's covariates at the ``h`` forecast dates (as for ``model.predict``).
    h : int
        Horizon.
    start : date, optional
        First changed date; the first forecast date by default, and never in the history.
    levels : sequence of float
        Interval levels in percent.
    seed : int
        Seed shared by both runs.

    Returns
    -------
    DataFrame
        Forecast columns with ``model`` equal to ``"baseline"``, ``"scenario"`` and
        ``"difference"``; ``attrs["change"]`` says the change in words.

    References
    ----------
    .. [1] Hyndman, R. J. and Athanasopoulos, G. (2021). Forecasting: Principles and Practice,
       3rd ed., section 7.6 (scenario based forecasting).
    """
    h = check_horizon(h)
    levels = check_levels(levels)
    base, changed = covariate_futures(model, change, baseline, h, start)
    samples = {
        BASELINE: model.sample(h, PATHS, seed, covariates=base),
        SCENARIO: model.sample(h, PATHS, seed, covariates=changed),
    }
    samples[DIFFERENCE] = samples[SCENARIO] - samples[BASELINE]
    table = scenario_table(model.series_id_, model.future_dates(h), samples, levels)
    when = f" from {pd.Timestamp(start):%Y-%m-%d}" if start is not None else ""
    table.attrs["change"] = describe_change(change) + when
    return table
