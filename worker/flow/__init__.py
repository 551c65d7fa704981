"""The Celery wiring: the app, the stage tasks and the stages they run (adjusting, settling,
measuring, over one runtime), the preflight gate, per-service leases, recovery of a dead
worker's steps, progress, and logging."""
