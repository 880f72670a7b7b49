"""Checks of model hyperparameters: one helper per kind of value, one message format.

Every registered model checks each constructor argument with these, so a bad value (from
Python or from the CLI's ``name:key=value``) raises :class:`~forecast.errors.ConfigError`
naming the model, the parameter, the value and the closest valid value.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from forecast.errors import ConfigError

__all__ = [
    "check_bool",
    "check_choice",
    "check_date",
    "check_freq",
    "check_int",
    "check_int_tuple",
    "check_number",
    "check_optional_number",
]


def _fail(model: str, name: str, wanted: str, value: object, closest: object) -> ConfigError:
    hint = "" if closest is None else f"; did you mean {closest!r}?"
    return ConfigError(f"model {model!r}: {name} must be {wanted}, not {value!r}{hint}")


def _as_float(value: object) -> float:
    """``value`` as a float if it is a real number (not a bool), else NaN."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return float(value)
    return math.nan


def _int_wanted(minimum: int, maximum: int | None) -> str:
    if maximum is not None:
        return f"an integer from {minimum} to {maximum}"
    if minimum == 0:
        return "a non-negative integer"
    if minimum == 1:
        return "a positive integer"
    return f"an integer >= {minimum}"


def check_int(
    model: str, name: str, value: object, *, minimum: int = 0, maximum: int | None = None
) -> int:
    """Return ``value`` as an int in ``[minimum, maximum]`` or raise :class:`ConfigError`.

    Booleans and non-whole numbers are refused; the message suggests the nearest valid
    integer (``seasonal_period=1.5`` suggests 2).

    Parameters
    ----------
    model, name : str
        The model's registry name and the parameter's name, for the message.
    value : object
        What the caller passed.
    minimum, maximum : int
        The allowed range (``maximum=None``: unbounded above).

    Returns
    -------
    int
    """
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        number = int(value)
        if number >= minimum and (maximum is None or number <= maximum):
            return number
    closest: int = minimum
    if math.isfinite(_as_float(value)):
        closest = max(minimum, math.floor(_as_float(value) + 0.5))
    elif isinstance(value, bool):
        closest = max(minimum, int(value))
    if maximum is not None:
        closest = min(closest, maximum)
    raise _fail(model, name, _int_wanted(minimum, maximum), value, closest)


def check_int_tuple(
    model: str, name: str, value: object, lengths: tuple[int, ...]
) -> tuple[int, ...] | None:
    """Return ``value`` as a tuple of non-negative ints of one of ``lengths`` (or ``None``).

    Raises :class:`ConfigError` naming the first bad entry and its nearest valid value.
    """
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not isinstance(value, (tuple, list)):
        raise _fail(model, name, f"a tuple of {lengths[0]} non-negative integers", value, None)
    if len(value) not in lengths:
        wanted = " or ".join(str(n) for n in lengths)
        raise _fail(model, name, f"a tuple of {wanted} non-negative integers", value, None)
    return tuple(check_int(model, f"{name}[{i}]", v) for i, v in enumerate(value))


def check_number(
    model: str,
    name: str,
    value: object,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    positive: bool = False,
    default: float | None = None,
) -> float:
    """Return ``value`` as a finite float in range or raise :class:`ConfigError`.

    Parameters
    ----------
    model, name : str
        The model's registry name and the parameter's name, for the message.
    value : object
        What the caller passed; booleans and strings are refused.
    minimum, maximum : float, optional
        Inclusive bounds.
    positive : bool
        Require ``value > 0``.
    default : float, optional
        The suggestion when no nearest valid value exists (a non-number, or zero where a
        positive number is needed).

    Returns
    -------
    float
    """
    number = _as_float(value)
    too_low = (minimum is not None and number < minimum) or (positive and not number > 0)
    too_high = maximum is not None and number > maximum
    if math.isfinite(number) and not too_low and not too_high:
        return number
    parts = ["a positive number" if positive else "a number"]
    if minimum is not None:
        parts.append(f">= {minimum:g}")
    if maximum is not None:
        parts.append(f"<= {maximum:g}")
    closest: float | None = default
    if math.isfinite(number) and too_low and minimum is not None and not positive:
        closest = minimum
    elif math.isfinite(number) and too_high and maximum is not None:
        closest = maximum
    raise _fail(model, name, " ".join(parts), value, closest)


def check_optional_number(
    model: str,
    name: str,
    value: object,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    positive: bool = False,
) -> float | None:
    """:func:`check_number` that also accepts ``None`` (and returns it)."""
    if value is None:
        return None
    return check_number(model, name, value, minimum=minimum, maximum=maximum, positive=positive)


def check_bool(model: str, name: str, value: object) -> bool:
    """Return ``value`` if it is a bool (numpy's too) or raise :class:`ConfigError`.

    ``0``, ``1`` and the strings ``"true"``, ``"false"`` are refused with the bool they look
    like as the suggestion.
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    closest: bool | None = None
    if _as_float(value) in (0.0, 1.0):
        closest = bool(value)
    elif isinstance(value, str) and value.strip().lower() in ("true", "false"):
        closest = value.strip().lower() == "true"
    raise _fail(model, name, "True or False", value, closest)


def _same(value: object, choice: object) -> bool:
    return value is choice or (type(value) is type(choice) and value == choice)


def check_choice(model: str, name: str, value: object, choices: Sequence[object]) -> object:
    """Return ``value`` if it is one of ``choices`` (same type, so ``1`` is not ``True``).

    Otherwise raise :class:`ConfigError` listing the choices and suggesting the nearest one
    (:func:`difflib.get_close_matches` for strings).
    """
    if any(_same(value, choice) for choice in choices):
        return value
    words = [choice for choice in choices if isinstance(choice, str)]
    close = difflib.get_close_matches(str(value), words, n=1, cutoff=0.4)
    listed = ", ".join(map(repr, choices[:-1])) + f" or {choices[-1]!r}"
    wanted = listed if len(choices) == 2 else f"one of {listed}"
    raise _fail(model, name, wanted, value, close[0] if close else None)


def check_date(model: str, name: str, value: object) -> pd.Timestamp | None:
    """Return ``value`` as a Timestamp (``None`` stays ``None``) or raise :class:`ConfigError`.

    Strings, dates and datetimes are accepted; numbers and bools are refused (pandas would
    read ``3.5`` as 3.5 nanoseconds after 1970), as is anything pandas cannot parse and NaT.
    """
    if value is None:
        return None
    when: object = pd.NaT
    if not isinstance(value, (bool, int, float, np.number)):
        try:
            when = pd.Timestamp(value)  # type: ignore[arg-type]  # any object: pandas decides
        except (TypeError, ValueError):
            when = pd.NaT
    if not isinstance(when, pd.Timestamp) or pd.isna(when):
        raise _fail(model, name, "a date such as '2024-03-01'", value, None)
    return when


def check_freq(model: str, value: object) -> str | None:
    """Return ``value`` if it is ``None`` or a pandas offset alias, else raise ConfigError."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            pd.tseries.frequencies.to_offset(value)
        except ValueError:
            pass
        else:
            return value
    close = difflib.get_close_matches(str(value), ["D", "W-SUN", "W-MON", "MS", "QS", "YS"], n=1)
    raise _fail(
        model,
        "freq",
        "a pandas offset alias such as 'D', 'W-SUN' or 'MS'",
        value,
        close[0] if close else None,
    )
