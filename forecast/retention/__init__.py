"""Retention: cohort retention curves, the feedback dynamics and what-if scenarios.

``fc.retention.fit`` and ``fc.retention.compare`` fit retention curves to cohort observations
(:mod:`forecast.retention.curves`, with the curve families in
:mod:`forecast.retention.families`); :mod:`forecast.retention.dynamics` holds the equations of
the retention-driven feedback model, with its survival curves and cohort kernels in
:mod:`forecast.retention.survival`; :func:`forecast.scenario` runs what-if changes of a fitted
``retention_feedback`` model (:mod:`forecast.retention.scenarios`).

>>> import forecast as fc
>>> sorted(fc.retention.FAMILIES)
['exponential', 'power', 'sbg', 'weibull']
"""

from __future__ import annotations

from forecast.retention.curves import FAMILIES, RetentionCurve, compare, fit

__all__ = ["FAMILIES", "RetentionCurve", "compare", "fit"]
