"""The overview's panels and the bell come from the cache between changes
(dashboards/overview_cache.py): a change shows on the next load, never another role's
or another organization's panel, and each reader's time zone."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from dashboards.models import Announcement, QuickLink
from dashboards.selectors import seconds_to_next_announcement_edge
from organizations.models import Membership
from organizations.roles import Role
from tests.factories import add_member
from tests.tenants import MARKER_B, Tenant

pytestmark = pytest.mark.django_db


def _client(tenant: Tenant, role: str) -> Client:
    client = Client()
    client.force_login(tenant.users[role])
    return client


def _load(client: Client, slug: str = "alpha") -> str:
    response = client.get(f"/o/{slug}/")
    assert response.status_code == 200
    return response.content.decode()


def _stat(body: str, label: str) -> str:
    found = re.search(
        rf'<span class="stat__label">{label}</span><span class="stat__value">([^<]*)</span>', body
    )
    assert found, label
    return found.group(1)


def _announce(tenant: Tenant, title: str, min_role: str = "", **window: object) -> Announcement:
    announcement = Announcement.objects.create(
        organization=tenant.organization, title=title, body="<p>n</p>", min_role=min_role, **window
    )
    announcement.save_revision(user=tenant.users[Role.ADMIN]).publish()
    return announcement


def test_a_lower_role_never_gets_a_higher_roles_cached_panel(org_a) -> None:  # type: ignore[no-untyped-def]
    announcement = _announce(org_a, "Editors only ROLE-CEILING", Role.EDITOR)
    panel = f'id="announcement-{announcement.pk}"'
    # The higher role fills the cache first, then the lower roles read the same panels.
    assert panel in _load(_client(org_a, Role.EDITOR))
    assert panel in _load(_client(org_a, Role.ADMIN))
    for role in (Role.MEMBER, Role.VIEWER):
        assert "ROLE-CEILING" not in _load(_client(org_a, role)), role
    # And the other way round: a lower role's cached panel does not hide it from editors.
    assert panel in _load(_client(org_a, Role.EDITOR))


def test_a_role_change_takes_effect_on_the_next_load(org_a) -> None:  # type: ignore[no-untyped-def]
    from organizations.services import membership_set_role

    announcement = _announce(org_a, "Editors only ROLE-CEILING", Role.EDITOR)
    panel = f'id="announcement-{announcement.pk}"'
    editor = _client(org_a, Role.EDITOR)
    assert panel in _load(editor)
    membership = Membership.objects.get(
        organization=org_a.organization, user=org_a.users[Role.EDITOR]
    )
    membership_set_role(acting_user=org_a.users[Role.OWNER], membership=membership, role="viewer")
    # (The bell keeps the note they got as an editor; the panel is the viewer's.)
    assert panel not in _load(editor)


def test_another_organizations_cached_panels_never_show(org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    QuickLink.objects.create(
        organization=org_b.organization, title=f"Link {MARKER_B}", url="https://example.com/b"
    )
    assert f"Link {MARKER_B}" in _load(_client(org_b, Role.OWNER), "bravo")
    for role in (Role.OWNER, Role.VIEWER):
        assert MARKER_B not in _load(_client(org_a, role)), role


def test_an_upload_shows_on_the_next_load(org_a) -> None:  # type: ignore[no-untyped-def]
    from secure_documents.services import document_create

    viewer = _client(org_a, Role.VIEWER)
    before = _load(viewer)
    assert _stat(before, "Documents") == "0"
    document_create(
        acting_user=org_a.users[Role.EDITOR],
        organization=org_a.organization,
        uploaded_file=SimpleUploadedFile("minutes.txt", b"minutes\n", "text/plain"),
        title="Board minutes",
    )
    after = _load(viewer)
    assert _stat(after, "Documents") == "1"
    assert "Board minutes" in after


def test_a_published_announcement_and_a_new_link_show_on_the_next_load(org_a) -> None:  # type: ignore[no-untyped-def]
    member = _client(org_a, Role.MEMBER)
    assert 'class="announcement"' not in _load(member)
    announcement = _announce(org_a, "Picnic on Friday")
    panel = f'id="announcement-{announcement.pk}"'
    assert panel in _load(member)
    QuickLink.objects.create(
        organization=org_a.organization, title="Expense policy", url="https://example.com/x"
    )
    assert "Expense policy" in _load(member)
    announcement.unpublish()
    assert panel not in _load(member)


def test_membership_and_quota_changes_update_the_figures(org_a) -> None:  # type: ignore[no-untyped-def]
    from organizations.services import membership_remove, organization_set_quota

    viewer = _client(org_a, Role.VIEWER)
    assert _stat(_load(viewer), "Members") == "5"
    newcomer = add_member(org_a.organization, Role.MEMBER)
    assert _stat(_load(viewer), "Members") == "6"
    membership_remove(
        acting_user=org_a.users[Role.OWNER],
        membership=Membership.objects.get(organization=org_a.organization, user=newcomer),
    )
    assert _stat(_load(viewer), "Members") == "5"
    operator = add_member(org_a.organization, Role.VIEWER, "operator@example.com")
    operator.is_superuser = True
    operator.save()
    organization_set_quota(
        acting_user=operator, organization=org_a.organization, quota_bytes=3 * 1024**3
    )
    assert "of 3.0\xa0GB" in _load(viewer)


def test_an_announcement_window_limits_how_long_its_panel_is_kept(org_a) -> None:  # type: ignore[no-untyped-def]
    organization_id = org_a.organization.pk
    assert seconds_to_next_announcement_edge(organization_id) is None
    now = timezone.now()
    _announce(org_a, "Soon", starts_at=now + timedelta(seconds=30))
    assert 0 < seconds_to_next_announcement_edge(organization_id) <= 30  # type: ignore[operator]
    _announce(org_a, "Ending", ends_at=now + timedelta(seconds=5))
    assert 0 < seconds_to_next_announcement_edge(organization_id) <= 5  # type: ignore[operator]


def test_each_reader_gets_their_own_time_zone(org_a) -> None:  # type: ignore[no-untyped-def]
    _announce(org_a, "Something happened")  # an event in the feed, with its exact time
    profile = org_a.users[Role.MEMBER].profile
    profile.time_zone = "Asia/Tokyo"
    profile.save()
    titles = {}
    for role in (Role.VIEWER, Role.MEMBER):  # the site's zone fills the cache first
        body = _load(_client(org_a, role))
        found = re.search(
            r'<time class="activity__meta" datetime="[^"]+" data-relative'
            r' title="([^"]+)"',
            body,
        )
        assert found, role
        titles[role] = found.group(1)
    assert titles[Role.VIEWER] != titles[Role.MEMBER]


def test_the_bell_follows_new_and_read_notifications(org_a) -> None:  # type: ignore[no-untyped-def]
    from dashboards.models import NotificationKind
    from dashboards.notifications import mark_read, notify

    viewer = org_a.users[Role.VIEWER]
    client = _client(org_a, Role.VIEWER)
    assert 'id="notifications-count"></span>' in _load(client)
    notify(
        user_ids=[viewer.pk],
        organization_id=org_a.organization.pk,
        kind=NotificationKind.ANNOUNCEMENT,
        text="Read me",
    )
    body = _load(client)
    assert 'id="notifications-count">1</span>' in body
    assert "Read me" in body
    mark_read(acting_user=viewer)
    assert 'id="notifications-count"></span>' in _load(client)


def test_a_draft_and_its_publication_show_on_the_next_load(org_a) -> None:  # type: ignore[no-untyped-def]
    from dashboards.models import OrganizationPage

    editor = _client(org_a, Role.EDITOR)
    member = _client(org_a, Role.MEMBER)
    assert 'id="overview-draft-note"' not in _load(editor)
    assert 'id="org-metrics"' in _load(member)
    root = OrganizationPage.objects.get(organization=org_a.organization)
    root.panels = [("quick_links", {"title": "Draft links"})]
    revision = root.save_revision(user=org_a.users[Role.EDITOR])
    assert 'id="overview-draft-note"' in _load(editor)
    assert "Draft links" not in _load(member)
    revision.publish()
    body = _load(member)
    assert "Draft links" in body
    assert 'id="org-metrics"' not in body
    assert 'id="overview-draft-note"' not in _load(editor)


def test_a_failing_cache_never_gives_a_generation_twice(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from dashboards import overview_cache

    # As the cache behaves with its Redis gone (IGNORE_EXCEPTIONS): reads miss, writes drop.
    monkeypatch.setattr(overview_cache.cache, "get", lambda *args, **kwargs: None)
    monkeypatch.setattr(overview_cache.cache, "add", lambda *args, **kwargs: False)
    numbers = {overview_cache.organization_generation(1) for _ in range(5)}
    assert len(numbers) == 5
    assert 0 not in numbers
