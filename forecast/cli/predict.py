"""``forecast predict``: forecast from models saved by ``forecast run --save-models``."""

from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

from forecast.cli._common import (
    echo_failures,
    echo_table,
    fail,
    progress_bar,
    read_input,
    reading_options,
)
from forecast.cli._covariates import covariate_options, given_covariates, read_covariates
from forecast.cli._output import EXIT_PARTIAL, exit_with, note, succeeded, write_result
from forecast.cli.run import _MAX_PLOT_PANELS, _MAX_TABLE_ROWS, _readable, _save_plot
from forecast.errors import ConfigError
from forecast.schema import DS, UNIQUE_ID, forecast_columns, valid_series

__all__ = ["predict_command"]


def _history(models: str, data: pd.DataFrame | None) -> pd.DataFrame:
    """Join the saved series and the new observations (which win on a shared date)."""
    from forecast.persistence.folder import read_history

    saved = read_history(models)
    parts = [p for p in (saved, data) if p is not None]
    if not parts:
        raise ConfigError(
            f"--plot needs the series: {models!r} holds no history and no --data was given."
        )
    joined = pd.concat(parts, ignore_index=True)
    joined = joined.drop_duplicates([UNIQUE_ID, DS], keep="last")
    return joined.sort_values([UNIQUE_ID, DS]).reset_index(drop=True)


@click.command("predict")
@click.option(
    "--models",
    "models_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder of saved models (forecast run --save-models DIR).",
)
@click.option(
    "--horizon", type=int, required=True, help="Steps ahead of each model's last observation."
)
@click.option(
    "--data",
    type=click.Path(dir_okay=False),
    help="New observations (CSV, Parquet or JSON, long format): new rows only, or whole series.",
)
@click.option(
    "--level",
    "levels",
    type=float,
    multiple=True,
    default=(80.0, 95.0),
    show_default=True,
    help="Prediction-interval level in percent (repeatable).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write the forecasts to FILE (.csv, .parquet or .json), or '-' for CSV on stdout.",
)
@click.option(
    "--plot", "plot_path", type=click.Path(dir_okay=False), help="Save a fan chart to FILE.png."
)
@click.option(
    "--refit",
    is_flag=True,
    help="Refit models the data make stale, and models without updates given new rows.",
)
@click.option(
    "--retention-data",
    "retention_path",
    type=click.Path(dir_okay=False),
    help="Cohort retention file, for models refit with --refit that use it.",
)
@click.option(
    "--save-models",
    "save_dir",
    type=click.Path(file_okay=False),
    help="Save the models as used (updated or refit) to this new folder.",
)
@click.option(
    "--jobs", type=int, default=1, show_default=True, help="Worker processes (-1: every core)."
)
@covariate_options
@reading_options
def predict_command(
    models_dir: str,
    horizon: int,
    data: str | None,
    levels: tuple[float, ...],
    out: str | None,
    plot_path: str | None,
    refit: bool,
    retention_path: str | None,
    save_dir: str | None,
    jobs: int,
) -> None:
    """Forecast from saved models, without re-estimating them.

    Each model saved by 'forecast run --save-models DIR' forecasts --horizon steps after its
    last observation. With --data, rows after a model's last observation are new
    observations: models that support updates (naive, seasonal_naive, drift, ets, arima) take
    them without re-estimating; the others fail with a message to refit, unless --refit. Rows
    at or before the last observation must repeat the saved series; data that rewrite it make
    the model stale: that pair fails (the others run) unless --refit, which refits it on the
    corrected series. Output, --out and --plot are as for 'forecast run'. Models saved with
    covariates need --covariates with their values at the new rows and the forecast dates
    (a lagged observed-only covariate under its saved name, <name>_lag<h>); holidays are
    part of a saved model (--holidays and --observed belong to 'forecast run').

    \b
    Examples:
      forecast run --data dau.csv --model ets --model theta --horizon 30 --save-models saved/
      forecast predict --models saved/ --horizon 30 --out forecasts.csv
      forecast predict --models saved/ --horizon 30 --data new_days.csv --plot fan.png

    \b
    Exit status:
      0  every (series, model) pair succeeded
      3  some or all pairs failed (warnings on stderr; the others' forecasts are written)
      1  an error stopped the command (one line on stderr says what to do)
      2  usage error
    """  # noqa: D301 (click needs a real backspace in "\b")
    from forecast.persistence import predict_models, read_index

    cov_path, observed, holidays = given_covariates()
    if observed or holidays:
        raise ConfigError(
            "--observed and --holidays are set when models are fitted (forecast run); a saved "
            "model keeps them. Give --covariates with the saved models' covariate columns."
        )
    covariates = None if cov_path is None else read_covariates(cov_path, None)
    new = None if data is None else valid_series(read_input(data)).frame
    retention = None if retention_path is None else read_input(retention_path, "retention")
    entries = read_index(models_dir)
    n_series = len({e.unique_id for e in entries})
    if plot_path is not None and n_series > _MAX_PLOT_PANELS:
        raise ConfigError(
            f"--plot draws at most {_MAX_PLOT_PANELS} series and {models_dir!r} holds {n_series}."
        )
    with progress_bar("forecasting", len(entries)) as progress:
        run = predict_models(
            models_dir,
            horizon,
            levels,
            data=new,
            retention=retention,
            refit=refit,
            n_jobs=jobs,
            progress=progress,
            save_to=save_dir,
            covariates=covariates,
        )
    echo_failures(run.failures, run.n_units, "(series, model) pair(s)")
    n_failed = len(run.failures)
    summary = succeeded(n_failed, run.n_units, "(series, model) pairs")
    result = run.frame
    if result.empty:
        fail(f"no forecast: {summary} (see the warnings above).", code=EXIT_PARTIAL)
    if out is not None:
        write_result(result, out, what="forecast rows")
    else:
        echo_table(_readable(result[forecast_columns(levels)]), max_rows=_MAX_TABLE_ROWS)
        if len(result) > _MAX_TABLE_ROWS:
            note(f"showing {_MAX_TABLE_ROWS} of {len(result)} rows; write them all with --out FILE")
    note(summary)
    if save_dir is not None:
        note(f"saved {run.n_units - n_failed} model(s) to {Path(save_dir)}")
    if plot_path is not None:
        _save_plot(_history(models_dir, new), result, plot_path)
        note(f"wrote the plot to {Path(plot_path)}")
    exit_with(n_failed)
