"""Save fitted models and load them back: one file per model, a folder per forecast run.

A model file is a zip archive of ``model.json`` (format version, package version, the model's
registry name, hyperparameters and fitted state) and ``state.npz`` (its arrays); no pickle,
nothing that executes on load (:mod:`forecast.persistence.modelfile`). A models folder holds
the fitted models of a forecast run keyed by series and model label, with the series they were
fit on (:mod:`forecast.persistence.folder`); :func:`predict_models` forecasts from it, updating
the models with new observations (:mod:`forecast.persistence.runs`).

>>> import pandas as pd, forecast as fc
>>> ds = pd.date_range("2024-01-01", periods=6, freq="MS")
>>> df = pd.DataFrame({"unique_id": "a", "ds": ds, "y": [10.0, 12, 13, 15, 16, 18]})
>>> models = fc.persistence.fit_models(df, ["naive", "drift"])
>>> sorted(models)
[('a', 'drift'), ('a', 'naive')]
"""

from __future__ import annotations

from forecast.persistence.folder import load_models, read_index, save_models
from forecast.persistence.modelfile import FORMAT_VERSION, load_model, save_model
from forecast.persistence.runs import fit_models, forecast_and_save, predict_models

__all__ = [
    "FORMAT_VERSION",
    "fit_models",
    "forecast_and_save",
    "load_model",
    "load_models",
    "predict_models",
    "read_index",
    "save_model",
    "save_models",
]
