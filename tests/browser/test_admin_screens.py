"""The Wagtail admin in the browser as an organization admin: every main screen loads with
no console error and no Content Security Policy violation, on a desktop and a 390 px
screen, in both themes; the date picker opens on an announcement."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from organizations.roles import Role
from tests.factories import add_member, make_org

THEMES = ("light", "dark")
VIEWPORTS = {"desktop": {"width": 1280, "height": 860}, "phone": {"width": 390, "height": 844}}

# Records CSP violations in the page itself (the event fires before console logging).
WATCH_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__csp.push(event.violatedDirective + ' ' + (event.blockedURI || 'inline') +
    ' ' + (event.sourceFile || '') + ':' + event.lineNumber);
});
"""


@pytest.fixture
def admin_world(portal_db: None) -> dict[str, Any]:
    """An organization with one of each kind of content its admin edits (no image: the
    server keeps its own media folder, so an image file written here would not load)."""
    from django.core.files.base import ContentFile

    from dashboards.models import Announcement, DashboardPage, OrganizationPage, QuickLink
    from home.models import ContentPage
    from secure_documents.models import SecureDocument

    organization, owner = make_org("Acme Research", "acme")
    admin = add_member(organization, Role.ADMIN, "admin@acme.example")
    root = OrganizationPage.objects.get(organization=organization)
    page = root.add_child(
        instance=ContentPage(
            title="About us",
            slug="about",
            intro="Who we are",
            body=[("heading", {"text": "History", "level": "h2"})],
        )
    )
    page.save_revision(user=owner).publish()
    dashboard = root.add_child(instance=DashboardPage(title="Team board", slug="team-board"))
    announcement = Announcement.objects.create(
        organization=organization, title="Office move", body="<p>We move in May.</p>"
    )
    announcement.save_revision(user=owner).publish()
    quicklink = QuickLink.objects.create(
        organization=organization, title="Handbook", url="https://example.com/"
    )
    document = SecureDocument(
        title="Budget", organization=organization, collection=organization.collection
    )
    document.file.save("budget.txt", ContentFile(b"figures"), save=False)
    document.save()
    return {
        "admin": admin,
        "root": root,
        "page": page,
        "dashboard": dashboard,
        "announcement": announcement,
        "quicklink": quicklink,
        "document": document,
    }


def _screens(world: dict[str, Any]) -> dict[str, str]:
    root, page = world["root"], world["page"]
    return {
        "dashboard": "/admin/",
        "explorer": f"/admin/pages/{root.pk}/",
        "edit-organization-page": f"/admin/pages/{root.pk}/edit/",
        "edit-content-page": f"/admin/pages/{page.pk}/edit/",
        "edit-dashboard-page": f"/admin/pages/{world['dashboard'].pk}/edit/",
        "add-content-page": f"/admin/pages/add/home/contentpage/{root.pk}/",
        "page-history": f"/admin/pages/{page.pk}/history/",
        "snippets": "/admin/snippets/",
        "announcements": "/admin/snippets/dashboards/announcement/",
        "announcement-edit": (
            f"/admin/snippets/dashboards/announcement/edit/{world['announcement'].pk}/"
        ),
        "quicklink-edit": f"/admin/snippets/dashboards/quicklink/edit/{world['quicklink'].pk}/",
        "documents": "/admin/documents/",
        "document-edit": f"/admin/documents/edit/{world['document'].pk}/",
        "images": "/admin/images/",
        "reports-locked": "/admin/reports/locked/",
        "reports-history": "/admin/reports/site-history/",
        "account": "/admin/account/",
        "search": "/admin/pages/search/?q=About",
    }


def _walk(page: Page, screens: dict[str, str]) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    messages: list[str] = []
    page.on(
        "console",
        lambda message: messages.append(message.text) if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: messages.append(f"uncaught: {error}"))
    page.add_init_script(WATCH_CSP)
    for name, url in screens.items():
        messages.clear()
        response = page.goto(url)
        assert response is not None, (name, url)
        assert response.status == 200, (name, url, response.status)
        page.wait_for_load_state("networkidle")
        found = [*messages, *page.evaluate("window.__csp")]
        if found:
            problems[name] = found
    return problems


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("theme", THEMES)
def test_admin_screens_have_no_console_error_or_csp_violation(
    page: Page,
    admin_world: dict[str, Any],
    login: Any,
    screenshot: Any,
    theme: str,
    viewport: str,
) -> None:
    login(admin_world["admin"])
    page.set_viewport_size(VIEWPORTS[viewport])
    page.emulate_media(color_scheme=theme)
    problems = _walk(page, _screens(admin_world))
    assert not problems, json.dumps(problems, indent=1)
    page.goto("/admin/")
    expect(page.locator(".organization-panel .stats")).to_be_visible()
    screenshot(page, f"admin-home-{theme}-{viewport}")


def test_announcement_dates_have_a_picker(
    page: Page, admin_world: dict[str, Any], login: Any
) -> None:
    login(admin_world["admin"])
    page.goto(f"/admin/snippets/dashboards/announcement/edit/{admin_world['announcement'].pk}/")
    page.locator("#id_starts_at").click()
    picker = page.locator(".xdsoft_datetimepicker:visible")
    expect(picker).to_have_count(1)
    picker.locator(".xdsoft_date:not(.xdsoft_disabled)").first.click()
    expect(page.locator("#id_starts_at")).to_have_value(re.compile(r"^\d{4}-\d{2}-\d{2} "))


def test_scheduled_publishing_has_a_picker(
    page: Page, admin_world: dict[str, Any], login: Any
) -> None:
    login(admin_world["admin"])
    page.goto(f"/admin/pages/{admin_world['page'].pk}/edit/")
    page.locator('[data-side-panel-toggle="status"]').click()
    page.locator('[data-a11y-dialog-show="schedule-publishing-dialog"]').first.click()
    page.locator("#schedule-publishing-dialog #id_go_live_at").click()
    expect(page.locator(".xdsoft_datetimepicker:visible")).to_have_count(1)
