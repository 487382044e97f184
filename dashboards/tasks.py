"""Periodic jobs for the live dashboards and for housekeeping."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import structlog
from celery import shared_task
from django.conf import settings
from django.utils import timezone

from organizations.task_base import RELIABLE_DEFAULTS, tenant_task

logger = structlog.get_logger(__name__)


@shared_task(bind=True, name="dashboards.refresh_metrics", **RELIABLE_DEFAULTS)
def refresh_metrics(self: Any) -> int:
    """Push fresh figures to every organization with someone online: events keep them
    current, this corrects whatever an at-most-once channel layer dropped."""
    from dashboards import presence
    from dashboards.events import Event, publish
    from dashboards.selectors import metrics
    from organizations.models import Organization

    sent = 0
    for organization_id in Organization.objects.filter(is_active=True).values_list("pk", flat=True):
        if not presence.online_user_ids(organization_id):
            continue
        publish(
            Event.METRICS_UPDATED,
            organization_id=organization_id,
            context={"metrics": metrics(organization_id), "oob": True},
        )
        sent += 1
    return sent


@shared_task(bind=True, name="organizations.audit_retention", **RELIABLE_DEFAULTS)
def audit_retention(self: Any) -> int:
    """Delete audit events older than AUDIT_RETENTION_DAYS (in batches)."""
    from organizations.models import AuditEvent

    cutoff = timezone.now() - timedelta(days=settings.AUDIT_RETENTION_DAYS)
    deleted = 0
    while True:
        batch = list(
            AuditEvent.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[:5000]
        )
        if not batch:
            break
        deleted += AuditEvent.objects.filter(pk__in=batch).delete()[0]
    logger.info("audit_retention", deleted=deleted, cutoff=cutoff.isoformat())
    return deleted


@tenant_task(
    name="dashboards.send_notification_email",
    autoretry_for=(OSError,),
    # Protects the mail relay from bursts (an announcement to a whole organization).
    rate_limit="60/m",
)
def send_notification_email(self: Any, notification_id: int, *, organization_id: int) -> bool:
    """Email one notification to its person, if they still want this kind by email and
    the access rule still lets them view its organization (both may have changed since
    it was queued). Sent at most once: the notification records it."""
    from django.core.mail import send_mail
    from django.db import transaction
    from django.template.loader import render_to_string
    from django.urls import reverse

    from dashboards.models import Notification
    from dashboards.notifications import wants_email
    from organizations import access

    with transaction.atomic():
        note = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("user__profile", "organization")
            .filter(pk=notification_id, organization_id=organization_id, emailed_at__isnull=True)
            .first()
        )
        if note is None or note.organization is None:
            return False
        user = note.user
        if not wants_email(user.profile, note.kind) or not access.check(user, organization_id):
            return False
        link = settings.SITE_URL.rstrip("/") + reverse(
            "dashboards:notification_open", kwargs={"pk": note.pk}
        )
        context = {
            "note": note,
            "link": link,
            "profile_url": settings.SITE_URL.rstrip("/") + reverse("dashboards:profile"),
            "site_name": settings.WAGTAIL_SITE_NAME,
            "name": user.profile.name,
        }
        send_mail(
            subject=f"{note.organization.name}: {note.text}"[:200],
            message=render_to_string("dashboards/email/notification.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[user.email],
        )
        note.emailed_at = timezone.now()
        note.save(update_fields=["emailed_at"])
    return True
