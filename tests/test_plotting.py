"""``fc.plot``: fan charts, one panel per series, saved as real PNG files."""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
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


def test_filled_values_are_hollow_circles_on_the_history_line() -> None:
    ds = pd.date_range("2024-01-01", periods=8, freq="D")
    raw = pd.DataFrame({"unique_id": "kimi/dau/all", "ds": ds, "y": [1.0, 2, None, 4, 5, 6, 7, 8]})
    df = fc.fill_gaps(raw.drop(index=5), method="linear")
    fig = fc.plot(df, fc.forecast(df, "naive", h=3))
    ax = fig.axes[0]
    (marks,) = [c for c in ax.collections if c.get_label() == "filled, not observed"]
    assert marks.get_offsets()[:, 1].tolist() == [3.0, 6.0]
    history = next(line for line in ax.get_lines() if line.get_label() == "history")
    assert np.asarray(history.get_ydata(), dtype=float).tolist() == [1, 2, 3, 4, 5, 6, 7, 8]
    plain = fc.plot(df.drop(columns="filled"), fc.forecast(df, "naive", h=3))
    assert not [c for c in plain.axes[0].collections if c.get_label().startswith("filled")]


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
    drawn = np.asarray(history.get_ydata(), dtype=float)
    # four points; the line breaks at the bound of April, which is no point observation
    assert np.isfinite(drawn).sum() == 4 and np.isnan(drawn[3])


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


def _read_back(label: str) -> float:
    units = {"k": 1e3, "M": 1e6, "B": 1e9}
    scale = units.get(label[-1], 1.0)
    return float((label[:-1] if label[-1] in units else label).replace(",", "")) * scale


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False).filter(lambda v: abs(v) > 1e-3))
def test_tick_labels_are_plain_numbers_that_read_back(value: float) -> None:
    from forecast.plotting import _format_number

    label = _format_number(value)
    assert "e" not in label.lower()  # never an offset or scientific notation
    assert _read_back(label) == pytest.approx(value, rel=1e-3, abs=0.5 if abs(value) >= 1 else 1e-2)


def test_tick_labels_examples() -> None:
    from forecast.plotting import _format_number

    assert _format_number(229_000_000) == "229M"
    assert _format_number(1_250_000) == "1.25M"
    assert _format_number(350_000) == "350k"
    assert _format_number(12_500) == "12,500"
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


def _dau(n: int = 150, uid: str = "app/dau/all") -> pd.DataFrame:
    """A daily DAU series in the millions with a weekly pattern (seed 3)."""
    rng = np.random.default_rng(3)
    t = np.arange(n)
    y = 1.2e6 + 2e3 * t + 1e5 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 2e4, n)
    return pd.DataFrame({"unique_id": uid, "ds": pd.date_range("2024-01-01", periods=n), "y": y})


def _inside_figure(fig: Figure, artist: object) -> bool:
    fig.canvas.draw()
    box = artist.get_window_extent()  # type: ignore[attr-defined]
    whole = fig.bbox
    return bool(
        box.x0 >= whole.x0 - 1
        and box.y0 >= whole.y0 - 1
        and box.x1 <= whole.x1 + 1
        and box.y1 <= whole.y1 + 1
    )


SEVEN = ["naive", "seasonal_naive", "drift", "mean", "theta", "ets", "arima"]


@pytest.fixture(scope="module")
def seven() -> tuple[pd.DataFrame, pd.DataFrame]:
    history = _dau()
    return history, fc.forecast(history, SEVEN, h=21)


def test_seven_models_get_one_panel_each_and_a_legend_inside_the_figure(seven) -> None:
    history, forecasts = seven
    fig = fc.plot(history, forecasts)
    panels = _visible_axes(fig)
    assert len(panels) == 7
    drawn = [
        {line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")}
        - {"history"}
        for ax in panels
    ]
    assert sorted(m for models in drawn for m in models) == sorted(SEVEN)
    assert all(len(models) == 1 for models in drawn)
    assert len({ax.get_ylim() for ax in panels}) == 1  # one scale for the series
    assert len(fig.legends) == 1 and _inside_figure(fig, fig.legends[0])
    for ax in panels:  # the legend covers no panel
        assert not fig.legends[0].get_window_extent().overlaps(ax.get_window_extent())


@pytest.mark.parametrize("n_models", [1, 3, 7])
def test_legend_fits_one_panel_of_many_models(seven, n_models: int) -> None:
    history, forecasts = seven
    fig = fc.plot(history, forecasts, models=SEVEN[:n_models], by_model=False)
    assert len(fig.legends[0].get_texts()) == n_models + 3  # history and two bands
    assert _inside_figure(fig, fig.legends[0])


def test_three_models_share_one_panel_and_dense_lines_have_no_markers(seven) -> None:
    history, forecasts = seven
    fig = fc.plot(history, forecasts, models=["naive", "drift", "theta"])
    (ax,) = _visible_axes(fig)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert {"naive", "drift", "theta", "history"} <= set(lines)
    assert lines["history"].get_marker() in (None, "None", "")
    assert lines["naive"].get_marker() == "o"  # 21 points: sparse enough for dots
    assert ax.get_ylabel() == "DAU"
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert (
        any(label.endswith("M") for label in labels) and not ax.yaxis.get_offset_text().get_text()
    )


def test_a_missing_week_is_a_gap_in_the_line() -> None:
    history = _dau()
    history = history[(history["ds"] < "2024-03-01") | (history["ds"] >= "2024-03-08")]
    fig = fc.plot(history, fc.forecast(history, "mean", h=7))
    line = next(ln for ln in fig.axes[0].get_lines() if ln.get_label() == "history")
    drawn = np.asarray(line.get_ydata(), dtype=float)
    assert np.isnan(drawn).sum() == 1 and np.isfinite(drawn).sum() == len(history)


def _negative_band(history: pd.DataFrame) -> pd.DataFrame:
    """A drift forecast whose 95% band is pushed below zero, as a frame from elsewhere might be."""
    out = fc.forecast(history, "drift", h=14)
    out["yhat_lo_95"] = out["yhat"] - 2.5 * out["yhat"].max()
    return out


def test_no_drawn_band_of_a_count_is_below_zero_and_the_chart_says_so() -> None:
    history = _dau()
    fig = fc.plot(history, _negative_band(history))
    ax = fig.axes[0]
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert bands and all(
        (path.vertices[:, 1] >= 0).all() for band in bands for path in band.get_paths()
    )
    assert ax.get_ylim()[0] >= 0
    notes = [t.get_text() for t in ax.texts]
    lowest = _negative_band(history)["yhat_lo_95"].min()
    assert any("below zero" in n and fc.plotting._format_number(lowest) in n for n in notes)
    # a point forecast below zero is drawn from 0 too, and named
    sinking = _negative_band(history).assign(yhat=lambda f: f["yhat_lo_95"])
    ax = fc.plot(history, sinking).axes[0]
    line = next(ln for ln in ax.get_lines() if ln.get_label() == "drift")
    assert (np.asarray(line.get_ydata(), dtype=float) >= 0).all()
    assert any("drift point forecast to" in t.get_text() for t in ax.texts)
    # a series that is no count keeps its negative band, drawn as it is
    other = history.assign(unique_id="app/change/all")
    fig = fc.plot(other, _negative_band(other))
    lows = [
        p.vertices[:, 1].min()
        for c in fig.axes[0].collections
        if isinstance(c, PolyCollection)
        for p in c.get_paths()
    ]
    assert min(lows) < 0 and not fig.axes[0].texts


def test_backtest_chart_reads_plainly_and_keeps_counts_above_zero() -> None:
    history = _dau()
    bt = fc.backtest(history, ["naive", "seasonal_naive", "drift"], h=14, n_windows=3)
    bt["yhat_lo_95"] = bt["yhat"] - 2.5 * bt["yhat"].max()
    fig = fc.plot_backtest(bt, history)
    left, right = fig.axes[0], fig.axes[1]
    fig.canvas.draw()
    assert not left.yaxis.get_offset_text().get_text()  # no "1e6"
    assert left.get_ylabel() == "DAU" and right.get_ylabel() == "mase"
    assert all(
        (p.vertices[:, 1] >= 0).all()
        for c in left.collections
        if isinstance(c, PolyCollection)
        for p in c.get_paths()
    )
    notes = [t.get_text() for t in left.texts if "below zero" in t.get_text()]
    assert len(notes) == 1  # one note, with the lowest value of each model over its windows
    for model, rows in bt.groupby("model"):
        assert (
            f"{model} 95% band to {fc.plotting._format_number(rows['yhat_lo_95'].min())}"
            in notes[0]
        )
    assert _inside_figure(fig, fig.legends[0])


def test_share_chart_has_its_legend_under_the_panels_and_percent_axes() -> None:
    from forecast.market.plots import plot_shares

    data = fc.datasets.simulate_market(n_products=3, periods=60, seed=1, seasonality=0.0)
    dau = data.series[data.series["channel"] == "all"]
    fig = plot_shares(fc.shares(dau, "naive", h=10, n_samples=200))
    stack, bands = fig.axes[:2]
    assert stack.get_legend() is None and bands.get_legend() is None  # nothing over the data
    assert _inside_figure(fig, fig.legends[0])
    legend_box = fig.legends[0].get_window_extent()
    assert all(not legend_box.overlaps(ax.get_window_extent()) for ax in (stack, bands))
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    products = [f"m0/product_{c}/dau/all (naive)" for c in "abc"]
    assert sorted(texts) == sorted([*products, "80% band", "95% band"])
    assert all(
        label.get_text().endswith("%") for label in bands.get_yticklabels() if label.get_text()
    )


@given(
    st.lists(st.integers(min_value=1, max_value=3), min_size=3, max_size=40),
    st.integers(min_value=1, max_value=5),
)
def test_gaps_break_the_line_exactly_where_a_step_is_long(steps: list[int], unit: int) -> None:
    from forecast.plotting._style import with_gaps

    days = np.cumsum([0, *steps]) * unit
    ds = pd.Series(pd.Timestamp("2024-01-01") + pd.to_timedelta(days, unit="D"))
    values = np.arange(len(ds), dtype=float)
    dates, drawn = with_gaps(ds, values)
    usual = np.median(np.diff(days))
    long_steps = int((np.diff(days) > 1.5 * usual).sum())
    assert np.isnan(drawn).sum() == long_steps
    assert np.array_equal(drawn[~np.isnan(drawn)], values)  # nothing dropped or moved
    assert (np.diff(dates.astype("datetime64[ns]").astype(np.int64)) > 0).all()
