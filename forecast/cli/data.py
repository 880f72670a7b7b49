"""``forecast datasets list|show`` and ``forecast validate``.

The help texts are constants passed to click, whose backspace marker line keeps it from
rewrapping the example lines after it.
"""

from __future__ import annotations

import sys
from typing import Literal

import click

from forecast.cli._common import echo_table, read_input, reading_options
from forecast.errors import DataError
from forecast.schema import AGE_UNIT, FILLED, UNIQUE_ID, series_report

__all__ = ["datasets_group", "validate_command"]

DATASETS_HELP = """Bundled datasets: list them or show one.

\b
Examples:
  forecast datasets list
  forecast datasets show ai-assistants-cn
"""

LIST_HELP = """List the bundled datasets with their descriptions and sources.

\b
Example:
  forecast datasets list
"""

SHOW_HELP = """Print the datasheet of dataset NAME and its first rows.

\b
Example:
  forecast datasets show ai-assistants-cn
"""

VALIDATE_HELP = """Check a data file (.csv, .tsv, .parquet, .json, .xlsx) against the data contract.

The file is read as every command reads --data (see docs/reading.md): columns named with
--id/--ds/--y, delimiter and decimal mark detected, dates in one format per column (an
ambiguous column such as 05.03.2024 is refused until --dayfirst, --monthfirst or
--date-format settles it), press figures such as >=2.25M read into y and qualifier.
Prints the inferred frequency and the gaps of each series and exits 0 when the file is
valid; prints one line naming the series, column and file lines and exits 1 when it is
not. Series names are read as text: 007 stays 007.

\b
Example:
  forecast validate dau.csv
  forecast validate dau_eu.csv --ds Datum --y DAU --id-value kimi/dau/all
  forecast validate apps_wide.csv --layout wide --ds date
  forecast validate cohorts.csv --kind retention --layout wide --ds cohort
"""


@click.group("datasets", help=DATASETS_HELP)
def datasets_group() -> None:
    """Group the dataset commands (the help text is :data:`DATASETS_HELP`)."""


@datasets_group.command("list", help=LIST_HELP)
def list_command() -> None:
    """List the bundled datasets (the help text is :data:`LIST_HELP`)."""
    from forecast.datasets import list_datasets

    echo_table(list_datasets())


@datasets_group.command("show", help=SHOW_HELP)
@click.argument("name")
@click.option("--rows", default=10, show_default=True, help="How many rows of each frame to print.")
def show_command(name: str, rows: int) -> None:
    """Print dataset NAME (the help text is :data:`SHOW_HELP`)."""
    from forecast.datasets import load

    dataset = load(name)
    click.echo(dataset.info.to_text())
    click.echo("\nseries:")
    echo_table(dataset.series.head(rows))
    if dataset.retention is not None:
        click.echo("\nretention:")
        echo_table(dataset.retention.head(rows))


@click.command("validate", help=VALIDATE_HELP)
@click.argument("path", type=click.Path(dir_okay=False))
@click.option(
    "--kind",
    type=click.Choice(["series", "retention"]),
    default="series",
    show_default=True,
    help="Which data contract to check.",
)
@reading_options
def validate_command(path: str, kind: Literal["series", "retention"]) -> None:
    """Check the file at PATH (the help text is :data:`VALIDATE_HELP`)."""
    try:
        clean = read_input(path, kind, main=True)
    except DataError as err:
        click.echo(f"invalid: {type(err).__name__}: {err}", err=True)
        sys.exit(1)
    if kind == "series":
        echo_table(series_report(clean))
        filled = f", {int(clean[FILLED].sum())} filled" if FILLED in clean.columns else ""
        click.echo(f"valid: {clean[UNIQUE_ID].nunique()} series, {len(clean)} rows{filled}")
    else:
        unit = f", ages in {clean[AGE_UNIT].iloc[0]}s" if AGE_UNIT in clean.columns else ""
        click.echo(f"valid: {len(clean)} retention observations{unit}")
