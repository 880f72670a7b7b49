"""The ``forecast`` command line: a click group, one module per command family.

Each command parses its options, calls one library function and writes the result. A
:class:`~forecast.errors.ForecastError` becomes one line on stderr and exit status 1, without a
traceback (``--debug`` shows it).
"""

from __future__ import annotations

import sys

import click

from forecast.cli._common import ForecastGroup
from forecast.cli.backtest import backtest_command
from forecast.cli.batch import batch_command
from forecast.cli.data import datasets_group, validate_command
from forecast.cli.predict import predict_command
from forecast.cli.report import report_command
from forecast.cli.run import models_command, run_command
from forecast.cli.scenario import scenario_command
from forecast.cli.share import reconcile_command, share_command

__all__ = ["main", "cli"]


@click.group(cls=ForecastGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="forecast", prog_name="forecast")
@click.option("--debug", is_flag=True, help="Show full tracebacks of errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Forecast user growth, retention and market share of competing apps.

    \b
    Examples:
      forecast datasets list
      forecast validate my_dau.csv
    """  # noqa: D301 (click needs a real backspace in "\b")
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


cli.add_command(datasets_group)
cli.add_command(validate_command)
cli.add_command(batch_command)
cli.add_command(models_command)
cli.add_command(run_command)
cli.add_command(predict_command)
cli.add_command(scenario_command)
cli.add_command(backtest_command)
cli.add_command(share_command)
cli.add_command(reconcile_command)
cli.add_command(report_command)


def main() -> None:
    """Entry point of the ``forecast`` command."""
    sys.exit(cli.main(standalone_mode=True))
