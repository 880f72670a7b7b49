"""``forecast batch JOB.toml``: run a batch job from its configuration file."""

from __future__ import annotations

import sys
from typing import cast

import click

from forecast.cli._output import note, succeeded
from forecast.schema import MODEL, UNIQUE_ID

__all__ = ["HELP", "batch_command"]

HELP = """Run the batch job described by JOB (a TOML file).

    Forecasts, backtest and metrics of many series, in chunks, on local processes or a Dask
    cluster.

    Outputs go to the [output] dir: forecasts, backtest, metrics and failures (Parquet, CSV or
    JSON), per-chunk parts, and manifest.json. Run the same command again after a crash and it
    skips the chunks already finished.

    \b
    Exit status:
      0  every series and model succeeded
      3  the job finished but some series or models failed (see the failures output)
      1  bad configuration, data or output folder, or a full disk (one line on stderr
         names the key, the file or the folder)
      2  usage error (a missing argument or an unknown option)

    \b
    Examples:
      forecast batch examples/batch_job.toml
      forecast batch nightly.toml --progress log     # under cron or CI
      forecast batch nightly.toml --check            # validate only
"""
"""The command's help: ``\\b`` keeps click from rewrapping the paragraph after it."""


@click.command("batch", help=HELP)
@click.argument("job", type=click.Path(dir_okay=False))
@click.option(
    "--progress",
    type=click.Choice(["auto", "bar", "log", "none"]),
    default="auto",
    show_default=True,
    help="A progress bar in a terminal and log lines otherwise (auto), or one of them, or none.",
)
@click.option(
    "--check", is_flag=True, help="Validate the job file and list its chunks, without running."
)
def batch_command(job: str, progress: str, check: bool) -> None:
    """Run the batch job described by JOB (the help text is :data:`HELP`)."""
    from forecast.batch import load_config, run
    from forecast.batch.config import input_paths
    from forecast.batch.manifest import parts_key
    from forecast.batch.progress import ProgressMode
    from forecast.batch.sources import plan_chunks
    from forecast.batch.store import check_output

    config = load_config(job)
    if check:
        check_output(config.output_dir, input_paths(config))
        chunks = plan_chunks(config)
        n_series = sum(len(chunk.ids) for chunk in chunks)
        click.echo(
            f"valid: {n_series} series in {len(chunks)} chunks, "
            f"models {', '.join(config.forecast.models)}; "
            f"parts key {parts_key(config)}; outputs in {config.output_dir}"
        )
        return
    result = run(config, progress=cast(ProgressMode, progress))  # click checked the choice
    counts = result.manifest["counts"]
    click.echo(
        f"{counts['series']} series, {counts['models']} models, {counts['chunks']} chunks "
        f"({counts['chunks_reused']} reused), {counts['failures']} failures; "
        f"outputs in {result.out}"
    )
    failed = 0
    if counts["failures"] and "failures" in result.outputs:
        failed = len(result.read("failures")[[UNIQUE_ID, MODEL]].drop_duplicates())
    note(
        succeeded(failed, counts["series"] * counts["models"], "(series, model) pairs")
        + " (a pair fails when its forecast or any of its backtest windows did)"
    )
    sys.exit(result.exit_status)
