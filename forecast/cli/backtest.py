"""``forecast backtest``: rolling-origin backtests, metrics and the ranking table."""

from __future__ import annotations

import io
import warnings

import click

from forecast.cli._common import (
    echo_failures,
    fail,
    load_input,
    progress_bar,
    read_input,
    reading_options,
)
from forecast.cli._covariates import (
    covariate_options,
    given_covariates,
    read_covariates,
    with_holidays,
)
from forecast.cli._options import deprecated_option, renamed
from forecast.cli._output import (
    EXIT_PARTIAL,
    check_outputs,
    echo_readable,
    exit_with,
    note,
    succeeded,
    write_result,
)
from forecast.errors import ConfigError, ForecastWarning
from forecast.io import atomic_write_bytes
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
    "--retention-data",
    "retention_path",
    type=click.Path(dir_okay=False),
    help=(
        "Cohort retention file for models that use it; each window gets the rows known by its "
        "cutoff."
    ),
)
@deprecated_option(
    "--retention", "--retention-data", "old_retention_path", type=click.Path(dir_okay=False)
)
@click.option(
    "--model",
    "model_specs",
    multiple=True,
    required=True,
    help=(
        "Model name (repeatable), with optional parameters: 'ets:transform=log', "
        "'ensemble:members=[naive,drift,ets]'."
    ),
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
    "--calibrate",
    is_flag=True,
    help="Calibrate every model's intervals on its own inner backtests, inside each window "
    "(calibrate=true, unless a --model spec sets calibrate).",
)
@click.option(
    "--metric",
    default="mase",
    show_default=True,
    help="Metric of the ranking table (mase, smape, mae, rmse, interval_score_80, ...).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write the backtest frame to FILE (.parquet, .csv or .json), or '-' for CSV on stdout.",
)
@click.option(
    "--metrics-out",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write metrics per series and model to FILE, or '-' for CSV on stdout.",
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
@covariate_options
@reading_options
def backtest_command(
    data: str | None,
    dataset: str | None,
    retention_path: str | None,
    old_retention_path: str | None,
    model_specs: tuple[str, ...],
    horizon: int,
    windows: int,
    step: int | None,
    window: str,
    window_size: int | None,
    refit: str,
    levels: tuple[float, ...],
    calibrate: bool,
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
    with the Diebold-Mariano test of each against the best (p_value), on the windows every
    ranked model was scored on: when a window failed for some model, the windows not all of
    them have are dropped from the ranking (stderr names them) and a model with too few
    windows is listed apart, unranked. Failed windows are reported on stderr, the others still
    run and the command exits with status 3. With --retention-data (or a dataset's own cohort
    retention), each window's models get only the retention observations known by its cutoff:
    cohort c at age a from the end of the period the age refers to. With --out - (or
    --metrics-out -) the CSV goes to stdout and the ranking table to stderr.

    \b
    Examples:
      forecast backtest --data dau.csv --model naive --model ets --model auto \\
          --horizon 30 --windows 5 --step 30 --out backtest.parquet \\
          --metrics-out metrics.csv --plot backtest.png --jobs 2
      forecast backtest --dataset social-apps-quarterly --model naive --model drift \\
          --horizon 4 --windows 3
      forecast backtest --data dau.csv --retention-data retention.csv \\
          --model retention_feedback --model naive --horizon 7 --windows 2
      forecast backtest --data dau.csv --covariates campaigns.csv --observed spend \\
          --holidays CN --model arima --model naive --horizon 7 --windows 4

    \b
    Exit status:
      0  every backtest window succeeded
      3  some or all windows failed (warnings on stderr; the others' results are written)
      1  an error stopped the command (one line on stderr says what to do)
      2  usage error
    """  # noqa: D301 (click needs a real backspace in "\b")
    from forecast.cli.run import parse_models
    from forecast.evaluation.backtest import run_backtest
    from forecast.evaluation.metrics import evaluate
    from forecast.evaluation.ranking import rank_models

    retention_path = renamed(
        retention_path, old_retention_path, old="--retention", new="--retention-data"
    )
    check_outputs(out=out, metrics_out=metrics_out)
    frame, retention = load_input(data, dataset)
    if retention_path is not None:
        retention = read_input(retention_path, "retention")
    cov_path, observed, holidays = given_covariates()
    models = parse_models(with_holidays(model_specs, holidays), calibrate)
    refit_value = _refit(refit)
    checked = valid_series(frame)
    covariates = None if cov_path is None else read_covariates(cov_path, checked.frame)
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
            covariates=covariates,
            observed=observed,
        )
    echo_failures(run.failures, run.n_units, "backtest window(s)")
    summary = succeeded(len(run.failures), run.n_units, "backtest windows")
    result = run.frame
    if len(result) == 0:
        fail(f"every backtest window failed: {summary} (see the warnings above).", EXIT_PARTIAL)
    if out is not None:
        write_result(result, out, what="backtest rows")
    if metrics_out is not None:
        write_result(evaluate(result), metrics_out, what="metric rows")
    if plot_path is not None:
        from forecast.evaluation.plots import plot_backtest

        buffer = io.BytesIO()
        plot_backtest(result, checked.frame).savefig(buffer, format="png", dpi=120)
        atomic_write_bytes(plot_path, buffer.getvalue())
        note(f"wrote {plot_path}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ForecastWarning)
        table = rank_models(result, metric=metric)
    for warning in caught:
        note(f"warning: {warning.message}")
    piped = "-" in (out, metrics_out)
    echo_readable(table.round(4), "-" if piped else None)
    note(summary)
    exit_with(len(run.failures))
