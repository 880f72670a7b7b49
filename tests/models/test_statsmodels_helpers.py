"""The helpers shared by the statsmodels wrappers (forecast/models/_statsmodels.py)."""

from __future__ import annotations

import warnings

import pytest
from threadpoolctl import threadpool_info

from forecast.models import _statsmodels


def _blas_threads() -> list[int]:
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def test_quiet_estimation_limits_blas_to_one_thread_and_restores() -> None:
    before = _blas_threads()
    if not before:
        pytest.skip("no BLAS library that threadpoolctl can control is loaded")
    with _statsmodels.quiet_estimation():
        inside = _blas_threads()
    assert inside == [1] * len(before)
    assert _blas_threads() == before


def test_quiet_estimation_silences_estimation_warnings_only_inside() -> None:
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with _statsmodels.quiet_estimation():
            warnings.warn("stopped early", ConvergenceWarning, stacklevel=1)
        warnings.warn("stopped early", ConvergenceWarning, stacklevel=1)
    assert [type(w.message) for w in caught] == [ConvergenceWarning]


def test_controller_is_made_once_until_modules_are_imported() -> None:
    import sys
    import types

    first = _statsmodels._blas_controller()
    assert _statsmodels._blas_controller() is first
    name = "_forecast_test_new_module"
    sys.modules[name] = types.ModuleType(name)
    try:
        assert _statsmodels._blas_controller() is not first
    finally:
        del sys.modules[name]
