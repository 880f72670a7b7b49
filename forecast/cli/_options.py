"""Renamed options: the old spelling keeps working for one release, with a deprecation message.

One name per meaning across commands: ``--retention-data`` is a cohort retention file,
``--retention-change`` a change of retention (``forecast scenario``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from forecast.errors import ConfigError

__all__ = ["deprecated_option", "renamed"]

F = TypeVar("F", bound=Callable[..., Any])


def deprecated_option(old: str, new: str, dest: str, **kwargs: Any) -> Callable[[F], F]:
    """Declare ``old`` as a hidden option that still works and says to use ``new``.

    Parameters
    ----------
    old, new : str
        The old and the new spelling, e.g. ``"--retention"`` and ``"--retention-data"``.
    dest : str
        The command's parameter receiving the old option's value; merge it with :func:`renamed`.
    **kwargs
        Passed to :func:`click.option` (``type``, ``multiple``).

    Returns
    -------
    callable
        The option decorator.
    """

    def warn(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if value not in (None, ()):
            click.echo(
                f"warning: {old} is deprecated in 'forecast {ctx.info_name}' and will be removed "
                f"in the next release; use {new} (same value).",
                err=True,
            )
        return value

    return click.option(old, dest, hidden=True, callback=warn, **kwargs)


def renamed(value: Any, old_value: Any, *, old: str, new: str) -> Any:
    """Return the value of the new option, or of the old one when only it was given.

    Raises
    ------
    ConfigError
        Both were given.
    """
    if old_value in (None, ()):
        return value
    if value not in (None, ()):
        raise ConfigError(f"give {new} only; {old} is its deprecated spelling.")
    return old_value
