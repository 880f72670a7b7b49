"""Checks of the arguments of a share forecast: samples, method, held products, retention."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from forecast.errors import ConfigError
from forecast.schema import ValidRetention, valid_retention

__all__ = ["check_draws", "check_hold", "check_retention"]


def check_hold(hold: Mapping[str, float] | None, products: tuple[str, ...]) -> dict[str, float]:
    """Check the held products and their log-scale spreads per step.

    Parameters
    ----------
    hold : mapping of product to float, optional
        ``{product: sigma}``, each ``sigma`` a finite number >= 0.
    products : tuple of str
        The market's products.

    Returns
    -------
    dict
        ``{product: sigma}`` (empty when nothing is held).

    Raises
    ------
    ConfigError
        Not a mapping, an unknown product, a bad ``sigma``, or every product held.
    """
    if hold is None:
        return {}
    if not isinstance(hold, Mapping):
        raise ConfigError(
            "hold is a mapping {product: sigma}, e.g. {'wenxin': 0.02}, not "
            f"{type(hold).__name__}."
        )
    out = {}
    for product, sigma in hold.items():
        if product not in products:
            raise ConfigError(
                f"hold names product {product!r}, which is not in the market {list(products)!r}."
            )
        if (
            isinstance(sigma, bool)
            or not isinstance(sigma, (int, float, np.floating, np.integer))
            or not np.isfinite(sigma)
            or sigma < 0
        ):
            raise ConfigError(
                f"hold[{product!r}] is the log-scale spread per step of a held product, a "
                f"finite number >= 0 (0.02 is about 2% a step), not {sigma!r}."
            )
        out[str(product)] = float(sigma)
    if len(out) == len(products):
        raise ConfigError(
            "every product of the market is held; at least one product needs a model, which "
            "sets the forecast dates."
        )
    return out


def check_retention(
    retention: Mapping[str, pd.DataFrame | ValidRetention] | None, products: tuple[str, ...]
) -> dict[str, ValidRetention]:
    """Check the products' retention frames, each frame once (a frame given twice too).

    Parameters
    ----------
    retention : mapping of product to DataFrame or ValidRetention, optional
        Cohort retention per product.
    products : tuple of str
        The market's products.

    Returns
    -------
    dict
        ``{product: checked retention}``.

    Raises
    ------
    ConfigError
        Not a mapping, or a product that is not in the market.
    """
    if retention is None:
        return {}
    if not isinstance(retention, Mapping):
        raise ConfigError(
            "retention is a mapping {product: retention frame}, e.g. "
            "{'kimi/dau/all': data.retention}."
        )
    unknown = [p for p in retention if p not in products]
    if unknown:
        raise ConfigError(
            f"retention names product(s) {', '.join(map(repr, unknown))} that are not in the "
            f"market {list(products)!r}."
        )
    checked: dict[int, ValidRetention] = {}
    out = {}
    for product, frame in retention.items():
        if id(frame) not in checked:
            valid = valid_retention(frame)
            if valid is None:
                raise ConfigError(f"retention[{product!r}] is None; leave the product out.")
            checked[id(frame)] = valid
        out[str(product)] = checked[id(frame)]
    return out


def check_draws(n_samples: int, method: str, negative: str) -> int:
    """Check the number of sample paths, the method and what to do with negative values.

    Parameters
    ----------
    n_samples : int
        Sample paths per product, a whole number >= 2.
    method : str
        ``"paths"``, ``"alr"`` or ``"ilr"``.
    negative : str
        ``"floor"`` or ``"raise"``.

    Returns
    -------
    int
        ``n_samples`` as an int.

    Raises
    ------
    ConfigError
        Any of them out of its range.
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 2:
        raise ConfigError(f"n_samples must be a whole number >= 2, not {n_samples!r}.")
    if method not in ("paths", "alr", "ilr"):
        raise ConfigError(f"method must be 'paths', 'alr' or 'ilr', not {method!r}.")
    if negative not in ("floor", "raise"):
        raise ConfigError(f"negative must be 'floor' or 'raise', not {negative!r}.")
    return int(n_samples)
