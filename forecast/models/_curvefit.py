r"""Shared machinery of the curve models: time in steps, penalised least squares, intervals.

The growth curves (``logistic``, ``gompertz``, ``bass``) fit a deterministic curve
:math:`f(\theta, t)` to a series that may be sparse, irregular, approximate (``~``) or only a
bound (``>=``, ``<=``). This module does that fitting once, for any curve, so other structural
models can reuse it. It gathers the names of three private modules, one per concern:
:mod:`~forecast.models._curve_setup` (time in steps, priors, scales, options),
:mod:`~forecast.models._curve_estimate` (the problem and its penalised least-squares fit) and
:mod:`~forecast.models._curve_uncertainty` (Laplace or bootstrap uncertainty, draws, intervals).

API
---
``step_times(ds, origin, offset)``
    Times of ``ds`` in steps of ``offset`` since ``origin`` (fractional between grid dates).
``time_origin(first, offset, launch, series)``
    Time zero: ``launch``, or one step before the first date (first period at ``t = 1``).
``log_prior(prior, spec, k, step_years, scale, model)``
    Prior arrays from ``{name: (centre, sd of log)}``; rate centres per year become per step.
``delta_standard_errors(natural, theta, cov)``
    Standard errors of named functions of ``theta`` (the delta method).
``reference_size(y, qualifier, adoptions, span, series)``
    The size an asymptote is compared with (largest level, or mean adoption times span).
``on_scale(values, transform)``
    Curve values on the fitted scale (their log with ``transform="log"``).
``step_in_years(origin, offset)``
    Length of one step in years (mean of twelve steps, in days / 365.25): rates per year times
    this number are rates per step.
``CurveProblem(*, curve, t, y, qualifier, starts, lower=None, upper=None, prior_mean=None,
prior_sd=None, sigma=None, names=(), series="series")``
    What to fit (keyword arguments only). ``curve(theta, t)`` maps unconstrained parameters of
    shape ``(..., k)`` and times of shape ``(n,)`` to values of shape ``(..., n)`` on the fitted
    scale (it must broadcast over leading axes of ``theta``). ``starts`` are starting vectors
    (the best few, by objective, are polished); ``lower``/``upper`` are hard box bounds on
    ``theta``; ``prior_mean``/``prior_sd`` give a Gaussian prior on each coordinate of ``theta``
    (NaN for none), which for log-parameters is a log-normal prior; ``sigma`` fixes the noise
    scale.
``fit_curve(problem, method="laplace", n_boot=200, seed=0) -> CurveFit``
    The penalised fit. ``CurveFit.theta``, ``.cov`` (Laplace covariance of ``theta``),
    ``.sigma``, ``.dof``, ``.draw(n, rng)`` (parameter and noise-scale draws),
    ``.sample(t, n, rng)`` (paths: curve plus observation noise, shape ``(n, len(t))``) and
    ``.predict(t, levels)`` (the fitted curve and nested equal-tailed intervals).

Objective
---------
With observations :math:`y_i` and noise scale :math:`\sigma`, the fit minimises

.. math::

    \frac12 \sum_{i \in =} \Big(\frac{y_i - f_i}{\sigma}\Big)^2
    + \frac12 \sum_{i \in \sim} \Big(\frac{y_i - f_i}{c\,\sigma}\Big)^2
    + \frac12 \sum_{j \in \ge} \Big(\frac{\max(0, b_j - f_j)}{\sigma}\Big)^2
    + \frac12 \sum_{j \in \le} \Big(\frac{\max(0, f_j - b_j)}{\sigma}\Big)^2
    + \frac12 \sum_k \Big(\frac{\theta_k - \mu_k}{s_k}\Big)^2

with :math:`c` = ``APPROX_ERROR_FACTOR`` = 3: an approximate value (``~``) is a point whose
error is three times that of an exact one. A curve above a ``>=`` bound (below a ``<=`` bound)
costs nothing; below it, it costs like a point. After this fit, any bound still violated is
enforced by raising its weight a hundredfold per round (up to ``BOUND_ROUNDS`` rounds) against
the bound moved inwards by ``BOUND_MARGIN`` (relative), so the fitted curve lands on the right
side of every bound. The noise scale is estimated, unless fixed, by alternating with
:math:`\hat\sigma^2 = \sum_{i} r_i^2 / (n - k)` over the point observations (``=`` and ``~``,
with :math:`r_i` the weighted residuals, :math:`k` the number of free parameters); that needs
``n > k`` point observations, otherwise :class:`~forecast.errors.HistoryError` asks for a fixed
``sigma``. (Without a prior the estimate of :math:`\theta` does not depend on :math:`\sigma`,
so one pass suffices.) The optimiser is ``scipy.optimize.least_squares`` (trust-region
reflective, box bounds), polishing the four best of the starting vectors.

Intervals
---------
``method="laplace"``: :math:`\theta \sim N(\hat\theta, (J^\top J)^{-1})`, with :math:`J` the
Jacobian of the weighted residuals (points, active bounds counted as points, prior), truncated
to the draws that satisfy every bound and box limit (rejection), and
:math:`\sigma^2 = \hat\sigma^2 \nu / \chi^2_\nu` with :math:`\nu = n - k` when :math:`\sigma`
is estimated. ``method="bootstrap"``: a parametric bootstrap, refitting ``n_boot`` series
simulated from the fit (points redrawn with their noise, bounds kept). Paths add independent
Gaussian observation noise :math:`\sigma\varepsilon_t` on the fitted scale to each drawn curve,
so intervals combine parameter uncertainty and observation noise and are wide when the data
are few. ``predict`` returns the fitted curve as the point and equal-tailed quantiles of 4000
paths (fixed seed: deterministic), widened where needed to contain the point, so intervals nest.
"""

from __future__ import annotations

from forecast.models._curve_estimate import (
    APPROX_ERROR_FACTOR,
    BOUND_MARGIN,
    BOUND_ROUNDS,
    CurveFunction,
    CurveProblem,
)
from forecast.models._curve_setup import (
    CAPACITY_CEILING,
    PriorSpec,
    check_curve_options,
    delta_standard_errors,
    log_prior,
    on_scale,
    reference_size,
    step_in_years,
    step_times,
    time_origin,
)
from forecast.models._curve_uncertainty import PREDICT_DRAWS, CurveFit, fit_curve

__all__ = [
    "APPROX_ERROR_FACTOR",
    "BOUND_MARGIN",
    "BOUND_ROUNDS",
    "PREDICT_DRAWS",
    "CAPACITY_CEILING",
    "CurveFunction",
    "CurveProblem",
    "CurveFit",
    "fit_curve",
    "step_times",
    "step_in_years",
    "time_origin",
    "PriorSpec",
    "log_prior",
    "on_scale",
    "reference_size",
    "delta_standard_errors",
    "check_curve_options",
]
