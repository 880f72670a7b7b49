"""``forecast scenario``: a what-if run of the retention-driven feedback model, or on covariates."""

from __future__ import annotations

import io
import warnings

import click
import pandas as pd

from forecast.cli._common import read_input, reading_options
from forecast.cli._covariates import (
    covariate_options,
    given_covariates,
    read_covariates,
    with_holidays,
)
from forecast.cli._options import deprecated_option, renamed
from forecast.cli._output import echo_readable, note, write_result
from forecast.errors import ConfigError, ForecastWarning
from forecast.io import atomic_write_bytes
from forecast.schema import DS, MODEL, UNIQUE_ID, YHAT, level_column, validate_series

__all__ = ["scenario_command", "parse_event", "parse_changes"]


def parse_event(text: str) -> tuple[pd.Timestamp, float]:
    """Read ``DATE=MULTIPLIER`` (``2024-04-15=0.7``) into a (date, multiplier) pair.

    Raises
    ------
    ConfigError
        Text that is not a date, ``=`` and a number.
    """
    date, sep, value = text.partition("=")
    try:
        if not sep:
            raise ValueError(text)
        return pd.Timestamp(date.strip()), float(value)
    except ValueError as err:
        raise ConfigError(
            f"--event {text!r} is not DATE=MULTIPLIER, e.g. --event 2024-04-15=0.7."
        ) from err


def parse_changes(texts: tuple[str, ...]) -> dict[str, str]:
    """Read repeated ``--change NAME=CHANGE`` (``spend=x1.2``) into ``{name: change}``.

    Raises
    ------
    ConfigError
        Text that is not ``NAME=CHANGE``, or a covariate named twice.
    """
    out: dict[str, str] = {}
    for text in texts:
        name, sep, change = text.partition("=")
        if not sep or not name.strip() or not change.strip() or name.strip() in out:
            raise ConfigError(
                f"--change {text!r} is not NAME=CHANGE for a new covariate, e.g. --change "
                "spend=x1.2 (or spend=+100, spend=1000)."
            )
        out[name.strip()] = change.strip()
    return out


def _history(
    data: str | None, dataset: str | None, series: str
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    retention = None
    if data is not None and dataset is None:
        frame = read_input(data)
    elif dataset is not None and data is None:
        from forecast.datasets import load

        loaded = load(dataset)
        frame, retention = loaded.series, loaded.retention
    else:
        raise ConfigError(
            "give exactly one of --data FILE or --dataset NAME (see 'forecast datasets list')."
        )
    clean = validate_series(frame)
    if series not in set(clean[UNIQUE_ID]):
        known = list(dict.fromkeys(clean[UNIQUE_ID]))
        raise ConfigError(
            f"series {series!r} is not in the data; it has "
            f"{', '.join(map(repr, known[:20]))}{' ...' if len(known) > 20 else ''}."
        )
    return clean[clean[UNIQUE_ID] == series].reset_index(drop=True), retention


def _side_by_side(table: pd.DataFrame, level: float) -> pd.DataFrame:
    lo, hi = level_column(level, "lo"), level_column(level, "hi")
    wide = table.pivot(index=DS, columns=MODEL, values=[YHAT, lo, hi])
    out = pd.DataFrame({DS: pd.DatetimeIndex(wide.index).strftime("%Y-%m-%d")})
    for name in ("baseline", "scenario", "difference"):
        out[name] = [f"{v:,.0f}" for v in wide[(YHAT, name)]]
        out[f"{name} {level:g}%"] = [
            f"[{a:,.0f}, {b:,.0f}]" for a, b in zip(wide[(lo, name)], wide[(hi, name)], strict=True)
        ]
    return out


@click.command("scenario")
@click.option(
    "--data",
    type=click.Path(dir_okay=False),
    help="Series file (CSV, Parquet or JSON) in long format.",
)
@click.option(
    "--dataset", help="A bundled dataset instead of --data (see 'forecast datasets list')."
)
@click.option("--series", required=True, help="The unique_id of the DAU series to fit.")
@click.option(
    "--retention-data",
    "retention_path",
    type=click.Path(dir_okay=False),
    help="Cohort retention file (the dataset's own by default).",
)
@click.option(
    "--params",
    "params",
    default="",
    help=(
        "retention_feedback hyperparameters, comma-separated: "
        "'scale_effect=true,retention_family=sbg'."
    ),
)
@click.option(
    "--retention-change",
    "retention_change",
    help="Retention change of new cohorts: +0.03 (points added) or x1.1 (multiplied).",
)
@deprecated_option("--retention", "--retention-change", "old_retention_change")
@click.option("--acquisition", help="Multiplier of new users: x1.2 (or +0.2).")
@click.option(
    "--event", "events", multiple=True, help="Extra acquisition step DATE=MULTIPLIER (repeatable)."
)
@click.option(
    "--start",
    help="Date the retention and acquisition changes begin (default: the first forecast date).",
)
@click.option(
    "--horizon", type=int, required=True, help="Periods ahead, in the series' own frequency."
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
    "--out",
    type=click.Path(dir_okay=False, allow_dash=True),
    help=(
        "Write the baseline, scenario and difference rows to FILE (.csv, .parquet, .json), "
        "or '-' for CSV on stdout."
    ),
)
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(dir_okay=False),
    help="Save baseline and scenario side by side, and their difference below, to FILE.png.",
)
@click.option(
    "--model",
    "model_spec",
    help="With --change: the model that uses the covariates, e.g. 'arima' or 'prophet'.",
)
@click.option(
    "--change",
    "changes",
    multiple=True,
    metavar="NAME=CHANGE",
    help="Covariate change from --start on: spend=x1.2, spend=+100, spend=1000 (repeatable; "
    "needs --covariates and --model).",
)
@covariate_options
@reading_options
def scenario_command(
    data: str | None,
    dataset: str | None,
    series: str,
    retention_path: str | None,
    params: str,
    retention_change: str | None,
    old_retention_change: str | None,
    acquisition: str | None,
    events: tuple[str, ...],
    start: str | None,
    horizon: int,
    levels: tuple[float, ...],
    out: str | None,
    plot_path: str | None,
    model_spec: str | None,
    changes: tuple[str, ...],
) -> None:
    """Fit a model to one series and compare a scenario with the baseline.

    By default the model is retention_feedback and the scenario changes retention,
    acquisition or events. With --change, --model (one that uses covariates) is fitted with
    --covariates, and the scenario changes the covariates' future values (the file's values
    are the baseline).

    Prints the baseline and scenario forecasts side by side with the widest interval, and the
    difference (scenario minus baseline, from paired sample paths): each point is the mean of
    its sample paths, inside its bands. --out writes every level (--out - as CSV on stdout,
    the table then going to stderr); --plot draws baseline and scenario side by side over a
    panel of their difference. A line on stderr gives the fit's new users a period and when
    the change reaches 1% of the baseline: a retention change acts only on cohorts acquired
    after it starts, so with few new users its effect stays near zero for long.

    \b
    Examples:
      forecast scenario --dataset ai-assistants-cn --series kimi/dau/all \\
          --params scale_effect=true --retention-change +0.03 --horizon 90 --plot kimi.png
      forecast scenario --data dau.csv --series app/dau --retention-data cohorts.csv \\
          --event 2024-04-15=0.7 --acquisition x1.1 --horizon 60 --out scenario.csv
      forecast scenario --data dau.csv --series app/dau --model arima \\
          --covariates campaigns.csv --change spend=x1.2 --horizon 28
    """  # noqa: D301 (click needs a real backspace in "\b")
    from forecast.cli.run import parse_model_spec
    from forecast.retention.scenarios import effect_message, scenario

    retention_change = renamed(
        retention_change, old_retention_change, old="--retention", new="--retention-change"
    )
    steps = [parse_event(e) for e in events] or None
    history, retention = _history(data, dataset, series)
    if retention_path is not None:
        retention = read_input(retention_path, "retention")
    cov_path, observed, holidays = given_covariates()
    if model_spec is None and (changes or cov_path):
        raise ConfigError("--change and --covariates need --model (one that uses covariates).")
    spec = model_spec or f"retention_feedback:{params}"
    label, model = parse_model_spec(with_holidays((spec,), holidays)[0])
    covariates = None
    if cov_path is not None:
        from forecast.engine.covariates import prepare_covariates

        mine = read_covariates(cov_path, None).for_series(series)
        covariates = prepare_covariates(mine, history, {label: model}, horizon, observed)
    model.fit(history, retention=retention, covariates=covariates)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ForecastWarning)
        table = scenario(
            model,
            h=horizon,
            retention=retention_change,
            acquisition=acquisition,
            events=steps,
            start=start,
            levels=levels,
            covariates=parse_changes(changes) or None,
            baseline=covariates,
        )
    echo_readable(_side_by_side(table, max(levels)), out, max_rows=max(60, horizon + 1))
    for warning in caught:
        note(f"warning: {warning.message}")
    if not caught and "effect" in table.attrs:
        note(f"effect: {effect_message(table.attrs['effect'])}")
    if out is not None:
        write_result(table, out, what="scenario rows")
    if plot_path is not None:
        from forecast.plotting.scenario import plot_scenario

        figure = plot_scenario(history, table)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=120)
        atomic_write_bytes(plot_path, buffer.getvalue())
        note(f"wrote the chart to {plot_path}")
