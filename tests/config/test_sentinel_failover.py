"""Redis Sentinel: the master dies while uploads, websockets and tasks run.

A real master, replica and three sentinels (tests/sentinel.py); a real uvicorn serving the
project and a real Celery worker, both configured by settings alone (REDIS_URL naming the
master, REDIS_SENTINELS, the two passwords); a task producer that is another process
with the same settings. The master is killed (SIGKILL) while two uploaders post
documents, three members hold live websockets and tasks are sent twenty times a second.

The master first stops answering (SIGSTOP: a hung host or a partition) and its process is
killed once the sentinels have promoted the replica. Replication is asynchronous, so a
master that crashes outright can lose the last writes it acknowledged (a process killed
with unread input resets its connections, dropping what the kernel had not sent yet);
freezing it first keeps this test about the clients, which must find the new master.

Counted afterwards: every upload the server accepted is stored and processed by the
worker, every task that was sent ran and its result was stored, every websocket
reconnected and received an event published after the failover. The time from the kill
to the sentinels' promotion, to the first accepted upload, and to every socket being back
is printed (docs/deployment.md quotes it); it is measured, not asserted.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from django.test import Client

from config import redis_config
from config.channel_layers import ResyncingPubSubChannelLayer
from organizations.roles import Role
from tests.conftest import ROOT, _database_url_for_current_test_db, uvicorn_server
from tests.sentinel import SentinelCluster, sentinel_cluster, wait_for

pytestmark = [pytest.mark.failover, pytest.mark.django_db(transaction=True)]

UPLOADERS = 2
VISIBILITY_TIMEOUT = 8
SOCKETS = 3
PRODUCER = r"""
import json, os, sys, time
import django
django.setup()
from celery.result import AsyncResult
from tests.celery_tasks import ping

stop_file = sys.argv[1]
sent, send_errors = [], []
while not os.path.exists(stop_file):
    try:
        sent.append((ping.apply_async().id, time.monotonic()))
    except Exception as exc:
        import traceback
        traceback.print_exc()
        send_errors.append(repr(exc)[:300])
    time.sleep(0.05)
outcomes = {}
for task_id, _ in sent:
    try:
        outcomes[task_id] = bool(AsyncResult(task_id).get(timeout=60)["pong"])
    except Exception as exc:
        outcomes[task_id] = type(exc).__name__
report = {"sent": [task_id for task_id, _ in sent], "sent_at": dict(sent)}
report.update(send_errors=send_errors, outcomes=outcomes)
print(json.dumps(report))
"""


# The reconciling sweep (secure_documents.sweep), as beat runs it: documents whose
# processing task could not be queued (the request then failed after its commit) are
# queued again.
SWEEP = r"""
import django
django.setup()
from config.celery import app
print(app.send_task("secure_documents.sweep").get(timeout=60))
"""


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[SentinelCluster]:
    with sentinel_cluster(tmp_path / "redis") as cluster:
        yield cluster


def app_env(cluster: SentinelCluster) -> dict[str, str]:
    from django.conf import settings

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url_for_current_test_db(),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "SECURE_DOCUMENTS_ROOT": str(settings.SECURE_DOCUMENTS_ROOT),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "LOG_LEVEL": "WARNING",
        # The uploaders send more than a person would.
        "DOCUMENT_UPLOAD_RATE": "100000/m",
        # A delivered task whose acknowledgement was lost with the master comes back after
        # this many seconds (7200 in production: docs/deployment.md).
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        **cluster.env(),
    }


@dataclass
class Timeline:
    killed: float = 0.0
    promoted: float = 0.0
    ready: float = 0.0
    uploads: list[tuple[float, float, int | str]] = field(
        default_factory=list
    )  # start, end, outcome
    opened: list[list[float]] = field(default_factory=lambda: [[] for _ in range(SOCKETS)])
    inboxes: list[list[str]] = field(default_factory=lambda: [[] for _ in range(SOCKETS)])

    def first_upload_after(self, moment: float) -> float | None:
        done = [end for start, end, outcome in self.uploads if start >= moment and outcome == 201]
        return min(done) if done else None

    def sockets_back(self, moment: float) -> float | None:
        reopened = [min((t for t in opens if t > moment), default=None) for opens in self.opened]
        if any(t is None for t in reopened):
            return None
        return max(t for t in reopened if t is not None)


async def uploader(
    port: int, cookies: dict[str, str], index: int, timeline: Timeline, stop: asyncio.Event
) -> list[str]:
    accepted = []
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", cookies=cookies, timeout=30
    ) as client:
        library = await client.get("/o/alpha/documents/")
        assert library.status_code == 200, library.text[:500]
        token = client.cookies["csrftoken"]
        number = 0
        while not stop.is_set():
            number += 1
            name = f"failover-{index}-{number}.txt"
            started = time.monotonic()
            try:
                response = await client.post(
                    "/o/alpha/documents/upload/",
                    files={"file": (name, f"upload {index}/{number}\n".encode(), "text/plain")},
                    headers={"X-CSRFToken": token, "X-Upload": "file"},
                )
                outcome: int | str = response.status_code
            except httpx.HTTPError as exc:
                outcome = type(exc).__name__
            timeline.uploads.append((started, time.monotonic(), outcome))
            if outcome == 201:
                accepted.append(name)
            await asyncio.sleep(0.1)
    return accepted


async def live_socket(
    port: int, cookie: str, index: int, timeline: Timeline, stop: asyncio.Event
) -> None:
    delay = 0.2
    while not stop.is_set():
        try:
            async with websockets.connect(
                f"ws://127.0.0.1:{port}/ws/live/?org=alpha",
                additional_headers={"Cookie": cookie, "Origin": "http://127.0.0.1"},
                open_timeout=5,
            ) as socket:
                timeline.opened[index].append(time.monotonic())
                delay = 0.2
                async for message in socket:
                    timeline.inboxes[index].append(str(message))
        except (OSError, websockets.exceptions.WebSocketException, TimeoutError):
            pass
        await asyncio.sleep(delay)
        delay = min(delay * 2, 2.0)


async def broadcast(cluster: SentinelCluster, group: str, marker: str) -> None:
    target = redis_config.parse(
        cluster.env()["REDIS_URL"],
        sentinels=cluster.sentinels_setting,
        password=cluster.env()["REDIS_PASSWORD"],
        sentinel_password=cluster.env()["REDIS_SENTINEL_PASSWORD"],
    )
    layer = ResyncingPubSubChannelLayer(
        hosts=[redis_config.channel_layer_host(target)], prefix="orgportal-db0-"
    )
    await layer.group_send(
        group,
        {"type": "live.event", "event": "test", "html": f"<p>{marker}</p>", "min_role": None},
    )
    await layer.flush()


class SupervisedWorker:
    """A Celery worker restarted whenever it exits, as compose (``restart:
    unless-stopped``) and Kubernetes do: kombu's Redis transport may exit on a lost broker
    connection while it restores unacknowledged messages (those stay in Redis and come
    back after the visibility timeout)."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        # The sweep runs in the worker: once the load has stopped, any pending document
        # is stuck, however young.
        self.env = {**env, "LOG_LEVEL": "INFO", "DOCUMENT_SWEEP_GRACE_SECONDS": "0"}
        self.log_path = log_path
        self.restarts = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._supervise, daemon=True)

    def _spawn(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    *("-m", "celery", "-A", "config", "worker", "--pool", "prefork"),
                    *("--concurrency", "2", "--loglevel", "INFO"),
                    *("-Q", "default,documents,notifications,maintenance"),
                    *("--without-gossip", "--without-mingle", "-n", f"failover-{os.getpid()}@%h"),
                    # The test-only ping task the producer sends.
                    *("--include", "tests.celery_tasks"),
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def _supervise(self) -> None:
        while not self._stopping.is_set():
            assert self.process is not None
            if self.process.poll() is not None and not self._stopping.is_set():
                self.restarts += 1
                time.sleep(1)
                self._spawn()
            time.sleep(0.2)

    def start(self) -> None:
        self._spawn()
        wait_for(lambda: "ready" in self.log_path.read_text(), 60, "worker ready")
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)


def test_master_failover_loses_nothing(
    cluster: SentinelCluster, org_a, tmp_path: Path, settings, record_property
) -> None:  # type: ignore[no-untyped-def]
    from secure_documents.models import ProcessingStatus, SecureDocument

    env = app_env(cluster)
    sessions = []
    for role in (Role.OWNER, Role.MEMBER, Role.VIEWER):
        client = Client()
        client.force_login(org_a.users[role])
        sessions.append(client.cookies[settings.SESSION_COOKIE_NAME].value)
    worker = SupervisedWorker(env, tmp_path / "worker.log")
    worker.start()
    stop_file = tmp_path / "stop-producer"
    producer = subprocess.Popen(
        [sys.executable, "-c", PRODUCER, str(stop_file)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "producer.log").open("wb"),
    )
    timeline = Timeline()
    group = f"live.org.{org_a.organization.pk}"
    old_master = cluster.master_port()
    try:
        with uvicorn_server(tmp_path, **env) as port:

            async def scenario() -> list[str]:
                stop = asyncio.Event()
                cookie_name = settings.SESSION_COOKIE_NAME
                uploads = [
                    asyncio.create_task(
                        uploader(port, {cookie_name: sessions[i]}, i, timeline, stop)
                    )
                    for i in range(UPLOADERS)
                ]
                sockets = [
                    asyncio.create_task(
                        live_socket(port, f"{cookie_name}={sessions[i]}", i, timeline, stop)
                    )
                    for i in range(SOCKETS)
                ]
                # Load runs before the failure: sockets open, uploads accepted, for a while.
                deadline = time.monotonic() + 60
                while not all(timeline.opened) or timeline.first_upload_after(0) is None:
                    assert time.monotonic() < deadline, (
                        f"no load before the failover: {timeline.uploads[-3:]}, "
                        f"socket opens {timeline.opened}"
                    )
                    await asyncio.sleep(0.1)
                await asyncio.sleep(2)

                timeline.killed = time.monotonic()
                master = cluster.node_on(old_master)
                master.freeze()
                deadline = time.monotonic() + 30
                while cluster.master_port() == old_master:
                    assert time.monotonic() < deadline, "the sentinels promoted no replica"
                    await asyncio.sleep(0.1)
                timeline.promoted = time.monotonic()
                # The hung master's process then dies: its clients' connections break.
                master.kill()
                deadline = time.monotonic() + 60
                while (
                    timeline.first_upload_after(timeline.killed) is None
                    or timeline.sockets_back(timeline.killed) is None
                ):
                    assert time.monotonic() < deadline, (
                        f"no recovery: uploads {timeline.uploads[-5:]}, "
                        f"socket opens {timeline.opened}"
                    )
                    await asyncio.sleep(0.1)
                await asyncio.sleep(3)  # load goes on against the new master
                stop_file.touch()
                stop.set()
                accepted = [name for names in await asyncio.gather(*uploads) for name in names]

                marker = f"after-failover-{time.monotonic_ns()}"
                await broadcast(cluster, group, marker)
                deadline = time.monotonic() + 15
                while not all(any(marker in m for m in inbox) for inbox in timeline.inboxes):
                    assert time.monotonic() < deadline, "a socket missed the event after failover"
                    await asyncio.sleep(0.1)
                for task in sockets:
                    task.cancel()
                await asyncio.gather(*sockets, return_exceptions=True)
                return accepted

            accepted = asyncio.run(scenario())
            swept = subprocess.run(
                [sys.executable, "-c", SWEEP],
                cwd=ROOT,
                env={**env, "DOCUMENT_SWEEP_GRACE_SECONDS": "0"},
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert swept.returncode == 0, swept.stderr[-3000:]
            # Ready again: database, cache, channel layer, Redis and a worker that answers
            # a ping through the new master.
            wait_for(
                lambda: (
                    httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=10).status_code
                    == 200
                ),
                60,
                "readiness after the failover",
            )
            timeline.ready = time.monotonic()
        output, _ = producer.communicate(timeout=120)
        tasks: dict[str, Any] = json.loads(output.decode().strip().splitlines()[-1])
        # Every processing task queued by an upload (or by the sweep) finishes.
        documents = SecureDocument.objects.filter(organization=org_a.organization)
        pending = documents.filter(status=ProcessingStatus.PENDING)
        try:
            wait_for(lambda: not pending.exists(), 60, "every document processed")
        except AssertionError:
            raise AssertionError(
                f"documents left pending: {list(pending.values('pk', 'file'))}"
            ) from None
    finally:
        stop_file.touch()
        if producer.poll() is None:
            producer.kill()
        worker.stop()

    stored = {doc.filename: doc.status for doc in documents}
    lost_uploads = sorted(set(accepted) - set(stored))
    unprocessed = sorted(name for name in accepted if stored.get(name) == ProcessingStatus.PENDING)
    lost_tasks = [
        (task_id, ok, round(tasks["sent_at"][task_id] - timeline.killed, 3))
        for task_id, ok in tasks["outcomes"].items()
        if ok is not True
    ]
    failed_uploads = [outcome for _, _, outcome in timeline.uploads if outcome != 201]

    promoted = timeline.promoted - timeline.killed
    first_upload = (timeline.first_upload_after(timeline.killed) or 0) - timeline.killed
    sockets_back = (timeline.sockets_back(timeline.killed) or 0) - timeline.killed
    summary = {
        "uploads_accepted": len(accepted),
        "uploads_refused_or_failed": len(failed_uploads),
        "tasks_sent": len(tasks["sent"]),
        "task_send_errors": len(tasks["send_errors"]),
        "worker_restarts": worker.restarts,
        "promotion_seconds": round(promoted, 2),
        "first_upload_after_kill_seconds": round(first_upload, 2),
        "all_sockets_back_seconds": round(sockets_back, 2),
        "ready_again_seconds": round(timeline.ready - timeline.killed, 2),
    }
    for key, value in summary.items():
        record_property(key, value)
    print("sentinel failover:", json.dumps(summary))

    assert cluster.master_port() != old_master
    assert len(accepted) > 10
    assert lost_uploads == []
    assert unprocessed == []
    # Enough tasks crossed the failover to count (how many depends on the machine's load).
    assert len(tasks["sent"]) > 10
    # A send that failed told its caller (counted above); a sent task must have run.
    assert lost_tasks == []
    # An upload that failed (its request ended in an error after the commit) left either
    # nothing or a document that the sweep queued and the worker processed: no document
    # is left half-done.
    assert all(status != ProcessingStatus.PENDING for status in stored.values())
