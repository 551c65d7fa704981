"""Step records as a table, CSV or JSON: settings, stage timings, throughput, p95, errors, CPU."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

from worker.safetext import csv_cell, terminal_safe

COLUMNS = ("id", "component", "status", "settings", "adjust_s", "settle_s", "measure_s",
           "req_per_s", "p95_ms", "errors", "error_rate", "cpu_pct", "reason")
CPU_NAMES = ("CPUUtilization", "cpu", "cpuutilization", "cPUUtilization")


def summarize(record: Mapping[str, Any]) -> dict[str, Any]:
    """One flat row per step."""
    metrics = (record.get("measurement") or {}).get("metrics") or {}

    def metric(*names: str) -> float | None:
        for name in names:
            if name in metrics and metrics[name].get("value") is not None:
                return float(metrics[name]["value"])
        return None

    def stage(name: str) -> float | None:
        times = (record.get("stages") or {}).get(name) or {}
        if "start" in times and "end" in times:
            return round(times["end"] - times["start"], 3)
        return None

    settings = " ".join(f"{k}={v}" for k, v in (record.get("settings") or {}).items())
    return {
        "id": record["id"], "component": record["component"], "status": record["status"],
        "settings": settings, "adjust_s": stage("adjust"), "settle_s": stage("settle"),
        "measure_s": stage("measure"), "req_per_s": metric("requests throughput"),
        "p95_ms": metric("time per request p95"), "errors": metric("number of errors"),
        "error_rate": metric("error rate"), "cpu_pct": metric(*CPU_NAMES),
        "reason": (f"{record.get('reason')}: {record.get('message')}"
                   if record["status"] != "succeeded" else None),
    }


def render(records: Sequence[Mapping[str, Any]], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(list(records), indent=2)
    rows = [summarize(r) for r in records]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(csv_row(row) for row in rows)
        return out.getvalue()
    return table(rows)


def csv_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row a spreadsheet shows as text: cells that would start a formula are neutralised."""
    return {key: csv_cell(value) for key, value in row.items()}


def table(rows: Sequence[Mapping[str, Any]]) -> str:
    if not rows:
        return "(no steps)"
    cells = [[_cell(row[c]) for c in COLUMNS] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(COLUMNS)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if (value.is_integer() and abs(value) >= 1) or value == 0:
            return str(int(value))
        return f"{value:.4f}" if abs(value) < 1 else f"{value:.1f}"
    text = terminal_safe(str(value))  # names and settings came from a user: no escapes reach the terminal
    return text if len(text) <= 60 else text[:57] + "..."
