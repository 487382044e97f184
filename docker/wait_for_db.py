"""Wait until PostgreSQL accepts connections, or give up with a clear message.

Run by docker/entrypoint.sh before anything touches the database. Reads the connection
from the Django settings (``DATABASE_URL``), so it connects exactly where the app will.
Exit status 0 when a ``SELECT 1`` succeeded within ``DB_WAIT_TIMEOUT`` seconds (default
60), 1 otherwise.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def log(level: str, event: str, **fields: Any) -> None:
    """One log line on stderr: JSON unless LOG_FORMAT=console, like the app's own lines."""
    record = {
        "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "level": level,
        "logger": Path(sys.argv[0]).stem,
        "event": event,
        **fields,
    }
    if os.environ.get("LOG_FORMAT", "json") == "console":
        extra = " ".join(f"{key}={value}" for key, value in fields.items())
        line = f"{record['timestamp']} [{level}] {record['logger']}: {event} {extra}"
        print(line.rstrip(), file=sys.stderr, flush=True)
    else:
        print(json.dumps(record), file=sys.stderr, flush=True)


def database_settings() -> dict[str, Any]:
    """The ``default`` database of the configured settings module (production by default)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    from django.conf import settings

    return dict(settings.DATABASES["default"])


def is_postgres(db: dict[str, Any]) -> bool:
    return db["ENGINE"] == "django.db.backends.postgresql"


def connect_kwargs(db: dict[str, Any]) -> dict[str, Any]:
    """psycopg keyword arguments for a plain (unpooled) connection to ``db``."""
    options = db.get("OPTIONS") or {}
    kwargs: dict[str, Any] = {
        "dbname": db.get("NAME"),
        "user": db.get("USER"),
        "password": db.get("PASSWORD"),
        "host": db.get("HOST"),
        "port": str(db["PORT"]) if db.get("PORT") else None,
        "connect_timeout": 5,
        "application_name": "orgportal-" + Path(sys.argv[0]).stem,
    }
    for key in ("sslmode", "sslrootcert", "sslcert", "sslkey", "options", "target_session_attrs"):
        if key in options:
            kwargs[key] = options[key]
    return {key: value for key, value in kwargs.items() if value not in (None, "")}


def describe(db: dict[str, Any]) -> str:
    host = db.get("HOST") or "local socket"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"{host}{port}/{db.get('NAME')}"


def wait(db: dict[str, Any], timeout: float) -> bool:
    import psycopg

    deadline = time.monotonic() + timeout
    last_error = ""
    next_report = 0.0
    while True:
        try:
            with psycopg.connect(**connect_kwargs(db)) as connection:
                connection.execute("SELECT 1")
            log("info", "database is reachable", database=describe(db))
            return True
        except psycopg.Error as exc:
            last_error = (
                str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            )
        now = time.monotonic()
        if now >= deadline:
            log(
                "error",
                f"gave up waiting for PostgreSQL after {timeout:g}s: check DATABASE_URL "
                "and that the server is running and accepts this user",
                database=describe(db),
                error=last_error,
            )
            return False
        if now >= next_report:
            log("info", "waiting for PostgreSQL", database=describe(db), error=last_error)
            next_report = now + 5
        time.sleep(min(1.0, max(deadline - now, 0.0)))


def main() -> int:
    timeout = float(os.environ.get("DB_WAIT_TIMEOUT", "60"))
    try:
        db = database_settings()
    except Exception as exc:  # settings refuse to load: say why, in one line
        log("error", "settings failed to load", error=f"{type(exc).__name__}: {exc}")
        return 1
    if not is_postgres(db):
        log("info", "not PostgreSQL: nothing to wait for", engine=db["ENGINE"])
        return 0
    return 0 if wait(db, timeout) else 1


if __name__ == "__main__":
    sys.exit(main())
