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
DEFAULT_POLL_CAP_S = 0.4  # longest wait between looks while few services settle
ENV_DESCRIBE_RATE = "SERVO_DESCRIBE_RATE"  # services looked at a second (default: from the API budget)
ENV_POLL_CAP = "SERVO_POLL_CAP"  # a fixed cap instead (bench/README.md)
ENV_API_BUDGET = "SERVO_API_BUDGET"  # calls a second per API family, all workers together
SETTLING_WINDOW_S = 5.0  # a service counts as settling while it was looked at this recently
DEFAULT_MAX_TASK_FAILURES = 1  # a task of the new deployment that dies fails the step

# Queues: control (adjust, poll: any host with AWS credentials) and load (benchmark: the
# host next to apache bench, one benchmark at a time).
QUEUE_CONTROL = "control"
QUEUE_LOAD = "load"

# Task names: the producer sends by name, so submitting never imports boto3 or ab.
TASK_ADJUST = "servo.adjust"
TASK_POLL = "servo.poll_stability"
TASK_BENCHMARK = "servo.benchmark"
TASK_METRICS = "servo.collect_metrics"

# Names of ab's numbers in a step's measurement, the one definition for the worker that
# writes them and the producer that reads them. The first five are the original driver's.
METRIC_THROUGHPUT = "requests throughput"
METRIC_TIME_TAKEN = "time taken"
METRIC_ERRORS = "number of errors"
METRIC_TIME_PER_REQUEST = "time per request"
METRIC_TIME_PER_REQUEST_ALL = "time per request (across all concurrent requests)"
METRIC_ERROR_RATE = "error rate"
METRIC_PERCENTILE = METRIC_TIME_PER_REQUEST + " p{}"  # .format(95): "time per request p95"
METRIC_P95 = METRIC_PERCENTILE.format(95)

# Redis keys (every key the project owns starts with this prefix).
KEY_PREFIX = "servo:"
KEY_STEP = KEY_PREFIX + "step:{id}"  # JSON step record
KEY_STEPS = KEY_PREFIX + "steps"  # zset: step id by creation time
KEY_SWEEP = KEY_PREFIX + "sweep:{id}"  # JSON sweep header
KEY_SWEEP_STEPS = KEY_PREFIX + "sweep:{id}:steps"  # list: step ids in sweep order
KEY_SWEEPS = KEY_PREFIX + "sweeps"  # zset: sweep id by creation time
KEY_CANCEL = KEY_PREFIX + "cancel:{id}"  # set when a step is asked to stop
KEY_LEASE = KEY_PREFIX + "lease:{cluster}/{service}"  # the step that owns a service now
KEY_LOAD_HOST = KEY_PREFIX + "loadhost:{host}"  # the step benchmarking from a host now
KEY_SETTLING = KEY_PREFIX + "settling"  # zset: "cluster/service" by its last look, all workers
KEY_PREFLIGHT = KEY_PREFIX + "preflight:{component}:{digest}"  # a recent pass of the critical checks
KEY_EVENTS = KEY_PREFIX + "events"  # pub/sub channel: step ids whose record changed
KEY_OPTUNA = KEY_PREFIX + "optuna:"  # prefix of the optimizer's Optuna journal (studies)
KEY_WORKERS = KEY_PREFIX + "workers"  # set: worker instances that ever heartbeat (worker.flow.recovery)
KEY_HEARTBEAT = KEY_PREFIX + "worker:{instance}"  # a live worker instance, with a short TTL
KEY_HELD = KEY_PREFIX + "held:{instance}"  # set: broker delivery tags a worker instance took
KEY_ACCOUNTS = KEY_PREFIX + "accounts"  # hash: AWS endpoint -> the account its workers use
KEY_CURSOR = KEY_PREFIX + "cursor:{id}"  # hash: the step's current and next message token
KEY_IN_FLIGHT = KEY_PREFIX + "inflight"  # zset: step id -> when its newest message was sent (until it ran)
KEY_LOST_SCAN = KEY_PREFIX + "lostscan"  # the worker looking for lost messages now, with a short TTL
KEY_VIEW = KEY_PREFIX + "view:{cluster}"  # hash: service -> its newest DescribeServices view (aws.looks)
KEY_WANTED = KEY_PREFIX + "wanted:{cluster}"  # zset: service -> when a poll last wanted a view of it
KEY_LOOKED = KEY_PREFIX + "looked:{cluster}"  # zset: service -> when a look at it was last claimed
KEY_TG_HEALTH = KEY_PREFIX + "tghealth:{arn}"  # JSON target counts of a target group, a few seconds
KEY_BUDGET = KEY_PREFIX + "budget:{family}"  # hash: one API family's token bucket (worker.aws.budget)
KEY_SLEEPING = KEY_PREFIX + "sleeping:{cluster}"  # zset: service -> until when its poll sleeps (flow.watch)
KEY_WAKE = KEY_PREFIX + "wake:{cluster}"  # hash: service -> the sleeping poll's message, to send it early
KEY_WATCHED = KEY_PREFIX + "watched"  # set: clusters with sleeping polls
KEY_WATCHING = KEY_PREFIX + "watching"  # a live watch loop, with a short TTL
# Every key above is a template: worker.contract.namespace.Keys puts it in a namespace.

ENV_LOAD_HOST = "SERVO_LOAD_HOST"  # names the load host (default: the hostname)
ENV_VISIBILITY_TIMEOUT = "SERVO_VISIBILITY_TIMEOUT"
ENV_RESTORE_INTERVAL = "SERVO_RESTORE_INTERVAL"
# A task taken by a worker that died comes back after this long. It must stay above the
# longest single task run (a benchmark: warmup + duration + margin; the producer refuses
# steps that would outlast it). Every client (worker, producer, Flower) loads it from
# worker.flow.app, since the shortest one wins.
DEFAULT_VISIBILITY_TIMEOUT_S = 3600
DEFAULT_RESTORE_INTERVAL_S = 10  # how often workers look for a dead worker's messages
LEASE_TTL_S = 120  # renewed by every task run of the step; outlives a crashed worker briefly
LEASE_WAIT_S = 1.0  # how often a step waiting for its service's lease asks again
RECORD_TTL_S = 90 * 24 * 3600  # step records are kept 90 days
