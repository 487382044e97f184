"""Sign-up, invitations end to end, MFA enforcement, rate limits, social login."""

from __future__ import annotations

import json
from typing import Any
from unittest import mock
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from allauth.mfa.models import Authenticator
from django.core import mail
from django.urls import reverse

from organizations.models import Membership, Organization
from organizations.roles import Role
from organizations.services import invitation_send
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a-Very-unusual-passphrase-91"


def _signup(client, email: str) -> Any:  # type: ignore[no-untyped-def]
    return client.post(
        reverse("account_signup"),
        {"email": email, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )


def test_signup_creates_a_personal_organization(client) -> None:  # type: ignore[no-untyped-def]
    response = _signup(client, "fresh@example.com")
    assert response.status_code == 302
    membership = Membership.objects.get(user__email="fresh@example.com")
    assert membership.role == Role.OWNER
    assert membership.organization.is_personal
    assert membership.user.profile.default_organization == membership.organization


def test_logout_requires_post(client) -> None:  # type: ignore[no-untyped-def]
    user = UserFactory()
    client.force_login(user)
    response = client.get(reverse("account_logout"))
    assert response.status_code == 200  # a confirmation page, not a logout
    assert "_auth_user_id" in client.session
    client.post(reverse("account_logout"))
    assert "_auth_user_id" not in client.session


# --- invitations, end to end with the captured email -------------------------------------


def _invite(org_a, email: str, role: str = Role.EDITOR) -> str:  # type: ignore[no-untyped-def]
    with mock.patch("django.db.transaction.on_commit", lambda fn, using=None: fn()):
        invitation_send(
            acting_user=org_a.users[Role.ADMIN],
            organization=org_a.organization,
            email=email,
            role=role,
        )
    body = mail.outbox[-1].body
    link = next(word for word in body.split() if "/invitations/" in word)
    return urlparse(link).path


def test_signed_in_user_accepts(client, org_a) -> None:  # type: ignore[no-untyped-def]
    path = _invite(org_a, "known@example.com")
    user = UserFactory(email="known@example.com")
    client.force_login(user)
    page = client.get(path)
    assert page.status_code == 200
    assert b"Accept invitation" in page.content
    response = client.post(path)
    assert response.status_code == 302
    assert response["Location"] == "/o/alpha/"
    assert Membership.objects.get(user=user, organization=org_a.organization).role == Role.EDITOR


def test_existing_user_signs_in_first(client, org_a) -> None:  # type: ignore[no-untyped-def]
    path = _invite(org_a, "returning@example.com")
    UserFactory(email="returning@example.com")
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    login = client.post(
        response["Location"], {"login": "returning@example.com", "password": DEFAULT_PASSWORD}
    )
    assert login.status_code == 302
    assert login["Location"] == path
    assert client.post(path).status_code == 302
    assert Membership.objects.filter(
        user__email="returning@example.com", organization=org_a.organization
    ).exists()


def test_new_user_signs_up_into_the_organization(client, org_a, settings) -> None:  # type: ignore[no-untyped-def]
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    path = _invite(org_a, "newcomer@example.com", role=Role.VIEWER)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_signup"))
    assert "email=newcomer%40example.com" in response["Location"] or (
        "email=newcomer@example.com" in response["Location"]
    )
    signup = _signup(client, "newcomer@example.com")
    assert signup.status_code == 302
    memberships = Membership.objects.filter(user__email="newcomer@example.com")
    assert [(m.organization_id, m.role) for m in memberships] == [
        (org_a.organization.pk, Role.VIEWER)
    ]
    # The invitation link proved the address: no second verification round trip.
    assert "_auth_user_id" in client.session
    assert not Organization.objects.filter(
        is_personal=True, memberships__user__email="newcomer@example.com"
    ).exists()


@pytest.mark.parametrize("case", ["tampered", "revoked", "used"])
def test_bad_links_get_a_clear_message(client, org_a, case: str) -> None:  # type: ignore[no-untyped-def]
    path = _invite(org_a, "target@example.com")
    user = UserFactory(email="target@example.com")
    client.force_login(user)
    if case == "tampered":
        path = path.rstrip("/")[:-3] + "zzz/"
    elif case == "revoked":
        from organizations.models import Invitation
        from organizations.services import invitation_revoke

        invitation_revoke(acting_user=org_a.users[Role.ADMIN], invitation=Invitation.objects.get())
    elif case == "used":
        client.post(path)
    before = Membership.objects.count()
    response = client.post(path)
    assert response.status_code == 400
    assert b"invitation" in response.content.lower()
    assert Membership.objects.count() == before


# --- MFA ---------------------------------------------------------------------------------


def test_organization_requiring_mfa_sends_members_to_setup(client, org_a) -> None:  # type: ignore[no-untyped-def]
    Organization.objects.filter(pk=org_a.organization.pk).update(require_mfa=True)
    member = org_a.users[Role.MEMBER]
    client.force_login(member)
    response = client.get("/o/alpha/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))
    Authenticator.objects.create(user=member, type=Authenticator.Type.TOTP, data={"secret": "x"})
    assert client.get("/o/alpha/").status_code == 200


def test_login_with_mfa_asks_for_the_second_factor(client) -> None:  # type: ignore[no-untyped-def]
    user = UserFactory(email="mfa@example.com")
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    response = client.post(
        "/admin/login/", {"login": "mfa@example.com", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session


# --- rate limits -------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/", "/django-admin/login/"])
def test_repeated_failed_logins_are_rate_limited(client, url: str) -> None:  # type: ignore[no-untyped-def]
    UserFactory(email="target@example.com")
    responses = [
        client.post(url, {"login": "target@example.com", "password": f"wrong-{i}"})
        for i in range(7)
    ]
    assert b"Too many failed login attempts" in responses[-1].content
    ok = client.post(url, {"login": "target@example.com", "password": DEFAULT_PASSWORD})
    assert "_auth_user_id" not in client.session, ok.status_code


# --- social login (the provider's side mocked: it cannot be reached from here) -------------


GITHUB = {"github": {"APPS": [{"client_id": "gh-id", "secret": "gh-secret"}], "SCOPE": ["email"]}}


def test_providers_appear_only_when_configured(client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SOCIALACCOUNT_PROVIDERS = {}
    assert b"GitHub" not in client.get(reverse("account_login")).content
    settings.SOCIALACCOUNT_PROVIDERS = GITHUB
    assert b"GitHub" in client.get(reverse("account_login")).content


def _fake_github(method: str, url: str, *args: object, **kwargs: object) -> requests.Response:
    payloads: dict[str, object] = {
        "https://github.com/login/oauth/access_token": {
            "access_token": "tok",
            "token_type": "bearer",
            "scope": "user:email",
        },
        "https://api.github.com/user": {"id": 4242, "login": "octo", "name": "Octo Cat"},
        "https://api.github.com/user/emails": [
            {"email": "octo@example.com", "primary": True, "verified": True}
        ],
    }
    response = requests.Response()
    response.status_code = 200
    response._content = json.dumps(payloads[url]).encode()
    response.headers["Content-Type"] = "application/json"
    return response


def test_github_login_creates_user_with_personal_organization(client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SOCIALACCOUNT_PROVIDERS = GITHUB
    start = client.post(reverse("github_login"))
    assert start.status_code == 302
    authorize = urlparse(start["Location"])
    assert authorize.netloc == "github.com"
    query = parse_qs(authorize.query)
    assert query["client_id"] == ["gh-id"]
    with mock.patch("requests.Session.request", side_effect=_fake_github):
        done = client.get(reverse("github_callback"), {"code": "abc", "state": query["state"][0]})
    assert done.status_code == 302, done.content[:500]
    membership = Membership.objects.get(user__email="octo@example.com")
    assert membership.organization.is_personal


@pytest.mark.parametrize(
    ("env", "provider"),
    [
        ({"GOOGLE_CLIENT_ID": "g", "GOOGLE_CLIENT_SECRET": "s"}, "google"),
        ({"MICROSOFT_CLIENT_ID": "m", "MICROSOFT_CLIENT_SECRET": "s"}, "microsoft"),
        (
            {
                "OIDC_CLIENT_ID": "o",
                "OIDC_CLIENT_SECRET": "s",
                "OIDC_SERVER_URL": "https://sso.example.com",
            },
            "openid_connect",
        ),
        ({"GITHUB_CLIENT_ID": "g", "GITHUB_CLIENT_SECRET": "s"}, "github"),
        ({"GITHUB_CLIENT_ID": "g"}, None),
    ],
)
def test_providers_are_configured_from_environment(monkeypatch, env, provider) -> None:  # type: ignore[no-untyped-def]
    from config.settings import base

    for key in (
        "GITHUB_CLIENT_ID",
        "GITHUB_CLIENT_SECRET",
        "GOOGLE_CLIENT_ID",
        "GOOGLE_CLIENT_SECRET",
        "MICROSOFT_CLIENT_ID",
        "MICROSOFT_CLIENT_SECRET",
        "OIDC_CLIENT_ID",
        "OIDC_CLIENT_SECRET",
        "OIDC_SERVER_URL",
    ):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    providers = base._social_providers()
    assert list(providers) == ([provider] if provider else [])
