#!/bin/sh
# Render docker/nginx.conf with the NGINX_* variables below, check it, and run nginx in
# the foreground. The nginx image runs this as its entry point; the process-level tests
# run it too, with local ports and directories.
#
#   NGINX_TEMPLATE              the template (/etc/orgportal/nginx.conf in the image)
#   NGINX_RUN_DIR               writable: rendered config, pid, temporary files (/tmp/nginx)
#   NGINX_PORT                  port to listen on (8080)
#   NGINX_APP_UPSTREAM          the app's host:port (app:8000)
#   NGINX_STATIC_ROOT           collected static files (/usr/share/orgportal/static)
#   NGINX_PROTECTED_ROOT        protected documents, SECURE_DOCUMENTS_ROOT of the app
#                               (/var/lib/orgportal/protected)
#   NGINX_CLIENT_MAX_BODY_SIZE  largest request body, i.e. upload (100m)
#   NGINX_BIN                   the nginx binary (nginx)
set -eu

: "${NGINX_TEMPLATE:=/etc/orgportal/nginx.conf}"
: "${NGINX_RUN_DIR:=/tmp/nginx}"
: "${NGINX_PORT:=8080}"
: "${NGINX_APP_UPSTREAM:=app:8000}"
: "${NGINX_STATIC_ROOT:=/usr/share/orgportal/static}"
: "${NGINX_PROTECTED_ROOT:=/var/lib/orgportal/protected}"
: "${NGINX_CLIENT_MAX_BODY_SIZE:=100m}"
: "${NGINX_BIN:=nginx}"
export NGINX_RUN_DIR NGINX_PORT NGINX_APP_UPSTREAM NGINX_STATIC_ROOT NGINX_PROTECTED_ROOT \
  NGINX_CLIENT_MAX_BODY_SIZE

mkdir -p "$NGINX_RUN_DIR"
config="$NGINX_RUN_DIR/nginx.conf"
# Only these names are replaced: nginx's own $variables must survive.
# shellcheck disable=SC2016
envsubst '${NGINX_RUN_DIR} ${NGINX_PORT} ${NGINX_APP_UPSTREAM} ${NGINX_STATIC_ROOT} ${NGINX_PROTECTED_ROOT} ${NGINX_CLIENT_MAX_BODY_SIZE}' \
  <"$NGINX_TEMPLATE" >"$config"

"$NGINX_BIN" -t -q -c "$config"
exec "$NGINX_BIN" -c "$config" -g 'daemon off;'
