"""Sign in, switch organization, theme without a flash, confirm dialog, phone layout."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from organizations.roles import Role
from tests.factories import DEFAULT_PASSWORD, add_member, make_org


@dataclass
class World:
    acme: Any
    globex: Any
    owner: Any
    dana: Any
    member: Any


@pytest.fixture
def world(portal_db: None) -> World:
    acme, owner = make_org("Acme Research", "acme")
    globex, _ = make_org("Globex", "globex")
    dana = add_member(acme, Role.EDITOR, "dana@both.example")
    from organizations.services import membership_add

    membership_add(acting_user=None, organization=globex, user=dana, role=Role.MEMBER)
    member = add_member(acme, Role.MEMBER, "member@acme.example")
    return World(acme=acme, globex=globex, owner=owner, dana=dana, member=member)


def test_sign_in_lands_on_the_dashboard(page: Page, world: World) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(world.owner.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign In", exact=True).click()
    expect(page).to_have_url(re.compile(r"/o/acme/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Research")
    expect(page.locator("#toasts .toast").first).to_be_visible()


def test_switch_organization(page: Page, world: World, login: Any) -> None:
    login(world.dana)
    page.goto("/o/acme/")
    page.evaluate("window.__samePage = true")
    page.get_by_label(re.compile("^Organization:")).click()
    page.get_by_role("link", name=re.compile("^Globex")).click()
    expect(page).to_have_url(re.compile(r"/o/globex/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Globex")
    # hx-boost swapped the body: no full page load happened.
    assert page.evaluate("window.__samePage") is True
    # The choice is remembered: /portal/ now leads to Globex.
    page.goto("/portal/")
    expect(page).to_have_url(re.compile(r"/o/globex/$"))


def test_dark_mode_is_saved_and_painted_from_the_first_byte(
    page: Page, world: World, login: Any, base_url: str
) -> None:
    login(world.owner)
    page.goto("/o/acme/")
    expect(page.locator("html")).to_have_attribute("data-theme", "system")
    with page.expect_response(re.compile(r"/ui/theme/$")) as answer:
        page.get_by_role("button", name="Dark theme").click()
    assert answer.value.status == 204
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    expect(page.get_by_role("button", name="Dark theme")).to_have_attribute("aria-pressed", "true")

    # The server's HTML already carries the theme: nothing has to switch it after paint.
    raw = page.request.get(f"{base_url}/o/acme/members/").text()
    assert re.search(r'<html lang="en" data-theme="dark">', raw)
    seen: list[str] = []
    page.on(
        "domcontentloaded",
        lambda: seen.append(page.evaluate("getComputedStyle(document.body).backgroundColor")),
    )
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert seen
    assert seen[0] == "rgb(13, 17, 28)"  # --color-bg, dark

    world.owner.profile.refresh_from_db()
    assert world.owner.profile.theme == "dark"
    from wagtail.users.models import UserProfile

    assert UserProfile.get_for_user(world.owner).theme == "dark"


def test_system_theme_follows_the_browser(page: Page, world: World, login: Any) -> None:
    login(world.member)
    page.emulate_media(color_scheme="dark")
    page.goto("/o/acme/")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(13, 17, 28)"
    page.emulate_media(color_scheme="light")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(242, 244, 250)"


def test_remove_member_asks_in_the_confirm_dialog(page: Page, world: World, login: Any) -> None:
    login(world.owner)
    page.goto("/o/acme/members/")
    row = page.locator(f"#member-{world.acme.memberships.get(user=world.member).pk}")
    row.get_by_role("button", name="Remove").click()
    dialog = page.locator("#confirm")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(f"Remove {world.member.email}")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(row).to_be_visible()

    row.get_by_role("button", name="Remove").click()
    dialog.get_by_role("button", name="Remove").click()
    expect(row).to_have_count(0)
    expect(page.locator("#toasts")).to_contain_text("was removed")


def test_phone_layout_opens_the_sidebar_from_the_menu(page: Page, world: World, login: Any) -> None:
    login(world.owner)
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto("/o/acme/")
    sidebar = page.locator("#sidebar")
    expect(sidebar.get_by_role("link", name="Members")).not_to_be_in_viewport()
    page.get_by_role("link", name="Menu").click()
    expect(sidebar.get_by_role("link", name="Members")).to_be_in_viewport()
    page.keyboard.press("Escape")
    expect(sidebar.get_by_role("link", name="Members")).not_to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_sidebar_collapse_is_remembered_by_the_server(page: Page, world: World, login: Any) -> None:
    login(world.owner)
    page.goto("/o/acme/")
    shell = page.locator("#shell")
    page.get_by_role("button", name="Collapse").click()
    expect(shell).to_have_class(re.compile("shell--collapsed"))
    page.reload()
    expect(shell).to_have_class(re.compile("shell--collapsed"))
    expect(page.get_by_role("link", name="Members")).to_be_visible()  # icons stay
