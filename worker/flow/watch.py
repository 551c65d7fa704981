"""The watch loop: with many services settling, their polls sleep and one loop looks for them.

A poll is one Celery task run per look (worker/flow/settling.py). With 200 services settling
at once and a look at each every second, that is 200 task runs a second, most of which find
nothing new: the workers' own cost, not AWS's, then sets how late a stable service is seen.
So when more services settle than the workers' idle polls should look at (IDLE_RUNS_PER_S),
a poll whose look found the rollout still going sleeps longer (`sleep_for`) and says so in its
retry message. A thread in every worker's main process (Watch) claims DescribeServices for the
sleeping polls' services from the same budget and in-flight marks as the polls' own looks
(worker/aws/budget.py WATCH), stores the views, and wakes the polls whose view changed in what
a poll judges (worker/aws/looks.py digest): the sleeping poll's message is sent again at once.

Waking never runs a step twice: the early twin carries a token of its own, accepted as an
alternative to the sleeping message's (worker.flow.recovery's cursor, `wake`); whichever runs
first is the step's current message and the other is dropped as a stale copy. The twin is
sent only while the sleeping message is still the step's next one, and the sleeping message
stays valid until the twin runs, so a wake that fails to send loses nothing: the poll wakes at
its own time. A sleep is also never longer than SLEEP_MAX_S nor past the step's deadline.
"""

from __future__ import annotations

import contextvars
import json
import threading
import time
import uuid
from collections.abc import Mapping
from typing import Any, ClassVar

import redis
from celery import bootsteps
from celery.contrib.abortable import ABORTED

from worker.contract.errors import ServoError
from worker.contract.namespace import Keys, process_keys
from worker.contract.numbers import env_number
from worker.flow import logs
from worker.flow.recovery import CURSOR_TTL_S, resend_entry, send_again

log = logs.get("servo.watch")

ENV_IDLE_POLLS = "SERVO_IDLE_POLLS"  # poll task runs a second for looks that find nothing new (all workers)
IDLE_RUNS_PER_S = 20.0
SLEEP_MAX_S = 10.0  # the longest a poll sleeps (its own look, should no wake come)
ALIVE_S = 3.0  # a watch loop that has not gone round this long is gone: polls stop sleeping
IDLE_WAIT_S = 0.25  # how long the loop waits when nothing is sleeping
ERROR_WAIT_S = 1.0
CANCELS_EVERY_S = 1.0  # how often the loop wakes the sleeping polls of cancelled steps
_SENDING_TWIN = contextvars.ContextVar("servo_sending_twin", default=False)
SLEEP_MEMO = "sleep"  # in a poll's retry memo while it sleeps: [cluster, service, seconds, digest judged]

# KEYS: sleeping zset, wake hash, the step's cursor. ARGV: service, the sleeping message's token,
# the twin's token, the cursor's TTL. The twin may run only while the sleeping message has
# not: the poll is then forgotten as sleeping, and the twin's token becomes the cursor's `wake`.
_WAKE = """
local entry = redis.call('HGET', KEYS[2], ARGV[1])
if not entry or cjson.decode(entry)['token'] ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
if redis.call('HGET', KEYS[3], 'next') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[3], 'wake', ARGV[3])
redis.call('EXPIRE', KEYS[3], ARGV[4])
return 1
"""


def sleep_for(settling: int, cap: float, alive: bool) -> float | None:
    """How long a poll that found the rollout going may sleep, or None to look again at the
    cap as usual: only while a watch loop is alive, and only once the settling services' polls
    at the cap would run more often than IDLE_RUNS_PER_S."""
    if not alive:
        return None
    runs = env_number(ENV_IDLE_POLLS, IDLE_RUNS_PER_S, minimum=0, strict_min=True, maximum=10_000)
    sleep = min(SLEEP_MAX_S, settling / runs)
    return sleep if sleep > cap else None


def note_sleep(r: redis.Redis, keys: Keys, token: str, headers: Mapping[str, Any], body: Any,
               routing_key: str | None) -> None:
    """A poll's retry that sleeps is being sent: keep what sending it again early needs."""
    kwargs = body[1]
    cluster, service, countdown, judged = kwargs["memo"][SLEEP_MEMO]
    entry = {"token": token, "digest": judged, "step_id": kwargs["step_id"],
             **resend_entry(headers, body, routing_key)}
    until = time.time() + float(countdown) + ALIVE_S
    pipe = r.pipeline(transaction=False)
    pipe.zadd(keys.sleeping(cluster), {service: until})
    pipe.zadd(keys.settling, {f"{cluster}/{service}": until})  # it still counts as settling
    pipe.hset(keys.wake(cluster), service, json.dumps(entry))
    pipe.sadd(keys.watched, cluster)
    for key in (keys.sleeping(cluster), keys.wake(cluster), keys.watched):
        pipe.expire(key, 3600)
    pipe.execute()


def woke(r: redis.Redis, keys: Keys, cluster: str, service: str) -> None:
    """A poll runs: it is not sleeping any more (a woken twin's message was forgotten already)."""
    pipe = r.pipeline(transaction=False)
    pipe.zrem(keys.sleeping(cluster), service)
    pipe.hdel(keys.wake(cluster), service)
    pipe.execute()


def claim_wake(r: redis.Redis, keys: Keys, cluster: str, service: str) -> tuple[dict[str, Any], str] | None:
    """The sleeping poll's message of `service` and its twin's token, made the step's `wake`;
    None: the poll is not asleep (it ran, or another loop woke it)."""
    raw = r.hget(keys.wake(cluster), service)
    if not raw:
        return None
    entry = json.loads(raw)
    twin = uuid.uuid4().hex
    if not r.eval(_WAKE, 3, keys.sleeping(cluster), keys.wake(cluster), keys.cursor(entry["step_id"]),
                  service, entry["token"], twin, CURSOR_TTL_S):
        return None
    return entry, twin


def wake(r: redis.Redis, keys: Keys, app: Any, cluster: str, service: str) -> bool:
    """Send the sleeping poll of `service` again, to run now. False: it is not asleep."""
    claimed = claim_wake(r, keys, cluster, service)
    if claimed is None:
        return False
    entry, twin = claimed
    sending = _SENDING_TWIN.set(True)  # tasks._stamp leaves its token alone, even inside a task
    try:
        send_again(app, entry, twin, now=True)
    finally:
        _SENDING_TWIN.reset(sending)
    log.info("watch.woke", step_id=entry["step_id"], service=service)
    return True


def sending_twin() -> bool:
    """A twin is being sent (tasks._stamp): it carries its own token, already the step's
    `wake`, and runs now. Stamped as the step's next, it would make the sleeping copy stale
    before it is itself sent, and be noted as a poll that sleeps: a look made inside a task
    (a poll's rider) wakes from inside that task."""
    return _SENDING_TWIN.get()


def cancelled(r: redis.Redis, keys: Keys, app: Any, cluster: str) -> list[str]:
    """The sleeping polls' services in `cluster` whose step was asked to stop, by the producer
    (its cancel flag) or in Flower (an abort is the task's state ABORTED): their polls roll back."""
    entries = {str(service): json.loads(raw) for service, raw in r.hgetall(keys.wake(cluster)).items()}
    pipe = r.pipeline(transaction=False)
    for entry in entries.values():
        pipe.exists(keys.cancel(entry["step_id"]))
        pipe.get(app.backend.get_key_for_task(entry["id"]))
    answers = pipe.execute()
    return [service for i, service in enumerate(entries)
            if answers[2 * i] or _state(answers[2 * i + 1]) == ABORTED]


def _state(meta: Any) -> str | None:
    """The state in a task's result-backend entry (JSON: the app's only serializer)."""
    try:
        return str(json.loads(meta)["status"]) if meta else None
    except (ValueError, KeyError, TypeError):
        return None


class Watch:
    """The watch loop of one worker process (its main process): looks for the sleeping polls
    of every watched cluster and wakes those whose service changed."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._cancels_at = 0.0
        self._runtime: Any = None  # its own: a pool child forked later must not inherit its clients

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="servo-watch", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def round(self) -> float:
        """Look once at every watched cluster that is due; the seconds until one is due again."""
        from worker.flow import runtime  # the runtime imports the AWS clients: built once, lazily

        if self._runtime is None:
            self._runtime = runtime.Runtime.from_env(app=self.app)
        rt = self._runtime
        r, keys = rt.store.r, rt.store.keys
        r.set(keys.watching, "1", px=int(ALIVE_S * 1000))
        clusters = [str(c) for c in r.smembers(keys.watched)]
        wait = IDLE_WAIT_S
        if not clusters:
            return wait
        stale = runtime.look_period(r, keys)
        for cluster in clusters:  # one cluster's failed look must not starve the others' polls
            try:
                wait = min(wait, rt.looks.watch(rt.clients.ecs, cluster, stale).wait)  # on_news wakes
            except ServoError as exc:
                # A deleted cluster, throttling, or this worker's own credentials (a load-only host
                # may have none): its polls look for themselves at their time, the others go on.
                # (No wake here: a worker that cannot look would wake every poll it claims.)
                log.warning("watch.look-error", cluster=cluster, error=str(exc))
                wait = min(wait, ERROR_WAIT_S)
        if time.monotonic() - self._cancels_at >= CANCELS_EVERY_S:
            self._cancels_at = time.monotonic()
            for cluster in clusters:
                for service in cancelled(r, keys, self.app, cluster):
                    wake(r, keys, self.app, cluster, service)
        return wait

    def _loop(self) -> None:
        wait = 0.0
        while not self._stop.wait(wait):
            try:
                wait = self.round()
            except redis.RedisError as exc:  # Redis restarting: try again
                log.warning("watch.redis-error", error=str(exc))
                wait = ERROR_WAIT_S
            except Exception as exc:  # an AWS error or a bug: the sleeping polls look for themselves
                log.warning("watch.error", error=repr(exc))
                wait = ERROR_WAIT_S


class WatchStep(bootsteps.StartStopStep):
    """Celery consumer bootstep: one watch loop per worker process, started once connected."""

    requires: ClassVar[set[str]] = {"celery.worker.consumer.tasks:Tasks"}
    _watch: ClassVar[Watch | None] = None

    def start(self, parent: Any) -> None:
        consumed = {str(name) for name in parent.app.amqp.queues.consume_from}
        if process_keys().control not in consumed:  # polls never run here: a load-only host (which
            return  # may have no AWS credentials) would only spend the budget on looks that fail
        if WatchStep._watch is None:
            WatchStep._watch = Watch(parent.app)
            WatchStep._watch.start()

    def shutdown(self, parent: Any) -> None:
        if WatchStep._watch is not None:
            WatchStep._watch.stop()

