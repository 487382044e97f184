"""Apply Django migrations once, however many replicas start at the same moment.

Run by docker/entrypoint.sh when ``RUN_MIGRATIONS=true``. Before migrating it takes a
session-level PostgreSQL advisory lock on a connection of its own (not one of Django's
pooled connections, which could keep the lock alive after this script is done). A
replica that arrives while another one migrates waits for the lock, then finds the
schema up to date and applies nothing. ``MIGRATION_LOCK_TIMEOUT`` (seconds, default
600) bounds that wait.

Log lines (JSON): "applying migrations" with the list, "applied migrations", or "schema
is up to date"; the process-level tests read them to prove that only one replica
migrated. Exit status 0 on success, 1 with an error line on any failure.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from wait_for_db import connect_kwargs, database_settings, describe, is_postgres, log

# An arbitrary constant shared by every replica of this project: "orgportl" as a big-endian
# signed 64-bit integer. Advisory lock ids are per database, so deployments that share a
# PostgreSQL server but not a database do not block each other.
MIGRATION_LOCK_ID = int.from_bytes(b"orgportl", "big", signed=True)


def pending_migrations() -> list[str]:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, backwards in plan]


def migrate() -> int:
    import django
    from django.core.management import call_command

    django.setup()
    pending = pending_migrations()
    if not pending:
        log("info", "schema is up to date: no migrations to apply")
        return 0
    log("info", "applying migrations", count=len(pending), migrations=pending)
    started = time.monotonic()
    call_command("migrate", interactive=False, verbosity=0)
    log(
        "info",
        "applied migrations",
        count=len(pending),
        seconds=round(time.monotonic() - started, 2),
    )
    return 0


def migrate_under_lock(db: dict[str, object], lock_timeout: float) -> int:
    import psycopg

    with psycopg.connect(**connect_kwargs(db), autocommit=True) as lock_connection:
        acquired = lock_connection.execute(
            "SELECT pg_try_advisory_lock(%s)", (MIGRATION_LOCK_ID,)
        ).fetchone()
        if not (acquired and acquired[0]):
            log(
                "info",
                "another process holds the migration lock: waiting for it",
                timeout_seconds=lock_timeout,
            )
            # lock_timeout also bounds waits for advisory locks.
            lock_connection.execute(f"SET lock_timeout = {int(lock_timeout * 1000)}")
            try:
                lock_connection.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_ID,))
            except psycopg.errors.LockNotAvailable:
                log(
                    "error",
                    f"gave up waiting for the migration lock after {lock_timeout:g}s: "
                    "another replica may be stuck migrating (see pg_locks)",
                )
                return 1
            lock_connection.execute("SET lock_timeout = 0")
        log("info", "acquired the migration lock", database=describe(db))
        try:
            return migrate()
        finally:
            lock_connection.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_ID,))
            log("info", "released the migration lock")


def main() -> int:
    lock_timeout = float(os.environ.get("MIGRATION_LOCK_TIMEOUT", "600"))
    try:
        db = database_settings()
        if not is_postgres(db):
            log("warning", "not PostgreSQL: migrating without a lock", engine=str(db["ENGINE"]))
            return migrate()
        return migrate_under_lock(db, lock_timeout)
    except Exception as exc:
        log(
            "error",
            "migration failed",
            error=f"{type(exc).__name__}: {exc}",
            traceback=traceback.format_exc(),
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
