"""Periodic jobs for the live dashboards and for housekeeping."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import structlog
from celery import shared_task
from django.conf import settings
from django.utils import timezone

from organizations.task_base import RELIABLE_DEFAULTS

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
