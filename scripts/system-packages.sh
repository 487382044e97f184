#!/usr/bin/env bash
# The system packages the test suite runs for real: Chromium for the browser tests, nginx
# for X-Accel serving, redis-server and the PostgreSQL client for fault, failover and
# backup tests, libmagic for upload sniffing, the Prometheus tools for the monitoring
# stack, gnupg for encrypted backups, shellcheck for the operations scripts.
# Installs what is missing through apt when run as root; otherwise names the one command.
set -euo pipefail

PACKAGES=(
  chromium fonts-dejavu-core libmagic1 nginx-light shellcheck gettext-base
  postgresql-client redis-server gnupg
  prometheus prometheus-alertmanager prometheus-redis-exporter prometheus-postgres-exporter
  prometheus-node-exporter prometheus-blackbox-exporter
)

if ! command -v dpkg >/dev/null 2>&1; then
  echo "This machine has no dpkg/apt: install the equivalents of ${PACKAGES[*]} yourself." >&2
  exit 1
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
((${#missing[@]} == 0)) && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "Missing system packages: ${missing[*]}" >&2
  echo "Install them with:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "Installing system packages: ${missing[*]}"
stamp=/tmp/.orgportal-apt-updated
if [[ ! -f $stamp ]]; then
  apt-get update -qq && touch "$stamp"
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
