r"""Complex exponential smoothing (Svetunkov, Kourentzes and Ord 2022): ``ces``."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from forecast.errors import HistoryError
from forecast.models._ces import N_PARAMS, SEASONS, CesFit, ces_paths, ces_variance, fit_ces
from forecast.models._params import check_choice
from forecast.models.base import BaseModel, Capabilities, Intervals, normal_intervals
from forecast.models.registry import register
from forecast.schema import Y

__all__ = ["ComplexExponentialSmoothing"]


@register("ces")
class ComplexExponentialSmoothing(BaseModel):
    r"""Complex exponential smoothing, non-seasonal or simple seasonal, chosen by AICc.

    Parameters
    ----------
    season : {"auto", "none", "simple"}
        ``"none"`` is the non-seasonal model; ``"simple"`` the simple seasonal one (lag
        :math:`m`, needs two seasons of data); ``"auto"`` (the default) fits both when the
        series holds two seasons of a period above 1 and keeps the one of smaller AICc, as
        statsforecast's ``AutoCES``; ``params_["season"]`` says which.
    seasonal_period, transform, freq, calibrate
        See :class:`~forecast.models.base.BaseModel`.

    Attributes
    ----------
    params_ : dict
        ``season``, ``a0`` and ``a1`` (the complex smoothing parameter :math:`a_0 + i a_1`),
        ``sse`` (sum of squared one-step errors), ``sigma2`` (error variance of the
        intervals, ``sse / (n - 4)``) and ``aicc``.

    Notes
    -----
    The model (Svetunkov et al. [1]_) smooths the series with a complex parameter:
    :math:`y_t = l_{t-1} + \varepsilon_t`,
    :math:`l_t = l_{t-1} - (1 - a_1) c_{t-1} + (a_0 - a_1)\varepsilon_t`,
    :math:`c_t = l_{t-1} + (1 - a_0) c_{t-1} + (a_0 + a_1)\varepsilon_t`; the simple seasonal
    form uses lag :math:`m`. Estimation follows statsforecast's ``auto_ces`` (initial states
    refined by backcasting, :math:`n\log \mathrm{SSE}` minimised by Nelder-Mead, the same
    bounds and parameter count); see :mod:`forecast.models._ces`. The AICc counts
    :data:`~forecast.models._ces.N_PARAMS` parameters for both forms, as statsforecast does,
    so the choice between them is by fit. The model is linear, so the intervals are exact
    Gaussian ones for i.i.d. normal errors (Hyndman et al. [2]_, section 6.1) and sample
    paths run the model with drawn errors (their quantiles match the intervals). The partial
    and full seasonal forms of the paper are not implemented. Series need 5 observations.

    References
    ----------
    .. [1] Svetunkov, I., Kourentzes, N. and Ord, J. K. (2022). Complex exponential smoothing.
       Naval Research Logistics, 69(8), 1108-1123.
    .. [2] Hyndman, R. J., Koehler, A. B., Ord, J. K. and Snyder, R. D. (2008). Forecasting
       with Exponential Smoothing: The State Space Approach. Springer.
    """

    capabilities = Capabilities(min_history=N_PARAMS + 2)

    def __init__(
        self,
        *,
        season: Literal["auto", "none", "simple"] = "auto",
        seasonal_period: int | None = None,
        transform: Literal["log"] | None = None,
        freq: str | None = None,
    ) -> None:
        super().__init__(seasonal_period=seasonal_period, transform=transform, freq=freq)
        check_choice(self.name, "season", season, ("auto", *SEASONS))
        self.season = season

    def _seasons(self, n: int) -> tuple[str, ...]:
        seasonal = self.seasonal_period_ > 1 and n >= 2 * self.seasonal_period_
        if self.season == "auto":
            return SEASONS if seasonal else ("none",)
        if self.season == "simple" and not seasonal:
            raise HistoryError(
                f"ces: series {self.series_id_!r} has {n} observations; season='simple' needs "
                f"two seasons of period {self.seasonal_period_} (at least "
                f"{2 * self.seasonal_period_}, and a period above 1). Use season='auto' or "
                "'none', or pass seasonal_period=...",
                series=self.series_id_,
                column=Y,
            )
        return (self.season,)

    def _fit(self, data: pd.DataFrame, retention: pd.DataFrame | None) -> None:
        y = data[Y].to_numpy(dtype=float)
        fits = [fit_ces(y, season, self.seasonal_period_) for season in self._seasons(len(y))]
        fit = min(fits, key=lambda f: f.aicc)
        self.ces_fit_: dict[str, Any] = {
            "season": fit.season,
            "lag": fit.lag,
            "a0": fit.a0,
            "a1": fit.a1,
            "sse": fit.sse,
            "states": fit.states,
            "n_obs": fit.n_obs,
        }
        self.params_ = {
            "season": fit.season,
            "a0": fit.a0,
            "a1": fit.a1,
            "sse": fit.sse,
            "sigma2": fit.sigma2,
            "aicc": fit.aicc,
        }

    def _fit_result(self) -> CesFit:
        return CesFit(**self.ces_fit_)

    def _predict(self, h: int, levels: tuple[float, ...]) -> tuple[np.ndarray, Intervals]:
        fit = self._fit_result()
        point = ces_paths(fit, np.zeros((1, h)))[0]
        return point, normal_intervals(point, np.sqrt(ces_variance(fit, h)), levels)

    def _sample(self, h: int, n: int, rng: np.random.Generator) -> np.ndarray:
        fit = self._fit_result()
        return ces_paths(fit, rng.normal(0.0, np.sqrt(fit.sigma2), size=(n, h)))
