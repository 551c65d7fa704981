"""Is any live worker serving the queue a waiting step needs? Asked while `--wait` waits,
so a step no worker will take says so within seconds instead of "waiting for a worker"
forever, and a timeout tells "never picked up" from "still running".

The workers' heartbeats in Redis (worker/flow/recovery.py) say whether any worker of the
namespace lives; when one does, Celery's `active_queues` broadcast says which queues they
consume, which is exactly the question (a worker started with `-Q control` serves no
benchmark). The pure parts (which queue a step needs, what to say) are beside them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from worker.contract.namespace import Keys
from worker.contract.records import TERMINAL, RecordStore

CHECK_EVERY_S = 2.0  # how often --wait asks while a step waits
INSPECT_TIMEOUT_S = 1.0  # how long it waits for the workers' answers


def live_instances(store: RecordStore) -> list[str]:
    """The namespace's worker instances whose Redis heartbeat is alive (worker/flow/recovery.py)."""
    instances = [str(i) for i in store.r.hkeys(store.keys.workers)]
    if not instances:
        return []
    pipe = store.r.pipeline()
    for instance in instances:
        pipe.exists(store.keys.heartbeat(instance))
    return [i for i, alive in zip(instances, pipe.execute(), strict=True) if alive]


def served_queues(app: Any, store: RecordStore, timeout: float = INSPECT_TIMEOUT_S) -> set[str]:
    """The queues that live workers consume now. No live heartbeat in the namespace means
    none, at the cost of one Redis read; else the workers say which queues they consume
    (a worker started with `-Q control` serves no benchmark)."""
    if not live_instances(store):
        return set()
    replies = app.control.inspect(timeout=timeout).active_queues() or {}
    return {str(q["name"]) for queues in replies.values() for q in queues or []}


def waiting_without_worker(app: Any, store: RecordStore,
                           records: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Queue -> the steps waiting in it while no live worker of the namespace consumes it."""
    return unserved(records, served_queues(app, store), queue_names(store.keys))


def needed_queue(record: Mapping[str, Any], queues: Mapping[str, str]) -> str | None:
    """The queue the step's next task waits in, or None when it waits for no worker.
    `queues`: the real names of `control` and `load` (a namespace may rename them)."""
    status = record.get("status")
    if status in TERMINAL:
        return None
    if status == "measuring" and not record.get("measurement"):
        return queues["load"]  # the benchmark
    return queues["control"]  # adjust, poll, the CloudWatch read


def never_picked_up(record: Mapping[str, Any]) -> bool:
    """Queued, and no worker has started any of its stages."""
    return record.get("status") == "queued" and not record.get("stages")


def unserved(records: Iterable[Mapping[str, Any]], served: set[str],
             queues: Mapping[str, str]) -> dict[str, list[str]]:
    """Queue -> the steps waiting in it while no live worker consumes it."""
    out: dict[str, list[str]] = {}
    for record in records:
        queue = needed_queue(record, queues)
        if queue is not None and queue not in served:
            out.setdefault(queue, []).append(str(record["id"]))
    return out


def start_command(config_path: str | None) -> str:
    """The command that starts a worker for this config (and so its namespace), serving
    both queues."""
    return "servo-fargate worker" + (f" --config {config_path}" if config_path else "")


def advice(missing: Mapping[str, Sequence[str]], config_path: str | None) -> str:
    """One line: which queue no worker serves, for which steps, and what to run."""
    parts = [f"{queue} ({len(ids)} step{'s' if len(ids) != 1 else ''}: {', '.join(ids[:3])}"
             f"{' ...' if len(ids) > 3 else ''})" for queue, ids in missing.items()]
    return (f"no live worker serves queue {'; '.join(parts)}; start one: {start_command(config_path)}; "
            "the steps wait for it")


def timeout_message(records: Sequence[Mapping[str, Any]], timeout: float,
                    missing: Mapping[str, Sequence[str]], config_path: str | None) -> str:
    """What --timeout says: the steps never picked up apart from the ones still running."""
    waiting = [str(r["id"]) for r in records if never_picked_up(r)]
    running = [str(r["id"]) for r in records if r.get("status") not in TERMINAL and not never_picked_up(r)]
    parts = []
    if waiting:
        why = (f"no live worker serves their queue; start one: {start_command(config_path)}" if missing
               else "workers are busy with earlier steps")
        parts.append(f"never picked up by a worker: {', '.join(waiting[:5])}"
                     f"{' ...' if len(waiting) > 5 else ''} ({why})")
    if running:
        parts.append(f"still running (they go on; see `results`): {', '.join(running[:5])}"
                     f"{' ...' if len(running) > 5 else ''}")
    return f"after {timeout:g} s: " + "; ".join(parts)


def queue_names(keys: Keys) -> dict[str, str]:
    """The real names of the two queues in the records' namespace (worker/contract/namespace.py)."""
    return {"control": keys.control, "load": keys.load}
