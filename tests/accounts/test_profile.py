"""The person's own settings: times in their time zone (portal and admin follow one
choice), and signing out everywhere."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.services import profile_update
from organizations.roles import Role
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def test_times_are_shown_in_the_persons_time_zone(org_a) -> None:  # type: ignore[no-untyped-def]
    from organizations.services import invitation_send

    owner = org_a.users[Role.OWNER]
    invitation, _token = invitation_send(
        acting_user=owner, organization=org_a.organization, email="x@example.com", role="member"
    )
    invitation.expires_at = dt.datetime(2031, 1, 15, 12, 0, tzinfo=dt.UTC)
    invitation.save(update_fields=["expires_at"])
    client = Client()
    client.force_login(owner)
    members = f"/o/{org_a.organization.slug}/members/"
    assert "2031-01-15 12:00" in client.get(members).content.decode()

    profile_update(
        acting_user=owner, display_name="", default_organization=None, time_zone="Asia/Tokyo"
    )
    assert "2031-01-15 21:00" in client.get(members).content.decode()
    # The admin follows the same choice.
    from wagtail.users.models import UserProfile

    assert UserProfile.get_for_user(owner).current_time_zone == "Asia/Tokyo"
    # And a zone chosen in the admin becomes the portal's.
    admin_profile = UserProfile.get_for_user(owner)
    admin_profile.current_time_zone = "America/New_York"
    admin_profile.save()
    owner.profile.refresh_from_db()
    assert owner.profile.time_zone == "America/New_York"
    assert "2031-01-15 07:00" in client.get(members).content.decode()
    # Nothing leaks into the next request of someone else.
    assert timezone.get_current_timezone_name() == "UTC"


def test_an_unknown_time_zone_is_a_form_error(org_a) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(org_a.users[Role.MEMBER])
    response = client.post("/accounts/profile/", {"display_name": "", "time_zone": "Mars/Base"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def _signed_in(email: str) -> Client:
    client = Client()
    response = client.post(reverse("account_login"), {"login": email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302, response.content[:500]
    return client


def test_sign_out_everywhere_ends_every_session(org_a) -> None:  # type: ignore[no-untyped-def]
    from allauth.usersessions.models import UserSession

    member = org_a.users[Role.MEMBER]
    laptop, phone, tablet = (_signed_in(member.email) for _ in range(3))
    other = _signed_in(org_a.users[Role.VIEWER].email)
    overview = f"/o/{org_a.organization.slug}/"
    assert laptop.get(overview).status_code == 200
    assert UserSession.objects.filter(user=member).count() == 3

    page = laptop.get("/accounts/sessions/").content.decode()
    assert "Sign out everywhere" in page
    assert laptop.get("/accounts/sessions/sign-out-everywhere/").status_code == 405
    response = laptop.post("/accounts/sessions/sign-out-everywhere/")
    assert response.status_code == 303
    assert response["Location"] == reverse("account_login")

    for client in (laptop, phone, tablet):
        assert client.get(overview).status_code == 302  # to the sign-in page
    assert UserSession.objects.filter(user=member).count() == 0
    assert other.get(overview).status_code == 200  # someone else stays signed in
    from organizations.models import AuditEvent

    assert AuditEvent.objects.filter(action="account.signed_out_everywhere").exists()


def test_sign_out_everywhere_needs_a_signed_in_post() -> None:
    response = Client().post("/accounts/sessions/sign-out-everywhere/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
