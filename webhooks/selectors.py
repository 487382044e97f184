"""Reads for webhooks: an organization's endpoints and deliveries, and the object
summaries that go into payloads.

Every read names the organization: a summary is read with the event's own organization
in the query, so an object of another organization can never be summarised, whatever id
an event carries.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from organizations.models import Membership, Organization
from webhooks.events import EventType
from webhooks.models import WebhookDelivery, WebhookEndpoint

DELIVERY_LOG_SIZE = 50


def endpoints_of(organization: Organization) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(organization=organization)


def endpoint_for(organization: Organization, pk: object) -> WebhookEndpoint:
    """One endpoint of ``organization``; 404 for any other (no existence oracle)."""
    try:
        return WebhookEndpoint.objects.select_related("organization").get(
            organization=organization, pk=int(str(pk))
        )
    except (WebhookEndpoint.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


def deliveries_of(endpoint: WebhookEndpoint, *, limit: int = DELIVERY_LOG_SIZE) -> list[Any]:
    return list(
        WebhookDelivery.objects.filter(
            organization_id=endpoint.organization_id, endpoint=endpoint
        ).order_by("-created_at", "-pk")[:limit]
    )


def subscribed_endpoints(organization_id: int, event_type: str) -> list[WebhookEndpoint]:
    """Active endpoints of the organization that asked for ``event_type`` (filtered in
    Python: an organization has a handful, and SQLite has no JSON containment)."""
    return [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(
            organization_id=organization_id, is_active=True
        )
        if event_type in endpoint.events
    ]


# --- payload summaries ------------------------------------------------------------------


def _document(organization_id: int, target_id: str) -> dict[str, Any] | None:
    from secure_documents.models import SecureDocument

    document = SecureDocument.objects.filter(organization_id=organization_id, pk=target_id).first()
    if document is None:
        return None
    return {
        "id": document.pk,
        "title": document.title,
        "filename": document.filename,
        "size": document.file_size,
        "content_type": document.content_type,
        "status": document.status,
        "audience": document.min_role or "all",
    }


def _member(organization_id: int, target_id: str) -> dict[str, Any] | None:
    membership = (
        Membership.objects.filter(organization_id=organization_id, pk=target_id)
        .select_related("user")
        .first()
    )
    if membership is None:
        return None
    return {
        "id": membership.pk,
        "user": {"id": membership.user_id, "email": membership.user.email},
        "role": membership.role,
    }


def _page(organization_id: int, target_id: str) -> dict[str, Any] | None:
    from wagtail.models import Page

    from dashboards.models import OrganizationPage

    root = OrganizationPage.objects.filter(organization_id=organization_id).first()
    if root is None:
        return None
    page = Page.objects.descendant_of(root, inclusive=True).filter(pk=target_id).first()
    if page is None:
        return None
    return {"id": page.pk, "title": page.title, "url_path": page.url_path}


def _announcement(organization_id: int, target_id: str) -> dict[str, Any] | None:
    from dashboards.models import Announcement

    announcement = Announcement.objects.filter(
        organization_id=organization_id, pk=target_id
    ).first()
    if announcement is None:
        return None
    return {
        "id": announcement.pk,
        "title": announcement.title,
        "audience": announcement.min_role or "all",
    }


SUMMARIES = {
    EventType.DOCUMENT_UPLOADED: _document,
    EventType.DOCUMENT_PROCESSED: _document,
    EventType.MEMBER_JOINED: _member,
    EventType.MEMBER_REMOVED: _member,
    EventType.PAGE_PUBLISHED: _page,
    EventType.ANNOUNCEMENT_PUBLISHED: _announcement,
}


def event_summary(event_type: EventType, organization_id: int, target_id: str) -> Any:
    """The object an event is about, as the organization's admins may see it; None when
    it is not the organization's (or no longer exists)."""
    if not target_id.isdigit():
        return None
    return SUMMARIES[event_type](organization_id, target_id)
