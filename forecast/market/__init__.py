"""Markets of competing products: shares, compositions, competition, reconciliation.

The public functions are :func:`forecast.shares` (observed and forecast shares with bands
whose every sample path sums to one) and :func:`forecast.reconcile` (coherent forecasts of
hierarchies). One module per job:

- :mod:`forecast.market.shares`: :func:`~forecast.market.shares.shares` itself, which checks
  each input frame once and passes the checked frames on;
- :mod:`forecast.market.observed`: the market's products and their observed shares or share
  bounds;
- :mod:`forecast.market.paths`: sample paths of the shares (per product, held, competition,
  log-ratio), with the argument checks in :mod:`forecast.market.arguments`;
- :mod:`forecast.market.frames`: the columns of a share frame and its forecast rows;
- :mod:`forecast.market.competition`: the joint model of products that share one market;
- :mod:`forecast.market.compositional`: the log-ratio transforms;
- :mod:`forecast.market.hierarchy` and :mod:`forecast.market.reconcile`: hierarchies and their
  reconciliation;
- :mod:`forecast.market.backtest`: share backtests; :mod:`forecast.market.plots`: the share
  chart.
"""
