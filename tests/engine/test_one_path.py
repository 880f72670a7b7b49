"""One data path: each input frame is validated once per call, failures travel as data."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import forecast as fc
import forecast.schema
from forecast.batch.chunk import run_chunk
from forecast.batch.config import load_config
from forecast.batch.sources import plan_chunks
from forecast.cli.run import parse_models
from forecast.engine.specs import label_models
from forecast.errors import FitError
from forecast.forecasting import run_forecast
from forecast.models.auto import build_candidates
from forecast.models.naive import Naive


def _panel(n_series: int = 3, periods: int = 60, short: tuple[str, ...] = ()) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    frames = []
    for i in range(n_series):
        uid = f"s{i}"
        n = 1 if uid in short else periods
        t = np.arange(n)
        y = 100 + i + 0.5 * t + 4 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 1, n)
        ds = pd.date_range("2024-01-01", periods=n, freq="D")
        frames.append(pd.DataFrame({"unique_id": uid, "ds": ds, "y": y}))
    return pd.concat(frames, ignore_index=True)


def _retention() -> pd.DataFrame:
    cohorts = pd.date_range("2024-01-01", periods=20, freq="D")
    rows = [(c, a, 0.6 * 0.9**a) for c in cohorts for a in range(5)]
    return pd.DataFrame(rows, columns=["cohort", "age", "retention"])


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Count calls of validate_series / validate_retention wherever the package looks them up."""
    counts: Counter[str] = Counter()
    for name in ("validate_series", "validate_retention"):
        original = getattr(forecast.schema, name)

        def counting(df: pd.DataFrame, _name: str = name, _f: Callable = original) -> pd.DataFrame:
            counts[_name] += 1
            return _f(df)

        for module in list(sys.modules.values()):
            if (module.__name__ or "").startswith("forecast") and (
                getattr(module, name, None) is original
            ):
                monkeypatch.setattr(module, name, counting)
    return counts


CANDIDATES = [fc.models.get("naive", calibrate=False), fc.models.get("drift", calibrate=False)]
"""Uncalibrated, so the only inner backtests are auto's own choice."""
AUTO = fc.models.get("auto", candidates=CANDIDATES, n_windows=2)


def test_forecast_validates_each_frame_once(validations: Counter[str]) -> None:
    out = fc.forecast(_panel(), ["naive", AUTO], h=5, retention=_retention())
    assert len(out) == 3 * 2 * 5
    assert validations == Counter({"validate_series": 1, "validate_retention": 1})


def test_backtest_validates_each_frame_once(validations: Counter[str]) -> None:
    out = fc.backtest(_panel(), ["naive", AUTO], h=5, n_windows=3, retention=_retention())
    assert out["y"].notna().all() and len(out) == 3 * 2 * 3 * 5
    assert validations == Counter({"validate_series": 1, "validate_retention": 1})


def _chunk_config(tmp_path: Path, panel: pd.DataFrame, retention: bool) -> object:
    panel.to_parquet(tmp_path / "data.parquet", index=False)
    data: dict[str, str] = {"path": "data.parquet"}
    if retention:
        _retention().to_parquet(tmp_path / "retention.parquet", index=False)
        data["retention"] = "retention.parquet"
    return load_config(
        {
            "data": data,
            "forecast": {"models": ["naive", "drift"], "horizon": 5},
            "backtest": {"windows": 2},
            "output": {"dir": "out"},
            "executor": {"chunk_size": 10, "workers": 1},
            "base_dir": str(tmp_path),
        }
    )


def test_a_batch_chunk_validates_each_frame_once(tmp_path: Path, validations: Counter[str]) -> None:
    config = _chunk_config(tmp_path, _panel(), retention=True)
    (spec,) = plan_chunks(config)  # type: ignore[arg-type]
    validations.clear()  # the job's own checks of its inputs are not the chunk's
    result = run_chunk(spec, config)  # type: ignore[arg-type]
    assert len(result.frames["failures"]) == 0 and len(result.frames["backtest"]) == 3 * 2 * 2 * 5
    assert validations == Counter({"validate_series": 1, "validate_retention": 1})


def test_a_chunk_backtests_in_one_call_and_a_bad_series_fails_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import forecast.batch.chunk as chunk

    calls: list[int] = []
    original = chunk.run_backtest

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(chunk, "run_backtest", counting)
    config = _chunk_config(tmp_path, _panel(short=("s1",)), retention=False)
    (spec,) = plan_chunks(config)  # type: ignore[arg-type]
    result = run_chunk(spec, config)  # type: ignore[arg-type]
    assert calls == [1]
    assert set(result.frames["backtest"]["unique_id"]) == {"s0", "s2"}
    failed = result.frames["failures"]
    assert set(failed["unique_id"]) == {"s1"} and set(failed["model"]) == {"naive", "drift"}
    assert set(failed["error_type"]) == {"HistoryError"}


class _FailsLate(Naive):
    """Naive, except on series 's1' once its training data exceed 52 days."""

    def _fit(self, data: pd.DataFrame, retention: pd.DataFrame | None) -> None:
        if self.series_id_ == "s1" and len(data) > 52:
            raise FitError(f"series {self.series_id_!r}: refusing {len(data)} rows.")
        super()._fit(data, retention)


def test_a_failing_window_is_a_row_and_the_other_series_are_all_scored() -> None:
    with pytest.warns(fc.ForecastWarning, match="1 of 9 backtest window"):
        out = fc.backtest(_panel(), {"late": _FailsLate()}, h=5, n_windows=3)
    failures = out.attrs["failures"]
    assert failures[["unique_id", "model", "error_type"]].values.tolist() == [
        ["s1", "late", "FitError"]
    ]
    scored = out.groupby("unique_id")["cutoff"].nunique().to_dict()
    assert scored == {"s0": 3, "s1": 2, "s2": 3}
    assert failures["cutoff"].iloc[0] == out["cutoff"].max()


def test_engine_results_carry_failures_without_warning_or_attrs() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = run_forecast(_panel(short=("s2",)), ["naive", "drift"], h=2)
    assert result.frame.attrs == {} and result.n_units == 3 * 2
    assert result.failures["unique_id"].tolist() == ["s2", "s2"]
    assert [type(e).__name__ for e in result.errors] == ["HistoryError", "HistoryError"]


def test_one_labelling_rule_everywhere() -> None:
    copies = [
        fc.models.get("seasonal_naive", seasonal_period=7),
        fc.models.get("seasonal_naive", seasonal_period=14),
        "naive",
    ]
    expected = ["seasonal_naive[seasonal_period=7]", "seasonal_naive[seasonal_period=14]", "naive"]
    assert list(label_models(copies)) == expected
    assert list(fc.forecast(_panel(1), copies, h=2)["model"].unique()) == sorted(expected)
    assert sorted(fc.backtest(_panel(1), copies, h=2)["model"].unique()) == sorted(expected)
    cli = ("seasonal_naive:seasonal_period=7", "seasonal_naive:seasonal_period=14", "naive")
    assert list(parse_models(cli)) == expected
    assert [label for label, _ in build_candidates(copies, None, None)] == expected


@pytest.mark.parametrize("call", [fc.forecast, fc.backtest])
@pytest.mark.parametrize("models", [None, 3, [None]])
def test_a_models_argument_that_is_no_model_is_a_config_error(
    call: Callable[..., pd.DataFrame], models: object
) -> None:
    with pytest.raises(fc.ConfigError, match="model"):
        call(_panel(1), models, h=2)


def test_impossible_windows_fail_before_any_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    fits: list[int] = []
    monkeypatch.setattr(Naive, "_fit", lambda self, data, retention: fits.append(1))
    with pytest.raises(fc.HistoryError, match="too short for 1000000 window"):
        fc.backtest(_panel(2), "naive", h=30, n_windows=10**6)
    with pytest.raises(fc.HistoryError, match="too short"):
        fc.backtest(_panel(2), "naive", h=10**5)
    assert fits == []


def test_every_backtest_goes_through_the_one_rolling_origin_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import forecast.evaluation.inner as inner
    import forecast.evaluation.windows as windows
    import forecast.market.backtest as share_backtest
    from forecast.engine import rolling
    from forecast.market.backtest import backtest_shares

    callers: Counter[str] = Counter()
    for module in (windows, inner, share_backtest):

        def counting(*args: object, _name: str = module.__name__, **kwargs: object) -> object:
            callers[_name] += 1
            return rolling.roll(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(module, "roll", counting)
    fc.backtest(_panel(1), fc.models.get("naive", calibrate=False), h=5, n_windows=2)
    fc.forecast(_panel(1), AUTO, h=5)
    market = _panel(3).assign(y=lambda d: d["y"] * 10)
    backtest_shares(
        market, "naive", h=5, n_windows=2, n_samples=20, benchmark=False, calibrate=False
    )
    assert callers == Counter({windows.__name__: 2, inner.__name__: 2, share_backtest.__name__: 1})


def test_auto_scales_errors_with_the_metrics_mase_scale(monkeypatch: pytest.MonkeyPatch) -> None:
    import forecast.evaluation.inner as inner

    seen: list[int] = []
    original = inner.seasonal_naive_scale

    def spy(y: np.ndarray, m: int) -> float:
        seen.append(len(y))
        return original(y, m)

    monkeypatch.setattr(inner, "seasonal_naive_scale", spy)
    model = fc.models.get("auto", candidates=CANDIDATES, n_windows=2, h=5)
    model.fit(_panel(1))
    assert seen == [50, 55] and model.scores_.scales.shape == (2,)
