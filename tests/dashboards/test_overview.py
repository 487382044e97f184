"""The portal overview (``/o/<slug>/``) is its organization page's published panels:
editors change it by publishing that page; drafts change nothing; the panels show what
the access rule lets the reader see, never another organization's; a fixed number of
queries at any size."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dashboards.blocks import LivePanelsBlock
from dashboards.models import DEFAULT_PANELS, Announcement, OrganizationPage, QuickLink
from organizations.roles import Role
from tests.factories import add_member
from tests.tenants import MARKER_B, Tenant

pytestmark = pytest.mark.django_db

# Every default panel, by the element the live events replace (or the chart's figure).
PANEL_IDS = {
    "announcements": 'id="announcements"',
    "quick_links": 'id="quick-links"',
    "metrics": 'id="org-metrics"',
    "chart": 'id="org-chart"',
    "documents": 'id="recent-documents"',
    "activity": 'id="activity-feed-{pk}"',
    "members_online": 'id="members-online"',
}


def _overview(tenant: Tenant, role: str) -> str:
    client = Client()
    client.force_login(tenant.users[role])
    response = client.get(f"/o/{tenant.organization.slug}/")
    assert response.status_code == 200
    return response.content.decode()


def _root(tenant: Tenant) -> OrganizationPage:
    return OrganizationPage.objects.get(organization=tenant.organization)


def _publish(tenant: Tenant, panels: list[tuple[str, dict[str, str]]]) -> OrganizationPage:
    root = _root(tenant)
    root.panels = panels
    root.save_revision(user=tenant.users[Role.EDITOR]).publish()
    return root


def _positions(body: str, tenant: Tenant) -> dict[str, int]:
    return {
        name: body.find(marker.format(pk=tenant.organization.pk))
        for name, marker in PANEL_IDS.items()
    }


def test_the_overview_shows_the_default_panels_in_order_with_their_live_ids(org_a) -> None:  # type: ignore[no-untyped-def]
    body = _overview(org_a, Role.VIEWER)
    positions = _positions(body, org_a)
    assert all(position > 0 for position in positions.values()), positions
    assert [name for name, _ in DEFAULT_PANELS] == sorted(positions, key=positions.__getitem__)
    assert 'ws-connect="/ws/live/?org=alpha"' in body
    assert 'id="activity-empty"' in body
    assert 'id="announcements-empty"' in body
    # A viewer neither edits the page nor watches background jobs.
    assert "Edit overview" not in body
    assert 'id="task-progress"' not in body


def test_a_published_stream_changes_the_overview(org_a) -> None:  # type: ignore[no-untyped-def]
    _publish(
        org_a,
        [
            ("quick_links", {"title": "Where things are"}),
            ("announcements", {"title": ""}),
            ("chart", {"title": "Our month"}),
        ],
    )
    QuickLink.objects.create(
        organization=org_a.organization, title="Expense policy", url="https://example.com/x"
    )
    body = _overview(org_a, Role.MEMBER)
    assert "Where things are" in body
    assert "Our month" in body
    assert "Expense policy" in body
    positions = _positions(body, org_a)
    assert positions["quick_links"] < positions["announcements"] < positions["chart"]
    for gone in ("metrics", "documents", "activity", "members_online"):
        assert positions[gone] == -1, gone


def test_a_draft_changes_nothing_until_it_is_published(org_a) -> None:  # type: ignore[no-untyped-def]
    root = _root(org_a)
    root.panels = [("quick_links", {"title": "Draft links"})]
    root.save_revision(user=org_a.users[Role.EDITOR])
    member = _overview(org_a, Role.MEMBER)
    assert "Draft links" not in member
    assert 'id="org-metrics"' in member
    assert "unpublished changes" not in member
    # Its editors are told why the overview does not show their draft yet.
    editor = _overview(org_a, Role.EDITOR)
    assert "Draft links" not in editor
    assert 'id="overview-draft-note"' in editor

    root.get_latest_revision().publish()
    member = _overview(org_a, Role.MEMBER)
    assert "Draft links" in member
    assert 'id="org-metrics"' not in member


@pytest.mark.parametrize(
    ("role", "sees_editors_news"),
    [
        (Role.VIEWER, False),
        (Role.MEMBER, False),
        (Role.EDITOR, True),
        (Role.ADMIN, True),
    ],
)
def test_announcements_above_the_readers_role_never_show(
    org_a, role: str, sees_editors_news: bool
) -> None:  # type: ignore[no-untyped-def]
    for title, min_role in (("For everyone", ""), ("Editors only ROLE-CEILING", Role.EDITOR)):
        announcement = Announcement.objects.create(
            organization=org_a.organization, title=title, body="<p>News.</p>", min_role=min_role
        )
        announcement.save_revision(user=org_a.users[Role.ADMIN]).publish()
    body = _overview(org_a, role)
    assert "For everyone" in body
    assert ("ROLE-CEILING" in body) is sees_editors_news


def test_another_organizations_panels_never_show(org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    QuickLink.objects.create(
        organization=org_b.organization, title=f"Link {MARKER_B}", url="https://example.com/b"
    )
    announcement = Announcement.objects.create(
        organization=org_b.organization, title=f"News {MARKER_B}", body="<p>b</p>"
    )
    announcement.save_revision(user=org_b.users[Role.OWNER]).publish()
    _publish(org_b, [("quick_links", {"title": f"Links {MARKER_B}"}), *DEFAULT_PANELS])
    for role in (Role.OWNER, Role.VIEWER):
        body = _overview(org_a, role)
        assert MARKER_B not in body
        assert f'id="activity-feed-{org_b.organization.pk}"' not in body
    assert f"Link {MARKER_B}" in _overview(org_b, Role.VIEWER)


def test_editors_get_the_page_editor_and_others_do_not(org_a) -> None:  # type: ignore[no-untyped-def]
    root = _root(org_a)
    edit_url = f"/admin/pages/{root.pk}/edit/"
    for role in (Role.OWNER, Role.ADMIN, Role.EDITOR):
        body = _overview(org_a, role)
        assert f'href="{edit_url}"' in body, role
        assert "Edit overview" in body
    for role in (Role.MEMBER, Role.VIEWER):
        assert edit_url not in _overview(org_a, role), role
    # The link leads to a working editor with the panels field and the chart panel.
    client = Client()
    client.force_login(org_a.users[Role.EDITOR])
    editor = client.get(edit_url)
    assert editor.status_code == 200
    page = editor.content.decode()
    assert '"fieldName": "panels"' in page  # the stream editor (drawn by Wagtail's script)
    assert "&quot;label&quot;: &quot;Chart&quot;" in page  # the chart panel is offered


def test_an_editor_of_another_organization_gets_no_edit_link(org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    from organizations.services import membership_add

    editor = org_b.users[Role.EDITOR]
    membership_add(acting_user=None, organization=org_a.organization, user=editor, role="viewer")
    client = Client()
    client.force_login(editor)
    body = client.get("/o/alpha/").content.decode()
    assert "Edit overview" not in body
    assert f"/admin/pages/{_root(org_a).pk}/edit/" not in body


def test_panel_titles_are_optional() -> None:
    stream = LivePanelsBlock()
    for name, block in stream.child_blocks.items():
        assert block.child_blocks["title"].required is False, name
        block.clean(block.to_python({"title": ""}))
    assert "chart" in stream.child_blocks


def test_an_empty_stream_says_so_and_leads_editors_to_the_editor(org_a) -> None:  # type: ignore[no-untyped-def]
    root = _publish(org_a, [])
    member = _overview(org_a, Role.MEMBER)
    assert 'id="overview-empty"' in member
    assert "Its editors can add some." in member
    assert "/admin/pages/" not in member
    editor = _overview(org_a, Role.EDITOR)
    assert 'id="overview-empty"' in editor
    assert editor.count(f'href="/admin/pages/{root.pk}/edit/"') == 2  # header and note
    # Those who manage the organization still see the background jobs.
    assert 'id="task-progress"' in _overview(org_a, Role.OWNER)


def test_a_task_panel_in_the_stream_does_not_repeat_the_background_jobs(org_a) -> None:  # type: ignore[no-untyped-def]
    _publish(org_a, [("tasks", {"title": ""}), ("metrics", {"title": ""})])
    assert _overview(org_a, Role.OWNER).count('id="task-progress"') == 1
    assert 'id="task-progress"' not in _overview(org_a, Role.MEMBER)


def _grow(tenant: Tenant, count: int) -> None:
    """More of everything the panels read: members, announcements, links, documents,
    events, pages."""
    from home.models import ContentPage
    from secure_documents.models import ProcessingStatus, SecureDocument

    organization = tenant.organization
    owner = tenant.users[Role.OWNER]
    root = _root(tenant)
    for index in range(count):
        add_member(organization, Role.MEMBER)
        announcement = Announcement.objects.create(
            organization=organization, title=f"News {index}", body="<p>n</p>"
        )
        announcement.save_revision(user=owner).publish()
        QuickLink.objects.create(
            organization=organization, title=f"Link {index}", url="https://example.com/"
        )
        SecureDocument.objects.create(
            organization=organization,
            collection_id=organization.collection_id,
            title=f"Document {index}",
            file=f"grow/{index}.txt",
            file_size=100 + index,
            status=ProcessingStatus.CLEAN,
            uploaded_by_user=owner,
        )
        page = root.add_child(instance=ContentPage(title=f"Page {index}", slug=f"page-{index}"))
        page.save_revision(user=owner).publish()


def _queries(client: Client, url: str) -> int:
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


# Between changes the organization page, its panels, the first steps, the editor link's
# permission and the bell come from the cache (dashboards/overview_cache.py): only the
# organization middleware's one query (the person's memberships) is left, for every role.
MOST_QUERIES = {Role.OWNER: 1, Role.EDITOR: 1, Role.VIEWER: 1}


def test_the_overview_costs_the_same_queries_at_any_size(org_a) -> None:  # type: ignore[no-untyped-def]
    clients = {}
    for role in MOST_QUERIES:
        clients[role] = Client()
        clients[role].force_login(org_a.users[role])
    small = {role: _queries(client, "/o/alpha/") for role, client in clients.items()}
    _grow(org_a, 12)
    large = {role: _queries(client, "/o/alpha/") for role, client in clients.items()}
    assert small == large
    assert large == MOST_QUERIES
    body = clients[Role.VIEWER].get("/o/alpha/").content.decode()
    assert "News 11" in body
    assert "Document 11" in body


def test_the_data_migration_adds_the_chart_to_untouched_default_panels(org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    import importlib

    from django.apps import apps

    migration = importlib.import_module("dashboards.migrations.0011_chart_in_default_panels")
    earlier = [(name, {"title": ""}) for name in migration.EARLIER_DEFAULT]
    untouched = _publish(org_a, earlier)
    changed = _publish(org_b, [*earlier[1:], earlier[0]])  # reordered by its editors
    migration.add_chart(apps, None)
    untouched.refresh_from_db()
    changed.refresh_from_db()
    assert [block.block_type for block in untouched.panels] == [name for name, _ in DEFAULT_PANELS]
    assert [b.block_type for b in untouched.get_latest_revision_as_object().panels] == [
        name for name, _ in DEFAULT_PANELS
    ]
    assert "chart" not in [block.block_type for block in changed.panels]
    assert 'id="org-chart"' in _overview(org_a, Role.MEMBER)


def _title_of(fragment: str) -> tuple[str, str]:
    found = re.search(r'<time[^>]*datetime="([^"]+)"[^>]*title="([^"]*)"', fragment)
    assert found, fragment
    return found.group(1), found.group(2)


def test_live_fragments_get_each_readers_time_zone() -> None:
    import datetime as dt
    import zoneinfo

    from django.utils import timezone

    from dashboards.live_times import localize
    from ui.templatetags.ui import exact_time

    moment = dt.datetime(2026, 12, 6, 23, 30, tzinfo=dt.UTC)
    with timezone.override(zoneinfo.ZoneInfo("America/New_York")):
        fragment = (
            '<li><time class="activity__meta"'
            f' datetime="{timezone.localtime(moment).isoformat()}"'
            f' data-relative title="{exact_time(moment)}">just now</time></li>'
        )
    assert _title_of(fragment)[1] == "6 Dec 2026, 18:30"
    assert _title_of(localize(fragment, "Asia/Tokyo"))[1] == "7 Dec 2026, 08:30"
    assert _title_of(localize(fragment, "UTC"))[1] == "6 Dec 2026, 23:30"
    assert localize("<p>no times</p>", "Asia/Tokyo") == "<p>no times</p>"
    assert localize(fragment, "Not/AZone") == fragment
