"""Bundled datasets with their datasheets, and a seeded simulator of competing products.

Each dataset lives in its own folder beside its loader, with its data files and a
``DATASHEET.md`` (source, units, licence, caveats), as in statsmodels' datasets.

>>> import forecast as fc
>>> fc.datasets.list_datasets()["name"].tolist()
['ai-assistants-cn', 'diffusion-classics', 'retention-fader-hardie-2007', 'social-apps-quarterly']
"""

from __future__ import annotations

import difflib
import importlib

import pandas as pd

from forecast.datasets._dataset import Dataset, DatasetInfo
from forecast.datasets.simulate import SimulationTruth, simulate_market
from forecast.errors import ConfigError
from forecast.schema import UNIQUE_ID

__all__ = ["Dataset", "DatasetInfo", "SimulationTruth", "list_datasets", "load", "simulate_market"]

_PACKAGES = {
    "ai-assistants-cn": "ai_assistants_cn",
    "diffusion-classics": "diffusion_classics",
    "retention-fader-hardie-2007": "retention_fader_hardie_2007",
    "social-apps-quarterly": "social_apps_quarterly",
}


def load(name: str) -> Dataset:
    """Load a bundled dataset by name.

    Parameters
    ----------
    name : str
        One of the names :func:`list_datasets` returns, e.g. ``"ai-assistants-cn"``.

    Returns
    -------
    Dataset
        ``.series`` (a valid series frame), ``.retention`` (a valid retention frame or None) and
        ``.info`` (the datasheet).

    Raises
    ------
    ConfigError
        An unknown name; the message lists the names and the closest one.

    Examples
    --------
    >>> from forecast.datasets import load
    >>> data = load("social-apps-quarterly")
    >>> data.series["unique_id"].unique().tolist()
    ['spotify/mau/all', 'spotify/subscribers/premium', 'twitter/mdau/all']
    >>> data.info.units.split(" (")[0]
    'Millions of users'
    """
    if name not in _PACKAGES:
        close = difflib.get_close_matches(str(name), list(_PACKAGES), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigError(
            f"unknown dataset {name!r}; the bundled datasets are "
            f"{', '.join(map(repr, _PACKAGES))}.{hint} Run `forecast datasets list` to see them."
        )
    module = importlib.import_module(f"forecast.datasets.{_PACKAGES[name]}")
    return module.load()


def _summary(text: str) -> str:
    return " ".join(text.split("\n\n", 1)[0].split())


def list_datasets() -> pd.DataFrame:
    """List the bundled datasets, one row each.

    Returns
    -------
    DataFrame
        Columns ``name``, ``description`` (the datasheet's title), ``series`` (number of series)
        and ``source`` (the first paragraph of the datasheet's source), sorted by name.
    """
    rows = []
    for name in sorted(_PACKAGES):
        dataset = load(name)
        rows.append(
            {
                "name": name,
                "description": dataset.info.title,
                "series": dataset.series[UNIQUE_ID].nunique(),
                "source": _summary(dataset.info.source),
            }
        )
    return pd.DataFrame(rows, columns=["name", "description", "series", "source"])
