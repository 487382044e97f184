#!/usr/bin/env bash
# Run a Celery worker. Every setting comes from the environment:
#
#   CELERY_QUEUES               queues to consume, comma-separated
#                               (default,documents,notifications,maintenance,celery);
#                               "celery" is Celery's own fallback queue: consuming it means
#                               a task sent without a route is never stranded
#   CELERY_WORKER_NAME          node name before "@host" (worker); docker/healthcheck.py
#                               pings <name>@<hostname>
#   CELERY_CONCURRENCY          pool processes (2)
#   CELERY_MAX_TASKS_PER_CHILD  recycle a pool process after this many tasks (500)
#   CELERY_MAX_MEMORY_PER_CHILD recycle it above this resident size in KiB (512 MiB)
#   CELERY_TASK_EVENTS          "true" sends task events for Flower and the Prometheus
#                               exporter (true)
#   LOG_LEVEL                   INFO
#
# On SIGTERM Celery stops taking tasks and finishes the running ones (warm shutdown);
# give the container a stop_grace_period longer than the longest task.
set -euo pipefail

args=(
  -A config worker
  --loglevel "${LOG_LEVEL:-INFO}"
  --queues "${CELERY_QUEUES:-default,documents,notifications,maintenance,celery}"
  --hostname "${CELERY_WORKER_NAME:-worker}@%h"
  --concurrency "${CELERY_CONCURRENCY:-2}"
  --max-tasks-per-child "${CELERY_MAX_TASKS_PER_CHILD:-500}"
  --max-memory-per-child "${CELERY_MAX_MEMORY_PER_CHILD:-524288}"
  # Gossip and mingle cost broker traffic on every worker start and buy nothing here.
  --without-gossip
  --without-mingle
)
if [[ "${CELERY_TASK_EVENTS:-true}" == "true" ]]; then
  args+=(--task-events)
fi

# --quiet drops the start-up banner, which is not a log line (logs are JSON).
exec celery --quiet "${args[@]}"
