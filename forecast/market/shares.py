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
    coordinates (:mod:`forecast.market.compositional`), forecast each coordinate with the model
    (the coordinates independently, seeded like the products), and map every sample path back
    to shares. Useful when only shares are known. Log-ratios of zero are undefined: zero shares
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

Modules. Observed shares are computed in :mod:`forecast.market.observed`, sample paths drawn in
:mod:`forecast.market.paths` and share frames assembled in :mod:`forecast.market.frames`; this
module holds :func:`shares`, which checks each input frame once and passes the checked frames on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from forecast.engine.calibrate import CallCalibrate
from forecast.market.frames import (
    FORECAST,
    HISTORY,
    OBSERVED,
    paths_frame,
    share_columns,
    share_levels,
)
from forecast.market.observed import history_shares, market_products
from forecast.market.paths import (
    HOLD,
    Method,
    ProductModel,
    SharePaths,
    share_paths,
)
from forecast.schema import (
    DS,
    MODEL,
    N_FLOORED,
    PART,
    QUALIFIER,
    UNIQUE_ID,
    ValidRetention,
    ValidSeries,
    check_levels,
    valid_series,
)

__all__ = [
    "shares",
    "ProductModel",
    "Method",
    "SharePaths",
    "market_products",
    "history_shares",
    "share_paths",
    "share_columns",
    "paths_frame",
    "share_levels",
    "HISTORY",
    "FORECAST",
    "OBSERVED",
    "HOLD",
]


def shares(
    df: pd.DataFrame | ValidSeries,
    models: ProductModel | Mapping[str, ProductModel] = "naive",
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
    retention: Mapping[str, pd.DataFrame | ValidRetention] | None = None,
    calibrate: CallCalibrate = None,
) -> pd.DataFrame:
    """Observed and forecast market shares of each product, with intervals from sample paths.

    Parameters
    ----------
    df : DataFrame or ValidSeries
        A series frame of the products' users (DAU, visits...), checked here once (or already
        checked by :func:`forecast.schema.valid_series`).
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
        Cohort retention passed to the product's model, e.g. ``{"kimi/dau/all":
        data.retention}`` for ``retention_feedback``; each frame is checked once.
    calibrate : {None, True, False, "conformal", "scaled", "auto", "off"}
        Calibrate every product's model (or the log-ratio coordinates' model) as
        :func:`forecast.forecast` does: its sample paths are then drawn from its own errors in
        inner backtests on its training data, and the shares are built from those paths. An
        instance that sets ``calibrate`` keeps it; the competition model refuses it.

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
    ConfigError
        Bad arguments, e.g. ``calibrate`` with the competition model.
    ModelError
        A model that cannot fit a product (for example a series holding bounds given to a model
        without the ``bounds`` capability).

    References
    ----------
    .. [1] Aitchison, J. (1986). *The Statistical Analysis of Compositional Data*. Chapman and
       Hall (log-ratio coordinates).
    .. [2] Egozcue, J. J., Pawlowsky-Glahn, V., Mateu-Figueras, G. and Barceló-Vidal, C. (2003).
       Isometric logratio transformations for compositional data analysis. *Mathematical
       Geology* 35(3), 279-300.

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
    checked = valid_series(df)
    result = share_paths(
        checked,
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
        calibrate=calibrate,
    )
    columns = share_columns(levels) + [QUALIFIER]
    history = _history_rows(history_shares(checked, result.products, bounds=True), columns)
    future = paths_frame(result, levels).assign(**{QUALIFIER: "="})
    out = (
        pd.concat([history, future[columns]], ignore_index=True)
        if len(history)
        else future[columns]
    )
    return out.sort_values([UNIQUE_ID, DS], kind="mergesort").reset_index(drop=True)


def _history_rows(observed: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Observed shares as rows of a share frame: no intervals (NaN), nothing floored."""
    history = observed.copy()
    history[MODEL] = OBSERVED
    history[PART] = HISTORY
    history[N_FLOORED] = np.zeros(len(history), dtype="int64")
    for column in columns:
        if column not in history.columns:
            history[column] = np.nan
    return history[columns]
