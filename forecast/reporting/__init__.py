"""``fc.report``: one self-contained HTML report of forecasts, backtests, shares and batch jobs.

Modules
-------
:mod:`forecast.reporting.inputs`
    Reading and recognising the inputs (output files, frames, batch folders).
:mod:`forecast.reporting.figures`
    Plotly traces and layouts: fan charts, windows, error by step, stacked shares.
:mod:`forecast.reporting.sections`, :mod:`forecast.reporting.batch`
    The page's sections of each kind of input.
:mod:`forecast.reporting.quality`
    The data-quality section.
:mod:`forecast.reporting.page`
    :func:`report`: assembling the page with plotly.js inlined.
"""

from __future__ import annotations

from forecast.reporting.page import report

__all__ = ["report"]
