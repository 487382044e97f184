"""The inbox behind the bell: who is notified, what they may open, and that it follows
the access rule."""

from __future__ import annotations

import pytest

from dashboards.models import Announcement, Notification
from dashboards.notifications import inbox, visible
from organizations.models import Membership
from organizations.roles import Role
from organizations.services import membership_remove, membership_set_role


def _publish(org, title: str, min_role: str = "") -> None:  # type: ignore[no-untyped-def]
    announcement = Announcement.objects.create(
        organization=org.organization, title=title, body="<p>x</p>", min_role=min_role
    )
    announcement.save_revision(user=org.users[Role.OWNER]).publish()


@pytest.mark.django_db(transaction=True)
def test_an_announcement_notifies_its_audience_only(org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    _publish(org_a, "Board meeting", min_role=Role.ADMIN)
    notified = set(Notification.objects.values_list("user__email", flat=True))
    assert notified == {org_a.users[Role.ADMIN].email}  # the author (owner) is left out
    _publish(org_a, "Picnic")
    assert inbox(org_a.users[Role.VIEWER])["unread"] == 1
    assert inbox(org_b.users[Role.VIEWER])["unread"] == 0


@pytest.mark.django_db(transaction=True)
def test_role_change_notifies_the_person(org_a) -> None:  # type: ignore[no-untyped-def]
    viewer = org_a.users[Role.VIEWER]
    membership = Membership.objects.get(user=viewer, organization=org_a.organization)
    membership_set_role(
        acting_user=org_a.users[Role.OWNER], membership=membership, role=Role.EDITOR
    )
    assert [n.text for n in visible(viewer)] == [
        f"You are now an editor in {org_a.organization.name}."
    ]


@pytest.mark.django_db(transaction=True)
def test_notifications_follow_the_access_rule(client, org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    _publish(org_a, "Secret plans")
    member = org_a.users[Role.MEMBER]
    note = Notification.objects.get(user=member)
    # Another person cannot open it: the same 404 as a missing one.
    client.force_login(org_b.users[Role.OWNER])
    assert client.get(f"/notifications/{note.pk}/").status_code == 404
    assert b"Secret plans" not in client.get("/o/bravo/").content
    client.force_login(member)
    response = client.get(f"/notifications/{note.pk}/")
    assert response.status_code == 302
    assert response["Location"] == org_a.organization.get_absolute_url()
    note.refresh_from_db()
    assert note.read_at is not None
    # Once out of the organization, its notifications are no longer shown.
    membership = Membership.objects.get(user=member, organization=org_a.organization)
    membership_remove(acting_user=org_a.users[Role.OWNER], membership=membership)
    assert list(visible(member)) == []
    assert client.get(f"/notifications/{note.pk}/").status_code == 404
