"""A Celery worker's heartbeat: proof that its event loop still turns, not only that the
process exists.

``Heartbeat`` is a worker bootstep. The worker's own timer (driven by its event loop,
which also receives tasks and control messages) writes the current time to
``CELERY_HEARTBEAT_FILE`` every ``CELERY_HEARTBEAT_SECONDS``. A worker that is stopped
(SIGSTOP), deadlocked or blocked in its main loop stops writing it, while the process and
its container look alive; ``docker/healthcheck.py worker`` calls it unhealthy once the
file is older than ``CELERY_HEARTBEAT_MAX_AGE`` (autoheal or the kubelet then restart it).

A thread beside it reports the fresh heartbeats to Redis (``orgportal:workers:<node>``,
with the worker's queues, expiring after ``max_age``), so that ``/metrics`` can count the
live workers of each queue (``orgportal_celery_workers``, alert OrgPortalWorkerDown). The
thread never touches the event loop: a slow or failing Redis cannot stall the worker.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import structlog
from celery import bootsteps

logger = structlog.get_logger(__name__)

KEY_PREFIX = "orgportal:workers:"
DEFAULT_FILE = "/tmp/celery-worker-heartbeat"  # noqa: S108 - per-container file


def heartbeat_file() -> Path:
    return Path(os.environ.get("CELERY_HEARTBEAT_FILE", DEFAULT_FILE))


def interval() -> float:
    return float(os.environ.get("CELERY_HEARTBEAT_SECONDS", "10"))


def max_age() -> float:
    return float(os.environ.get("CELERY_HEARTBEAT_MAX_AGE", str(interval() * 6)))


def age(path: Path | None = None) -> float | None:
    """Seconds since the last heartbeat, or None when there is none."""
    path = path or heartbeat_file()
    try:
        beat = float(path.read_text().strip())
    except (OSError, ValueError):
        return None
    return max(0.0, time.time() - beat)


def _write(path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(f"{time.time():.3f}\n")
    tmp.replace(path)


class Heartbeat(bootsteps.StartStopStep):
    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.tref: Any = None
        self.reporter: threading.Thread | None = None
        self.stopping = threading.Event()

    def start(self, worker: Any) -> None:
        path = heartbeat_file()
        _write(path)
        self.tref = worker.timer.call_repeatedly(interval(), _write, (path,), priority=10)
        self.reporter = threading.Thread(
            target=self._report, args=(worker,), name="heartbeat-reporter", daemon=True
        )
        self.reporter.start()

    def stop(self, worker: Any) -> None:
        self.stopping.set()
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None

    def _report(self, worker: Any) -> None:
        from django.conf import settings

        from config import redis_config

        if not getattr(settings, "REDIS", None):
            return
        amqp_queues = worker.app.amqp.queues
        queues = sorted(amqp_queues.consume_from or amqp_queues)
        key = KEY_PREFIX + worker.hostname
        while not self.stopping.wait(interval()):
            beat_age = age()
            if beat_age is None or beat_age > max_age():
                continue  # the event loop is stuck: let the key expire
            try:
                client = redis_config.shared_client(settings.REDIS)
                client.set(key, json.dumps({"queues": queues}), ex=int(max_age()))
            except Exception as exc:  # Redis away: the key expires, the alert tells
                logger.debug("worker_heartbeat_not_reported", error=type(exc).__name__)


def live_workers_by_queue(queues: list[str]) -> dict[str, int]:
    """For /metrics: how many workers with a fresh heartbeat consume each queue."""
    from django.conf import settings

    from config import redis_config

    counts = dict.fromkeys(queues, 0)
    client = redis_config.shared_client(settings.REDIS)
    keys = list(client.scan_iter(match=KEY_PREFIX + "*", count=100))
    for raw in client.mget(keys) if keys else []:
        if raw is None:
            continue
        for queue in json.loads(raw).get("queues", []):
            if queue in counts:
                counts[queue] += 1
    return counts
