"""Real Celery worker processes for end-to-end tests: the emulator's own starter, which the
demo uses too (emulator/workerproc.py)."""

from __future__ import annotations

from emulator.workerproc import Worker

__all__ = ["Worker"]
