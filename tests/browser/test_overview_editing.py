"""Changing the overview: an editor follows "Edit overview" to the organization page's
editor in the Wagtail admin, removes a panel, moves another up and publishes; a member's
overview shows the change (and showed none of it before the publish). At desktop and
390 px, light and dark, with no console error; the changed overview passes axe."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from organizations.roles import Role
from tests.browser import test_member_portal as portal
from tests.browser.test_member_portal import LAYOUTS, Console, World, assert_fits
from tests.browser.test_profile_and_overview import _axe
from tests.factories import add_member

# The member portal's fixtures: Acme (Ana the owner, Dana a member) and Globex.
world = portal.world
open_as = portal.open_as


def _panel(editor: Page, block_type: str) -> Locator:
    """One block of the panels stream in Wagtail's editor, by its type."""
    return editor.locator(
        f'[data-contentpath="panels"] [data-streamfield-child]'
        f':has(> input[name$="-type"][value="{block_type}"])'
    )


def _order(overview: Page) -> list[str]:
    """The overview's panels, top to bottom, by their headings (figures: by id)."""
    return overview.locator("#overview-panels > .live-panel").evaluate_all(
        "panels => panels.map(p => (p.querySelector('h2') || {}).textContent"
        " || (p.querySelector('#org-metrics') ? 'Figures' : '?'))"
    )


@pytest.mark.parametrize(("size", "theme"), LAYOUTS)
def test_an_editor_changes_the_overview_and_members_see_it_once_published(
    world: World,
    open_as: Callable[..., tuple[Page, Console]],
    screenshot: Callable[[Any, str], Any],
    size: str,
    theme: str,
) -> None:
    from dashboards.models import Announcement, OrganizationPage, QuickLink

    editor_user = add_member(world.acme, Role.EDITOR, "editor@acme.example")
    QuickLink.objects.create(
        organization=world.acme, title="Expense policy", url="https://example.com/expenses"
    )
    announcement = Announcement.objects.create(
        organization=world.acme, title="Office closed on Friday", body="<p>Enjoy.</p>"
    )
    announcement.save_revision(user=world.owner).publish()
    default = [
        "Announcements",
        "Quick links",
        "Figures",
        "Last 30 days",
        "Recent documents",
        "Recent activity",
        "Online now",
    ]

    member, member_console = open_as(world.member, size, theme)
    member.goto("/o/acme/")
    expect(member.locator("[data-live]")).to_have_attribute("data-live-state", "open")
    assert _order(member) == default
    expect(member.get_by_role("link", name="Edit overview")).to_have_count(0)

    editor, editor_console = open_as(editor_user, size, theme)
    editor.goto("/o/acme/")
    editor.get_by_role("link", name="Edit overview").click()
    expect(editor).to_have_url(re.compile(r"/admin/pages/\d+/edit/$"))
    expect(_panel(editor, "members_online")).to_have_count(1)
    _panel(editor, "members_online").locator('[data-streamfield-action="DELETE"]').first.click()
    expect(_panel(editor, "members_online")).to_be_hidden()  # marked deleted, then hidden
    _panel(editor, "quick_links").locator('[data-streamfield-action="MOVE_UP"]').first.click()
    _panel(editor, "chart").locator('input[name$="-title"]').first.fill("Our month")
    screenshot(editor, f"admin-overview-panels-{size}-{theme}")

    # Saved as a draft first: members see nothing of it.
    editor.locator(
        'button[name="action-draft"], button[type="submit"]:has-text("Save draft")'
    ).first.click()
    expect(editor.locator(".messages")).to_contain_text("has been updated")
    member.reload()
    assert _order(member) == default
    editor.goto("/o/acme/")
    expect(editor.locator("#overview-draft-note")).to_be_visible()

    # Published: the member's overview follows.
    editor.get_by_role("link", name="Edit overview").click()
    publish = editor.locator('button[name="action-publish"]')
    if not publish.is_visible():
        editor.locator("footer [data-w-dropdown-target='toggle']").first.click()
    publish.click()
    expect(editor.locator(".messages")).to_contain_text("published", ignore_case=True)
    root = OrganizationPage.objects.get(organization=world.acme)
    assert [block.block_type for block in root.panels][:2] == ["quick_links", "announcements"]

    member.reload()
    expect(member.locator("[data-live]")).to_have_attribute("data-live-state", "open")
    assert _order(member) == [
        "Quick links",
        "Announcements",
        "Figures",
        "Our month",
        "Recent documents",
        "Recent activity",
    ]
    expect(member.locator("#members-online")).to_have_count(0)
    expect(member.locator("#announcements")).to_contain_text("Office closed on Friday")
    expect(member.locator("#org-chart")).to_be_visible()
    # Still live: a new announcement arrives without a reload.
    later = Announcement.objects.create(
        organization=world.acme, title="Server maintenance tonight", body="<p>Brief.</p>"
    )
    later.save_revision(user=world.owner).publish()
    expect(member.locator("#announcements")).to_contain_text(
        "Server maintenance tonight", timeout=15_000
    )
    if size == "phone":
        assert_fits(member)
    assert _axe(member) == []
    screenshot(member, f"portal-overview-edited-{size}-{theme}")
    member_console.assert_clean()
    editor_console.assert_clean()
