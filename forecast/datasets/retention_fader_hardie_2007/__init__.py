"""``retention-fader-hardie-2007``: the survival table of Fader and Hardie (2007), Table 1."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.datasets._dataset import Dataset, read_datasheet, read_table
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
    validate_retention,
    validate_series,
)

__all__ = ["load", "COHORT_START", "COHORT_SIZE_PAPER"]

COHORT_START = pd.Timestamp("2000-01-01")
"""Nominal start of both cohorts: the paper gives ages in years, not calendar dates."""

COHORT_SIZE_PAPER = 1000
"""Customers at the start of each cohort in the paper's Table 1."""

SOURCE_TEXT = (
    "Fader, P. S. and Hardie, B. G. S. (2007), How to Project Customer Retention, "
    "Journal of Interactive Marketing 21(1), Table 1"
)


def load() -> Dataset:
    """Load ``retention-fader-hardie-2007``.

    Returns
    -------
    Dataset
        ``retention``: ``unique_id`` ``regular`` and ``high_end``, cohort 2000-01-01 (nominal),
        ``age`` 0-12 years, ``retention`` the fraction still customers, ``cohort_size`` 1000;
        ``series``: the same table as counts of customers alive (``regular/customers/all``,
        ``high_end/customers/all``), dated the cohort start plus ``age`` years.

    Examples
    --------
    >>> from forecast.datasets import load
    >>> load("retention-fader-hardie-2007").retention.head(3)["retention"].tolist()
    [1.0, 0.869, 0.743]
    """
    raw = read_table(__name__, "sbg_fader_hardie_2007.csv")
    frames, counts = [], []
    for segment, column in (("regular", "regular_pct_alive"), ("high_end", "high_end_pct_alive")):
        alive = np.round(raw[column].astype(float) * COHORT_SIZE_PAPER / 100.0)
        frames.append(
            pd.DataFrame(
                {
                    UNIQUE_ID: segment,
                    COHORT: COHORT_START,
                    AGE: raw["year"].astype("int64"),
                    RETENTION: alive / COHORT_SIZE_PAPER,
                    COHORT_SIZE: float(COHORT_SIZE_PAPER),
                    SOURCE: SOURCE_TEXT,
                }
            )
        )
        counts.append(
            pd.DataFrame(
                {
                    UNIQUE_ID: f"{segment}/customers/all",
                    DS: [COHORT_START + pd.DateOffset(years=int(t)) for t in raw["year"]],
                    Y: alive,
                    ENTITY: segment,
                    METRIC: "customers",
                    CHANNEL: "all",
                    QUALIFIER: "=",
                    SOURCE: SOURCE_TEXT,
                    "unit": "customers alive (of 1000 at the start)",
                    "period": "year " + raw["year"].astype(str),
                }
            )
        )
    return Dataset(
        series=validate_series(pd.concat(counts, ignore_index=True)),
        retention=validate_retention(pd.concat(frames, ignore_index=True)),
        info=read_datasheet(__name__),
    )
