"""Backtests: shared cutoffs, no leakage (poisoned futures, a spy model), refit/update chains,
sliding windows, failures collected, identical results for any n_jobs, intervals nest."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import forecast as fc
from forecast.errors import ConfigError, ForecastWarning, HistoryError
from forecast.evaluation.metrics import levels_of
from forecast.models.base import BaseModel, Capabilities
from forecast.models.registry import register, unregister
from forecast.schema import level_column

POISON = 1e12


class _Spy(BaseModel):
    """Forecasts, at every step, the day number of the last training date it has seen; the
    lower bound lies that many training rows below: leakage shows up in the output."""

    capabilities = Capabilities(updates=True, min_history=1)

    def _fit(self, data: pd.DataFrame, retention: pd.DataFrame | None) -> None:
        self._record(data)

    def _update(self, data: pd.DataFrame) -> None:
        self._record(data)

    def _record(self, data: pd.DataFrame) -> None:
        self.last_day_ = float(data["ds"].iloc[-1].toordinal())
        self.rows_ = float(len(data))

    def _predict(self, h: int, levels: tuple[float, ...]) -> tuple[np.ndarray, dict]:
        point = np.full(h, self.last_day_)
        return point, {level: (point - self.rows_, point + 1.0) for level in levels}


class _WarmSpy(_Spy):
    """A spy that warm-starts: its forecast's lower bound says which cutoff it started from."""

    capabilities = Capabilities(min_history=1)

    def warm_start(self, previous: BaseModel) -> None:
        self.start_day = previous.last_day_

    def _predict(self, h: int, levels: tuple[float, ...]) -> tuple[np.ndarray, dict]:
        point = np.full(h, self.last_day_)
        start = getattr(self, "start_day", 0.0)
        return point, {level: (point - (self.last_day_ - start), point + 1.0) for level in levels}


@pytest.fixture
def spy():
    register("_spy")(_Spy)
    yield "_spy"
    unregister("_spy")


def _series(
    n: int = 60, uid: str = "a", seed: int = 0, start: str = "2024-01-01", freq: str = "D"
) -> pd.DataFrame:
    """A positive seasonal series (seeded)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = 50 + 0.3 * t + 5 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 1, n)
    return pd.DataFrame(
        {"unique_id": uid, "ds": pd.date_range(start, periods=n, freq=freq), "y": y}
    )


# --------------------------------------------------------------------------------- cutoffs
def test_cutoffs_count_back_from_each_series_end_on_its_own_grid():
    daily = _series(60, "daily")
    monthly = _series(40, "monthly", start="2020-01-01", freq="MS")
    cutoffs = fc.make_cutoffs(pd.concat([daily, monthly]), h=3, n_windows=2, step=2)
    assert list(cutoffs.columns) == ["unique_id", "window", "cutoff"]
    got = cutoffs.groupby("unique_id")["cutoff"].apply(list).to_dict()
    assert got["daily"] == [pd.Timestamp("2024-02-24"), pd.Timestamp("2024-02-26")]
    assert got["monthly"] == [pd.Timestamp("2022-11-01"), pd.Timestamp("2023-01-01")]


def test_series_ending_together_share_cutoffs(two_daily_series):
    cutoffs = fc.make_cutoffs(two_daily_series, h=7, n_windows=3)
    a, b = (cutoffs.loc[cutoffs["unique_id"] == u, "cutoff"].tolist() for u in ("a", "b"))
    assert a == b and len(a) == 3


def test_a_series_too_short_for_the_windows_is_named():
    with pytest.raises(HistoryError, match="series 'a'.*too short"):
        fc.make_cutoffs(_series(10), h=7, n_windows=2)


def test_bad_arguments_raise_config_errors():
    df = _series()
    with pytest.raises(ConfigError, match="n_windows"):
        fc.backtest(df, "naive", h=7, n_windows=0)
    with pytest.raises(ConfigError, match="window_size"):
        fc.backtest(df, "naive", h=7, window="sliding")
    with pytest.raises(ConfigError, match="window must be"):
        fc.backtest(df, "naive", h=7, window="rolling")
    with pytest.raises(ConfigError, match="more than once"):
        fc.backtest(df, ["naive", "naive"], h=7)


# -------------------------------------------------------------------------------- backtest
def test_output_schema_actuals_and_scale():
    df = _series()
    bt = fc.backtest(df, ["naive", "seasonal_naive"], h=7, n_windows=2, levels=(80, 95))
    assert list(bt.columns) == [
        *fc.schema.forecast_columns((80, 95), backtest=True),
        "scale",
        "seasonal_period",
    ]
    assert len(bt) == 2 * 2 * 7
    assert bt.equals(bt.sort_values(["unique_id", "model", "cutoff", "ds"]).reset_index(drop=True))
    merged = bt.merge(df, on=["unique_id", "ds"], suffixes=("", "_true"))
    np.testing.assert_array_equal(merged["y"], merged["y_true"])
    first_cutoff = bt["cutoff"].min()
    train = df.loc[df["ds"] <= first_cutoff, "y"].to_numpy()
    expected = np.mean(np.abs(train[7:] - train[:-7]))
    assert bt.loc[bt["cutoff"] == first_cutoff, "scale"].iloc[0] == pytest.approx(expected)
    assert (bt["seasonal_period"] == 7).all()


def test_naive_backtest_equals_a_hand_rolled_loop():
    df = _series()
    bt = fc.backtest(df, "naive", h=5, n_windows=3, step=4)
    for cutoff, window in bt.groupby("cutoff"):
        last = df.loc[df["ds"] <= cutoff, "y"].iloc[-1]
        assert np.allclose(window["yhat"], last)
        assert (window["ds"] > cutoff).all() and len(window) == 5


def test_the_callers_model_is_never_fitted():
    model = fc.models.get("naive")
    fc.backtest(_series(), [model], h=7, n_windows=2)
    assert not model.is_fitted


def test_gaps_in_the_test_window_keep_the_forecast_with_a_missing_actual():
    df = _series(60)
    holed = df.drop(index=[57])
    bt = fc.backtest(holed, "mean", h=7, n_windows=1)
    assert bt["y"].isna().sum() == 1
    assert fc.evaluate(bt)["n_missing"].iloc[0] == 1


def test_failures_are_recorded_and_warned_once():
    df = pd.concat([_series(60, "long"), _series(12, "short")])
    with pytest.warns(ForecastWarning, match="failed"):
        bt = fc.backtest(df, fc.models.get("seasonal_naive", seasonal_period=10), h=3, n_windows=2)
    failures = bt.attrs["failures"]
    assert list(failures.columns) == ["unique_id", "model", "cutoff", "error_type", "message"]
    assert set(failures["unique_id"]) == {"short"} and len(failures) == 2
    assert (failures["error_type"] == "HistoryError").all()
    assert set(bt["unique_id"]) == {"long"}


def test_given_cutoffs_are_used_as_they_are():
    df = _series()
    cutoffs = pd.DataFrame(
        {"unique_id": "a", "cutoff": pd.to_datetime(["2024-02-01", "2024-02-10"])}
    )
    bt = fc.backtest(df, "naive", h=3, cutoffs=cutoffs)
    assert sorted(bt["cutoff"].unique()) == list(cutoffs["cutoff"])


def test_sliding_windows_train_on_the_last_observations(spy):
    bt = fc.backtest(
        _series(), spy, h=4, n_windows=3, window="sliding", window_size=20, levels=(80,)
    )
    assert np.allclose(bt["yhat"] - bt["yhat_lo_80"], 20)
    expanding = fc.backtest(_series(), spy, h=4, n_windows=3, levels=(80,))
    assert sorted(set(expanding["yhat"] - expanding["yhat_lo_80"])) == [48, 52, 56]


def test_refit_every_k_windows_updates_in_between(spy):
    df = _series()
    refit = fc.backtest(df, spy, h=4, n_windows=4, refit=True, levels=())
    updated = fc.backtest(df, spy, h=4, n_windows=4, refit=2, levels=())
    pd.testing.assert_frame_equal(refit, updated)
    naive_refit = fc.backtest(df, "naive", h=4, n_windows=4, refit=True)
    naive_never = fc.backtest(df, "naive", h=4, n_windows=4, refit=False)
    np.testing.assert_allclose(naive_refit["yhat"], naive_never["yhat"])
    # sigma is estimated once with refit=False: the interval widths of later windows keep it
    widths = (
        naive_never.groupby("cutoff")["yhat_hi_80"].first()
        - naive_never.groupby("cutoff")["yhat"].first()
    )
    assert np.allclose(widths, widths.iloc[0])
    assert not np.allclose(
        naive_refit.groupby("cutoff")["yhat_hi_80"].first()
        - naive_refit.groupby("cutoff")["yhat"].first(),
        widths.iloc[0],
    )


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    h=st.integers(1, 6),
    n_windows=st.integers(1, 4),
    step=st.integers(1, 6),
    sliding=st.booleans(),
    refit=st.sampled_from([True, False, 2, 3]),
)
def test_no_training_row_is_later_than_its_cutoff(spy, h, n_windows, step, sliding, refit):
    df = _series(50)
    kwargs = {"window": "sliding", "window_size": 15} if sliding else {}
    bt = fc.backtest(
        df, spy, h=h, n_windows=n_windows, step=step, refit=refit, levels=(80,), **kwargs
    )
    cutoff_days = bt["cutoff"].map(lambda c: float(c.toordinal()))
    assert np.array_equal(bt["yhat"].to_numpy(), cutoff_days.to_numpy())
    if refit is True:
        available = bt["cutoff"].map(lambda c: int((df["ds"] <= c).sum()))
        expected = np.minimum(available, 15) if sliding else available
        assert np.array_equal((bt["yhat"] - bt["yhat_lo_80"]).to_numpy(), expected.to_numpy())
    assert len(bt) == n_windows * h


def _fixture_models() -> list[str]:
    table = fc.models.available()
    return sorted(table.loc[~table["needs_retention"], "name"])


_FAST = ["naive", "seasonal_naive", "drift"]
_PARAMS = {
    "auto": {"candidates": _FAST},
    "ensemble": {"members": _FAST},
    "arima": {"order": (1, 1, 1), "seasonal_order": (0, 1, 1, 7)},
    "ets": {"error": "add", "trend": "add", "damped_trend": False, "seasonal": "add"},
}
"""Fixed specifications and fast candidates keep this test quick; the automatic searches run
the same fit and predict code, and their own tests cover them."""


@pytest.mark.slow
@pytest.mark.parametrize("name", _fixture_models())
def test_poisoning_every_value_after_the_cutoff_changes_no_forecast(name, daily_series):
    df = daily_series
    model = fc.models.get(name, **_PARAMS.get(name, {}))
    cutoffs = fc.make_cutoffs(df, h=7, n_windows=1)
    cutoff = cutoffs["cutoff"].iloc[0]
    poisoned = df.assign(y=np.where(df["ds"] > cutoff, POISON, df["y"]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ForecastWarning)
        clean = fc.backtest(df, {name: model}, h=7, cutoffs=cutoffs)
        dirty = fc.backtest(poisoned, {name: model}, h=7, cutoffs=cutoffs)
    if len(clean) == 0:
        assert len(dirty) == 0 and len(caught) == 2
        pd.testing.assert_frame_equal(clean.attrs["failures"], dirty.attrs["failures"])
        return
    assert (dirty["y"] == POISON).all()
    pd.testing.assert_frame_equal(dirty.drop(columns="y"), clean.drop(columns="y"))


def test_results_are_identical_for_any_n_jobs(two_daily_series):
    kwargs = dict(h=7, n_windows=3, refit=2, levels=(80, 95))
    models = ["naive", "seasonal_naive", "drift", "mean"]
    one = fc.backtest(two_daily_series, models, n_jobs=1, **kwargs)
    two = fc.backtest(two_daily_series, models, n_jobs=2, **kwargs)
    pd.testing.assert_frame_equal(one, two)


def test_intervals_nest_around_the_point(two_daily_series):
    bt = fc.backtest(
        two_daily_series,
        ["naive", "drift", "seasonal_naive"],
        h=7,
        n_windows=2,
        levels=(50, 80, 95),
    )
    inner_lo = inner_hi = bt["yhat"]
    for level in levels_of(bt):
        lo, hi = bt[level_column(level, "lo")], bt[level_column(level, "hi")]
        assert (lo <= inner_lo + 1e-9).all() and (hi >= inner_hi - 1e-9).all()
        inner_lo, inner_hi = lo, hi


def test_progress_counts_every_window_once():
    calls: list[int] = []
    fc.backtest(_series(), ["naive", "mean"], h=3, n_windows=3, progress=calls.append)
    assert sum(calls) == 2 * 3 and all(n >= 1 for n in calls)


def test_progress_counts_the_windows_of_a_refit_chain_and_of_a_series_too_short():
    short = _series().groupby("unique_id").head(4)
    frame = pd.concat([_series().assign(unique_id="long"), short.assign(unique_id="short")])
    calls: list[int] = []
    with pytest.warns(fc.ForecastWarning):
        fc.backtest(frame, ["naive", "drift"], h=3, n_windows=3, refit=3, progress=calls.append)
    assert sum(calls) == 2 * 2 * 3


def test_plot_backtest_draws_windows_and_errors_by_step(two_daily_series):
    from matplotlib.figure import Figure

    bt = fc.backtest(two_daily_series, ["naive", "seasonal_naive"], h=7, n_windows=2)
    figure = fc.plot_backtest(bt, two_daily_series, metric="mae")
    assert isinstance(figure, Figure) and len(figure.axes) == 4
    forecast_axis, step_axis = figure.axes[0], figure.axes[1]
    assert len(forecast_axis.lines) >= 1 + 2 * 2  # actuals, then 2 models x 2 windows
    assert [len(line.get_xdata()) for line in step_axis.lines] == [7, 7]
    with pytest.raises(ConfigError, match="cannot be drawn"):
        fc.plot_backtest(bt, metric="coverage")
    with pytest.raises(ConfigError, match="not in the backtest"):
        fc.plot_backtest(bt, series=["zzz"])


def test_warm_starting_models_start_each_window_from_the_previous_fit():
    register("_warm_spy")(_WarmSpy)
    try:
        bt = fc.backtest(_series(), "_warm_spy", h=3, n_windows=4, levels=(80,))
        twin = fc.backtest(_series(), "_warm_spy", h=3, n_windows=4, levels=(80,), n_jobs=2)
    finally:
        unregister("_warm_spy")
    starts = bt.groupby("cutoff")["yhat_lo_80"].first().tolist()
    cutoffs = [float(c.toordinal()) for c in sorted(bt["cutoff"].unique())]
    assert starts == [0.0, *cutoffs[:-1]]
    pd.testing.assert_frame_equal(bt, twin)


# ------------------------------------------------------------------------------- retention
class _RetentionSpy(BaseModel):
    """Needs retention; forecasts the number of retention rows it was given, and its lower bound
    lies that far below the latest ``cohort + age`` day (as an ordinal) among them."""

    capabilities = Capabilities(needs_retention=True, min_history=1)

    def _fit(self, data: pd.DataFrame, retention: pd.DataFrame | None) -> None:
        seen = retention["cohort"] + pd.to_timedelta(retention["age"], unit="D")
        self.rows_ = float(len(retention))
        self.latest_ = float(seen.max().toordinal())

    def _predict(self, h: int, levels: tuple[float, ...]) -> tuple[np.ndarray, dict]:
        point = np.full(h, self.rows_)
        return point, {level: (point - self.latest_, point + 1.0) for level in levels}


@pytest.fixture
def retention_spy():
    register("_retention_spy")(_RetentionSpy)
    yield "_retention_spy"
    unregister("_retention_spy")


def _daily_retention(uid: str = "a") -> pd.DataFrame:
    """Daily cohorts of January to March 2024 observed at ages 1, 7 and 14 days."""
    cohorts = pd.date_range("2024-01-01", "2024-03-31", freq="D")
    frame = pd.DataFrame([(c, a) for c in cohorts for a in (1, 7, 14)], columns=["cohort", "age"])
    return frame.assign(unique_id=uid, retention=0.5 / (1 + frame["age"]))


def test_a_model_needing_retention_gets_only_what_each_cutoff_knows(retention_spy):
    # Daily retention of a daily series: cohort c at age a is known by cutoffs on or after c + a.
    df = _series(n=60)
    retention = pd.concat([_daily_retention("a"), _daily_retention("other").assign(retention=0.9)])
    bt = fc.backtest(df, retention_spy, h=5, n_windows=3, retention=retention, levels=(80,))
    assert "failures" not in bt.attrs
    own = _daily_retention("a")
    seen = own["cohort"] + pd.to_timedelta(own["age"], unit="D")
    for cutoff, window in bt.groupby("cutoff"):
        assert window["yhat"].iloc[0] == (seen <= cutoff).sum()
        assert window["yhat"].iloc[0] - window["yhat_lo_80"].iloc[0] == cutoff.toordinal()
    pd.testing.assert_frame_equal(
        bt,
        fc.backtest(
            df, retention_spy, h=5, n_windows=3, retention=retention, levels=(80,), n_jobs=2
        ),
    )


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    h=st.integers(1, 6),
    n_windows=st.integers(1, 4),
    step=st.integers(1, 6),
    every=st.sampled_from([1, 2, 3]),
    ages=st.lists(st.integers(0, 20), min_size=1, max_size=4, unique=True),
    refit=st.sampled_from([True, False, 2]),
)
def test_no_retention_row_is_known_later_than_its_cutoff(
    retention_spy, h, n_windows, step, every, ages, refit
):
    # Daily cohorts (every 1-3 days) of a daily series: a window sees exactly the rows whose
    # cohort + age is on or before its cutoff, whatever the windows and refits.
    df = _series(50)
    cohorts = pd.date_range("2024-01-01", periods=40, freq=f"{every}D")
    retention = pd.DataFrame(
        [(c, a) for c in cohorts for a in ages], columns=["cohort", "age"]
    ).assign(retention=0.3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ForecastWarning)  # windows that know no row yet fail
        bt = fc.backtest(
            df,
            retention_spy,
            h=h,
            n_windows=n_windows,
            step=step,
            refit=refit,
            retention=retention,
            levels=(80,),
        )
    seen = retention["cohort"] + pd.to_timedelta(retention["age"], unit="D")
    assert np.array_equal(
        bt["yhat"].to_numpy(), bt["cutoff"].map(lambda c: int((seen <= c).sum())).to_numpy()
    )
    latest = (bt["yhat"] - bt["yhat_lo_80"]).to_numpy()
    assert np.all(latest <= bt["cutoff"].map(lambda c: float(c.toordinal())).to_numpy())
    failures = bt.attrs.get("failures")
    failed = [] if failures is None else list(failures["cutoff"])
    assert all((seen > c).all() for c in failed) and len(bt) + len(failed) * h == n_windows * h


def test_retention_is_matched_by_entity_and_missing_retention_is_a_recorded_failure(retention_spy):
    df = _series(n=60).assign(entity="product")
    bt = fc.backtest(
        df, retention_spy, h=5, n_windows=2, retention=_daily_retention("product"), levels=(80,)
    )
    assert len(bt) == 10 and (bt["yhat"] > 0).all()
    with pytest.warns(ForecastWarning, match="CapabilityError"):
        failed = fc.backtest(
            df, retention_spy, h=5, n_windows=2, retention=_daily_retention("elsewhere")
        )
    assert len(failed) == 0 and len(failed.attrs["failures"]) == 2


def test_monthly_retention_is_known_at_the_end_of_the_month_its_age_refers_to(retention_spy):
    # Cohort 2024-01-01 at age 1 describes February: a daily window gets it from cutoff Feb 29.
    df = _series(n=70)  # 2024-01-01 to 2024-03-10
    retention = pd.DataFrame(
        {
            "cohort": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-02-01"]),
            "age": [0, 1, 1],
            "retention": [1.0, 0.3, 0.3],
        }
    )
    cutoffs = pd.DataFrame(
        {"unique_id": "a", "cutoff": pd.to_datetime(["2024-01-31", "2024-02-28", "2024-02-29"])}
    )
    bt = fc.backtest(df, retention_spy, h=5, cutoffs=cutoffs, retention=retention, levels=(80,))
    assert bt.groupby("cutoff")["yhat"].first().tolist() == [1.0, 1.0, 2.0]
    with pytest.raises(fc.DataError):
        fc.backtest(df, "naive", h=5, retention=retention.assign(retention=1.5))


@pytest.mark.slow
def test_poisoning_retention_known_after_each_cutoff_changes_no_retention_feedback_forecast():
    # 120 simulated days with cohort retention observed up to day 120; the backtest sees the
    # first 90 days. For each cutoff, every retention row not yet known there is set to 1.0:
    # the forecasts of that window and the earlier ones must not move.
    data = fc.datasets.simulate_market(
        n_products=1, periods=120, seed=3, seasonality=0.0, scale_effect=0.0
    )
    uid = data.series["unique_id"].iloc[0]
    series = data.series.loc[data.series["ds"] < "2024-03-31", ["unique_id", "ds", "y"]]
    retention = data.retention.assign(unique_id=uid)
    model = {
        "retention_feedback": fc.models.get(
            "retention_feedback", retention_family="sbg", weekly=False, n_draws=50
        )
    }
    cutoffs = fc.make_cutoffs(series, h=7, n_windows=2, step=7)
    clean = fc.backtest(series, model, h=7, cutoffs=cutoffs, retention=retention)
    assert len(clean) == 14 and "failures" not in clean.attrs
    known = retention["cohort"] + pd.to_timedelta(retention["age"], unit="D")
    for cutoff in cutoffs["cutoff"]:
        later = known > cutoff
        assert later.sum() >= 3
        poisoned = retention.assign(retention=np.where(later, 1.0, retention["retention"]))
        dirty = fc.backtest(series, model, h=7, cutoffs=cutoffs, retention=poisoned)
        upto = clean["cutoff"] <= cutoff
        pd.testing.assert_frame_equal(dirty[upto.to_numpy()], clean[upto])
    # The poison would show: a model fitted on the last window's data with every row moves.
    train = series[series["ds"] <= cutoff]
    honest = model["retention_feedback"].clone().fit(train, retention=retention[~later]).predict(7)
    leaked = model["retention_feedback"].clone().fit(train, retention=poisoned).predict(7)
    assert not np.allclose(honest["yhat"], leaked["yhat"], rtol=1e-3)


@pytest.mark.slow
def test_given_cutoffs_may_leave_a_series_out_even_for_a_warm_starting_model():
    frame = pd.concat([_series(uid="a"), _series(uid="b", seed=1)], ignore_index=True)
    cutoffs = fc.make_cutoffs(frame, h=5, n_windows=2)
    only_a = cutoffs[cutoffs["unique_id"] == "a"]
    model = fc.models.get("prophet", calibrate=False)
    out = fc.backtest(frame, ["naive", model], h=5, cutoffs=only_a)
    assert set(out["unique_id"]) == {"a"} and out.groupby("model")["cutoff"].nunique().eq(2).all()
