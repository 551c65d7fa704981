"""Real Celery worker processes for end-to-end tests: the emulator's own starter, which the
demo uses too (emulator/workerproc.py), and the project root it runs them in."""

from __future__ import annotations

from emulator.workerproc import ROOT, Worker

__all__ = ["ROOT", "Worker"]
