r"""The Bass (1969) diffusion model of new-product adoption, fitted to sparse data with bounds.

The cumulative share of the market potential that has adopted by time :math:`t` (in steps of
the series' frequency since launch) is

.. math::

    F(t) = \frac{1 - e^{-(p+q)t}}{1 + (q/p)\,e^{-(p+q)t}}, \qquad
    f(t) = F'(t) = \frac{(p+q)^2}{p}\,\frac{e^{-(p+q)t}}{\big(1 + (q/p)\,e^{-(p+q)t}\big)^2},

with :math:`m` the market potential, :math:`p` the coefficient of innovation and :math:`q`
the coefficient of imitation (the paper's symbols). The model's hazard of adoption is
:math:`p + q F(t)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd

from forecast.errors import ConfigError
from forecast.models import _curvefit as cf
from forecast.models._curve_covariates import (
    CovariateTable,
    design_rows,
    effect_names,
    effective_time,
    multiplier,
)
from forecast.models._params import check_choice
from forecast.models.base import BaseModel, Capabilities, Intervals
from forecast.models.registry import register
from forecast.schema import DS, QUALIFIER, Y

__all__ = ["BassDiffusion", "bass_cumulative", "bass_density", "DEFAULT_BASS_PRIOR", "PRIOR_LOG_SD"]

PRIOR_LOG_SD = 1.5
"""Standard deviation of the default priors on ``log p`` and ``log q`` (a factor of 4.5 per sd)."""

DEFAULT_BASS_PRIOR: dict[str, tuple[float, float]] = {
    "p": (0.03, PRIOR_LOG_SD),
    "q": (0.38, PRIOR_LOG_SD),
}
"""Sultan, Farley and Lehmann (1990) meta-analysis averages, per year: p = 0.03, q = 0.38."""

Target = Literal["adoptions", "cumulative", "level"]
Form = Literal["interval", "density"]


def bass_cumulative(
    t: np.ndarray, p: float | np.ndarray, q: float | np.ndarray, m: float | np.ndarray
) -> np.ndarray:
    r"""Cumulative adopters :math:`m F(t)` of the Bass diffusion model.

    Parameters
    ----------
    t : ndarray
        Periods since launch; times before launch (``t <= 0``) give 0.
    p, q, m : float or ndarray
        Coefficients of innovation and imitation (per period) and the market potential;
        arrays broadcast against ``t``.

    Returns
    -------
    ndarray
        Cumulative adopters at each ``t``; increasing and bounded by ``m``.

    Notes
    -----
    .. math:: N(t) = m \frac{1 - e^{-(p+q)t}}{1 + (q/p) e^{-(p+q)t}}

    References
    ----------
    .. [1] Bass, F. M. (1969). A new product growth for model consumer durables.
       Management Science, 15(5), 215-227.
    """
    t = np.maximum(np.asarray(t, dtype=float), 0.0)
    decay = np.exp(-(p + q) * t)
    return m * (1.0 - decay) / (1.0 + (q / p) * decay)


def bass_density(
    t: np.ndarray, p: float | np.ndarray, q: float | np.ndarray, m: float | np.ndarray
) -> np.ndarray:
    r"""Adoption rate :math:`m f(t)` of the Bass model (0 before launch).

    Parameters
    ----------
    t : ndarray
        Periods since launch.
    p, q, m : float or ndarray
        Coefficients of innovation and imitation (per period) and the market potential.

    Returns
    -------
    ndarray
        :math:`m (p+q)^2/p \cdot e^{-(p+q)t} / (1 + (q/p) e^{-(p+q)t})^2`.
    """
    t = np.asarray(t, dtype=float)
    decay = np.exp(-(p + q) * np.maximum(t, 0.0))
    rate = m * (p + q) ** 2 / p * decay / (1.0 + (q / p) * decay) ** 2
    return np.where(t < 0, 0.0, rate)


@register("bass")
class BassDiffusion(BaseModel, CovariateTable):
    r"""Bass diffusion: market potential m, innovation p, imitation q, with bounds and priors.

    Parameters
    ----------
    target : {"adoptions", "cumulative", "level"}
        What ``y`` is: new adopters per period (default), cumulative adopters :math:`m F(t)`,
        or an active-user level (DAU, MAU) modelled as :math:`m F(t)`, where ``m`` is then
        the level the active base saturates at (a constant active share of adopters folded
        into ``m``; churn is not modelled, see ``retention_feedback`` for that).
    form : {"interval", "density"}
        For ``target="adoptions"``: adoptions in the period ending at ``t`` are
        :math:`m [F(t) - F(t-1)]` (``"interval"``, default) or the rate :math:`m f(t)`
        (``"density"``, the form of the common nonlinear-least-squares tutorials).
    launch : str or Timestamp, optional
        Launch date (``t = 0``). By default the first observed period is ``t = 1``, so launch
        is one step before the first date. Time is counted in steps of the series' frequency;
        irregular dates get fractional step counts between grid dates (see
        :func:`forecast.models._curvefit.step_times`).
    prior : "default", mapping or None
        Log-normal priors as penalties, ``{name: (centre, sd of log)}`` on ``"m"`` (data
        units), ``"p"`` and ``"q"`` (per year, rescaled to the step: a hazard rate per year
        times the step length in years, e.g. 0.38 / 365.25 per day or 0.38 / 4 per quarter).
        ``"default"`` is :data:`DEFAULT_BASS_PRIOR`, the meta-analysis averages p = 0.03 and
        q = 0.38 per year (Sultan, Farley and Lehmann 1990) with sd 1.5 on the log scale;
        ``None`` gives plain (bounded) least squares.
    market_size : float, optional
        An upper bound on ``m`` (a hard limit of the optimiser; draws beyond it are rejected),
        or, with ``fix_market_size=True``, the fixed value of ``m``. Without it, ``m`` is kept
        below :data:`~forecast.models._curvefit.CAPACITY_CEILING` (1e4) times the data's
        reference size (largest level, or mean adoption times the span in steps).
    fix_market_size : bool
        Fix ``m`` at ``market_size`` instead of bounding it.
    sigma : float, optional
        Fixed observation noise on the fitted scale (on ``log y`` with ``transform="log"``);
        estimated when None, which needs more point observations than free parameters.
    interval_method : {"laplace", "bootstrap"}
        Parameter uncertainty by a Laplace approximation or a parametric bootstrap.
    n_boot : int
        Bootstrap replicates.
    seed : int
        Seed of the bootstrap and of the paths behind the intervals.
    transform : {"log"}, optional
        Fit on the log scale (multiplicative errors); forecasts stay positive.
    freq : str, optional
        A pandas offset alias overriding the inferred frequency.

    Attributes
    ----------
    params_ : dict
        ``m``, ``p`` and ``q`` (per step of the series' frequency), ``sigma``, and
        ``p_per_year``, ``q_per_year``; fitted with covariates, ``beta_<name>``: the log of the
        factor on the hazard of adoption per unit of each covariate.
    standard_errors_ : dict
        Laplace standard errors of ``m``, ``p``, ``q`` and any ``beta_<name>`` (delta method
        from the log scale).
    origin_ : Timestamp
        The date of ``t = 0``.
    step_years_ : float
        Length of one step in years.

    Notes
    -----
    Observations with qualifier ``>=`` or ``<=`` are one-sided bounds, ``~`` a point with
    three times the error (see :mod:`forecast.models._curvefit` for the objective, the bound
    enforcement and the intervals). Parameters are estimated on the log scale
    (:math:`\log(m/s), \log p, \log q` with :math:`s` the largest observation) from several
    starting values, by ``scipy.optimize.least_squares``. Intervals combine parameter
    uncertainty and Gaussian observation noise; they are wide when the data are few.

    Covariates (``fit(..., covariates=frame)``) act on acquisition, as in the generalised
    Bass model [4]_: the hazard of adoption is multiplied by :math:`e^{\beta^\top x_t}`, so
    the curve runs in the effective time :math:`X(t) = \int_0^t e^{\beta^\top x(s)} ds`
    (:math:`F(X(t))` in place of :math:`F(t)`). A campaign multiplies the adoptions of its
    periods and pulls later ones forward; :math:`\beta` is estimated with ``m``, ``p``,
    ``q`` and is part of the intervals' uncertainty. A covariate row stands for the period
    ending at its date (the interval since the previous observation, since launch for the
    first); a covariate constant over the history is refused. See
    :mod:`forecast.models._curve_covariates`.

    References
    ----------
    .. [1] Bass, F. M. (1969). A new product growth for model consumer durables.
       Management Science, 15(5), 215-227.
    .. [2] Sultan, F., Farley, J. U. and Lehmann, D. R. (1990). A meta-analysis of
       applications of diffusion models. Journal of Marketing Research, 27(1), 70-77.
    .. [3] Srinivasan, V. and Mason, C. H. (1986). Nonlinear least squares estimation of new
       product diffusion models. Marketing Science, 5(2), 169-178.
    .. [4] Bass, F. M., Krishnan, T. V. and Jain, D. C. (1994). Why the Bass model fits
       without decision variables. Marketing Science, 13(3), 203-223.

    Examples
    --------
    >>> import pandas as pd, forecast as fc
    >>> sales = pd.DataFrame({"ds": pd.date_range("1949", periods=8, freq="YS"),
    ...                       "y": [96, 195, 238, 380, 1045, 1230, 1267, 1828]})
    >>> model = fc.models.get("bass", prior=None).fit(sales)
    >>> sorted(model.params_)
    ['m', 'p', 'p_per_year', 'q', 'q_per_year', 'sigma']
    """

    capabilities = Capabilities(irregular=True, bounds=True, min_history=4, covariates=True)

    def __init__(
        self,
        *,
        target: Target = "adoptions",
        form: Form = "interval",
        launch: str | pd.Timestamp | None = None,
        prior: Literal["default"] | Mapping[str, tuple[float, float]] | None = "default",
        market_size: float | None = None,
        fix_market_size: bool = False,
        sigma: float | None = None,
        interval_method: Literal["laplace", "bootstrap"] = "laplace",
        n_boot: int = 200,
        seed: int = 0,
        transform: Literal["log"] | None = None,
        freq: str | None = None,
    ) -> None:
        super().__init__(transform=transform, freq=freq)
        cf.check_curve_options(
            self.name,
            target=target,
            targets=("adoptions", "cumulative", "level"),
            asymptote_name="market_size",
            symbol="m",
            asymptote=market_size,
            fix_asymptote=fix_market_size,
            interval_method=interval_method,
            options={"launch": launch, "sigma": sigma, "n_boot": n_boot, "seed": seed},
        )
        check_choice(self.name, "form", form, ("interval", "density"))
        if form == "density" and target != "adoptions":
            raise ConfigError(
                f"form='density' describes adoptions per period; with target={target!r} leave "
                "form='interval'."
            )
        if isinstance(prior, str) or not (prior is None or isinstance(prior, Mapping)):
            check_choice(self.name, "prior", prior, ("default", None))
        self.target = target
        self.form = form
        self.launch = launch
        self.prior = prior
        self.market_size = market_size
        self.fix_market_size = fix_market_size
        self.sigma = sigma
        self.interval_method = interval_method
        self.n_boot = n_boot
        self.seed = seed

    # ---------------------------------------------------------------------------------- curve
    def _values(self, theta: np.ndarray, t: np.ndarray) -> np.ndarray:
        m = self.scale_ * np.exp(theta[..., 0:1])
        p = np.exp(theta[..., 1:2])
        q = np.exp(theta[..., 2:3])
        if self.covariate_values_.shape[1]:
            return cf.on_scale(self._generalised(theta[..., 3:], t, p, q, m), self.transform)
        if self.target != "adoptions":
            values = bass_cumulative(t, p, q, m)
        elif self.form == "density":
            values = bass_density(t, p, q, m)
        else:
            values = bass_cumulative(t, p, q, m) - bass_cumulative(t - 1.0, p, q, m)
        return cf.on_scale(values, self.transform)

    def _generalised(
        self, beta: np.ndarray, t: np.ndarray, p: np.ndarray, q: np.ndarray, m: np.ndarray
    ) -> np.ndarray:
        """Evaluate the generalised Bass model: the Bass curve in effective time."""
        table_t, table_x = self._table()
        now = effective_time(beta, table_t, table_x, t)
        if self.target != "adoptions":
            return bass_cumulative(now, p, q, m)
        if self.form == "density":
            rate = multiplier(beta, design_rows(table_t, table_x, t))
            return bass_density(now, p, q, m) * rate
        before = effective_time(beta, table_t, table_x, t, back=1.0)
        return bass_cumulative(now, p, q, m) - bass_cumulative(before, p, q, m)

    def _starts(self, t: np.ndarray, reference: float, prior_mean: np.ndarray) -> list[np.ndarray]:
        span = max(float(t.max()), 1.0)
        log_m = [np.log(c * reference / self.scale_) for c in (1.2, 2.0, 5.0)]
        starts = []
        for lm in log_m:
            for q in (2.0 / span, 5.0 / span, 12.0 / span):
                for ratio in (0.01, 0.1):
                    starts.append(np.array([lm, np.log(ratio * q), np.log(q)]))
        if np.all(np.isfinite(prior_mean[1:3])):
            starts.append(np.array([log_m[1], prior_mean[1], prior_mean[2]]))
        effects = np.zeros(prior_mean.size - 3)
        return [np.concatenate([start, effects]) for start in starts]

    # ------------------------------------------------------------------------------ contract
    def _fit(self, data: pd.DataFrame, retention: pd.DataFrame | None) -> None:
        offset = self.frequency_.offset
        self.origin_ = cf.time_origin(data[DS].iloc[0], offset, self.launch, self.series_id_)
        self.step_years_ = cf.step_in_years(self.origin_, offset)
        t = cf.step_times(data[DS], self.origin_, offset)
        self.observed_ds_ = pd.DatetimeIndex(data[DS])
        y = data[Y].to_numpy(dtype=float)
        original = np.exp(y) if self.transform == "log" else y
        self.scale_ = float(np.max(np.abs(original))) or 1.0
        qualifier = data[QUALIFIER].to_numpy(dtype=object)
        n_cov = self._set_history_table(data, t, np.isin(qualifier, ["=", "~"]), self.series_id_)
        prior = DEFAULT_BASS_PRIOR if self.prior == "default" else self.prior
        spec: cf.PriorSpec = {"m": (0, "scale"), "p": (1, "rate"), "q": (2, "rate")}
        prior_mean, prior_sd = cf.log_prior(
            prior, spec, 3 + n_cov, self.step_years_, self.scale_, self.name
        )
        span = max(float(t.max()), 1.0)
        reference = cf.reference_size(
            original, qualifier, self.target == "adoptions", span, self.series_id_
        )
        lower, upper = np.full(3 + n_cov, -np.inf), np.full(3 + n_cov, np.inf)
        upper[0] = np.log(cf.CAPACITY_CEILING * reference / self.scale_)
        if self.market_size is not None:
            bound = np.log(self.market_size / self.scale_)
            upper[0] = bound
            if self.fix_market_size:
                lower[0] = bound
        problem = cf.CurveProblem(
            curve=self._values,
            t=t,
            y=y,
            qualifier=qualifier,
            starts=self._starts(t, reference, prior_mean),
            lower=lower,
            upper=upper,
            prior_mean=prior_mean,
            prior_sd=prior_sd,
            sigma=self.sigma,
            names=("m", "p", "q", *effect_names(self._covariate_names())),
            series=self.series_id_,
        )
        self.curve_fit_ = cf.fit_curve(
            problem, method=self.interval_method, n_boot=self.n_boot, seed=self.seed
        )
        theta = self.curve_fit_.theta
        m, p, q = self.scale_ * np.exp(theta[0]), np.exp(theta[1]), np.exp(theta[2])
        self.params_ = {
            "m": float(m),
            "p": float(p),
            "q": float(q),
            "sigma": float(self.curve_fit_.sigma),
            "p_per_year": float(p / self.step_years_),
            "q_per_year": float(q / self.step_years_),
        } | self._effects(theta, 3)
        se = self.curve_fit_.standard_errors
        self.standard_errors_ = {
            "m": float(m * se[0]),
            "p": float(p * se[1]),
            "q": float(q * se[2]),
        } | {
            name: float(se[3 + j] / self.covariate_scale_[j])
            for j, name in enumerate(self._effects(theta, 3))
        }

    def _times(self, h: int) -> np.ndarray:
        return cf.step_times(self.future_dates(h), self.origin_, self.frequency_.offset)

    def fitted(self) -> pd.DataFrame:
        """Return the fitted curve at the observed dates: ``ds``, ``yhat`` (on the scale of ``y``).

        Returns
        -------
        DataFrame
        """
        self._check_fitted()
        values = self._inverse(self.curve_fit_.curve(self.curve_fit_.problem.t))
        return pd.DataFrame({DS: self.observed_ds_, "yhat": values})

    def _predict(self, h: int, levels: tuple[float, ...]) -> tuple[np.ndarray, Intervals]:
        t = self._times(h)
        with self._future_rows(t, h):
            return self.curve_fit_.predict(t, levels, seed=self.seed)

    def _sample(self, h: int, n: int, rng: np.random.Generator) -> np.ndarray:
        t = self._times(h)
        with self._future_rows(t, h):
            return self.curve_fit_.sample(t, n, rng)
