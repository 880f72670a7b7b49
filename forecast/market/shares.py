"""Market shares of competing products: observed, and forecast from joint sample paths.

Three ways to forecast shares, chosen with ``method`` of :func:`shares`:

``"paths"`` (default)
    Fit one model per product to its own series (DAU, visits...), draw ``n_samples`` sample
    paths of each product with ``model.sample(h, n, seed)`` (the seed of product ``i`` is derived
    from ``seed`` and ``i`` with :class:`numpy.random.SeedSequence`, so a run is reproducible and
    the products' paths are independent), and divide every path by the market total on every
    date. Each path's shares sum to one (to rounding, below 1e-12). With
    ``models="competition"`` the products are instead forecast jointly by
    :class:`~forecast.market.competition.CompetitionModel`, whose paths share one market and
    its switching flows.
``"alr"`` / ``"ilr"``
    Compositional forecasting: turn the observed shares into additive or isometric log-ratio
    coordinates (:mod:`forecast.market.compositional`), forecast each coordinate with the model (the
    coordinates independently, seeded like the products), and map every sample path back to
    shares. Useful when only shares are known. Log-ratios of zero are undefined: zero shares
    raise :class:`~forecast.errors.DomainError` unless ``delta`` is given, which replaces them
    multiplicatively (:func:`~forecast.market.compositional.multiplicative_replacement`).

Point shares are the **mean** over paths, so the point shares of a date sum to one; interval
bounds are equal-tailed quantiles over paths, so the 80% interval lies inside the 95% one.

Negative sample values (a random walk of a small product can cross zero) are never hidden:
with ``negative="floor"`` (the default) they are set to zero and the number of paths floored
is reported per product and date in column ``n_floored``; with ``negative="raise"`` they raise
:class:`~forecast.errors.DomainError`. Passing ``transform="log"`` fits models given by name on
``log(y)``, whose paths are positive.

Bounds. Observed shares are computed on the dates where every product has a value. A share
``y_i / (y_i + R_i)`` rises with ``y_i`` and falls with the rest ``R_i``, so when some values are
bounds (``>=``, ``<=``) the share is a bound too: ``>=`` where ``y_i`` has a lower bound and
``R_i`` an upper one (``b_i / (b_i + R_i)``), ``<=`` in the opposite case; column
``qualifier`` says which, and a product whose share has neither kind of bound on a date gets
no row there. Bounds are never read as points.

Held products. A product with too little history for any model (one published figure) can be
**held** with ``hold={product: sigma}``: its sample paths keep its last observed point value as
their median and wander as a log-scale random walk with ``sigma`` per step of the market's grid
(``log y_t = log y_last + sigma * (z_1 + ... + z_k)``, ``k`` steps after its last date). This is
an assumption the user states, not a fit: it is never a default, the ``model`` column names it
(``hold:sigma=<sigma>``), and the product's last value must be a point (``=`` or ``~``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from forecast.errors import (
    ConfigError,
    DataError,
    DomainError,
    HistoryError,
    SchemaError,
    format_rows,
)
from forecast.market.competition import CompetitionModel
from forecast.market.compositional import (
    alr,
    alr_inverse,
    closure,
    ilr,
    ilr_inverse,
    multiplicative_replacement,
)
from forecast.models.base import BaseModel, check_horizon
from forecast.models.registry import get
from forecast.schema import (
    DS,
    METRIC,
    MODEL,
    N_FLOORED,
    PART,
    QUALIFIER,
    SHARE,
    UNIQUE_ID,
    YHAT,
    Y,
    check_levels,
    level_column,
    parse_level_column,
    validate_series,
)

__all__ = [
    "SharePaths",
    "market_products",
    "history_shares",
    "share_paths",
    "shares",
    "share_columns",
    "paths_frame",
    "share_levels",
    "HISTORY",
    "FORECAST",
    "OBSERVED",
    "HOLD",
]

HISTORY = "history"
"""Value of column ``part`` for observed shares."""
FORECAST = "forecast"
"""Value of column ``part`` for forecast shares."""
OBSERVED = "observed"
"""Value of column ``model`` for observed shares."""
HOLD = "hold"
"""Prefix of column ``model`` for a held product (``hold:sigma=0.02``)."""

ModelSpec = str | BaseModel | CompetitionModel
Method = Literal["paths", "alr", "ilr"]
_POINT_TYPES = ("=", "~")
_HAS_LOWER = ("=", "~", ">=")
_HAS_UPPER = ("=", "~", "<=")


@dataclass(frozen=True)
class SharePaths:
    """Sample paths of the shares of a market.

    Attributes
    ----------
    products : tuple of str
        The products (``unique_id``), in the order of the last axis of ``paths``.
    ds : DatetimeIndex
        The ``h`` forecast dates.
    paths : ndarray
        Shape ``(n_samples, h, K)``; every ``paths[i, t]`` sums to one.
    n_floored : ndarray
        Shape ``(h, K)``: paths in which the product's value was negative and floored at zero.
    models : tuple of str
        The model used for each product (for ``"alr"``/``"ilr"``, ``"<method>:<model>"``).
    """

    products: tuple[str, ...]
    ds: pd.DatetimeIndex
    paths: np.ndarray
    n_floored: np.ndarray
    models: tuple[str, ...]


# ----------------------------------------------------------------------------------- market
def market_products(
    df: pd.DataFrame, market: Sequence[str] | None = None
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Validate a series frame and select the products of one market.

    Parameters
    ----------
    df : DataFrame
        A series frame (see :func:`forecast.schema.validate_series`).
    market : sequence of str, optional
        The ``unique_id`` of each product. By default every series of the frame, which must
        then all have the same ``metric`` (when the column is present).

    Returns
    -------
    (DataFrame, tuple of str)
        The validated rows of the market's products, and the products in sorted order.

    Raises
    ------
    SchemaError
        A product of ``market`` is not in the frame.
    ConfigError
        Fewer than two products, or several metrics without ``market``.
    """
    data = validate_series(df)
    present = sorted(data[UNIQUE_ID].unique())
    if market is None:
        if METRIC in data.columns and data[METRIC].nunique() > 1:
            metrics = sorted(map(str, data[METRIC].unique()))
            raise ConfigError(
                f"the frame holds several metrics ({', '.join(map(repr, metrics))}); shares compare one "
                "metric: pass market=[...] with the unique_id of each product."
            )
        products = tuple(present)
    else:
        if isinstance(market, str):
            raise ConfigError(
                f"market is a list of unique_id, not the string {market!r}; write market=[{market!r}, ...]."
            )
        products = tuple(sorted(dict.fromkeys(str(m) for m in market)))
        missing = [p for p in products if p not in present]
        if missing:
            raise SchemaError(
                f"market product(s) {', '.join(map(repr, missing))} are not in column 'unique_id' "
                f"(the frame has {format_rows([repr(p) for p in present], limit=6)}).",
                column=UNIQUE_ID,
            )
    if len(products) < 2:
        raise ConfigError(f"a market needs at least two products, got {list(products)!r}.")
    rows = data[data[UNIQUE_ID].isin(products)].reset_index(drop=True)
    return rows, products


def _wide_points(data: pd.DataFrame, products: tuple[str, ...]) -> pd.DataFrame:
    points = data[data[QUALIFIER].isin(_POINT_TYPES)]
    wide = points.pivot(index=DS, columns=UNIQUE_ID, values=Y).reindex(columns=list(products))
    return wide.dropna(how="any")


def history_shares(
    df: pd.DataFrame, market: Sequence[str] | None = None, *, bounds: bool = False
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
    df : DataFrame
        A series frame.
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

    Examples
    --------
    >>> import pandas as pd, forecast as fc
    >>> from forecast.market.shares import history_shares
    >>> df = pd.DataFrame({"unique_id": ["kimi", "wenxin"], "ds": pd.to_datetime(["2024-03-25"] * 2),
    ...                    "y": [2.25e6, 2.33e6], "qualifier": [">=", "="]})
    >>> out = history_shares(df, bounds=True)
    >>> [round(v, 3) for v in out["share"]], out["qualifier"].tolist()
    ([0.491, 0.509], ['>=', '<='])
    """
    data, products = market_products(df, market)
    if not bounds:
        return _long_shares(_wide_points(data, products), products)
    return _bounded_shares(data, products)


def _bounded_shares(data: pd.DataFrame, products: tuple[str, ...]) -> pd.DataFrame:
    qualifiers = data[QUALIFIER] if QUALIFIER in data.columns else pd.Series("=", index=data.index)
    frame = data.assign(**{QUALIFIER: qualifiers.astype(str)})
    values = frame.pivot(index=DS, columns=UNIQUE_ID, values=Y).reindex(columns=list(products))
    quals = frame.pivot(index=DS, columns=UNIQUE_ID, values=QUALIFIER).reindex(
        columns=list(products)
    )
    keep = values.notna().all(axis=1)
    values, quals = values[keep].sort_index(), quals[keep].sort_index()
    empty = pd.DataFrame(
        {
            UNIQUE_ID: pd.Series(dtype=object),
            DS: pd.Series(dtype="datetime64[ns]"),
            SHARE: pd.Series(dtype=float),
            QUALIFIER: pd.Series(dtype=object),
        }
    )
    if values.empty:
        return empty
    y = values.to_numpy(dtype=float)
    q = quals.to_numpy(dtype=object)
    has_lo, has_hi = np.isin(q, _HAS_LOWER), np.isin(q, _HAS_UPPER)
    totals = y.sum(axis=1)
    zero = np.flatnonzero(totals <= 0)
    if zero.size:
        dates = [values.index[t].strftime("%Y-%m-%d") for t in zero]
        raise DomainError(
            f"every product of the market has zero users on {len(dates)} date(s) ({format_rows(dates)}), "
            "so shares are undefined there; remove those dates.",
            column=Y,
            rows=dates,
        )
    k = y.shape[1]
    others_hi = np.array(
        [[has_hi[t, np.arange(k) != i].all() for i in range(k)] for t in range(len(y))]
    )
    others_lo = np.array(
        [[has_lo[t, np.arange(k) != i].all() for i in range(k)] for t in range(len(y))]
    )
    lower, upper = has_lo & others_hi, has_hi & others_lo
    approximate = (q == "~").any(axis=1, keepdims=True) & np.ones_like(lower)
    qualifier = np.where(
        lower & upper,
        np.where(approximate, "~", "="),
        np.where(lower, ">=", np.where(upper, "<=", "")),
    )
    # each value is its own bound, so y_i / total is the bound of the share (or the share)
    share = y / totals[:, None]
    rows = [
        (products[i], values.index[t], float(share[t, i]), str(qualifier[t, i]))
        for i in range(k)
        for t in range(len(y))
        if qualifier[t, i]
    ]
    if not rows:
        return empty
    out = pd.DataFrame(rows, columns=[UNIQUE_ID, DS, SHARE, QUALIFIER])
    return out.sort_values([UNIQUE_ID, DS], kind="mergesort").reset_index(drop=True)


def _long_shares(wide: pd.DataFrame, products: tuple[str, ...]) -> pd.DataFrame:
    if wide.empty:
        return pd.DataFrame(
            {
                UNIQUE_ID: pd.Series(dtype=object),
                DS: pd.Series(dtype="datetime64[ns]"),
                SHARE: pd.Series(dtype=float),
            }
        )
    totals = wide.sum(axis=1)
    empty = totals <= 0
    if empty.any():
        dates = [d.strftime("%Y-%m-%d") for d in wide.index[empty]]
        raise DomainError(
            f"every product of the market has zero users on {len(dates)} date(s) ({format_rows(dates)}), "
            "so shares are undefined there; remove those dates.",
            column=Y,
            rows=dates,
        )
    share = wide.div(totals, axis=0)
    long = share.reset_index().melt(id_vars=DS, var_name=UNIQUE_ID, value_name=SHARE)
    long = long[[UNIQUE_ID, DS, SHARE]].sort_values([UNIQUE_ID, DS], kind="mergesort")
    return long.reset_index(drop=True)


# ------------------------------------------------------------------------------------ paths
def _product_seed(seed: int, index: int) -> int:
    return int(np.random.SeedSequence([int(seed), int(index)]).generate_state(1)[0])


def _model_for(spec: ModelSpec, transform: Literal["log"] | None) -> BaseModel:
    if isinstance(spec, BaseModel):
        return spec.clone()
    if isinstance(spec, str):
        return get(spec, transform=transform) if transform else get(spec)
    raise ConfigError(f"a model is a registry name or a model instance, not {type(spec).__name__}.")


def _spec_for(models: ModelSpec | Mapping[str, ModelSpec], product: str) -> ModelSpec:
    if isinstance(models, Mapping):
        if product not in models:
            raise ConfigError(
                f"models has no entry for product {product!r}; give one model per product "
                f"(it has {', '.join(map(repr, models))})."
            )
        return models[product]
    return models


def _label(spec: ModelSpec) -> str:
    return spec if isinstance(spec, str) else spec.name


def _aligned_paths(
    model: BaseModel, grid: pd.DatetimeIndex, n: int, seed: int, product: str
) -> np.ndarray:
    """Sample ``model`` on the dates of ``grid``, which start at or after its own next date."""
    h = len(grid)
    own = model.future_dates(h)
    gap = int(np.sum(own < grid[0]))
    if gap:
        own = model.future_dates(h + gap)
    positions = own.get_indexer(grid)
    if np.any(positions < 0):
        raise DataError(
            f"series {product!r} steps {model.frequency_.name} and its forecast dates do not fall on "
            f"the market's dates (from {grid[0]:%Y-%m-%d}); give every product of the market the same "
            "frequency and dates on the same grid.",
            series=product,
            column=DS,
        )
    return model.sample(len(own), n, seed)[:, positions]


def _floor(
    values: np.ndarray, products: tuple[str, ...], grid: pd.DatetimeIndex, negative: str
) -> tuple[np.ndarray, np.ndarray]:
    below = values < 0
    if below.any() and negative == "raise":
        _, t, k = np.argwhere(below)[0]
        raise DomainError(
            f"{int(below.sum())} sampled value(s) are negative, the first for product {products[k]!r} "
            f"on {grid[t]:%Y-%m-%d}; counts cannot be negative. Use transform='log', a model that "
            "keeps counts positive, or negative='floor' (negatives set to zero and counted in "
            "column 'n_floored').",
            series=products[k],
            column=Y,
        )
    return np.where(below, 0.0, values), below.sum(axis=0)


def _close_paths(
    values: np.ndarray, products: tuple[str, ...], grid: pd.DatetimeIndex
) -> np.ndarray:
    totals = values.sum(axis=-1, keepdims=True)
    empty = totals[..., 0] <= 0
    if empty.any():
        dates = sorted({grid[t].strftime("%Y-%m-%d") for t in np.argwhere(empty)[:, 1]})
        raise DomainError(
            f"{int(empty.sum())} sample path(s) have zero users in every product of the market (dates "
            f"{format_rows(dates)}), so their shares are undefined. Use transform='log' or a model "
            "that keeps counts positive."
        )
    return values / totals


def _grid_of(models: list[BaseModel], h: int) -> pd.DatetimeIndex:
    latest = max(models, key=lambda m: m.last_ds_)
    return latest.future_dates(h)


def share_paths(
    df: pd.DataFrame,
    models: ModelSpec | Mapping[str, ModelSpec] = "naive",
    h: int = 1,
    *,
    market: Sequence[str] | None = None,
    n_samples: int = 1000,
    seed: int = 0,
    method: Method = "paths",
    transform: Literal["log"] | None = None,
    negative: Literal["floor", "raise"] = "floor",
    delta: float | None = None,
    hold: Mapping[str, float] | None = None,
    retention: Mapping[str, pd.DataFrame] | None = None,
) -> SharePaths:
    """Draw sample paths of the market's shares ``h`` steps ahead.

    Parameters are those of :func:`shares` (without ``levels``).

    Returns
    -------
    SharePaths
        The paths, shape ``(n_samples, h, K)``, each summing to one on every date.
    """
    h = check_horizon(h)
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 2:
        raise ConfigError(f"n_samples must be a whole number >= 2, not {n_samples!r}.")
    if method not in ("paths", "alr", "ilr"):
        raise ConfigError(f"method must be 'paths', 'alr' or 'ilr', not {method!r}.")
    if negative not in ("floor", "raise"):
        raise ConfigError(f"negative must be 'floor' or 'raise', not {negative!r}.")
    data, products = market_products(df, market)
    hold = _check_hold(hold, products)
    retention = _check_retention(retention, products)
    if (hold or retention) and (method != "paths" or _is_competition(models)):
        raise ConfigError(
            "hold= and retention= apply to one model per product: use method='paths' without the competition model."
        )
    if _is_competition(models):
        if method != "paths":
            raise ConfigError(
                "the competition model forecasts the products' users; use method='paths' with it."
            )
        return _competition_paths(data, products, models, h, int(n_samples), seed, negative)
    if method == "paths":
        return _product_paths(
            data, products, models, h, int(n_samples), seed, transform, negative, hold, retention
        )
    return _compositional_paths(
        data, products, models, h, int(n_samples), seed, method, transform, delta
    )


def _check_hold(hold: Mapping[str, float] | None, products: tuple[str, ...]) -> dict[str, float]:
    if hold is None:
        return {}
    if not isinstance(hold, Mapping):
        raise ConfigError(
            f"hold is a mapping {{product: sigma}}, e.g. {{'wenxin': 0.02}}, not {type(hold).__name__}."
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
                f"hold[{product!r}] is the log-scale spread per step of a held product, a finite number >= 0 "
                f"(0.02 is about 2% a step), not {sigma!r}."
            )
        out[str(product)] = float(sigma)
    if len(out) == len(products):
        raise ConfigError(
            "every product of the market is held; at least one product needs a model, which sets the forecast dates."
        )
    return out


def _check_retention(
    retention: Mapping[str, pd.DataFrame] | None, products: tuple[str, ...]
) -> dict[str, pd.DataFrame]:
    if retention is None:
        return {}
    if not isinstance(retention, Mapping):
        raise ConfigError(
            "retention is a mapping {product: retention frame}, e.g. {'kimi/dau/all': data.retention}."
        )
    unknown = [p for p in retention if p not in products]
    if unknown:
        raise ConfigError(
            f"retention names product(s) {', '.join(map(repr, unknown))} that are not in the market {list(products)!r}."
        )
    return dict(retention)


def _held_paths(
    rows: pd.DataFrame,
    product: str,
    sigma: float,
    grid: pd.DatetimeIndex,
    offset: pd.DateOffset,
    n: int,
    seed: int,
) -> np.ndarray:
    """Paths of a held product: its last point value as median, a log random walk of ``sigma`` a step."""
    last = rows.sort_values(DS, kind="mergesort").iloc[-1]
    qualifier = str(last[QUALIFIER]) if QUALIFIER in rows.columns else "="
    if qualifier not in _POINT_TYPES:
        raise DataError(
            f"series {product!r} ends with a bound ({qualifier} {last[Y]:g} on {last[DS]:%Y-%m-%d}); a held product "
            "keeps its last level, which must be a point value ('=' or '~'). Fit it with a model that honours bounds instead.",
            series=product,
            column=QUALIFIER,
        )
    start = pd.Timestamp(last[DS])
    steps = pd.date_range(start, grid[-1], freq=offset)
    positions = steps.get_indexer(grid)
    if start >= grid[0] or np.any(positions < 1):
        raise DataError(
            f"held series {product!r} ends on {start:%Y-%m-%d}, which is not before the market's forecast dates "
            f"on their grid (from {grid[0]:%Y-%m-%d}, step {offset.freqstr}); hold a product whose last date lies on that grid.",
            series=product,
            column=DS,
        )
    rng = np.random.default_rng(seed)
    walk = np.cumsum(rng.standard_normal((n, len(steps) - 1)), axis=1)
    return float(last[Y]) * np.exp(sigma * walk[:, positions - 1])


def _is_competition(models: object) -> bool:
    return isinstance(models, CompetitionModel) or (
        isinstance(models, str) and models == CompetitionModel.name
    )


def _product_paths(
    data: pd.DataFrame,
    products: tuple[str, ...],
    models: ModelSpec | Mapping[str, ModelSpec],
    h: int,
    n: int,
    seed: int,
    transform: Literal["log"] | None,
    negative: str,
    hold: dict[str, float],
    retention: dict[str, pd.DataFrame],
) -> SharePaths:
    fitted: dict[str, BaseModel] = {}
    labels = []
    for product in products:
        if product in hold:
            if product in retention:
                raise ConfigError(
                    f"product {product!r} is held; retention data apply to a fitted model, not to a held product."
                )
            labels.append(f"{HOLD}:sigma={hold[product]:g}")
            continue
        spec = _spec_for(models, product)
        if _is_competition(spec):
            raise ConfigError(
                "the competition model forecasts all products at once; pass models='competition'."
            )
        model = _model_for(spec, transform)
        rows = data[data[UNIQUE_ID] == product]
        try:
            model.fit(rows, retention=retention.get(product))
        except HistoryError as err:
            raise HistoryError(
                f"{err} If no model can fit product {product!r}, you may hold it at its last level with "
                f"hold={{{product!r}: sigma}} (command line: --hold {product}=SIGMA), an assumption you state.",
                series=product,
                column=DS,
            ) from err
        fitted[product] = model
        labels.append(_label(spec))
    grid = _grid_of(list(fitted.values()), h)
    offset = max(fitted.values(), key=lambda m: m.last_ds_).frequency_.offset
    values = np.stack(
        [
            _held_paths(
                data[data[UNIQUE_ID] == p], p, hold[p], grid, offset, n, _product_seed(seed, i)
            )
            if p in hold
            else _aligned_paths(fitted[p], grid, n, _product_seed(seed, i), p)
            for i, p in enumerate(products)
        ],
        axis=-1,
    )
    values, n_floored = _floor(values, products, grid, negative)
    return SharePaths(
        products, grid, _close_paths(values, products, grid), n_floored, tuple(labels)
    )


def _competition_paths(
    data: pd.DataFrame,
    products: tuple[str, ...],
    models: ModelSpec,
    h: int,
    n: int,
    seed: int,
    negative: str,
) -> SharePaths:
    model = models.clone() if isinstance(models, CompetitionModel) else CompetitionModel()
    model.fit(data)
    grid = model.future_dates(h)
    values = np.moveaxis(model.sample(h, n, seed), 0, -1)
    values, n_floored = _floor(values, products, grid, negative)
    labels = tuple(CompetitionModel.name for _ in products)
    return SharePaths(products, grid, _close_paths(values, products, grid), n_floored, labels)


def _compositional_paths(
    data: pd.DataFrame,
    products: tuple[str, ...],
    models: ModelSpec | Mapping[str, ModelSpec],
    h: int,
    n: int,
    seed: int,
    method: str,
    transform: Literal["log"] | None,
    delta: float | None,
) -> SharePaths:
    if isinstance(models, Mapping):
        raise ConfigError(
            f"method={method!r} forecasts log-ratio coordinates with one model; pass one name or instance."
        )
    if transform is not None:
        raise ConfigError(
            f"method={method!r} works on log-ratios, which may be negative; drop transform={transform!r}."
        )
    wide = _wide_points(data, products)
    if len(wide) < 2:
        raise DataError(
            f"method={method!r} needs observed shares on at least two dates, but only {len(wide)} date(s) "
            "have a point value for every product.",
            column=DS,
        )
    parts = wide.to_numpy(dtype=float)
    if np.any(parts == 0):
        if delta is None:
            zeros = [
                f"{wide.columns[k]} on {wide.index[t]:%Y-%m-%d}" for t, k in np.argwhere(parts == 0)
            ]
            raise DomainError(
                f"{len(zeros)} observed share(s) are zero ({format_rows(zeros)}); log-ratios are undefined "
                "at zero. Pass delta=1e-6 (or another small share) to replace zeros multiplicatively, "
                "or leave out the product.",
                column=Y,
                rows=zeros,
            )
        parts = multiplicative_replacement(parts, delta)
    composition = closure(parts)
    coords = alr(composition) if method == "alr" else ilr(composition)
    paths, fitted = [], []
    for j in range(coords.shape[1]):
        frame = pd.DataFrame({UNIQUE_ID: f"{method}_{j + 1}", DS: wide.index, Y: coords[:, j]})
        model = _model_for(models, None)
        model.fit(frame)
        fitted.append(model)
    grid = fitted[0].future_dates(h)
    for j, model in enumerate(fitted):
        paths.append(model.sample(h, n, _product_seed(seed, j)))
    stacked = np.stack(paths, axis=-1)
    shares_paths = alr_inverse(stacked) if method == "alr" else ilr_inverse(stacked)
    label = f"{method}:{_label(models)}"
    return SharePaths(
        products,
        grid,
        shares_paths,
        np.zeros((h, len(products)), dtype=int),
        tuple(label for _ in products),
    )


# ------------------------------------------------------------------------------------ frames
def share_columns(levels: Sequence[float]) -> list[str]:
    """Columns of a share frame, in their fixed order.

    ``unique_id``, ``model``, ``part``, ``ds``, ``share``, then ``share_lo_<L>``,
    ``share_hi_<L>`` for each level, then ``n_floored``.
    """
    cols = [UNIQUE_ID, MODEL, PART, DS, SHARE]
    for level in check_levels(levels):
        cols += [level_column(level, "lo", prefix=SHARE), level_column(level, "hi", prefix=SHARE)]
    return cols + [N_FLOORED]


def share_levels(frame: pd.DataFrame) -> tuple[float, ...]:
    """Interval levels of a share frame: those with both ``share_lo_<L>`` and ``share_hi_<L>``."""
    found = []
    for column in map(str, frame.columns):
        parsed = (
            parse_level_column(YHAT + column[len(SHARE) :])
            if column.startswith(SHARE + "_")
            else None
        )
        if (
            parsed is not None
            and parsed[0] == "lo"
            and level_column(parsed[1], "hi", prefix=SHARE) in frame.columns
        ):
            found.append(parsed[1])
    return check_levels(found)


def paths_frame(result: SharePaths, levels: Sequence[float]) -> pd.DataFrame:
    """The forecast rows of a share frame from sample paths: the mean and quantiles over paths.

    Parameters
    ----------
    result : SharePaths
        From :func:`share_paths`.
    levels : sequence of float
        Interval levels in percent.

    Returns
    -------
    DataFrame
        The columns of :func:`share_columns`, ``part`` ``"forecast"``, one row per product and date.
    """
    levels = check_levels(levels)
    point = result.paths.mean(axis=0)
    frames = []
    for k, product in enumerate(result.products):
        frame = pd.DataFrame(
            {
                UNIQUE_ID: product,
                MODEL: result.models[k],
                PART: FORECAST,
                DS: result.ds,
                SHARE: point[:, k],
            }
        )
        for level in levels:
            tail = (100.0 - level) / 200.0
            lo, hi = np.quantile(result.paths[:, :, k], [tail, 1.0 - tail], axis=0)
            frame[level_column(level, "lo", prefix=SHARE)] = lo
            frame[level_column(level, "hi", prefix=SHARE)] = hi
        frame[N_FLOORED] = result.n_floored[:, k].astype("int64")
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def shares(
    df: pd.DataFrame,
    models: ModelSpec | Mapping[str, ModelSpec] = "naive",
    h: int = 1,
    levels: Sequence[float] = (80, 95),
    market: Sequence[str] | None = None,
    n_samples: int = 1000,
    seed: int = 0,
    *,
    method: Method = "paths",
    transform: Literal["log"] | None = None,
    negative: Literal["floor", "raise"] = "floor",
    delta: float | None = None,
    hold: Mapping[str, float] | None = None,
    retention: Mapping[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Observed and forecast market shares of each product, with intervals from sample paths.

    Parameters
    ----------
    df : DataFrame
        A series frame of the products' users (DAU, visits...).
    models : str, model, or mapping of product to str or model
        A registry name or model instance used for every product, one per product (``{"kimi":
        "bass", "wenxin_yiyan": "logistic"}``), or ``"competition"`` (or a
        :class:`~forecast.market.competition.CompetitionModel`) to forecast the products jointly.
        With ``method="alr"`` or ``"ilr"``: the one model fitted to each log-ratio coordinate.
    h : int
        Horizon in steps of the series' frequency.
    levels : sequence of float
        Interval levels in percent.
    market : sequence of str, optional
        The products' ``unique_id``; by default every series (of one metric) in ``df``.
    n_samples : int
        Sample paths drawn per product.
    seed : int
        Seed; product ``i`` samples with a seed derived from ``(seed, i)``.
    method : {"paths", "alr", "ilr"}
        Forecast the products' users and divide by their total in every path, or forecast the
        shares' log-ratio coordinates (see the module docstring).
    transform : {"log"}, optional
        Fit models given by name on ``log(y)`` (positive paths). Instances are used as given.
    negative : {"floor", "raise"}
        What to do with negative sampled users: set them to zero and count them in
        ``n_floored``, or raise :class:`~forecast.errors.DomainError`.
    delta : float, optional
        For ``"alr"``/``"ilr"``: replace zero observed shares by ``delta`` (multiplicative
        replacement); without it, zero shares raise :class:`~forecast.errors.DomainError`.
    hold : mapping of product to float, optional
        Products to hold instead of fit, each with its log-scale spread per step
        (``{"wenxin_yiyan/dau/all": 0.02}``): the paths keep the product's last point value as
        median and wander as a log random walk (see the module docstring). A stated
        assumption for a product too short for any model; never applied unless asked.
    retention : mapping of product to DataFrame, optional
        Cohort retention passed to the product's model (``model.fit(rows, retention=...)``),
        e.g. ``{"kimi/dau/all": data.retention}`` for ``retention_feedback``.

    Returns
    -------
    DataFrame
        Columns :func:`share_columns`: ``unique_id``, ``model`` (``"observed"`` on history rows),
        ``part`` (``"history"`` or ``"forecast"``), ``ds``, ``share`` (observed, or the mean over
        paths), ``share_lo_<L>`` and ``share_hi_<L>`` (equal-tailed quantiles over paths; NaN on
        history rows, which carry no model uncertainty), ``n_floored`` (0 on history rows) and
        ``qualifier``: on history rows ``=`` or ``~`` for an observed share and ``>=`` or ``<=``
        for a share bound (``share`` is then the bound), on forecast rows ``=``. Sorted by
        ``unique_id`` and ``ds``. Observed shares and share bounds are given on the dates where
        every product has a value (see :func:`history_shares` with ``bounds=True``).

    Raises
    ------
    DataError
        Bad frames, products on different date grids, negative paths with ``negative="raise"``,
        zero shares without ``delta``.
    ModelError
        A model that cannot fit a product (for example a series holding bounds given to a model
        without the ``bounds`` capability).

    Examples
    --------
    >>> import pandas as pd, numpy as np, forecast as fc
    >>> ds = pd.date_range("2024-01-01", periods=30, freq="D")
    >>> df = pd.concat([pd.DataFrame({"unique_id": u, "ds": ds, "y": np.linspace(a, b, 30)})
    ...                 for u, a, b in [("kimi", 100, 400), ("ernie", 500, 450)]])
    >>> out = fc.shares(df, models="drift", h=7, n_samples=200)
    >>> bool(np.allclose(out.groupby("ds")["share"].sum(), 1.0))
    True
    """
    levels = check_levels(levels)
    result = share_paths(
        df,
        models,
        h,
        market=market,
        n_samples=n_samples,
        seed=seed,
        method=method,
        transform=transform,
        negative=negative,
        delta=delta,
        hold=hold,
        retention=retention,
    )
    history = history_shares(df, result.products, bounds=True)
    history = history.assign(**{MODEL: OBSERVED, PART: HISTORY, N_FLOORED: 0})
    columns = share_columns(levels) + [QUALIFIER]
    for column in columns:
        if column not in history.columns:
            history[column] = np.nan
    history[N_FLOORED] = history[N_FLOORED].astype("int64")
    future = paths_frame(result, levels).assign(**{QUALIFIER: "="})
    out = (
        pd.concat([history[columns], future[columns]], ignore_index=True)
        if len(history)
        else future[columns]
    )
    return out.sort_values([UNIQUE_ID, DS], kind="mergesort").reset_index(drop=True)
