"""What every command shares: error handling, reading frames, printing tables."""

from __future__ import annotations

import sys
from typing import Any

import click
import pandas as pd

from forecast.errors import ConfigError, ForecastError
from forecast.io import read_frame

__all__ = ["ForecastGroup", "echo_table", "fail", "load_input"]


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
    """The series of ``--data FILE`` or ``--dataset NAME``, and the dataset's retention frame.

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

    loaded = load(dataset)
    return loaded.series, loaded.retention
