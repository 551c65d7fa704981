"""servo-fargate producer: the CLI, and (with the pipeline) the API an optimizer calls."""
