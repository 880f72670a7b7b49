r"""A seeded simulator of products competing for one market, with known true parameters.

:func:`simulate_market` runs the retention-driven feedback model of
:mod:`forecast.retention.dynamics` for ``n_markets`` independent markets of ``n_products``
products each, then observes it: weekly seasonality, multiplicative noise, channels, and
cohort retention counts. Everything it draws comes from ``seed``, so the same seed gives the
same frames.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from forecast.datasets._dataset import Dataset, DatasetInfo
from forecast.datasets._market_campaign import CampaignPlan, campaign_frame, campaign_plan
from forecast.datasets._market_frames import observed_series, retention_frame, str_column
from forecast.datasets._market_setup import (
    WEEKLY_PROFILE,
    MarketSetup,
    draw_setup,
    retention_plan,
)
from forecast.retention.dynamics import ExponentialMixture, FeedbackPaths, simulate_competition
from forecast.schema import DS, UNIQUE_ID

__all__ = ["SimulationTruth", "simulate_market", "WEEKLY_PROFILE"]

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
    campaigns : DataFrame or None
        ``market``, ``product``, ``start``, ``end`` (inclusive) of every campaign window, and
        ``effect``, the true log-multiplier of acquisition while it runs; None without
        ``campaign=``.
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
    campaigns: pd.DataFrame | None = None

    def paths_frame(self) -> pd.DataFrame:
        """Return the noise-free paths in long format.

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
                UNIQUE_ID: str_column(names, np.repeat(order, periods)),
                DS: np.tile(self.dates.values.astype("datetime64[ns]"), len(names)),
                **{name: values[name] for name in ("dau", "dau_mean", *_PATH_NAMES[1:])},
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
    campaign: Mapping[str, object] | None = None,
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
    :math:`\epsilon_{j,t}` the product of the event factors in force and of the campaign
    multiplier :math:`e^{\beta x_{j,t}}` (``campaign=``), :math:`\ell` churn and
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
    campaign : mapping, optional
        Marketing campaigns, a covariate known in advance: ``{"multiplier": 2.0}`` multiplies
        acquisition by 2 while a product runs a campaign (the covariate ``x`` is 1, else 0, so
        the true effect is :math:`\beta = \log 2` per unit). Optional keys: ``"windows"``
        (campaigns drawn per product and market, default 3) of ``"length"`` periods (default
        14 for daily data, 2 otherwise), starting at periods drawn uniformly after the first
        tenth of the simulation; or ``"dates"``, a list of ``(start, end)`` pairs (inclusive)
        for every product; ``"products"`` (default all) and ``"name"`` (the column, default
        ``"campaign"``).

    Returns
    -------
    Dataset
        ``series``: observed DAU, ``unique_id`` ``<market>/<product>/dau/all`` and, with
        channels, ``<market>/<product>/dau/<channel>``; ``entity`` is the product, ``market``
        the market. ``retention``: ``unique_id`` ``<market>/<product>``, ``cohort``, ``age``,
        ``retention``, ``cohort_size`` (cohorts of fewer than one user are not observed).
        ``truth``: a :class:`SimulationTruth`. ``info``: a datasheet naming the call.
        ``covariates`` (with ``campaign=``): ``unique_id`` of every series, ``ds`` and the
        campaign indicator, at every simulated date.

    Raises
    ------
    ConfigError
        Invalid sizes, parameters out of range, unknown products or dates in events, a
        seasonality for data that are not daily, a campaign that is not as described.

    Examples
    --------
    >>> from forecast.datasets import simulate_market
    >>> data = simulate_market(n_products=2, periods=60, seed=1, channels=("web", "app"))
    >>> sorted(data.series["unique_id"].unique())[:3]
    ['m0/product_a/dau/all', 'm0/product_a/dau/app', 'm0/product_a/dau/web']
    >>> data.truth.params[["product", "p", "q"]].round(4).shape
    (2, 3)
    """
    draws = np.random.SeedSequence(seed).spawn(5)
    params_rng, noise_rng, retention_rng, channel_rng, campaign_rng = (
        np.random.default_rng(s) for s in draws
    )
    setup = draw_setup(
        n_products,
        periods,
        freq,
        params_rng,
        n_markets=n_markets,
        start=start,
        market_size=market_size,
        p=p,
        q=q,
        retention=retention,
        scale_effect=scale_effect,
        seasonality=seasonality,
        noise=noise,
        events=events,
        switching=switching,
        n_components=n_components,
    )
    ages, every = retention_plan(retention_ages, cohort_every, setup.daily)
    plan = campaign_plan(
        campaign, setup.dates, setup.markets, setup.products, campaign_rng, daily=setup.daily
    )
    paths, y = _simulate(setup, noise_rng, plan)
    labels = np.array(
        [[f"{mk}/{pr}" for pr in setup.products] for mk in setup.markets], dtype=object
    )
    n, k, periods = y.shape
    source = (
        f"simulated: forecast.datasets.simulate_market(n_products={k}, periods={periods}, "
        f"freq={freq!r}, seed={seed}, n_markets={n})"
    )
    series, channel_table = observed_series(y, labels, setup, channels, channel_rng, source)
    cohorts = (
        retention_frame(paths, setup.survival, ages, every, setup.dates, retention_rng, labels)
        if ages
        else None
    )
    return Dataset(
        series=series,
        retention=None if cohorts is None or cohorts.empty else cohorts,
        info=_info(n, k, periods, freq, source),
        truth=_truth(setup, paths, channel_table, plan),
        covariates=None if plan is None else campaign_frame(plan, series, labels, setup.dates),
    )


def _simulate(
    setup: MarketSetup, rng: np.random.Generator, plan: CampaignPlan | None
) -> tuple[FeedbackPaths, np.ndarray]:
    """Run the feedback model and observe its DAU with multiplicative log-normal noise."""
    multipliers = setup.weekly * setup.steps
    if plan is not None:
        multipliers = multipliers * plan.multipliers
    paths = simulate_competition(
        setup.p,
        setup.q,
        setup.size,
        setup.survival,
        len(setup.dates),
        switching=setup.switching if setup.switching.any() else None,
        multipliers=multipliers,
        scale_effect=setup.effect,
    )
    mean = paths.dau * setup.weekly
    sigma = setup.noise[..., None]
    return paths, mean * np.exp(sigma * rng.standard_normal(mean.shape) - sigma**2 / 2)


def _truth(
    setup: MarketSetup,
    paths: FeedbackPaths,
    channel_table: pd.DataFrame | None,
    plan: CampaignPlan | None,
) -> SimulationTruth:
    """Collect what the simulation used and computed before observing."""
    n, k = len(setup.markets), len(setup.products)
    totals = np.array(
        [f"{mk}/{pr}/dau/all" for mk in setup.markets for pr in setup.products], dtype=object
    )
    params = pd.DataFrame(
        {
            "market": np.repeat(setup.markets, k),
            "product": np.tile(setup.products, n),
            UNIQUE_ID: totals,
            "m": np.repeat(setup.size, k),
            "p": setup.p.reshape(-1),
            "q": setup.q.reshape(-1),
            "alpha": setup.alpha.reshape(-1),
            "beta": setup.beta.reshape(-1),
            "scale_effect": setup.effect.reshape(-1),
            "seasonality": setup.amplitude.reshape(-1),
            "noise": setup.noise.reshape(-1),
        }
    )
    products = setup.products
    return SimulationTruth(
        params=params,
        survival=setup.survival,
        switching=pd.DataFrame(
            setup.switching,
            index=pd.Index(products, name="from"),
            columns=pd.Index(products, name="to"),
        ),
        events=setup.events,
        channels=channel_table,
        paths=paths,
        weekly=setup.weekly,
        unique_ids=totals.reshape(n, k).astype(str),
        dates=setup.dates,
        campaigns=None if plan is None else plan.windows.assign(effect=plan.effect),
    )


def _info(n: int, k: int, periods: int, freq: str, source: str) -> DatasetInfo:
    """Write the datasheet of a simulated market."""
    return DatasetInfo(
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
            "the sBG curve of truth.params exactly for ages below 2 * n_components and closely "
            "beyond.",
            "Cohorts of fewer than one user are not observed.",
        ),
    )
