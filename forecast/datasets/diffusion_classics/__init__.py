"""``diffusion-classics``: yearly sales of three durables used in studies of the Bass model."""

from __future__ import annotations

import pandas as pd

from forecast.datasets._dataset import Dataset, read_datasheet, read_table
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

__all__ = ["load"]

SOURCE_TEXT = (
    "yearly sales as used in Bass (1969), compiled in a public repository on fitting diffusion "
    "models"
)


def load() -> Dataset:
    """Load ``diffusion-classics``.

    Returns
    -------
    Dataset
        ``series``: ``room_air_conditioners/sales/all`` (1949-1961),
        ``color_televisions/sales/all`` (1963-1970) and ``clothes_dryers/sales/all``
        (1949-1961), dated 1 January of each year; ``retention`` is None. The published
        estimates of ``p`` and ``q`` are in the datasheet (``info.sections``).

    Examples
    --------
    >>> from forecast.datasets import load
    >>> load("diffusion-classics").series["unique_id"].nunique()
    3
    """
    raw = read_table(__name__, "bass_classic_sales.csv")
    frame = pd.DataFrame(
        {
            UNIQUE_ID: raw["product"] + "/sales/all",
            DS: pd.to_datetime(raw["year"].astype(str) + "-01-01"),
            Y: raw["sales"].astype(float),
            ENTITY: raw["product"],
            METRIC: "sales",
            CHANNEL: "all",
            QUALIFIER: "=",
            SOURCE: SOURCE_TEXT,
            "unit": "units (thousands in the literature)",
            "period": raw["year"].astype(str),
        }
    )
    return Dataset(series=validate_series(frame), retention=None, info=read_datasheet(__name__))
