"""The API tokens screen: make a token (shown once), use it, see when it was used,
revoke it; at desktop and phone width, in both themes, without console errors."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser import test_member_portal as portal
from tests.browser.test_member_portal import LAYOUTS, Console, World, assert_fits

# The member portal's fixtures: its world (Acme with an owner and a member) and a
# signed-in page at a size and theme.
world = portal.world
open_as = portal.open_as


@pytest.mark.parametrize(("size", "theme"), LAYOUTS)
def test_a_member_makes_uses_and_revokes_a_token(
    world: World,
    open_as: Callable[..., tuple[Page, Console]],
    screenshot: Callable[[Any, str], Any],
    size: str,
    theme: str,
) -> None:
    page, console = open_as(world.member, size, theme)
    page.goto("/o/acme/")
    if size == "phone":
        page.locator("[data-sidebar-open]").click()
    page.get_by_role("link", name="API tokens").click()
    expect(page).to_have_url(re.compile(r"/o/acme/settings/api-tokens/$"))
    expect(page.get_by_role("heading", name="API tokens", level=1)).to_be_visible()
    expect(page.locator("#tokens-empty")).to_have_text("No tokens yet.")

    page.get_by_label("Name").fill("Nightly report")
    page.get_by_label("Read and write").check()
    page.get_by_label("Expires").select_option("30")
    page.get_by_role("button", name="Create token").click()
    shown = page.locator("#new-token-value")
    expect(shown).to_be_visible()
    expect(page.locator("#new-token")).to_contain_text("shown only once")
    token = shown.input_value()
    assert re.fullmatch(r"op_[0-9a-f]{12}_[A-Za-z0-9_-]{40,}", token)
    row = page.locator("#tokens-table tbody tr").first
    expect(row).to_contain_text("Nightly report")
    expect(row).to_contain_text("Read and write")
    expect(row).to_contain_text("Never")  # not used yet
    if size == "phone":
        assert_fits(page)
    screenshot(page, f"api-tokens-new-{size}-{theme}")

    # The token works, for this organization only.
    api = page.context.request
    me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status == 200
    assert [o["slug"] for o in me.json()["organizations"]] == ["acme"]

    # Shown once: a reload does not show it again, and records the use.
    page.goto("/o/acme/settings/api-tokens/")
    expect(page.locator("#new-token-value")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text(token)
    row = page.locator("#tokens-table tbody tr").first
    expect(row.locator("td[data-label='Last used']")).not_to_have_text("Never")

    row.get_by_role("button", name="Revoke").click()
    dialog = page.locator("#confirm")
    expect(dialog).to_contain_text("Revoke the token")
    dialog.get_by_role("button", name="Revoke").click()
    expect(page.locator("#toasts")).to_contain_text("was revoked")
    expect(page.locator("#tokens-table tbody tr").first).to_contain_text("Revoked")
    refused = api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert refused.status == 401
    if size == "phone":
        assert_fits(page)
    screenshot(page, f"api-tokens-{size}-{theme}")
    console.assert_clean()


def test_the_interactive_docs_load_without_errors(
    world: World, open_as: Callable[..., tuple[Page, Console]], screenshot: Callable[..., Any]
) -> None:
    page, console = open_as(world.member)
    page.goto("/api/v1/docs")
    expect(page.locator(".swagger-ui")).to_be_visible()
    expect(page.get_by_text("/api/v1/organizations/{org_slug}/documents").first).to_be_visible()
    screenshot(page, "api-docs")
    console.assert_clean()
