"""The checks ``fit`` makes of one series before a model sees it.

:class:`~forecast.models.base.BaseModel` calls these: the frame is one valid series, long
enough, regular where the model needs regular steps, free of bounds the model cannot honour,
positive where the log transform needs it. Each failure names the series, the column and the
dates, and says what to do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forecast.errors import (
    CapabilityError,
    ConfigError,
    DomainError,
    HistoryError,
    SchemaError,
    format_rows,
)
from forecast.schema import (
    DS,
    QUALIFIER,
    UNIQUE_ID,
    Frequency,
    Y,
    infer_frequency,
    missing_dates,
    validate_series,
)

if TYPE_CHECKING:
    from forecast.models.base import BaseModel

__all__ = ["prepare_series", "series_frequency", "check_fit_data", "log_values"]


def prepare_series(name: str, series: pd.DataFrame) -> pd.DataFrame:
    """Validate one series for model ``name`` (``unique_id`` optional: then ``"series"``).

    Raises
    ------
    SchemaError
        Not a DataFrame, or more than one series; and every error of
        :func:`~forecast.schema.validate_series`.
    """
    if not isinstance(series, pd.DataFrame):
        raise SchemaError(
            f"model {name!r} fits a DataFrame with 'ds' and 'y', not {type(series).__name__}."
        )
    frame = series if UNIQUE_ID in series.columns else series.assign(**{UNIQUE_ID: "series"})
    data = validate_series(frame)
    ids = data[UNIQUE_ID].unique()
    if len(ids) != 1:
        raise SchemaError(
            f"model {name!r} fits one series at a time, got {len(ids)} "
            f"({', '.join(map(repr, ids[:3]))}); use fc.forecast for many series.",
            column=UNIQUE_ID,
        )
    return data


def series_frequency(freq: str | None, data: pd.DataFrame, uid: str) -> Frequency:
    """Return the step of one series: from ``freq`` (a pandas alias) when given, else inferred.

    Raises
    ------
    ConfigError
        ``freq`` is not a pandas offset alias.
    HistoryError
        A single date and no ``freq``: the step is unknown.
    """
    if freq is not None:
        try:
            offset = pd.tseries.frequencies.to_offset(freq)
        except ValueError as err:
            raise ConfigError(
                f"freq {freq!r} is not a pandas offset alias such as 'D', 'W-SUN' or 'MS'."
            ) from err
        inferred = infer_frequency(pd.DatetimeIndex([data[DS].iloc[0], data[DS].iloc[0] + offset]))
        period = inferred.seasonal_period if inferred else 1
        return Frequency(inferred.name if inferred else str(freq), offset, period)
    frequency = infer_frequency(data[DS])
    if frequency is None:
        raise HistoryError(
            f"series {uid!r} has a single date, so its frequency is unknown; pass freq='D' "
            "(or another pandas alias) to the model.",
            series=uid,
            column=DS,
        )
    return frequency


def check_fit_data(model: BaseModel, data: pd.DataFrame, uid: str, frequency: Frequency) -> None:
    """Refuse a series too short, with gaps, or with bounds, for ``model``'s capabilities.

    Raises
    ------
    HistoryError
        Fewer observations than ``min_history``, or gaps for a model that needs regular steps.
    CapabilityError
        One-sided bounds for a model that cannot honour them.
    """
    caps = model.capabilities
    if len(data) < caps.min_history:
        raise HistoryError(
            f"series {uid!r} has {len(data)} observation(s); model {model.name!r} needs at "
            f"least {caps.min_history}. Use a simpler model (e.g. 'naive') or a longer "
            "history.",
            series=uid,
            column=DS,
        )
    gaps = missing_dates(data[DS], frequency)
    if len(gaps) and not caps.irregular:
        shown = [d.strftime("%Y-%m-%d") for d in gaps]
        raise HistoryError(
            f"series {uid!r} is {frequency.name} with {len(gaps)} missing date(s) in column "
            f"'ds' ({format_rows(shown)}); model {model.name!r} needs regular steps. Fill the "
            "gaps and say how (fc.fill_gaps(df, method='linear'), or --fill linear; filled "
            "rows are marked and never scored) or use a model that handles irregular data.",
            series=uid,
            column=DS,
            rows=shown,
        )
    bounded = data[QUALIFIER].isin([">=", "<="])
    if bounded.any() and not caps.bounds:
        rows = [d.strftime("%Y-%m-%d") for d in data.loc[bounded, DS]]
        raise CapabilityError(
            f"series {uid!r} holds one-sided bounds in column 'qualifier' (dates "
            f"{format_rows(rows)}); model {model.name!r} would treat them as points. Use a "
            "growth model that honours bounds ('bass', 'logistic', 'gompertz', "
            "'retention_feedback') or remove those rows."
        )


def log_values(data: pd.DataFrame, uid: str) -> np.ndarray:
    """``log(y)`` of a series for ``transform="log"``, refusing values that are not positive.

    Raises
    ------
    DomainError
        A value <= 0, named by date.
    """
    bad = data[Y] <= 0
    if bad.any():
        rows = [d.strftime("%Y-%m-%d") for d in data.loc[bad, DS]]
        raise DomainError(
            f"series {uid!r} has {int(bad.sum())} value(s) <= 0 in column 'y' (dates "
            f"{format_rows(rows)}); transform='log' needs positive values. Drop the "
            "transform or correct the data.",
            series=uid,
            column=Y,
            rows=rows,
        )
    return np.log(data[Y].to_numpy())
