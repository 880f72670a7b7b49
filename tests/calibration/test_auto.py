"""``calibrate="auto"``: per series, conformal or scaled bands, by their left-out scores.

Checked: the left-out interval scores prefer scaled bands where the model's own spread tracks
its errors and conformal bands where it does not; a model calibrated with ``"auto"`` gives
exactly the bands of the method it chose (one inner backtest serves both); where scaled bands
cannot be made it is conformal; a saved model forecasts as before; a call's short series
borrows from the conformal donors when the others were calibrated both ways.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

import forecast as fc
from forecast.errors import ForecastWarning
from forecast.evaluation.calibration import (
    Calibration,
    InnerWindows,
    ScaledCalibration,
    left_out_scores,
    pool_short_series,
)
from forecast.schema import DS, UNIQUE_ID, Y


def _walk(n: int, seed: int, uid: str = "app", sd: float = 5.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2024-01-01", periods=n, freq="D")
    return pd.DataFrame({UNIQUE_ID: uid, DS: ds, Y: 1000 + np.cumsum(rng.normal(0, sd, n))})


def _alike(rng: np.random.Generator, windows: int, steps: int) -> np.ndarray:
    """Standard errors alike in every window: the same normal quantiles, reordered, signed."""
    quantiles = norm.ppf((np.arange(steps) + 0.5) / steps)
    return np.array(
        [rng.permutation(quantiles) * rng.choice([-1, 1], steps) for _ in range(windows)]
    )


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**6), windows=st.integers(4, 6), steps=st.integers(4, 8))
def test_scaled_bands_win_where_the_own_spread_tracks_the_errors(
    seed: int, windows: int, steps: int
) -> None:
    rng = np.random.default_rng(seed)
    level = rng.permutation(np.exp(np.linspace(-2.0, 2.0, windows)))[:, None]  # e^4 apart
    spread = level * np.sqrt(np.arange(1, steps + 1))
    # every window errs alike relative to its own spread
    found = InnerWindows(spread * _alike(rng, windows, steps), np.ones(windows), spread, spread)
    scores = left_out_scores(found, found.standardised())
    assert scores["scaled"] < scores["conformal"]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**6), windows=st.integers(4, 6), steps=st.integers(4, 8))
def test_conformal_bands_win_where_the_own_spread_is_unrelated_to_the_errors(
    seed: int, windows: int, steps: int
) -> None:
    rng = np.random.default_rng(seed)
    # the own spread claims windows e^4 apart; the errors are alike in every window
    spread = rng.permutation(np.exp(np.linspace(-2.0, 2.0, windows)))[:, None] * np.ones(steps)
    found = InnerWindows(_alike(rng, windows, steps), np.ones(windows), spread, spread)
    scores = left_out_scores(found, found.standardised())
    assert scores["conformal"] < scores["scaled"]


@pytest.mark.parametrize(("name", "seed"), [("ets", 1), ("theta", 2), ("naive", 3)])
def test_the_bands_are_those_of_the_method_chosen(name: str, seed: int) -> None:
    series = _walk(120, seed)
    model = fc.models.get(name, calibrate="auto").fit(series)
    choice = model.calibration_.choice
    assert set(choice) == {"conformal", "scaled"}
    method = min(choice, key=choice.__getitem__)
    kind = ScaledCalibration if method == "scaled" else Calibration
    assert type(model.calibration_) is kind
    same = fc.models.get(name, calibrate=method).fit(series)
    pd.testing.assert_frame_equal(model.predict(10), same.predict(10))


def test_where_scaled_bands_cannot_be_made_the_bands_are_conformal() -> None:
    series = _walk(80, 4)
    series.loc[:49, Y] = 1000.0  # flat: the early windows' own spread is zero
    model = fc.models.get("naive", calibrate="auto").fit(series)
    assert type(model.calibration_) is Calibration
    assert model.calibration_.choice is None
    same = fc.models.get("naive", calibrate=True).fit(series)
    pd.testing.assert_frame_equal(model.predict(7), same.predict(7))


def test_a_saved_model_forecasts_as_before(tmp_path: pytest.TempPathFactory) -> None:
    model = fc.models.get("ets", calibrate="auto").fit(_walk(90, 5))
    path = f"{tmp_path}/ets.fcm"
    model.save(path)
    same = fc.models.load(path)
    assert type(same.calibration_) is type(model.calibration_)
    assert same.calibration_.choice == model.calibration_.choice
    assert same.predict(12).equals(model.predict(12))


def test_a_short_series_borrows_from_the_conformal_donors_of_a_mixed_call() -> None:
    # what "auto" may choose per series: some donors conformal, some scaled
    methods = [True, "scaled", True, "scaled", "scaled"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ForecastWarning)
        fitted = [
            fc.models.get("naive", calibrate=method).fit(_walk(90, seed, f"s{seed}"))
            for seed, method in enumerate(methods)
        ]
        short = fc.models.get("naive", calibrate="auto").fit(_walk(3, 9, "tiny"))
    with pytest.warns(ForecastWarning, match=r"'tiny'.*scaled inner errors of 2 other series"):
        assert pool_short_series([*fitted, short]) == ["tiny"]
    assert type(short.calibration_) is Calibration
    donors = [m.calibration_ for m in fitted if type(m.calibration_) is Calibration]
    assert short.calibration_.base.residuals.shape[0] == sum(c.n_windows for c in donors)
