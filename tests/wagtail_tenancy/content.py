"""Builds each kind of Wagtail content an organization owns, marked for leak detection."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.models import Page

from dashboards.models import Announcement, OrganizationPage, QuickLink
from home.models import ContentPage
from secure_documents.models import SecureDocument


@dataclass
class OrgContent:
    root: OrganizationPage
    page: ContentPage
    page_revision_ids: list[int]
    announcement: Announcement
    announcement_revision_ids: list[int]
    quicklink: QuickLink
    document: SecureDocument
    image: Any
    collection_id: int
    group_ids: list[int]


def _png() -> ImageFile:
    buffer = io.BytesIO()
    PILImage.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    return ImageFile(io.BytesIO(buffer.getvalue()), name="marker.png")


def build_content(organization: Any, marker: str, author: Any) -> OrgContent:
    root = OrganizationPage.objects.get(organization=organization)
    page = root.add_child(
        instance=ContentPage(
            title=f"Page {marker}",
            slug=f"page-{marker.lower()}",
            intro=f"Intro {marker}",
            body=[("heading", {"text": f"Heading {marker}", "level": "h2"})],
        )
    )
    first = page.save_revision(user=author)
    first.publish()
    page.title = f"Page {marker} v2"
    second = page.save_revision(user=author)
    page = Page.objects.get(pk=page.pk).specific

    announcement = Announcement(
        organization=organization, title=f"News {marker}", body=f"<p>Body {marker}</p>"
    )
    announcement.save()
    a1 = announcement.save_revision(user=author)
    a1.publish()
    announcement.title = f"News {marker} v2"
    a2 = announcement.save_revision(user=author)

    quicklink = QuickLink.objects.create(
        organization=organization, title=f"Link {marker}", url="https://example.com/"
    )
    document = SecureDocument(
        title=f"Doc {marker}",
        organization=organization,
        collection=organization.collection,
        uploaded_by_user=author,
    )
    document.file.save(f"{marker}.txt", ContentFile(f"secret {marker}".encode()), save=False)
    document.save()
    image = get_image_model()(
        title=f"Image {marker}", collection=organization.collection, uploaded_by_user=author
    )
    image.file = _png()
    image.save()
    return OrgContent(
        root=root,
        page=page,
        page_revision_ids=[first.pk, second.pk],
        announcement=announcement,
        announcement_revision_ids=[a1.pk, a2.pk],
        quicklink=quicklink,
        document=document,
        image=image,
        collection_id=organization.collection_id,
        group_ids=list(organization.role_groups.values_list("group_id", flat=True)),
    )


def snapshot(organization: Any) -> dict[str, Any]:
    """Everything of an organization a foreign request could change."""
    root = OrganizationPage.objects.get(organization=organization)
    pages = Page.objects.descendant_of(root, inclusive=True).order_by("path")
    return {
        "pages": list(
            pages.values_list("pk", "title", "live", "locked", "path", "has_unpublished_changes")
        ),
        "announcements": list(
            Announcement.objects.filter(organization=organization)
            .order_by("pk")
            .values_list("pk", "title", "live", "locked")
        ),
        "quicklinks": list(
            QuickLink.objects.filter(organization=organization).values_list("pk", "title", "url")
        ),
        "documents": list(
            SecureDocument.objects.filter(organization=organization).values_list(
                "pk", "title", "collection_id"
            )
        ),
        "images": list(
            get_image_model()
            .objects.filter(collection_id=organization.collection_id)
            .values_list("pk", "title", "collection_id")
        ),
        "collection": list(
            type(organization.collection)
            .objects.filter(pk=organization.collection_id)
            .values_list("name", "path")
        ),
        "groups": sorted(
            organization.role_groups.values_list("group__name", "group__permissions__codename")
        ),
    }
