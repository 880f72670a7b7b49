"""A model's hyperparameters and fitted state as a JSON tree and arrays, and back.

A model is stored by its registry name, its hyperparameters (the public attributes that do not
end in ``_``: the constructor's arguments) and its fitted state (the attributes that end in
``_``), encoded by :mod:`forecast.persistence.codec`. Loading builds the model with
:func:`forecast.models.get` (so the constructor checks the hyperparameters again) and sets the
state. Private attributes are not stored (warm starts between backtest windows), except those a
model class lists in ``_stored_private`` (below).

Fitted results of wrapped libraries are not stored as objects. An adapter per model class
stores what rebuilds them without estimating anything:

* ``ets``: the filtered series, the estimated parameters and their covariance; statsmodels'
  ``ETSModel`` (built with the estimates as start values, without its initialisation
  heuristic) smooths the series with those parameters (as ``ETSModel.smooth``) and the
  results keep the saved covariance instead of recomputing it.
* ``arima``: the same with ``SARIMAX.smooth``.
* ``theta``: the series, the seasonality decision and the estimates (``b0``, ``alpha``,
  ``sigma2``, the one-step forecast, the seasonal factors) that ``ThetaModelResults`` holds.
* ``prophet``: Prophet's own ``model_to_json`` text, read back with ``model_from_json``.

Nested models (the members of ``ensemble``, the choice of ``auto``, the clone a calibration
refits in its inner windows) are stored the same way, inside their parent; a model bound to
covariates (:func:`forecast.models._covariates.bind`) keeps their frame under ``covariates``,
and one whose private attributes say what it estimates (``BaseModel._stored_private``:
``arima``'s copy that refits a chosen order as its search did, and the start values of the
copies of ``ets`` and ``arima`` that a calibration refits) keeps them under ``private``, so a
loaded model extends its calibration to longer horizons exactly as the saved one would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from forecast.errors import ConfigError, ForecastError, ModelFileError, UnknownModelError
from forecast.models._covariates import bind, bound
from forecast.models.base import BaseModel
from forecast.persistence.codec import Decoder, Encoder, Json
from forecast.schema import DS, ValidCovariates, validate_covariates

__all__ = [
    "ADAPTERS",
    "STATE_ERRORS",
    "Adapter",
    "check_forecasts",
    "decode_model",
    "encode_model",
    "state_error",
]

_MODEL_KEYS = {"$", "name", "params", "state", "results"}


@dataclass(frozen=True)
class Adapter:
    """How one model class stores the fitted results of a wrapped library.

    Attributes
    ----------
    attribute : str
        The attribute holding the results (``"results_"``).
    dump : callable
        ``dump(encoder, model, where)``: a JSON node describing the results.
    load : callable
        ``load(decoder, model, node, where)``: rebuild the results from the node onto the
        model, whose other state is already set.
    """

    attribute: str
    dump: Callable[[Encoder, Any, str], Json]
    load: Callable[[Decoder, Any, Json, str], None]


def _dump_endog(encoder: Encoder, model: Any, where: str) -> Json:
    results = model.results_
    return {
        "endog": encoder.array(np.asarray(results.model.endog, dtype=float).ravel(), where),
        "params": encoder.array(np.asarray(results.params, dtype=float), where),
    }


def _dump_ets(encoder: Encoder, model: Any, where: str) -> Json:
    cov = np.asarray(model.results_.cov_params_default, dtype=float)
    return {**_dump_endog(encoder, model, where), "cov": encoder.array(cov, where)}


def _load_ets(decoder: Decoder, model: Any, node: Json, where: str) -> None:
    from forecast.persistence._ets_results import loaded_ets_model, rebuild_ets_results

    _check_keys(node, {"endog", "params", "cov"}, where)
    endog, params = _arrays(decoder, node, ("endog", "params"), where)
    cov = decoder.array(node["cov"], f"{where}.cov")
    if not isinstance(cov, np.ndarray) or cov.shape != (len(params), len(params)):
        raise ModelFileError(f"{where}.cov: expected a {len(params)} x {len(params)} matrix")
    spec = model.spec_
    trend, seasonal = int(spec.trend is not None), int(spec.seasonal is not None)
    # smoothing parameters, damping, then the initial level, trend and m seasonal states
    expected = 1 + trend + seasonal + int(spec.damped_trend) + 1 + trend
    expected += model.seasonal_period_ * seasonal
    if len(params) != expected:
        raise ModelFileError(
            f"{where}.params: {model.spec_.label} has {expected} parameters, not {len(params)}"
        )
    ets = loaded_ets_model(endog, params, model.spec_, model.seasonal_period_)
    model.results_ = rebuild_ets_results(ets, params, cov)


def _dump_arima(encoder: Encoder, model: Any, where: str) -> Json:
    node = _dump_endog(encoder, model, where)
    sarimax = model.results_.model
    if sarimax.exog is not None:  # a regression with ARIMA errors: its regressors, by name
        node["exog"] = encoder.array(np.asarray(sarimax.exog, dtype=float), where)
        node["exog_names"] = [str(name) for name in sarimax.exog_names]
    return node


def _load_arima(decoder: Decoder, model: Any, node: Json, where: str) -> None:
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    keys = {"endog", "params"}
    if isinstance(node, dict) and "exog" in node:  # a regression with ARIMA errors
        keys |= {"exog", "exog_names"}
    _check_keys(node, keys, where)
    endog, params = _arrays(decoder, node, ("endog", "params"), where)
    exog = None
    if isinstance(node, dict) and "exog" in node:
        values, names = decoder.array(node["exog"], f"{where}.exog"), node["exog_names"]
        if (
            not isinstance(values, np.ndarray)
            or not isinstance(names, list)
            or values.shape != (len(endog), len(names))
        ):
            raise ModelFileError(f"{where}.exog: expected one column per name and row of endog")
        exog = pd.DataFrame(values, columns=[str(name) for name in names])
    spec = model.spec_
    sarimax = SARIMAX(
        endog, exog=exog, order=spec.order, seasonal_order=spec.seasonal_order, trend=spec.trend
    )
    model.results_ = sarimax.smooth(params, cov_type="none")


_THETA_FLOATS = ("b0", "alpha", "sigma2")


def _dump_theta(encoder: Encoder, model: Any, where: str) -> Json:
    results, theta = model.results_, model.results_.model
    return {
        "endog": encoder.array(np.asarray(theta._y, dtype=float), where),
        "period": theta._period,
        "deseasonalize": theta._deseasonalize,
        "use_test": theta._use_test,
        "method": theta._method,
        "has_seasonality": bool(theta._has_seasonality),
        "use_mle": bool(results._use_mle),
        "one_step": encoder.array(np.asarray(results._one_step, dtype=float), where),
        "seasonal": encoder.array(np.asarray(results._seasonal, dtype=float), where),
        **{name: encoder.value(getattr(results, f"_{name}"), where) for name in _THETA_FLOATS},
    }


def _load_theta(decoder: Decoder, model: Any, node: Json, where: str) -> None:
    from statsmodels.tsa.forecasting.theta import ThetaModel, ThetaModelResults

    endog, one_step, seasonal = _arrays(decoder, node, ("endog", "one_step", "seasonal"), where)
    expected = {"period", "deseasonalize", "use_test", "method", "has_seasonality", "use_mle"}
    _check_keys(node, expected | {"endog", "one_step", "seasonal", *_THETA_FLOATS}, where)
    floats = [decoder.value(node[name], where) for name in _THETA_FLOATS]
    if not all(isinstance(v, (float, np.floating)) for v in floats[:2]) or not isinstance(
        floats[2], (float, np.floating, type(None))
    ):
        raise ModelFileError(f"{where}: theta's b0, alpha and sigma2 must be numbers")
    theta = ThetaModel(
        endog,
        period=node["period"],
        deseasonalize=node["deseasonalize"],
        use_test=node["use_test"],
        method=node["method"],
    )
    theta._has_seasonality = bool(node["has_seasonality"])
    b0, alpha, sigma2 = floats
    model.results_ = ThetaModelResults(
        b0, alpha, sigma2, one_step, seasonal, bool(node["use_mle"]), theta
    )


def _dump_prophet(encoder: Encoder, model: Any, where: str) -> Json:
    from prophet.serialize import model_to_json

    return {"prophet_json": model_to_json(model.model_)}


def _load_prophet(decoder: Decoder, model: Any, node: Json, where: str) -> None:
    from prophet.serialize import model_from_json

    from forecast.models.prophet import quiet_prophet

    _check_keys(node, {"prophet_json"}, where)
    if not isinstance(node["prophet_json"], str):
        raise ModelFileError(f"{where}: the Prophet model is not a JSON text")
    with quiet_prophet():
        model.model_ = model_from_json(node["prophet_json"])


ADAPTERS: dict[str, Adapter] = {
    "ets": Adapter("results_", _dump_ets, _load_ets),
    "arima": Adapter("results_", _dump_arima, _load_arima),
    "theta": Adapter("results_", _dump_theta, _load_theta),
    "prophet": Adapter("model_", _dump_prophet, _load_prophet),
}
"""Adapters by registry name, for the models that hold a wrapped library's results."""


def _check_keys(node: Json, expected: set[str], where: str) -> None:
    if not isinstance(node, dict) or set(node) != expected:
        found = sorted(node) if isinstance(node, dict) else type(node).__name__
        raise ModelFileError(f"{where}: expected the keys {sorted(expected)}, found {found}")


def _arrays(decoder: Decoder, node: Json, names: tuple[str, ...], where: str) -> list[np.ndarray]:
    if not isinstance(node, dict) or not set(names) <= set(node):
        raise ModelFileError(f"{where}: the fitted results lack {', '.join(names)}")
    out = []
    for name in names:
        values = decoder.array(node[name], f"{where}.{name}")
        if not isinstance(values, np.ndarray) or values.ndim != 1 or values.dtype != float:
            raise ModelFileError(f"{where}.{name}: expected a one-dimensional float array")
        out.append(values)
    return out


def _hyperparameters(model: BaseModel) -> dict[str, Any]:
    return {k: v for k, v in vars(model).items() if not k.startswith("_") and not k.endswith("_")}


def _fitted_state(model: BaseModel, skip: str | None) -> dict[str, Any]:
    return {
        k: v
        for k, v in vars(model).items()
        if k.endswith("_") and not k.startswith("_") and k != skip
    }


def encode_model(encoder: Encoder, model: BaseModel, where: str) -> Json:
    """Encode a model (and, recursively, the models it holds) as a ``model`` node.

    Raises
    ------
    ModelFileError
        The model is not registered under its name, or holds a value that cannot be saved.
    """
    from forecast.models.registry import _REGISTRY

    name = type(model).name
    if _REGISTRY.get(name) is not type(model):
        raise ModelFileError(
            f"{where}: {type(model).__name__} is not the registered model {name!r}; only "
            "registered models can be saved."
        )
    adapter = ADAPTERS.get(name)
    skip = adapter.attribute if adapter is not None and model.is_fitted else None
    owner, encoder.owner = encoder.owner, model
    try:
        node = {
            "$": "model",
            "name": name,
            "params": encoder.value(_hyperparameters(model), f"{where} {name} parameters"),
            "state": encoder.value(_fitted_state(model, skip), f"{where} {name} state"),
            "results": None if skip is None else adapter.dump(encoder, model, where),  # type: ignore[union-attr]
        }
        source = bound(model)
        if source is not None:  # the covariates of its inner windows (a calibration's clone)
            node["covariates"] = encoder.value(source.frame, f"{where} {name} covariates")
        private = {k: getattr(model, k) for k in model._stored_private}
        private = {k: v for k, v in private.items() if v is not None and v != {}}
        if private:
            node["private"] = encoder.value(private, f"{where} {name} private attributes")
    finally:
        encoder.owner = owner
    return node


def decode_model(decoder: Decoder, node: dict[str, Json], where: str) -> BaseModel:
    """Build a model from a ``model`` node: constructor, then state, then the adapter.

    Raises
    ------
    ModelFileError
        An unregistered name, hyperparameters the constructor refuses or does not take,
        state attributes that are not fitted attributes, or results that do not rebuild.
    """
    if set(node) - {"covariates", "private"} != _MODEL_KEYS:
        raise ModelFileError(
            f"{where}: a model entry has the keys {sorted(node)}, expected {sorted(_MODEL_KEYS)} "
            "(and 'covariates' for a model bound to covariates, 'private' for one with stored "
            "private attributes)"
        )
    name = node["name"]
    params = decoder.value(node["params"], f"{where} parameters")
    if not isinstance(params, dict) or not all(isinstance(k, str) for k in params):
        raise ModelFileError(f"{where}: the parameters of model {name!r} are not a dict")
    model = _construct(name, params, where)
    if "covariates" in node:
        bind(model, _bound_covariates(decoder, node["covariates"], f"{where} {name} covariates"))
    if "private" in node:
        here = f"{where} {name} private attributes"
        _set_private(model, decoder.value(node["private"], here), here)
    owner, decoder.owner = decoder.owner, model
    try:
        state = decoder.value(node["state"], f"{where} {name} state")
        _set_state(model, state, node["results"], f"{where} {name}")
        adapter = ADAPTERS.get(name)
        if node["results"] is not None:
            if adapter is None:
                raise ModelFileError(f"{where}: model {name!r} stores no library results")
            _rebuild(adapter, decoder, model, node["results"], f"{where} {name} results")
    finally:
        decoder.owner = owner
    return model


def _set_private(model: BaseModel, values: Any, where: str) -> None:
    """Set the stored private attributes of ``model``, checked.

    Only those its class stores, each of its type (a dict of arrays for start values).
    """
    stored = model._stored_private
    if not isinstance(values, dict) or not set(values) <= set(stored):
        found = sorted(values) if isinstance(values, dict) else values
        raise ModelFileError(
            f"{where}: model {model.name!r} stores the private attributes "
            f"{sorted(stored)}, not {found!r}"
        )
    for key, value in values.items():
        arrays = not isinstance(value, dict) or all(
            isinstance(v, np.ndarray) for v in value.values()
        )
        if not isinstance(value, stored[key]) or not arrays:
            raise ModelFileError(
                f"{where}: {key} of model {model.name!r} is not a {stored[key].__name__}"
                + (" of arrays" if stored[key] is dict else "")
            )
        setattr(model, key, value)


def _bound_covariates(decoder: Decoder, node: Json, where: str) -> ValidCovariates:
    """Decode and check again the covariates a model was bound to (its ``bind``)."""
    frame = decoder.value(node, where)
    if not isinstance(frame, pd.DataFrame):
        raise ModelFileError(f"{where}: the bound covariates are not a frame")
    try:
        checked = validate_covariates(frame)
    except ForecastError as err:
        raise ModelFileError(f"{where}: {err}") from err
    return checked


def _rebuild(adapter: Adapter, decoder: Decoder, model: BaseModel, node: Json, where: str) -> None:
    try:
        adapter.load(decoder, model, node, where)
    except (ValueError, TypeError, IndexError, KeyError, np.linalg.LinAlgError) as err:
        raise ModelFileError(
            f"{where}: the saved results do not rebuild ({type(err).__name__}: {err})"
        ) from err


def _construct(name: object, params: dict[str, Any], where: str) -> BaseModel:
    """Build the unfitted model with its constructor from the saved hyperparameters.

    Only the values that differ from the model's defaults are passed, so a hyperparameter that
    the base class sets and the model's constructor does not take (``seasonal_period`` of a
    model without seasons) is passed only when it was changed, and then refused.
    """
    from forecast.models.registry import get

    try:
        default = get(name)  # type: ignore[arg-type]
        defaults = _hyperparameters(default)
        given = {k: v for k, v in params.items() if k not in defaults or not _same(v, defaults[k])}
        model = get(name, **given)  # type: ignore[arg-type]
    except (UnknownModelError, ConfigError) as err:
        raise ModelFileError(f"{where}: {err}") from err
    unknown = sorted(set(_hyperparameters(model)) ^ set(params))
    if unknown:
        raise ModelFileError(f"{where}: model {name!r} has no parameters {unknown}")
    return model


def _same(a: object, b: object) -> bool:
    if type(a) is not type(b):
        return False
    try:
        return bool(a == b)
    except (ValueError, TypeError):
        return False


def _set_state(model: BaseModel, state: Any, results: Json, where: str) -> None:
    if not isinstance(state, dict):
        raise ModelFileError(f"{where}: the fitted state is not a dict")
    bad = [k for k in state if not (k.isidentifier() and k.endswith("_") and k[0] != "_")]
    if bad:
        raise ModelFileError(f"{where}: {bad} are not fitted attributes (names ending in '_')")
    fitted = state.get("is_fitted_") is True
    if bool(state) and not fitted or (results is not None) != (fitted and model.name in ADAPTERS):
        raise ModelFileError(f"{where}: the fitted state is incomplete")
    if fitted:  # a file written before covariates existed: the model was fitted without any
        state = {"covariates_": (), **state}
    vars(model).update(state)


STATE_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, ZeroDivisionError)
"""What a model whose saved state was edited raises when it forecasts."""


def state_error(name: str, where: str, err: Exception) -> ModelFileError:
    """Return the error of a loaded model (registry ``name``) whose state does not forecast."""
    return ModelFileError(
        f"{where}: the saved state of model {name!r} does not forecast "
        f"({type(err).__name__}: {err}); the file was edited or is damaged. Refit and save "
        "the model again."
    )


def check_forecasts(model: BaseModel, where: str) -> None:
    """Forecast one step from a loaded fitted model, to catch state that was edited.

    A model fitted with covariates forecasts with each covariate at 0 for this check only.

    Raises
    ------
    ModelFileError
        The state does not give a finite forecast.
    """
    if not model.is_fitted:
        return
    names = tuple(getattr(model, "covariates_", ()))
    try:
        probe = pd.DataFrame({DS: model.future_dates(1), **{name: [0.0] for name in names}})
        model.predict(1, levels=(), covariates=probe if names else None)
    except (ForecastError, *STATE_ERRORS) as err:
        raise state_error(model.name, where, err) from err
