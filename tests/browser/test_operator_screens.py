"""The operators' screens in the browser (organizations, audit log, failed tasks, the
suspend confirmation): no console error or CSP violation on a desktop and a 390 px
screen, in both themes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_admin_screens import THEMES, VIEWPORTS, _walk
from tests.factories import UserFactory, make_org


@pytest.fixture
def platform(portal_db: None) -> dict[str, Any]:
    from organizations.models import FailedTask

    acme, _owner = make_org("Acme Research", "acme")
    make_org("Globex Studios", "globex")
    failed = FailedTask.objects.create(
        task_id="3f1c-task",
        task_name="secure_documents.tasks.process_document",
        exception="RuntimeError: the scanner did not answer",
        organization_id=acme.pk,
    )
    return {
        "operator": UserFactory(is_superuser=True, is_staff=True),
        "acme": acme,
        "failed": failed,
    }


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("theme", THEMES)
def test_operator_screens(
    page: Page, platform: dict[str, Any], login: Any, screenshot: Any, theme: str, viewport: str
) -> None:
    login(platform["operator"])
    page.set_viewport_size(VIEWPORTS[viewport])
    page.emulate_media(color_scheme=theme)
    acme, failed = platform["acme"], platform["failed"]
    problems = _walk(
        page,
        {
            "organizations": "/admin/platform/organizations/",
            "organizations-sorted": "/admin/platform/organizations/?ordering=-member_count",
            "organization": f"/admin/platform/organizations/inspect/{acme.pk}/",
            "suspend": f"/admin/platform/organizations/{acme.pk}/set-active/",
            "audit-log": "/admin/audit/?action=organization.created",
            "failed-tasks": "/admin/platform/failed-tasks/",
            "failed-task": f"/admin/platform/failed-tasks/inspect/{failed.pk}/",
        },
    )
    assert not problems, json.dumps(problems, indent=1)
    page.goto("/admin/platform/organizations/")
    expect(page.get_by_role("link", name="Acme Research")).to_be_visible()
    screenshot(page, f"operator-organizations-{theme}-{viewport}")
    page.goto("/admin/platform/failed-tasks/")
    expect(page.get_by_text("the scanner did not answer")).to_be_visible()
    screenshot(page, f"operator-failed-tasks-{theme}-{viewport}")
