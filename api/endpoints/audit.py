"""An organization's audit log, read-only, for its admins and owners."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from api.context import organization_access
from api.pagination import MAX_LIMIT, page
from api.schemas import AuditPageOut, Cursor, ErrorOut, UtcDateTime
from organizations.access import ceilings_within
from organizations.models import AuditEvent
from organizations.roles import Capability

router = Router(tags=["audit log"])


class AuditFilters(Schema):
    action: str | None = Field(
        None, max_length=64, description="an action (document.uploaded) or its prefix (document.)"
    )
    actor: str | None = Field(None, max_length=254, description="the acting person's email")
    target_type: str | None = Field(None, max_length=64)
    since: UtcDateTime | None = None
    until: UtcDateTime | None = None
    cursor: Cursor | None = None
    limit: int = Field(50, ge=1, le=MAX_LIMIT)


@router.get(
    "/organizations/{org_slug}/audit-log",
    response={200: AuditPageOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    url_name="audit_log",
)
def audit_log(request: HttpRequest, org_slug: str, filters: Query[AuditFilters]) -> dict[str, Any]:
    """What happened in the organization, newest first, with filters and cursor pages."""
    membership = organization_access(request, org_slug, Capability.MANAGE_ORGANIZATION)
    rows = AuditEvent.objects.filter(
        organization=membership.organization, min_role__in=ceilings_within(membership.role)
    ).select_related("actor")
    if filters.action:
        if filters.action.endswith("."):
            rows = rows.filter(action__startswith=filters.action)
        else:
            rows = rows.filter(action=filters.action)
    if filters.actor:
        rows = rows.filter(actor__email__iexact=filters.actor)
    if filters.target_type:
        rows = rows.filter(target_type=filters.target_type)
    if filters.since:
        rows = rows.filter(created_at__gte=filters.since)
    if filters.until:
        rows = rows.filter(created_at__lt=filters.until)
    items, next_cursor = page(rows, filters.cursor, filters.limit)
    return {
        "items": [
            {
                "id": event.pk,
                "action": event.action,
                "actor": event.actor.email if event.actor else None,
                "target_type": event.target_type,
                "target_id": event.target_id,
                "target": event.target_repr,
                "details": event.details if isinstance(event.details, dict) else {},
                "request_id": event.request_id,
                "created_at": event.created_at,
            }
            for event in items
        ],
        "next_cursor": next_cursor,
    }
