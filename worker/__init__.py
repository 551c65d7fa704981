"""servo-fargate worker: adjust, settle and benchmark one Fargate service per step."""
