"""Writing audit events: called by every service function inside its transaction."""

from __future__ import annotations

from typing import Any

from django.db import models

from organizations.context import current_request
from organizations.models import AuditEvent, Organization


def audit_record(
    *,
    action: str,
    actor: Any,
    organization: Organization | int | None,
    target: models.Model | None = None,
    details: dict[str, Any] | None = None,
    min_role: str | None = None,
) -> AuditEvent:
    """``min_role``: the lowest role that may read this event in feeds and logs; by
    default the target's own ceiling (``target.min_role``), so an event about an
    admin-only export or announcement is shown to admins only."""
    facts = current_request.get()
    if min_role is None:
        min_role = str(getattr(target, "min_role", "") or "")
    organization_id = (
        organization if isinstance(organization, int) or organization is None else organization.pk
    )
    return AuditEvent.objects.create(
        organization_id=organization_id,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:255] if target is not None else "",
        details=details or {},
        ip=facts.ip,
        request_id=facts.request_id or "",
        min_role=min_role,
    )
