"""``forecast report``: one self-contained HTML page from outputs and batch folders."""

from __future__ import annotations

import click

from forecast.cli._common import load_input, reading_options

__all__ = ["report_command"]


@click.command("report")
@click.argument("inputs", nargs=-1, required=True, type=click.Path())
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    required=True,
    help="The HTML file to write.",
)
@click.option(
    "--data",
    type=click.Path(dir_okay=False),
    help="The series the forecasts were made from: drawn under them and checked for gaps.",
)
@click.option("--dataset", help="A bundled dataset as the series, instead of --data.")
@click.option("--title", default="Forecast report", show_default=True, help="The page's title.")
@click.option(
    "--max-series",
    type=int,
    default=1000,
    show_default=True,
    help="Most series a chart's picker holds (the least accurate first when known).",
)
@reading_options
def report_command(
    inputs: tuple[str, ...],
    out: str,
    data: str | None,
    dataset: str | None,
    title: str,
    max_series: int,
) -> None:
    """Write one self-contained HTML report of forecasts, backtests, shares and batch jobs.

    INPUTS are files written by 'forecast run --out', 'forecast backtest --out' and 'forecast
    share --out', and batch job output folders; each is recognised by its columns. Every script
    is inlined, so the page opens offline (e.g. from an email attachment) and requests nothing.

    \b
    Examples:
      forecast report forecasts.csv backtest.parquet --data dau.csv --out report.html
      forecast report batch-output --out batch-report.html
      forecast report shares.csv --out shares.html
    """  # noqa: D301 (click needs a real backspace in "\b")
    from forecast.reporting import report

    history = None
    if data is not None or dataset is not None:
        history, _ = load_input(data, dataset)
    path = report(list(inputs), out, data=history, title=title, max_series=max_series)
    click.echo(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)", err=True)
