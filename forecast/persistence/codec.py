"""The value codec of model files: Python values to a JSON tree plus named numpy arrays.

:class:`Encoder` turns the values a model holds (numbers, strings, arrays, timestamps, small
frames, the package's own records) into a JSON tree in which every array is replaced by a key
of :attr:`Encoder.arrays`; :class:`Decoder` turns the tree back. Plain JSON values stand for
themselves; everything else is a JSON object with a ``"$"`` tag:

============== =================================================================================
tag            value
============== =================================================================================
``float``      a non-finite float (``"nan"``, ``"inf"``, ``"-inf"``)
``array``      a numpy array stored under ``key``; ``scalar: true`` for a numpy scalar
``tuple``      a tuple of ``items``
``objects``    a numpy array of Python objects (strings): its ``items`` and ``shape``
``pairs``      a dict whose keys are not all strings, as ``[key, value]`` pairs
``timestamp``  a pandas Timestamp (nanoseconds since the epoch ``ns`` and time zone ``tz``)
``nat``        pandas' missing time
``timedelta``  a pandas Timedelta of ``ns`` nanoseconds
``offset``     a pandas date offset by its alias (``"D"``, ``"W-SUN"``, ``"MS"``)
``dates``      a DatetimeIndex (an array of datetimes, time zone, alias of its step, name)
``range``      a RangeIndex (``start``, ``stop``, ``step``, ``name``)
``index``      another Index (its ``values`` and ``name``)
``frame``      a DataFrame (``columns``, one ``data`` entry per column, ``index``)
``series``     a Series (``data``, ``index``, ``name``)
``object``     a record of the package (``class`` from a fixed list, ``state``, ``items``)
``model``      a model, by registry name (encoded by :mod:`forecast.persistence.state`)
``method``     a method of the model being encoded, by name (from a fixed list)
============== =================================================================================

Decoding never imports or calls anything a file names: tags, record classes and method names
are looked up in fixed tables of this package, and anything else is a
:class:`~forecast.errors.ModelFileError`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset
from pandas.tseries.offsets import BaseOffset

from forecast.errors import ModelFileError
from forecast.evaluation.conformal import (
    Conformal,
    ConformalCache,
    PooledConformal,
    ScaledConformal,
)
from forecast.evaluation.inner import InnerScores
from forecast.models._curve_uncertainty import Profile
from forecast.models._curvefit import CurveFit, CurveProblem
from forecast.models.arima import ArimaSpec
from forecast.models.ets import ETSSpec
from forecast.schema import Frequency

__all__ = ["Encoder", "Decoder", "RECORDS", "OWN_METHODS", "Json"]

Json = Any
"""A JSON value: None, bool, int, float, str, list or dict with string keys."""

RECORDS: dict[str, type] = {
    "frequency": Frequency,
    "ets_spec": ETSSpec,
    "arima_spec": ArimaSpec,
    "curve_fit": CurveFit,
    "curve_problem": CurveProblem,
    "curve_profile": Profile,
    "conformal": Conformal,
    "conformal_cache": ConformalCache,
    "pooled_conformal": PooledConformal,
    "scaled_conformal": ScaledConformal,
    "inner_scores": InnerScores,
}
"""The package's record classes a file may hold, by the name the file uses."""

_LATER_RECORDS = {
    "calibration": ("forecast.evaluation.calibration", "Calibration"),
    "inflated_calibration": ("forecast.evaluation.calibration", "InflatedCalibration"),
    "scaled_calibration": ("forecast.evaluation.calibration", "ScaledCalibration"),
}
"""Record classes of modules that newer versions of the package have: this table, never a
file, names the module; where it is absent the records cannot be saved (an error says so)."""


def _add_later_records() -> None:
    import importlib

    for tag, (module, name) in _LATER_RECORDS.items():
        try:
            RECORDS[tag] = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            continue


_add_later_records()
_RECORD_TAGS = {cls: tag for tag, cls in RECORDS.items()}

OWN_METHODS = frozenset({"_values"})
"""Methods of a model that its own state may refer to (a curve fit holds the model's curve)."""

_ARRAY_KINDS = frozenset("biufcmMU")
_FLOATS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}

_LIST_DTYPES = frozenset({"object", "str", "string"})


def _fail(where: str, what: str) -> ModelFileError:
    return ModelFileError(f"{where}: {what}")


class Encoder:
    """Encode values to a JSON tree; arrays are collected in :attr:`arrays`.

    Parameters
    ----------
    model_hook : callable
        Encodes a nested model (``hook(encoder, model, where)``).
    owner : object, optional
        The model being encoded, whose own methods (:data:`OWN_METHODS`) may be referred to.
    """

    def __init__(
        self, model_hook: Callable[[Encoder, Any, str], Json], owner: object = None
    ) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.model_hook = model_hook
        self.owner = owner

    def array(self, values: np.ndarray, where: str, *, scalar: bool = False) -> Json:
        """Store an array and return its node."""
        if values.dtype.kind not in _ARRAY_KINDS:
            raise _fail(where, f"an array of dtype {values.dtype} cannot be saved")
        key = f"a{len(self.arrays)}"
        self.arrays[key] = values
        return {"$": "array", "key": key, "scalar": scalar}

    def value(self, value: object, where: str) -> Json:
        """Encode one value (recursively)."""
        from forecast.models.base import BaseModel

        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, np.generic):
            return self.array(np.asarray(value), where, scalar=True)
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return float(value) if math.isfinite(value) else {"$": "float", "value": str(value)}
        if isinstance(value, np.ndarray) and value.dtype.kind == "O":
            items = [self.value(v, f"{where}[{i}]") for i, v in enumerate(value.ravel())]
            return {"$": "objects", "items": items, "shape": list(value.shape)}
        if isinstance(value, np.ndarray):
            return self.array(value, where)
        if isinstance(value, BaseModel):
            return self.model_hook(self, value, where)
        if isinstance(value, (list, tuple)):
            items = [self.value(v, f"{where}[{i}]") for i, v in enumerate(value)]
            return items if type(value) is list else {"$": "tuple", "items": items}
        if type(value) is dict:
            return self._dict(value, where)
        if type(value) in _RECORD_TAGS:
            return self._record(value, where)
        if callable(value) and getattr(value, "__self__", None) is self.owner:
            name = getattr(value, "__name__", "")
            if name in OWN_METHODS and self.owner is not None:
                return {"$": "method", "name": name}
        return self._pandas(value, where)

    def _dict(self, value: dict[Any, Any], where: str) -> Json:
        if all(isinstance(k, str) for k in value) and "$" not in value:
            return {k: self.value(v, f"{where}[{k!r}]") for k, v in value.items()}
        pairs = [
            [self.value(k, f"{where} key"), self.value(v, f"{where}[{k!r}]")]
            for k, v in value.items()
        ]
        return {"$": "pairs", "items": pairs}

    def _record(self, value: object, where: str) -> Json:
        items = dict(value) if isinstance(value, dict) else None
        return {
            "$": "object",
            "class": _RECORD_TAGS[type(value)],
            "state": self._dict(vars(value), where),
            "items": None if items is None else self._dict(items, where),
        }

    def _pandas(self, value: object, where: str) -> Json:
        if value is pd.NaT:
            return {"$": "nat"}
        if isinstance(value, pd.Timestamp):
            return {"$": "timestamp", "ns": int(value.value), "tz": _tz(value.tz)}
        if isinstance(value, pd.Timedelta):
            return {"$": "timedelta", "ns": int(value.value)}
        if isinstance(value, BaseOffset):
            return {"$": "offset", "alias": value.freqstr}
        if isinstance(value, pd.DatetimeIndex):
            naive = value.tz_localize(None) if value.tz is not None else value
            return {
                "$": "dates",
                "values": self.array(naive.to_numpy(), where),
                "tz": _tz(value.tz),
                "freq": None if value.freq is None else value.freq.freqstr,
                "name": self.value(value.name, where),
            }
        if isinstance(value, pd.RangeIndex):
            return {
                "$": "range",
                "start": value.start,
                "stop": value.stop,
                "step": value.step,
                "name": self.value(value.name, where),
            }
        if isinstance(value, pd.Index):
            return {
                "$": "index",
                "values": self._column(pd.Series(value), where),
                "name": self.value(value.name, where),
            }
        if isinstance(value, pd.Series):
            return {
                "$": "series",
                "data": self._column(value, where),
                "index": self.value(value.index, where),
                "name": self.value(value.name, where),
            }
        if isinstance(value, pd.DataFrame):
            return {
                "$": "frame",
                "columns": [self.value(c, where) for c in value.columns],
                "data": [
                    self._column(value.iloc[:, i], f"{where}[{c!r}]")
                    for i, c in enumerate(value.columns)
                ],
                "index": self.value(value.index, where),
            }
        raise _fail(where, f"a value of type {type(value).__name__} cannot be saved")

    def _column(self, column: pd.Series, where: str) -> Json:
        dtype = str(column.dtype)
        if dtype in _LIST_DTYPES:
            values = [None if v is None or v is pd.NA else v for v in column.tolist()]
            if any(isinstance(v, float) and math.isnan(v) for v in values):
                values = [None if isinstance(v, float) and math.isnan(v) else v for v in values]
            return {"dtype": dtype, "values": [self.value(v, where) for v in values]}
        if isinstance(column.dtype, pd.DatetimeTZDtype):
            return {
                "dtype": "datetime",
                "tz": _tz(column.dt.tz),
                "values": self.array(column.dt.tz_localize(None).to_numpy(), where),
            }
        return {"dtype": "array", "values": self.array(column.to_numpy(), where)}


def _tz(tz: object) -> str | None:
    return None if tz is None else str(tz)


def _keys(node: dict[str, Json], expected: set[str], where: str) -> None:
    if set(node) != expected:
        extra, missing = sorted(set(node) - expected), sorted(expected - set(node))
        raise _fail(
            where,
            f"a {node.get('$')!r} entry has unexpected keys {extra} or lacks {missing}",
        )


class Decoder:
    """Decode a JSON tree made by :class:`Encoder`, given its arrays.

    Parameters
    ----------
    arrays : dict
        The arrays of the file, by key.
    model_hook : callable
        Decodes a nested model (``hook(decoder, node, where)``).
    owner : object, optional
        The model being decoded, whose own methods (:data:`OWN_METHODS`) may be referred to.
    """

    def __init__(
        self,
        arrays: dict[str, np.ndarray],
        model_hook: Callable[[Decoder, dict[str, Json], str], Any],
        owner: object = None,
    ) -> None:
        self.arrays = arrays
        self.model_hook = model_hook
        self.owner = owner
        self.used: set[str] = set()

    def value(self, node: Json, where: str) -> Any:
        """Decode one node (recursively)."""
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.value(v, f"{where}[{i}]") for i, v in enumerate(node)]
        if not isinstance(node, dict):
            raise _fail(where, f"a JSON value of type {type(node).__name__} is not allowed")
        if "$" not in node:
            return {k: self.value(v, f"{where}[{k!r}]") for k, v in node.items()}
        tag = node["$"]
        handler = _HANDLERS.get(tag) if isinstance(tag, str) else None
        if handler is None:
            raise _fail(where, f"unknown entry type {tag!r}")
        return handler(self, node, where)

    def array(self, node: Json, where: str) -> Any:
        """Return the array a node refers to (a numpy scalar for ``scalar: true``)."""
        if not isinstance(node, dict) or node.get("$") != "array":
            raise _fail(where, "an array reference was expected")
        _keys(node, {"$", "key", "scalar"}, where)
        key = node["key"]
        if not isinstance(key, str) or key not in self.arrays:
            raise _fail(where, f"refers to array {key!r}, which the file does not hold")
        self.used.add(key)
        values = self.arrays[key]
        if node["scalar"] is True:
            if values.ndim != 0:
                raise _fail(where, f"array {key!r} has shape {values.shape}, expected a scalar")
            return values[()]
        return values

    def _float(self, node: dict[str, Json], where: str) -> float:
        _keys(node, {"$", "value"}, where)
        if node["value"] not in _FLOATS:
            raise _fail(where, f"{node['value']!r} is not nan, inf or -inf")
        return _FLOATS[node["value"]]

    def _tuple(self, node: dict[str, Json], where: str) -> tuple[Any, ...]:
        _keys(node, {"$", "items"}, where)
        return tuple(self.value(_list(node["items"], where), where))

    def _objects(self, node: dict[str, Json], where: str) -> np.ndarray:
        _keys(node, {"$", "items", "shape"}, where)
        items = self.value(_list(node["items"], where), where)
        shape = tuple(_int(n, where) for n in _list(node["shape"], where))
        if math.prod(shape) != len(items):
            raise _fail(where, f"{len(items)} items do not fill an array of shape {shape}")
        out = np.empty(len(items), dtype=object)
        out[:] = items
        return out.reshape(shape)

    def _pairs(self, node: dict[str, Json], where: str) -> dict[Any, Any]:
        _keys(node, {"$", "items"}, where)
        out = {}
        for pair in _list(node["items"], where):
            if not isinstance(pair, list) or len(pair) != 2:
                raise _fail(where, "a dict entry is not a [key, value] pair")
            out[self.value(pair[0], where)] = self.value(pair[1], where)
        return out

    def _record(self, node: dict[str, Json], where: str) -> object:
        _keys(node, {"$", "class", "state", "items"}, where)
        cls = RECORDS.get(node["class"]) if isinstance(node["class"], str) else None
        if cls is None:
            raise _fail(where, f"{node['class']!r} is not a record this package saves")
        state = self.value(node["state"], where)
        items = self.value(node["items"], where)
        if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
            raise _fail(where, f"the state of a {node['class']!r} record is not a dict")
        if (items is None) == issubclass(cls, dict) or not isinstance(items, (dict, type(None))):
            raise _fail(where, f"the items of a {node['class']!r} record do not match its kind")
        record: Any = object.__new__(cls) if items is None else dict.__new__(cls)
        if items is not None:
            dict.update(record, items)
        record.__dict__.update(state)
        return record

    def _method(self, node: dict[str, Json], where: str) -> object:
        _keys(node, {"$", "name"}, where)
        if node["name"] not in OWN_METHODS or self.owner is None:
            raise _fail(where, f"{node['name']!r} is not a method a model file may refer to")
        return getattr(self.owner, node["name"])

    def _timestamp(self, node: dict[str, Json], where: str) -> pd.Timestamp:
        _keys(node, {"$", "ns", "tz"}, where)
        return pd.Timestamp(_int(node["ns"], where), tz=_zone(node["tz"], where))

    def _dates(self, node: dict[str, Json], where: str) -> pd.DatetimeIndex:
        _keys(node, {"$", "values", "tz", "freq", "name"}, where)
        values = self.array(node["values"], where)
        if values.dtype.kind != "M":
            raise _fail(where, f"dates are stored with dtype {values.dtype}, not datetime64")
        index = pd.DatetimeIndex(values, name=self.value(node["name"], where))
        if node["freq"] is not None:
            index = pd.DatetimeIndex(index, freq=_offset(node["freq"], where))
        zone = _zone(node["tz"], where)
        return index if zone is None else index.tz_localize(zone)

    def _frame(self, node: dict[str, Json], where: str) -> pd.DataFrame:
        _keys(node, {"$", "columns", "data", "index"}, where)
        names = [self.value(c, where) for c in _list(node["columns"], where)]
        data = _list(node["data"], where)
        if len(data) != len(names):
            raise _fail(where, f"a frame has {len(names)} column names and {len(data)} columns")
        index = self.value(node["index"], where)
        columns = [self._column(c, where) for c in data]
        if any(len(c) != len(index) for c in columns):
            raise _fail(where, f"a frame's columns do not all have {len(index)} rows")
        frame = pd.DataFrame({i: c.set_axis(index) for i, c in enumerate(columns)}, index=index)
        frame.columns = pd.Index(names) if names else frame.columns
        return frame

    def _series(self, node: dict[str, Json], where: str) -> pd.Series:
        _keys(node, {"$", "data", "index", "name"}, where)
        column = self._column(node["data"], where)
        index = self.value(node["index"], where)
        if len(column) != len(index):
            raise _fail(where, f"a series has {len(column)} values and {len(index)} index labels")
        return pd.Series(column, index=index, name=self.value(node["name"], where))

    def _index(self, node: dict[str, Json], where: str) -> pd.Index:
        _keys(node, {"$", "values", "name"}, where)
        return pd.Index(self._column(node["values"], where), name=self.value(node["name"], where))

    def _column(self, node: Json, where: str) -> pd.Series:
        if not isinstance(node, dict) or "dtype" not in node:
            raise _fail(where, "a frame column is malformed")
        dtype = node["dtype"]
        if dtype in _LIST_DTYPES:
            _keys(node, {"dtype", "values"}, where)
            values = self.value(_list(node["values"], where), where)
            return pd.Series(values, dtype=dtype)
        if dtype == "datetime":
            _keys(node, {"dtype", "tz", "values"}, where)
            values = pd.Series(self.array(node["values"], where))
            zone = _zone(node["tz"], where)
            return values if zone is None else values.dt.tz_localize(zone)
        if dtype == "array":
            _keys(node, {"dtype", "values"}, where)
            return pd.Series(self.array(node["values"], where))
        raise _fail(where, f"a frame column of kind {dtype!r} is not one this package saves")


def _list(node: Json, where: str) -> list[Json]:
    if not isinstance(node, list):
        raise _fail(where, "a list was expected")
    return node


def _int(node: Json, where: str) -> int:
    if isinstance(node, bool) or not isinstance(node, int):
        raise _fail(where, f"{node!r} is not a whole number")
    return node


def _zone(node: Json, where: str) -> str | None:
    if node is not None and not isinstance(node, str):
        raise _fail(where, f"time zone {node!r} is not a name")
    return node


def _offset(alias: Json, where: str) -> BaseOffset:
    if not isinstance(alias, str):
        raise _fail(where, f"date offset {alias!r} is not an alias")
    try:
        with warnings.catch_warnings():  # pandas 2 warns of lower-case aliases, then refuses
            warnings.simplefilter("ignore", FutureWarning)
            return to_offset(alias)
    except ValueError as err:
        raise _fail(where, f"{alias!r} is not a pandas offset alias") from err


def _simple(build: Callable[[Decoder, dict[str, Json], str], Any], keys: set[str]) -> Any:
    def handler(decoder: Decoder, node: dict[str, Json], where: str) -> Any:
        _keys(node, keys, where)
        return build(decoder, node, where)

    return handler


_HANDLERS: dict[str, Callable[[Decoder, dict[str, Json], str], Any]] = {
    "float": Decoder._float,
    "array": Decoder.array,
    "tuple": Decoder._tuple,
    "objects": Decoder._objects,
    "pairs": Decoder._pairs,
    "object": Decoder._record,
    "method": Decoder._method,
    "timestamp": Decoder._timestamp,
    "nat": _simple(lambda d, n, w: pd.NaT, {"$"}),
    "timedelta": _simple(lambda d, n, w: pd.Timedelta(_int(n["ns"], w)), {"$", "ns"}),
    "offset": _simple(lambda d, n, w: _offset(n["alias"], w), {"$", "alias"}),
    "dates": Decoder._dates,
    "range": _simple(
        lambda d, n, w: pd.RangeIndex(
            _int(n["start"], w), _int(n["stop"], w), _int(n["step"], w), name=d.value(n["name"], w)
        ),
        {"$", "start", "stop", "step", "name"},
    ),
    "index": Decoder._index,
    "frame": Decoder._frame,
    "series": Decoder._series,
    "model": lambda decoder, node, where: decoder.model_hook(decoder, node, where),
}
