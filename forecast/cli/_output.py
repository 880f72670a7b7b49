"""What every command does with its results: where they go and the exit status.

A command writes its result to ``--out FILE`` (CSV, Parquet or JSON by extension) or, with
``--out -``, as CSV to standard output; then everything else (tables meant for reading,
summaries, warnings, progress) goes to standard error, so the CSV can be piped. Without
``--out``, the readable table goes to standard output.

Exit statuses are the same for every command: 0 when everything succeeded, 3 when the command
finished but some units of work (series and model pairs, backtest windows) failed, 1 for an
error that stopped it, 2 for a usage error.
"""

from __future__ import annotations

import click
import pandas as pd

from forecast.cli._common import echo_table
from forecast.errors import ConfigError
from forecast.io import write_frame

__all__ = [
    "EXIT_OK",
    "EXIT_PARTIAL",
    "STDOUT",
    "check_outputs",
    "echo_readable",
    "exit_with",
    "note",
    "succeeded",
    "write_result",
]

STDOUT = "-"
"""The ``--out`` value that writes CSV to standard output."""
EXIT_OK = 0
EXIT_PARTIAL = 3


def check_outputs(**outs: str | None) -> None:
    """Refuse more than one output sent to standard output.

    Parameters
    ----------
    **outs : str or None
        Each output option's name (``out``, ``metrics_out``) and value.

    Raises
    ------
    ConfigError
        Two of them are ``-``.
    """
    piped = [f"--{name.replace('_', '-')}" for name, value in outs.items() if value == STDOUT]
    if len(piped) > 1:
        raise ConfigError(
            f"{' and '.join(piped)} both write to standard output ('-'); send one of them to a "
            "file."
        )


def note(message: str) -> None:
    """Print a message for the reader on standard error."""
    click.echo(message, err=True)


def write_result(frame: pd.DataFrame, out: str, what: str = "rows") -> None:
    """Write ``frame`` to the file ``out``, or as CSV to standard output when ``out`` is ``-``.

    Parameters
    ----------
    frame : DataFrame
        The result.
    out : str
        A path (its extension chooses CSV, Parquet or JSON) or ``-``.
    what : str
        What the rows are, for the message on standard error.
    """
    if out == STDOUT:
        click.echo(frame.to_csv(index=False), nl=False)
        note(f"wrote {len(frame)} {what} to standard output")
    else:
        write_frame(frame, out)
        note(f"wrote {len(frame)} {what} to {out}")


def echo_readable(frame: pd.DataFrame, out: str | None, *, max_rows: int = 60) -> None:
    """Print a table for reading: on standard output, or standard error when ``out`` is ``-``."""
    if out == STDOUT:
        with pd.option_context("display.max_columns", 50, "display.width", 200):
            note(frame.to_string(index=False, max_rows=max_rows))
    else:
        echo_table(frame, max_rows=max_rows)


def succeeded(n_failed: int, n_units: int, units: str) -> str:
    """Return ``"5 of 6 (series, model) pairs succeeded"``."""
    return f"{n_units - n_failed} of {n_units} {units} succeeded"


def exit_with(n_failed: int) -> None:
    """End the command with status 3 when some units failed (0 otherwise, by returning)."""
    if n_failed:
        click.get_current_context().exit(EXIT_PARTIAL)
