"""``fc.plot``: fan charts, one panel per series, saved as real PNG files."""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

import forecast as fc
from forecast.errors import ConfigError, ForecastWarning, SchemaError

PNG_HEADER = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def forecasts(two_daily_series: pd.DataFrame) -> pd.DataFrame:
    """Naive and drift forecasts, 14 days, of the two conftest series."""
    return fc.forecast(two_daily_series, ["naive", "drift"], h=14)


def _visible_axes(fig: Figure) -> list:
    return [ax for ax in fig.axes if ax.get_visible()]


def test_returns_a_figure_with_one_panel_per_series(
    two_daily_series: pd.DataFrame, forecasts: pd.DataFrame
) -> None:
    fig = fc.plot(two_daily_series, forecasts)
    assert isinstance(fig, Figure)
    axes = _visible_axes(fig)
    assert [ax.get_title(loc="left") for ax in axes] == ["a", "b"]
    first = axes[0]
    labels = [line.get_label() for line in first.get_lines()]
    assert {"history", "naive", "drift"} <= set(labels)
    # two models x two levels of shaded bands
    assert len([c for c in first.collections if isinstance(c, PolyCollection)]) == 4
    legend_texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert {"history", "naive", "drift", "80% interval", "95% interval"} == set(legend_texts)
    assert fig.number not in plt.get_fignums()  # not left open in pyplot


def test_bands_use_the_forecast_values(daily_series: pd.DataFrame) -> None:
    out = fc.forecast(daily_series, "naive", h=5, levels=(90,))
    fig = fc.plot(daily_series, out)
    band = next(c for c in fig.axes[0].collections if isinstance(c, PolyCollection))
    ys = band.get_paths()[0].vertices[:, 1]
    assert ys.min() == pytest.approx(out["yhat_lo_90"].min())
    assert ys.max() == pytest.approx(out["yhat_hi_90"].max())


def test_wider_bands_are_lighter(daily_series: pd.DataFrame) -> None:
    out = fc.forecast(daily_series, "naive", h=5, levels=(50, 80, 95))
    fig = fc.plot(daily_series, out)
    alphas = [c.get_alpha() for c in fig.axes[0].collections if isinstance(c, PolyCollection)]
    assert alphas == sorted(alphas)  # drawn widest (95) first, with the smallest alpha


def test_saved_png_is_a_real_png(
    tmp_path: Path, two_daily_series: pd.DataFrame, forecasts: pd.DataFrame
) -> None:
    path = tmp_path / "fan.png"
    fc.plot(two_daily_series, forecasts).savefig(path, dpi=60)
    data = path.read_bytes()
    assert data[:8] == PNG_HEADER and len(data) > 5_000


def test_bounds_are_drawn_as_triangles() -> None:
    df = pd.DataFrame(
        {
            "unique_id": "kimi/dau/all",
            "ds": pd.date_range("2024-01-01", periods=6, freq="MS"),
            "y": [0.5, 0.8, 1.2, 2.3, 2.5, 3.0],
            "qualifier": ["=", "=", "=", ">=", "=", "<="],
        }
    )
    with pytest.warns(ForecastWarning, match="bounds"):
        out = fc.forecast(df, "naive", h=3)
    fig = fc.plot(df, out)
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "kimi/dau/all (no forecast)"
    markers = {
        c.get_label(): c
        for c in ax.collections
        if c.get_label().endswith("bound (>=)") or c.get_label().endswith("(<=)")
    }
    assert set(markers) == {"lower bound (>=)", "upper bound (<=)"}
    assert markers["lower bound (>=)"].get_offsets()[0][1] == pytest.approx(2.3)
    history = next(line for line in ax.get_lines() if line.get_label() == "history")
    assert len(history.get_ydata()) == 4


def test_ids_models_levels_select(two_daily_series: pd.DataFrame, forecasts: pd.DataFrame) -> None:
    fig = fc.plot(two_daily_series, forecasts, ids=["b"], models=["drift"], levels=[95])
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "b"
    assert {line.get_label() for line in ax.get_lines()} >= {"drift"}
    assert "naive" not in {line.get_label() for line in ax.get_lines()}
    assert len([c for c in ax.collections if isinstance(c, PolyCollection)]) == 1


def test_draws_into_a_given_axes(daily_series: pd.DataFrame) -> None:
    fig, ax = plt.subplots()
    try:
        out = fc.plot(daily_series, fc.forecast(daily_series, "naive", h=3), ax=ax)
        assert out is fig and ax.get_title(loc="left") == "a"
        assert ax.get_legend() is not None and not fig.legends
    finally:
        plt.close(fig)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"ids": ["zzz"]}, "series 'zzz' not found"),
        ({"models": ["ets"]}, "models 'ets' not found"),
        ({"levels": [50]}, "levels 50.0 are not in the forecasts"),
        ({"max_panels": 1}, "more than max_panels=1"),
    ],
)
def test_bad_selection_raises(
    two_daily_series: pd.DataFrame, forecasts: pd.DataFrame, kwargs: dict, match: str
) -> None:
    with pytest.raises(ConfigError, match=match):
        fc.plot(two_daily_series, forecasts, **kwargs)


def test_ax_with_several_series_raises(
    two_daily_series: pd.DataFrame, forecasts: pd.DataFrame
) -> None:
    fig, ax = plt.subplots()
    try:
        with pytest.raises(ConfigError, match="one series"):
            fc.plot(two_daily_series, forecasts, ax=ax)
    finally:
        plt.close(fig)


def test_forecast_frame_without_columns_raises(daily_series: pd.DataFrame) -> None:
    with pytest.raises(SchemaError, match="'model'"):
        fc.plot(
            daily_series,
            pd.DataFrame({"unique_id": ["a"], "ds": [pd.Timestamp("2024-05-01")], "yhat": [1.0]}),
        )


def test_thousands_separators_on_the_value_axis() -> None:
    from forecast.plotting import _format_number

    assert _format_number(229_000_000) == "229,000,000"
    assert _format_number(2.5) == "2.5"
    assert _format_number(0) == "0"


def test_inputs_are_not_modified(two_daily_series: pd.DataFrame, forecasts: pd.DataFrame) -> None:
    history, before = two_daily_series.copy(), forecasts.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fc.plot(two_daily_series, forecasts)
    pd.testing.assert_frame_equal(two_daily_series, history)
    pd.testing.assert_frame_equal(forecasts, before)
    assert np.isfinite(forecasts["yhat"]).all()


def test_origin_line_marks_the_last_observation_before_the_forecasts(
    daily_series: pd.DataFrame,
) -> None:
    import matplotlib.dates as mdates

    train = daily_series.iloc[:-10]
    fig = fc.plot(daily_series, fc.forecast(train, "naive", h=10))
    origins = [line for line in fig.axes[0].get_lines() if line.get_linestyle() == "--"]
    assert len(origins) == 1
    x = origins[0].get_xdata()[0]
    x = mdates.date2num(x) if not isinstance(x, float) else x
    assert mdates.num2date(x).replace(tzinfo=None) == train["ds"].iloc[-1]
