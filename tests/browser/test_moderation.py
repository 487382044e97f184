"""Moderation in the browser: an editor submits a page to the organization's workflow, an
admin of the same organization approves it, an admin of another organization finds
nothing of it (dashboard, reports, the page itself); the audit log for the admin. On a
desktop and a 390 px screen, in both themes, with no console error or CSP violation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from organizations.roles import Role
from tests.browser.test_admin_screens import THEMES, VIEWPORTS, WATCH_CSP
from tests.factories import add_member, make_org

TITLE = "Spring programme"


@pytest.fixture
def moderated(portal_db: None) -> dict[str, Any]:
    from dashboards.models import OrganizationPage
    from home.models import ContentPage
    from organizations import services

    acme, acme_owner = make_org("Acme Research", "acme")
    globex, globex_owner = make_org("Globex Studios", "globex")
    for organization, owner in ((acme, acme_owner), (globex, globex_owner)):
        services.organization_set_moderation(
            acting_user=owner, organization=organization, enabled=True
        )
    editor = add_member(acme, Role.EDITOR, "editor@acme.example")
    root = OrganizationPage.objects.get(organization=acme)
    page = root.add_child(instance=ContentPage(title=TITLE, slug="spring", live=False))
    page.save_revision(user=editor)
    return {
        "page": page,
        "editor": editor,
        "acme_admin": add_member(acme, Role.ADMIN, "admin@acme.example"),
        "globex_admin": add_member(globex, Role.ADMIN, "admin@globex.example"),
    }


class Console:
    def __init__(self, page: Page) -> None:
        self.messages: list[str] = []
        page.on(
            "console",
            lambda message: self.messages.append(message.text) if message.type == "error" else None,
        )
        page.on("pageerror", lambda error: self.messages.append(f"uncaught: {error}"))
        page.add_init_script(WATCH_CSP)
        self.page = page

    def problems(self) -> list[str]:
        return [*self.messages, *self.page.evaluate("window.__csp")]


def _as(context: Any, login: Any, user: Any) -> None:
    context.clear_cookies()
    login(user)


def _open(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None
    assert response.status == 200, (url, response.status)
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("theme", THEMES)
def test_a_page_is_submitted_and_approved_inside_its_organization_only(
    page: Page,
    context: Any,
    moderated: dict[str, Any],
    login: Any,
    screenshot: Any,
    theme: str,
    viewport: str,
) -> None:
    page.set_viewport_size(VIEWPORTS[viewport])
    page.emulate_media(color_scheme=theme)
    console = Console(page)
    submitted = moderated["page"]
    edit_url = f"/admin/pages/{submitted.pk}/edit/"

    # The editor submits: publishing is not offered, submitting is.
    _as(context, login, moderated["editor"])
    _open(page, edit_url)
    expect(page.locator('button[name="action-publish"]')).to_have_count(0)
    submit = page.locator('button[name="action-submit"]')
    if not submit.is_visible():
        page.locator("footer [data-w-dropdown-target='toggle']").first.click()
    submit.click()
    page.wait_for_load_state("networkidle")
    submitted.refresh_from_db()
    assert submitted.workflow_in_progress
    assert not submitted.live

    # An admin of another organization: nothing of it anywhere.
    _as(context, login, moderated["globex_admin"])
    for url in ("/admin/", "/admin/reports/workflow/", "/admin/reports/workflow_tasks/"):
        _open(page, url)
        assert TITLE not in page.content(), url
    screenshot(page, f"moderation-other-admin-{theme}-{viewport}")
    for url in (edit_url, f"/admin/pages/{submitted.pk}/workflow/history/"):
        assert context.request.get(url).status == 404, url

    # An admin of the same organization: waiting on the dashboard and in the report,
    # approved from the editor.
    _as(context, login, moderated["acme_admin"])
    _open(page, "/admin/")
    expect(page.get_by_text(TITLE).first).to_be_visible()
    screenshot(page, f"moderation-awaiting-review-{theme}-{viewport}")
    _open(page, "/admin/reports/workflow/")
    expect(page.get_by_text(TITLE).first).to_be_visible()
    screenshot(page, f"moderation-report-{theme}-{viewport}")
    _open(page, edit_url)
    approve = page.locator(
        'button[data-workflow-action-name="approve"]:not([data-workflow-action-modal-url])'
    )
    if not approve.is_visible():
        page.locator("footer [data-w-dropdown-target='toggle']").first.click()
    approve.click()
    page.wait_for_load_state("networkidle")
    submitted.refresh_from_db()
    assert submitted.live
    assert not submitted.workflow_in_progress

    # The audit log of the organization, filtered by action.
    _open(page, "/admin/audit/")
    expect(page.get_by_role("heading", name="Audit log").first).to_be_visible()
    screenshot(page, f"audit-log-{theme}-{viewport}")
    assert not console.problems(), json.dumps(console.problems(), indent=1)
