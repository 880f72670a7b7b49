"""Press figures: ``2.25M``, ``>=2.25M``, ``~100k``, ``2,250,000``, ``over 1 billion``.

A figure is an optional bound or approximation word, a number (with thousands separators and
the file's decimal mark), an optional scale suffix and an optional ``+``:

============================================ ===========
written                                      qualifier
============================================ ===========
``2.25M``, ``2,250,000``                     ``=``
``>=``, ``≥``, ``>``, ``over``, ``more than``, ``at least``, ``+`` after ``>=``
``<=``, ``≤``, ``<``, ``under``, ``less than``, ``up to``, ``at most``  ``<=``
``~``, ``≈``, ``about``, ``around``, ``approximately``, ``approx.``, ``roughly`` ``~``
============================================ ===========

Suffixes: ``k``/``K``/``thousand`` (10^3), ``m``/``M``/``mn``/``mln``/``million`` (10^6),
``b``/``B``/``bn``/``billion`` (10^9). ``>``/``over`` are read as lower bounds (``>=``), the
contract's only kind of lower bound; ``<``/``under`` likewise as ``<=``.
"""

from __future__ import annotations

import re
from decimal import Decimal

import numpy as np
import pandas as pd

__all__ = ["QUALIFIER_WORDS", "SCALES", "grouped_number", "parse_figures", "thousands_separators"]

QUALIFIER_WORDS: dict[str, str] = {
    ">=": ">=",
    "≥": ">=",
    ">": ">=",
    "over": ">=",
    "more than": ">=",
    "at least": ">=",
    "<=": "<=",
    "≤": "<=",
    "<": "<=",
    "under": "<=",
    "less than": "<=",
    "up to": "<=",
    "at most": "<=",
    "~": "~",
    "≈": "~",
    "about": "~",
    "around": "~",
    "approximately": "~",
    "approx.": "~",
    "approx": "~",
    "roughly": "~",
}
"""Words and signs before a number, and the qualifier each means."""

SCALES: dict[str, int] = {
    "k": 10**3,
    "thousand": 10**3,
    "m": 10**6,
    "mn": 10**6,
    "mln": 10**6,
    "million": 10**6,
    "b": 10**9,
    "bn": 10**9,
    "billion": 10**9,
}
"""Suffixes after a number (case-insensitive) and the factor each means."""

_PREFIX = "|".join(re.escape(w) for w in sorted(QUALIFIER_WORDS, key=len, reverse=True))
_SUFFIX = "|".join(sorted(SCALES, key=len, reverse=True))


def thousands_separators(decimal: str) -> str:
    """Return the regex character class of the thousands separators beside ``decimal``.

    The other mark, a space, a no-break space and a narrow no-break space (ISO 80000-1 groups
    digits by thin spaces).
    """
    other = "," if decimal == "." else "."
    return rf"[{re.escape(other)} \u00a0\u202f]"


def grouped_number(decimal: str) -> str:
    """Return the regex of a number grouped by threes with one separator throughout.

    ``1,234,567.5`` or ``1 234 567.5`` (``decimal="."``); not ``1 1000`` or ``1,234 567``.
    The separator is the group named ``sep``.
    """
    mark = re.escape(decimal)
    separator = thousands_separators(decimal)
    return rf"\d{{1,3}}(?P<sep>{separator})\d{{3}}(?:(?P=sep)\d{{3}})*(?:{mark}\d+)?"


def _pattern(decimal: str) -> re.Pattern[str]:
    mark = re.escape(decimal)
    number = rf"(?P<number>{grouped_number(decimal)}|\d+(?:{mark}\d+)?)"
    return re.compile(
        rf"^(?P<prefix>{_PREFIX})?\s*{number}\s*(?P<suffix>{_SUFFIX})?\s*(?P<plus>\+)?$",
        re.IGNORECASE,
    )


def parse_figures(values: pd.Series, *, decimal: str = ".") -> tuple[pd.Series, pd.Series]:
    """Read press figures into numbers and qualifiers (module docstring).

    Parameters
    ----------
    values : Series
        Figures as text; missing values stay missing.
    decimal : {".", ","}
        The file's decimal mark; the other mark and spaces separate thousands.

    Returns
    -------
    Series, Series
        ``y`` (float, NaN where a value is not a figure) and ``qualifier`` (``=``, ``>=``,
        ``<=`` or ``~``; missing where ``y`` is NaN). A value with both a word and a ``+``
        that disagree (``under 5M+``) is not a figure.

    References
    ----------
    .. [1] The Associated Press Stylebook, "millions, billions" and "numerals" entries
       (figures with a scale word, e.g. 2.25 million).
    """
    pattern = _pattern(decimal)
    thousands = re.compile(thousands_separators(decimal))
    numbers = np.full(len(values), np.nan)
    qualifiers: list[object] = [None] * len(values)
    for position, value in enumerate(values.tolist()):
        if not isinstance(value, str):
            continue
        match = pattern.match(value.strip())
        if match is None:
            continue
        prefix = QUALIFIER_WORDS[match["prefix"].lower()] if match["prefix"] else "="
        if match["plus"] and prefix not in ("=", ">="):
            continue
        qualifier = ">=" if match["plus"] else prefix
        digits = thousands.sub("", match["number"]).replace(decimal, ".")
        scale = SCALES[match["suffix"].lower()] if match["suffix"] else 1
        numbers[position] = float(Decimal(digits) * scale)  # 1.1M is 1100000.0 exactly
        qualifiers[position] = qualifier
    return (
        pd.Series(numbers, index=values.index, dtype="float64"),
        pd.Series(qualifiers, index=values.index, dtype=object),
    )
