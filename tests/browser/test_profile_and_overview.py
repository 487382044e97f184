"""The person's own settings and a new organization's overview, in Chromium at desktop and
390 px, light and dark: a profile picture uploaded and shown in the header, members list
and feed (and refused to an outsider), time zone and email choices, signing out
everywhere; the first steps and the chart on the overview; the Wagtail admin's avatars.
Every test fails on a console error; the new screens pass axe."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser import test_member_portal as portal
from tests.browser.test_member_portal import (
    LAYOUTS,
    SIZES,
    Console,
    World,
    _sign_in,
    assert_fits,
)

# The member portal's fixtures: Acme (Ana the owner, Dana a member) and Globex.
world = portal.world
open_as = portal.open_as

BLOCKING = {"serious", "critical"}


def _axe(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']})"
        for violation in results.response["violations"]
        if violation["impact"] in BLOCKING
    ]


def _photo() -> bytes:
    image = Image.new("RGB", (320, 240), (40, 120, 200))
    for x in range(100, 220):
        for y in range(60, 180):
            image.putpixel((x, y), (250, 200, 60))
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


def _loaded(locator: Any) -> bool:
    """The picture arrived and decoded (waits for it while it is still loading)."""
    return bool(
        locator.evaluate(
            "img => img.complete ? img.naturalWidth > 0 : new Promise(done => {"
            " img.addEventListener('load', () => done(img.naturalWidth > 0));"
            " img.addEventListener('error', () => done(false)); })"
        )
    )


@pytest.mark.parametrize(("size", "theme"), LAYOUTS)
def test_a_profile_picture_shows_to_colleagues_and_nobody_else(
    world: World,
    browser: Browser,
    base_url: str,
    open_as: Callable[..., tuple[Page, Console]],
    screenshot: Callable[[Any, str], Any],
    size: str,
    theme: str,
) -> None:
    page, console = open_as(world.member, size, theme)
    page.goto("/accounts/profile/")
    expect(page.locator(".profile-card .avatar")).to_have_text("DR")
    page.get_by_label("Profile picture").set_input_files(
        {"name": "dana.jpg", "mimeType": "image/jpeg", "buffer": _photo()}
    )
    page.get_by_label("Time zone").select_option("Europe/Lisbon")
    page.get_by_label("Email me: announcement").check()
    page.get_by_role("button", name="Save profile").click()
    expect(page.locator("#toasts")).to_contain_text("Your profile is saved.")
    picture = page.locator(".profile-card img.avatar")
    expect(picture).to_be_visible()
    assert _loaded(picture)
    assert _loaded(page.locator(".user-menu img.avatar"))
    expect(page.get_by_label("Time zone")).to_have_value("Europe/Lisbon")
    expect(page.get_by_label("Email me: announcement")).to_be_checked()
    if size == "phone":
        assert_fits(page)
    assert _axe(page) == []
    screenshot(page, f"portal-profile-picture-{size}-{theme}")
    world.member.profile.refresh_from_db()
    url = f"/avatars/{world.member.profile.avatar_key}/64.webp"

    # A colleague sees it in the members list.
    colleague, colleague_console = open_as(world.owner, size, theme)
    colleague.goto("/o/acme/members/")
    row = colleague.locator(f"#member-{world.acme.memberships.get(user=world.member).pk}")
    assert _loaded(row.locator("img.avatar"))
    assert colleague.request.get(url).status == 200

    # Someone of another organization gets the same 404 as for nothing at all.
    stranger, stranger_console = open_as(world.globex.memberships.get().user, size, theme)
    assert stranger.request.get(url).status == 404
    anonymous = browser.new_context(base_url=base_url)
    try:
        assert anonymous.request.get(url).status == 404
    finally:
        anonymous.close()
    for watched in (console, colleague_console, stranger_console):
        watched.assert_clean()


@pytest.mark.parametrize(("size", "theme"), LAYOUTS)
def test_a_new_organization_shows_first_steps_and_its_chart(
    world: World,
    open_as: Callable[..., tuple[Page, Console]],
    screenshot: Callable[[Any, str], Any],
    size: str,
    theme: str,
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from secure_documents.services import document_create

    document_create(
        acting_user=world.owner,
        organization=world.acme,
        uploaded_file=SimpleUploadedFile("notes.txt", b"notes\n" * 40, "text/plain"),
    )
    page, console = open_as(world.owner, size, theme)
    page.goto("/o/acme/")
    steps = page.locator("#first-steps")
    expect(steps).to_be_visible()
    expect(page.locator("#first-step-invite")).to_contain_text("Done")  # Dana is a member
    expect(page.locator("#first-step-upload")).to_contain_text("Done")
    expect(
        page.locator("#first-step-publish").get_by_role("link", name="Write a page")
    ).to_be_visible()
    chart = page.locator("#org-chart")
    expect(chart).to_be_visible()
    expect(chart.locator(".chart__bar")).to_have_count(1)
    # Drawn in the theme's colours: the bars are the theme's primary colour.
    fill = chart.locator(".chart__bar").evaluate("el => getComputedStyle(el).fill")
    primary = page.evaluate(
        "() => { const probe = document.createElement('span');"
        " probe.style.color = 'var(--color-primary)'; document.body.append(probe);"
        " const c = getComputedStyle(probe).color; probe.remove(); return c; }"
    )
    assert fill == primary
    if size == "phone":
        assert_fits(page)
    assert _axe(page) == []
    screenshot(page, f"portal-overview-first-steps-{size}-{theme}")
    console.assert_clean()
    page.close()  # its live socket: the test server's small connection pool serves both
    # A member sees the chart but no checklist.
    member_page, member_console = open_as(world.member, size, theme)
    member_page.goto("/o/acme/")
    expect(member_page.locator("#org-chart")).to_be_visible()
    expect(member_page.locator("#first-steps")).to_have_count(0)
    console.assert_clean()
    member_console.assert_clean()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_sign_out_everywhere_ends_every_session(
    world: World, browser: Browser, base_url: str, screenshot: Callable[[Any, str], Any], theme: str
) -> None:
    console = Console()
    contexts: list[BrowserContext] = [
        browser.new_context(base_url=base_url, viewport=SIZES[size], color_scheme=theme)  # type: ignore[arg-type]
        for size in ("desktop", "phone")
    ]
    try:
        laptop = console.watch(_sign_in(contexts[0], world.member.email))
        phone = console.watch(_sign_in(contexts[1], world.member.email))
        phone.goto("/accounts/sessions/")
        expect(phone.get_by_role("heading", name="Sign out everywhere")).to_be_visible()
        assert_fits(phone)
        screenshot(phone, f"portal-sessions-everywhere-phone-{theme}")
        phone.get_by_role("button", name="Sign out everywhere").click()
        dialog = phone.locator("#confirm")
        expect(dialog).to_be_visible()
        dialog.get_by_role("button", name="Sign out everywhere").click()
        expect(phone).to_have_url(re.compile(r"/accounts/login/"))
        expect(phone.locator("body")).to_contain_text("signed out everywhere")
        laptop.goto("/o/acme/")
        expect(laptop).to_have_url(re.compile(r"/accounts/login/"))
        console.assert_clean()
    finally:
        for context in contexts:
            context.close()


@pytest.mark.parametrize(("size", "theme"), LAYOUTS)
def test_the_admin_shows_protected_pictures_or_initials(
    world: World,
    open_as: Callable[..., tuple[Page, Console]],
    screenshot: Callable[[Any, str], Any],
    size: str,
    theme: str,
) -> None:
    from secure_images.avatars import avatar_upload

    world.owner.is_staff = True
    world.owner.save()
    page, console = open_as(world.owner, size, theme)
    # No picture yet: initials, drawn inline, never a third-party image.
    page.goto("/admin/account/")
    expect(page.locator(".avatar img").first).to_be_attached()
    sources = page.locator(".avatar img").evaluate_all(
        "imgs => imgs.map(img => img.getAttribute('src'))"
    )
    assert sources, "the admin shows no avatar"
    assert all(src.startswith("data:image/svg+xml") for src in sources), sources
    picture = _photo()
    avatar_upload(
        acting_user=world.owner, name="ana.jpg", file=io.BytesIO(picture), size=len(picture)
    )
    page.goto("/admin/account/")
    expect(page.get_by_text("Change it on your profile page")).to_be_visible()
    expect(page.locator('input[name="avatar-avatar"]')).to_have_count(0)
    avatars = page.locator(".avatar img")
    expect(avatars.first).to_be_attached()
    sources = avatars.evaluate_all("imgs => imgs.map(img => img.getAttribute('src'))")
    assert all(src.startswith(("/avatars/", "data:image/svg+xml")) for src in sources), sources
    assert not any("gravatar" in src for src in sources)
    assert _loaded(avatars.first)
    screenshot(page, f"admin-account-picture-{size}-{theme}")
    console.assert_clean()
    assert settings.WAGTAIL_GRAVATAR_PROVIDER_URL is None
