"""The one place work is planned and run.

:mod:`forecast.engine.specs` turns a ``models=`` argument into labelled models;
:mod:`forecast.engine.tasks` cuts the drivers' work into (series, model) tasks and runs each
with its failures isolated; :mod:`forecast.engine.rolling` is the one rolling-origin loop of
every backtest; :mod:`forecast.engine.parallel` maps tasks over worker processes and reports
progress; :mod:`forecast.engine.result` carries a run's output and failures as data;
:mod:`forecast.engine.covariates` checks a call's covariates once and lags the observed-only
ones.
:func:`forecast.forecast`, :func:`forecast.backtest`, share backtests, the ``auto`` and
``ensemble`` models' inner backtests and the batch runner all go through here.
"""
