"""What every command shares: error handling, reading frames, printing tables."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
import pandas as pd

from forecast.engine.parallel import Progress
from forecast.engine.tasks import ERROR_TYPE, MESSAGE
from forecast.errors import ConfigError, ForecastError
from forecast.io import read_frame
from forecast.schema import CUTOFF, MODEL, UNIQUE_ID

__all__ = ["ForecastGroup", "echo_failures", "echo_table", "fail", "load_input", "progress_bar"]

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


def echo_table(frame: pd.DataFrame, *, max_rows: int = 60) -> None:
    """Print a frame as a readable table on stdout."""
    with pd.option_context(
        "display.max_rows", max_rows, "display.max_columns", 50, "display.width", 200
    ):
        click.echo(frame.to_string(index=False, max_rows=max_rows))


def load_input(data: str | None, dataset: str | None) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Load the series of ``--data FILE`` or ``--dataset NAME``, and the dataset's retention frame.

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
        return read_frame(data), None
    from forecast.datasets import load

    loaded = load(str(dataset))
    return loaded.series, loaded.retention


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
