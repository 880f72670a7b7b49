"""``forecast models`` and ``forecast run``."""

from __future__ import annotations

import io
from pathlib import Path

import click
import pandas as pd

from forecast.cli._common import (
    echo_failures,
    echo_table,
    fail,
    load_input,
    progress_bar,
    read_input,
    reading_options,
    spec_items,
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
    exit_with,
    note,
    succeeded,
    write_result,
)
from forecast.errors import ConfigError
from forecast.io import atomic_write_bytes
from forecast.models.base import BaseModel
from forecast.schema import (
    DS,
    MODEL,
    UNIQUE_ID,
    ValidSeries,
    forecast_columns,
    valid_series,
)

__all__ = ["models_command", "run_command", "parse_model_spec", "parse_models"]

_MAX_PLOT_PANELS = 12
_MAX_TABLE_ROWS = 200


def _parse_value(text: str) -> object:
    stripped = text.strip()
    if stripped.startswith("[") and stripped.endswith("]"):
        return [_parse_value(part) for part in stripped[1:-1].split(",") if part.strip()]
    lowered = stripped.lower()
    if lowered in ("none", "null"):
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text.strip()


def parse_model_spec(spec: str) -> tuple[str, BaseModel]:
    """Build a model from ``name`` or ``name:key=value,key=value``.

    Parameters
    ----------
    spec : str
        A registry name, optionally followed by ``:`` and comma-separated hyperparameters;
        values are read as None (``none``), booleans (``true``, ``false``), integers, floats,
        strings or bracketed lists of those, e.g. ``ets:transform=log``,
        ``seasonal_naive:seasonal_period=4`` or ``ensemble:members=[naive,drift,ets]``.

    Returns
    -------
    tuple
        The label (the spec as given, without spaces) and the unfitted model.

    Raises
    ------
    ConfigError
        A parameter that is not ``key=value``, or one the model does not take.
    UnknownModelError
        A name that is not registered.
    """
    from forecast.models import get

    name = spec.partition(":")[0]
    params: dict[str, object] = {}
    for item in spec_items(spec):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(
                f"model parameter {item!r} in {spec!r} is not key=value; write e.g. "
                "'ets:transform=log'."
            )
        params[key.strip()] = _parse_value(value)
    model = get(name.strip())
    _check_parameter_names(name.strip(), type(model), params)
    return spec.replace(" ", ""), get(name.strip(), **params) if params else model


def _check_parameter_names(name: str, cls: type, params: dict[str, object]) -> None:
    """Refuse a parameter the model's constructor does not take, suggesting the closest one."""
    import difflib
    import inspect

    parameters = inspect.signature(cls).parameters.values()
    accepted = [p.name for p in parameters if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]
    takes_any = any(p.kind is p.VAR_KEYWORD for p in parameters)
    for key in params:
        if key in accepted or takes_any:
            continue
        close = difflib.get_close_matches(key, accepted, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigError(
            f"model {name!r} takes no parameter {key!r}.{hint} Its parameters: "
            f"{', '.join(accepted) or 'none'}."
        )


def _sets_calibrate(spec: str) -> bool:
    return "calibrate" in {item.partition("=")[0].strip() for item in spec_items(spec)}


def parse_models(specs: tuple[str, ...], calibrate: bool = False) -> dict[str, BaseModel]:
    """Build the models of repeated ``--model`` options, labelled as ``fc.forecast`` does.

    Parameters
    ----------
    specs : tuple of str
        Specs of :func:`parse_model_spec`.
    calibrate : bool
        The ``--calibrate`` flag: every model whose spec does not set ``calibrate`` gets
        ``calibrate=True`` (:func:`forecast.engine.calibrate.with_calibrate`).

    Returns
    -------
    dict
        ``{label: unfitted model}`` (:func:`forecast.engine.specs.label_models`): a model's
        registry name, and for two of the same model the hyperparameters that differ, e.g.
        ``naive[transform=None]`` and ``naive[transform='log']``.

    Raises
    ------
    ConfigError
        A bad spec, or the same model twice with the same hyperparameters.
    """
    from forecast.engine.calibrate import with_calibrate
    from forecast.engine.specs import label_models

    models = [parse_model_spec(spec)[1] for spec in specs]
    if calibrate:
        models = [
            model if _sets_calibrate(spec) else with_calibrate(model, True)
            for spec, model in zip(specs, models, strict=True)
        ]
    return label_models(models)


def _select_series(frame: pd.DataFrame, series: tuple[str, ...]) -> ValidSeries:
    checked = valid_series(frame)
    if not series:
        return checked
    clean = checked.frame
    known = list(dict.fromkeys(clean[UNIQUE_ID]))
    unknown = [s for s in series if s not in known]
    if unknown:
        raise ConfigError(
            f"series {', '.join(map(repr, unknown))} not in the data; it has "
            f"{', '.join(map(repr, known[:20]))}{' ...' if len(known) > 20 else ''}."
        )
    return ValidSeries(clean[clean[UNIQUE_ID].isin(series)].reset_index(drop=True))


def _readable(frame: pd.DataFrame) -> pd.DataFrame:
    """Format the forecast frame: dates as text, numbers rounded to the data's scale."""
    numbers = [c for c in frame.columns if c not in (UNIQUE_ID, MODEL, DS)]
    scale = float(frame[numbers].abs().max().max()) if len(frame) else 0.0
    decimals = 0 if scale >= 1000 else 1 if scale >= 100 else 2 if scale >= 1 else 4
    out = frame.copy()
    out[DS] = out[DS].dt.strftime("%Y-%m-%d")
    for column in numbers:
        out[column] = out[column].map(lambda v: f"{v:,.{decimals}f}")
    return out


def _save_plot(history: pd.DataFrame, forecasts: pd.DataFrame, path: str) -> None:
    from forecast.plotting import plot

    figure = plot(history, forecasts, max_panels=_MAX_PLOT_PANELS)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=150)
    atomic_write_bytes(path, buffer.getvalue())


@click.command("models")
def models_command() -> None:
    """List the registered models: capabilities, default calibration, a one-line description.

    The calibrated column says how a model's bands are calibrated when calibrate is not
    given: off (its own bands), conformal, scaled, auto, or auto below N observations (see
    --calibrate of forecast run, and the README's section on intervals).

    \b
    Example:
      forecast models
    """  # noqa: D301 (click needs a real backspace in "\b")
    from forecast.models import available

    table = available()
    table = table[[c for c in table.columns if c != "description"] + ["description"]]
    flags = [c for c in table.columns if table[c].dtype == bool]
    table[flags] = table[flags].replace({True: "yes", False: "-"})
    echo_table(table, max_rows=len(table) + 1)


@click.command("run")
@click.option(
    "--data",
    type=click.Path(dir_okay=False),
    help="Series file (CSV, Parquet or JSON) in long format.",
)
@click.option(
    "--dataset", help="A bundled dataset instead of --data (see 'forecast datasets list')."
)
@click.option(
    "--series", "series", multiple=True, help="Forecast only this unique_id (repeatable)."
)
@click.option(
    "--model",
    "model_specs",
    multiple=True,
    default=("auto",),
    show_default=True,
    help=(
        "Model name (repeatable), with optional parameters: 'ets:transform=log', "
        "'ensemble:members=[naive,drift,ets]'. Without it, auto (the mean of ets, arima and "
        "dotm) forecasts."
    ),
)
@click.option(
    "--horizon",
    "horizon",
    type=int,
    required=True,
    help="Steps ahead, in the series' own frequency.",
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
    "--calibrate",
    is_flag=True,
    help="Calibrate every model's intervals and paths on its own inner backtests "
    "(calibrate=true, unless a --model spec sets calibrate).",
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
    "--retention-data",
    "retention_path",
    type=click.Path(dir_okay=False),
    help="Cohort retention file for models that use it.",
)
@deprecated_option(
    "--retention", "--retention-data", "old_retention_path", type=click.Path(dir_okay=False)
)
@click.option(
    "--jobs", type=int, default=1, show_default=True, help="Worker processes (-1: every core)."
)
@click.option(
    "--save-models",
    "save_dir",
    type=click.Path(file_okay=False),
    help="Save the fitted models to this folder, for 'forecast predict --models DIR'.",
)
@covariate_options
@reading_options
def run_command(
    data: str | None,
    dataset: str | None,
    series: tuple[str, ...],
    model_specs: tuple[str, ...],
    horizon: int,
    levels: tuple[float, ...],
    calibrate: bool,
    out: str | None,
    plot_path: str | None,
    retention_path: str | None,
    old_retention_path: str | None,
    jobs: int,
    save_dir: str | None,
) -> None:
    """Forecast series with one or more models.

    Every selected series is forecast with every model; the forecasts (unique_id, model, ds,
    yhat and the interval bounds) are printed as a table, or written to --out (--out - writes
    CSV to stdout, everything else going to stderr). A series a model cannot handle (too
    short, irregular, bounds) is reported as a warning on stderr, the others still run, and the
    command exits with status 3. Parameters follow a model's name after a colon,
    comma-separated: --model 'seasonal_naive:seasonal_period=4'.

    \b
    Examples:
      forecast run --data dau.csv --horizon 6          (auto, the default model)
      forecast run --dataset social-apps-quarterly --series twitter/mdau/all \\
          --model ets --model arima --model prophet --horizon 8 --plot forecast.png
      forecast run --data dau.csv --model naive --model 'ets:transform=log' \\
          --horizon 30 --level 80 --level 95 --out forecasts.parquet --jobs 2
      forecast run --data dau.csv --model naive --horizon 7 --out - | head
      forecast run --data dau.csv --model ets --horizon 30 --save-models saved/
      forecast run --data dau.csv --model arima --model prophet --horizon 14 \\
          --covariates campaigns.csv --observed spend --holidays CN

    \b
    Exit status:
      0  every (series, model) pair succeeded
      3  some or all pairs failed (warnings on stderr; the others' forecasts are written)
      1  an error stopped the command (one line on stderr says what to do)
      2  usage error
    """  # noqa: D301 (click needs a real backspace in "\b")
    from forecast.forecasting import run_forecast

    retention_path = renamed(
        retention_path, old_retention_path, old="--retention", new="--retention-data"
    )
    frame, retention = load_input(data, dataset)
    if retention_path is not None:
        retention = read_input(retention_path, "retention")
    checked = _select_series(frame, series)
    history = checked.frame
    n_series = history[UNIQUE_ID].nunique()
    cov_path, observed, holidays = given_covariates()
    model_specs = with_holidays(model_specs, holidays)
    models = parse_models(model_specs, calibrate)
    covariates = None if cov_path is None else read_covariates(cov_path, frame)
    per_series = len(models) if len(models) > 3 else 1  # fc.plot: a panel per model above 3
    if plot_path is not None and n_series * per_series > _MAX_PLOT_PANELS:
        raise ConfigError(
            f"--plot draws at most {_MAX_PLOT_PANELS} panels and {n_series} series x "
            f"{per_series} panel(s) each are selected (one per model above three models); "
            "choose some with --series or fewer --model."
        )
    with progress_bar("forecasting", n_series * len(models)) as progress:
        if save_dir is None:
            run = run_forecast(
                checked,
                models,
                horizon,
                levels,
                retention,
                n_jobs=jobs,
                progress=progress,
                covariates=covariates,
                observed=observed,
            )
        else:
            from forecast.persistence import forecast_and_save

            run = forecast_and_save(
                checked,
                models,
                horizon,
                save_dir,
                levels,
                retention,
                jobs,
                progress,
                covariates=covariates,
                observed=observed,
            )
    echo_failures(run.failures, run.n_units, "(series, model) pair(s)")
    n_failed = len(run.failures)
    summary = succeeded(n_failed, run.n_units, "(series, model) pairs")
    summary += f" ({n_series} series x {len(models)} models)"
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
        note(f"saved {run.n_units - n_failed} fitted model(s) to {Path(save_dir)}")
    if plot_path is not None:
        _save_plot(history, result, plot_path)
        note(f"wrote the plot to {Path(plot_path)}")
    exit_with(n_failed)
