"""``forecast scenario``: a what-if run of the retention-driven feedback model."""

from __future__ import annotations

import io

import click
import pandas as pd

from forecast.cli._common import echo_table
from forecast.errors import ConfigError
from forecast.io import atomic_write_bytes, read_frame, write_frame
from forecast.schema import DS, MODEL, UNIQUE_ID, YHAT, level_column, validate_series

__all__ = ["scenario_command", "parse_event"]


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


def _history(
    data: str | None, dataset: str | None, series: str
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    retention = None
    if data is not None and dataset is None:
        frame = read_frame(data)
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
    "--retention",
    "retention_change",
    help="Retention change of new cohorts: +0.03 (points added) or x1.1 (multiplied).",
)
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
    type=click.Path(dir_okay=False),
    help="Write the baseline, scenario and difference rows to FILE (.csv, .parquet, .json).",
)
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(dir_okay=False),
    help="Save both fans on one chart to FILE.png.",
)
def scenario_command(
    data: str | None,
    dataset: str | None,
    series: str,
    retention_path: str | None,
    params: str,
    retention_change: str | None,
    acquisition: str | None,
    events: tuple[str, ...],
    start: str | None,
    horizon: int,
    levels: tuple[float, ...],
    out: str | None,
    plot_path: str | None,
) -> None:
    """Fit retention_feedback to one series and compare a scenario with the baseline.

    Prints the baseline and scenario forecasts side by side with the widest interval, and the
    difference (scenario minus baseline, from paired sample paths); --out writes every level,
    --plot draws the two fans on one chart.

    \b
    Examples:
      forecast scenario --dataset ai-assistants-cn --series kimi/dau/all \\
          --params scale_effect=true --retention +0.03 --horizon 90 --plot kimi.png
      forecast scenario --data dau.csv --series app/dau --retention-data cohorts.csv \\
          --event 2024-04-15=0.7 --acquisition x1.1 --horizon 60 --out scenario.csv
    """  # noqa: D301 (click needs a real backspace in "\b")
    from forecast.cli.run import parse_model_spec
    from forecast.retention.scenarios import scenario

    steps = [parse_event(e) for e in events] or None
    history, retention = _history(data, dataset, series)
    if retention_path is not None:
        retention = read_frame(retention_path)
    _, model = parse_model_spec(f"retention_feedback:{params}")
    model.fit(history, retention=retention)
    table = scenario(
        model,
        h=horizon,
        retention=retention_change,
        acquisition=acquisition,
        events=steps,
        start=start,
        levels=levels,
    )
    echo_table(_side_by_side(table, max(levels)), max_rows=max(60, horizon + 1))
    if out is not None:
        write_frame(table, out)
        click.echo(f"wrote {len(table)} rows to {out}", err=True)
    if plot_path is not None:
        from forecast.plotting import plot

        figure = plot(history, table[table[MODEL] != "difference"])
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=120)
        atomic_write_bytes(plot_path, buffer.getvalue())
        click.echo(f"wrote the chart to {plot_path}", err=True)
