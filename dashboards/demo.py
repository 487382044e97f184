"""Demo pages, snippets and documents for each demo organization (idempotent): enough
that every default panel of the overview (announcements, quick links, figures, chart,
recent documents, activity) has something to show."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from wagtail.models import Page

from dashboards.models import Announcement, OrganizationPage, QuickLink, default_panels
from home.models import ContentPage
from organizations.models import Organization
from organizations.roles import Role

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

# (title, body, audience): the second one only editors and above see on the overview.
ANNOUNCEMENTS = [
    (
        "Welcome to {name}",
        "<p>This portal is where our pages, documents and dashboards live.</p>",
        "",
    ),
    (
        "Handbook review this week",
        "<p>Editors: please read the handbook and fix what is out of date by Friday.</p>",
        Role.EDITOR,
    ),
]
# (title, url relative to the organization's site, description)
QUICK_LINKS = [
    ("Handbook", "handbook/", "How we work, in one place."),
    ("Projects", "projects/", "What we are working on this quarter."),
    ("Expense policy", "https://example.com/expenses", "What to claim and how."),
]
# (file name, lines): small text files, so the figures, chart and lists have content.
DOCUMENTS = [
    ("meeting-notes.txt", ["Weekly meeting", "- Plan the quarter", "- Review the handbook"]),
    ("budget-2026.csv", ["item,amount", "travel,1200", "equipment,3400", "training,800"]),
    ("onboarding-checklist.txt", ["Day one", "- Set up the laptop", "- Meet the team"]),
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
        for pattern, text, audience in ANNOUNCEMENTS:
            heading = pattern.format(name=organization.name)
            if Announcement.objects.filter(organization=organization, title=heading).exists():
                continue
            announcement = Announcement.objects.create(
                organization=organization, title=heading, body=text, min_role=audience
            )
            announcement.save_revision(user=admin).publish()
        site_url = root.full_url or ""
        for order, (title, url, description) in enumerate(QUICK_LINKS, start=1):
            if QuickLink.objects.filter(organization=organization, title=title).exists():
                continue
            if not url.startswith("https://"):
                url = f"{site_url}{url}" if site_url else "https://example.com/"
            QuickLink.objects.create(
                organization=organization,
                title=title,
                url=url,
                description=description,
                sort_order=order,
            )
        _documents(organization, admin)
    stdout.write("Demo pages, announcements, quick links and documents are in place.\n")


def _documents(organization: Organization, admin: Any) -> None:
    """A few documents uploaded through the real service (checked, audited, processed),
    by the organization's owner; only into an organization that has none yet."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from secure_documents.models import SecureDocument
    from secure_documents.services import document_create

    if SecureDocument.objects.filter(organization=organization).exists():
        return
    owner = organization.memberships.filter(role=Role.OWNER).select_related("user").first()
    uploader = owner.user if owner is not None else admin
    for name, lines in DOCUMENTS:
        content = ("\n".join(lines) + "\n").encode()
        document_create(
            acting_user=uploader,
            organization=organization,
            uploaded_file=SimpleUploadedFile(name, content, "text/plain"),
        )
