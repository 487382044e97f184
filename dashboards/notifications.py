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

from dashboards import overview_cache
from dashboards.events import user_group
from dashboards.models import Notification, NotificationKind
from dashboards.publisher import group_send
from organizations import access

INBOX_SIZE = 10

# Which kinds also come by email unless the person says otherwise (their profile's
# ``email_notifications``): what concerns them alone does; announcements, which every
# member of a role gets and the overview shows, do not. Kinds not listed are never
# emailed from here: Wagtail emails a review request itself (its own notification
# preferences, Account → Notifications, decide).
EMAIL_DEFAULTS: dict[str, bool] = {
    NotificationKind.ANNOUNCEMENT: False,
    NotificationKind.ROLE_CHANGED: True,
    NotificationKind.DOCUMENT_REJECTED: True,
    NotificationKind.EXPORT_READY: True,
}


def wants_email(profile: Any, kind: str) -> bool:
    if kind not in EMAIL_DEFAULTS:
        return False
    chosen = (getattr(profile, "email_notifications", None) or {}).get(kind)
    return EMAIL_DEFAULTS.get(kind, False) if chosen is None else bool(chosen)


def email_choices(profile: Any) -> dict[str, bool]:
    """Every kind the person may choose, with whether it comes by email for them."""
    return {kind: wants_email(profile, kind) for kind in EMAIL_DEFAULTS}


def visible(user: Any) -> QuerySet[Notification]:
    return Notification.objects.filter(user_id=user.pk).filter(
        Q(organization__isnull=True) | access.visible_q(user)
    )


def inbox(user: Any) -> dict[str, Any]:
    """The bell's newest notifications and unread count, from the cache between changes
    (``notify`` and ``mark_read`` move the person's generation on)."""
    if not getattr(user, "is_authenticated", False):
        return {"notifications": [], "unread": 0}

    def compute() -> dict[str, Any]:
        rows = visible(user)
        return {
            "notifications": list(rows.select_related("organization")[:INBOX_SIZE]),
            "unread": rows.filter(read_at__isnull=True).count(),
        }

    return overview_cache.inbox(user.pk, access.organization_ids(user), compute)


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
    # The inbox first: the pushes below read it.
    overview_cache.invalidate_inbox(row.user_id for row in rows)
    for row in rows:
        transaction.on_commit(partial(push, row.user_id))
    _enqueue_emails(rows, organization_id, kind)
    return rows


def _enqueue_emails(rows: list[Notification], organization_id: int | None, kind: str) -> None:
    """One email task per person who wants this kind by email, in the same transaction
    (the outbox sends it after the commit). The task checks again before sending."""
    if organization_id is None or not rows:
        return
    from accounts.models import Profile
    from dashboards.tasks import send_notification_email
    from organizations import outbox

    profiles = Profile.objects.filter(user_id__in=[row.user_id for row in rows]).only(
        "user_id", "email_notifications"
    )
    wanted = {profile.user_id for profile in profiles if wants_email(profile, kind)}
    for row in rows:
        if row.user_id in wanted:
            outbox.enqueue(send_notification_email, row.pk, organization_id=organization_id)


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
    changed = rows.update(read_at=timezone.now())
    if changed:
        overview_cache.invalidate_inbox([acting_user.pk])
    return changed
