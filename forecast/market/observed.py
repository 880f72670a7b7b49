"""Observed shares of a market: its products, and their shares or share bounds on each date.

A share needs every part of the market, so observed shares are computed on the dates where
every product has a value. A share ``y_i / (y_i + R_i)`` rises with ``y_i`` and falls with the
rest ``R_i``, so when some values are bounds (``>=``, ``<=``) the share is a bound too: ``>=``
where ``y_i`` has a lower bound and ``R_i`` an upper one, ``<=`` in the opposite case. Bounds are
never read as points.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from forecast.errors import ConfigError, DomainError, SchemaError, format_rows
from forecast.schema import (
    DS,
    METRIC,
    QUALIFIER,
    SHARE,
    UNIQUE_ID,
    ValidSeries,
    Y,
    valid_series,
)

__all__ = ["market_products", "history_shares", "point_shares"]

POINT_TYPES = ("=", "~")
"""Qualifiers of point values."""
_HAS_LOWER = ("=", "~", ">=")
_HAS_UPPER = ("=", "~", "<=")


def _chosen_products(data: pd.DataFrame, market: Sequence[str] | None) -> tuple[str, ...]:
    present = sorted(data[UNIQUE_ID].unique())
    if market is None:
        if METRIC in data.columns and data[METRIC].nunique() > 1:
            metrics = sorted(map(str, data[METRIC].unique()))
            raise ConfigError(
                f"the frame holds several metrics ({', '.join(map(repr, metrics))}); shares "
                "compare one metric: pass market=[...] with the unique_id of each product."
            )
        return tuple(present)
    if isinstance(market, str):
        raise ConfigError(
            f"market is a list of unique_id, not the string {market!r}; write "
            f"market=[{market!r}, ...]."
        )
    products = tuple(sorted(dict.fromkeys(str(m) for m in market)))
    missing = [p for p in products if p not in present]
    if missing:
        raise SchemaError(
            f"market product(s) {', '.join(map(repr, missing))} are not in column 'unique_id' "
            f"(the frame has {format_rows([repr(p) for p in present], limit=6)}).",
            column=UNIQUE_ID,
        )
    return products


def market_products(
    df: pd.DataFrame | ValidSeries, market: Sequence[str] | None = None
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Validate a series frame (unless already checked) and select the products of one market.

    Parameters
    ----------
    df : DataFrame or ValidSeries
        A series frame (see :func:`forecast.schema.validate_series`), or one that
        :func:`forecast.schema.valid_series` checked already (it is not checked again).
    market : sequence of str, optional
        The ``unique_id`` of each product. By default every series of the frame, which must
        then all have the same ``metric`` (when the column is present).

    Returns
    -------
    (DataFrame, tuple of str)
        The checked rows of the market's products, and the products in sorted order.

    Raises
    ------
    SchemaError
        A product of ``market`` is not in the frame.
    ConfigError
        Fewer than two products, or several metrics without ``market``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"unique_id": ["b", "a", "c"], "ds": ["2024-01-01"] * 3, "y": [1, 2, 3]})
    >>> rows, products = market_products(df, ["a", "b"])
    >>> products, len(rows)
    (('a', 'b'), 2)
    """
    data = valid_series(df).frame
    products = _chosen_products(data, market)
    if len(products) < 2:
        raise ConfigError(f"a market needs at least two products, got {list(products)!r}.")
    return data[data[UNIQUE_ID].isin(products)].reset_index(drop=True), products


def point_shares(data: pd.DataFrame, products: tuple[str, ...]) -> pd.DataFrame:
    """Point values of the products, one column each, on the dates where every one has one.

    Parameters
    ----------
    data : DataFrame
        Checked rows of the market (the frame of :func:`market_products`).
    products : tuple of str
        The columns, in order.

    Returns
    -------
    DataFrame
        Indexed by ``ds``; values with qualifier ``=`` or ``~`` only.
    """
    points = data[data[QUALIFIER].isin(POINT_TYPES)]
    wide = points.pivot(index=DS, columns=UNIQUE_ID, values=Y).reindex(columns=list(products))
    return wide.dropna(how="any")


def history_shares(
    df: pd.DataFrame | ValidSeries, market: Sequence[str] | None = None, *, bounds: bool = False
) -> pd.DataFrame:
    """Observed shares of each product on the dates where every product has a value.

    A share needs every part of the market, so only dates on which every product has an
    observation get shares. By default only point values (qualifier ``=`` or ``~``) count: bounds
    (``>=``, ``<=``) are not points. With ``bounds=True`` the bounds count too and give share
    bounds: product ``i``'s share ``y_i / (y_i + R_i)`` is at least ``lo_i / (lo_i + hi_R)``
    when its value has a lower bound (``=``, ``~``, ``>=``) and every other product's an upper one
    (``=``, ``~``, ``<=``), and at most ``hi_i / (hi_i + lo_R)`` in the mirror case. A share with
    both is a point (``~`` when any value is approximate, else ``=``); with one, a ``>=`` or
    ``<=`` bound; with neither (a ``>=`` value beside another ``>=``), no row.

    Parameters
    ----------
    df : DataFrame or ValidSeries
        A series frame, or one already checked by :func:`forecast.schema.valid_series`.
    market : sequence of str, optional
        The products (see :func:`market_products`).
    bounds : bool
        Also use bounds, and return share bounds in a ``qualifier`` column.

    Returns
    -------
    DataFrame
        ``unique_id``, ``ds``, ``share`` (and ``qualifier`` with ``bounds=True``), sorted by
        ``unique_id`` and ``ds`` (empty when no date has every product).

    Raises
    ------
    DomainError
        A date on which every product has zero users (shares undefined).

    References
    ----------
    .. [1] Aitchison, J. (1986). *The Statistical Analysis of Compositional Data*. Chapman and
       Hall: shares as the closure of the parts.

    Examples
    --------
    >>> import pandas as pd, forecast as fc
    >>> from forecast.market.observed import history_shares
    >>> df = pd.DataFrame({"unique_id": ["kimi", "wenxin"], "ds": ["2024-03-25"] * 2,
    ...                    "y": [2.25e6, 2.33e6], "qualifier": [">=", "="]})
    >>> out = history_shares(df, bounds=True)
    >>> [round(v, 3) for v in out["share"]], out["qualifier"].tolist()
    ([0.491, 0.509], ['>=', '<='])
    """
    data, products = market_products(df, market)
    if not bounds:
        return _long_shares(point_shares(data, products))
    return _bounded_shares(data, products)


def _empty(bounds: bool) -> pd.DataFrame:
    columns = {
        UNIQUE_ID: pd.Series(dtype=object),
        DS: pd.Series(dtype="datetime64[ns]"),
        SHARE: pd.Series(dtype=float),
    }
    if bounds:
        columns[QUALIFIER] = pd.Series(dtype=object)
    return pd.DataFrame(columns)


def _check_totals(totals: np.ndarray, dates: pd.DatetimeIndex) -> None:
    zero = np.flatnonzero(totals <= 0)
    if zero.size:
        shown = [dates[int(t)].strftime("%Y-%m-%d") for t in zero]
        raise DomainError(
            f"every product of the market has zero users on {len(shown)} date(s) "
            f"({format_rows(shown)}), so shares are undefined there; remove those dates.",
            column=Y,
            rows=shown,
        )


def _share_qualifiers(q: np.ndarray) -> np.ndarray:
    """Qualifier of each share from its values' qualifiers (``""`` where it is no bound)."""
    has_lo, has_hi = np.isin(q, _HAS_LOWER), np.isin(q, _HAS_UPPER)
    k = q.shape[1]
    others = [np.arange(k) != i for i in range(k)]
    others_hi = np.stack([has_hi[:, o].all(axis=1) for o in others], axis=1)
    others_lo = np.stack([has_lo[:, o].all(axis=1) for o in others], axis=1)
    lower, upper = has_lo & others_hi, has_hi & others_lo
    approximate = (q == "~").any(axis=1, keepdims=True) & np.ones_like(lower)
    return np.where(
        lower & upper,
        np.where(approximate, "~", "="),
        np.where(lower, ">=", np.where(upper, "<=", "")),
    )


def _bounded_shares(data: pd.DataFrame, products: tuple[str, ...]) -> pd.DataFrame:
    values = data.pivot(index=DS, columns=UNIQUE_ID, values=Y).reindex(columns=list(products))
    quals = data.pivot(index=DS, columns=UNIQUE_ID, values=QUALIFIER)
    quals = quals.reindex(columns=list(products))
    keep = values.notna().all(axis=1)
    values, quals = values[keep].sort_index(), quals[keep].sort_index()
    if values.empty:
        return _empty(bounds=True)
    y = values.to_numpy(dtype=float)
    totals = y.sum(axis=1)
    _check_totals(totals, pd.DatetimeIndex(values.index))
    qualifier = _share_qualifiers(quals.to_numpy(dtype=object).astype(str))
    # each value is its own bound, so y_i / total is the bound of the share (or the share)
    share = y / totals[:, None]
    rows = [
        (products[i], values.index[t], float(share[t, i]), str(qualifier[t, i]))
        for i in range(len(products))
        for t in range(len(y))
        if qualifier[t, i]
    ]
    if not rows:
        return _empty(bounds=True)
    out = pd.DataFrame(rows, columns=[UNIQUE_ID, DS, SHARE, QUALIFIER])
    return out.sort_values([UNIQUE_ID, DS], kind="mergesort").reset_index(drop=True)


def _long_shares(wide: pd.DataFrame) -> pd.DataFrame:
    if wide.empty:
        return _empty(bounds=False)
    totals = wide.sum(axis=1)
    _check_totals(totals.to_numpy(dtype=float), pd.DatetimeIndex(wide.index))
    share = wide.div(totals, axis=0)
    long = share.reset_index().melt(id_vars=DS, var_name=UNIQUE_ID, value_name=SHARE)
    long = long[[UNIQUE_ID, DS, SHARE]].sort_values([UNIQUE_ID, DS], kind="mergesort")
    return long.reset_index(drop=True)
