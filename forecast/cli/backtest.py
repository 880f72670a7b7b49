"""``forecast backtest``: rolling-origin backtests, metrics and the ranking table."""

from __future__ import annotations

import io

import click

from forecast.cli._common import echo_failures, echo_table, load_input, progress_bar
from forecast.errors import ConfigError
from forecast.io import atomic_write_bytes, read_frame, write_frame
from forecast.schema import UNIQUE_ID, valid_series

__all__ = ["backtest_command"]


def _refit(text: str) -> bool | int:
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered.isdigit() and int(lowered) > 0:
        return int(lowered)
    raise ConfigError(f"--refit must be 'true', 'false' or a positive integer, not {text!r}.")


@click.command("backtest")
@click.option(
    "--data",
    type=click.Path(dir_okay=False),
    help="Series file (CSV, Parquet or JSON) in long format.",
)
@click.option(
    "--dataset", help="A bundled dataset instead of --data (see 'forecast datasets list')."
)
@click.option(
    "--retention",
    "retention_path",
    type=click.Path(dir_okay=False),
    help=(
        "Cohort retention file for models that use it; each window gets the rows known by its "
        "cutoff."
    ),
)
@click.option(
    "--model",
    "model_specs",
    multiple=True,
    required=True,
    help="Model name (repeatable), with optional parameters: 'ets:transform=log'.",
)
@click.option(
    "--horizon",
    type=int,
    required=True,
    help="Steps ahead of each cutoff, in the series' own frequency.",
)
@click.option("--windows", type=int, default=3, show_default=True, help="Cutoffs per series.")
@click.option("--step", type=int, help="Steps between cutoffs  [default: the horizon]")
@click.option(
    "--window",
    type=click.Choice(["expanding", "sliding"]),
    default="expanding",
    show_default=True,
    help="Train on all data up to each cutoff, or on the last --window-size observations.",
)
@click.option(
    "--window-size", type=int, help="Observations per training window (with --window sliding)."
)
@click.option(
    "--refit",
    default="true",
    show_default=True,
    help=(
        "'true' refits every window; an integer k refits every k windows and updates in "
        "between; 'false' fits once."
    ),
)
@click.option(
    "--level",
    "levels",
    type=float,
    multiple=True,
    default=(80.0, 95.0),
    show_default=True,
    help="Interval level in percent (repeatable).",
)
@click.option(
    "--metric",
    default="mase",
    show_default=True,
    help="Metric of the ranking table (mase, smape, mae, rmse, interval_score_80, ...).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    help="Write the backtest frame to FILE (.parquet, .csv or .json).",
)
@click.option(
    "--metrics-out",
    type=click.Path(dir_okay=False),
    help="Write metrics per series and model to FILE.",
)
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(dir_okay=False),
    help="Save the forecasts of each window and the error by step to FILE.png.",
)
@click.option(
    "--jobs",
    type=int,
    default=1,
    show_default=True,
    help="Worker processes (-1: every core); results do not depend on it.",
)
def backtest_command(
    data: str | None,
    dataset: str | None,
    retention_path: str | None,
    model_specs: tuple[str, ...],
    horizon: int,
    windows: int,
    step: int | None,
    window: str,
    window_size: int | None,
    refit: str,
    levels: tuple[float, ...],
    metric: str,
    out: str | None,
    metrics_out: str | None,
    plot_path: str | None,
    jobs: int,
) -> None:
    """Backtest models on rolling-origin windows and print the ranking table.

    The cutoffs are computed once per series (the last lies --horizon steps before the series'
    end, earlier ones --step steps apart) and shared by every model; each window fits a fresh
    model on the data up to its cutoff. The table ranks models by --metric (mean over series)
    with the Diebold-Mariano test of each against the best (p_value). Failed windows are
    reported on stderr and the others still run. With --retention (or a dataset's own cohort
    retention), each window's models get only the retention observations known by its cutoff:
    cohort c at age a from the end of the period the age refers to.

    \b
    Examples:
      forecast backtest --data dau.csv --model naive --model ets --model auto \\
          --horizon 30 --windows 5 --step 30 --out backtest.parquet \\
          --metrics-out metrics.csv --plot backtest.png --jobs 2
      forecast backtest --dataset social-apps-quarterly --model naive --model drift \\
          --horizon 4 --windows 3
      forecast backtest --data dau.csv --retention retention.csv \\
          --model retention_feedback --model naive --horizon 7 --windows 2
    """  # noqa: D301 (click needs a real backspace in "\b")
    from forecast.cli.run import parse_models
    from forecast.evaluation.backtest import run_backtest
    from forecast.evaluation.metrics import evaluate
    from forecast.evaluation.ranking import rank_models

    frame, retention = load_input(data, dataset)
    if retention_path is not None:
        retention = read_frame(retention_path)
    models = parse_models(model_specs)
    refit_value = _refit(refit)
    checked = valid_series(frame)
    total = checked.frame[UNIQUE_ID].nunique() * len(models) * max(windows, 0)
    with progress_bar("backtest", total) as progress:
        run = run_backtest(
            checked,
            models,
            h=horizon,
            n_windows=windows,
            step=step,
            window=window,  # type: ignore[arg-type]  # click.Choice gives one of the two
            window_size=window_size,
            refit=refit_value,
            levels=levels,
            n_jobs=jobs,
            retention=retention,
            progress=progress,
        )
    echo_failures(run.failures, run.n_units, "backtest window(s)")
    result = run.frame
    if out is not None:
        write_frame(result, out)
        click.echo(f"wrote {len(result)} rows to {out}", err=True)
    if len(result) == 0:
        raise ConfigError("every backtest window failed; see the warning above.")
    if metrics_out is not None:
        write_frame(evaluate(result), metrics_out)
        click.echo(f"wrote metrics to {metrics_out}", err=True)
    if plot_path is not None:
        from forecast.evaluation.plots import plot_backtest

        buffer = io.BytesIO()
        plot_backtest(result, checked.frame).savefig(buffer, format="png", dpi=120)
        atomic_write_bytes(plot_path, buffer.getvalue())
        click.echo(f"wrote {plot_path}", err=True)
    table = rank_models(result, metric=metric)
    echo_table(table.round(4))
