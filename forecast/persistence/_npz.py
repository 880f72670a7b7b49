"""A fast reader for the ``state.npz`` that :func:`numpy.savez` writes, with numpy as fallback.

``np.load`` parses each array's header with ``ast.literal_eval`` and opens each member through
its own file object; for the dozen small arrays of a model that is most of the cost of reading
a model file. This reader handles exactly the layout ``np.savez`` writes for plain arrays
(stored members ``<key>.npy`` in format 1.0, C order, a dtype given by a string such as
``'<f8'`` or ``'<M8[ns]'``), matched by a strict pattern, and returns None for anything else,
for which the caller uses ``np.load`` (and its errors). Both give the same arrays, bit for bit:
the bytes after the header are the array's data in either case.

References
----------
.. [1] NumPy Enhancement Proposal 1, "A simple file format for NumPy arrays".
"""

from __future__ import annotations

import io
import math
import re
import zipfile

import numpy as np

__all__ = ["read_npz"]

_MAGIC = b"\x93NUMPY\x01\x00"
_HEADER = re.compile(
    rb"\{'descr': '([<>|=][a-zA-Z]\d*(?:\[[a-zA-Z]+\])?)', 'fortran_order': False, "
    rb"'shape': \(((?:\d+, )*(?:\d+,?)?)\), \} *\n"
)


def _array(raw: bytes) -> np.ndarray | None:
    """Decode one ``.npy`` member of the simple layout, or None."""
    if not raw.startswith(_MAGIC) or len(raw) < 10:
        return None
    length = int.from_bytes(raw[8:10], "little")
    match = _HEADER.fullmatch(raw[10 : 10 + length])
    if match is None:
        return None
    dtype = np.dtype(match.group(1).decode("ascii"))
    if dtype.hasobject or dtype.itemsize == 0:
        return None
    shape = tuple(int(n) for n in match.group(2).split(b",") if n.strip())
    data = memoryview(raw)[10 + length :]
    if len(data) != math.prod(shape) * dtype.itemsize:
        return None
    return np.frombuffer(data, dtype=dtype).reshape(shape).copy()


def read_npz(state: bytes) -> dict[str, np.ndarray] | None:
    """Return the arrays of an ``.npz`` archive by key, or None when it is not of the layout.

    Parameters
    ----------
    state : bytes
        The archive's bytes.

    Returns
    -------
    dict or None
        ``{key: array}`` as ``np.load(..., allow_pickle=False)`` gives them; None when any
        member is not a plain stored array of the simple layout (the caller then uses
        ``np.load``, whose errors name what is wrong).
    """
    try:
        with zipfile.ZipFile(io.BytesIO(state)) as archive:
            out: dict[str, np.ndarray] = {}
            for info in archive.infolist():
                if info.compress_type != zipfile.ZIP_STORED or not info.filename.endswith(".npy"):
                    return None
                values = _array(archive.read(info))
                if values is None:
                    return None
                out[info.filename[: -len(".npy")]] = values
            return out
    except (zipfile.BadZipFile, EOFError, ValueError, TypeError, OSError):
        return None
