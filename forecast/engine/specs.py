"""What a ``models=`` argument is, and the one rule that labels the models it names.

Every entry point that takes models (:func:`forecast.forecast`, :func:`forecast.backtest`,
share forecasts, the auto and ensemble models' members, the CLI) accepts a :data:`ModelSpec`
and turns it into ``{label: unfitted model}`` with :func:`label_models`, so the same argument
gives the same labels everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from forecast.errors import ConfigError
from forecast.models.base import BaseModel
from forecast.models.registry import resolve

__all__ = ["ModelSpec", "label_models"]

ModelSpec = str | BaseModel | Sequence[str | BaseModel] | Mapping[str, str | BaseModel]
"""What ``models=`` accepts: a name, an instance, a list of them, or a dict ``{label: model}``."""

_EMPTY = "models is empty; give at least one model name such as 'naive'."


def _hyperparameters(model: BaseModel) -> dict[str, str]:
    return {
        k: repr(v) for k, v in vars(model).items() if not k.endswith("_") and not k.startswith("_")
    }


def _label_mapping(models: Mapping[Any, Any]) -> dict[str, BaseModel]:
    labelled: dict[str, BaseModel] = {}
    for label, model in models.items():
        if not isinstance(label, str) or not label:
            raise ConfigError(f"model labels must be non-empty strings, not {label!r}.")
        labelled[label] = resolve(model)
    if not labelled:
        raise ConfigError(_EMPTY)
    return labelled


def _items(models: object) -> list[Any]:
    if isinstance(models, (str, BaseModel)):
        return [models]
    if isinstance(models, Sequence):
        return list(models)
    raise ConfigError(
        f"models must be a model name, a model instance, a list of them or a dict "
        f"{{label: model}}, not {type(models).__name__} ({models!r}); e.g. models='naive'."
    )


def label_models(models: ModelSpec) -> dict[str, BaseModel]:
    """Give every model a distinct label, the value of the ``model`` column.

    Parameters
    ----------
    models : str, BaseModel, sequence or mapping
        Registry names or model instances; a mapping gives its keys as labels.

    Returns
    -------
    dict
        ``{label: unfitted model}`` in the given order. A model's label is its registry name;
        instances of the same model with different hyperparameters are told apart by the
        hyperparameters that differ, e.g. ``ets[transform=None]`` and ``ets[transform='log']``.

    Raises
    ------
    ConfigError
        No models, ``models`` of another type (e.g. None), a label that is not a non-empty
        string, or the same model given twice with the same hyperparameters.
    UnknownModelError
        A name that is not registered.

    Examples
    --------
    >>> from forecast.engine.specs import label_models
    >>> list(label_models(["naive", "drift"]))
    ['naive', 'drift']
    """
    if isinstance(models, Mapping):
        return _label_mapping(models)
    items = _items(models)
    if not items:
        raise ConfigError(_EMPTY)
    resolved = [resolve(model) for model in items]
    by_name: dict[str, list[int]] = {}
    for position, model in enumerate(resolved):
        by_name.setdefault(model.name, []).append(position)
    labels = [model.name for model in resolved]
    for name, positions in by_name.items():
        if len(positions) == 1:
            continue
        params = [_hyperparameters(resolved[p]) for p in positions]
        keys = sorted({k for p in params for k in p})
        differing = [k for k in keys if len({p.get(k) for p in params}) > 1]
        for position, values in zip(positions, params, strict=True):
            labels[position] = f"{name}[{', '.join(f'{k}={values.get(k)}' for k in differing)}]"
        if len({labels[p] for p in positions}) < len(positions):
            raise ConfigError(
                f"model {name!r} is given more than once with the same hyperparameters; give it "
                "once, or pass a dict {label: model} to run differently configured copies."
            )
    return dict(zip(labels, resolved, strict=True))
