"""``forecast datasets list|show`` and ``forecast validate``."""

from __future__ import annotations

import sys

import click

from forecast.cli._common import echo_table
from forecast.errors import DataError
from forecast.io import read_frame
from forecast.schema import series_report, validate

__all__ = ["datasets_group", "validate_command"]


@click.group("datasets")
def datasets_group() -> None:
    """Bundled datasets: list them or show one.

    \b
    Examples:
      forecast datasets list
      forecast datasets show ai-assistants-cn
    """


@datasets_group.command("list")
def list_command() -> None:
    """List the bundled datasets with their descriptions and sources.

    \b
    Example:
      forecast datasets list
    """
    from forecast.datasets import list_datasets

    echo_table(list_datasets())


@datasets_group.command("show")
@click.argument("name")
@click.option("--rows", default=10, show_default=True, help="How many rows of each frame to print.")
def show_command(name: str, rows: int) -> None:
    """Print the datasheet of dataset NAME and its first rows.

    \b
    Example:
      forecast datasets show ai-assistants-cn
    """
    from forecast.datasets import load

    dataset = load(name)
    click.echo(dataset.info.to_text())
    click.echo("\nseries:")
    echo_table(dataset.series.head(rows))
    if dataset.retention is not None:
        click.echo("\nretention:")
        echo_table(dataset.retention.head(rows))


@click.command("validate")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option(
    "--kind",
    type=click.Choice(["series", "retention"]),
    default="series",
    show_default=True,
    help="Which data contract to check.",
)
def validate_command(path: str, kind: str) -> None:
    """Check a CSV or Parquet file against the data contract.

    Prints the inferred frequency and the gaps of each series and exits 0 when the file is
    valid; prints one line naming the series, column and rows and exits 1 when it is not.

    \b
    Example:
      forecast validate dau.csv
      forecast validate cohorts.parquet --kind retention
    """
    frame = read_frame(path)
    try:
        clean = validate(frame, kind=kind)  # type: ignore[arg-type]
    except DataError as err:
        click.echo(f"invalid: {type(err).__name__}: {err}", err=True)
        sys.exit(1)
    if kind == "series":
        echo_table(series_report(clean))
        click.echo(f"valid: {clean['unique_id'].nunique()} series, {len(clean)} rows")
    else:
        click.echo(f"valid: {len(clean)} retention observations")
