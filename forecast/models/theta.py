"""The Theta method (statsmodels ThetaModel), deseasonalised where a season is detected."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.special import ndtri

from forecast.errors import FitError
from forecast.models._params import check_bool, check_choice, check_number
from forecast.models._statsmodels import quiet_estimation
from forecast.models.base import BaseModel, Capabilities, Intervals
from forecast.models.registry import register
from forecast.schema import Y

__all__ = ["Theta", "theta_forecast"]


def theta_forecast(results: Any, h: int, theta: float) -> np.ndarray:
    r"""Return statsmodels' Theta forecast ``1..h`` steps ahead, as an array.

    The same operations as ``ThetaModelResults.forecast`` (so the same numbers) without its
    frame of components: :math:`w b_0 (j - 1 + 1/\alpha - (1-\alpha)^T/\alpha) + \tilde
    X_{T+j}` with :math:`w = (\theta - 1)/\theta`, reseasonalised.

    Parameters
    ----------
    results : statsmodels ThetaModelResults
    h : int
        Steps ahead.
    theta : float
        The weight of the trend line, at least 1.

    Returns
    -------
    ndarray
        The ``h`` point forecasts.

    References
    ----------
    .. [1] Hyndman, R. J. and Billah, B. (2003). Unmasking the Theta method. International
       Journal of Forecasting, 19(2), 287-290.
    """
    alpha, nobs, model = results._alpha, results._nobs, results.model
    steps = np.arange(1, h + 1, dtype=np.float64) - 1
    if alpha > 0:
        steps += 1 / alpha - ((1 - alpha) ** nobs / alpha)
    trend = results._b0 * steps
    ses = results._one_step * np.ones(h)
    weight = (theta - 1) / theta if theta < 4.0 / np.finfo(np.double).eps else 1.0
    point = np.asarray(weight * trend + ses, dtype=float)
    if model.deseasonalize:
        multiplicative = model.method.startswith("mul")
        season = np.ones(h) if multiplicative else np.zeros(h)
        if results._seasonal.shape[0]:
            season[:] = results._seasonal[(nobs + np.arange(h)) % model.period]
        point = point * season if multiplicative else point + season
    return point


@register("theta")
class Theta(BaseModel):
    r"""The Theta method of Assimakopoulos and Nikolopoulos, seasonally adjusted when needed.

    Parameters
    ----------
    theta : float
        Weight of the linear trend against simple exponential smoothing (2 is the classic
        Theta method).
    deseasonalize : {"auto", True, False}
        ``"auto"`` tests for a season (statsmodels' ACF test at 10% on the lag of the season)
        and removes it by classical decomposition when found; ``True`` always removes it,
        ``False`` never.
    method : {"auto", "additive", "multiplicative"}
        Decomposition used to remove the season; ``"auto"`` is multiplicative for strictly
        positive data.
    use_mle : bool
        Estimate by maximum likelihood as an ARIMA(0,1,1) with drift instead of the default
        two-step estimate (OLS trend and exponential smoothing).
    seasonal_period, transform, freq
        See :class:`~forecast.models.base.BaseModel`.

    Attributes
    ----------
    results_ : statsmodels ThetaModelResults
    params_ : dict
        ``b0`` (trend slope), ``alpha`` (smoothing), ``sigma2``, ``theta`` and
        ``deseasonalized`` (whether a season was removed).

    Notes
    -----
    Forecasts and intervals come from statsmodels'
    :class:`~statsmodels.tsa.forecasting.theta.ThetaModel`: the point is
    :math:`\hat X_{T+h} = \tilde X_{T+h} + b_0 \left(h - 1 + \frac{1}{\alpha} -
    \frac{(1-\alpha)^T}{\alpha}\right) \frac{\theta - 1}{\theta}` (reseasonalised), and the
    interval at level :math:`L` is the point :math:`\pm z_L \sigma_h` with
    :math:`\sigma_h^2 = \sigma^2 (1 + (h - 1)(1 + (\alpha - 1)^2))`, the variance statsmodels
    derives from the integrated moving average form of the model.

    Sample paths are an approximation consistent with those intervals: the point forecast plus
    a Gaussian random walk whose first step has variance :math:`\sigma^2` and later steps
    :math:`\sigma^2 (1 + (\alpha - 1)^2)`, so each step's marginal distribution is exactly
    the one the intervals describe; the seasonal factors are not applied to the noise, as
    statsmodels does not apply them to the interval widths either. Series shorter than two
    seasons are not deseasonalised; constant series raise :class:`~forecast.errors.FitError`
    (statsmodels' trend regression is degenerate on them).

    References
    ----------
    .. [1] Assimakopoulos, V. and Nikolopoulos, K. (2000). The theta model: a decomposition
       approach to forecasting. International Journal of Forecasting, 16(4), 521-530.
    .. [2] Hyndman, R. J. and Billah, B. (2003). Unmasking the Theta method. International
       Journal of Forecasting, 19(2), 287-290.
    """

    capabilities = Capabilities(min_history=4)

    def __init__(
        self,
        *,
        theta: float = 2.0,
        deseasonalize: bool | Literal["auto"] = "auto",
        method: Literal["auto", "additive", "multiplicative"] = "auto",
        use_mle: bool = False,
        seasonal_period: int | None = None,
        transform: Literal["log"] | None = None,
        freq: str | None = None,
    ) -> None:
        super().__init__(seasonal_period=seasonal_period, transform=transform, freq=freq)
        check_choice(self.name, "deseasonalize", deseasonalize, ("auto", True, False))
        check_choice(self.name, "method", method, ("auto", "additive", "multiplicative"))
        self.theta = check_number(self.name, "theta", theta, minimum=1.0)
        self.deseasonalize = deseasonalize
        self.method = method
        self.use_mle = check_bool(self.name, "use_mle", use_mle)

    def _fit(self, data: pd.DataFrame, retention: pd.DataFrame | None) -> None:
        from statsmodels.tsa.forecasting.theta import ThetaModel

        y = data[Y].to_numpy(dtype=float)
        if np.ptp(y) == 0:
            raise FitError(
                f"theta: series {self.series_id_!r} is constant ({y[0]:g}); statsmodels' Theta "
                "regression is degenerate on constant data. Use 'naive' or 'mean' for it."
            )
        m = self.seasonal_period_
        seasonal = self.deseasonalize is not False and m > 1 and len(y) >= 2 * m
        with quiet_estimation():
            model = ThetaModel(
                y,
                period=m if seasonal else 1,
                deseasonalize=seasonal,
                use_test=self.deseasonalize == "auto",
                method=self.method,
            )
            self.results_ = model.fit(use_mle=self.use_mle)
            sigma2 = float(self.results_.sigma2)  # estimated lazily, by a fit of its own
        self.deseasonalized_ = bool(seasonal and model._has_seasonality)
        self.params_ = {
            "b0": float(self.results_.params["b0"]),
            "alpha": float(self.results_.params["alpha"]),
            "sigma2": sigma2,
            "theta": self.theta,
            "deseasonalized": self.deseasonalized_,
        }

    def _predict(self, h: int, levels: tuple[float, ...]) -> tuple[np.ndarray, Intervals]:
        point = theta_forecast(self.results_, h, self.theta)
        intervals: Intervals = {}
        if levels:
            alpha = float(self.results_._alpha)  # statsmodels' params["alpha"], without a Series
            sigma2 = float(self.results_.sigma2)
            sigma_h = np.sqrt((1 + np.arange(h) * (1 + (alpha - 1) ** 2)) * sigma2)
            for level in levels:
                quantile = ndtri((1.0 - level / 100.0) / 2)  # stats.norm.ppf, without its checks
                intervals[level] = (point + sigma_h * quantile, point + sigma_h * -quantile)
        return point, intervals

    def _sample(self, h: int, n: int, rng: np.random.Generator) -> np.ndarray:
        point = theta_forecast(self.results_, h, self.theta)
        sigma2, alpha = self.params_["sigma2"], self.params_["alpha"]
        scale = np.full(h, np.sqrt(sigma2 * (1.0 + (alpha - 1.0) ** 2)))
        scale[0] = np.sqrt(sigma2)
        return point + np.cumsum(rng.normal(0.0, 1.0, size=(n, h)) * scale, axis=1)
