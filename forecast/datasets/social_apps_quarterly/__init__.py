"""``social-apps-quarterly``: Twitter mDAU and Spotify MAU and premium subscribers, by quarter."""

from __future__ import annotations

import pandas as pd

from forecast.datasets._dataset import Dataset, read_datasheet, read_table
from forecast.datasets._periods import period_start
from forecast.schema import (
    CHANNEL,
    DS,
    ENTITY,
    METRIC,
    QUALIFIER,
    SOURCE,
    UNIQUE_ID,
    Y,
    validate_series,
)

__all__ = ["load", "TWITTER_SOURCE", "SPOTIFY_SOURCE"]

TWITTER_SOURCE = (
    "Twitter quarterly earnings releases, as collected in the public chart repository {}"
)
SPOTIFY_SOURCE = "Spotify quarterly reports, as compiled by Business of Apps"


def _rows(
    entity: str,
    metric: str,
    channel: str,
    quarters: pd.Series,
    values: pd.Series,
    source: list[str] | str,
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            UNIQUE_ID: f"{entity}/{metric}/{channel}",
            DS: [period_start(q) for q in quarters],
            Y: values.astype(float),
            ENTITY: entity,
            METRIC: metric,
            CHANNEL: channel,
            QUALIFIER: "=",
            SOURCE: source,
            "unit": "millions of users",
            "period": quarters,
        }
    )


def load() -> Dataset:
    """Load ``social-apps-quarterly``.

    Returns
    -------
    Dataset
        ``series``: ``twitter/mdau/all`` (2017Q1-2022Q2), ``spotify/mau/all`` and
        ``spotify/subscribers/premium`` (2015Q1-2020Q4), in millions, dated the first day of
        each quarter (the quarter as published in ``period``); ``retention`` is None.

    Examples
    --------
    >>> from forecast.datasets import load
    >>> load("social-apps-quarterly").series.groupby("unique_id").size().to_dict()
    {'spotify/mau/all': 24, 'spotify/subscribers/premium': 24, 'twitter/mdau/all': 22}
    """
    twitter = read_table(__name__, "twitter_mdau_quarterly.csv", dtype={"quarter": str})
    spotify = read_table(__name__, "spotify_mau_quarterly.csv", dtype={"quarter": str})
    parts: list[pd.DataFrame] = [
        _rows(
            "twitter",
            "mdau",
            "all",
            twitter["quarter"],
            twitter["mdau_millions"],
            [TWITTER_SOURCE.format(s) for s in twitter["source"]],
        ),
        _rows("spotify", "mau", "all", spotify["quarter"], spotify["mau_millions"], SPOTIFY_SOURCE),
        _rows(
            "spotify",
            "subscribers",
            "premium",
            spotify["quarter"],
            spotify["premium_subscribers_millions"],
            SPOTIFY_SOURCE,
        ),
    ]
    frame = pd.concat(parts, ignore_index=True)
    return Dataset(series=validate_series(frame), retention=None, info=read_datasheet(__name__))
