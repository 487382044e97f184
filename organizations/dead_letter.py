"""A dead-letter table for Celery on Redis: tasks that fail for good are recorded.

A task "fails for good" when it raises and will not be retried: no autoretry for that
exception, or its retries are exhausted. Operators see the table in the admin
(superusers only) and can run a task again with the same arguments.

A failure that cannot be written because the database is down (the likeliest moment
for tasks to fail) is kept in a Redis list instead, and moved into the table by
``replay_spooled`` (run by the outbox relay) once the database answers again.
"""

from __future__ import annotations

import json
from typing import Any

import structlog
from celery.signals import task_failure

logger = structlog.get_logger(__name__)

SPOOL_KEY = "orgportal:failed-tasks:spool"


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
    except TypeError:
        return repr(value)
    return value


@task_failure.connect(dispatch_uid="organizations.dead_letter.record")
def record_failure(
    sender: Any = None,
    task_id: str | None = None,
    exception: BaseException | None = None,
    args: Any = None,
    kwargs: Any = None,
    einfo: Any = None,
    **_: Any,
) -> None:
    from organizations.models import FailedTask

    kwargs = kwargs or {}
    row = {
        "task_id": task_id or "",
        "task_name": getattr(sender, "name", "") or "",
        "args": _jsonable(list(args or [])),
        "kwargs": _jsonable(dict(kwargs)),
        "exception": repr(exception)[:2000],
        "traceback": str(einfo or "")[:20000],
        "organization_id": kwargs.get("organization_id"),
    }
    try:
        FailedTask.objects.create(**row)
    except Exception:
        _spool(row)


def _spool(row: dict[str, Any]) -> None:
    from django.conf import settings

    from config import redis_config

    try:
        if settings.REDIS is None:
            raise RuntimeError("no Redis to keep the failure in")
        redis_config.shared_client(settings.REDIS).rpush(SPOOL_KEY, json.dumps(row))
        logger.warning("failed_task_spooled", task_id=row["task_id"], task=row["task_name"])
    except Exception:
        logger.exception("failed_task_not_recorded", task_id=row["task_id"])


def replay_spooled(limit: int = 1000) -> int:
    """Move failures kept in Redis while the database was down into the table."""
    from django.conf import settings

    from config import redis_config
    from organizations.models import FailedTask

    if settings.REDIS is None:
        return 0
    client = redis_config.shared_client(settings.REDIS)
    moved = 0
    while moved < limit:
        raw = client.lindex(SPOOL_KEY, 0)
        if raw is None:
            break
        row = json.loads(raw)
        # One row per failed task id, even if a replay stopped between the two steps.
        if not FailedTask.objects.filter(task_id=row["task_id"]).exists():
            FailedTask.objects.create(**row)
        client.lpop(SPOOL_KEY)
        moved += 1
    if moved:
        logger.info("failed_tasks_replayed", count=moved)
    return moved


def retry_failed_task(failed: Any, *, acting_user: Any) -> str:
    """Send the task again with its arguments; returns the new task id."""
    from django.utils import timezone

    from config.celery import app
    from organizations.audit import audit_record

    task = app.tasks.get(failed.task_name)
    if task is not None:  # honours the routing and, without a broker, runs inline
        result = task.apply_async(args=failed.args, kwargs=failed.kwargs, throw=False)
    else:
        result = app.send_task(failed.task_name, args=failed.args, kwargs=failed.kwargs)
    failed.retried_at = timezone.now()
    failed.retried_as = result.id
    failed.save(update_fields=["retried_at", "retried_as"])
    audit_record(
        action="task.retried",
        actor=acting_user,
        organization=failed.organization_id,
        details={"task": failed.task_name, "failed_id": failed.task_id, "new_id": result.id},
    )
    return str(result.id)
