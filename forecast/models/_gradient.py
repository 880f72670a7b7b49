"""A forward-difference gradient for scipy's L-BFGS-B, without scipy's per-call overhead.

scipy's ``approx_derivative`` (what ``minimize`` and ``fmin_l_bfgs_b`` use without a
gradient) wraps every evaluation in generic machinery that costs more than the likelihoods of
``ets`` and ``arima`` on series of competition length. :func:`with_gradient` takes the same
forward differences (the same steps, so the same optimisation path) in a plain loop.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["with_gradient"]


def with_gradient(
    objective: Callable[[np.ndarray], float], upper: np.ndarray, step: float
) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    """Return the objective with its forward-difference gradient (backward at an upper bound).

    Each coordinate moves by ``step``, or by ``-step`` where that would pass ``upper``; the
    difference is divided by the step as represented (``(x + h) - x``), as scipy's
    ``approx_derivative`` with an absolute step does.
    """

    def value_and_gradient(x: np.ndarray) -> tuple[float, np.ndarray]:
        value = objective(x)
        gradient = np.empty(x.shape[0])
        shifted = x.copy()
        for i in range(x.shape[0]):
            h = step if x[i] + step <= upper[i] else -step
            shifted[i] = x[i] + h
            gradient[i] = (objective(shifted) - value) / (shifted[i] - x[i])
            shifted[i] = x[i]
        return value, gradient

    return value_and_gradient
