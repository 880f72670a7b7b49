r"""A template of a registered model: simple exponential smoothing with a fixed weight.

To add a model to the package, copy this file to ``forecast/models/<name>.py``, rename the
class, decorate it with ``@register("<name>")`` (from :mod:`forecast.models.registry`) and
import the module in ``forecast/models/__init__.py``; ``tests/models/test_contract.py`` then
runs the model contract on it with every other registered model. Here the class is registered
only by :func:`main`, so importing this file changes nothing. Run it from the repository root::

    python examples/model_template.py

It registers the model as ``"template_ses"``, forecasts the bundled ``social-apps-quarterly``
series with it and ``naive``, prints the forecasts and removes the registration again.

What a model writes; :class:`~forecast.models.base.BaseModel` does the rest (validating the
series, refusing gaps, bounds and short histories as ``capabilities`` says, the log transform,
dates, column names and the checks of every output):

``capabilities``
    What the model can do (intervals, gaps, retention, shortest history, bounds, updates).
``__init__``
    Keyword-only hyperparameters, checked (a :class:`~forecast.errors.ConfigError` naming the
    parameter) and stored under their own names; the base class takes ``seasonal_period``,
    ``transform`` and ``freq``.
``_fit(data, retention)``
    Estimate from ``data`` (``ds``, ``y`` already transformed, ``qualifier``); store the
    fitted state in attributes ending in ``_`` and the parameters in ``params_``.
``_predict(h, levels)``
    ``h`` point forecasts and ``{level: (lower, upper)}``.
``_sample(h, n, rng)``
    ``(n, h)`` sample paths, every draw from ``rng`` (the seed makes them reproducible).
``_update(data)``
    Only with ``updates=True``: move the state to the end of ``data`` without re-estimating.

The model: the level :math:`\ell_t = \ell_{t-1} + \alpha (y_t - \ell_{t-1})`, started at
:math:`\ell_1 = y_1`, forecast flat at the last level with the one-step errors' standard
deviation :math:`\sigma` and the h-step variance :math:`\sigma^2 (1 + \alpha^2 (h - 1))` of
the ETS(A,N,N) model (Hyndman and Athanasopoulos, 2021, section 8.7).

References
----------
.. [1] Hyndman, R. J. and Athanasopoulos, G. (2021). Forecasting: Principles and Practice,
   3rd ed. OTexts. https://otexts.com/fpp3/
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from forecast.errors import ConfigError
from forecast.models.base import BaseModel, Capabilities, Intervals, normal_intervals
from forecast.schema import Y

__all__ = ["NAME", "SimpleSmoothing", "main"]

NAME = "template_ses"
"""The registry name :func:`main` uses."""


class SimpleSmoothing(BaseModel):
    """Simple exponential smoothing with a fixed weight: a flat forecast at the last level.

    Parameters
    ----------
    alpha : float
        Smoothing weight in (0, 1]: 1 gives the naive forecast, small values average over a
        long past.
    seasonal_period, transform, freq
        As for :class:`~forecast.models.base.BaseModel`.

    Attributes
    ----------
    level_ : float
        The last smoothed level (on the transformed scale with ``transform="log"``).
    sigma_ : float
        Standard deviation of the one-step errors.
    params_ : dict
        ``alpha`` and ``sigma``.
    """

    capabilities = Capabilities(min_history=3, updates=True)

    def __init__(
        self,
        *,
        alpha: float = 0.3,
        seasonal_period: int | None = None,
        transform: Literal["log"] | None = None,
        freq: str | None = None,
    ) -> None:
        super().__init__(seasonal_period=seasonal_period, transform=transform, freq=freq)
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha <= 1:
            raise ConfigError(
                f"model {self.name!r}: alpha is the smoothing weight, a number in (0, 1], "
                f"not {alpha!r}."
            )
        self.alpha = float(alpha)

    def _smooth(self, y: np.ndarray) -> tuple[float, np.ndarray]:
        """Return the last level and the one-step errors of ``y``."""
        level = float(y[0])
        errors = np.empty(len(y) - 1)
        for t in range(1, len(y)):
            errors[t - 1] = y[t] - level
            level += self.alpha * errors[t - 1]
        return level, errors

    def _fit(self, data: pd.DataFrame, retention: pd.DataFrame | None) -> None:
        """Smooth the series and estimate the errors' standard deviation."""
        self.level_, errors = self._smooth(data[Y].to_numpy(dtype=float))
        self.sigma_ = float(np.sqrt(np.mean(errors**2)))
        self.params_ = {"alpha": self.alpha, "sigma": self.sigma_}

    def _update(self, data: pd.DataFrame) -> None:
        """Smooth the longer series with the same weight; ``sigma_`` stays."""
        self.level_, _ = self._smooth(data[Y].to_numpy(dtype=float))

    def _predict(self, h: int, levels: tuple[float, ...]) -> tuple[np.ndarray, Intervals]:
        """Forecast the last level with normal intervals of the ETS(A,N,N) variance."""
        point = np.full(h, self.level_)
        sd = self.sigma_ * np.sqrt(1.0 + self.alpha**2 * np.arange(h))
        return point, normal_intervals(point, sd, levels)

    def _sample(self, h: int, n: int, rng: np.random.Generator) -> np.ndarray:
        """Simulate the state space model: each error moves the level by ``alpha`` of itself."""
        errors = rng.normal(0.0, self.sigma_, size=(n, h))
        level_after = self.level_ + self.alpha * np.cumsum(errors, axis=1)
        level_before = np.concatenate([np.full((n, 1), self.level_), level_after[:, :-1]], axis=1)
        return level_before + errors


def main() -> pd.DataFrame:
    """Register the template, forecast a bundled dataset with it and ``naive``, unregister it.

    Returns
    -------
    DataFrame
        The forecasts of both models, 4 quarters ahead, as printed.
    """
    import forecast as fc
    from forecast.models.registry import register, unregister

    register(NAME)(SimpleSmoothing)
    try:
        series = fc.datasets.load("social-apps-quarterly").series
        forecasts = fc.forecast(series, [NAME, "naive"], h=4, on_error="raise")
    finally:
        unregister(NAME)
    with pd.option_context("display.width", 120, "display.max_columns", 10):
        print(forecasts.to_string(index=False, float_format="{:.1f}".format))
    return forecasts


if __name__ == "__main__":
    main()
