"""What every command shares: error handling, reading frames, printing tables."""

from __future__ import annotations

import sys
from typing import Any

import click
import pandas as pd

from forecast.errors import ForecastError

__all__ = ["ForecastGroup", "echo_table", "fail"]


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
    with pd.option_context("display.max_rows", max_rows, "display.max_columns", 50, "display.width", 200):
        click.echo(frame.to_string(index=False, max_rows=max_rows))
