#!/usr/bin/env bash
# Entry point of the app and worker images (and of the process-level deployment tests).
#
#   1. waits for PostgreSQL (DB_WAIT_TIMEOUT seconds, default 60);
#   2. with RUN_MIGRATIONS=true, applies migrations under a PostgreSQL advisory lock, so
#      that replicas starting together migrate once (docker/migrate_with_lock.py);
#   3. replaces itself with its arguments (default: docker/start_server.sh).
#
# With ALLOWED_HOSTS_OWN_ADDRESSES=true, the container's own IP addresses are added to
# ALLOWED_HOSTS first: Prometheus, blackbox_exporter and Kubernetes probes reach each
# replica by its address, and Django answers 400 to a Host it does not know.
#
# Any failure stops the container with a non-zero status and a message saying why.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python}"

log() {
  # One JSON line, like every other log line of the stack (messages here carry no quotes).
  printf '{"timestamp": "%s", "level": "%s", "logger": "entrypoint", "event": "%s"}\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" "$2" >&2
}

if [[ "${ALLOWED_HOSTS_OWN_ADDRESSES:-false}" == "true" ]]; then
  for address in $(hostname -I 2>/dev/null || true); do
    # Django writes IPv6 literals in brackets, as in a Host header.
    [[ "$address" == *:* ]] && address="[${address}]"
    ALLOWED_HOSTS="${ALLOWED_HOSTS:+${ALLOWED_HOSTS},}${address}"
  done
  export ALLOWED_HOSTS
fi

if [[ "${SKIP_DB_WAIT:-false}" != "true" ]]; then
  if ! "$python" "$here/wait_for_db.py"; then
    log error "the database is not reachable: not starting"
    exit 1
  fi
fi

if [[ "${RUN_MIGRATIONS:-false}" == "true" ]]; then
  if ! "$python" "$here/migrate_with_lock.py"; then
    log error "migrations failed: not starting (see the lines above)"
    exit 1
  fi
fi

if (($# == 0)); then
  set -- "$here/start_server.sh"
fi
log info "starting: $1"
exec "$@"
