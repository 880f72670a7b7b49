"""Validation of covariates frames: values known for the history and the forecast horizon.

A covariates frame has an optional ``unique_id`` (absent: every series shares the rows), ``ds``
and one numeric (or boolean) column per covariate: a campaign's spend, a launch indicator, a
price, a holiday. :func:`validate_covariates` checks it once and returns a
:class:`ValidCovariates`, whose :meth:`~ValidCovariates.history` and
:meth:`~ValidCovariates.future` hand one series' values for given dates to a model and refuse,
naming the covariate, the series and the dates, any date without a value. Nothing is filled:
a missing value is the caller's to supply. Missing values (NaN) are allowed in rows no model
needs (a long shared calendar), and refused as soon as a needed date holds one.

References
----------
.. [1] Hyndman, R. J. and Athanasopoulos, G. (2021). Forecasting: Principles and Practice, 3rd
   ed., section 7.4 (useful predictors) and 10.1 (regression with ARIMA errors).
.. [2] Taylor, S. J. and Letham, B. (2018). Forecasting at scale. The American Statistician
   72(1), 37-45 (holidays and extra regressors).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from forecast.errors import CovariateError, format_rows
from forecast.schema.checks import (
    check_duplicates,
    check_frame,
    parse_dates,
    parse_ids,
    parse_numbers,
    rows_of,
)
from forecast.schema.columns import (
    CUTOFF,
    DS,
    FILLED,
    MODEL,
    SERIES_OPTIONAL,
    SERIES_REQUIRED,
    UNIQUE_ID,
    YHAT,
)
from forecast.schema.frequency import Frequency, infer_frequency

__all__ = [
    "ValidCovariates",
    "validate_covariates",
    "valid_covariates",
    "covariate_names",
    "on_grid",
]

_RESERVED = frozenset({*SERIES_REQUIRED, *SERIES_OPTIONAL, MODEL, CUTOFF, FILLED})
_HINT = (
    "A covariates frame needs 'ds' and one numeric column per covariate, with 'unique_id' when "
    "the values differ by series (without it every series shares them)."
)


def covariate_names(frame: pd.DataFrame) -> tuple[str, ...]:
    """Return the covariate columns of a covariates frame (all but ``unique_id`` and ``ds``).

    Raises
    ------
    CovariateError
        A name clashes with a column of the series or forecast frames (``y``, ``qualifier``,
        ``metric``, ``model``, ``cutoff``, ``yhat...``), or the frame has no covariate column.
    """
    names = tuple(str(c) for c in frame.columns if c not in (UNIQUE_ID, DS))
    clash = [n for n in names if n in _RESERVED or n.startswith(YHAT)]
    if clash:
        raise CovariateError(
            f"the covariates frame has column(s) {', '.join(map(repr, clash))}, names the series "
            "and forecast frames use; rename the covariate(s) (e.g. 'spend', 'launch') or drop "
            "those columns from the covariates frame.",
            column=clash[0],
        )
    if not names:
        raise CovariateError(
            "the covariates frame has no covariate column besides 'unique_id' and 'ds'. " + _HINT,
            column=DS,
        )
    return names


def _parse_values(out: pd.DataFrame, name: str) -> pd.Series:
    """One covariate as float64: booleans read as 0/1, NaN kept, infinities and text refused."""
    raw = out[name]
    if pd.api.types.is_bool_dtype(raw.dtype):
        return raw.astype("float64")
    present = raw.notna()
    if raw.dtype == object and raw[present].map(lambda v: isinstance(v, (bool, np.bool_))).all():
        return raw.map(lambda v: float(v) if isinstance(v, (bool, np.bool_)) else np.nan)
    values = pd.Series(np.nan, index=out.index, dtype="float64")
    if present.any():
        values[present] = parse_numbers(out.loc[present], name, "numbers (or booleans)")
    return values


def on_grid(dates: pd.DatetimeIndex, first: pd.Timestamp, frequency: Frequency) -> np.ndarray:
    """Whether each of ``dates`` lies on the grid of ``frequency`` through ``first``.

    Parameters
    ----------
    dates : DatetimeIndex
        The dates to test.
    first : Timestamp
        A date of the grid (a series' first date).
    frequency : Frequency
        The grid's step (:func:`~forecast.schema.infer_frequency`).

    Returns
    -------
    ndarray of bool
    """
    offset = frequency.offset
    index = pd.DatetimeIndex(dates)
    midnight = np.asarray(index == index.normalize())
    months = np.asarray(index.year * 12 + index.month) - (first.year * 12 + first.month)
    if isinstance(offset, pd.offsets.Day):
        return midnight
    if isinstance(offset, pd.offsets.Week):
        return midnight & np.asarray(index.day_of_week == getattr(offset, "weekday", None))
    if isinstance(offset, pd.offsets.MonthBegin):
        return midnight & np.asarray(index.day == 1) & (months % offset.n == 0)
    if isinstance(offset, pd.offsets.MonthEnd):
        return midnight & np.asarray(index.is_month_end) & (months % offset.n == 0)
    kwds = getattr(offset, "kwds", {})
    if "months" in kwds:
        step = int(kwds["months"])
        return midnight & np.asarray(index.day == first.day) & (months % step == 0)
    if "seconds" in kwds:
        elapsed = (index - first).total_seconds().to_numpy()
        return np.asarray(elapsed % int(kwds["seconds"]) == 0)
    return np.array([offset.is_on_offset(d) for d in index], dtype=bool)


def _check_against(out: pd.DataFrame, names: tuple[str, ...], series: pd.DataFrame) -> None:
    """Refuse series the data lacks, series the frame lacks, and dates off a series' grid."""
    ids = pd.unique(series[UNIQUE_ID])
    if UNIQUE_ID in out.columns:
        unknown = ~out[UNIQUE_ID].isin(ids)
        if unknown.any():
            extra = sorted(set(out.loc[unknown.to_numpy(), UNIQUE_ID]))
            raise CovariateError(
                f"the covariates frame names series the data lacks: "
                f"{format_rows(list(map(repr, extra)))} (rows "
                f"{format_rows(rows_of(unknown, out.index))}). Check the ids, or remove those "
                "rows.",
                series=extra[0],
                column=UNIQUE_ID,
                rows=rows_of(unknown, out.index),
            )
        absent = [str(u) for u in ids if u not in set(out[UNIQUE_ID])]
        if absent:
            raise CovariateError(
                f"the covariates frame has no rows for series {format_rows(absent)}; every "
                f"series needs values of {', '.join(map(repr, names))}. Add their rows, or drop "
                "'unique_id' if every series shares the same values.",
                series=absent[0],
                column=UNIQUE_ID,
            )
    for uid, dates in series.groupby(UNIQUE_ID, sort=False)[DS]:
        frequency = infer_frequency(dates)
        if frequency is None:
            continue
        mine = out if UNIQUE_ID not in out.columns else out[out[UNIQUE_ID] == uid]
        off = ~on_grid(pd.DatetimeIndex(mine[DS]), pd.Timestamp(dates.iloc[0]), frequency)
        if off.any():
            shown = [d.strftime("%Y-%m-%d %H:%M").removesuffix(" 00:00") for d in mine[DS][off]]
            raise CovariateError(
                f"the covariates frame has {int(off.sum())} date(s) off the {frequency.name} "
                f"grid of series {uid!r} ({format_rows(shown)}; rows "
                f"{format_rows(list(mine.index[off]))}). Give covariates at the series' own "
                "dates (aggregate them to its step first).",
                series=str(uid),
                column=DS,
                rows=list(mine.index[off]),
            )


def validate_covariates(frame: pd.DataFrame, series: pd.DataFrame | None = None) -> ValidCovariates:
    """Check a covariates frame against the data contract.

    Parameters
    ----------
    frame : DataFrame
        ``ds``, one column per covariate (numbers or booleans; booleans read as 0/1), and
        ``unique_id`` when the values differ by series. The index labels the rows in errors
        (file lines for a frame :func:`forecast.read` returned).
    series : DataFrame, optional
        The checked series frame (``unique_id``, ``ds``) the covariates belong to: with it,
        every ``unique_id`` of the frame must be a series of the data and every series of the
        data must have rows, and every date must lie on the grid of its series' frequency.

    Returns
    -------
    ValidCovariates
        The checked frame: covariates as float64, rows sorted by (``unique_id``,) ``ds``, the
        caller's row labels kept.

    Raises
    ------
    SchemaError
        Not a frame, no ``ds``, dates that do not parse, text or other non-numbers in a
        covariate column.
    DuplicateError
        The same (``unique_id``, ``ds``) or, for a shared frame, the same ``ds`` twice.
    MissingValueError
        Infinite values.
    CovariateError
        A name clash, no covariate column, unknown or missing series, dates off the grid.

    Examples
    --------
    >>> import pandas as pd
    >>> cov = validate_covariates(pd.DataFrame({"ds": ["2024-03-18"], "launch": [True]}))
    >>> cov.names, cov.shared
    (('launch',), True)
    """
    check_frame(frame, [DS], "covariates", _HINT)
    names = covariate_names(frame)
    out = frame.copy()
    if UNIQUE_ID in out.columns:
        out[UNIQUE_ID] = parse_ids(out)
    out[DS] = parse_dates(out, DS)
    for name in names:
        out[name] = _parse_values(out, name)
    keys = [UNIQUE_ID, DS] if UNIQUE_ID in out.columns else [DS]
    check_duplicates(out, keys, "Keep one row of covariates per series and date.")
    out = out[[*keys, *names]].sort_values(keys, kind="mergesort")
    out.columns = [*keys, *names]
    if series is not None:
        _check_against(out, names, series)
    return ValidCovariates(out, names)


def valid_covariates(
    frame: pd.DataFrame | ValidCovariates | None, series: pd.DataFrame | None = None
) -> ValidCovariates | None:
    """Validate a covariates frame once (see :func:`validate_covariates`); None stays None.

    An already checked :class:`ValidCovariates` is returned as it is.
    """
    if frame is None or isinstance(frame, ValidCovariates):
        return frame
    return validate_covariates(frame, series)


def _dates_text(dates: Iterable[pd.Timestamp]) -> list[str]:
    return [pd.Timestamp(d).strftime("%Y-%m-%d %H:%M").removesuffix(" 00:00") for d in dates]


@dataclass(frozen=True, eq=False)
class ValidCovariates:
    """A covariates frame that :func:`validate_covariates` returned.

    Attributes
    ----------
    frame : DataFrame
        (``unique_id``,) ``ds`` and the covariates as float64, sorted, row labels kept.
    names : tuple of str
        The covariates, in the frame's column order.
    source : str or None
        Where the rows come from, named in later errors (``"file 'cov.csv' (line 1 is the
        header)"`` for a frame :func:`forecast.io.reader.read_covariates` read); None for a
        frame given in Python.
    unit : str
        What the row labels count (``"line"`` of a text file, ``"sheet row"``, ``"record"``),
        as errors call them.
    """

    frame: pd.DataFrame
    names: tuple[str, ...]
    source: str | None = None
    unit: str = "row"

    @property
    def shared(self) -> bool:
        """True when every series shares the rows (the frame has no ``unique_id``)."""
        return UNIQUE_ID not in self.frame.columns

    def for_series(self, uid: str) -> ValidCovariates:
        """Return the rows of series ``uid`` (all rows of a shared frame).

        Raises
        ------
        CovariateError
            A per-series frame without rows for ``uid``.
        """
        if self.shared:
            return self
        rows = self.frame[self.frame[UNIQUE_ID] == uid]
        if rows.empty:
            raise self._error(
                f"the covariates frame has no rows for series {uid!r}; it needs values of "
                f"{', '.join(map(repr, self.names))} for its dates.",
                series=uid,
                column=UNIQUE_ID,
                rows=(),
            )
        return replace(self, frame=rows)

    def select(self, names: Sequence[str]) -> ValidCovariates:
        """Return the covariates ``names`` only, in that order (a model's ``covariates_``)."""
        missing = [n for n in names if n not in self.names]
        if missing:
            raise CovariateError(
                f"the covariates frame lacks {', '.join(map(repr, missing))}, which the model "
                f"was fitted with (it has {', '.join(map(repr, self.names))}). Pass a frame "
                "with every covariate the model uses.",
                column=missing[0],
            )
        keys = [c for c in (UNIQUE_ID, DS) if c in self.frame.columns]
        return replace(self, frame=self.frame[[*keys, *names]], names=tuple(names))

    def history(
        self, uid: str, dates: Sequence[pd.Timestamp] | pd.Series | pd.DatetimeIndex
    ) -> pd.DataFrame:
        """Values of series ``uid`` at its history ``dates``: ``ds`` and the covariates.

        Raises
        ------
        CovariateError
            A date without a row, or a needed value that is NaN (named with its rows).
        """
        return self._at(uid, dates, "history")

    def future(
        self, uid: str, dates: Sequence[pd.Timestamp] | pd.Series | pd.DatetimeIndex
    ) -> pd.DataFrame:
        """Values of series ``uid`` at the forecast ``dates`` (see :meth:`history`)."""
        return self._at(uid, dates, "forecast horizon")

    def _where(self, rows: Sequence[object]) -> str:
        """Name ``rows`` as this frame's rows: ``rows 3 and 4``, ``line 12``."""
        word = self.unit if len(rows) == 1 else f"{self.unit}s"
        return f"{word} {format_rows(list(rows))}"

    def _error(
        self, message: str, *, series: str, column: str, rows: Sequence[object]
    ) -> CovariateError:
        """Build an error that names the frame's source first, when it has one."""
        prefix = f"{self.source}: " if self.source else ""
        return CovariateError(prefix + message, series=series, column=column, rows=rows)

    def _at(
        self, uid: str, dates: Sequence[pd.Timestamp] | pd.Series | pd.DatetimeIndex, what: str
    ) -> pd.DataFrame:
        rows = self.for_series(uid).frame
        wanted = pd.DatetimeIndex(pd.to_datetime(pd.Series(dates))).as_unit("ns")
        found = pd.Index(rows[DS]).get_indexer(wanted)
        if (found < 0).any():
            absent = _dates_text(wanted[found < 0])
            raise self._error(
                f"covariate(s) {', '.join(map(repr, self.names))} of series {uid!r} have no row "
                f"for {len(absent)} date(s) of the {what} ({format_rows(absent)}). Add rows for "
                f"those dates to the {'file' if self.source else 'covariates frame'} (nothing "
                "is filled for you)" + (", or forecast fewer steps." if what != "history" else "."),
                series=uid,
                column=DS,
                rows=absent,
            )
        picked = rows.iloc[found]
        for name in self.names:
            nan = picked[name].isna().to_numpy()
            if nan.any():
                raise self._error(
                    f"covariate {name!r} of series {uid!r} is missing (NaN) at {int(nan.sum())} "
                    f"date(s) of the {what} ({format_rows(_dates_text(picked[DS][nan]))}; "
                    f"{self._where(list(picked.index[nan]))}). Give those values; nothing is "
                    "filled for you.",
                    series=uid,
                    column=name,
                    rows=list(picked.index[nan]),
                )
        return picked[[DS, *self.names]].reset_index(drop=True)
