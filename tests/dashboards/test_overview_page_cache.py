"""The overview kept whole for its reader, and the portal's sidebar and top bar kept for
theirs (ui/fragments.py, dashboards/chrome.py): a load between changes renders nothing,
every change a reader can see leads to a fresh page, the CSRF token is never stored, and
no reader is ever given another's page."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client

from organizations.models import Membership
from organizations.roles import Role
from tests.tenants import MARKER_A, MARKER_B, Tenant

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="(\w+)"')
ANY_TOKEN = re.compile(r"\b[A-Za-z0-9]{64}\b")


def _client(tenant: Tenant, role: str, **kwargs: bool) -> Client:
    client = Client(**kwargs)
    client.force_login(tenant.users[role])
    return client


def _load(client: Client, slug: str = "alpha") -> tuple[str, list[str]]:
    response = client.get(f"/o/{slug}/")
    assert response.status_code == 200
    return response.content.decode(), [t.name for t in response.templates if t.name]


def _post_theme_with_the_pages_token(client: Client, body: str, theme: str) -> int:
    """Posts the theme form with the CSRF token of ``body`` (a page from the cache)."""
    token = TOKEN.search(body).group(1)  # type: ignore[union-attr]
    data = {"theme": theme, "next": "/o/alpha/", "csrfmiddlewaretoken": token}
    return client.post("/ui/theme/", data).status_code


def _rendered(client: Client, slug: str = "alpha") -> bool:
    """Whether the load rendered the overview's template (False: from the cache)."""
    return "dashboards/overview.html" in _load(client, slug)[1]


def test_a_second_load_is_the_same_page_without_rendering(org_a) -> None:  # type: ignore[no-untyped-def]
    client = _client(org_a, Role.MEMBER)
    first, templates = _load(client)
    assert "dashboards/overview.html" in templates
    second, templates = _load(client)
    assert templates == []
    # The same page but for the CSRF token, which is each load's own.
    assert ANY_TOKEN.sub("", first) == ANY_TOKEN.sub("", second)
    assert TOKEN.search(second)


def test_the_csrf_token_is_never_stored_and_works(org_a) -> None:  # type: ignore[no-untyped-def]
    client = _client(org_a, Role.MEMBER, enforce_csrf_checks=True)
    _load(client)
    body, templates = _load(client)
    assert templates == []
    token = TOKEN.search(body).group(1)  # type: ignore[union-attr]
    stored = [cache.get(key) for key in cache.keys("fragment:*")]  # type: ignore[attr-defined]
    assert stored
    assert all(token not in html for _marker, html, *_checks in stored)
    secret = client.cookies["csrftoken"].value
    assert all(secret not in html for _marker, html, *_checks in stored)
    # The token on the cached page is accepted: the theme form posts with it.
    assert _post_theme_with_the_pages_token(client, body, "dark") in (302, 303, 204)


def test_a_new_session_gets_a_token_of_its_own(org_a) -> None:  # type: ignore[no-untyped-def]
    first = _client(org_a, Role.MEMBER)
    _load(first)
    second = _client(org_a, Role.MEMBER, enforce_csrf_checks=True)
    body, templates = _load(second)
    assert templates == []  # the same reader's page
    assert _post_theme_with_the_pages_token(second, body, "light") in (302, 303, 204)


def test_messages_are_shown_once_and_never_kept(org_a) -> None:  # type: ignore[no-untyped-def]
    client = _client(org_a, Role.OWNER)
    _load(client)
    response = client.post("/o/alpha/settings/export/", follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert "The export has started" in body
    assert "dashboards/overview.html" in [t.name for t in response.templates]
    assert "The export has started" not in _load(client)[0]


@pytest.mark.parametrize(
    "change",
    ["role", "rename", "name", "notification", "theme", "sidebar", "membership", "online"],
)
def test_what_the_reader_sees_changing_renders_afresh(org_a, org_b, change: str) -> None:  # type: ignore[no-untyped-def]
    from dashboards import presence
    from dashboards.models import NotificationKind
    from dashboards.notifications import notify
    from organizations.services import membership_set_role, organization_update

    reader = org_a.users[Role.EDITOR]
    client = _client(org_a, Role.EDITOR)
    assert _rendered(client)
    assert not _rendered(client)
    expect = ""
    if change == "role":
        membership = Membership.objects.get(organization=org_a.organization, user=reader)
        membership_set_role(
            acting_user=org_a.users[Role.OWNER], membership=membership, role="viewer"
        )
        expect = "You are a viewer"
    elif change == "rename":
        organization_update(
            acting_user=org_a.users[Role.OWNER],
            organization=org_a.organization,
            name="Renamed",
            slug="alpha",
            require_mfa=False,
        )
        expect = "Renamed"
    elif change == "name":
        reader.profile.display_name = "Eddie Editor"
        reader.profile.save()
        expect = "Eddie Editor"
    elif change == "notification":
        notify(
            user_ids=[reader.pk],
            organization_id=org_a.organization.pk,
            kind=NotificationKind.ANNOUNCEMENT,
            text="Fresh note",
        )
        expect = "Fresh note"
    elif change == "theme":
        client.post("/ui/theme/", {"theme": "dark", "next": "/o/alpha/"})
        expect = 'data-theme="dark"'
    elif change == "sidebar":
        client.cookies["sidebar"] = "collapsed"
        expect = "shell--collapsed"
    elif change == "membership":
        Membership.objects.create(organization=org_b.organization, user=reader, role=Role.MEMBER)
        expect = f"Bravo {MARKER_B}"
    elif change == "online":
        presence.touch(org_a.organization.pk, org_a.users[Role.MEMBER].pk, "test-channel")
        expect = org_a.users[Role.MEMBER].profile.name
    body, templates = _load(client)
    assert "dashboards/overview.html" in templates, change
    assert expect in body, change


def test_readers_never_share_a_page(org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    pages = {}
    for tenant, slug in ((org_a, "alpha"), (org_b, "bravo")):
        for role in (Role.OWNER, Role.EDITOR, Role.VIEWER):
            client = _client(tenant, role)
            _load(client, slug)
            body, templates = _load(client, slug)
            assert templates == []
            pages[(slug, role)] = body
            email = tenant.users[role].email
            assert email in body
    for (slug, role), body in pages.items():
        other = MARKER_B if slug == "alpha" else MARKER_A
        assert other not in body, (slug, role)
        for (other_slug, other_role), _ in pages.items():
            if (other_slug, other_role) == (slug, role):
                continue
            tenant = org_a if other_slug == "alpha" else org_b
            assert f"<strong>{tenant.users[other_role].email}</strong>" not in body
    # The lower role's page has no editor's tools.
    assert 'href="/admin/"' in pages[("alpha", Role.EDITOR)]
    assert 'href="/admin/"' not in pages[("alpha", Role.VIEWER)]


def test_a_page_lives_no_longer_than_its_panels(org_a) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from django.utils import timezone

    from dashboards.models import Announcement

    announcement = Announcement.objects.create(
        organization=org_a.organization,
        title="Ends soon",
        body="<p>n</p>",
        ends_at=timezone.now() + timedelta(seconds=20),
    )
    announcement.save_revision(user=org_a.users[Role.ADMIN]).publish()
    client = _client(org_a, Role.MEMBER)
    assert "Ends soon" in _load(client)[0]
    keys = cache.keys("fragment:portal-overview:*")  # type: ignore[attr-defined]
    assert keys
    assert all(0 < cache.ttl(key) <= 20 for key in keys)  # type: ignore[attr-defined]
    # Without an edge coming, the page is kept for the configured time.
    announcement.delete()
    _load(client)
    longest = max(cache.ttl(key) for key in cache.keys("fragment:portal-overview:*"))  # type: ignore[attr-defined]
    assert longest > 20


def test_without_the_cache_the_page_renders_every_time(org_a, settings) -> None:  # type: ignore[no-untyped-def]
    settings.FRAGMENT_CACHE_SECONDS = 0
    client = _client(org_a, Role.MEMBER)
    assert _rendered(client)
    assert _rendered(client)


def test_a_page_with_a_query_string_is_not_kept(org_a) -> None:  # type: ignore[no-untyped-def]
    client = _client(org_a, Role.MEMBER)
    for number in range(3):
        response = client.get(f"/o/alpha/?junk={number}")
        assert "dashboards/overview.html" in [t.name for t in response.templates]
    assert not cache.keys("fragment:*")  # type: ignore[attr-defined]


def test_without_the_members_online_panel_presence_is_not_read(org_a) -> None:  # type: ignore[no-untyped-def]
    from unittest import mock

    from dashboards import presence
    from dashboards.models import OrganizationPage

    root = OrganizationPage.objects.get(organization=org_a.organization)
    root.panels = [("quick_links", {"title": "Links only"})]
    root.save_revision(user=org_a.users[Role.EDITOR]).publish()
    client = _client(org_a, Role.MEMBER)
    assert _rendered(client)
    presence.touch(org_a.organization.pk, org_a.users[Role.VIEWER].pk, "another-socket")
    with mock.patch.object(presence, "online_user_ids", wraps=presence.online_user_ids) as read:
        assert not _rendered(client)  # someone came online: this page does not show it
    read.assert_not_called()
    # Put back, the panel makes presence part of the checks again.
    root.panels = [("members_online", {"title": ""})]
    root.save_revision(user=org_a.users[Role.EDITOR]).publish()
    assert _rendered(client)
    assert not _rendered(client)
    presence.touch(org_a.organization.pk, org_a.users[Role.ADMIN].pk, "a-third-socket")
    body, templates = _load(client)
    assert templates
    assert org_a.users[Role.ADMIN].profile.name in body


def test_a_malformed_entry_is_a_miss(org_a) -> None:  # type: ignore[no-untyped-def]
    client = _client(org_a, Role.MEMBER)
    _load(client)
    keys = cache.keys("fragment:*")  # type: ignore[attr-defined]
    assert keys
    checks = {key: cache.get(key)[2] for key in keys}
    for bad in (None, None), ("", "<p>x</p>"), ("x" * 32, 5), ("-" * 32, "<p>x</p>"):
        for key in keys:
            cache.set(key, (*bad, checks[key]))
        body, templates = _load(client)
        assert "dashboards/overview.html" in templates, bad
        assert "Skip to content" in body


def test_a_page_lives_no_longer_than_the_values_it_was_drawn_from(org_a) -> None:  # type: ignore[no-untyped-def]
    import time

    client = _client(org_a, Role.MEMBER)
    _load(client)
    for key in cache.keys("overview:v2:page:*"):  # type: ignore[attr-defined]
        entry = cache.get(key)
        entry["expires"] = time.time() + 5
        cache.set(key, entry, timeout=60)
    for key in cache.keys("fragment:portal-overview:*"):  # type: ignore[attr-defined]
        cache.delete(key)
    _load(client)
    keys = cache.keys("fragment:portal-overview:*")  # type: ignore[attr-defined]
    assert keys
    assert all(0 < cache.ttl(key) <= 5 for key in keys)  # type: ignore[attr-defined]
