"""Prophet's machinery behind ``prophet``: quiet logging, seeding, the Stan backend, features.

:func:`quiet_prophet` silences Prophet and cmdstanpy for a block; :func:`numpy_seed` seeds the
global generator Prophet samples from; :func:`backend` is Prophet's Stan backend with the MAP of
linear and flat trends computed in-process (:mod:`forecast.models._prophet_map`);
:func:`future_features` builds a fitted model's features for new dates.

References
----------
.. [1] Taylor, S. J. and Letham, B. (2018). Forecasting at scale. The American Statistician,
   72(1), 37-45.
"""

from __future__ import annotations

import functools
import json
import logging
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast.errors import ConfigError
from forecast.models._prophet_map import IN_PROCESS_TRENDS, MapResult, map_estimate

__all__ = ["backend", "future_features", "import_prophet", "numpy_seed", "quiet_prophet"]

_LOGGERS = ("prophet", "cmdstanpy")


def import_prophet() -> None:
    """Import Prophet once, dropping the error its plotting module logs on import.

    Prophet's plotting module logs an error when the optional plotly is absent; this package
    draws its own plots and never uses Prophet's.
    """
    logger = logging.getLogger("prophet.plot")
    previous = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        import prophet  # noqa: F401
    finally:
        logger.setLevel(previous)


@contextmanager
def quiet_prophet(level: int = logging.WARNING) -> Iterator[None]:
    """Quiet Prophet and cmdstanpy for the duration of a block.

    Their loggers' INFO messages (disabled seasonalities, chain start and end) are dropped;
    warnings and errors still show. Deprecation warnings that pandas raises about Prophet's
    own code (``inplace=`` and the like) are ignored: the caller cannot act on them. Logger
    levels and warning filters are restored on exit, so nothing changes globally.
    """
    from cmdstanpy.utils import get_logger

    get_logger()  # cmdstanpy configures its logger on first use; let it happen before saving
    loggers = [logging.getLogger(name) for name in _LOGGERS]
    saved = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(max(level, logger.getEffectiveLevel()))
    try:
        with warnings.catch_warnings():
            for category in (DeprecationWarning, FutureWarning, PendingDeprecationWarning):
                warnings.filterwarnings("ignore", category=category, module=r"prophet(\..*)?$")
            yield
    finally:
        for logger, previous in zip(loggers, saved, strict=True):
            logger.setLevel(previous)


@contextmanager
def numpy_seed(seed: int) -> Iterator[None]:
    """Seed numpy's global generator (which Prophet samples from) and restore its state after."""
    # Prophet draws its paths from numpy's legacy global generator, so that one is seeded.
    state = np.random.get_state()  # noqa: NPY002
    np.random.seed(seed)  # noqa: NPY002
    try:
        yield
    finally:
        np.random.set_state(state)  # noqa: NPY002


def _json_scalar(value: Any) -> Any:
    """Convert numpy scalars to Python numbers, for ``json.dumps``."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"prophet: cannot write {type(value).__name__} to Stan's JSON data.")


@functools.cache
def backend() -> type:
    """Prophet's Stan backend, with the MAP of linear and flat trends computed in-process.

    Prophet hands its backend's ``fit`` the model's data and initial values after all its own
    work (scaling, changepoints, seasonality and holiday features, priors). For a linear or
    flat trend this backend maximises the same log posterior with scipy
    (:func:`~forecast.models._prophet_map.map_estimate`) instead of launching CmdStan, and
    returns the estimates in the shapes ``CmdStanPyBackend.fit`` returns. Logistic growth, and
    any call the in-process optimiser does not report as converged, go to CmdStan as in
    Prophet, with Stan's data file written by the C JSON encoder: cmdstanpy's pure-Python
    encoder (``stanio``) spends about a quarter of a daily fit formatting the feature matrix,
    while ``json.dumps`` writes the same numbers (shortest round-trip float text) at once.
    """
    import_prophet()
    from prophet.models import CmdStanPyBackend

    class MapBackend(CmdStanPyBackend):
        map_result: MapResult | None = None
        """The in-process optimiser's report of the last fit (None when CmdStan ran it)."""

        def fit(self, stan_init: dict[str, Any], stan_data: dict[str, Any], **kwargs: Any) -> Any:
            self.map_result = None
            if int(stan_data["trend_indicator"]) in IN_PROCESS_TRENDS and set(kwargs) <= {"init"}:
                init = (
                    self.sanitize_custom_inits(stan_init, kwargs["init"])
                    if "init" in kwargs
                    else stan_init
                )
                result = map_estimate(init, stan_data)
                if result.success:
                    self.map_result = result
                    return result.params
            data = self.prepare_data(stan_init, stan_data)[1]
            with tempfile.TemporaryDirectory(prefix="forecast-prophet-") as folder:
                path = Path(folder) / "data.json"
                path.write_text(json.dumps(data, default=_json_scalar))
                return super().fit(stan_init, stan_data, data=str(path), **kwargs)

    return MapBackend


def future_features(model: Any, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build the seasonality, holiday and regressor features of a fitted Prophet model.

    ``frame`` is set up by ``setup_dataframe``; the model's component matrix is returned too.

    This is Prophet's ``make_all_seasonality_features`` with one step reused from the fit: for
    a fitted model the matrix telling which feature belongs to which component is the one
    built on the history (``train_component_cols``; Prophet itself checks that a rebuilt matrix
    equals it), so it is taken as it is instead of being rebuilt with ``pandas.crosstab``, about
    a quarter of a monthly window's time in a backtest.
    """

    def training_matrix(
        features: pd.DataFrame, modes: dict[str, list[str]]
    ) -> tuple[pd.DataFrame, dict[str, list[str]]]:
        if features.shape[1] != len(model.train_component_cols):
            raise ConfigError(
                "prophet: the future features do not match the fitted model's; refit the model."
            )
        return model.train_component_cols, modes

    model.regressor_column_matrix = training_matrix
    try:
        features, _, columns, _ = model.make_all_seasonality_features(frame)
    finally:
        del model.regressor_column_matrix
    return features, columns
