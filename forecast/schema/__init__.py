"""Column names, level naming, frequency inference and validation of the package's frames.

This package is the one place that knows the data contract:

========== ===========================================================================
frame      columns
========== ===========================================================================
series     ``unique_id`` (str), ``ds`` (datetime64), ``y`` (float); optional ``entity``,
           ``metric``, ``channel``, ``qualifier``, ``source``
retention  ``cohort`` (datetime64), ``age`` (int, periods), ``retention`` (float in [0, 1]);
           optional ``unique_id``, ``cohort_size``
forecast   ``unique_id``, ``model``, ``ds``, ``yhat``, then ``yhat_lo_<L>``, ``yhat_hi_<L>``
backtest   forecast columns plus ``cutoff`` and ``y``
covariates optional ``unique_id`` (absent: shared by every series), ``ds``, one numeric or
           boolean column per covariate
========== ===========================================================================

Nothing is dropped, filled or clipped: anything that breaks the contract raises a
:class:`~forecast.errors.DataError` naming the series, the column and the rows. Dates lie
between 1677-09-22 and 2262-04-11 (pandas' nanosecond timestamps), and so must every forecast
date.

Modules
-------
:mod:`forecast.schema.columns`
    Column names, interval-level naming, metric words.
:mod:`forecast.schema.frequency`
    Frequency inference, future dates, gaps, the date range a horizon must stay in.
:mod:`forecast.schema.checks`
    Checks of a raw frame's shape and of its columns' values.
:mod:`forecast.schema.covariates`
    :func:`validate_covariates` and :class:`ValidCovariates` (values by series and date).
:mod:`forecast.schema.validation`
    :func:`validate_series`, :func:`validate_retention` and the checked frames
    (:class:`ValidSeries`, :class:`ValidRetention`).

Every public name of these modules is importable from ``forecast.schema``.
"""

from __future__ import annotations

from forecast.schema.columns import (
    AGE,
    AGE_UNIT,
    AGE_UNITS,
    CHANNEL,
    COHORT,
    COHORT_SIZE,
    COUNT_METRICS,
    CUTOFF,
    DS,
    ENTITY,
    FILLED,
    METRIC,
    MODEL,
    N_FLOORED,
    NOTE,
    PART,
    QUALIFIER,
    QUALIFIERS,
    RETENTION,
    SCALE,
    SEASONAL_PERIOD,
    SHARE,
    SOURCE,
    STEP,
    UNIQUE_ID,
    WINDOW,
    Y_TEXT,
    YHAT,
    Y,
    check_levels,
    forecast_columns,
    interval_columns,
    is_count_metric,
    level_column,
    metric_of,
    parse_level_column,
)
from forecast.schema.covariates import (
    ValidCovariates,
    covariate_names,
    on_grid,
    valid_covariates,
    validate_covariates,
)
from forecast.schema.frequency import (
    FIRST_DATE,
    LAST_DATE,
    Frequency,
    check_horizon_dates,
    future_dates,
    infer_frequency,
    missing_dates,
    series_report,
)
from forecast.schema.validation import (
    ValidRetention,
    ValidSeries,
    valid_retention,
    valid_series,
    validate,
    validate_retention,
    validate_series,
)

__all__ = [
    "ValidSeries",
    "ValidRetention",
    "valid_series",
    "valid_retention",
    "UNIQUE_ID",
    "DS",
    "Y",
    "MODEL",
    "YHAT",
    "CUTOFF",
    "QUALIFIER",
    "ENTITY",
    "METRIC",
    "CHANNEL",
    "SOURCE",
    "COHORT",
    "AGE",
    "RETENTION",
    "COHORT_SIZE",
    "SHARE",
    "PART",
    "N_FLOORED",
    "WINDOW",
    "STEP",
    "SCALE",
    "SEASONAL_PERIOD",
    "NOTE",
    "FILLED",
    "AGE_UNIT",
    "AGE_UNITS",
    "Y_TEXT",
    "QUALIFIERS",
    "COUNT_METRICS",
    "FIRST_DATE",
    "LAST_DATE",
    "Frequency",
    "level_column",
    "parse_level_column",
    "interval_columns",
    "forecast_columns",
    "check_levels",
    "infer_frequency",
    "future_dates",
    "check_horizon_dates",
    "missing_dates",
    "series_report",
    "is_count_metric",
    "metric_of",
    "validate",
    "validate_series",
    "validate_retention",
    "ValidCovariates",
    "validate_covariates",
    "valid_covariates",
    "covariate_names",
    "on_grid",
]
