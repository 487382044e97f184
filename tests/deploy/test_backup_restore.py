"""scripts/backup.sh and scripts/restore.sh on the running stack: a restore drill into a
scratch database and scratch directories, retention, and the refusals."""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from tests.deploy.conftest import ROOT, Stack, base_env, fresh_database, require_tool

PASSPHRASE = "correct horse battery staple, backup edition"
ENV_FILE_TEXT = (
    "SECRET_KEY='k3y-with-$-and-quotes-0123456789abcdefghijklmnopqrstuvwxyz'\n"
    "POSTGRES_PASSWORD=database-password-4242\n"
    "ALLOWED_HOSTS=portal.example.com\n"
)


def run_script(script: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / "scripts" / script), *args],
        cwd=ROOT,
        env={**base_env(), **env},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def table_counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        counts = {}
        for table in tables:
            query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
            row = connection.execute(query).fetchone()
            assert row is not None
            counts[table] = int(row[0])
        return counts


@pytest.fixture(scope="module")
def backup(stack: Stack, workdir: Path) -> dict[str, object]:
    """Data in the stack's database and directories, then one backup of it all."""
    for tool, package in (
        ("pg_dump", "postgresql-client"),
        ("pg_restore", "postgresql-client"),
        ("gpg", "gnupg"),
    ):
        require_tool(tool, f".ci/run installs the {package} package")
    with psycopg.connect(stack.database_url, autocommit=True) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS deploy_backup_marker (id serial, note text)")
        connection.execute(
            "INSERT INTO deploy_backup_marker (note) "
            "SELECT 'row ' || n FROM generate_series(1, 250) n"
        )
    (stack.documents_root / "org-7" / "2025").mkdir(parents=True, exist_ok=True)
    (stack.documents_root / "org-7" / "2025" / "report.pdf").write_bytes(os.urandom(300_000))
    (stack.documents_root / "org-7" / "notes.txt").write_text("quarterly notes\n")
    (stack.media_root / "images").mkdir(exist_ok=True)
    (stack.media_root / "images" / "logo.png").write_bytes(os.urandom(20_000))

    backup_dir = workdir / "backups"
    metrics = workdir / "backup.prom"
    # The deployment's environment file, with its secrets; the passphrase is in a file,
    # as the compose secret provides it.
    env_file = workdir / "deploy.env"
    env_file.write_text(ENV_FILE_TEXT)
    env_file.chmod(0o600)
    key_file = workdir / "backup-key"
    key_file.write_text(PASSPHRASE)
    env = {
        "DATABASE_URL": stack.database_url,
        "BACKUP_DIR": str(backup_dir),
        "SECURE_DOCUMENTS_ROOT": str(stack.documents_root),
        "MEDIA_ROOT": str(stack.media_root),
        "BACKUP_METRICS_FILE": str(metrics),
        "BACKUP_ENV_FILE": str(env_file),
        "BACKUP_ENCRYPTION_KEY_FILE": str(key_file),
    }
    result = run_script("backup.sh", env=env)
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip().splitlines()[-1])
    return {
        "path": path,
        "env": env,
        "metrics": metrics,
        "counts": table_counts(stack.database_url),
        "documents": tree_digest(stack.documents_root),
        "media": tree_digest(stack.media_root),
    }


def test_backup_contents(backup: dict[str, object]) -> None:
    path = backup["path"]
    assert isinstance(path, Path)
    assert path.is_dir()
    assert not path.name.endswith(".partial")
    assert sorted(p.name for p in path.iterdir()) == [
        "MANIFEST",
        "SHA256SUMS",
        "database.dump",
        "env.gpg",
        "media.tar.gz",
        "protected.tar.gz",
    ]
    # The environment file is there only encrypted.
    encrypted = path.joinpath("env.gpg").read_bytes()
    for secret in (b"k3y-with", b"database-password-4242", b"portal.example.com"):
        assert secret not in encrypted
    assert "env.gpg" in path.joinpath("SHA256SUMS").read_text()
    assert path.joinpath("database.dump").read_bytes()[:5] == b"PGDMP"  # custom format
    manifest = path.joinpath("MANIFEST").read_text()
    assert "postgres://postgres@" in manifest or "@" not in manifest.split("database=")[1]
    metrics = backup["metrics"]
    assert isinstance(metrics, Path)
    assert "orgportal_backup_last_success_timestamp_seconds" in metrics.read_text()


def test_restore_drill_round_trip(stack: Stack, backup: dict[str, object], workdir: Path) -> None:
    """Restore into a scratch database and scratch directories; compare everything."""
    drill = workdir / "drill"
    with fresh_database("orgportal_drill") as url:
        env = {
            "DATABASE_URL": url,
            "SECURE_DOCUMENTS_ROOT": str(drill / "protected"),
            "MEDIA_ROOT": str(drill / "media"),
        }
        result = run_script("restore.sh", "--yes", str(backup["path"]), env=env)
        assert result.returncode == 0, result.stderr
        assert table_counts(url) == backup["counts"]
        assert table_counts(url)["deploy_backup_marker"] == 250
        assert tree_digest(drill / "protected") == backup["documents"]
        assert tree_digest(drill / "media") == backup["media"]
        # The restored database is a complete schema for this release.
        check = stack.run_in_app_env(
            "python", "manage.py", "migrate", "--check", "--no-input", DATABASE_URL=url
        )
        assert check.returncode == 0, check.stdout + check.stderr


def test_restore_replaces_existing_files(backup: dict[str, object], workdir: Path) -> None:
    target = workdir / "replace" / "protected"
    target.mkdir(parents=True)
    (target / "stale.txt").write_text("left over")
    result = run_script(
        "restore.sh",
        "--yes",
        "--files-only",
        str(backup["path"]),
        env={
            "SECURE_DOCUMENTS_ROOT": str(target),
            "MEDIA_ROOT": str(workdir / "replace" / "media"),
        },
    )
    assert result.returncode == 0, result.stderr
    assert tree_digest(target) == backup["documents"]


def test_restore_refuses_without_confirmation(backup: dict[str, object]) -> None:
    result = run_script(
        "restore.sh", str(backup["path"]), env={"DATABASE_URL": "postgres://nowhere/none"}
    )
    assert result.returncode == 1
    assert "rerun with --yes" in result.stderr


def test_restore_refuses_a_damaged_backup(backup: dict[str, object], workdir: Path) -> None:
    source = backup["path"]
    assert isinstance(source, Path)
    damaged = workdir / "damaged"
    subprocess.run(["cp", "-a", str(source), str(damaged)], check=True)
    archive = damaged / "media.tar.gz"
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    archive.write_bytes(bytes(data))
    result = run_script("restore.sh", "--yes", "--files-only", str(damaged), env={})
    assert result.returncode == 1
    assert "checksums do not match" in result.stderr


def test_retention_deletes_old_backups_but_keeps_the_newest(
    backup: dict[str, object], workdir: Path
) -> None:
    backup_dir = workdir / "backups"
    old = backup_dir / "20200101T021500Z"
    old.mkdir()
    month_ago = time.time() - 40 * 86400
    os.utime(old, (month_ago, month_ago))
    partial = backup_dir / "20200102T021500Z.partial"
    partial.mkdir()
    os.utime(partial, (month_ago, month_ago))
    env = {**backup["env"], "BACKUP_RETENTION_DAYS": "14", "BACKUP_KEEP_MIN": "1"}  # type: ignore[dict-item]
    time.sleep(1.1)  # a new timestamp for the second backup
    result = run_script("backup.sh", env=env)
    assert result.returncode == 0, result.stderr
    remaining = sorted(p.name for p in backup_dir.iterdir())
    assert old.name not in remaining
    assert partial.name not in remaining
    assert backup["path"].name in remaining  # type: ignore[union-attr]
    assert len(remaining) == 2


def test_restore_decrypts_the_environment_file(backup: dict[str, object], workdir: Path) -> None:
    target = workdir / "restored.env"
    result = run_script(
        "restore.sh",
        "--yes",
        "--env-only",
        "--env-file",
        str(target),
        str(backup["path"]),
        env={"BACKUP_ENCRYPTION_KEY": PASSPHRASE},
    )
    assert result.returncode == 0, result.stderr
    assert target.read_text() == ENV_FILE_TEXT
    assert target.stat().st_mode & 0o777 == 0o600
    # Never over an existing file.
    again = run_script(
        "restore.sh",
        "--yes",
        "--env-only",
        "--env-file",
        str(target),
        str(backup["path"]),
        env={"BACKUP_ENCRYPTION_KEY": PASSPHRASE},
    )
    assert again.returncode == 1
    assert "exists" in again.stderr


def test_restore_refuses_a_wrong_passphrase(backup: dict[str, object], workdir: Path) -> None:
    target = workdir / "wrong.env"
    result = run_script(
        "restore.sh",
        "--yes",
        "--env-only",
        "--env-file",
        str(target),
        str(backup["path"]),
        env={"BACKUP_ENCRYPTION_KEY": "not the passphrase"},
    )
    assert result.returncode == 1
    assert "wrong passphrase" in result.stderr
    assert not target.exists()


def test_backup_refuses_to_store_the_environment_in_clear(
    backup: dict[str, object], workdir: Path
) -> None:
    env = {**backup["env"], "BACKUP_DIR": str(workdir / "clear-backups")}  # type: ignore[dict-item]
    env.pop("BACKUP_ENCRYPTION_KEY_FILE")
    result = run_script("backup.sh", env=env)
    assert result.returncode == 1
    assert "no BACKUP_ENCRYPTION_KEY" in result.stderr
    # Nothing half-written is left behind.
    leftovers = list((workdir / "clear-backups").iterdir())
    assert leftovers == []
