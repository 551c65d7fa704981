"""What a measurement rules out, beyond itself (pure).

A service does not get slower with more capacity: a size that misses the SLO by far rules
out every size with no more vCPU, no more memory and no more replicas (it *dominates*
them). "By far" leaves room for what the environment could still change at those sizes
(`env_gain`, learnt by producer/capacity.py) and for noise. A start that failed for
memory (the container OOM-killed, exit 137) rules out every size with no more memory,
under the same environment or one known to need more memory (and, once an OOM has shown
that memory need grows with replicas or cpu, with no fewer of them). A runtime's own heap
running out (Java's "OutOfMemoryError: Java heap space", Node's "JavaScript heap out of
memory") is another kind: the heap a variable sets was too small, so the variable that
set it must go the other way from a container OOM's (a bigger HEAP_PCT, not a smaller
one). It rules out no more memory under the same environment, and under others only where a
variable's way is known: one named for the heap it sets (a smaller one runs out first), or
once two tries have shown which way it needs more heap. A message with both (one task
OOM-killed, another out of heap; a JVM told to kill itself on OOM) is a container OOM: the
container's limit is what stopped it. Any other failed start says nothing about other sizes
by itself, but an environment that has failed at sizes at least as big and started at none is
likely the cause (`env_starts`). A start that failed on a limit the tasks share (a database's
connections: "too many clients") rules out, at every cpu and memory, the configurations with no
fewer replicas and no smaller a pool (`limit_starts`). A start vouches only for what it shows:
sizes needing no more memory than it did, by the same rules, kind by kind.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from producer import objectives as obj
from producer.space import value_text

SIZE_KEYS = ("cpu", "mem", "replicas")
SIZE_CAUSES = ("cpu", "replicas")  # sizes that may grow a task's memory need (`hungrier`)
FAR = 1.5  # a miss by more than 50 % is far: no noise or environment seen here makes that up
NOT_ITS_OWN = ("timeout", "cancelled")  # rejections a configuration did not cause (a slow image pull)
OTHER_START = 0.5  # an environment's chance to start, per failed start of it (not memory's) and none started
UNKNOWN_START = 0.7  # memory between an OOM and a start: most services fit more often than not
MEMORY_SIGNS = re.compile(r"outofmemory|out of memory|exit code 137|\boom")  # "oom-kill", not "room"
KILLED_SIGNS = ("exit code 137", "container killed due to memory")  # the container's limit, not a heap's
HEAP_SIGNS = ("java heap space", "javascript heap out of memory", "gc overhead limit exceeded")
# a limit the tasks share, not a task's own: a database's connections (Postgres, MySQL, RDS Proxy)
LIMIT_SIGNS = ("too many clients", "too many connections", "connection slots are reserved",
               "max_connections", "connection limit exceeded")


class Measured(NamedTuple):
    """A measured configuration (sizes filled in), its outcome and its trial."""

    settings: Mapping[str, Any]
    outcome: obj.Outcome
    trial: int | None = None


def miss(goal: obj.Goal, result: obj.Outcome) -> float:
    """How far the worst SLO was missed, relative to its limit (negative: met with room)."""
    values = [v for k, v in obj.constraints(goal, result).items() if k != "started"]
    return max(values, default=0.0 if result.status == "succeeded" else obj.REJECTED_VIOLATION)


def memory_failure(result: obj.Outcome) -> bool:
    """A failed start whose message says the container's memory ran out (not a heap's)."""
    return bool(MEMORY_SIGNS.search(_failure_text(result))) and not heap_failure(result)


def heap_failure(result: obj.Outcome) -> bool:
    """A failed start whose message says a runtime's heap ran out (the heap it was given was
    too small, whatever memory the container had left), and not that the container was killed."""
    text = _failure_text(result)
    return any(sign in text for sign in HEAP_SIGNS) and not any(sign in text for sign in KILLED_SIGNS)


Failure = Callable[[obj.Outcome], bool]
# A variable that sets a runtime's heap has one of these words in its name (HEAP_PCT, JAVA_XMX_MB,
# MaxRAMPercentage, MAX_OLD_SPACE_SIZE, GCHeapHardLimit) and none of NOT_HEAP_WORDS (a cache or a
# dump held in the heap, a ratio of it left free: more of those runs the heap out sooner).
HEAP_WORDS = ("HEAP", "XMX", "MAXRAM", "MAX_RAM", "OLD_SPACE")
NOT_HEAP_WORDS = ("CACHE", "DUMP", "FREE", "BUFFER")


def _holds_more(name: str) -> int | None:
    """A container OOM's way: up, as a rule (a bigger GOGC, pool or cache holds more)."""
    return 1


def _heap_way(name: str) -> int | None:
    """A heap OOM's way: down for a variable named for the heap it sets (`HEAP_WORDS`, as whole
    words: CHEAP_MODE is not one; a smaller heap runs out first), else not known until two
    tries say."""
    words = "_".join(re.split(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", name)).upper()
    padded = f"_{words}_"
    if any(f"_{w}_" in padded for w in NOT_HEAP_WORDS):
        return None
    return -1 if any(f"_{w}_" in padded for w in HEAP_WORDS) else None


# The kinds of failed start a size or an environment can cause, and the way an environment
# variable needs more of what ran out until two tries say (None: not known, only the same value counts).
FAILURES: tuple[tuple[Failure, Callable[[str], int | None]], ...] = ((memory_failure, _holds_more),
                                                                      (heap_failure, _heap_way))
Hunger = tuple[dict[str, int], ...]  # `hungrier` for each of FAILURES, in order


def limit_failure(result: obj.Outcome) -> bool:
    """A failed start whose message says a limit the tasks share ran out (a database's connections)."""
    return any(sign in _failure_text(result) for sign in LIMIT_SIGNS)


def limit_starts(settings: Mapping[str, Any], env_keys: Sequence[str], measured: Sequence[Measured]) -> float:
    """0 when a start that failed on a limit the tasks share (`limit_failure`) had no more
    replicas and asked no more of every variable (a number no bigger, any other value the
    same): each task holds its pool of the limit, so more tasks or bigger pools fail too,
    whatever the cpu and memory. 1 when a start asked at least as much (it vouches), or
    otherwise. A connection pool of 28 on three tasks failing says a pool of 28 on five will."""
    def asks_no_more(less: Mapping[str, Any], more: Mapping[str, Any]) -> bool:
        return all(value_text(less.get(k)) == value_text(more.get(k))
                   or (_numeric(less.get(k), more.get(k)) and float(less[k]) <= float(more[k]))
                   for k in (*env_keys, "replicas"))

    if any(m.outcome.status == "succeeded" and asks_no_more(settings, m.settings) for m in measured):
        return 1.0
    if any(limit_failure(m.outcome) and asks_no_more(m.settings, settings) for m in measured):
        return 0.0
    return 1.0


def ran_out(result: obj.Outcome) -> bool:
    """A failed start of any kind in `FAILURES`: the container's memory or a runtime's heap."""
    return any(failed(result) for failed, _ in FAILURES)


def dominates(bigger: Mapping[str, Any], smaller: Mapping[str, Any]) -> bool:
    """`smaller` has no more of any size than `bigger` (sizes both name)."""
    return all(float(smaller[k]) <= float(bigger[k]) for k in SIZE_KEYS if k in bigger and k in smaller)


def far_misses(goal: obj.Goal, measured: Sequence[Measured], env_gain: float) -> list[Measured]:
    """Measurements whose miss no environment or noise seen here could make up. Only a size's
    best try counts: a size that another environment served better is judged by that one (a
    pool of two connections says nothing of the size under ten)."""
    limit = FAR * max(1.0, env_gain) - 1
    best: dict[tuple[float, ...], Measured] = {}
    for m in measured:
        if m.outcome.status != "succeeded":
            continue
        size = tuple(float(m.settings.get(k, 0) or 0) for k in SIZE_KEYS)
        if size not in best or miss(goal, m.outcome) < miss(goal, best[size].outcome):
            best[size] = m
    return [m for m in best.values() if miss(goal, m.outcome) > limit]


def ruled_out_by(size: Mapping[str, Any], far: Sequence[Measured]) -> Measured | None:
    """The first far miss that dominates `size`, if any."""
    return next((m for m in far if dominates(m.settings, size)), None)


def hungrier(env_keys: Sequence[str], measured: Sequence[Measured], failed: Failure = memory_failure,
             way: Callable[[str], int | None] = _holds_more) -> dict[str, int]:
    """Per variable, the direction (+1 up, -1 down) that needs more memory (or, with `failed`
    another kind, more of what ran out). Environment variables: the kind's `way` (None: no
    direction, only the same value counts) until two tries that differ *only* in that variable
    (same cpu and replicas too), one failed and one started with no more memory, say
    otherwise. Sizes: memory need is taken not to grow with cpu or replicas until a failure
    contradicts a start with no more memory, and the failure had more of one (a table per
    peer, an arena per core): then that size counts (+1) from then on, and no environment
    variable is flipped on that comparison, since the size may be the cause. A failure that
    was also hungrier in every variable that differs, by the ways this returns (a bigger
    cache), is no contradiction, and blames no size: blaming the cpu for a cache's OOM kept
    that OOM from ruling out the same cache on a smaller task. The variables are taken as the
    cause there; a pair where the size differs alone, or with a leaner variable, still blames
    it. A way assumed (not learnt) that a failure and a start contradict, where the start was
    as hungry as the failure in every variable that differs, with the same replicas and no
    less cpu, is dropped for those variables (only the same value counts): a smaller Bloom
    filter false-positive rate is the bigger filter, and assuming otherwise let one start
    vouch for every value below it. Tries with other replicas do not count here: a task's
    share of the load, and with it the memory it needs, may fall as replicas rise (sorts or
    uploads in flight)."""
    assumed = {k: d for k in env_keys if (d := way(k)) is not None}
    learned: dict[str, int] = {}
    contradicted: set[str] = set()
    pairs = []  # (failure, start, what differs, the sizes the failure had more of)
    for oom in (m for m in measured if failed(m.outcome)):
        for other in measured:
            if other.outcome.status != "succeeded" or _mem(other) > _mem(oom):
                continue
            differ = [k for k in (*env_keys, *SIZE_CAUSES)
                      if str(other.settings.get(k)) != str(oom.settings.get(k))]
            bigger = [k for k in SIZE_CAUSES if k in differ
                      and _numeric(oom.settings.get(k), other.settings.get(k))
                      and float(oom.settings[k]) > float(other.settings[k])]
            pairs.append((oom, other, differ, bigger))
            if len(differ) == 1 and differ[0] in env_keys and _numeric(oom.settings.get(differ[0]),
                                                                      other.settings.get(differ[0])):
                key = differ[0]
                learned[key] = 1 if float(oom.settings[key]) > float(other.settings[key]) else -1
            elif not bigger and "replicas" not in differ:  # as hungry by every way assumed, yet failed
                env = [k for k in differ if k in env_keys]
                if env and all(k in assumed and _as_hungry(k, other.settings.get(k), oom.settings.get(k),
                                                           assumed) for k in env):
                    contradicted.update(env)
    out = {**{k: d for k, d in assumed.items() if k not in contradicted}, **learned}
    for oom, other, differ, bigger in pairs:
        env = [k for k in differ if k in env_keys]
        # hungrier in every variable that differs, by its way: the variables are the cause
        explained = bool(env) and all(k in out and _as_hungry(k, oom.settings.get(k), other.settings.get(k),
                                                              out) for k in env)
        for key in [] if explained else bigger:
            out[key] = 1
    return out


def oom_predicted(settings: Mapping[str, Any], env_keys: Sequence[str], ooms: Sequence[Measured],
                  hunger: Mapping[str, int]) -> Measured | None:
    """The OOM measurement that says `settings` would run out of memory too, if any: no more
    memory, and every environment variable (and size that counts, `hungrier`) the same or
    further in its hungry direction."""
    keys = _causes(env_keys, hunger)
    for oom in ooms:
        if "mem" in settings and float(settings["mem"]) > float(oom.settings["mem"]):
            continue
        if all(_as_hungry(k, settings.get(k), oom.settings.get(k), hunger) for k in keys):
            return oom
    return None


def hungers(env_keys: Sequence[str], measured: Sequence[Measured]) -> Hunger:
    """`hungrier` for each kind of failure in `FAILURES`."""
    return tuple(hungrier(env_keys, measured, failed, way) for failed, way in FAILURES)


def starts(settings: Mapping[str, Any], env_keys: Sequence[str], measured: Sequence[Measured],
           hunger: Hunger) -> float:
    """The chance that `settings` start: `start_chance` for each kind of failure at once, and
    `env_starts` for the others."""
    chance = math.prod(start_chance(settings, env_keys, measured, kind, failed)
                       for kind, (failed, _) in zip(hunger, FAILURES, strict=True))
    return chance * env_starts(settings, env_keys, measured) * limit_starts(settings, env_keys, measured)


def env_starts(settings: Mapping[str, Any], env_keys: Sequence[str], measured: Sequence[Measured]) -> float:
    """The chance that an environment starts at a size, from its failures at sizes at least as
    big in cpu, memory and replicas: a failed start that is not memory's says nothing of other
    sizes by itself, but an environment that has failed at bigger sizes and started at none is
    likely the cause (PgBouncer's transaction mode with prepared statements fails its health
    checks at every size). `OTHER_START` for each such failure (a timeout or a cancellation,
    not the configuration's doing, does not count); 1 once the environment has started
    anywhere (then a failure is its size's: too little capacity for the health checks), or
    with no environment variables. A failure at a smaller size says nothing of this one."""
    if not env_keys:
        return 1.0
    same = [m for m in measured if all(value_text(m.settings.get(k)) == value_text(settings.get(k))
                                       for k in env_keys)]
    if any(m.outcome.status == "succeeded" for m in same):
        return 1.0
    others = sum(1 for m in same if m.outcome.status == "rejected" and m.outcome.reason not in NOT_ITS_OWN
                 and not ran_out(m.outcome) and dominates(m.settings, settings))
    return float(OTHER_START ** others)


def start_chance(settings: Mapping[str, Any], env_keys: Sequence[str], measured: Sequence[Measured],
                 hunger: Mapping[str, int], failed: Failure = memory_failure) -> float:
    """1 when a try with no more memory and an environment (and sizes that count) as hungry
    started, or when no OOM (`failed`) was seen at this memory or more; 0 when an OOM says it
    will not; else `UNKNOWN_START`, once per OOM at this memory or more (each one more makes
    a start there less likely, so a region of repeated OOM kills is left after a few)."""
    keys = _causes(env_keys, hunger)
    for m in measured:
        if m.outcome.status == "succeeded" and _mem(m) <= float(settings.get("mem", 0)) \
                and all(_as_hungry(k, m.settings.get(k), settings.get(k), hunger) for k in keys):
            return 1.0
    ooms = [m for m in measured if failed(m.outcome)]
    if oom_predicted(settings, env_keys, ooms, hunger):
        return 0.0
    at_risk = sum(1 for m in ooms if _mem(m) >= float(settings.get("mem", 0)))  # OOMs at this memory or more
    return float(UNKNOWN_START ** at_risk)


def _failure_text(result: obj.Outcome) -> str:
    return f"{result.reason or ''} {result.message or ''}".lower() if result.status == "rejected" else ""


def _causes(env_keys: Sequence[str], hunger: Mapping[str, int]) -> list[str]:
    return [*env_keys, *(k for k in SIZE_CAUSES if k in hunger)]


def _as_hungry(key: str, value: Any, failed: Any, hunger: Mapping[str, int]) -> bool:
    if str(value) == str(failed):
        return True
    if key not in hunger or not _numeric(value, failed):
        return False
    return (float(value) - float(failed)) * hunger[key] > 0


def _mem(m: Measured) -> float:
    return float(m.settings.get("mem", 0))


def _numeric(*values: Any) -> bool:
    try:
        [float(v) for v in values]
    except (TypeError, ValueError):
        return False
    return True
