"""The report's two pictures, drawn with matplotlib's Agg backend into PNG bytes.

Agg needs no display and no browser-side code: the HTML embeds the PNGs as data URIs.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")  # before pyplot: no display, no GUI toolkit

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

STAGE_COLORS = (("queued", "#c8c8c8"), ("adjust", "#4c72b0"), ("settle", "#dd8452"),
                ("measure", "#55a868"))
STAGE_LABELS = {"queued": "queued", "adjust": "adjust", "settle": "settle", "measure": "benchmark"}
DPI = 100


def latency_vs_cost(rows: Sequence[Mapping[str, Any]], front: Sequence[Mapping[str, Any]],
                    slo_p95_ms: float | None) -> bytes:
    """p95 against cost per hour for every measured step, the Pareto front, the SLO line;
    steps that did not start are marked along the top at their cost."""
    fig, ax = plt.subplots(figsize=(8, 5))
    measured = [r for r in rows if r["status"] == "succeeded" and r["p95_ms"] is not None
                and r["cost_per_hour"] is not None]
    meets = [r for r in measured if slo_p95_ms is None or r["p95_ms"] <= slo_p95_ms]
    misses = [r for r in measured if r not in meets]
    ax.scatter([r["cost_per_hour"] for r in meets], [r["p95_ms"] for r in meets], color="#55a868",
               label="succeeded" + (", meets SLO" if slo_p95_ms else ""), zorder=3)
    if misses:
        ax.scatter([r["cost_per_hour"] for r in misses], [r["p95_ms"] for r in misses], color="#8c8c8c",
                   label="succeeded, misses SLO", zorder=3)
    top = max([r["p95_ms"] for r in measured] + [slo_p95_ms or 0] + [1]) * 1.08
    failed = [r for r in rows if r["status"] != "succeeded" and r["cost_per_hour"] is not None]
    if failed:
        ax.scatter([r["cost_per_hour"] for r in failed], [top] * len(failed), marker="x", color="#c44e52",
                   label="did not start / failed (plotted at the top)", zorder=3)
    if front:
        pts = sorted((r["cost_per_hour"], r["p95_ms"]) for r in front)
        ax.step([p[0] for p in pts], [p[1] for p in pts], where="post", color="#4c72b0", linewidth=1.5,
                label="Pareto front", zorder=2)
    if slo_p95_ms is not None:
        ax.axhline(slo_p95_ms, color="#c44e52", linestyle="--", linewidth=1,
                   label=f"SLO p95 {slo_p95_ms:g} ms")
    ax.set_xlabel("cost ($ per hour)")
    ax.set_ylabel("p95 latency (ms)")
    ax.set_ylim(bottom=0, top=top * 1.05)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    ax.set_title("Latency versus cost, every step")
    return _png(fig)


def timeline(rows: Sequence[Mapping[str, Any]]) -> bytes:
    """One bar per step: time queued, adjusting, settling and benchmarking, on one clock."""
    timed = [r for r in rows if r["stages"]]
    height = max(2.5, 0.28 * len(timed) + 1.2)
    fig, ax = plt.subplots(figsize=(9, height))
    origin = min((r["created_at"] for r in timed), default=0.0)
    for y, row in enumerate(timed):
        spans = dict(row["stages"])
        first = min((s for s, _ in spans.values()), default=row["created_at"])
        spans["queued"] = (row["created_at"], first)
        for name, color in STAGE_COLORS:
            if name in spans:
                start, end = spans[name]
                ax.broken_barh([(start - origin, max(end - start, 0.0))], (y - 0.4, 0.8), color=color)
    ax.set_yticks(range(len(timed)))
    ax.set_yticklabels([r["label"] for r in timed], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("seconds since the first step was queued")
    handles = [matplotlib.patches.Patch(color=c, label=STAGE_LABELS[n]) for n, c in STAGE_COLORS]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_title("Where the time goes: each step's stages")
    return _png(fig)


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=DPI)
    plt.close(fig)
    return buf.getvalue()
