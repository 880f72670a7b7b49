r"""The optimised and dynamic optimised theta models (Fiorucci et al. 2016): ``dotm``."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, Literal

import numpy as np
import pandas as pd

from forecast.models._params import check_choice
from forecast.models._theta_dynamic import (
    BURN_IN,
    VARIANTS,
    ThetaFit,
    fit_theta,
    forecast_paths,
    forecast_variance,
    seasonal_adjustment,
)
from forecast.models.base import BaseModel, Capabilities, Intervals, normal_intervals
from forecast.models.registry import register
from forecast.schema import Y

__all__ = ["DynamicOptimisedTheta"]

Variant = Literal["dotm", "otm", "dstm", "stm", "auto"]


@register("dotm")
class DynamicOptimisedTheta(BaseModel):
    r"""The dynamic optimised theta model of Fiorucci et al., or its static and standard forms.

    Parameters
    ----------
    variant : {"dotm", "otm", "dstm", "stm", "auto"}
        ``"dotm"`` (the default) updates the trend line with every observation and estimates
        :math:`\theta`; ``"otm"`` estimates :math:`\theta` with the trend line of the whole
        series (the optimised theta method); ``"dstm"`` and ``"stm"`` fix :math:`\theta = 2`
        (``"stm"`` is the standard theta method, SES with drift). ``"auto"`` fits the four
        and keeps the one with the smallest in-sample mean squared error, as statsforecast's
        ``AutoTheta``; ``params_["variant"]`` says which.
    deseasonalize : {"auto", True, False}
        ``"auto"`` removes a season of length :math:`m \ge 4` when the autocorrelation test of
        the theta literature finds one (90%, on at least two seasons of data); ``True``
        removes one whenever there are two seasons of data; ``False`` never.
    decomposition : {"multiplicative", "additive"}
        How a season is removed; multiplicative falls back to additive when the series is not
        all positive or a seasonal index is below 0.01, and ``params_["decomposition"]`` says
        which was used.
    seasonal_period, transform, freq, calibrate
        See :class:`~forecast.models.base.BaseModel`.

    Attributes
    ----------
    params_ : dict
        ``variant``, ``alpha``, ``theta``, ``level0`` (initial smoothed level), ``mse`` (mean
        squared one-step error from the fourth observation on, on the adjusted scale),
        ``sigma2`` (the error variance of the intervals, equal to ``mse``) and
        ``decomposition`` (None when no season was removed).

    Notes
    -----
    The model (Fiorucci et al. [1]_, section 3) is
    :math:`y_t = \mu_t + \varepsilon_t`,
    :math:`\mu_t = \ell_{t-1} + (1 - 1/\theta)\{(1-\alpha)^{t-1} A_{t-1} +
    \frac{1-(1-\alpha)^t}{\alpha} B_{t-1}\}`,
    :math:`\ell_t = \alpha y_t + (1-\alpha)\ell_{t-1}`, with :math:`A_t, B_t` the intercept
    and slope of the least-squares line through :math:`y_1..y_t` (dynamic) or through the
    whole series (static). :math:`\alpha \in [0.1, 0.99]`, :math:`\theta \ge 1` and
    :math:`\ell_0` minimise the squared one-step errors from the fourth observation on (see
    :mod:`forecast.models._theta_dynamic` for how). The recursion is linear in the
    observations, so the intervals are exact Gaussian ones for i.i.d. normal errors of
    variance ``sigma2`` (the state covariance propagated through the forecast recursion), and
    sample paths run the same recursion with drawn errors, so their quantiles match the
    intervals. With a season removed, point, bounds and paths are multiplied by (or added to)
    the last season's indices, as in statsforecast. Series need 4 observations.

    References
    ----------
    .. [1] Fiorucci, J. A., Pellegrini, T. R., Louzada, F., Petropoulos, F. and Koehler, A. B.
       (2016). Models for optimising the theta method and their relationship to state space
       models. International Journal of Forecasting, 32(4), 1151-1161.
    .. [2] Assimakopoulos, V. and Nikolopoulos, K. (2000). The theta model: a decomposition
       approach to forecasting. International Journal of Forecasting, 16(4), 521-530.
    .. [3] Hyndman, R. J., Koehler, A. B., Ord, J. K. and Snyder, R. D. (2008). Forecasting
       with Exponential Smoothing: The State Space Approach. Springer.
    """

    capabilities = Capabilities(min_history=BURN_IN + 1)

    def __init__(
        self,
        *,
        variant: Variant = "dotm",
        deseasonalize: bool | Literal["auto"] = "auto",
        decomposition: Literal["multiplicative", "additive"] = "multiplicative",
        seasonal_period: int | None = None,
        transform: Literal["log"] | None = None,
        freq: str | None = None,
    ) -> None:
        super().__init__(seasonal_period=seasonal_period, transform=transform, freq=freq)
        check_choice(self.name, "variant", variant, (*VARIANTS, "auto"))
        check_choice(self.name, "deseasonalize", deseasonalize, ("auto", True, False))
        check_choice(self.name, "decomposition", decomposition, ("multiplicative", "additive"))
        self.variant = variant
        self.deseasonalize = deseasonalize
        self.decomposition = decomposition

    def _fit(self, data: pd.DataFrame, retention: pd.DataFrame | None) -> None:
        y = data[Y].to_numpy(dtype=float)
        m = self.seasonal_period_
        adjusted, season, kind = y, np.empty(0), None
        if self.deseasonalize == "auto":
            adjusted, season, kind = seasonal_adjustment(y, m, self.decomposition)
        elif self.deseasonalize and m > 1 and len(y) >= 2 * m:
            adjusted, season, kind = seasonal_adjustment(y, m, self.decomposition, test=False)
        variants = VARIANTS if self.variant == "auto" else (self.variant,)
        fits = [fit_theta(adjusted, v) for v in variants]
        fit = min(fits, key=lambda f: f.mse)
        self.theta_fit_: dict[str, Any] = {f.name: getattr(fit, f.name) for f in fields(fit)}
        self.season_ = season
        self.decomposition_ = kind
        self.params_ = {
            "variant": fit.variant,
            "alpha": fit.alpha,
            "theta": fit.theta,
            "level0": fit.level0,
            "mse": fit.mse,
            "sigma2": fit.mse,
            "decomposition": kind,
        }

    def _fit_result(self) -> ThetaFit:
        return ThetaFit(**self.theta_fit_)

    def _reseason(self, values: np.ndarray) -> np.ndarray:
        if self.decomposition_ is None:
            return values
        h = values.shape[-1]
        season = np.resize(self.season_, h)
        return values * season if self.decomposition_ == "multiplicative" else values + season

    def _predict(self, h: int, levels: tuple[float, ...]) -> tuple[np.ndarray, Intervals]:
        fit = self._fit_result()
        point = forecast_paths(fit, self.n_obs_, np.zeros((1, h)))[0]
        sd = np.sqrt(forecast_variance(fit, self.n_obs_, h, self.params_["sigma2"]))
        bands = normal_intervals(point, sd, levels)
        intervals: Intervals = {
            level: (self._reseason(lo), self._reseason(hi)) for level, (lo, hi) in bands.items()
        }
        return self._reseason(point), intervals

    def _sample(self, h: int, n: int, rng: np.random.Generator) -> np.ndarray:
        shocks = rng.normal(0.0, np.sqrt(self.params_["sigma2"]), size=(n, h))
        return self._reseason(forecast_paths(self._fit_result(), self.n_obs_, shocks))
