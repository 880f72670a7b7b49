"""``fc.read``: the files users have, read into the data contract's frames or refused.

The steps, each of which refuses rather than guesses:

1. the file: ``.csv``/``.tsv``/``.txt`` (delimiter and decimal mark detected, a byte-order mark
   dropped), ``.parquet``, ``.json`` (records) or ``.xlsx`` (with the optional ``openpyxl``);
2. the columns: ``id=``, ``ds=``, ``y=`` name the file's columns, ``unique_id=`` names the one
   series of a file without ids; ``layout="wide"`` makes one column per series or per age long
   (:mod:`forecast.io.wide`);
3. the dates, in one format per column (:mod:`forecast.schema.dates`): an ambiguous column is an
   error unless ``dayfirst=`` or ``date_format=`` settles it;
4. the numbers: plain numbers with the file's decimal mark, or press figures
   (:mod:`forecast.io.figures`) read into ``y`` and ``qualifier``, the text kept in ``y_text``;
5. the contract (:func:`forecast.validate`).

Errors name file lines (1-based, the header being line 1), or sheet rows of a workbook, or
records (1-based) of a Parquet or JSON file.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import pandas as pd

from forecast.errors import ConfigError, DataError, SchemaError, format_rows
from forecast.gaps import FillMethod, fill_gaps
from forecast.io.figures import parse_figures
from forecast.io.files import read_frame
from forecast.io.text import detect_decimal, read_delimited, to_number
from forecast.io.wide import wide_retention, wide_series
from forecast.schema import (
    AGE,
    AGE_UNIT,
    AGE_UNITS,
    COHORT,
    COHORT_SIZE,
    DS,
    QUALIFIER,
    RETENTION,
    UNIQUE_ID,
    Y_TEXT,
    ValidCovariates,
    Y,
    validate_covariates,
    validate_retention,
    validate_series,
)
from forecast.schema.dates import beyond_pandas_range, parse_date_text

__all__ = ["read", "read_with", "read_covariates", "ReadOptions", "TEXT_SUFFIXES", "SUFFIXES"]

TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
SUFFIXES = (*TEXT_SUFFIXES, ".parquet", ".pq", ".json", ".xlsx")
"""File extensions :func:`read` accepts."""


@dataclass(frozen=True)
class ReadOptions:
    """How to read a file (the keyword arguments of :func:`read`, gathered for the CLI)."""

    kind: Literal["series", "retention"] = "series"
    layout: Literal["long", "wide"] = "long"
    id: str | None = None
    ds: str | None = None
    y: str | None = None
    unique_id: str | None = None
    sep: str | None = None
    decimal: str | None = None
    dayfirst: bool | None = None
    date_format: str | None = None
    age_unit: str | None = None
    encoding: str = "utf-8-sig"
    sheet: str | None = None
    fill: FillMethod | None = None


@dataclass(frozen=True)
class _Source:
    frame: pd.DataFrame
    unit: str
    delimiter: str | None


def _load(path: Path, options: ReadOptions) -> _Source:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ConfigError(
            f"file {str(path)!r} has an unknown extension; use one of {', '.join(SUFFIXES)}."
        )
    if not path.is_file():
        raise SchemaError(f"file {str(path)!r} does not exist.")
    if suffix in TEXT_SUFFIXES:
        frame, delimiter = read_delimited(path, sep=options.sep, encoding=options.encoding)
        return _Source(frame, "line", delimiter)
    if suffix == ".xlsx":
        return _Source(_read_xlsx(path, options.sheet), "sheet row", None)
    frame = read_frame(path)
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="record")
    return _Source(frame, "record", None)


def _read_xlsx(path: Path, sheet: str | None) -> pd.DataFrame:
    try:
        import openpyxl  # noqa: F401  (pandas' reader of .xlsx files)
    except ImportError as err:
        raise ConfigError(
            f"reading {str(path)!r} needs openpyxl: pip install 'forecast[xlsx]', or save the "
            "sheet as CSV."
        ) from err
    frame = pd.read_excel(
        path, sheet_name=sheet or 0, dtype=object, engine="openpyxl", keep_default_na=False
    )
    frame.index = pd.RangeIndex(2, len(frame) + 2, name="sheet row")
    return frame.map(lambda v: v.strip() or None if isinstance(v, str) else v)


def _renames(options: ReadOptions) -> dict[str, str]:
    """Map the file's columns that ``id=``, ``ds=`` and ``y=`` name to the contract's names."""
    date_name = DS if options.kind == "series" else COHORT
    value_name = Y if options.kind == "series" else RETENTION
    mapping = {options.id: UNIQUE_ID, options.ds: date_name, options.y: value_name}
    return {old: new for old, new in mapping.items() if old is not None and old != new}


def _rename(frame: pd.DataFrame, options: ReadOptions, path: Path) -> pd.DataFrame:
    mapping = _renames(options)
    for old, new in mapping.items():
        if old not in frame.columns:
            raise ConfigError(
                f"file {str(path)!r} has no column {old!r} to read as {new!r} (it has "
                f"{', '.join(map(repr, map(str, frame.columns)))})."
            )
        if new in frame.columns:
            raise ConfigError(
                f"file {str(path)!r} has a column {new!r} already; {old!r} cannot be read as "
                f"{new!r} too. Drop one of them."
            )
    frame = frame.rename(columns=mapping)
    if options.unique_id is not None:
        if UNIQUE_ID in frame.columns:
            raise ConfigError(
                f"unique_id={options.unique_id!r} names the one series of a file without ids, "
                f"but {str(path)!r} has a column {UNIQUE_ID!r}; drop the option."
            )
        frame = frame.assign(**{UNIQUE_ID: options.unique_id})
    return frame


def _reshape(frame: pd.DataFrame, options: ReadOptions, path: Path) -> pd.DataFrame:
    if options.layout == "long":
        return frame
    if options.kind == "retention":
        return wide_retention(frame, COHORT, options.age_unit, str(path))
    if options.unique_id is not None or options.id is not None:
        raise ConfigError(
            "id= and unique_id= name the series of a long file; the series of a wide one are "
            f"named by its headers ({', '.join(map(repr, map(str, frame.columns[:4])))}, ...). "
            "Drop them."
        )
    return wide_series(frame, DS, str(path))


def _fail_rows(
    frame: pd.DataFrame, column: str, mask: pd.Series, what: str, todo: str
) -> SchemaError:
    """Build the error for the rows of ``mask`` (index labels: file lines), naming the series."""
    picked = mask.to_numpy(dtype=bool)
    rows = list(frame.index[picked])
    shown = ", ".join(repr(v) for v in frame.loc[picked, column].head(3).tolist())
    series = str(frame.loc[picked, UNIQUE_ID].iloc[0]) if UNIQUE_ID in frame.columns else None
    where = f" of series {series!r}" if series is not None else ""
    return SchemaError(
        f"column {column!r}{where} has {int(mask.sum())} {what} (rows {format_rows(rows)}: "
        f"{shown}). {todo}",
        series=series,
        column=column,
        rows=rows,
    )


def _dates(frame: pd.DataFrame, column: str, options: ReadOptions) -> pd.DataFrame:
    if column not in frame.columns or pd.api.types.infer_dtype(frame[column]) != "string":
        return frame
    raw = frame[column]
    try:
        parsed = parse_date_text(
            raw, column, dayfirst=options.dayfirst, date_format=options.date_format
        )
    except DataError:
        raise
    except ValueError:  # dates of different time zones: the contract's check names them
        return frame
    bad = parsed.isna() & raw.notna()
    if bad.any() and raw[bad].map(beyond_pandas_range).any():
        return frame  # dates beyond pandas' range (pandas 2): the contract's check names them
    if bad.any():
        how = (
            f"the format {options.date_format!r}" if options.date_format else "the column's format"
        )
        raise _fail_rows(
            frame,
            column,
            bad,
            f"date(s) not written in {how}",
            "Write every date of a column in one format (YYYY-MM-DD is best; quarters as "
            "2024Q1, weeks as 2024-W01), or give it (date_format='%d.%m.%Y'; --date-format).",
        )
    return frame.assign(**{column: parsed})


def _figures(frame: pd.DataFrame, decimal: str) -> pd.DataFrame:
    raw = frame[Y]
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        return frame
    if pd.api.types.infer_dtype(raw, skipna=True) not in ("string", "empty"):
        return frame  # the contract's check names what else the column holds
    plain = to_number(raw, decimal)
    if (plain.notna() | raw.isna()).all():
        return frame.assign(**{Y: plain})
    numbers, qualifiers = parse_figures(raw, decimal=decimal)
    bad = numbers.isna() & raw.notna()
    if bad.any():
        raise _fail_rows(
            frame,
            Y,
            bad,
            "value(s) that are neither numbers nor press figures",
            f"Write numbers (decimal mark {decimal!r}) or figures such as 2.25M, >=2.25M, "
            "~100k, 'over 1 billion'.",
        )
    if QUALIFIER in frame.columns:
        stated = frame[QUALIFIER].astype("string").str.strip()
        clash = (qualifiers != "=") & stated.notna() & (stated != qualifiers)
        if clash.any():
            raise _fail_rows(
                frame,
                QUALIFIER,
                clash,
                "qualifier(s) that contradict the figure in 'y'",
                "Keep the bound in one place: the figure ('>=2.25M') or the qualifier column.",
            )
        qualifiers = qualifiers.where(qualifiers != "=", stated.fillna("=").astype(object))
    return frame.assign(**{Y: numbers, QUALIFIER: qualifiers, Y_TEXT: raw})


def _retention_numbers(frame: pd.DataFrame, decimal: str) -> pd.DataFrame:
    out = frame
    for column in (AGE, COHORT_SIZE, RETENTION):
        if column not in out.columns or pd.api.types.infer_dtype(out[column]) != "string":
            continue
        text = out[column].astype("string")
        percent = text.str.strip().str.endswith("%").fillna(False)
        numbers = to_number(text.str.rstrip().str.rstrip("%"), decimal)
        if column == RETENTION:
            numbers = numbers.where(~percent, numbers / 100.0)
        bad = numbers.isna() & text.notna()
        if bad.any():
            raise _fail_rows(
                out,
                column,
                bad,
                "value(s) that are not numbers",
                f"Decimal mark: {decimal!r}.",
            )
        out = out.assign(**{column: numbers})
    return out


def _age_unit(frame: pd.DataFrame, age_unit: str | None) -> pd.DataFrame:
    if age_unit is not None and age_unit not in AGE_UNITS:
        raise ConfigError(f"age_unit={age_unit!r}: use one of {', '.join(AGE_UNITS)}.")
    if age_unit is None or AGE_UNIT in frame.columns:
        if age_unit is not None and set(frame[AGE_UNIT].dropna().unique()) != {age_unit}:
            raise ConfigError(
                f"age_unit={age_unit!r} contradicts the file's column {AGE_UNIT!r}; drop the "
                "option."
            )
        return frame
    return frame.assign(**{AGE_UNIT: age_unit})


_ROW_WORD = re.compile(r"\brows? (?=\d+([:;)])?)")
"""``row 3:`` (one row) or ``rows 3, 4`` (several) in a message; group 1 marks one row."""


def _file_name(path: Path, unit: str) -> str:
    """Name a file in messages: ``file 'cov.csv' (line 1 is the header)``."""
    return f"file {str(path)!r}" + (" (line 1 is the header)" if unit == "line" else "")


def _in_file(err: DataError, path: Path, unit: str, options: ReadOptions) -> DataError:
    """Return the same error with its rows called file lines (or sheet rows, records).

    A message about a column that ``options`` renamed (``y="dau"``) names the file's column:
    ``column 'dau' (read as 'y')``.
    """
    message = _ROW_WORD.sub(lambda m: f"{unit} " if m[1] else f"{unit}s ", str(err))
    renamed = {new: old for old, new in _renames(options).items()}
    original = renamed.get(err.column or "")
    if original is not None:
        message = message.replace(
            f"column {err.column!r}", f"column {original!r} (read as {err.column!r})", 1
        )
    if not message.startswith(f"file {str(path)!r}"):
        message = f"{_file_name(path, unit)}: {message}"
    return type(err)(message, series=err.series, column=err.column, rows=err.rows)


def _check_columns(frame: pd.DataFrame, options: ReadOptions, path: Path) -> None:
    required = (UNIQUE_ID, DS, Y) if options.kind == "series" else (COHORT, AGE, RETENTION)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"file {str(path)!r} has no column(s) {', '.join(map(repr, missing))} (it has "
            f"{', '.join(map(repr, map(str, frame.columns)))}). Name the file's columns with "
            "id=, ds=, y= (--id, --ds, --y), name the one series of a file without ids with "
            "unique_id= (--id-value), or read a table of one column per series with "
            "layout='wide' (--layout wide).",
            column=missing[0],
        )


def _parse(frame: pd.DataFrame, source: _Source, options: ReadOptions, path: Path) -> pd.DataFrame:
    numbers = [Y] if options.kind == "series" else [AGE, COHORT_SIZE, RETENTION]
    decimal = options.decimal
    if decimal is not None and decimal not in (".", ","):
        raise ConfigError(f"decimal={decimal!r}: use '.' or ','.")
    if decimal is None:
        decimal = (
            detect_decimal(frame, numbers, source.delimiter, path)
            if source.delimiter is not None
            else "."
        )
    if options.kind == "series":
        frame = _dates(frame, DS, options)
        return _figures(frame, decimal) if Y in frame.columns else frame
    frame = _dates(frame, COHORT, options)
    return _age_unit(_retention_numbers(frame, decimal), options.age_unit)


def read(
    path: str | os.PathLike[str],
    *,
    kind: Literal["series", "retention"] = "series",
    layout: Literal["long", "wide"] = "long",
    id: str | None = None,
    ds: str | None = None,
    y: str | None = None,
    unique_id: str | None = None,
    sep: str | None = None,
    decimal: str | None = None,
    dayfirst: bool | None = None,
    date_format: str | None = None,
    age_unit: str | None = None,
    encoding: str = "utf-8-sig",
    sheet: str | None = None,
    fill: FillMethod | None = None,
    validate: bool = True,
) -> pd.DataFrame:
    r"""Read a file users have into a series or retention frame, or refuse it with its lines.

    Parameters
    ----------
    path : str or path-like
        ``.csv``, ``.tsv``, ``.txt``, ``.parquet``, ``.pq``, ``.json`` (records) or ``.xlsx``
        (needs ``openpyxl``: ``pip install 'forecast[xlsx]'``).
    kind : {"series", "retention"}
        Which frame the file holds.
    layout : {"long", "wide"}
        ``"wide"``: one column per series (its header is the series' name) beside the date
        column, or, for retention, one column per age (``D1``, ``W2``, ``M3``, ``7``) beside
        the cohort column. An empty cell of a wide table is no observation.
    id, ds, y : str, optional
        The file's names of ``unique_id``, ``ds`` and ``y`` (for retention: ``ds`` names
        ``cohort`` and ``y`` names ``retention``), e.g. ``ds="date", y="dau"``.
    unique_id : str, optional
        The name of the one series of a file without an id column.
    sep : str, optional
        The delimiter of a text file; by default the one its header holds (``,``, ``;``, tab,
        ``|``).
    decimal : {".", ","}, optional
        The decimal mark; by default the one the numbers show (``0,45``: a comma). Values that
        could be either (``1,234`` in a ``;`` file) are refused until this is given.
    dayfirst : bool, optional
        Settles dates such as ``05.03.2024`` (True: 5 March). Without it such a column is an
        error; a column with a day above 12 first (``13.03.2024``) is read day-first.
    date_format : str, optional
        The strptime format of every date (``"%d.%m.%Y"``).
    age_unit : {"day", "week", "month"}, optional
        The unit of retention ages, unless the file's ``age_unit`` column or age headers say.
    encoding : str
        The encoding of a text file (UTF-8 by default, with or without a byte-order mark).
    sheet : str, optional
        The sheet of a workbook (the first by default).
    fill : {"linear", "log-linear", "seasonal", "carry-forward", "none"}, optional
        Fill the gaps of a series file with this method of :func:`forecast.fill_gaps` (dates
        without a row and empty values; filled rows are marked ``filled=True``), naming file
        lines in its errors. Without it an empty value is refused. Filling validates the
        frame whatever ``validate`` says.
    validate : bool
        Check the result against the data contract (:func:`forecast.validate`), naming file
        lines in errors. With False the frame is returned as read, indexed by file line.

    Returns
    -------
    DataFrame
        The validated series (``unique_id``, ``ds``, ``y``, ``qualifier``, other columns kept;
        ``y_text`` holds the figures as written when ``y`` was read from press figures) or
        retention frame (with ``age_unit`` when known).

    Raises
    ------
    ConfigError
        An unknown extension or option value, a mapped column the file lacks, ``openpyxl``
        absent for a workbook.
    SchemaError
        A file that cannot be read, ambiguous dates, values that are neither numbers nor press
        figures, a decimal mark that cannot be told; with ``validate``, anything
        :func:`forecast.validate` refuses (as its own class: DuplicateError, ...). Messages
        name the file's lines.

    References
    ----------
    .. [1] Shafranovich, Y. (2005). Common Format and MIME Type for Comma-Separated Values
       (CSV) Files. RFC 4180.
    .. [2] ISO 8601-1:2019, Date and time -- Representations for information interchange.

    Examples
    --------
    >>> import forecast as fc, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "dau.csv"
    >>> _ = path.write_text("date;dau\n13.03.2024;>=2,25M\n14.03.2024;2.300.000\n")
    >>> df = fc.read(path, ds="date", y="dau", unique_id="kimi/dau/all")
    >>> df[["ds", "y", "qualifier"]].astype(str).values.tolist()
    [['2024-03-13', '2250000.0', '>='], ['2024-03-14', '2300000.0', '=']]
    """
    if kind not in ("series", "retention"):
        raise ConfigError(f"kind must be 'series' or 'retention', not {kind!r}.")
    if layout not in ("long", "wide"):
        raise ConfigError(f"layout must be 'long' or 'wide', not {layout!r}.")
    options = ReadOptions(
        kind, layout, id, ds, y, unique_id, sep, decimal, dayfirst, date_format, age_unit,
        encoding, sheet, fill,
    )  # fmt: skip
    if fill is not None and kind != "series":
        raise ConfigError(f"fill={fill!r} fills the gaps of series; a {kind} file has none.")
    path = Path(path)
    source = _load(path, options)
    try:
        frame = _reshape(_rename(source.frame, options, path), options, path)
        frame = _parse(frame, source, options, path)
        _check_columns(frame, options, path)
        if fill is not None:
            return fill_gaps(frame, method=fill)
        if not validate:
            return frame
        return validate_series(frame) if kind == "series" else validate_retention(frame)
    except DataError as err:
        raise _in_file(err, path, source.unit, options) from err


def read_with(path: str | os.PathLike[str], options: ReadOptions) -> pd.DataFrame:
    """Call :func:`read` with the fields of ``options`` (the CLI's shared reading options)."""
    return read(path, **{f: getattr(options, f) for f in ReadOptions.__dataclass_fields__})


def read_covariates(
    path: str | os.PathLike[str],
    series: pd.DataFrame | None = None,
    *,
    options: ReadOptions | None = None,
) -> ValidCovariates:
    """Read a covariates file as :func:`read` reads one, and check it, naming its lines.

    The checked frame (:func:`forecast.schema.validate_covariates`) keeps the file's lines as
    row labels and names the file, so a value a forecast later lacks (a horizon date without a
    row, a NaN) is reported with the file and its lines too.

    Parameters
    ----------
    path : str or path-like
        A file :func:`read` accepts: ``ds``, one column per covariate, and ``unique_id`` when
        the values differ by series.
    series : DataFrame, optional
        The checked series the covariates belong to (see ``validate_covariates``).
    options : ReadOptions, optional
        ``ds`` and ``id`` name the file's date and series columns; ``sep``, ``decimal``,
        ``dayfirst``, ``date_format``, ``encoding`` and ``sheet`` say how to read it.

    Returns
    -------
    ValidCovariates

    Raises
    ------
    ConfigError
        Options about values or layout (``y``, ``unique_id``, ``layout="wide"``, ``age_unit``,
        ``kind="retention"``), which a covariates file does not have.
    DataError
        The file breaks the covariates contract; the message names the file's lines.

    References
    ----------
    .. [1] Hyndman, R. J. and Athanasopoulos, G. (2021). Forecasting: Principles and Practice,
       3rd ed., section 7.4 (predictors known in advance).
    """
    options = options or ReadOptions()
    stray = [
        name
        for name in ("kind", "layout", "y", "unique_id", "age_unit")
        if getattr(options, name) != getattr(ReadOptions(), name)
    ]
    if stray:
        raise ConfigError(
            f"reading covariates file {str(path)!r}: {', '.join(stray)} do not apply to a "
            "covariates file (ds, unique_id and one column per covariate); drop them."
        )
    path = Path(path)
    source = _load(path, options)
    names = {options.ds: DS, options.id: UNIQUE_ID}
    frame = source.frame.rename(columns={k: v for k, v in names.items() if k in source.frame})
    try:
        frame = _dates(frame, DS, options)
        text = [c for c in frame.columns if c not in (DS, UNIQUE_ID) and frame[c].dtype == object]
        if source.delimiter is not None and text:
            decimal = options.decimal or detect_decimal(frame, text, source.delimiter, path)
            for column in text:  # what is not a number stays text, for the check to name
                numbers = to_number(frame[column], decimal)
                frame[column] = numbers.astype(object).where(numbers.notna(), frame[column])
        checked = validate_covariates(frame, series)
    except DataError as err:
        raise _in_file(err, path, source.unit, options) from err
    return replace(checked, source=_file_name(path, source.unit), unit=source.unit)
