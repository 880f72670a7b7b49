"""What a fitted ``retention_feedback`` model reports besides forecasts.

The fitted values, the fitted retention observations, the growth accounting (new, retained
and churned users of every period) and posterior intervals of the parameters: the methods of
:class:`FeedbackReports`, a mixin of :class:`~forecast.models.feedback.RetentionFeedback`.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pandas as pd

from forecast.errors import ConfigError
from forecast.models import _feedback_fit as fit
from forecast.models._covariates import CovariatesIn
from forecast.models._feedback_kernel import FeedbackLayout, natural_params, simulate, unpack
from forecast.retention.dynamics import FeedbackPaths
from forecast.schema import AGE, COHORT, DS, RETENTION
from forecast.schema.frequency import Frequency

__all__ = ["ACCOUNTING_COLUMNS", "FeedbackReports"]

ACCOUNTING_COLUMNS = ("dau", "new", "retained", "churned")
"""Columns of :meth:`FeedbackReports.accounting` after ``ds`` (and before ``is_forecast``)."""


class _Fitted(Protocol):
    """What the reports use of a fitted ``retention_feedback`` model."""

    grid_: pd.DatetimeIndex
    theta_: np.ndarray
    posterior_: np.ndarray
    retention_frame_: pd.DataFrame | None
    retention_step_: float
    frequency_: Frequency

    @property
    def _layout(self) -> FeedbackLayout: ...

    def _check_fitted(self) -> None: ...

    def expected(
        self, dau: np.ndarray, theta: np.ndarray | None = None, first: int = 0
    ) -> np.ndarray: ...

    def paths(
        self, h: int, theta: np.ndarray | None = None, *, covariates: CovariatesIn = None
    ) -> FeedbackPaths: ...

    def all_dates(self, h: int) -> pd.DatetimeIndex: ...


class FeedbackReports:
    """Fitted values, growth accounting and parameter intervals of ``retention_feedback``."""

    def fitted_values(self: _Fitted) -> pd.DataFrame:
        """Return the fitted observations from launch to the last observation.

        Returns
        -------
        DataFrame
            ``ds`` and ``yhat`` (DAU times any weekly factor).
        """
        self._check_fitted()
        return pd.DataFrame({DS: self.grid_, "yhat": self.expected(self.paths(0).dau)[0]})

    def fitted_retention(self: _Fitted) -> pd.DataFrame:
        """Return the retention observations the model was fitted to, with the fitted values.

        Returns
        -------
        DataFrame
            ``cohort``, ``age``, ``retention`` (observed) and ``yhat`` (the curve at the
            observation's age, raised by the scale effect of its cohort); empty when the model
            was fitted without retention data.
        """
        self._check_fitted()
        if self.retention_frame_ is None:
            return pd.DataFrame(
                {
                    COHORT: pd.Series(dtype="datetime64[ns]"),
                    AGE: pd.Series(dtype="int64"),
                    RETENTION: pd.Series(dtype=float),
                    "yhat": pd.Series(dtype=float),
                }
            )
        data = fit.place_retention(
            self.retention_frame_, self.grid_, self.frequency_, self.retention_step_
        )
        layout = self._layout
        paths = simulate(layout, self.theta_, fit.periods_needed(self.grid_, data))
        fitted = fit.retention_fitted(layout, data, unpack(layout, self.theta_), paths)[0]
        return data.frame.assign(yhat=fitted)

    def accounting(self: _Fitted, h: int = 0, *, covariates: CovariatesIn = None) -> pd.DataFrame:
        """Account for the growth of every period from launch to ``h`` periods past the last one.

        Parameters
        ----------
        h : int
            Forecast periods to add after the history.
        covariates : DataFrame, optional
            For a model fitted with covariates and ``h > 0``, their values at the ``h``
            forecast dates; by default those of the frame the model was fitted with
            (:meth:`~forecast.models.feedback.RetentionFeedback.future_covariates`).

        Returns
        -------
        DataFrame
            ``ds``, ``dau``, ``new``, ``retained``, ``churned`` and ``is_forecast``, at the
            estimate; ``dau[t] = dau[t-1] + new[t] - churned[t]`` exactly (``dau[-1] = 0``)
            and ``dau = new + retained``.

        Raises
        ------
        CovariateError
            A model fitted with covariates whose values at a forecast date are unknown.

        References
        ----------
        .. [1] Fader, P. S. and Hardie, B. G. S. (2007). How to project customer retention.
           Journal of Interactive Marketing, 21(1), 76-90.
        """
        self._check_fitted()
        if isinstance(h, bool) or int(h) < 0:
            raise ConfigError(f"h must be a whole number >= 0, not {h!r}.")
        paths = self.paths(int(h), covariates=covariates)
        frame = pd.DataFrame({DS: self.all_dates(int(h))})
        for name in ACCOUNTING_COLUMNS:
            frame[name] = getattr(paths, name)[0]
        frame["is_forecast"] = np.arange(len(frame)) >= len(self.grid_)
        return frame

    def param_intervals(self: _Fitted, level: float = 90.0) -> pd.DataFrame:
        """Return posterior intervals of the estimated parameters on their natural scale.

        Parameters
        ----------
        level : float
            Interval level in percent.

        Returns
        -------
        DataFrame
            ``parameter``, ``estimate`` (at the posterior mode), ``lo``, ``hi`` (equal-tailed
            quantiles of the resampled posterior draws).
        """
        self._check_fitted()
        tail = (100.0 - float(level)) / 200.0
        draws = [natural_params(self._layout, row) for row in self.posterior_]
        estimate = natural_params(self._layout, self.theta_)
        rows = []
        for name, value in estimate.items():
            values = np.array([d[name] for d in draws])
            lo, hi = np.quantile(values, [tail, 1.0 - tail])
            rows.append({"parameter": name, "estimate": value, "lo": float(lo), "hi": float(hi)})
        return pd.DataFrame(rows)
