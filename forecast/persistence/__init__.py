"""Save fitted models and load them back: one file per model, a folder per forecast run.

A model file is a zip archive of ``model.json`` (format version, package version, the model's
registry name, hyperparameters and fitted state) and ``state.npz`` (its arrays); no pickle,
nothing that executes on load. See :mod:`forecast.persistence.modelfile` for the layout and
:mod:`forecast.persistence.folder` for folders of models keyed by series and model label.
"""

from __future__ import annotations

from forecast.persistence.modelfile import FORMAT_VERSION, load_model, save_model

__all__ = ["FORMAT_VERSION", "load_model", "save_model"]
