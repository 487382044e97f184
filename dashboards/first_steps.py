"""A new organization's first steps on its overview: invite people, upload a document,
publish a page. Each step is done once the organization shows it happened (not when
someone ticks it), and the list goes once all three are done."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from wagtail.models import Page

from organizations.models import Invitation, Membership


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    detail: str
    url: str
    action: str
    done: bool


def first_steps(organization_id: int, slug: str) -> list[Step]:
    """The steps, or [] once every one is done (three small queries)."""
    from dashboards.models import OrganizationPage
    from secure_documents.models import SecureDocument

    invited = (
        Membership.objects.filter(organization_id=organization_id)[1:2].exists()
        or Invitation.objects.filter(organization_id=organization_id).exists()
    )
    uploaded = SecureDocument.objects.filter(organization_id=organization_id).exists()
    # Path and depth: the descendants' query reads both (a deferred depth costs a query).
    root = (
        OrganizationPage.objects.filter(organization_id=organization_id)
        .only("path", "depth")
        .first()
    )
    published = bool(root) and Page.objects.descendant_of(root).live().exists()
    if invited and uploaded and published:
        return []
    steps = [
        Step(
            "invite",
            "Invite people",
            "Colleagues get an email with a link to join.",
            reverse("organizations:members", kwargs={"org_slug": slug}) + "#invite-title",
            "Invite",
            invited,
        ),
        Step(
            "upload",
            "Upload a document",
            "Files are private to your organization.",
            reverse("secure_documents:library", kwargs={"org_slug": slug}),
            "Upload",
            uploaded,
        ),
        Step(
            "publish",
            "Publish a page",
            "Your organization's pages, for members or for everyone.",
            reverse("wagtailadmin_pages:add_subpage", args=[root.pk]) if root else "/admin/",
            "Write a page",
            published,
        ),
    ]
    return steps
