# The servo-fargate worker (and Flower and the CLI, from the same image): Python, the
# project, and apache bench. Runs as an unprivileged user; configuration comes from a
# mounted config.yaml and the environment, credentials from the EC2 instance profile or
# the standard AWS variables, never from the image.
FROM python:3.11-slim

RUN apt-get update \
 && apt-get install -y --no-install-recommends apache2-utils \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY setup.cfg pyproject.toml README.md ./
COPY worker ./worker
COPY producer ./producer
COPY emulator ./emulator
RUN pip install --no-cache-dir '.[flower,optimize]'

RUN useradd --create-home --uid 10001 servo
USER servo
ENV SERVO_CONFIG=/config/config.yaml \
    PYTHONUNBUFFERED=1

# Both queues; benchmarks still run one at a time per host (a Redis lock per load host).
# -q drops the startup banner: every line the worker writes is then a JSON log line.
CMD ["celery", "-A", "worker.flow.app", "-q", "worker", "-Q", "control,load", "-c", "4", "-E", "-l", "INFO", \
     "--without-gossip", "--without-mingle"]
