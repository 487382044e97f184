"""Demo pages and snippets for each demo organization (idempotent)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from wagtail.models import Page

from dashboards.models import Announcement, OrganizationPage, QuickLink, default_panels
from home.models import ContentPage
from organizations.models import Organization

PAGES = [
    (
        "handbook",
        "Handbook",
        "How we work, in one place.",
        [
            ("heading", {"text": "Getting started", "level": "h2"}),
            ("paragraph", "<p>Welcome! Start with the onboarding checklist.</p>"),
            ("quote", {"text": "Write things down.", "attribution": "The team"}),
        ],
    ),
    (
        "projects",
        "Projects",
        "What we are working on this quarter.",
        [
            ("heading", {"text": "Current projects", "level": "h2"}),
            ("paragraph", "<p>Each project has an owner and a weekly update.</p>"),
        ],
    ),
]


@transaction.atomic
def load(*, stdout: Any, admin: Any, password: str) -> None:
    for organization in Organization.objects.filter(slug__in=["acme", "globex"]):
        root = OrganizationPage.objects.get(organization=organization)
        if not root.panels:
            root.panels = default_panels()
            root.save_revision(user=admin).publish()
        for slug, title, intro, body in PAGES:
            if Page.objects.child_of(root).filter(slug=slug).exists():
                continue
            page = root.add_child(
                instance=ContentPage(title=title, slug=slug, intro=intro, body=body)
            )
            page.save_revision(user=admin).publish()
        if not Announcement.objects.filter(organization=organization).exists():
            announcement = Announcement.objects.create(
                organization=organization,
                title=f"Welcome to {organization.name}",
                body="<p>This portal is where our pages, documents and dashboards live.</p>",
                min_role="",
            )
            announcement.save_revision(user=admin).publish()
        if not QuickLink.objects.filter(organization=organization).exists():
            QuickLink.objects.create(
                organization=organization,
                title="Handbook",
                url=f"{root.full_url or ''}handbook/" if root.full_url else "https://example.com/",
                sort_order=1,
            )
    stdout.write("Demo pages, announcements and quick links are in place.\n")
