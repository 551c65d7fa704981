"""Step records as a table, CSV or JSON: settings, stage timings, throughput, p95, errors, CPU.

CSV and JSON carry the values as stored (their format is a contract). The table is for
people: each numeric column has one format, right-aligned, and a failure shows its cause
(producer/causes.py); on a terminal it is drawn with rich, elsewhere it is plain text that
stays the same from run to run.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

from producer.causes import cause
from worker.contract import constants as C
from worker.contract.safetext import csv_cell, terminal_safe

COLUMNS = ("id", "component", "status", "settings", "adjust_s", "settle_s", "measure_s",
           "req_per_s", "p95_ms", "errors", "error_rate", "cpu_pct", "reason")
CPU_NAMES = ("CPUUtilization", "cpu", "cpuutilization", "cPUUtilization")
# The table's format of each numeric column (a column never mixes `3` with `2.5000`).
FORMATS = {"adjust_s": "{:.1f}", "settle_s": "{:.1f}", "measure_s": "{:.1f}", "req_per_s": "{:.1f}",
           "p95_ms": "{:.1f}", "errors": "{:.0f}", "error_rate": "{:.2%}", "cpu_pct": "{:.1f}"}
MAX_CELL = 60


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
            return round(float(times["end"]) - float(times["start"]), 3)
        return None

    settings = " ".join(f"{k}={v}" for k, v in (record.get("settings") or {}).items())
    return {
        "id": record["id"], "component": record["component"], "status": record["status"],
        "settings": settings, "adjust_s": stage("adjust"), "settle_s": stage("settle"),
        "measure_s": stage("measure"), "req_per_s": metric(C.METRIC_THROUGHPUT),
        "p95_ms": metric(C.METRIC_P95), "errors": metric(C.METRIC_ERRORS),
        "error_rate": metric(C.METRIC_ERROR_RATE), "cpu_pct": metric(*CPU_NAMES),
        "reason": (f"{record.get('reason')}: {record.get('message')}"
                   if record["status"] != "succeeded" else None),
    }


def render(records: Sequence[Mapping[str, Any]], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(list(records), indent=2)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(csv_row(summarize(r)) for r in records)
        return out.getvalue()
    return table(records)


def show(records: Sequence[Mapping[str, Any]], fmt: str, stream: Any = None) -> None:
    """Print records in `fmt` to `stream` (stdout): a rich table when it is a terminal."""
    import sys

    stream = stream or sys.stdout
    if fmt == "table" and records and stream.isatty():
        from rich.console import Console

        Console(file=stream).print(rich_table(records))
    else:
        print(render(records, fmt), file=stream)


def csv_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row a spreadsheet shows as text: cells that would start a formula are neutralised."""
    return {key: csv_cell(value) for key, value in row.items()}


def table_cells(records: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    """The table's cells, one list per step in COLUMNS order: formatted per column, the
    reason by its cause, control characters escaped."""
    rows = []
    for record in records:
        row = summarize(record)
        row["reason"] = cause(record)
        rows.append([cell(column, row[column]) for column in COLUMNS])
    return rows


def table(records: Sequence[Mapping[str, Any]]) -> str:
    """Plain text: stable, for pipes and logs."""
    if not records:
        return "(no steps)"
    cells = table_cells(records)
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(COLUMNS)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.rjust(w) if c in FORMATS else v.ljust(w)
                         for c, v, w in zip(COLUMNS, values, widths, strict=True)).rstrip()

    return "\n".join([line(COLUMNS), *(line(r) for r in cells)])


def rich_table(records: Sequence[Mapping[str, Any]]) -> Any:
    """The same cells as a rich Table, for a terminal."""
    from rich.table import Table
    from rich.text import Text

    out = Table(box=None, header_style="bold", pad_edge=False)
    for column in COLUMNS:
        out.add_column(column, justify="right" if column in FORMATS else "left",
                       no_wrap=column != "reason", overflow="fold")
    for row in table_cells(records):
        status = row[COLUMNS.index("status")]
        style = "green" if status == "succeeded" else "red" if status in ("failed", "rejected") else ""
        out.add_row(*(Text(v) for v in row), style=style)  # Text: no markup is read from a value
    return out


def cell(column: str, value: Any) -> str:
    if value is None:
        return "-"
    if column in FORMATS and isinstance(value, (int, float)):
        return FORMATS[column].format(value)
    text = terminal_safe(str(value))  # names and settings came from a user: no escapes reach the terminal
    return text if len(text) <= MAX_CELL else text[:MAX_CELL - 3] + "..."
