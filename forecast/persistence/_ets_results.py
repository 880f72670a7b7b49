"""Statsmodels' ETS results rebuilt with the covariance of the estimates that was saved.

``ETSResults`` computes the covariance of the parameters (a complex-step Hessian, most of the
cost of rebuilding) as soon as it is built; a loaded model restores the saved one instead.
The forecasts do not use it; ``bse`` and ``summary()`` show the saved values.

``ETSModel`` runs statsmodels' initialisation heuristic (a seasonal decomposition) when it is
built, only to find start values for an estimation; a loaded model has its estimates, so
:func:`loaded_ets_model` builds it with those as the start values instead.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.tsa.exponential_smoothing.ets import ETSModel, ETSResults, ETSResultsWrapper

__all__ = ["loaded_ets_model", "rebuild_ets_results"]


class _LoadedETSModel(ETSModel):
    """An ``ETSModel`` with estimated initial states whose start values are given.

    Built with ``initialization_method="known"`` and the saved initial states (no heuristic
    runs), then switched to ``"estimated"``, the method it was fitted with, so that its
    parameters (smoothing parameters, then initial states) are those that were saved.
    """

    def set_initialization_method(
        self,
        initialization_method: str,
        initial_level: Any = None,
        initial_trend: Any = None,
        initial_seasonal: Any = None,
    ) -> None:
        """Set the given initial states as start values of an estimated initialisation."""
        super().set_initialization_method(
            initialization_method, initial_level, initial_trend, initial_seasonal
        )
        if initialization_method != "known":
            return
        self.initialization_method = "estimated"
        self._internal_params_index = OrderedDict(
            zip(self._internal_param_names, np.arange(self._k_params_internal), strict=True)
        )
        self._params_index = OrderedDict(
            zip(self.param_names, np.arange(self.k_params), strict=True)
        )


def loaded_ets_model(
    endog: np.ndarray, params: np.ndarray, spec: Any, seasonal_periods: int | None
) -> Any:
    """Return the ``ETSModel`` of a saved fit, with its estimates as the start values.

    Parameters
    ----------
    endog : ndarray
        The fitted series (transformed).
    params : ndarray
        The saved parameters: the smoothing parameters (and damping), then the initial
        level, trend and seasonal states, in statsmodels' order.
    spec : ETSSpec
        The specification.
    seasonal_periods : int or None
        The season length, for a seasonal specification.

    Returns
    -------
    ETSModel
        The model :func:`rebuild_ets_results` smooths; as built by ``ETS._model`` but for its
        start values.
    """
    n_smoothing = 1 + int(spec.trend is not None) + int(spec.seasonal is not None)
    position = n_smoothing + int(spec.damped_trend)
    level = float(params[position])
    trend = float(params[position + 1]) if spec.trend is not None else None
    first_season = position + 1 + int(spec.trend is not None)
    seasons = np.asarray(params[first_season:], dtype=float) if spec.seasonal else None
    return _LoadedETSModel(
        pd.Series(np.asarray(endog, dtype=float)),
        error=spec.error,
        trend=spec.trend,
        damped_trend=spec.damped_trend,
        seasonal=spec.seasonal,
        seasonal_periods=seasonal_periods if spec.seasonal else None,
        initialization_method="known",
        initial_level=level,
        initial_trend=trend,
        initial_seasonal=seasons,
    )


class _RestoredETSResults(ETSResults):
    """ETS results whose parameter covariance is the saved one, not recomputed."""

    def __init__(self, model: Any, params: np.ndarray, results: Any, cov: np.ndarray) -> None:
        self._saved_cov = cov
        super().__init__(model, params, results)

    @property
    def cov_params_approx(self) -> np.ndarray:
        """The saved covariance of the parameters."""
        return self._saved_cov


def rebuild_ets_results(model: Any, params: np.ndarray, cov: np.ndarray) -> Any:
    """Smooth ``model`` (an ``ETSModel``) with fixed ``params``, as ``ETSModel.smooth`` does.

    Returns
    -------
    ETSResultsWrapper
        The results, with ``cov`` as the covariance of the parameters.
    """
    params = np.asarray(params)
    raw = model._smooth(params)
    return ETSResultsWrapper(_RestoredETSResults(model, params, raw, cov))
