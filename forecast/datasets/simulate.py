r"""A seeded simulator of products competing for one market, with known true parameters.

:func:`simulate_market` runs the retention-driven feedback model of
:mod:`forecast.retention.dynamics` for ``n_markets`` independent markets of ``n_products``
products each, then observes it: weekly seasonality, multiplicative noise, channels, and
cohort retention counts. Everything it draws comes from ``seed``, so the same seed gives the
same frames.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from forecast.datasets._dataset import Dataset, DatasetInfo
from forecast.errors import ConfigError
from forecast.retention.dynamics import ExponentialMixture, FeedbackPaths, simulate_competition
from forecast.schema import (
    AGE,
    CHANNEL,
    COHORT,
    COHORT_SIZE,
    DS,
    ENTITY,
    METRIC,
    QUALIFIER,
    RETENTION,
    SOURCE,
    UNIQUE_ID,
    Y,
)

__all__ = ["SimulationTruth", "simulate_market", "WEEKLY_PROFILE"]

WEEKLY_PROFILE = np.array([1 / 3, 0.4, 0.4, 1 / 3, 0.2, -2 / 3, -1.0])
"""Weekly shape of activity, Monday to Sunday: mean 0, largest magnitude 1 (quiet weekends)."""

_PATH_NAMES = (
    "dau",
    "new",
    "acquired",
    "switched_in",
    "switched_out",
    "retained",
    "churned",
    "cumulative",
    "retention_uplift",
)


@dataclass(frozen=True)
class SimulationTruth:
    """What :func:`simulate_market` used and computed before observing.

    Attributes
    ----------
    params : DataFrame
        One row per market and product: ``market``, ``product``, ``unique_id`` (of the total
        DAU series), ``m`` (market potential), ``p``, ``q``, ``alpha`` and ``beta`` (the sBG
        retention curve, NaN when a mixture was given), ``scale_effect``, ``seasonality``
        (weekly amplitude) and ``noise`` (log-scale standard deviation).
    survival : ExponentialMixture
        The exact survival curves used, weights of shape ``(n_markets, n_products, K)``.
    switching : DataFrame
        The switching matrix: row ``i``, column ``j`` is the share of product ``i``'s churned
        users who join product ``j`` in the same period.
    events : DataFrame
        ``market``, ``product``, ``ds``, ``factor``: acquisition steps.
    channels : DataFrame or None
        ``market``, ``product``, ``channel``, ``intercept``, ``slope``: channel ``c``'s share at
        period ``t`` is the softmax over channels of ``intercept + slope * t / (periods - 1)``.
    paths : FeedbackPaths
        Noise-free paths, arrays of shape ``(n_markets, n_products, periods)``: ``dau`` (the
        active base), ``new``, ``acquired``, ``switched_in``, ``switched_out``, ``retained``,
        ``churned``, ``cumulative`` and ``retention_uplift`` (see
        :class:`~forecast.retention.dynamics.FeedbackPaths`); :meth:`paths_frame` gives them long.
    weekly : ndarray
        The weekly factor :math:`w_{j,t}`, shape ``(n_markets, n_products, periods)``; the
        mean of the observed ``y`` is ``paths.dau * weekly``.
    unique_ids : ndarray
        The ``unique_id`` of each total series, shape ``(n_markets, n_products)``.
    dates : DatetimeIndex
        The simulated dates.
    """

    params: pd.DataFrame
    survival: ExponentialMixture
    switching: pd.DataFrame
    events: pd.DataFrame
    channels: pd.DataFrame | None
    paths: FeedbackPaths
    weekly: np.ndarray
    unique_ids: np.ndarray
    dates: pd.DatetimeIndex

    def paths_frame(self) -> pd.DataFrame:
        """The noise-free paths in long format.

        Returns
        -------
        DataFrame
            ``unique_id`` (of the total series), ``ds``, then ``dau``, ``dau_mean`` (``dau``
            times the weekly factor: the mean of the observed ``y``) and the other paths,
            sorted by ``unique_id`` and ``ds``.
        """
        names = self.unique_ids.reshape(-1)
        order = np.argsort(names, kind="stable")
        periods = len(self.dates)

        def column(array: np.ndarray) -> np.ndarray:
            return array.reshape(len(names), periods)[order].reshape(-1)

        values = {name: column(getattr(self.paths, name)) for name in _PATH_NAMES}
        values["dau_mean"] = column(self.paths.dau * self.weekly)
        return pd.DataFrame(
            {
                UNIQUE_ID: _str_column(names, np.repeat(order, periods)),
                DS: np.tile(self.dates.values.astype("datetime64[ns]"), len(names)),
                **{name: values[name] for name in ("dau", "dau_mean", *_PATH_NAMES[1:])},
            }
        )


def _product_names(n: int) -> list[str]:
    letters = string.ascii_lowercase
    names = []
    for i in range(n):
        label, k = "", i
        while True:
            label = letters[k % 26] + label
            k = k // 26 - 1
            if k < 0:
                break
        names.append(f"product_{label}")
    return names


def _grid(
    name: str, value: ArrayLike, shape: tuple[int, int], *, low: float = 0.0, high: float = np.inf
) -> np.ndarray:
    array = np.asarray(value, dtype=float)
    if array.ndim == 1 and array.shape[0] != shape[1]:
        raise ConfigError(
            f"{name!r} has {array.shape[0]} values; give one per product ({shape[1]}), a scalar, or an (n_markets, n_products) array."
        )
    try:
        array = np.broadcast_to(array, shape).copy()
    except ValueError as err:
        raise ConfigError(
            f"{name!r} of shape {array.shape} does not fit (n_markets, n_products) = {shape}."
        ) from err
    if not np.all(np.isfinite(array)) or np.any(array < low) or np.any(array > high):
        raise ConfigError(f"{name!r} must lie in [{low}, {high}].")
    return array


def _whole(name: str, value: int, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ConfigError(f"{name} must be a whole number >= {minimum}, not {value!r}.")
    return int(value)


def _switching_matrix(switching: ArrayLike, k: int) -> np.ndarray:
    array = np.asarray(switching, dtype=float)
    if array.ndim == 0:
        if not 0 <= float(array) <= 1:
            raise ConfigError(
                f"switching must be a share in [0, 1] or a ({k}, {k}) matrix, not {switching!r}."
            )
        matrix = np.full((k, k), float(array) / max(k - 1, 1))
        np.fill_diagonal(matrix, 0.0)
        return matrix
    if array.shape != (k, k):
        raise ConfigError(f"the switching matrix must have shape ({k}, {k}), not {array.shape}.")
    return array


def _survival(
    retention: Mapping[str, ArrayLike] | ExponentialMixture | None,
    shape: tuple[int, int],
    rng: np.random.Generator,
    n_components: int,
) -> tuple[ExponentialMixture, np.ndarray, np.ndarray]:
    if isinstance(retention, ExponentialMixture):
        try:
            weights = np.broadcast_to(retention.weights, shape + retention.weights.shape[-1:])
            rates = np.broadcast_to(retention.rates, shape + retention.rates.shape[-1:])
        except ValueError as err:
            raise ConfigError(
                f"the retention mixture of shape {retention.weights.shape} does not fit {shape} + (K,)."
            ) from err
        nan = np.full(shape, np.nan)
        return ExponentialMixture(weights.copy(), rates.copy()), nan, nan
    if retention is None:
        alpha = rng.uniform(0.4, 1.2, size=shape)
        beta = rng.uniform(1.5, 6.0, size=shape)
    else:
        unknown = set(retention) - {"alpha", "beta"}
        if unknown or not {"alpha", "beta"} <= set(retention):
            raise ConfigError(
                f"retention takes the sBG parameters 'alpha' and 'beta' (or an ExponentialMixture), got {sorted(retention)}."
            )
        alpha = _grid("alpha", retention["alpha"], shape, low=1e-6)
        beta = _grid("beta", retention["beta"], shape, low=1e-6)
    return ExponentialMixture.from_sbg(alpha, beta, n_components), alpha, beta


def _event_multipliers(
    events: Sequence[Mapping[str, object]] | None,
    dates: pd.DatetimeIndex,
    markets: list[str],
    products: list[str],
) -> tuple[np.ndarray, pd.DataFrame]:
    steps = np.ones((len(markets), len(products), len(dates)))
    rows = []
    for number, event in enumerate(events or ()):
        if not isinstance(event, Mapping) or not {"product", "date", "factor"} <= set(event):
            raise ConfigError(
                f"event {number} must be a mapping with 'product', 'date', 'factor' (and optionally 'market'), not {event!r}."
            )
        product = str(event["product"])
        if product not in products:
            raise ConfigError(
                f"event {number} names product {product!r}; the products are {', '.join(map(repr, products))}."
            )
        when = pd.Timestamp(event["date"])  # type: ignore[arg-type]
        if not dates[0] <= when <= dates[-1]:
            raise ConfigError(
                f"event {number} on {when.date()} is outside the simulated dates {dates[0].date()} to {dates[-1].date()}."
            )
        factor = float(event["factor"])  # type: ignore[arg-type]
        if not np.isfinite(factor) or factor < 0:
            raise ConfigError(
                f"event {number} has factor {factor!r}; a factor multiplies acquisition and must be >= 0."
            )
        market = event.get("market")
        chosen = markets if market is None else [str(market)]
        if not set(chosen) <= set(markets):
            raise ConfigError(
                f"event {number} names market {market!r}; the markets are {markets[0]!r} to {markets[-1]!r}."
            )
        start = int(dates.searchsorted(when))
        j = products.index(product)
        for name in chosen:
            steps[markets.index(name), j, start:] *= factor
            rows.append({"market": name, "product": product, DS: dates[start], "factor": factor})
    return steps, pd.DataFrame(rows, columns=["market", "product", DS, "factor"])


def _str_column(names: np.ndarray, codes: np.ndarray) -> pd.Series:
    """``names[codes]`` as a column of pandas' ``str`` dtype, built in Arrow (fast for millions of rows)."""
    import pyarrow as pa

    taken = pa.array(list(names), type=pa.large_string()).take(pa.array(codes.astype(np.int64)))
    return pd.Series(pd.array(taken, dtype=pd.StringDtype("pyarrow", na_value=np.nan)))


def _labels(names: np.ndarray, codes: np.ndarray) -> pd.Categorical:
    """``names[codes]`` as a categorical column (descriptive columns repeat a few values)."""
    categories, inverse = np.unique(names.astype(str), return_inverse=True)
    return pd.Categorical.from_codes(inverse[codes], categories=categories)


def _series_frame(
    names: np.ndarray,
    entities: np.ndarray,
    channels: np.ndarray,
    markets: np.ndarray,
    values: np.ndarray,
    dates: pd.DatetimeIndex,
    source: str,
) -> pd.DataFrame:
    """Long frame from a (n_series, periods) matrix, in the row order validate_series gives.

    ``unique_id`` is ``str``; the descriptive columns are categorical, which validate_series
    turns into plain objects.
    """
    order = np.argsort(names, kind="stable")
    periods = len(dates)
    codes = np.repeat(order, periods)
    constant = np.zeros(len(codes), dtype=np.int8)
    return pd.DataFrame(
        {
            UNIQUE_ID: _str_column(names, codes),
            DS: np.tile(dates.values.astype("datetime64[ns]"), len(names)),
            Y: values[order].reshape(-1).astype("float64"),
            ENTITY: _labels(entities, codes),
            METRIC: pd.Categorical.from_codes(constant, categories=["dau"]),
            CHANNEL: _labels(channels, codes),
            QUALIFIER: pd.Categorical.from_codes(constant, categories=["="]),
            SOURCE: pd.Categorical.from_codes(constant, categories=[source]),
            "market": _labels(markets, codes),
        }
    )


def _channel_split(
    y: np.ndarray,
    channels: Sequence[str] | Mapping[str, float],
    rng: np.random.Generator,
    markets: list[str],
    products: list[str],
) -> tuple[list[str], np.ndarray, pd.DataFrame]:
    """Split observed totals (n, k, T) into channels (n, k, C, T) that add up to them."""
    n, k, periods = y.shape
    if isinstance(channels, Mapping):
        names = [str(c) for c in channels]
        shares = np.asarray([float(v) for v in channels.values()])  # type: ignore[arg-type]
        if np.any(shares <= 0) or not np.isclose(shares.sum(), 1.0, rtol=0, atol=1e-9):
            raise ConfigError("channel shares must be positive and add up to 1.")
        intercept = np.broadcast_to(np.log(shares), (n, k, len(names))).copy()
        slope = np.zeros((n, k, len(names)))
    else:
        names = [str(c) for c in channels]
        intercept = np.log(rng.dirichlet(np.full(len(names), 4.0), size=(n, k)))
        slope = rng.normal(0.0, 0.5, size=(n, k, len(names)))
    if len(names) < 2 or len(set(names)) != len(names) or "all" in names:
        raise ConfigError(
            f"give at least two distinct channel names other than 'all', not {names!r}."
        )
    time = np.arange(periods) / max(periods - 1, 1)
    logits = intercept[..., None] + slope[..., None] * time
    logits -= logits.max(axis=2, keepdims=True)
    weights = np.exp(logits)
    shares = weights / weights.sum(axis=2, keepdims=True)
    parts = y[:, :, None, :] * shares
    # The largest channel takes the remainder, so the channels add up to the total and stay >= 0.
    largest = shares.argmax(axis=2)
    np.put_along_axis(parts, largest[:, :, None, :], 0.0, axis=2)
    rest = y - parts.sum(axis=2)
    np.put_along_axis(parts, largest[:, :, None, :], rest[:, :, None, :], axis=2)
    table = pd.DataFrame(
        {
            "market": np.repeat(markets, k * len(names)),
            "product": np.tile(np.repeat(products, len(names)), n),
            CHANNEL: np.tile(names, n * k),
            "intercept": intercept.reshape(-1),
            "slope": slope.reshape(-1),
        }
    )
    return names, parts, table


def _retention_frame(
    paths: FeedbackPaths,
    survival: ExponentialMixture,
    ages: Sequence[int],
    every: int,
    dates: pd.DatetimeIndex,
    rng: np.random.Generator,
    labels: np.ndarray,
) -> pd.DataFrame:
    """Cohort counts thinned by binomial draws along each cohort's true curve."""
    periods = len(dates)
    starts = np.arange(0, periods, every)
    ages_arr = np.asarray(sorted(set(int(a) for a in ages)))
    curve = survival.survival(np.concatenate([[0], ages_arr]))  # (n, k, A + 1)
    uplift = paths.retention_uplift[..., starts]  # (n, k, C)
    sizes = np.round(paths.new[..., starts])
    alive = sizes.astype(np.int64)
    previous = np.ones(sizes.shape)
    records = []
    for index, age in enumerate(ages_arr, start=1):
        level = curve[..., index][..., None] + uplift * (1.0 - curve[..., index][..., None])
        # Conditional survival from the previous observed age; the clip only absorbs rounding.
        ratio = np.divide(level, previous, out=np.zeros_like(level), where=previous > 0)
        alive = rng.binomial(alive, np.clip(ratio, 0.0, 1.0))
        previous = level
        records.append(alive)
    counts = np.stack(records, axis=-1)  # (n, k, C, A)
    observed = (sizes[..., None] >= 1) & (starts[:, None] + ages_arr[None, :] < periods)
    observed = np.broadcast_to(observed, counts.shape)
    n, k = sizes.shape[:2]
    uid_codes = np.broadcast_to(np.arange(n * k).reshape(n, k)[:, :, None, None], counts.shape)
    order = np.argsort(labels.reshape(-1), kind="stable")

    def pick(array: np.ndarray) -> np.ndarray:
        """Flatten (n, k, C, A) with the series in the order of their sorted names."""
        return array.reshape(n * k, -1)[order].reshape(-1)

    mask = pick(observed)
    cohort = np.broadcast_to(
        dates.values.astype("datetime64[ns]")[starts][None, None, :, None], counts.shape
    )
    age = np.broadcast_to(ages_arr, counts.shape)
    size = np.broadcast_to(sizes[..., None], counts.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction = counts / size
    return pd.DataFrame(
        {
            UNIQUE_ID: _str_column(labels.reshape(-1), pick(uid_codes)[mask]),
            COHORT: pick(cohort)[mask],
            AGE: pick(age)[mask].astype("int64"),
            RETENTION: pick(fraction)[mask].astype("float64"),
            COHORT_SIZE: pick(size)[mask].astype("float64"),
        }
    )


def simulate_market(
    n_products: int = 3,
    periods: int = 730,
    freq: str = "D",
    seed: int = 0,
    *,
    market_size: ArrayLike = 1e7,
    p: ArrayLike | None = None,
    q: ArrayLike | None = None,
    retention: Mapping[str, ArrayLike] | ExponentialMixture | None = None,
    scale_effect: ArrayLike | None = None,
    seasonality: ArrayLike | None = None,
    noise: ArrayLike = 0.05,
    events: Sequence[Mapping[str, object]] | None = None,
    channels: Sequence[str] | Mapping[str, float] | None = None,
    switching: ArrayLike = 0.0,
    start: str | pd.Timestamp = "2024-01-01",
    n_markets: int = 1,
    retention_ages: Sequence[int] | None = None,
    cohort_every: int | None = None,
    n_components: int = 12,
) -> Dataset:
    r"""Simulate products competing for one market, observed as DAU series and cohort retention.

    The structural model is :func:`forecast.retention.dynamics.simulate_competition`, per market
    :math:`m` and product :math:`j` (see :mod:`forecast.retention.dynamics` for the full
    equations):

    .. math::

        a_{j,t} &\propto (p_j + q_j D_{j,t-1} / M)(M - A_{t-1})\, w_{j,t}\, \epsilon_{j,t}
            \quad\text{(capped together at } M - A_{t-1}\text{)} \\
        D_{j,t} &= \sum_{c \le t} n_{j,c} S_{j,c}(t - c), \qquad
        n_{j,t} = a_{j,t} + \sum_i \sigma_{ij} \ell_{i,t} \\
        S_{j,c}(a) &= S_j(a) + u_{j,c}(1 - S_j(a)), \qquad u_{j,c} = \min(1, e_j D_{j,c-1}/M)

    with :math:`S_j` a shifted-beta-geometric curve (written exactly as a mixture of
    ``n_components`` geometric curves, which is the true curve), :math:`w_{j,t} = 1 + s_j
    W_{d(t)}` the weekly factor (:data:`WEEKLY_PROFILE`, daily data only),
    :math:`\epsilon_{j,t}` the product of the event factors in force, :math:`\ell` churn and
    :math:`\sigma` the switching matrix. The observed DAU is

    .. math:: y_{j,t} = D_{j,t}\, w_{j,t} \exp(\nu_j z_{j,t} - \nu_j^2 / 2), \quad z \sim N(0, 1),

    (mean :math:`D_{j,t} w_{j,t}`), split into channels when asked with shares
    :math:`\mathrm{softmax}_c(\beta_{0c} + \beta_{1c} t / (T - 1))` that add up to
    :math:`y_{j,t}`. Cohort retention is observed every ``cohort_every`` periods at
    ``retention_ages``: ``round(n_{j,c})`` users thinned by binomial draws along
    :math:`S_{j,c}`, so each cohort's observed curve is non-increasing.

    Parameters
    ----------
    n_products : int
        Products per market, named ``product_a``, ``product_b``, ...
    periods : int
        Periods to simulate.
    freq : str
        pandas frequency of the dates (``"D"``, ``"W-MON"``, ``"MS"``, ...); every rate is per
        period of this frequency. The drawn defaults are meant for days.
    seed : int
        Seed of every draw: the same seed gives identical frames.
    market_size : float or array_like
        Market potential :math:`M`, scalar or one per market.
    p, q : float or array_like, optional
        Bass coefficients per period: a scalar, one per product, or ``(n_markets, n_products)``;
        drawn when omitted (``p`` uniform in [2e-4, 1e-3], ``q`` in [0.03, 0.12]).
    retention : mapping or ExponentialMixture, optional
        ``{"alpha": ..., "beta": ...}`` of the sBG curve (each a scalar, one per product or
        ``(n_markets, n_products)``), or the exact mixture; drawn when omitted (``alpha``
        uniform in [0.4, 1.2], ``beta`` in [1.5, 6]).
    scale_effect : float or array_like, optional
        :math:`e_j` >= 0, retention rising with scale; drawn uniform in [0, 1] when omitted.
    seasonality : float or array_like, optional
        Weekly amplitude :math:`s_j` in [0, 1) (daily data only); drawn uniform in
        [0.05, 0.2] for daily data and 0 otherwise when omitted.
    noise : float or array_like
        Log-scale standard deviation :math:`\nu_j` of the observation noise.
    events : sequence of mappings, optional
        Acquisition steps: ``{"product": "product_a", "date": "2024-06-01", "factor": 1.5}``
        multiplies that product's acquisition by ``factor`` from ``date`` on, in every market
        or in ``"market": "m0"`` only.
    channels : sequence of str or mapping, optional
        Channel names (e.g. ``("web", "app", "mini_program")``) with drawn, drifting shares, or
        ``{name: share}`` with fixed shares adding up to 1. Adds one series per channel.
    switching : float or array_like
        A share of each product's churned users who switch, split evenly among the other
        products, or the ``(n_products, n_products)`` matrix :math:`\sigma`.
    start : str or Timestamp
        First date.
    n_markets : int
        Independent markets, named ``m0``, ``m1``, ... (zero-padded when there are more than 10).
    retention_ages : sequence of int, optional
        Ages at which cohorts are observed; default (1, 7, 14, 30, 60, 90) for daily data and
        (1, 2, 3, 4, 6, 8, 12) otherwise. An empty sequence gives no retention frame.
    cohort_every : int, optional
        A cohort is observed every this many periods (30 for daily data, 1 otherwise).
    n_components : int
        Geometric components of each sBG curve.

    Returns
    -------
    Dataset
        ``series``: observed DAU, ``unique_id`` ``<market>/<product>/dau/all`` and, with
        channels, ``<market>/<product>/dau/<channel>``; ``entity`` is the product, ``market``
        the market. ``retention``: ``unique_id`` ``<market>/<product>``, ``cohort``, ``age``,
        ``retention``, ``cohort_size`` (cohorts of fewer than one user are not observed).
        ``truth``: a :class:`SimulationTruth`. ``info``: a datasheet naming the call.

    Raises
    ------
    ConfigError
        Invalid sizes, parameters out of range, unknown products or dates in events, a
        seasonality for data that are not daily.

    Examples
    --------
    >>> from forecast.datasets import simulate_market
    >>> data = simulate_market(n_products=2, periods=60, seed=1, channels=("web", "app"))
    >>> sorted(data.series["unique_id"].unique())[:3]
    ['m0/product_a/dau/all', 'm0/product_a/dau/app', 'm0/product_a/dau/web']
    >>> data.truth.params[["product", "p", "q"]].round(4).shape
    (2, 3)
    """
    k = _whole("n_products", n_products, 1)
    n = _whole("n_markets", n_markets, 1)
    periods = _whole("periods", periods, 1)
    try:
        dates = pd.date_range(pd.Timestamp(start), periods=periods, freq=freq)
    except (ValueError, TypeError) as err:
        raise ConfigError(
            f"start {start!r} and freq {freq!r} do not make a date range: {err}"
        ) from err
    daily = pd.tseries.frequencies.to_offset(freq) == pd.offsets.Day(1)
    shape = (n, k)
    width = len(str(n - 1))
    markets = [f"m{i:0{width}d}" for i in range(n)]
    products = _product_names(k)
    params_rng, noise_rng, retention_rng, channel_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)
    )

    size = _grid(
        "market_size",
        np.asarray(market_size, dtype=float).reshape(-1, 1)
        if np.ndim(market_size)
        else market_size,
        shape,
        low=1.0,
    )[:, 0]
    p_arr = params_rng.uniform(2e-4, 1e-3, size=shape) if p is None else _grid("p", p, shape)
    q_arr = params_rng.uniform(0.03, 0.12, size=shape) if q is None else _grid("q", q, shape)
    survival, alpha, beta = _survival(
        retention, shape, params_rng, _whole("n_components", n_components, 1)
    )
    effect = (
        params_rng.uniform(0.0, 1.0, size=shape)
        if scale_effect is None
        else _grid("scale_effect", scale_effect, shape)
    )
    if seasonality is None:
        amplitude = params_rng.uniform(0.05, 0.2, size=shape) if daily else np.zeros(shape)
    else:
        amplitude = _grid("seasonality", seasonality, shape, high=0.999)
        if not daily and np.any(amplitude > 0):
            raise ConfigError(
                f"weekly seasonality needs daily data (freq 'D'), not freq {freq!r}; set seasonality=0."
            )
    sigma = _grid("noise", noise, shape)
    matrix = _switching_matrix(switching, k)

    weekly = (
        1.0 + amplitude[..., None] * WEEKLY_PROFILE[dates.day_of_week.to_numpy()]
        if daily
        else np.ones(shape + (periods,))
    )
    steps, event_table = _event_multipliers(events, dates, markets, products)
    paths = simulate_competition(
        p_arr,
        q_arr,
        size,
        survival,
        periods,
        switching=matrix if matrix.any() else None,
        multipliers=weekly * steps,
        scale_effect=effect,
    )
    mean = paths.dau * weekly
    y = mean * np.exp(
        sigma[..., None] * noise_rng.standard_normal(mean.shape) - sigma[..., None] ** 2 / 2
    )

    labels = np.array([[f"{mk}/{pr}" for pr in products] for mk in markets], dtype=object)
    totals = (labels + "/dau/all").reshape(-1)
    product_of = np.tile(np.array(products, dtype=object), n)
    market_of = np.repeat(np.array(markets, dtype=object), k)
    names, entities, kinds, market_col = (
        [totals],
        [product_of],
        [np.full(n * k, "all", dtype=object)],
        [market_of],
    )
    values = [y.reshape(n * k, periods)]
    channel_table = None
    if channels is not None:
        channel_names, parts, channel_table = _channel_split(
            y, channels, channel_rng, markets, products
        )
        for index, channel in enumerate(channel_names):
            names.append((labels + f"/dau/{channel}").reshape(-1))
            entities.append(entities[0])
            kinds.append(np.full(n * k, channel, dtype=object))
            market_col.append(market_col[0])
            values.append(parts[:, :, index, :].reshape(n * k, periods))
    source = f"simulated: forecast.datasets.simulate_market(n_products={k}, periods={periods}, freq={freq!r}, seed={seed}, n_markets={n})"
    series = _series_frame(
        np.concatenate(names),
        np.concatenate(entities),
        np.concatenate(kinds),
        np.concatenate(market_col),
        np.concatenate(values),
        dates,
        source,
    )

    if retention_ages is None:
        retention_ages = (1, 7, 14, 30, 60, 90) if daily else (1, 2, 3, 4, 6, 8, 12)
    if any(int(a) < 1 for a in retention_ages):
        raise ConfigError(
            f"retention_ages must be whole numbers >= 1, not {list(retention_ages)!r}."
        )
    every = _whole(
        "cohort_every", cohort_every if cohort_every is not None else (30 if daily else 1), 1
    )
    retention_frame = (
        _retention_frame(paths, survival, retention_ages, every, dates, retention_rng, labels)
        if len(retention_ages)
        else None
    )
    if retention_frame is not None and retention_frame.empty:
        retention_frame = None

    params = pd.DataFrame(
        {
            "market": np.repeat(markets, k),
            "product": np.tile(products, n),
            UNIQUE_ID: totals,
            "m": np.repeat(size, k),
            "p": p_arr.reshape(-1),
            "q": q_arr.reshape(-1),
            "alpha": alpha.reshape(-1),
            "beta": beta.reshape(-1),
            "scale_effect": effect.reshape(-1),
            "seasonality": amplitude.reshape(-1),
            "noise": sigma.reshape(-1),
        }
    )
    truth = SimulationTruth(
        params=params,
        survival=survival,
        switching=pd.DataFrame(
            matrix, index=pd.Index(products, name="from"), columns=pd.Index(products, name="to")
        ),
        events=event_table,
        channels=channel_table,
        paths=paths,
        weekly=weekly,
        unique_ids=totals.reshape(n, k).astype(str),
        dates=dates,
    )
    info = DatasetInfo(
        name="simulated-market",
        title=f"{n} simulated market(s) of {k} competing products, {periods} periods of {freq!r}",
        description=(
            "Daily active users of products competing for one market potential each, from the "
            "retention-driven feedback model (forecast.retention.dynamics) with known parameters "
            "(see .truth), observed with weekly seasonality, multiplicative noise, channels and "
            "cohort retention counts."
        ),
        source=source,
        units="users (DAU); retention as fractions of each cohort",
        licence="generated data: no restrictions",
        caveats=(
            "The true survival curve is the exponential mixture in truth.survival, which matches "
            "the sBG curve of truth.params exactly for ages below 2 * n_components and closely beyond.",
            "Cohorts of fewer than one user are not observed.",
        ),
    )
    return Dataset(series=series, retention=retention_frame, info=info, truth=truth)
