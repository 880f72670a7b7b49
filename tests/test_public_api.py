"""The public surface is pinned, so additions are deliberate."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd

import forecast as fc
from forecast.retention.curves import FAMILIES, RetentionCurve, compare, fit

PUBLIC = {
    "__version__",
    "CapabilityError",
    "ConfigError",
    "CovariateError",
    "DataError",
    "DomainError",
    "DuplicateError",
    "FitError",
    "ForecastError",
    "ForecastWarning",
    "HistoryError",
    "MissingValueError",
    "ModelError",
    "ModelFileError",
    "NotFittedError",
    "SchemaError",
    "UnknownModelError",
    "backtest",
    "batch",
    "datasets",
    "evaluate",
    "fill_gaps",
    "forecast",
    "holidays",
    "load_models",
    "make_cutoffs",
    "models",
    "persistence",
    "plot",
    "plot_backtest",
    "plot_scenario",
    "rank_models",
    "read",
    "reconcile",
    "report",
    "retention",
    "save_models",
    "scenario",
    "shares",
    "validate",
    "validate_covariates",
}


def test_exported_names_are_pinned():
    assert set(fc.__all__) == PUBLIC


def test_every_exported_name_resolves():
    for name in fc.__all__:
        assert getattr(fc, name) is not None, name
    assert callable(fc.backtest) and callable(fc.reconcile) and callable(fc.forecast)
    assert callable(fc.report)
    assert (
        fc.retention.fit is not None and fc.batch.run is not None and fc.datasets.load is not None
    )


RETENTION_PUBLIC = {"FAMILIES", "RetentionCurve", "compare", "fit"}


def test_retention_names_resolve_from_the_package():
    assert set(fc.retention.__all__) == RETENTION_PUBLIC
    assert fc.retention.fit is fit and fc.retention.compare is compare
    assert fc.retention.RetentionCurve is RetentionCurve and fc.retention.FAMILIES is FAMILIES
    assert callable(fc.retention.fit) and callable(fc.retention.compare)
    assert isinstance(fc.retention.RetentionCurve, type)
    assert {"sbg", "exponential"} <= set(fc.retention.FAMILIES)


def test_retention_fit_works_through_the_package_name():
    cohorts = pd.DataFrame(
        {
            "unique_id": "app",
            "cohort": pd.Timestamp("2024-01-01"),
            "age": [0, 1, 2, 3, 4],
            "retention": [1.0, 0.6, 0.45, 0.38, 0.34],
            "cohort_size": 1000.0,
        }
    )
    curve = fc.retention.fit(cohorts, family="sbg")
    assert isinstance(curve, fc.retention.RetentionCurve)
    assert 0.0 < curve.retention([1])[0] < 1.0


def test_functions_are_not_hidden_by_their_modules():
    code = (
        "import forecast.evaluation.backtest, forecast.market.reconcile, forecast.forecasting\n"
        "import forecast as fc\n"
        "assert callable(fc.backtest) and callable(fc.reconcile) and callable(fc.forecast), "
        "(fc.backtest, fc.reconcile, fc.forecast)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_exceptions_form_one_hierarchy():
    for name in PUBLIC:
        value = getattr(fc, name)
        if (
            isinstance(value, type)
            and issubclass(value, Exception)
            and not issubclass(value, Warning)
        ):
            assert issubclass(value, fc.ForecastError), name
    assert issubclass(fc.DataError, ValueError) and issubclass(fc.HistoryError, fc.DataError)


def test_import_does_not_load_prophet_matplotlib_or_dask():
    code = (
        "import sys, forecast\n"
        "print(sorted(m for m in ('prophet', 'matplotlib', 'dask') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert out.strip() == "[]"
