"""axe-core on the main pages in both themes, and the screenshots people look at
(artifacts/screenshots/, kept by CI; docs/user-guide.md uses copies of a few)."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from organizations.roles import Role
from tests.factories import UserFactory, add_member, make_org

THEMES = ("light", "dark")
BLOCKING = {"serious", "critical"}


@pytest.fixture
def owner(portal_db: None) -> Any:
    organization, owner = make_org("Acme Research", "acme")
    for role in (Role.ADMIN, Role.EDITOR, Role.MEMBER, Role.VIEWER):
        add_member(organization, role, f"{role}@acme.example")
    from organizations.services import invitation_send

    invitation_send(
        acting_user=owner, organization=organization, email="new@acme.example", role=Role.MEMBER
    )
    from tests.browser.test_documents import add_documents

    add_documents(organization, owner, ["budget-2026.txt", "minutes-march.txt", "roadmap.md"])
    owner.is_staff = True
    owner.first_name = "Olivia"
    owner.save()
    return owner


def _blocking_violations(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']}): "
        + ", ".join(str(node["target"]) for node in violation["nodes"][:5])
        for violation in results.response["violations"]
        if violation["impact"] in BLOCKING
    ]


@pytest.mark.parametrize("theme", THEMES)
def test_main_pages_pass_axe_and_are_photographed(
    page: Page, owner: Any, login: Any, screenshot: Any, theme: str
) -> None:
    login(owner)
    page.emulate_media(color_scheme=theme)
    problems: dict[str, list[str]] = {}
    pages = {
        "dashboard": "/o/acme/",
        "members": "/o/acme/members/",
        "documents": "/o/acme/documents/",
        "settings": "/o/acme/settings/",
        "account-email": "/accounts/email/",
        "components": "/components/",
    }
    for name, url in pages.items():
        page.goto(url)
        page.wait_for_load_state("networkidle")
        if name in {"dashboard", "members", "documents"}:
            screenshot(page, f"{name}-{theme}")
        found = _blocking_violations(page)
        if found:
            problems[url] = found
    assert problems == {}


@pytest.mark.parametrize("theme", THEMES)
def test_sign_in_page_passes_axe(page: Page, portal_db: None, screenshot: Any, theme: str) -> None:
    UserFactory()
    page.emulate_media(color_scheme=theme)
    page.goto("/accounts/login/")
    screenshot(page, f"sign-in-{theme}")
    assert _blocking_violations(page) == []
