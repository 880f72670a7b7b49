"""Models: one protocol, a registry by name, and the registered models.

Importing this package imports each model module once, which fills the registry. Heavy
libraries (Prophet) are imported inside the model's ``fit``.
"""

from __future__ import annotations

import os

from forecast.models import (
    arima,  # noqa: F401  (registers arima)
    auto,  # noqa: F401  (registers auto)
    bass,  # noqa: F401  (registers bass)
    ces,  # noqa: F401  (registers ces)
    ensemble,  # noqa: F401  (registers ensemble)
    ets,  # noqa: F401  (registers ets)
    feedback,  # noqa: F401  (registers retention_feedback)
    growth,  # noqa: F401  (registers logistic, gompertz)
    naive,  # noqa: F401  (registers naive, seasonal_naive, drift, mean)
    prophet,  # noqa: F401  (registers prophet)
    theta,  # noqa: F401  (registers theta)
    theta_dynamic,  # noqa: F401  (registers dotm)
)
from forecast.models.base import BaseModel, Capabilities
from forecast.models.registry import available, get, register, resolve

__all__ = ["BaseModel", "Capabilities", "available", "get", "load", "register", "resolve"]


def load(path: str | os.PathLike[str]) -> BaseModel:
    """Load a model saved with ``model.save(path)``; see :func:`forecast.persistence.load_model`.

    Raises
    ------
    ModelFileError
        The file is missing, damaged, edited or of another format version.
    """
    from forecast.persistence import load_model

    return load_model(path)
