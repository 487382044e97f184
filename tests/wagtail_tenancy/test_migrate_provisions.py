"""``migrate`` itself provisions organizations that rows alone created.

A data migration (or a restore, or SQL) can add an organization but cannot build its
Wagtail page tree. The post_migrate receiver must run at the end of a real ``migrate``:
here a fresh PostgreSQL database is migrated by ``manage.py`` in its own process, an
organization is inserted as bare rows, and the next ``migrate`` gives it its page root,
collection and role groups.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg
import pytest
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]


def _database_url(name: str) -> str:
    parsed = urlparse(os.environ["DATABASE_URL"])
    return urlunparse(parsed._replace(path=f"/{name}"))


def _admin_connection() -> psycopg.Connection:
    parsed = urlparse(os.environ["DATABASE_URL"])
    return psycopg.connect(
        host=parsed.hostname or "",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password or None,
        dbname="postgres",
        autocommit=True,
    )


def _migrate(url: str) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "LOG_LEVEL": "WARNING",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.fixture
def fresh_database() -> str:
    if not urlparse(os.environ.get("DATABASE_URL", "")).hostname:
        pytest.fail("DATABASE_URL must name a PostgreSQL server (tests/services.py sets it)")
    name = f"orgportal_fresh_{uuid.uuid4().hex[:10]}"
    with _admin_connection() as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _database_url(name)
    finally:
        with _admin_connection() as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def test_migrate_provisions_organizations_created_as_rows(fresh_database: str) -> None:
    _migrate(fresh_database)
    with psycopg.connect(fresh_database.replace("postgres://", "postgresql://")) as db:
        db.execute(
            "INSERT INTO organizations_organization (name, slug, public_id, is_active,"
            " require_mfa, storage_quota_bytes, is_personal, created_at, updated_at)"
            " VALUES ('Rows Only', 'rows-only', %s, true, false, 1073741824, false,"
            " now(), now())",
            [uuid.uuid4()],
        )
    _migrate(fresh_database)
    with psycopg.connect(fresh_database.replace("postgres://", "postgresql://")) as db:
        organization_id, collection_id = db.execute(
            "SELECT id, collection_id FROM organizations_organization WHERE slug = 'rows-only'"
        ).fetchone()
        pages = db.execute(
            "SELECT count(*) FROM dashboards_organizationpage WHERE organization_id = %s",
            [organization_id],
        ).fetchone()[0]
        groups = db.execute(
            "SELECT count(*) FROM organizations_rolegroup WHERE organization_id = %s",
            [organization_id],
        ).fetchone()[0]
    assert collection_id is not None
    assert pages == 1
    assert groups >= 4
