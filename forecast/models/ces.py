r"""Complex exponential smoothing (Svetunkov, Kourentzes and Ord 2022): ``ces``."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, Literal

import numpy as np
import pandas as pd

from forecast.errors import HistoryError
from forecast.models._ces import (
    SEASONS,
    CesFit,
    ces_paths,
    ces_variance,
    fit_ces,
    minimum_length,
)
from forecast.models._params import check_choice
from forecast.models.base import BaseModel, Capabilities, Intervals, normal_intervals
from forecast.models.registry import register
from forecast.schema import Y

__all__ = ["ComplexExponentialSmoothing"]


@register("ces")
class ComplexExponentialSmoothing(BaseModel):
    r"""Complex exponential smoothing, non-seasonal or with one of three seasonal forms, by AICc.

    Parameters
    ----------
    season : {"auto", "none", "simple", "partial", "full"}
        ``"none"`` is the non-seasonal model; ``"simple"`` the same model at lag :math:`m`;
        ``"partial"`` the non-seasonal model plus an additive seasonal index; ``"full"`` the
        non-seasonal model plus a second complex block at lag :math:`m`. The seasonal forms
        need two seasons of data (and 6 or 7 observations for the partial and full forms).
        ``"auto"`` (the default) fits every form the series and period allow and keeps the
        one of smallest AICc, as statsforecast's ``AutoCES``; ``params_["season"]`` says
        which.
    seasonal_period, transform, freq, calibrate
        See :class:`~forecast.models.base.BaseModel`.

    Attributes
    ----------
    params_ : dict
        ``season``, ``a0`` and ``a1`` (the complex smoothing parameter :math:`a_0 + i a_1`),
        ``b0`` and ``b1`` (the seasonal block's, None where the form has none), ``sse`` (sum of
        squared one-step errors), ``sigma2`` (error variance of the intervals,
        ``sse / (n - k - 1)`` with ``k`` 3, 3, 4 or 5 by form, as statsforecast) and ``aicc``.

    Notes
    -----
    The model (Svetunkov et al. [1]_) smooths the series with a complex parameter:
    :math:`y_t = l_{t-1} + \varepsilon_t`,
    :math:`l_t = l_{t-1} - (1 - a_1) c_{t-1} + (a_0 - a_1)\varepsilon_t`,
    :math:`c_t = l_{t-1} + (1 - a_0) c_{t-1} + (a_0 + a_1)\varepsilon_t`; the seasonal forms
    add components at lag :math:`m` (see :mod:`forecast.models._ces`). Estimation follows
    statsforecast's ``auto_ces`` (initial states refined by backcasting,
    :math:`n\log \mathrm{SSE}` minimised by Nelder-Mead, the same bounds and the same parameter
    counts in the AICc). The model is linear, so the intervals are exact Gaussian ones for
    i.i.d. normal errors (Hyndman et al. [2]_, section 6.1) and sample paths run the model with
    drawn errors (their quantiles match the intervals). Series need 5 observations.

    References
    ----------
    .. [1] Svetunkov, I., Kourentzes, N. and Ord, J. K. (2022). Complex exponential smoothing.
       Naval Research Logistics, 69(8), 1108-1123.
    .. [2] Hyndman, R. J., Koehler, A. B., Ord, J. K. and Snyder, R. D. (2008). Forecasting
       with Exponential Smoothing: The State Space Approach. Springer.
    """

    capabilities = Capabilities(min_history=5)

    def __init__(
        self,
        *,
        season: Literal["auto", "none", "simple", "partial", "full"] = "auto",
        seasonal_period: int | None = None,
        transform: Literal["log"] | None = None,
        freq: str | None = None,
    ) -> None:
        super().__init__(seasonal_period=seasonal_period, transform=transform, freq=freq)
        check_choice(self.name, "season", season, ("auto", *SEASONS))
        self.season = season

    def _seasons(self, n: int) -> tuple[str, ...]:
        m = self.seasonal_period_
        usable = [s for s in SEASONS if s == "none" or (m > 1 and n >= minimum_length(s, m))]
        if self.season == "auto":
            return tuple(usable)
        if self.season not in usable:
            raise HistoryError(
                f"ces: series {self.series_id_!r} has {n} observations; season="
                f"{self.season!r} needs two seasons of a period above 1 (period {m}: at least "
                f"{minimum_length(str(self.season), max(m, 2))}). Use season='auto' or 'none', "
                "or pass seasonal_period=...",
                series=self.series_id_,
                column=Y,
            )
        return (str(self.season),)

    def _fit(self, data: pd.DataFrame, retention: pd.DataFrame | None) -> None:
        y = data[Y].to_numpy(dtype=float)
        fits = [fit_ces(y, season, self.seasonal_period_) for season in self._seasons(len(y))]
        fit = min(fits, key=lambda f: f.aicc)
        self.ces_fit_: dict[str, Any] = {f.name: getattr(fit, f.name) for f in fields(fit)}
        b0, b1 = (*fit.params[2:], None, None)[:2]
        self.params_ = {
            "season": fit.season,
            "a0": fit.params[0],
            "a1": fit.params[1],
            "b0": b0,
            "b1": b1,
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
