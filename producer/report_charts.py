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
    """p95 against cost per hour for every measured step, each point labelled with its
    settings, the Pareto front and the SLO line, on axes fitted to the data (and the SLO);
    steps that did not start are marked along the top at their cost, with their cause."""
    fig, ax = plt.subplots(figsize=(9, 5.5))
    measured = [r for r in rows if r["status"] == "succeeded" and r["p95_ms"] is not None
                and r["cost_per_hour"] is not None]
    meets = [r for r in measured if slo_p95_ms is None or r["p95_ms"] <= slo_p95_ms]
    misses = [r for r in measured if r not in meets]
    ax.scatter([r["cost_per_hour"] for r in meets], [r["p95_ms"] for r in meets], color="#55a868",
               label="succeeded" + (", meets SLO" if slo_p95_ms else ""), zorder=3)
    if misses:
        ax.scatter([r["cost_per_hour"] for r in misses], [r["p95_ms"] for r in misses], color="#8c8c8c",
                   label="succeeded, misses SLO", zorder=3)
    low, high = y_range([r["p95_ms"] for r in measured], slo_p95_ms)
    for row in measured:
        ax.annotate(short_label(row["settings"]), (row["cost_per_hour"], row["p95_ms"]), fontsize=7,
                    xytext=(4, 4), textcoords="offset points", color="#333333")
    failed = [r for r in rows if r["status"] != "succeeded" and r["cost_per_hour"] is not None]
    if failed:
        ax.scatter([r["cost_per_hour"] for r in failed], [high] * len(failed), marker="x", color="#c44e52",
                   label="did not start / failed (at the top, with the cause)", zorder=3)
        for row in failed:
            ax.annotate(short_label(f"{row['settings']}: {row.get('cause') or row['status']}", 90),
                        (row["cost_per_hour"], high), fontsize=7, xytext=(4, -10), textcoords="offset points",
                        color="#c44e52")
    if front:
        pts = sorted((r["cost_per_hour"], r["p95_ms"]) for r in front)
        ax.step([p[0] for p in pts], [p[1] for p in pts], where="post", color="#4c72b0", linewidth=1.5,
                label="Pareto front", zorder=2)
    if slo_p95_ms is not None:
        ax.axhline(slo_p95_ms, color="#c44e52", linestyle="--", linewidth=1,
                   label=f"SLO p95 {slo_p95_ms:g} ms")
    ax.set_xlabel("cost ($ per hour)")
    ax.set_ylabel("p95 latency (ms)")
    ax.set_ylim(bottom=low, top=high + (high - low) * 0.06)
    ax.margins(x=0.12)  # room for the labels right of the rightmost points
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    ax.set_title("Latency versus cost, every step")
    return _png(fig)


def y_range(values: Sequence[float], slo: float | None) -> tuple[float, float]:
    """The p95 axis fitted to the measured values and the SLO, with a margin: not from 0,
    which left most of the plot empty when every step lies between 20 and 30 ms."""
    shown = [*values, *([slo] if slo is not None else [])]
    if not shown:
        return 0.0, 1.0
    low, high = min(shown), max(shown)
    pad = max((high - low) * 0.12, high * 0.05, 0.5)
    return max(low - pad, 0.0), high + pad


def short_label(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


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
