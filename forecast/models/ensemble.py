"""``ensemble``: a combination of member models, with conformal or pooled-path intervals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Literal

import numpy as np
import pandas as pd

from forecast.errors import ConfigError, FitError, ForecastError
from forecast.evaluation.conformal import (
    ConformalCache,
    PooledConformal,
    calibrate_combination,
    combine_points,
    rescaled,
)
from forecast.evaluation.inner import InnerScores, inner_backtest
from forecast.models._calibration import (
    CALIBRATE_CHOICES,
    WINDOWS,
    calibration_method,
    fewest_history,
    warn_uncalibrated,
)
from forecast.models._covariates import bind, bound
from forecast.models._params import check_choice
from forecast.models.auto import build_candidates
from forecast.models.base import BaseModel, Capabilities, Intervals, quantile_intervals
from forecast.models.registry import register
from forecast.schema import DS, UNIQUE_ID, Y, valid_covariates

__all__ = ["Ensemble"]

DEFAULT_MEMBERS: tuple[str, ...] = ("ets", "theta", "seasonal_naive")
"""Members of ``ensemble`` when none are given."""


@register("ensemble")
class Ensemble(BaseModel):
    """A combination of member models: median, mean, or weights from an inner backtest.

    Parameters
    ----------
    members : sequence of str or BaseModel
        Registry names or unfitted models; by default ``ets``, ``theta`` and
        ``seasonal_naive``, of which those a series is too short for are left out (and named
        in ``dropped_``), as are, with ``calibrate``, those that leave no room for its inner
        windows where the others do (``seasonal_naive`` on 13 or 14 monthly values); members
        given are all fitted, and one that fails fails the ensemble.
    combine : {"median", "mean", "weighted"}
        How point forecasts combine: the median or mean of the members' forecasts, or their
        mean weighted by the inverse of each member's MASE in an inner backtest on the training
        data.
    keep : int, optional
        Combine only the ``keep`` members with the lowest MASE in the inner backtest (a trimmed
        combination: the worst members on this series' recent history are left out); None
        (the default) combines every member.
    h, n_windows : int, optional
        Inner backtest of ``combine="weighted"``, of ``keep`` and of the calibration (see
        :class:`~forecast.models.auto.Auto`): ``n_windows`` windows of ``h`` steps.
    calibrate : {True, False, "conformal", "scaled", "auto", "off"}
        True or ``"conformal"`` (the default): conformal intervals and paths from the inner
        backtest's errors of the combined forecast (see
        :class:`~forecast.evaluation.conformal.PooledConformal`); ``"scaled"`` or ``"auto"``:
        the pooled bands rescaled, or chosen per series, by the rule of every model
        (:mod:`forecast.models._calibration`); False or ``"off"`` pools the members' paths.
    n_paths : int
        Sample paths behind the pooled intervals.
    seed : int
        Seed of the paths behind the pooled intervals, so forecasts are reproducible.
    seasonal_period, transform, freq
        See :class:`~forecast.models.base.BaseModel`; passed on to members given by name.

    Attributes
    ----------
    weights_ : dict
        Weight of each combined member (equal for the median and the mean).
    scores_ : InnerScores or None
        Inner-backtest MASE of every member; None when no inner backtest ran.
    members_ : list of (str, BaseModel)
        The fitted members that are combined (all of them, or the ``keep`` best).
    dropped_ : dict
        Default members left out and why (their fit failed on the whole series, e.g.
        ``seasonal_naive`` on a series of one season, or they left no room for the
        calibration), by label; also ``params_["dropped"]``.
    calibrated_ : bool
        Whether intervals and paths are conformal by the ensemble's own rule; False when
        ``calibrate`` is not True or ``"conformal"``, the training data has no room for the
        inner windows, or a member failed in one of them. ``calibration_`` holds the
        calibration of ``"scaled"`` and ``"auto"``.
    covariates_ : tuple of str
        The covariates given to ``fit``. The members that take covariates
        (``capabilities.covariates``) are fitted, backtested and forecast with them; the
        others without. ``params_`` lists both (``members_with_covariates``,
        ``members_without_covariates``).

    Notes
    -----
    With ``calibrate`` (the default), ``n_windows`` inner windows of ``h`` steps cut from the
    training data give the residuals of the combined point forecast (median, mean or weighted,
    as the final forecast), and the intervals and paths follow the rule of every calibrated
    model (:class:`~forecast.evaluation.conformal.PooledConformal`: each step's errors over
    that step's spread, pooled over steps and windows). A forecast
    longer than ``h`` is calibrated on its own inner windows of that length when the training
    data has room for them.

    With ``calibrate="scaled"`` or ``"auto"`` the pooled bands (below) are the ensemble's own,
    and the rule of every model rescales them (:class:`~forecast.evaluation.calibration.
    ScaledCalibration`) or picks, per series, that or conformal bands
    (:func:`~forecast.evaluation.calibration.choose_calibration`), from inner windows in which
    the combination of the same members is refitted, each member with the specification it
    chose on the whole series (:meth:`BaseModel._specified_clone`). Either way the members
    named by the registry skip their own calibrations, which the ensemble's replaces.

    With ``keep``, the members are ranked by their inner MASE (a member that failed in an
    inner window ranks last) and the ``keep`` best are fitted, weighted and calibrated as if
    they were the only members; fewer than ``keep`` members without a failure is a
    :class:`~forecast.errors.FitError`. On the backtest benchmark (BENCHMARKS.md, "Combination
    rules"), ``keep=3`` of ``seasonal_naive``, ``ets``, ``theta`` and ``prophet`` with
    ``combine="weighted"`` had a lower MASE than all four on four of the five data sets.

    Without calibration, intervals come from the linear pool of the members' predictive
    distributions: ``n_paths``
    joint sample paths are drawn from the members in proportion to their weights, and the
    interval of level ``L`` runs between the ``(100 - L) / 2`` and ``(100 + L) / 2``
    percentiles of the pooled paths at each step. Pooling keeps the disagreement between
    members in the intervals, where averaging paths would shrink them. The pooled interval
    is widened to contain the point forecast where it does not (which happens only when the
    members disagree strongly and the combination rule differs from the pool's centre).
    ``sample`` returns pooled paths. Any member given failing to fit makes the ensemble fail.

    References
    ----------
    .. [1] Petropoulos, F. et al. (2022). Forecasting: theory and practice. International
       Journal of Forecasting 38(3), 705-871, section 2.6 (forecast combinations).
    .. [2] Stone, M. (1961). The opinion pool. Annals of Mathematical Statistics 32(4),
       1339-1342.
    """

    capabilities = Capabilities(min_history=4, covariates=True)
    _generic_calibrations: ClassVar[frozenset[str]] = frozenset({"scaled", "auto"})

    def __init__(
        self,
        members: Sequence[str | BaseModel] = DEFAULT_MEMBERS,
        *,
        combine: Literal["median", "mean", "weighted"] = "median",
        keep: int | None = None,
        h: int | None = None,
        n_windows: int = 5,
        calibrate: bool | Literal["conformal", "scaled", "auto", "off"] = True,
        n_paths: int = 1000,
        seed: int = 0,
        seasonal_period: int | None = None,
        transform: Literal["log"] | None = None,
        freq: str | None = None,
    ) -> None:
        super().__init__(seasonal_period=seasonal_period, transform=transform, freq=freq)
        if combine not in ("median", "mean", "weighted"):
            raise ConfigError(f"combine must be 'median', 'mean' or 'weighted', not {combine!r}.")
        if h is not None and (isinstance(h, bool) or int(h) < 1):
            raise ConfigError(f"h must be a positive integer, not {h!r}.")
        for name, value in (("n_windows", n_windows), ("n_paths", n_paths)):
            if isinstance(value, bool) or int(value) < 1:
                raise ConfigError(f"{name} must be a positive integer, not {value!r}.")
        if isinstance(members, (str, BaseModel)) or len(members) == 0:
            raise ConfigError("members must be a non-empty list of model names or instances.")
        if calibrate is None:
            raise ConfigError(
                "ensemble: calibrate must be True, False, 'conformal', 'scaled', 'auto' or "
                "'off', not None."
            )
        check_choice(self.name, "calibrate", calibrate, CALIBRATE_CHOICES)
        if keep is not None and (isinstance(keep, bool) or not 1 <= int(keep) <= len(members)):
            raise ConfigError(
                f"keep must be None or a whole number from 1 to {len(members)} (the members), "
                f"not {keep!r}."
            )
        self.keep = None if keep is None else int(keep)
        self.members = tuple(members)
        self.calibrate = calibrate
        self.combine = combine
        self.h = h
        self.n_windows = int(n_windows)
        self.n_paths = int(n_paths)
        self.seed = int(seed)

    def _fit(self, data: pd.DataFrame, retention: pd.DataFrame | None) -> None:
        # Calibrated, the ensemble's bands and paths come from its own inner windows, so the
        # members named here skip their calibrations (their points are the same either way).
        method = calibration_method(self.name, self.calibrate)
        members = build_candidates(
            self.members,
            self.seasonal_period,
            self.freq,
            calibrate=False if method is not None else None,
        )
        series = data[[UNIQUE_ID, DS, Y]]
        self._bind_covariates(data, members)
        self.dropped_: dict[str, str] = {}
        prefitted: dict[str, BaseModel] = {}
        if self.members == DEFAULT_MEMBERS:
            members, prefitted = self._default_members_that_fit(series, members)
            if method is not None:
                members = self._default_members_with_room(series, members)
        h = int(self.h or max(self.seasonal_period_, 1))
        scores = None
        if self.combine == "weighted" or self.keep is not None:
            scores = inner_backtest(series, members, h, self.n_windows, self.seasonal_period_)
        self.scores_ = scores
        if self.keep is not None and scores is not None:
            members = self._kept(members, scores)
        if self.combine == "weighted" and scores is not None:
            failed = {label: scores.errors[label] for label, _ in members if label in scores.errors}
            if failed:
                details = "; ".join(f"{k}: {v}" for k, v in failed.items())
                raise FitError(
                    f"members of 'ensemble' failed the inner backtest of series "
                    f"{self.series_id_!r}: {details}."
                )
            inverse = {label: 1.0 / max(scores[label], 1e-12) for label, _ in members}
            total = sum(inverse.values())
            self.weights_ = {label: value / total for label, value in inverse.items()}
        else:
            self.weights_ = {label: 1.0 / len(members) for label, _ in members}
        fitted = []
        for label, model in members:
            if label in prefitted:
                fitted.append((label, prefitted[label]))
                continue
            try:
                fitted.append((label, model.clone().fit_validated(series)))
            except ForecastError as err:
                raise FitError(
                    f"member {label!r} of 'ensemble' failed on series {self.series_id_!r}: {err}"
                ) from err
        self.members_ = fitted
        self.params_ = {f"weight_{label}": weight for label, weight in self.weights_.items()}
        if self.dropped_:
            self.params_["dropped"] = dict(self.dropped_)
        if self.covariates_:
            self.params_["members_with_covariates"] = [
                label for label, model in members if model.capabilities.covariates
            ]
            self.params_["members_without_covariates"] = [
                label for label, model in members if not model.capabilities.covariates
            ]
        weights = np.array([self.weights_[label] for label, _ in members])
        base = None
        if method == "conformal":
            base = self._calibration(series, members, weights, h, scores)
            if base is None:
                self.members_ = self._with_their_defaults(data)
        self.conformal_ = ConformalCache(
            base, series, members, self.n_windows, self.seasonal_period_, self.combine, weights
        )
        self.calibrated_ = bool(self.conformal_)

    def fewest_observations(self, seasonal_period: int) -> int:
        """Fewest observations of a fit: fitted, the most any member it combines needs.

        A calibration's inner windows (``calibrate="scaled"`` or ``"auto"``) refit those
        members, so each window leaves every one of them its own fewest observations.
        """
        own = super().fewest_observations(seasonal_period)
        members = getattr(self, "members_", None)
        if members is None:
            return own
        return max(own, fewest_history([model for _, model in members], seasonal_period))

    def _calibration_template(self, template: BaseModel) -> BaseModel:
        """Return the combination of the fitted members, each with the specification it chose.

        ``calibrate="scaled"`` and ``"auto"`` refit it in their inner windows, uncalibrated
        (its pooled bands are what they rescale), with the members it combines (after
        ``keep`` and the default members left out) and its combination rule.
        """
        fixed = Ensemble(
            [model._specified_clone() for _, model in self.members_],
            combine=self.combine,
            h=self.h,
            n_windows=self.n_windows,
            calibrate=False,
            n_paths=self.n_paths,
            seed=self.seed,
            seasonal_period=self.seasonal_period,
            transform=self.transform,
            freq=self.freq,
        )
        bind(fixed, bound(template))
        return fixed

    def _with_their_defaults(self, data: pd.DataFrame) -> list[tuple[str, BaseModel]]:
        """Refit the members named without calibration with their own ``calibrate`` default.

        Where the ensemble cannot be calibrated its bands pool the members' paths, which are
        then each member's default ones (calibrated for the models calibrated by default).
        """
        built = build_candidates(self.members, self.seasonal_period, self.freq)
        self._bind_covariates(data, built)
        defaults = dict(built)
        series = data[[UNIQUE_ID, DS, Y]]
        refitted = []
        for label, model in self.members_:
            default = defaults[label]
            if default.calibrate != model.calibrate:
                model = default.clone().fit_validated(series)
            refitted.append((label, model))
        return refitted

    def _default_members_that_fit(
        self, series: pd.DataFrame, members: list[tuple[str, BaseModel]]
    ) -> tuple[list[tuple[str, BaseModel]], dict[str, BaseModel]]:
        """Fit the default members on the whole series; leave out those that fail, saying why.

        Returns the members kept and their fitted clones; with none kept, the first failure is
        raised as the ensemble's.
        """
        kept, fitted, first = [], {}, None
        for label, model in members:
            try:
                fitted[label] = model.clone().fit_validated(series)
            except ForecastError as err:
                self.dropped_[label] = f"{type(err).__name__}: {err}"
                first = first or err
                continue
            kept.append((label, model))
        if not kept:
            raise FitError(
                f"no member of 'ensemble' could be fitted on series {self.series_id_!r}: "
                + "; ".join(f"{k}: {v}" for k, v in self.dropped_.items())
            ) from first
        return kept, fitted

    def _default_members_with_room(
        self, series: pd.DataFrame, members: list[tuple[str, BaseModel]]
    ) -> list[tuple[str, BaseModel]]:
        """Leave out the default members that leave no room for the calibration, saying why.

        The first inner window leaves every member its fewest observations
        (:func:`~forecast.models._calibration.fewest_history`), so one member that needs many
        (``seasonal_naive``: a season and one more) can leave no room for the smallest plan, 2
        windows of 1 step, where the others have it: on 13 or 14 monthly values the ensemble
        would fall back to its members' pooled, uncalibrated paths. Such members are left out
        (named in ``dropped_``) when at least one member has room; otherwise all are kept.
        """
        smallest = WINDOWS[-1]
        season = self.seasonal_period_
        length = len(series)
        if length - fewest_history([model for _, model in members], season) >= smallest:
            return members
        kept = [
            (label, m) for label, m in members if length - fewest_history([m], season) >= smallest
        ]
        if not kept:
            return members
        for label, model in members:
            if (label, model) not in kept:
                self.dropped_[label] = (
                    f"its first inner window needs {fewest_history([model], season)} "
                    f"observations and the series has {length}: no room for the ensemble's "
                    f"calibration ({smallest} inner windows of 1 step) with it, which the other "
                    "members have"
                )
        return kept

    def _calibration(
        self,
        series: pd.DataFrame,
        members: list[tuple[str, BaseModel]],
        weights: np.ndarray,
        h: int,
        scores: InnerScores | None,
    ) -> PooledConformal | None:
        """Return the combined forecast's calibration, or warn and return None.

        From ``scores`` (the inner backtest of ``combine="weighted"`` or ``keep``) when every
        member forecast in them, else from the first inner backtest of
        :func:`~forecast.evaluation.conformal.calibrate_combination` that fits (fewer and
        shorter windows where ``n_windows`` of ``h`` steps do not), which becomes ``scores_``
        where no other inner backtest ran.
        """
        if scores is not None and not any(label in scores.errors for label, _ in members):
            points = np.stack([scores.forecasts[label] for label, _ in members])
            combined = combine_points(points, self.combine, weights)
            return PooledConformal(rescaled(series, scores, combined, self.seasonal_period_))
        found, calibration_scores, why = calibrate_combination(
            series, members, h, self.n_windows, self.seasonal_period_, self.combine, weights
        )
        if self.scores_ is None:
            self.scores_ = calibration_scores
        if found is None:
            warn_uncalibrated(
                self.name,
                str(self.series_id_),
                why,
                "its intervals are the percentiles of the members' pooled paths, uncalibrated",
            )
        return found

    def _bind_covariates(self, data: pd.DataFrame, members: list[tuple[str, BaseModel]]) -> None:
        """Bind the members that take covariates to the history's covariates.

        A bound member and its clones (the inner backtests' and the final fit's) use the
        covariates at their own dates (:func:`forecast.models._covariates.bind`); the inner
        windows lie in the history, so the history's values cover them.
        """
        if not self.covariates_:
            return
        history = valid_covariates(data[[DS, *self.covariates_]])
        for _, model in members:
            if model.capabilities.covariates:
                bind(model, history)

    def _member_covariates(self, model: BaseModel, h: int) -> pd.DataFrame | None:
        """Return the future covariates for ``model`` (None for a member that takes none)."""
        if not self.covariates_ or not model.covariates_:
            return None
        return self._future_covariates(h)

    def _kept(
        self, members: list[tuple[str, BaseModel]], scores: InnerScores
    ) -> list[tuple[str, BaseModel]]:
        """Select the ``keep`` members with the lowest inner MASE, in the order given."""
        usable = [
            (scores[label], position)
            for position, (label, _) in enumerate(members)
            if label not in scores.errors
        ]
        if len(usable) < int(self.keep or 0):
            details = "; ".join(f"{k}: {v}" for k, v in scores.errors.items())
            raise FitError(
                f"'ensemble' keeps {self.keep} members but only {len(usable)} passed the inner "
                "backtest of "
                f"series {self.series_id_!r} ({details}); lower keep or drop the failing members."
            )
        chosen = sorted(position for _, position in sorted(usable)[: self.keep])
        return [members[position] for position in chosen]

    def _points(self, h: int) -> np.ndarray:
        points = np.vstack(
            [
                model.predict(h, levels=(), covariates=self._member_covariates(model, h))[
                    "yhat"
                ].to_numpy()
                for _, model in self.members_
            ]
        )
        weights = np.array([self.weights_[label] for label, _ in self.members_])
        return combine_points(points, self.combine, weights)

    def _sample(self, h: int, n: int, rng: np.random.Generator) -> np.ndarray:
        if self.calibrated_:
            return self.conformal_.get(h).paths(self._points(h), n, rng)
        weights = np.array([self.weights_[label] for label, _ in self.members_])
        counts = np.floor(weights * n).astype(int)
        remainder = n - counts.sum()
        order = np.argsort(-(weights * n - counts), kind="stable")
        counts[order[:remainder]] += 1
        paths = [
            model.sample(
                h,
                int(count),
                seed=int(rng.integers(2**31)),
                covariates=self._member_covariates(model, h),
            )
            for (_, model), count in zip(self.members_, counts, strict=True)
            if count > 0
        ]
        return np.vstack(paths)

    def _predict(self, h: int, levels: tuple[float, ...]) -> tuple[np.ndarray, Intervals]:
        point = self._points(h)
        if not levels:
            return point, {}
        if self.calibrated_:
            return point, self.conformal_.get(h).intervals(point, levels)
        paths = self._sample(h, self.n_paths, np.random.default_rng(self.seed))
        intervals = {
            level: (np.minimum(lo, point), np.maximum(hi, point))
            for level, (lo, hi) in quantile_intervals(paths, levels).items()
        }
        return point, intervals
