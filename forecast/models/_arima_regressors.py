"""The regressors of ``arima``: covariates, holiday indicators, dropped and decayed columns.

:class:`Regressors` is the part of :class:`~forecast.models.arima.ARIMA` that builds the
regression's columns over the history and the forecast dates (see :mod:`.arima`).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from forecast.errors import ConfigError, CovariateError, ForecastWarning
from forecast.holidays import holiday_covariates
from forecast.models._arima_decay import decayed
from forecast.models.base import BaseModel
from forecast.schema import DS

__all__ = ["Regressors", "regression_residuals"]


class Regressors(BaseModel):
    """Regressor columns of a regression with ARIMA errors (a base of ``ARIMA``)."""

    holidays: str | None
    holidays_lower_window: int
    holidays_upper_window: int
    regressors_: tuple[str, ...]
    dropped_: tuple[str, ...]
    decay_: float
    decay_state_: np.ndarray

    def _regressor_frame(
        self,
        data: pd.DataFrame,
        holidays: tuple[str, ...] | None,
        covariates: tuple[str, ...] | None = None,
    ) -> pd.DataFrame:
        """Return the covariates' columns of ``data``, then the holiday indicators at its dates.

        ``holidays`` names the indicator columns to build (those of the fit); None builds every
        holiday that falls on the dates. ``covariates`` names the covariate columns (default
        every one of ``covariates_``).
        """
        names = self.covariates_ if covariates is None else covariates
        frame = data[list(names)].astype(float).reset_index(drop=True)
        if self.holidays is None or holidays == ():
            return frame
        indicators = holiday_covariates(
            self.holidays,
            data[DS],
            lower_window=self.holidays_lower_window,
            upper_window=self.holidays_upper_window,
            names=holidays,
        ).drop(columns=DS)
        clash = sorted(set(frame.columns) & set(indicators.columns))
        if clash:
            raise ConfigError(
                f"arima: covariate(s) {', '.join(map(repr, clash))} have the names of holiday "
                f"indicators of holidays={self.holidays!r}; rename them or drop holidays=."
            )
        return pd.concat([frame, indicators], axis=1)

    def _history_regressors(self, data: pd.DataFrame) -> pd.DataFrame | None:
        """Return the regressors over the history (None without any), each checked to vary.

        A regressor constant over the history is dropped from this fit with a
        :class:`ForecastWarning` (``dropped_``); collinear ones are refused.
        """
        frame = self._regressor_frame(data, None)
        values = frame.to_numpy(dtype=float)
        constant = [str(c) for c, v in zip(frame.columns, values.T, strict=True) if np.ptp(v) == 0]
        self.dropped_ = tuple(constant)
        if constant:
            self._warn_dropped(frame[constant], len(frame))
            frame = frame.drop(columns=constant)
            values = frame.to_numpy(dtype=float)
        self.regressors_ = tuple(str(c) for c in frame.columns)
        if not self.regressors_:
            return None
        for position, name in enumerate(self.regressors_):
            design = np.column_stack([np.ones(len(values)), values[:, : position + 1]])
            if np.linalg.matrix_rank(design) < position + 2:
                raise CovariateError(
                    f"covariate {name!r} of series {self.series_id_!r} is a linear combination "
                    f"of a constant and {', '.join(map(repr, self.regressors_[:position]))} over "
                    "the history, so arima cannot tell their effects apart; drop one of them.",
                    series=self.series_id_,
                    column=name,
                )
        return frame

    def _warn_dropped(self, constant: pd.DataFrame, rows: int) -> None:
        """Say which regressors are constant over the history and left out of this fit."""
        values = ", ".join(f"{name!r} (always {constant[name].iloc[0]:g})" for name in constant)
        warnings.warn(
            f"arima: regressor(s) {values} of series {self.series_id_!r} are constant over the "
            f"{rows} history rows, so their effect cannot be estimated; this fit leaves them out "
            "and does not use their future values (params_['dropped_regressors']). Give a "
            "history in which they vary to estimate their effect.",
            ForecastWarning,
            stacklevel=6,
        )

    def _future_regressors(self, h: int) -> np.ndarray | None:
        """Return the regressors at the next ``h`` dates (None without any)."""
        if not self.regressors_:
            return None
        dates = self.future_dates(h)
        frame = pd.DataFrame({DS: pd.DatetimeIndex([self.last_ds_]).append(dates)})
        if self.covariates_:
            future = self._future_covariates(h)
            for name in self.covariates_:
                frame[name] = np.r_[np.nan, future[name].to_numpy(dtype=float)]
        # The last fitted date leads the dates so the holidays see the series' step (for h=1).
        # A file saved before covariate_decay has no state: its regressors were not decayed.
        start = getattr(self, "decay_state_", None)
        return self._decay(self._fitted_regressors(frame)[1:], start)

    def _decayed_columns(self) -> int:
        """How many regressors are covariates (the first ones), which ``covariate_decay`` decays."""
        return sum(name in self.covariates_ for name in self.regressors_)

    def _decay(self, values: np.ndarray, start: np.ndarray | None = None) -> np.ndarray:
        """Decay the covariates' columns of ``values`` by ``decay_`` (0 in files without it)."""
        return decayed(values, getattr(self, "decay_", 0.0), self._decayed_columns(), start)

    def _decayed_history(self, raw: pd.DataFrame | None) -> pd.DataFrame | None:
        """Return the regressors of the fit over the history, decayed; keep the last state."""
        if raw is None:
            self.decay_state_ = np.zeros(0)
            return None
        values = self._decay(raw.to_numpy(dtype=float))
        self.decay_state_ = values[-1, : self._decayed_columns()]
        return pd.DataFrame(values, columns=raw.columns)

    def _fitted_regressors(self, data: pd.DataFrame) -> np.ndarray:
        """Return the regressors of the fit (``regressors_``) at the dates of ``data``."""
        covariates = tuple(name for name in self.regressors_ if name in self.covariates_)
        holidays = tuple(name for name in self.regressors_ if name not in self.covariates_)
        frame = self._regressor_frame(data, holidays, covariates)
        return frame[list(self.regressors_)].to_numpy(dtype=float)


def regression_residuals(y: np.ndarray, regressors: np.ndarray) -> np.ndarray:
    """Residuals of the least-squares regression of ``y`` on a constant and ``regressors``.

    As R's ``auto.arima(xreg=)``, the differences of a regression with ARIMA errors are
    chosen on these.
    """
    design = np.column_stack([np.ones(len(y)), regressors])
    coefficients = np.linalg.lstsq(design, y, rcond=None)[0]
    return y - design @ coefficients
