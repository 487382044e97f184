"""The member portal as people use it, at desktop and phone width, in both themes: the
overview's announcements, quick links and readable feed (updated live), the documents
library (live statuses and storage), and pages that fit a 390 px phone. Every test fails
on a console error."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Browser, BrowserContext, Page, expect

from organizations.roles import Role
from tests.factories import add_member, make_org

SIZES = {"desktop": {"width": 1280, "height": 860}, "phone": {"width": 390, "height": 844}}
THEMES = ("light", "dark")
LAYOUTS = [(size, theme) for size in SIZES for theme in THEMES]


@dataclass
class World:
    acme: Any
    globex: Any
    owner: Any
    member: Any


@pytest.fixture
def world(portal_db: None) -> World:
    acme, owner = make_org("Acme Research", "acme")
    globex, _ = make_org("Globex", "globex")
    owner.profile.display_name = "Ana Lima"
    owner.profile.save()
    member = add_member(acme, Role.MEMBER, "member@acme.example")
    member.profile.display_name = "Dana Reyes"
    member.profile.save()
    return World(acme=acme, globex=globex, owner=owner, member=member)


class Console:
    """Console errors and uncaught exceptions of every page of a context."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def watch(self, page: Page) -> Page:
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        return page

    def assert_clean(self) -> None:
        assert self.errors == [], self.errors


@pytest.fixture
def open_as(browser: Browser, base_url: str) -> Iterator[Callable[..., tuple[Page, Console]]]:
    """A signed-in page at a size and theme (the theme follows the browser's scheme)."""
    from django.test import Client

    contexts: list[BrowserContext] = []

    def _open(user: Any, size: str = "desktop", theme: str = "light") -> tuple[Page, Console]:
        client = Client()
        client.force_login(user)
        context = browser.new_context(
            base_url=base_url,
            viewport=SIZES[size],
            color_scheme=theme,  # type: ignore[arg-type]
        )
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": base_url,
                }
            ]
        )
        contexts.append(context)
        console = Console()
        return console.watch(context.new_page()), console

    yield _open
    for context in contexts:
        context.close()


def assert_fits(page: Page) -> None:
    """No horizontal scrolling: the document is not wider than the viewport."""
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url} is {width}px wide in a {viewport}px viewport"


def upload(page: Page, name: str, content: bytes = b"Notes\n" * 50) -> None:
    page.locator("#documents-upload-input").set_input_files(
        [{"name": name, "mimeType": "text/plain", "buffer": content}]
    )


@pytest.mark.parametrize(("size", "theme"), LAYOUTS)
def test_overview_shows_announcements_quick_links_and_a_readable_feed_live(
    world: World,
    open_as: Callable[..., tuple[Page, Console]],
    screenshot: Callable[[Any, str], Any],
    size: str,
    theme: str,
) -> None:
    from dashboards.models import Announcement, QuickLink

    QuickLink.objects.create(
        organization=world.acme, title="Expense policy", url="https://example.com/expenses"
    )
    overview, console = open_as(world.member, size, theme)
    overview.goto("/o/acme/")
    expect(overview.locator("[data-live]")).to_have_attribute("data-live-state", "open")
    expect(overview.get_by_role("heading", name="Quick links")).to_be_visible()
    expect(overview.get_by_role("link", name="Expense policy")).to_be_visible()
    expect(overview.locator("#announcements")).to_contain_text("No announcements right now.")
    expect(overview.locator(".page-header__subtitle")).to_have_text(
        "You are a member of Acme Research."
    )

    # An editor publishes an announcement: it appears without a reload.
    announcement = Announcement.objects.create(
        organization=world.acme, title="Office closed on Friday", body="<p>Enjoy.</p>"
    )
    announcement.save_revision(user=world.owner).publish()
    expect(overview.locator("#announcements")).to_contain_text(
        "Office closed on Friday", timeout=15_000
    )
    expect(overview.locator("#announcements-empty")).to_be_hidden()

    # Someone uploads a document: the feed reads as a sentence with a relative time.
    library, library_console = open_as(world.owner, size, theme)
    library.goto("/o/acme/documents/")
    upload(library, "handbook.txt")
    feed = overview.locator(f"#activity-feed-{world.acme.pk}")
    expect(feed).to_contain_text("Ana Lima uploaded handbook", timeout=15_000)
    expect(feed).to_contain_text("just now")
    expect(feed).not_to_contain_text("document.uploaded")
    expect(feed).not_to_contain_text("@")
    expect(feed.locator(".avatar").first).to_have_text("AL")
    expect(overview.locator("#recent-documents")).to_contain_text("handbook")

    overview.reload()
    expect(overview.locator("#announcements")).to_contain_text("Office closed on Friday")
    expect(overview.locator(f"#activity-feed-{world.acme.pk}")).to_contain_text(
        "Ana Lima uploaded handbook"
    )
    if size == "phone":
        assert_fits(overview)
    screenshot(overview, f"portal-overview-{size}-{theme}")
    console.assert_clean()
    library_console.assert_clean()


def test_organization_page_has_live_panels_and_leads_back_to_the_portal(
    world: World, open_as: Callable[..., tuple[Page, Console]], screenshot: Callable[..., Any]
) -> None:
    from dashboards.models import OrganizationPage

    root = OrganizationPage.objects.get(organization=world.acme)
    root.save_revision(user=world.owner).publish()
    page, console = open_as(world.member)
    page.goto(root.url)
    expect(page.locator("[data-live]")).to_have_attribute("data-live-state", "open")
    expect(page.get_by_role("heading", name="Announcements")).to_be_visible()
    expect(page.get_by_role("heading", name="Recent documents")).to_be_visible()
    breadcrumbs = page.get_by_role("navigation", name="Breadcrumb")
    breadcrumbs.get_by_role("link", name=re.compile("Acme Research")).click()
    expect(page).to_have_url(re.compile(r"/o/acme/$"))
    console.assert_clean()
