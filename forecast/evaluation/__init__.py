"""Evaluation: rolling-origin backtests, accuracy and coverage metrics, model ranking, plots.

The public functions are :func:`forecast.backtest`, :func:`forecast.make_cutoffs`,
:func:`forecast.evaluate`, :func:`forecast.rank_models` and :func:`forecast.plot_backtest`.
"""
