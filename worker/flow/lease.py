"""One step at a time per ECS service: a lease in Redis that spans the whole step.

The lease is a key holding the owning step id with a TTL. Every task run of the owning
step renews it; the step releases it when it ends. Two producers, two workers: still one
step per service. A crashed worker's lease lapses after LEASE_TTL_S.
"""

from __future__ import annotations

import redis

from worker.contract import constants as C
from worker.contract.namespace import Keys, process_keys

# Renew only if we own it; release only if we own it (a lapsed lease may belong to another).
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


def lease_key(cluster: str, service: str, keys: Keys | None = None) -> str:
    return (keys or process_keys()).lease(cluster, service)


def acquire(r: redis.Redis, key: str, owner: str, ttl: float = C.LEASE_TTL_S) -> bool:
    """Take the lease, or renew it when `owner` already holds it."""
    if r.set(key, owner, nx=True, px=int(ttl * 1000)):
        return True
    return renew(r, key, owner, ttl)


def renew(r: redis.Redis, key: str, owner: str, ttl: float = C.LEASE_TTL_S) -> bool:
    return bool(r.eval(_RENEW, 1, key, owner, int(ttl * 1000)))


def release(r: redis.Redis, key: str, owner: str) -> bool:
    return bool(r.eval(_RELEASE, 1, key, owner))


def holder(r: redis.Redis, key: str) -> str | None:
    value = r.get(key)
    return None if value is None else str(value)
