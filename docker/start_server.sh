#!/usr/bin/env bash
# Serve config.asgi (HTTP and websockets) with uvicorn. Every setting comes from the
# environment; the defaults suit a container behind docker/nginx.conf.
#
#   HOST / PORT                 0.0.0.0 / 8000
#   WEB_CONCURRENCY             worker processes (2); about one per CPU core
#   FORWARDED_ALLOW_IPS         proxies whose X-Forwarded-For/-Proto are believed: addresses
#                               or networks, comma-separated (127.0.0.1). Never "*" unless
#                               nothing but the proxy can reach PORT.
#   KEEPALIVE_TIMEOUT           idle keep-alive seconds (75): longer than nginx's upstream
#                               keepalive_timeout (60), so nginx closes idle connections
#                               first and never reuses one that uvicorn is closing
#   GRACEFUL_TIMEOUT            seconds a stop waits for open requests, downloads and
#                               websockets before closing them (30); keep it below the
#                               container's stop_grace_period
#   WS_PING_INTERVAL / WS_PING_TIMEOUT   websocket keep-alive pings (20 / 20 seconds)
#   WS_MAX_SIZE                 largest websocket message in bytes (1 MiB)
#   LIMIT_CONCURRENCY           optional cap on connections per worker (503 above it)
#   MAX_REQUESTS                optional: recycle a worker after this many requests
#   LOG_LEVEL                   INFO
#
# There is deliberately no request timeout: a long download or a websocket may stay open
# as long as data flows; nginx's proxy_read_timeout bounds silent upstreams.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# uvicorn-logging.json names a formatter from docker/uvicorn_logging.py.
export PYTHONPATH="${here}${PYTHONPATH:+:${PYTHONPATH}}"

log_level="$(printf '%s' "${LOG_LEVEL:-INFO}" | tr '[:upper:]' '[:lower:]')"

args=(
  config.asgi:application
  --host "${HOST:-0.0.0.0}"
  --port "${PORT:-8000}"
  --workers "${WEB_CONCURRENCY:-2}"
  --http httptools
  --ws websockets-sansio
  --ws-ping-interval "${WS_PING_INTERVAL:-20}"
  --ws-ping-timeout "${WS_PING_TIMEOUT:-20}"
  --ws-max-size "${WS_MAX_SIZE:-1048576}"
  --proxy-headers
  --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}"
  --timeout-keep-alive "${KEEPALIVE_TIMEOUT:-75}"
  --timeout-graceful-shutdown "${GRACEFUL_TIMEOUT:-30}"
  # Django's ASGI handler has no lifespan support; "auto" would only log that.
  --lifespan off
  --no-server-header
  # nginx writes the access log (JSON, with the request id); Django logs each request too.
  --no-access-log
  --log-config "${here}/uvicorn-logging.json"
  --log-level "${log_level}"
)
if [[ -n "${LIMIT_CONCURRENCY:-}" ]]; then
  args+=(--limit-concurrency "${LIMIT_CONCURRENCY}")
fi
if [[ -n "${MAX_REQUESTS:-}" ]]; then
  args+=(--limit-max-requests "${MAX_REQUESTS}" --limit-max-requests-jitter "${MAX_REQUESTS_JITTER:-100}")
fi

exec uvicorn "${args[@]}"
