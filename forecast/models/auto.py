"""``auto``: per series, a combination of ETS, ARIMA and dynamic optimised theta, or a choice.

By default ``auto`` fits ``ets``, ``arima`` (on series of 50 observations or more) and
``dotm`` to the whole series and combines their forecasts with equal weights (the mean of
points, of interval bounds and of the quantiles of sample paths); no inner backtest
chooses. Given ``candidates``, it instead chooses among them per series by an inner backtest
on the training data (so it can itself be backtested without leakage). ``calibrate``
rescales the bands by the combination's own out-of-sample errors in inner windows of the
training data (``"auto"``, the default, and ``"scaled"``: the rule of every model,
:mod:`forecast.models._calibration`) or replaces them by split-conformal ones (True:
:class:`PooledConformal`, as ``ensemble`` does).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import ClassVar, Literal

import numpy as np
import pandas as pd

from forecast.engine.specs import label_models
from forecast.errors import (
    CapabilityError,
    ConfigError,
    FitError,
    ForecastError,
    HistoryError,
)
from forecast.evaluation.conformal import (
    Conformal,
    ConformalCache,
    PooledConformal,
    calibrate,
    calibrate_combination,
    combine_points,
    rescaled,
)
from forecast.evaluation.inner import InnerScores, inner_backtest
from forecast.models._calibration import (
    CALIBRATE_CHOICES,
    calibration_method,
    calibration_plans,
    fewest_history,
    warn_uncalibrated,
)
from forecast.models._covariates import bind, bound
from forecast.models._params import check_choice
from forecast.models.base import BaseModel, Capabilities, Intervals
from forecast.models.registry import get, register
from forecast.schema import DS, UNIQUE_ID, Y, level_column
from forecast.schema.covariates import ValidCovariates, validate_covariates

__all__ = [
    "Auto",
    "Conformal",
    "ConformalCache",
    "InnerScores",
    "PooledConformal",
    "build_candidates",
    "calibrate",
    "combine_points",
    "rescaled",
    "inner_backtest",
]

DEFAULT_MEMBERS: tuple[str, ...] = ("ets", "arima", "dotm")
"""Members of ``auto``'s combination when neither members nor candidates are given."""

DEFAULT_MEMBER_MIN_HISTORY: dict[str, int] = {"arima": 50}
"""Fewest observations for a default member to join (``arima``: 50, see :class:`Auto`)."""

FALLBACK = "naive"
"""What ``auto`` forecasts with when no member can be fitted (a series of 2 or 3 points)."""


def build_candidates(
    candidates: Sequence[str | BaseModel],
    seasonal_period: int | None,
    freq: str | None,
    calibrate: bool | None = None,
) -> list[tuple[str, BaseModel]]:
    """Unfitted candidate models with their labels; names get the given season and frequency.

    Parameters
    ----------
    candidates : sequence of str or BaseModel
        Registry names or model instances (cloned).
    seasonal_period, freq
        Passed to the candidates given by name.
    calibrate : bool, optional
        Passed to the candidates given by name (by default, their own default).

    Returns
    -------
    list of (str, BaseModel)
        Labelled as :func:`forecast.forecast` labels models
        (:func:`forecast.engine.specs.label_models`).

    Raises
    ------
    ConfigError
        No candidates, or one model twice with the same hyperparameters.
    UnknownModelError
        A name that is not registered.
    """
    if isinstance(candidates, (str, BaseModel)) or len(candidates) == 0:
        raise ConfigError("candidates must be a non-empty list of model names or instances.")
    given = (("seasonal_period", seasonal_period), ("freq", freq), ("calibrate", calibrate))
    params = {k: v for k, v in given if v is not None}
    built = [c if isinstance(c, BaseModel) else get(str(c), **params) for c in candidates]
    return list(label_models(built).items())


@register("auto")
class Auto(BaseModel):
    """The default forecaster: the mean of ETS, ARIMA and optimised theta, or the best candidate.

    Parameters
    ----------
    members : sequence of str or BaseModel, optional
        Registry names or unfitted models whose forecasts are combined; by default ``ets``,
        ``arima`` and ``dotm`` (the dynamic optimised theta model). Members given by name are
        fitted with ``calibrate=False``: ``auto`` combines their own bands (and ``calibrate``
        calibrates the combination). Mutually exclusive with ``candidates``.
    candidates : sequence of str or BaseModel, optional
        Choose among these per series by an inner backtest instead of combining (the
        behaviour of ``auto`` before version 0.x); ``h``, ``n_windows`` and
        ``combine_within`` apply to this choice (a series without room for ``n_windows``
        windows of ``h`` steps is scored on fewer, shorter ones, which
        ``params_["inner_windows"]`` names).
    combine : {"mean", "median"}
        How the members' point forecasts, interval bounds and path quantiles combine.
    h : int, optional
        Horizon of the inner windows (``candidates``, or ``calibrate=True``); by default the
        season length (7 for daily series, 12 for monthly), at least 1.
    n_windows : int
        Inner windows (``candidates``, or ``calibrate=True``).
    combine_within : float, optional
        With ``candidates``: every candidate whose inner MASE is within this fraction of the
        best one (``score <= best * (1 + combine_within)``) is kept, and two or more kept
        candidates are combined by the median of their forecasts; None (the default) keeps
        the best alone.
    calibrate : {None, True, False, "conformal", "scaled", "auto", "off"}
        ``"scaled"`` rescales the combined (or chosen) forecast's own bands and paths by its
        standardised errors in inner windows of one season, and ``"auto"`` takes per series
        whichever of those and conformal bands scored better with each inner window left
        out: the rule of every model (:mod:`forecast.models._calibration`), whose inner
        windows refit each member with the specification it chose on the whole series.
        True (``"conformal"``) replaces the bands by split-conformal ones from the
        residuals of the combined or chosen forecast in ``n_windows`` inner windows of
        ``h`` steps (:class:`PooledConformal`). False (``"off"``) combines the members' own
        intervals and paths (or uses the chosen candidate's). None, the default, is
        ``"auto"`` for the combination (see the notes).
    member_min_history : mapping of str to int, optional
        Fewest observations for a member (by label) to join the combination; a shorter
        series is fitted without it, which ``dropped_`` says. By default ``{"arima": 50}``
        for the default members and nothing for members given (the rule and the figures
        behind it are in the notes); ``{}`` lets every member join the series it can fit.
    seasonal_period, transform, freq
        See :class:`~forecast.models.base.BaseModel`; passed on to members and candidates
        given by name.

    Attributes
    ----------
    chosen_ : str
        What forecasts: ``mean(ets, arima, dotm)``, a single member's label when only one
        could be fitted, or the chosen candidate's label (``median(a, b)`` for a combination
        of close candidates).
    members_ : list of (str, BaseModel)
        The fitted members that are combined (combination only).
    weights_ : dict
        Weight of each combined member (equal; combination only).
    dropped_ : dict
        Members left out and why (too short a series for the model or for
        ``member_min_history``, a failed fit), by label.
    scores_ : InnerScores or None
        Mean scaled absolute error (MASE) of every member or candidate in the inner backtest;
        None when none ran (a combination without ``calibrate=True``).
    model_ : BaseModel
        The chosen candidate (or combination), fitted on all the training data (``candidates``
        only).
    calibrated_ : bool
        Whether intervals and paths are conformal by ``calibrate=True``; ``calibration_``
        holds the calibration of ``"scaled"`` and ``"auto"`` (see
        :class:`~forecast.models.base.BaseModel`).
    params_ : dict
        ``combine``, ``members``, ``weights``, ``dropped`` and ``why`` (the rule in words),
        each member's own fitted parameters under ``member_params`` and, with covariates,
        which members use them (``members_with_covariates``, ``members_without_covariates``);
        with ``candidates``, the inner MASE of every
        candidate (``mase_<label>``).

    Notes
    -----
    **Combination** (the default). Every member is fitted to the whole series; a member whose
    ``min_history`` exceeds the series' length (``ets`` needs 3 points, ``dotm`` 4, ``arima``
    8), that ``member_min_history`` keeps out, or whose fit fails, is dropped and named in
    ``dropped_``, and with no member left ``naive`` forecasts alone. The point forecast is the
    mean (or median) of the members'. Intervals are the mean (or median) of the members'
    bounds at each level, i.e. the members' quantiles averaged (Vincentisation, [3]_), which
    nest and hold the point. Sample paths have those averaged quantiles as marginals: each
    member's paths are sorted per step and combined rank by rank, then reordered per step to
    the ranks of the draw-by-draw combination of the members' paths, which keeps their
    dependence across steps (the Schaake shuffle, [4]_). A plain equal-weight combination of
    ETS, ARIMA and theta-family forecasts is more accurate than choosing one of them per series
    on the M3 and M4 competitions ([1]_, [2]_), and chooses without an inner backtest.

    The default members and the gate on ``arima`` were chosen by
    ``benchmarks/bench_competitions.py`` on a 15% sample of M3 (450 series) and Tourism (197)
    drawn with seed 2, among the mean and the median of {ets, arima, theta}, {ets, arima,
    dotm}, {ets, ces, dotm}, {ets, arima, dotm, ces} and others, with ``arima`` joining every
    series or only those of 30, 40, 50 or 60 observations or more, by the mean over the seven
    (competition, frequency) cells of the ratio of MASE to statsforecast's mean of AutoETS,
    AutoARIMA and AutoTheta. On those series (in-sample for the choice) the rule has M3 sMAPE
    12.22 and MASE 1.351 (statsforecast's mean 12.66 and 1.352) and Tourism MASE 2.093
    (2.116); its MASE is at or below that mean's in six cells and 3.7% above it on M3
    quarterly. ``arima`` made the combination worse on short (yearly) series and is the
    costliest member; kept off series under 50 points, it runs on the monthly and the long
    quarterly and "other" series. On another sample, 5% drawn with seed 3 (150 M3 series,
    20 of them also in the first; 65 Tourism, 19), ``auto`` run as is: M3 sMAPE 11.43, MASE
    1.224 (statsforecast's mean 11.53, 1.276; per frequency at or below it but for monthly,
    0.815 against 0.814), Tourism MASE 2.108 (2.109; yearly 3.158 against 3.109). On M1,
    never used to choose (10%, seed 3, 100 series): sMAPE 16.45 (16.52), MASE 2.072 (1.993);
    on all its 181 yearly series MASE 3.692 (3.618) and all 203 quarterly 1.549 (1.581). Its
    cost is the sum of its members', mostly ``arima`` on monthly series: in those runs 1.6
    times the statsforecast mean's wall time on M3 and M1 samples, 0.7 times on Tourism.
    Every yearly series of M3, Tourism and M1 (1,344) gets a forecast. On all 3,003 M3 series:
    sMAPE 12.40 against the statsforecast mean's 12.52, MASE 1.325 against 1.328 (ahead on
    monthly and "other" series, 0.9% behind on quarterly, level on yearly). On all 1,001 M1
    series (out of sample): sMAPE 15.54 against 15.96, MASE 1.636 against 1.620 (behind on
    yearly, 2.0%, and monthly, 1.3%; ahead on quarterly). Since ``arima``'s candidates are
    fitted on the package's own exact likelihood, ``auto`` with its default calibrated bands
    takes 0.75 times that mean's wall time on all of M3 (0.78 on monthly series), 0.37 times on
    Tourism (0.29 before ``arima`` searched series longer than 150 exactly, which cost 56% more
    on Tourism's monthly series) and 0.92 times on M1, in one process on the same series (it
    took 2.6 and 2.35 times on M3 and M1 before, uncalibrated).

    With covariates (``fit(..., covariates=)``), the members whose capabilities say they use
    covariates (``arima``, ``prophet``) are fitted with them and need their future values at
    ``predict``; the others are fitted on the series alone; ``params_`` lists them
    (``members_with_covariates``, ``members_without_covariates``). The choice by
    ``candidates`` and ``calibrate=True`` do not take covariates (``"scaled"`` and ``"auto"``
    do).

    **Choice** (``candidates``). Cut ``n_windows`` windows of ``h`` observations from the end
    of the training data; fit every candidate on the data before each window and score its
    point forecasts by MASE (errors scaled by the in-sample seasonal-naive MAE of that
    window's training data); choose the lowest mean score (ties go to the earlier candidate),
    or the median of the candidates within ``combine_within`` of it; refit on all the data.
    When that final fit fails, the next best is used alone.

    **Calibration.** By default (``calibrate=None``) the combination is calibrated with
    ``"auto"``, because its own bands under-cover out of sample on short series (80% bands
    covering 57% on quarterly user counts, 67% on simulated markets; the figures are under
    :data:`~forecast.models._calibration.AUTO_BY_DEFAULT`); a choice among ``candidates``
    keeps the chosen candidate's own default, and inside another model's inner windows
    nothing is calibrated. With ``calibrate="scaled"`` or ``"auto"``, the combination (or the
    chosen candidates) is refitted in up to five inner windows of one season on the training
    data, every member with the specification it chose on the whole series (ETS's
    components, ARIMA's orders; its parameters re-estimated as the member's search estimated
    them, starting from the whole series' estimates), and its own bands are rescaled by its
    standardised errors there, as for every model
    (:class:`~forecast.evaluation.calibration.ScaledCalibration`,
    :func:`~forecast.evaluation.calibration.choose_calibration`). Backtests of a calibrated
    ``auto`` took about 1.6 to 2.2 times as long as uncalibrated ones on quarterly, monthly and
    yearly series and 3.7 times on long daily ones, where ``arima``'s refits dominate
    (``calibrate=False`` skips them); refitting ``auto``'s whole search in every window cost
    about twice as much on monthly, quarterly and yearly series (as much on the long daily
    ones) and covered no better.
    The choice of specification has seen the inner windows' data, which makes the inner
    errors slightly optimistic. With ``calibrate=True``, the residuals of the combined or
    chosen forecast in ``n_windows`` inner windows give split-conformal intervals and paths
    by the rule of every calibrated model (:class:`PooledConformal`: each step's errors over
    that step's spread, pooled over steps and windows, with the finite-sample correction and
    a Gaussian floor where the scores are too few). A forecast longer than the inner ``h``
    is calibrated on its own inner windows of that length when the training data has room
    for them, keeping the bands of the first ``h`` steps
    (:func:`~forecast.evaluation.conformal.longer_horizon`). Everything is computed from the
    training data only.

    References
    ----------
    .. [1] Petropoulos, F. and Svetunkov, I. (2020). A simple combination of univariate
       models. International Journal of Forecasting 36(1), 110-115.
    .. [2] Fiorucci, J. A., Pellegrini, T. R., Louzada, F., Petropoulos, F. and Koehler, A. B.
       (2016). Models for optimising the theta method and their relationship to state space
       models. International Journal of Forecasting 32(4), 1151-1161.
    .. [3] Lichtendahl, K. C., Grushka-Cockayne, Y. and Winkler, R. L. (2013). Is it better to
       average probabilities or quantiles? Management Science 59(7), 1594-1611.
    .. [4] Clark, M., Gangopadhyay, S., Hay, L., Rajagopalan, B. and Wilby, R. (2004). The
       Schaake shuffle. Journal of Hydrometeorology 5(1), 243-262.
    .. [5] Hyndman, R. J. and Athanasopoulos, G. (2021). Forecasting: Principles and Practice,
       3rd ed., section 5.10 (time series cross-validation).
    .. [6] Stankeviciute, K., Alaa, A. M. and van der Schaar, M. (2021). Conformal time-series
       forecasting. Advances in Neural Information Processing Systems 34.
    """

    capabilities = Capabilities(min_history=2, covariates=True)
    _generic_calibrations: ClassVar[frozenset[str]] = frozenset({"scaled", "auto"})

    def __init__(
        self,
        *,
        members: Sequence[str | BaseModel] | None = None,
        candidates: Sequence[str | BaseModel] | None = None,
        combine: Literal["mean", "median"] = "mean",
        h: int | None = None,
        n_windows: int = 3,
        combine_within: float | None = None,
        calibrate: bool | Literal["conformal", "scaled", "auto", "off"] | None = None,
        member_min_history: Mapping[str, int] | None = None,
        seasonal_period: int | None = None,
        transform: Literal["log"] | None = None,
        freq: str | None = None,
    ) -> None:
        super().__init__(seasonal_period=seasonal_period, transform=transform, freq=freq)
        if h is not None and (isinstance(h, bool) or int(h) < 1):
            raise ConfigError(f"auto: h must be a positive integer, not {h!r}.")
        if isinstance(n_windows, bool) or int(n_windows) < 1:
            raise ConfigError(f"auto: n_windows must be a positive integer, not {n_windows!r}.")
        if members is not None and candidates is not None:
            raise ConfigError(
                "auto: pass members (to combine them) or candidates (to choose one per series "
                "by an inner backtest), not both."
            )
        for name, value in (("members", members), ("candidates", candidates)):
            if value is not None and (isinstance(value, (str, BaseModel)) or len(value) == 0):
                raise ConfigError(
                    f"auto: {name} must be a non-empty list of model names or instances."
                )
        check_choice(self.name, "combine", combine, ("mean", "median"))
        if combine_within is not None and not (np.isfinite(combine_within) and combine_within >= 0):
            raise ConfigError(
                f"auto: combine_within must be None or a fraction >= 0, not {combine_within!r}."
            )
        check_choice(self.name, "calibrate", calibrate, CALIBRATE_CHOICES)
        if member_min_history is not None:
            if not isinstance(member_min_history, Mapping) or any(
                not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1
                for v in member_min_history.values()
            ):
                raise ConfigError(
                    "auto: member_min_history must map member labels to positive integers "
                    f"(observations), not {member_min_history!r}."
                )
            if candidates is not None:
                raise ConfigError(
                    "auto: member_min_history applies to the members of the combination, not to "
                    "candidates; drop one of them."
                )
            member_min_history = {str(k): int(v) for k, v in member_min_history.items()}
        self.members = None if members is None else tuple(members)
        self.candidates = None if candidates is None else tuple(candidates)
        self.combine = combine
        self.h = h
        self.n_windows = int(n_windows)
        self.combine_within = None if combine_within is None else float(combine_within)
        self.calibrate = calibrate
        self.member_min_history = member_min_history
        self._warm_members: dict[str, BaseModel] = {}

    def warm_start(self, previous: BaseModel) -> None:
        """Start each member's next fit from the same member of ``previous`` (combination only).

        Backtests call it between windows, as they do for ``ets`` and ``arima`` alone, so a
        member's estimates in ``auto`` start where that member's own backtest would start them
        (a member that does not warm-start, such as ``dotm``, is fitted as before). A choice
        among ``candidates`` is not warm-started.

        Raises
        ------
        ConfigError
            ``previous`` is not a fitted ``auto``.
        """
        if not isinstance(previous, Auto) or not previous.is_fitted:
            raise ConfigError("auto: warm_start needs a fitted 'auto' model to start from.")
        members = getattr(previous, "members_", None) if previous.candidates is None else None
        self._warm_members = {}
        for label, member in members or []:
            primed = member.clone()  # unfitted, the same hyperparameters
            primed.warm_start(member)
            self._warm_members[label] = primed

    def _fit(self, data: pd.DataFrame, retention: pd.DataFrame | None) -> None:
        self.scores_: InnerScores | None = None
        self.dropped_: dict[str, str] = {}
        if self.covariates_ and (self.candidates is not None or self._conformal()):
            raise CapabilityError(
                f"auto: series {self.series_id_!r} comes with covariates "
                f"({', '.join(self.covariates_)}), which only auto's combination passes on, "
                "without conformal calibration; drop candidates= and calibrate=True (or pass "
                "calibrate='scaled'), or the covariates."
            )
        if self.candidates is not None:
            self._fit_choice(data, self.candidates)
        else:
            self._fit_combination(data)

    def _member_covariates(self, data: pd.DataFrame) -> ValidCovariates | None:
        """Return the fitted series' covariates, checked, for the members that take them."""
        if not self.covariates_:
            return None
        return validate_covariates(
            data[[UNIQUE_ID, DS, *self.covariates_]], data[[UNIQUE_ID, DS]]
        ).for_series(self.series_id_)

    # ---------------------------------------------------------------------------- combination
    def _fit_combination(self, data: pd.DataFrame) -> None:
        series = data[[UNIQUE_ID, DS, Y]]
        covariates = self._member_covariates(data)
        built = build_candidates(
            self.members or DEFAULT_MEMBERS, self.seasonal_period, self.freq, calibrate=False
        )
        gates = self._gates()
        fitted = []
        for label, model in built:
            need = model.capabilities.min_history
            if len(series) < need:
                self.dropped_[label] = f"needs {need} observations, the series has {len(series)}"
                continue
            if len(series) < gates.get(label, 0):
                self.dropped_[label] = (
                    f"joins only series of {gates[label]} observations or more "
                    f"(member_min_history), the series has {len(series)}"
                )
                continue
            given = covariates if model.capabilities.covariates else None
            primed = self._warm_members.get(label)
            if primed is not None and type(primed) is type(model):
                model = primed
            try:
                fitted.append((label, model.fit_validated(series, covariates=given)))
            except ForecastError as err:
                self.dropped_[label] = f"{type(err).__name__}: {err}"
        if fitted:
            why = (
                f"equal-weight {self.combine} of {len(fitted)} members fitted to the whole "
                "series, no inner backtest"
            )
        else:
            fallback = get(FALLBACK, seasonal_period=self.seasonal_period, freq=self.freq)
            fitted = [(FALLBACK, fallback.fit_validated(series))]
            why = f"no member could be fitted, so {FALLBACK!r} forecasts alone"
        self._warm_members = {}
        labels = [label for label, _ in fitted]
        self.members_ = fitted
        self.weights_ = {label: 1.0 / len(fitted) for label in labels}
        self.chosen_ = labels[0] if len(labels) == 1 else f"{self.combine}({', '.join(labels)})"
        self.params_ = {
            "combine": self.combine,
            "members": labels,
            "weights": self.weights_,
            "dropped": dict(self.dropped_),
            "why": why,
            "member_params": {label: model.params_ for label, model in fitted},
        }
        if self.covariates_:
            self.params_["members_with_covariates"] = [
                label for label, model in fitted if model.covariates_
            ]
            self.params_["members_without_covariates"] = [
                label for label, model in fitted if not model.covariates_
            ]
        members = [(label, model.clone()) for label, model in fitted]
        base = self._combined_calibration(series, members) if self._conformal() else None
        self.conformal_ = ConformalCache(
            base, series, members, self.n_windows, self.seasonal_period_, self.combine
        )
        self.calibrated_ = bool(self.conformal_)

    def _calibrated_generically(self) -> bool:
        """Whether ``calibrate`` is ``"scaled"`` or ``"auto"``, given or by default.

        The default (None) calibrates the combination; a choice among ``candidates`` keeps
        the chosen candidate's own default instead.
        """
        if self.candidates is not None and self.calibrate is None:
            return False
        return super()._calibrated_generically()

    def _conformal(self) -> bool:
        """Whether ``calibrate`` asks for ``auto``'s own conformal rule (True, "conformal")."""
        return calibration_method(self.name, self.calibrate) == "conformal"

    def fewest_observations(self, seasonal_period: int) -> int:
        """Fewest observations of a fit: fitted, the most that its members (or choice) need.

        The calibration's inner windows refit those with the specifications they chose
        (:meth:`_calibration_template`), so each window leaves every one of them its own
        fewest observations (two seasons for a seasonal ``ets``).
        """
        own = super().fewest_observations(seasonal_period)
        if "members_" in vars(self):
            fitted = [model for _, model in self.members_]
        elif "model_" in vars(self):
            fitted = [self.model_]
        else:
            return own
        return max(own, fewest_history(fitted, seasonal_period))

    def _calibration_template(self, template: BaseModel) -> BaseModel:
        """Return a combination of the fitted members (or the chosen model), choices fixed.

        ``calibrate="scaled"`` and ``"auto"`` (:func:`~forecast.models._calibration.
        fit_calibration`) refit it in their inner windows: each member keeps the
        specification it chose on the whole series (:meth:`BaseModel._specified_clone`) and
        re-estimates its parameters, so the inner windows cost a few member fits rather than
        ``auto``'s whole search; a choice among ``candidates`` refits the chosen candidate
        (or the median of the close ones) alone.
        """
        if self.candidates is None:
            members = [model._specified_clone() for _, model in self.members_]
        else:
            members = [self.model_._specified_clone()]
        fixed = Auto(
            members=members,
            combine=self.combine,
            member_min_history={},
            seasonal_period=self.seasonal_period,
            transform=self.transform,
            freq=self.freq,
            calibrate=False,
        )
        bind(fixed, bound(template))
        return fixed

    def _gates(self) -> dict[str, int]:
        """Fewest observations per member label: as given, or the default rule's."""
        if self.member_min_history is not None:
            return dict(self.member_min_history)
        return dict(DEFAULT_MEMBER_MIN_HISTORY) if self.members is None else {}

    def _combined_calibration(
        self, series: pd.DataFrame, members: list[tuple[str, BaseModel]]
    ) -> Conformal | None:
        """Calibrate the combined forecast (:func:`calibrate_combination`), or warn and say why.

        ``scores_`` is the inner backtest the calibration came from.
        """
        h = int(self.h or max(self.seasonal_period_, 1))
        found, scores, why = calibrate_combination(
            series, members, h, self.n_windows, self.seasonal_period_, self.combine
        )
        if found is None:
            self.params_["calibration"] = f"off: {why}"
            instead = "the members' own intervals and paths are combined uncalibrated"
            warn_uncalibrated(self.name, str(self.series_id_), why, instead)
            return None
        self.scores_ = scores
        return found

    def _predict_combination(
        self, h: int, levels: tuple[float, ...]
    ) -> tuple[np.ndarray, Intervals]:
        own = () if self.calibrated_ else levels
        future = self._future_covariates(h) if self.covariates_ else None
        frames = [
            model.predict(h, levels=own, covariates=future if model.covariates_ else None)
            for _, model in self.members_
        ]
        point = combine_points(np.stack([f["yhat"].to_numpy() for f in frames]), self.combine)
        if self.calibrated_:
            return point, self.conformal_.get(h).intervals(point, levels)
        intervals = {}
        for level in levels:
            bounds = [
                combine_points(
                    np.stack([f[level_column(level, side)].to_numpy() for f in frames]),
                    self.combine,
                )
                for side in ("lo", "hi")
            ]
            intervals[level] = (bounds[0], bounds[1])
        return point, intervals

    def _sample_combination(self, h: int, n: int, rng: np.random.Generator) -> np.ndarray:
        if self.calibrated_:
            point = self._predict_combination(h, ())[0]
            return self.conformal_.get(h).paths(point, n, rng)
        future = self._future_covariates(h) if self.covariates_ else None
        draws = np.stack(
            [
                model.sample(
                    h,
                    n,
                    seed=int(rng.integers(2**31)),
                    covariates=future if model.covariates_ else None,
                )
                for _, model in self.members_
            ]
        )
        marginals = combine_points(np.sort(draws, axis=1), self.combine)
        ranks = combine_points(draws, self.combine).argsort(axis=0).argsort(axis=0)
        return np.take_along_axis(marginals, ranks, axis=0)

    # ---------------------------------------------------------------------------------- choice
    def _fit_choice(self, data: pd.DataFrame, given: Sequence[str | BaseModel]) -> None:
        own = False if self._calibrated_generically() else None  # bands to rescale
        candidates = build_candidates(given, self.seasonal_period, self.freq, calibrate=own)
        self.scores_ = scores = self._choice_backtest(data, candidates)
        ranked = sorted(
            (score, position, label)
            for position, (label, score) in enumerate(scores.items())
            if np.isfinite(score)
        )
        if not ranked:
            details = "; ".join(f"{k}: {v}" for k, v in scores.errors.items())
            raise FitError(
                f"every candidate of 'auto' failed the inner backtest of series "
                f"{self.series_id_!r} ({details})."
            )
        models = dict(candidates)
        series = data[[UNIQUE_ID, DS, Y]]
        selected = self._fit_chosen(series, ranked, models)
        self.params_ = {f"mase_{k}": v for k, v in scores.items()}
        windows, steps = scores.actuals.shape
        self.params_["inner_windows"] = f"{windows} windows of {steps} steps"
        members = [(label, models[label]) for label in selected]
        base = None
        if self._conformal():
            points = np.stack([scores.forecasts[label] for label in selected])
            base = PooledConformal(
                rescaled(series, scores, combine_points(points, "median"), self.seasonal_period_)
            )
        self.conformal_ = ConformalCache(
            base, series, members, self.n_windows, self.seasonal_period_
        )
        self.calibrated_ = bool(self.conformal_)

    def _choice_backtest(
        self, data: pd.DataFrame, candidates: list[tuple[str, BaseModel]]
    ) -> InnerScores:
        """Run the choice's inner backtest: ``n_windows`` windows of ``h`` steps, or fewer.

        Where the series has no room for them, the plans of
        :func:`~forecast.models._calibration.calibration_plans` are tried (fewer windows,
        then shorter, leaving every candidate its ``min_history``), as a calibration does;
        ``params_["inner_windows"]`` says which ran. With none, the first plan's
        :class:`~forecast.errors.HistoryError` is raised.
        """
        h = int(self.h or max(self.seasonal_period_, 1))
        try:
            return inner_backtest(data, candidates, h, self.n_windows, self.seasonal_period_)
        except HistoryError as err:
            too_short = err
        fewest = fewest_history([model for _, model in candidates], self.seasonal_period_)
        for windows, steps in calibration_plans(len(data) - fewest, h, self.n_windows):
            with contextlib.suppress(HistoryError):
                return inner_backtest(data, candidates, steps, windows, self.seasonal_period_)
        raise too_short

    def _fit_chosen(
        self,
        series: pd.DataFrame,
        ranked: list[tuple[float, int, str]],
        models: dict[str, BaseModel],
    ) -> list[str]:
        """Fit the chosen candidate or combination on all the data; the labels it uses."""
        best = ranked[0][0]
        if self.combine_within is not None:
            close = [
                label for score, _, label in ranked if score <= best * (1.0 + self.combine_within)
            ]
            if len(close) > 1:
                combination = get(
                    "ensemble",
                    members=[models[label] for label in close],
                    combine="median",
                    calibrate=False,
                    seasonal_period=self.seasonal_period,
                    freq=self.freq,
                )
                try:
                    self.model_ = combination.fit_validated(series)
                    self.chosen_ = f"median({', '.join(close)})"
                    return close
                except ForecastError:
                    pass
        failures = []
        for _, _, label in ranked:
            try:
                self.model_ = models[label].clone().fit_validated(series)
            except ForecastError as err:
                failures.append(f"{label}: {type(err).__name__}: {err}")
                continue
            self.chosen_ = label
            return [label]
        raise FitError(
            f"no candidate of 'auto' could be fitted to series {self.series_id_!r}: "
            f"{'; '.join(failures)}."
        )

    def _predict(self, h: int, levels: tuple[float, ...]) -> tuple[np.ndarray, Intervals]:
        if self.candidates is None:
            return self._predict_combination(h, levels)
        frame = self.model_.predict(h, levels=() if self.calibrated_ else levels)
        point = frame["yhat"].to_numpy()
        if self.calibrated_:
            return point, self.conformal_.get(h).intervals(point, levels)
        intervals = {
            level: (
                frame[level_column(level, "lo")].to_numpy(),
                frame[level_column(level, "hi")].to_numpy(),
            )
            for level in levels
        }
        return point, intervals

    def _sample(self, h: int, n: int, rng: np.random.Generator) -> np.ndarray:
        if self.candidates is None:
            return self._sample_combination(h, n, rng)
        if self.calibrated_:
            point = self.model_.predict(h, levels=())["yhat"].to_numpy()
            return self.conformal_.get(h).paths(point, n, rng)
        return self.model_.sample(h, n, seed=int(rng.integers(2**31)))
