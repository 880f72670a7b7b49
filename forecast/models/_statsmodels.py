"""Helpers shared by the statsmodels wrappers: quiet single-threaded estimation, AICc, paths."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

__all__ = ["quiet_estimation", "aicc", "simulate_paths"]

_CONTROLLER: dict[str, Any] = {}
"""The process's threadpoolctl controller and the number of modules loaded when it was made."""


def _blas_controller() -> Any:
    """Return a ``ThreadpoolController`` of the libraries loaded, made once per process.

    Making one scans every loaded shared library (about a millisecond, as long as a forecast
    of a small model), so it is kept and made again only after more modules were imported: a
    BLAS library arrives with the import of the extension module that links it.
    """
    from threadpoolctl import ThreadpoolController

    loaded = len(sys.modules)
    if _CONTROLLER.get("modules") != loaded:
        _CONTROLLER["controller"] = ThreadpoolController()
        _CONTROLLER["modules"] = len(sys.modules)
    return _CONTROLLER["controller"]


@contextmanager
def quiet_estimation() -> Iterator[None]:
    """Run statsmodels estimation on one BLAS thread and without its estimation chatter.

    Statsmodels' state-space filters multiply many tiny matrices; a multi-threaded BLAS spends
    more time waking and spinning threads than computing (a 10-fold slowdown was measured on a
    busy two-core machine), and the drivers parallelise over series with processes anyway.
    Automatic selection fits many candidate models; statsmodels warns when an optimiser stops
    at its iteration limit, when a trial parameter overflows or when a KPSS statistic lies
    outside its table. Those candidates simply lose on the information criterion, so the
    warnings carry nothing the caller can act on. Thread limits and warning filters are
    restored on exit. The libraries are found once per process (see ``_blas_controller``).
    """
    from statsmodels.tools.sm_exceptions import (
        ConvergenceWarning,
        EstimationWarning,
        InterpolationWarning,
        ValueWarning,
    )

    with _blas_controller().limit(limits=1, user_api="blas"), warnings.catch_warnings():
        for category in (
            ConvergenceWarning,
            EstimationWarning,
            InterpolationWarning,
            ValueWarning,
            RuntimeWarning,
        ):
            warnings.simplefilter("ignore", category)
        warnings.filterwarnings("ignore", message=".*[Nn]on-stationary starting.*")
        warnings.filterwarnings("ignore", message=".*[Nn]on-invertible starting.*")
        yield


def aicc(loglike: float, n_params: int, n_obs: int) -> float:
    """Akaike's criterion corrected for small samples, ``-2 logL + 2k + 2k(k+1)/(n-k-1)``.

    Returns infinity when ``n - k - 1 <= 0`` (too many parameters for the data).
    """
    dof = n_obs - n_params - 1
    if dof <= 0:
        return float("inf")
    return -2.0 * loglike + 2.0 * n_params + 2.0 * n_params * (n_params + 1) / dof


def simulate_paths(results: object, h: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` sample paths ``(n, h)`` of a fitted statsmodels state-space result, from its end."""
    with quiet_estimation():
        paths = results.simulate(h, anchor="end", repetitions=n, rng=rng)  # type: ignore[attr-defined]
    return np.asarray(paths, dtype=float).reshape(h, n).T
