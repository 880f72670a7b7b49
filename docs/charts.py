"""Redraw the charts the documentation shows: ``python docs/charts.py [NAME ...]``.

Each function writes one PNG next to this file from bundled or simulated data, with the code
the pages show, so a change to the plotting code is seen in the pictures. ``docs/kimi_feedback.png``
is drawn by ``python benchmarks/bench_feedback.py kimi``.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np

import forecast as fc
from forecast.market.plots import plot_shares

HERE = Path(__file__).resolve().parent


def twitter_forecast(path: Path = HERE / "twitter_forecast.png") -> None:
    """Draw the README's first forecast: Twitter mDAU by naive, ETS and Theta."""
    series = fc.datasets.load("social-apps-quarterly").series
    twitter = series.query("unique_id == 'twitter/mdau/all'")
    out = fc.forecast(twitter, ["naive", "ets", "theta"], h=8)
    fc.plot(twitter, out).savefig(path, dpi=100)


def shares_simulated(path: Path = HERE / "shares_simulated.png") -> None:
    """Draw the simulated three-product market of docs/shares.md, forecast by alr:ets."""
    switching = np.zeros((3, 3))
    switching[0, 2] = 0.05
    switching[1, 2] = 0.1
    data = fc.datasets.simulate_market(
        n_products=3,
        periods=365,
        seed=0,
        p=[1e-3, 8e-4, 2e-5],
        q=[0.04, 0.04, 0.09],
        retention={"alpha": [1.0, 1.0, 0.8], "beta": [2.0, 2.5, 3.0]},
        switching=switching,
        retention_ages=(),
    )
    dau = data.series[data.series["channel"] == "all"]
    ets = fc.models.get("ets", error="add", trend="add", damped_trend=True, seasonal=None)
    shares = fc.shares(dau, ets, h=90, method="alr")
    title = "Simulated market: product_c enters late (alr:ets, 90 days)"
    plot_shares(shares, title=title).savefig(path, dpi=100)


def shares_ai_assistants(path: Path = HERE / "shares_ai_assistants.png") -> None:
    """Draw Kimi by retention_feedback and Wenxin Yiyan held, as docs/shares.md shows."""
    data = fc.datasets.load("ai-assistants-cn")
    kimi = fc.models.get("retention_feedback", freq="D", scale_effect=True)
    ai_shares = fc.shares(
        data.series,
        {"kimi/dau/all": kimi},
        h=90,
        market=["kimi/dau/all", "wenxin_yiyan/dau/all"],
        hold={"wenxin_yiyan/dau/all": 0.02},
        retention={"kimi/dau/all": data.retention},
    )
    plot_shares(ai_shares).savefig(path, dpi=110)


def kimi_scenario(path: Path = HERE / "kimi_scenario.png") -> None:
    """Draw the Kimi scenario of docs/scenarios.md: retention +3 points."""
    data = fc.datasets.load("ai-assistants-cn")
    series = data.series
    kimi = series[(series["unique_id"] == "kimi/dau/all") & (series["ds"] != "2024-03-01")]
    model = fc.models.get("retention_feedback", scale_effect=True)
    model = model.fit(kimi, retention=data.retention)
    table = fc.scenario(model, retention=+0.03, h=90)
    fc.plot_scenario(kimi, table).savefig(path, dpi=100)


CHARTS = {
    f.__name__: f for f in (twitter_forecast, shares_simulated, shares_ai_assistants, kimi_scenario)
}

if __name__ == "__main__":
    warnings.simplefilter("ignore", fc.ForecastWarning)
    for name in sys.argv[1:] or list(CHARTS):
        CHARTS[name]()
        print(f"wrote {name}")
