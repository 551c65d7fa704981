"""The account's AWS API budget, shared by every worker: one Redis token bucket per API
family, taken from by one Lua script.

AWS throttles reads per account and region, shared with the console and every CI deploy
(AWS_SUSTAINED below has the published rates). By default the workers together spend at
most half of the sustained rates; `$SERVO_API_BUDGET` ("services=10,tasks=10,elb=5", and
taskdefs, updates, registers, logs) sets other rates. An empty bucket is not an error: the caller
uses the view it has and looks again later, so detection slows down and is never throttled.

A second script (LOOK) reads a poll's view and, when it is stale, claims the services one
DescribeServices covers (worker/aws/looks.py) in the same round trip: the asker and the settling
services of its cluster whose views are oldest and not being described by another claim, so
batches fill and, when the budget is short, every service still gets its turn.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from worker.contract import constants as C
from worker.contract.errors import ConfigError
from worker.contract.namespace import Keys
from worker.contract.numbers import check_number, number_problem, parse_number
from worker.flow import logs

log = logs.get("servo.budget")

SERVICES, TASKS, ELB = "ecs.service-read", "ecs.task-read", "elbv2.describe"  # emulator/throttle.py
TASK_DEFS = "ecs.task-definition-read"  # adjust's DescribeTaskDefinition and revision scan
UPDATES = "ecs.service-write"  # adjust's UpdateService (a rollback's is never held back)
REGISTERS = "ecs.task-definition-write"  # adjust's RegisterTaskDefinition, when no revision is reused
LOGS = "logs.get-log-events"  # a stopped task's last log lines (worker/aws/tasklogs.py)
SHORT_NAMES = {"services": SERVICES, "tasks": TASKS, "elb": ELB, "taskdefs": TASK_DEFS, "updates": UPDATES,
               "registers": REGISTERS, "logs": LOGS}
# AWS's published sustained rates per account and region for these families (the ECS and
# ELB API throttling pages; the sandbox enforces the same in emulator/throttle.py, which the
# worker never imports), and the default: half of each.
AWS_SUSTAINED: dict[str, float] = {SERVICES: 20.0, TASKS: 20.0, ELB: 10.0, TASK_DEFS: 20.0, UPDATES: 5.0,
                                   REGISTERS: 1.0, LOGS: 25.0}  # GetLogEvents: CloudWatch Logs quotas
DEFAULT_RATES: dict[str, float] = {family: rate / 2 for family, rate in AWS_SUSTAINED.items()}
MAX_RATE = 1000.0
BATCH = 10  # DescribeServices names at most 10 services a call
IN_FLIGHT_S = 5.0  # a claim's mark on its services outlives any DescribeServices that returns
LOG_EVERY_S = 60.0
LINE = "adjust-line"  # zset under the budget's keys: steps waiting for their adjust's tokens
ADJUST_SERVICE_READS = 1  # what an adjust takes from the service reads: the pre-step snapshot
BUDGET_WAIT_S = 0.3  # the shortest wait of a step in that line
LINE_WAIT_MAX_S = 10.0  # the longest (its place is kept: it comes back to a shorter one)
LINE_FORGET_S = 300.0

# KEYS: buckets; ARGV: rate, burst, cost, reserve per bucket. `reserve` tokens stay for others
# (looks). Every bucket's tokens are taken, or none. Returns {1, 0} when taken, {0, ms until
# enough} when not.
BUCKET = """
local function level(key, rate, burst)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
  local b = redis.call('HMGET', key, 'tokens', 'at')
  local tokens = tonumber(b[1]) or burst
  local at = tonumber(b[2]) or now
  return math.min(burst, tokens + math.max(0, now - at) * rate), now
end
local function keep(key, tokens, now)
  redis.call('HSET', key, 'tokens', tostring(tokens), 'at', tostring(now))
  redis.call('EXPIRE', key, 3600)
end
local function take(key, rate, burst, cost, reserve)
  local tokens, now = level(key, rate, burst)
  if tokens - cost < reserve then
    return {0, math.ceil((cost + reserve - tokens) / rate * 1000)}
  end
  keep(key, tokens - cost, now)
  return {1, 0}
end
"""
TAKE = BUCKET + """
local levels, wait = {}, 0
for i, key in ipairs(KEYS) do
  local rate, burst = tonumber(ARGV[4 * i - 3]), tonumber(ARGV[4 * i - 2])
  local cost, reserve = tonumber(ARGV[4 * i - 1]), tonumber(ARGV[4 * i])
  local tokens, now = level(key, rate, burst)
  levels[i] = {tokens - cost, now}
  if tokens - cost < reserve then
    wait = math.max(wait, math.ceil((cost + reserve - tokens) / rate * 1000))
  end
end
if wait > 0 then return {0, wait} end
for i, key in ipairs(KEYS) do keep(key, levels[i][1], levels[i][2]) end
return {1, 0}
"""

# One round trip per look (worker/aws/looks.py): read the asker's view and, when it is not fresh,
# claim one DescribeServices. KEYS: bucket, wanted zset, looked zset, view hash, adjust line;
# ARGV: rate, burst, asker, now (the caller's clock, as the views' times are), since, fresh s,
# window s, batch, in-flight s, the tokens to leave while a step waits in the adjust line.
#
# While a step waits for its adjust, a look leaves it its service read: with many services
# settling the poll cap has the looks spend the whole budget, and an adjust that had to find
# half the bucket full (the rule before) starved behind them: 200 services rolling out for
# 90-120 s at once settled 108 steps in 380 s. The adjusts' own pace (their task definition
# reads, 2.5 a second at the default budget) bounds what they take from the looks.
#
# `looked` holds, per service, when the view in the hash was taken, or, while a claim's call
# is in flight, a time in the future (now + in-flight s): a claim names only services whose
# view is older than the fresh window and not in flight, so two claims never pay for the same
# service, and the batch fills with the oldest views. A describer that dies leaves its mark
# to expire. Returns {kind, view or false, names...}: FRESH (the view answers the look, no
# call), IN_FLIGHT (another claim is describing the asker now), SHORT (no token), CLAIMED
# (a token, and the names the call covers: the asker first).
FRESH, IN_FLIGHT, SHORT, CLAIMED = 3, 2, 0, 1
LOOK = BUCKET + """
local me, now, since, fresh = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local window, size, inflight = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
redis.call('ZADD', KEYS[2], now, me)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
redis.call('EXPIRE', KEYS[2], 3600)
local view = redis.call('HGET', KEYS[4], me)
local mine = tonumber(redis.call('ZSCORE', KEYS[3], me))
if mine and mine > now then return {2, view} end
if view and mine and mine >= since and now - mine <= fresh then return {3, view} end
local reserve = 0
if redis.call('ZCARD', KEYS[5]) > 0 then reserve = tonumber(ARGV[10]) end
if take(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), 1, reserve)[1] == 0 then return {0, view} end
local rows = {}
for _, name in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  if name ~= me then
    local looked = tonumber(redis.call('ZSCORE', KEYS[3], name)) or 0
    if looked < now - fresh then rows[#rows + 1] = {name, looked} end
  end
end
table.sort(rows, function(x, y) return x[2] < y[2] end)
local out = {1, view, me}
redis.call('ZADD', KEYS[3], now + inflight, me)
for i = 1, math.min(size - 1, #rows) do
  out[#out + 1] = rows[i][1]
  redis.call('ZADD', KEYS[3], now + inflight, rows[i][1])
end
redis.call('EXPIRE', KEYS[3], 3600)
return out
"""

# One round trip per round of the watch loop (worker/flow/watch.py), per cluster: claim one
# DescribeServices for the services whose polls sleep and whose views are older than `stale`
# (the look period), oldest first, not in flight. KEYS: bucket, sleeping zset (service ->
# until when its poll sleeps), looked zset, adjust line, wake hash, watched set; ARGV: rate,
# burst, now, stale s, batch, in-flight s, the tokens to leave while a step waits in the adjust
# line, the cluster. Polls past their `until` are forgotten (their worker died, or their step
# moved on without saying). Returns {kind, ms to wait, names...}: CLAIMED (the names), IDLE
# (nothing is due: ms until the first view is), SHORT (no token: ms until one).
IDLE = 4
WATCH = BUCKET + """
local now, stale, size, inflight = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
for _, name in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)) do
  redis.call('HDEL', KEYS[5], name)
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) == 0 then
  redis.call('SREM', KEYS[6], ARGV[8])
  return {4, math.ceil(stale * 1000)}
end
local rows, soonest = {}, stale
for _, name in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  local looked = tonumber(redis.call('ZSCORE', KEYS[3], name)) or 0
  if looked <= now - stale then
    rows[#rows + 1] = {name, looked}
  elseif looked <= now then
    soonest = math.min(soonest, looked + stale - now)
  end
end
if #rows == 0 then return {4, math.max(1, math.ceil(soonest * 1000))} end
local reserve = 0
if redis.call('ZCARD', KEYS[4]) > 0 then reserve = tonumber(ARGV[7]) end
local got = take(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), 1, reserve)
if got[1] == 0 then return {0, got[2]} end
table.sort(rows, function(x, y) return x[2] < y[2] end)
local out = {1, 0}
for i = 1, math.min(size, #rows) do
  out[#out + 1] = rows[i][1]
  redis.call('ZADD', KEYS[3], now + inflight, rows[i][1])
end
redis.call('EXPIRE', KEYS[3], 3600)
return out
"""


def parse_budget(text: str) -> dict[str, float]:
    """`services=10,tasks=10,elb=5` (any of them; full family names too) over the defaults."""
    rates = dict(DEFAULT_RATES)
    problems = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, sep, raw = part.partition("=")
        family = SHORT_NAMES.get(name.strip(), name.strip())
        if not sep or family not in DEFAULT_RATES:
            problems.append(f"${C.ENV_API_BUDGET}: {part!r} is not NAME=CALLS_PER_SECOND with NAME one of "
                            f"{', '.join(SHORT_NAMES)}")
            continue
        parsed = parse_number(raw.strip())
        if parsed is None:
            problems.append(f"${C.ENV_API_BUDGET} {name.strip()}: {number_problem(raw.strip())}")
            continue
        value, problem = check_number(parsed, minimum=0, strict_min=True, maximum=MAX_RATE)
        if problem or value is None:
            problems.append(f"${C.ENV_API_BUDGET} {name.strip()}: {problem}")
            continue
        rates[family] = float(value)
    if problems:
        raise ConfigError(problems)
    return rates


def rates_from_env(environ: Mapping[str, str]) -> dict[str, float]:
    return parse_budget(environ.get(C.ENV_API_BUDGET, ""))


def describe(rates: Mapping[str, float]) -> tuple[str, list[str]]:
    """The budget in words, and the families set above AWS's sustained rate (they will be
    throttled once the account's own users call too)."""
    text = ", ".join(f"{short}={rates[family]:g}/s" for short, family in SHORT_NAMES.items())
    over = [f"{short} ({rates[family]:g}/s; AWS sustains {AWS_SUSTAINED[family]:g}/s)"
            for short, family in SHORT_NAMES.items() if rates[family] > AWS_SUSTAINED[family]]
    return text, over


@dataclass
class Meter:
    """This process's calls per family, logged at info level about once a minute."""

    counts: Counter[str] = field(default_factory=Counter)
    since: float = field(default_factory=time.time)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, family: str, calls: int, now: float | None = None) -> dict[str, float] | None:
        """Count; returns the per-second rates when a minute has passed (and they were logged)."""
        now = time.time() if now is None else now
        with self.lock:
            self.counts[family] += calls
            span = now - self.since
            if span < LOG_EVERY_S:
                return None
            rates = {f: round(n / span, 2) for f, n in sorted(self.counts.items())}
            self.counts.clear()
            self.since = now
        log.info("api.calls_per_second", **{f.replace(".", "_").replace("-", "_"): v
                                            for f, v in rates.items()})
        return rates


METER = Meter()


@dataclass(frozen=True)
class Budget:
    """Takes tokens from the account's buckets for this namespace's workers."""

    r: Any
    keys: Keys
    rates: Mapping[str, float]

    def burst(self, family: str) -> float:
        # One second's worth: over any window the calls stay near the rate (at least two
        # tokens: ListTasks and DescribeTasks are taken together, or they would wait forever;
        # and a bucket below one a second still holds the one token a call needs).
        return max(2.0, self.rates[family])

    def take(self, family: str, cost: int = 1, reserve: float = 0.0) -> bool:
        """Take `cost` calls' tokens from the family's bucket, leaving at least `reserve` of
        them for others; False: spend nothing now."""
        return self.take_all({family: (cost, reserve)})

    def take_all(self, costs: Mapping[str, tuple[int, float]]) -> bool:
        """Take (cost, reserve) from each family's bucket at once, or from none (False)."""
        families = list(costs)
        args: list[Any] = []
        for family in families:
            args += [self.rates[family], self.burst(family), *costs[family]]
        reply = self.r.eval(TAKE, len(families), *(self.keys.budget(f) for f in families), *args)
        if int(reply[0]) != 1:
            return False
        for family in families:
            METER.count(family, costs[family][0])
        return True

    def wait_in_line(self, step_id: str, per_s: float) -> float:
        """Seconds until a step that found the budget short should try again: its place among
        the steps waiting (first come first) over the `per_s` that the budget lets through, so
        200 waiting steps do not each come back every BUDGET_WAIT_S (their retries alone
        would load the workers more than their looks)."""
        key, now = self.keys.budget(LINE), time.time()
        pipe = self.r.pipeline(transaction=False)
        pipe.zadd(key, {step_id: now}, nx=True)
        pipe.zremrangebyscore(key, "-inf", now - LINE_FORGET_S)  # steps that left without saying
        pipe.zrank(key, step_id)
        pipe.expire(key, int(LINE_FORGET_S))
        rank = pipe.execute()[2] or 0
        return min(LINE_WAIT_MAX_S, max(BUDGET_WAIT_S, (int(rank) + 1) / max(per_s, 1e-3)))

    def leave_line(self, step_id: str) -> None:
        self.r.zrem(self.keys.budget(LINE), step_id)

    def look(self, cluster: str, view_key: str, asker: str, *, now: float, since: float, fresh: float,
             window: float = C.SETTLING_WINDOW_S, batch: int = BATCH, in_flight: float = IN_FLIGHT_S,
             for_adjusts: float = ADJUST_SERVICE_READS) -> tuple[int, str | None, list[str]]:
        """The asker's view and, when it is not fresh (nor being described now), one
        DescribeServices' token and the services it covers: (kind, the stored view or None,
        names). See LOOK."""
        reply = self.r.eval(LOOK, 5, self.keys.budget(SERVICES), self.keys.wanted(cluster),
                            self.keys.looked(cluster), view_key, self.keys.budget(LINE),
                            self.rates[SERVICES], self.burst(SERVICES), asker, repr(now), repr(since),
                            fresh, window, batch, in_flight, for_adjusts)
        kind, view = int(reply[0]), (str(reply[1]) if reply[1] else None)
        if kind == CLAIMED:
            METER.count(SERVICES, 1)
        return kind, view, [str(n) for n in reply[2:]]

    def watch(self, cluster: str, *, now: float, stale: float, batch: int = BATCH,
              in_flight: float = IN_FLIGHT_S, for_adjusts: float = ADJUST_SERVICE_READS,
              ) -> tuple[int, float, list[str]]:
        """One DescribeServices' token and the sleeping polls' services it covers, when any is
        due: (kind, seconds to wait before asking again, names). See WATCH."""
        k = self.keys
        reply = self.r.eval(WATCH, 6, k.budget(SERVICES), k.sleeping(cluster), k.looked(cluster),
                            k.budget(LINE), k.wake(cluster), k.watched, self.rates[SERVICES],
                            self.burst(SERVICES), repr(now), stale, batch, in_flight, for_adjusts, cluster)
        kind = int(reply[0])
        if kind == CLAIMED:
            METER.count(SERVICES, 1)
        return kind, int(reply[1]) / 1000, [str(n) for n in reply[2:]]
