"""Models: one protocol, a registry by name, and the registered models.

Importing this package imports each model module once, which fills the registry. Heavy
libraries (Prophet) are imported inside the model's ``fit``.
"""

from __future__ import annotations

from forecast.models import naive  # noqa: F401  (registers naive, seasonal_naive, drift, mean)
from forecast.models import ets  # noqa: F401  (registers ets)
from forecast.models import arima  # noqa: F401  (registers arima)
from forecast.models import theta  # noqa: F401  (registers theta)
from forecast.models import prophet  # noqa: F401  (registers prophet)
from forecast.models import bass  # noqa: F401  (registers bass)
from forecast.models import growth  # noqa: F401  (registers logistic, gompertz)
from forecast.models import feedback  # noqa: F401  (registers retention_feedback)
from forecast.models import auto  # noqa: F401  (registers auto)
from forecast.models import ensemble  # noqa: F401  (registers ensemble)
from forecast.models.base import BaseModel, Capabilities
from forecast.models.registry import available, get, register, resolve

__all__ = ["BaseModel", "Capabilities", "available", "get", "register", "resolve"]
