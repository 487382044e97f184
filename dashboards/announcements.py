"""Writes and reads of announcements outside the Wagtail admin (the API).

The admin edits announcements through Wagtail's snippet views and its permission policy;
these functions do the same through Wagtail's documented revision API (``save_revision``
and ``Revision.publish``), so the ``published`` signal (audit, notifications, the live
panel: dashboards/receivers.py) fires as it does for the admin's "Publish".
Editors and above write; nobody writes an announcement above their own role.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404

from dashboards.models import Announcement
from organizations import access
from organizations.audit import audit_record
from organizations.models import Organization
from organizations.roles import Capability, Role, has_capability

# The announcement body's editor features (dashboards.models.Announcement.body).
BODY_FEATURES = ["bold", "italic", "link", "ol", "ul"]


def clean_rich_text(html: str) -> str:
    """HTML from outside the admin, reduced to what the body's editor allows (Wagtail's
    whitelist converter: other tags, attributes and scripts are dropped)."""
    from wagtail.admin.rich_text.converters.editor_html import EditorHTMLConverter

    return str(EditorHTMLConverter(features=BODY_FEATURES).to_database_format(html))


def announcements_for(organization: Organization, role: str) -> QuerySet[Announcement]:
    """What ``role`` sees: editors and above every announcement within their ceiling
    (drafts too), others the published ones for their role."""
    rows = Announcement.objects.filter(organization=organization).for_role(role)
    if not has_capability(role, Capability.EDIT_CONTENT):
        rows = rows.filter(live=True)
    return rows.order_by("-created_at", "-pk")


def access_announcement(user: Any, organization: Organization, pk: object) -> Announcement:
    role = access.require(user, organization)
    try:
        return announcements_for(organization, role).get(pk=int(str(pk)))
    except (Announcement.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


@transaction.atomic
def announcement_create(
    *,
    acting_user: Any,
    organization: Organization,
    title: str,
    body: str,
    min_role: str = "",
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> Announcement:
    """A draft announcement (not shown until published)."""
    role = access.require(acting_user, organization, Capability.EDIT_CONTENT)
    if min_role and min_role not in Role.values:
        raise ValidationError({"min_role": "Choose a role, or none for everyone."})
    if not access.reaches(role, min_role):
        raise ValidationError({"min_role": "You cannot write for a role above your own."})
    announcement = Announcement(
        organization=organization,
        title=(title or "").strip(),
        body=clean_rich_text(body or ""),
        min_role=min_role or "",
        starts_at=starts_at,
        ends_at=ends_at,
        live=False,
    )
    announcement.full_clean()
    announcement.save()
    announcement.save_revision(user=acting_user)
    audit_record(
        action="announcement.created",
        actor=acting_user,
        organization=organization,
        target=announcement,
        details={"audience": announcement.min_role or "all"},
    )
    return announcement


@transaction.atomic
def announcement_publish(*, acting_user: Any, announcement: Announcement) -> Announcement:
    """Publish the latest revision; the ``published`` receivers audit and notify."""
    access.require(
        acting_user,
        announcement.organization_id,
        Capability.EDIT_CONTENT,
        min_role=announcement.min_role,
    )
    revision = announcement.latest_revision or announcement.save_revision(user=acting_user)
    revision.publish(user=acting_user)
    announcement.refresh_from_db()
    return announcement
