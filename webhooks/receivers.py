"""Webhooks hear about events from the audit log (see webhooks/events.py)."""

from __future__ import annotations

from typing import Any

import structlog
from django.db import transaction
from django.db.models.signals import post_save

from organizations.models import AuditEvent

logger = structlog.get_logger(__name__)


def _on_audit_event(sender: Any, instance: AuditEvent, created: bool, **_: Any) -> None:
    from webhooks.events import FROM_AUDIT
    from webhooks.services import record_event

    if not created or instance.action not in FROM_AUDIT:
        return
    try:
        # A savepoint: a webhook problem is logged, never undoes the change it is about.
        with transaction.atomic():
            record_event(instance)
    except Exception:
        logger.exception("webhook_event_not_recorded", audit_event_id=instance.pk)


def connect() -> None:
    post_save.connect(_on_audit_event, sender=AuditEvent, dispatch_uid="webhooks.audit_event")
