"""Every portal view: as each role, as another organization's member, and anonymous."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from organizations.models import Invitation, Membership, Organization
from organizations.roles import Capability, Role, has_capability
from organizations.services import invitation_send
from tests.factories import UserFactory, add_member
from tests.tenants import MARKER_A, ROLES

pytestmark = pytest.mark.django_db


def _urls(tenant) -> dict[str, tuple[str, str, dict, Capability]]:  # type: ignore[no-untyped-def]
    org = tenant.organization
    slug = org.slug
    viewer = Membership.objects.get(organization=org, user=tenant.users[Role.VIEWER])
    invitation, _ = invitation_send(
        acting_user=tenant.users[Role.OWNER],
        organization=org,
        email="pending@x.example",
        role="member",
    )
    return {
        "overview": ("get", reverse("dashboards:overview", args=[slug]), {}, Capability.VIEW),
        "members": ("get", reverse("organizations:members", args=[slug]), {}, Capability.VIEW),
        "settings": (
            "get",
            reverse("organizations:settings", args=[slug]),
            {},
            Capability.MANAGE_ORGANIZATION,
        ),
        "transfer": (
            "get",
            reverse("organizations:transfer", args=[slug]),
            {},
            Capability.TRANSFER_OWNERSHIP,
        ),
        "invite": (
            "post",
            reverse("organizations:invite", args=[slug]),
            {"email": "n@x.example", "role": "viewer"},
            Capability.MANAGE_MEMBERS,
        ),
        "member_role": (
            "post",
            reverse("organizations:member_role", args=[slug, viewer.pk]),
            {"role": "viewer"},
            Capability.MANAGE_MEMBERS,
        ),
        "invitation_resend": (
            "post",
            reverse("organizations:invitation_resend", args=[slug, invitation.pk]),
            {},
            Capability.MANAGE_MEMBERS,
        ),
        "invitation_revoke": (
            "post",
            reverse("organizations:invitation_revoke", args=[slug, invitation.pk]),
            {},
            Capability.MANAGE_MEMBERS,
        ),
    }


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_its_capabilities_allow(client, org_a, role: str) -> None:  # type: ignore[no-untyped-def]
    urls = _urls(org_a)
    client.force_login(org_a.users[role])
    for name, (method, url, data, capability) in urls.items():
        response = getattr(client, method)(url, data)
        if has_capability(role, capability):
            assert response.status_code in (200, 302), (name, role, response.status_code)
        else:
            assert response.status_code == 403, (name, role, response.status_code)


@pytest.mark.parametrize("role", ROLES)
def test_other_organizations_members_get_404_without_data(client, org_a, org_b, role: str) -> None:  # type: ignore[no-untyped-def]
    urls = _urls(org_a)
    client.force_login(org_b.users[role])
    for name, (method, url, data, _) in urls.items():
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, (name, role)
        body = response.content.decode()
        assert MARKER_A not in body
        assert "alpha.example" not in body
    assert Invitation.objects.filter(organization=org_a.organization).count() == 1
    assert not Membership.objects.filter(
        organization=org_a.organization, user=org_b.users[role]
    ).exists()


def test_missing_organization_looks_the_same_as_a_foreign_one(client, org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org_b.users[Role.OWNER])
    foreign = client.get("/o/alpha/members/")
    missing = client.get("/o/does-not-exist/members/")
    assert foreign.status_code == missing.status_code == 404


def test_anonymous_is_sent_to_login(client, org_a) -> None:  # type: ignore[no-untyped-def]
    for _name, (method, url, data, _) in _urls(org_a).items():
        response = getattr(client, method)(url, data)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_forged_membership_id_from_another_org_is_404(client, org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    foreign = Membership.objects.get(organization=org_b.organization, user=org_b.users[Role.VIEWER])
    client.force_login(org_a.users[Role.OWNER])
    response = client.post(
        reverse("organizations:member_role", args=["alpha", foreign.pk]), {"role": "admin"}
    )
    assert response.status_code == 404
    response = client.post(reverse("organizations:member_remove", args=["alpha", foreign.pk]))
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.role == Role.VIEWER


def test_forged_new_owner_from_another_org_is_a_form_error(client, org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    foreign = Membership.objects.get(organization=org_b.organization, user=org_b.users[Role.VIEWER])
    client.force_login(org_a.users[Role.OWNER])
    response = client.post(
        reverse("organizations:transfer", args=["alpha"]), {"new_owner": foreign.pk}
    )
    assert response.status_code == 400
    assert b"Select a valid choice" in response.content
    foreign.refresh_from_db()
    assert foreign.role == Role.VIEWER


def test_invite_errors_are_shown_in_the_form(client, org_a) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org_a.users[Role.ADMIN])
    url = reverse("organizations:invite", args=["alpha"])
    response = client.post(url, {"email": "member@alpha.example", "role": "member"})
    assert response.status_code == 400
    assert b"already a member" in response.content
    response = client.post(url, {"email": "x@example.com", "role": "owner"})
    assert response.status_code == 400
    response = client.post(url, {"email": "nope", "role": "member"})
    assert response.status_code == 400
    assert not Invitation.objects.exists()


def test_role_change_and_last_owner_message(client, org_a) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org_a.users[Role.OWNER])
    owner_membership = Membership.objects.get(organization=org_a.organization, role=Role.OWNER)
    response = client.post(
        reverse("organizations:member_role", args=["alpha", owner_membership.pk]),
        {"role": "admin"},
        follow=True,
    )
    # Changing your own row is not offered; the service refuses the last owner anyway.
    owner_membership.refresh_from_db()
    assert owner_membership.role == Role.OWNER
    assert b"must keep an owner" in response.content


def test_leave(client, org_a) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org_a.users[Role.MEMBER])
    response = client.post(reverse("organizations:leave", args=["alpha"]))
    assert response.status_code == 302
    assert not Membership.objects.filter(
        organization=org_a.organization, user=org_a.users[Role.MEMBER]
    ).exists()


def test_settings_update_and_duplicate_slug(client, org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org_a.users[Role.ADMIN])
    url = reverse("organizations:settings", args=["alpha"])
    response = client.post(url, {"name": "Alpha", "slug": "bravo"})
    assert response.status_code == 400
    assert b"already taken" in response.content
    response = client.post(url, {"name": "Alpha Two", "slug": "alpha-two", "require_mfa": "on"})
    assert response.status_code == 302
    assert response["Location"] == "/o/alpha-two/settings/"
    org = Organization.objects.get(pk=org_a.organization.pk)
    assert (org.name, org.slug, org.require_mfa) == ("Alpha Two", "alpha-two", True)


def test_create_organization(client) -> None:  # type: ignore[no-untyped-def]
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("organizations:create"), {"name": "Fresh Co", "slug": ""})
    assert response.status_code == 302
    organization = Organization.objects.get(slug="fresh-co")
    assert Membership.objects.get(organization=organization, user=user).role == Role.OWNER


def test_switching_remembers_the_organization(client, org_a) -> None:  # type: ignore[no-untyped-def]
    dana = org_a.users[Role.EDITOR]
    from tests.factories import make_org

    other, _ = make_org("Third", "third")
    from organizations.services import membership_add

    membership_add(acting_user=None, organization=other, user=dana, role="member")
    client.force_login(dana)
    client.get("/o/third/")
    assert client.get(reverse("portal"))["Location"] == "/o/third/"
    client.get("/o/alpha/members/")
    assert client.get(reverse("portal"))["Location"] == "/o/alpha/"


def test_switcher_lists_only_own_organizations(client, org_a, org_b) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org_a.users[Role.MEMBER])
    body = client.get("/o/alpha/").content.decode()
    assert "Alpha" in body
    assert "Bravo" not in body


def test_suspended_organization_gets_a_clear_403(client, org_a) -> None:  # type: ignore[no-untyped-def]
    Organization.objects.filter(pk=org_a.organization.pk).update(is_active=False)
    client.force_login(org_a.users[Role.OWNER])
    response = client.get("/o/alpha/members/")
    assert response.status_code == 403
    assert b"suspended" in response.content


def _members_page_queries(client) -> int:  # type: ignore[no-untyped-def]
    client.get("/o/alpha/members/")  # warm the session
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/o/alpha/members/")
    assert response.status_code == 200
    return len(queries)


def test_members_page_query_count_is_the_same_for_5_and_200_members(client, org_a) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org_a.users[Role.OWNER])
    assert Membership.objects.filter(organization=org_a.organization).count() == 5
    with_5 = _members_page_queries(client)
    for _ in range(195):
        add_member(org_a.organization, Role.MEMBER)
    with_200 = _members_page_queries(client)
    assert client.get("/o/alpha/members/").content.count(b'id="member-') == 200
    assert with_5 == with_200
