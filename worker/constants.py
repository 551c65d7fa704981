"""Names and defaults shared by every part: environment variables, queues, Redis keys."""

# Environment variables.
ENV_CONFIG = "SERVO_CONFIG"
ENV_REDIS_URL = "SERVO_REDIS_URL"
ENV_CLUSTER = "FARGATE_CLUSTER"  # the original driver's override for the default cluster
ENV_AB_URL = "AB_TEST_URL"  # the original ab driver's variable
ENV_AB_HEADERS = "AB_HEADERS"  # JSON list of "Name: value" strings

# Defaults.
DEFAULT_CONFIG_PATH = "config.yaml"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_CLUSTER = "default"
DEFAULT_SETTLE_TIMEOUT_S = 1200  # the original's default for timeout_service_desired_count
DEFAULT_ROLLBACK_TIMEOUT_S = 600  # a rollback is waited for, but never forever
DEFAULT_POLL_FIRST_S = 0.1  # first look right after update_service
DEFAULT_POLL_CAP_S = 1.0  # at most about one DescribeServices a second per service
DEFAULT_MAX_TASK_FAILURES = 1  # a task of the new deployment that dies fails the step

# Tags the worker puts on task definition revisions it registers.
TAG_MANAGED_BY = "servo-fargate:managed-by"
