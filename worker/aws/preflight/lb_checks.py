"""Checks of networking, load balancing and autoscaling: the settings that make an adjust
hang or slow every step."""

from __future__ import annotations

from worker.aws.preflight import egress
from worker.aws.preflight import resources as r
from worker.aws.preflight.model import CheckResult, Context, check

SLOW_S = 60  # a per-step wait at or above this is worth a warning
DEFAULT_ROUTE = egress.DEFAULT_ROUTE


@check("network.route-out", critical=True)
def route_out(ctx: Context) -> CheckResult:
    vpc = r.awsvpc(ctx)
    name = ctx.comp.service_name
    subnets = vpc.get("subnets") or []
    if not subnets:
        return ctx.fail(f"service {name} has no awsvpc subnets",
                        "Fargate services need awsvpc networking: recreate the service with subnets")
    public = vpc.get("assignPublicIp", "DISABLED") == "ENABLED"
    ip = "enabled" if public else "disabled"
    ways: dict[str, str] = {}
    stuck: list[str] = []
    public_unused: list[str] = []
    for subnet in subnets:
        table = r.route_table(ctx, subnet)
        targets = egress.default_targets(table)
        way = egress.way_out(targets, public)
        if way is None:
            stuck.append(f"{subnet} ({table['RouteTableId']}: {egress.show(targets)})")
            continue
        ways[subnet] = way
        if public and not way.startswith("an internet gateway"):
            public_unused.append(f"{subnet} ({way})")
    if stuck:
        return _endpoints_or_fail(ctx, stuck, public, ip)
    if public_unused:
        return ctx.warn(f"service {name} has public IP enabled in subnets that route out without an "
                        "internet gateway: " + "; ".join(public_unused),
                        "set assignPublicIp DISABLED for private subnets (the public IP is unused there)")
    shown = "; ".join(f"{s} via {w}" for s, w in ways.items())
    return ctx.ok(f"service {name} has public IP {ip}; subnets route out: {shown}")


def _endpoints_or_fail(ctx: Context, stuck: list[str], public: bool, ip: str) -> CheckResult:
    """Subnets without a usable default route still pull images through ECR and S3 endpoints."""
    name = ctx.comp.service_name
    vpc_id = r.vpc_of(ctx, r.awsvpc(ctx)["subnets"][0])
    found = r.vpc_endpoints(ctx, vpc_id)
    td = r.task_definition(ctx)
    missing = egress.missing_endpoints(found, ctx.clients.session.region_name or "", td)
    if not missing:
        return ctx.ok(f"service {name} has no route out in " + "; ".join(stuck) + f", and VPC {vpc_id} "
                      f"has the endpoints its tasks need ({', '.join(sorted(found))})")
    need = "an internet gateway" if public else "a NAT gateway (or NAT instance, transit gateway, peering)"
    return ctx.fail(
        f"service {name} has public IP {ip} but these subnets have no {DEFAULT_ROUTE} route to {need}: "
        + "; ".join(stuck) + f"; and VPC {vpc_id} lacks {', '.join(missing)}: its tasks cannot pull images",
        f"add a {DEFAULT_ROUTE} route to {need} in those route tables"
        + ("" if public else ", or use public subnets with assignPublicIp ENABLED")
        + f", or create the VPC endpoints {', '.join(missing)} in {vpc_id}")


@check("lb.target-group", critical=True)
def target_group(ctx: Context) -> CheckResult:
    arns = r.target_group_arns(ctx)
    name = ctx.comp.service_name
    if not arns:
        return ctx.fail(f"service {name} has no load balancer target group",
                        "create an ALB and an `ip` target group first, then recreate the service with "
                        "them: load balancing can only be set when a service is created")
    groups = r.target_groups(ctx)
    lbs = [lb["LoadBalancerName"] for lb in r.load_balancers(ctx)]
    shown = ", ".join(tg["TargetGroupName"] for tg in groups)
    if not lbs:
        return ctx.fail(f"target group {shown} of service {name} is not attached to a load balancer",
                        "add a listener (or rule) forwarding to the target group")
    return ctx.ok(f"service {name} is behind target group {shown} of load balancer {', '.join(lbs)}")


@check("lb.target-type", critical=True)
def target_type(ctx: Context) -> CheckResult:
    wrong = [tg for tg in r.target_groups(ctx) if tg.get("TargetType") != "ip"]
    if wrong:
        shown = ", ".join(f"{tg['TargetGroupName']} ({tg.get('TargetType')})" for tg in wrong)
        return ctx.fail(f"target group {shown} is not of target type ip; Fargate tasks register by IP",
                        "create a target group with target type ip and recreate the service with it")
    return ctx.ok(f"target group {', '.join(tg['TargetGroupName'] for tg in r.target_groups(ctx))} "
                  "has target type ip")


@check("lb.health-check-path")
def health_check_path(ctx: Context) -> CheckResult:
    svc = r.service(ctx)
    td = r.task_definition(ctx)
    names = {str(n).lower() for n in (svc["serviceName"], td.get("family"), *(
        c["name"] for c in td.get("containerDefinitions", []))) if n}
    for tg in r.target_groups(ctx):
        path = tg.get("HealthCheckPath") or "/"
        generated = path != "/" and any(n in path.lower() for n in names)
        if generated:
            return ctx.warn(f"target group {tg['TargetGroupName']} health checks {path}, a path that looks "
                            "generated from the task's name; if the app does not serve it, every new task "
                            "fails its health check",
                            f"set the health check path to / (aws elbv2 modify-target-group "
                            f"--target-group-arn {tg['TargetGroupArn']} --health-check-path /)")
    paths = ", ".join(f"{tg['TargetGroupName']} {tg.get('HealthCheckPath') or '/'}"
                      for tg in r.target_groups(ctx))
    return ctx.ok(f"health check path: {paths}")


@check("lb.deregistration-delay")
def deregistration_delay(ctx: Context) -> CheckResult:
    for tg in r.target_groups(ctx):
        seconds = int(r.target_group_attributes(ctx, tg["TargetGroupArn"]).get(
            "deregistration_delay.timeout_seconds", "300"))
        if seconds >= SLOW_S:
            return ctx.warn(f"target group {tg['TargetGroupName']} has a deregistration delay of "
                            f"{seconds} s: every step waits up to {seconds} s for old tasks to drain",
                            "set deregistration_delay.timeout_seconds to 5-30 s for a service answering "
                            f"in under a second (aws elbv2 modify-target-group-attributes --target-group-arn "
                            f"{tg['TargetGroupArn']} --attributes "
                            "Key=deregistration_delay.timeout_seconds,Value=10)")
    return ctx.ok("deregistration delay: " + ", ".join(
        f"{tg['TargetGroupName']} " + r.target_group_attributes(ctx, tg["TargetGroupArn"]).get(
            "deregistration_delay.timeout_seconds", "300") + " s" for tg in r.target_groups(ctx)))


@check("lb.health-check-timing")
def health_check_timing(ctx: Context) -> CheckResult:
    for tg in r.target_groups(ctx):
        interval = int(tg.get("HealthCheckIntervalSeconds", 30))
        healthy = int(tg.get("HealthyThresholdCount", 5))
        if interval * healthy >= SLOW_S:
            return ctx.warn(f"target group {tg['TargetGroupName']} checks every {interval} s and needs "
                            f"{healthy} passes: up to {interval * healthy} s added to every step before "
                            "a new task counts as healthy",
                            "lower the health check interval (e.g. 5 s) and healthy threshold (e.g. 2) "
                            "with aws elbv2 modify-target-group")
    return ctx.ok("health check timing: " + ", ".join(
        f"{tg['TargetGroupName']} every {tg.get('HealthCheckIntervalSeconds', 30)} s x "
        f"{tg.get('HealthyThresholdCount', 5)}" for tg in r.target_groups(ctx)))


@check("autoscaling.targets", critical=True)
def autoscaling_targets(ctx: Context) -> CheckResult:
    comp = ctx.comp
    r.service(ctx)
    resource = f"service/{comp.cluster}/{comp.service_name}"
    aas = r.client(ctx, "application-autoscaling")
    targets = ctx.cached("aas.targets", resource, fetch=lambda: aas.describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=[resource],
        ScalableDimension="ecs:service:DesiredCount")["ScalableTargets"])
    if not targets:
        return ctx.ok(f"no Application Auto Scaling target on {resource}'s desired count")
    suspended = all((t.get("SuspendedState") or {}).get(k) for t in targets
                    for k in ("DynamicScalingInSuspended", "DynamicScalingOutSuspended"))
    policies = ctx.cached("aas.policies", resource, fetch=lambda: aas.describe_scaling_policies(
        ServiceNamespace="ecs", ResourceId=resource, ScalableDimension="ecs:service:DesiredCount",
    )["ScalingPolicies"])
    shown = ", ".join(f"min {t['MinCapacity']} max {t['MaxCapacity']}" for t in targets)
    if suspended or not policies:
        why = "its dynamic scaling is suspended" if suspended else "it has no scaling policy"
        return ctx.ok(f"Application Auto Scaling has a target on {resource}'s desired count ({shown}), "
                      f"but {why}")
    names = ", ".join(str(p["PolicyName"]) for p in policies)
    suspend = ("suspend its dynamic scaling while tuning (aws application-autoscaling "
               f"register-scalable-target --service-namespace ecs --resource-id {resource} "
               "--scalable-dimension ecs:service:DesiredCount --suspended-state "
               "DynamicScalingInSuspended=true,DynamicScalingOutSuspended=true)")
    if "replicas" in comp.settings:
        return ctx.fail(f"Application Auto Scaling policies {names} move {resource}'s desired count "
                        f"({shown}) and would fight the replicas setting: a step's count would not hold",
                        f"{suspend}, or remove replicas from fargate.{comp.name}.settings")
    return ctx.warn(f"Application Auto Scaling policies {names} may move {resource}'s desired count "
                    f"({shown}) in the middle of a step, so a measurement may span two task counts",
                    suspend)
