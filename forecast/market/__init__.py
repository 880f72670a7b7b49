"""Markets of competing products: shares, compositions, competition, reconciliation.

The public functions are :func:`forecast.shares` (observed and forecast shares with bands
whose every sample path sums to one) and :func:`forecast.reconcile` (coherent forecasts of
hierarchies). :mod:`forecast.market.competition` holds the joint model of products that share
one market; :mod:`forecast.market.compositional` the log-ratio transforms; share backtests are
in :mod:`forecast.market.backtest` and the share chart in :mod:`forecast.market.plots`.
"""
