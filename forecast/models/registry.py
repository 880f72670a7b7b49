"""The registry of models by name: ``register``, ``get`` and ``available``."""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable
from typing import Any, TypeVar

import pandas as pd

from forecast.errors import ConfigError, UnknownModelError
from forecast.models.base import BaseModel, Capabilities

__all__ = ["register", "get", "available", "resolve"]

_REGISTRY: dict[str, type[BaseModel]] = {}

ModelClass = TypeVar("ModelClass", bound=type[BaseModel])


def register(name: str) -> Callable[[ModelClass], ModelClass]:
    """Class decorator that registers a model under ``name``.

    Parameters
    ----------
    name : str
        Short lower-case registry name (``"bass"``).
    """

    def decorate(cls: ModelClass) -> ModelClass:
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise ConfigError(
                f"model name {name!r} is already registered by {_REGISTRY[name].__name__}."
            )
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return decorate


def unregister(name: str) -> None:
    """Remove ``name`` from the registry (for tests that register a throwaway model)."""
    _REGISTRY.pop(name, None)


def get(name: str, **params: Any) -> BaseModel:
    """Build an unfitted model by registry name.

    Parameters
    ----------
    name : str
        A name listed by :func:`available`.
    **params
        Hyperparameters passed to the model's constructor.

    Returns
    -------
    BaseModel

    Raises
    ------
    UnknownModelError
        ``name`` is not registered; the message lists the names and the closest match.
    ConfigError
        A hyperparameter the model does not take.
    """
    try:
        cls = _REGISTRY[name]
    except (KeyError, TypeError):
        names = sorted(_REGISTRY)
        close = difflib.get_close_matches(str(name), names, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise UnknownModelError(
            f"unknown model {name!r}.{hint} Registered models: {', '.join(names)}."
        ) from None
    try:
        return cls(**params)
    except TypeError as err:
        raise ConfigError(f"model {name!r} does not take these parameters: {err}") from err


def resolve(model: str | BaseModel) -> BaseModel:
    """Return a fresh unfitted model from a registry name or a model instance (cloned)."""
    if isinstance(model, BaseModel):
        return model.clone()
    if isinstance(model, str):
        return get(model)
    raise ConfigError(
        f"a model is a registry name or a model instance, not {type(model).__name__}."
    )


def available() -> pd.DataFrame:
    """One row per registered model and one column per capability.

    Returns
    -------
    DataFrame
        ``name``, ``description``, the fields of :class:`Capabilities`, sorted by name, and
        ``calibrated``: how the model's bands are calibrated by default
        (:func:`~forecast.models._calibration.default_calibration`: ``"off"`` for its own
        bands, ``"conformal"``, ``"scaled"``, ``"auto"``, or ``"auto below N
        observations"``).
    """
    from forecast.models._calibration import default_calibration

    rows = []
    for name in sorted(_REGISTRY):
        cls = _REGISTRY[name]
        doc = (cls.__doc__ or "").strip().splitlines()
        row: dict[str, object] = {"name": name, "description": doc[0] if doc else ""}
        row.update(dataclasses.asdict(cls.capabilities))
        row["calibrated"] = default_calibration(cls())
        rows.append(row)
    fields = [f.name for f in dataclasses.fields(Capabilities)]
    return pd.DataFrame(rows, columns=["name", "description", *fields, "calibrated"])
