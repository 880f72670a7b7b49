"""forecast: user growth, retention and market share of competing consumer apps.

The names a notebook user types are here; heavy parts are imported on first use, so
``import forecast`` stays fast.

>>> import forecast as fc
>>> fc.validate  # doctest: +ELLIPSIS
<function validate at ...>
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from forecast import models
from forecast.errors import (
    CapabilityError,
    ConfigError,
    CovariateError,
    DataError,
    DomainError,
    DuplicateError,
    FitError,
    ForecastError,
    ForecastWarning,
    HistoryError,
    MissingValueError,
    ModelError,
    ModelFileError,
    NotFittedError,
    SchemaError,
    UnknownModelError,
)
from forecast.schema import validate

try:
    __version__ = version("forecast")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"

_LAZY_MODULES = ("datasets", "retention", "batch", "persistence", "holidays")
# Public function -> module that defines it, imported on first access.
_LAZY_FUNCTIONS = {
    "backtest": "forecast.evaluation.backtest",
    "make_cutoffs": "forecast.evaluation.backtest",
    "reconcile": "forecast.market.reconcile",
    "save_models": "forecast.persistence.folder",
    "forecast": "forecast.forecasting",
    "evaluate": "forecast.evaluation.metrics",
    "fill_gaps": "forecast.gaps",
    "load_models": "forecast.persistence.folder",
    "rank_models": "forecast.evaluation.ranking",
    "read": "forecast.io",
    "report": "forecast.reporting.page",
    "plot": "forecast.plotting",
    "plot_backtest": "forecast.evaluation.plots",
    "plot_scenario": "forecast.plotting.scenario",
    "scenario": "forecast.retention.scenarios",
    "shares": "forecast.market.shares",
    "validate_covariates": "forecast.schema.covariates",
}

__all__ = [
    "__version__",
    "CapabilityError",
    "ConfigError",
    "CovariateError",
    "DataError",
    "DomainError",
    "DuplicateError",
    "FitError",
    "ForecastError",
    "ForecastWarning",
    "HistoryError",
    "MissingValueError",
    "ModelError",
    "ModelFileError",
    "NotFittedError",
    "SchemaError",
    "UnknownModelError",
    "models",
    "validate",
    *_LAZY_MODULES,
    *sorted(_LAZY_FUNCTIONS),
]


def __getattr__(name: str) -> Any:
    if name in _LAZY_MODULES:
        value = importlib.import_module(f"forecast.{name}")
    elif name in _LAZY_FUNCTIONS:
        value = getattr(importlib.import_module(_LAZY_FUNCTIONS[name]), name)
    else:
        raise AttributeError(f"module 'forecast' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_MODULES) | set(_LAZY_FUNCTIONS))
