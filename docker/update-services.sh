#!/usr/bin/env bash
# Update the running stack to another image tag, or put the previous one back.
#
#   docker/update-services.sh v1.4.0      pull v1.4.0, start it, wait until healthy
#   docker/update-services.sh --rollback  go back to the tag that ran before the last update
#
# Steps: pull the images of the new tag; when the new release has migrations to apply,
# take a backup (scripts/backup.sh in the backup service, which verifies what it wrote)
# and stop here if it fails; `docker compose up -d --wait` (the app applies migrations at
# start, under an advisory lock); when every service is running and healthy within
# WAIT_TIMEOUT seconds, record the tag in the env file and prune old images. When not,
# start the previous tag again and exit non-zero.
#
# Migrations are not reverted by a rollback: releases keep their migrations backward
# compatible (docs/deployment.md, "Migrations and rollback").
#
# Environment:
#   ENV_FILE        compose env file holding IMAGE_TAG (default: .env next to the compose file)
#   STATE_DIR       where the previous tag is remembered (default: .deploy)
#   WAIT_TIMEOUT    seconds to wait for healthy services (default: 300)
#   KEEP_IMAGES     older image tags kept besides the current and previous ones (default: 2)
#   SKIP_PULL       "true" when the images were built on this host (no registry)
#   BACKUP_BEFORE_UPDATE  migrations (default): back up when the new release migrates;
#                   always; or never (e.g. a managed database with point-in-time recovery)
#   DOCKER          the docker client (default: docker)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

docker_cmd="${DOCKER:-docker}"
env_file="${ENV_FILE:-.env}"
state_dir="${STATE_DIR:-.deploy}"
wait_timeout="${WAIT_TIMEOUT:-300}"
keep_images="${KEEP_IMAGES:-2}"
backup_policy="${BACKUP_BEFORE_UPDATE:-migrations}"
images=(app worker nginx)

log() { printf '%s update-services: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

usage() { sed -n '2,26p' "$0"; }

(($# == 1)) || {
  usage >&2
  exit 2
}
[[ -f "$env_file" ]] || die "$env_file not found (copy .env.example to .env first)"

env_value() {
  # The last NAME=value line of the env file (compose uses the last one too).
  local name="$1"
  sed -n "s/^${name}=//p" "$env_file" | tail -n 1
}

current_tag="$(env_value IMAGE_TAG)"
prefix="$(env_value IMAGE_PREFIX)"
prefix="${prefix:-orgportal}"

case "$1" in
  -h | --help)
    usage
    exit 0
    ;;
  --rollback)
    [[ -s "$state_dir/previous-tag" ]] || die "no previous tag recorded in $state_dir/previous-tag"
    new_tag="$(cat "$state_dir/previous-tag")"
    ;;
  -*) die "unknown option $1" ;;
  *) new_tag="$1" ;;
esac
[[ "$new_tag" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "not a valid image tag: $new_tag"
case "$backup_policy" in
  migrations | always | never) ;;
  *) die "BACKUP_BEFORE_UPDATE must be migrations, always or never" ;;
esac

compose() { IMAGE_TAG="$1" "$docker_cmd" compose --env-file "$env_file" "${@:2}"; }

start() {
  # Start every service at tag $1 and wait until all are running and healthy; then make
  # nginx, which resolves the app's address when it (re)loads, see the new containers.
  local tag="$1"
  compose "$tag" up -d --remove-orphans --wait --wait-timeout "$wait_timeout" || return 1
  # The variable expands inside the nginx container.
  # shellcheck disable=SC2016
  compose "$tag" exec -T nginx sh -c 'nginx -c "$NGINX_RUN_DIR/nginx.conf" -s reload'
}

set_env_tag() {
  local tag="$1" tmp
  tmp="$(mktemp "${env_file}.XXXXXX")"
  if grep -q '^IMAGE_TAG=' "$env_file"; then
    sed "s/^IMAGE_TAG=.*/IMAGE_TAG=${tag}/" "$env_file" >"$tmp"
  else
    cat "$env_file" >"$tmp"
    printf 'IMAGE_TAG=%s\n' "$tag" >>"$tmp"
  fi
  chmod --reference="$env_file" "$tmp" 2>/dev/null || true
  mv "$tmp" "$env_file"
}

prune() {
  local image tag keep count
  for image in "${images[@]}"; do
    keep=("$1" "$2")
    count=0
    # Newest first; keep the current tag, the previous one and KEEP_IMAGES more.
    while read -r tag; do
      [[ -n "$tag" && "$tag" != "<none>" ]] || continue
      if [[ " ${keep[*]} " == *" $tag "* ]]; then
        continue
      fi
      if ((count < keep_images)); then
        count=$((count + 1))
        continue
      fi
      log "removing ${prefix}-${image}:${tag}"
      "$docker_cmd" image rm "${prefix}-${image}:${tag}" >/dev/null || true
    done < <("$docker_cmd" image ls "${prefix}-${image}" --format '{{.Tag}}')
  done
  "$docker_cmd" image prune -f >/dev/null || true
}

pending_migrations() {
  # The new image against the current database: `migrate --check` exits 1 when it has
  # migrations to apply. It runs without starting anything else and changes nothing.
  compose "$1" run --rm --no-deps -e RUN_MIGRATIONS=false app \
    python manage.py migrate --check --no-input >/dev/null 2>&1 && return 1
  return 0
}

backup_before() {
  # scripts/backup.sh checks that the dump and archives read back and writes the
  # directory's final name only when complete; its last line is that path.
  local output
  log "backing up before the update"
  if ! output="$(compose "$1" --profile backup run --rm backup)"; then
    return 1
  fi
  backup_path="$(printf '%s\n' "$output" | tail -n 1)"
  [[ -n "$backup_path" && "$backup_path" != *.partial ]] || return 1
  log "backup written: ${backup_path}"
}

log "updating from ${current_tag:-<none>} to ${new_tag}"
if [[ "${SKIP_PULL:-false}" != "true" ]]; then
  compose "$new_tag" pull --quiet || die "could not pull the images of ${new_tag}; nothing changed"
fi

backup_path=""
need_backup=false
case "$backup_policy" in
  always) need_backup=true ;;
  migrations) pending_migrations "$new_tag" && need_backup=true ;;
  never) ;;
esac
if [[ "$need_backup" == "true" ]]; then
  backup_before "$current_tag" ||
    die "the backup before the update failed: nothing changed, ${current_tag:-the current release} still runs"
fi

if start "$new_tag"; then
  mkdir -p "$state_dir"
  if [[ -n "$current_tag" && "$current_tag" != "$new_tag" ]]; then
    printf '%s\n' "$current_tag" >"$state_dir/previous-tag"
  fi
  set_env_tag "$new_tag"
  log "${new_tag} is running and healthy"
  prune "$new_tag" "${current_tag:-$new_tag}"
  exit 0
fi

log "${new_tag} did not become healthy within ${wait_timeout}s"
compose "$new_tag" ps >&2 || true
if [[ -z "$current_tag" || "$current_tag" == "$new_tag" ]]; then
  die "no previous tag to roll back to"
fi
log "rolling back to ${current_tag}"
if [[ -n "$backup_path" ]]; then
  log "migrations of ${new_tag} may have run: the backup taken before them is ${backup_path}"
fi
if start "$current_tag"; then
  die "rolled back to ${current_tag}; ${new_tag} failed (see: docker compose logs app)"
fi
die "rollback to ${current_tag} did not become healthy either: intervene by hand"
