"""``fc.report``: one self-contained HTML page from the outputs of runs, backtests, shares, jobs.

Every script and style is inlined (plotly.js from the ``plotly`` package, the figures' data as
one JSON block), so the page opens offline, e.g. from an email attachment, and requests
nothing. A chart of many series is one Plotly figure switched by a series picker; the data of
each series is embedded once.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from forecast.errors import ConfigError
from forecast.io import atomic_write_bytes
from forecast.reporting.batch import batch_sections
from forecast.reporting.inputs import InputLike, read_inputs
from forecast.reporting.quality import quality_section
from forecast.reporting.sections import (
    Figure,
    Picker,
    Section,
    backtest_section,
    forecast_section,
    share_section,
)

__all__ = ["report", "render", "pack"]

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1f1f1f}
header{background:#1f2937;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;font-size:13px;color:#d1d5db}
nav{padding:8px 24px;border-bottom:1px solid #e5e7eb;font-size:14px}
nav a{margin-right:14px;color:#0072B2}
main{padding:0 24px 40px;max-width:1200px}
section{border-bottom:1px solid #e5e7eb;padding-bottom:16px}
h2{font-size:18px;margin:22px 0 8px}h3{font-size:15px;margin:16px 0 6px}
p{font-size:14px;line-height:1.45}.note{color:#6b7280;font-size:13px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
caption{text-align:left;font-weight:600;padding:4px 0}
th,td{border:1px solid #e5e7eb;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f3f4f6}td{max-width:520px;overflow-wrap:anywhere}
.picker label{font-size:14px;margin-right:10px}.picker select{max-width:480px}
.chart{width:100%;min-height:420px}pre{font-size:12px;background:#f9fafb;padding:8px}
"""

_GLUE = """
(function () {
  const config = {displaylogo: false, responsive: true};
  const report = JSON.parse(document.getElementById("report-data").textContent);
  for (const fig of report.figures) Plotly.newPlot(fig.id, fig.data, fig.layout, config);
  // A picker's traces are packed: shared styles in templates, each date list once.
  const unpack = (p, s) => s.traces.map(t => Object.assign({}, p.templates[t.t],
    {x: s.x[t.x], y: t.y}, t.c ? {customdata: t.c} : {}));
  for (const p of report.pickers) {
    const select = document.getElementById(p.id + "-select");
    const filter = document.getElementById(p.id + "-filter");
    const draw = () => Plotly.react(p.id, unpack(p, p.series[select.value]), p.layout, config);
    select.addEventListener("change", draw);
    filter.addEventListener("input", () => {
      const text = filter.value.toLowerCase();
      for (const o of select.options) o.hidden = !o.value.toLowerCase().includes(text);
    });
    draw();
  }
  window.reportReadyAt = performance.now();
  window.reportReady = true;
})();
"""


def _picker_html(picker: Picker) -> str:
    options = "".join(
        f"<option value='{html.escape(uid, quote=True)}'>{html.escape(uid)}</option>"
        for uid in picker.series
    )
    return (
        f"<div class='picker'><label>Series <select id='{picker.id}-select'>{options}</select>"
        f"</label><label><input type='search' id='{picker.id}-filter' placeholder='filter'>"
        f"</label><span class='note'>The picker holds {html.escape(picker.rule)}.</span>"
        f"<div id='{picker.id}' class='chart'></div></div>"
    )


def _sections(
    inputs: Sequence[InputLike], data: InputLike | None, max_series: int
) -> list[Section]:
    found = read_inputs(list(inputs), data)
    sections: list[Section] = []
    for i, batch in enumerate(found.batches):
        sections += batch_sections(batch, f"batch{i}", found.history, max_series=max_series)
    worst = None
    for i, item in enumerate(found.backtests):
        section, worst = backtest_section(item, f"backtest{i}", max_series=max_series)
        sections.append(section)
    for i, item in enumerate(found.forecasts):
        key = f"forecast{i}"
        sections.append(
            forecast_section(item, found.history, key, max_series=max_series, worst=worst)
        )
    sections += [share_section(item, f"share{i}") for i, item in enumerate(found.shares)]
    if not sections:
        raise ConfigError(
            "the inputs hold only series (the history); add the outputs to report on: a "
            "'forecast run', 'backtest' or 'share' output, or a batch job's folder."
        )
    return [*sections, quality_section(found)]


def pack(series: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Pack a picker's traces: each style once in ``templates``, each series' dates once.

    A packed trace is ``{"t": template index, "x": index into the series' ``x`` lists, "y":
    values, "c": customdata}``; the page's script unpacks it into the trace it was.
    """
    templates: dict[str, int] = {}
    packed = {}
    for uid, traces in series.items():
        xs: dict[str, int] = {}
        out = []
        for trace in traces:
            style = {k: v for k, v in trace.items() if k not in ("x", "y", "customdata")}
            t = templates.setdefault(json.dumps(style, sort_keys=True), len(templates))
            x = xs.setdefault(json.dumps(trace["x"]), len(xs))
            item = {"t": t, "x": x, "y": trace["y"]}
            if trace.get("customdata"):
                item["c"] = trace["customdata"]
            out.append(item)
        packed[uid] = {"x": [json.loads(x) for x in xs], "traces": out}
    return {"templates": [json.loads(t) for t in templates], "series": packed}


def _json(value: object) -> str:
    """JSON safe inside a ``<script>`` element."""
    text = json.dumps(value, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render(sections: list[Section], title: str, sources: list[str]) -> str:
    """Assemble the page: header, navigation, sections, the data block and the scripts."""
    from plotly.offline import get_plotlyjs

    body, figures, pickers = [], [], []
    for section in sections:
        body.append(f"<section id='{section.id}'><h2>{html.escape(section.title)}</h2>")
        for part in section.parts:
            if isinstance(part, Figure):
                figures.append(asdict(part))
                body.append(f"<div id='{part.id}' class='chart'></div>")
            elif isinstance(part, Picker):
                pickers.append({"id": part.id, "layout": part.layout, **pack(part.series)})
                body.append(_picker_html(part))
            else:
                body.append(part)
        body.append("</section>")
    nav = "".join(f"<a href='#{s.id}'>{html.escape(s.title)}</a>" for s in sections)
    made = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    from forecast import __version__

    subtitle = f"made {made} by forecast {__version__} from " + ", ".join(sources)
    data = _json({"figures": figures, "pickers": pickers})
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<header><h1>{html.escape(title)}</h1><p>{html.escape(subtitle)}</p></header>"
        f"<nav>{nav}</nav><main>{''.join(body)}</main>"
        f"<script type='application/json' id='report-data'>{data}</script>"
        f"<script>{get_plotlyjs()}</script><script>{_GLUE}</script></body></html>"
    )


def report(
    inputs: InputLike | Sequence[InputLike],
    out: str | os.PathLike[str],
    *,
    data: InputLike | None = None,
    title: str = "Forecast report",
    max_series: int = 1000,
) -> Path:
    """Write one self-contained HTML report of forecasts, backtests, shares and batch jobs.

    The page has a section per input: interactive fan charts of forecasts (a series picker,
    hover for the date, point and bounds, zoom), a backtest's ranking table (MASE, coverage,
    Diebold-Mariano), its error by horizon step and its forecasts against actuals per window,
    the stacked share chart with bands, a batch job's counts, failures, slowest chunks, least
    accurate series and manifest, and the data-quality summary (gaps, bounds, approximations).
    Every script is inlined: the file opens offline and makes no network request.

    Parameters
    ----------
    inputs : path, DataFrame or a sequence of them
        Files written by ``forecast run --out``, ``forecast backtest --out`` and ``forecast
        share --out`` (or the frames of :func:`forecast.forecast`, :func:`forecast.backtest`
        and :func:`forecast.shares`), and batch job output folders. Each is recognised by its
        columns (see :mod:`forecast.reporting.inputs`).
    out : path
        The HTML file to write (atomically).
    data : path or DataFrame, optional
        The series the forecasts were made from: drawn under the forecasts and summarised in
        the data-quality section.
    title : str
        The page's title.
    max_series : int
        Most series a chart's picker holds (the least accurate first when a backtest says
        which); the page says how many of how many it holds. Every chart is one figure, so the
        page stays small however many series there are.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ConfigError
        No input, an input of no known kind or a missing path, or ``max_series`` below 1.
    DataError
        ``data`` breaks the data contract.

    References
    ----------
    .. [1] Plotly, "plotly.js JSON chart schema", https://plotly.com/javascript/reference/.
    .. [2] Hyndman, R. J. and Athanasopoulos, G. (2021), *Forecasting: Principles and
       Practice*, 3rd ed., section 5.10 (time series cross-validation), OTexts.

    Examples
    --------
    >>> import pandas as pd, forecast as fc
    >>> df = pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2024-01-01", periods=24,
    ...                    freq="MS"), "y": [float(10 + i) for i in range(24)]})
    >>> path = fc.report(fc.forecast(df, ["naive", "drift"], h=6), "report.html", data=df)
    ... # doctest: +SKIP
    """
    if isinstance(max_series, bool) or not isinstance(max_series, int) or max_series < 1:
        raise ConfigError(f"max_series must be a whole number of at least 1, not {max_series!r}.")
    items = [inputs] if isinstance(inputs, str | os.PathLike | pd.DataFrame) else list(inputs)
    sources = ["a frame" if isinstance(i, pd.DataFrame) else Path(i).name or str(i) for i in items]
    page = render(_sections(items, data, max_series), title, sources)
    path = Path(out)
    atomic_write_bytes(path, page.encode("utf-8"))
    return path
