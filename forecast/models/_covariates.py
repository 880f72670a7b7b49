"""Covariates on the model side: which models take them, and their values at fit and predict.

:class:`~forecast.models.base.BaseModel` calls these helpers. A model whose
``capabilities.covariates`` is False refuses a covariates frame (:func:`refuse`). One that
takes them gets, in ``_fit``, the covariates as extra columns of the series (after ``ds``,
``y``, ``qualifier``, ``unique_id``, in the order of ``covariates_``), and in
``_predict`` / ``_sample`` their values at the forecast dates from
``self._future_covariates(h)``. Values come from the caller's frame only: a date without a
value is an error naming the covariate, the series and the dates, never a filled value.

A model can be *bound* to one series' covariates (:func:`bind`): it then uses them whenever
``fit``, ``predict`` or ``sample`` is given none. The inner backtests of ``calibrate=``
(and of ``auto`` and ``ensemble``) fit clones of a bound model, so every inner window sees
the covariates of its own dates, taken from the frame the outer fit was given; a clone keeps
the binding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from forecast.errors import CapabilityError, CovariateError, ModelError
from forecast.schema import DS, UNIQUE_ID, ValidCovariates, future_dates, valid_covariates

if TYPE_CHECKING:
    from forecast.models.base import BaseModel

__all__ = [
    "CovariatesIn",
    "MODELS_WITH_COVARIATES",
    "bind",
    "bound",
    "refuse",
    "one_series",
    "with_history",
    "future_frame",
    "no_future",
]

CovariatesIn = pd.DataFrame | ValidCovariates | None
"""What ``fit``, ``predict``, ``sample`` and ``update`` take as ``covariates``."""

MODELS_WITH_COVARIATES = "'prophet' or 'arima'"
"""Named in the refusal of a model without covariates."""

_BOUND = "_covariate_source"


def bind(model: BaseModel, covariates: ValidCovariates | None) -> None:
    """Let ``model`` (and its clones) use ``covariates`` when given none (see the module)."""
    setattr(model, _BOUND, covariates)


def bound(model: BaseModel) -> ValidCovariates | None:
    """Return the covariates ``model`` is bound to, or None."""
    found: ValidCovariates | None = getattr(model, _BOUND, None)
    return found


def refuse(model: BaseModel, covariates: CovariatesIn) -> None:
    """Raise CapabilityError when ``model`` cannot use covariates and is given some.

    Raises
    ------
    CapabilityError
        ``model.capabilities.covariates`` is False; the message suggests models that take them.
    """
    if covariates is None or model.capabilities.covariates:
        return
    raise CapabilityError(
        f"model {model.name!r} does not use covariates, so it would ignore the covariates "
        f"frame; use a model that takes them ({MODELS_WITH_COVARIATES}; fc.models.available() "
        "lists the 'covariates' capability) or forecast without covariates."
    )


def one_series(
    model: BaseModel, covariates: CovariatesIn, series: pd.DataFrame
) -> ValidCovariates | None:
    """Check the covariates of one series (a raw frame or a checked one) against it.

    A raw frame is validated with the series (:func:`~forecast.schema.validate_covariates`):
    a ``unique_id`` column must name that series only. The model's refusal comes first.
    """
    refuse(model, covariates)
    if covariates is None:
        return None
    checked = valid_covariates(covariates, series[[UNIQUE_ID, DS]])
    assert checked is not None
    return checked.for_series(str(series[UNIQUE_ID].iloc[0]))


def with_history(
    model: BaseModel, data: pd.DataFrame, covariates: ValidCovariates | None
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Append the covariates' values at the history dates to ``data``; return their names.

    ``covariates`` None (and no binding) gives ``data`` unchanged and no names.
    """
    refuse(model, covariates)
    if covariates is None:
        return data, ()
    uid = str(data[UNIQUE_ID].iloc[0])
    values = covariates.history(uid, data[DS])
    out = data.reset_index(drop=True).copy()
    for name in covariates.names:
        out[name] = values[name].to_numpy()
    return out, covariates.names


def future_frame(model: BaseModel, h: int, covariates: CovariatesIn) -> pd.DataFrame:
    """Return the covariates at the ``h`` forecast dates: ``ds``, then ``covariates_``.

    Raises
    ------
    CapabilityError
        Covariates given to a model fitted without them.
    CovariateError
        A model fitted with covariates given none, or a frame lacking a covariate, a date or a
        value (named).
    """
    names: tuple[str, ...] = model.covariates_
    uid = model.series_id_
    dates = future_dates(model.last_ds_, model.frequency_, h, series=uid)
    if covariates is None:
        covariates = bound(model)
    if not names:
        if covariates is not None and model.capabilities.covariates:
            raise CapabilityError(
                f"model {model.name!r} was fitted on series {uid!r} without covariates, so it "
                "cannot use covariates to forecast; refit it with covariates=..., or forecast "
                "without them."
            )
        refuse(model, covariates)
        return pd.DataFrame({DS: dates})
    if covariates is None:
        first, last = (d.strftime("%Y-%m-%d") for d in (dates[0], dates[-1]))
        raise CovariateError(
            f"model {model.name!r} was fitted on series {uid!r} with covariates "
            f"{', '.join(map(repr, names))}: pass covariates=... with their values for the "
            f"{h} forecast date(s) {first} to {last}; nothing is assumed for the future.",
            series=uid,
            column=names[0],
        )
    checked = valid_covariates(covariates)
    assert checked is not None
    if (
        isinstance(covariates, pd.DataFrame)
        and not checked.shared
        and set(checked.frame[UNIQUE_ID]) - {uid}
    ):
        others = sorted(set(checked.frame[UNIQUE_ID]) - {uid})
        raise CovariateError(
            f"the covariates frame holds series {', '.join(map(repr, others[:3]))} besides "
            f"{uid!r}, the series model {model.name!r} was fitted on; pass that series' rows.",
            series=others[0],
            column=UNIQUE_ID,
        )
    return checked.select(names).future(uid, dates)


def no_future(model: BaseModel) -> ModelError:
    """Return the error of ``_future_covariates`` called outside ``_predict``/``_sample``."""
    return ModelError(
        f"model {model.name!r}: _future_covariates(h) is available only inside _predict and "
        "_sample, where predict and sample have checked the covariates."
    )
