"""Covariates in the drivers: checked once per call, lagged where only observed, sliced by series.

``fc.forecast``, ``fc.backtest``, the batch runner and the command line take one covariates
frame (:func:`forecast.schema.validate_covariates`) for all series and call
:func:`prepare_covariates` once: it validates the frame against the series, lags the
*observed-only* covariates, refuses a call in which no model uses covariates, warns about the
models that forecast without them, and checks that every series has a value at every date
it will need, so a missing value is one clear error before any model runs.

Observed-only covariates
------------------------
A covariate is known in advance (a planned campaign, a launch date, a holiday) or known only
once observed (realised spend, a competitor's traffic). The frame's values are taken as known
in advance; an observed-only covariate, named in ``observed``, is never read at or after the
forecast origin: it is replaced by itself ``h`` steps earlier, ``<name>_lag<h>``, whose value at
date ``t`` is the covariate at ``t - h`` steps of the series' frequency. Its values at the ``h``
forecast dates are then observed values of the history, so every backtest window reads only
what was known at its cutoff. Its first ``h`` history dates need values from before the series
starts; without them the call is refused (nothing is filled).

References
----------
.. [1] Hyndman, R. J. and Athanasopoulos, G. (2021). Forecasting: Principles and Practice, 3rd
   ed., section 7.6 (ex-ante versus ex-post forecasts) and 10.6 (lagged predictors).
"""

from __future__ import annotations

import inspect
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import replace

import pandas as pd

from forecast.errors import CapabilityError, ConfigError, CovariateError, ForecastWarning
from forecast.models.base import BaseModel
from forecast.schema import (
    DS,
    UNIQUE_ID,
    ValidCovariates,
    future_dates,
    infer_frequency,
    valid_covariates,
    validate_covariates,
)

__all__ = [
    "lag_name",
    "lag_observed",
    "prepare_covariates",
    "for_model",
    "check_dates",
    "check_values",
    "check_series",
    "check_holidays",
]


def _takes_holidays(cls: type[BaseModel]) -> bool:
    """Whether a model class takes ``holidays=``: the parameter and the capability."""
    caps = cls.capabilities
    return "holidays" in inspect.signature(cls).parameters and (caps.holidays or caps.covariates)


def check_holidays(name: str, code: str, option: str = "holidays") -> None:
    """Refuse ``holidays=code`` for registry model ``name`` unless it takes holidays.

    A model takes them when its constructor has ``holidays`` and its capabilities include
    holidays or covariates. An unknown ``name`` passes (the registry names it later).
    ``option`` names where the code was given: ``"holidays ="`` is a batch job's
    ``[forecast] holidays``, which gives holidays to every model, so the message shows how to
    give them to some models only (``[forecast.params.<model>] holidays = "CN"``).

    Raises
    ------
    ConfigError
        An unknown country code, or a model that cannot take holidays.
    """
    from forecast.holidays import check_country
    from forecast.models.registry import _REGISTRY

    check_country(code)
    cls = _REGISTRY.get(name)
    if cls is None or _takes_holidays(cls):
        return
    lacks = (
        "no holidays parameter"
        if cls.capabilities.covariates
        else "neither holidays nor covariates"
    )
    takers = ", ".join(repr(n) for n, c in sorted(_REGISTRY.items()) if _takes_holidays(c))
    if option == "holidays =":
        raise ConfigError(
            f'holidays = "{code}": model {name!r} takes {lacks}, and [forecast] holidays gives '
            "holidays to every model; give them to the models that take them with "
            f'[forecast.params.<model>] holidays = "{code}" (models that take them: {takers}), '
            f"or drop {name!r} from models."
        )
    raise ConfigError(
        f"{option} {code}: model {name!r} takes {lacks}; drop {option} or the model, or use one "
        f"that takes holidays ({takers})."
    )


def lag_name(name: str, h: int) -> str:
    """Return the column name of observed-only covariate ``name`` lagged by ``h`` steps."""
    return f"{name}_lag{h}"


def _check_observed(observed: Sequence[str], names: tuple[str, ...]) -> tuple[str, ...]:
    if isinstance(observed, str):
        observed = (observed,)
    unknown = [n for n in observed if n not in names]
    if unknown:
        raise ConfigError(
            f"observed names {', '.join(map(repr, unknown))}, which the covariates frame lacks "
            f"(it has {', '.join(map(repr, names))}); name covariates of the frame."
        )
    return tuple(dict.fromkeys(observed))


def lag_observed(
    covariates: ValidCovariates, data: pd.DataFrame, observed: Sequence[str], h: int
) -> ValidCovariates:
    """Replace each observed-only covariate by itself ``h`` steps earlier (see the module).

    Parameters
    ----------
    covariates : ValidCovariates
        The checked frame.
    data : DataFrame
        The checked series frame; each series' step is inferred from its dates.
    observed : sequence of str
        Covariates known only once observed.
    h : int
        The horizon: the lag.

    Returns
    -------
    ValidCovariates
        Per-series rows with ``<name>_lag<h>`` in place of each observed covariate, with the
        frame's source and row labels: a date's own row where it has one, else the row its
        lagged values come from (the file line ``h`` steps earlier), so errors name file lines.
        When every covariate is observed-only, each row is labelled by the row its lagged
        values come from, and dates without such a row have no row.

    References
    ----------
    .. [1] Hyndman, R. J. and Athanasopoulos, G. (2021). Forecasting: Principles and Practice,
       3rd ed., section 10.6 (lagged predictors).
    """
    observed = _check_observed(observed, covariates.names)
    if not observed:
        return covariates
    names = [lag_name(n, h) if n in observed else n for n in covariates.names]
    kept = [n for n in covariates.names if n not in observed]
    own, source = "_own_row", "_lagged_row"
    frames = []
    for uid, group in data.groupby(UNIQUE_ID, sort=True):
        frequency = infer_frequency(group[DS])
        if frequency is None:
            continue
        rows = covariates.for_series(str(uid)).frame
        shifted = rows[[DS, *observed]].rename(columns={n: lag_name(n, h) for n in observed})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", pd.errors.PerformanceWarning)
            shifted[DS] = pd.DatetimeIndex(shifted[DS]) + frequency.offset * h
        if kept:
            merged = (
                rows[[DS, *kept]]
                .assign(**{own: rows.index.astype(object)})
                .merge(shifted.assign(**{source: shifted.index.astype(object)}), on=DS, how="outer")
            )
            merged.index = pd.Index(merged[own].where(merged[own].notna(), merged[source]))
        else:
            merged = shifted
        frames.append(merged.assign(**{UNIQUE_ID: str(uid)})[[UNIQUE_ID, DS, *names]])
    if not frames:  # no series has a step to lag by
        frames = [pd.DataFrame(columns=[UNIQUE_ID, DS, *names])]
    out = pd.concat(frames).sort_values([UNIQUE_ID, DS], kind="mergesort")
    return replace(covariates, frame=out, names=tuple(names))


def _users(models: Mapping[str, BaseModel]) -> list[str]:
    users = [label for label, model in models.items() if model.capabilities.covariates]
    if not users:
        raise CapabilityError(
            f"none of the models ({', '.join(map(repr, models))}) uses covariates, so the "
            "covariates would be ignored; add a model that takes them ('prophet' or 'arima'; "
            "fc.models.available() lists the 'covariates' capability) or drop the covariates."
        )
    others = [label for label in models if label not in users]
    if others:
        warnings.warn(
            f"covariates are used by {', '.join(map(repr, users))} only; "
            f"{', '.join(map(repr, others))} forecast without them.",
            ForecastWarning,
            stacklevel=4,
        )
    return users


def check_values(
    covariates: ValidCovariates,
    data: pd.DataFrame,
    h: int,
    observed: Sequence[str] = (),
    *,
    future: bool = True,
) -> None:
    """Check that every series has each value it will read, naming the rows that lack one.

    A covariate known in advance is read at the series' dates and, with ``future``, its ``h``
    forecast dates; an observed-only one ``h`` steps earlier, so its missing values are named
    by the rows (file lines) they come from, not by the dates that read them.

    Raises
    ------
    ConfigError
        ``observed`` names a covariate the frame lacks.
    CovariateError
        The first series lacking a value (see :func:`check_dates`).
    """
    observed = _check_observed(observed, covariates.names)
    kept = [n for n in covariates.names if n not in observed]
    if kept:
        check_dates(covariates.select(kept), data, h, future=future)
    if observed:
        lagged = lag_observed(covariates.select(observed), data, observed, h)
        check_dates(lagged, data, h, future=future)


_ROW_WORD = re.compile(r"\brows? (?=\d+([:;)])?)")
"""``row 3)`` (one row) or ``rows 3 and 4`` in a message; group 1 marks one row."""


def check_series(covariates: ValidCovariates, data: pd.DataFrame) -> None:
    """Check a checked frame against the series it is given with, naming its source's rows.

    As :func:`~forecast.schema.validate_covariates` with ``series``: every ``unique_id`` of the
    frame is a series of ``data``, every series of ``data`` has rows, and every date lies on
    its series' grid. A frame read from a file names the file and its lines.

    Raises
    ------
    CovariateError
        The first breach, naming the series, the column and the rows.
    """
    try:
        validate_covariates(covariates.frame, data[[UNIQUE_ID, DS]])
    except CovariateError as err:
        if covariates.source is None:
            raise
        unit = covariates.unit
        message = _ROW_WORD.sub(lambda m: f"{unit} " if m[1] else f"{unit}s ", str(err))
        raise CovariateError(
            f"{covariates.source}: {message}", series=err.series, column=err.column, rows=err.rows
        ) from err


def check_dates(
    covariates: ValidCovariates, data: pd.DataFrame, h: int, *, future: bool = True
) -> None:
    """Check every series' values at its dates and, with ``future``, its ``h`` forecast dates.

    Raises
    ------
    CovariateError
        The first series lacking a value, naming covariate, series and dates; for a lagged
        observed-only covariate the message says which earlier values it needs.
    """
    for uid, group in data.groupby(UNIQUE_ID, sort=True):
        try:
            covariates.history(str(uid), group[DS])
            frequency = infer_frequency(group[DS])
            if future and frequency is not None:
                dates = future_dates(group[DS].iloc[-1], frequency, h, series=str(uid))
                covariates.future(str(uid), dates)
        except CovariateError as err:
            lagged = [n for n in covariates.names if n.endswith(f"_lag{h}")]
            hint = (
                f" A name '<x>_lag{h}' is observed-only covariate '<x>' taken {h} steps "
                "earlier: give '<x>' from "
                f"{h} steps before the series' first date, or start the series later."
                if lagged
                else ""
            )
            raise CovariateError(
                f"{err}{hint}", series=err.series, column=err.column, rows=err.rows
            ) from err


def prepare_covariates(
    covariates: pd.DataFrame | ValidCovariates | None,
    data: pd.DataFrame,
    models: Mapping[str, BaseModel],
    h: int,
    observed: Sequence[str] = (),
    *,
    future: bool = True,
) -> ValidCovariates | None:
    """Check a call's covariates once and lag the observed-only ones (see the module).

    Parameters
    ----------
    covariates : DataFrame, ValidCovariates or None
        The covariates frame of the call.
    data : DataFrame
        The checked series frame.
    models : mapping of label to model
        The call's models; at least one must use covariates.
    h : int
        The horizon (the lag of observed-only covariates).
    observed : sequence of str
        Covariates known only once observed.
    future : bool
        Also check the ``h`` dates after each series (a forecast; a backtest's windows lie
        within the series).

    Returns
    -------
    ValidCovariates or None
        None when no covariates were given.

    Raises
    ------
    ConfigError
        ``observed`` without covariates, or naming a column the frame lacks.
    CapabilityError
        No model uses covariates.
    DataError
        The frame breaks the covariates contract (:func:`~forecast.schema.validate_covariates`).
    """
    if covariates is None:
        if observed:
            raise ConfigError(
                f"observed={list(observed)!r} names covariates, but no covariates were given; "
                "pass covariates=... (or --covariates FILE)."
            )
        return None
    checked = valid_covariates(covariates, data[[UNIQUE_ID, DS]])
    assert checked is not None
    _users(models)
    check_values(checked, data, h, observed, future=future)
    return lag_observed(checked, data, observed, h)


def for_model(
    covariates: ValidCovariates | None, model: BaseModel, uid: str
) -> ValidCovariates | None:
    """Return series ``uid``'s covariates for ``model``: None for a model that does not use them."""
    if covariates is None or not model.capabilities.covariates:
        return None
    return covariates.for_series(uid)
