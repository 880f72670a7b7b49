"""What every command shares: error handling, reading frames, printing tables."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal, TypeVar

import click
import pandas as pd

from forecast.engine.parallel import Progress
from forecast.engine.tasks import ERROR_TYPE, MESSAGE
from forecast.errors import ConfigError, ForecastError
from forecast.schema import CUTOFF, MODEL, UNIQUE_ID

__all__ = [
    "ForecastGroup",
    "echo_failures",
    "echo_table",
    "fail",
    "load_input",
    "progress_bar",
    "read_input",
    "reading_options",
    "spec_items",
]

_MAX_FAILURES_SHOWN = 20


def fail(message: str, code: int = 1) -> None:
    """Print one line on stderr and exit with ``code``."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


class ForecastGroup(click.Group):
    """A click group that turns a ForecastError into one line and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ForecastError as err:
            if "--debug" in sys.argv or (ctx.obj or {}).get("debug"):
                raise
            click.echo(f"error: {type(err).__name__}: {err}", err=True)
            ctx.exit(1)


def spec_items(spec: str) -> list[str]:
    """Split the parameters of a model spec (``name:key=value,key=[a,b]``) into ``key=value`` items.

    Commas separate items except inside brackets, where they separate a list's values.

    Examples
    --------
    >>> spec_items("ensemble:members=[naive,drift],combine=mean")
    ['members=[naive,drift]', 'combine=mean']
    """
    rest = spec.partition(":")[2]
    items, depth, start = [], 0, 0
    for i, char in enumerate(rest):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "," and depth == 0:
            items.append(rest[start:i])
            start = i + 1
    items.append(rest[start:])
    return [item.strip() for item in items if item.strip()]


def echo_table(frame: pd.DataFrame, *, max_rows: int = 60) -> None:
    """Print a frame as a readable table on stdout."""
    with pd.option_context(
        "display.max_rows", max_rows, "display.max_columns", 50, "display.width", 200
    ):
        click.echo(frame.to_string(index=False, max_rows=max_rows))


_READING = "forecast.reading"
"""Key of the shared reading options in ``click.Context.meta`` (set by :func:`reading_options`)."""

F = TypeVar("F", bound=Callable[..., Any])


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    ctx.meta.setdefault(_READING, {})[param.name] = value
    return value


def reading_options(command: F) -> F:
    """Add the shared options that say how to read a ``--data`` file (see :func:`forecast.read`).

    The options are not passed to the command: :func:`load_input` and :func:`read_input` take
    them from the click context, so a command adds them with one decorator line.
    """
    from forecast.gaps import FILL_METHODS
    from forecast.schema import AGE_UNITS

    def option(*names: str, **kwargs: Any) -> Callable[[F], F]:
        return click.option(*names, expose_value=False, callback=_remember, **kwargs)

    decorators = [
        option("--id", "id", metavar="COLUMN", help="The file's column of series names."),
        option("--ds", "ds", metavar="COLUMN", help="The file's date (or cohort) column."),
        option("--y", "y", metavar="COLUMN", help="The file's value (or retention) column."),
        option("--id-value", "unique_id", metavar="NAME", help="Name of a file's one series."),
        option("--layout", type=click.Choice(["long", "wide"]), default="long", show_default=True,
               help="wide: one column per series (or per retention age)."),
        option("--sep", metavar="CHAR", help="Delimiter  [default: detected]"),
        option("--decimal", type=click.Choice([".", ","]), help="Decimal mark  [default: seen]"),
        option("--dayfirst/--monthfirst", "dayfirst", default=None,
               help="Read dates such as 05.03.2024 day-first or month-first."),
        option("--date-format", metavar="FORMAT", help="strptime format of the dates: %d.%m.%Y."),
        option("--age-unit", type=click.Choice(AGE_UNITS), help="Unit of retention ages."),
        option("--encoding", default="utf-8-sig", show_default=True, help="Text encoding."),
        option("--sheet", metavar="NAME", help="Sheet of an .xlsx workbook  [default: the first]"),
        option("--fill", type=click.Choice(FILL_METHODS),
               help="Fill missing dates and empty values (fc.fill_gaps); filled rows are "
                    "marked, never scored."),
    ]  # fmt: skip
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


_DEFAULTS: dict[str, Any] = {"layout": "long", "encoding": "utf-8-sig"}
"""Reading options whose default is not None."""


def _reading() -> dict[str, Any]:
    ctx = click.get_current_context(silent=True)
    return dict(ctx.meta.get(_READING, {})) if ctx is not None else {}


def read_input(
    path: str, kind: Literal["series", "retention"] = "series", *, main: bool | None = None
) -> pd.DataFrame:
    """Read a data file with the command's reading options (:func:`reading_options`).

    The main file (a series file, or the file ``forecast validate --kind retention`` checks)
    is read with every option, a series file then filled when ``--fill`` is given (the count
    of filled rows goes to stderr); a side retention file (``--retention-data``) with the
    options about the file's text, dates and ages only. ``main`` defaults to
    ``kind == "series"``.
    """
    from forecast.io.reader import ReadOptions, read_with

    given = _reading()
    fill = given.pop("fill", None)
    if fill is not None and kind == "retention" and main:
        raise ConfigError(
            f"--fill {fill} fills the gaps of series; a retention file has none to fill. Drop it."
        )
    if not (kind == "series" if main is None else main):
        given = {
            k: v for k, v in given.items() if k not in ("id", "ds", "y", "unique_id", "layout")
        }
    if kind == "series":
        given["fill"] = fill
    options = ReadOptions(kind=kind, **{k: v for k, v in given.items() if v is not None})
    frame = read_with(path, options)
    if kind == "series" and fill is not None:
        _count_filled(frame, fill)
    return frame


def _filled(frame: pd.DataFrame, fill: str | None) -> pd.DataFrame:
    """Fill the gaps of ``frame`` with ``--fill`` (when given), counting them on stderr."""
    if fill is None:
        return frame
    from forecast.gaps import fill_gaps

    filled = fill_gaps(frame, method=fill)  # type: ignore[arg-type]
    _count_filled(filled, fill)
    return filled


def _count_filled(filled: pd.DataFrame, fill: str) -> None:
    """Say on stderr how many values ``--fill`` filled, in how many series."""
    from forecast.schema import FILLED

    n_filled, n_series = int(filled[FILLED].sum()), filled.loc[filled[FILLED], UNIQUE_ID].nunique()
    click.echo(
        f"filled {n_filled} missing value(s) (dates without a row, or empty cells) in "
        f"{n_series} series with {fill!r}.",
        err=True,
    )


def load_input(data: str | None, dataset: str | None) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Load the series of ``--data FILE`` or ``--dataset NAME``, and the dataset's retention frame.

    A file is read with the command's reading options (:func:`read_input`).

    Raises
    ------
    ConfigError
        Neither or both were given.
    """
    if (data is None) == (dataset is None):
        raise ConfigError(
            "give exactly one of --data FILE or --dataset NAME (see 'forecast datasets list')."
        )
    if data is not None:
        return read_input(data), None
    from forecast.datasets import load

    given = _reading()
    fill = given.pop("fill", None)
    flags = {"unique_id": "--id-value", "dayfirst": "--dayfirst/--monthfirst"}
    stray = [
        flags.get(name, f"--{name.replace('_', '-')}")
        for name, value in given.items()
        if value != _DEFAULTS.get(name)
    ]
    if stray:
        raise ConfigError(
            f"{', '.join(stray)} say how to read a --data file; --dataset {dataset} is read "
            "already. Drop them."
        )
    loaded = load(str(dataset))
    return _filled(loaded.series, fill), loaded.retention


@contextmanager
def progress_bar(label: str, total: int) -> Iterator[Progress]:
    """Show a rich progress bar on stderr while a driver runs; yield its progress callback.

    Parameters
    ----------
    label : str
        Text before the bar.
    total : int
        Units of work of the call (see :mod:`forecast.engine.parallel`).

    Yields
    ------
    callable
        ``advance(n)``: ``n`` more units finished.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=total)

        def advance(n: int) -> None:
            bar.update(task, advance=n)

        yield advance


def echo_failures(failures: pd.DataFrame, n_units: int, units: str) -> None:
    """Print the failures of a run on stderr: a count, then one line per failure (at most 20).

    Parameters
    ----------
    failures : DataFrame
        The failures frame (:mod:`forecast.engine.tasks`).
    n_units : int
        Units of work attempted.
    units : str
        What they are, e.g. ``"(series, model) pair(s)"``.
    """
    if not len(failures):
        return
    click.echo(f"warning: {len(failures)} of {n_units} {units} failed:", err=True)
    for row in failures.head(_MAX_FAILURES_SHOWN).to_dict("records"):
        cutoff = pd.Timestamp(row[CUTOFF])
        where = "" if pd.isna(cutoff) else f" at cutoff {cutoff:%Y-%m-%d}"
        click.echo(
            f"warning: no forecast of {row[UNIQUE_ID]!r} with {row[MODEL]!r}{where}: "
            f"{row[ERROR_TYPE]}: {row[MESSAGE]}",
            err=True,
        )
    if len(failures) > _MAX_FAILURES_SHOWN:
        click.echo(f"warning: and {len(failures) - _MAX_FAILURES_SHOWN} more.", err=True)
