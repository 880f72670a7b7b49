"""Sample paths of a market's shares: per product, held, competition and compositional paths.

:func:`share_paths` draws ``n_samples`` paths of every product's share ``h`` steps ahead, each
summing to one on every date, by one of the methods described in :mod:`forecast.market.shares`.
The frames are checked once, by :func:`share_paths` (or the entry point that called it), and
the models are fitted on the checked frames with
:meth:`~forecast.models.base.BaseModel.fit_validated`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from pandas.tseries.offsets import BaseOffset

from forecast.engine.calibrate import CallCalibrate, check_calibrate, with_calibrate
from forecast.engine.specs import label_models
from forecast.errors import ConfigError, DataError, DomainError, HistoryError, format_rows
from forecast.market.arguments import check_draws, check_hold, check_retention
from forecast.market.competition import CompetitionModel
from forecast.market.compositional import (
    alr,
    alr_inverse,
    closure,
    ilr,
    ilr_inverse,
    multiplicative_replacement,
)
from forecast.market.observed import POINT_TYPES, market_products, point_shares
from forecast.models.base import BaseModel, check_horizon
from forecast.models.registry import get
from forecast.schema import (
    DS,
    QUALIFIER,
    UNIQUE_ID,
    ValidRetention,
    ValidSeries,
    Y,
    valid_series,
)

__all__ = ["SharePaths", "ProductModel", "Method", "HOLD", "share_paths"]

HOLD = "hold"
"""Prefix of column ``model`` for a held product (``hold:sigma=0.02``)."""

ProductModel = str | BaseModel | CompetitionModel
"""The model of one product (or, as ``"competition"``, of all products jointly)."""
Method = Literal["paths", "alr", "ilr"]
"""How shares are forecast: per-product paths, or paths of log-ratio coordinates."""
Negative = Literal["floor", "raise"]


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


@dataclass(frozen=True)
class _Draw:
    """What every method needs to draw: horizon, number of paths, seed, checked market."""

    data: pd.DataFrame
    products: tuple[str, ...]
    h: int
    n: int
    seed: int
    calibrate: CallCalibrate = None


# ------------------------------------------------------------------------------------ models
def _product_seed(seed: int, index: int) -> int:
    return int(np.random.SeedSequence([int(seed), int(index)]).generate_state(1)[0])


def _labelled(
    spec: object, transform: Literal["log"] | None, calibrate: CallCalibrate
) -> tuple[str, BaseModel]:
    """Label one product's model as the engine does; a fresh unfitted copy, calibrated as asked."""
    if not isinstance(spec, (str, BaseModel)):
        raise ConfigError(
            "a product's model is a registry name or a model instance, not "
            f"{type(spec).__name__} ({spec!r})."
        )
    ((label, model),) = label_models(spec).items()
    if isinstance(spec, str) and transform is not None:
        model = get(spec, transform=transform)
    return label, with_calibrate(model, calibrate)


def _spec_for(models: ProductModel | Mapping[str, ProductModel], product: str) -> ProductModel:
    if isinstance(models, Mapping):
        if product not in models:
            raise ConfigError(
                f"models has no entry for product {product!r}; give one model per product "
                f"(it has {', '.join(map(repr, models))})."
            )
        return models[product]
    return models


def _is_competition(models: object) -> bool:
    return isinstance(models, CompetitionModel) or (
        isinstance(models, str) and models == CompetitionModel.name
    )


# ------------------------------------------------------------------------------------- paths
def share_paths(
    df: pd.DataFrame | ValidSeries,
    models: ProductModel | Mapping[str, ProductModel] = "naive",
    h: int = 1,
    *,
    market: Sequence[str] | None = None,
    n_samples: int = 1000,
    seed: int = 0,
    method: Method = "paths",
    transform: Literal["log"] | None = None,
    negative: Negative = "floor",
    delta: float | None = None,
    hold: Mapping[str, float] | None = None,
    retention: Mapping[str, pd.DataFrame | ValidRetention] | None = None,
    calibrate: CallCalibrate = None,
) -> SharePaths:
    """Draw sample paths of the market's shares ``h`` steps ahead.

    Parameters are those of :func:`forecast.shares` (without ``levels``); ``df`` and the
    retention frames may be already checked (:func:`forecast.schema.valid_series`,
    :func:`forecast.schema.valid_retention`), and are then not checked again.

    Returns
    -------
    SharePaths
        The paths, shape ``(n_samples, h, K)``, each summing to one on every date.

    References
    ----------
    .. [1] Aitchison, J. (1986). *The Statistical Analysis of Compositional Data*. Chapman and
       Hall.

    Examples
    --------
    >>> import pandas as pd, numpy as np
    >>> ds = pd.date_range("2024-01-01", periods=10, freq="D")
    >>> df = pd.concat([pd.DataFrame({"unique_id": u, "ds": ds, "y": np.arange(10.0) + a})
    ...                 for u, a in [("a", 10), ("b", 30)]])
    >>> out = share_paths(df, "naive", h=3, n_samples=50)
    >>> out.paths.shape, bool(np.allclose(out.paths.sum(axis=-1), 1.0))
    ((50, 3, 2), True)
    """
    draw_h = check_horizon(h)
    n = check_draws(n_samples, method, negative)
    data, products = market_products(valid_series(df), market)
    held = check_hold(hold, products)
    checked_retention = check_retention(retention, products)
    if (held or checked_retention) and (method != "paths" or _is_competition(models)):
        raise ConfigError(
            "hold= and retention= apply to one model per product: use method='paths' without "
            "the competition model."
        )
    draw = _Draw(data, products, draw_h, n, seed, check_calibrate(calibrate))
    if _is_competition(models):
        if calibrate is not None:
            raise ConfigError(
                "the competition model draws its own joint paths and takes no calibrate; drop "
                f"calibrate={calibrate!r}, or forecast each product with a calibrated model."
            )
        if method != "paths":
            raise ConfigError(
                "the competition model forecasts the products' users jointly; use "
                "method='paths' with models='competition'."
            )
        return _competition_paths(draw, models, negative)
    if method == "paths":
        return _product_paths(draw, models, transform, negative, held, checked_retention)
    return _compositional_paths(draw, models, method, transform, delta)


def _fit_product(
    spec: ProductModel,
    rows: pd.DataFrame,
    product: str,
    transform: Literal["log"] | None,
    retention: ValidRetention | None,
    calibrate: CallCalibrate,
) -> tuple[str, BaseModel]:
    if _is_competition(spec):
        raise ConfigError(
            "the competition model forecasts all products at once; pass models='competition'."
        )
    label, model = _labelled(spec, transform, calibrate)
    try:
        model.fit_validated(rows, None if retention is None else retention.frame)
    except HistoryError as err:
        raise HistoryError(
            f"{err} If no model can fit product {product!r}, you may hold it at its last level "
            f"with hold={{{product!r}: sigma}} (command line: --hold {product}=SIGMA), an "
            "assumption you state.",
            series=product,
            column=DS,
        ) from err
    return label, model


def _product_paths(
    draw: _Draw,
    models: ProductModel | Mapping[str, ProductModel],
    transform: Literal["log"] | None,
    negative: Negative,
    hold: dict[str, float],
    retention: dict[str, ValidRetention],
) -> SharePaths:
    fitted: dict[str, BaseModel] = {}
    labels = []
    rows_of = {p: rows for p, rows in draw.data.groupby(UNIQUE_ID, sort=False)}
    for product in draw.products:
        if product in hold:
            if product in retention:
                raise ConfigError(
                    f"product {product!r} is held; retention data apply to a fitted model, not "
                    "to a held product."
                )
            labels.append(f"{HOLD}:sigma={hold[product]:g}")
            continue
        spec = _spec_for(models, product)
        label, fitted[product] = _fit_product(
            spec, rows_of[product], product, transform, retention.get(product), draw.calibrate
        )
        labels.append(label)
    latest = max(fitted.values(), key=lambda m: m.last_ds_)
    grid = latest.future_dates(draw.h)
    offset = latest.frequency_.offset
    values = np.stack(
        [
            _held_paths(rows_of[p], p, hold[p], grid, offset, draw.n, _product_seed(draw.seed, i))
            if p in hold
            else _aligned_paths(fitted[p], grid, draw.n, _product_seed(draw.seed, i), p)
            for i, p in enumerate(draw.products)
        ],
        axis=-1,
    )
    values, n_floored = _floor(values, draw.products, grid, negative)
    closed = _close_paths(values, grid)
    return SharePaths(draw.products, grid, closed, n_floored, tuple(labels))


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
            f"series {product!r} steps {model.frequency_.name} and its forecast dates do not "
            f"fall on the market's dates (from {grid[0]:%Y-%m-%d}); give every product of the "
            "market the same frequency and dates on the same grid.",
            series=product,
            column=DS,
        )
    return model.sample(len(own), n, seed)[:, positions]


def _held_paths(
    rows: pd.DataFrame,
    product: str,
    sigma: float,
    grid: pd.DatetimeIndex,
    offset: BaseOffset,
    n: int,
    seed: int,
) -> np.ndarray:
    """Paths of a held product: its last point value as median, a log random walk of ``sigma``.

    ``rows`` are the product's checked rows.
    """
    last = rows.sort_values(DS, kind="mergesort").iloc[-1]
    qualifier = str(last[QUALIFIER])
    if qualifier not in POINT_TYPES:
        raise DataError(
            f"series {product!r} ends with a bound ({qualifier} {last[Y]:g} on "
            f"{last[DS]:%Y-%m-%d}); a held product keeps its last level, which must be a point "
            "value ('=' or '~'). Fit it with a model that honours bounds instead.",
            series=product,
            column=QUALIFIER,
        )
    start = pd.Timestamp(last[DS])
    steps = pd.date_range(start, grid[-1], freq=offset)
    positions = steps.get_indexer(grid)
    if start >= grid[0] or np.any(positions < 1):
        raise DataError(
            f"held series {product!r} ends on {start:%Y-%m-%d}, which is not before the "
            f"market's forecast dates on their grid (from {grid[0]:%Y-%m-%d}, step "
            f"{offset.freqstr}); hold a product whose last date lies on that grid.",
            series=product,
            column=DS,
        )
    rng = np.random.default_rng(seed)
    walk = np.cumsum(rng.standard_normal((n, len(steps) - 1)), axis=1)
    return float(last[Y]) * np.exp(sigma * walk[:, positions - 1])


def _floor(
    values: np.ndarray, products: tuple[str, ...], grid: pd.DatetimeIndex, negative: Negative
) -> tuple[np.ndarray, np.ndarray]:
    below = values < 0
    if below.any() and negative == "raise":
        _, t, k = (int(i) for i in np.argwhere(below)[0])
        raise DomainError(
            f"{int(below.sum())} sampled value(s) are negative, the first for product "
            f"{products[k]!r} on {grid[t]:%Y-%m-%d}; counts cannot be negative. Use "
            "transform='log', a model that keeps counts positive, or negative='floor' "
            "(negatives set to zero and counted in column 'n_floored').",
            series=products[k],
            column=Y,
        )
    return np.where(below, 0.0, values), below.sum(axis=0)


def _close_paths(values: np.ndarray, grid: pd.DatetimeIndex) -> np.ndarray:
    totals = values.sum(axis=-1, keepdims=True)
    empty = totals[..., 0] <= 0
    if empty.any():
        dates = sorted({grid[int(t)].strftime("%Y-%m-%d") for t in np.argwhere(empty)[:, 1]})
        raise DomainError(
            f"{int(empty.sum())} sample path(s) have zero users in every product of the market "
            f"(dates {format_rows(dates)}), so their shares are undefined. Use transform='log' "
            "or a model that keeps counts positive."
        )
    return values / totals


def _competition_paths(draw: _Draw, models: object, negative: Negative) -> SharePaths:
    model = models.clone() if isinstance(models, CompetitionModel) else CompetitionModel()
    model.fit(ValidSeries(draw.data))  # the checked rows of the market's products
    grid = model.future_dates(draw.h)
    values = np.moveaxis(model.sample(draw.h, draw.n, draw.seed), 0, -1)
    values, n_floored = _floor(values, draw.products, grid, negative)
    labels = tuple(CompetitionModel.name for _ in draw.products)
    return SharePaths(draw.products, grid, _close_paths(values, grid), n_floored, labels)


def _log_ratio_coordinates(draw: _Draw, method: str, delta: float | None) -> pd.DataFrame:
    """Transform the observed shares to alr or ilr coordinates, one column each, by date."""
    wide = point_shares(draw.data, draw.products)
    if len(wide) < 2:
        raise DataError(
            f"method={method!r} needs observed shares on at least two dates, but only "
            f"{len(wide)} date(s) have a point value for every product.",
            column=DS,
        )
    parts = wide.to_numpy(dtype=float)
    if np.any(parts == 0):
        if delta is None:
            zeros = [
                f"{wide.columns[k]} on {wide.index[t]:%Y-%m-%d}" for t, k in np.argwhere(parts == 0)
            ]
            raise DomainError(
                f"{len(zeros)} observed share(s) are zero ({format_rows(zeros)}); log-ratios "
                "are undefined at zero. Pass delta=1e-6 (or another small share) to replace "
                "zeros multiplicatively, or leave out the product.",
                column=Y,
                rows=zeros,
            )
        parts = multiplicative_replacement(parts, delta)
    composition = closure(parts)
    coords = alr(composition) if method == "alr" else ilr(composition)
    return pd.DataFrame(coords, index=wide.index)


def _compositional_paths(
    draw: _Draw,
    models: ProductModel | Mapping[str, ProductModel],
    method: str,
    transform: Literal["log"] | None,
    delta: float | None,
) -> SharePaths:
    if isinstance(models, Mapping):
        raise ConfigError(
            f"method={method!r} forecasts log-ratio coordinates with one model; pass one name "
            "or instance."
        )
    if transform is not None:
        raise ConfigError(
            f"method={method!r} works on log-ratios, which may be negative; drop "
            f"transform={transform!r}."
        )
    coords = _log_ratio_coordinates(draw, method, delta)
    label, model = _labelled(models, None, draw.calibrate)
    fitted = []
    for j in range(coords.shape[1]):
        # built from the checked market: sorted dates, finite values, one series
        frame = pd.DataFrame(
            {UNIQUE_ID: f"{method}_{j + 1}", DS: coords.index, Y: coords[j].to_numpy()}
        )
        fitted.append(model.clone().fit_validated(frame))
    grid = fitted[0].future_dates(draw.h)
    stacked = np.stack(
        [m.sample(draw.h, draw.n, _product_seed(draw.seed, j)) for j, m in enumerate(fitted)],
        axis=-1,
    )
    shares_paths = alr_inverse(stacked) if method == "alr" else ilr_inverse(stacked)
    n_floored = np.zeros((draw.h, len(draw.products)), dtype=int)
    labels = tuple(f"{method}:{label}" for _ in draw.products)
    return SharePaths(draw.products, grid, shares_paths, n_floored, labels)
