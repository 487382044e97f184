"""A transactional outbox for Celery tasks.

``transaction.on_commit(lambda: task.delay(...))`` loses the task when the broker is
unreachable at that moment (or the process dies between the commit and the send), while
the work it should finish is committed. ``enqueue`` writes the task into the same
transaction (``OutboxTask``), tries to send it right after the commit, and deletes the row
once the broker has it. A row left behind is sent by ``outbox_relay``, which beat runs
every ``OUTBOX_RELAY_SECONDS``. The request that enqueued never fails for the broker: a
failed send is logged and left to the relay.

A task can be sent twice (the send succeeded but the delete did not): tasks sent through
the outbox are idempotent, as every task here is.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import structlog
from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from organizations.task_base import RELIABLE_DEFAULTS

logger = structlog.get_logger(__name__)

# Sending right after the commit waits this long for a broker that is failing over (a
# Sentinel promotion takes seconds); anything longer is the relay's job.
IMMEDIATE_RETRY_POLICY = {"max_retries": 3, "interval_start": 0, "interval_step": 0.5}


def enqueue(task: Any, *args: Any, **kwargs: Any) -> None:
    """Record ``task(*args, **kwargs)`` in the current transaction; send it after the
    commit, or leave it to the relay."""
    from organizations.models import OutboxTask

    row = OutboxTask.objects.create(task_name=task.name, args=list(args), kwargs=kwargs)
    transaction.on_commit(lambda: _send(row.pk, retry_policy=IMMEDIATE_RETRY_POLICY), robust=True)


def _send(pk: int, *, retry_policy: dict[str, Any] | None = None) -> bool:
    """Send one row's task and delete the row; False (row kept) when the broker fails."""
    from config.celery import app
    from organizations.models import OutboxTask

    row = OutboxTask.objects.filter(pk=pk).first()
    if row is None:
        return True  # the relay sent it meanwhile
    task = app.tasks.get(row.task_name)
    try:
        # Nobody waits for these results (the work's outcome is in the database). Without
        # this the sender subscribes to the result first, which waits out the result
        # backend's retries (about 18 s) when that Redis is the broker that is down.
        options: dict[str, Any] = {"ignore_result": True}
        if retry_policy:
            options["retry_policy"] = retry_policy
        if task is not None:  # its routing; inline where there is no broker
            task.apply_async(args=tuple(row.args), kwargs=row.kwargs, **options)
        else:
            app.send_task(row.task_name, args=tuple(row.args), kwargs=row.kwargs, **options)
    except Exception as exc:
        OutboxTask.objects.filter(pk=pk).update(
            attempts=row.attempts + 1, last_error=repr(exc)[:2000]
        )
        logger.warning("outbox_send_failed", task=row.task_name, outbox_id=pk, error=repr(exc))
        return False
    OutboxTask.objects.filter(pk=pk).delete()
    return True


@shared_task(bind=True, name="organizations.outbox_relay", **RELIABLE_DEFAULTS)
def outbox_relay(self: Any, batch: int = 500) -> int:
    """Send what the outbox still holds (oldest first); stop at the first failure, the
    broker being down. Also records the task failures kept aside while the database was
    down (organizations/dead_letter.py). Rows younger than a few seconds are still being sent by the
    process that wrote them."""
    from organizations.dead_letter import replay_spooled
    from organizations.models import OutboxTask

    replay_spooled()
    cutoff = timezone.now() - timedelta(seconds=settings.OUTBOX_SEND_GRACE_SECONDS)
    sent = 0
    pending = OutboxTask.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)
    for pk in list(pending[:batch]):
        with transaction.atomic():
            # Two relays never send the same row at once.
            locked = OutboxTask.objects.select_for_update(skip_locked=True).filter(pk=pk)
            if not locked.exists():
                continue
            if not _send(pk):
                break
            sent += 1
    if sent:
        logger.info("outbox_relayed", sent=sent)
    return sent
