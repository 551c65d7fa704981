"""The Fargate service quotas moto does not know, answered by its Service Quotas backend.

moto 5.2.5 implements Service Quotas for `vpc` only, so `get_service_quota(fargate, ...)`
fails with NoSuchResource and the preflight's quota check can only say `unverified`. Once
`install()` has run in the process that hosts moto, it answers the Fargate On-Demand vCPU
quota with `DEFAULT_FARGATE_VCPU` (or what `set_quota` stored), per account and region, and
a moto reset restores the default, as the value lives on the reset backend.
"""

from __future__ import annotations

import threading
from typing import Any

FARGATE_VCPU = "L-3032A538"  # Fargate On-Demand vCPU resource count
DEFAULT_FARGATE_VCPU = 1000.0  # a generous account: the sandbox's own service fits many times
ACCOUNT = "123456789012"  # moto's default account
_lock = threading.Lock()
_installed: list[bool] = []  # one element once install() has patched moto


def install() -> None:
    """Teach this process's moto the Fargate vCPU quota (idempotent)."""
    from moto.servicequotas.models import ServiceQuotasBackend

    with _lock:
        if _installed:
            return
        original = ServiceQuotasBackend.get_service_quota

        def get_service_quota(self: Any, service_code: str, quota_code: str) -> dict[str, Any]:
            if service_code == "fargate" and quota_code == FARGATE_VCPU:
                return _quota(self, getattr(self, "_fargate_vcpu", DEFAULT_FARGATE_VCPU))
            return dict(original(self, service_code, quota_code))

        ServiceQuotasBackend.get_service_quota = get_service_quota  # type: ignore[method-assign]
        _installed.append(True)


def set_quota(value: float, region: str = "us-east-1", account: str = ACCOUNT) -> None:
    """Set the account's Fargate vCPU quota in `region` (until the next moto reset)."""
    from moto.servicequotas.models import servicequotas_backends

    install()
    backend: Any = servicequotas_backends[account][region]
    backend._fargate_vcpu = float(value)


def _quota(backend: Any, value: float) -> dict[str, Any]:
    return {
        "Adjustable": True, "GlobalQuota": False, "QuotaCode": FARGATE_VCPU, "ServiceCode": "fargate",
        "QuotaArn": f"arn:aws:servicequotas:{backend.region_name}:{backend.account_id}:"
                    f"fargate/{FARGATE_VCPU}",
        "QuotaName": "Fargate On-Demand vCPU resource count", "ServiceName": "AWS Fargate",
        "Unit": "None", "Value": value,
    }
