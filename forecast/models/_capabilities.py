"""What a model can do: the capabilities the drivers and the contract test rely on.

:class:`Capabilities` is re-exported by :mod:`forecast.models.base`, where models import it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Capabilities"]


@dataclass(frozen=True)
class Capabilities:
    """What a model can do; the drivers and the contract test rely on these.

    Attributes
    ----------
    intervals : bool
        Returns ``yhat_lo_<L>`` and ``yhat_hi_<L>`` for any level.
    irregular : bool
        Accepts series with gaps in ``ds`` (missing steps of the inferred frequency).
    needs_retention : bool
        ``fit`` requires a cohort retention frame.
    min_history : int
        Fewest observations ``fit`` accepts.
    bounds : bool
        Honours ``qualifier`` ``>=`` and ``<=`` as one-sided bounds; models without it refuse
        series that contain bounds rather than treat them as points.
    updates : bool
        ``update`` can extend the fitted state with new observations without re-estimating.
    covariates : bool
        ``fit`` uses covariates (regressors known for the history and the horizon); models
        without it refuse a covariates frame rather than ignore it.
    holidays : bool
        Takes holidays natively (``holidays=`` a country code or a Prophet holidays frame).
    """

    intervals: bool = True
    irregular: bool = False
    needs_retention: bool = False
    min_history: int = 2
    bounds: bool = False
    updates: bool = False
    covariates: bool = False
    holidays: bool = False
