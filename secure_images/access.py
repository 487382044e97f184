"""Who may see an image: the people who may view its organization's pages.

Renditions (everything a page shows) go to everyone when the organization has published
its site (its root page is not members-only, the organization is active: the rule of its
pages, organizations/wagtail_hooks.py) and otherwise to the people the access rule lets
view the organization. Originals keep what the camera wrote (location included), so only
people who may edit the organization's content get them. Operators see everything.
Everything refused is the same 404 as a missing image.

A published site's image costs one query and never loads the session (so the response
does not vary by cookie and shared caches may keep it); a members-only one adds the
rule's lookup of the person's membership.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from organizations import access
from organizations.models import Organization
from organizations.pages import root_pages
from organizations.roles import Capability
from secure_images.models import SecureImage, SecureRendition
from secure_images.storage import RENDITIONS_SEGMENT


@dataclass(frozen=True)
class ImageCheck:
    allowed: bool
    public: bool = False
    image: SecureImage | None = None
    rendition: SecureRendition | None = None


DENIED = ImageCheck(False)


def with_site_public(queryset: QuerySet[Any], organization_field: str) -> QuerySet[Any]:
    """Rows with their organization and ``site_public``: its pages are open to everyone."""
    public = Exists(
        root_pages().filter(
            organization_id=OuterRef(f"{organization_field}_id"), members_only=False
        )
    )
    return queryset.select_related(organization_field).annotate(site_public=public)


def is_public(organization: Organization, site_public: bool) -> bool:
    return bool(site_public) and organization.is_active


def may_view(user: Any, organization: Organization) -> bool:
    return access.is_operator(user) or access.check(user, organization).allowed


def may_edit(user: Any, organization: Organization) -> bool:
    return (
        access.is_operator(user)
        or access.check(user, organization, Capability.EDIT_CONTENT).allowed
    )


def check_rendition(*, user: Any, image_id: Any, filename: str) -> ImageCheck:
    """``user`` may be the request's lazy user: it is only looked at for members-only
    organizations."""
    if "\x00" in filename or "/" in filename:
        return DENIED
    rendition = (
        with_site_public(
            SecureRendition.objects.filter(
                image__public_id=image_id, file__endswith=f"/{RENDITIONS_SEGMENT}/{filename}"
            ),
            "image__organization",
        )
        .select_related("image")
        .first()
    )
    if rendition is None:
        return DENIED
    organization = rendition.image.organization
    if is_public(organization, rendition.site_public):
        return ImageCheck(True, True, rendition.image, rendition)
    if not may_view(user, organization):
        return DENIED
    return ImageCheck(True, False, rendition.image, rendition)


def check_original(*, user: Any, image_id: Any, filename: str) -> ImageCheck:
    if "\x00" in filename or "/" in filename:
        return DENIED
    image = SecureImage.objects.filter(public_id=image_id).select_related("organization").first()
    if image is None or image.filename != filename or not may_edit(user, image.organization):
        return DENIED
    return ImageCheck(True, False, image)
