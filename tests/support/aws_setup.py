"""Provision a complete, correct Fargate setup through the AWS API, for tests.

The code lives in `emulator/provision.py`, so the local sandbox and the tests build the
very same setup: a VPC with public subnets and an internet gateway route, an ECS cluster,
a Fargate task definition, an ALB with a listener and an `ip` target group, an execution
role, and a FARGATE service behind the target group. Keyword options of `provision()`
build the broken variants that preflight tests need; `write_config()` writes a matching
`config.yaml`.
"""

from typing import Any

from emulator.provision import (
    ASSUME_ECS_TASKS,
    DEFAULT_IMAGE,
    EXECUTION_POLICY,
    Setup,
    config_dict,
    fill_moto_gaps,
    provision,
    write_config,
)

__all__ = ["ASSUME_ECS_TASKS", "DEFAULT_IMAGE", "EXECUTION_POLICY", "Setup", "config_dict",
           "fill_moto_gaps", "provision", "provision_crowded", "write_config"]

CROWD = 11  # more services in the cluster than one DescribeServices names


def provision_crowded(clients: Any, extra: int = CROWD) -> Setup:
    """The usual setup, plus `extra` idle services `svc-0`... in its cluster (batched looks)."""
    made = provision(clients, cpu=256, memory=512, desired_count=1)
    for i in range(extra):
        clients.ecs.create_service(cluster=made.cluster, serviceName=f"svc-{i}",
                                   taskDefinition=made.task_definition_arn, desiredCount=0,
                                   launchType="FARGATE")
    return made
