"""The database becomes unreachable under a running server (the proxy it connects
through is killed), then comes back: while it is away every request answers 503 with a
page that says why (not a 500, not a hang), and the server recovers by itself. A task
that fails meanwhile is recorded in the failed-task table once the database is back."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from organizations.roles import Role
from tests.conftest import ROOT, _database_url_for_current_test_db, free_port, uvicorn_server
from tests.conftest import wait_for_port as wait_for_listener
from tests.faults.processes import (
    BrokerRedis,
    beat_process,
    celery_client,
    process_env,
    running,
    session_cookies,
    wait_until,
    worker_process,
)

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


class Proxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.port = free_port()
        self.target = (target_host, target_port)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.faults.tcp_proxy",
                str(self.port),
                *map(str, self.target),
            ],
            cwd=ROOT,
        )
        wait_for_listener(self.port)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)


def test_database_outage_answers_503_and_recovers(org_a, tmp_path: Path, record_property) -> None:  # type: ignore[no-untyped-def]
    database = urlparse(_database_url_for_current_test_db())
    if not database.hostname or database.hostname.startswith("%2F"):
        pytest.fail("this test reaches PostgreSQL over TCP (a host and port in DATABASE_URL)")
    proxy = Proxy(database.hostname, database.port or 5432)
    proxy.start()
    url = database._replace(netloc=f"{database.username}@127.0.0.1:{proxy.port}").geturl()
    cookies = session_cookies(org_a.users[Role.MEMBER])
    try:
        with (
            uvicorn_server(tmp_path, DATABASE_URL=url) as port,
            httpx.Client(
                base_url=f"http://127.0.0.1:{port}", cookies=cookies, timeout=60
            ) as client,
        ):
            assert client.get("/o/alpha/documents/").status_code == 200
            proxy.kill()
            answers, slowest = [], 0.0
            for path in ("/o/alpha/documents/", "/o/alpha/", "/"):
                started = time.monotonic()
                response = client.get(path)
                slowest = max(slowest, time.monotonic() - started)
                answers.append(response)
            record_property("slowest_answer_during_outage_s", round(slowest, 2))
            for response in answers:
                assert response.status_code == 503, response.text[:300]
                assert "cannot reach its database" in response.text
                assert response.headers["Retry-After"]
            proxy.start()
            took = wait_until(
                lambda: client.get("/o/alpha/documents/").status_code == 200,
                60,
                "the server recovers once the database is back",
            )
            record_property("recovered_after_database_back_s", round(took, 1))
    finally:
        proxy.kill()


def test_a_task_failing_during_a_database_outage_is_recorded_once_it_is_back(
    tmp_path: Path,
) -> None:
    from organizations.models import FailedTask

    database = urlparse(_database_url_for_current_test_db())
    proxy = Proxy(database.hostname or "127.0.0.1", database.port or 5432)
    proxy.start()
    url = database._replace(netloc=f"{database.username}@127.0.0.1:{proxy.port}").geturl()
    broker = BrokerRedis(tmp_path / "broker")
    broker.start()
    env = process_env(tmp_path, broker.url, DATABASE_URL=url, OUTBOX_RELAY_SECONDS="2")
    worker = worker_process(env, tmp_path / "worker.log", "db-outage")
    beat = beat_process(env, tmp_path / "beat.log", tmp_path)
    client = celery_client(broker.url)
    try:
        with running(worker):
            wait_until(lambda: "ready." in worker.log(), 60, "the worker starts")
            proxy.kill()
            client.send_task("tests.fail", args=["failed-during-outage"], queue="default")
            wait_until(
                lambda: "failed_task_spooled" in worker.log(),
                60,
                "the failure is kept aside while the database is down",
            )
            proxy.start()
            with running(beat):
                wait_until(
                    FailedTask.objects.filter(exception__contains="failed-during-outage").exists,
                    60,
                    "the failure is recorded once the database is back",
                )
                time.sleep(3)  # another relay run moves nothing twice
    finally:
        proxy.kill()
        broker.kill()
        client.close()
    assert FailedTask.objects.filter(task_name="tests.fail").count() == 1
