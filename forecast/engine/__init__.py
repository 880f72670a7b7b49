"""The one place work is planned and run.

:mod:`forecast.engine.tasks` cuts the drivers' work into (series, model[, cutoff]) tasks and
runs each with its failures isolated; :mod:`forecast.engine.parallel` maps them over worker
processes. :func:`forecast.forecast`, :func:`forecast.backtest`, share backtests and the batch
runner all go through here.
"""
