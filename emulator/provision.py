"""Provision a complete, correct Fargate setup through the AWS API (moto, the sandbox or AWS).

`provision()` builds everything the README's "Using it on AWS" asks a user to create by hand: a VPC
with public subnets and an internet gateway route, an ECS cluster, a Fargate task
definition, an ALB with a listener and an `ip` target group, an execution role, and a
FARGATE service behind the target group. Keyword options build the broken variants that
preflight tests need; the defaults are the setup a user should have.

`write_config()` writes a `config.yaml` that matches what `provision()` built.

The local sandbox provisions with this module; the tests import it through
`tests/support/aws_setup.py`, so both build the very same setup.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DEFAULT_IMAGE = "public.ecr.aws/nginx/nginx:stable"
LOG_STREAM_PREFIX = "ecs"  # awslogs streams are ecs/<container>/<task id>
ASSUME_ECS_TASKS = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                   "Action": "sts:AssumeRole"}],
})
EXECUTION_POLICY = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
        "ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer",
        "ecr:BatchGetImage", "logs:CreateLogStream", "logs:PutLogEvents"]}],
})


@dataclass(frozen=True)
class Setup:
    """Names and ARNs of what `provision()` built."""

    name: str
    region: str
    cluster: str
    cluster_arn: str
    service: str
    service_arn: str
    task_definition_arn: str
    family: str
    containers: tuple[str, ...]
    vpc_id: str
    subnet_ids: tuple[str, ...]
    security_group_id: str
    route_table_id: str
    execution_role_arn: str | None
    load_balancer_arn: str | None
    load_balancer_dns: str | None
    target_group_arn: str | None
    listener_arn: str | None
    cpu: int
    memory: int
    env: Mapping[str, str] = field(default_factory=dict)


def _client(source: Any, name: str) -> Any:
    """A boto3 client from a `worker.aws.clients.Clients`, a boto3 Session, or anything with `.client`."""
    return source.client(name)


def _region(source: Any) -> str:
    session = getattr(source, "session", source)
    return str(getattr(session, "region_name", None) or "us-east-1")


def provision(
    clients_or_session: Any,
    *,
    name: str = "web",
    cluster: str | None = None,
    launch_type: str | None = "FARGATE",
    capacity_provider: str | None = None,
    containers: int = 1,
    container_names: Sequence[str] | None = None,
    cpu: int = 256,
    memory: int = 512,
    env: Mapping[str, str] | None = None,
    image: str = DEFAULT_IMAGE,
    execution_role: bool | str = True,
    desired_count: int = 1,
    assign_public_ip: bool = True,
    route: str = "igw",
    subnets: int = 2,
    load_balancer: bool = True,
    target_type: str = "ip",
    health_check_path: str = "/",
    health_check_interval: int = 5,
    healthy_threshold: int = 2,
    deregistration_delay: int = 5,
    listener_port: int = 80,
    circuit_breaker: bool = True,
    circuit_breaker_rollback: bool = True,
    deployment_controller: str = "ECS",
    strategy: str | None = None,
    platform_version: str | None = None,
    create_service: bool = True,
    log_group: str | None = None,
    create_log_group: bool = True,
) -> Setup:
    """Build a Fargate service setup; every option's default is the correct choice.

    Args:
        clients_or_session: `worker.aws.clients.Clients` or a boto3 Session (anything with `.client(name)`).
        name: base name for every resource (the service and task family are `name`).
        cluster: ECS cluster name (default `{name}-cluster`).
        launch_type: `FARGATE`, `EC2`, or None to use `capacity_provider` instead.
        capacity_provider: e.g. `FARGATE_SPOT`, used when launch_type is None.
        containers: number of container definitions (each gets `env`).
        container_names: explicit container names (default `app`, `sidecar1`, ...).
        cpu, memory: task size in CPU units and MiB.
        env: container environment (default `{"GOGC": "100"}`).
        execution_role: True creates an IAM execution role; a string is used as its ARN as is.
        desired_count: the service's desired count.
        assign_public_ip: the service's awsvpc assignPublicIp (ENABLED when True).
        route: the subnets' way out: `igw` (internet gateway), `nat` (NAT gateway), `tgw`
            (transit gateway), `pcx` (VPC peering), `endpoints` (no route; ECR, S3 and Logs
            VPC endpoints) or `none`.
        subnets: how many subnets (in distinct availability zones).
        load_balancer: create the ALB, listener and target group and attach the service.
        target_type: the target group's type (`ip` is the correct one for Fargate).
        health_check_path, health_check_interval, healthy_threshold: target group health check.
        deregistration_delay: the target group's deregistration_delay.timeout_seconds.
        listener_port: the listener's port (the sandbox uses its local load balancer's).
        circuit_breaker, circuit_breaker_rollback: deploymentCircuitBreaker enable/rollback.
        deployment_controller: `ECS` (rolling update), `CODE_DEPLOY` or `EXTERNAL`.
        strategy: the ECS controller's deploymentConfiguration.strategy (`ROLLING`, `BLUE_GREEN`,
            `LINEAR`, `CANARY`); None leaves it unset, which AWS reads as ROLLING.
        platform_version: the service's Fargate platform version (None: AWS's LATEST).
        create_service: False builds everything but the service.
        log_group: the containers log with the `awslogs` driver to this CloudWatch Logs group
            (stream prefix `ecs`, the region's); None: no logConfiguration.
        create_log_group: create that group (False: a task definition naming a missing group,
            whose tasks fail to start as on AWS).
    """
    ec2 = _client(clients_or_session, "ec2")
    ecs = _client(clients_or_session, "ecs")
    region = _region(clients_or_session)
    env = {"GOGC": "100"} if env is None else dict(env)
    cluster = cluster or f"{name}-cluster"

    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]]
    subnet_ids = tuple(
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.0.{i}.0/24",
                          AvailabilityZone=zones[i % len(zones)])["Subnet"]["SubnetId"]
        for i in range(subnets)
    )
    route_table_id = _route_out(ec2, vpc_id, subnet_ids, route)
    sg_id = ec2.create_security_group(GroupName=f"{name}-sg", Description=f"{name} tasks",
                                      VpcId=vpc_id)["GroupId"]

    cluster_arn = ecs.create_cluster(clusterName=cluster)["cluster"]["clusterArn"]
    role_arn = (execution_role if isinstance(execution_role, str)
                else _execution_role(clients_or_session, name) if execution_role else None)
    names = list(container_names or [("app" if i == 0 else f"sidecar{i}") for i in range(containers)])
    td_args: dict[str, Any] = dict(
        family=name, networkMode="awsvpc", requiresCompatibilities=["FARGATE"],
        cpu=str(cpu), memory=str(memory),
        containerDefinitions=[{
            "name": cname, "image": image, "essential": i == 0,
            "portMappings": [{"containerPort": 80 + i, "protocol": "tcp"}],
            "environment": [{"name": k, "value": v} for k, v in env.items()],
        } for i, cname in enumerate(names)],
    )
    if role_arn:
        td_args["executionRoleArn"] = role_arn
    if log_group:
        if create_log_group:
            _client(clients_or_session, "logs").create_log_group(logGroupName=log_group)
        for container in td_args["containerDefinitions"]:
            container["logConfiguration"] = {"logDriver": "awslogs", "options": {
                "awslogs-group": log_group, "awslogs-region": region,
                "awslogs-stream-prefix": LOG_STREAM_PREFIX}}
    td_arn = ecs.register_task_definition(**td_args)["taskDefinition"]["taskDefinitionArn"]

    lb_arn = lb_dns = tg_arn = listener_arn = None
    if load_balancer:
        elbv2 = _client(clients_or_session, "elbv2")
        lb = elbv2.create_load_balancer(Name=f"{name}-alb", Subnets=list(subnet_ids),
                                        SecurityGroups=[sg_id], Scheme="internet-facing",
                                        Type="application")["LoadBalancers"][0]
        lb_arn, lb_dns = lb["LoadBalancerArn"], lb["DNSName"]
        tg_arn = elbv2.create_target_group(
            Name=f"{name}-tg", Protocol="HTTP", Port=80, VpcId=vpc_id, TargetType=target_type,
            HealthCheckPath=health_check_path, HealthCheckIntervalSeconds=health_check_interval,
            HealthyThresholdCount=healthy_threshold,
        )["TargetGroups"][0]["TargetGroupArn"]
        elbv2.modify_target_group_attributes(TargetGroupArn=tg_arn, Attributes=[
            {"Key": "deregistration_delay.timeout_seconds", "Value": str(deregistration_delay)}])
        listener_arn = elbv2.create_listener(
            LoadBalancerArn=lb_arn, Protocol="HTTP", Port=listener_port,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_arn}],
        )["Listeners"][0]["ListenerArn"]

    service_arn = ""
    if create_service:
        svc_args: dict[str, Any] = dict(
            cluster=cluster, serviceName=name, taskDefinition=td_arn, desiredCount=desired_count,
            networkConfiguration={"awsvpcConfiguration": {
                "subnets": list(subnet_ids), "securityGroups": [sg_id],
                "assignPublicIp": "ENABLED" if assign_public_ip else "DISABLED"}},
            deploymentController={"type": deployment_controller},
            deploymentConfiguration={
                "maximumPercent": 200, "minimumHealthyPercent": 100,
                "deploymentCircuitBreaker": {"enable": circuit_breaker,
                                             "rollback": circuit_breaker_rollback}},
        )
        if strategy:
            svc_args["deploymentConfiguration"]["strategy"] = strategy
        if platform_version:
            svc_args["platformVersion"] = platform_version
        if launch_type:
            svc_args["launchType"] = launch_type
        else:
            svc_args["capacityProviderStrategy"] = [
                {"capacityProvider": capacity_provider or "FARGATE", "weight": 1}]
        if tg_arn:
            svc_args["loadBalancers"] = [{"targetGroupArn": tg_arn, "containerName": names[0],
                                          "containerPort": 80}]
        service_arn = ecs.create_service(**svc_args)["service"]["serviceArn"]
        if fill_moto_gaps(region, cluster, name, svc_args):
            _publish_service_metrics(clients_or_session, cluster, name)

    return Setup(
        name=name, region=region, cluster=cluster, cluster_arn=cluster_arn, service=name,
        service_arn=service_arn, task_definition_arn=td_arn, family=name, containers=tuple(names),
        vpc_id=vpc_id, subnet_ids=subnet_ids, security_group_id=sg_id, route_table_id=route_table_id,
        execution_role_arn=role_arn, load_balancer_arn=lb_arn, load_balancer_dns=lb_dns,
        target_group_arn=tg_arn, listener_arn=listener_arn, cpu=cpu, memory=memory, env=env,
    )


def fill_moto_gaps(region: str, cluster: str, service: str, create_args: Mapping[str, Any]) -> bool:
    """Store what moto 5.2.5 drops from `create_service` on its in-process service object.

    moto accepts but never returns `deploymentConfiguration` and `capacityProviderStrategy`
    (and reports launch type EC2 for a capacity provider strategy); real AWS returns both.
    Return False when there is no such service in this process (an out-of-process sandbox
    or real AWS), where nothing needs filling in. When it returns True, `provision()` also
    publishes the service's AWS/ECS metrics, as ECS would.
    """
    try:
        from emulator.moto_ecs import fill_create_service_gaps
    except ImportError:  # moto is not installed: nothing runs in this process
        return False
    return fill_create_service_gaps(region, cluster, service, create_args)


def _publish_service_metrics(source: Any, cluster: str, service: str) -> None:
    """One datapoint of the AWS/ECS metrics real ECS publishes for a running service."""
    dims = [{"Name": "ClusterName", "Value": cluster}, {"Name": "ServiceName", "Value": service}]
    _client(source, "cloudwatch").put_metric_data(Namespace="AWS/ECS", MetricData=[
        {"MetricName": metric, "Dimensions": dims, "Value": 1.0, "Unit": "Percent"}
        for metric in ("CPUUtilization", "MemoryUtilization")])


def _route_out(ec2: Any, vpc_id: str, subnet_ids: Sequence[str], route: str) -> str:
    """An explicit route table for the subnets with a default route through `route`."""
    table = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    for subnet in subnet_ids:
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
    if route == "none":
        return str(table)
    if route in ("igw", "nat"):  # a NAT gateway sits in a subnet that reaches the internet gateway
        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    if route == "igw":
        ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    elif route == "nat":
        eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
        nat = ec2.create_nat_gateway(SubnetId=subnet_ids[0], AllocationId=eip)["NatGateway"]["NatGatewayId"]
        ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    elif route == "tgw":
        tgw = ec2.create_transit_gateway(Description="egress")["TransitGateway"]["TransitGatewayId"]
        ec2.create_transit_gateway_vpc_attachment(TransitGatewayId=tgw, VpcId=vpc_id,
                                                  SubnetIds=list(subnet_ids))
        ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", TransitGatewayId=tgw)
    elif route == "pcx":
        egress_vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
        pcx = ec2.create_vpc_peering_connection(VpcId=vpc_id, PeerVpcId=egress_vpc)[
            "VpcPeeringConnection"]["VpcPeeringConnectionId"]
        ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", VpcPeeringConnectionId=pcx)
    elif route == "endpoints":
        region = ec2.meta.region_name
        for service in ("ecr.api", "ecr.dkr", "logs"):
            ec2.create_vpc_endpoint(VpcId=vpc_id, ServiceName=f"com.amazonaws.{region}.{service}",
                                    VpcEndpointType="Interface", SubnetIds=list(subnet_ids))
        ec2.create_vpc_endpoint(VpcId=vpc_id, ServiceName=f"com.amazonaws.{region}.s3",
                                VpcEndpointType="Gateway", RouteTableIds=[table])
    else:
        raise ValueError(f"route must be igw, nat, tgw, pcx, endpoints or none, got {route!r}")
    return str(table)


def _execution_role(source: Any, name: str) -> str:
    iam = _client(source, "iam")
    role = iam.create_role(RoleName=f"{name}-execution", AssumeRolePolicyDocument=ASSUME_ECS_TASKS)
    # Inline, not the AWS managed policy: moto loads managed policies only on request.
    iam.put_role_policy(RoleName=f"{name}-execution", PolicyName="pull-and-log",
                        PolicyDocument=EXECUTION_POLICY)
    return str(role["Role"]["Arn"])


def config_dict(
    setup: Setup,
    *,
    ab_url: str | None = None,
    container: str | None = None,
    environment: bool = True,
    cpu_values: Sequence[float] = (0.25, 0.5, 1),
    memory_range: tuple[float, float] = (0.5, 4),
    replicas_range: tuple[int, int] = (1, 4),
    metrics: Sequence[Mapping[str, Any]] | None = None,
    ab_timeout: float = 2,
    cluster: str | None = None,
    service_name: str | None = None,
) -> dict[str, Any]:
    """The config (as a dict) for the component `setup.name` of what `provision()` built.

    `cluster` and `service_name` override the names (to point the config somewhere wrong).
    """
    component: dict[str, Any] = {
        "service_name": service_name or setup.service, "cluster": cluster or setup.cluster,
        "settings": {
            "cpu": {"type": "enum", "unit": "vCPU", "values": list(cpu_values)},
            "mem": {"type": "range", "unit": "GiB", "min": memory_range[0], "max": memory_range[1],
                    "step": 0.5},
            "replicas": {"type": "range", "min": replicas_range[0], "max": replicas_range[1]},
        },
    }
    if container:
        component["container"] = container
    if environment:
        component["environment"] = {"GOGC": {"type": "range", "min": 50, "max": 200, "step": 10}}
    raw: dict[str, Any] = {"fargate": {setup.name: component}}
    if ab_url:
        raw["ab"] = {"url": ab_url, "timeout": ab_timeout}
    if metrics is None:
        metrics = [{"Id": "cpu", "MetricStat": {"Metric": {
            "Namespace": "AWS/ECS", "MetricName": "CPUUtilization",
            "Dimensions": [{"Name": "ClusterName", "Value": setup.cluster},
                           {"Name": "ServiceName", "Value": setup.service}]},
            "Period": 60, "Stat": "Average"}}]
    raw["cloudwatch"] = {"duration": 60, "metrics": [dict(m) for m in metrics]}
    return raw


def write_config(directory: Path, setup: Setup, **options: Any) -> Path:
    """Write `config.yaml` for `setup` into `directory`; options as for `config_dict`."""
    path = directory / "config.yaml"
    path.write_text(yaml.safe_dump(config_dict(setup, **options), sort_keys=False), encoding="utf-8")
    return path
