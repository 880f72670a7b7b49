"""The package's exceptions and its warning class, in one hierarchy.

::

    ForecastError                      base of everything the package raises on purpose
    ├── DataError (also ValueError)     a frame breaks the data contract
    │   ├── SchemaError                 missing or repeated columns, wrong types, bad dates, no rows
    │   │   └── CovariateError          a covariates frame lacks a series, a date or a value, or
    │   │                               has names or dates that do not fit the series
    │   ├── DuplicateError              the same (unique_id, ds) or (cohort, age) twice
    │   ├── MissingValueError           NaN or infinite values
    │   ├── DomainError                 negative counts, retention outside [0, 1], bad qualifiers
    │   └── HistoryError                too short, or irregular where a model needs regular steps
    ├── ModelError
    │   ├── UnknownModelError           a name not in the registry
    │   ├── CapabilityError             a model asked for something it does not do
    │   ├── NotFittedError              predict or sample before fit
    │   └── FitError                    the estimation itself failed
    ├── ConfigError (also ValueError)   a batch configuration or an argument is invalid
    └── ModelFileError                  a saved model file that cannot be read back

``ForecastWarning`` is the one warning class; it is emitted only for things the caller can act on.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "ForecastError",
    "DataError",
    "SchemaError",
    "CovariateError",
    "DuplicateError",
    "MissingValueError",
    "DomainError",
    "HistoryError",
    "ModelError",
    "UnknownModelError",
    "CapabilityError",
    "NotFittedError",
    "FitError",
    "ConfigError",
    "ModelFileError",
    "ForecastWarning",
    "format_rows",
]


def format_rows(rows: Sequence[object], limit: int = 3) -> str:
    """Render a list of row labels the way error messages show them.

    Parameters
    ----------
    rows : sequence
        Row labels (positions or dates).
    limit : int
        How many to show before summarising the rest.

    Returns
    -------
    str
        ``"14, 15 and 88"`` or ``"3, 9, 27 and 412 more"``.
    """
    shown = [str(r) for r in list(rows)[:limit]]
    rest = len(rows) - len(shown)
    if rest > 0:
        return f"{', '.join(shown)} and {rest} more"
    if len(shown) <= 1:
        return "".join(shown)
    return f"{', '.join(shown[:-1])} and {shown[-1]}"


class ForecastError(Exception):
    """Base class of every error the package raises on purpose."""


class DataError(ForecastError, ValueError):
    """A frame breaks the data contract.

    Parameters
    ----------
    message : str
        What is wrong, where, and what to do.
    series : str, optional
        The ``unique_id`` at fault, when there is one.
    column : str, optional
        The column at fault.
    rows : sequence, optional
        Row positions (in the caller's frame) at fault.
    """

    def __init__(
        self,
        message: str,
        *,
        series: str | None = None,
        column: str | None = None,
        rows: Sequence[object] = (),
    ) -> None:
        super().__init__(message)
        self.series = series
        self.column = column
        self.rows = list(rows)


class SchemaError(DataError):
    """Missing or repeated columns, wrong types, bad dates, or an empty frame.

    Wrong types include complex numbers, booleans, dates or durations where numbers belong;
    bad dates include dates that do not parse, dates of different time zones, and dates
    outside 1677-09-22 to 2262-04-11 (pandas' nanosecond range).
    """


class CovariateError(SchemaError):
    """A covariates frame that does not fit the series or the horizon.

    A covariate name that clashes with the series' columns, rows of series the data lacks or
    no rows for a series, dates off a series' grid, or no value (a missing row, or NaN) at a
    date a model needs, in the history or the forecast horizon. Nothing is filled.
    """


class DuplicateError(DataError):
    """The same key (``unique_id``, ``ds``) or (``cohort``, ``age``) appears more than once."""


class MissingValueError(DataError):
    """NaN or infinite values where numbers are required."""


class DomainError(DataError):
    """Values outside their domain: negative counts, retention outside [0, 1], bad qualifiers."""


class HistoryError(DataError):
    """A series too short, irregular where a model needs regular steps, or beyond dating.

    Beyond dating: a horizon whose dates would pass 2262-04-11, the last date pandas holds.
    """


class ModelError(ForecastError):
    """Base class of model errors."""


class UnknownModelError(ModelError):
    """A model name that is not in the registry."""


class CapabilityError(ModelError):
    """A model was asked for something its capabilities do not include."""


class NotFittedError(ModelError):
    """``predict`` or ``sample`` was called before ``fit``."""


class FitError(ModelError):
    """The estimation failed (the wrapped library's error is chained as the cause)."""


class ConfigError(ForecastError, ValueError):
    """A configuration or argument is invalid; the message names the key and the allowed values."""


class ModelFileError(ForecastError):
    """A saved model file or folder that cannot be read back or written.

    Raised for a path that is missing or a directory, a truncated or corrupted file, a file of
    another kind, one written in a format version this package does not read, or contents
    that were edited (a model name that is not registered, unknown keys, arrays of the wrong
    shape or dtype). The message names the file and what is wrong.

    Parameters
    ----------
    message : str
        What is wrong and what to do.
    path : str, optional
        The file or folder at fault.
    """

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class ForecastWarning(UserWarning):
    """A warning about something the caller can act on."""
