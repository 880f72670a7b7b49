"""The campaigns of simulate_market: a covariate with a known effect on acquisition."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast.datasets import simulate_market
from forecast.errors import ConfigError


def test_campaign_with_multiplier_one_leaves_the_market_unchanged() -> None:
    plain = simulate_market(n_products=2, periods=90, seed=7)
    neutral = simulate_market(n_products=2, periods=90, seed=7, campaign={"multiplier": 1.0})
    pd.testing.assert_frame_equal(plain.series, neutral.series)
    assert plain.covariates is None and neutral.covariates is not None


def test_campaign_multiplies_acquisition_in_its_windows() -> None:
    start, end = pd.Timestamp("2024-02-10"), pd.Timestamp("2024-02-20")
    spec = {"multiplier": 3.0, "dates": [(start, end)], "products": ["product_b"]}
    plain = simulate_market(n_products=2, periods=90, seed=3, switching=0.0)
    data = simulate_market(n_products=2, periods=90, seed=3, switching=0.0, campaign=spec)
    assert plain.truth is not None and data.truth is not None and data.covariates is not None
    first = int(data.truth.dates.searchsorted(start))
    before = data.truth.paths.acquired[..., :first]
    assert np.array_equal(before, plain.truth.paths.acquired[..., :first])
    ratio = data.truth.paths.acquired[0, 1, first] / plain.truth.paths.acquired[0, 1, first]
    assert ratio == pytest.approx(3.0, rel=1e-9)
    frame = data.covariates
    on = frame[(frame["unique_id"] == "m0/product_b/dau/all") & (frame["campaign"] == 1.0)]
    assert on["ds"].min() == start and on["ds"].max() == end
    assert frame.loc[frame["unique_id"].str.contains("product_a"), "campaign"].eq(0).all()
    assert set(frame["unique_id"]) == set(data.series["unique_id"])


@pytest.mark.parametrize(
    "spec",
    [
        {"multiplier": -1.0},
        {"windows": 2},
        {"multiplier": 2.0, "colour": "red"},
        {"multiplier": 2.0, "products": ["product_z"]},
        {"multiplier": 2.0, "dates": [("2030-01-01", "2030-02-01")]},
        {"multiplier": 2.0, "length": 0},
    ],
)
def test_bad_campaigns_are_refused(spec: dict[str, object]) -> None:
    with pytest.raises(ConfigError, match="campaign"):
        simulate_market(n_products=1, periods=30, seed=0, campaign=spec)
