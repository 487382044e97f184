"""Migrations at start-up: replicas racing on a fresh database migrate once; the waits
for the database and for the lock give up with a message; the newest migration of every
app reverses (the rollback procedure of docs/deployment.md)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap

import psycopg

from tests.deploy.conftest import (
    ROOT,
    Process,
    Stack,
    base_env,
    free_port,
    fresh_database,
    http_ok,
    require_tool,
)

FIRST_PARTY_APPS = [
    "accounts",
    "organizations",
    "home",
    "dashboards",
    "secure_documents",
    "secure_images",
]


def lock_events(process: Process) -> list[dict[str, object]]:
    return [line for line in process.json_lines() if line.get("logger") == "migrate_with_lock"]


def test_replicas_starting_together_migrate_once(stack: Stack) -> None:
    """The stack's two app replicas started together, both with RUN_MIGRATIONS=true."""
    replicas = [stack.processes["app"], stack.processes["app-2"]]
    assert all(replica.env["RUN_MIGRATIONS"] == "true" for replica in replicas)
    applied = {
        r.name: [e for e in lock_events(r) if e["event"] == "applied migrations"] for r in replicas
    }
    migrated = [name for name, lines in applied.items() if lines]
    assert len(migrated) == 1, f"expected one replica to migrate, got {migrated}"
    assert applied[migrated[0]][0]["count"] > 0  # type: ignore[operator]
    loser = next(r for r in replicas if r.name not in migrated)
    names = [str(e["event"]) for e in lock_events(loser)]
    # The other one waited for the lock, then found nothing to apply.
    assert any("waiting for it" in name for name in names), names
    assert any(name.startswith("schema is up to date") for name in names), names
    for replica in replicas:
        names = [str(e["event"]) for e in lock_events(replica)]
        assert "acquired the migration lock" in names
        assert "released the migration lock" in names


def test_both_replicas_serve(stack: Stack) -> None:
    for name in ("app", "app-2"):
        assert http_ok(int(stack.processes[name].env["PORT"]), "/health/ready"), name


def test_latest_migration_of_each_app_reverses(stack: Stack) -> None:
    """What a rollback does before starting the previous release: migrate each app back to
    its previous migration with the new code (and here forward again). Runs on a copy of
    the stack's database."""
    pg_dump = require_tool("pg_dump", ".ci/run installs the postgresql-client package")
    pg_restore = require_tool("pg_restore", ".ci/run installs the postgresql-client package")
    script = textwrap.dedent(
        f"""
        import django
        django.setup()
        from django.core.management import call_command
        from django.db import connection
        from django.db.migrations.loader import MigrationLoader

        graph = MigrationLoader(connection).graph
        for app in {FIRST_PARTY_APPS!r}:
            for leaf in graph.leaf_nodes(app):
                parents = [p.key for p in graph.node_map[leaf].parents if p.key[0] == app]
                target = parents[0][1] if parents else "zero"
                print(f"{{app}}: {{leaf[1]}} -> {{target}} -> {{leaf[1]}}", flush=True)
                call_command("migrate", app, target, interactive=False, verbosity=0)
                call_command("migrate", interactive=False, verbosity=0)
        call_command("migrate", check_unapplied=True, interactive=False, verbosity=0)
        """
    )
    with fresh_database("orgportal_rollback") as copy:
        dump = subprocess.run(
            [pg_dump, "--format=custom", "--dbname", stack.database_url],
            capture_output=True,
            timeout=120,
            check=True,
        )
        subprocess.run(
            [pg_restore, "--no-owner", "--exit-on-error", "--dbname", copy],
            input=dump.stdout,
            capture_output=True,
            timeout=120,
            check=True,
        )
        result = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env={**stack.app_env(DATABASE_URL=copy), "LOG_LEVEL": "WARNING"},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert result.returncode == 0, (
        "rolling a migration back failed. Every migration needs a reverse, and post_migrate "
        "receivers must cope with a partly migrated schema (a backwards plan, or tables of "
        "other apps not there yet):\n" + result.stdout + result.stderr[-6000:]
    )
    assert "->" in result.stdout


def test_database_wait_gives_up_with_a_message(stack: Stack) -> None:
    url = f"postgres://postgres@127.0.0.1:{free_port()}/nothing"
    result = stack.run_in_app_env(
        str(ROOT / "docker" / "entrypoint.sh"),
        "true",
        DATABASE_URL=url,
        DB_WAIT_TIMEOUT="2",
        RUN_MIGRATIONS="true",
    )
    assert result.returncode == 1
    assert "gave up waiting for PostgreSQL after 2s" in result.stderr
    assert "the database is not reachable: not starting" in result.stderr


def test_migration_lock_wait_is_bounded(stack: Stack) -> None:
    """A replica stuck behind another one's lock stops with a message instead of hanging."""
    spec = importlib.util.spec_from_file_location(
        "migrate_with_lock", ROOT / "docker" / "migrate_with_lock.py"
    )
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with psycopg.connect(stack.database_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (module.MIGRATION_LOCK_ID,))
        result = stack.run_in_app_env(
            str(ROOT / "docker" / "entrypoint.sh"),
            "true",
            RUN_MIGRATIONS="true",
            MIGRATION_LOCK_TIMEOUT="1",
        )
    assert result.returncode == 1
    assert "gave up waiting for the migration lock after 1s" in result.stderr
    assert "migrations failed: not starting" in result.stderr


def test_entrypoint_runs_its_command_after_migrating(stack: Stack) -> None:
    result = stack.run_in_app_env(
        str(ROOT / "docker" / "entrypoint.sh"),
        "sh",
        "-c",
        "echo started $0",
        "ok",
        RUN_MIGRATIONS="true",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started ok"
    assert "schema is up to date" in result.stderr


def test_failed_migration_stops_the_container(stack: Stack) -> None:
    """A database the app cannot migrate (here: read-only) stops start-up with an error."""
    with fresh_database("orgportal_readonly") as url:
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
        result = subprocess.run(
            [str(ROOT / "docker" / "entrypoint.sh"), "true"],
            cwd=ROOT,
            env={**stack.app_env(DATABASE_URL=url, RUN_MIGRATIONS="true"), **base_env()},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode == 1
    assert '"event": "migration failed"' in result.stderr
    assert "migrations failed: not starting" in result.stderr
