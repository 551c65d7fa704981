"""Checks of what a step may do to the service's capacity: the deployment strategy that
decides how a new revision replaces the old one, the account's Fargate vCPU quota, and the
platform version the largest declared size needs."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from worker.aws.clients import error_code
from worker.aws.preflight import resources as r
from worker.aws.preflight.model import CheckResult, Context, NotVerifiable, check, unverified_when_missing_api
from worker.contract.params import Param

# Why each deployment strategy other than ROLLING defeats a step: bake times and traffic shifting
# keep the old deployment serving while the step measures.
REFUSED_STRATEGIES = {
    "BLUE_GREEN": "keeps the old (blue) deployment serving until the bake time ends, so the load "
                  "test measures the old revision or both",
    "LINEAR": "shifts traffic to the new revision in steps over minutes, so the load test measures "
              "a mix of old and new",
    "CANARY": "sends only a share of traffic to the new revision until the bake time ends, so the load "
              "test measures mostly the old one",
}
FARGATE_VCPU_QUOTA = ("fargate", "L-3032A538")  # Fargate On-Demand vCPU resource count
BIG_CPU_UNITS = 8192  # 8 and 16 vCPU need platform version 1.4.0 or later (worker/contract/sizes.py)
OLD_PLATFORMS = ("1.0.0", "1.1.0", "1.2.0", "1.3.0")


@check("service.deployment-strategy", critical=True)
def deployment_strategy(ctx: Context) -> CheckResult:
    svc = r.service(ctx)
    name = svc["serviceName"]
    conf = svc.get("deploymentConfiguration") or {}
    strategy = str(conf.get("strategy") or "ROLLING")
    if strategy == "ROLLING":
        bake = conf.get("bakeTimeInMinutes")
        note = f" (bake time {bake} min: the old deployment stays until it ends)" if bake else ""
        return ctx.ok(f"service {name} deploys with the ROLLING strategy{note}")
    why = REFUSED_STRATEGIES.get(strategy, "is not a rolling update, which servo-fargate's settle expects")
    return ctx.fail(f"service {name} deploys with the {strategy} strategy, which {why}",
                    f"set the ROLLING strategy while tuning (aws ecs update-service --cluster "
                    f"{ctx.comp.cluster} --service {name} --deployment-configuration strategy=ROLLING)")


def _largest(param: Param | None, fallback: int) -> int:
    """The largest native value a declared cpu/replicas setting allows."""
    if param is None:
        return fallback
    if param.kind == "enum":
        return max(int(param.check(v)[0] or 0) for v in param.values)
    top = param.maximum if param.maximum is not None else Decimal(fallback) / param.scale
    return int(top * param.scale)


@check("quota.fargate-vcpu", critical=True)
def fargate_vcpu_quota(ctx: Context) -> CheckResult:
    comp = ctx.comp
    svc = r.service(ctx)
    td = r.task_definition(ctx)
    cpu = _largest(comp.settings.get("cpu"), int(td.get("cpu") or 0))
    replicas = _largest(comp.settings.get("replicas"), int(svc.get("desiredCount") or 1))
    # During a rolling update both deployments run: up to maximumPercent of the desired count.
    surge = int((svc.get("deploymentConfiguration") or {}).get("maximumPercent") or 200)
    needed = cpu / 1024 * replicas
    peak = needed * max(surge, 100) / 100
    quota = _quota(ctx)
    shown = f"{cpu / 1024:g} vCPU x {replicas} tasks = {needed:g} vCPU ({peak:g} during a deployment)"
    remedy = (f"request a higher 'Fargate On-Demand vCPU resource count' (Service Quotas code "
              f"{FARGATE_VCPU_QUOTA[1]}), or lower the largest cpu or replicas in "
              f"fargate.{comp.name}.settings")
    if needed > quota:
        return ctx.fail(f"the largest declared size needs {shown}, above the account's Fargate quota of "
                        f"{quota:g} vCPU in {ctx.clients.session.region_name}: its tasks will not start",
                        remedy)
    if peak > quota:
        return ctx.warn(f"the largest declared size needs {shown}, above the quota of {quota:g} vCPU while "
                        "old and new tasks both run: deployments to it will be slow", remedy)
    return ctx.ok(f"the largest declared size needs {shown}, within the Fargate quota of {quota:g} vCPU")


def _quota(ctx: Context) -> float:
    sq = r.client(ctx, "service-quotas")

    def fetch() -> float:
        with unverified_when_missing_api("servicequotas:GetServiceQuota"):
            try:
                return float(sq.get_service_quota(ServiceCode=FARGATE_VCPU_QUOTA[0],
                                                  QuotaCode=FARGATE_VCPU_QUOTA[1])["Quota"]["Value"])
            except ClientError as exc:
                if error_code(exc) in ("NoSuchResourceException", "AccessDeniedException"):
                    raise NotVerifiable(f"Service Quotas does not answer for {'/'.join(FARGATE_VCPU_QUOTA)} "
                                        f"({error_code(exc)})") from exc
                raise

    return float(ctx.cached("sq.fargate-vcpu", fetch=fetch))


@check("taskdef.platform-version", critical=True)
def platform_version(ctx: Context) -> CheckResult:
    svc: dict[str, Any] = r.service(ctx)
    cpu = _largest(ctx.comp.settings.get("cpu"), int(r.task_definition(ctx).get("cpu") or 0))
    version = str(svc.get("platformVersion") or "LATEST")
    if cpu < BIG_CPU_UNITS:
        return ctx.ok(f"platform version {version}; the largest declared size ({cpu / 1024:g} vCPU) "
                      "runs on any")
    if version in OLD_PLATFORMS:
        return ctx.fail(f"service {svc['serviceName']} runs platform version {version}, but the declared "
                        f"{cpu / 1024:g} vCPU needs 1.4.0 or later",
                        f"aws ecs update-service --cluster {ctx.comp.cluster} --service {svc['serviceName']} "
                        "--platform-version LATEST, or keep cpu at 4 vCPU or below")
    return ctx.ok(f"platform version {version} runs the declared {cpu / 1024:g} vCPU")
