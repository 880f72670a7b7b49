"""The observed frames of :func:`forecast.datasets.simulate_market`, built from its paths.

:func:`observed_series` turns the noisy DAU of every market and product into the long series
frame (split into channels when asked); :func:`retention_frame` observes cohorts by binomial
thinning along their true survival curves. Columns are built as arrays (Arrow strings,
categoricals) so that millions of rows stay fast.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from forecast.datasets._market_setup import MarketSetup
from forecast.errors import ConfigError
from forecast.retention.dynamics import FeedbackPaths
from forecast.retention.survival import ExponentialMixture
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

__all__ = ["observed_series", "retention_frame", "str_column"]


def str_column(names: np.ndarray, codes: np.ndarray) -> pd.Series:
    """Build ``names[codes]`` as a column of pandas' ``str`` dtype (``object`` on pandas 2).

    The column is built in Arrow, which is fast for millions of rows; it has the dtype that
    ``astype(str)`` gives, as the validated frames' name columns.
    """
    import pyarrow as pa

    taken = pa.array(list(names), type=pa.large_string()).take(pa.array(codes.astype(np.int64)))
    text = pd.Series([""]).astype(str).dtype
    if pd.api.types.is_object_dtype(text):
        return pd.Series(taken.to_numpy(zero_copy_only=False), dtype=object)
    return pd.Series(pd.array(taken, dtype=text))


def _labels(names: np.ndarray, codes: np.ndarray) -> pd.Categorical:
    """``names[codes]`` as a categorical column (descriptive columns repeat a few values)."""
    categories, inverse = np.unique(names.astype(str), return_inverse=True)
    return pd.Categorical.from_codes(inverse[codes], categories=pd.Index(categories))


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
            UNIQUE_ID: str_column(names, codes),
            DS: np.tile(dates.values.astype("datetime64[ns]"), len(names)),
            Y: values[order].reshape(-1).astype("float64"),
            ENTITY: _labels(entities, codes),
            METRIC: pd.Categorical.from_codes(constant, categories=pd.Index(["dau"])),
            CHANNEL: _labels(channels, codes),
            QUALIFIER: pd.Categorical.from_codes(constant, categories=pd.Index(["="])),
            SOURCE: pd.Categorical.from_codes(constant, categories=pd.Index([source])),
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
        shares = np.asarray([float(v) for v in channels.values()])
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


def retention_frame(
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
    for index in range(1, len(ages_arr) + 1):
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
            UNIQUE_ID: str_column(labels.reshape(-1), pick(uid_codes)[mask]),
            COHORT: pick(cohort)[mask],
            AGE: pick(age)[mask].astype("int64"),
            RETENTION: pick(fraction)[mask].astype("float64"),
            COHORT_SIZE: pick(size)[mask].astype("float64"),
        }
    )


def observed_series(
    y: np.ndarray,
    labels: np.ndarray,
    setup: MarketSetup,
    channels: Sequence[str] | Mapping[str, float] | None,
    rng: np.random.Generator,
    source: str,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Build the long series frame of the observed DAU, with channels when asked.

    Parameters
    ----------
    y : ndarray
        Observed DAU, shape ``(n_markets, n_products, periods)``.
    labels : ndarray
        ``<market>/<product>`` of each series, shape ``(n_markets, n_products)``.
    setup : MarketSetup
        Names and dates of the simulation.
    channels : sequence of str or mapping, optional
        As for :func:`~forecast.datasets.simulate_market`.
    rng : numpy.random.Generator
        Draws the drifting channel shares.
    source : str
        The ``source`` column.

    Returns
    -------
    (DataFrame, DataFrame or None)
        The series frame and the channel table of :class:`SimulationTruth` (None without
        channels).
    """
    n, k, periods = y.shape
    names = [(labels + "/dau/all").reshape(-1)]
    kinds = [np.full(n * k, "all", dtype=object)]
    values = [y.reshape(n * k, periods)]
    table = None
    if channels is not None:
        channel_names, parts, table = _channel_split(
            y, channels, rng, setup.markets, setup.products
        )
        for index, channel in enumerate(channel_names):
            names.append((labels + f"/dau/{channel}").reshape(-1))
            kinds.append(np.full(n * k, channel, dtype=object))
            values.append(parts[:, :, index, :].reshape(n * k, periods))
    products = np.tile(np.array(setup.products, dtype=object), n)
    markets = np.repeat(np.array(setup.markets, dtype=object), k)
    frame = _series_frame(
        np.concatenate(names),
        np.tile(products, len(names)),
        np.concatenate(kinds),
        np.tile(markets, len(names)),
        np.concatenate(values),
        setup.dates,
        source,
    )
    return frame, table
