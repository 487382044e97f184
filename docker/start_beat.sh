#!/usr/bin/env bash
# Run the Celery beat scheduler. Run exactly one per deployment: two would send every
# periodic task twice.
#
#   CELERY_BEAT_SCHEDULE   file where beat remembers the last runs
#                          (/tmp/celerybeat-schedule; lost on restart, which only means
#                          a task due during the restart runs at its next time)
#   LOG_LEVEL              INFO
set -euo pipefail

exec celery --quiet -A config beat \
  --loglevel "${LOG_LEVEL:-INFO}" \
  --schedule "${CELERY_BEAT_SCHEDULE:-/tmp/celerybeat-schedule}" \
  --max-interval "${CELERY_BEAT_MAX_INTERVAL:-60}"
