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


def assert_reachable(locator: Any) -> None:
    """The element lies within the viewport's width (not hidden off to the side of a
    scrolling table): reachable by scrolling the page down only."""
    left, right, width = locator.evaluate(
        "el => [el.getBoundingClientRect().left, el.getBoundingClientRect().right,"
        " window.innerWidth]"
    )
    assert left >= 0, f"{locator} starts at {left}px"
    assert right <= width, f"{locator} ends at {right}px of {width}px"


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


@pytest.mark.parametrize(("size", "theme"), LAYOUTS)
def test_documents_library_updates_live_and_says_what_happened(
    world: World,
    open_as: Callable[..., tuple[Page, Console]],
    screenshot: Callable[[Any, str], Any],
    size: str,
    theme: str,
) -> None:
    watcher, console = open_as(world.member, size, theme)
    watcher.goto("/o/acme/")
    if size == "phone":
        watcher.get_by_role("link", name="Menu").click()
    watcher.locator("#sidebar").get_by_role("link", name="Documents").click()
    expect(watcher).to_have_url(re.compile(r"/o/acme/documents/$"))
    expect(watcher.locator("[data-live]")).to_have_attribute("data-live-state", "open")
    expect(watcher.locator(".content__main #storage")).to_contain_text("0 bytes")
    expect(watcher.get_by_role("navigation", name="Breadcrumb")).to_contain_text("Documents")
    expect(watcher.locator(".upload__hint")).to_contain_text("Allowed: PDF, TXT, CSV")

    uploader, uploader_console = open_as(world.owner, size, theme)
    uploader.goto("/o/acme/documents/")
    upload(uploader, "minutes.txt", b"Minutes\n" * 500)
    result = uploader.locator("#documents-upload-list")
    expect(result).to_contain_text("minutes.txt", timeout=15_000)
    # The result line follows the document: never stuck at "Checking…".
    expect(result.locator(".document-status")).to_have_text("Not scanned", timeout=15_000)
    expect(uploader.locator("#storage")).to_contain_text("3.9 KB", timeout=15_000)

    # The other person's library shows the new row, its status and the storage, live.
    row = watcher.locator("#documents-results tbody tr", has_text="minutes")
    expect(row).to_be_visible(timeout=15_000)
    expect(row.locator(".document-status")).to_have_text("Not scanned")
    expect(row).not_to_contain_text("Clean")
    expect(watcher.locator("#storage")).to_contain_text("3.9 KB")
    expect(row).to_contain_text("Ana Lima")
    expect(row.get_by_role("link", name="Download")).to_be_visible()
    assert_reachable(row.get_by_role("link", name="Download"))
    assert_reachable(
        uploader.locator("#documents-results tbody tr").first.get_by_role("button", name="Delete")
    )
    if size == "phone":
        assert_fits(watcher)
        assert_fits(uploader)
    screenshot(watcher, f"portal-documents-{size}-{theme}")
    console.assert_clean()
    uploader_console.assert_clean()


PHONE_PAGES = [
    "/",
    "/o/acme/",
    "/o/acme/documents/",
    "/o/acme/members/",
    "/o/acme/members/transfer/",
    "/o/acme/settings/",
    "/organizations/new/",
    "/search/?query=Handbook",
    "/accounts/email/",
    "/accounts/password/change/",
    "/accounts/2fa/",
]


@pytest.mark.parametrize("theme", THEMES)
def test_every_portal_page_fits_a_phone(
    world: World,
    open_as: Callable[..., tuple[Page, Console]],
    screenshot: Callable[[Any, str], Any],
    theme: str,
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dashboards.models import OrganizationPage
    from home.models import ContentPage
    from organizations.services import invitation_send
    from secure_documents.services import document_create

    root = OrganizationPage.objects.get(organization=world.acme)
    handbook = root.add_child(
        instance=ContentPage(title="Handbook", slug="handbook", intro="How we work.")
    )
    handbook.save_revision(user=world.owner).publish()
    document_create(
        acting_user=world.owner,
        organization=world.acme,
        uploaded_file=SimpleUploadedFile(
            "a-very-long-file-name-without-any-spaces-for-phones-2026.txt", b"x\n", "text/plain"
        ),
    )
    invitation_send(
        acting_user=world.owner,
        organization=world.acme,
        email="someone.with.a.very.long.address@example.com",
        role=Role.MEMBER,
    )
    page, console = open_as(world.owner, "phone", theme)
    for path in [*PHONE_PAGES, root.url, handbook.url]:
        page.goto(path)
        assert_fits(page)
        for button in page.locator("main .table .actions button, main .table .actions a").all():
            assert_reachable(button)
    page.goto("/o/acme/members/")
    screenshot(page, f"portal-members-phone-{theme}")
    console.assert_clean()


def _sign_in(context: BrowserContext, email: str) -> Page:
    from tests.factories import DEFAULT_PASSWORD

    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign In", exact=True).click()
    expect(page).to_have_url(re.compile(r"/o/acme/$"))
    return page


@pytest.mark.parametrize(("size", "theme"), LAYOUTS)
def test_profile_name_shows_everywhere_and_other_sessions_can_be_signed_out(
    world: World,
    browser: Browser,
    base_url: str,
    screenshot: Callable[[Any, str], Any],
    size: str,
    theme: str,
) -> None:
    console = Console()
    laptop = browser.new_context(base_url=base_url, viewport=SIZES[size], color_scheme=theme)  # type: ignore[arg-type]
    phone = browser.new_context(base_url=base_url, viewport=SIZES["phone"], color_scheme=theme)  # type: ignore[arg-type]
    try:
        page = console.watch(_sign_in(laptop, world.member.email))
        other = console.watch(_sign_in(phone, world.member.email))

        page.goto("/accounts/profile/")
        expect(page.get_by_role("heading", name="Profile", level=1)).to_be_visible()
        page.get_by_label("Display name").fill("  Dana   Okafor ")
        page.get_by_label("Open the portal with").select_option(label="Acme Research")
        page.get_by_role("button", name="Save profile").click()
        expect(page.locator("#toasts")).to_contain_text("Your profile is saved.")
        expect(page.locator(".profile-card .avatar")).to_have_text("DO")
        expect(page.get_by_label(re.compile("^Account menu for Dana Okafor"))).to_be_attached()
        if size == "phone":
            assert_fits(page)
        screenshot(page, f"portal-profile-{size}-{theme}")

        page.goto("/o/acme/members/")
        row = page.locator(f"#member-{world.acme.memberships.get(user=world.member).pk}")
        expect(row).to_contain_text("Dana Okafor")
        assert row.inner_text().count(world.member.email) == 1
        owner_row = page.locator(f"#member-{world.acme.memberships.get(user=world.owner).pk}")
        expect(owner_row.locator(".avatar")).to_have_text("AL")

        page.goto("/accounts/sessions/")
        expect(page.locator("main table tbody tr")).to_have_count(2)
        if size == "phone":
            assert_fits(page)
        screenshot(page, f"portal-sessions-{size}-{theme}")
        page.get_by_role("button", name="Sign Out Other Sessions").click()
        expect(page.locator("main table tbody tr")).to_have_count(1)

        other.goto("/o/acme/")
        expect(other).to_have_url(re.compile(r"/accounts/login/"))
        console.assert_clean()
    finally:
        laptop.close()
        phone.close()


@pytest.mark.parametrize(("size", "theme"), LAYOUTS)
def test_notification_bell_receives_announcements_live_and_marks_them_read(
    world: World,
    open_as: Callable[..., tuple[Page, Console]],
    screenshot: Callable[[Any, str], Any],
    size: str,
    theme: str,
) -> None:
    from dashboards.models import Announcement

    page, console = open_as(world.member, size, theme)
    page.goto("/o/acme/documents/")
    expect(page.locator("[data-live]")).to_have_attribute("data-live-state", "open")
    bell = page.locator("#notifications")
    expect(bell.locator("#notifications-count")).to_have_text("")

    announcement = Announcement.objects.create(
        organization=world.acme, title="Town hall at noon", body="<p>Join us.</p>"
    )
    announcement.save_revision(user=world.owner).publish()
    expect(bell.locator("#notifications-count")).to_have_text("1", timeout=15_000)

    bell.locator("summary").click()
    item = bell.get_by_role("link", name=re.compile("Town hall at noon"))
    expect(item).to_be_visible()
    assert_reachable(item)
    if size == "phone":
        assert_fits(page)
    screenshot(page, f"portal-notifications-{size}-{theme}")
    bell.get_by_role("button", name="Mark all as read").click()
    expect(bell.locator("#notifications-count")).to_have_text("")
    expect(bell.get_by_role("link", name=re.compile("Town hall at noon"))).to_be_visible()
    bell.get_by_role("link", name=re.compile("Town hall at noon")).click()
    expect(page).to_have_url(re.compile(r"/o/acme/$"))
    expect(page.locator("#announcements")).to_contain_text("Town hall at noon")
    console.assert_clean()


@pytest.mark.parametrize(("size", "theme"), LAYOUTS)
def test_search_finds_what_the_member_may_see_inside_the_portal(
    world: World,
    open_as: Callable[..., tuple[Page, Console]],
    screenshot: Callable[[Any, str], Any],
    size: str,
    theme: str,
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dashboards.models import OrganizationPage
    from home.models import ContentPage
    from secure_documents.services import document_create

    for organization, title in ((world.acme, "Handbook"), (world.globex, "Handbook of Globex")):
        root = OrganizationPage.objects.get(organization=organization)
        page = root.add_child(instance=ContentPage(title=title, slug="handbook"))
        page.save_revision(user=world.owner).publish()
    document_create(
        acting_user=world.owner,
        organization=world.acme,
        uploaded_file=SimpleUploadedFile("handbook-2026.txt", b"x\n", "text/plain"),
    )
    # Found by the words inside the file (processed on upload: the tasks run eagerly).
    from tests.secure_documents.text_files import docx_bytes

    document_create(
        acting_user=world.owner,
        organization=world.acme,
        uploaded_file=SimpleUploadedFile(
            "minutes.docx", docx_bytes("Chapter 3 of the staff handbook was rewritten.")
        ),
        title="Board minutes",
    )
    from dashboards.models import Announcement

    Announcement.objects.create(
        organization=world.acme, title="New handbook", body="<p>Read the handbook.</p>"
    )
    page, console = open_as(world.member, size, theme)
    page.goto("/o/acme/")
    if size == "phone":
        page.get_by_role("link", name="Menu").click()
        page.locator("#sidebar").get_by_role("link", name="Search").click()
        page.get_by_label("Search Acme Research").fill("Handbook")
        page.get_by_label("Search Acme Research").press("Enter")
    else:
        page.get_by_label("Search", exact=True).fill("Handbook")
        page.get_by_label("Search", exact=True).press("Enter")
    expect(page).to_have_url(re.compile(r"/o/acme/search/\?query=Handbook"))
    expect(page.get_by_role("heading", name="Pages")).to_be_visible()
    expect(page.locator("main").get_by_role("link", name="Handbook", exact=True)).to_be_visible()
    expect(page.locator("main").get_by_role("link", name="handbook-2026")).to_be_visible()
    minutes = page.locator("main li").filter(has_text="Board minutes")
    expect(minutes.locator("mark")).to_have_text("handbook")
    expect(minutes).to_contain_text("Chapter 3 of the staff handbook was rewritten.")
    expect(page.get_by_role("heading", name="Announcements and links")).to_be_visible()
    expect(page.locator("main").get_by_role("link", name="New handbook")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("Globex")
    # One search box: the page's own (the top bar's is left out here), in the portal.
    expect(page.locator("input[type=search]:visible")).to_have_count(1)
    expect(page.locator("#sidebar")).to_be_attached()
    if size == "phone":
        assert_fits(page)
    screenshot(page, f"portal-search-{size}-{theme}")

    # The public search box leads a signed-in member to the same results.
    page.goto("/search/?query=Handbook")
    expect(page).to_have_url(re.compile(r"/o/acme/search/\?query=Handbook"))
    console.assert_clean()


@pytest.mark.parametrize(("size", "theme"), LAYOUTS)
def test_first_steps_read_naturally(
    world: World,
    browser: Browser,
    base_url: str,
    open_as: Callable[..., tuple[Page, Console]],
    screenshot: Callable[[Any, str], Any],
    size: str,
    theme: str,
) -> None:
    console = Console()
    visitor = browser.new_context(base_url=base_url, viewport=SIZES[size], color_scheme=theme)  # type: ignore[arg-type]
    try:
        home = console.watch(visitor.new_page())
        home.goto("/")
        expect(home.get_by_role("link", name="Create an account")).to_be_visible()
        expect(home.locator("main").get_by_role("link", name="Sign in")).to_be_visible()
        if size == "phone":
            assert_fits(home)
        screenshot(home, f"portal-home-{size}-{theme}")
    finally:
        visitor.close()

    page, owner_console = open_as(world.owner, size, theme)
    page.goto("/o/acme/members/")
    expect(page.locator("#sidebar")).not_to_contain_text("Components")
    page.get_by_label("Email").fill("not an address")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator("#invite-title")).to_be_visible()
    expect(page.locator(".invite-card")).to_contain_text("valid email")
    # The address bar keeps the members page: a reload shows it again, not a 405.
    expect(page).to_have_url(re.compile(r"/o/acme/members/$"))
    page.reload()
    expect(page.get_by_role("heading", name="Members", level=1)).to_be_visible()
    page.goto("/o/acme/members/invite/")
    expect(page).to_have_url(re.compile(r"/o/acme/members/#invite-title$"))
    console.assert_clean()
    # The form's answer is a deliberate 400 (errors swapped in place); the browser logs
    # every 4xx response, and that line is the only one allowed.
    owner_console.errors = [
        error
        for error in owner_console.errors
        if error
        != "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]
    owner_console.assert_clean()
