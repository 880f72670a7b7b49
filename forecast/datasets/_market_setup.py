"""The parameters of :func:`forecast.datasets.simulate_market`: checked when given, drawn when not.

:func:`draw_setup` turns the arguments of ``simulate_market`` into a :class:`MarketSetup`:
dates, market and product names, Bass coefficients, survival curves, scale effects, the weekly
factor, noise levels, the switching matrix and the event steps. Everything drawn comes from the
one generator it is given, in a fixed order, so a seed gives the same parameters.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from forecast.errors import ConfigError
from forecast.retention.survival import ExponentialMixture
from forecast.schema import DS

__all__ = ["WEEKLY_PROFILE", "MarketSetup", "draw_setup", "retention_plan", "whole"]

WEEKLY_PROFILE = np.array([1 / 3, 0.4, 0.4, 1 / 3, 0.2, -2 / 3, -1.0])
"""Weekly shape of activity, Monday to Sunday: mean 0, largest magnitude 1 (quiet weekends)."""


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
            f"{name!r} has {array.shape[0]} values; give one per product ({shape[1]}), a "
            "scalar, or an (n_markets, n_products) array."
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


def whole(name: str, value: int, minimum: int) -> int:
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
                f"the retention mixture of shape {retention.weights.shape} does not fit "
                f"{shape} + (K,)."
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
                "retention takes the sBG parameters 'alpha' and 'beta' (or an "
                f"ExponentialMixture), got {sorted(retention)}."
            )
        alpha = _grid("alpha", retention["alpha"], shape, low=1e-6)
        beta = _grid("beta", retention["beta"], shape, low=1e-6)
    return ExponentialMixture.from_sbg(alpha, beta, n_components), alpha, beta


def _event_date(number: int, value: object, dates: pd.DatetimeIndex) -> pd.Timestamp:
    """Check an event's date: a date within the simulated dates."""
    try:
        if not isinstance(value, (str, date, np.datetime64)):
            raise TypeError(type(value).__name__)
        when = pd.Timestamp(value)
    except (TypeError, ValueError) as err:
        raise ConfigError(
            f"event {number} has date {value!r}; give a date such as '2024-06-01'."
        ) from err
    if not dates[0] <= when <= dates[-1]:
        raise ConfigError(
            f"event {number} on {when.date()} is outside the simulated dates "
            f"{dates[0].date()} to {dates[-1].date()}."
        )
    return when


def _event_factor(number: int, value: object) -> float:
    """Check an event's factor: a finite number >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise ConfigError(f"event {number} has factor {value!r}; give a number >= 0.")
    factor = float(value)
    if not np.isfinite(factor) or factor < 0:
        raise ConfigError(
            f"event {number} has factor {factor!r}; a factor multiplies acquisition and must "
            "be >= 0."
        )
    return factor


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
                f"event {number} must be a mapping with 'product', 'date', 'factor' (and "
                f"optionally 'market'), not {event!r}."
            )
        product = str(event["product"])
        if product not in products:
            raise ConfigError(
                f"event {number} names product {product!r}; the products are "
                f"{', '.join(map(repr, products))}."
            )
        when = _event_date(number, event["date"], dates)
        factor = _event_factor(number, event["factor"])
        market = event.get("market")
        chosen = markets if market is None else [str(market)]
        if not set(chosen) <= set(markets):
            raise ConfigError(
                f"event {number} names market {market!r}; the markets are {markets[0]!r} to "
                f"{markets[-1]!r}."
            )
        start = int(dates.searchsorted(when))
        j = products.index(product)
        for name in chosen:
            steps[markets.index(name), j, start:] *= factor
            rows.append({"market": name, "product": product, DS: dates[start], "factor": factor})
    return steps, pd.DataFrame(rows, columns=["market", "product", DS, "factor"])


def _dates(start: str | pd.Timestamp, periods: int, freq: str) -> tuple[pd.DatetimeIndex, bool]:
    """Return the simulated dates and whether they are daily."""
    try:
        dates = pd.date_range(pd.Timestamp(start), periods=periods, freq=freq)
    except (ValueError, TypeError) as err:
        raise ConfigError(
            f"start {start!r} and freq {freq!r} do not make a date range: {err}"
        ) from err
    return dates, pd.tseries.frequencies.to_offset(freq) == pd.offsets.Day(1)


def _amplitude(
    seasonality: ArrayLike | None,
    shape: tuple[int, int],
    daily: bool,
    freq: str,
    rng: np.random.Generator,
) -> np.ndarray:
    """Check or draw the weekly amplitudes (zero unless the data are daily)."""
    if seasonality is None:
        return rng.uniform(0.05, 0.2, size=shape) if daily else np.zeros(shape)
    amplitude = _grid("seasonality", seasonality, shape, high=0.999)
    if not daily and np.any(amplitude > 0):
        raise ConfigError(
            f"weekly seasonality needs daily data (freq 'D'), not freq {freq!r}; set seasonality=0."
        )
    return amplitude


def retention_plan(
    retention_ages: Sequence[int] | None, cohort_every: int | None, daily: bool
) -> tuple[list[int], int]:
    """Check or default the observed cohort ages and the spacing of observed cohorts.

    Parameters
    ----------
    retention_ages : sequence of int, optional
        Ages at which cohorts are observed; (1, 7, 14, 30, 60, 90) for daily data and
        (1, 2, 3, 4, 6, 8, 12) otherwise when omitted.
    cohort_every : int, optional
        A cohort is observed every this many periods (30 for daily data, 1 otherwise).
    daily : bool
        Whether the simulated dates are daily.

    Returns
    -------
    (list of int, int)
        The ages (possibly empty) and the spacing.

    Raises
    ------
    ConfigError
        An age below 1 or a spacing that is not a whole number >= 1.
    """
    if retention_ages is None:
        retention_ages = (1, 7, 14, 30, 60, 90) if daily else (1, 2, 3, 4, 6, 8, 12)
    if any(int(a) < 1 for a in retention_ages):
        raise ConfigError(
            f"retention_ages must be whole numbers >= 1, not {list(retention_ages)!r}."
        )
    every = cohort_every if cohort_every is not None else (30 if daily else 1)
    return [int(a) for a in retention_ages], whole("cohort_every", every, 1)


@dataclass(frozen=True)
class MarketSetup:
    """The checked and drawn parameters of one :func:`~forecast.datasets.simulate_market` call.

    Attributes
    ----------
    dates : DatetimeIndex
        The simulated dates.
    daily : bool
        Whether the dates are daily (weekly seasonality applies only then).
    markets, products : list of str
        Names: ``m0``, ``m1``, ... and ``product_a``, ``product_b``, ...
    size : ndarray
        Market potential per market, shape ``(n_markets,)``.
    p, q, alpha, beta, effect, amplitude, noise : ndarray
        Per market and product, shape ``(n_markets, n_products)``: Bass coefficients, sBG
        parameters (NaN when a mixture was given), scale effect, weekly amplitude and
        log-scale noise.
    survival : ExponentialMixture
        The true survival curves, weights of shape ``(n_markets, n_products, K)``.
    switching : ndarray
        The ``(n_products, n_products)`` switching matrix.
    weekly, steps : ndarray
        Weekly factor and event steps, shape ``(n_markets, n_products, periods)``.
    events : DataFrame
        ``market``, ``product``, ``ds``, ``factor``: the event steps as a table.
    """

    dates: pd.DatetimeIndex
    daily: bool
    markets: list[str]
    products: list[str]
    size: np.ndarray
    p: np.ndarray
    q: np.ndarray
    survival: ExponentialMixture
    alpha: np.ndarray
    beta: np.ndarray
    effect: np.ndarray
    amplitude: np.ndarray
    noise: np.ndarray
    switching: np.ndarray
    weekly: np.ndarray
    steps: np.ndarray
    events: pd.DataFrame


def draw_setup(
    n_products: int,
    periods: int,
    freq: str,
    rng: np.random.Generator,
    *,
    n_markets: int,
    start: str | pd.Timestamp,
    market_size: ArrayLike,
    p: ArrayLike | None,
    q: ArrayLike | None,
    retention: Mapping[str, ArrayLike] | ExponentialMixture | None,
    scale_effect: ArrayLike | None,
    seasonality: ArrayLike | None,
    noise: ArrayLike,
    events: Sequence[Mapping[str, object]] | None,
    switching: ArrayLike,
    n_components: int,
) -> MarketSetup:
    """Check the given parameters of ``simulate_market`` and draw the others from ``rng``.

    The arguments are those of :func:`~forecast.datasets.simulate_market`, which documents
    them; ``rng`` draws the omitted ones, always in the same order.

    Returns
    -------
    MarketSetup
        Every parameter, shaped per market and product.

    Raises
    ------
    ConfigError
        Invalid sizes, parameters out of range, unknown products or dates in events, a
        seasonality for data that are not daily.
    """
    k = whole("n_products", n_products, 1)
    n = whole("n_markets", n_markets, 1)
    dates, daily = _dates(start, whole("periods", periods, 1), freq)
    shape = (n, k)
    width = len(str(n - 1))
    markets = [f"m{i:0{width}d}" for i in range(n)]
    products = _product_names(k)
    sizes = (
        np.asarray(market_size, dtype=float).reshape(-1, 1) if np.ndim(market_size) else market_size
    )
    size = _grid("market_size", sizes, shape, low=1.0)[:, 0]
    p_arr = rng.uniform(2e-4, 1e-3, size=shape) if p is None else _grid("p", p, shape)
    q_arr = rng.uniform(0.03, 0.12, size=shape) if q is None else _grid("q", q, shape)
    survival, alpha, beta = _survival(retention, shape, rng, whole("n_components", n_components, 1))
    effect = (
        rng.uniform(0.0, 1.0, size=shape)
        if scale_effect is None
        else _grid("scale_effect", scale_effect, shape)
    )
    amplitude = _amplitude(seasonality, shape, daily, freq, rng)
    weekly = (
        1.0 + amplitude[..., None] * WEEKLY_PROFILE[dates.day_of_week.to_numpy()]
        if daily
        else np.ones(shape + (len(dates),))
    )
    sigma = _grid("noise", noise, shape)
    matrix = _switching_matrix(switching, k)
    steps, event_table = _event_multipliers(events, dates, markets, products)
    return MarketSetup(
        dates=dates,
        daily=daily,
        markets=markets,
        products=products,
        size=size,
        p=p_arr,
        q=q_arr,
        survival=survival,
        alpha=alpha,
        beta=beta,
        effect=effect,
        amplitude=amplitude,
        noise=sigma,
        switching=matrix,
        weekly=weekly,
        steps=steps,
        events=event_table,
    )
