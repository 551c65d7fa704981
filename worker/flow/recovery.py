"""Fast recovery: a dead worker's step resumes within seconds, not after the visibility timeout.

Every worker instance (one per consumer connection of a worker process) heartbeats in Redis
and notes the broker delivery tag of every message it takes. The Redis broker keeps a taken
message in its `unacked` hash until it is acked; normally it comes back only after the
visibility timeout (an hour by default). Here any live worker that sees an instance stop
heartbeating (HEARTBEAT_TIMEOUT_S, default 15 s) puts that instance's messages back at the
head of their queue in one Lua script: the message is removed from `unacked` and pushed in
the same atomic step, so exactly one worker wins, and kombu's own visibility restore (a
WATCHed transaction on the same hash) then finds nothing left to restore. The message that
comes back is the original stage task with its memo, so the step resumes at the stage it
reached; every stage is safe to run twice (worker.flow.runtime).

A worker that starts reclaims at once the instances that carried its own node name (the
same worker, restarted), and a worker whose broker connection dropped (a Redis restart)
reclaims its own previous instance once it is connected again: Celery has dropped those
messages by then (worker.flow.app cancels long tasks on connection loss).

A message lost on the way (the broker's BRPOP took it, and its taker died before noting it)
is sent again (`find_lost`, below). The record keeps who ran each stage (`ran_by`), each
reclaim (`reclaims`) and each message sent again (`resent`).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any, ClassVar

import redis
from celery import bootsteps

from worker.contract.namespace import Keys, process_keys
from worker.contract.records import TERMINAL, RecordStore, now
from worker.flow import logs

log = logs.get("servo.recovery")

ENV_HEARTBEAT_TIMEOUT = "SERVO_HEARTBEAT_TIMEOUT"
DEFAULT_HEARTBEAT_TIMEOUT_S = 15.0  # a worker silent this long is dead: its messages go back
SCAN_EVERY_S = 2.0  # how often a worker looks for dead ones
BEATS_PER_TIMEOUT = 3  # a worker misses two beats before it counts as dead
UNACKED = "unacked"  # kombu's Redis transport keys (its defaults; worker.flow.app does not change them)
UNACKED_INDEX = "unacked_index"
RUNS_KEPT = 50  # a record keeps the last runs of its stages; reclaims are all kept

# KEYS: held set, unacked hash, unacked index, workers hash. ARGV: instance, allowed queues.
# kombu stores `[message, exchange, routing_key]` as JSON; the message is pushed back as the
# very string it was received as (decoding and encoding it here would turn [] into {}).
_RECLAIM = """
local allowed = {}
for i = 2, #ARGV do allowed[ARGV[i]] = true end
local out = {}
for _, tag in ipairs(redis.call('smembers', KEYS[1])) do
  local payload = redis.call('hget', KEYS[2], tag)
  if payload then
    local msg, ex, rk = string.match(payload, '^%[(.*), "([^"]*)", "([^"]*)"%]$')
    if msg and allowed[rk] then
      redis.call('hdel', KEYS[2], tag)
      redis.call('zrem', KEYS[3], tag)
      redis.call('rpush', rk, msg)
      table.insert(out, msg)
    end
  end
end
redis.call('del', KEYS[1])
redis.call('hdel', KEYS[4], ARGV[1])
return out
"""
# KEYS: held set, unacked hash. Forget the tags that were acked (or restored) since.
_PRUNE = """
local n = 0
for _, tag in ipairs(redis.call('smembers', KEYS[1])) do
  if redis.call('hexists', KEYS[2], tag) == 0 then
    redis.call('srem', KEYS[1], tag)
    n = n + 1
  end
end
return n
"""


def heartbeat_timeout() -> float:
    return float(os.environ.get(ENV_HEARTBEAT_TIMEOUT) or DEFAULT_HEARTBEAT_TIMEOUT_S)


def reclaim(r: redis.Redis, keys: Keys, instance: str) -> list[str]:
    """Put every message `instance` took and did not ack back at the head of its queue;
    forget the instance. Returns the messages this call restored (none if another won)."""
    out = r.eval(_RECLAIM, 4, keys.held(instance), UNACKED, UNACKED_INDEX, keys.workers,
                 instance, *keys.queues)
    return [m.decode() if isinstance(m, bytes) else str(m) for m in out or []]


def message_task(message: str) -> tuple[str, str]:
    """(task id, task name) of a broker message (Celery protocol 2 keeps both in headers)."""
    headers = json.loads(message).get("headers") or {}
    return str(headers.get("id") or ""), str(headers.get("task") or "")


def step_of(task_id: str) -> str:
    """The step a stage task belongs to: task ids are `<step id>.<stage>` (producer.api)."""
    return task_id.split(".", 1)[0]


def dead(workers: dict[str, str], alive: dict[str, bool], me: str, retired: set[str]) -> list[str]:
    """Instances to reclaim: every other one that stopped heartbeating, and the ones named
    in `retired` (this node's earlier instances) at once."""
    return [inst for inst in workers if inst != me and (inst in retired or not alive.get(inst, False))]


def note_run(store: RecordStore, record: dict[str, Any], stage: str, worker: str) -> None:
    """Add `worker` to the record's `ran_by` when it is not the last one that ran `stage`
    (a poll retried a hundred times on one worker is one entry)."""
    runs = record.get("ran_by") or []
    last = next((run for run in reversed(runs) if run["stage"] == stage), None)
    if last is not None and last["worker"] == worker:
        return

    def change(rec: dict[str, Any]) -> None:
        ran_by = [*(rec.get("ran_by") or []), {"stage": stage, "worker": worker, "at": now()}]
        rec["ran_by"] = ran_by[-RUNS_KEPT:]
    store.update(record["id"], change)


class Recovery:
    """Heartbeat, held tags and the reclaim loop of one worker process."""

    def __init__(self, store: RecordStore, hostname: str, timeout: float | None = None,
                 app: Any = None) -> None:
        self.store, self.r, self.keys = store, store.r, store.keys
        self.hostname = hostname
        self.app = app  # sends lost messages again (`find_lost`); None: this process does not look
        self.timeout = timeout or heartbeat_timeout()
        self.instance = self._new_instance()
        self.started = False
        self.reconnecting = False  # the broker connection dropped: the next instance is due
        self.retired: set[str] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_beat = 0.0

    # -- instances -----------------------------------------------------------------------
    def _new_instance(self) -> str:
        return f"{self.hostname}#{os.getpid()}#{uuid.uuid4().hex[:8]}"

    def _rotate(self) -> None:
        """A new instance for a new broker connection: Celery dropped every message of the
        old one when the connection was lost, so the old one is reclaimed at once."""
        if self.reconnecting:
            self.reconnecting = False
            self.retired.add(self.instance)
            self.instance = self._new_instance()

    def connection_lost(self) -> None:
        # Not rotated here: at a warm shutdown no new connection comes, and the running
        # tasks still need their messages. The first message or start after it rotates.
        self.reconnecting = True

    def start_instance(self) -> None:
        """The consumer is connected: heartbeat, and reclaim what is due (the node's
        earlier instances: this process's last connection, or this node before a restart)."""
        self._rotate()
        try:
            if not self.started:
                others = self.r.hgetall(self.keys.workers)
                self.retired |= {str(i) for i, host in others.items() if str(host) == self.hostname} - {
                    self.instance}
            self.started = True
            self.beat()
            self.scan()
        except redis.RedisError as exc:  # the loop tries again
            log.warning("recovery.start-error", error=str(exc))
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="servo-recovery", daemon=True)
            self._thread.start()
        log.info("recovery.instance", instance=self.instance, timeout=self.timeout)

    def stop(self) -> None:
        self._stop.set()

    def took(self, delivery_tag: str) -> None:
        """Note a message this instance took (before it runs: a kill may come any time).
        A message may arrive before this step's start on a new connection: rotate first, so
        it is never noted under the instance about to be reclaimed."""
        self._rotate()
        self.r.sadd(self.keys.held(self.instance), delivery_tag)

    # -- the loop ------------------------------------------------------------------------
    def beat(self) -> None:
        pipe = self.r.pipeline()
        alive = json.dumps({"hostname": self.hostname, "pid": os.getpid(), "at": now()})
        pipe.set(self.keys.heartbeat(self.instance), alive, px=int(self.timeout * 1000))
        pipe.hset(self.keys.workers, self.instance, self.hostname)
        pipe.execute()
        self.r.eval(_PRUNE, 2, self.keys.held(self.instance), UNACKED)
        self._last_beat = time.monotonic()

    def scan(self) -> None:
        workers = {str(k): str(v) for k, v in self.r.hgetall(self.keys.workers).items()}
        others = [inst for inst in workers if inst != self.instance]
        pipe = self.r.pipeline()
        for inst in others:
            pipe.exists(self.keys.heartbeat(inst))
        alive = dict(zip(others, (bool(x) for x in pipe.execute()), strict=True))
        for inst in dead(workers, alive, self.instance, self.retired):
            self._reclaim(inst, workers[inst])
            self.retired.discard(inst)

    def _reclaim(self, inst: str, host: str) -> None:
        messages = reclaim(self.r, self.keys, inst)
        for message in messages:
            task_id, task = message_task(message)
            log.warning("recovery.reclaimed", dead=inst, task_id=task_id, task=task)
            entry = {"at": now(), "by": self.hostname, "from": host, "task": task, "task_id": task_id}
            with contextlib.suppress(KeyError):  # not a step of this namespace (or long gone)
                self.store.update(step_of(task_id), lambda rec, e=entry: rec.update(  # type: ignore[misc]
                    reclaims=[*(rec.get("reclaims") or []), e]))
        if messages:
            log.warning("recovery.worker-dead", dead=inst, hostname=host, restored=len(messages))

    def look_for_lost(self) -> None:
        """Look for lost messages (`find_lost`), unless another worker looked just now."""
        if self.app is not None and self.r.set(self.keys.lost_scan, self.instance, nx=True,
                                               px=int(LOST_SCAN_EVERY_S * 1000)):
            find_lost(self.store, self.app, self.hostname)

    def _loop(self) -> None:
        every = self.timeout / BEATS_PER_TIMEOUT
        while not self._stop.wait(min(SCAN_EVERY_S, every)):
            try:
                if time.monotonic() - self._last_beat >= every:
                    self.beat()
                self.scan()
                self.look_for_lost()
            except redis.RedisError as exc:  # Redis restarting: try again next round
                log.warning("recovery.loop-error", error=str(exc))
            except Exception:  # never let the thread die: recovery would stop silently
                log.exception("recovery.loop-bug")


_recovery: Recovery | None = None


class RecoveryStep(bootsteps.StartStopStep):
    """Celery consumer bootstep: started on every (re)connection to the broker."""

    requires: ClassVar[set[str]] = {"celery.worker.consumer.tasks:Tasks"}

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        global _recovery  # noqa: PLW0603 - one per worker process (its main process)
        super().__init__(parent, **kwargs)
        if _recovery is None:  # before the first message can arrive
            from worker.flow.app import redis_url

            _recovery = Recovery(RecordStore.from_url(redis_url(), process_keys()), parent.hostname,
                                 app=parent.app)

    def start(self, parent: Any) -> None:
        if _recovery is not None:
            _recovery.start_instance()

    def stop(self, parent: Any) -> None:
        if _recovery is not None:
            _recovery.connection_lost()

    def shutdown(self, parent: Any) -> None:
        if _recovery is not None:
            _recovery.stop()


def on_task_received(request: Any) -> None:
    """Celery's task_received (main process): note the tag before the task can run."""
    message = getattr(request, "message", None)
    tag = getattr(message, "delivery_tag", None)
    if _recovery is None or tag is None:
        return
    try:
        _recovery.took(str(tag))
        token = (getattr(message, "headers", None) or {}).get(MESSAGE_HEADER)
        note_taken(_recovery.r, _recovery.keys, str(getattr(request, "id", "") or ""), token, str(tag))
    except redis.RedisError as exc:  # the visibility timeout still brings it back
        log.warning("recovery.note-error", error=str(exc))


def patch_kombu_restore() -> None:
    """Keep the worker alive when its broker connection drops (kombu 5.7, Redis transport).

    On a lost connection Celery releases the connection, which clears the transport's
    `client`, and then closes the channel; closing restores the unacked messages through a
    client built from that cleared `client` and raises AttributeError ('NoneType' object
    has no attribute 'hostname'), which ends the worker (tests/test_redis_restart.py).
    Redis is unreachable at that moment anyway, so restoring could not succeed: skip it,
    keep the messages in Redis's `unacked` hash, and let this worker reclaim its previous
    instance once it is connected again (RecoveryStep.start)."""
    from kombu.transport import redis as kombu_redis

    original: Callable[[Any, Any], Any] = kombu_redis.QoS.restore_unacked
    if getattr(original, "servo_patched", False):
        return

    def restore_unacked(self: Any, client: Any = None) -> Any:
        if client is None and getattr(getattr(self.channel, "connection", None), "client", None) is None:
            log.warning("recovery.restore-deferred", messages=len(self._delivered))
            self._delivered.clear()
            return None
        return original(self, client)

    # The same cleared connection ends the worker a second way: a task that was running when
    # the connection dropped finishes after the reconnect and acks (or rejects) through its
    # old, closed channel. Its message is in the `unacked` hash, which this worker reclaims
    # once connected (RecoveryStep.start), and the step's message token drops the reclaimed
    # copy if the step has moved on: so a late settlement on a closed channel is skipped.
    def settle_on(method: Any) -> Any:
        def settle(self: Any, delivery_tag: Any, *args: Any, **kwargs: Any) -> Any:
            if getattr(getattr(self.channel, "connection", None), "client", None) is None:
                log.warning("recovery.late-ack-skipped", delivery_tag=str(delivery_tag))
                self._delivered.pop(delivery_tag, None)
                return None
            return method(self, delivery_tag, *args, **kwargs)
        return settle

    restore_unacked.servo_patched = True  # type: ignore[attr-defined]
    kombu_redis.QoS.restore_unacked = restore_unacked  # type: ignore[method-assign]
    kombu_redis.QoS.ack = settle_on(kombu_redis.QoS.ack)  # type: ignore[method-assign]
    kombu_redis.QoS.reject = settle_on(kombu_redis.QoS.reject)  # type: ignore[method-assign]


# -- one live message per step -----------------------------------------------------------
#
# A worker killed after it sent a step's next message (a poll's retry, the chain's next
# stage) but before it acked its own leaves two messages of the step: the next one, run at
# once by another worker, and its own, reclaimed later. Both would go on, and the step's
# later stages (and the next steps' adjusts) would run twice. So every stage message gets a
# token when it is sent, the step keeps its current and next token, and a message whose
# token is neither is a stale copy: the task drops it without continuing the chain.

MESSAGE_HEADER = "servo_message"  # a header of our own on each stage message
CURSOR_TTL_S = 7 * 24 * 3600

# A Lua helper for the scripts on a step's cursor (KEYS[1]): forget the delivery tags under
# which workers took the step's messages (`taken:<token>`), but `keep`'s.
_DROP_TAGS = """
local function drop_tags(keep)
  for _, f in ipairs(redis.call('hkeys', KEYS[1])) do
    if string.sub(f, 1, 6) == 'taken:' and f ~= keep then redis.call('hdel', KEYS[1], f) end
  end
end
"""
# KEYS: the step's cursor. ARGV: the message's token ('' for a message sent without one), the
# cursor's TTL, the delivery tag the worker took it under ('' if unknown). A step with no cursor
# yet takes its first message as the current one. A
# sleeping poll's next message may have a twin sent early (`wake`, worker.flow.watch), and a
# lost message a twin sent again (`find_lost`): whichever of the two comes first runs, and
# the other is then a stale copy (the current message run again makes its twin stale too).
_ADMIT = _DROP_TAGS + """
local function running()
  if ARGV[1] ~= '' and ARGV[3] ~= '' then redis.call('hset', KEYS[1], 'taken:' .. ARGV[1], ARGV[3]) end
  return 1
end
if redis.call('exists', KEYS[1]) == 0 then
  redis.call('hset', KEYS[1], 'current', ARGV[1])
  redis.call('expire', KEYS[1], ARGV[2])
  return running()
end
local current = redis.call('hget', KEYS[1], 'current') or ''
local nxt = redis.call('hget', KEYS[1], 'next')
local wake = redis.call('hget', KEYS[1], 'wake')
if ARGV[1] == current then
  redis.call('hdel', KEYS[1], 'wake')
  return running()
end
if (nxt and ARGV[1] == nxt) or (wake and ARGV[1] == wake) then
  redis.call('hset', KEYS[1], 'current', ARGV[1])
  redis.call('hdel', KEYS[1], 'next', 'wake', 'missing')
  drop_tags('taken:' .. ARGV[1])
  return running()
end
return 0
"""


def on_publish(r: redis.Redis, keys: Keys, headers: dict[str, Any], step_id: str,
               sent: dict[str, Any] | None = None) -> str:
    """A step's message is about to be sent: give it a token, and make it the step's next.
    With `sent` (what `send_again` needs), the step is in flight until that message's run
    ends (`run_ended`): `find_lost` sends it again should it vanish on the way."""
    token = uuid.uuid4().hex
    headers[MESSAGE_HEADER] = token
    cursor = keys.cursor(step_id)
    pipe = r.pipeline()
    pipe.hset(cursor, "next", token)
    pipe.hdel(cursor, "wake", "missing", "resent")  # a twin of an earlier next is as stale as it is
    if sent is None:
        pipe.hdel(cursor, "sent")
        pipe.zrem(keys.in_flight, step_id)
    else:
        pipe.hset(cursor, "sent", json.dumps(sent))
        pipe.zadd(keys.in_flight, {step_id: time.time()})
    pipe.expire(cursor, CURSOR_TTL_S)
    pipe.execute()
    return token


def admit(r: redis.Redis, keys: Keys, step_id: str, token: str | None, tag: str | None = None) -> bool:
    """True when this message is the step's current or next one (it may run). `tag`: the
    delivery tag the worker took it under, so a look sees it held while it runs."""
    return bool(r.eval(_ADMIT, 1, keys.cursor(step_id), token or "", CURSOR_TTL_S, tag or ""))


@contextmanager
def stamping(store: RecordStore) -> Iterator[None]:
    """Stamp the stage messages sent meanwhile from this process outside a task (the
    producer's first message of a sweep, which carries the whole sweep's chain) as a task's
    are (worker.flow.tasks._stamp), for `store`'s namespace."""
    from celery import signals

    def stamp(headers: dict[str, Any] | None = None, body: Any = None, routing_key: str | None = None,
              **_: Any) -> None:
        kwargs = body[1] if isinstance(body, list | tuple) and len(body) > 1 else None
        step_id = kwargs.get("step_id") if isinstance(kwargs, dict) else None
        if headers is not None and step_id and MESSAGE_HEADER not in headers:
            sent = resend_entry(headers, body, routing_key)
            on_publish(store.r, store.keys, headers, str(step_id), sent=sent)

    signals.before_task_publish.connect(stamp, weak=False)
    try:
        yield
    finally:
        signals.before_task_publish.disconnect(stamp)


# -- a message lost on the way is sent again ------------------------------------------------
#
# The Redis broker's BRPOP takes a message off its queue, and only then does the worker that
# took it note it in the `unacked` hash. A worker killed in between (or frozen, or cut off
# with the reply on its socket) loses the message for good: it is in no queue and in no
# worker's hands, so neither the reclaim above nor the visibility timeout brings it back, and
# the step (and, in a sweep, every step after it: the chain rides in the message) would wait
# forever. The same gap opens again each time a message goes back to its queue (a reclaim, a
# restore) and is taken once more. So the step keeps its newest message (`sent`) from the
# moment it is sent until its run ends (`run_ended`), and the delivery tag under which a worker
# took each of its copies (`taken:<token>`, noted when the worker receives it and again when it
# runs); one worker at a time looks at the steps in flight: a newest message (or its twin)
# neither in the `unacked` hash under its tag nor queued, at two looks LOST_GRACE_S apart, is
# sent again as a twin with a token of its own (as a woken poll's: worker.flow.watch). Should
# the first copy turn up after all, the cursor runs only the first of the two. A run killed by
# its hard time limit is acked without ending: its message is sent again too, and a message
# sent again MAX_RESENDS times ends the step.

LOST_AFTER_S = 2.0  # a step whose newest message was sent this long ago is looked at
LOST_GRACE_S = 2.0  # missing at two looks this far apart: lost
LOST_SCAN_EVERY_S = 2.0  # one worker looks this often (the others skip)
MAX_RESENDS = 3  # the same message lost again and again (revoked? killed at its time limit?): the step ends
# What sending a message again keeps of its headers (Celery's protocol 2).
HEADERS_KEPT = ("task", "id", "shadow", "retries", "root_id", "parent_id", "group", "timelimit", "eta",
                "expires")

# KEYS: the step's cursor. ARGV: the token and broker delivery tag of a message a worker took.
_TAKEN = """
local t = ARGV[1]
if t == redis.call('hget', KEYS[1], 'next') or t == redis.call('hget', KEYS[1], 'wake')
   or t == redis.call('hget', KEYS[1], 'current') then
  redis.call('hset', KEYS[1], 'taken:' .. t, ARGV[2])
end
return 0
"""
# KEYS: the step's cursor, the in-flight zset. ARGV: the step id, the token of the run that ended.
_ENDED = _DROP_TAGS + """
if redis.call('hget', KEYS[1], 'current') == ARGV[2] and not redis.call('hget', KEYS[1], 'next') then
  redis.call('hdel', KEYS[1], 'sent', 'wake', 'missing', 'resent')
  drop_tags(nil)
  redis.call('zrem', KEYS[2], ARGV[1])
end
return 0
"""
# KEYS: the queues. Every message token in a queued message: its headers are plain JSON after
# the base64 body (which a long sweep's chain makes 100 KB), so a plain find (memchr) gets there.
_QUEUED = """
local seen = {}
for i = 1, #KEYS do
  for _, v in ipairs(redis.call('lrange', KEYS[i], 0, -1)) do
    local at = string.find(v, '"servo_message":', 1, true)
    local t = at and string.match(v, '^%s*"(%x+)"', at + 16)
    if t then seen[#seen + 1] = t end
  end
end
return seen
"""
# KEYS: the step's cursor, the in-flight zset, the unacked hash. ARGV: the step id, '1' when the
# newest message or its twin was found queued, now, the grace, a new twin's token, the cursor's
# TTL, the most resends. The newest message is the next one, or the current one while it runs.
# Returns nil (nothing to do), {'resend', sent} or {'lost', ''} (given up).
_LOST = _DROP_TAGS + """
local f = redis.call('hmget', KEYS[1], 'current', 'next', 'wake', 'missing', 'sent')
local current, nxt, wake, missing, sent = f[1], f[2], f[3], f[4], f[5]
if not sent then redis.call('zrem', KEYS[2], ARGV[1]) return false end
local function held(token)
  local tag = token and redis.call('hget', KEYS[1], 'taken:' .. token)
  return tag and redis.call('hexists', KEYS[3], tag) == 1
end
local present = ARGV[2] == '1' or held(nxt or current) or held(wake)
if present then redis.call('hdel', KEYS[1], 'missing') return false end
missing = tonumber(missing or '')
if not missing then redis.call('hset', KEYS[1], 'missing', ARGV[3]) return false end
if tonumber(ARGV[3]) - missing < tonumber(ARGV[4]) then return false end
redis.call('hdel', KEYS[1], 'missing')
if redis.call('hincrby', KEYS[1], 'resent', 1) > tonumber(ARGV[7]) then
  redis.call('zrem', KEYS[2], ARGV[1])
  redis.call('hdel', KEYS[1], 'next', 'wake', 'sent', 'resent')
  drop_tags(nil)
  redis.call('hset', KEYS[1], 'current', 'lost')
  return {'lost', ''}
end
redis.call('hset', KEYS[1], 'wake', ARGV[5])
redis.call('expire', KEYS[1], ARGV[6])
return {'resend', sent}
"""


def resend_entry(headers: Mapping[str, Any], body: Any, routing_key: str | None) -> dict[str, Any]:
    """What `send_again` needs of a stage message being published (Celery's protocol 2)."""
    args, kwargs, embed = body
    return {"args": args, "kwargs": kwargs, "embed": embed, "queue": routing_key,
            **{k: headers.get(k) for k in HEADERS_KEPT}}


def send_again(app: Any, entry: Mapping[str, Any], token: str, *, now: bool = False) -> None:
    """Publish the message `entry` describes once more, with the token `token`: with its time
    limits, expiry and countdown (its ETA), or, with `now`, to run at once (a woken poll)."""
    embed = entry["embed"] or {}
    hard, soft = (entry.get("timelimit") or (None, None))[:2]
    eta = None if now or not entry.get("eta") else datetime.fromisoformat(entry["eta"])
    expires = datetime.fromisoformat(entry["expires"]) if entry.get("expires") else None
    app.send_task(entry["task"], args=entry["args"], kwargs=entry["kwargs"], task_id=entry["id"],
                  chain=embed.get("chain"), link=embed.get("callbacks"), link_error=embed.get("errbacks"),
                  chord=embed.get("chord"), shadow=entry["shadow"], retries=entry["retries"] or 0,
                  root_id=entry["root_id"], parent_id=entry["parent_id"], group_id=entry["group"],
                  queue=entry["queue"], headers={MESSAGE_HEADER: token}, time_limit=hard,
                  soft_time_limit=soft, eta=eta, expires=expires)


def note_taken(r: redis.Redis, keys: Keys, task_id: str, token: str | None, tag: str) -> None:
    """A worker took a step's message (it is in the `unacked` hash under `tag` now)."""
    if token:
        r.eval(_TAKEN, 1, keys.cursor(step_of(task_id)), token, tag)


def run_ended(r: redis.Redis, keys: Keys, step_id: str, token: str | None) -> None:
    """A run of the step's current message ended: unless it sent the step's next message (a
    retry, the next stage), the step has nothing in flight any more."""
    r.eval(_ENDED, 2, keys.cursor(step_id), keys.in_flight, step_id, token or "")


def find_lost(store: RecordStore, app: Any, by: str, at: float | None = None) -> list[str]:
    """One look at the steps in flight: each whose newest message is lost is sent again (or,
    lost more than MAX_RESENDS times in a row, its step ends saying so). Returns the steps
    acted on."""
    r, keys = store.r, store.keys
    at = time.time() if at is None else at
    due = [str(s) for s in r.zrangebyscore(keys.in_flight, "-inf", at - LOST_AFTER_S)]
    if not due:
        return []
    pipe = r.pipeline(transaction=False)
    for step_id in due:
        pipe.hmget(keys.cursor(step_id), "current", "next", "wake")
    cursors = pipe.execute()
    queued = {str(t) for t in r.eval(_QUEUED, len(keys.queues), *keys.queues) or []}
    acted = []
    for step_id, (current, nxt, wake) in zip(due, cursors, strict=True):
        found = (nxt or current) in queued or (wake is not None and wake in queued)
        twin = uuid.uuid4().hex
        out = r.eval(_LOST, 3, keys.cursor(step_id), keys.in_flight, UNACKED, step_id, "1" if found else "0",
                     at, LOST_GRACE_S, twin, CURSOR_TTL_S, MAX_RESENDS)
        if not out:
            continue
        acted.append(step_id)
        what, sent = (x.decode() if isinstance(x, bytes) else str(x) for x in out)
        if what == "lost":
            _give_up(store, step_id)
            continue
        entry = json.loads(sent)
        send_again(app, entry, twin)
        log.warning("recovery.resent", step_id=step_id, task_id=entry["id"], task=entry["task"])
        note = {"at": now(), "by": by, "task": entry["task"], "task_id": entry["id"]}
        with contextlib.suppress(KeyError):  # not a step of this namespace (or long gone)
            store.update(step_id, lambda rec, n=note: rec.update(  # type: ignore[misc]
                resent=[*(rec.get("resent") or []), n]))
    return acted


def _give_up(store: RecordStore, step_id: str) -> None:
    message = (f"its newest message was lost {MAX_RESENDS + 1} times (revoked in Flower, its run killed at "
               "its hard time limit, or workers killed as they took it): the step stopped where it was, so "
               "look at the service; the steps after it in its sweep do not start")
    record = store.get(step_id)
    if record is None or record["status"] in TERMINAL:
        log.warning("recovery.lost-after-end", step_id=step_id)
        return
    log.error("recovery.lost", step_id=step_id, message=message)
    store.finish(step_id, "failed", reason="lost", message=message)
