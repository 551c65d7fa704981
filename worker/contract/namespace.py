"""Namespaces: deployments sharing one Redis never share work or records.

A namespace names its own queues and every Redis key the project owns (records, leases,
the settling set, the preflight cache, the events channel, the optimizer's journal,
worker heartbeats). It comes from $SERVO_NAMESPACE, else the config's `namespace:` key,
else `default`. The default namespace keeps release 1's names (`servo:` keys, queues
`control` and `load`), so records written before namespaces existed stay readable and
existing worker command lines keep working; any other namespace `ns` lives under
`servo:ns:<ns>:` with queues `<ns>.control` and `<ns>.load`. No key of one namespace can
equal a key of another: the default namespace has no `ns:` keys, and names are checked.

Celery's own keys (task results under the task id, which carries the step id; the events
exchange Flower listens to) are shared: that is how one Flower still sees every namespace.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from worker.contract import constants as C

ENV_NAMESPACE = "SERVO_NAMESPACE"
DEFAULT = "default"
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


def problem(name: Any) -> str | None:
    """Why `name` cannot be a namespace, or None."""
    if not isinstance(name, str) or not NAME.match(name):
        return (f"{name!r} is not a namespace name: 1 to 40 lowercase letters, digits, '-' or '_', "
                "starting with a letter or digit")
    return None


def resolve(environ: Mapping[str, str] = os.environ, config_ns: str | None = None) -> str:
    """$SERVO_NAMESPACE, else the config's namespace, else `default`. Raises ValueError."""
    name = environ.get(ENV_NAMESPACE) or config_ns or DEFAULT
    if why := problem(name):
        raise ValueError(f"{ENV_NAMESPACE if environ.get(ENV_NAMESPACE) else 'namespace'}: {why}")
    return name


def from_config_file(environ: Mapping[str, str] = os.environ) -> str:
    """The namespace a process started with this environment belongs to, without loading
    the whole config: Celery builds its queues at import time, before any config is checked.
    An unreadable config is left to the config loader to report."""
    if environ.get(ENV_NAMESPACE):
        return resolve(environ)
    path = Path(environ.get(C.ENV_CONFIG) or C.DEFAULT_CONFIG_PATH)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return DEFAULT
    named = raw.get("namespace") if isinstance(raw, Mapping) else None
    return resolve(environ, named if isinstance(named, str) else None)


@cache
def process_keys() -> Keys:
    """The keys of this process's namespace, resolved once: a worker serves one namespace."""
    return Keys.current()


@dataclass(frozen=True)
class Keys:
    """Every queue name and Redis key of one namespace."""

    namespace: str = DEFAULT

    @classmethod
    def current(cls, environ: Mapping[str, str] = os.environ) -> Keys:
        return cls(from_config_file(environ))

    @property
    def prefix(self) -> str:
        return C.KEY_PREFIX if self.namespace == DEFAULT else f"{C.KEY_PREFIX}ns:{self.namespace}:"

    def _key(self, template: str, **fields: str) -> str:
        # The templates in worker.contract.constants all start with KEY_PREFIX: swap it for ours.
        return self.prefix + template[len(C.KEY_PREFIX):].format(**fields)

    # -- queues --------------------------------------------------------------------------
    @property
    def control(self) -> str:
        return C.QUEUE_CONTROL if self.namespace == DEFAULT else f"{self.namespace}.{C.QUEUE_CONTROL}"

    @property
    def load(self) -> str:
        return C.QUEUE_LOAD if self.namespace == DEFAULT else f"{self.namespace}.{C.QUEUE_LOAD}"

    @property
    def queues(self) -> tuple[str, str]:
        return self.control, self.load

    # -- records -------------------------------------------------------------------------
    def step(self, step_id: str) -> str:
        return self._key(C.KEY_STEP, id=step_id)

    @property
    def steps(self) -> str:
        return self._key(C.KEY_STEPS)

    def sweep(self, sweep_id: str) -> str:
        return self._key(C.KEY_SWEEP, id=sweep_id)

    def sweep_steps(self, sweep_id: str) -> str:
        return self._key(C.KEY_SWEEP_STEPS, id=sweep_id)

    @property
    def sweeps(self) -> str:
        return self._key(C.KEY_SWEEPS)

    def cancel(self, step_id: str) -> str:
        return self._key(C.KEY_CANCEL, id=step_id)

    @property
    def events(self) -> str:
        return self._key(C.KEY_EVENTS)

    # -- coordination --------------------------------------------------------------------
    def lease(self, cluster: str, service: str) -> str:
        return self._key(C.KEY_LEASE, cluster=cluster, service=service)

    def load_host(self, host: str) -> str:
        return self._key(C.KEY_LOAD_HOST, host=host)

    @property
    def settling(self) -> str:
        return self._key(C.KEY_SETTLING)

    def view(self, cluster: str) -> str:
        return self._key(C.KEY_VIEW, cluster=cluster)

    def wanted(self, cluster: str) -> str:
        return self._key(C.KEY_WANTED, cluster=cluster)

    def looked(self, cluster: str) -> str:
        return self._key(C.KEY_LOOKED, cluster=cluster)

    def target_health(self, arn: str) -> str:
        return self._key(C.KEY_TG_HEALTH, arn=arn)

    def budget(self, family: str) -> str:
        return self._key(C.KEY_BUDGET, family=family)

    def sleeping(self, cluster: str) -> str:
        return self._key(C.KEY_SLEEPING, cluster=cluster)

    def wake(self, cluster: str) -> str:
        return self._key(C.KEY_WAKE, cluster=cluster)

    @property
    def watched(self) -> str:
        return self._key(C.KEY_WATCHED)

    @property
    def watching(self) -> str:
        return self._key(C.KEY_WATCHING)

    def preflight(self, component: str, digest: str) -> str:
        return self._key(C.KEY_PREFLIGHT, component=component, digest=digest)

    @property
    def optuna(self) -> str:
        return self._key(C.KEY_OPTUNA)

    # -- workers (worker.flow.recovery) -------------------------------------------------------
    @property
    def workers(self) -> str:
        return self._key(C.KEY_WORKERS)

    def heartbeat(self, instance: str) -> str:
        return self._key(C.KEY_HEARTBEAT, instance=instance)

    def held(self, instance: str) -> str:
        return self._key(C.KEY_HELD, instance=instance)

    @property
    def accounts(self) -> str:
        return self._key(C.KEY_ACCOUNTS)

    def cursor(self, step_id: str) -> str:
        return self._key(C.KEY_CURSOR, id=step_id)

    @property
    def in_flight(self) -> str:
        return self._key(C.KEY_IN_FLIGHT)

    @property
    def lost_scan(self) -> str:
        return self._key(C.KEY_LOST_SCAN)
