"""Reads for the dashboard panels; each works from an organization id alone, so the
websocket consumer and the page render the same state."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Sum
from wagtail.models import Page

from dashboards import presence
from dashboards.feed import FeedItem, describe
from organizations.access import ceilings_within
from organizations.models import AuditEvent, Membership, Organization

ACTIVITY_ACTIONS = (
    "document.uploaded",
    "document.clean",
    "document.rejected",
    "document.deleted",
    "membership.joined",
    "membership.left",
    "membership.removed",
    "page.published",
    "announcement.published",
)


def online_members(organization_id: int) -> list[Any]:
    ids = presence.online_user_ids(organization_id)
    if not ids:
        return []
    return list(
        get_user_model()
        .objects.filter(pk__in=ids, memberships__organization_id=organization_id)
        .select_related("profile")
        .order_by("email")
    )


def activity(organization_id: int, role: str, limit: int = 8) -> list[FeedItem]:
    """The organization's recent activity that ``role`` may read (the access rule's
    ceiling: events about admin-only objects are for admins), worded for people
    (``dashboards.feed``); repeated events are grouped, so fewer lines may come back."""
    events = (
        AuditEvent.objects.filter(
            organization_id=organization_id,
            action__in=ACTIVITY_ACTIONS,
            min_role__in=ceilings_within(role),
        )
        .select_related("actor__profile")
        .order_by("-created_at", "-pk")[: limit * 2]
    )
    return describe(events)[:limit]


def metrics(organization_id: int) -> dict[str, Any]:
    from dashboards.models import OrganizationPage
    from secure_documents.models import SecureDocument

    organization = Organization.objects.only("storage_quota_bytes").get(pk=organization_id)
    documents = SecureDocument.objects.filter(organization_id=organization_id).aggregate(
        used=Sum("file_size")
    )
    # Path and depth: the descendants' query reads both (a deferred depth costs a query).
    root = (
        OrganizationPage.objects.filter(organization_id=organization_id)
        .only("path", "depth")
        .first()
    )
    used = int(documents["used"] or 0)
    quota = organization.storage_quota_bytes
    return {
        "members": Membership.objects.filter(organization_id=organization_id).count(),
        "documents": SecureDocument.objects.filter(organization_id=organization_id).count(),
        "storage_used": used,
        "storage_quota": quota,
        "storage_percent": min(100, round(used * 100 / quota)) if quota else 0,
        "pages": Page.objects.descendant_of(root, inclusive=True).count() if root else 0,
    }


def overview_page(organization_id: int) -> Any:
    """The organization's page, whose ``panels`` the portal overview shows. Its row holds
    the published content (Wagtail keeps drafts in revisions), so a saved draft changes
    nothing until it is published."""
    from dashboards.models import OrganizationPage

    return OrganizationPage.objects.filter(organization_id=organization_id).first()


def overview_page_summary(organization_id: int) -> dict[str, Any]:
    """What the overview needs of its organization page, as plain data that the cache
    keeps (dashboards/overview_cache.py): its id, whether it has a draft, and the
    published panels' stored form (``overview_panels`` turns it back into blocks)."""
    page = overview_page(organization_id)
    if page is None:
        return {"pk": None, "has_unpublished_changes": False, "panels": []}
    stream = type(page)._meta.get_field("panels").stream_block
    return {
        "pk": page.pk,
        "has_unpublished_changes": page.has_unpublished_changes,
        "panels": stream.get_prep_value(page.panels),
    }


def overview_panels(summary: dict[str, Any]) -> Any:
    """The published panels of ``overview_page_summary``, as the page's stream."""
    from dashboards.models import OrganizationPage

    stream = OrganizationPage._meta.get_field("panels").stream_block
    return stream.to_python(summary["panels"])


def recent_documents(organization_id: int, limit: int = 6) -> list[Any]:
    from secure_documents.selectors import recent_documents as recent

    return recent(organization_id, limit)


def dashboard_state(organization_id: int, role: str) -> dict[str, Any]:
    return {
        "organization_id": organization_id,
        "role": role,
        "metrics": metrics(organization_id),
        "events": activity(organization_id, role),
        "documents": recent_documents(organization_id),
        "online": online_members(organization_id),
        "announcements": current_announcements(organization_id, role),
    }


def quick_links(organization_id: int | None, limit: int = 12) -> list[Any]:
    from dashboards.models import QuickLink

    if not organization_id:
        return []
    return list(QuickLink.objects.filter(organization_id=organization_id)[:limit])


def current_announcements(organization_id: int | None, role: str, limit: int = 5) -> list[Any]:
    from dashboards.models import Announcement

    if not organization_id or not role:
        return []
    return list(
        Announcement.objects.filter(organization_id=organization_id)
        .current()
        .for_role(role)
        .order_by("-starts_at", "-created_at")[:limit]
    )


def seconds_to_next_announcement_edge(organization_id: int) -> int | None:
    """Seconds until the next published announcement of the organization starts or ends
    (None: none will), which changes ``current_announcements`` without any write."""
    import math

    from django.db.models import Min, Q
    from django.utils import timezone

    from dashboards.models import Announcement

    now = timezone.now()
    edges = Announcement.objects.filter(organization_id=organization_id, live=True).aggregate(
        start=Min("starts_at", filter=Q(starts_at__gt=now)),
        end=Min("ends_at", filter=Q(ends_at__gt=now)),
    )
    moments = [moment for moment in edges.values() if moment is not None]
    if not moments:
        return None
    return max(1, math.ceil((min(moments) - now).total_seconds()))
