"""Speed of the market simulator and of the feedback-model equations it runs on.

Measures, on the same parameters in the same run:

* ``fc.datasets.simulate_market`` for 10,000 daily series of two years (2,500 markets of 4
  products, 730 days): the whole call (the model, the observation noise, the long series frame
  of 7.3 million rows and the cohort retention frame), best of ``--repeat`` runs;
* the equations alone (``forecast.retention.dynamics.simulate_competition``) for those 10,000
  series with the survival curves as exponential mixtures (one recursion per component,
  O(T K)), against the same curves given as arrays (the cohort convolution, O(T^2)) on the first
  ``--conv-markets`` markets: the ratio per series says what the recursion buys.

Run from the repository root::

    python benchmarks/bench_simulate.py
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

import forecast as fc
from forecast.retention.dynamics import ExponentialMixture, simulate_competition

__all__ = ["best_of", "main"]


def best_of(function: Callable[[], object], repeat: int) -> float:
    """Smallest wall time of ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markets", type=int, default=2500)
    parser.add_argument("--products", type=int, default=4)
    parser.add_argument("--periods", type=int, default=730)
    parser.add_argument("--conv-markets", type=int, default=250)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n_series = args.markets * args.products

    def full() -> fc.datasets.Dataset:
        return fc.datasets.simulate_market(
            n_products=args.products, periods=args.periods, n_markets=args.markets, seed=0
        )

    data = full()
    seconds = best_of(full, args.repeat)
    print(
        f"simulate_market: {n_series} series x {args.periods} days "
        f"({len(data.series):,} series rows, {len(data.retention):,} retention rows) "
        f"in {seconds:.2f} s (best of {args.repeat})"
    )

    params = data.truth.params
    shape = (args.markets, args.products)
    p = params["p"].to_numpy().reshape(shape)
    q = params["q"].to_numpy().reshape(shape)
    m = params["m"].to_numpy().reshape(shape)[:, 0]
    effect = params["scale_effect"].to_numpy().reshape(shape)
    mixture = data.truth.survival

    def recursion(markets: int) -> None:
        curve = ExponentialMixture(mixture.weights[:markets], mixture.rates[:markets])
        simulate_competition(
            p[:markets],
            q[:markets],
            m[:markets],
            curve,
            args.periods,
            scale_effect=effect[:markets],
        )

    arrays = mixture.survival(np.arange(args.periods))[: args.conv_markets]

    def convolution() -> None:
        simulate_competition(
            p[: args.conv_markets],
            q[: args.conv_markets],
            m[: args.conv_markets],
            arrays,
            args.periods,
            scale_effect=effect[: args.conv_markets],
        )

    fast_all = best_of(lambda: recursion(args.markets), args.repeat)
    fast_small = best_of(lambda: recursion(args.conv_markets), args.repeat)
    slow_small = best_of(convolution, 1)
    small = args.conv_markets * args.products
    print(
        f"equations, mixture recursion: {n_series} series in {fast_all:.2f} s; "
        f"{small} series in {fast_small:.3f} s"
    )
    print(f"equations, cohort convolution: {small} series in {slow_small:.2f} s")
    print(
        f"ratio convolution / recursion on the same {small} series: {slow_small / fast_small:.0f}x"
    )


if __name__ == "__main__":
    main()
