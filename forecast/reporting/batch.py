"""The report's sections of a batch job: counts, failures, slow chunks, worst series, manifest."""

from __future__ import annotations

import html
import json

import pandas as pd

from forecast.reporting.inputs import BatchFolder, Input
from forecast.reporting.sections import (
    Section,
    backtest_section,
    forecast_section,
    table_html,
    worst_series,
)
from forecast.schema import DS, UNIQUE_ID, Y

__all__ = ["batch_sections"]

_SLOWEST = 10
_WORST = 20


def _counts(manifest: dict[str, object]) -> str:
    counts = dict(manifest.get("counts") or {})  # type: ignore[call-overload]
    rows = counts.pop("rows", {})
    table = pd.DataFrame(
        [{"status": manifest.get("status"), "exit status": manifest.get("exit_status"), **counts}]
    )
    written = pd.DataFrame([rows]) if rows else pd.DataFrame()
    out = table_html(table, caption="Job")
    if len(written.columns):
        out += table_html(written, caption="Rows written, by output")
    return out


def _failures(batch: BatchFolder) -> str:
    failures = batch.outputs.get("failures")
    errors = list(batch.manifest.get("errors") or [])
    if failures is None or not len(failures):
        text = "<p>No series or model failed.</p>"
    else:
        text = (
            f"<p>{len(failures):,} (series, model, window) failures; every one is in the job's "
            "failures output.</p>" + table_html(failures, caption="Failures", limit=100)
        )
    if errors:
        frame = pd.DataFrame(errors).drop(columns=["traceback"], errors="ignore")
        text += table_html(frame, caption="Unexpected errors (tracebacks in manifest.json)")
    return text


def _slowest(batch: BatchFolder) -> str:
    if not len(batch.chunks):
        return "<p>The job's parts folder holds no chunk timings.</p>"
    slow = batch.chunks.sort_values("seconds", ascending=False, kind="stable").head(_SLOWEST)
    return table_html(
        slow, caption=f"The {len(slow)} slowest of {len(batch.chunks):,} chunks (worker seconds)"
    )


def _worst(batch: BatchFolder) -> tuple[str, list[str] | None]:
    metrics = batch.outputs.get("metrics")
    if metrics is None:
        return "<p>The job ran no backtest, so accuracy is unknown.</p>", None
    worst = worst_series(metrics)
    if worst is None:
        return "<p>The job's metrics have no MASE column.</p>", None
    rows = metrics[metrics[UNIQUE_ID].isin(worst[:_WORST])].copy()
    rows["_order"] = rows[UNIQUE_ID].map({uid: i for i, uid in enumerate(worst)})
    rows = rows.sort_values(["_order", "model"]).drop(columns="_order")
    keep = [UNIQUE_ID, "model", "n", "mase", "smape"]
    keep += [c for c in rows.columns if str(c).startswith("coverage_")] + ["note"]
    rows = rows[[c for c in keep if c in rows.columns]]
    return table_html(
        rows, caption=f"The {min(_WORST, len(worst))} series with the worst mean MASE"
    ), worst


def _manifest(manifest: dict[str, object]) -> str:
    versions = pd.DataFrame(
        sorted((manifest.get("versions") or {}).items()),  # type: ignore[attr-defined]
        columns=["package", "version"],
    )
    seconds = pd.DataFrame([manifest.get("seconds") or {}])
    times = pd.DataFrame(
        [{k: manifest.get(k) for k in ("started", "finished", "config_hash", "parts_key")}]
    )
    config = html.escape(json.dumps(manifest.get("config"), indent=1, default=str))
    return (
        table_html(times, caption="Run")
        + (table_html(seconds, caption="Seconds per stage") if len(seconds.columns) else "")
        + table_html(versions, caption="Versions", limit=200)
        + f"<details><summary>Configuration</summary><pre>{config}</pre></details>"
    )


def batch_sections(
    batch: BatchFolder, key: str, history: pd.DataFrame | None, *, max_series: int
) -> list[Section]:
    """Build the job's summary, then its backtest and forecasts as the other inputs get them."""
    worst_html, worst = _worst(batch)
    summary = Section(
        key,
        f"Batch job: {batch.name}",
        [
            _counts(batch.manifest),
            "<h3>Failures</h3>",
            _failures(batch),
            "<h3>Slowest chunks</h3>",
            _slowest(batch),
            "<h3>Least accurate series</h3>",
            worst_html,
            "<h3>Manifest</h3>",
            _manifest(batch.manifest),
        ],
    )
    sections = [summary]
    backtest = batch.outputs.get("backtest")
    if backtest is not None and len(backtest):
        item = Input(f"{batch.name} (backtest)", "backtest", backtest)
        section, _ = backtest_section(item, f"{key}-bt", max_series=max_series)
        sections.append(section)
    forecasts = batch.outputs.get("forecasts")
    if forecasts is not None and len(forecasts):
        item = Input(f"{batch.name} (forecasts)", "forecast", forecasts)
        note = ""
        if history is None and backtest is not None and len(backtest):
            history = backtest[[UNIQUE_ID, DS, Y]].drop_duplicates([UNIQUE_ID, DS])
            note = (
                " The black line is the backtest's actuals (the job's input was not given: "
                "--data draws all of it)."
            )
        sections.append(
            forecast_section(
                item, history, f"{key}-fc", max_series=max_series, worst=worst, history_note=note
            )
        )
    return sections
