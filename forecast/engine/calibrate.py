"""``calibrate=`` of a call: one rule for every entry point that takes models.

:func:`forecast.forecast`, :func:`forecast.backtest`, :func:`forecast.shares`,
:func:`forecast.backtest_shares`, the batch runner and the ``--calibrate`` flags of the command
line all take a ``calibrate`` for the whole call and apply it to each model with
:func:`with_calibrate`: a model named by a string gets it; a model instance gets it unless its
``calibrate`` differs from its constructor's default (the caller set it, so it wins). The
calibration itself is the model's (:mod:`forecast.models._calibration`).
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Literal, TypeVar

from forecast.errors import ConfigError
from forecast.models._calibration import CALIBRATE_CHOICES, check_model_calibrate
from forecast.models.base import BaseModel
from forecast.models.registry import get, resolve

__all__ = ["CallCalibrate", "check_calibrate", "with_calibrate", "calibrate_models"]

CallCalibrate = bool | Literal["conformal", "scaled", "auto", "off"] | None
"""What ``calibrate=`` of a call accepts: None (leave every model as given), True or
``"conformal"`` (calibrate), ``"scaled"`` (rescale each model's own bands), ``"auto"`` (per
series, whichever of the two scores better in its inner windows), False or ``"off"`` (do
not)."""

Spec = TypeVar("Spec")


def check_calibrate(value: object) -> CallCalibrate:
    """Return ``value`` when it is a valid ``calibrate=`` of a call.

    Parameters
    ----------
    value : object
        What the caller passed.

    Returns
    -------
    bool, str or None
        ``value`` unchanged.

    Raises
    ------
    ConfigError
        ``value`` is not one of None, True, False, ``"conformal"``, ``"scaled"``, ``"auto"``,
        ``"off"``.
    """
    if not any(value is c or (isinstance(value, str) and value == c) for c in CALIBRATE_CHOICES):
        raise ConfigError(
            "calibrate must be one of None, True, False, 'conformal', 'scaled', 'auto' or 'off', "
            f"not {value!r}."
        )
    return value  # type: ignore[return-value]


def _default(model: BaseModel) -> object:
    parameter = inspect.signature(type(model)).parameters.get("calibrate")
    return None if parameter is None else parameter.default


def with_calibrate(model: str | BaseModel, calibrate: CallCalibrate) -> BaseModel:
    """Return a fresh unfitted ``model`` calibrated as the call says, unless it says otherwise.

    Parameters
    ----------
    model : str or BaseModel
        A registry name, or an instance (cloned, never modified).
    calibrate : {None, True, False, "conformal", "scaled", "auto", "off"}
        The call's ``calibrate``. None leaves the model as given.

    Returns
    -------
    BaseModel
        A registry name is built with ``calibrate``; an instance whose ``calibrate`` is its
        constructor's default (None for most models, True for ``ensemble``) gets
        ``calibrate``; an instance that sets another value keeps it.

    Raises
    ------
    ConfigError
        A bad ``calibrate`` or model, or ``"scaled"`` or ``"auto"`` for a model without
        intervals of its own.
    UnknownModelError
        A name that is not registered.

    Examples
    --------
    >>> import forecast as fc
    >>> with_calibrate("ets", True).calibrate
    True
    >>> with_calibrate(fc.models.get("ets", calibrate=False), True).calibrate
    False
    """
    check_calibrate(calibrate)
    fresh = resolve(model)
    if calibrate is None:
        return fresh
    if isinstance(model, str):
        return get(model, calibrate=calibrate)
    if fresh.calibrate is _default(fresh):
        check_model_calibrate(fresh, calibrate)
        fresh.calibrate = calibrate
    return fresh


def calibrate_models(models: Spec, calibrate: CallCalibrate) -> Spec:
    """Apply the call's ``calibrate`` to every model of a ``models=`` argument.

    Parameters
    ----------
    models : str, BaseModel, sequence or mapping
        A :data:`forecast.engine.specs.ModelSpec`, or a share call's models (one per product).
    calibrate : {None, True, False, "conformal", "scaled", "auto", "off"}
        The call's ``calibrate``; None returns ``models`` unchanged.

    Returns
    -------
    same shape as ``models``
        Each model replaced by :func:`with_calibrate` of it; anything that is not a registry
        name or a model instance (the competition model) is left for the caller to refuse.

    Raises
    ------
    ConfigError
        A bad ``calibrate``.
    """
    check_calibrate(calibrate)
    if calibrate is None:
        return models

    def one(model: object) -> object:
        return with_calibrate(model, calibrate) if isinstance(model, (str, BaseModel)) else model

    if isinstance(models, (str, BaseModel)):
        return one(models)  # type: ignore[return-value]
    if isinstance(models, Mapping):
        return {key: one(value) for key, value in models.items()}  # type: ignore[return-value]
    if isinstance(models, Sequence):
        return [one(model) for model in models]  # type: ignore[return-value]
    return models
