"""The data-quality summary of a report's inputs: gaps, filled values, bounds, approximations."""

from __future__ import annotations

import pandas as pd

from forecast.reporting.inputs import ReportInputs
from forecast.reporting.sections import Section, table_html
from forecast.schema import DS, FILLED, PART, QUALIFIER, UNIQUE_ID
from forecast.schema.frequency import series_report

__all__ = ["quality_section"]

_QUALIFIERS = {">=": "lower bounds (>=)", "<=": "upper bounds (<=)", "~": "approximate (~)"}


def _qualifier_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows per series and qualifier kind (bounds, approximations)."""
    if QUALIFIER not in frame.columns:
        return pd.DataFrame(columns=[UNIQUE_ID, *_QUALIFIERS.values()])
    marked = frame[frame[QUALIFIER].isin(list(_QUALIFIERS))]
    counts = pd.crosstab(marked[UNIQUE_ID], marked[QUALIFIER].map(_QUALIFIERS))
    return counts.reindex(columns=list(_QUALIFIERS.values()), fill_value=0).reset_index()


def _filled_parts(history: pd.DataFrame) -> list[str]:
    """Say how many history values ``fc.fill_gaps`` filled, with a table of them by series."""
    if FILLED not in history.columns:
        return []
    filled = history[history[FILLED].astype(bool).to_numpy()]
    if filled.empty:
        return []
    table = (
        filled.groupby(UNIQUE_ID, sort=True)[DS]
        .agg(n_filled="size", first="min", last="max")
        .reset_index()
    )
    return [
        f"<p>{len(filled):,} value(s) of {len(table):,} series were filled (fc.fill_gaps, "
        "--fill), not observed: drawn as hollow circles, never scored in backtests.</p>",
        table_html(table, caption="Filled values, by series"),
    ]


def quality_section(inputs: ReportInputs) -> Section:
    """Gaps of the history's series, and the bounds and approximations of every input's history.

    Without a history (a series file) only the share inputs' observed rows are summarised, and
    the section says how to get the rest.
    """
    parts: list[str] = []
    frames = []
    if inputs.history is not None:
        history = inputs.history
        report = series_report(history)
        gaps = report[report["n_missing"] > 0]
        parts.append(
            f"<p>History: {history[UNIQUE_ID].nunique():,} series, {len(history):,} rows; "
            f"{len(gaps):,} series miss {int(gaps['n_missing'].sum()):,} dates of their "
            "frequency's grid.</p>"
        )
        parts.append(table_html(report, caption="Series: length, span, frequency and gaps"))
        parts += _filled_parts(history)
        frames.append(history)
    else:
        parts.append(
            "<p>No series file was given, so gaps are not summarised; pass the data the "
            "forecasts were made from (forecast report ... --data FILE).</p>"
        )
    frames += [s.frame[s.frame[PART] != "forecast"] for s in inputs.shares]
    marked = _qualifier_counts(pd.concat(frames, ignore_index=True)) if frames else pd.DataFrame()
    if len(marked):
        totals = ", ".join(f"{int(marked[c].sum()):,} {c}" for c in _QUALIFIERS.values())
        parts.append(f"<p>Observations that are not plain points: {totals}.</p>")
        parts.append(table_html(marked, caption="Bounds and approximate values, by series"))
    elif frames:
        parts.append("<p>Every observation is a plain point: no bounds, no approximations.</p>")
    return Section("quality", "Data quality of the inputs", list(parts))
