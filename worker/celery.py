"""`celery -A worker ...` finds the app here, as Celery looks for `<package>.celery`.

So the convention every Celery user types works (`celery -A worker worker`, `celery -A
worker flower`) beside `-A worker.flow.app`; without `-Q` the worker serves both queues
(worker/flow/app.py declares them).
"""

from worker.flow.app import app

__all__ = ["app"]
