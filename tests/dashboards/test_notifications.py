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


@pytest.mark.django_db(transaction=True)
def test_emails_go_only_for_the_kinds_a_person_chose(org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    from django.core import mail

    from accounts.services import profile_set_email_notifications
    from dashboards.models import NotificationKind

    viewer, member = org_a.users[Role.VIEWER], org_a.users[Role.MEMBER]
    # Defaults: what concerns the person alone comes by email, announcements do not.
    _publish(org_a, "Picnic")
    assert mail.outbox == []
    membership = Membership.objects.get(user=viewer, organization=org_a.organization)
    membership_set_role(
        acting_user=org_a.users[Role.OWNER], membership=membership, role=Role.MEMBER
    )
    assert [m.to for m in mail.outbox] == [[viewer.email]]
    assert "You are now a member" in mail.outbox[0].subject
    note = Notification.objects.get(user=viewer, kind=NotificationKind.ROLE_CHANGED)
    assert f"/notifications/{note.pk}/" in mail.outbox[0].body
    assert note.emailed_at is not None

    # Opting in to announcements (member), out of role changes (viewer).
    mail.outbox.clear()
    profile_set_email_notifications(
        acting_user=member, choices={NotificationKind.ANNOUNCEMENT: True}
    )
    profile_set_email_notifications(
        acting_user=viewer, choices={NotificationKind.ROLE_CHANGED: False}
    )
    _publish(org_a, "Quarterly plans")
    assert [m.to for m in mail.outbox] == [[member.email]]
    assert "Quarterly plans" in mail.outbox[0].body
    mail.outbox.clear()
    membership_set_role(
        acting_user=org_a.users[Role.OWNER], membership=membership, role=Role.VIEWER
    )
    assert mail.outbox == []
    # B's people never get A's mail.
    assert not any(org_b.users[Role.VIEWER].email in m.to for m in mail.outbox)


@pytest.mark.django_db(transaction=True)
def test_an_email_is_not_sent_once_the_person_lost_access(org_a) -> None:  # type: ignore[no-untyped-def]
    from django.core import mail

    from dashboards.models import NotificationKind
    from dashboards.notifications import notify
    from dashboards.tasks import send_notification_email

    member = org_a.users[Role.MEMBER]
    with pytest.MonkeyPatch.context() as patch:
        # Queued while a member, sent after the removal.
        patch.setattr("dashboards.notifications._enqueue_emails", lambda *a, **k: None)
        (note,) = notify(
            user_ids=[member.pk],
            organization_id=org_a.organization.pk,
            kind=NotificationKind.EXPORT_READY,
            text="Your export is ready.",
        )
    membership = Membership.objects.get(user=member, organization=org_a.organization)
    membership_remove(acting_user=org_a.users[Role.OWNER], membership=membership)
    assert (
        send_notification_email.delay(note.pk, organization_id=org_a.organization.pk).get() is False
    )
    assert mail.outbox == []


@pytest.mark.django_db
def test_the_profile_page_saves_email_preferences(client, org_a) -> None:  # type: ignore[no-untyped-def]
    member = org_a.users[Role.MEMBER]
    client.force_login(member)
    page = client.get("/accounts/profile/").content.decode()
    assert 'name="email_role_changed" id="id_email_role_changed" checked' in page or (
        'name="email_role_changed"' in page and "checked" in page
    )
    response = client.post(
        "/accounts/profile/",
        {"display_name": "", "email_announcement": "on", "email_export_ready": "on"},
    )
    assert response.status_code == 303
    member.profile.refresh_from_db()
    assert member.profile.email_notifications == {
        "announcement": True,
        "role_changed": False,
        "document_rejected": False,
        "export_ready": True,
    }
