"""Files in and out: the files users have, the package's own files, atomic writes.

:func:`read` reads the files users have; :func:`read_frame` and :func:`write_frame` the
package's own files.

Modules
-------
:mod:`forecast.io.files`
    Reading and writing frames by extension (CSV, Parquet, JSON), atomic writes.
:mod:`forecast.io.text`
    Delimited text: encoding, delimiter and decimal mark, file line numbers.
:mod:`forecast.io.figures`
    Press figures (``>=2.25M``, ``~100k``, ``2,250,000``) read into ``y`` and ``qualifier``.
:mod:`forecast.io.wide`
    Wide tables (one column per series, one column per retention age) made long.
:mod:`forecast.io.reader`
    :func:`read`, which puts them together.
"""

from __future__ import annotations

from forecast.io.files import FORMATS, atomic_write_bytes, read_frame, write_frame
from forecast.io.reader import read

__all__ = ["read", "read_frame", "write_frame", "atomic_write_bytes", "FORMATS"]
