"""The worker's AWS side: clients and the error policy, reading and adjusting a Fargate
service, the settle state machine and what it looks at (stability, shared looks, the API
budget), CloudWatch, target identity, the IAM policy, and preflight checks."""
