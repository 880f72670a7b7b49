"""``ai-assistants-cn``: every published figure on Chinese AI chat assistants, in two tables.

The two tables ship unchanged beside this loader (``seed_facts.csv``, ``public_figures.csv``);
:func:`load` turns them into one series frame by the rules in ``DATASHEET.md``.
"""

from __future__ import annotations

import pandas as pd

from forecast.datasets._dataset import Dataset, read_datasheet, read_table
from forecast.datasets._periods import period_start
from forecast.schema import (
    AGE,
    CHANNEL,
    COHORT,
    DS,
    ENTITY,
    METRIC,
    QUALIFIER,
    RETENTION,
    SOURCE,
    UNIQUE_ID,
    Y,
    validate_retention,
    validate_series,
)

__all__ = ["load", "ARTICLE"]

ARTICLE = (
    "AI New Intelligence, March 2024 "
    "('After Kimi Became Popular, Other Major Models in China Feel the Pressure')"
)
"""The article the seed facts come from."""

_EXTRA = ["unit", "period", "note", "table"]


def _seed_rows() -> pd.DataFrame:
    raw = read_table(__name__, "seed_facts.csv", dtype=str)
    period = [
        ds[:7] if code == "M" else ds for ds, code in zip(raw["ds"], raw["period"], strict=True)
    ]
    return pd.DataFrame(
        {
            ENTITY: raw["entity"],
            METRIC: raw["metric"],
            CHANNEL: raw["channel"],
            DS: pd.to_datetime(raw["ds"]),
            Y: raw["value"].astype(float),
            QUALIFIER: raw["qualifier"],
            SOURCE: [f"{ARTICLE}: {note}" for note in raw["note"]],
            "unit": raw["unit"],
            "period": period,
            "note": raw["note"],
            "table": "seed_facts",
        }
    )


def _public_rows() -> pd.DataFrame:
    raw = read_table(__name__, "public_figures.csv", dtype=str)
    channel = ["app" if metric.endswith("_app") else "all" for metric in raw["metric"]]
    return pd.DataFrame(
        {
            ENTITY: raw["entity"],
            METRIC: raw["metric"],
            CHANNEL: channel,
            DS: [period_start(label) for label in raw["period_or_date"]],
            Y: raw["value"].astype(float),
            QUALIFIER: raw["qualifier"],
            SOURCE: raw["source_url"],
            "unit": raw["unit"],
            "period": raw["period_or_date"],
            "note": raw["note"],
            "table": "public_figures",
        }
    )


def _name_series(frame: pd.DataFrame) -> pd.Series:
    """Name each figure ``entity/metric/channel``.

    The k-th figure (k >= 2) for the same key and date gets ``/alt<k-1>``.
    """
    base = frame[ENTITY] + "/" + frame[METRIC] + "/" + frame[CHANNEL]
    rank = frame.assign(_base=base).groupby(["_base", DS], sort=False).cumcount()
    suffix = rank.map(lambda k: f"/alt{k}" if k else "")
    return base + suffix


def load() -> Dataset:
    """Load ``ai-assistants-cn``.

    Returns
    -------
    Dataset
        ``series``: one row per figure of both tables (seed facts first), ``unique_id`` like
        ``kimi/dau/all``, with ``entity``, ``metric``, ``channel``, ``qualifier``, ``source``,
        ``unit``, ``period`` (as published), ``note`` and ``table`` (which fact table);
        ``retention``: Kimi's monthly retention rates as cohort ``month``, age 1.

    Examples
    --------
    >>> from forecast.datasets import load
    >>> data = load("ai-assistants-cn")
    >>> kimi = data.series.query("unique_id == 'kimi/dau/all'")
    >>> kimi[["y", "qualifier"]].values.tolist()
    [[100000.0, '~'], [3000000.0, '>='], [1200000.0, '>='], [2250000.0, '>=']]
    """
    frame = pd.concat([_seed_rows(), _public_rows()], ignore_index=True)
    frame.insert(0, UNIQUE_ID, _name_series(frame))
    series = validate_series(frame)
    rates = frame[(frame[METRIC] == "retention") & (frame["table"] == "seed_facts")]
    retention = validate_retention(
        pd.DataFrame(
            {
                UNIQUE_ID: rates[ENTITY],
                COHORT: rates[DS],
                AGE: 1,
                RETENTION: rates[Y],
                SOURCE: rates[SOURCE],
            }
        )
    )
    return Dataset(series=series, retention=retention, info=read_datasheet(__name__))
