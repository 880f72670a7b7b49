"""The covariate options shared by ``run``, ``backtest``, ``scenario`` and ``predict``.

``--covariates FILE`` is read like a data file (the same reading options: ``--sep``,
``--decimal``, ``--dayfirst``, ``--date-format``, ``--encoding``, ``--sheet``, and ``--ds`` and
``--id`` naming its date and series columns) and checked against the series, errors naming the
file's lines. ``--observed COL`` marks a covariate known only once observed (lagged by the
horizon). ``--holidays CODE`` sets ``holidays=CODE`` on every model that takes holidays or
covariates and refuses a model that takes neither.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click
import pandas as pd

from forecast.cli._common import spec_items
from forecast.errors import ConfigError
from forecast.schema import ValidCovariates

__all__ = ["covariate_options", "given_covariates", "read_covariates", "with_holidays"]

F = TypeVar("F", bound=Callable[..., Any])

_KEY = "forecast.covariates"


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    ctx.meta.setdefault(_KEY, {})[param.name] = value
    return value


def covariate_options(command: F) -> F:
    """Add ``--covariates``, ``--observed`` and ``--holidays`` (see :func:`given_covariates`)."""
    decorators = [
        click.option(
            "--covariates",
            "covariates",
            type=click.Path(dir_okay=False),
            expose_value=False,
            callback=_remember,
            help="Covariates file: ds, one column per covariate, unique_id if per series; "
            "values for the history and the horizon.",
        ),
        click.option(
            "--observed",
            "observed",
            multiple=True,
            metavar="COL",
            expose_value=False,
            callback=_remember,
            help="A covariate known only once observed: lagged by the horizon (repeatable).",
        ),
        click.option(
            "--holidays",
            "holidays",
            metavar="CODE",
            expose_value=False,
            callback=_remember,
            help="Public holidays of a country (CN, US, GB ...) for every model that takes "
            "holidays or covariates.",
        ),
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


def given_covariates() -> tuple[str | None, tuple[str, ...], str | None]:
    """Return the command's ``--covariates`` path, ``--observed`` names and ``--holidays`` code."""
    ctx = click.get_current_context()
    given = ctx.meta.get(_KEY, {})
    return given.get("covariates"), tuple(given.get("observed") or ()), given.get("holidays")


def read_covariates(path: str, series: pd.DataFrame | None) -> ValidCovariates:
    """Read and check a covariates file with the command's reading options.

    ``--ds`` and ``--id`` name its date and series columns as they do the data file's;
    ``--sep``, ``--decimal``, ``--dayfirst``, ``--date-format``, ``--encoding`` and ``--sheet``
    say how to read it (:func:`forecast.io.reader.read_covariates`).

    Raises
    ------
    DataError
        The file breaks the covariates contract; the message names the file's lines.
    """
    from forecast.cli._common import _reading
    from forecast.io.reader import ReadOptions
    from forecast.io.reader import read_covariates as read_file

    about_values = ("y", "unique_id", "layout", "age_unit", "fill")
    given = {k: v for k, v in _reading().items() if v is not None and k not in about_values}
    fields = ReadOptions.__dataclass_fields__
    return read_file(
        path, series, options=ReadOptions(**{k: v for k, v in given.items() if k in fields})
    )


def with_holidays(specs: tuple[str, ...], code: str | None) -> tuple[str, ...]:
    """Add ``holidays=CODE`` to every model spec, refusing models that cannot take it.

    Raises
    ------
    ConfigError
        A model that takes neither holidays nor covariates, or one without a ``holidays``
        parameter.
    """
    if code is None:
        return specs
    from forecast.engine.covariates import check_holidays
    from forecast.holidays import check_country

    check_country(code)
    out = []
    for spec in specs:
        name, colon, rest = spec.partition(":")
        try:
            check_holidays(name.strip(), code, "--holidays")
        except ConfigError as err:
            raise ConfigError(
                f"{err} To compare it with models that take holidays, give them to those "
                f"models only: --model {name.strip()} --model 'prophet:holidays={code}'."
            ) from err
        keys = {item.partition("=")[0].strip() for item in spec_items(spec)}
        if "holidays" in keys:
            raise ConfigError(f"--holidays {code} and {spec!r} both set holidays; give one.")
        out.append(
            f"{spec},holidays={code}" if colon and rest.strip() else f"{name}:holidays={code}"
        )
    return tuple(out)
