r"""Marketing campaigns of the simulated market: on/off windows that multiply acquisition.

A campaign is a covariate known in advance: an indicator :math:`x_{j,t}` (1 while product
``j`` runs a campaign, else 0) multiplying that product's acquisition by a stated
``multiplier`` (:math:`e^{\beta x_{j,t}}` with :math:`\beta = \log` multiplier). The windows
are given or drawn; :func:`campaign_plan` checks the specification and returns the indicator,
and :func:`campaign_frame` the covariates frame of the observed series.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.errors import ConfigError
from forecast.schema import DS, UNIQUE_ID

__all__ = ["CAMPAIGN_KEYS", "CampaignPlan", "campaign_frame", "campaign_plan"]

CAMPAIGN_KEYS = ("multiplier", "windows", "length", "dates", "products", "name")
"""The keys a ``campaign=`` mapping of :func:`~forecast.datasets.simulate_market` may hold."""


@dataclass(frozen=True)
class CampaignPlan:
    """The campaigns of a simulation.

    Attributes
    ----------
    name : str
        The covariate's column name.
    effect : float
        The log of the multiplier of acquisition while a campaign runs.
    on : ndarray
        The indicator, shape ``(n_markets, n_products, periods)``, 0.0 or 1.0.
    windows : DataFrame
        ``market``, ``product``, ``start``, ``end`` (inclusive): one row per window.
    """

    name: str
    effect: float
    on: np.ndarray
    windows: pd.DataFrame

    @property
    def multipliers(self) -> np.ndarray:
        """Return the acquisition multiplier of every market, product and period."""
        return np.exp(self.effect * self.on)


def _fail(message: str) -> ConfigError:
    return ConfigError(f"campaign: {message}")


def _whole(spec: Mapping[str, object], key: str, default: int, minimum: int) -> int:
    value = spec.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise _fail(f"{key!r} must be a whole number >= {minimum}, not {value!r}.")
    return int(value)


def _checked(spec: Mapping[str, object], products: Sequence[str]) -> tuple[str, float, list[str]]:
    unknown = sorted(set(spec) - set(CAMPAIGN_KEYS))
    if unknown:
        raise _fail(f"unknown key(s) {', '.join(map(repr, unknown))}; use {CAMPAIGN_KEYS}.")
    try:
        multiplier = float(spec["multiplier"])  # type: ignore[arg-type]
    except (KeyError, TypeError, ValueError) as err:
        raise _fail(
            "give 'multiplier', the factor on acquisition while a campaign runs, e.g. 2.0."
        ) from err
    if not (np.isfinite(multiplier) and multiplier > 0):
        raise _fail(f"'multiplier' must be a positive number, not {spec['multiplier']!r}.")
    name = spec.get("name", "campaign")
    if not isinstance(name, str) or not name.isidentifier():
        raise _fail(f"'name' must be a column name such as 'campaign', not {name!r}.")
    chosen = spec.get("products", list(products))
    if isinstance(chosen, str) or not isinstance(chosen, Sequence):
        raise _fail(f"'products' must be a list of product names, not {chosen!r}.")
    missing = [p for p in chosen if p not in products]
    if missing:
        raise _fail(f"unknown product(s) {missing!r}; the products are {list(products)!r}.")
    return name, float(np.log(multiplier)), list(chosen)


def _given_windows(dates_spec: object, dates: pd.DatetimeIndex) -> list[tuple[int, int]]:
    if isinstance(dates_spec, (str, bytes)) or not isinstance(dates_spec, Sequence):
        raise _fail(f"'dates' must be a list of (start, end) pairs, not {dates_spec!r}.")
    windows = []
    for pair in dates_spec:
        try:
            start, end = (pd.Timestamp(d) for d in pair)
        except (TypeError, ValueError) as err:
            raise _fail(
                f"window {pair!r} is not a (start, end) pair such as ('2024-03-01', '2024-03-14')."
            ) from err
        if end < start or end < dates[0] or start > dates[-1]:
            raise _fail(
                f"window {pair!r} is empty or outside the simulated dates "
                f"{dates[0]:%Y-%m-%d} to {dates[-1]:%Y-%m-%d}."
            )
        first = int(dates.searchsorted(start, side="left"))
        last = int(dates.searchsorted(end, side="right")) - 1
        windows.append((first, last))
    return windows


def campaign_plan(
    spec: Mapping[str, object] | None,
    dates: pd.DatetimeIndex,
    markets: Sequence[str],
    products: Sequence[str],
    rng: np.random.Generator,
    *,
    daily: bool,
) -> CampaignPlan | None:
    """Check a ``campaign=`` mapping and lay its windows out (None without campaigns).

    ``dates`` (a list of ``(start, end)`` pairs, inclusive) gives the same windows to every
    chosen product in every market; otherwise ``windows`` windows (default 3) of ``length``
    periods (default 14 for daily data, 2 otherwise) start at periods drawn uniformly from the
    second tenth of the simulation to its end, for each chosen product and market.

    Raises
    ------
    ConfigError
        An unknown key, a multiplier that is not a positive number, unknown products, windows
        that are not date pairs within the simulation, or counts that are not whole numbers.
    """
    if spec is None:
        return None
    if not isinstance(spec, Mapping):
        raise _fail(f"give a mapping such as {{'multiplier': 2.0}}, not {spec!r}.")
    name, effect, chosen = _checked(spec, products)
    periods = len(dates)
    length = _whole(spec, "length", 14 if daily else 2, 1)
    count = _whole(spec, "windows", 3, 1)
    given = _given_windows(spec["dates"], dates) if "dates" in spec else None
    on = np.zeros((len(markets), len(products), periods))
    rows = []
    low = max(periods // 10, 1)
    for i, market in enumerate(markets):
        for product in chosen:
            j = list(products).index(product)
            if given is not None:
                windows = given
            else:
                starts = np.sort(rng.integers(low, max(periods - 1, low + 1), size=count))
                windows = [(int(s), min(int(s) + length, periods) - 1) for s in starts]
            for first, last in windows:
                on[i, j, first : last + 1] = 1.0
                rows.append((market, product, dates[first], dates[last]))
    table = pd.DataFrame(rows, columns=["market", "product", "start", "end"])
    return CampaignPlan(name=name, effect=effect, on=on, windows=table)


def campaign_frame(
    plan: CampaignPlan, series: pd.DataFrame, labels: np.ndarray, dates: pd.DatetimeIndex
) -> pd.DataFrame:
    """Return the covariates frame: ``unique_id``, ``ds`` and the indicator of each series.

    Every observed series (the total and each channel of a product) gets its product's
    indicator at every simulated date.
    """
    index = {label: divmod(k, labels.shape[1]) for k, label in enumerate(labels.reshape(-1))}
    parts = []
    for uid in sorted(series[UNIQUE_ID].unique()):
        market, product = str(uid).split("/")[:2]
        i, j = index[f"{market}/{product}"]
        parts.append(
            pd.DataFrame({UNIQUE_ID: uid, DS: dates, plan.name: plan.on[i, j].astype(float)})
        )
    return pd.concat(parts, ignore_index=True)
