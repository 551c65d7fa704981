"""The Celery app and its settings for long tasks on the Redis broker (Celery 5.7, kombu 5.7).

Imported by the worker, the producer and Flower alike, so every client shares the same
`broker_transport_options` (the shortest visibility timeout of any client would win).
It imports no task module and no boto3: `include` loads the tasks in the worker only.
"""

from __future__ import annotations

import os

from celery import Celery
from kombu.entity import Queue

from worker.contract import constants as C
from worker.contract.namespace import Keys, process_keys
from worker.contract.numbers import env_number

MAX_ENV_SECONDS = 7 * 86_400  # a visibility timeout or restore interval beyond a week is a typo


def redis_url() -> str:
    return os.environ.get(C.ENV_REDIS_URL, C.DEFAULT_REDIS_URL)


def visibility_timeout() -> int:
    return int(env_number(C.ENV_VISIBILITY_TIMEOUT, C.DEFAULT_VISIBILITY_TIMEOUT_S, minimum=1,
                          maximum=MAX_ENV_SECONDS, integer=True))


def transport_options() -> dict[str, int]:
    return {
        "visibility_timeout": visibility_timeout(),
        # kombu sweeps for a dead worker's messages every interval x throttle seconds
        # (100 s by default); one sweep per interval brings them back promptly.
        "unacked_restore_interval": int(env_number(C.ENV_RESTORE_INTERVAL, C.DEFAULT_RESTORE_INTERVAL_S,
                                                   minimum=1, maximum=MAX_ENV_SECONDS, integer=True)),
        "unacked_restore_throttle": 1,
    }


def make_app(url: str | None = None, keys: Keys | None = None) -> Celery:
    """The app on `url` (default: $SERVO_REDIS_URL), for broker and results alike, routing
    to the queues of `keys`' namespace (default: this process's, worker.contract.namespace)."""
    url = url or redis_url()
    control, load = (keys or process_keys()).queues
    app = Celery("servo", broker=url, backend=url, include=["worker.flow.tasks"])
    transport = transport_options()
    app.conf.update(
        # JSON only: pickle would let anyone who can write to the broker run code here.
        task_serializer="json", result_serializer="json", accept_content=["json"],
        event_serializer="json", result_accept_content=["json"],
        # A killed worker's task comes back; every task is safe to run twice.
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
        worker_cancel_long_running_tasks_on_connection_loss=True,
        broker_transport_options=transport, result_backend_transport_options=transport,
        broker_connection_retry_on_startup=True,
        task_routes={
            C.TASK_ADJUST: {"queue": control}, C.TASK_POLL: {"queue": control},
            C.TASK_METRICS: {"queue": control},
            C.TASK_BENCHMARK: {"queue": load},
        },
        # A worker started without -Q consumes its namespace's two queues.
        task_default_queue=control, task_queues=(Queue(control), Queue(load)),
        task_track_started=True, worker_send_task_events=True, task_send_sent_event=True,
        worker_hijack_root_logger=False,
        result_extended=True,
    )
    return app


app = make_app()
