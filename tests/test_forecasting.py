"""``fc.forecast``: every model on every series, failures isolated, independent of n_jobs."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import forecast as fc
from forecast.engine.tasks import FAILURE_COLUMNS
from forecast.errors import ConfigError, ForecastWarning, HistoryError, UnknownModelError
from forecast.forecasting import label_models
from forecast.schema import forecast_columns


@pytest.fixture
def three_series(two_daily_series: pd.DataFrame) -> pd.DataFrame:
    """``a`` and ``b`` (120 days each, from conftest) and ``c``, only 5 days long."""
    short = two_daily_series.head(5).assign(unique_id="c")
    return pd.concat([two_daily_series, short], ignore_index=True).sample(frac=1.0, random_state=0)


def test_columns_order_and_sort(two_daily_series: pd.DataFrame) -> None:
    out = fc.forecast(two_daily_series, ["naive", "drift"], h=7, levels=(95, 80))
    assert list(out.columns) == forecast_columns((80, 95))
    assert len(out) == 2 * 2 * 7
    keys = list(zip(out["unique_id"], out["model"], out["ds"], strict=True))
    assert keys == sorted(keys)
    assert isinstance(out.index, pd.RangeIndex) and out.index[0] == 0
    assert set(out["model"]) == {"naive", "drift"}
    assert out["ds"].min() == two_daily_series["ds"].max() + pd.Timedelta(days=1)
    assert "failures" not in out.attrs
    assert (out["yhat_lo_95"] <= out["yhat_lo_80"]).all() and (
        out["yhat_hi_80"] <= out["yhat_hi_95"]
    ).all()


def test_forecasts_equal_the_model_called_directly(daily_series: pd.DataFrame) -> None:
    out = fc.forecast(daily_series, "drift", h=4, levels=(90,))
    direct = fc.models.get("drift").fit(daily_series).predict(4, levels=(90,))
    pd.testing.assert_frame_equal(out.drop(columns=["unique_id", "model"]), direct)


def test_too_short_series_is_collected_and_others_forecast(three_series: pd.DataFrame) -> None:
    with pytest.warns(
        ForecastWarning, match=r"1 of 6 \(series, model\) pairs failed.*'c' with 'seasonal_naive'"
    ):
        out = fc.forecast(three_series, ["naive", "seasonal_naive"], h=3)
    pairs = set(zip(out["unique_id"], out["model"], strict=True))
    assert pairs == {
        ("a", "naive"),
        ("a", "seasonal_naive"),
        ("b", "naive"),
        ("b", "seasonal_naive"),
        ("c", "naive"),
    }
    failures = out.attrs["failures"]
    assert list(failures.columns) == FAILURE_COLUMNS
    assert failures[["unique_id", "model", "error_type"]].values.tolist() == [
        ["c", "seasonal_naive", "HistoryError"]
    ]
    assert failures["cutoff"].isna().all()
    assert "'c'" in failures["message"].iloc[0]


def test_on_error_raise_raises_the_first_failure(three_series: pd.DataFrame) -> None:
    with pytest.raises(HistoryError, match="'c'"):
        fc.forecast(three_series, ["naive", "seasonal_naive"], h=3, on_error="raise")


def test_all_pairs_failing_gives_an_empty_frame_with_columns(daily_series: pd.DataFrame) -> None:
    with pytest.warns(ForecastWarning, match="1 of 1"):
        out = fc.forecast(daily_series.head(4), "seasonal_naive", h=2, levels=(80,))
    assert out.empty and list(out.columns) == forecast_columns((80,))
    assert len(out.attrs["failures"]) == 1


def test_n_jobs_does_not_change_the_result(three_series: pd.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ForecastWarning)
        one = fc.forecast(three_series, ["naive", "drift", "seasonal_naive", "mean"], h=5, n_jobs=1)
        two = fc.forecast(three_series, ["naive", "drift", "seasonal_naive", "mean"], h=5, n_jobs=2)
    pd.testing.assert_frame_equal(one, two, check_exact=True)
    pd.testing.assert_frame_equal(one.attrs["failures"], two.attrs["failures"])


def test_dict_labels_name_the_models(daily_series: pd.DataFrame) -> None:
    models = {
        "weekly": fc.models.get("seasonal_naive"),
        "fortnight": fc.models.get("seasonal_naive", seasonal_period=14),
    }
    out = fc.forecast(daily_series, models, h=14, levels=())
    assert sorted(out["model"].unique()) == ["fortnight", "weekly"]
    weekly = out[out["model"] == "weekly"]["yhat"].to_numpy()
    fortnight = out[out["model"] == "fortnight"]["yhat"].to_numpy()
    np.testing.assert_allclose(weekly, np.tile(daily_series["y"].to_numpy()[-7:], 2))
    np.testing.assert_allclose(fortnight, daily_series["y"].to_numpy()[-14:])


def test_same_model_with_different_params_gets_distinct_labels() -> None:
    labels = list(label_models(["naive", fc.models.get("naive", transform="log"), "drift"]))
    assert labels == ["naive[transform=None]", "naive[transform='log']", "drift"]


def test_same_model_twice_is_refused() -> None:
    with pytest.raises(ConfigError, match="more than once"):
        label_models(["naive", "naive"])


@pytest.mark.parametrize("models", [[], {}, {"": "naive"}])
def test_empty_models_or_labels_are_refused(models: object) -> None:
    with pytest.raises(ConfigError):
        label_models(models)  # type: ignore[arg-type]


def test_unknown_model_raises_before_any_work(daily_series: pd.DataFrame) -> None:
    with pytest.raises(UnknownModelError, match="naive"):
        fc.forecast(daily_series, ["naive", "naiv"], h=2)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"h": 0}, ConfigError),
        ({"h": 2, "levels": (100,)}, ConfigError),
        ({"h": 2, "on_error": "skip"}, ConfigError),
        ({"h": 2, "n_jobs": 0}, ConfigError),
    ],
)
def test_bad_arguments_raise_config_error(
    daily_series: pd.DataFrame, kwargs: dict, error: type
) -> None:
    with pytest.raises(error):
        fc.forecast(daily_series, "naive", **kwargs)


def test_input_and_model_instances_are_not_modified(two_daily_series: pd.DataFrame) -> None:
    before = two_daily_series.copy()
    model = fc.models.get("drift")
    fc.forecast(two_daily_series, [model], h=3)
    pd.testing.assert_frame_equal(two_daily_series, before)
    assert not model.is_fitted


def test_bad_data_raises_data_error(daily_series: pd.DataFrame) -> None:
    broken = pd.concat([daily_series, daily_series.tail(1)], ignore_index=True)
    with pytest.raises(fc.DuplicateError):
        fc.forecast(broken, "naive", h=2)


def test_retention_is_passed_per_product(daily_series: pd.DataFrame) -> None:
    from forecast.engine.tasks import retention_for

    retention = pd.DataFrame(
        {
            "unique_id": ["a", "a", "z"],
            "cohort": pd.to_datetime(["2024-01-01"] * 3),
            "age": [1, 2, 1],
            "retention": [0.5, 0.4, 0.3],
        }
    )
    rows = retention_for(retention, daily_series, "a")
    assert rows["age"].tolist() == [1, 2]
    assert retention_for(retention, daily_series.assign(unique_id="b"), "b") is None
    out = fc.forecast(daily_series, "naive", h=2, retention=retention)
    assert len(out) == 2


def test_progress_counts_every_pair(two_daily_series: pd.DataFrame) -> None:
    done: list[int] = []
    fc.forecast(two_daily_series, ["naive", "drift", "mean"], h=2, progress=done.append)
    assert sum(done) == 6


def test_results_concatenate_once_failures_are_popped(three_series: pd.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ForecastWarning)
        first = fc.forecast(three_series, ["naive", "seasonal_naive"], h=2)
        second = fc.forecast(three_series, ["drift", "seasonal_naive"], h=2)
    failures = [first.attrs.pop("failures"), second.attrs.pop("failures")]
    both = pd.concat([first, second], ignore_index=True)
    assert len(both) == len(first) + len(second)
    assert [len(f) for f in failures] == [1, 1]
    clean = fc.forecast(three_series, ["naive"], h=2)
    assert len(pd.concat([clean, clean])) == 2 * len(
        clean
    )  # no failures: nothing in attrs to clash


class _Buggy(fc.models.BaseModel):
    """A model with a bug: its fit divides by zero (never registered)."""

    name = "buggy"

    def _fit(self, data: pd.DataFrame, retention: pd.DataFrame | None) -> None:
        raise ZeroDivisionError("a bug, not a data problem")


def test_unexpected_exceptions_propagate(daily_series: pd.DataFrame) -> None:
    with pytest.raises(ZeroDivisionError, match="a bug"):
        fc.forecast(daily_series, ["naive", _Buggy()], h=2)


@pytest.mark.slow
@settings(max_examples=12, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 12), min_size=1, max_size=4),
    h=st.integers(1, 5),
    seed=st.integers(0, 2**16),
)
def test_every_pair_is_forecast_or_failed_and_row_order_does_not_matter(
    lengths: list[int], h: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    frames = [
        pd.DataFrame(
            {
                "unique_id": f"s{i}",
                "ds": pd.date_range("2024-01-01", periods=n, freq="D"),
                "y": rng.uniform(1, 100, n),
            }
        )
        for i, n in enumerate(lengths)
    ]
    df = pd.concat(frames, ignore_index=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ForecastWarning)
        out = fc.forecast(df, ["naive", "mean"], h=h)
        shuffled = fc.forecast(df.sample(frac=1.0, random_state=seed), ["naive", "mean"], h=h)
    pd.testing.assert_frame_equal(out, shuffled)
    failures = out.attrs.get("failures", pd.DataFrame(columns=FAILURE_COLUMNS))
    done = set(zip(out["unique_id"], out["model"], strict=True))
    failed = set(zip(failures["unique_id"], failures["model"], strict=True))
    assert done.isdisjoint(failed)
    assert done | failed == {(f"s{i}", m) for i in range(len(lengths)) for m in ("naive", "mean")}
    assert (out.groupby(["unique_id", "model"]).size() == h).all()
    assert failed == {
        (f"s{i}", m) for i, n in enumerate(lengths) if n < 2 for m in ("naive", "mean")
    }
