"""``forecast share`` and ``forecast reconcile``."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import click
import pandas as pd

from forecast.cli._common import load_input, read_input, reading_options
from forecast.cli._options import deprecated_option, renamed
from forecast.cli._output import echo_readable, note, write_result
from forecast.errors import ConfigError, SchemaError
from forecast.io import atomic_write_bytes, read_frame
from forecast.models.base import BaseModel
from forecast.schema import DS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from forecast.market.hierarchy import Method as ReconcileMethod
    from forecast.market.paths import Method

__all__ = [
    "share_command",
    "reconcile_command",
    "parse_market_models",
    "parse_groups",
    "parse_hold",
    "parse_retention",
]


def parse_hold(specs: tuple[str, ...], market: tuple[str, ...]) -> dict[str, float] | None:
    """Read ``--hold PRODUCT=SIGMA`` options: products held at their last level.

    Parameters
    ----------
    specs : tuple of str
        ``"wenxin_yiyan/dau/all=0.02"``: the product and its log-scale spread per step.
    market : tuple of str
        The products.

    Returns
    -------
    dict or None
        ``{product: sigma}`` for :func:`forecast.shares` (``hold=``), None without options.
    """
    if not specs:
        return None
    out: dict[str, float] = {}
    for spec in specs:
        product, sep, sigma = spec.rpartition("=")
        try:
            value = float(sigma)
        except ValueError:
            value = None
        if not sep or not product.strip() or value is None:
            raise ConfigError(
                f"--hold {spec!r} is not PRODUCT=SIGMA; e.g. --hold 'wenxin_yiyan/dau/all=0.02' "
                "(2% a step on the log scale)."
            )
        if product.strip() not in market:
            raise ConfigError(
                f"--hold names product {product.strip()!r}, which is not in --market."
            )
        out[product.strip()] = value
    return out


def parse_retention(
    specs: tuple[str, ...], market: tuple[str, ...], default: pd.DataFrame | None
) -> dict[str, pd.DataFrame] | None:
    """Read ``--retention-data PRODUCT[=FILE]`` options: cohort retention for a product's model.

    Parameters
    ----------
    specs : tuple of str
        ``"kimi/dau/all"`` (the retention table of ``--dataset``) or ``"kimi=cohorts.csv"``.
    market : tuple of str
        The products.
    default : DataFrame, optional
        The dataset's retention table.

    Returns
    -------
    dict or None
        ``{product: retention frame}`` for :func:`forecast.shares` (``retention=``).
    """
    if not specs:
        return None
    out: dict[str, pd.DataFrame] = {}
    for spec in specs:
        product, sep, path = spec.partition("=") if spec not in market else (spec, "", "")
        product = product.strip()
        if product not in market:
            raise ConfigError(
                f"--retention-data names product {product!r}, which is not in --market."
            )
        if sep:
            out[product] = read_input(path.strip(), "retention")
        elif default is not None:
            out[product] = default
        else:
            raise ConfigError(
                f"--retention-data {spec!r}: the data have no retention table; give PRODUCT=FILE "
                "with the cohorts file."
            )
    return out


def parse_market_models(
    specs: tuple[str, ...], market: tuple[str, ...]
) -> str | BaseModel | dict[str, str | BaseModel]:
    """Read ``--model`` options: one spec for every product, or ``PRODUCT=SPEC`` for each.

    Parameters
    ----------
    specs : tuple of str
        ``"ets:transform=log"``, ``"competition"``, or ``"kimi/dau/all=logistic:sigma=0.3"``
        (the product before the first ``=`` that comes before any ``:``).
    market : tuple of str
        The products.

    Returns
    -------
    str, model or dict
        What :func:`forecast.shares` takes as ``models``.
    """
    from forecast.cli.run import parse_model_spec

    if not specs:
        raise ConfigError(
            "give --model NAME (for every product) or --model PRODUCT=NAME for each product."
        )
    per_product: dict[str, str | BaseModel] = {}
    shared: list[str] = []
    for spec in specs:
        head = spec.split(":", 1)[0]
        if "=" in head:
            product, _, model = spec.partition("=")
            per_product[product.strip()] = _one(model.strip(), parse_model_spec)
        else:
            shared.append(spec)
    if shared and per_product:
        raise ConfigError(
            "mix of --model NAME and --model PRODUCT=NAME; give one model for all products or one "
            "per product."
        )
    if len(shared) > 1:
        raise ConfigError(
            f"several --model options {shared!r}; give one for all products, or PRODUCT=NAME for "
            "each."
        )
    if shared:
        return _one(shared[0], parse_model_spec)
    unknown = sorted(set(per_product) - set(market))
    if unknown:
        raise ConfigError(
            f"--model names product(s) {', '.join(map(repr, unknown))} that are not in --market."
        )
    return per_product


def _one(spec: str, parse: Callable[[str], tuple[str, BaseModel]]) -> str | BaseModel:
    if spec == "competition":
        return spec
    return parse(spec)[1]


def _save_figure(figure: Figure, path: str) -> None:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    atomic_write_bytes(path, buffer.getvalue())


def _readable(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out[DS] = out[DS].dt.strftime("%Y-%m-%d")
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            out[column] = out[column].map(lambda v: "" if pd.isna(v) else f"{v:.4f}")
    return out


@click.command("share")
@click.option(
    "--data",
    type=click.Path(dir_okay=False),
    help="Series file (CSV, Parquet or JSON) in long format.",
)
@click.option(
    "--dataset", help="A bundled dataset instead of --data (see 'forecast datasets list')."
)
@click.option(
    "--market",
    "market",
    multiple=True,
    required=True,
    help="A product's unique_id (repeat for each product).",
)
@click.option(
    "--model",
    "model_specs",
    multiple=True,
    required=True,
    help="Model for every product ('ets:transform=log', 'competition'), or PRODUCT=MODEL for "
    "each product.",
)
@click.option(
    "--horizon", type=int, required=True, help="Steps ahead, in the series' own frequency."
)
@click.option(
    "--method",
    type=click.Choice(["paths", "alr", "ilr"]),
    default="paths",
    show_default=True,
    help="Forecast users and divide (paths), or forecast log-ratios of the shares.",
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
    "--samples", type=int, default=1000, show_default=True, help="Sample paths per product."
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the sample paths.")
@click.option(
    "--transform",
    type=click.Choice(["log"]),
    default=None,
    help="Fit models given by name on log(y).",
)
@click.option(
    "--negative",
    type=click.Choice(["floor", "raise"]),
    default="floor",
    show_default=True,
    help="Negative sampled users: floor at zero (counted in n_floored) or fail.",
)
@click.option(
    "--delta",
    type=float,
    default=None,
    help="alr/ilr: replace zero shares by this value (multiplicative replacement).",
)
@click.option(
    "--hold",
    "hold_specs",
    multiple=True,
    help="PRODUCT=SIGMA: do not fit PRODUCT; hold its last point value as the median, with a log "
    "random walk of SIGMA a step (your assumption, shown in column model).",
)
@click.option(
    "--retention-data",
    "retention_specs",
    multiple=True,
    help="PRODUCT or PRODUCT=FILE: fit PRODUCT's model with cohort retention (the dataset's own "
    "table, or FILE).",
)
@deprecated_option("--retention", "--retention-data", "old_retention_specs", multiple=True)
@click.option(
    "--calibrate",
    is_flag=True,
    help="Draw every product's paths from its model calibrated on its own inner backtests "
    "(calibrate=true, unless a --model spec sets calibrate to another value than the "
    "model's default; not with the competition model).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write the shares to FILE (.csv, .parquet or .json), or '-' for CSV on stdout.",
)
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(dir_okay=False),
    help="Save a stacked share chart with bands to FILE.png.",
)
@reading_options
def share_command(
    data: str | None,
    dataset: str | None,
    market: tuple[str, ...],
    model_specs: tuple[str, ...],
    horizon: int,
    method: Method,
    levels: tuple[float, ...],
    samples: int,
    seed: int,
    transform: Literal["log"] | None,
    negative: Literal["floor", "raise"],
    delta: float | None,
    hold_specs: tuple[str, ...],
    retention_specs: tuple[str, ...],
    old_retention_specs: tuple[str, ...],
    calibrate: bool,
    out: str | None,
    plot_path: str | None,
) -> None:
    """Market shares of competing products: observed, and forecast with bands.

    Each product's users are forecast by its model; the shares of every sample path sum to one,
    the point share is the mean over paths and the bands are quantiles over paths. Rows say
    whether they are history or forecast; n_floored counts sample paths whose negative users
    were set to zero. Products given bounds ('>=' in qualifier) need a model that honours them
    (bass, logistic, gompertz, retention_feedback); on history dates a bound gives a share
    bound (qualifier '>=' or '<='), never a point. A product too short for any model (one
    figure) can be held at its last level with --hold PRODUCT=SIGMA: a stated assumption, named
    in column model, never a default.

    \b
    Examples:
      forecast share --dataset ai-assistants-cn --market kimi/dau/all \\
          --market wenxin_yiyan/dau/all \\
          --model 'kimi/dau/all=retention_feedback:freq=D,scale_effect=true' \\
          --retention-data kimi/dau/all --hold wenxin_yiyan/dau/all=0.02 --horizon 90 \\
          --plot shares.png
      forecast share --data dau.csv --market kimi --market wenxin --market tongyi \\
          --model 'ets:transform=log' --horizon 30 --out shares.csv --plot shares.png
      forecast share --data dau.csv --market kimi --market wenxin --model competition --horizon 60
      forecast share --data dau.csv --market kimi --market wenxin \\
          --model 'kimi=logistic:transform=log' --model wenxin=naive --horizon 30
    """  # noqa: D301 (click needs a real backspace in "\b")
    from forecast.market.plots import plot_shares
    from forecast.market.shares import shares

    retention_specs = renamed(
        retention_specs, old_retention_specs, old="--retention", new="--retention-data"
    )
    frame, dataset_retention = load_input(data, dataset)
    models = parse_market_models(model_specs, market)
    hold = parse_hold(hold_specs, market)
    retention = parse_retention(retention_specs, market, dataset_retention)
    result = shares(
        frame,
        models,
        h=horizon,
        levels=levels,
        market=list(market),
        n_samples=samples,
        seed=seed,
        method=method,
        transform=transform,
        negative=negative,
        delta=delta,
        hold=hold,
        retention=retention,
        calibrate=True if calibrate else None,
    )
    if out is not None:
        write_result(result, out, what="share rows")
    else:
        echo_readable(_readable(result), out, max_rows=200)
    if plot_path is not None:
        _save_figure(plot_shares(result), plot_path)
        note(f"wrote the chart to {plot_path}")


def parse_groups(groups: tuple[str, ...], hierarchy_path: str | None) -> dict[str, list[str]]:
    """Read the hierarchy from ``--group PARENT=CHILD,CHILD`` options or a JSON file.

    Parameters
    ----------
    groups : tuple of str
        ``"kimi=kimi_web,kimi_app"``, one per aggregate.
    hierarchy_path : str, optional
        A JSON file ``{"kimi": ["kimi_web", "kimi_app"], ...}``.

    Returns
    -------
    dict
        ``{aggregate: [parts, ...]}``.
    """
    if bool(groups) == (hierarchy_path is not None):
        raise ConfigError(
            "give the hierarchy with --group PARENT=CHILD,CHILD (repeatable) or with --hierarchy "
            "FILE.json."
        )
    if hierarchy_path is not None:
        try:
            loaded = json.loads(Path(hierarchy_path).read_text())
        except (OSError, ValueError) as err:
            raise SchemaError(
                f"--hierarchy {hierarchy_path!r} is not a readable JSON file: {err}"
            ) from err
        if not isinstance(loaded, dict):
            raise ConfigError(
                f"--hierarchy {hierarchy_path!r} must hold a JSON object {{aggregate: [parts]}}."
            )
        return {str(k): [str(c) for c in v] for k, v in loaded.items()}
    out: dict[str, list[str]] = {}
    for group in groups:
        parent, sep, children = group.partition("=")
        parts = [c.strip() for c in children.split(",") if c.strip()]
        if not sep or not parent.strip() or not parts:
            raise ConfigError(
                f"--group {group!r} is not PARENT=CHILD,CHILD; e.g. --group "
                "'kimi=kimi_web,kimi_app'."
            )
        out[parent.strip()] = parts
    return out


@click.command("reconcile")
@click.option(
    "--forecasts",
    "forecasts_path",
    type=click.Path(dir_okay=False),
    required=True,
    help="Base forecasts of every series (the output of 'forecast run').",
)
@click.option(
    "--group",
    "groups",
    multiple=True,
    help="An aggregate and its parts: PARENT=CHILD,CHILD (repeatable).",
)
@click.option(
    "--hierarchy",
    "hierarchy_path",
    type=click.Path(dir_okay=False),
    help="JSON file {aggregate: [parts]} instead of --group.",
)
@click.option(
    "--method",
    type=click.Choice(["bottom_up", "top_down", "ols", "wls_struct", "mint_shrink"]),
    default=None,
    help="Reconciliation method  [default: mint_shrink with --residuals, wls_struct without]",
)
@click.option(
    "--residuals",
    "residuals_path",
    type=click.Path(dir_okay=False),
    help="In-sample y and yhat of every series, e.g. a 'forecast backtest' output (mint_shrink).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Write the coherent forecasts to FILE, or '-' for CSV on stdout.",
)
def reconcile_command(
    forecasts_path: str,
    groups: tuple[str, ...],
    hierarchy_path: str | None,
    method: ReconcileMethod | None,
    residuals_path: str | None,
    out: str | None,
) -> None:
    """Make forecasts coherent: every aggregate equals the sum of its parts.

    Channels under a product (web + app + mini-program = all) and products under a market are
    aggregates of their parts; the base forecasts of every series are reconciled with
    bottom_up, top_down (forecast proportions), ols, wls_struct or mint_shrink (which needs
    in-sample residuals: a frame with unique_id, ds, y and yhat, such as a backtest output).
    Without --method, mint_shrink is used when --residuals is given and wls_struct (which
    needs nothing but the hierarchy) otherwise, so the default works from the required inputs.

    \b
    Examples:
      forecast reconcile --forecasts base.csv --group 'kimi=kimi_web,kimi_app,kimi_mini' \\
          --method wls_struct --out coherent.csv
      forecast reconcile --forecasts base.csv --hierarchy market.json \\
          --method mint_shrink --residuals backtest.parquet
    """  # noqa: D301 (click needs a real backspace in "\b")
    from forecast.market.reconcile import reconcile

    hierarchy = parse_groups(groups, hierarchy_path)
    forecasts = read_frame(forecasts_path)
    forecasts[DS] = pd.to_datetime(forecasts[DS])
    residuals = None
    if residuals_path is not None:
        residuals = read_frame(residuals_path)
        residuals[DS] = pd.to_datetime(residuals[DS])
    if method is None:
        method = "mint_shrink" if residuals is not None else "wls_struct"
        note(f"reconciling with {method} (choose another with --method)")
    result = reconcile(forecasts, hierarchy, method, residuals=residuals)
    if out is not None:
        write_result(result, out, what="coherent forecast rows")
    else:
        shown = result.copy()
        shown[DS] = shown[DS].dt.strftime("%Y-%m-%d")
        echo_readable(shown, out, max_rows=200)
