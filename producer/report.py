"""A self-contained HTML report of a sweep or a study, plus CSV and JSON exports.

    steps = producer.store.sweep_steps(sweep_id)
    paths = write_report(collect_sweep(steps, producer.config.pricing, sweep_id), Path("report"))

`report.html` embeds its pictures as PNG data URIs and holds no script and no link to
anything: it opens from a file, offline, in any browser.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from producer import outfiles, results
from producer.causes import cause
from producer.cost import target_cost
from producer.objectives import pareto
from producer.pricing import Pricing

CSV_COLUMNS = ("id", "trial", "status", "settings", "cost_per_hour", "p95_ms", "req_per_s", "error_rate",
               "feasible", "queued_s", "adjust_s", "settle_s", "measure_s", "reason", "why")
REPORT_FORMATS = {"cost_per_hour": "{:.4f}", "queued_s": "{:.1f}", "trial": "{:d}"}
LEFT = ("id", "status", "settings", "reason", "why")  # text columns, aligned left
STYLE = """body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;font-size:13px}
td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}td.l,th.l{text-align:left}
tr.bad td{color:#a33}img{max-width:100%;border:1px solid #ddd;margin:0.5em 0}code{background:#f4f4f4}"""


@dataclass
class ReportData:
    """What a report shows: a title, one row per step, and the study's question if any."""

    title: str
    rows: list[dict[str, Any]]
    slo_p95_ms: float | None = None
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # exported to JSON as is (the study summary)


def step_row(record: Mapping[str, Any], cost: float | None, trial: int | None = None,
             feasible: bool | None = None) -> dict[str, Any]:
    """One step as a flat row with its cost and stage spans (epoch seconds)."""
    flat = results.summarize(record)
    stages = {name: (t["start"], t["end"]) for name, t in (record.get("stages") or {}).items()
              if "start" in t and "end" in t}
    first = min((s for s, _ in stages.values()), default=None)
    label = (f"#{trial} " if trial is not None else "") + ("" if record["status"] == "succeeded"
                                                          else f"[{record['status']}] ")
    return {**flat, "trial": trial, "settings_map": dict(record.get("settings") or {}),
            "cost_per_hour": cost, "feasible": feasible, "created_at": record["created_at"],
            "queued_s": None if first is None else round(first - record["created_at"], 3),
            "stages": stages, "label": f"{label}{flat['settings']}"[:48], "why": None,
            "cause": cause(record)}


def applied_size(record: Mapping[str, Any]) -> dict[str, Any]:
    """The size the step left the service at (what adjust applied or kept)."""
    applied = record.get("applied") or {}
    return {"cpu": applied.get("cpu"), "memory": applied.get("memory"),
            "replicas": applied.get("desired_count")}


def collect_sweep(records: Sequence[Mapping[str, Any]], pricing: Pricing, sweep_id: str,
                  slo_p95_ms: float | None = None) -> ReportData:
    rows = [step_row(r, target_cost(r.get("target") or {}, pricing, applied_size(r))) for r in records]
    if slo_p95_ms is not None:  # the same verdict the chart draws: a measured p95 within the SLO
        for row in rows:
            if row["status"] == "succeeded" and row.get("p95_ms") is not None:
                row["feasible"] = float(row["p95_ms"]) <= slo_p95_ms
    notes = []
    if any(r["cost_per_hour"] is None for r in rows):
        notes.append("Steps that never reached the service (rejected before any change, or "
                     "cancelled while queued) have no size and so no cost; they are left out of "
                     "the chart.")
    return ReportData(f"Sweep {sweep_id}", rows, slo_p95_ms, notes)


def collect_study(summary: Mapping[str, Any], records: Mapping[str, Mapping[str, Any]]) -> ReportData:
    """Rows for every step a study ran, with each trial's cost and verdict."""
    rows = []
    for trial in summary["trials"]:
        outcome = trial["outcome"] or {}
        for step_id in trial["step_ids"] if trial["source"] == "run" else []:
            if step_id in records:  # each step says why its trial was proposed
                row = step_row(records[step_id], outcome.get("cost_per_hour"), trial["number"],
                               trial["feasible"])
                rows.append({**row, "why": (trial.get("why") or {}).get("text")})
    baseline = summary.get("baseline") or {}
    for step_id in baseline.get("step_ids", []):
        if step_id in records:
            rows.insert(0, step_row(records[step_id], (baseline.get("outcome") or {}).get("cost_per_hour")))
    goal = summary["goal"]
    notes = [f"Objectives: {', '.join(goal['objectives'])}; {summary['steps_run']} steps run in "
             f"{len(summary['trials'])} trials."]
    return ReportData(f"Study {summary['study']} ({summary['component']})", rows, goal.get("max_p95_ms"),
                      notes, {"study": dict(summary)})


def front_of(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Pareto front of (cost, p95) over succeeded steps; a study's infeasible trials are out."""
    points = [r for r in rows if r["status"] == "succeeded" and r["p95_ms"] is not None
              and r["cost_per_hour"] is not None and r["feasible"] is not False]
    return pareto(points, lambda r: (r["cost_per_hour"], r["p95_ms"]))


def render_html(data: ReportData) -> str:
    from producer import report_charts

    front = front_of(data.rows)
    scatter = report_charts.latency_vs_cost(data.rows, front, data.slo_p95_ms)
    timeline = report_charts.timeline(data.rows)
    esc = html.escape
    notes = "".join(f"<p>{esc(n)}</p>" for n in data.notes)
    best = "".join(f"<li><code>{esc(r['settings'])}</code>: ${r['cost_per_hour']:.4f}/h, "
                   f"p95 {r['p95_ms']:.1f} ms</li>" for r in sorted(front, key=lambda r: r["cost_per_hour"]))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(data.title)}</title>
<style>{STYLE}</style></head><body>
<h1>{esc(data.title)}</h1>{notes}
<h2>Latency versus cost</h2>
<img alt="p95 latency versus cost per hour for every step" src="{_data_uri(scatter)}">
<p>Pareto front (cheapest for its latency):</p><ul>{best or "<li>none</li>"}</ul>
{_not_succeeded(data.rows)}
<h2>Timeline</h2>
<img alt="each step's stages over time" src="{_data_uri(timeline)}">
<h2>Steps</h2>
{_table(data.rows)}
<p>Exports: <code>steps.csv</code>, <code>steps.json</code> beside this file.</p>
</body></html>
"""


def _not_succeeded(rows: Sequence[Mapping[str, Any]]) -> str:
    """The steps that did not succeed, each with its settings and cause."""
    bad = [r for r in rows if r["status"] != "succeeded"]
    if not bad:
        return ""
    items = "".join(f"<li><code>{html.escape(r['settings'])}</code>: {html.escape(r['status'])}, "
                    f"{html.escape(r.get('cause') or '')}</li>" for r in bad)
    return f"<p>Steps that did not succeed, by cause:</p><ul>{items}</ul>"


def _table(rows: Sequence[Mapping[str, Any]]) -> str:
    head = "".join(f'<th class="{"l" if c in LEFT else ""}">{c}</th>'
                   for c in CSV_COLUMNS)
    body = []
    for row in rows:
        bad = row["status"] != "succeeded" or row["feasible"] is False
        # the reason by its cause (the CSV keeps the whole message)
        cells = "".join(f'<td class="{"l" if c in LEFT else ""}">'
                        f"{html.escape(_cell(c, row.get('cause') if c == 'reason' else row[c]))}</td>"
                        for c in CSV_COLUMNS)
        body.append(f'<tr class="{"bad" if bad else ""}">{cells}</tr>')
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _cell(column: str, value: Any) -> str:
    """results' per-column formats, and the report's own columns."""
    if column in REPORT_FORMATS and isinstance(value, (int, float)) and not isinstance(value, bool):
        return REPORT_FORMATS[column].format(value)
    return results.cell(column, value)


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def to_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(results.csv_row(row) for row in rows)
    return out.getvalue()


def write_report(data: ReportData, out_dir: Path) -> list[Path]:
    """Write report.html, steps.csv and steps.json into `out_dir`; return their paths."""
    paths = report_paths(out_dir)
    outfiles.prepare_dir(out_dir)
    exported = {"title": data.title, "slo_p95_ms": data.slo_p95_ms, "steps": data.rows, **data.extra}
    for path, text in zip(paths, (render_html(data), to_csv(data.rows), json.dumps(exported, indent=2)),
                          strict=True):
        outfiles.write_text(path, text)
    return paths


def report_paths(out_dir: Path) -> list[Path]:
    """The files a report writes into `out_dir`, in order."""
    return [out_dir / "report.html", out_dir / "steps.csv", out_dir / "steps.json"]
