"""Reading optimizer studies back from Redis: trials, the best configuration or the Pareto
set, and the command that applies a configuration. JSON data only."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from producer import objectives as obj
from producer.optimize import steps_run, storage
from producer.space import settings_key
from worker.contract.errors import ConfigError


def study_names(redis_url: str) -> list[str]:
    summaries = optuna.get_all_study_summaries(storage(redis_url), include_best_trial=False)
    return [s.study_name for s in summaries]


def load(name: str, redis_url: str) -> optuna.Study:
    """The study called `name`, or ConfigError naming the studies there are."""
    names = study_names(redis_url)
    if name not in names:
        raise ConfigError([f"study: no study {name!r} in Redis (known: {', '.join(names) or 'none'})"])
    return optuna.load_study(study_name=name, storage=storage(redis_url))


def trial_row(trial: FrozenTrial, goal: obj.Goal) -> dict[str, Any]:
    """One trial as plain JSON data."""
    attrs = trial.user_attrs
    result = obj.Outcome.from_dict(attrs["outcome"]) if "outcome" in attrs else None
    return {"number": trial.number, "state": trial.state.name, "source": attrs.get("source"),
            "baseline": bool(attrs.get("baseline")), "settings": attrs.get("settings"),
            "why": attrs.get("why"), "step_ids": attrs.get("step_ids", []), "values": trial.values,
            "outcome": result.to_dict() if result else None, "constraints": dict(trial.constraints),
            "feasible": bool(result and trial.state == TrialState.COMPLETE and obj.feasible(goal, result))}


def summarize(study: optuna.Study) -> dict[str, Any]:
    """The study's name, its question, every trial, and its best result (or Pareto set)."""
    goal = obj.Goal.from_dict(study.user_attrs["goal"])
    component = study.user_attrs["component"]
    rows = [trial_row(t, goal) for t in study.get_trials(deepcopy=False)]
    measured: dict[tuple[tuple[str, str], ...], dict[str, Any]] = {}
    for row in rows:  # one entry per configuration: its latest measured trial (a repeat's holds them all)
        if row["source"] == "run" and row["state"] == "COMPLETE":
            measured[settings_key(row["settings"])] = row
    candidates = [row for row in measured.values() if row["feasible"]]
    out: dict[str, Any] = {"study": study.study_name, "component": component, "goal": goal.to_dict(),
                           "steps_run": steps_run(study), "complete": bool(study.user_attrs.get("complete")),
                           "trials": rows,
                           "baseline": study.user_attrs.get("baseline")}
    trusted = study.user_attrs.get("best_trial")  # a search that repeats near results names its best
    if len(goal.objectives) == 1 and trusted is not None:
        out["best"] = _with_command(rows[trusted], component)
    elif len(goal.objectives) == 1:
        best = min(candidates, key=lambda r: (r["values"][0], r["outcome"]["p95_ms"] or 0), default=None)
        out["best"] = _with_command(best, component)
    else:
        front = obj.pareto(candidates, lambda r: tuple(r["values"]))
        out["pareto"] = [_with_command(r, component) for r in sorted(front, key=lambda r: r["values"])]
    return out


def apply_command(component: str, settings: Mapping[str, Any]) -> str:
    """The CLI command that applies a configuration as one step."""
    pairs = " ".join(shlex.quote(f"{k}={v}") for k, v in settings.items())
    return f"servo-fargate step {shlex.quote(component)} {pairs} --wait"


def render(summary: Mapping[str, Any]) -> str:
    """The table form: how the study went, then the best configuration(s) with commands."""
    goal = summary["goal"]
    limits = [f"p95 <= {goal['max_p95_ms']:g} ms" if goal["max_p95_ms"] is not None else "",
              f"errors <= {goal['max_error_rate'] * 100:g} %" if goal["max_error_rate"] is not None else "",
              f">= {goal['min_throughput']:g} req/s" if goal["min_throughput"] is not None else ""]
    counts: dict[str, int] = {}
    configurations = len({settings_key(row["settings"]) for row in summary["trials"]
                          if row["source"] == "run" and row["settings"] is not None})
    for row in summary["trials"]:
        source = row["source"] or "unfinished"
        source = "answered from an earlier trial" if source.startswith("trial ") else source
        counts[source] = counts.get(source, 0) + 1
    lines = [f"study {summary['study']} ({summary['component']}): minimize {', '.join(goal['objectives'])}"
             + (f" subject to {', '.join(x for x in limits if x)}" if any(limits) else ""),
             f"{summary['steps_run']} steps run on {configurations} configurations; {len(summary['trials'])} "
             f"trials ({', '.join(f'{v} {k}' for k, v in sorted(counts.items()))})"]
    baseline = summary.get("baseline") or {}
    if baseline:  # measured outside the declared space (not a trial), or not measured at all
        shown = " ".join(f"{k}={v}" for k, v in (baseline.get("settings") or {}).items())
        said = (f"not measured: {baseline['skipped']}" if "skipped" in baseline else
                "outside the declared space, measured apart: "
                + describe({"settings": {}, "outcome": baseline.get("outcome")}))
        lines.append(f"baseline {shown}: {said}")
    if summary.get("complete"):
        lines.append("search complete: every cheaper size is ruled out or has no fair chance of meeting "
                     "the SLO")
    lines += [f"  trial {row['number']}: {' '.join(f'{k}={v}' for k, v in (row['settings'] or {}).items())} "
              f"[{(row['outcome'] or {}).get('status', row['state'].lower())}] {row['why']['text']}"
              for row in summary["trials"] if row.get("why")]
    chosen = [summary["best"]] if "best" in summary else summary.get("pareto", [])
    chosen = [c for c in chosen if c]
    if not chosen:
        lines.append("no configuration met the constraints")
    for row in chosen:
        label = "best: " if "best" in summary else "pareto: "
        lines += [label + describe(row), f"  apply: {row['command']}"]
    return "\n".join(lines)


def describe(row: Mapping[str, Any]) -> str:
    o = row["outcome"] or {}
    settings = " ".join(f"{k}={v}" for k, v in (row["settings"] or {}).items())
    parts = [settings, _fmt(o.get("cost_per_hour"), "${:.4f}/h"), _fmt(o.get("p95_ms"), "p95 {:.1f} ms"),
             _fmt(o.get("throughput"), "{:.0f} req/s"), _fmt(o.get("cost_per_million"), "${:.4f}/M req"),
             _fmt(o.get("error_rate"), "errors {:.2%}")]
    spread = (o.get("spread") or {}).get(obj.METRIC_P95)
    if spread:
        parts.append(f"p95 spread {spread['min']:.1f}..{spread['max']:.1f} ms")
    return "  ".join(p for p in parts if p)


def _fmt(value: Any, pattern: str) -> str:
    return "" if value is None else pattern.format(value)


def _with_command(row: Mapping[str, Any] | None, component: str) -> dict[str, Any] | None:
    return None if row is None else {**row, "command": apply_command(component, row["settings"])}

