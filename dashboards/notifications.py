"""The inbox behind the bell: notifications written when something concerns a person
(an announcement for their role, their role changed, their upload was rejected, an
export they asked for is ready), pushed live to their open pages, marked read.

Reads go through the access rule: a notification about an organization the person may
no longer view (removed, suspended, two-factor now required) is not shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from dashboards.events import user_group
from dashboards.models import Notification, NotificationKind
from dashboards.publisher import group_send
from organizations import access

INBOX_SIZE = 10


def visible(user: Any) -> QuerySet[Notification]:
    return Notification.objects.filter(user_id=user.pk).filter(
        Q(organization__isnull=True) | access.visible_q(user)
    )


def inbox(user: Any) -> dict[str, Any]:
    if not getattr(user, "is_authenticated", False):
        return {"notifications": [], "unread": 0}
    rows = visible(user)
    return {
        "notifications": list(rows.select_related("organization")[:INBOX_SIZE]),
        "unread": rows.filter(read_at__isnull=True).count(),
    }


def notify(
    *,
    user_ids: Iterable[int],
    organization_id: int | None,
    kind: NotificationKind,
    text: str,
    url: str = "",
) -> list[Notification]:
    """Write one notification per person and, after commit, push the bell's new state
    to each person's open pages."""
    rows = Notification.objects.bulk_create(
        [
            Notification(
                user_id=user_id,
                organization_id=organization_id,
                kind=kind,
                text=text[:300],
                url=url[:500],
            )
            for user_id in set(user_ids)
        ]
    )
    for row in rows:
        transaction.on_commit(partial(push, row.user_id))
    return rows


def push(user_id: int) -> None:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return
    html = render_to_string("dashboards/notifications.html", {**inbox(user), "oob": True})
    group_send(user_group(user_id), {"type": "live.event", "html": html, "min_role": None})


def mark_read(*, acting_user: Any, notification_id: int | None = None) -> int:
    """Mark one of the person's notifications (or all of them) read."""
    rows = Notification.objects.filter(user_id=acting_user.pk, read_at__isnull=True)
    if notification_id is not None:
        rows = rows.filter(pk=notification_id)
    return rows.update(read_at=timezone.now())
