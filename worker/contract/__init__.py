"""The contract the worker and the producer share: the config model and its settings, Fargate
sizes, problems and errors, the step model, step records and their Redis keys, namespaces,
expiry, and the checked input boundary (files, numbers, text). Nothing here calls AWS or
Celery, so the producer imports it without boto3."""
