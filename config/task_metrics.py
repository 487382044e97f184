"""Celery task counts and durations for ``/metrics``.

Workers are not scraped, so each worker adds its figures to a Redis hash (one per task
name) when a task finishes; ``/metrics`` reads the hashes at scrape time. Counters only
grow, which is what Prometheus' ``rate()`` expects.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from celery.signals import task_postrun, task_prerun
from django.conf import settings
from prometheus_client.core import CounterMetricFamily

from config import redis_config

KEY_PREFIX = "orgportal:task-stats:"
_started: dict[str, float] = {}


def _client() -> Any:
    # The broker's Redis (a Sentinel master, or the one server).
    return redis_config.shared_client(settings.REDIS)


@task_prerun.connect(dispatch_uid="config.task_metrics.prerun")
def _prerun(task_id: str | None = None, **_: Any) -> None:
    if task_id:
        _started[task_id] = time.monotonic()


@task_postrun.connect(dispatch_uid="config.task_metrics.postrun")
def _postrun(
    task_id: str | None = None, task: Any = None, state: str | None = None, **_: Any
) -> None:
    started = _started.pop(task_id or "", None)
    if started is None or not settings.REDIS or settings.CELERY_TASK_ALWAYS_EAGER:
        return
    key = KEY_PREFIX + getattr(task, "name", "unknown")
    try:
        pipe = _client().pipeline()
        pipe.hincrby(key, f"count:{state or 'UNKNOWN'}", 1)
        pipe.hincrbyfloat(key, "seconds", time.monotonic() - started)
        pipe.execute()
    except Exception:  # noqa: S110 - metrics must never fail a task
        pass


def _families() -> tuple[CounterMetricFamily, CounterMetricFamily]:
    counts = CounterMetricFamily(
        "orgportal_celery_tasks",
        "Celery tasks finished, by task and state",
        labels=["task", "state"],
    )
    seconds = CounterMetricFamily(
        "orgportal_celery_task_seconds", "Time spent running Celery tasks", labels=["task"]
    )
    return counts, seconds


class TaskStatsCollector:
    """A prometheus_client collector over the hashes the workers maintain."""

    def describe(self) -> Iterator[CounterMetricFamily]:
        # Registering asks for the names: without this, registration would call collect()
        # and reach Redis while the module is imported.
        yield from _families()

    def collect(self) -> Iterator[CounterMetricFamily]:
        counts, seconds = _families()
        if settings.REDIS and not settings.CELERY_TASK_ALWAYS_EAGER:
            try:
                client = _client()
                for key in client.scan_iter(match=KEY_PREFIX + "*", count=100):
                    name = key.decode()[len(KEY_PREFIX) :]
                    for field, value in client.hgetall(key).items():
                        field_name = field.decode()
                        if field_name.startswith("count:"):
                            counts.add_metric([name, field_name[6:]], float(value))
                        elif field_name == "seconds":
                            seconds.add_metric([name], float(value))
            except Exception:  # noqa: S110 - a scrape must still answer
                pass
        yield counts
        yield seconds
