#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh.
#
#   scripts/restore.sh [--yes] [--database-only | --files-only | --env-only]
#                      [--env-file PATH] BACKUP_PATH
#
# The checksums are verified first. Then the database named by DATABASE_URL is replaced
# with the dump (pg_restore --clean, in one transaction: on an error nothing changes),
# and the contents of SECURE_DOCUMENTS_ROOT and MEDIA_ROOT are replaced with the
# archives. Stop the app, workers and beat first (docs/deployment.md).
#
# With --env-file PATH, the backup's encrypted environment file (env.gpg) is decrypted to
# PATH (mode 600, never over an existing file) with the passphrase in
# BACKUP_ENCRYPTION_KEY_FILE or BACKUP_ENCRYPTION_KEY; --env-only restores nothing else.
#
# For a restore drill, point DATABASE_URL at a scratch database and the two directories
# at scratch directories: the running site is not touched.
#
# Environment:
#   DATABASE_URL            target database; it must exist (createdb it for a drill)
#   SECURE_DOCUMENTS_ROOT   target of protected.tar.gz
#   MEDIA_ROOT              target of media.tar.gz
#   RESTORE_CONFIRM=yes     same as --yes
set -euo pipefail

log() { printf '%s restore: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

confirm="${RESTORE_CONFIRM:-no}"
do_database=true
do_files=true
env_target=""
backup=""
while (($#)); do
  case "$1" in
    --yes) confirm=yes ;;
    --database-only) do_files=false ;;
    --files-only) do_database=false ;;
    --env-only)
      do_database=false
      do_files=false
      ;;
    --env-file)
      (($# >= 2)) || die "--env-file needs a path"
      env_target="$2"
      shift
      ;;
    -h | --help)
      sed -n '2,26p' "$0"
      exit 0
      ;;
    -*) die "unknown option $1" ;;
    *) backup="$1" ;;
  esac
  shift
done
[[ -n "$backup" ]] || die "usage: restore.sh [--yes] [--database-only|--files-only] BACKUP_PATH"
[[ -d "$backup" ]] || die "$backup is not a directory"
[[ "$backup" != *.partial ]] || die "$backup is an incomplete backup"
[[ -f "$backup/SHA256SUMS" ]] || die "$backup has no SHA256SUMS: not a complete backup"

log "verifying checksums"
(cd "$backup" && sha256sum --check --quiet SHA256SUMS) || die "checksums do not match: backup damaged"

target_db="$(printf '%s' "${DATABASE_URL:-}" | sed -E 's#//[^@/]*@#//#')"
if [[ "$confirm" != "yes" ]]; then
  die "this replaces the database ${target_db:-<DATABASE_URL unset>} and the files; rerun with --yes"
fi

if [[ "$do_database" == "true" ]]; then
  : "${DATABASE_URL:?DATABASE_URL is not set}"
  [[ -f "$backup/database.dump" ]] || die "$backup/database.dump is missing"
  log "restoring the database into $target_db"
  pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction \
    --exit-on-error --dbname "$DATABASE_URL" "$backup/database.dump" ||
    die "pg_restore failed; the database is unchanged"
fi

restore_dir() {
  local name="$1" dir="$2" archive="$backup/$1.tar.gz"
  if [[ ! -f "$archive" ]]; then
    log "no $name archive in this backup: $name left as it is"
    return 0
  fi
  [[ -n "$dir" ]] || die "the backup has $name files but their directory is not set"
  mkdir -p "$dir"
  # Unpack into a staging directory inside the target first (same file system, so the
  # final moves are renames); a broken archive leaves the target as it was.
  local staging
  staging="$(mktemp -d "${dir%/}/.restore-staging.XXXXXX")"
  tar --extract --gzip --file "$archive" --directory "$staging" --no-same-owner ||
    {
      rm -rf "$staging"
      die "unpacking $archive failed; $dir is unchanged"
    }
  log "replacing the contents of $dir"
  find "$dir" -mindepth 1 -maxdepth 1 ! -path "$staging" -exec rm -rf {} +
  find "$staging" -mindepth 1 -maxdepth 1 -exec mv -t "$dir" {} +
  rmdir "$staging"
}

if [[ "$do_files" == "true" ]]; then
  restore_dir protected "${SECURE_DOCUMENTS_ROOT:-}"
  restore_dir media "${MEDIA_ROOT:-}"
fi

restore_env() {
  local target="$1" key_file="${BACKUP_ENCRYPTION_KEY_FILE:-}" gnupg
  [[ -f "$backup/env.gpg" ]] || die "$backup holds no environment file (env.gpg)"
  [[ ! -e "$target" ]] || die "$target exists: choose a new path, then compare and move it"
  command -v gpg >/dev/null || die "gpg is not installed"
  gnupg="$(mktemp -d)"
  if [[ -z "$key_file" ]]; then
    [[ -n "${BACKUP_ENCRYPTION_KEY:-}" ]] || die "set BACKUP_ENCRYPTION_KEY(_FILE) to decrypt it"
    key_file="$gnupg/passphrase"
    printf '%s' "$BACKUP_ENCRYPTION_KEY" >"$key_file"
  fi
  log "decrypting the environment file into $target"
  (
    umask 077
    GNUPGHOME="$gnupg" gpg --batch --quiet --pinentry-mode loopback \
      --passphrase-file "$key_file" --output "$target" --decrypt "$backup/env.gpg"
  ) || {
    rm -rf "$gnupg" "$target"
    die "decrypting the environment file failed (wrong passphrase?)"
  }
  rm -rf "$gnupg"
}
if [[ -n "$env_target" ]]; then
  restore_env "$env_target"
fi
log "restore complete from $backup"
