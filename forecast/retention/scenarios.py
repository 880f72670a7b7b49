"""What-if runs of the retention-driven feedback model, and on covariates: ``fc.scenario``.

A scenario changes retention, acquisition or events of a fitted ``retention_feedback`` model
from a start date (the first forecast period by default) and simulates it next to the
unchanged baseline, with the same parameter draws and the same observation noise, so the
difference between the two is measured path by path. The point forecast of each (baseline,
scenario, difference) is the mean of its sample paths and the bands are quantiles of the
same paths, so the point lies inside its bands and the difference's point is exactly the
scenario's minus the baseline's; each parameter draw gets several
replicates of the observation noise, so the band edges do not zig-zag from one date to the
next. A retention change reaches only the cohorts acquired after it starts: when few new users
arrive, its effect stays near zero for a long time, and :func:`scenario` says so. With
``covariates=``, any model fitted with covariates runs a covariate scenario
(:mod:`forecast.retention.covariate_scenario`); a ``retention_feedback`` model fitted with
covariates combines it with the changes above, and takes its future covariates from the
frame it was fitted with unless ``baseline=`` gives them.

>>> import forecast as fc
>>> data = fc.datasets.simulate_market(n_products=1, periods=120, seed=0, seasonality=0.0)
>>> model = fc.models.get("retention_feedback", retention_family="sbg", n_draws=50)
>>> model = model.fit(data.series[["unique_id", "ds", "y"]], retention=data.retention)
>>> table = fc.scenario(model, retention=+0.03, h=30)
>>> sorted(table["model"].unique())
['baseline', 'difference', 'scenario']
>>> bool(table[table["model"] == "difference"]["yhat"].iloc[-1] > 0)
True
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from datetime import date

import numpy as np
import pandas as pd

from forecast.errors import CapabilityError, ConfigError, ForecastWarning, NotFittedError
from forecast.models.base import BaseModel, check_horizon
from forecast.models.feedback import EventsLike, RetentionFeedback, events_multipliers
from forecast.retention._scenario_table import (
    BASELINE,
    DIFFERENCE,
    SCENARIO,
    read_change,
    scenario_table,
)
from forecast.retention.covariate_scenario import (
    CovariateChange,
    covariate_futures,
    covariate_scenario,
    describe_change,
)
from forecast.schema import DS, MODEL, YHAT, ValidCovariates, check_levels

__all__ = [
    "scenario",
    "parse_change",
    "BASELINE",
    "SCENARIO",
    "DIFFERENCE",
    "NEAR_ZERO",
    "effect_message",
]

NEAR_ZERO = 0.01
"""A difference below this share of the baseline is "near zero" (1%)."""
_PATHS = 20_000
"""About this many sample paths: each parameter draw gets ``ceil(_PATHS / draws)`` noise draws."""
_VALUES = 2_000_000
"""At most about this many values per set of paths (paths times horizon), to bound memory."""


def parse_change(value: float | str, what: str) -> tuple[str, float]:
    """Read a change such as ``+0.03``, ``"-0.02"``, ``"x1.1"`` into ``("add" | "times", amount)``.

    Parameters
    ----------
    value : float or str
        A number or ``"+0.03"`` / ``"-0.02"`` (added), or ``"x1.1"`` / ``"*1.1"`` (multiplied,
        by a factor >= 0).
    what : str
        Name of the argument, for messages.

    Raises
    ------
    ConfigError
        Anything else.
    """
    example = "+0.03 (added) or 'x1.1' (multiplied)"
    kind, amount = read_change(value, what, bare="add", example=example)
    if kind == "times" and not amount >= 0:
        raise ConfigError(f"{what}={value!r} is not a change; give {example}.")
    return kind, amount


def _curve_change(retention: float | str) -> Callable[[np.ndarray], np.ndarray]:
    kind, amount = parse_change(retention, "retention")

    def change(curve: np.ndarray) -> np.ndarray:
        changed = curve + amount if kind == "add" else curve * amount
        return np.clip(changed, 0.0, 1.0)

    return change


def _acquisition_factor(acquisition: float | str) -> float:
    kind, amount = parse_change(acquisition, "acquisition")
    if kind == "times":
        factor = amount
    elif isinstance(acquisition, str):
        factor = 1.0 + amount
    else:
        factor = amount
    if not np.isfinite(factor) or factor < 0:
        raise ConfigError(
            f"acquisition={acquisition!r} gives a negative multiplier; give e.g. 1.2 or 'x1.2'."
        )
    return factor


def scenario(
    model: BaseModel,
    *,
    h: int,
    retention: float | str | None = None,
    acquisition: float | str | None = None,
    events: EventsLike = None,
    start: str | date | None = None,
    levels: Sequence[float] = (80, 95),
    seed: int = 0,
    covariates: CovariateChange | None = None,
    baseline: pd.DataFrame | ValidCovariates | None = None,
) -> pd.DataFrame:
    """Forecast a fitted model's baseline, scenario and their difference.

    Retention, acquisition and events change a ``retention_feedback`` model; ``covariates``
    changes the future covariates of any model fitted with covariates, alone or (for
    ``retention_feedback``) together with the other changes.

    Parameters
    ----------
    model : BaseModel
        A fitted ``retention_feedback`` model (the only structural model with cohorts), or
        with ``covariates`` alone any model fitted with covariates.
    h : int
        Horizon in periods of the series.
    retention : float or str, optional
        Change of the retention curve of the cohorts acquired from ``start`` on: a number or
        ``"+0.03"`` adds that many points at every age >= 1 (``-0.02`` removes), ``"x1.1"``
        multiplies the curve; the result is kept within [0, 1] and non-increasing.
    acquisition : float or str, optional
        Multiplier of new users from ``start`` on: ``1.2`` or ``"x1.2"`` (20% more); a string
        such as ``"+0.2"`` adds to 1 (also 20% more).
    events : list of (date, multiplier) or DataFrame, optional
        Extra acquisition steps on top of the model's own events (a competitor's launch:
        ``[("2024-04-15", 0.7)]``).
    start : date, optional
        When the retention and acquisition changes begin; the first forecast date by default.
        It may lie in the history (a counterfactual) but not before launch.
    levels : sequence of float
        Interval levels in percent.
    seed : int
        Seed of the observation noise shared by both runs.
    covariates : mapping or DataFrame, optional
        A covariate scenario, for any model fitted with covariates (``covariates_``):
        ``{"spend": "x1.2"}`` multiplies, ``{"spend": "+100"}`` adds, ``{"spend": 1000.0}``
        sets, from ``start`` to the horizon; a frame (``ds`` and some covariates) gives the
        scenario's values. Baseline and scenario share their sample paths' random numbers
        (:mod:`forecast.retention.covariate_scenario`). With ``retention_feedback`` they
        combine with ``retention``, ``acquisition`` and ``events`` in one scenario (the
        covariates change from ``start``, which must then be a forecast date).
    baseline : DataFrame, optional
        The baseline's future covariates (``ds`` and the model's covariates at the ``h``
        forecast dates), required with ``covariates`` for models other than
        ``retention_feedback``; a ``retention_feedback`` model fitted with covariates takes
        them from the frame it was fitted with when they are not given
        (:meth:`~forecast.models.feedback.RetentionFeedback.future_covariates`).

    Returns
    -------
    DataFrame
        Forecast columns (``unique_id``, ``model``, ``ds``, ``yhat``, ``yhat_lo_<L>``,
        ``yhat_hi_<L>``) with ``model`` equal to ``"baseline"``, ``"scenario"`` and
        ``"difference"`` (scenario minus baseline, with intervals from the paired paths), for
        the ``h`` dates after the last observation. Each point is the mean of its own sample
        paths and its bands are quantiles of the same paths, so the point lies inside its
        bands and the difference's point is the scenario's minus the baseline's. A
        calibrated model (``calibrate=True``) starts from its calibrated paths, each moved by
        one posterior draw's ratio of scenario to baseline DAU, so the baseline's bands are
        its calibrated bands.
        ``attrs["change"]`` says the change in words; ``attrs["effect"]`` holds
        ``new_per_period`` (mean new users over the last 30 periods of the fit),
        ``active_at_end``, ``relative_at_horizon`` (the difference over the baseline at the
        last date) and ``reaches_one_percent`` (the first date the difference
        is at least 1% of the baseline, or None); :func:`effect_message` puts them in words.

    Raises
    ------
    CapabilityError
        ``model`` is not a ``retention_feedback`` model and ``covariates`` is not given, or
        ``covariates`` is given to a model fitted without them.
    CovariateError
        A model fitted with covariates without their values at a forecast date.
    NotFittedError
        ``model`` is not fitted.
    ConfigError
        A change that cannot be read, a ``start`` before launch (or in the history with
        ``covariates``), retention, acquisition or events for a model other than
        ``retention_feedback``, or no change at all.

    Warns
    -----
    ForecastWarning
        The difference at the horizon is below 1% of the baseline: the message gives the new
        users a period of the fit and when (if ever) the change reaches 1% of the baseline.

    References
    ----------
    .. [1] Fader, P. S. and Hardie, B. G. S. (2007). How to project customer retention.
       Journal of Interactive Marketing 21(1), 76-90.
    .. [2] Hyndman, R. J. and Fan, Y. (1996). Sample quantiles in statistical packages. The
       American Statistician 50(4), 361-365.
    """
    if not isinstance(model, RetentionFeedback):
        if covariates is None:
            raise CapabilityError(
                "scenarios need the cohort structure of 'retention_feedback', or covariates= "
                f"for a model fitted with covariates; got {type(model).__name__}. Fit "
                "fc.models.get('retention_feedback') and pass it, or pass covariates=..."
            )
        if retention is not None or acquisition is not None or events is not None:
            raise ConfigError(
                f"retention=, acquisition= and events= change 'retention_feedback' only; "
                f"give model {model.name!r} covariates= alone, in a scenario of their own."
            )
        return covariate_scenario(
            model, covariates, baseline, h=h, start=start, levels=levels, seed=seed
        )
    if not model.is_fitted:
        raise NotFittedError(
            "the model is not fitted; call model.fit(series, retention=...) first."
        )
    h = check_horizon(h)
    levels = check_levels(levels)
    if retention is None and acquisition is None and events is None and covariates is None:
        raise ConfigError(
            "a scenario needs a change: give retention=, acquisition=, events= or covariates=."
        )
    dates = model.all_dates(h)
    n_history = len(model.grid_)
    change_from = _change_step(dates, start, n_history)
    extra = np.ones(len(dates))
    if acquisition is not None:
        extra[change_from:] *= _acquisition_factor(acquisition)
    extra *= events_multipliers(events, dates)
    curve = _curve_change(retention) if retention is not None else None
    future: pd.DataFrame | None
    changed: pd.DataFrame | None
    if covariates is not None:
        known = model.future_covariates(h, baseline)
        future, changed = covariate_futures(model, covariates, known, h, start)
    elif model.covariates_ or baseline is not None:  # refused by a model without covariates
        future = changed = model.future_covariates(h, baseline)
    else:
        future = changed = None

    def run(theta: np.ndarray | None, altered: bool) -> np.ndarray:
        if not altered:
            dau = model.paths(h, theta, covariates=future).dau[:, n_history:]
        else:
            dau = model.paths(
                h,
                theta,
                covariates=changed,
                curve_change=curve,
                change_from=change_from,
                extra_multipliers=extra,
            ).dau[:, n_history:]
        return model.expected(dau, theta, n_history)

    theta = model.posterior_
    expected = {BASELINE: run(theta, False), SCENARIO: run(theta, True)}
    replicates = max(1, math.ceil(min(_PATHS, _VALUES // max(h, 1)) / len(theta)))
    if model.calibration_:
        calibrated = model.sample(h, replicates * len(theta), seed, covariates=future)
        samples = _calibrated_samples(calibrated, expected)
    else:
        samples = _paired_samples(model, expected, replicates, seed)
    table = scenario_table(model.series_id_, dates[n_history:], samples, levels)
    table.attrs["effect"] = _effect(model, table, h, change_from - n_history, future)
    table.attrs["change"] = _describe(retention, acquisition, events, covariates, start)
    _warn_near_zero(table.attrs["effect"])
    return table


def _change_step(dates: pd.DatetimeIndex, start: str | date | None, n_history: int) -> int:
    """Return the period (0 = launch) from which the changes apply."""
    if start is None:
        return n_history
    when = pd.Timestamp(start)
    if when < dates[0]:
        raise ConfigError(
            f"start {when:%Y-%m-%d} is before the model's launch {dates[0]:%Y-%m-%d}."
        )
    return int(dates.searchsorted(when, side="left"))


def _describe(
    retention: float | str | None,
    acquisition: float | str | None,
    events: EventsLike,
    covariates: CovariateChange | None,
    start: str | date | None,
) -> str:
    """Put the change in words for titles: ``"retention +0.03, acquisition x1.2"``."""
    parts = []
    if retention is not None:
        kind, amount = parse_change(retention, "retention")
        parts.append(
            f"retention {'x' if kind == 'times' else '+' if amount >= 0 else ''}{amount:g}"
        )
    if acquisition is not None:
        parts.append(f"acquisition x{_acquisition_factor(acquisition):g}")
    if events is not None:
        parts.append("acquisition events")
    if covariates is not None:
        parts.append(describe_change(covariates))
    text = ", ".join(parts)
    return f"{text} from {pd.Timestamp(start):%Y-%m-%d}" if start is not None else text


def _paired_samples(
    model: RetentionFeedback, expected: dict[str, np.ndarray], replicates: int, seed: int
) -> dict[str, np.ndarray]:
    """Baseline, scenario and difference paths: the same draws and the same noise for both.

    ``expected`` holds each posterior draw's expected DAU without and with the change
    (shape ``(draws, h)``); each draw gets ``replicates`` paths of the model's own noise.
    """
    repeated = np.repeat(model.posterior_, replicates, axis=0)
    samples = {}
    for name, paths in expected.items():
        rng = np.random.default_rng(seed)  # the same noise for both
        samples[name] = model.noisy(np.repeat(paths, replicates, axis=0), repeated, rng)
    samples[DIFFERENCE] = samples[SCENARIO] - samples[BASELINE]
    return samples


def _calibrated_samples(
    baseline: np.ndarray, expected: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Scenario paths of a calibrated model: its calibrated paths moved by the structural change.

    Path ``i`` of the ``n`` calibrated baseline paths (``baseline``, shape ``(n, h)``, a
    multiple of the posterior draws) is paired with draw ``i`` modulo the draws and
    multiplied, step by step, by that draw's ratio of scenario to baseline expected DAU
    (``expected``, as for :func:`_paired_samples`; where the draw's baseline is 0, its
    scenario DAU is added). So the baseline's bands are the calibrated ones and the
    difference is the change's, carried by the calibrated uncertainty of the level.
    """
    draws = np.resize(np.arange(len(expected[BASELINE])), len(baseline))
    before, after = expected[BASELINE][draws], expected[SCENARIO][draws]
    positive = before > 0
    ratio = np.divide(after, before, out=np.ones_like(after), where=positive)
    scenario = np.where(positive, baseline * ratio, baseline + after)
    return {BASELINE: baseline, SCENARIO: scenario, DIFFERENCE: scenario - baseline}


def _effect(
    model: RetentionFeedback,
    table: pd.DataFrame,
    h: int,
    change_step: int,
    future: pd.DataFrame | None,
) -> dict:
    """How much the change moves the forecast, and how many new users it has to work on."""
    accounting = model.accounting(h, covariates=future)
    history = accounting.loc[~accounting["is_forecast"]].tail(30)
    baseline = table.loc[table[MODEL] == BASELINE, YHAT].to_numpy()
    difference = table.loc[table[MODEL] == DIFFERENCE, YHAT].to_numpy()
    relative = np.abs(difference) / np.maximum(np.abs(baseline), 1e-12)
    reached = np.flatnonzero(relative >= NEAR_ZERO)
    dates = table.loc[table[MODEL] == BASELINE, DS].reset_index(drop=True)
    return {
        "new_per_period": float(history["new"].mean()),
        "active_at_end": float(history["dau"].iloc[-1]),
        "relative_at_horizon": float(relative[-1]),
        "reaches_one_percent": None if not len(reached) else pd.Timestamp(dates[reached[0]]),
        "change_step": max(int(change_step), 0),
    }


def effect_message(effect: dict) -> str:
    """One sentence on the size of a scenario's effect and the new users it acts on.

    Parameters
    ----------
    effect : dict
        ``attrs["effect"]`` of :func:`scenario`'s frame.

    Returns
    -------
    str
        E.g. ``"the change moves the forecast by 0.3% at the horizon; the fit has 2,100 new
        users a period (mean of its last 30 periods; 0.4% of the 520,000 active at the last
        observation), and a retention change reaches only cohorts acquired after it starts;
        the difference reaches 1% of the baseline on 2024-09-01"``.
    """
    new, active = effect["new_per_period"], effect["active_at_end"]
    share = new / active if active > 0 else float("nan")
    reached = effect["reaches_one_percent"]
    when = (
        f"the difference reaches {NEAR_ZERO:.0%} of the baseline on {reached:%Y-%m-%d}"
        if reached is not None
        else f"the difference stays below {NEAR_ZERO:.0%} of the baseline over the whole horizon"
    )
    return (
        f"the change moves the forecast by {effect['relative_at_horizon']:.1%} at the horizon; "
        f"the fit has {new:,.0f} new users a period (mean of its last 30 periods; {share:.1%} "
        f"of the {active:,.0f} active at the last observation), and a retention change reaches "
        f"only cohorts acquired after it starts; {when}"
    )


def _warn_near_zero(effect: dict) -> None:
    if effect["relative_at_horizon"] >= NEAR_ZERO:
        return
    warnings.warn(
        f"scenario effect near zero: {effect_message(effect)}. Forecast further ahead, or "
        "change acquisition too, to see the change reach the base.",
        ForecastWarning,
        stacklevel=3,
    )
