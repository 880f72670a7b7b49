"""Delimited text files: encoding, delimiter, decimal mark, and the file line of every row.

Every cell is read as text; numbers and dates are read later, column by column, with the
file's decimal mark. The frame's index holds each row's line in the file (1-based, the header
being line 1), so errors name lines a user can find in an editor.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd

from forecast.errors import ConfigError, SchemaError
from forecast.io.figures import grouped_number, thousands_separators

__all__ = ["DELIMITERS", "read_delimited", "detect_decimal", "to_number"]

DELIMITERS = (",", ";", "\t", "|")
"""Delimiters :func:`read_delimited` recognises."""

_SAMPLE_BYTES = 64_000
_DECIMAL_COMMA = re.compile(r"^[-+]?\d+,(\d{1,2}|\d{4,})$|^[-+]?\d{1,3}(\.\d{3})+,\d+$")
_DECIMAL_POINT = re.compile(r"^[-+]?\d+\.(\d{1,2}|\d{4,})$|^[-+]?\d{1,3}(,\d{3})+\.\d+$")
_THREE_AFTER = re.compile(r"^[-+]?\d{1,3}[.,]\d{3}$")
_GROUPED_BY_POINTS = re.compile(r"^[-+]?\d{1,3}(\.\d{3}){2,}$")
_GROUPED_BY_COMMAS = re.compile(r"^[-+]?\d{1,3}(,\d{3}){2,}$")


def _text(path: Path, encoding: str) -> str:
    try:
        return path.read_text(encoding=encoding)
    except UnicodeDecodeError as err:
        raise SchemaError(
            f"file {str(path)!r} is not {encoding} text (byte {err.start}: {err.reason}). Save it "
            "as UTF-8, or pass its encoding (encoding='cp1252'; --encoding cp1252)."
        ) from err
    except LookupError as err:
        raise ConfigError(f"encoding {encoding!r} is unknown to Python: {err}.") from err


def _delimiter(path: Path, text: str, sep: str | None) -> str:
    if sep is not None:
        if len(sep) != 1:
            raise ConfigError(f"sep={sep!r}: give one character, such as ',', ';' or '\\t'.")
        return sep
    if path.suffix.lower() == ".tsv":
        return "\t"
    header = text.split("\n", 1)[0]
    found = [d for d in DELIMITERS if d in header]
    if len(found) == 1:
        return found[0]
    try:
        return csv.Sniffer().sniff(text[:_SAMPLE_BYTES], delimiters="".join(DELIMITERS)).delimiter
    except csv.Error as err:
        raise SchemaError(
            f"file {str(path)!r}: the delimiter could not be told from the header line "
            f"{header[:80]!r}. Pass it (sep=';'; --sep ';')."
        ) from err


def read_delimited(
    path: Path, *, sep: str | None = None, encoding: str = "utf-8-sig"
) -> tuple[pd.DataFrame, str]:
    """Read a delimited text file into a frame of text cells indexed by file line.

    Parameters
    ----------
    path : Path
        The file (``.csv``, ``.tsv`` or ``.txt``).
    sep : str, optional
        The delimiter; by default the one of :data:`DELIMITERS` the header line holds
        (``.tsv`` files: a tab), else the one :class:`csv.Sniffer` finds.
    encoding : str
        The text encoding; the default reads UTF-8 and drops a byte-order mark.

    Returns
    -------
    DataFrame, str
        The cells (empty cells as missing), index = file line of each row; and the delimiter.

    Raises
    ------
    SchemaError
        The file is not text in ``encoding``, has no header, a row with more or fewer fields
        than the header (naming its line), or a repeated column name.

    References
    ----------
    .. [1] Shafranovich, Y. (2005). Common Format and MIME Type for Comma-Separated Values
       (CSV) Files. RFC 4180.
    """
    text = _text(path, encoding)
    delimiter = _delimiter(path, text, sep)
    reader = csv.reader(text.splitlines(keepends=True), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    for fields in reader:
        if not fields or all(not f.strip() for f in fields):
            continue
        if header is None:
            header = [f.strip() for f in fields]
            continue
        if len(fields) != len(header):
            raise SchemaError(
                f"file {str(path)!r} line {reader.line_num} has {len(fields)} field(s) where the "
                f"header has {len(header)} (delimiter {delimiter!r}). Quote values that hold the "
                "delimiter, or pass the right delimiter (sep=; --sep).",
                rows=[reader.line_num],
            )
        rows.append(fields)
        lines.append(reader.line_num)
    if header is None:
        raise SchemaError(f"file {str(path)!r} is empty: it needs a header line and rows.")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise SchemaError(
            f"file {str(path)!r} has more than one column named {', '.join(map(repr, repeated))} "
            "in its header (line 1); give each column its own name.",
            column=repeated[0],
        )
    frame = pd.DataFrame(rows, columns=header, index=pd.Index(lines, name="line"), dtype=object)
    frame = frame.apply(lambda column: column.str.strip()).replace("", None)
    return frame, delimiter


def detect_decimal(frame: pd.DataFrame, columns: list[str], delimiter: str, path: Path) -> str:
    """Tell the decimal mark of number columns written as text: ``"."`` or ``","``.

    A value such as ``0,45``, ``1.234,5`` or ``1.234.567`` (a mark used twice separates
    thousands) shows a decimal comma, ``0.45``, ``1,234.5`` or ``1,234,567`` a decimal
    point. When the values show neither (whole numbers), a comma-delimited file has a
    decimal point. Values such as ``1,234`` in a file of another delimiter could be either and
    are refused.

    Raises
    ------
    SchemaError
        Both marks are seen, or only values that could be either.
    """
    present = [frame[c] for c in columns if c in frame.columns]
    if not present:
        return "."
    cells = pd.concat(present, ignore_index=True)
    cells = cells.dropna().astype(str).str.replace(r"[\s\u00a0%+]", "", regex=True)
    cells = cells.str.replace(r"^[^\d-]+|[^\d]+$", "", regex=True)  # bounds, words, suffixes
    comma = cells[cells.str.match(_DECIMAL_COMMA) | cells.str.match(_GROUPED_BY_POINTS)]
    point = cells[cells.str.match(_DECIMAL_POINT) | cells.str.match(_GROUPED_BY_COMMAS)]
    if len(comma) and len(point):
        raise SchemaError(
            f"file {str(path)!r} writes numbers with a decimal comma ({comma.iloc[0]!r}) and "
            f"with a decimal point ({point.iloc[0]!r}). Use one mark, or pass it (decimal=','; "
            "--decimal ,)."
        )
    if len(comma):
        return ","
    if len(point) or delimiter == ",":
        return "."
    either = cells[cells.str.match(_THREE_AFTER)]
    if len(either):
        value = either.iloc[0]
        raise SchemaError(
            f"file {str(path)!r} writes {value!r}, which is "
            f"{value.replace(',', '').replace('.', '')} with a thousands separator or "
            f"{value.replace(',', '.')} with a decimal mark; nothing is guessed. Pass the decimal "
            "mark (decimal='.' or ','; --decimal).",
            rows=[int(frame.index[0])] if len(frame) else [],
        )
    return "."


def to_number(values: pd.Series, decimal: str) -> pd.Series:
    """Plain numbers written as text with ``decimal`` as the mark: float, NaN where not one.

    A thousands separator (the other mark, a space, a no-break or narrow no-break space), the
    same one between every group of three digits, is read; a space anywhere else (``1 1000``,
    ``12 34``) leaves the value unread, as do suffixes, words and bounds (see
    :mod:`forecast.io.figures`).

    Examples
    --------
    >>> to_number(pd.Series(["1 200", "1,350.5", "1 1000", "12 34"]), ".").tolist()
    [1200.0, 1350.5, nan, nan]
    """
    text = values.astype("string").str.strip()
    grouped = text.str.fullmatch(rf"[-+]?{grouped_number(decimal)}").fillna(False)
    text = text.where(~grouped, text.str.replace(thousands_separators(decimal), "", regex=True))
    if decimal == ",":  # a point left over is not this file's mark: not a number
        text = text.where(~text.str.contains(".", regex=False).fillna(False), None)
        text = text.str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce").astype("float64")
