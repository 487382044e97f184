#!/usr/bin/env bash
# Back up the database and the file storage into BACKUP_DIR/<UTC timestamp>/:
#
#   database.dump        pg_dump, custom format (pg_restore reads it; compressed)
#   protected.tar.gz     SECURE_DOCUMENTS_ROOT (protected documents), when set
#   media.tar.gz         MEDIA_ROOT (public media: images and renditions), when set
#   env.gpg              BACKUP_ENV_FILE (the deployment's .env: SECRET_KEY, passwords)
#                        encrypted with the passphrase in BACKUP_ENCRYPTION_KEY_FILE
#                        (or BACKUP_ENCRYPTION_KEY): GnuPG, symmetric AES-256
#   SHA256SUMS, MANIFEST checksums; what, when and from which versions
#
# A backup is written under <timestamp>.partial and renamed only once complete and
# verified, so a directory without that suffix is always a whole backup. Afterwards
# backups older than BACKUP_RETENTION_DAYS are deleted, but never the newest
# BACKUP_KEEP_MIN.
#
# Environment:
#   DATABASE_URL            postgres://user:password@host:port/name (required)
#   BACKUP_DIR              where backups go (default: ./backups)
#   SECURE_DOCUMENTS_ROOT   protected documents directory (optional)
#   MEDIA_ROOT              public media directory (optional)
#   BACKUP_RETENTION_DAYS   default 14
#   BACKUP_KEEP_MIN         default 3
#   BACKUP_METRICS_FILE     optional: node_exporter textfile to write the time and size of
#                           the last successful backup to (alert OrgPortalBackupMissing)
#   BACKUP_ENV_FILE         optional: the environment file to back up, encrypted; then a
#                           passphrase is required (a backup refuses to store it in clear)
#   BACKUP_ENCRYPTION_KEY_FILE / BACKUP_ENCRYPTION_KEY   that passphrase (file or value)
#
# Schedule (docs/deployment.md): nightly from the host's cron or a systemd timer, e.g.
#   15 2 * * *  cd /srv/orgportal && docker compose --profile backup run --rm backup
# and copy BACKUP_DIR off the host. File storage in S3 is backed up by the bucket's
# versioning and replication instead.
set -euo pipefail

log() { printf '%s backup: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

: "${DATABASE_URL:?DATABASE_URL is not set}"
backup_dir="${BACKUP_DIR:-./backups}"
retention_days="${BACKUP_RETENTION_DAYS:-14}"
keep_min="${BACKUP_KEEP_MIN:-3}"
[[ "$retention_days" =~ ^[0-9]+$ ]] || die "BACKUP_RETENTION_DAYS must be a number of days"
[[ "$keep_min" =~ ^[0-9]+$ ]] || die "BACKUP_KEEP_MIN must be a number"

for tool in pg_dump pg_restore tar gzip sha256sum; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done

mkdir -p "$backup_dir"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
final="$backup_dir/$stamp"
work="$final.partial"
[[ ! -e "$final" && ! -e "$work" ]] || die "$final already exists"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

log "dumping the database"
pg_dump --format=custom --compress=6 --no-owner --no-privileges \
  --file "$work/database.dump" --dbname "$DATABASE_URL" ||
  die "pg_dump failed"
# A dump that pg_restore cannot list is no backup.
pg_restore --list "$work/database.dump" >/dev/null || die "the dump does not read back"

archive_dir() {
  local name="$1" dir="$2"
  if [[ -z "$dir" ]]; then
    return 0
  fi
  [[ -d "$dir" ]] || die "$name directory $dir does not exist"
  log "archiving $name ($dir)"
  tar --create --gzip --file "$work/$name.tar.gz" --directory "$dir" --numeric-owner . ||
    die "archiving $dir failed"
  gzip --test "$work/$name.tar.gz" || die "the $name archive does not read back"
}
archive_dir protected "${SECURE_DOCUMENTS_ROOT:-}"
archive_dir media "${MEDIA_ROOT:-}"

encrypt_env() {
  local source="${BACKUP_ENV_FILE:-}" key_file="${BACKUP_ENCRYPTION_KEY_FILE:-}" gnupg
  if [[ -z "$source" ]]; then
    return 0
  fi
  [[ -f "$source" ]] || die "BACKUP_ENV_FILE $source does not exist"
  command -v gpg >/dev/null || die "gpg is not installed (needed to encrypt $source)"
  gnupg="$(mktemp -d)"
  if [[ -z "$key_file" ]]; then
    [[ -n "${BACKUP_ENCRYPTION_KEY:-}" ]] ||
      die "BACKUP_ENV_FILE is set but there is no BACKUP_ENCRYPTION_KEY(_FILE) to encrypt it with"
    key_file="$gnupg/passphrase"
    printf '%s' "$BACKUP_ENCRYPTION_KEY" >"$key_file"
  fi
  [[ -s "$key_file" ]] || die "the encryption passphrase file $key_file is empty or missing"
  log "encrypting the environment file ($source)"
  GNUPGHOME="$gnupg" gpg --batch --yes --quiet --pinentry-mode loopback \
    --passphrase-file "$key_file" --symmetric --cipher-algo AES256 \
    --output "$work/env.gpg" "$source" || die "encrypting $source failed"
  # The copy must decrypt to the very same bytes with the same passphrase.
  GNUPGHOME="$gnupg" gpg --batch --quiet --pinentry-mode loopback \
    --passphrase-file "$key_file" --decrypt "$work/env.gpg" 2>/dev/null | cmp -s - "$source" ||
    die "the encrypted environment file does not decrypt to the original"
  rm -rf "$gnupg"
}
encrypt_env

{
  echo "created=$stamp"
  echo "pg_dump=$(pg_dump --version)"
  echo "app_version=${APP_VERSION:-unknown}"
  echo "git_commit=${APP_GIT_COMMIT:-unknown}"
  echo "database=$(printf '%s' "$DATABASE_URL" | sed -E 's#//[^@/]*@#//#')"
  echo "protected=${SECURE_DOCUMENTS_ROOT:-}"
  echo "media=${MEDIA_ROOT:-}"
  echo "env=$([[ -f "$work/env.gpg" ]] && echo "env.gpg (encrypted)" || echo none)"
} >"$work/MANIFEST"
(cd "$work" && sha256sum -- * >SHA256SUMS)

mv "$work" "$final"
trap - EXIT
log "backup complete: $final ($(du -sh "$final" | cut -f1))"

if [[ -n "${BACKUP_METRICS_FILE:-}" ]]; then
  {
    echo "# HELP orgportal_backup_last_success_timestamp_seconds End of the last complete backup."
    echo "# TYPE orgportal_backup_last_success_timestamp_seconds gauge"
    echo "orgportal_backup_last_success_timestamp_seconds $(date +%s)"
    echo "# HELP orgportal_backup_size_bytes Size of the last complete backup."
    echo "# TYPE orgportal_backup_size_bytes gauge"
    echo "orgportal_backup_size_bytes $(du -sb "$final" | cut -f1)"
  } >"$BACKUP_METRICS_FILE.tmp"
  mv "$BACKUP_METRICS_FILE.tmp" "$BACKUP_METRICS_FILE"
fi

# Retention: complete backups only (names like 20250101T021500Z), newest first.
count=0
while read -r old; do
  count=$((count + 1))
  ((count > keep_min)) || continue
  if [[ -n "$(find "$backup_dir/$old" -maxdepth 0 -mtime "+$retention_days")" ]]; then
    log "deleting $old (older than $retention_days days)"
    rm -rf "${backup_dir:?}/$old"
  fi
done < <(find "$backup_dir" -mindepth 1 -maxdepth 1 -type d -name '[0-9]*T[0-9]*Z' -printf '%f\n' | sort -r)
# Leftovers of interrupted runs.
find "$backup_dir" -mindepth 1 -maxdepth 1 -type d -name '*.partial' -mmin +720 -exec rm -rf {} +
echo "$final"
