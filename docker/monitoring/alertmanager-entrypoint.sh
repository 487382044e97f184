#!/bin/sh
# Start Alertmanager with docker/monitoring/alertmanager.yml, the receiver's URL taken from
# ALERT_WEBHOOK_URL (Alertmanager's configuration reads no environment variables).
#
#   ALERT_WEBHOOK_URL         where alerts are POSTed (required)
#   ALERTMANAGER_TEMPLATE     the configuration with the placeholder
#                             (/etc/alertmanager/alertmanager.yml)
#   ALERTMANAGER_CONFIG       where the filled-in copy goes (/tmp/alertmanager.yml)
#   ALERTMANAGER_BIN          the binary (/bin/alertmanager); further arguments go to it
set -eu

: "${ALERT_WEBHOOK_URL:?ALERT_WEBHOOK_URL is not set}"
template="${ALERTMANAGER_TEMPLATE:-/etc/alertmanager/alertmanager.yml}"
config="${ALERTMANAGER_CONFIG:-/tmp/alertmanager.yml}"

case "$ALERT_WEBHOOK_URL" in
  http://* | https://*) ;;
  *)
    echo "ALERT_WEBHOOK_URL must be an http(s) URL" >&2
    exit 1
    ;;
esac
# The URL goes into a double-quoted YAML string: it may not hold quotes or backslashes.
case "$ALERT_WEBHOOK_URL" in
  *\"* | *\\* | *"|"*)
    echo "ALERT_WEBHOOK_URL may not contain quotes, backslashes or |" >&2
    exit 1
    ;;
esac

sed "s|\"ALERT_WEBHOOK_URL\"|\"${ALERT_WEBHOOK_URL}\"|" "$template" >"$config"
exec "${ALERTMANAGER_BIN:-/bin/alertmanager}" --config.file="$config" "$@"
