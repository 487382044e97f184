"""Live panels on pages, and announcements pushed to their audience."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from dashboards.models import Announcement, DashboardPage, OrganizationPage
from organizations.roles import Role
from tests.dashboards.test_live_consumer import _everything_for, _receive_until, connect

PANELS = [
    ("metrics", {"title": ""}),
    ("activity", {"title": "What happened"}),
    ("documents", {"title": ""}),
    ("members_online", {"title": ""}),
    ("announcements", {"title": ""}),
    ("tasks", {"title": ""}),
]


@pytest.mark.django_db
def test_dashboard_page_renders_every_panel_with_its_live_ids(client, org_a) -> None:  # type: ignore[no-untyped-def]
    root = OrganizationPage.objects.get(organization=org_a.organization)
    page = root.add_child(instance=DashboardPage(title="Team board", slug="board", panels=PANELS))
    page.save_revision().publish()
    Announcement.objects.create(
        organization=org_a.organization, title="Heads up", body="<p>Soon.</p>", live=True
    )
    client.force_login(org_a.users[Role.VIEWER])
    body = client.get(page.url).content.decode()
    for element_id in (
        "org-metrics",
        f"activity-feed-{org_a.organization.pk}",
        "recent-documents",
        "members-online",
        "announcements",
        "task-progress",
    ):
        assert f'id="{element_id}"' in body, element_id
    assert 'ws-connect="/ws/live/?org=alpha"' in body
    assert "Heads up" in body
    assert "What happened" in body


@pytest.mark.django_db
def test_organization_page_can_carry_panels(client, org_a) -> None:  # type: ignore[no-untyped-def]
    root = OrganizationPage.objects.get(organization=org_a.organization)
    root.panels = PANELS[:2]
    root.save_revision().publish()
    client.force_login(org_a.users[Role.MEMBER])
    body = client.get(root.url).content.decode()
    assert 'id="org-metrics"' in body
    assert "ws-connect" in body


@pytest.mark.django_db(transaction=True)
async def test_publishing_an_announcement_reaches_its_audience_only(org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    editor, _, _ = await connect(org_a.users[Role.EDITOR], "alpha")
    viewer, _, _ = await connect(org_a.users[Role.VIEWER], "alpha")
    outsider, _, _ = await connect(org_b.users[Role.OWNER], "bravo")

    def publish() -> None:
        announcement = Announcement.objects.create(
            organization=org_a.organization,
            title="Editors meeting",
            body="<p>At noon.</p>",
            min_role=Role.EDITOR,
        )
        announcement.save_revision(user=org_a.users[Role.ADMIN]).publish()

    await database_sync_to_async(publish)()
    assert "Editors meeting" in await _receive_until(editor, "Editors meeting")
    assert "Editors meeting" not in await _everything_for(viewer)
    assert "Editors meeting" not in await _everything_for(outsider)


@pytest.mark.django_db(transaction=True)
async def test_publishing_a_page_shows_in_the_activity_feed(org_a) -> None:  # type: ignore[no-untyped-def]
    member, _, _ = await connect(org_a.users[Role.MEMBER], "alpha")

    def publish() -> None:
        from home.models import ContentPage

        root = OrganizationPage.objects.get(organization=org_a.organization)
        page = root.add_child(instance=ContentPage(title="Fresh news", slug="fresh-news"))
        page.save_revision(user=org_a.users[Role.EDITOR]).publish()

    await database_sync_to_async(publish)()
    fragment = await _receive_until(member, "Fresh news")
    assert 'hx-swap-oob="afterbegin"' in fragment
    # A sentence with the editor's name and a link to the page, not the event's name.
    assert "page.published" not in fragment
    editor = org_a.users[Role.EDITOR]
    assert f"<strong>{editor.profile.name}</strong> published" in fragment
    assert 'href="/' in fragment


@pytest.mark.django_db
def test_admin_home_has_a_live_activity_panel_per_organization(client, org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    from organizations.services import membership_add
    from tests.factories import UserFactory

    editor = UserFactory()
    membership_add(acting_user=None, organization=org_a.organization, user=editor, role=Role.EDITOR)
    client.force_login(editor)
    body = client.get("/admin/").content.decode()
    assert 'ws-connect="/ws/live/?org=alpha"' in body
    assert f'id="activity-feed-{org_a.organization.pk}"' in body
    assert "org=bravo" not in body
    assert "hx-ws-2" in body
