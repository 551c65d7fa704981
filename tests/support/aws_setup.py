"""Provision a complete, correct Fargate setup through the AWS API, for tests.

The code lives in `emulator/provision.py`, so the local sandbox and the tests build the
very same setup: a VPC with public subnets and an internet gateway route, an ECS cluster,
a Fargate task definition, an ALB with a listener and an `ip` target group, an execution
role, and a FARGATE service behind the target group. Keyword options of `provision()`
build the broken variants that preflight tests need; `write_config()` writes a matching
`config.yaml`.
"""

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
           "fill_moto_gaps", "provision", "write_config"]
