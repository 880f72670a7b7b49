"""Statsmodels' ETS results rebuilt with the covariance of the estimates that was saved.

``ETSResults`` computes the covariance of the parameters (a complex-step Hessian, most of the
cost of rebuilding) as soon as it is built; a loaded model restores the saved one instead.
The forecasts do not use it; ``bse`` and ``summary()`` show the saved values.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from statsmodels.tsa.exponential_smoothing.ets import ETSResults, ETSResultsWrapper

__all__ = ["rebuild_ets_results"]


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
