"""An organization's announcements: members read, editors create drafts and publish.
Writes go through dashboards.announcements (Wagtail's revision API)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from api.context import organization_access
from api.schemas import AnnouncementIn, AnnouncementListOut, AnnouncementOut, ErrorOut
from dashboards import announcements as service
from dashboards.models import Announcement
from organizations.roles import Capability

router = Router(tags=["announcements"])

ERRORS: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    429: ErrorOut,
}


def _announcement(announcement: Announcement) -> dict[str, Any]:
    return {
        "id": announcement.pk,
        "title": announcement.title,
        "body": announcement.body,
        "audience": announcement.min_role,
        "live": announcement.live,
        "has_unpublished_changes": announcement.has_unpublished_changes,
        "starts_at": announcement.starts_at,
        "ends_at": announcement.ends_at,
        "created_at": announcement.created_at,
    }


@router.get(
    "/organizations/{org_slug}/announcements",
    response={200: AnnouncementListOut, **ERRORS},
    url_name="announcements",
)
def announcements_list(request: HttpRequest, org_slug: str) -> dict[str, Any]:
    """Announcements for the caller's role: published ones, and drafts for editors and
    above. Texts are those of the published version (a draft's latest save for editors
    is in the admin)."""
    membership = organization_access(request, org_slug)
    rows = service.announcements_for(membership.organization, membership.role)
    return {"items": [_announcement(a) for a in rows]}


@router.post(
    "/organizations/{org_slug}/announcements",
    response={201: AnnouncementOut, **ERRORS},
    url_name="announcements",
)
def announcement_create(
    request: HttpRequest, org_slug: str, body: AnnouncementIn
) -> Status[dict[str, Any]]:
    """A draft announcement; publish it to show it. ``body`` is rich text (HTML with
    bold, italic, links and lists); ``audience`` is the lowest role that sees it."""
    membership = organization_access(request, org_slug, Capability.EDIT_CONTENT, write=True)
    announcement = service.announcement_create(
        acting_user=request.user,
        organization=membership.organization,
        title=body.title,
        body=body.body,
        min_role=body.audience,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
    )
    return Status(201, _announcement(announcement))


@router.post(
    "/organizations/{org_slug}/announcements/{int:pk}/publish",
    response={200: AnnouncementOut, **ERRORS},
    url_name="announcement_publish",
)
def announcement_publish(request: HttpRequest, org_slug: str, pk: int) -> dict[str, Any]:
    """Publish an announcement's latest version: members of its audience are notified."""
    membership = organization_access(request, org_slug, Capability.EDIT_CONTENT, write=True)
    announcement = service.access_announcement(request.user, membership.organization, pk)
    return _announcement(
        service.announcement_publish(acting_user=request.user, announcement=announcement)
    )
